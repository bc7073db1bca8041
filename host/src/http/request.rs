//! The checks every signed plugin call passes, in the agreed order: unknown
//! plugin 404 → wrong method 405 → plugin not loaded 503 → body over limit
//! 413 → signature 401 → content type 415 → body not a JSON object (with a
//! string `event` for events) 400. The raw body is read within a deadline
//! (408) and verified before anything parses it; the registry was looked up
//! once, by the route.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri, header};
use http_body_util::BodyExt;

use super::AppState;
use super::error::ApiError;
use crate::config::http::{LINGER_BYTES, LINGER_TIME};
use crate::dispatch::event_name::{BodyError, read_event_field};
use crate::dispatch::install::Query;
use crate::dispatch::{Auth, Authenticated, InstallError, PluginEntry, Target};
use crate::signature::SignedRequest;
use crate::state::ShopRef;

/// A call that passed every check.
#[derive(Debug)]
pub(super) struct Checked {
    /// The plugin, loaded, as it was when the request came in.
    pub target: Target,
    /// The verified body (UTF-8 JSON object, or empty where allowed).
    pub body: String,
    /// The body's `event` field, when it has a string one.
    pub event: Option<String>,
    /// The shop the query string names (`?platform=…&shop=…`), on routes
    /// that read it.
    pub shop: Option<ShopRef>,
    /// What the caller proved.
    pub auth: Authenticated,
}

/// The parts of a request the checks read.
#[derive(Debug)]
pub(super) struct Incoming {
    /// The method.
    pub method: Method,
    /// The original URI (before any router stripped a prefix).
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, not read yet.
    pub body: Body,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Incoming {
    type Rejection = std::convert::Infallible;

    async fn from_request(
        request: axum::extract::Request,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // `(request-target)` covers the path as the client sent it, before a
        // `nest` stripped a prefix.
        let uri = request
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| request.uri().clone(), |original| original.0.clone());
        let (parts, body) = request.into_parts();
        Ok(Self {
            method: parts.method,
            uri,
            headers: parts.headers,
            body,
        })
    }
}

/// What a route requires.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Accepted methods.
    pub methods: &'static [Method],
    /// How the caller is authenticated.
    pub auth: Auth,
    /// What the (verified) body must be.
    pub body: BodyRule,
    /// The query string may name the call's shop (`platform` and `shop`);
    /// a malformed one is a 400.
    pub shop_in_query: bool,
}

/// What a route's body must be, once verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyRule {
    /// A JSON object (`application/json`) with a string `event` field.
    Event,
    /// A JSON object (`application/json`).
    Json,
    /// Empty (then no content type is required), or a JSON object.
    JsonOrEmpty,
    /// Anything within the size limit: read (and covered by the signature
    /// where it can be), then not looked at.
    Ignored,
}

/// The checkout routes: POST, cavage-signed, a JSON object.
pub(super) const CHECKOUT: Rules = Rules {
    methods: &[Method::POST],
    auth: Auth::Cavage,
    body: BodyRule::Json,
    shop_in_query: true,
};

/// The event route: a checkout route whose body has a string `event`.
pub(super) const EVENT: Rules = Rules {
    body: BodyRule::Event,
    ..CHECKOUT
};

