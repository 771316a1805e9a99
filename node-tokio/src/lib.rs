//! The node on tokio + tokio-openssl: a [`Runtime`] implementation for node-common's driver, plus
//! signal handling. Owns nothing else: configuration, the loop and every protocol rule are shared.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Instant;

use node_common::driver::{self, BoxFuture, Runtime};
use openssl::ssl::{Ssl, SslRef};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_openssl::SslStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// tokio as a node-common [`Runtime`]. Must be used from inside a tokio runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = TcpStream;
    type Listener = TcpListener;
    type Tls = Compat<SslStream<TcpStream>>;

    fn spawn(&self, fut: BoxFuture<'static, ()>) {
        tokio::spawn(fut);
    }

    fn timer_at(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    fn listener(&self, std: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(std)
    }

    fn accept<'a>(&self, l: &'a TcpListener) -> BoxFuture<'a, io::Result<(TcpStream, SocketAddr)>> {
        Box::pin(l.accept())
    }

    fn connect(&self, addr: SocketAddr, from: Option<IpAddr>) -> BoxFuture<'static, io::Result<TcpStream>> {
        Box::pin(async move {
            let sock = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
            if let Some(ip) = from {
                sock.bind(SocketAddr::new(ip, 0))?;
            }
            sock.connect(addr).await
        })
    }

    fn local_addr(tcp: &TcpStream) -> io::Result<SocketAddr> {
        tcp.local_addr()
    }

    fn set_nodelay(tcp: &TcpStream) -> io::Result<()> {
        tcp.set_nodelay(true)
    }

    fn tls_accept(&self, ssl: Ssl, tcp: TcpStream) -> BoxFuture<'static, Result<Self::Tls, String>> {
        Box::pin(async move {
            let mut s = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
            Pin::new(&mut s).accept().await.map_err(|e| e.to_string())?;
            Ok(s.compat())
        })
    }

    fn tls_connect(&self, ssl: Ssl, tcp: TcpStream) -> BoxFuture<'static, Result<Self::Tls, String>> {
        Box::pin(async move {
            let mut s = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
            Pin::new(&mut s).connect().await.map_err(|e| e.to_string())?;
            Ok(s.compat())
        })
    }

    fn ssl(tls: &Self::Tls) -> &SslRef {
        tls.get_ref().ssl()
    }
}

/// Completes on the first SIGINT or SIGTERM (Ctrl-C only where there is no SIGTERM).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM ({e}); only Ctrl-C stops the node");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stop signal received");
}

/// Run the driver future `node` on `rt` as a spawned task, not on the thread calling
/// `block_on`: the driver and its connections' reader/writer tasks then share the worker
/// threads, so the wake-ups between them (several per burst of messages) stay on a worker
/// instead of crossing to a thread of their own each time (ci/bench `relay_tokio`).
pub fn block_on_spawned<F>(rt: &tokio::runtime::Runtime, node: F) -> Result<(), driver::RunError>
where
    F: std::future::Future<Output = Result<(), driver::RunError>> + Send + 'static,
{
    rt.block_on(async move {
        match tokio::spawn(node).await {
            Ok(r) => r,
            Err(e) => Err(driver::RunError::Runtime(format!("the driver task failed: {e}"))),
        }
    })
}

/// The binary's `main`: shared CLI, shared start-up, the driver on a multi-threaded tokio runtime.
pub fn main() -> ExitCode {
    node_common::cli::main_with(|cli| {
        node_common::node::run_main(cli, |setup| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|source| driver::RunError::Runtime(source.to_string()))?;
            block_on_spawned(&rt, driver::run(Tokio, setup, shutdown_signal()))
        })
    })
}
