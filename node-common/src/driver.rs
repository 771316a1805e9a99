//! The runtime-agnostic node loop both binaries run: listener, dialer, per-connection reader and
//! writer tasks, and the one driver task that owns the [`Overlay`] and its timer. Written against
//! `futures-io` and a small [`Runtime`] trait (spawn, timer, TCP, TLS), as quinn does, so tokio,
//! async-std and smol only supply those primitives.
//!
//! Owns: moving bytes, time and TLS Finished messages between sockets and the core; bounded
//! queues; the start-up/shutdown sequence. Must not touch: protocol decisions (the core makes
//! them all; this file only carries out `Output`s) or anything runtime-specific.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::future::{self, Either};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures::{FutureExt, SinkExt, StreamExt};
use openssl::ssl::{Ssl, SslAcceptor, SslConnector, SslRef};
use protocol_core::keys::NodePublicKey;
use protocol_core::overlay::{ConnId, Input, Output, OverlayEvent};

use crate::node::NodeSetup;
use crate::overlay_core::Overlay;
use crate::tls;

/// A boxed `Send` future, the currency of [`Runtime`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// TCP connect of an outbound dial must finish within this (rippled's connect timer is 15 s for the
/// whole handshake; the core enforces that, this only stops a hung connect() from lingering).
pub const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// TLS handshake (either direction) must finish within this; the core's handshake deadline
/// (`HANDSHAKE_TIMEOUT`, 15 s) covers TCP+TLS+HTTP, so this is the same bound.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Most plaintext bytes read in one burst and handed to the core at once (the read buffer of a
/// busy connection).
pub const READ_CHUNK: usize = 64 * 1024;
/// The read buffer a connection starts with. It doubles (up to [`READ_CHUNK`]) each time a burst
/// fills it, so only busy peers pay for a big one: an idle peer's buffer is resident memory
/// for its whole life (ci/bench `rss_per_peer`, goal 48 KiB per idle peer).
pub const MIN_READ_CHUNK: usize = 4 * 1024;
/// Queued messages a connection's writer joins into one write (it stops adding once the batch
/// reaches this; one message alone may be larger).
pub const WRITE_BATCH: usize = 64 * 1024;
/// Messages from socket tasks waiting for the driver. Bounded so a fast peer blocks its own reader
/// (TCP back-pressure) instead of growing memory.
pub const INPUT_QUEUE: usize = 256;
/// Bytes queued for one connection's writer before the frontend gives up on it (the core's own
/// send-queue rule normally fires long before: this is the memory backstop for a stalled socket).
pub const MAX_WRITE_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// A connectivity probe (`Output::Probe`, peerfinder.md §6.3 step 7) that has not connected
/// within this counts as unreachable. rippled leaves it to the OS connect timeout; a bound keeps
/// a black-holed address from pinning a task for minutes.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Listen backlog of the peer port: rippled's (asio's `max_listen_connections`, SOMAXCONN),
/// so a burst of connections queues in the kernel instead of having SYNs dropped (std's
/// `TcpListener::bind` uses 128). The kernel caps it at `net.core.somaxconn`.
pub const LISTEN_BACKLOG: i32 = 4096;
/// At shutdown, connections get this long to flush and send close_notify.
pub const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// Inputs an embedding application may have waiting for the driver ([`Embedding::inputs`]).
/// Bounded so an application that submits faster than the node sends waits on `send` instead
/// of growing memory.
pub const APP_INPUT_QUEUE: usize = 1024;

