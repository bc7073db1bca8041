//! The passes over an event body that [`Event`](crate::Event) makes instead
//! of decoding it: find each member of an object (or element of a list) and
//! the byte range of its value, without decoding (or validating) the value.
//!
//! Objects and lists are skipped 64 bytes at a time, the way simdjson finds
//! structure: one pass classifies the block (quotes, backslashes, brackets
//! as bit masks, with SIMD where the target has it: `simd128` in wasm, SSE2
//! on x86-64), then a few integer operations find the escaped characters,
//! the bytes inside strings (a prefix XOR of the quotes) and the brackets
//! outside them, and popcounts keep the depth. Only the block where the
//! depth may return to zero is walked bracket by bracket. Keys and string
//! values are skipped eight bytes at a time.
//!
//! Measured in a release wasm guest, where fuel counts wasm instructions:
//! indexing Bold's 2.7 KB `initialize_checkout` sample took ~55k fuel with
//! the previous word-at-a-time skimmer (serde_json's `RawValue` pass:
//! ~125k); see the README for the numbers with this one.
//!
//! What is checked: the object being indexed must be an object of string
//! keys with `:` and `,` where they belong and nothing after its closing
//! brace; each value must be complete (strings terminated, brackets
//! balanced, numbers and literals well formed). Inside a nested value only
//! the balance of brackets is checked: `[{]}` is skimmed as one value, and
//! the error surfaces when, and if, an accessor decodes it. The host has
//! already checked that the body is JSON before dispatching it.
//!
//! Why one file: the block classifier (SIMD, SSE2, SWAR), the escape and
//! string masks and the depth walk are one algorithm over one block state;
//! most of its length is the reference tests that check each path against the
//! others.

use std::ops::{ControlFlow, Range};

/// A member's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// The key has no escapes: its text is this range of the object.
    Plain(Range<usize>),
    /// The key had escapes: its decoded text.
    Decoded(String),
}

impl Key {
    /// The key's text; `object` is the text the key was found in.
    pub(crate) fn text<'a>(&'a self, object: &'a str) -> &'a str {
        match self {
            Key::Plain(range) => object.get(range.clone()).unwrap_or_default(),
            Key::Decoded(text) => text,
        }
    }
}

/// A member of an object: its key and the byte range of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) key: Key,
    pub(crate) value: Range<usize>,
}

/// The members of an object, in order.
pub(crate) type Index = Vec<Member>;

/// Indexes a JSON object; the error says what is wrong, and where.
pub(crate) fn index(body: &str) -> Result<Index, String> {
    let mut entries = Index::with_capacity(16);
    members(body, |key, value| entries.push(Member { key, value }))?;
    Ok(entries)
}

/// Calls `visit` with each member of the JSON object `body`, in order.
pub(crate) fn members(body: &str, mut visit: impl FnMut(Key, Range<usize>)) -> Result<(), String> {
    let bytes = body.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return Err(match bytes.get(at) {
            None => "expected a JSON object, found nothing".to_owned(),
            Some(_) => format!("expected a JSON object at byte {at}"),
        });
    }
    at = skip_ws(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            if bytes.get(at) != Some(&b'"') {
                return Err(format!("expected a string key at byte {at}"));
            }
            let (key_end, escapes) = skip_string_noting_escapes(bytes, at)?;
            let key = key(body, at..key_end, escapes)?;
            at = skip_ws(bytes, key_end);
            if bytes.get(at) != Some(&b':') {
                return Err(format!("expected ':' at byte {at}"));
            }
            at = skip_ws(bytes, at + 1);
            let value_end = skip_value(body, at)?;
            visit(key, at..value_end);
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
    end_of_text(bytes, at)
}

