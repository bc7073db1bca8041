//! A toy, in-memory implementation of the platform's customer API: what
//! the native tests run the connector against (through
//! [`TestHost::with_http`](plugin_sdk::testing::TestHost::with_http)), and
//! what end-to-end tests can serve over HTTP.
//!
//! It behaves as the crate docs say the platform does: `GET`/`PATCH
//! /customers/{id}`, `POST /customers/{id}/addresses` (a new default
//! address unsets the old default of its type), 404 for unknown customers,
//! 401 without the right bearer token when one is set. Every change sets
//! the customer's `updated_at` from a clock that starts at
//! `2026-11-22T12:00:00Z` and ticks one second per change (a toy: good for
//! 43,200 changes).
//!
//! ```
//! use platform_sync::simulator::Platform;
//! use plugin_sdk::{HttpRequest, serde_json::json};
//! let mut platform = Platform::new().with_customer(json!({"id": "1", "addresses": []}));
//! let request = HttpRequest::new("POST", "http://platform.test/customers/1/addresses")
//!     .with_json(&json!({"type": "shipping", "default": true, "city": "Brandon"}))?;
//! let response = platform.handle(&request);
//! assert_eq!(response.status, 201);
//! let customer = platform.customer("1").unwrap();
//! assert_eq!(customer["addresses"][0]["city"], "Brandon");
//! assert_eq!(customer["updated_at"], "2026-11-22T12:00:01Z");
//! # Ok::<(), plugin_sdk::HttpError>(())
//! ```

use std::collections::BTreeMap;

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::{HttpRequest, HttpResponse};

/// The customer fields `PATCH /customers/{id}` changes.
const CUSTOMER_FIELDS: [&str; 4] = ["first_name", "last_name", "email", "phone"];

/// The platform's state: customers (platform JSON, by id), the clock, the
/// token it requires and the failures to inject.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    customers: BTreeMap<String, Value>,
    token: Option<String>,
    clock: u32,
    failures: Vec<(String, u16)>,
}

impl Platform {
    /// A platform with no customers that requires no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a customer, given in the platform's JSON.
    ///
    /// # Panics
    /// When `customer` has no string or number `id`.
    #[track_caller]
    pub fn with_customer(mut self, customer: Value) -> Self {
        let id = match &customer["id"] {
            Value::String(id) => id.clone(),
            Value::Number(id) => id.to_string(),
            other => panic!("a platform customer needs an id, got {other}"),
        };
        self.customers.insert(id, customer);
        self
    }

    /// Requires `Authorization: Bearer <token>` on every request (401
    /// otherwise).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The next request with `method` (e.g. `PATCH`) fails with `status`
    /// and changes nothing. Several calls queue several failures.
    pub fn fail_next(&mut self, method: &str, status: u16) {
        self.failures.push((method.to_ascii_uppercase(), status));
    }

    /// A customer's current state (platform JSON).
    pub fn customer(&self, id: &str) -> Option<&Value> {
        self.customers.get(id)
    }

    /// Answers one request to the platform's API. The URL's scheme and
    /// authority are ignored, and so is its query.
    pub fn handle(&mut self, request: &HttpRequest) -> HttpResponse {
        if let Some(token) = &self.token
            && request.header("authorization") != Some(&format!("Bearer {token}"))
        {
            return error(401, "unauthorized");
        }
        if let Some(at) = self.failures.iter().position(|(m, _)| *m == request.method) {
            let (_, status) = self.failures.remove(at);
            return error(status, "injected_failure");
        }
        let path = path(&request.url);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["customers", id]) => match self.customers.get(*id) {
                Some(customer) => HttpResponse::from_json(200, customer),
                None => error(404, "not_found"),
            },
            ("PATCH", ["customers", id]) => self.patch_customer(id, request),
            ("POST", ["customers", id, "addresses"]) => self.create_address(id, request),
            (_, ["customers", _] | ["customers", _, "addresses"]) => {
                error(405, "method_not_allowed")
            }
            _ => error(404, "not_found"),
        }
    }

    fn patch_customer(&mut self, id: &str, request: &HttpRequest) -> HttpResponse {
        let Ok(Value::Object(fields)) = request.json::<Value>() else {
            return error(400, "bad_json");
        };
        if !self.customers.contains_key(id) {
            return error(404, "not_found");
        }
        for (key, value) in &fields {
            if CUSTOMER_FIELDS.contains(&key.as_str()) && !value.is_string() {
                return error(422, "invalid_field");
            }
        }
        let now = self.tick();
        let Some(Value::Object(customer)) = self.customers.get_mut(id) else {
            return error(500, "corrupt_customer");
        };
        for (key, value) in fields {
            if CUSTOMER_FIELDS.contains(&key.as_str()) {
                customer.insert(key, value);
            }
        }
        customer.insert("updated_at".into(), now.into());
        HttpResponse::from_json(200, &Value::Object(customer.clone()))
    }

    fn create_address(&mut self, id: &str, request: &HttpRequest) -> HttpResponse {
        let Ok(Value::Object(mut address)) = request.json::<Value>() else {
            return error(400, "bad_json");
        };
        if !self.customers.contains_key(id) {
            return error(404, "not_found");
        }
        let address_type = match address.get("type") {
            Some(Value::String(t)) if t == "shipping" || t == "billing" => t.clone(),
            _ => return error(422, "invalid_type"),
        };
        let is_default = address
            .get("default")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let address_id = self.new_address_id();
        let now = self.tick();
        let Some(Value::Object(customer)) = self.customers.get_mut(id) else {
            return error(500, "corrupt_customer");
        };
        let addresses = customer
            .entry("addresses")
            .or_insert_with(|| Value::Array(vec![]));
        let Value::Array(addresses) = addresses else {
            return error(500, "corrupt_customer");
        };
        if is_default {
            for other in addresses.iter_mut() {
                if other["type"] == address_type.as_str()
                    && let Some(other) = other.as_object_mut()
                {
                    other.insert("default".into(), false.into());
                }
            }
        }
        address.insert("id".into(), address_id.into());
        address.insert("default".into(), is_default.into());
        addresses.push(Value::Object(address.clone()));
        customer.insert("updated_at".into(), now.into());
        HttpResponse::from_json(201, &Value::Object(address))
    }

    /// `a<n>`, unused by any address of any customer.
    fn new_address_id(&self) -> String {
        let used: Vec<&Value> = self
            .customers
            .values()
            .filter_map(|c| c["addresses"].as_array())
            .flatten()
            .map(|a| &a["id"])
            .collect();
        (1..)
            .map(|n| format!("a{n}"))
            .find(|id| !used.iter().any(|u| *u == id.as_str()))
            .unwrap_or_default()
    }

    /// Advances the clock by one second and returns the new time.
    fn tick(&mut self) -> String {
        self.clock += 1;
        let hours = 12 + self.clock / 3600;
        let minutes = self.clock / 60 % 60;
        let seconds = self.clock % 60;
        format!("2026-11-22T{hours:02}:{minutes:02}:{seconds:02}Z")
    }
}

/// The path of an absolute URL (`/` when it has none), without the query.
fn path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

fn error(status: u16, code: &str) -> HttpResponse {
    HttpResponse::from_json(status, &json!({ "error": code }))
}