/// What a runtime supplies. Everything else is in this module.
pub trait Runtime: Clone + Send + Sync + 'static {
    type Tcp: Send + 'static;
    type Listener: Send + 'static;
    /// A TLS stream seen through `futures-io`.
    type Tls: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    fn spawn(&self, fut: BoxFuture<'static, ()>);
    /// Completes at `deadline` (at once if it is past).
    fn timer_at(&self, deadline: Instant) -> BoxFuture<'static, ()>;
    /// Adopt a bound, non-blocking std listener.
    fn listener(&self, std: std::net::TcpListener) -> io::Result<Self::Listener>;
    fn accept<'a>(&self, listener: &'a Self::Listener) -> BoxFuture<'a, io::Result<(Self::Tcp, SocketAddr)>>;
    /// TCP connect to `addr`, from source address `from` (port chosen by the OS) when given.
    fn connect(&self, addr: SocketAddr, from: Option<IpAddr>) -> BoxFuture<'static, io::Result<Self::Tcp>>;
    fn local_addr(tcp: &Self::Tcp) -> io::Result<SocketAddr>;
    /// Turn Nagle's algorithm off (`TCP_NODELAY`) on a new connection.
    fn set_nodelay(tcp: &Self::Tcp) -> io::Result<()>;
    fn tls_accept(&self, ssl: Ssl, tcp: Self::Tcp) -> BoxFuture<'static, Result<Self::Tls, String>>;
    fn tls_connect(&self, ssl: Ssl, tcp: Self::Tcp) -> BoxFuture<'static, Result<Self::Tls, String>>;
    fn ssl(tls: &Self::Tls) -> &SslRef;
}

/// Why a running node stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "cannot listen on {addr}: {source} (is another node using the port? set [port_peer] or --peer-port)"
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
    #[error("TLS set-up failed: {0}")]
    Tls(#[from] tls::TlsError),
}

/// A blocking TCP connect from `from` (any port) to `addr` within `timeout`, returned in
/// non-blocking mode: for runtimes without bind-before-connect, run on a blocking thread.
pub fn connect_from_blocking(
    addr: SocketAddr,
    from: IpAddr,
    timeout: Duration,
) -> io::Result<std::net::TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::new(from, 0).into())?;
    sock.connect_timeout(&addr.into(), timeout)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

/// `fut`, or `Err(())` once `deadline` passes.
async fn deadline<R: Runtime, T>(rt: &R, at: Instant, fut: impl Future<Output = T> + Unpin) -> Result<T, ()> {
    match future::select(fut, rt.timer_at(at)).await {
        Either::Left((v, _)) => Ok(v),
        Either::Right(_) => Err(()),
    }
}

enum Msg<R: Runtime> {
    Accepted {
        tcp: R::Tcp,
        remote: SocketAddr,
        local: SocketAddr,
    },
    Input(Input),
    /// From the embedding application ([`Embedding::inputs`]).
    App(Input),
    Data {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    Shutdown,
}

enum WriteCmd {
    Data(Vec<u8>),
    Close,
}

/// What waits in one connection's writer queue; the driver adds, the writer task subtracts.
#[derive(Default)]
struct Queued {
    bytes: AtomicUsize,
    /// One per `Output::Transmit`, reported to the core as `Input::SendQueue`.
    messages: AtomicUsize,
}

struct ConnEntry {
    tx: mpsc::UnboundedSender<WriteCmd>,
    queued: Arc<Queued>,
}

/// Shared by every task of one node.
struct Ctx<R: Runtime> {
    rt: R,
    acceptor: SslAcceptor,
    connector: SslConnector,
    inputs: mpsc::Sender<Msg<R>>,
    /// Source address of outbound sockets: the `[port_peer] ip` when it is a specific address.
    /// Peers learn our listening address from the socket's remote IP (the TMEndpoints hop-0
    /// entry, peerfinder.md §6.3), so on a multi-address host dialling from the address we
    /// listen on is what makes that gossip right.
    source_ip: Option<IpAddr>,
}

impl<R: Runtime> Ctx<R> {
    fn connect(&self, addr: SocketAddr) -> BoxFuture<'static, io::Result<R::Tcp>> {
        let from = self.source_ip.filter(|ip| ip.is_ipv4() == addr.is_ipv4());
        self.rt.connect(addr, from)
    }
}

/// A callback seeing every [`OverlayEvent`] of an embedded node ([`Embedding::on_event`]).
pub type EventSink = Box<dyn FnMut(&OverlayEvent) + Send>;

