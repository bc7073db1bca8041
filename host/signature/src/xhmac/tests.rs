use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const SECRET: &str = "test-secret";
const OLD_SECRET: &str = "old-secret";
/// `printf '2023-11-14T22:13:20Z' | openssl dgst -sha256 -hmac test-secret -binary | base64`
const OPENSSL_MAC: &str = "iabr3GAQSN1GtdfWyu5NWw/QHP6JZqa1Vlwnz0k/Dew=";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn signer(secret: &str) -> XHmacSigner {
    XHmacSigner::new(Secret::from(secret)).unwrap()
}

fn verifier() -> XHmacVerifier {
    XHmacVerifier::new(vec![Secret::from(SECRET)], DEFAULT_XHMAC_WINDOW)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    map
}

fn stamped(stamp: &XHmacStamp) -> HeaderMap {
    let [(tn, tv), (mn, mv)] = stamp.headers();
    headers(&[(tn, &tv), (mn, &mv)])
}

fn verify_at(
    verifier: &XHmacVerifier,
    map: &HeaderMap,
    at: SystemTime,
) -> Result<usize, XHmacError> {
    verifier.verify(map, at).map(|v| v.secret)
}

#[test]
fn the_signer_writes_utc_seconds_and_matches_openssl() {
    let stamp = signer(SECRET).sign(now() + Duration::from_millis(999));
    assert_eq!(stamp.timestamp(), "2023-11-14T22:13:20Z");
    assert_eq!(stamp.mac_base64(), OPENSSL_MAC);
    let [(t, tv), (m, mv)] = stamp.headers();
    assert_eq!(
        (t, tv.as_str()),
        ("X-HMAC-Timestamp", "2023-11-14T22:13:20Z")
    );
    assert_eq!((m, mv.as_str()), ("X-HMAC", OPENSSL_MAC));
    // Bold's own stamp, as openssl computes it, verifies.
    let map = headers(&[
        ("x-hmac-timestamp", "2023-11-14T22:13:20Z"),
        ("x-hmac", OPENSSL_MAC),
    ]);
    let verified = verifier().verify(&map, now()).unwrap();
    assert_eq!(verified.secret, 0);
    assert_eq!(verified.stamp, stamp);
}

#[test]
fn the_signer_clamps_instants_rfc_3339_cannot_spell() {
    let s = signer(SECRET);
    let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    assert_eq!(s.sign(before).timestamp(), "1970-01-01T00:00:00Z");
    let after = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    assert_eq!(s.sign(after).timestamp(), "9999-12-31T23:59:59Z");
    assert_eq!(
        XHmacSigner::new(Secret::from("")).unwrap_err(),
        XHmacSignerError::EmptySecret
    );
}

#[test]
fn the_window_is_inclusive_either_way() {
    let v = verifier();
    let map = stamped(&signer(SECRET).sign(now()));
    for offset in [0, 1, 299, 300] {
        let d = Duration::from_secs(offset);
        assert_eq!(verify_at(&v, &map, now() + d), Ok(0), "+{offset}");
        assert_eq!(verify_at(&v, &map, now() - d), Ok(0), "-{offset}");
    }
    let outside = XHmacError::OutsideWindow {
        skew_secs: 301,
        max_secs: 300,
    };
    assert_eq!(
        verify_at(&v, &map, now() + Duration::from_secs(301)),
        Err(outside.clone())
    );
    assert_eq!(
        verify_at(&v, &map, now() - Duration::from_secs(301)),
        Err(outside)
    );
    // A configured window.
    let short = XHmacVerifier::new(vec![Secret::from(SECRET)], Duration::from_secs(5));
    assert_eq!(
        verify_at(&short, &map, now() + Duration::from_secs(5)),
        Ok(0)
    );
    assert_eq!(
        verify_at(&short, &map, now() + Duration::from_secs(6)),
        Err(XHmacError::OutsideWindow {
            skew_secs: 6,
            max_secs: 5
        })
    );
    assert_eq!(short.window(), Duration::from_secs(5));
}

