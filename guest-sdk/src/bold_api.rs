//! Bold Checkout's API for the shop of the call, with the shop's token.
//!
//! A checkout plugin installed on a shop can call Bold's API for that shop:
//! the handler names a method, a path below `/api/v1/{platform}/{shop}/`
//! and a body ([`BoldApiRequest`]); the host sends it to Bold with the
//! shop's access token, which the guest never sees. Send it with
//! [`Host::bold_api`](crate::Host::bold_api) or the helpers on `dyn Host`
//! ([`bold_get`](crate::Host#method.bold_get),
//! [`bold_get_json`](crate::Host#method.bold_get_json),
//! [`bold_send_json`](crate::Host#method.bold_send_json)).
//!
//! Any status is a response ([`HttpResponse`]); [`BoldApiError`] says why
//! there was none: the call named no shop, the plugin is not installed on
//! it, the request is malformed, or the transport failed.
//!
//! In native tests, [`TestHost`](crate::testing::TestHost) plays both the
//! host's gate (shop, installation, [`BoldApiRequest::check`]) and Bold
//! (scripted answers, recorded requests).
//!
//! ```
//! use plugin_sdk::{BoldApiRequest, serde_json::json};
//! let request = BoldApiRequest::new("post", "orders/abc123/shipping_lines")
//!     .with_json(&json!({"line_text": "Express"}))?;
//! assert_eq!(request.method, "POST");
//! assert_eq!(request.header("content-type"), Some("application/json"));
//! assert_eq!(request.check(), Ok(()));
//! assert!(BoldApiRequest::get("/orders").check().is_err()); // relative paths only
//! # Ok::<(), plugin_sdk::BoldApiError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::HandlerError;
use crate::http::{HeaderNames, JSON, find_header};

#[cfg(doc)]
use crate::http::HttpResponse;

/// The methods Bold's API import accepts.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Headers the host sets itself (the token's, and the connection's); a
/// request that gives one is [`BoldApiError::InvalidRequest`].
pub const RESERVED_HEADERS: [&str; 12] = [
    "authorization",
    "x-bold-checkout-access-token",
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "keep-alive",
];

/// The longest path the host accepts, in bytes.
pub const MAX_PATH_BYTES: usize = 8 * 1024;

/// Characters of a path segment or query besides letters and digits (RFC
/// 3986 `pchar` without `%`, which is checked on its own).
const PCHAR: &[u8] = b"-._~!$&'()*+,;=:@";

/// A request to Bold's API for the call's shop; mirrors the WIT
/// `bold-api.request`.
///
/// `Debug` shows the header names, not their values, and the body's size,
/// not its content.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BoldApiRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The path below `/api/v1/{platform}/{shop}/`, without a leading `/`,
    /// optionally with a query: e.g. `orders/abc123/shipping_lines` or
    /// `customers?page=2`. Encode values you put in it with
    /// [`encode_path_segment`](crate::http::encode_path_segment); see
    /// [`check_path`] for the rules.
    pub path: String,
    /// Request headers, in order. The token's header, `host`,
    /// `content-length` and the like are set by the host
    /// ([`RESERVED_HEADERS`]).
    pub headers: Vec<(String, String)>,
    /// The request body (may be empty), usually JSON.
    pub body: Vec<u8>,
}

impl BoldApiRequest {
    /// A request with no headers and an empty body; `method` is
    /// upper-cased.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        let mut method = method.into();
        method.make_ascii_uppercase();
        BoldApiRequest {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
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
    /// serde cannot encode is [`BoldApiError::InvalidRequest`].
    pub fn with_json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, BoldApiError> {
        self.body = serde_json::to_vec(body)
            .map_err(|e| BoldApiError::InvalidRequest(format!("JSON body: {e}")))?;
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
    /// (`"request body: ..."`): meant for test doubles that play Bold.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HandlerError::InvalidInput(format!("request body: {e}")))
    }

    /// The body as text (invalid UTF-8 replaced by `U+FFFD`).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The checks the host makes before it sends a request (besides its
    /// size caps): the method is one of [`METHODS`], the path passes
    /// [`check_path`], no header is one of [`RESERVED_HEADERS`]. A failure
    /// is [`BoldApiError::InvalidRequest`], as the host would answer.
    /// [`TestHost`](crate::testing::TestHost) applies them too.
    ///
    /// ```
    /// use plugin_sdk::{BoldApiError, BoldApiRequest};
    /// assert_eq!(BoldApiRequest::get("orders/abc?expand=lines").check(), Ok(()));
    /// assert!(matches!(BoldApiRequest::new("HEAD", "orders").check(), Err(BoldApiError::InvalidRequest(_))));
    /// let sneaky = BoldApiRequest::get("orders").with_header("Authorization", "Bearer mine");
    /// assert!(matches!(sneaky.check(), Err(BoldApiError::InvalidRequest(m)) if m.contains("authorization")));
    /// ```
    pub fn check(&self) -> Result<(), BoldApiError> {
        if !METHODS.contains(&self.method.as_str()) {
            return Err(BoldApiError::InvalidRequest(format!(
                "method `{}` is not allowed (GET, POST, PUT, PATCH or DELETE)",
                self.method
            )));
        }
        check_path(&self.path).map_err(BoldApiError::InvalidRequest)?;
        for (name, _) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(BoldApiError::InvalidRequest(format!(
                    "header `{lower}` is set by the host and cannot be given"
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for BoldApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoldApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Checks a path below the shop as the host does: relative (no leading
/// `/`), segments of letters, digits and `-._~!$&'()*+,;=:@` or `%XX`
/// escapes, no empty, `.` or `..` segment, no encoded `.`, `/` or `\`
/// (which a server might decode into a way out of the shop's prefix), an
/// optional query (which may also hold `/` and `?`), no fragment, at most
/// [`MAX_PATH_BYTES`]. The error says what is wrong.
///
/// ```
/// use plugin_sdk::bold_api::check_path;
/// assert!(check_path("orders/abc123/shipping_lines").is_ok());
/// assert!(check_path("customers?page=2&per_page=50").is_ok());
/// for bad in ["", "/orders", "../admin", "orders//x", "a b", "a%2Fb", "a#frag"] {
///     assert!(check_path(bad).is_err(), "{bad}");
/// }
/// ```
pub fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!("the path is over {MAX_PATH_BYTES} bytes"));
    }
    let (path_part, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    if path_part.starts_with('/') {
        return Err("the path must be relative to the shop (no leading `/`)".into());
    }
    for segment in path_part.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "path `{path}`: empty, `.` and `..` segments are not allowed"
            ));
        }
        check_chars(segment, b"")?;
    }
    if let Some(query) = query {
        check_chars(query, b"/?")?;
    }
    Ok(())
}

fn check_chars(text: &str, also: &[u8]) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let decoded = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match decoded {
                None => return Err(format!("`{text}`: `%` must start an escape like `%20`")),
                Some(b'.' | b'/' | b'\\') => {
                    return Err(format!(
                        "`{text}`: an encoded `.`, `/` or `\\` is not allowed"
                    ));
                }
                Some(_) => {}
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || PCHAR.contains(&b) || also.contains(&b)) {
            // `b` may start a multi-byte character: name the character.
            let c = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err(format!(
                "`{text}`: the character {c:?} must be percent-encoded"
            ));
        }
        i += 1;
    }
    Ok(())
}