/// The hook for an application that runs a node in-process (a benchmark, a test, a server
/// built on the overlay): it submits application [`Input`]s (`Broadcast`, `Send`,
/// `BootcacheLoaded`) and sees the core's [`OverlayEvent`]s (peers coming and going, every
/// received message). The driver only carries these; what to send and what an event means is
/// the application's business. The binaries run with `Embedding::default()` (no hook).
#[derive(Default)]
pub struct Embedding {
    inputs: Option<mpsc::Receiver<Input>>,
    on_event: Option<EventSink>,
}

impl Embedding {
    /// A channel for application inputs (bounded by [`APP_INPUT_QUEUE`]); the node takes them
    /// in order, interleaved fairly with its sockets' traffic. Inputs that only the driver may
    /// report (socket and probe results, `SendQueue`) are ignored with a warning. Closing the
    /// sender does not stop the node.
    pub fn inputs(&mut self) -> mpsc::Sender<Input> {
        let (tx, rx) = mpsc::channel(APP_INPUT_QUEUE);
        self.inputs = Some(rx);
        tx
    }

    /// Call `f` with every event, in the driver task, after the driver logged it. `f` runs
    /// between two steps of the core: it must return quickly and never block on the node.
    pub fn on_event(mut self, f: impl FnMut(&OverlayEvent) + Send + 'static) -> Self {
        self.on_event = Some(Box::new(f));
        self
    }
}

/// True for the inputs an application may submit; the others report socket or probe results
/// and come from the driver alone (a forged `Closed` would desynchronise its connection table).
fn is_application_input(input: &Input) -> bool {
    matches!(input, Input::Broadcast(_) | Input::Send { .. } | Input::BootcacheLoaded(_))
}

/// Run a node until `shutdown` completes, then close every connection, flush, and write the
/// bootcache into the data directory.
pub async fn run<R: Runtime>(
    rt: R,
    setup: NodeSetup,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_embedded(rt, setup, shutdown, Embedding::default()).await
}

