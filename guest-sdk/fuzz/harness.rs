//! What the fuzz target runs, shared (by `#[path]`) with the crate's
//! `tests/fuzz_corpus.rs`, which replays the committed corpus on stable so
//! CI needs no nightly. Besides not panicking, every input is held to
//! invariants, with serde_json as the reference.
//!
//! Input of [`skim`]: the body of an event, any bytes (invalid UTF-8 becomes
//! U+FFFD: a body is a `String`). It goes through `Event::new`,
//! `Event::parse`, every accessor (twice: the second answer is the cached
//! one), `Event::field` and `Event::pointer`, and:
//! - `Event::new` accepts every JSON object serde_json accepts, with the
//!   same keys in the same order and the same value spans (`Event::raw`, the
//!   last of duplicated keys); when it accepts text serde_json rejects, the
//!   fault is inside a value (or a key holds a control character): only the
//!   top level is checked strictly;
//! - an accessor that succeeds read a value serde_json accepts; its error is
//!   `InvalidInput` naming its key; on an object, the lenient accessor
//!   agrees with plain `field::<T>`; what it decoded survives a round trip
//!   through `serde_json::Value`;
//! - on valid JSON (serde_json's depth limit included), `Event::pointer`
//!   agrees with `serde_json::Value::pointer` (a `null` read as missing) for
//!   the pointers of the document's values, up to [`MAX_POINTERS`], and for
//!   probes around them (missing keys, out-of-range, `-` and `+0` indexes,
//!   steps into scalars); decoded as `String`, `i64` or `Id` it fails exactly
//!   when `serde_json::from_value` does;
//! - `Event::parse` names the event by the body's `event` string.
//!
//! An array index with a leading zero (`/list/01`) is not an index in RFC
//! 6901 (serde_json: not found); `Event::pointer` reads it as `1`. Either
//! answer is accepted here (see [`check_pointer`]).
#![allow(dead_code)] // the corpus test uses part of this
#![allow(clippy::unwrap_used)] // an assertion failure is what a fuzz target reports

use std::fmt::Debug;
use std::ops::Range;

use plugin_sdk::serde::Deserializer as _;
use plugin_sdk::serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use plugin_sdk::serde_json::value::RawValue;
use plugin_sdk::serde_json::{self, Map, Value};
use plugin_sdk::{Cart, Customer, Event, HandlerError, Id, Order};

/// The name events are created with.
pub const NAME: &str = "fuzz_event";
/// Pointers checked per document (the document's own, then probes).
pub const MAX_POINTERS: usize = 48;

/// What an input turned out to be (the corpus test counts these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// `Event::new` accepted the body.
    pub indexed: bool,
    /// serde_json parses the body as one object (depth limit included).
    pub valid_object: bool,
}

/// Runs one input through `Event` and checks the invariants.
pub fn skim(data: &[u8]) -> Outcome {
    let body = String::from_utf8_lossy(data).into_owned();
    let oracle = index_serde(&body);
    let event = Event::new(NAME, body.as_str());
    let value: Option<Value> = serde_json::from_str(&body).ok();
    let valid_object = value.as_ref().is_some_and(Value::is_object);

    let event = match event {
        Ok(event) => event,
        Err(err) => {
            assert!(
                matches!(&err, HandlerError::InvalidInput(m) if m.starts_with("body: ")),
                "{err:?}"
            );
            if let Ok(pairs) = oracle {
                panic!("serde_json reads the object {pairs:?}, Event::new refused it: {err:?}");
            }
            assert!(
                Event::parse(body.as_str()).is_err(),
                "parse accepted what new refused"
            );
            return Outcome::default();
        }
    };
    assert_eq!(event.name(), NAME);
    assert_eq!(event.body(), body);
    let _ = format!("{event:?}");

    check_index(&event, &body, oracle);
    check_parse(&event, value.as_ref());
    check_accessors(&event);
    match &value {
        Some(value) if value.is_object() => {
            let mut pointers = Vec::new();
            document_pointers(value, String::new(), &mut pointers);
            for pointer in pointers.iter().take(MAX_POINTERS) {
                check_pointer(&event, value, pointer);
            }
        }
        _ => probe_pointers(&event),
    }
    assert!(event.pointer::<Value>("no-slash").is_err());
    Outcome {
        indexed: true,
        valid_object,
    }
}

