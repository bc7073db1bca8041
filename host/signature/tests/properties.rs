//! Property tests: whatever [`Signer`] signs, [`Verifier`] with the same
//! secret and policy accepts, and any change to what the signature covers,
//! or another secret, is refused (the host answers those 401).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use plugin_host_signature::{
    Algorithm, Policy, REQUEST_TARGET, SIGNABLE_HEADERS, Secret, SignatureError, SignedRequest,
    Signer, Verified, Verifier,
};
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};

/// One signed request and everything needed to check it again.
#[derive(Debug, Clone)]
struct Case {
    algorithm: Algorithm,
    key_id: String,
    secret: Vec<u8>,
    headers: Vec<String>,
    method: String,
    path: String,
    host: String,
    content_type: String,
    body: Vec<u8>,
    signed_at: SystemTime,
    /// Verification happens this long after (or before) signing, within the
    /// default 300 s skew.
    clock_offset: i64,
    require_digest: bool,
    require_request_target: bool,
}

/// A header list the signer supports: a non-empty subset of
/// [`SIGNABLE_HEADERS`] in any order, holding `date` or `x-date`.
fn header_list() -> impl Strategy<Value = Vec<String>> {
    (
        subsequence(SIGNABLE_HEADERS.to_vec(), 0..=SIGNABLE_HEADERS.len()).prop_shuffle(),
        any::<bool>(),
        any::<Index>(),
    )
        .prop_map(|(mut names, x_date, at)| {
            if !names.iter().any(|n| *n == "date" || *n == "x-date") {
                let date = if x_date { "x-date" } else { "date" };
                names.insert(at.index(names.len() + 1), date);
            }
            names.into_iter().map(str::to_owned).collect()
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            select(Algorithm::ALL.to_vec()),
            "[A-Za-z0-9_.-]{1,24}",
            proptest::collection::vec(any::<u8>(), 1..80),
            header_list(),
        ),
        (
            prop_oneof![
                select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]).prop_map(str::to_owned),
                "[A-Z]{1,10}",
            ],
            "/[A-Za-z0-9/._~%-]{0,40}(\\?[A-Za-z0-9=&%._~+-]{0,40})?",
            "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
            "[a-z]{1,12}/[a-z0-9.+-]{1,20}(; charset=utf-8)?",
            proptest::collection::vec(any::<u8>(), 0..512),
        ),
        (
            1_000_000_000u64..4_000_000_000,
            -300i64..=300,
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (algorithm, key_id, secret, headers),
                (method, path, host, content_type, body),
                (secs, clock_offset, digest, target),
            )| {
                let require_digest = digest && headers.iter().any(|h| h == "digest");
                let require_request_target = target && headers.iter().any(|h| h == REQUEST_TARGET);
                Case {
                    algorithm,
                    key_id,
                    secret,
                    headers,
                    method,
                    path,
                    host,
                    content_type,
                    body,
                    signed_at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
                    clock_offset,
                    require_digest,
                    require_request_target,
                }
            },
        )
}

impl Case {
    fn signed_headers(&self) -> HeaderMap {
        let signer = Signer::new(
            self.key_id.clone(),
            Secret::new(self.secret.clone()),
            self.algorithm,
        )
        .unwrap()
        .with_headers(&self.headers)
        .unwrap();
        let pairs = signer.sign(
            &self.method,
            &self.path,
            &self.host,
            &self.content_type,
            &self.body,
            self.signed_at,
        );
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        map
    }

    fn verifier(&self, secrets: Vec<Secret>) -> Verifier {
        let policy = Policy {
            algorithms: vec![self.algorithm],
            require_digest: self.require_digest,
            require_request_target: self.require_request_target,
            ..Policy::default()
        };
        Verifier::new(policy, secrets)
    }

    fn now(&self) -> SystemTime {
        let offset = Duration::from_secs(self.clock_offset.unsigned_abs());
        if self.clock_offset < 0 {
            self.signed_at - offset
        } else {
            self.signed_at + offset
        }
    }