/// [`run`], with an application hooked in through `embedding`.
pub async fn run_embedded<R: Runtime>(
    rt: R,
    setup: NodeSetup,
    shutdown: impl Future<Output = ()> + Send + 'static,
    embedding: Embedding,
) -> Result<(), RunError> {
    let Embedding { inputs: app_inputs, mut on_event } = embedding;
    let acceptor = tls::acceptor(&setup.tls, setup.tls_policy)?;
    let connector = tls::connector(setup.tls_policy)?;
    let (inputs, rx) = mpsc::channel::<Msg<R>>(INPUT_QUEUE);
    // The application's inputs join the sockets' as one stream; it ends when the sockets' does
    // (the application closing its sender must not stop the node).
    let app = match app_inputs {
        Some(app) => Either::Left(app.map(Msg::App)),
        None => Either::Right(futures::stream::pending()),
    };
    let mut rx = futures::stream::select(rx, app);
    let source_ip = setup.listen.map(|a| a.ip()).filter(|ip| !ip.is_unspecified());
    let ctx = Arc::new(Ctx { rt: rt.clone(), acceptor, connector, inputs, source_ip });

    if let Some(addr) = setup.listen {
        let listener = bind(&rt, addr)?;
        rt.spawn(Box::pin(accept_loop(ctx.clone(), listener)));
    }
    {
        let mut tx = ctx.inputs.clone();
        rt.spawn(Box::pin(async move {
            shutdown.await;
            let _ = tx.send(Msg::Shutdown).await;
        }));
    }

    let mut seed = [0u8; 8];
    // Only the replayability of a run depends on this seed; a weak one costs nothing else.
    let _ = getrandom::fill(&mut seed);
    let alphabet = setup.config.network.profile().alphabet;
    let mut overlay_cfg = setup.overlay;
    // Sampled together: the core derives NetClock times from this pair.
    let start = Instant::now();
    overlay_cfg.net_clock_at_start = crate::node::net_clock_now();
    let mut overlay = Overlay::new(overlay_cfg, setup.identity.keys, start, u64::from_le_bytes(seed));
    if let Some(text) = setup.bootcache {
        overlay.handle_input(start, Input::BootcacheLoaded(text));
    }
    let mut conns: HashMap<ConnId, ConnEntry> = HashMap::new();
    // Connection tasks hold a clone; when all are gone, every socket is closed.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(0);

    loop {
        drain(&ctx, &mut overlay, &mut conns, &alive_tx, alphabet, &mut on_event);
        let timer = match overlay.poll_timeout() {
            Some(t) => rt.timer_at(t),
            None => Box::pin(future::pending()),
        };
        let msg = match future::select(rx.next(), timer).await {
            Either::Left((Some(msg), _)) => msg,
            Either::Left((None, _)) => break,
            Either::Right(_) => {
                overlay.handle_timeout(Instant::now());
                continue;
            }
        };
        let now = Instant::now();
        match msg {
            Msg::Accepted { tcp, remote, local } => match overlay.accept(now, remote, local) {
                Ok(conn) => {
                    let (entry, wrx) = new_entry();
                    conns.insert(conn, entry);
                    let c = ctx.clone();
                    let alive = alive_tx.clone();
                    rt.spawn(Box::pin(async move {
                        inbound(c, conn, tcp, wrx).await;
                        drop(alive);
                    }));
                }
                Err(e) => tracing::info!("refused inbound connection from {remote}: {e}"),
            },
            Msg::Data { conn, bytes } => {
                if conns.contains_key(&conn) {
                    overlay.handle_data(now, conn, &bytes);
                }
            }
            Msg::Input(input) => {
                // After Output::Close or a first Closed the core has forgotten the connection;
                // late reports from its tasks are dropped here.
                let live = match &input {
                    Input::Closed { conn, .. }
                    | Input::ConnectFailed { conn, .. }
                    | Input::TlsFailed { conn, .. } => conns.remove(conn).is_some(),
                    Input::TcpConnected { conn, .. } | Input::TlsEstablished { conn, .. } => {
                        conns.contains_key(conn)
                    }
                    _ => true,
                };
                if live {
                    overlay.handle_input(now, input);
                }
            }
            Msg::App(input) => {
                if is_application_input(&input) {
                    overlay.handle_input(now, input);
                } else {
                    tracing::warn!("ignored an application input only the driver may report: {input:?}");
                }
            }
            Msg::Shutdown => break,
        }
        // A steady stream of messages must not starve the core's timers.
        if overlay.poll_timeout().is_some_and(|t| t <= now) {
            overlay.handle_timeout(now);
        }
    }
    // Tasks still reporting see a closed channel instead of waiting on a full one.
    drop(rx);

    tracing::info!("shutting down: closing {} connections", conns.len());
    overlay.shutdown(Instant::now());
    drain(&ctx, &mut overlay, &mut conns, &alive_tx, alphabet, &mut on_event);
    for (_, entry) in conns.drain() {
        let _ = entry.tx.unbounded_send(WriteCmd::Close);
    }
    drop(alive_tx);
    let flush_deadline = Instant::now() + SHUTDOWN_FLUSH_TIMEOUT;
    if deadline(&rt, flush_deadline, alive_rx.next()).await.is_err() {
        tracing::warn!("some connections did not close within {SHUTDOWN_FLUSH_TIMEOUT:?}");
    }
    match crate::node::write_bootcache(&setup.data_dir, &overlay.bootcache_json()) {
        Ok(path) => tracing::info!("bootcache written to {}", path.display()),
        Err(e) => tracing::warn!("cannot write bootcache into {}: {e}", setup.data_dir.path().display()),
    }
    Ok(())
}

fn bind<R: Runtime>(rt: &R, addr: SocketAddr) -> Result<R::Listener, RunError> {
    let err = |source| RunError::Listen { addr, source };
    let sock =
        socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None).map_err(err)?;
    // As std does on Unix: a restarted node can rebind while old connections sit in TIME_WAIT.
    sock.set_reuse_address(true).map_err(err)?;
    sock.bind(&addr.into()).map_err(err)?;
    sock.listen(LISTEN_BACKLOG).map_err(err)?;
    sock.set_nonblocking(true).map_err(err)?;
    let std: std::net::TcpListener = sock.into();
    let bound = std.local_addr().map_err(err)?;
    tracing::info!("listening for peers on {bound}");
    rt.listener(std).map_err(err)
}