/// Why a Bold API request got no response; mirrors the WIT
/// `bold-api.error`.
///
/// Converts into a [`HandlerError`] with `?`: [`NoShop`](Self::NoShop)
/// into [`HandlerError::InvalidInput`] (the call lacks something the
/// handler needs), every other case into [`HandlerError::Failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoldApiError {
    /// The call named no shop (see [`Host::shop`](crate::Host::shop)).
    /// Also what hosts without Bold's API answer (connectors).
    NoShop,
    /// The plugin is not installed on the call's shop (no token).
    NotInstalled,
    /// The request is malformed (method, path, header, too large).
    InvalidRequest(String),
    /// No complete response within the per-request deadline.
    Timeout,
    /// The response body is larger than the per-request cap.
    ResponseTooLarge,
    /// This invocation already made as many requests (HTTP and Bold API
    /// together) as it may.
    TooManyRequests,
    /// The connection failed (refused, reset, DNS, TLS).
    Connection(String),
}

impl fmt::Display for BoldApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoldApiError::NoShop => f.write_str("the call names no shop"),
            BoldApiError::NotInstalled => f.write_str("not installed on the call's shop"),
            BoldApiError::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            BoldApiError::Timeout => f.write_str("timeout"),
            BoldApiError::ResponseTooLarge => f.write_str("response too large"),
            BoldApiError::TooManyRequests => f.write_str("too many requests"),
            BoldApiError::Connection(m) => write!(f, "connection failed: {m}"),
        }
    }
}

impl std::error::Error for BoldApiError {}

impl BoldApiError {
    /// The error's kind without its message, e.g. `not_installed` or
    /// `timeout`: safe to log when the message may carry a path or URL.
    ///
    /// ```
    /// use plugin_sdk::BoldApiError;
    /// assert_eq!(BoldApiError::NotInstalled.kind(), "not_installed");
    /// assert_eq!(BoldApiError::InvalidRequest("path `x y`".into()).kind(), "invalid_request");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            BoldApiError::NoShop => "no_shop",
            BoldApiError::NotInstalled => "not_installed",
            BoldApiError::InvalidRequest(_) => "invalid_request",
            BoldApiError::Timeout => "timeout",
            BoldApiError::ResponseTooLarge => "response_too_large",
            BoldApiError::TooManyRequests => "too_many_requests",
            BoldApiError::Connection(_) => "connection",
        }
    }

    /// The [`HandlerError`] for this error, its message prefixed with
    /// `context` (e.g. `"Bold API GET orders/1"`): `NoShop` is
    /// [`HandlerError::InvalidInput`], everything else
    /// [`HandlerError::Failed`].
    ///
    /// ```
    /// use plugin_sdk::{BoldApiError, HandlerError};
    /// assert_eq!(
    ///     BoldApiError::Timeout.into_handler_error("Bold API GET orders/1"),
    ///     HandlerError::Failed("Bold API GET orders/1: timeout".into()),
    /// );
    /// assert_eq!(
    ///     HandlerError::from(BoldApiError::NoShop),
    ///     HandlerError::InvalidInput("Bold API: the call names no shop".into()),
    /// );
    /// ```
    pub fn into_handler_error(self, context: &str) -> HandlerError {
        let message = format!("{context}: {self}");
        match self {
            BoldApiError::NoShop => HandlerError::InvalidInput(message),
            _ => HandlerError::Failed(message),
        }
    }
}

impl From<BoldApiError> for HandlerError {
    /// [`BoldApiError::into_handler_error`] with context `"Bold API"`.
    fn from(error: BoldApiError) -> Self {
        error.into_handler_error("Bold API")
    }
}
