//! The one reader of a request body's `event` field, used by the HTTP
//! endpoint and by `invoke`: the body must be one JSON object nested at most
//! [`MAX_DEPTH`] deep; its `event` is the event's name when it is a string.

use serde::de::{Deserializer, MapAccess, Visitor};

/// Why a body is not what an event call needs (the text is the 400's
/// message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not valid UTF-8.
    #[error("the body is not UTF-8")]
    NotUtf8,
    /// Not JSON, or trailing bytes after it (the parser's words).
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("the body is not a JSON object")]
    NotAnObject,
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the body nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// No string `event` field.
    #[error("the body has no string `event` field")]
    NoEvent,
}

/// Deepest nesting of arrays and objects a body may have (an agreed limit:
/// deeper bodies get 400).
const MAX_DEPTH: usize = 128;

/// Checks that `body` is one JSON object nested at most [`MAX_DEPTH`] deep
/// and returns its `event` field if that is a string. One pass that
/// allocates nothing but the event name; the depth is counted here
/// (serde_json's own limit, 127, is off) so that the agreed 128 holds.
pub fn read_event_field(body: &str) -> Result<Option<String>, BodyError> {
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
        _ => Err(BodyError::NotAnObject),
    }
}

/// The body's `event` field, which must be a string (for an event call).
pub fn require_event_field(body: &str) -> Result<String, BodyError> {
    read_event_field(body)?.ok_or(BodyError::NoEvent)
}

fn body_error(e: serde_json::Error) -> BodyError {
    if e.to_string().starts_with(TOO_DEEP) {
        BodyError::TooDeep
    } else {
        BodyError::NotJson(e.to_string())
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
        let deep = read_event_field(&nested(MAX_DEPTH + 1))
            .unwrap_err()
            .to_string();
        assert!(deep.contains("nests deeper than 128"), "{deep}");
        let deep_objects = format!("{}{}", "{\"a\":".repeat(129), "}".repeat(129));
        assert!(read_event_field(&deep_objects).is_err());
        let ok_objects = format!("{}1{}", "{\"a\":".repeat(128), "}".repeat(128));
        assert!(read_event_field(&ok_objects).is_ok());
        let very_deep = read_event_field(&nested(100_000)).unwrap_err().to_string();
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
}
