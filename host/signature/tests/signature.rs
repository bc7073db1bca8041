//! The signature verifier and signer against vectors computed independently
//! with openssl (`signature_vectors/generate.sh` → `vectors.json`).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use plugin_host_signature::{
    Algorithm, Policy, ReplayGuard, Secret, SignatureError, SignedRequest, Signer, Verifier,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    #[allow(dead_code)]
    generated_by: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    secrets: Vec<String>,
    policy: PolicyJson,
    now: u64,
    expect: String,
    replay: bool,
    signer: Option<SignerJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    algorithms: Vec<String>,
    max_skew_secs: u64,
    require_digest: bool,
    require_request_target: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerJson {
    key_id: String,
    algorithm: String,
    headers: String,
    host: String,
    content_type: String,
    secret: String,
}

fn vectors() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/signature_vectors/vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let vectors: Vectors = serde_json::from_str(&text).unwrap();
    vectors.cases
}

impl Case {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.now)
    }

    fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn verifier(&self) -> Verifier {
        let policy = Policy {
            algorithms: self
                .policy
                .algorithms
                .iter()
                .map(|a| a.parse().unwrap())
                .collect(),
            max_skew: Duration::from_secs(self.policy.max_skew_secs),
            require_digest: self.policy.require_digest,
            require_request_target: self.policy.require_request_target,
        };
        let secrets = self
            .secrets
            .iter()
            .map(|s| Secret::from(s.as_str()))
            .collect();
        Verifier::new(policy, secrets)
    }

    fn verify(&self) -> Result<plugin_host_signature::Verified, SignatureError> {
        let method = Method::from_bytes(self.method.as_bytes()).unwrap();
        let headers = self.header_map();
        self.verifier().verify(
            &SignedRequest {
                method: &method,
                path_and_query: &self.path,
                headers: &headers,
                body: self.body.as_bytes(),
            },
            self.now(),
        )
    }
}

#[test]
fn vectors_have_the_expected_outcome() {
    let cases = vectors();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = match case.verify() {
            Ok(_) => "ok",
            Err(err) => err.code(),
        };
        if got != case.expect {
            failures.push(format!(
                "{}: expected {}, got {got}",
                case.name, case.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_messages_never_show_secrets_or_values() {
    for case in vectors() {
        let Err(err) = case.verify() else { continue };
        let message = err.to_string();
        for secret in &case.secrets {
            assert!(
                !message.contains(secret.as_str()),
                "{}: {message}",
                case.name
            );
        }
        for (_, value) in &case.headers {
            if value.len() > 8 {
                assert!(
                    !message.contains(value.as_str()),
                    "{}: {message}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn replay_guard_refuses_second_use() {
    let cases = vectors();
    let replays: Vec<&Case> = cases.iter().filter(|c| c.replay).collect();
    assert!(!replays.is_empty());
    for case in replays {
        let guard = ReplayGuard::for_policy(case.verifier().policy());
        let first = case.verify().unwrap();
        guard
            .check_and_remember(&first.signature, case.now())
            .unwrap();
        let second = case.verify().unwrap();
        assert_eq!(
            guard.check_and_remember(&second.signature, case.now() + Duration::from_secs(1)),
            Err(SignatureError::Replayed),
            "{}",
            case.name
        );
    }
}

#[test]
fn signer_reproduces_the_openssl_vector() {
    let cases = vectors();
    let case = cases
        .iter()
        .find(|c| c.signer.is_some())
        .expect("a case with signer settings");
    let settings = case.signer.as_ref().unwrap();
    let algorithm: Algorithm = settings.algorithm.parse().unwrap();
    let signer = Signer::new(
        settings.key_id.clone(),
        Secret::from(settings.secret.as_str()),
        algorithm,
    )
    .unwrap()
    .with_headers(settings.headers.split(' '))
    .unwrap();
    let produced = signer.sign(
        &case.method,
        &case.path,
        &settings.host,
        &settings.content_type,
        case.body.as_bytes(),
        case.now(),
    );
    assert_eq!(produced, case.headers);
}

#[test]
fn signer_round_trips_through_the_verifier_for_every_case_shape() {
    let header_lists = [
        "date",
        "(request-target) date",
        "(request-target) x-date",
        "(request-target) date digest",
        "(request-target) host date digest content-type content-length",
    ];
    for algorithm in Algorithm::ALL {
        for list in header_lists {
            let signer = Signer::new("k", Secret::from("s"), algorithm)
                .unwrap()
                .with_headers(list.split(' '))
                .unwrap();
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let body = br#"{"event":"order_submitted"}"#;
            let pairs = signer.sign("POST", "/p?q=1", "h:1", "application/json", body, now);
            let mut headers = HeaderMap::new();
            for (n, v) in &pairs {
                headers.append(
                    HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            let verifier = Verifier::new(
                Policy {
                    algorithms: vec![algorithm],
                    ..Policy::default()
                },
                vec![Secret::from("s")],
            );
            let request = SignedRequest {
                method: &Method::POST,
                path_and_query: "/p?q=1",
                headers: &headers,
                body,
            };
            let verified = verifier.verify(&request, now).unwrap();
            assert_eq!(verified.signed_headers.join(" "), list);
            // One second and five minutes later: still fine; then skew.
            verifier
                .verify(&request, now + Duration::from_secs(300))
                .unwrap();
            assert_eq!(
                verifier
                    .verify(&request, now + Duration::from_secs(301))
                    .unwrap_err()
                    .code(),
                "skew"
            );
        }
    }
}