/// Calls `visit` with the byte range of each element of the JSON list
/// `body`, in order, until it breaks. After a break the rest of the list is
/// not looked at.
pub(crate) fn elements(
    body: &str,
    mut visit: impl FnMut(Range<usize>) -> ControlFlow<()>,
) -> Result<(), String> {
    let bytes = body.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'[') {
        return Err(format!("expected a list at byte {at}"));
    }
    at = skip_ws(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        at += 1;
    } else {
        loop {
            let end = skip_value(body, at)?;
            if visit(at..end).is_break() {
                return Ok(());
            }
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
    end_of_text(bytes, at)
}

fn end_of_text(bytes: &[u8], at: usize) -> Result<(), String> {
    let at = skip_ws(bytes, at);
    if at == bytes.len() {
        Ok(())
    } else {
        Err(format!("trailing characters at byte {at}"))
    }
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The key whose quoted form is `body[range]`; `escapes` tells whether it
/// holds a backslash.
fn key(body: &str, range: Range<usize>, escapes: bool) -> Result<Key, String> {
    if escapes {
        let quoted = body.get(range.clone()).unwrap_or_default();
        serde_json::from_str(quoted)
            .map(Key::Decoded)
            .map_err(|e| format!("invalid key at byte {}: {e}", range.start))
    } else {
        Ok(Key::Plain(range.start + 1..range.end.saturating_sub(1)))
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
            if is_scalar(bytes.get(at..end).unwrap_or_default()) {
                Ok(end)
            } else {
                Err(format!("invalid value at byte {at}"))
            }
        }
    }
}

/// Whether `text` is a JSON literal or number (RFC 8259's grammar).
fn is_scalar(text: &[u8]) -> bool {
    fn digits(text: &[u8], mut at: usize) -> usize {
        while let Some(b'0'..=b'9') = text.get(at) {
            at += 1;
        }
        at
    }
    if matches!(text, b"true" | b"false" | b"null") {
        return true;
    }
    let mut at = usize::from(text.first() == Some(&b'-'));
    at = match text.get(at) {
        Some(b'0') => at + 1,
        Some(b'1'..=b'9') => digits(text, at + 1),
        _ => return false,
    };
    if text.get(at) == Some(&b'.') {
        let fraction = digits(text, at + 1);
        if fraction == at + 1 {
            return false;
        }
        at = fraction;
    }
    if let Some(b'e' | b'E') = text.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = text.get(at) {
            at += 1;
        }
        let exponent = digits(text, at);
        if exponent == at {
            return false;
        }
        at = exponent;
    }
    at == text.len()
}

// ---------------------------------------------------------------------------
// Strings, eight bytes at a time (keys and string values are short).

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// `bytes[at]` is `"`; returns the index just past the closing quote.
fn skip_string(bytes: &[u8], at: usize) -> Result<usize, String> {
    skip_string_noting_escapes(bytes, at).map(|(end, _)| end)
}

/// [`skip_string`], and whether the string holds a backslash.
fn skip_string_noting_escapes(bytes: &[u8], at: usize) -> Result<(usize, bool), String> {
    let mut i = at + 1;
    let mut escapes = false;
    loop {
        i = next_stop(bytes, i)
            .ok_or_else(|| format!("unterminated string starting at byte {at}"))?;
        if bytes.get(i) == Some(&b'"') {
            return Ok((i + 1, escapes));
        }
        escapes = true;
        i += 2; // a backslash and the character it escapes
    }
}

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

// ---------------------------------------------------------------------------
// Objects and lists, 64 bytes at a time.

/// The bytes of a block.
const BLOCK: usize = 64;

/// Where the bytes that matter are in a block: bit `k` is byte `k`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` and `[`.
    open: u64,
    /// `}` and `]`.
    close: u64,
}

/// `bytes[at]` is `{` or `[`; returns the index just past its match.
fn skip_container(bytes: &[u8], at: usize) -> Result<usize, String> {
    #[cfg(target_arch = "wasm32")]
    return simd128::skip_container(bytes, at);
    #[cfg(target_arch = "x86_64")]
    return skip_container_with(bytes, at, sse2::classify);
    #[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
    return skip_container_with(bytes, at, classify_swar);
}