/// Keys and value spans against serde_json's (when it reads the object).
fn check_index(event: &Event, body: &str, oracle: Result<Vec<(String, Range<usize>)>, String>) {
    let keys: Vec<&str> = event.keys().collect();
    let base = event.body().as_ptr().addr();
    let span = |raw: &str| {
        let start = raw.as_ptr().addr() - base;
        start..start + raw.len()
    };
    match oracle {
        Ok(pairs) => {
            let expected: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, expected, "keys");
            for (key, _) in &pairs {
                // The last of duplicated keys wins, as in serde_json.
                let (_, range) = pairs.iter().rev().find(|(k, _)| k == key).unwrap();
                let raw = event.raw(key).unwrap();
                assert_eq!(span(raw), *range, "span of {key:?}");
            }
        }
        Err(oracle_err) => {
            // Event::new skims values: a fault inside one is found when it
            // is decoded, not here. Plain keys are not checked for control
            // characters either. Nothing else may differ. (Only the last of
            // duplicated keys can be looked at: any duplicate excuses.)
            let duplicated = keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k));
            let excused = duplicated
                || keys.iter().any(|k| k.chars().any(char::is_control))
                || keys
                    .iter()
                    .any(|k| event.raw(k).is_none_or(|raw| !syntax_ok(raw)));
            assert!(
                excused,
                "Event::new accepted a body serde_json refuses ({oracle_err}), \
                 yet every key and value is well formed: {body:?}"
            );
        }
    }
}

/// `Event::parse` against `Event::new` and the body's `event` field.
fn check_parse(event: &Event, value: Option<&Value>) {
    let parsed = Event::parse(event.body());
    if let Ok(parsed) = &parsed {
        assert_eq!(parsed.body(), event.body());
        assert_eq!(
            parsed.keys().collect::<Vec<_>>(),
            event.keys().collect::<Vec<_>>()
        );
    }
    if let Some(value) = value {
        match value.get("event").and_then(Value::as_str) {
            Some(name) => assert_eq!(parsed.unwrap().name(), name),
            None => assert!(
                parsed.is_err(),
                "parse named an event without a string `event`"
            ),
        }
    }
}

/// Every accessor, twice; see the module docs for what is checked.
fn check_accessors(event: &Event) {
    let cart = accessor(event, "cart", || event.cart());
    let customer = accessor(event, "customer", || event.customer());
    let order = accessor(event, "order", || event.order());
    let cart_params = accessor(event, "cart_params", || event.cart_params());
    let properties = accessor(event, "properties", || event.properties());
    accessor(event, "properties", || event.hook());
    accessor(event, "order_id", || event.order_id());
    accessor(event, "idempotent_key", || event.idempotent_key());
    accessor(event, "language_iso", || event.language_iso());
    let lists = [
        (
            "shipping_lines",
            accessor(event, "shipping_lines", || event.shipping_lines()),
        ),
        (
            "tax_lines",
            accessor(event, "tax_lines", || event.tax_lines()),
        ),
        (
            "discount_lines",
            accessor(event, "discount_lines", || event.discount_lines()),
        ),
    ];

    // On an object the lenient decoders add nothing: same as `field`.
    same_as_field::<Cart>(event, "cart", cart);
    same_as_field::<Customer>(event, "customer", customer);
    same_as_field::<Order>(event, "order", order);
    same_as_field::<Map<String, Value>>(event, "cart_params", cart_params);
    same_as_field::<Map<String, Value>>(event, "properties", properties);
    // A list loses its empty entries, nothing else.
    for (key, decoded) in lists {
        let Some(raw) = event.raw(key).filter(|raw| raw.starts_with('[')) else {
            continue;
        };
        match (decoded, event.field::<Vec<Value>>(key)) {
            (Some(decoded), Ok(Some(plain))) => {
                let kept: Vec<Value> = plain.into_iter().filter(|v| !is_empty_entry(v)).collect();
                assert_eq!(decoded, kept.as_slice(), "{key}: {raw}");
            }
            (None, Err(_)) => {}
            (decoded, plain) => panic!("{key}: lenient {decoded:?}, plain {plain:?}: {raw}"),
        }
    }

    if let Some(cart) = cart {
        round_trip(cart);
        for item in &cart.line_items {
            let _ = (item.property("gift_wrap"), item.id.as_ref().map(Id::as_i64));
        }
        let _ = cart.attribute("note");
    }
    if let Some(customer) = customer {
        round_trip(customer);
        let _ = (customer.shipping.is_empty(), customer.billing.is_empty());
    }
    if let Some(order) = order {
        round_trip(order);
    }
    let _ = event.field::<Value>("cart");
}