#[test]
fn either_secret_of_a_rotation_verifies_and_says_which() {
    let v = XHmacVerifier::new(
        vec![Secret::from(SECRET), Secret::from(OLD_SECRET)],
        DEFAULT_XHMAC_WINDOW,
    );
    assert_eq!(v.secret_count(), 2);
    let new = stamped(&signer(SECRET).sign(now()));
    let old = stamped(&signer(OLD_SECRET).sign(now()));
    assert_eq!(verify_at(&v, &new, now()), Ok(0));
    assert_eq!(verify_at(&v, &old, now()), Ok(1));
    // The answer to a caller is signed with the secret it used.
    let answer = v.signer(1).unwrap().sign(now());
    assert_eq!(answer, signer(OLD_SECRET).sign(now()));
    assert!(v.signer(2).is_none());
    // Only the old secret: the new one's stamp is refused.
    let only_old = XHmacVerifier::new(vec![Secret::from(OLD_SECRET)], DEFAULT_XHMAC_WINDOW);
    assert_eq!(verify_at(&only_old, &new, now()), Err(XHmacError::Mismatch));
}

#[test]
fn every_secret_is_tried_and_nothing_is_computed_before_the_cheap_checks() {
    let v = XHmacVerifier::new(
        vec![Secret::from(SECRET), Secret::from(OLD_SECRET)],
        DEFAULT_XHMAC_WINDOW,
    );
    let good = stamped(&signer(SECRET).sign(now()));
    let before = crate::tests::macs();
    v.verify(&good, now()).unwrap();
    assert_eq!(
        crate::tests::macs() - before,
        2,
        "the first match does not stop the loop"
    );
    let late = now() + Duration::from_secs(3600);
    let before = crate::tests::macs();
    assert!(v.verify(&good, late).is_err());
    assert_eq!(crate::tests::macs(), before, "no MAC for a stale timestamp");
}

#[test]
fn an_empty_secret_never_verifies() {
    let ts = "2023-11-14T22:13:20Z";
    let mac = BASE64.encode(Algorithm::HmacSha256.mac(b"", ts.as_bytes()));
    let map = headers(&[("x-hmac-timestamp", ts), ("x-hmac", &mac)]);
    let v = XHmacVerifier::new(vec![Secret::from("")], DEFAULT_XHMAC_WINDOW);
    assert_eq!(verify_at(&v, &map, now()), Err(XHmacError::Mismatch));
    let none = XHmacVerifier::new(vec![], DEFAULT_XHMAC_WINDOW);
    assert_eq!(verify_at(&none, &map, now()), Err(XHmacError::Mismatch));
    assert!(v.signer(0).is_none());
}

