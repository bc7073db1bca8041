//! The checks every signed plugin call passes, in the agreed order: unknown
//! plugin 404 → wrong method 405 → body over limit 413 → signature 401 →
//! content type 415 → body not a JSON object (with a string `event` for
//! events) 400. The raw body is verified before anything parses it.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri, header};
use serde::de::{Deserializer, MapAccess, Visitor};

use super::AppState;
use super::error::ApiError;
use crate::registry::PluginEntry;
use crate::signature::SignedRequest;

/// A call that passed every check.
#[derive(Debug)]
pub(super) struct Checked {
    /// The plugin's entry at the moment the request came in.
    pub entry: Arc<PluginEntry>,
    /// The verified body (UTF-8 JSON object).
    pub body: String,
    /// The body's `event` field, when it has a string one.
    pub event: Option<String>,
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

/// How a route authenticates its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Auth {
    /// Bold's draft-cavage HMAC signature with the plugin's client secret.
    Cavage,
    /// The platform's HMAC-SHA256 of the raw body (connectors only).
    PlatformBody,
}

/// What a route requires.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Accepted methods.
    pub methods: &'static [Method],
    /// How the caller is authenticated.
    pub auth: Auth,
    /// The body must have a string `event` field.
    pub require_event: bool,
    /// An empty body is accepted (and no content type is required).
    pub allow_empty: bool,
}

/// The checkout routes: POST, cavage-signed, a JSON object.
pub(super) const CHECKOUT: Rules = Rules {
    methods: &[Method::POST],
    auth: Auth::Cavage,
    require_event: false,
    allow_empty: false,
};

/// Runs the checks; `require_event` for the event dispatch route.
pub(super) async fn check(
    state: &AppState,
    id: &str,
    incoming: Incoming,
    require_event: bool,
) -> Result<Checked, ApiError> {
    let rules = Rules {
        require_event,
        ..CHECKOUT
    };
    check_with(state, id, incoming, rules).await
}

