//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! fuzz targets' own code (`fuzz/harness.rs`), so CI checks it on stable,
//! and keeps the seeds the corpus grew from: the examples' host file and
//! manifests, the SDK's fixtures, edge cases, and `write_fuzz_seeds`
//! (ignored) to write them again.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use plugin_host::dispatch::event_name::BodyError;

const TARGETS: [&str; 3] = ["event_name", "manifest", "host_file"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Every file of a corpus directory, sorted.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    test_support::fuzz_corpus::files(&corpus_dir(target))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative)).unwrap()
}

/// The example manifests, by plugin directory.
fn example_manifests() -> Vec<(&'static str, String)> {
    [
        "example-checkout",
        "gift-wrap",
        "platform-sync",
        "loyalty-points",
    ]
    .into_iter()
    .map(|name| (name, read(&format!("examples/{name}/plugin.toml"))))
    .collect()
}

/// `{"a": [[…]]}` nested `levels` deep (the object is level 1).
fn nested(levels: usize) -> String {
    format!(
        "{{\"event\":\"deep\",\"a\":{}{}}}",
        "[".repeat(levels - 1),
        "]".repeat(levels - 1)
    )
}

type EventName = Result<Option<String>, BodyError>;

/// The seeds of the `event_name` corpus and what each reads.
fn event_name_seeds() -> Vec<(String, String, EventName)> {
    let mut seeds: Vec<(String, String, EventName)> =
        std::fs::read_dir(repo().join("guest-sdk/fixtures"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .map(|path| {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let body = std::fs::read_to_string(&path).unwrap();
                let event: serde_json::Value = serde_json::from_str(&body).unwrap();
                let event = event["event"].as_str().map(str::to_owned);
                (format!("seed-fixture-{name}"), body, Ok(event))
            })
            .collect();
    seeds.sort_by(|a, b| a.0.cmp(&b.0));
    let deep = Err(BodyError::TooDeep);
    let cases: [(&str, String, EventName); 12] = [
        (
            "event-last-wins",
            r#"{"event":"a","x":[1,{"event":"b"}],"event":"c"}"#.into(),
            Ok(Some("c".into())),
        ),
        (
            "event-not-a-string",
            r#"{"event":"a","event":5}"#.into(),
            Ok(None),
        ),
        (
            "escaped-key",
            r#"{"ev\u0065nt":"order_submitted"}"#.into(),
            Ok(Some("order_submitted".into())),
        ),
        (
            "brackets-in-strings",
            format!(
                "{{\"event\":\"{}\\\"\",\"b\":\"{}\"}}",
                "[".repeat(200),
                "{".repeat(200)
            ),
            Ok(Some(format!("{}\"", "[".repeat(200)))),
        ),
        ("depth-128", nested(128), Ok(Some("deep".into()))),
        ("depth-129", nested(129), deep.clone()),
        (
            "depth-129-objects",
            format!("{}1{}", "{\"a\":".repeat(129), "}".repeat(129)),
            deep.clone(),
        ),
        (
            "depth-2000-in-event",
            format!("{{\"event\":{}{}}}", "[".repeat(2000), "]".repeat(2000)),
            deep,
        ),
        (
            "not-an-object",
            r#"["event"]"#.into(),
            Err(BodyError::NotJson(String::new())),
        ),
        (
            "trailing-text",
            r#"{"event":"x"} {}"#.into(),
            Err(BodyError::NotJson(String::new())),
        ),
        (
            "number-out-of-range",
            r#"{"event":"x","n":1e400}"#.into(),
            Err(BodyError::NotJson(String::new())),
        ),
        (
            "lone-surrogate",
            r#"{"event":"\ud800"}"#.into(),
            Err(BodyError::NotJson(String::new())),
        ),
    ];
    seeds.extend(
        cases
            .into_iter()
            .map(|(name, body, expected)| (format!("seed-{name}"), body, expected)),
    );
    seeds
}

/// The seeds of the `manifest` corpus and whether each is accepted.
fn manifest_seeds() -> Vec<(String, String, bool)> {
    let mut seeds: Vec<(String, String, bool)> = example_manifests()
        .into_iter()
        .map(|(name, text)| (format!("seed-example-{name}"), text, true))
        .collect();
    let full = r#"
id = "every-key_1"
component = "plugin.wasm"
client_secret_env = ["NEW_SECRET", "OLD_SECRET"]
public_url = "https://plugins.example.com/every-key/"
events = ["initialize_checkout", "app_hook"]
scopes = []
extra_action_types = ["custom_action"]
on_error = "fail"
max_concurrency = 2
queue = 0

[limits]
base_fuel = 1000000
fuel_per_body_byte = 10
timeout_ms = 250
memory_bytes = 16777216
output_bytes = 65536
log_bytes = 4096
body_bytes = 1048576

[signature]
algorithms = ["hmac-sha512", "hmac-sha1", "hmac-sha512"]
require_digest = true
require_request_target = true
replay_protection = true
max_skew_secs = 60

[config]
text = "x"
int = -5
float = 1.5
flag = true
"#;
    let connector_files = r#"
id = "connector"
component = "c.wasm"
client_secret_file = "secret"

[connector]
shop_identifier = " shop.example_1 "
bold_token_file = "token"
allowed_hosts = ["API.example.com", "127.0.0.1:9100", "[::1]:8080"]
max_future_secs = 1

[connector.platform_webhook]
secret_file = ["a", "b"]
header = "X-Signature"
encoding = "hex"

[connector.http]
timeout_ms = 60000
max_response_bytes = 0
max_request_bytes = 1
max_requests = 1
"#;
    let connector_x_hmac = r#"
id = "connector"
component = "c.wasm"
client_secret_env = "SECRET"

[connector]
shop_identifier = "shop"
bold_token_env = "TOKEN"
bold_auth = "x-hmac"
bold_hmac_secret_file = ["hmac-new", "hmac-old"]
bold_hmac_window_secs = 3600
bold_hmac_replay_protection = false
bold_verify_path = "destinations/verify"
"#;
    let cavage_with_secret = "id = \"a\"\ncomponent = \"a.wasm\"\n[connector]\nshop_identifier = \"s\"\nbold_token_env = \"T\"\nbold_auth = \"cavage\"\nbold_hmac_secret_env = \"H\"\n";
    let verify_path_taken = "id = \"a\"\ncomponent = \"a.wasm\"\n[connector]\nshop_identifier = \"s\"\nbold_token_env = \"T\"\nbold_hmac_secret_env = \"H\"\nbold_verify_path = \"bold/s/verify\"\n";
    let cases = [
        ("every-key", full.to_owned(), true),
        ("connector-files", connector_files.to_owned(), true),
        ("connector-x-hmac", connector_x_hmac.to_owned(), true),
        ("cavage-with-x-hmac-secret", cavage_with_secret.to_owned(), false),
        ("verify-path-taken", verify_path_taken.to_owned(), false),
        (
            "config-public-url",
            "id = \"a\"\ncomponent = \"a.wasm\"\n[config]\npublic_url = 5\n".to_owned(),
            true,
        ),
        (
            "inline-secret",
            "id = \"a\"\ncomponent = \"a.wasm\"\nclient_secret = \"s\"\n".to_owned(),
            false,
        ),
        (
            "bad-id",
            "id = \"A B\"\ncomponent = \"a.wasm\"\n".to_owned(),
            false,
        ),
        (
            "unknown-key",
            "id = \"a\"\ncomponent = \"a.wasm\"\n[limits]\nfuel = 1\n".to_owned(),
            false,
        ),
        (
            "empty-topics",
            "id = \"a\"\ncomponent = \"a.wasm\"\n[connector]\nshop_identifier = \"s\"\nbold_token_env = \"T\"\n[connector.platform_webhook]\nsecret_env = \"W\"\ntopics = []\n".to_owned(),
            false,
        ),
        ("not-toml", "id = \n[[".to_owned(), false),
    ];
    seeds.extend(
        cases
            .into_iter()
            .map(|(name, text, ok)| (format!("seed-{name}"), text, ok)),
    );
    seeds
}

/// A manifest as the `host_file` layout wants it: no `..` in its paths.
fn local(manifest: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            if line.starts_with("component = ") {
                "component = \"plugin.wasm\""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The seeds of the `host_file` corpus and the plugin ids each loads
/// (`None`: an error).
fn host_file_seeds() -> Vec<(String, String, Option<Vec<&'static str>>)> {
    let host = read("examples/host.toml")
        .replace("data_dir = \"../target/plugin-host\"", "data_dir = \"data\"")
        .replace(
            "    \"example-checkout/plugin.toml\",\n    \"gift-wrap/plugin.toml\",\n    \"platform-sync/plugin.toml\",\n    \"loyalty-points/plugin.toml\",",
            "    \"p1/plugin.toml\",\n    \"p2/plugin.toml\",\n    \"p3/plugin.toml\",\n    \"p4/plugin.toml\",",
        );
    assert!(host.contains("\"p4/plugin.toml\"") && !host.contains(".."));
    let manifests: Vec<String> = example_manifests()
        .into_iter()
        .map(|(_, text)| local(&text))
        .collect();
    let join = |host: &str, manifests: &[&str]| {
        let mut parts = vec![host];
        parts.extend_from_slice(manifests);
        parts.join("\n---\n")
    };
    let all: Vec<&str> = manifests.iter().map(String::as_str).collect();
    let from_files = "id = \"from-files\"\ncomponent = \"f.wasm\"\nclient_secret_file = [\"secret\", \"./secret\"]\nscopes = [\"add_fee\"]\nmax_concurrency = 3\n";
    let unset =
        "id = \"unset\"\ncomponent = \"u.wasm\"\nclient_secret_env = [\"UNSET_A\", \"EMPTY_B\"]\n";
    vec![
        (
            "seed-example".into(),
            join(&host, &all),
            Some(vec![
                "example-checkout",
                "gift-wrap",
                "platform-sync",
                "loyalty-points",
            ]),
        ),
        ("seed-empty".into(), String::new(), Some(vec![])),
        (
            "seed-plugin-dir".into(),
            join(
                "plugin_dir = \".\"\npublic_url = \"https://h.example//\"\nsandbox_threads = 1\n[engine]\nmax_concurrent_instances = 4\nprewarm = true\n[defaults]\nmax_concurrency = 3\nsignature = { algorithms = [\"hmac-sha1\"] }\n[state]\nkey_env = \"FUZZ_STATE_KEY\"\n",
                &[all[0], from_files],
            ),
            Some(vec!["example-checkout", "from-files"]),
        ),
        (
            "seed-errors".into(),
            join(
                "plugins = [\"p1/plugin.toml\", \"p2/plugin.toml\", \"p3/plugin.toml\", \"p4/plugin.toml\"]\n[engine]\nmax_memory_bytes = 1024\n",
                &[all[0], all[0], unset, "id = \"x\""],
            ),
            None,
        ),
        (
            "seed-bad-host".into(),
            "listen = \"nowhere\"\n[outbox]\nbackend = \"postgres\"\n".into(),
            None,
        ),
    ]
}

#[test]
fn fuzz_seeds_have_the_expected_outcome() {
    for (name, body, expected) in event_name_seeds() {
        let got = harness::event_name(body.as_bytes()).unwrap();
        match (&got, &expected) {
            // The parser's words are not pinned.
            (Err(BodyError::NotJson(_)), Err(BodyError::NotJson(_))) => {}
            _ => assert_eq!(got, expected, "{name}"),
        }
    }
    for (name, text, ok) in manifest_seeds() {
        let got = harness::manifest(text.as_bytes()).unwrap();
        assert_eq!(got.is_ok(), ok, "{name}: {got:?}");
    }
    for (name, text, expected) in host_file_seeds() {
        let got = harness::host_file(text.as_bytes()).unwrap();
        match expected {
            Some(ids) => assert_eq!(
                got,
                Ok(ids.iter().map(|s| s.to_string()).collect()),
                "{name}"
            ),
            None => assert!(got.is_err(), "{name}: {got:?}"),
        }
    }
}

#[test]
fn event_name_is_bounded_on_deep_nesting() {
    for body in [
        "[".repeat(1 << 20),
        format!("{{\"event\":{}", "{\"a\":".repeat(1 << 18)),
    ] {
        let start = std::time::Instant::now();
        assert!(harness::event_name(body.as_bytes()).unwrap().is_err());
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}

#[test]
fn fuzz_corpus_replays() {
    let mut failing = Vec::new();
    for target in TARGETS {
        let files = corpus(target);
        assert!(!files.is_empty(), "{target}");
        let mut accepted = 0;
        for (path, input) in &files {
            let run = std::panic::catch_unwind(|| match target {
                "event_name" => matches!(harness::event_name(input), Some(Ok(_))),
                "manifest" => matches!(harness::manifest(input), Some(Ok(_))),
                _ => matches!(harness::host_file(input), Some(Ok(_))),
            });
            match run {
                Ok(ok) => accepted += usize::from(ok),
                Err(_) => failing.push(format!(
                    "{target}/{}",
                    path.file_name().unwrap().to_string_lossy()
                )),
            }
        }
        assert!(accepted > 0, "nothing accepted in the {target} corpus");
    }
    assert!(failing.is_empty(), "failing corpus files: {failing:?}");
}

/// Writes the seeds into `fuzz/corpus/<target>/`:
/// `cargo test -p plugin-host --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes files; run by hand to restore the seeds"]
fn write_fuzz_seeds() {
    let write = |target: &str, name: &str, input: &str| {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), input).unwrap();
    };
    for (name, body, _) in event_name_seeds() {
        write("event_name", &name, &body);
    }
    for (name, text, _) in manifest_seeds() {
        write("manifest", &name, &text);
    }
    for (name, text, _) in host_file_seeds() {
        write("host_file", &name, &text);
    }
}
