//! The one error type of the endpoint, and its agreed statuses: 404 unknown
//! plugin or route, 405 method, 413 body over the limit, 401 signature (empty
//! body), 415 content type, 400 body, 503 unavailable or busy (with
//! `Retry-After`), 502 a plugin's fault where the host is its gateway.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::dispatch::Refusal;
use crate::dispatch::event_name::BodyError;

/// Why a request was not answered by a plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Unknown plugin or route (404).
    #[error("no such plugin or route")]
    NotFound,
    /// The plugin does not handle this override kind or webhook topic (404).
    #[error("the plugin does not handle this call")]
    Unsupported,
    /// Only POST is accepted on plugin routes (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is over the plugin's limit (413).
    #[error("request body over {0} bytes")]
    PayloadTooLarge(u64),
    /// The body did not arrive within the deadline (408).
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// The body could not be read (the client broke the connection or the
    /// framing) (400).
    #[error("the request body could not be read")]
    UnreadableBody,
    /// The signature does not verify (401, empty body).
    #[error("signature verification failed")]
    Unauthorized,
    /// The body is not `application/json` (415).
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// The body is not what the route needs (400).
    #[error("{0}")]
    BadRequest(String),
    /// The plugin failed to load (503).
    #[error("the plugin is not available")]
    Unavailable,
    /// Every sandbox of the plugin is busy (503 with `Retry-After`).
    #[error("the plugin is busy; retry shortly")]
    Saturated,
    /// The notifications a connector produced could not be committed to
    /// the outbox (503 with `Retry-After`: the caller retries, nothing was
    /// acknowledged).
    #[error("the notification outbox is not available; retry shortly")]
    OutboxUnavailable,
    /// An override or webhook handler faulted (502: the host is a gateway to
    /// the plugin, and the plugin failed).
    #[error("the plugin failed ({0})")]
    PluginFault(&'static str),
    /// Bold Checkout refused a call of the install flow, or could not be
    /// reached (502).
    #[error("{0}")]
    BadGateway(String),
    /// Installs cannot be read or written now (503 with `Retry-After`).
    #[error("installs cannot be stored right now; retry shortly")]
    StateUnavailable,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound | ApiError::Unsupported => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnreadableBody => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unavailable | ApiError::Saturated | ApiError::OutboxUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::PluginFault(_) | ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::StateUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The machine-readable code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::Unsupported => "unsupported",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::UnreadableBody => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unavailable => "unavailable",
            ApiError::Saturated => "overloaded",
            ApiError::OutboxUnavailable => "outbox_unavailable",
            ApiError::PluginFault(kind) => kind,
            ApiError::BadGateway(_) => "bold_error",
            ApiError::StateUnavailable => "state_unavailable",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => ApiError::NotFound,
            Refusal::Unsupported => ApiError::Unsupported,
            Refusal::Unauthorized => ApiError::Unauthorized,
            Refusal::Unavailable => ApiError::Unavailable,
            Refusal::Saturated => ApiError::Saturated,
            Refusal::OutboxUnavailable => ApiError::OutboxUnavailable,
            Refusal::PluginFault(kind) => ApiError::PluginFault(kind.as_str()),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        ApiError::BadRequest(err.to_string())
    }
}

/// Seconds a saturated caller should wait.
const RETRY_AFTER_SECS: &str = "1";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if self == ApiError::Unauthorized {
            // 401 carries no body: nothing for a prober to learn.
            return status.into_response();
        }
        let body = json!({"success": false, "error": self.code(), "message": self.to_string()});
        let mut response = (status, axum::Json(body)).into_response();
        match self {
            ApiError::Saturated
            | ApiError::Unavailable
            | ApiError::OutboxUnavailable
            | ApiError::StateUnavailable => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECS),
                );
            }
            ApiError::PayloadTooLarge(_) | ApiError::RequestTimeout | ApiError::UnreadableBody => {
                // The rest of the body is not read: the connection cannot
                // carry another request.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            ApiError::MethodNotAllowed => {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_has_an_empty_body_and_others_a_json_one() {
        let response = ApiError::Unauthorized.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());
        let busy = ApiError::Saturated.into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            ApiError::MethodNotAllowed.into_response().headers()[header::ALLOW],
            "POST"
        );
    }
}