fn new_entry() -> (ConnEntry, WriterRx) {
    let (tx, rx) = mpsc::unbounded();
    let queued = Arc::new(Queued::default());
    (ConnEntry { tx, queued: queued.clone() }, (rx, queued))
}

/// Carry out everything the core asked for.
fn drain<R: Runtime>(
    ctx: &Arc<Ctx<R>>,
    overlay: &mut Overlay,
    conns: &mut HashMap<ConnId, ConnEntry>,
    alive: &mpsc::Sender<()>,
    alphabet: protocol_core::keys::Alphabet,
    on_event: &mut Option<EventSink>,
) {
    while let Some(out) = overlay.poll_output() {
        match out {
            Output::Transmit { conn, data } => {
                let Some(entry) = conns.get(&conn) else { continue };
                let len = data.len();
                let total = entry.queued.bytes.fetch_add(len, Ordering::Relaxed) + len;
                // Every Transmit reports the queue length, so the core's large-send-queue rule
                // (checked on its peer timer, which also transmits a ping) sees fresh numbers.
                let messages = entry.queued.messages.fetch_add(1, Ordering::Relaxed) + 1;
                if total > MAX_WRITE_QUEUE_BYTES || entry.tx.unbounded_send(WriteCmd::Data(data)).is_err() {
                    if let Some(entry) = conns.remove(&conn) {
                        let _ = entry.tx.unbounded_send(WriteCmd::Close);
                    }
                    let error = format!("write queue over {MAX_WRITE_QUEUE_BYTES} bytes or writer gone");
                    overlay.handle_input(Instant::now(), Input::Closed { conn, error: Some(error) });
                } else {
                    overlay.handle_input(Instant::now(), Input::SendQueue { conn, messages });
                }
            }
            Output::Close { conn, reason } => {
                if let Some(entry) = conns.remove(&conn) {
                    tracing::debug!("closing {conn}: {reason}");
                    let _ = entry.tx.unbounded_send(WriteCmd::Close);
                }
            }
            Output::Connect { conn, addr } => {
                let (entry, wrx) = new_entry();
                conns.insert(conn, entry);
                let c = ctx.clone();
                let alive = alive.clone();
                ctx.rt.spawn(Box::pin(async move {
                    outbound(c, conn, addr, wrx).await;
                    drop(alive);
                }));
            }
            Output::Event(ev) => {
                log_event(&ev, alphabet);
                if let Some(f) = on_event.as_mut() {
                    f(&ev);
                }
            }
            Output::Probe { probe, addr } => {
                let c = ctx.clone();
                // Not a connection: no writer, no entry in `conns`, no part in the shutdown flush.
                ctx.rt.spawn(Box::pin(async move {
                    let reachable = matches!(
                        deadline(&c.rt, Instant::now() + PROBE_TIMEOUT, c.connect(addr)).await,
                        Ok(Ok(_))
                    );
                    tracing::debug!("probe {probe} of {addr}: reachable {reachable}");
                    report(&c, Input::ProbeResult { probe, reachable }).await;
                }));
            }
        }
    }
}

fn key_text(key: Option<&NodePublicKey>, alphabet: protocol_core::keys::Alphabet) -> String {
    key.map(|k| k.to_base58(alphabet)).unwrap_or_else(|| "-".into())
}

/// One line per peer connect/disconnect: address, key, reason.
fn log_event(ev: &OverlayEvent, alphabet: protocol_core::keys::Alphabet) {
    match ev {
        OverlayEvent::PeerActivated { conn, public_key, remote, inbound, version, user_agent } => {
            let dir = if *inbound { "inbound" } else { "outbound" };
            tracing::info!(
                "peer connected {conn} {remote} {} ({dir}, {version}, {user_agent:?})",
                key_text(Some(public_key), alphabet)
            );
        }
        OverlayEvent::PeerDisconnected { conn, public_key, remote, reason } => {
            tracing::info!(
                "peer disconnected {conn} {remote} {}: {reason}",
                key_text(public_key.as_ref(), alphabet)
            );
        }
        OverlayEvent::HandshakeRejected { conn, remote, status, reason } => {
            let status = status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
            tracing::info!("handshake {conn} {remote} rejected ({status}): {reason}");
        }
        OverlayEvent::Redirected { conn, remote, peer_ips } => {
            tracing::info!("{conn} {remote} redirected us to {} addresses", peer_ips.len());
        }
        OverlayEvent::Message { conn, message } => tracing::trace!("{conn} message {message:?}"),
        OverlayEvent::GovernorRelay { conn, remote, hot } => {
            let state = if *hot { "hot" } else { "warm" };
            tracing::info!("governor: {conn} {remote} {state}");
        }
    }
}

