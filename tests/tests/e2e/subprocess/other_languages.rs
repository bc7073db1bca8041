//! The JavaScript and Python `example-checkout`s next to the Rust one: the
//! same answers under `invoke` (no pool error for Python's 14 core
//! instances) and under `serve`, a thrown exception reported as the handler
//! error it is, and 32 concurrent connections without a deadline fault.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use plugin_tests::guests::EXAMPLE_CHECKOUT;
use plugin_tests::other_languages::{example_checkout_js, example_checkout_py};
use plugin_tests::server::{PluginSpec, TestServer, signed_post, write_config};
use plugin_tests::{FIXTURES, support};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");

/// Compiles the JavaScript and Python components into the shared test
/// cache once, one after the other, before any test here uses them: each is
/// 12–19 MB, 20–70 s to compile on a busy 2-core machine, and tests running
/// side by side would otherwise each compile them at once.
fn warm() {
    static WARM: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut done = WARM.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let body = dir.path().join("event.json");
    std::fs::write(&body, r#"{"event":"warm_up"}"#).expect("write");
    for component in [
        example_checkout_js(),
        example_checkout_py(),
        plugin_tests::other_languages::thrower_js(),
    ] {
        let out = Command::new(BIN)
            .arg("invoke")
            .arg(&component)
            .arg(&body)
            .args(["--timeout", "10000"])
            .env("PLUGIN_HOST_CACHE_DIR", support::test_cache_dir())
            .output()
            .expect("run plugin-host invoke");
        assert!(
            out.status.success(),
            "{component}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    *done = true;
}

/// `plugin-host invoke <component> <body> <args>`: (exit code, stdout, stderr).
fn invoke(component: &str, body: &Path, args: &[&str]) -> (i32, String, String) {
    warm();
    let out = Command::new(BIN)
        .arg("invoke")
        .arg(component)
        .arg(body)
        .args(args)
        .env("PLUGIN_HOST_CACHE_DIR", support::test_cache_dir())
        .output()
        .expect("run plugin-host invoke");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn languages() -> [(&'static str, String); 2] {
    [
        ("javascript", example_checkout_js()),
        ("python", example_checkout_py()),
    ]
}

#[test]
fn javascript_and_python_answer_like_rust_under_invoke() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("inventory.json");
    std::fs::write(
        &inventory,
        r#"{"type":"inventory","items":[{"sku":"a","quantity":2},{"sku":"b","quantity":1,"x":[]}]}"#,
    )
    .expect("write");
    let orders = dir.path().join("orders.json");
    std::fs::write(&orders, r#"{"data":{"type":"fulfilled","id":7}}"#).expect("write");
    let fixture = |name: &str| Path::new(FIXTURES).join(format!("{name}.json"));
    let cases: Vec<(std::path::PathBuf, Vec<&str>)> = vec![
        (fixture("initialize_checkout"), vec![]),
        (fixture("order_submitted_us"), vec![]),
        (fixture("app_hook"), vec![]),
        (
            inventory.clone(),
            vec!["--override", "inventory", "--config", "stock=7"],
        ),
        (orders.clone(), vec!["--webhook", "orders"]),
    ];
    for (body, args) in &cases {
        let (code, rust, err) = invoke(EXAMPLE_CHECKOUT, body, args);
        assert_eq!(code, 0, "rust, {args:?}: {err}");
        for (language, component) in languages() {
            let (code, out, err) = invoke(&component, body, args);
            assert_eq!(code, 0, "{language}, {} {args:?}: {err}", body.display());
            assert_eq!(out, rust, "{language}, {} {args:?}", body.display());
            assert!(err.contains("fuel"), "{language}: the report: {err}");
        }
    }
}

#[test]
fn an_exception_in_javascript_or_python_is_a_handler_error() {
    // A `stock` that is not an integer fails the inventory override: the
    // Rust example returns a handler error; the others' SDKs turn the
    // exception their code raises into the same, never a trap.
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("inventory.json");
    std::fs::write(&inventory, r#"{"items":[{"quantity":2}]}"#).expect("write");
    let args = ["--override", "inventory", "--config", "stock=plenty"];
    let (code, _, rust) = invoke(EXAMPLE_CHECKOUT, &inventory, &args);
    assert_eq!(code, 1, "{rust}");
    assert!(
        last_line(&rust).starts_with("error: handler_error: "),
        "{rust}"
    );
    for (language, component) in languages() {
        let (code, out, err) = invoke(&component, &inventory, &args);
        assert_eq!(code, 1, "{language}: {out}{err}");
        let last = last_line(&err);
        assert!(
            last.starts_with("error: handler_error: "),
            "{language}: {err}"
        );
        assert!(
            last.contains("stock"),
            "{language}: the message names the setting: {err}"
        );
    }
}

#[test]
fn whatever_javascript_throws_is_a_handler_error_not_a_trap() {
    let thrower = plugin_tests::other_languages::thrower_js();
    let dir = tempfile::tempdir().expect("tempdir");
    for (event, expected) in [
        (
            "type_error",
            "error: handler_error: TypeError: can't access property \"actions\", missing is undefined",
        ),
        ("throw_string", "error: handler_error: plain string thrown"),
        (
            "async_rejection",
            "error: handler_error: RangeError: rejected later",
        ),
        (
            "handler_error",
            "error: handler_error: invalid input: cart: empty",
        ),
    ] {
        let body = dir.path().join(format!("{event}.json"));
        std::fs::write(&body, format!(r#"{{"event":"{event}"}}"#)).expect("write");
        let (code, out, err) = invoke(&thrower, &body, &[]);
        assert_eq!((code, out.as_str()), (1, ""), "{event}: {err}");
        assert_eq!(last_line(&err), expected, "{event}: {err}");
    }
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

/// The three examples in one host, and their ids in what they answer.
fn serve_all(dir: &Path) -> (TestServer, [(&'static str, String); 3]) {
    let ids = [
        ("example-checkout", EXAMPLE_CHECKOUT.to_owned()),
        ("example-checkout-js", example_checkout_js()),
        ("example-checkout-py", example_checkout_py()),
    ];
    let specs: Vec<PluginSpec> = ids
        .iter()
        .map(|(id, component)| {
            PluginSpec::new(id, component, "shared-secret").with(
                "events = [\"initialize_checkout\", \"order_submitted\"]\n\
                 scopes = [\"provide_shipping_rates\", \"modify_order\", \"add_fee\"]",
            )
        })
        .collect();
    // The artifacts `invoke` compiled (`warm`), not a compile per server.
    let cache = format!(
        "cache_dir = {:?}\n",
        support::test_cache_dir().display().to_string()
    );
    let host = write_config(dir, &specs, &cache);
    warm();
    (TestServer::start(BIN, &host, &specs, &[]), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_and_python_answer_like_rust_under_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, ids) = serve_all(dir.path());
    let client = reqwest::Client::new();
    for fixture in ["initialize_checkout", "order_submitted_us"] {
        let body = support::fixture_body(fixture);
        let mut answers = Vec::new();
        for (id, _) in &ids {
            let url = server.url(&format!("/plugins/{id}/events"));
            let response = signed_post(&client, &url, "shared-secret", &body).await;
            assert_eq!(response.status(), 200, "{id}, {fixture}");
            let text = response.text().await.expect("body");
            // The override URL names the plugin; nothing else may differ.
            answers.push((id, text.replace(id, "<plugin>")));
        }
        for (id, answer) in &answers[1..] {
            assert_eq!(answer, &answers[0].1, "{id} vs example-checkout, {fixture}");
        }
        let parsed: Value = serde_json::from_str(&answers[0].1).expect("JSON");
        assert_eq!(parsed["success"], true, "{fixture}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_connections_meet_no_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, ids) = serve_all(dir.path());
    let client = reqwest::Client::new();
    let body = support::fixture_body("initialize_checkout");
    for (id, _) in &ids[1..] {
        let url = server.url(&format!("/plugins/{id}/events"));
        let until = Instant::now() + Duration::from_secs(3);
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            workers.spawn(async move {
                let mut answered = 0u32;
                while Instant::now() < until {
                    let response = signed_post(&client, &url, "shared-secret", &body).await;
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    assert!(
                        status == 200 && text.contains("add_note"),
                        "{status}: {text}"
                    );
                    answered += 1;
                }
                answered
            });
        }
        let mut answered = 0;
        while let Some(worker) = workers.join_next().await {
            answered += worker.expect("worker");
        }
        assert!(answered > 32, "{id}: {answered} answers");
    }
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let faults: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("plugin_host_faults_total"))
        .collect();
    assert!(faults.is_empty(), "no faults under load: {faults:?}");
    for (id, _) in &ids[1..] {
        assert!(
            metrics.contains(&format!(
                "plugin_host_execution_seconds_count{{plugin=\"{id}\"}}"
            )),
            "{id}: {metrics}"
        );
    }
}

#[test]
fn a_pool_too_small_for_python_names_the_limit() {
    use plugin_host::runtime::{
        EngineSettings, PluginSettings, Runtime, SandboxShape, component_shapes,
    };
    let python = example_checkout_py();
    let shapes = component_shapes([Path::new(&python)]);
    assert_eq!(shapes.len(), 1);
    assert_eq!(shapes[0].core_instances, 14, "{:?}", shapes[0]);
    assert!(shapes[0].initial_memory_bytes > 8 << 20, "{:?}", shapes[0]);

    // An engine sized before the Python plugin was known (a reload adding
    // it, say) refuses it before compiling, naming the limit.
    let small = Runtime::new(&EngineSettings::default(), None).expect("runtime");
    let err = small
        .load_file(Path::new(&python), PluginSettings::default())
        .expect_err("does not fit");
    let text = err.to_string();
    assert!(
        text.contains("needs 14 core instances") && text.contains("sized for 8"),
        "{text}"
    );
    let mut fitted = EngineSettings::default();
    fitted.fit(shapes);
    assert_eq!(fitted.sandbox.core_instances, 14);
    assert!(fitted.sandbox.core_instances > SandboxShape::MINIMUM.core_instances);
}
