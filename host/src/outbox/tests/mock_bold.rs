//! A mock of Bold's API on 127.0.0.1: records every request and answers
//! from a per-entity script (default: 202 with an empty body).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Method.
    pub method: Method,
    /// Path.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: String,
    /// `platform_id` from the body.
    pub platform_id: String,
}

impl Received {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// `Retry-After` header.
    pub retry_after: Option<&'static str>,
    /// Body.
    pub body: &'static str,
    /// Wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// A status with an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            body: "",
            delay: Duration::ZERO,
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    script: Mutex<HashMap<String, VecDeque<Reply>>>,
    active: Mutex<HashMap<String, usize>>,
    overlaps: AtomicUsize,
}

/// The running mock.
#[derive(Debug)]
pub struct MockBold {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for MockBold {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MockBold {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
            server,
        }
    }

    /// Answers the next requests for `platform_id` with `replies`, in order.
    pub fn script(&self, platform_id: &str, replies: Vec<Reply>) {
        self.shared
            .script
            .lock()
            .unwrap()
            .insert(platform_id.into(), replies.into());
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Requests so far for `platform_id`.
    pub fn received_for(&self, platform_id: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.platform_id == platform_id)
            .collect()
    }

    /// How many times two requests for one entity were in progress at once.
    pub fn overlaps(&self) -> usize {
        self.shared.overlaps.load(Ordering::SeqCst)
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let platform_id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["platform_id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    shared.received.lock().unwrap().push(Received {
        at: Instant::now(),
        method,
        path: uri.path().to_owned(),
        headers,
        body,
        platform_id: platform_id.clone(),
    });
    {
        let mut active = shared.active.lock().unwrap();
        let n = active.entry(platform_id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            shared.overlaps.fetch_add(1, Ordering::SeqCst);
        }
    }
    let reply = shared
        .script
        .lock()
        .unwrap()
        .get_mut(&platform_id)
        .and_then(VecDeque::pop_front)
        .unwrap_or_else(|| Reply::status(202));
    let guard = Active {
        shared: Arc::clone(&shared),
        platform_id,
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    drop(guard);
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        reply.body.to_owned(),
    )
        .into_response();
    if let Some(after) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static(after));
    }
    response
}

/// Counts a request as in progress until dropped (also when the client gave
/// up and the handler was cancelled).
struct Active {
    shared: Arc<Shared>,
    platform_id: String,
}

impl Drop for Active {
    fn drop(&mut self) {
        if let Some(n) = self
            .shared
            .active
            .lock()
            .unwrap()
            .get_mut(&self.platform_id)
        {
            *n -= 1;
        }
    }
}
