//! `relay_tokio`, `relay_asyncstd`: 1 KiB TMTransaction messages per second between two nodes
//! over TLS on loopback, against one raw OpenSSL stream between two plain threads moving the same
//! frames in the same run (issue 8, goal ratio >= 0.7).
//!
//! The two nodes, A and B, run in this process on the chosen runtime, A dialling B through
//! `[ips_fixed]`. A's application (this program, through the driver's embedding hook) broadcasts
//! distinct transactions (`Input::Broadcast`: unique hashes, so duplicate suppression lets every
//! one through); A frames them and sends them over its one TLS link; B's application counts the
//! `OverlayEvent::Message`s it sees. The baseline writes the same frames, one `SSL_write` each,
//! into one TLS stream and counts them out of the other end.
//!
//! Reading the ratio: the baseline writes one frame per `SSL_write` and its reader wakes for
//! what each write delivers, so it is bound by wake-up latency more than by bandwidth. On this
//! 2-core machine it measured ~250-280k msg/s while other jobs kept the CPUs busy and
//! ~135-160k msg/s on an idle machine (the nodes, which batch their writes, went the other way:
//! ~155k busy, ~250k idle). Compare runs made under similar load.
//!
//! Flow control is a credit window: the sender may be at most [`WINDOW`] messages ahead of what
//! the counter received, so queues stay bounded (no "large send queue" drop, no memory growth)
//! and the rate is what the path sustains.
//!
//! Resource charges: B charges A one unit (`Charge::TrivialPeer`) per transaction, keyed by A's
//! address; the balance is raw units / 32 with a 32 s decay, so A is dropped after about
//! `DROP_THRESHOLD * DECAY_WINDOW_SECS` = 800,000 messages in a short burst. One round sends for
//! about 2 s, which stays below that up to ~400k msg/s, and each round starts fresh nodes on
//! fresh 127.x addresses so charges never carry over; a disconnect during a round fails the run
//! with its reason instead of reporting a rate.
//!
//! `relay_tokio_3hop`, `relay_asyncstd_3hop` (the earlier workload, kept for comparison): an
//! injecting test peer → A → B → a counting test peer, three TLS links against the one of the
//! same baseline.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use conformance::peer::Tls;
use futures::SinkExt;
use node_common::driver;
use openssl::ssl::{SslAcceptor, SslConnector};
use protocol_core::framing::{encode_frame, FrameDecoder, FrameOptions};
use protocol_core::messages::{proto, Message, MessageType};
use protocol_core::overlay::{Input, OverlayEvent};
use protocol_core::Network;

use crate::common::{
    emit, fail, free_port, fresh_plan, median, tls_contexts, upgrade_from, BenchError, Flavor, InProcessNode,
    Result, IO_TIMEOUT,
};

/// Frame size on the wire, header included.
pub const FRAME_BYTES: usize = 1024;
/// Messages the injector may be ahead of the counter.
pub const WINDOW: u64 = 1024;
/// Measured time per round and path.
pub const MEASURE: Duration = Duration::from_millis(1500);
/// Rounds; each round times the baseline and both runtimes, in rotating order.
pub const ROUNDS: usize = 7;
/// Bytes at the start of the raw transaction that carry the message number (unique hashes, so
/// the nodes' duplicate suppression lets every message through).
const SEQ_BYTES: usize = 8;

/// A 1 KiB TMTransaction frame and the offset of its message-number bytes.
pub fn template() -> (Vec<u8>, usize) {
    let (frame, off, _) = template_parts();
    (frame, off)
}

/// The transaction `seq`: the template's message with `seq` in its first [`SEQ_BYTES`] bytes
/// (framed, exactly the frame the baseline writes).
fn transaction(raw: &[u8], seq: u64) -> Message {
    let mut raw = raw.to_vec();
    raw[..SEQ_BYTES].copy_from_slice(&seq.to_le_bytes());
    Message::Transaction(proto::TmTransaction {
        raw_transaction: Some(raw),
        status: Some(proto::TransactionStatus::TsNew as i32),
        receive_timestamp: None,
        deferred: None,
    })
}

