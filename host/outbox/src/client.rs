//! [`BoldClient`]: one POST of one notification to Bold's API, and what the
//! answer means.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, header};

use super::backoff::{Class, classify, parse_retry_after};
use super::settings::SHOP_PLACEHOLDER;
use super::{BoldApiSettings, Claimed, OutboxError};

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("plugin-host/", env!("CARGO_PKG_VERSION"));

/// How much of an error body is kept in `last_error`.
pub const ERROR_BODY_BYTES: usize = 200;

/// How much of a success body is read (so the connection can be reused);
/// Bold answers 202 with an empty body.
const SUCCESS_BODY_BYTES: usize = 64 * 1024;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// A 2xx.
    Delivered {
        /// The status.
        status: u16,
    },
    /// Worth trying again (408, 429, 5xx, timeout, connection error, no
    /// token).
    Retry {
        /// The status, if there was a response.
        status: Option<u16>,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// What went wrong (status and the start of the body, or the
        /// transport error).
        error: String,
    },
    /// Bold refused the shop's credentials (401 or 403): try again once
    /// they may have been fixed, without counting the attempt.
    Unauthorized {
        /// The status.
        status: u16,
        /// What went wrong (status and the start of the body).
        error: String,
    },
    /// Not worth trying again (other 4xx, a redirect, a notification Bold
    /// has no endpoint for).
    Permanent {
        /// The status, if there was a response.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
}

impl AttemptResult {
    /// The HTTP status, if there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Delivered { status } | Self::Unauthorized { status, .. } => Some(*status),
            Self::Retry { status, .. } | Self::Permanent { status, .. } => *status,
        }
    }

    /// A retry without a response (no token, transport error).
    pub fn retry(error: impl Into<String>) -> Self {
        Self::Retry {
            status: None,
            retry_after: None,
            error: error.into(),
        }
    }
}

/// Sends notifications to Bold: one `reqwest::Client` (connection pool,
/// timeouts, no redirects) and the URL templates.
#[derive(Debug, Clone)]
pub struct BoldClient {
    http: reqwest::Client,
    settings: BoldApiSettings,
    version_date: HeaderValue,
}

impl BoldClient {
    /// Builds the client; the settings are validated first.
    pub fn new(settings: &BoldApiSettings) -> Result<Self, OutboxError> {
        settings.validate()?;
        let version_date = HeaderValue::from_str(&settings.api_version_date)
            .map_err(|e| OutboxError::Client(e.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout())
            .timeout(settings.request_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| OutboxError::Client(e.to_string()))?;
        Ok(Self {
            http,
            settings: settings.clone(),
            version_date,
        })
    }

    /// The URL for a notification, or why there is none.
    pub fn url(&self, claimed: &Claimed) -> Result<String, String> {
        let template = self
            .settings
            .paths
            .template(claimed.kind, claimed.op)
            .ok_or_else(|| format!("Bold has no {} {} operation", claimed.kind, claimed.op))?;
        let segment = path_segment(&claimed.shop)?;
        Ok(format!(
            "{}{}",
            self.settings.base(),
            template.replace(SHOP_PLACEHOLDER, &segment)
        ))
    }

    /// POSTs `body` for `claimed` with `token`, and classifies the answer.
    pub async fn send(&self, claimed: &Claimed, body: String, token: &str) -> AttemptResult {
        let url = match self.url(claimed) {
            Ok(url) => url,
            Err(error) => {
                return AttemptResult::Permanent {
                    status: None,
                    error,
                };
            }
        };
        let mut headers = HeaderMap::with_capacity(4);
        match HeaderValue::from_str(&format!("Bearer {token}")) {
            Ok(mut value) => {
                value.set_sensitive(true);
                headers.insert(header::AUTHORIZATION, value);
            }
            // The token is the credentials' fault, not the notification's.
            Err(_) => return AttemptResult::retry("invalid token (not a header value)"),
        }
        match HeaderValue::from_str(&claimed.idempotency_key) {
            Ok(value) => {
                headers.insert("idempotency-key", value);
            }
            Err(_) => {
                return AttemptResult::Permanent {
                    status: None,
                    error: "invalid idempotency key".into(),
                };
            }
        }
        headers.insert("bold-api-version-date", self.version_date.clone());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let sent = self.http.post(url).headers(headers).body(body).send().await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return AttemptResult::retry(transport_error(&e, &self.settings)),
        };
        let status = response.status().as_u16();
        match classify(status) {
            Class::Delivered => {
                // Read (and drop) a small body so the connection is reused.
                let _ = read_prefix(&mut response, SUCCESS_BODY_BYTES).await;
                AttemptResult::Delivered { status }
            }
            class => {
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let body = read_prefix(&mut response, ERROR_BODY_BYTES)
                    .await
                    .unwrap_or_default();
                let error = describe(status, &body);
                match class {
                    Class::Retry => AttemptResult::Retry {
                        status: Some(status),
                        retry_after,
                        error,
                    },
                    Class::Unauthorized => AttemptResult::Unauthorized { status, error },
                    Class::Delivered | Class::Permanent => AttemptResult::Permanent {
                        status: Some(status),
                        error,
                    },
                }
            }
        }
    }
}