/// Runs the checks of `rules` on a request for `entry` (`None`: no such
/// plugin), in the agreed order.
pub(super) async fn check(
    state: &AppState,
    entry: Option<Arc<PluginEntry>>,
    incoming: Incoming,
    rules: Rules,
) -> Result<Checked, ApiError> {
    let Incoming {
        method,
        uri,
        headers,
        body,
    } = incoming;
    let entry = entry.ok_or(ApiError::NotFound)?;
    if !rules.methods.contains(&method) {
        return Err(ApiError::MethodNotAllowed);
    }
    let target = Target::ready(entry)?;
    let (bytes, auth) = read_and_authenticate(
        state,
        target.entry(),
        rules.auth,
        &method,
        &uri,
        &headers,
        body,
    )
    .await?;

    // Last of the checks (a 400, as a body that is not JSON).
    let shop = || {
        if rules.shop_in_query {
            shop_in_query(uri.query())
        } else {
            Ok(None)
        }
    };
    let empty_allowed = rules.body == BodyRule::JsonOrEmpty && bytes.is_empty();
    if empty_allowed || rules.body == BodyRule::Ignored {
        return Ok(Checked {
            target,
            body: String::new(),
            event: None,
            shop: shop()?,
            auth,
        });
    }
    if !is_json_content_type(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = String::from_utf8(Vec::from(bytes)).map_err(|_| BodyError::NotUtf8)?;
    let event = read_event_field(&body)?;
    if rules.body == BodyRule::Event && event.is_none() {
        return Err(BodyError::NoEvent.into());
    }
    Ok(Checked {
        target,
        body,
        event,
        shop: shop()?,
        auth,
    })
}

/// The shop a query string names with both `platform` and `shop` (one of
/// them alone names none); a name outside its character set, or a parameter
/// given twice, is a 400.
fn shop_in_query(query: Option<&str>) -> Result<Option<ShopRef>, ApiError> {
    let bad = |e: InstallError| ApiError::BadRequest(e.to_string());
    let query = Query::parse(query).map_err(bad)?;
    match (query.get("platform"), query.get("shop")) {
        (Ok(_), Ok(_)) => query.shop().map(Some).map_err(bad),
        _ => Ok(None),
    }
}

/// Reads the body within the plugin's limit and deadline (413, 408), then
/// checks who sent it (401): the raw bytes, before anything parses them.
pub(super) async fn read_and_authenticate(
    state: &AppState,
    entry: &PluginEntry,
    auth: Auth,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, Authenticated), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = entry.manifest().limits.body_bytes;
    let bytes = read_body(body, declared, limit, state.settings().body_timeout).await?;
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let request = SignedRequest {
        method,
        path_and_query,
        headers,
        body: &bytes,
    };
    let proved = state.dispatcher().authenticate(entry, auth, &request)?;
    Ok((bytes, proved))
}

/// Why a body was not read whole.
enum Short {
    /// It is over the limit.
    TooLarge,
    /// The connection or its framing broke.
    Broken,
}

/// Reads the body whole: at most `limit` bytes (a larger `declared` length
/// is refused before reading), within `deadline` (else 408). A body over
/// the limit is read on and discarded, up to [`LINGER_BYTES`] within
/// [`LINGER_TIME`], before the 413: a client that writes its whole body
/// before it reads (node's http client does) then sees the status instead
/// of a connection reset.
async fn read_body(
    mut body: Body,
    declared: Option<u64>,
    limit: u64,
    deadline: Duration,
) -> Result<Bytes, ApiError> {
    if declared.is_some_and(|len| len > limit) {
        discard(body).await;
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let capacity = declared.unwrap_or(0).min(limit);
    let mut buffer = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(Short::Broken);
            };
            if let Ok(data) = frame.into_data() {
                if (buffer.len() + data.len()) as u64 > limit {
                    return Err(Short::TooLarge);
                }
                buffer.extend_from_slice(&data);
            }
        }
        Ok(())
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(())) => Ok(Bytes::from(buffer)),
        Ok(Err(Short::TooLarge)) => {
            discard(body).await;
            Err(ApiError::PayloadTooLarge(limit))
        }
        Ok(Err(Short::Broken)) => Err(ApiError::UnreadableBody),
        Err(_elapsed) => Err(ApiError::RequestTimeout),
    }
}

/// Reads and drops what is left of `body`, up to [`LINGER_BYTES`] within
/// [`LINGER_TIME`] (a lingering close: the connection is closed after the
/// answer either way).
async fn discard(mut body: Body) {
    let drain = async {
        let mut seen: u64 = 0;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len() as u64;
                if seen > LINGER_BYTES {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// `application/json`, parameters (charset) allowed.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_may_carry_parameters() {
        let mut headers = HeaderMap::new();
        assert!(!is_json_content_type(&headers));
        for (value, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(is_json_content_type(&headers), ok, "{value}");
        }
    }
}