async fn accept_loop<R: Runtime>(ctx: Arc<Ctx<R>>, listener: R::Listener) {
    let mut tx = ctx.inputs.clone();
    loop {
        match ctx.rt.accept(&listener).await {
            Ok((tcp, remote)) => {
                set_nodelay::<R>(&tcp, remote);
                let local = match R::local_addr(&tcp) {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::debug!("accepted socket from {remote} has no local address: {e}");
                        continue;
                    }
                };
                if tx.send(Msg::Accepted { tcp, remote, local }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!("accept failed: {e}");
                ctx.rt.timer_at(Instant::now() + Duration::from_millis(100)).await;
            }
        }
    }
}

/// Every peer socket runs without Nagle's algorithm. The core emits small writes (a handshake
/// response, then its first frames; pongs; single relayed messages) and waits for answers: with
/// Nagle on, a small write behind unacknowledged data waits for the peer's delayed ACK (40 ms on
/// Linux), which capped inbound handshakes at ~20 per second per connection in `ci/bench`.
fn set_nodelay<R: Runtime>(tcp: &R::Tcp, remote: SocketAddr) {
    if let Err(e) = R::set_nodelay(tcp) {
        tracing::debug!("cannot set TCP_NODELAY on the socket of {remote}: {e}");
    }
}

type WriterRx = (mpsc::UnboundedReceiver<WriteCmd>, Arc<Queued>);

async fn report<R: Runtime>(ctx: &Ctx<R>, input: Input) {
    let _ = ctx.inputs.clone().send(Msg::Input(input)).await;
}

async fn inbound<R: Runtime>(ctx: Arc<Ctx<R>>, conn: ConnId, tcp: R::Tcp, wrx: WriterRx) {
    let tls = match tls::server_ssl(&ctx.acceptor) {
        Ok(ssl) => ctx.rt.tls_accept(ssl, tcp),
        Err(e) => return report(&ctx, Input::TlsFailed { conn, error: e.to_string() }).await,
    };
    established(ctx, conn, tls, wrx).await
}

async fn outbound<R: Runtime>(ctx: Arc<Ctx<R>>, conn: ConnId, addr: SocketAddr, wrx: WriterRx) {
    let tcp = match deadline(&ctx.rt, Instant::now() + TCP_CONNECT_TIMEOUT, ctx.connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return report(&ctx, Input::ConnectFailed { conn, error: e.to_string() }).await,
        Err(()) => {
            let error = format!("no TCP connection within {TCP_CONNECT_TIMEOUT:?}");
            return report(&ctx, Input::ConnectFailed { conn, error }).await;
        }
    };
    set_nodelay::<R>(&tcp, addr);
    match R::local_addr(&tcp) {
        Ok(local) => report(&ctx, Input::TcpConnected { conn, local }).await,
        Err(e) => return report(&ctx, Input::ConnectFailed { conn, error: e.to_string() }).await,
    }
    // No SNI and no verification: peers are identified by node key, not certificate.
    let tls = match tls::client_ssl(&ctx.connector) {
        Ok(ssl) => ctx.rt.tls_connect(ssl, tcp),
        Err(e) => return report(&ctx, Input::TlsFailed { conn, error: e.to_string() }).await,
    };
    established(ctx, conn, tls, wrx).await
}

