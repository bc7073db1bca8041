//! The toy commerce platform on 127.0.0.1 (the API `plugins/platform-sync`
//! calls) for the connector tests. The mock of Bold's API, shared with the
//! host's outbox tests, is `test_support::mock_bold`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
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
    /// How long each request takes (a slow platform).
    delay: Mutex<Duration>,
}

impl PlatformState {
    /// Records `request`, after the configured delay.
    async fn receive(&self, request: String) {
        let delay = *lock(&self.delay);
        tokio::time::sleep(delay).await;
        lock(&self.requests).push(request);
    }

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
            delay: Mutex::new(Duration::ZERO),
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

    /// Makes every later request take `delay` before it is handled.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.state.delay) = delay;
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
    state.receive(format!("GET /customers/{id}")).await;
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
    state.receive(format!("PATCH /customers/{id}")).await;
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
    state
        .receive(format!("POST /customers/{id}/addresses"))
        .await;
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

/// Bold Checkout's side of the installation flow (PROTOCOL.md §5): the
/// token exchange `POST /api/v1/{platform}/{shop}/oauth/access_token`. The
/// code decides the answer:
/// - `good-<n>`: a token `token-<n>` for the shop, scopes `add_fee modify_order`;
/// - `refused`: 400 `{"error": "invalid_grant"}`;
/// - `slow`: the answer comes after 5 s;
/// - `garbage`: 200 with a body that is not JSON;
/// - `other-shop`: a token for another shop;
/// - `unavailable`: 503;
/// - `narrow-<n>`: a token `token-narrow` granting only `add_fee`.
///
/// A wrong client id or secret gets 401.
#[derive(Debug, Clone)]
pub struct MockBoldCheckout {
    /// Its address.
    pub addr: SocketAddr,
    state: Arc<CheckoutState>,
}

#[derive(Debug)]
struct CheckoutState {
    client_id: String,
    client_secret: String,
    exchanges: Mutex<Vec<Value>>,
    api_calls: Mutex<Vec<Value>>,
}

/// Bold's API for a shop: records the call (method, platform, shop, path,
/// query, the token headers, body) and answers 200 with
/// `{"ok": true, "path": <path>}`; path `missing` answers 404.
async fn shop_api(
    State(state): State<Arc<CheckoutState>>,
    method: axum::http::Method,
    Path((platform, shop, path)): Path<(String, String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    lock(&state.api_calls).push(json!({
        "method": method.as_str(), "platform": platform, "shop": shop, "path": path,
        "query": uri.query(), "authorization": header("authorization"),
        "x_bold_checkout_access_token": header("x-bold-checkout-access-token"),
        "body": String::from_utf8_lossy(&body),
    }));
    if path == "missing" {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response();
    }
    Json(json!({"ok": true, "path": path})).into_response()
}

async fn access_token(
    State(state): State<Arc<CheckoutState>>,
    Path((platform, shop)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    lock(&state.exchanges).push(json!({
        "platform": platform, "shop": shop, "code": request["code"],
        "grant_type": request["grant_type"], "client_id": request["client_id"],
    }));
    if request["client_id"] != state.client_id.as_str()
        || request["client_secret"] != state.client_secret.as_str()
        || request["grant_type"] != "authorization_code"
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let code = request["code"].as_str().unwrap_or_default().to_owned();
    let token = |shop: &str, n: &str| {
        Json(json!({
            "shop": shop, "platform": platform, "access_token": format!("token-{n}"),
            "scope": "add_fee modify_order", "token_type": "bearer",
        }))
        .into_response()
    };
    match code.as_str() {
        "refused" => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            token(&shop, "slow")
        }
        "garbage" => (StatusCode::OK, "<html>not json</html>").into_response(),
        "other-shop" => token("someone-else.myshopify.com", "other"),
        "unavailable" => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        code if code.starts_with("narrow-") => Json(json!({
            "shop": shop, "platform": platform, "access_token": "token-narrow",
            "scope": "add_fee", "token_type": "bearer",
        }))
        .into_response(),
        code => match code.strip_prefix("good-") {
            Some(n) => token(&shop, n),
            None => (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant"})),
            )
                .into_response(),
        },
    }
}

impl MockBoldCheckout {
    /// Starts it for the plugin `client_id` with `client_secret`.
    pub async fn start(client_id: &str, client_secret: &str) -> Self {
        let state = Arc::new(CheckoutState {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            exchanges: Mutex::new(Vec::new()),
            api_calls: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route(
                "/api/v1/{platform}/{shop}/oauth/access_token",
                post(access_token),
            )
            .route(
                "/api/v1/{platform}/{shop}/{*path}",
                axum::routing::any(shop_api),
            )
            .with_state(state.clone());
        Self {
            addr: serve(app).await,
            state,
        }
    }

    /// Its base URL (`[bold_checkout] base_url`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token exchanges it received (platform, shop, code, grant type,
    /// client id), in order.
    pub fn exchanges(&self) -> Vec<Value> {
        lock(&self.state.exchanges).clone()
    }

    /// The calls to Bold's API for a shop it received, in order.
    pub fn api_calls(&self) -> Vec<Value> {
        lock(&self.state.api_calls).clone()
    }
}
