//! The one pass over an event body that [`Event`](crate::Event) makes at
//! construction: it finds each top-level key and the byte range of its value
//! without decoding (or validating) the value.
//!
//! Skimming looks only at quotes, backslashes and brackets, eight bytes at
//! a time. Measured in a release wasm guest (fuel ≈ wasm instructions), per
//! byte of body: serde_json's `RawValue` (which validates every number and
//! literal) 26 in long strings, 60 in lists of numbers, 70 in dense small
//! objects, 45 on Bold's samples; this skimmer 6, 12, 35 and 25. On a 2.7 KB
//! sample the index costs ~55k fuel instead of ~125k, less than decoding
//! the customer.
//!
//! The top level itself is checked strictly (an object of string keys,
//! `:` and `,` where they belong, nothing after the closing brace) and
//! nested brackets must match; everything else inside a value is checked
//! when, and if, an accessor decodes it. The host has already checked that
//! the body is JSON before dispatching it.

use std::ops::Range;

/// Top-level keys and the byte ranges of their values, in body order.
pub(crate) type Index = Vec<(String, Range<usize>)>;

/// Indexes a JSON object; the error says what is wrong, and where.
pub(crate) fn index(body: &str) -> Result<Index, String> {
    let bytes = body.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return Err(match bytes.get(at) {
            None => "expected a JSON object, found nothing".to_owned(),
            Some(_) => format!("expected a JSON object at byte {at}"),
        });
    }
    at = skip_ws(bytes, at + 1);
    let mut entries = Index::with_capacity(16);
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            if bytes.get(at) != Some(&b'"') {
                return Err(format!("expected a string key at byte {at}"));
            }
            let key_end = skip_string(bytes, at)?;
            let key = key_text(body, at..key_end)?;
            at = skip_ws(bytes, key_end);
            if bytes.get(at) != Some(&b':') {
                return Err(format!("expected ':' at byte {at}"));
            }
            at = skip_ws(bytes, at + 1);
            let value_end = skip_value(body, at)?;
            entries.push((key, at..value_end));
            at = skip_ws(bytes, value_end);
            match bytes.get(at) {
                Some(b',') => at = skip_ws(bytes, at + 1),
                Some(b'}') => {
                    at += 1;
                    break;
                }
                _ => return Err(format!("expected ',' or '}}' at byte {at}")),
            }
        }
    }
    at = skip_ws(bytes, at);
    if at != bytes.len() {
        return Err(format!("trailing characters at byte {at}"));
    }
    Ok(entries)
}

/// The byte ranges of the elements of a JSON list (`body` is the list).
pub(crate) fn list(body: &str) -> Result<Vec<Range<usize>>, String> {
    let bytes = body.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'[') {
        return Err(format!("expected a list at byte {at}"));
    }
    at = skip_ws(bytes, at + 1);
    let mut elements = Vec::new();
    if bytes.get(at) == Some(&b']') {
        at += 1;
    } else {
        loop {
            let end = skip_value(body, at)?;
            elements.push(at..end);
            at = skip_ws(bytes, end);
            match bytes.get(at) {
                Some(b',') => at = skip_ws(bytes, at + 1),
                Some(b']') => {
                    at += 1;
                    break;
                }
                _ => return Err(format!("expected ',' or ']' at byte {at}")),
            }
        }
    }
    at = skip_ws(bytes, at);
    if at != bytes.len() {
        return Err(format!("trailing characters at byte {at}"));
    }
    Ok(elements)
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// `bytes[at]` is `"`; returns the index just past the closing quote.
fn skip_string(bytes: &[u8], at: usize) -> Result<usize, String> {
    let mut i = at + 1;
    loop {
        i = next_stop(bytes, i)
            .ok_or_else(|| format!("unterminated string starting at byte {at}"))?;
        if bytes.get(i) == Some(&b'"') {
            return Ok(i + 1);
        }
        i += 2; // a backslash and the character it escapes
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// Eight bytes, little-endian: byte `k` of the slice is byte `k` of the word.
#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// The high bit of each byte of `x` that equals `b` (exact: no carries
/// between bytes).
#[inline(always)]
fn eq_bytes(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * u64::from(b));
    !(((y & LOW7) + LOW7) | y | LOW7)
}

/// The first index at or after `from` whose byte is `"` or `\`, eight
/// bytes at a time (a byte at a time costs ~20 wasm instructions, i.e. fuel,
/// per byte; this ~2).
#[inline(always)]
fn next_stop(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i.wrapping_add(8)) {
        let x = word(chunk);
        let hit = eq_bytes(x, b'"') | eq_bytes(x, b'\\');
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = bytes.get(i..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| i + p)
}

/// The text of the key whose quoted form is `body[range]`.
fn key_text(body: &str, range: Range<usize>) -> Result<String, String> {
    let quoted = body.get(range.clone()).unwrap_or_default();
    let inner = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default();
    if inner.contains('\\') {
        serde_json::from_str(quoted)
            .map_err(|e| format!("invalid key at byte {}: {e}", range.start))
    } else {
        Ok(inner.to_owned())
    }
}

/// Returns the index just past the value starting at `body[at]`.
fn skip_value(body: &str, at: usize) -> Result<usize, String> {
    let bytes = body.as_bytes();
    match bytes.get(at) {
        None => Err(format!("expected a value at byte {at}")),
        Some(b'"') => skip_string(bytes, at),
        Some(b'{' | b'[') => skip_container(bytes, at),
        Some(_) => {
            // A number or a literal: short, and checked here, so that a
            // value's range is always a complete JSON value.
            let mut end = at;
            while let Some(b) = bytes.get(end) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                end += 1;
            }
            let scalar = body.get(at..end).unwrap_or_default();
            match serde_json::from_str::<serde::de::IgnoredAny>(scalar) {
                Ok(_) if !scalar.is_empty() => Ok(end),
                _ => Err(format!("invalid value at byte {at}")),
            }
        }
    }
}

