//! Outbound HTTP, for connectors that call their platform's API and
//! checkout plugins that call a service (a carrier's rates, a loyalty
//! program).
//!
//! A handler sends requests through [`Host::http`](crate::Host::http) or
//! the helpers on `dyn Host` ([`get`](crate::Host#method.get),
//! [`get_json`](crate::Host#method.get_json),
//! [`send_json`](crate::Host#method.send_json)). In the component the host
//! performs them (only to the hosts the plugin's manifest grants, with a
//! deadline and size caps per request, no redirects followed); in native
//! tests [`TestHost`](crate::testing::TestHost) answers them (scripted
//! per method and URL, or by a closure) and records them.
//!
//! Any status is a response: a 404 or a 500 is an `Ok(HttpResponse)`, and
//! [`HttpError`] only says why there was no response at all.
//!
//! ```
//! use plugin_sdk::{HttpRequest, HttpResponse, serde_json::json};
//! let request = HttpRequest::new("post", "https://shop.example/customers")
//!     .with_header("Authorization", "Bearer t0k3n")
//!     .with_json(&json!({"email": "ada@example.com"}))?;
//! assert_eq!(request.method, "POST");
//! assert_eq!(request.header("content-type"), Some("application/json"));
//! assert_eq!(request.json::<plugin_sdk::serde_json::Value>()?["email"], "ada@example.com");
//!
//! let response = HttpResponse::from_json(201, &json!({"id": "a1"}));
//! assert!(response.is_success());
//! assert_eq!(response.json::<plugin_sdk::serde_json::Value>()?["id"], "a1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::HandlerError;

/// `content-type` of JSON bodies.
pub(crate) const JSON: &str = "application/json";

/// An outbound HTTP request; mirrors the WIT `outbound-http.request`.
///
/// `Debug` shows the header names, not their values (tokens), and the body's
/// size, not its content (personal data).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD`.
    pub method: String,
    /// An absolute `http` or `https` URL on a host the manifest grants.
    pub url: String,
    /// Request headers, in order (`host`, `content-length`, `connection` and
    /// `transfer-encoding` are set by the host).
    pub headers: Vec<(String, String)>,
    /// The request body (may be empty).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no headers and an empty body; `method` is upper-cased.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        let mut method = method.into();
        method.make_ascii_uppercase();
        HttpRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// Adds a header (after those already set; names are sent as given).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `body` as JSON, and `content-type:
    /// application/json` unless a content type is set already. A value
    /// serde cannot encode (a map with non-string keys, a failing
    /// `Serialize` impl) is [`HttpError::InvalidRequest`].
    pub fn with_json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, HttpError> {
        self.body = serde_json::to_vec(body)
            .map_err(|e| HttpError::InvalidRequest(format!("JSON body: {e}")))?;
        if self.header("content-type").is_none() {
            self.headers
                .push(("content-type".to_owned(), JSON.to_owned()));
        }
        Ok(self)
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body decoded as JSON. An error is [`HandlerError::InvalidInput`]
    /// (`"request body: ..."`): meant for test doubles that play the
    /// server.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HandlerError::InvalidInput(format!("request body: {e}")))
    }

    /// The body as text (invalid UTF-8 replaced by `U+FFFD`).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response; mirrors the WIT `outbound-http.response`. Any status
/// is a response, not an error.
///
/// `Debug` shows the header names and the body's size only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Response headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The response body, complete.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with no headers and an empty body.
    pub fn new(status: u16) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response (`content-type: application/json`), e.g. from a test
    /// double that plays the platform.
    pub fn from_json(status: u16, body: &Value) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".to_owned(), JSON.to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    /// Adds a header; the name is lower-cased, as the host delivers them.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut name = name.into();
        name.make_ascii_lowercase();
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body decoded as JSON. An error is [`HandlerError::Failed`]
    /// (`"response body: ..."`): the other side answered something the
    /// handler cannot read. The status is not checked.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HandlerError::Failed(format!("response body: {e}")))
    }

    /// The body as text (invalid UTF-8 replaced by `U+FFFD`).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why a request got no response; mirrors the WIT `outbound-http.error`.
///
/// Converts into [`HandlerError::Failed`] with `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL's host is not granted to this plugin (or, outside the
    /// component, no HTTP is available: see
    /// [`Host::http`](crate::Host::http)).
    NotAllowed(String),
    /// The request is malformed (method, URL, header, too large).
    InvalidRequest(String),
    /// No complete response within the per-request deadline.
    Timeout,
    /// The response body is larger than the per-request cap.
    ResponseTooLarge,
    /// This invocation already made as many requests as it may.
    TooManyRequests,
    /// The connection failed (refused, reset, DNS, TLS).
    Connection(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::NotAllowed(m) => write!(f, "not allowed: {m}"),
            HttpError::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            HttpError::Timeout => f.write_str("timeout"),
            HttpError::ResponseTooLarge => f.write_str("response too large"),
            HttpError::TooManyRequests => f.write_str("too many requests"),
            HttpError::Connection(m) => write!(f, "connection failed: {m}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl HttpError {
    /// The error's kind without its message, e.g. `timeout` or
    /// `connection`: safe to log when the message may carry a URL with
    /// personal data in it.
    ///
    /// ```
    /// use plugin_sdk::HttpError;
    /// assert_eq!(HttpError::Connection("https://x.example/ada@example.com: refused".into()).kind(), "connection");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            HttpError::NotAllowed(_) => "not_allowed",
            HttpError::InvalidRequest(_) => "invalid_request",
            HttpError::Timeout => "timeout",
            HttpError::ResponseTooLarge => "response_too_large",
            HttpError::TooManyRequests => "too_many_requests",
            HttpError::Connection(_) => "connection",
        }
    }
}

impl From<HttpError> for HandlerError {
    /// [`HandlerError::Failed`]`("outbound HTTP: <error>")`.
    fn from(error: HttpError) -> Self {
        HandlerError::Failed(format!("outbound HTTP: {error}"))
    }
}

pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Formats headers as their names only.
pub(crate) struct HeaderNames<'a>(pub(crate) &'a [(String, String)]);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

/// `text` percent-encoded for use as one URL path segment (or a query
/// value): every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// becomes `%XX` (RFC 3986), so `/`, `?`, `#`, `%`, `+`, `@`, spaces and
/// non-ASCII characters cannot change the URL's shape.
///
/// In a Bold API path the host refuses an encoded `/` or `\` (and `.` and
/// `..` segments): see [`check_path`](crate::bold_api::check_path).
///
/// ```
/// use plugin_sdk::http::encode_path_segment;
/// assert_eq!(encode_path_segment("ada+loyal@example.com"), "ada%2Bloyal%40example.com");
/// assert_eq!(encode_path_segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
/// assert_eq!(encode_path_segment("zoë"), "zo%C3%AB");
/// assert_eq!(encode_path_segment("abc-123_x.y~"), "abc-123_x.y~");
/// ```
pub fn encode_path_segment(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}
