//! What the host offers a handler: its config, a log, outbound HTTP, the
//! call's shop and Bold's API for that shop.
//!
//! Handlers get a `&dyn Host`. In a checkout component it is [`WasmHost`]
//! (the WIT imports `log`, `config`, `outbound-http`, `shop` and
//! `bold-api`), in a connector component [`WasmConnectorHost`] (`log`,
//! `config` and `outbound-http`); in native tests it is
//! [`TestHost`](crate::testing::TestHost), so tests never touch an import.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bold_api::{BoldApiError, BoldApiRequest};
use crate::error::HandlerError;
use crate::http::{HttpError, HttpRequest, HttpResponse, JSON};
use crate::shop::Shop;

#[cfg(any(target_arch = "wasm32", doc))]
mod wasm;
#[cfg(any(target_arch = "wasm32", doc))]
pub use wasm::{WasmConnectorHost, WasmHost};

/// Severity of a log record; mirrors the WIT `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Information useful when debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the handler recovered from.
    Warn,
    /// A failure.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

/// The host's services. Object-safe: handlers receive `&dyn Host`.
///
/// The convenience methods (`info`, `config_or`, `get_json`, ...) live on
/// `dyn Host`.
pub trait Host {
    /// The value of one of the plugin's settings (from its manifest), if set.
    fn config(&self, key: &str) -> Option<String>;
    /// Every setting of the plugin, as key/value pairs.
    fn config_all(&self) -> Vec<(String, String)>;
    /// Writes one log record with key/value fields. The host caps the bytes
    /// logged per invocation; logging never fails. Do not log personal data.
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);

    /// Sends one HTTP request and waits for the complete response (any
    /// status is a response). Only the hosts the plugin's manifest grants
    /// can be reached (`[connector] allowed_hosts` for a connector,
    /// `[outbound] allowed_hosts` for a checkout plugin); any other URL is
    /// [`HttpError::NotAllowed`].
    ///
    /// The default refuses every request with [`HttpError::NotAllowed`],
    /// so hosts without outbound HTTP need not implement it.
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::NotAllowed(format!(
            "{} {}: this host offers no outbound HTTP",
            request.method, request.url
        )))
    }

    /// The shop of this call, or `None` when the call named none. Says
    /// whether the plugin is installed on it and with which scopes.
    ///
    /// The default is `None` (connectors have no shop).
    fn shop(&self) -> Option<Shop> {
        None
    }

    /// Sends one request to Bold's API for the call's shop, with the shop's
    /// token (added by the host, never seen by the guest), and waits for the
    /// complete response (any status is a response). It counts against the
    /// same per-invocation request cap as [`http`](Host::http).
    ///
    /// No shop is [`BoldApiError::NoShop`]; a shop the plugin is not
    /// installed on is [`BoldApiError::NotInstalled`]; a request that
    /// fails [`BoldApiRequest::check`] is [`BoldApiError::InvalidRequest`].
    ///
    /// The default answers [`BoldApiError::NoShop`] (connectors have no
    /// shop), so hosts without Bold's API need not implement it.
    fn bold_api(&self, request: &BoldApiRequest) -> Result<HttpResponse, BoldApiError> {
        let _ = request;
        Err(BoldApiError::NoShop)
    }
}