/// Finish the TLS handshake, report it with the Finished messages, then pump bytes both ways
/// until either side closes.
async fn established<R: Runtime>(
    ctx: Arc<Ctx<R>>,
    conn: ConnId,
    handshake: BoxFuture<'static, Result<R::Tls, String>>,
    (mut wrx, queued): WriterRx,
) {
    // The core may close the connection before TLS is done (handshake deadline, eviction from
    // a full pending table): its only command then is Close, so drop the socket at once.
    let handshake = future::select(handshake, wrx.next());
    let stream = match deadline(&ctx.rt, Instant::now() + TLS_HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Either::Left((Ok(s), _))) => s,
        Ok(Either::Left((Err(error), _))) => return report(&ctx, Input::TlsFailed { conn, error }).await,
        Ok(Either::Right(_)) => return,
        Err(()) => {
            let error = format!("TLS handshake not done within {TLS_HANDSHAKE_TIMEOUT:?}");
            return report(&ctx, Input::TlsFailed { conn, error }).await;
        }
    };
    match tls::finished_messages(R::ssl(&stream)) {
        Ok((local_finished, peer_finished)) => {
            report(&ctx, Input::TlsEstablished { conn, local_finished, peer_finished }).await
        }
        Err(e) => return report(&ctx, Input::TlsFailed { conn, error: e.to_string() }).await,
    }
    let (mut rd, mut wr) = stream.split();

    let mut tx = ctx.inputs.clone();
    let reader = async move {
        let mut buf = vec![0u8; MIN_READ_CHUNK];
        let error = loop {
            let (filled, end) = match rd.read(&mut buf).await {
                Ok(0) => break None,
                Ok(n) => fill_ready(&mut rd, &mut buf, n),
                Err(e) => break Some(e.to_string()),
            };
            if tx.send(Msg::Data { conn, bytes: buf[..filled].to_vec() }).await.is_err() {
                return;
            }
            if filled == buf.len() && buf.len() < READ_CHUNK {
                buf = vec![0u8; (buf.len() * 2).min(READ_CHUNK)];
            }
            if let Some(error) = end {
                break error;
            }
        };
        let _ = tx.send(Msg::Input(Input::Closed { conn, error })).await;
    };
    let (reader, abort) = future::abortable(reader);
    ctx.rt.spawn(Box::pin(async move {
        let _ = reader.await;
    }));

    let mut batch: Vec<u8> = Vec::new();
    while let Some(cmd) = wrx.next().await {
        let mut close = false;
        match cmd {
            WriteCmd::Data(data) => {
                // Everything already queued goes out in one write (up to WRITE_BATCH bytes):
                // full TLS records and one syscall per record instead of one per message.
                let unqueue = |len: usize| {
                    queued.bytes.fetch_sub(len, Ordering::Relaxed);
                    queued.messages.fetch_sub(1, Ordering::Relaxed);
                };
                unqueue(data.len());
                batch.clear();
                batch.extend_from_slice(&data);
                while batch.len() < WRITE_BATCH {
                    match wrx.try_recv() {
                        Ok(WriteCmd::Data(more)) => {
                            unqueue(more.len());
                            batch.extend_from_slice(&more);
                        }
                        Ok(WriteCmd::Close) => {
                            close = true;
                            break;
                        }
                        // Empty for now, or the driver is gone (the next `next()` sees that).
                        Err(_) => break,
                    }
                }
                if let Err(e) = wr.write_all(&batch).await {
                    report(&ctx, Input::Closed { conn, error: Some(e.to_string()) }).await;
                    break;
                }
                if batch.capacity() > 2 * WRITE_BATCH {
                    // One huge message must not pin its buffer for the connection's lifetime.
                    batch = Vec::new();
                }
            }
            WriteCmd::Close => close = true,
        }
        if close {
            // close() flushes, sends close_notify and shuts the TCP write side.
            let _ = deadline(&ctx.rt, Instant::now() + SHUTDOWN_FLUSH_TIMEOUT, wr.close()).await;
            break;
        }
    }
    abort.abort();
}