/// The template frame, the offset of its raw transaction, and the raw transaction.
fn template_parts() -> (Vec<u8>, usize, Vec<u8>) {
    let build = |raw_len: usize| {
        let mut x: u32 = 0x9e37_79b9;
        let raw: Vec<u8> = (0..raw_len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let msg = Message::Transaction(proto::TmTransaction {
            raw_transaction: Some(raw.clone()),
            status: Some(proto::TransactionStatus::TsNew as i32),
            receive_timestamp: None,
            deferred: None,
        });
        let mut out = Vec::new();
        let _ = encode_frame(
            MessageType::Transaction.number(),
            &msg.encode_payload(),
            &FrameOptions::modern(false),
            &mut out,
        );
        (out, raw)
    };
    let overhead = build(1000).0.len() - 1000;
    let (frame, raw) = build(FRAME_BYTES - overhead);
    let offset = frame.windows(raw.len()).position(|w| w == raw.as_slice()).unwrap_or(0);
    (frame, offset, raw)
}

/// Credits a blocked sender waits for before it resumes: waking it per returned credit would
/// cost a futex wake per message on the counting side (std's `notify_one` is a syscall).
const RESUME: u64 = WINDOW / 4;
// The sender blocks on credits, never on the node's bounded application queue (whose wake-ups
// per freed slot would be part of the measurement).
const _: () = assert!(WINDOW <= driver::APP_INPUT_QUEUE as u64 && RESUME > 0);

/// The credit window shared by sender and counter: free credits, and whether the sender waits.
#[derive(Default)]
struct Credits {
    state: Mutex<(u64, bool)>,
    cv: Condvar,
}

impl Credits {
    fn give(&self, n: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.0 += n;
            if s.1 && s.0 >= RESUME {
                s.1 = false;
                self.cv.notify_one();
            }
        }
    }

    /// Take one credit; false when none came within 50 ms (the caller checks its stop flag).
    fn take(&self) -> bool {
        let Ok(mut s) = self.state.lock() else { return false };
        if s.0 == 0 {
            s.1 = true;
            while s.1 {
                match self.cv.wait_timeout(s, Duration::from_millis(50)) {
                    Ok((g, t)) if t.timed_out() => {
                        s = g;
                        s.1 = false;
                    }
                    Ok((g, _)) => s = g,
                    Err(_) => return false,
                }
            }
            if s.0 == 0 {
                return false;
            }
        }
        s.0 -= 1;
        true
    }
}

struct Shared {
    received: AtomicU64,
    credits: Credits,
    stop: AtomicBool,
}

/// Write numbered copies of the template, one `SSL_write` each (as a simple program would),
/// up to `limit` and until `stop`.
fn inject(s: &mut Tls, shared: &Shared, first: u64, limit: u64) -> io::Result<u64> {
    let (mut frame, off) = template();
    let mut n = 0u64;
    while n < limit && !shared.stop.load(Ordering::Relaxed) {
        frame[off..off + SEQ_BYTES].copy_from_slice(&(first + n).to_le_bytes());
        s.write_all(&frame)?;
        n += 1;
    }
    Ok(n)
}

/// Count TMTransaction frames until `stop` or EOF, returning credits as they arrive.
fn count(mut s: Tls, mut dec: FrameDecoder, shared: Arc<Shared>) {
    let _ = s.get_ref().set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = vec![0u8; 64 * 1024];
    let tx = MessageType::Transaction.number();
    // Frames already buffered with the handshake reply.
    let mut input: &[u8] = &[];
    loop {
        let mut k = 0u64;
        loop {
            match dec.decode_next(&mut input) {
                Ok(Some(f)) if f.message_type == tx => k += 1,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if k > 0 {
            shared.received.fetch_add(k, Ordering::Relaxed);
            shared.credits.give(k);
        }
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => input = &buf[..n],
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                input = &[];
            }
            Err(_) => return,
        }
    }
}

fn new_shared() -> Arc<Shared> {
    Arc::new(Shared {
        received: AtomicU64::new(0),
        credits: Credits::default(),
        stop: AtomicBool::new(false),
    })
}

