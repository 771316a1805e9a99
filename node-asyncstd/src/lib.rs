//! The node on async-std (default feature) or smol (`--features smol`, async-std's maintained
//! successor) with async-openssl: [`Runtime`] implementations for node-common's driver over
//! `futures-io` streams, and signal handling via `async-signal`. Nothing else lives here.
//!
//! With both features on, the binary runs on smol.

use std::io;
use std::pin::Pin;
use std::process::ExitCode;

use async_openssl::SslStream;
use futures::io::{AsyncRead, AsyncWrite};
use futures::StreamExt;
use node_common::driver::{self, Runtime};
use openssl::ssl::Ssl;

#[cfg(not(any(feature = "async-std", feature = "smol")))]
compile_error!("node-asyncstd needs the `async-std` or the `smol` feature");

async fn tls_accept<S: AsyncRead + AsyncWrite + Unpin>(ssl: Ssl, tcp: S) -> Result<SslStream<S>, String> {
    let mut s = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut s).accept().await.map_err(|e| e.to_string())?;
    Ok(s)
}

async fn tls_connect<S: AsyncRead + AsyncWrite + Unpin>(ssl: Ssl, tcp: S) -> Result<SslStream<S>, String> {
    let mut s = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut s).connect().await.map_err(|e| e.to_string())?;
    Ok(s)
}

/// Implements [`Runtime`] for a runtime whose TCP types already speak `futures-io`.
macro_rules! futures_io_runtime {
    ($name:ident, $stream:ty, $listener:ty, spawn: $spawn:expr, timer: $timer:expr, listener: $from_std:expr,
     blocking: $blocking:path) => {
        impl Runtime for $name {
            type Tcp = $stream;
            type Listener = $listener;
            type Tls = SslStream<$stream>;

            fn spawn(&self, fut: driver::BoxFuture<'static, ()>) {
                ($spawn)(fut)
            }
            fn timer_at(&self, deadline: std::time::Instant) -> driver::BoxFuture<'static, ()> {
                ($timer)(deadline)
            }
            fn listener(&self, std: std::net::TcpListener) -> io::Result<$listener> {
                ($from_std)(std)
            }
            fn accept<'a>(
                &self,
                l: &'a $listener,
            ) -> driver::BoxFuture<'a, io::Result<($stream, std::net::SocketAddr)>> {
                Box::pin(l.accept())
            }
            fn connect(
                &self,
                addr: std::net::SocketAddr,
                from: Option<std::net::IpAddr>,
            ) -> driver::BoxFuture<'static, io::Result<$stream>> {
                let Some(from) = from else { return Box::pin(<$stream>::connect(addr)) };
                // No bind-before-connect here: connect on a blocking thread, then adopt it.
                Box::pin(async move {
                    let std = $blocking(move || {
                        driver::connect_from_blocking(addr, from, driver::TCP_CONNECT_TIMEOUT)
                    })
                    .await?;
                    <$stream>::try_from(std).map_err(|e| io::Error::other(e.to_string()))
                })
            }
            fn local_addr(tcp: &$stream) -> io::Result<std::net::SocketAddr> {
                tcp.local_addr()
            }
            fn set_nodelay(tcp: &$stream) -> io::Result<()> {
                tcp.set_nodelay(true)
            }
            fn tls_accept(
                &self,
                ssl: Ssl,
                tcp: $stream,
            ) -> driver::BoxFuture<'static, Result<Self::Tls, String>> {
                Box::pin(tls_accept(ssl, tcp))
            }
            fn tls_connect(
                &self,
                ssl: Ssl,
                tcp: $stream,
            ) -> driver::BoxFuture<'static, Result<Self::Tls, String>> {
                Box::pin(tls_connect(ssl, tcp))
            }
            fn ssl(tls: &Self::Tls) -> &openssl::ssl::SslRef {
                tls.ssl()
            }
        }
    };
}

/// async-std as a node-common [`Runtime`].
#[cfg(feature = "async-std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

#[cfg(feature = "async-std")]
futures_io_runtime!(
    AsyncStd,
    async_std::net::TcpStream,
    async_std::net::TcpListener,
    spawn: |fut| {
        async_std::task::spawn(fut);
    },
    timer: |deadline: std::time::Instant| -> driver::BoxFuture<'static, ()> {
        Box::pin(async_std::task::sleep(deadline.saturating_duration_since(std::time::Instant::now())))
    },
    listener: |std: std::net::TcpListener| Ok(async_std::net::TcpListener::from(std)),
    blocking: async_std::task::spawn_blocking
);

/// smol as a node-common [`Runtime`].
#[cfg(feature = "smol")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Smol;

#[cfg(feature = "smol")]
futures_io_runtime!(
    Smol,
    smol::net::TcpStream,
    smol::net::TcpListener,
    spawn: |fut| smol::spawn(fut).detach(),
    timer: |deadline: std::time::Instant| -> driver::BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::at(deadline).await;
        })
    },
    listener: smol::net::TcpListener::try_from,
    blocking: smol::unblock
);

/// Completes on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use async_signal::{Signal, Signals};
    match Signals::new([Signal::Int, Signal::Term]) {
        Ok(mut signals) => {
            let _ = signals.next().await;
            tracing::info!("stop signal received");
        }
        Err(e) => {
            tracing::warn!("cannot watch SIGINT/SIGTERM ({e}); the node runs until killed");
            futures::future::pending::<()>().await;
        }
    }
}

/// The binary's `main`: shared CLI, shared start-up, the driver on smol or async-std.
pub fn main() -> ExitCode {
    node_common::cli::main_with(|cli| node_common::node::run_main(cli, run))
}

#[cfg(feature = "smol")]
fn run(setup: node_common::node::NodeSetup) -> Result<(), driver::RunError> {
    smol::block_on(driver::run(Smol, setup, shutdown_signal()))
}

#[cfg(all(feature = "async-std", not(feature = "smol")))]
fn run(setup: node_common::node::NodeSetup) -> Result<(), driver::RunError> {
    block_on_spawned(driver::run(AsyncStd, setup, shutdown_signal()))
}

/// Run the driver future `node` as an async-std task, not on the thread calling `block_on`:
/// the driver and its connections' tasks then share the executor's threads, so waking one
/// another does not cross to a thread of its own each time (ci/bench `relay_asyncstd`).
#[cfg(feature = "async-std")]
pub fn block_on_spawned<F>(node: F) -> Result<(), driver::RunError>
where
    F: std::future::Future<Output = Result<(), driver::RunError>> + Send + 'static,
{
    async_std::task::block_on(async_std::task::spawn(node))
}