#[test]
fn missing_and_repeated_headers_are_refused() {
    let stamp = signer(SECRET).sign(now());
    let ts = stamp.timestamp().to_owned();
    let mac = stamp.mac_base64();
    let v = verifier();
    let cases = [
        (
            vec![("x-hmac", mac.as_str())],
            XHmacError::MissingHeader("X-HMAC-Timestamp"),
        ),
        (
            vec![("x-hmac-timestamp", ts.as_str())],
            XHmacError::MissingHeader("X-HMAC"),
        ),
        (vec![], XHmacError::MissingHeader("X-HMAC-Timestamp")),
        (
            vec![
                ("x-hmac-timestamp", ts.as_str()),
                ("x-hmac-timestamp", ts.as_str()),
                ("x-hmac", mac.as_str()),
            ],
            XHmacError::DuplicateHeader("X-HMAC-Timestamp"),
        ),
        (
            vec![
                ("x-hmac-timestamp", ts.as_str()),
                ("x-hmac", mac.as_str()),
                ("x-hmac", mac.as_str()),
            ],
            XHmacError::DuplicateHeader("X-HMAC"),
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(
            verify_at(&v, &headers(&pairs), now()),
            Err(expected),
            "{pairs:?}"
        );
    }
    // Header names are case-insensitive.
    let map = headers(&[("X-HMAC-TIMESTAMP", &ts), ("X-Hmac", &mac)]);
    assert_eq!(verify_at(&v, &map, now()), Ok(0));
}

#[test]
fn rfc_3339_spellings_are_accepted_and_anything_else_refused() {
    let v = verifier();
    let s = signer(SECRET);
    for ts in [
        "2023-11-14T22:13:20Z",
        "2023-11-14t22:13:20z",
        "2023-11-14 22:13:20Z",
        "2023-11-14T22:13:20+00:00",
        "2023-11-14T17:13:20-05:00",
        "2023-11-15T03:43:20+05:30",
        "2023-11-14T22:13:20.123456789Z",
        "2023-11-14T22:13:19.5Z",
    ] {
        assert_eq!(
            verify_at(&v, &stamped(&s.sign_timestamp(ts)), now()),
            Ok(0),
            "{ts}"
        );
    }
    for ts in [
        "",
        "yesterday",
        "1700000000",
        "2023-11-14",
        "2023-11-14T22:13:20",
        "2023-11-14X22:13:20Z",
        "2023-11-14T22:13Z",
        "2023-13-14T22:13:20Z",
        "2023-11-14T25:13:20Z",
        "2023-11-14T22:13:20+24:00",
        "Tue, 14 Nov 2023 22:13:20 GMT",
        " 2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20Z ",
        "2023-11-14T22:13:20.Z",
    ] {
        let map = {
            let stamp = s.sign_timestamp(ts);
            let mut map = HeaderMap::new();
            map.insert(
                X_HMAC_TIMESTAMP,
                HeaderValue::from_bytes(ts.as_bytes()).unwrap(),
            );
            map.insert(X_HMAC, HeaderValue::from_str(&stamp.mac_base64()).unwrap());
            map
        };
        assert_eq!(
            verify_at(&v, &map, now()),
            Err(XHmacError::BadTimestamp),
            "{ts:?}"
        );
    }
    // Too long (refused unread), and not visible ASCII.
    let long = format!("2023-11-14T22:13:20.{}Z", "0".repeat(MAX_TIMESTAMP_LEN));
    let stamp = s.sign_timestamp(&long);
    assert_eq!(
        verify_at(&v, &stamped(&stamp), now()),
        Err(XHmacError::BadTimestamp)
    );
    let mut map = stamped(&s.sign(now()));
    map.insert(
        X_HMAC_TIMESTAMP,
        HeaderValue::from_bytes(b"2023-11-14T22:13:20\xff").unwrap(),
    );
    assert_eq!(verify_at(&v, &map, now()), Err(XHmacError::BadTimestamp));
}

#[test]
fn macs_that_are_not_32_bytes_of_padded_base64_are_refused() {
    let v = verifier();
    let stamp = signer(SECRET).sign(now());
    let ts = stamp.timestamp().to_owned();
    let unpadded = stamp.mac_base64().trim_end_matches('=').to_owned();
    let short = BASE64.encode([0u8; 31]);
    let long = BASE64.encode([0u8; 33]);
    let huge = "A".repeat(MAX_MAC_LEN + 4);
    let hex = hex::encode(stamp.mac());
    for (mac, expected) in [
        ("not base64!", XHmacError::MacNotBase64),
        (unpadded.as_str(), XHmacError::MacNotBase64),
        (huge.as_str(), XHmacError::MacNotBase64),
        ("", XHmacError::MacLength),
        (short.as_str(), XHmacError::MacLength),
        (long.as_str(), XHmacError::MacLength),
        (hex.as_str(), XHmacError::MacLength),
        (
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            XHmacError::Mismatch,
        ),
    ] {
        let map = headers(&[("x-hmac-timestamp", &ts), ("x-hmac", mac)]);
        assert_eq!(verify_at(&v, &map, now()), Err(expected), "{mac:?}");
    }
}

#[test]
fn the_mac_covers_the_timestamp_exactly_as_sent() {
    let v = verifier();
    let stamp = signer(SECRET).sign_timestamp("2023-11-14T22:13:20Z");
    // The same instant spelled otherwise: the MAC no longer matches.
    let map = headers(&[
        ("x-hmac-timestamp", "2023-11-14T22:13:20+00:00"),
        ("x-hmac", &stamp.mac_base64()),
    ]);
    assert_eq!(verify_at(&v, &map, now()), Err(XHmacError::Mismatch));
    // Another second inside the window: no match either.
    let map = headers(&[
        ("x-hmac-timestamp", "2023-11-14T22:13:21Z"),
        ("x-hmac", &stamp.mac_base64()),
    ]);
    assert_eq!(verify_at(&v, &map, now()), Err(XHmacError::Mismatch));
}

#[test]
fn a_pair_is_used_once() {
    let v = verifier();
    let guard = ReplayGuard::for_window(v.window());
    let first = stamped(&signer(SECRET).sign(now()));
    let verified = v.verify(&first, now()).unwrap();
    assert_eq!(verified.remember(&guard, now()), Ok(()));
    let again = v.verify(&first, now() + Duration::from_secs(1)).unwrap();
    assert_eq!(
        again.remember(&guard, now() + Duration::from_secs(1)),
        Err(XHmacError::Replayed)
    );
    // The next second's stamp is another pair.
    let next = stamped(&signer(SECRET).sign(now() + Duration::from_secs(1)));
    let verified = v.verify(&next, now() + Duration::from_secs(1)).unwrap();
    assert_eq!(
        verified.remember(&guard, now() + Duration::from_secs(1)),
        Ok(())
    );
    // Remembered for as long as the stamp can pass the window.
    assert_eq!(guard.ttl(), Duration::from_secs(600));
    assert_eq!(
        again.remember(&guard, now() + Duration::from_secs(600)),
        Err(XHmacError::Replayed)
    );
}

#[test]
fn replay_keys_tell_pairs_apart() {
    let s = signer(SECRET);
    let a = s.sign_timestamp("2023-11-14T22:13:20Z");
    let b = s.sign_timestamp("2023-11-14T22:13:21Z");
    assert_ne!(a.replay_key(), b.replay_key());
    assert_eq!(a.replay_key().len(), MAC_LEN + a.timestamp().len());
    assert_eq!(a.replay_key(), s.sign_timestamp(a.timestamp()).replay_key());
}

#[test]
fn nothing_secret_is_shown() {
    let v = XHmacVerifier::new(
        vec![Secret::from(SECRET), Secret::from(OLD_SECRET)],
        DEFAULT_XHMAC_WINDOW,
    );
    let stamp = signer(SECRET).sign(now());
    let verified = v.verify(&stamped(&stamp), now()).unwrap();
    let shown = format!("{v:?} {stamp:?} {verified:?} {:?}", signer(SECRET));
    for secret in [SECRET, OLD_SECRET, OPENSSL_MAC] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("2023-11-14T22:13:20Z"), "{shown}");
}

