//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! fuzz targets' own code (`fuzz/harness.rs`), so CI checks it on stable,
//! and keeps the seeds the corpus grew from: realistic signed requests, and
//! `write_fuzz_seeds` (ignored) to write them again.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use std::time::Duration;

use plugin_host_signature::{
    Algorithm, BodySignature, DigestEncoding, MAX_SIGNING_STRING_LEN, Secret, Signer, XHmacSigner,
};

const PATH: &str = "/plugins/example-checkout/events?shop_id=42&x=a%20b";
const BODY: &str = r#"{"event":"initialize_checkout","order":{"public_order_id":"abc123"}}"#;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Every file of a corpus directory, sorted.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    test_support::fuzz_corpus::files(&corpus_dir(target))
}

/// A `verify` input: policy flags, request line, headers, body.
fn request(flags: u8, method: &str, headers: &[(String, String)], body: &str) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(format!("{method} {PATH}\n").as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(body.as_bytes());
    out
}

fn sign(algorithm: Algorithm, list: &str, body: &str) -> Vec<(String, String)> {
    Signer::new("bold", Secret::from(harness::SECRET), algorithm)
        .unwrap()
        .with_headers(list.split(' '))
        .unwrap()
        .sign(
            "POST",
            PATH,
            "localhost:8080",
            "application/json",
            body.as_bytes(),
            harness::now(),
        )
}

/// `headers` with the `headers="…"` parameter of `Authorization` replaced.
fn with_list(mut headers: Vec<(String, String)>, list: &str) -> Vec<(String, String)> {
    let auth = headers
        .iter_mut()
        .find(|(n, _)| n == "Authorization")
        .unwrap();
    let start = auth.1.find("headers=\"").unwrap() + "headers=\"".len();
    let end = start + auth.1[start..].find('"').unwrap();
    auth.1.replace_range(start..end, list);
    headers
}

/// The seeds of the `verify` corpus and the outcome each gets (`ok` or an
/// error code).
fn verify_seeds() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let default = "(request-target) date digest";
    let all = "(request-target) host date x-date digest content-type content-length";
    // Bold's signature as sent today: date only, in a bare `Signature` header.
    let mut bare = sign(Algorithm::HmacSha256, "date", BODY);
    let auth = bare.pop().unwrap().1;
    bare.push((
        "Signature".into(),
        auth.strip_prefix("Signature ").unwrap().into(),
    ));
    // A 17 KiB signed value.
    let mut big = sign(Algorithm::HmacSha256, "date", BODY);
    big.insert(
        0,
        ("X-Big".into(), "b".repeat(MAX_SIGNING_STRING_LEN + 1024)),
    );
    let big = with_list(big, "date x-big");
    vec![
        (
            "seed-default",
            request(0, "POST", &sign(Algorithm::HmacSha256, default, BODY), BODY),
            "ok",
        ),
        (
            "seed-date-only",
            request(0, "POST", &sign(Algorithm::HmacSha256, "date", BODY), BODY),
            "ok",
        ),
        (
            "seed-bare-signature-header",
            request(0, "POST", &bare, BODY),
            "ok",
        ),
        (
            "seed-all-headers-sha512-strict",
            request(
                2 | 4 | 8,
                "POST",
                &sign(Algorithm::HmacSha512, all, BODY),
                BODY,
            ),
            "ok",
        ),
        (
            "seed-x-date-sha1-rotation",
            request(
                1 | 16,
                "POST",
                &sign(Algorithm::HmacSha1, "(request-target) x-date", ""),
                "",
            ),
            "ok",
        ),
        (
            "seed-body-changed",
            request(0, "POST", &sign(Algorithm::HmacSha256, default, BODY), "{}"),
            "digest_mismatch",
        ),
        (
            "seed-date-repeated",
            request(
                0,
                "POST",
                &with_list(
                    sign(Algorithm::HmacSha256, "date", BODY),
                    &vec!["date"; 31].join(" "),
                ),
                BODY,
            ),
            "duplicate_signed_header",
        ),
        (
            "seed-signing-string-too-long",
            request(0, "POST", &big, BODY),
            "signing_string_too_long",
        ),
    ]
}

/// The seeds of the `platform` corpus and whether each is accepted.
fn platform_seeds() -> Vec<(&'static str, Vec<u8>, bool)> {
    let body = r#"{"id":820982911946154508,"topic":"orders/create"}"#;
    let value = |encoding, secret: &str| {
        BodySignature::new(
            harness::PLATFORM_HEADER,
            encoding,
            vec![Secret::from(secret)],
        )
        .sign(body.as_bytes())
        .unwrap()
    };
    let input = |flags: u8, value: &str| {
        let mut out = vec![flags];
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(body.as_bytes());
        out
    };
    let hex = value(DigestEncoding::Hex, harness::SECRET);
    let b64 = value(DigestEncoding::Base64, harness::SECRET);
    vec![
        ("seed-hex", input(0, &hex), true),
        ("seed-hex-upper", input(0, &hex.to_uppercase()), true),
        ("seed-base64", input(1, &b64), true),
        (
            "seed-base64-unpadded",
            input(1, b64.trim_end_matches('=')),
            true,
        ),
        (
            "seed-rotated",
            input(2, &value(DigestEncoding::Hex, harness::ROTATED)),
            true,
        ),
        (
            "seed-wrong-secret",
            input(1, &value(DigestEncoding::Base64, "x")),
            false,
        ),
    ]
}

