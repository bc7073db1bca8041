//! What the fuzz targets run, shared (by `#[path]`) with the crate's
//! `tests/fuzz_corpus.rs`, which replays the committed corpus on stable so
//! CI needs no nightly. Besides not panicking, every input is held to
//! invariants: the same answer twice, log-safe errors, and an accepted
//! request is one that a wrong secret cannot pass.
//!
//! Input of [`verify`]:
//! - byte 0, the policy: bit 0 allows hmac-sha1 and bit 1 hmac-sha512
//!   (hmac-sha256 always), bit 2 sets `require_digest`, bit 3
//!   `require_request_target`, bit 4 lists a rotated secret before
//!   [`SECRET`];
//! - `METHOD PATH\n` (an invalid method ends the input there);
//! - `Name: value\n` lines up to an empty line or the end (a line that is
//!   not a valid header is skipped);
//! - the body, the rest.
//!
//! The clock reads [`NOW`].
//!
//! Input of [`platform`]:
//! - byte 0: bit 0 selects base64 (else hex), bit 1 lists a rotated secret
//!   before [`SECRET`];
//! - the `x-sig` header's value up to `\n`;
//! - the body, the rest.
//!
//! Input of [`xhmac`]:
//! - byte 0: bit 0 lists a rotated secret before [`SECRET`], bit 1 makes
//!   the window 60 s (else 300 s);
//! - `Name: value\n` lines (as for [`verify`]), normally `X-HMAC-Timestamp`
//!   and `X-HMAC`.
#![allow(dead_code)] // each fuzz target uses a part of this

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use plugin_host_signature::xhmac::{MAX_TIMESTAMP_LEN, XHmacVerified};
use plugin_host_signature::{
    Algorithm, BodySignature, BodySignatureError, DigestEncoding, MAX_SIGNED_HEADERS, Policy,
    REQUEST_TARGET, ReplayGuard, Secret, SignatureError, SignedRequest, Verified, Verifier,
    XHmacError, XHmacSigner, XHmacVerifier,
};

/// The secret seeds are signed with. Not a header-name token (it has a `/`),
/// so an error naming an attacker's header can never spell it.
pub const SECRET: &str = "fuzz/secret-1";
/// The other secret of a rotation (policy bit 4, platform bit 1).
pub const ROTATED: &str = "fuzz/secret-0";
/// A secret no input was signed with.
pub const WRONG: &str = "fuzz/wrong";
/// The verifier's clock, Unix seconds (Tue, 14 Nov 2023 22:13:20 GMT).
pub const NOW: u64 = 1_700_000_000;
/// The platform signature's header.
pub const PLATFORM_HEADER: &str = "x-sig";

pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
}

/// The policy of byte 0 of a `verify` input.
pub fn policy(flags: u8) -> Policy {
    let mut algorithms = vec![Algorithm::HmacSha256];
    if flags & 1 != 0 {
        algorithms.push(Algorithm::HmacSha1);
    }
    if flags & 2 != 0 {
        algorithms.push(Algorithm::HmacSha512);
    }
    Policy {
        algorithms,
        require_digest: flags & 4 != 0,
        require_request_target: flags & 8 != 0,
        ..Policy::default()
    }
}

fn secrets(rotated: bool) -> Vec<Secret> {
    if rotated {
        vec![Secret::from(ROTATED), Secret::from(SECRET)]
    } else {
        vec![Secret::from(SECRET)]
    }
}

/// The next `\n`-terminated line of `data` and the rest (the whole of
/// `data` and nothing when there is no `\n`).
fn line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Decodes a `verify` input: policy flags, method, path, headers, body.
pub fn decode(data: &[u8]) -> Option<(u8, Method, String, HeaderMap, &[u8])> {
    let (&flags, rest) = data.split_first()?;
    let (request_line, rest) = line(rest);
    let space = request_line.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&request_line[..space]).ok()?;
    let path = String::from_utf8_lossy(&request_line[space + 1..]).into_owned();
    let (headers, rest) = header_lines(rest);
    Some((flags, method, path, headers, rest))
}

/// `Name: value\n` lines up to an empty line or the end (a line that is not
/// a valid header is skipped), and what follows.
fn header_lines(mut rest: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    loop {
        if rest.is_empty() {
            break;
        }
        let (header, after) = line(rest);
        rest = after;
        if header.is_empty() {
            break;
        }
        let Some(colon) = header.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &header[colon + 1..];
        let start = value
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(value.len());
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&header[..colon]),
            HeaderValue::from_bytes(&value[start..]),
        ) {
            headers.append(name, value);
        }
    }
    (headers, rest)
}

