//! The accept loop of a listener: at most `max_connections` connections at
//! once (further ones wait in the kernel's backlog instead of using up the
//! process's descriptors), each served by hyper's HTTP/1 with a deadline on
//! every request head (which also closes idle keep-alive connections), and
//! a bounded drain on shutdown: no new connections, requests in flight get
//! `shutdown_drain`, then whatever is still open is closed.
//!
//! With TLS, the handshake runs in the connection's task: it holds a place
//! under the cap and must finish within the head deadline, so stalled
//! handshakes cannot pile up; a client that is not speaking TLS (plain HTTP
//! to an HTTPS port) fails its handshake and is closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::tls::Certificates;
use crate::config::HttpSettings;

/// Serves `router` on `listener` (over TLS with `tls`: each connection
/// gets the current certificate) until `shutdown` resolves, then drains.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    settings: HttpSettings,
    tls: Option<Arc<Certificates>>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let (closing, close) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Finished connections are reaped as we go.
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_closed) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(router.clone());
        let mut close = close.clone();
        let head_timeout = settings.head_timeout;
        let acceptor = tls.as_ref().map(|certificates| certificates.acceptor());
        connections.spawn(async move {
            let _slot = slot;
            let Some(acceptor) = acceptor else {
                return serve_connection(stream, service, head_timeout, close).await;
            };
            let handshake = tokio::time::timeout(head_timeout, acceptor.accept(stream));
            let stream = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(err)) => {
                        tracing::debug!(error = %err, "connection closed: TLS handshake failed");
                        return;
                    }
                    Err(_elapsed) => {
                        tracing::debug!("connection closed: no TLS handshake within the deadline");
                        return;
                    }
                },
                _ = close.wait_for(|closing| *closing) => return,
            };
            serve_connection(stream, service, head_timeout, close).await;
        });
    }
    drop(listener);
    let _ = closing.send(true);
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            connections = open,
            drain_ms = settings.shutdown_drain.as_millis() as u64,
            "draining connections"
        );
    }
    let drained = tokio::time::timeout(settings.shutdown_drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "connections still open after the drain time are closed"
        );
        connections.shutdown().await;
    }
}

/// Serves one connection with hyper's HTTP/1 until it ends, or gracefully
/// once `close` turns true.
async fn serve_connection<I>(
    stream: I,
    service: TowerToHyperService<Router>,
    head_timeout: Duration,
    mut close: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_connection_end(result),
        _ = async { close.wait_for(|closing| *closing).await.is_ok() } => {
            // Finishes the request in flight, then closes; an idle
            // connection closes at once.
            connection.as_mut().graceful_shutdown();
            log_connection_end(connection.await);
        }
    }
}

/// A failed `accept`: a connection reset before it was accepted is nothing;
/// anything else (out of descriptors, say) is logged and retried after a
/// pause, so the loop does not spin.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accept failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(err) = result {
        if err.is_timeout() {
            tracing::debug!("connection closed: no request head within the deadline");
        } else {
            tracing::debug!(error = %err, "connection closed with an error");
        }
    }
}