/// An `xhmac` input: flags, then the header lines.
fn xhmac_input(flags: u8, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![flags];
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    out
}

/// The seeds of the `xhmac` corpus and the outcome each gets (`ok` or an
/// error code).
fn xhmac_seeds() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let signer = |secret: &str| XHmacSigner::new(Secret::from(secret)).unwrap();
    let now = signer(harness::SECRET).sign(harness::now());
    let (ts, mac) = (now.timestamp().to_owned(), now.mac_base64());
    let stamp = |secret: &str, timestamp: &str| {
        let stamp = signer(secret).sign_timestamp(timestamp);
        (stamp.timestamp().to_owned(), stamp.mac_base64())
    };
    let pair = |(ts, mac): &(String, String), flags: u8| {
        xhmac_input(flags, &[("X-HMAC-Timestamp", ts), ("X-HMAC", mac)])
    };
    let signed_ago = |secs: u64| {
        let stamp = signer(harness::SECRET).sign(harness::now() - Duration::from_secs(secs));
        (stamp.timestamp().to_owned(), stamp.mac_base64())
    };
    let old = signed_ago(301);
    let minute_ago = signed_ago(61);
    vec![
        ("seed-now", pair(&(ts.clone(), mac.clone()), 0), "ok"),
        ("seed-rotated", pair(&stamp(harness::ROTATED, &ts), 1), "ok"),
        (
            "seed-offset-fraction",
            pair(&stamp(harness::SECRET, "2023-11-14T17:13:20.25-05:00"), 0),
            "ok",
        ),
        ("seed-old", pair(&old, 0), "outside_window"),
        ("seed-short-window", pair(&minute_ago, 2), "outside_window"),
        (
            "seed-wrong-secret",
            pair(&stamp(harness::WRONG, &ts), 0),
            "bad_mac",
        ),
        (
            "seed-other-spelling",
            pair(&("2023-11-14T22:13:20+00:00".to_owned(), mac.clone()), 0),
            "bad_mac",
        ),
        (
            "seed-no-mac",
            xhmac_input(0, &[("X-HMAC-Timestamp", &ts)]),
            "missing_header",
        ),
        (
            "seed-two-timestamps",
            xhmac_input(
                0,
                &[
                    ("X-HMAC-Timestamp", &ts),
                    ("X-HMAC-Timestamp", &ts),
                    ("X-HMAC", &mac),
                ],
            ),
            "duplicate_header",
        ),
        (
            "seed-http-date",
            pair(&stamp(harness::SECRET, "Tue, 14 Nov 2023 22:13:20 GMT"), 0),
            "bad_timestamp",
        ),
        (
            "seed-hex-mac",
            xhmac_input(
                0,
                &[
                    ("X-HMAC-Timestamp", &ts),
                    ("X-HMAC", &hex::encode(now.mac())),
                ],
            ),
            "bad_mac_length",
        ),
        (
            "seed-unpadded-mac",
            xhmac_input(
                0,
                &[
                    ("X-HMAC-Timestamp", &ts),
                    ("X-HMAC", mac.trim_end_matches('=')),
                ],
            ),
            "mac_not_base64",
        ),
    ]
}

#[test]
fn fuzz_seeds_have_the_expected_outcome() {
    for (name, input, expected) in verify_seeds() {
        let got = match harness::verify(&input).unwrap() {
            Ok(_) => "ok",
            Err(err) => err.code(),
        };
        assert_eq!(got, expected, "{name}");
    }
    for (name, input, expected) in platform_seeds() {
        assert_eq!(
            harness::platform(&input).unwrap().is_ok(),
            expected,
            "{name}"
        );
    }
    for (name, input, expected) in xhmac_seeds() {
        let got = match harness::xhmac(&input).unwrap() {
            Ok(_) => "ok",
            Err(err) => err.code(),
        };
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn fuzz_corpus_replays() {
    let verify = corpus("verify");
    assert!(!verify.is_empty());
    let accepted = verify
        .iter()
        .filter(|(_, input)| matches!(harness::verify(input), Some(Ok(_))))
        .count();
    assert!(accepted > 0, "no accepted request in the verify corpus");

    let platform = corpus("platform");
    assert!(!platform.is_empty());
    let accepted = platform
        .iter()
        .filter(|(_, input)| matches!(harness::platform(input), Some(Ok(()))))
        .count();
    assert!(accepted > 0, "no accepted webhook in the platform corpus");

    let xhmac = corpus("xhmac");
    assert!(!xhmac.is_empty());
    let accepted = xhmac
        .iter()
        .filter(|(_, input)| matches!(harness::xhmac(input), Some(Ok(_))))
        .count();
    assert!(accepted > 0, "no accepted stamp in the xhmac corpus");
}

/// Writes the seeds into `fuzz/corpus/<target>/`:
/// `cargo test -p plugin-host-signature --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes files; run by hand to restore the seeds"]
fn write_fuzz_seeds() {
    let write = |target: &str, name: &str, input: &[u8]| {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), input).unwrap();
    };
    for (name, input, _) in verify_seeds() {
        write("verify", name, &input);
    }
    for (name, input, _) in platform_seeds() {
        write("platform", name, &input);
    }
    for (name, input, _) in xhmac_seeds() {
        write("xhmac", name, &input);
    }
}
