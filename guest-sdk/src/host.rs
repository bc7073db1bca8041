//! What the host offers a handler: its config, a log and, to connectors,
//! outbound HTTP.
//!
//! Handlers get a `&dyn Host`. In a checkout component it is [`WasmHost`]
//! (the WIT imports `log` and `config`), in a connector component
//! [`WasmConnectorHost`] (also `outbound-http`); in native tests it is
//! [`TestHost`](crate::testing::TestHost), so tests never touch an import.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::HandlerError;
use crate::http::{HttpError, HttpRequest, HttpResponse, JSON};

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
    /// status is a response). Only connectors (world `platform-connector`)
    /// can reach the network, and only the hosts their manifest grants.
    ///
    /// The default refuses every request with [`HttpError::NotAllowed`],
    /// so hosts without outbound HTTP need not implement it.
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::NotAllowed(format!(
            "{} {}: this host offers no outbound HTTP",
            request.method, request.url
        )))
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

/// The host as seen from inside a checkout component: the WIT imports `log`
/// and `config`; [`Host::http`] refuses every request. Only exists on
/// `wasm32` (and in docs); the export glue of
/// [`export_checkout_plugin!`](crate::export_checkout_plugin) hands it to
/// handlers.
#[cfg(any(target_arch = "wasm32", doc))]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmHost;

#[cfg(target_arch = "wasm32")]
impl Host for WasmHost {
    fn config(&self, key: &str) -> Option<String> {
        crate::__private::bindings::checkout::plugin::config::get(key)
    }

    fn config_all(&self) -> Vec<(String, String)> {
        crate::__private::bindings::checkout::plugin::config::all()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        use crate::__private::bindings::checkout::plugin::log as wit;
        let level = match level {
            Level::Trace => wit::Level::Trace,
            Level::Debug => wit::Level::Debug,
            Level::Info => wit::Level::Info,
            Level::Warn => wit::Level::Warn,
            Level::Error => wit::Level::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wit::log(level, message, &fields);
    }
}

/// The host as seen from inside a connector component: [`WasmHost`] plus
/// the WIT import `outbound-http` for [`Host::http`]. Only exists on
/// `wasm32` (and in docs); the export glue of
/// [`export_connector_plugin!`](crate::export_connector_plugin) hands it to
/// handlers.
///
/// It is a type of its own so that checkout components do not import
/// `outbound-http`: a `Host` implementation's `http` is linked in with its
/// vtable whether or not a handler calls it, and the `checkout-plugin`
/// world does not offer that import.
#[cfg(any(target_arch = "wasm32", doc))]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmConnectorHost;

#[cfg(target_arch = "wasm32")]
impl Host for WasmConnectorHost {
    fn config(&self, key: &str) -> Option<String> {
        WasmHost.config(key)
    }

    fn config_all(&self) -> Vec<(String, String)> {
        WasmHost.config_all()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        WasmHost.log(level, message, fields);
    }

    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        use crate::__private::connector_bindings::checkout::plugin::outbound_http as wit;
        let wit_request = wit::Request {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        match wit::send(&wit_request) {
            Ok(wit::Response {
                status,
                headers,
                body,
            }) => Ok(HttpResponse {
                status,
                headers,
                body,
            }),
            Err(wit::Error::NotAllowed(m)) => Err(HttpError::NotAllowed(m)),
            Err(wit::Error::InvalidRequest(m)) => Err(HttpError::InvalidRequest(m)),
            Err(wit::Error::Timeout) => Err(HttpError::Timeout),
            Err(wit::Error::ResponseTooLarge) => Err(HttpError::ResponseTooLarge),
            Err(wit::Error::TooManyRequests) => Err(HttpError::TooManyRequests),
            Err(wit::Error::Connection(m)) => Err(HttpError::Connection(m)),
        }
    }
}