/// `bytes[at]` is `{` or `[`; returns the index just past its match.
///
/// Eight bytes at a time: a mask of the quotes and brackets in the word is
/// walked bit by bit (inside a string only quotes count). A word holding a
/// backslash is walked a byte at a time, which handles escapes.
fn skip_container(bytes: &[u8], at: usize) -> Result<usize, String> {
    let mut open: Vec<u8> = Vec::with_capacity(16);
    let mut in_string = false;
    let mut i = at;
    loop {
        if let Some(chunk) = bytes.get(i..i.wrapping_add(8)) {
            let x = word(chunk);
            if eq_bytes(x, b'\\') == 0 {
                let quotes = eq_bytes(x, b'"');
                // `| 0x20` maps `[` to `{` and `]` to `}` (and nothing else
                // to them).
                let folded = x | (ONES * 0x20);
                let brackets = eq_bytes(folded, b'{') | eq_bytes(folded, b'}');
                let mut pending = !0u64;
                loop {
                    let stops = pending & if in_string { quotes } else { quotes | brackets };
                    if stops == 0 {
                        break;
                    }
                    let pos = (stops.trailing_zeros() / 8) as usize;
                    match chunk.get(pos).copied().unwrap_or_default() {
                        b'"' => in_string = !in_string,
                        b'{' => open.push(b'}'),
                        b'[' => open.push(b']'),
                        b => {
                            if open.pop() != Some(b) {
                                return Err(mismatched(b, i + pos));
                            }
                            if open.is_empty() {
                                return Ok(i + pos + 1);
                            }
                        }
                    }
                    pending = (!0u64).checked_shl(8 * (pos as u32 + 1)).unwrap_or(0);
                }
                i += 8;
                continue;
            }
        }
        // A byte at a time, through the next eight bytes (or to the end).
        let end = i.saturating_add(8).min(bytes.len());
        if i >= end {
            return Err(format!("unterminated object or list starting at byte {at}"));
        }
        while i < end {
            let b = bytes.get(i).copied().unwrap_or_default();
            if in_string {
                match b {
                    b'\\' => i += 1, // skip the escaped character
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' => open.push(b'}'),
                    b'[' => open.push(b']'),
                    b'}' | b']' => {
                        if open.pop() != Some(b) {
                            return Err(mismatched(b, i));
                        }
                        if open.is_empty() {
                            return Ok(i + 1);
                        }
                    }
                    b'\\' => return Err(format!("unexpected '\\' at byte {i}")),
                    _ => {}
                }
            }
            i += 1;
        }
    }
}