/// Calls an accessor twice and checks its answer; `Some` when it decoded.
fn accessor<R: PartialEq + Debug>(
    event: &Event,
    key: &str,
    get: impl Fn() -> Result<R, HandlerError>,
) -> Option<R> {
    let first = get();
    assert_eq!(first, get(), "{key}: a different answer the second time");
    match first {
        Ok(decoded) => {
            if let Some(raw) = event.raw(key) {
                assert!(
                    syntax_ok(raw),
                    "{key}: decoded {raw:?}, which serde_json refuses"
                );
            }
            Some(decoded)
        }
        Err(HandlerError::InvalidInput(m)) => {
            assert!(m.starts_with(&format!("{key}: ")), "{m}");
            None
        }
        Err(other) => panic!("{key}: {other:?}"),
    }
}

/// When `key` holds an object, the accessor's answer is `field::<T>`'s.
fn same_as_field<T: DeserializeOwned + PartialEq + Debug>(
    event: &Event,
    key: &str,
    decoded: Option<&T>,
) {
    let Some(raw) = event.raw(key).filter(|raw| raw.starts_with('{')) else {
        return;
    };
    match (decoded, event.field::<T>(key)) {
        (Some(decoded), Ok(Some(plain))) => assert_eq!(decoded, &plain, "{key}: {raw}"),
        (None, Err(_)) => {}
        (decoded, plain) => panic!("{key}: lenient {decoded:?}, plain {plain:?}: {raw}"),
    }
}

/// A typed view, serialised and decoded again, is unchanged.
fn round_trip<T: plugin_sdk::serde::Serialize + DeserializeOwned + PartialEq + Debug>(typed: &T) {
    let json = serde_json::to_value(typed).unwrap();
    let again: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&again, typed, "round trip through {json}");
}

