//! A mock of Bold's API on 127.0.0.1: records every request it receives
//! ([`Received`]) and answers each from a script ([`Reply`]): a status with
//! an optional `Retry-After` and body, after an optional delay, or the
//! connection dropped without an answer. By default every request gets
//! 202 with an empty body.
//!
//! The reply to a request is the first of:
//!
//! 1. the next reply scripted for its entity ([`MockBold::script_for`]), the
//!    entity being the request's [`Received::platform_id`];
//! 2. the next reply scripted for any request ([`MockBold::script`]);
//! 3. the default ([`MockBold::set_default`]);
//! 4. 202.
//!
//! ```no_run
//! # async fn example() {
//! use std::time::Duration;
//! use test_support::mock_bold::{MockBold, Reply};
//!
//! let bold = MockBold::start().await;
//! bold.script_for("7", vec![Reply::too_many_requests("1"), Reply::status(500)]);
//! bold.script([Reply::dropped(), Reply::delayed(Duration::from_millis(100))]);
//! // ... point the code under test at `bold.url()` ...
//! let received = bold.wait_for(Duration::from_secs(10), |r| r.len() >= 4).await;
//! assert_eq!(bold.received_for("7").len(), 2);
//! assert_eq!(received[0].header("idempotency-key"), Some("..."));
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Method.
    pub method: Method,
    /// Path (without the query), e.g. `/platform_connector/shop/customers/saved`.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as received (lossy UTF-8).
    pub body: String,
    /// The body parsed as JSON (`Null` if it is not JSON).
    pub json: Value,
    /// The entity the request is about: the body's top-level `platform_id`,
    /// else the [`entity`](Self::entity)'s `platform_id`, else empty.
    pub platform_id: String,
    /// The status it was answered with; `None` while a delayed answer is
    /// pending, and for good if the client gave up first or the
    /// connection was dropped.
    pub status: Option<u16>,
}

impl Received {
    /// A header's value as text (`None`: absent or not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The entity in a Bold notification, `{"data": {"<entity>": {...}}}`
    /// (`Null` if the body has no such shape).
    pub fn entity(&self) -> &Value {
        self.json["data"]
            .as_object()
            .and_then(|o| o.values().next())
            .unwrap_or(&Value::Null)
    }

    /// Whether it was answered with a 2xx.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What the mock does with a request: answer `status` with `body` and
/// `Retry-After: <retry_after>` after `delay`, or, with `drop_connection`,
/// close the connection without an answer (after `delay`).
///
/// Build one with a constructor and change fields with struct update
/// syntax: `Reply { body: "oops", ..Reply::status(500) }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// `Retry-After` header, verbatim (seconds or an HTTP date).
    pub retry_after: Option<&'static str>,
    /// Body.
    pub body: &'static str,
    /// Wait before answering (a client that gives up first gets nothing).
    pub delay: Duration,
    /// Close the connection without an answer instead.
    pub drop_connection: bool,
}

impl Reply {
    /// `status` with an empty body, at once.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            body: "",
            delay: Duration::ZERO,
            drop_connection: false,
        }
    }

    /// 202, the default answer.
    pub fn accepted() -> Self {
        Self::status(202)
    }

    /// 429 with `Retry-After: <retry_after>`.
    pub fn too_many_requests(retry_after: &'static str) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::status(429)
        }
    }

    /// 202 after `delay` (never, if the client gives up first).
    pub fn delayed(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::accepted()
        }
    }

    /// The connection closed without an answer.
    pub fn dropped() -> Self {
        Self {
            drop_connection: true,
            ..Self::status(0)
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Per entity (`platform_id`).
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    /// For any request.
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Option<Reply>>,
    /// Requests in progress per entity.
    active: Mutex<HashMap<String, usize>>,
    overlaps: AtomicUsize,
}

impl Shared {
    fn next_reply(&self, platform_id: &str) -> Reply {
        lock(&self.scripts)
            .get_mut(platform_id)
            .and_then(VecDeque::pop_front)
            .or_else(|| lock(&self.script).pop_front())
            .or_else(|| lock(&self.default).clone())
            .unwrap_or_else(Reply::accepted)
    }
}

/// Stops the server when the last handle to the mock goes.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The running mock (a clone is another handle to the same mock; the
/// server stops when the last one is dropped).
#[derive(Debug, Clone)]
pub struct MockBold {
    /// Its address, 127.0.0.1 and a free port.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _server: Arc<AbortOnDrop>,
}

impl MockBold {
    /// Starts the mock on a free port of 127.0.0.1, on the current tokio
    /// runtime.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the mock Bold API");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            shared,
            _server: Arc::new(AbortOnDrop(server)),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next requests for entity `platform_id` get `replies`, in order
    /// (replacing what was left of its script); after them, requests for
    /// it are answered like any other.
    pub fn script_for(&self, platform_id: &str, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.shared.scripts).insert(platform_id.into(), replies.into_iter().collect());
    }

    /// The next requests (of any entity without a script of its own) get
    /// `replies`, in order, after any replies scripted before; then the
    /// default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.shared.script).extend(replies);
    }

    /// What requests get once the scripts are used up (`None`: 202).
    pub fn set_default(&self, reply: Option<Reply>) {
        *lock(&self.shared.default) = reply;
    }

    /// Every request received so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// The requests so far for entity `platform_id`.
    pub fn received_for(&self, platform_id: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.platform_id == platform_id)
            .collect()
    }

    /// The requests so far answered with a 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(Received::accepted)
            .collect()
    }

    /// How many times a request arrived while another for the same entity
    /// was in progress (requests without a `platform_id` are not counted).
    pub fn overlaps(&self) -> usize {
        self.shared.overlaps.load(Ordering::SeqCst)
    }

    /// Polls (every 20 ms) until `done(received)` holds or `timeout` has
    /// passed; returns what was received by then.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut received = Received {
        at,
        method,
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        json,
        platform_id: String::new(),
        status: None,
    };
    let platform_id = received.json["platform_id"]
        .as_str()
        .or_else(|| received.entity()["platform_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    received.platform_id.clone_from(&platform_id);
    let reply = shared.next_reply(&platform_id);
    let answers_at_once = reply.delay.is_zero() && !reply.drop_connection;
    if answers_at_once {
        received.status = Some(reply.status);
    }
    let index = {
        let mut all = lock(&shared.received);
        all.push(received);
        all.len() - 1
    };

    // In progress until the answer (or the cancellation of this handler,
    // when the client gives up).
    let _active = (!platform_id.is_empty()).then(|| Active::enter(&shared, platform_id));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.drop_connection {
        // Ends the connection's task without an answer: the client sees the
        // connection closed before a response. (`resume_unwind` skips the
        // panic hook: nothing is printed.)
        std::panic::resume_unwind(Box::new("mock Bold drops the connection"));
    }
    if !answers_at_once && let Some(r) = lock(&shared.received).get_mut(index) {
        r.status = Some(reply.status);
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    if let Some(after) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static(after));
    }
    response
}