fn mismatched(b: u8, at: usize) -> String {
    format!("mismatched '{}' at byte {at}", char::from(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::de::{MapAccess, Visitor};
    use serde_json::value::RawValue;
    use std::fmt;

    /// The reference: serde_json's own parser, keeping each value's span.
    fn index_serde(body: &str) -> Result<Index, serde_json::Error> {
        struct TopLevel;
        impl<'de> Visitor<'de> for TopLevel {
            type Value = Vec<(String, &'de str)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        let entries = serde::Deserializer::deserialize_map(&mut de, TopLevel)?;
        de.end()?;
        let base = body.as_ptr().addr();
        Ok(entries
            .into_iter()
            .map(|(k, v)| {
                let start = v.as_ptr().addr() - base;
                (k, start..start + v.len())
            })
            .collect())
    }

    const VALID: &[&str] = &[
        "{}",
        " { } ",
        "\n{\"a\":1}\n",
        r#"{"a":1,"b":"x","c":null,"d":true,"e":false,"f":-1.5e3}"#,
        r#"{ "a" : [ 1 , { "b" : "]}" } ] , "c" : { } }"#,
        r#"{"a":"quote \" and backslash \\","b":"\\"}"#,
        r#"{"a":"\\\"","b":["\"]"]}"#,
        r#"{"k\"ey":1,"k\u0065y":2,"émoji 🎁":"ü"}"#,
        r#"{"a":[[]],"b":[{}],"c":[[[[]]]]}"#,
        r#"{"a":1,"a":2}"#,
        "{\"a\"\t:\r\n0}",
        r#"{"long":"0123456789abcdef0123456789\"abcdef\\","n":[{"x":"0123456789[]{}"},"01234567\\"]}"#,
        r#"{"x":"\\\\\\\\\\\\\\\\\"","y":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}"#,
    ];

    #[test]
    fn agrees_with_serde_json_on_valid_bodies() {
        let fixtures = crate::testing::fixture_names()
            .filter_map(crate::testing::fixture_json)
            .collect::<Vec<_>>();
        for body in VALID.iter().chain(&fixtures) {
            assert_eq!(index(body).unwrap(), index_serde(body).unwrap(), "{body}");
        }
    }

    /// A deterministic pseudo-random generator (an LCG).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        /// Text rich in the bytes the skimmer looks for.
        fn text(&mut self) -> String {
            const PIECES: &[&str] = &[
                "a",
                "\"",
                "\\",
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                " ",
                "é",
                "🎁",
                "0123456789",
                "\n",
                "\\\"",
            ];
            let len = self.below(20);
            (0..len)
                .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
                .collect()
        }

        fn value(&mut self, depth: u32) -> serde_json::Value {
            use serde_json::{Value, json};
            match if depth == 0 {
                self.below(4)
            } else {
                self.below(7)
            } {
                0 => json!(self.below(1_000_000) as i64 - 500_000),
                1 => Value::String(self.text()),
                2 => [
                    Value::Null,
                    Value::Bool(true),
                    Value::Bool(false),
                    json!(1.5e-3),
                ][self.below(4) as usize]
                    .clone(),
                3 => json!([]),
                4 | 5 => {
                    let n = self.below(5);
                    Value::Object(
                        (0..n)
                            .map(|_| (self.text(), self.value(depth - 1)))
                            .collect(),
                    )
                }
                _ => {
                    let n = self.below(5);
                    Value::Array((0..n).map(|_| self.value(depth - 1)).collect())
                }
            }
        }
    }

    #[test]
    fn agrees_with_serde_json_on_random_bodies() {
        let mut rng = Rng(42);
        for _ in 0..500 {
            let mut body = serde_json::Map::new();
            for k in 0..8 {
                body.insert(format!("k{k}"), rng.value(4));
            }
            let body = serde_json::Value::Object(body);
            for text in [
                body.to_string(),
                serde_json::to_string_pretty(&body).unwrap(),
            ] {
                let ours = index(&text).unwrap();
                assert_eq!(ours, index_serde(&text).unwrap(), "{text}");
                for (_, range) in &ours {
                    let raw = &text[range.clone()];
                    if raw.starts_with('[') {
                        let elements = list(raw).unwrap();
                        let expected: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap();
                        assert_eq!(elements.len(), expected.len());
                        for (r, v) in elements.iter().zip(&expected) {
                            assert_eq!(
                                &serde_json::from_str::<serde_json::Value>(&raw[r.clone()])
                                    .unwrap(),
                                v
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn lists() {
        let body = r#" [ 1 , "a]" , [ [ ] ] , { "b" : [ ] } , null ] "#;
        let parts: Vec<_> = list(body).unwrap().into_iter().map(|r| &body[r]).collect();
        assert_eq!(
            parts,
            ["1", r#""a]""#, "[ [ ] ]", r#"{ "b" : [ ] }"#, "null"]
        );
        assert_eq!(list("[]").unwrap(), []);
        for bad in ["", "{}", "[", "[1,]", "[1 2]", "[1]]", "[,]"] {
            assert!(list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_object() {
        for body in [
            "",
            " ",
            "[]",
            "\"x\"",
            "1",
            "null",
            "{",
            "}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "{\"a\":1}x",
            "{} {}",
            "{\"a\":[}",
            "{\"a\":[1}",
            "{\"a\":{]}",
            "{\"a\":\"x}",
            "{\"a\":tru}",
            "{\"a\":01}",
            "{\"a\":1-}",
            "{\"a\":[1]]}",
            "{\"a\" 1}",
            "{\"a\":nul}",
        ] {
            assert!(index(body).is_err(), "{body:?}");
            assert!(index_serde(body).is_err(), "oracle {body:?}");
        }
    }
}