impl dyn Host + '_ {
    /// Logs `message` at [`Level::Trace`].
    pub fn trace(&self, message: &str) {
        self.log(Level::Trace, message, &[]);
    }

    /// Logs `message` at [`Level::Debug`].
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message, &[]);
    }

    /// Logs `message` at [`Level::Info`].
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message, &[]);
    }

    /// Logs `message` at [`Level::Warn`].
    pub fn warn(&self, message: &str) {
        self.log(Level::Warn, message, &[]);
    }

    /// Logs `message` at [`Level::Error`].
    pub fn error(&self, message: &str) {
        self.log(Level::Error, message, &[]);
    }

    /// The setting `key` parsed as `T` (surrounding whitespace ignored), or
    /// `default` when it is not set. A value that does not parse is
    /// [`HandlerError::Failed`] naming the key.
    ///
    /// ```
    /// use plugin_sdk::{Host, HandlerError, testing::TestHost};
    /// let test_host = TestHost::new().with_config("stock", "5").with_config("price", "cheap");
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.config_or("stock", 100_i64), Ok(5));
    /// assert_eq!(host.config_or("missing", 100_i64), Ok(100));
    /// assert!(matches!(host.config_or("price", 0_i64), Err(HandlerError::Failed(m)) if m.contains("price")));
    /// ```
    pub fn config_or<T>(&self, key: &str, default: T) -> Result<T, HandlerError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.config(key) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|e| {
                HandlerError::Failed(format!("config `{key}`: invalid value {value:?}: {e}"))
            }),
        }
    }

    /// Sends a `GET` with `headers` (and `accept: application/json` unless
    /// given). Any status is a response.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        let request = with_headers(HttpRequest::get(url), headers);
        self.http(&request)
    }

    /// Sends a `GET` and decodes the 2xx response's JSON body as `T`. Every
    /// failure is [`HandlerError::Failed`] naming the URL: no response
    /// ([`HttpError`]), a status other than 2xx, or a body that does not
    /// decode. Use [`get`](#method.get) to handle statuses such as 404.
    ///
    /// ```
    /// use plugin_sdk::{Host, HttpResponse, serde_json::{Value, json}, testing::TestHost};
    /// let test_host = TestHost::new().with_http(|request| {
    ///     Ok(match request.url.as_str() {
    ///         "https://shop.example/products/1" => HttpResponse::from_json(200, &json!({"title": "Mug"})),
    ///         _ => HttpResponse::new(404),
    ///     })
    /// });
    /// let host: &dyn Host = &test_host;
    /// let product: Value = host.get_json("https://shop.example/products/1", &[("authorization", "Bearer t")])?;
    /// assert_eq!(product["title"], "Mug");
    /// assert_eq!(test_host.requests()[0].header("accept"), Some("application/json"));
    /// let missing = host.get_json::<Value>("https://shop.example/products/2", &[]);
    /// assert!(matches!(missing, Err(plugin_sdk::HandlerError::Failed(m)) if m.contains("HTTP 404")));
    /// # Ok::<(), plugin_sdk::HandlerError>(())
    /// ```
    pub fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<T, HandlerError> {
        let response = self
            .get(url, headers)
            .map_err(|e| HandlerError::Failed(format!("GET {url}: {e}")))?;
        if !response.is_success() {
            return Err(HandlerError::Failed(format!(
                "GET {url}: HTTP {}",
                response.status
            )));
        }
        response
            .json()
            .map_err(|e| HandlerError::Failed(format!("GET {url}: {}", failed_message(e))))
    }

    /// Sends `body` as JSON (`content-type` and `accept`
    /// `application/json` unless given in `headers`) with `method` (e.g.
    /// `POST`, `PATCH`). Any status is a response; a body serde cannot
    /// encode is [`HttpError::InvalidRequest`].
    pub fn send_json<B: Serialize + ?Sized>(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &B,
    ) -> Result<HttpResponse, HttpError> {
        let request = with_headers(HttpRequest::new(method, url), headers).with_json(body)?;
        self.http(&request)
    }

    /// Sends a `GET` to Bold's API for the call's shop (`path` below
    /// `/api/v1/{platform}/{shop}/`, see [`BoldApiRequest::path`]), with
    /// `accept: application/json`. Any status is a response.
    pub fn bold_get(&self, path: &str) -> Result<HttpResponse, BoldApiError> {
        self.bold_api(&BoldApiRequest::get(path).with_header("accept", JSON))
    }

    /// Sends a `GET` to Bold's API for the call's shop and decodes the 2xx
    /// response's JSON body as `T`. Every failure names the path: no
    /// response (see [`BoldApiError::into_handler_error`]), a status other
    /// than 2xx or a body that does not decode ([`HandlerError::Failed`]).
    /// Use [`bold_get`](#method.bold_get) to handle statuses such as 404,
    /// or the errors one by one.
    ///
    /// ```
    /// use plugin_sdk::{Host, HttpResponse, Shop, serde_json::{Value, json}, testing::TestHost};
    /// let test_host = TestHost::new()
    ///     .with_shop(Shop::installed("shopify", "example.myshopify.com", ["modify_order"]))
    ///     .with_bold_response("GET", "orders/abc123", HttpResponse::from_json(200, &json!({"order": {"total": 2468}})));
    /// let host: &dyn Host = &test_host;
    /// let order: Value = host.bold_get_json("orders/abc123")?;
    /// assert_eq!(order["order"]["total"], 2468);
    /// assert_eq!(test_host.bold_requests()[0].path, "orders/abc123");
    ///
    /// let elsewhere = TestHost::new().with_shop(Shop::not_installed("shopify", "other.myshopify.com"));
    /// let host: &dyn Host = &elsewhere;
    /// let err = host.bold_get_json::<Value>("orders/abc123").unwrap_err();
    /// assert_eq!(err.to_string(), "failed: Bold API GET orders/abc123: not installed on the call's shop");
    /// # Ok::<(), plugin_sdk::HandlerError>(())
    /// ```
    pub fn bold_get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, HandlerError> {
        let context = || format!("Bold API GET {path}");
        let response = self
            .bold_get(path)
            .map_err(|e| e.into_handler_error(&context()))?;
        if !response.is_success() {
            return Err(HandlerError::Failed(format!(
                "{}: HTTP {}",
                context(),
                response.status
            )));
        }
        response
            .json()
            .map_err(|e| HandlerError::Failed(format!("{}: {}", context(), failed_message(e))))
    }

    /// Sends `body` as JSON (`content-type` and `accept`
    /// `application/json`) with `method` (e.g. `POST`, `PUT`) to Bold's API
    /// for the call's shop. Any status is a response; a body serde cannot
    /// encode is [`BoldApiError::InvalidRequest`].
    ///
    /// ```
    /// use plugin_sdk::{BoldApiError, Host, HttpResponse, Shop, serde_json::json, testing::TestHost};
    /// let test_host = TestHost::new()
    ///     .with_shop(Shop::installed("shopify", "example.myshopify.com", Vec::<String>::new()))
    ///     .with_bold_response("POST", "orders/abc123/discounts", HttpResponse::new(201))
    ///     .with_bold_error("POST", "orders/slow/discounts", BoldApiError::Timeout);
    /// let host: &dyn Host = &test_host;
    /// let body = json!({"code": "LOYALTY-GOLD"});
    /// assert_eq!(host.bold_send_json("post", "orders/abc123/discounts", &body)?.status, 201);
    /// assert_eq!(host.bold_send_json("POST", "orders/slow/discounts", &body), Err(BoldApiError::Timeout));
    /// let sent = &test_host.bold_requests()[0];
    /// assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "orders/abc123/discounts"));
    /// assert_eq!(sent.json::<plugin_sdk::serde_json::Value>().unwrap(), body);
    /// # Ok::<(), BoldApiError>(())
    /// ```
    pub fn bold_send_json<B: Serialize + ?Sized>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<HttpResponse, BoldApiError> {
        let request = BoldApiRequest::new(method, path)
            .with_header("accept", JSON)
            .with_json(body)?;
        self.bold_api(&request)
    }
}

/// `request` with `headers`, then `accept: application/json` unless given.
fn with_headers(mut request: HttpRequest, headers: &[(&str, &str)]) -> HttpRequest {
    for (name, value) in headers {
        request = request.with_header(*name, *value);
    }
    if request.header("accept").is_none() {
        request = request.with_header("accept", JSON);
    }
    request
}

fn failed_message(error: HandlerError) -> String {
    match error {
        HandlerError::Failed(m) | HandlerError::InvalidInput(m) => m,
        HandlerError::Unsupported => "unsupported".to_owned(),
    }
}