fn is_empty_entry(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(list) => list.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Whether serde_json accepts `raw` as one JSON value (syntax only: no
/// depth limit, numbers out of `f64`'s range accepted).
fn syntax_ok(raw: &str) -> bool {
    serde_json::from_str::<IgnoredAny>(raw).is_ok()
}

/// The reference index: serde_json's own parser, keeping each value's span
/// (values are read as `RawValue`: syntax only, as deep as they go).
pub fn index_serde(body: &str) -> Result<Vec<(String, Range<usize>)>, String> {
    struct TopLevel;
    impl<'de> Visitor<'de> for TopLevel {
        type Value = Vec<(String, &'de str)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: &'de RawValue = map.next_value()?;
                entries.push((key, value.get()));
            }
            Ok(entries)
        }
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let entries = de.deserialize_map(TopLevel).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    let base = body.as_ptr().addr();
    Ok(entries
        .into_iter()
        .map(|(k, v)| {
            let start = v.as_ptr().addr() - base;
            (k, start..start + v.len())
        })
        .collect())
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The pointers of `value` and of the values in it, each followed by probes
/// next to it (missing keys, indexes out of range or not canonical, a step
/// into a scalar), shallow ones first; [`skim`] checks the first
/// [`MAX_POINTERS`].
fn document_pointers(value: &Value, pointer: String, out: &mut Vec<String>) {
    if out.len() >= MAX_POINTERS {
        return;
    }
    out.push(pointer.clone());
    match value {
        Value::Object(map) => {
            if let Some(key) = map.keys().next() {
                out.push(format!("{pointer}/{}~0x", escape(key)));
            }
            out.push(format!("{pointer}/0"));
            for (key, child) in map {
                document_pointers(child, format!("{pointer}/{}", escape(key)), out);
            }
        }
        Value::Array(list) => {
            for probe in [list.len().to_string().as_str(), "-", "+0", "00", "01", ""] {
                out.push(format!("{pointer}/{probe}"));
            }
            for (i, child) in list.iter().enumerate() {
                document_pointers(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(format!("{pointer}/0")),
    }
}

/// `Event::pointer` against `Value::pointer` on one pointer.
fn check_pointer(event: &Event, value: &Value, pointer: &str) {
    let expected = value.pointer(pointer).filter(|v| !v.is_null());
    let got = event
        .pointer::<Value>(pointer)
        .unwrap_or_else(|e| panic!("{pointer}: {e}"));
    if got.as_ref() != expected {
        // RFC 6901 has no leading zeros in indexes; Event reads `01` as 1.
        let canonical = canonical_indexes(value, pointer);
        let lenient = canonical
            .as_deref()
            .and_then(|p| value.pointer(p))
            .filter(|v| !v.is_null());
        assert!(
            canonical.is_some() && got.as_ref() == lenient,
            "{pointer}: Event {got:?}, serde_json {expected:?}"
        );
        return;
    }
    typed::<String>(event, pointer, expected);
    typed::<i64>(event, pointer, expected);
    typed::<Id>(event, pointer, expected);
}

/// `pointer` with leading zeros dropped from the tokens that step into
/// lists; `None` when it has none.
fn canonical_indexes(value: &Value, pointer: &str) -> Option<String> {
    let mut at = Some(value);
    let mut out = String::new();
    let mut changed = false;
    for token in pointer.split('/').skip(1) {
        let mut token = token.to_owned();
        if let Some(Value::Array(_)) = at
            && token.len() > 1
            && token.starts_with('0')
            && token.bytes().all(|b| b.is_ascii_digit())
        {
            let trimmed = token.trim_start_matches('0');
            token = if trimmed.is_empty() { "0" } else { trimmed }.to_owned();
            changed = true;
        }
        out.push('/');
        out.push_str(&token);
        at = at.and_then(|v| v.pointer(&format!("/{token}")));
    }
    changed.then_some(out)
}

/// `Event::pointer::<T>` fails exactly when decoding the value does.
fn typed<T: DeserializeOwned + PartialEq + Debug>(
    event: &Event,
    pointer: &str,
    expected: Option<&Value>,
) {
    let got = event.pointer::<T>(pointer);
    match expected {
        None => assert_eq!(got, Ok(None), "{pointer}"),
        Some(v) => match (got, serde_json::from_value::<T>(v.clone())) {
            (Ok(Some(got)), Ok(reference)) => assert_eq!(got, reference, "{pointer}"),
            (Err(HandlerError::InvalidInput(m)), Err(_)) => {
                assert!(m.starts_with(&format!("{pointer}: ")), "{m}")
            }
            (got, reference) => panic!("{pointer}: Event {got:?}, serde_json {reference:?}"),
        },
    }
}

/// Pointers into a body serde_json does not read: no panic, and an error is
/// `InvalidInput` naming the pointer.
fn probe_pointers(event: &Event) {
    let keys: Vec<String> = event.keys().take(6).map(escape).collect();
    let mut pointers = vec![String::new(), "/".to_owned()];
    for key in &keys {
        pointers.push(format!("/{key}"));
        pointers.push(format!("/{key}/0"));
        pointers.push(format!("/{key}/1/0"));
        for other in keys.iter().take(3) {
            pointers.push(format!("/{key}/{other}"));
            pointers.push(format!("/{key}/{other}/{other}"));
        }
    }
    for pointer in pointers.iter().take(MAX_POINTERS) {
        match event.pointer::<Value>(pointer) {
            Ok(_) => {}
            Err(HandlerError::InvalidInput(m)) => {
                assert!(m.starts_with(&format!("{pointer}: ")), "{m}")
            }
            Err(other) => panic!("{pointer}: {other:?}"),
        }
        let _ = event.pointer::<Id>(pointer);
    }
}