#[test]
fn error_codes_are_stable_distinct_words() {
    let errors = [
        XHmacError::MissingHeader("X-HMAC"),
        XHmacError::DuplicateHeader("X-HMAC"),
        XHmacError::BadTimestamp,
        XHmacError::OutsideWindow {
            skew_secs: 1,
            max_secs: 0,
        },
        XHmacError::MacNotBase64,
        XHmacError::MacLength,
        XHmacError::Mismatch,
        XHmacError::Replayed,
    ];
    let codes: Vec<&str> = errors.iter().map(XHmacError::code).collect();
    assert_eq!(
        codes,
        [
            "missing_header",
            "duplicate_header",
            "bad_timestamp",
            "outside_window",
            "mac_not_base64",
            "bad_mac_length",
            "bad_mac",
            "replayed"
        ]
    );
}

#[test]
fn fingerprints_follow_the_secrets_and_the_window() {
    let base = verifier().fingerprint();
    assert_eq!(base, verifier().fingerprint());
    let other_secret = XHmacVerifier::new(vec![Secret::from("x")], DEFAULT_XHMAC_WINDOW);
    let other_window = XHmacVerifier::new(vec![Secret::from(SECRET)], Duration::from_secs(60));
    assert_ne!(base, other_secret.fingerprint());
    assert_ne!(base, other_window.fingerprint());
}