/// Up to `limit` bytes of the body.
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(_) => return if body.is_empty() { None } else { Some(body) },
        }
    }
    Some(body)
}

/// `HTTP 429: <start of the body>`, the body as text with control
/// characters replaced.
pub fn describe(status: u16, body: &[u8]) -> String {
    let body = &body[..body.len().min(ERROR_BODY_BYTES)];
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {text}")
    }
}

/// A transport error without the URL (only the kind and its causes).
fn transport_error(e: &reqwest::Error, settings: &BoldApiSettings) -> String {
    if e.is_timeout() {
        return format!("timeout after {} ms", settings.request_timeout_ms);
    }
    let kind = if e.is_connect() {
        "connection error"
    } else {
        "request error"
    };
    let mut text = String::from(kind);
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(300).collect()
}

/// `value` percent-encoded as one path segment: unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) as they are, every other byte as `%XX`. Empty,
/// `.` and `..` are refused (they are not a segment a URL keeps).
pub fn path_segment(value: &str) -> Result<String, String> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(format!("invalid shop identifier {value:?}"));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntityKind, Operation, Timestamp};

    fn claimed(shop: &str, kind: EntityKind, op: Operation) -> Claimed {
        Claimed {
            id: 1,
            idempotency_key: "0123456789abcdef0123456789abcdef".into(),
            plugin: "sync".into(),
            shop: shop.into(),
            kind,
            op,
            platform_id: "7".into(),
            payload: "{}".into(),
            attempt: 1,
            enqueued_at: Timestamp::from_micros(0),
            lease_expires_at: Timestamp::from_micros(0),
            lease_token: 1,
        }
    }

    #[test]
    fn encodes_the_shop_as_one_segment() {
        assert_eq!(path_segment("abc-123_x.y~z").unwrap(), "abc-123_x.y~z");
        assert_eq!(path_segment("a/b c?d%").unwrap(), "a%2Fb%20c%3Fd%25");
        assert_eq!(path_segment("é").unwrap(), "%C3%A9");
        assert!(path_segment("").is_err());
        assert!(path_segment("..").is_err());
    }

    #[test]
    fn builds_urls_from_templates() {
        let settings = BoldApiSettings {
            base_url: "http://127.0.0.1:1/api/".into(),
            ..BoldApiSettings::default()
        };
        let client = BoldClient::new(&settings).unwrap();
        assert_eq!(
            client
                .url(&claimed("s/1", EntityKind::Product, Operation::Deleted))
                .unwrap(),
            "http://127.0.0.1:1/api/platform_connector/s%2F1/products/deleted"
        );
        assert_eq!(
            client
                .url(&claimed("s", EntityKind::Order, Operation::Deleted))
                .unwrap_err(),
            "Bold has no order deleted operation"
        );
    }

    #[test]
    fn describes_errors_briefly() {
        assert_eq!(describe(503, b""), "HTTP 503");
        assert_eq!(
            describe(400, b"bad\nrequest\x1b[31m"),
            "HTTP 400: bad request [31m"
        );
        let long = vec![b'x'; 1000];
        assert_eq!(
            describe(500, &long).len(),
            "HTTP 500: ".len() + ERROR_BODY_BYTES
        );
    }
}
