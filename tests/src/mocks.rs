//! Mock servers on 127.0.0.1 for the connector tests: a toy commerce
//! platform (the API `plugins/platform-sync` calls) and Bold's API (which
//! records every notification it receives and can be told to fail, delay,
//! answer 429 with `Retry-After`, or drop the connection).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

/// Binds 127.0.0.1:0 and serves `app` on the current tokio runtime.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a mock server");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------- platform

/// The toy platform: customers with addresses; a new default address
/// unsets the old default of the same type (the side effect Bold must hear
/// about). Requires `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct MockPlatform {
    /// Its address.
    pub addr: SocketAddr,
    state: Arc<PlatformState>,
}

#[derive(Debug)]
struct PlatformState {
    token: String,
    customers: Mutex<BTreeMap<String, Value>>,
    requests: Mutex<Vec<String>>,
    next_address: Mutex<u64>,
}

impl PlatformState {
    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {}", self.token))
    }
}

/// An RFC 3339 timestamp with microseconds, strictly increasing per call.
pub fn now_rfc3339() -> String {
    static LAST: Mutex<i128> = Mutex::new(0);
    let mut micros = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros() as i128)
        .unwrap_or_default();
    let mut last = lock(&LAST);
    if micros <= *last {
        micros = *last + 1;
    }
    *last = micros;
    let secs = (micros / 1_000_000) as i64;
    let frac = (micros % 1_000_000) as u32;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl MockPlatform {
    /// Starts it with `customers` (platform JSON, keyed by their `id`).
    pub async fn start(token: &str, customers: Vec<Value>) -> Self {
        let state = Arc::new(PlatformState {
            token: token.to_owned(),
            customers: Mutex::new(
                customers
                    .into_iter()
                    .map(|c| (c["id"].as_str().unwrap_or_default().to_owned(), c))
                    .collect(),
            ),
            requests: Mutex::new(Vec::new()),
            next_address: Mutex::new(100),
        });
        let app = Router::new()
            .route("/customers/{id}", get(get_customer).patch(patch_customer))
            .route("/customers/{id}/addresses", post(add_address))
            .with_state(state.clone());
        Self {
            addr: serve(app).await,
            state,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The customer as the platform has it now.
    pub fn customer(&self, id: &str) -> Option<Value> {
        lock(&self.state.customers).get(id).cloned()
    }

    /// `METHOD /path` of every request received, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.requests).clone()
    }
}

async fn get_customer(
    State(state): State<Arc<PlatformState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    lock(&state.requests).push(format!("GET /customers/{id}"));
    if !state.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match lock(&state.customers).get(&id) {
        Some(c) => axum::Json(c.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not found"})),
        )
            .into_response(),
    }
}

async fn patch_customer(
    State(state): State<Arc<PlatformState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    lock(&state.requests).push(format!("PATCH /customers/{id}"));
    if !state.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut customers = lock(&state.customers);
    let Some(customer) = customers.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    for (k, v) in fields {
        if k != "id" && k != "addresses" {
            customer[k] = v;
        }
    }
    customer["updated_at"] = json!(now_rfc3339());
    axum::Json(customer.clone()).into_response()
}

async fn add_address(
    State(state): State<Arc<PlatformState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    lock(&state.requests).push(format!("POST /customers/{id}/addresses"));
    if !state.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(Value::Object(mut address)) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let address_id = {
        let mut next = lock(&state.next_address);
        *next += 1;
        format!("a{next}")
    };
    address.insert("id".into(), json!(address_id));
    let mut customers = lock(&state.customers);
    let Some(customer) = customers.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let is_default = address.get("default").and_then(Value::as_bool) == Some(true);
    let kind = address.get("type").cloned().unwrap_or(json!("shipping"));
    if let Some(list) = customer["addresses"].as_array_mut() {
        if is_default {
            for other in list.iter_mut() {
                if other["type"] == kind {
                    other["default"] = json!(false);
                }
            }
        }
        list.push(Value::Object(address.clone()));
    }
    customer["updated_at"] = json!(now_rfc3339());
    (StatusCode::CREATED, axum::Json(Value::Object(address))).into_response()
}

// ---------------------------------------------------------------- Bold

/// What the mock Bold API does with the next request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this status (202 = accepted).
    Status(u16),
    /// Answer 429 with `Retry-After: <secs>`.
    TooManyRequests(u64),
    /// Wait this long, then answer 202 (or never, if the client gives up).
    Delay(Duration),
    /// Close the connection without an answer.
    Drop,
}

/// One request Bold received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path.
    pub path: String,
    /// Headers, names lower case.
    pub headers: BTreeMap<String, String>,
    /// The JSON body.
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
    /// The status it was answered with (`None`: dropped).
    pub status: Option<u16>,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    /// The entity in `{"data": {"<entity>": {...}}}`.
    pub fn entity(&self) -> &Value {
        self.body["data"]
            .as_object()
            .and_then(|o| o.values().next())
            .unwrap_or(&Value::Null)
    }
}

/// The mock Bold API.
#[derive(Debug, Clone)]
pub struct MockBold {
    /// Its address.
    pub addr: SocketAddr,
    state: Arc<BoldState>,
}

#[derive(Debug, Default)]
struct BoldState {
    script: Mutex<VecDeque<Behaviour>>,
    default: Mutex<Option<Behaviour>>,
    received: Mutex<Vec<Received>>,
}

impl MockBold {
    /// Starts it; by default every request gets 202.
    pub async fn start() -> Self {
        let state = Arc::new(BoldState::default());
        let app = Router::new()
            .route("/{*path}", any(bold_receive))
            .with_state(state.clone());
        Self {
            addr: serve(app).await,
            state,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next requests get these behaviours, in order, then the default.
    pub fn script(&self, behaviours: impl IntoIterator<Item = Behaviour>) {
        lock(&self.state.script).extend(behaviours);
    }

    /// What requests get once the script is used up (`None`: 202).
    pub fn set_default(&self, behaviour: Option<Behaviour>) {
        *lock(&self.state.default) = behaviour;
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.received).clone()
    }

    /// Requests answered with a 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
            .collect()
    }

    /// Waits until `done(received)` holds, up to `timeout`.
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

async fn bold_receive(
    State(state): State<Arc<BoldState>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let behaviour = lock(&state.script)
        .pop_front()
        .or_else(|| lock(&state.default).clone())
        .unwrap_or(Behaviour::Status(202));
    let status = match &behaviour {
        Behaviour::Status(s) => Some(*s),
        Behaviour::TooManyRequests(_) => Some(429),
        // Set once the answer is given (never, if the client goes away).
        Behaviour::Delay(_) | Behaviour::Drop => None,
    };
    let index = {
        let mut received = lock(&state.received);
        received.push(Received {
            path: format!("/{path}"),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            at: Instant::now(),
            status,
        });
        received.len() - 1
    };
    match behaviour {
        Behaviour::Status(s) => StatusCode::from_u16(s)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Behaviour::TooManyRequests(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
        )
            .into_response(),
        Behaviour::Delay(d) => {
            tokio::time::sleep(d).await;
            if let Some(r) = lock(&state.received).get_mut(index) {
                r.status = Some(202);
            }
            StatusCode::ACCEPTED.into_response()
        }
        Behaviour::Drop => {
            // Ends the connection's task without an answer: the client sees
            // the connection closed before a response.
            std::panic::resume_unwind(Box::new("mock Bold drops the connection"))
        }
    }
}