/// The skipping itself, for a given way of classifying a block (inlined into
/// each, so that SIMD classification is inlined too).
#[inline(always)]
fn skip_container_with(
    bytes: &[u8],
    at: usize,
    classify: impl Fn(&[u8; BLOCK]) -> Masks,
) -> Result<usize, String> {
    let mut depth: u32 = 0;
    let mut in_string = 0u64; // all ones while the previous block ended inside a string
    let mut escape_carry = 0u64;
    let mut tail = [b' '; BLOCK];
    let mut start = at;
    while start < bytes.len() {
        let block: &[u8; BLOCK] = match bytes.get(start..start + BLOCK) {
            Some(slice) => slice.try_into().unwrap_or(&tail),
            None => {
                // The last, partial block, padded with spaces (which mean
                // nothing here).
                let rest = bytes.get(start..).unwrap_or_default();
                if let Some(head) = tail.get_mut(..rest.len()) {
                    head.copy_from_slice(rest);
                }
                &tail
            }
        };
        let masks = classify(block);
        let quotes = masks.quote & !escaped(masks.backslash, &mut escape_carry);
        let strings = prefix_xor(quotes) ^ in_string;
        in_string = 0u64.wrapping_sub(strings >> 63);
        let opens = masks.open & !strings;
        let closes = masks.close & !strings;
        if closes.count_ones() < depth {
            // The depth cannot return to zero in this block.
            depth = depth + opens.count_ones() - closes.count_ones();
        } else {
            let mut stops = opens | closes;
            while stops != 0 {
                let bit = stops & stops.wrapping_neg();
                if opens & bit != 0 {
                    depth += 1;
                } else {
                    // The first bracket is the opening one at `at`, so the
                    // depth is at least one here.
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(start + bit.trailing_zeros() as usize + 1);
                    }
                }
                stops &= stops - 1;
            }
        }
        start += BLOCK;
    }
    Err(format!("unterminated object or list starting at byte {at}"))
}

/// The bits of the bytes that a backslash escapes, given the block's
/// backslashes; `carry` is 1 when the previous block ended with an escaping
/// backslash. (simdjson's escape scanner: in a run of backslashes every
/// other one escapes the next byte, counting from the run's start.)
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    if backslash == 0 {
        return std::mem::take(carry);
    }
    let potential = backslash & !*carry;
    let maybe_escaped = potential << 1;
    let codes = ((maybe_escaped | ODD_BITS).wrapping_sub(potential)) ^ ODD_BITS;
    let escaped = codes ^ (backslash | *carry);
    let escapes = codes & backslash;
    *carry = escapes >> 63;
    escaped
}

/// Bit `k` of the result is the XOR of bits `0..=k` of `x`: with `x` the
/// unescaped quotes, the bytes from an opening quote up to (not including)
/// its closing one.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Portable classification, eight bytes at a time.
#[cfg_attr(
    any(target_arch = "wasm32", target_arch = "x86_64"),
    allow(dead_code) // the reference for the SIMD versions' tests
)]
#[inline(always)]
fn classify_swar(block: &[u8; BLOCK]) -> Masks {
    /// The high bit of each byte, gathered into the low eight bits.
    #[inline(always)]
    fn gather(high_bits: u64) -> u64 {
        ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
    }
    let mut masks = Masks::default();
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let x = word(chunk);
        // `| 0x20` maps `[` to `{` and `]` to `}` (and nothing else to them).
        let folded = x | (ONES * 0x20);
        let shift = 8 * k;
        masks.quote |= gather(eq_bytes(x, b'"')) << shift;
        masks.backslash |= gather(eq_bytes(x, b'\\')) << shift;
        masks.open |= gather(eq_bytes(folded, b'{')) << shift;
        masks.close |= gather(eq_bytes(folded, b'}')) << shift;
    }
    masks
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    //! SSE2 is part of x86-64, so no feature detection is needed.
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    use super::{BLOCK, Masks};

    #[inline(always)]
    pub(super) fn classify(block: &[u8; BLOCK]) -> Masks {
        let mut masks = Masks::default();
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of x86-64 (every x86-64 CPU has it), and
            // `chunk` is 16 readable bytes (`loadu` takes any alignment).
            #[allow(unsafe_code)]
            let [quote, backslash, open, close] = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                // `| 0x20` maps `[` to `{` and `]` to `}`.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let bits = |v: __m128i, b: u8| {
                    u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u16)
                };
                [
                    bits(v, b'"'),
                    bits(v, b'\\'),
                    bits(folded, b'{'),
                    bits(folded, b'}'),
                ]
            };
            let shift = 16 * k;
            masks.quote |= quote << shift;
            masks.backslash |= backslash << shift;
            masks.open |= open << shift;
            masks.close |= close << shift;
        }
        masks
    }
}