/// Messages per second over [`MEASURE`]: `send(seq)` runs in its own thread, one call per
/// credit, while this one samples `shared.received` (fed by whoever counts arrivals).
fn timed<S>(shared: &Arc<Shared>, first_seq: u64, mut send: S) -> Result<f64>
where
    S: FnMut(u64) -> Result<()> + Send + 'static,
{
    shared.credits.give(WINDOW);
    let sending = {
        let shared = shared.clone();
        std::thread::spawn(move || -> Result<()> {
            let mut seq = first_seq;
            while !shared.stop.load(Ordering::Relaxed) {
                if shared.credits.take() {
                    send(seq)?;
                    seq += 1;
                }
            }
            Ok(())
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let (c0, t0) = (shared.received.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(MEASURE);
    let (c1, t1) = (shared.received.load(Ordering::Relaxed), Instant::now());
    shared.stop.store(true, Ordering::Relaxed);
    sending.join().map_err(|_| BenchError::Failed("sender panicked".into()))??;
    Ok((c1 - c0) as f64 / (t1 - t0).as_secs_f64())
}

/// Messages per second over [`MEASURE`] through an established injector → counter path.
/// `warm_up`: send single messages until the first arrives (the node-to-node link comes up
/// asynchronously; messages sent before it is active are not relayed later).
fn measure(mut injector: Tls, sink: Tls, sink_dec: FrameDecoder, warm_up: bool) -> Result<f64> {
    let shared = new_shared();
    let counter = {
        let shared = shared.clone();
        std::thread::spawn(move || count(sink, sink_dec, shared))
    };
    let result = (|| {
        let mut seq = 1u64 << 40;
        if warm_up {
            let deadline = Instant::now() + IO_TIMEOUT;
            while shared.received.load(Ordering::Relaxed) == 0 {
                if Instant::now() > deadline {
                    return fail("no message crossed the two nodes within the warm-up deadline");
                }
                seq += inject(&mut injector, &shared, seq, 1)?;
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let (mut frame, off) = template();
        timed(&shared, seq, move |seq| {
            frame[off..off + SEQ_BYTES].copy_from_slice(&seq.to_le_bytes());
            Ok(injector.write_all(&frame)?)
        })
    })();
    shared.stop.store(true, Ordering::Relaxed);
    let _ = counter.join();
    result
}

/// The baseline: one TLS stream between two threads of this process, same injector, same counter.
fn baseline(acceptor: &SslAcceptor, connector: &SslConnector) -> Result<f64> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    let acceptor = acceptor.clone();
    let server = std::thread::spawn(move || -> Result<Tls> {
        let (tcp, _) = listener.accept()?;
        tcp.set_nodelay(true)?;
        let ssl = node_common::tls::server_ssl(&acceptor).map_err(|e| BenchError::Failed(e.to_string()))?;
        openssl::ssl::Ssl::accept(ssl, tcp)
            .map_err(|e| BenchError::Failed(format!("baseline TLS accept: {e}")))
    });
    let injector =
        crate::common::tls_from(Ipv4Addr::LOCALHOST.into(), addr, connector, Instant::now() + IO_TIMEOUT)?;
    let sink = server.join().map_err(|_| BenchError::Failed("baseline server panicked".into()))??;
    measure(injector, sink, FrameDecoder::new(FrameOptions::modern(false)), false)
}

/// Two fresh nodes on `127.2.<round>.x`, A dialling B (fixed peer); A's application broadcasts,
/// B's counts.
fn two_nodes(flavor: Flavor, dirs: &[tempfile::TempDir; 2], round: u8) -> Result<f64> {
    let ip = |last: u8| -> IpAddr { Ipv4Addr::new(127, 2, round, last).into() };
    let b_addr = SocketAddr::new(ip(2), free_port(ip(2))?);
    let a_addr = SocketAddr::new(ip(1), free_port(ip(1))?);
    let shared = new_shared();
    // Why either side lost the link, if it did: a measurement over a dropped link is void.
    let dropped: Arc<Mutex<Option<String>>> = Arc::default();
    let active = Arc::new(AtomicBool::new(false));
    let note_drop = |dropped: &Arc<Mutex<Option<String>>>, who: &'static str| {
        let dropped = dropped.clone();
        move |reason: String| {
            if let Ok(mut d) = dropped.lock() {
                d.get_or_insert(format!("{who}: {reason}"));
            }
        }
    };
    let b_embedding = {
        let (shared, on_drop) = (shared.clone(), note_drop(&dropped, "B dropped A"));
        driver::Embedding::default().on_event(move |ev| match ev {
            OverlayEvent::Message { message: Message::Transaction(_), .. } => {
                shared.received.fetch_add(1, Ordering::Relaxed);
                shared.credits.give(1);
            }
            OverlayEvent::PeerDisconnected { reason, .. } => on_drop(reason.to_string()),
            _ => {}
        })
    };
    let mut a_embedding = {
        let (active, on_drop) = (active.clone(), note_drop(&dropped, "A dropped B"));
        driver::Embedding::default().on_event(move |ev| match ev {
            OverlayEvent::PeerActivated { .. } => active.store(true, Ordering::Relaxed),
            OverlayEvent::PeerDisconnected { reason, .. } => on_drop(reason.to_string()),
            _ => {}
        })
    };
    let app = a_embedding.inputs();
    let mut b = InProcessNode::start_embedded(flavor, dirs[1].path(), b_addr, &[], "", b_embedding)?;
    let mut a = InProcessNode::start_embedded(flavor, dirs[0].path(), a_addr, &[b_addr], "", a_embedding)?;
    let r = (|| {
        let (_, _, raw) = template_parts();
        let mut app = app;
        let mut broadcast = move |seq: u64| -> Result<()> {
            futures::executor::block_on(app.send(Input::Broadcast(transaction(&raw, seq))))
                .map_err(|_| BenchError::Failed("node A stopped taking inputs".into()))
        };
        // Warm-up: A broadcasts once its link is active; B may activate a moment later, so
        // single messages go until the first arrives.
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut seq = 1u64 << 40;
        while shared.received.load(Ordering::Relaxed) == 0 {
            if Instant::now() > deadline {
                return fail("no message crossed the two nodes within the warm-up deadline");
            }
            if active.load(Ordering::Relaxed) {
                broadcast(seq)?;
                seq += 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let rate = timed(&shared, seq, broadcast)?;
        match dropped.lock().ok().and_then(|d| d.clone()) {
            Some(why) => fail(format!("the A-B link went down during the measurement ({why})")),
            None => Ok(rate),
        }
    })();
    let stopped = a.stop().and(b.stop());
    let rate = r?;
    stopped?;
    Ok(rate)
}

/// Two fresh nodes on `127.1.<round>.x`, A dialling B (fixed peer); injector on A, counter on B.
fn three_hops(
    flavor: Flavor,
    dirs: &[tempfile::TempDir; 2],
    round: u8,
    connector: &SslConnector,
) -> Result<f64> {
    let ip = |last: u8| -> IpAddr { Ipv4Addr::new(127, 1, round, last).into() };
    let b_addr = SocketAddr::new(ip(2), free_port(ip(2))?);
    let a_addr = SocketAddr::new(ip(1), free_port(ip(1))?);
    // Room for the test peers next to the node-to-node link; no automatic dialling beyond it.
    let extra = "[peers_max]\n21\n";
    let mut b = InProcessNode::start(flavor, dirs[1].path(), b_addr, &[], extra)?;
    let mut a = InProcessNode::start(flavor, dirs[0].path(), a_addr, &[b_addr], extra)?;
    let r = (|| {
        let sink = upgrade_from(ip(4), b_addr, connector, &fresh_plan(Network::Xrpl))?;
        let injector = upgrade_from(ip(3), a_addr, connector, &fresh_plan(Network::Xrpl))?;
        measure(injector.stream, sink.stream, sink.decoder, true)
    })();
    let stopped = a.stop().and(b.stop());
    let rate = r?;
    stopped?;
    Ok(rate)
}

/// Which workload [`run`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Application → A → B → application: `relay_tokio`, `relay_asyncstd`.
    TwoNodes,
    /// Test peer → A → B → test peer: `relay_tokio_3hop`, `relay_asyncstd_3hop`.
    ThreeHops,
}

pub fn run(workload: Workload) -> Result<()> {
    let (acceptor, connector) = tls_contexts()?;
    let dirs = |_| -> Result<[tempfile::TempDir; 2]> { Ok([tempfile::tempdir()?, tempfile::tempdir()?]) };
    let (tokio_dirs, async_dirs) = (dirs(())?, dirs(())?);
    let nodes = |flavor: Flavor, dirs: &[tempfile::TempDir; 2], round: u8| match workload {
        Workload::TwoNodes => two_nodes(flavor, dirs, round),
        Workload::ThreeHops => three_hops(flavor, dirs, round, &connector),
    };
    let (mut base, mut tok, mut asy) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Rotate the order so no path always runs first (or after the same one).
        for k in 0..3 {
            match (round + k) % 3 {
                0 => base.push(baseline(&acceptor, &connector)?),
                1 => tok.push(nodes(Flavor::Tokio, &tokio_dirs, (2 * round + 1) as u8)?),
                _ => asy.push(nodes(Flavor::AsyncStd, &async_dirs, (2 * round + 2) as u8)?),
            }
        }
        eprintln!(
            "relay ({workload:?}) round {round}: baseline {:.0}, tokio {:.0}, asyncstd {:.0} msg/s",
            base.last().copied().unwrap_or(0.0),
            tok.last().copied().unwrap_or(0.0),
            asy.last().copied().unwrap_or(0.0)
        );
    }
    let (b, t, a) = (median(base), median(tok), median(asy));
    let suffix = match workload {
        Workload::TwoNodes => "",
        Workload::ThreeHops => "_3hop",
    };
    emit(&format!("relay_tokio{suffix}"), t, "msg/s", b, t / b);
    emit(&format!("relay_asyncstd{suffix}"), a, "msg/s", b, a / b);
    emit(&format!("relay_asyncstd_vs_tokio{suffix}"), a, "msg/s", t, a / t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedding hook end to end on both runtimes: every distinct transaction A's
    /// application broadcasts reaches B's application exactly once, and an input only the driver
    /// may report is ignored (the node keeps running). Bounded by deadlines, not sleeps.
    #[test]
    fn embedded_nodes_deliver_every_broadcast_once() {
        const N: u64 = 200;
        for (k, flavor) in [Flavor::Tokio, Flavor::AsyncStd].into_iter().enumerate() {
            let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
            let ip = |last: u8| -> IpAddr { Ipv4Addr::new(127, 3, k as u8, last).into() };
            let b_addr = SocketAddr::new(ip(2), free_port(ip(2)).unwrap());
            let a_addr = SocketAddr::new(ip(1), free_port(ip(1)).unwrap());
            let received = Arc::new(AtomicU64::new(0));
            // A's connection id of its link to B, once active (+1, so 0 means not yet).
            let active = Arc::new(AtomicU64::new(0));
            let b_emb = {
                let received = received.clone();
                driver::Embedding::default().on_event(move |ev| {
                    if let OverlayEvent::Message { message: Message::Transaction(_), .. } = ev {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                })
            };
            let mut a_emb = {
                let active = active.clone();
                driver::Embedding::default().on_event(move |ev| {
                    if let OverlayEvent::PeerActivated { conn, .. } = ev {
                        active.store(conn.0 + 1, Ordering::Relaxed);
                    }
                })
            };
            let mut app = a_emb.inputs();
            let mut b =
                InProcessNode::start_embedded(flavor, dirs[1].path(), b_addr, &[], "", b_emb).unwrap();
            let mut a =
                InProcessNode::start_embedded(flavor, dirs[0].path(), a_addr, &[b_addr], "", a_emb).unwrap();
            let (_, _, raw) = template_parts();
            let mut send = |input: Input| futures::executor::block_on(app.send(input)).unwrap();
            let wait_for = |what: &str, done: &dyn Fn() -> bool| {
                let deadline = Instant::now() + IO_TIMEOUT;
                while !done() {
                    assert!(Instant::now() < deadline, "{flavor:?}: {what} within {IO_TIMEOUT:?}");
                    std::thread::sleep(Duration::from_millis(10));
                }
            };
            wait_for("A activated its link to B", &|| active.load(Ordering::Relaxed) > 0);
            // B may activate A a moment after A activated B: single messages until one arrives.
            let deadline = Instant::now() + IO_TIMEOUT;
            let mut seq = 0;
            while received.load(Ordering::Relaxed) == 0 {
                assert!(Instant::now() < deadline, "{flavor:?}: no message reached B");
                send(Input::Broadcast(transaction(&raw, seq)));
                seq += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(100));
            let before = received.load(Ordering::Relaxed);
            // A forged report that the link closed: ignored, or the messages below would not go.
            let link = protocol_core::overlay::ConnId(active.load(Ordering::Relaxed) - 1);
            send(Input::Closed { conn: link, error: None });
            for i in 0..N {
                send(Input::Broadcast(transaction(&raw, seq + i)));
            }
            // A repeat is suppressed by A's HashRouter: it must not arrive again.
            send(Input::Broadcast(transaction(&raw, seq)));
            wait_for("every broadcast", &|| received.load(Ordering::Relaxed) >= before + N);
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(received.load(Ordering::Relaxed), before + N, "{flavor:?}: each exactly once");
            a.stop().unwrap();
            b.stop().unwrap();
        }
    }
}
