//! Hot reload: a changed component (file watch) or manifest (SIGHUP) loads
//! in the background while signed requests keep coming, with zero failed
//! requests; a component that does not load is rejected and the old version
//! keeps serving.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP};
use plugin_tests::server::{PluginSpec, TestServer, signed_post, write_config};
use plugin_tests::support::fixture_body;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const SECRET: &str = "swap-secret";

/// Which plugin answered `order_submitted_us`: gift-wrap adds a line item,
/// example-checkout a fee.
fn answered_by(body: &Value) -> Option<&'static str> {
    match body["actions"][0]["type"].as_str() {
        Some("add_line_item_by_platform_variant") => Some("gift-wrap"),
        Some("add_fee") => Some("example-checkout"),
        _ => None,
    }
}

/// Replaces `path` atomically with the bytes of `from`.
fn replace_file(from: &str, path: &Path) {
    let tmp = path.with_extension("tmp");
    std::fs::copy(from, &tmp).expect("copy");
    std::fs::rename(&tmp, path).expect("rename");
}

/// Signed requests from `workers` tasks until `stop`; returns (ok, failures,
/// answers by plugin).
fn load(
    server: &TestServer,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Result<&'static str, String>>>> {
    (0..workers)
        .map(|_| {
            let url = server.url("/plugins/swap/events");
            let stop = stop.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body = fixture_body("order_submitted_us");
                let mut results = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let response = signed_post(&client, &url, SECRET, &body).await;
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let by = answered_by(&parsed);
                    if let (200, Some(by)) = (status.as_u16(), by) {
                        results.push(Ok(by));
                    } else {
                        results.push(Err(format!("{status}: {text}")));
                    }
                }
                results
            })
        })
        .collect()
}

async fn current_answer(server: &TestServer) -> Option<&'static str> {
    let client = reqwest::Client::new();
    let response = signed_post(
        &client,
        &server.url("/plugins/swap/events"),
        SECRET,
        &fixture_body("order_submitted_us"),
    )
    .await;
    let body: Value =
        serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or(Value::Null);
    answered_by(&body)
}

async fn wait_for_answer(server: &TestServer, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if current_answer(server).await == Some(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never answered by {expected}; log:\n{}", server.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_component_reloads_under_load_with_zero_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let component = dir.path().join("swap.wasm");
    std::fs::copy(GIFT_WRAP, &component).expect("copy");
    // A fault answers `success: false` with its kind, so the failure says
    // which; the deadline is wide because this test is about reload, and on
    // a 2-core CI machine the reload's compile and the other tests compete
    // with the requests for the CPU (a 100 ms deadline was once missed).
    let spec = PluginSpec::new("swap", component.to_str().expect("utf-8"), SECRET)
        .with("on_error = \"fail\"\n[limits]\ntimeout_ms = 2000");
    let host = write_config(dir.path(), std::slice::from_ref(&spec), "");
    let server = TestServer::start(BIN, &host, &[spec], &[]);
    assert_eq!(current_answer(&server).await, Some("gift-wrap"));

    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(&server, 4, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    replace_file(EXAMPLE_CHECKOUT, &component);
    wait_for_answer(&server, "example-checkout").await;

    // A broken component is rejected; the version serving keeps serving.
    std::fs::write(&component, b"\0asm\x0d\0\x01\0 this is not a component").expect("write");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(current_answer(&server).await, Some("example-checkout"));

    replace_file(GIFT_WRAP, &component);
    wait_for_answer(&server, "gift-wrap").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);

    let mut answered = std::collections::BTreeMap::new();
    for worker in workers {
        for result in worker.await.expect("join") {
            match result {
                Ok(by) => *answered.entry(by).or_insert(0) += 1,
                Err(failure) => panic!(
                    "a request failed during reload: {failure}; log:\n{}",
                    server.logs()
                ),
            }
        }
    }
    assert!(
        answered.get("gift-wrap").copied().unwrap_or(0) > 0,
        "{answered:?}"
    );
    assert!(
        answered.get("example-checkout").copied().unwrap_or(0) > 0,
        "{answered:?}"
    );

    let logs = server.logs();
    assert!(logs.contains("previous version keeps serving"), "{logs}");
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"plugin_host_reloads_total{plugin="swap",result="ok"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"plugin_host_reloads_total{plugin="swap",result="failed"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn sighup_reloads_a_changed_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = PluginSpec::new("swap", GIFT_WRAP, SECRET);
    let host = write_config(dir.path(), std::slice::from_ref(&spec), "watch = false\n");
    let mut server = TestServer::start(BIN, &host, std::slice::from_ref(&spec), &[]);
    assert_eq!(current_answer(&server).await, Some("gift-wrap"));

    // Point the manifest at another component: nothing happens until SIGHUP.
    let changed = PluginSpec::new("swap", EXAMPLE_CHECKOUT, SECRET);
    write_config(
        dir.path(),
        std::slice::from_ref(&changed),
        "watch = false\n",
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        current_answer(&server).await,
        Some("gift-wrap"),
        "no watch: no reload"
    );

    server.signal("HUP");
    wait_for_answer(&server, "example-checkout").await;

    // A manifest that no longer parses changes nothing.
    std::fs::write(
        dir.path().join("swap.toml"),
        "id = \"swap\"\nsurprise = true\n",
    )
    .expect("write");
    server.signal("HUP");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(current_answer(&server).await, Some("example-checkout"));
    let logs = server.wait_for_log("reload refused");
    assert!(logs.contains("reload refused"), "{logs}");
    server.signal("TERM");
    assert!(
        server
            .wait(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
}
