//! Lenient decoders for Bold's PHP-flavoured JSON.
//!
//! Bold sends `[]` for empty objects, `[[]]` for an empty list of objects,
//! numbers as strings (and the other way round) and `null` for "not set".
//! These functions are used with `#[serde(deserialize_with = "...")]` on the
//! typed event structs; they never copy more than the value they decode.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde_json::{Map, Value};

/// An object that may arrive as `{...}`, `[]` (PHP's empty array) or `null`;
/// the latter two decode to `T::default()`.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object (or [] or null for an empty one)")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
            if seq.next_element::<IgnoredAny>()?.is_some() {
                return Err(de::Error::invalid_type(Unexpected::Seq, &self));
            }
            Ok(T::default())
        }

        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }

        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<T, D2::Error> {
            object(d)
        }
    }

    deserializer.deserialize_any(ObjectVisitor(PhantomData))
}

/// A string-keyed map that may arrive as an object, as `[]`/`null` (empty),
/// or as a non-empty PHP list (keys become `"0"`, `"1"`, ...).
pub(crate) fn map<'de, D>(deserializer: D) -> Result<Map<String, Value>, D::Error>
where
    D: Deserializer<'de>,
{
    struct MapVisitor;

    impl<'de> Visitor<'de> for MapVisitor {
        type Value = Map<String, Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object (or [] or null for an empty one)")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Map::deserialize(MapAccessDeserializer::new(map))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Map::new();
            while let Some(value) = seq.next_element::<Value>()? {
                out.insert(out.len().to_string(), value);
            }
            Ok(out)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Map::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Map::new())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            map(d)
        }
    }

    deserializer.deserialize_any(MapVisitor)
}

/// A list whose empty entries (`[]`, `{}`, `null`) are skipped; the list
/// itself may be `null` (empty) or a PHP associative array (an object whose
/// values are the entries, in order).
pub(crate) fn seq<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct SeqVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for SeqVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(Entry(entry)) = seq.next_element::<Entry<T>>()? {
                out.extend(entry);
            }
            Ok(out)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some((IgnoredAny, Entry(entry))) = map.next_entry::<IgnoredAny, Entry<T>>()? {
                out.extend(entry);
            }
            Ok(out)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Vec<T>, D2::Error> {
            seq(d)
        }
    }

    deserializer.deserialize_any(SeqVisitor(PhantomData))
}

/// One list entry; `None` when it is empty (`[]`, `{}` or `null`).
struct Entry<T>(Option<T>);

/// Watches what a decoder pulled out of a sequence or map, to tell an empty
/// `[]`/`{}` from a real entry without buffering it: an entry is empty only
/// when nothing was taken, the end was seen (or is next) and no read failed.
struct Counting<A> {
    inner: A,
    taken: usize,
    saw_end: bool,
    failed: bool,
}

impl<A> Counting<A> {
    fn new(inner: A) -> Self {
        Self {
            inner,
            taken: 0,
            saw_end: false,
            failed: false,
        }
    }

    /// Records the outcome of one read from `inner`.
    fn record<T, E>(&mut self, next: Result<Option<T>, E>) -> Result<Option<T>, E> {
        match &next {
            Ok(Some(_)) => self.taken += 1,
            Ok(None) => self.saw_end = true,
            Err(_) => self.failed = true,
        }
        next
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Counting<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let next = self.inner.next_element_seed(seed);
        self.record(next)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Counting<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let next = self.inner.next_key_seed(seed);
        self.record(next)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let value = self.inner.next_value_seed(seed);
        self.failed |= value.is_err();
        value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entry<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntryVisitor<T> {
            type Value = Entry<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list entry")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry<T>, A::Error> {
                let mut counting = Counting::new(map);
                let decoded = T::deserialize(MapAccessDeserializer::new(&mut counting));
                if counting.failed || counting.taken > 0 {
                    return decoded.map(|v| Entry(Some(v)));
                }
                if counting.saw_end || counting.inner.next_key::<IgnoredAny>()?.is_none() {
                    return Ok(Entry(None));
                }
                decoded.map(|v| Entry(Some(v)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry<T>, A::Error> {
                let mut counting = Counting::new(seq);
                let decoded = T::deserialize(SeqAccessDeserializer::new(&mut counting));
                if counting.failed || counting.taken > 0 {
                    return decoded.map(|v| Entry(Some(v)));
                }
                if counting.saw_end || counting.inner.next_element::<IgnoredAny>()?.is_none() {
                    return Ok(Entry(None));
                }
                decoded.map(|v| Entry(Some(v)))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Entry<T>, E> {
                Ok(Entry(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<Entry<T>, E> {
                Ok(Entry(None))
            }

            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Entry<T>, D2::Error> {
                Entry::deserialize(d)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Entry<T>, E> {
                T::deserialize(de::value::BorrowedStrDeserializer::new(v)).map(|v| Entry(Some(v)))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Entry<T>, E> {
                T::deserialize(v.into_deserializer()).map(|v| Entry(Some(v)))
            }
        }

        deserializer.deserialize_any(EntryVisitor(PhantomData))
    }
}

/// An integer that may arrive as a number, a numeric string, or `null`.
pub(crate) fn opt_int<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    struct IntVisitor;

    impl<'de> Visitor<'de> for IntVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer (number or numeric string) or null")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            float_to_int(v)
                .map(Some)
                .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Ok(n) = t.parse::<i64>() {
                return Ok(Some(n));
            }
            t.parse::<f64>()
                .ok()
                .and_then(float_to_int)
                .map(Some)
                .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            opt_int(d)
        }
    }

    deserializer.deserialize_any(IntVisitor)
}

/// [`opt_int`], with `null` and `""` decoding to 0.
pub(crate) fn int<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    opt_int(deserializer).map(Option::unwrap_or_default)
}

fn float_to_int(v: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, which is out of range: use `<`.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v)).then_some(v as i64)
}

/// A text value that may arrive as a string, a number, a boolean or `null`.
pub(crate) fn opt_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct TextVisitor;

    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, number, boolean or null")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            opt_text(d)
        }
    }

    deserializer.deserialize_any(TextVisitor)
}

/// [`opt_text`], with `null` decoding to `""`.
pub(crate) fn text<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    opt_text(deserializer).map(Option::unwrap_or_default)
}

/// A boolean that may arrive as `true`/`false`, `0`/`1`, a string such as
/// `"true"`, `"1"`, `"yes"`, `"false"`, `"0"`, `"no"`, `""`, or `null`.
pub(crate) fn opt_flag<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    struct FlagVisitor;

    impl<'de> Visitor<'de> for FlagVisitor {
        type Value = Option<bool>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean (or 0/1, \"true\"/\"false\") or null")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v != 0.0))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if ["true", "1", "yes", "on"]
                .iter()
                .any(|w| t.eq_ignore_ascii_case(w))
            {
                return Ok(Some(true));
            }
            if ["false", "0", "no", "off"]
                .iter()
                .any(|w| t.eq_ignore_ascii_case(w))
            {
                return Ok(Some(false));
            }
            Err(E::invalid_value(Unexpected::Str(v), &self))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            opt_flag(d)
        }
    }

    deserializer.deserialize_any(FlagVisitor)
}