/// Counts a request for an entity as in progress until dropped (also when
/// the client gave up and the handler was cancelled).
struct Active {
    shared: Arc<Shared>,
    platform_id: String,
}

impl Active {
    fn enter(shared: &Arc<Shared>, platform_id: String) -> Self {
        let mut active = lock(&shared.active);
        let n = active.entry(platform_id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            shared.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        Self {
            shared: Arc::clone(shared),
            platform_id,
        }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        if let Some(n) = lock(&self.shared.active).get_mut(&self.platform_id) {
            *n -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn post(client: &reqwest::Client, bold: &MockBold, body: &Value) -> Option<u16> {
        client
            .post(format!(
                "{}/platform_connector/shop/customers/saved",
                bold.url()
            ))
            .header("idempotency-key", "k")
            .body(body.to_string())
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    #[tokio::test]
    async fn entity_scripts_come_first_then_the_shared_script_then_the_default() {
        let bold = MockBold::start().await;
        let client = reqwest::Client::new();
        let top = json!({"platform_id": "a"});
        let nested = json!({"data": {"customer": {"platform_id": "b"}}});
        bold.script_for("a", [Reply::status(500)]);
        bold.script([Reply::status(503), Reply::too_many_requests("7")]);
        bold.set_default(Some(Reply::status(400)));

        assert_eq!(post(&client, &bold, &top).await, Some(500));
        assert_eq!(post(&client, &bold, &nested).await, Some(503));
        assert_eq!(post(&client, &bold, &top).await, Some(429));
        assert_eq!(post(&client, &bold, &nested).await, Some(400));
        bold.set_default(None);
        assert_eq!(post(&client, &bold, &nested).await, Some(202));

        let received = bold.received();
        let statuses: Vec<Option<u16>> = received.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [Some(500), Some(503), Some(429), Some(400), Some(202)]
        );
        assert_eq!(bold.received_for("a").len(), 2);
        assert_eq!(bold.received_for("b").len(), 3);
        assert_eq!(bold.accepted().len(), 1);
        let first = &received[0];
        assert_eq!(first.method, Method::POST);
        assert_eq!(first.path, "/platform_connector/shop/customers/saved");
        assert_eq!(first.header("idempotency-key"), Some("k"));
        assert_eq!(first.header("no-such-header"), None);
        assert_eq!(first.body, top.to_string());
        assert_eq!(received[1].entity()["platform_id"], "b");
        assert_eq!(bold.overlaps(), 0);
    }

    #[tokio::test]
    async fn retry_after_and_body_are_sent() {
        let bold = MockBold::start().await;
        bold.script([Reply {
            body: "slow down",
            ..Reply::too_many_requests("3")
        }]);
        let response = reqwest::Client::new()
            .post(bold.url())
            .body("not json")
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("3")
        );
        assert_eq!(response.text().await.expect("body"), "slow down");
        let received = bold.received();
        assert_eq!(received[0].json, Value::Null);
        assert_eq!(received[0].platform_id, "");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delayed_answer_is_recorded_when_given_and_overlaps_are_counted() {
        let bold = MockBold::start().await;
        bold.script_for("x", [Reply::delayed(Duration::from_millis(300))]);
        let client = reqwest::Client::new();
        let body = json!({"platform_id": "x"});
        let slow = tokio::spawn({
            let (client, bold, body) = (client.clone(), bold.clone(), body.clone());
            async move { post(&client, &bold, &body).await }
        });
        let first = bold
            .wait_for(Duration::from_secs(5), |r| !r.is_empty())
            .await;
        assert_eq!(first[0].status, None, "not answered yet");
        assert_eq!(post(&client, &bold, &body).await, Some(202));
        assert_eq!(slow.await.expect("joined"), Some(202));
        let statuses: Vec<Option<u16>> = bold.received().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Some(202), Some(202)]);
        assert_eq!(bold.overlaps(), 1);
    }

    #[tokio::test]
    async fn a_dropped_connection_gets_no_answer() {
        let bold = MockBold::start().await;
        bold.script([Reply::dropped()]);
        let client = reqwest::Client::new();
        let body = json!({"platform_id": "x"});
        assert_eq!(post(&client, &bold, &body).await, None);
        assert_eq!(post(&client, &bold, &body).await, Some(202));
        let statuses: Vec<Option<u16>> = bold.received().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [None, Some(202)]);
    }
}