/// After a read of `n` bytes into `buf`, take whatever more the stream has ready without
/// waiting (TLS hands out at most one record per read), so the driver gets one message per
/// burst rather than one per record. Returns the bytes filled and, if the stream ended or
/// failed meanwhile, the `Closed` error to report after these bytes.
fn fill_ready<S: AsyncRead + Unpin>(
    rd: &mut S,
    buf: &mut [u8],
    mut n: usize,
) -> (usize, Option<Option<String>>) {
    while n < buf.len() {
        match rd.read(&mut buf[n..]).now_or_never() {
            Some(Ok(0)) => return (n, Some(None)),
            Some(Ok(m)) => n += m,
            Some(Err(e)) => return (n, Some(Some(e.to_string()))),
            None => break,
        }
    }
    (n, None)
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    /// A stream handing out at most `step` bytes per read (as TLS hands out one record), and
    /// `Pending` once `ready` bytes were read (the rest has not arrived yet).
    struct Records {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        ready: usize,
    }

    impl AsyncRead for Records {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            if self.pos >= self.ready && self.pos < self.data.len() {
                return Poll::Pending;
            }
            let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Poll::Ready(Ok(n))
        }
    }

    fn records(len: usize, ready: usize) -> Records {
        Records { data: (0..len).map(|i| i as u8).collect(), pos: 0, step: 1000, ready }
    }

    #[test]
    fn fill_ready_takes_ready_records_up_to_the_buffer_in_order() {
        let mut rd = records(10_000, 10_000);
        let mut buf = vec![0u8; MIN_READ_CHUNK];
        let first = rd.read(&mut buf).now_or_never().unwrap().unwrap();
        let (n, end) = fill_ready(&mut rd, &mut buf, first);
        assert_eq!((n, end), (MIN_READ_CHUNK, None), "stops at a full buffer, stream still open");
        assert!(buf.iter().enumerate().all(|(i, b)| *b == i as u8));
    }

    #[test]
    fn fill_ready_stops_at_pending_and_reports_eof_after_the_data() {
        let mut rd = records(10_000, 3000);
        let mut buf = vec![0u8; READ_CHUNK];
        let first = rd.read(&mut buf).now_or_never().unwrap().unwrap();
        assert_eq!(fill_ready(&mut rd, &mut buf, first), (3000, None));

        let mut rd = records(2500, 2500);
        let first = rd.read(&mut buf).now_or_never().unwrap().unwrap();
        assert_eq!(fill_ready(&mut rd, &mut buf, first), (2500, Some(None)), "EOF reported after the bytes");
    }

    #[test]
    fn applications_may_submit_only_application_inputs() {
        use protocol_core::messages::{proto, Message};
        let conn = ConnId(1);
        let ping = Message::Ping(proto::TmPing::default());
        assert!(is_application_input(&Input::Broadcast(ping.clone())));
        assert!(is_application_input(&Input::Send { conn, message: ping }));
        assert!(is_application_input(&Input::BootcacheLoaded(String::new())));
        let local = SocketAddr::from(([127, 0, 0, 1], 1));
        for driver_only in [
            Input::TcpConnected { conn, local },
            Input::ConnectFailed { conn, error: String::new() },
            Input::TlsEstablished { conn, local_finished: vec![0; 12], peer_finished: vec![0; 12] },
            Input::TlsFailed { conn, error: String::new() },
            Input::Closed { conn, error: None },
            Input::ProbeResult { probe: conn, reachable: true },
            Input::SendQueue { conn, messages: 0 },
        ] {
            assert!(!is_application_input(&driver_only), "{driver_only:?}");
        }
    }

    // The application queue is bounded, and large enough for a sender to keep a few hundred
    // 1 KiB messages in flight without waiting on it. Checked at compile time.
    const _: () = assert!(APP_INPUT_QUEUE >= INPUT_QUEUE && APP_INPUT_QUEUE <= 64 * 1024);

    // The read buffer doubles from MIN_READ_CHUNK up to READ_CHUNK; a write batch holds at
    // least a few full TLS records (16 KiB each). Checked at compile time.
    const _: () = assert!(MIN_READ_CHUNK.is_power_of_two() && READ_CHUNK.is_power_of_two());
    const _: () = assert!(MIN_READ_CHUNK >= 1024 && MIN_READ_CHUNK <= READ_CHUNK);
    const _: () = assert!(WRITE_BATCH >= 4 * 16 * 1024);
}
