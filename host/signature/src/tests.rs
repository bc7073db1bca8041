use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::*;

const SECRET: &str = "test-secret";
const PATH: &str = "/plugins/demo/events?shop=1";
const BODY: &[u8] = br#"{"event":"initialize_checkout"}"#;
/// Base64 of 32 zero bytes: the right shape for hmac-sha256, never valid.
const FAKE_SIG: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

thread_local! {
    /// How many HMACs this test thread computed (see [`Algorithm::mac`]).
    static MACS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Called by [`Algorithm::mac`] in test builds.
pub(super) fn count_mac() {
    MACS.with(|n| n.set(n.get() + 1));
}

/// The HMACs computed by this thread so far.
pub(crate) fn macs() -> usize {
    MACS.with(std::cell::Cell::get)
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn headers_of(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn signed(signer: &Signer, at: SystemTime) -> HeaderMap {
    headers_of(&signer.sign("POST", PATH, "localhost:8080", "application/json", BODY, at))
}

fn signer() -> Signer {
    Signer::new("plugin-host", Secret::from(SECRET), Algorithm::HmacSha256).unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(Policy::default(), vec![Secret::from(SECRET)])
}

fn verify_with(
    verifier: &Verifier,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Verified, SignatureError> {
    verifier.verify(
        &SignedRequest {
            method: &Method::POST,
            path_and_query: path,
            headers,
            body,
        },
        now(),
    )
}

fn verify(headers: &HeaderMap) -> Result<Verified, SignatureError> {
    verify_with(&verifier(), headers, PATH, BODY)
}

/// Headers signed by hand with `headers` as the list (no `headers` param when
/// `None`), the params in `header_name` (`authorization` or `signature`).
fn hand_signed(list: Option<&str>, extra: &[(&str, &str)], secret: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        "date",
        HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
    );
    for (name, value) in extra {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let names: Vec<String> = signed_header_names(list, &map).unwrap();
    let string = signing_string(&names, "POST", PATH, &map).unwrap();
    let mac = BASE64.encode(Algorithm::HmacSha256.mac(secret.as_bytes(), string.as_bytes()));
    let headers_param = list
        .map(|l| format!("headers=\"{l}\","))
        .unwrap_or_default();
    map.insert(
        "authorization",
        HeaderValue::from_str(&format!(
            "Signature keyId=\"k\",algorithm=\"hmac-sha256\",{headers_param}signature=\"{mac}\""
        ))
        .unwrap(),
    );
    map
}

#[test]
fn signer_round_trips_with_default_headers() {
    let headers = signed(&signer(), now());
    let verified = verify(&headers).unwrap();
    assert_eq!(verified.key_id, "plugin-host");
    assert_eq!(verified.algorithm, Algorithm::HmacSha256);
    assert_eq!(verified.signature.len(), 32);
    assert_eq!(
        verified.signed_headers,
        ["(request-target)", "date", "digest"]
    );
}

#[test]
fn signer_round_trips_every_signable_header_and_algorithm() {
    for algorithm in Algorithm::ALL {
        let signer = Signer::new("k", Secret::from(SECRET), algorithm)
            .unwrap()
            .with_headers(SIGNABLE_HEADERS)
            .unwrap();
        let headers = signed(&signer, now());
        let policy = Policy {
            algorithms: vec![algorithm],
            require_digest: true,
            require_request_target: true,
            ..Policy::default()
        };
        let verifier = Verifier::new(policy, vec![Secret::from(SECRET)]);
        let verified = verify_with(&verifier, &headers, PATH, BODY).unwrap();
        assert_eq!(verified.algorithm, algorithm);
        assert_eq!(verified.signature.len(), algorithm.mac_len());
    }
}

#[test]
fn bare_signature_header_is_accepted_without_authorization() {
    let mut headers = signed(&signer(), now());
    let auth = headers.remove("authorization").unwrap();
    let params = auth.to_str().unwrap().strip_prefix("Signature ").unwrap();
    headers.insert("signature", HeaderValue::from_str(params).unwrap());
    verify(&headers).unwrap();
}

#[test]
fn authorization_takes_precedence_over_signature() {
    let mut headers = signed(&signer(), now());
    headers.insert("signature", HeaderValue::from_static("garbage"));
    verify(&headers).unwrap();
    headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
    assert_eq!(verify(&headers), Err(SignatureError::BadScheme));
}

#[test]
fn scheme_is_case_insensitive() {
    let mut headers = signed(&signer(), now());
    let auth = headers.get("authorization").unwrap().to_str().unwrap();
    let lower = auth.replacen("Signature", "signature", 1);
    headers.insert("authorization", HeaderValue::from_str(&lower).unwrap());
    verify(&headers).unwrap();
}

#[test]
fn absent_headers_param_defaults_to_date() {
    let headers = hand_signed(None, &[], SECRET);
    assert_eq!(verify(&headers).unwrap().signed_headers, ["date"]);
}

#[test]
fn empty_headers_param_defaults_to_date() {
    let headers = hand_signed(None, &[], SECRET);
    let auth = headers.get("authorization").unwrap().to_str().unwrap();
    let with_empty = auth.replacen("algorithm=", "headers=\"\",algorithm=", 1);
    let mut headers = headers.clone();
    headers.insert("authorization", HeaderValue::from_str(&with_empty).unwrap());
    assert_eq!(verify(&headers).unwrap().signed_headers, ["date"]);
}

#[test]
fn absent_headers_param_defaults_to_x_date_when_present() {
    let headers = hand_signed(None, &[("x-date", "Tue, 14 Nov 2023 22:13:20 GMT")], SECRET);
    assert_eq!(verify(&headers).unwrap().signed_headers, ["x-date"]);
}

#[test]
fn header_names_are_lowercased() {
    let headers = hand_signed(
        Some("Date Content-Type"),
        &[("content-type", "a/b")],
        SECRET,
    );
    assert_eq!(
        verify(&headers).unwrap().signed_headers,
        ["date", "content-type"]
    );
}

#[test]
fn repeated_headers_are_joined_like_node() {
    let headers = hand_signed(
        Some("date x-custom"),
        &[("x-custom", "a"), ("x-custom", "b ")],
        SECRET,
    );
    let names = vec!["date".to_owned(), "x-custom".to_owned()];
    assert_eq!(
        signing_string(&names, "POST", PATH, &headers).unwrap(),
        "date: Tue, 14 Nov 2023 22:13:20 GMT\nx-custom: a, b"
    );
    verify(&headers).unwrap();
}

#[test]
fn duplicated_singleton_header_is_refused() {
    let mut headers = signed(&signer(), now());
    headers.append(
        "date",
        HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
    );
    assert_eq!(
        verify(&headers),
        Err(SignatureError::DuplicateHeader("date".into()))
    );
    let mut headers = signed(&signer(), now());
    let auth = headers.get("authorization").unwrap().clone();
    headers.append("authorization", auth);
    assert_eq!(
        verify(&headers),
        Err(SignatureError::DuplicateHeader("authorization".into()))
    );
}

#[test]
fn skew_is_inclusive_both_ways() {
    let limit = Duration::from_secs(300);
    for signed_at in [now() - limit, now() + limit] {
        verify(&signed(&signer(), signed_at)).unwrap();
    }
    let past = signed(&signer(), now() - limit - Duration::from_secs(1));
    assert_eq!(
        verify(&past),
        Err(SignatureError::Skew {
            skew_secs: 301,
            max_secs: 300
        })
    );
    let future = signed(&signer(), now() + limit + Duration::from_secs(1));
    assert_eq!(verify(&future).unwrap_err().code(), "skew");
}

#[test]
fn date_formats_of_rfc_9110_are_accepted() {
    for date in [
        "Tuesday, 14-Nov-23 22:13:20 GMT",
        "Tue Nov 14 22:13:20 2023",
    ] {
        let mut map = HeaderMap::new();
        map.insert("date", HeaderValue::from_static(date));
        let string = format!("date: {date}");
        let mac = BASE64.encode(Algorithm::HmacSha256.mac(SECRET.as_bytes(), string.as_bytes()));
        map.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "Signature keyId=\"k\",algorithm=\"hmac-sha256\",signature=\"{mac}\""
            ))
            .unwrap(),
        );
        verify(&map).unwrap();
    }
}

#[test]
fn rotation_accepts_either_secret() {
    let old = Signer::new("k", Secret::from("old"), Algorithm::HmacSha256).unwrap();
    let new = Signer::new("k", Secret::from("new"), Algorithm::HmacSha256).unwrap();
    let other = Signer::new("k", Secret::from("other"), Algorithm::HmacSha256).unwrap();
    let verifier = Verifier::new(
        Policy::default(),
        vec![Secret::from("new"), Secret::from("old")],
    );
    for s in [&old, &new] {
        verify_with(&verifier, &signed(s, now()), PATH, BODY).unwrap();
    }
    assert_eq!(
        verify_with(&verifier, &signed(&other, now()), PATH, BODY),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn empty_or_no_secret_never_verifies() {
    // A signature made with an empty key…
    let headers = hand_signed(Some("date"), &[], "");
    let verifier = Verifier::new(Policy::default(), vec![Secret::from("")]);
    assert_eq!(
        verify_with(&verifier, &headers, PATH, BODY),
        Err(SignatureError::BadSignature)
    );
    let verifier = Verifier::new(Policy::default(), vec![]);
    assert_eq!(
        verify_with(&verifier, &signed(&signer(), now()), PATH, BODY),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn digest_variants() {
    use sha2::Digest as _;
    let sha256 = BASE64.encode(sha2::Sha256::digest(BODY));
    let sha512 = BASE64.encode(sha2::Sha512::digest(BODY));
    let wrong = BASE64.encode(sha2::Sha256::digest(b"other"));
    let cases: Vec<(String, Result<(), &str>)> = vec![
        (format!("SHA-256={sha256}"), Ok(())),
        (format!("sha-256={sha256}"), Ok(())),
        (format!("MD5=abc, SHA-256={sha256}"), Ok(())),
        (format!("SHA-512={sha512}"), Ok(())),
        (format!("SHA-256={sha256},SHA-512={sha512}"), Ok(())),
        (
            format!("SHA-256={sha256},SHA-512={sha256}"),
            Err("digest_mismatch"),
        ),
        (format!("SHA-256={wrong}"), Err("digest_mismatch")),
        ("MD5=abc".to_owned(), Err("unsupported_digest")),
        ("SHA-256".to_owned(), Err("bad_digest")),
        ("SHA-256=!!".to_owned(), Err("bad_digest")),
        (String::new(), Err("unsupported_digest")),
    ];
    for (digest, expected) in cases {
        let headers = hand_signed(Some("date digest"), &[("digest", &digest)], SECRET);
        let got = verify(&headers).map(|_| ()).map_err(|e| e.code());
        assert_eq!(got, expected, "Digest: {digest}");
    }
}

#[test]
fn params_bounds() {
    let mut headers = signed(&signer(), now());
    let long = format!(
        "Signature keyId=\"{}\",algorithm=\"hmac-sha256\",signature=\"{FAKE_SIG}\"",
        "k".repeat(MAX_PARAMS_LEN)
    );
    headers.insert("authorization", HeaderValue::from_str(&long).unwrap());
    assert_eq!(verify(&headers), Err(SignatureError::ParamsTooLong));

    let list = (0..=MAX_SIGNED_HEADERS)
        .map(|i| format!("x-h{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let many = format!(
        "Signature keyId=\"k\",algorithm=\"hmac-sha256\",headers=\"{list}\",signature=\"{FAKE_SIG}\""
    );
    headers.insert("authorization", HeaderValue::from_str(&many).unwrap());
    assert_eq!(verify(&headers), Err(SignatureError::TooManyHeaders));

    let sig = "A".repeat(MAX_SIGNATURE_LEN + 4);
    let long_sig = format!("Signature keyId=\"k\",algorithm=\"hmac-sha256\",signature=\"{sig}\"");
    headers.insert("authorization", HeaderValue::from_str(&long_sig).unwrap());
    assert_eq!(verify(&headers), Err(SignatureError::SignatureTooLong));
}

#[test]
fn odd_header_names_in_list_are_refused() {
    for list in ["date (created)", "date a:b", "date a/b", "date é"] {
        let mut headers = signed(&signer(), now());
        let auth = format!(
            "Signature keyId=\"k\",algorithm=\"hmac-sha256\",headers=\"{}\",signature=\"{FAKE_SIG}\"",
            list
        );
        headers.insert(
            "authorization",
            HeaderValue::from_bytes(auth.as_bytes()).unwrap(),
        );
        assert_eq!(
            verify(&headers).unwrap_err().code(),
            "malformed_params",
            "{list}"
        );
    }
}

#[test]
fn non_ascii_signed_value_is_refused() {
    let mut headers = hand_signed(Some("date x-name"), &[("x-name", "a")], SECRET);
    headers.insert("x-name", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    assert_eq!(
        verify(&headers),
        Err(SignatureError::BadHeaderValue("x-name".into()))
    );
}

#[test]
fn empty_required_params_count_as_missing() {
    let mut headers = signed(&signer(), now());
    headers.insert(
        "authorization",
        HeaderValue::from_static(r#"Signature keyId="",algorithm="hmac-sha256",signature="x""#),
    );
    assert_eq!(verify(&headers), Err(SignatureError::MissingParam("keyId")));
}

#[test]
fn secret_is_redacted() {
    let secret = Secret::from("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    let verifier = Verifier::new(Policy::default(), vec![secret]);
    assert!(!format!("{verifier:?}").contains("hunter2"));
    let signer = Signer::new("k", Secret::from("hunter2"), Algorithm::HmacSha1).unwrap();
    assert!(!format!("{signer:?}").contains("hunter2"));
}

#[test]
fn algorithm_names() {
    assert_eq!("HMAC-SHA256".parse(), Ok(Algorithm::HmacSha256));
    assert_eq!("hmac-sha1".parse(), Ok(Algorithm::HmacSha1));
    assert_eq!("Hmac-Sha512".parse(), Ok(Algorithm::HmacSha512));
    assert_eq!("hs2019".parse::<Algorithm>(), Err(UnknownAlgorithm));
    assert_eq!("rsa-sha256".parse::<Algorithm>(), Err(UnknownAlgorithm));
    for alg in Algorithm::ALL {
        assert_eq!(alg.to_string().parse(), Ok(alg));
    }
}

#[test]
fn every_error_has_a_distinct_code() {
    let all = [
        SignatureError::MissingSignature,
        SignatureError::BadScheme,
        SignatureError::ParamsTooLong,
        SignatureError::MalformedParams("x"),
        SignatureError::DuplicateParam,
        SignatureError::MissingParam("keyId"),
        SignatureError::UnknownAlgorithm,
        SignatureError::AlgorithmNotAllowed(Algorithm::HmacSha1),
        SignatureError::TooManyHeaders,
        SignatureError::DuplicateSignedHeader("date".into()),
        SignatureError::SigningStringTooLong,
        SignatureError::DateNotSigned,
        SignatureError::DigestNotSigned,
        SignatureError::RequestTargetNotSigned,
        SignatureError::MissingHeader("x".into()),
        SignatureError::DuplicateHeader("x".into()),
        SignatureError::BadHeaderValue("x".into()),
        SignatureError::BadDate("date"),
        SignatureError::Skew {
            skew_secs: 1,
            max_secs: 0,
        },
        SignatureError::BadDigest,
        SignatureError::UnsupportedDigest,
        SignatureError::DigestMismatch,
        SignatureError::SignatureTooLong,
        SignatureError::SignatureNotBase64,
        SignatureError::SignatureLength(Algorithm::HmacSha256),
        SignatureError::BadSignature,
        SignatureError::Replayed,
    ];
    let codes: std::collections::HashSet<_> = all.iter().map(SignatureError::code).collect();
    assert_eq!(codes.len(), all.len());
    for err in &all {
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn signer_refuses_bad_configuration() {
    let s = || Secret::from(SECRET);
    assert_eq!(
        Signer::new("", s(), Algorithm::HmacSha256).unwrap_err(),
        SignerError::BadKeyId
    );
    assert_eq!(
        Signer::new("a\"b", s(), Algorithm::HmacSha256).unwrap_err(),
        SignerError::BadKeyId
    );
    assert_eq!(
        Signer::new("k", Secret::from(""), Algorithm::HmacSha256).unwrap_err(),
        SignerError::EmptySecret
    );
    assert_eq!(
        signer().with_headers(["date", "x-custom"]).unwrap_err(),
        SignerError::UnsupportedHeader("x-custom".into())
    );
    assert_eq!(
        signer().with_headers(["digest"]).unwrap_err(),
        SignerError::DateNotSigned
    );
    assert_eq!(
        signer().with_headers(Vec::<String>::new()).unwrap_err(),
        SignerError::HeaderCount
    );
    assert_eq!(
        signer().with_headers(["date", "Date"]).unwrap_err(),
        SignerError::DuplicateHeader("date".into())
    );
    assert_eq!(
        signer().with_headers(["X-Date", "Host"]).unwrap().headers(),
        ["x-date", "host"]
    );
}

/// `map` plus an `Authorization` header signed with `secret` over the
/// `headers` list `list` exactly as written (names may repeat): the signing
/// string is built here, line by line, not by the code under test.
fn signed_by_hand(mut map: HeaderMap, list: &str, secret: &str) -> HeaderMap {
    let lines: Vec<String> = list
        .split(' ')
        .map(|name| {
            let name = name.to_ascii_lowercase();
            let value = if name == REQUEST_TARGET {
                format!("post {PATH}")
            } else {
                map.get_all(name.as_str())
                    .iter()
                    .map(|v| v.to_str().unwrap().trim())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{name}: {value}")
        })
        .collect();
    let string = lines.join("\n");
    let mac = BASE64.encode(Algorithm::HmacSha256.mac(secret.as_bytes(), string.as_bytes()));
    map.insert(
        "authorization",
        HeaderValue::from_str(&format!(
            "Signature keyId=\"k\",algorithm=\"hmac-sha256\",headers=\"{list}\",signature=\"{mac}\""
        ))
        .unwrap(),
    );
    map
}

fn dated() -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        "date",
        HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
    );
    map
}

#[test]
fn repeated_signed_header_names_are_refused_before_any_mac() {
    // The issue's amplification: `date` 31 times, correctly signed.
    let list = vec!["date"; MAX_SIGNED_HEADERS - 1].join(" ");
    let headers = signed_by_hand(dated(), &list, SECRET);
    let before = macs();
    let refused = verify(&headers);
    assert_eq!(
        refused,
        Err(SignatureError::DuplicateSignedHeader("date".into()))
    );
    assert_eq!(refused.unwrap_err().code(), "duplicate_signed_header");
    assert_eq!(macs(), before, "no HMAC for a refused list");

    // Names compare case-insensitively, `(request-target)` included.
    for (list, name) in [
        ("date Date", "date"),
        ("(request-target) date (Request-Target)", REQUEST_TARGET),
        ("date digest DIGEST", "digest"),
    ] {
        let mut map = dated();
        map.insert(
            "digest",
            HeaderValue::from_str(&digest_header_value(BODY)).unwrap(),
        );
        let headers = signed_by_hand(map, list, SECRET);
        assert_eq!(
            verify(&headers),
            Err(SignatureError::DuplicateSignedHeader(name.into())),
            "{list}"
        );
    }
    // The same names once each still verify (the hand signer is right).
    let headers = signed_by_hand(dated(), "(request-target) Date", SECRET);
    verify(&headers).unwrap();
}

#[test]
fn signing_string_over_the_cap_is_refused_before_any_mac() {
    // A 20 KiB header value, signed with the right secret.
    let mut map = dated();
    map.insert(
        "x-big",
        HeaderValue::from_str(&"a".repeat(20 * 1024)).unwrap(),
    );
    let headers = signed_by_hand(map, "date x-big", SECRET);
    let before = macs();
    let refused = verify(&headers);
    assert_eq!(refused, Err(SignatureError::SigningStringTooLong));
    assert_eq!(refused.unwrap_err().code(), "signing_string_too_long");
    assert_eq!(macs(), before, "no HMAC over an oversized signing string");

    // Many small values of one header add up the same way.
    let mut map = dated();
    for _ in 0..100 {
        map.append("x-many", HeaderValue::from_str(&"b".repeat(200)).unwrap());
    }
    let headers = signed_by_hand(map, "date x-many", SECRET);
    assert_eq!(verify(&headers), Err(SignatureError::SigningStringTooLong));

    // So does a long signed path.
    let long_path = format!("/p?{}", "q".repeat(MAX_SIGNING_STRING_LEN));
    let signer = signer().with_headers([REQUEST_TARGET, "date"]).unwrap();
    let headers = headers_of(&signer.sign("POST", &long_path, "h", "a/b", BODY, now()));
    assert_eq!(
        verify_with(&verifier(), &headers, &long_path, BODY),
        Err(SignatureError::SigningStringTooLong)
    );
}

#[test]
fn signing_string_of_exactly_the_cap_verifies() {
    let fixed = "date: Tue, 14 Nov 2023 22:13:20 GMT\nx-big: ".len();
    for (extra, expected) in [(0, Ok(())), (1, Err(SignatureError::SigningStringTooLong))] {
        let mut map = dated();
        let value = "c".repeat(MAX_SIGNING_STRING_LEN - fixed + extra);
        map.insert("x-big", HeaderValue::from_str(&value).unwrap());
        let headers = signed_by_hand(map, "date x-big", SECRET);
        assert_eq!(verify(&headers).map(|_| ()), expected, "cap + {extra}");
    }
}