/// Runs `Verifier::verify` on a decoded input and checks the invariants;
/// `None` when the input does not decode.
pub fn verify(data: &[u8]) -> Option<Result<Verified, SignatureError>> {
    let (flags, method, path, headers, body) = decode(data)?;
    let policy = policy(flags);
    let request = SignedRequest {
        method: &method,
        path_and_query: &path,
        headers: &headers,
        body,
    };
    let verifier = Verifier::new(policy.clone(), secrets(flags & 16 != 0));
    let result = verifier.verify(&request, now());
    assert_eq!(
        verifier.verify(&request, now()),
        result,
        "not deterministic"
    );
    match &result {
        Ok(verified) => {
            assert!(policy.algorithms.contains(&verified.algorithm));
            assert_eq!(verified.signature.len(), verified.algorithm.mac_len());
            let names = &verified.signed_headers;
            assert!(!names.is_empty() && names.len() <= MAX_SIGNED_HEADERS);
            for (i, name) in names.iter().enumerate() {
                assert!(!names[..i].contains(name), "{name} signed twice");
                assert_eq!(name, &name.to_ascii_lowercase());
            }
            let signed = |n: &str| names.iter().any(|h| h == n);
            assert!(signed("date") || signed("x-date"));
            assert!(!policy.require_digest || signed("digest"));
            assert!(!policy.require_request_target || signed(REQUEST_TARGET));
            let wrong = Verifier::new(policy, vec![Secret::from(WRONG)]);
            assert_eq!(
                wrong.verify(&request, now()),
                Err(SignatureError::BadSignature),
                "accepted under a wrong secret too"
            );
        }
        Err(err) => {
            let code = err.code();
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            let message = err.to_string();
            for secret in [SECRET, ROTATED] {
                assert!(!message.contains(secret), "{message}");
            }
        }
    }
    Some(result)
}

/// Runs `BodySignature::verify` on a decoded input and checks the
/// invariants; `None` when the input does not decode.
pub fn platform(data: &[u8]) -> Option<Result<(), BodySignatureError>> {
    let (&flags, rest) = data.split_first()?;
    let (value, body) = line(rest);
    let encoding = if flags & 1 != 0 {
        DigestEncoding::Base64
    } else {
        DigestEncoding::Hex
    };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(value) {
        headers.insert(PLATFORM_HEADER, value);
    }
    let signature = BodySignature::new(PLATFORM_HEADER, encoding, secrets(flags & 2 != 0));
    let result = signature.verify(&headers, body);
    assert_eq!(
        signature.verify(&headers, body),
        result,
        "not deterministic"
    );
    if result.is_ok() {
        let wrong = BodySignature::new(PLATFORM_HEADER, encoding, vec![Secret::from(WRONG)]);
        assert_eq!(
            wrong.verify(&headers, body),
            Err(BodySignatureError::Mismatch),
            "accepted under a wrong secret too"
        );
    }
    Some(result)
}

/// The window of byte 0 of an `xhmac` input.
pub fn xhmac_window(flags: u8) -> Duration {
    Duration::from_secs(if flags & 2 != 0 { 60 } else { 300 })
}

/// Runs `XHmacVerifier::verify` on a decoded input and checks the
/// invariants; `None` when the input is empty.
pub fn xhmac(data: &[u8]) -> Option<Result<XHmacVerified, XHmacError>> {
    let (&flags, rest) = data.split_first()?;
    let (headers, _) = header_lines(rest);
    let secrets = secrets(flags & 1 != 0);
    let verifier = XHmacVerifier::new(secrets.clone(), xhmac_window(flags));
    let result = verifier.verify(&headers, now());
    assert_eq!(
        verifier.verify(&headers, now()),
        result,
        "not deterministic"
    );
    match &result {
        Ok(verified) => {
            assert!(verified.secret < secrets.len());
            let timestamp = verified.stamp.timestamp();
            assert!(timestamp.len() <= MAX_TIMESTAMP_LEN);
            // The matched secret makes this very MAC.
            let again = XHmacSigner::new(secrets[verified.secret].clone())
                .unwrap()
                .sign_timestamp(timestamp);
            assert_eq!(&again, &verified.stamp);
            let wrong = XHmacVerifier::new(vec![Secret::from(WRONG)], xhmac_window(flags));
            assert_eq!(
                wrong.verify(&headers, now()),
                Err(XHmacError::Mismatch),
                "accepted under a wrong secret too"
            );
            // Once.
            let guard = ReplayGuard::for_window(verifier.window());
            assert_eq!(verified.remember(&guard, now()), Ok(()));
            assert_eq!(verified.remember(&guard, now()), Err(XHmacError::Replayed));
            let shown = format!("{verified:?}");
            assert!(!shown.contains(&verified.stamp.mac_base64()), "{shown}");
        }
        Err(err) => {
            let code = err.code();
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            let message = err.to_string();
            for secret in [SECRET, ROTATED] {
                assert!(!message.contains(secret), "{message}");
            }
        }
    }
    Some(result)
}