/// Runs the checks of `rules`, in the agreed order.
pub(super) async fn check_with(
    state: &AppState,
    id: &str,
    incoming: Incoming,
    rules: Rules,
) -> Result<Checked, ApiError> {
    let Incoming {
        method,
        uri,
        headers,
        body,
    } = incoming;
    let (method, uri, headers) = (&method, &uri, &headers);
    let entry = state.registry().get(id).ok_or(ApiError::NotFound)?;
    if !rules.methods.contains(method) {
        return Err(ApiError::MethodNotAllowed);
    }
    if !entry.is_ready() {
        return Err(ApiError::Unavailable);
    }
    let limit = entry.manifest.limits.body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .await
        .map_err(|_| ApiError::PayloadTooLarge(limit))?;

    match rules.auth {
        Auth::Cavage => verify_cavage(state, &entry, id, method, uri, headers, &bytes)?,
        Auth::PlatformBody => {
            let verifier = entry
                .connector
                .as_ref()
                .and_then(|c| c.secrets.webhook.as_ref())
                .ok_or(ApiError::NotFound)?;
            if let Err(err) = verifier.verify(headers, &bytes) {
                tracing::warn!(plugin = id, reason = %err, "platform webhook signature refused");
                state.metrics().signature_failures_inc(id);
                return Err(ApiError::Unauthorized);
            }
        }
    }

    if rules.allow_empty && bytes.is_empty() {
        return Ok(Checked {
            entry,
            body: String::new(),
            event: None,
        });
    }
    if !is_json_content_type(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = String::from_utf8(Vec::from(bytes))
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
    let event = read_event_field(&body).map_err(ApiError::BadRequest)?;
    if rules.require_event && event.is_none() {
        return Err(ApiError::BadRequest(
            "the body has no string `event` field".into(),
        ));
    }
    Ok(Checked { entry, body, event })
}

/// Bold's signature (and the replay guard, when on).
fn verify_cavage(
    state: &AppState,
    entry: &PluginEntry,
    id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let request = SignedRequest {
        method,
        path_and_query,
        headers,
        body,
    };
    let now = state.now();
    let verified = entry
        .verifier
        .verify(&request, now)
        .and_then(|verified| match &entry.replay {
            Some(guard) => guard.check_and_remember(&verified.signature, now),
            None => Ok(()),
        });
    if let Err(err) = verified {
        tracing::warn!(plugin = id, reason = %err, code = err.code(), "signature refused");
        state.metrics().signature_failures_inc(id);
        return Err(ApiError::Unauthorized);
    }
    Ok(())
}

/// `application/json`, parameters (charset) allowed.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Deepest nesting of arrays and objects a body may have (DESIGN.md).
const MAX_DEPTH: usize = 128;

/// Checks that `body` is one JSON object nested at most [`MAX_DEPTH`] deep
/// and returns its `event` field if that is a string. One pass that
/// allocates nothing but the event name; the depth is counted here
/// (serde_json's own limit, 127, is off) so that the agreed 128 holds.
fn read_event_field(body: &str) -> Result<Option<String>, String> {
    let mut de = serde_json::Deserializer::from_str(body);
    de.disable_recursion_limit();
    let event = de
        .deserialize_map(Value {
            depth: 1,
            want_event: true,
        })
        .map_err(body_error)?;
    de.end().map_err(body_error)?;
    match event {
        Read::Object(event) => Ok(event),
        _ => Err("the body is not a JSON object".into()),
    }
}

fn body_error(e: serde_json::Error) -> String {
    if e.to_string().starts_with(TOO_DEEP) {
        format!("the body nests deeper than {MAX_DEPTH} levels")
    } else {
        format!("the body is not a JSON object: {e}")
    }
}

const TOO_DEEP: &str = "too deep";

/// What reading one value found: for the top-level object, its `event`.
enum Read {
    Object(Option<String>),
    Name(String),
    Other,
}

/// Reads (and mostly skips) one value at `depth` (1 = top level).
#[derive(Clone, Copy)]
struct Value {
    depth: usize,
    /// Keep the `event` field of this object, or this string.
    want_event: bool,
}

impl Value {
    /// A value inside this container.
    fn child(self, want_event: bool) -> Value {
        Value {
            depth: self.depth + 1,
            want_event,
        }
    }

    /// Entering this container: refused past [`MAX_DEPTH`], before any
    /// deeper recursion.
    fn enter<E: serde::de::Error>(self) -> Result<(), E> {
        if self.depth > MAX_DEPTH {
            return Err(E::custom(TOO_DEEP));
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Value {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Read, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = Read;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Read, E> {
        Ok(if self.want_event {
            Read::Name(v.to_owned())
        } else {
            Read::Other
        })
    }

    fn visit_bool<E>(self, _: bool) -> Result<Read, E> {
        Ok(Read::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Read, E> {
        Ok(Read::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Read, E> {
        Ok(Read::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Read, E> {
        Ok(Read::Other)
    }
    fn visit_unit<E>(self) -> Result<Read, E> {
        Ok(Read::Other)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
        self.enter()?;
        while seq.next_element_seed(self.child(false))?.is_some() {}
        Ok(Read::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        self.enter()?;
        let top = self.depth == 1;
        let mut event = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let is_event = top && key == "event";
            match map.next_value_seed(self.child(is_event))? {
                Read::Name(name) => event = Some(name),
                _ if is_event => event = None,
                _ => {}
            }
        }
        Ok(Read::Object(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_event_of_json_objects_only() {
        assert_eq!(
            read_event_field(r#"{"a": [1, {"b": null}], "event": "order_submitted"}"#),
            Ok(Some("order_submitted".into()))
        );
        assert_eq!(read_event_field(r#"{"event": 5}"#), Ok(None));
        assert_eq!(read_event_field(r#"{}"#), Ok(None));
        assert!(read_event_field(r#"["event"]"#).is_err());
        assert!(read_event_field(r#"{"event": "x"} trailing"#).is_err());
        assert!(read_event_field("{").is_err());
        let nested = |levels: usize| {
            format!(
                "{{\"a\": {}{}}}",
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            )
        };
        assert!(read_event_field(&nested(MAX_DEPTH)).is_ok());
        let deep = read_event_field(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(deep.contains("nests deeper than 128"), "{deep}");
        let deep_objects = format!("{}{}", "{\"a\":".repeat(129), "}".repeat(129));
        assert!(read_event_field(&deep_objects).is_err());
        let ok_objects = format!("{}1{}", "{\"a\":".repeat(128), "}".repeat(128));
        assert!(read_event_field(&ok_objects).is_ok());
        let very_deep = read_event_field(&nested(100_000)).unwrap_err();
        assert!(very_deep.contains("nests deeper"), "{very_deep}");
        let in_event = format!("{{\"event\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(
            read_event_field(&in_event).is_err(),
            "the event field is bounded too"
        );
        let in_string = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(200), "{".repeat(200));
        assert!(
            read_event_field(&in_string).is_ok(),
            "brackets inside strings do not count"
        );
    }

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