    /// Verifies `headers`, `path` and `body` with `secrets`.
    fn verify(
        &self,
        secrets: Vec<Secret>,
        headers: &HeaderMap,
        path: &str,
        body: &[u8],
    ) -> Result<Verified, SignatureError> {
        let method = Method::from_bytes(self.method.as_bytes()).unwrap();
        self.verifier(secrets).verify(
            &SignedRequest {
                method: &method,
                path_and_query: path,
                headers,
                body,
            },
            self.now(),
        )
    }

    fn secret(&self) -> Vec<Secret> {
        vec![Secret::new(self.secret.clone())]
    }

    /// The signed names that are real headers (not `(request-target)`).
    fn covered_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .map(String::as_str)
            .filter(|n| *n != REQUEST_TARGET)
            .collect()
    }
}

/// `bytes` with the byte at `at` replaced by itself plus `delta` (never 0).
fn flipped(bytes: &[u8], at: Index, delta: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = at.index(out.len());
    out[i] = out[i].wrapping_add(delta);
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn whatever_the_signer_signs_verifies(case in case()) {
        let headers = case.signed_headers();
        let verified = case.verify(case.secret(), &headers, &case.path, &case.body).unwrap();
        prop_assert_eq!(&verified.signed_headers, &case.headers);
        prop_assert_eq!(verified.algorithm, case.algorithm);
        prop_assert_eq!(&verified.key_id, &case.key_id);
        prop_assert_eq!(verified.signature.len(), case.algorithm.mac_len());
        // A rotation with the signing secret second accepts too.
        let mut rotated = case.secret.clone();
        rotated.push(b'!');
        let both = vec![Secret::new(rotated), Secret::new(case.secret.clone())];
        case.verify(both, &headers, &case.path, &case.body).unwrap();
    }

    #[test]
    fn a_changed_covered_header_value_is_refused(
        case in case(),
        which in any::<Index>(),
        at in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let covered = case.covered_headers();
        let name = covered[which.index(covered.len())];
        let mut headers = case.signed_headers();
        let original = headers.get(name).unwrap().as_bytes().to_vec();
        let changed = flipped(&original, at, delta);
        // Only values a client can send (no control characters).
        let value = HeaderValue::from_bytes(&changed);
        prop_assume!(value.is_ok());
        headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.unwrap());
        let refused = case.verify(case.secret(), &headers, &case.path, &case.body);
        prop_assert!(refused.is_err(), "{name}: {:?} accepted", String::from_utf8_lossy(&changed));
    }

    #[test]
    fn a_changed_body_is_refused_when_digest_is_signed(
        case in case(),
        at in any::<Index>(),
        delta in 1u8..=255,
    ) {
        prop_assume!(!case.body.is_empty());
        let headers = case.signed_headers();
        let body = flipped(&case.body, at, delta);
        let got = case.verify(case.secret(), &headers, &case.path, &body);
        if case.headers.iter().any(|h| h == "digest") {
            prop_assert_eq!(got.unwrap_err(), SignatureError::DigestMismatch);
        } else {
            // Not covered: the signature says nothing about the body.
            prop_assert!(got.is_ok());
        }
    }

    #[test]
    fn a_changed_request_target_is_refused_when_signed(
        case in case(),
        at in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let path = flipped(case.path.as_bytes(), at, delta);
        let path = String::from_utf8_lossy(&path);
        let headers = case.signed_headers();
        let got = case.verify(case.secret(), &headers, &path, &case.body);
        if case.headers.iter().any(|h| h == REQUEST_TARGET) {
            prop_assert_eq!(got.unwrap_err(), SignatureError::BadSignature);
        } else {
            prop_assert!(got.is_ok());
        }
    }

    #[test]
    fn another_secret_is_refused(case in case(), at in any::<Index>(), delta in 1u8..=255) {
        // One byte off (an independent secret could be the same key: HMAC
        // pads short keys with zeros).
        let other = flipped(&case.secret, at, delta);
        let headers = case.signed_headers();
        let got = case.verify(vec![Secret::new(other)], &headers, &case.path, &case.body);
        prop_assert_eq!(got.unwrap_err(), SignatureError::BadSignature);
    }
}