#[cfg(target_arch = "wasm32")]
mod simd128 {
    //! WebAssembly SIMD, enabled for these functions only: the guest needs
    //! no build flag, and the host (wasmtime) supports SIMD.
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load, v128_or};

    use super::{BLOCK, Masks};

    #[target_feature(enable = "simd128")]
    pub(super) fn skip_container(bytes: &[u8], at: usize) -> Result<usize, String> {
        super::skip_container_with(bytes, at, |block| classify(block))
    }

    #[target_feature(enable = "simd128")]
    #[inline]
    fn classify(block: &[u8; BLOCK]) -> Masks {
        let bits = |v: v128, b: u8| u64::from(u8x16_bitmask(u8x16_eq(v, u8x16_splat(b))));
        let mut masks = Masks::default();
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` is 16 readable bytes; `v128_load` takes any
            // alignment.
            #[allow(unsafe_code)]
            let v = unsafe { v128_load(chunk.as_ptr().cast()) };
            let folded = v128_or(v, u8x16_splat(0x20));
            let shift = 16 * k;
            masks.quote |= bits(v, b'"') << shift;
            masks.backslash |= bits(v, b'\\') << shift;
            masks.open |= bits(folded, b'{') << shift;
            masks.close |= bits(folded, b'}') << shift;
        }
        masks
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::de::{MapAccess, Visitor};
    use serde_json::value::RawValue;
    use std::fmt;

    type Pairs = Vec<(String, Range<usize>)>;

    /// Our index as (key, value range) pairs.
    fn pairs(body: &str) -> Result<Pairs, String> {
        Ok(index(body)?
            .into_iter()
            .map(|m| (m.key.text(body).to_owned(), m.value))
            .collect())
    }

    /// The elements of a list, all of them.
    fn list(body: &str) -> Result<Vec<Range<usize>>, String> {
        let mut all = Vec::new();
        elements(body, |range| {
            all.push(range);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    /// The reference: serde_json's own parser, keeping each value's span.
    fn index_serde(body: &str) -> Result<Pairs, serde_json::Error> {
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
            assert_eq!(pairs(body).unwrap(), index_serde(body).unwrap(), "{body}");
        }
    }

    use test_support::random_json::Rng;

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
                let ours = pairs(&text).unwrap();
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

    /// Classification a byte at a time: the reference for the others.
    fn classify_bytes(block: &[u8; BLOCK]) -> Masks {
        let mut masks = Masks::default();
        for (k, &b) in block.iter().enumerate() {
            let bit = 1u64 << k;
            match b {
                b'"' => masks.quote |= bit,
                b'\\' => masks.backslash |= bit,
                b'{' | b'[' => masks.open |= bit,
                b'}' | b']' => masks.close |= bit,
                _ => {}
            }
        }
        masks
    }

    fn random_block(rng: &mut Rng) -> [u8; BLOCK] {
        const BYTES: &[u8] = b"\"\\{}[]a ;{}[]\x7b\x5b\x7d\x5d\xfb\xdb\xfd\xdd\x3b\x1b";
        let mut block = [0u8; BLOCK];
        for b in &mut block {
            *b = if rng.below(4) == 0 {
                rng.below(256) as u8
            } else {
                BYTES[rng.below(BYTES.len() as u64) as usize]
            };
        }
        block
    }

    #[test]
    fn classification_agrees_with_a_byte_at_a_time() {
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let block = random_block(&mut rng);
            let expected = classify_bytes(&block);
            assert_eq!(classify_swar(&block), expected, "{block:?}");
            #[cfg(target_arch = "x86_64")]
            assert_eq!(sse2::classify(&block), expected, "{block:?}");
        }
    }

    #[test]
    fn escapes_agree_with_a_byte_at_a_time_across_blocks() {
        let mut rng = Rng(11);
        for _ in 0..20_000 {
            // Three blocks of backslashes and others, in runs.
            let backslashes: Vec<bool> = (0..3 * BLOCK).map(|_| rng.below(3) != 0).collect();
            let mut expected = Vec::new();
            let mut pending = false;
            for &b in &backslashes {
                expected.push(pending);
                pending = !pending && b;
            }
            let mut carry = 0;
            for (k, chunk) in backslashes.chunks(BLOCK).enumerate() {
                let mask = chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, &b)| m | (u64::from(b) << i));
                let got = escaped(mask, &mut carry);
                for i in 0..BLOCK {
                    assert_eq!(
                        got >> i & 1 == 1,
                        expected[k * BLOCK + i],
                        "block {k} byte {i}: {backslashes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn backslash_runs_and_strings_across_block_boundaries() {
        for pad in 0..2 * BLOCK {
            for run in 0..6 {
                let text = format!("{}{}\"{{]}}", "\\\\".repeat(run), "x".repeat(pad % 7));
                let value = serde_json::json!([" ".repeat(pad), text, {"k": [text, 1]}]);
                let body = format!(
                    r#"{{"a":{value},"b":"{}\"","c":[{{}}]}}"#,
                    "\\\\".repeat(run)
                );
                assert_eq!(pairs(&body).unwrap(), index_serde(&body).unwrap(), "{body}");
            }
        }
    }

    #[test]
    fn containers_longer_than_a_block_end_where_serde_says() {
        let mut rng = Rng(3);
        for _ in 0..300 {
            let value = rng.value(6);
            let text = format!("{{\"v\":{value}}}");
            assert_eq!(pairs(&text).unwrap(), index_serde(&text).unwrap(), "{text}");
            // The portable classification skips the same way (other
            // targets use it).
            if text
                .as_bytes()
                .get(5)
                .is_some_and(|b| matches!(b, b'{' | b'['))
            {
                assert_eq!(
                    skip_container_with(text.as_bytes(), 5, classify_swar),
                    skip_container(text.as_bytes(), 5),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn nested_values_are_only_checked_for_balance() {
        // Skimmed as one value: the error comes when it is decoded.
        let body = r#"{"a":[{]},"b":1}"#;
        assert_eq!(pairs(body).unwrap()[0], ("a".to_owned(), 5..9));
        assert!(serde_json::from_str::<serde_json::Value>(&body[5..9]).is_err());
        let body = r#"{"a":{]}"#;
        assert_eq!(pairs(body).unwrap(), [("a".to_owned(), 5..7)]);
        // Unbalanced or unterminated: an error at once.
        for bad in [r#"{"a":[[]}"#, r#"{"a":["]}"#, r#"{"a":[1]]}"#, r#"{"a":{"#] {
            assert!(index(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn escaped_keys_are_decoded_plain_keys_borrowed() {
        let body = r#"{"plain":1,"k\"ey":2,"k\u0065y":3}"#;
        let index = index(body).unwrap();
        assert_eq!(index[0].key, Key::Plain(2..7));
        assert_eq!(index[1].key, Key::Decoded("k\"ey".to_owned()));
        assert_eq!(index[2].key.text(body), "key");
    }

    #[test]
    fn elements_stop_when_asked() {
        let mut seen = 0;
        // The list is broken after its second element: not looked at.
        elements(r#"[1, [2], oops"#, |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 2);
    }

    #[test]
    fn scalars_agree_with_serde_json() {
        let samples = [
            "0",
            "-0",
            "1",
            "-1",
            "10",
            "01",
            "-01",
            "1.",
            "1.5",
            ".5",
            "-",
            "+1",
            "1e5",
            "1E+5",
            "1e-5",
            "1e",
            "1e+",
            "1.5e3",
            "1.e3",
            "0.0",
            "00",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "True",
            "1x",
            "x",
            "",
            "9999999999999999999999",
            "1e400",
            "-0.0e-0",
            "2-",
        ];
        for sample in samples {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(sample).is_ok();
            assert_eq!(is_scalar(sample.as_bytes()), serde, "{sample:?}");
        }
    }
}
