//! `plugin-host serve` as a real process on 127.0.0.1: every fixture through
//! both example plugins, every status of the agreed order of checks, the
//! on-error answers, saturation, readiness, metrics, `sign`, graceful
//! shutdown.
//!
//! Why one file: the agreed HTTP behaviour of the real binary (statuses,
//! signatures, limits, shutdown), case by case against one server set-up.

use std::time::Duration;

use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP, HOSTILE};
use plugin_tests::server::{PluginSpec, TestServer, sign, signed_post, write_config};
use plugin_tests::support::{
    event_body, expected_example_checkout, expected_gift_wrap, fixture_body, fixture_names,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const SECRET: &str = "example-secret";
const GIFT_SECRET: &str = "gift-secret";
const HOSTILE_SECRET: &str = "hostile-secret";

fn plugins() -> Vec<PluginSpec> {
    vec![
        PluginSpec::new("example-checkout", EXAMPLE_CHECKOUT, SECRET)
            .with(r#"scopes = ["provide_shipping_rates", "modify_order", "add_fee"]"#),
        PluginSpec::new("gift-wrap", GIFT_WRAP, GIFT_SECRET)
            .with(r#"events = ["initialize_checkout", "order_submitted"]"#),
        PluginSpec::new("hostile", HOSTILE, HOSTILE_SECRET).with(
            "on_error = \"fail\"\nmax_concurrency = 1\nqueue = 0\n[limits]\ntimeout_ms = 1500",
        ),
        PluginSpec::new("hostile-quiet", HOSTILE, HOSTILE_SECRET),
        PluginSpec::new("broken", "/does/not/exist.wasm", SECRET),
    ]
}

fn start(extra_args: &[&str]) -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = plugins();
    let host = write_config(dir.path(), &specs, "");
    let server = TestServer::start(BIN, &host, &specs, extra_args);
    (dir, server)
}

async fn metrics_text(client: &reqwest::Client, server: &TestServer) -> String {
    let response = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    response.text().await.expect("text")
}

async fn body_json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn both_example_plugins_answer_every_fixture_over_http() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    for name in fixture_names() {
        let body = fixture_body(&name);
        let url = server.url("/plugins/example-checkout/events");
        let response = signed_post(&client, &url, SECRET, &body).await;
        assert_eq!(response.status(), 200, "{name}");
        let mut expected = expected_example_checkout(&name);
        // The host hands the plugin its public URL (`--listen` decides it).
        if let Some(first) = expected
            .get_mut(0)
            .filter(|a| a["type"] == "override_inventory")
        {
            first["data"]["url"] =
                json!(server.url("/plugins/example-checkout/overrides/inventory"));
        }
        assert_eq!(
            body_json(response).await["actions"],
            expected,
            "example-checkout {name}"
        );

        let url = server.url("/plugins/gift-wrap/events");
        let response = signed_post(&client, &url, GIFT_SECRET, &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            body_json(response).await["actions"],
            expected_gift_wrap(&name),
            "gift-wrap {name}"
        );
    }
}

#[tokio::test]
async fn the_inventory_override_registered_on_initialize_checkout_is_served() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/events"),
        SECRET,
        &fixture_body("initialize_checkout"),
    )
    .await;
    let actions = body_json(response).await["actions"].clone();
    let url = actions[0]["data"]["url"]
        .as_str()
        .expect("an override URL")
        .to_owned();
    let request = r#"{"type":"inventory","items":[{"platform_variant_id":1,"quantity":2}]}"#;
    let response = signed_post(&client, &url, SECRET, request).await;
    assert_eq!(response.status(), 200);
    let answer = body_json(response).await;
    assert_eq!(answer["items"][0]["available_quantity"], json!(100));

    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/overrides/tax"),
        SECRET,
        request,
    )
    .await;
    assert_eq!(response.status(), 404, "unsupported override kind");
    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/webhooks/orders"),
        SECRET,
        r#"{"data":{"type":"created"}}"#,
    )
    .await;
    assert_eq!(response.status(), 200, "webhook");
}

#[tokio::test]
async fn statuses_follow_the_agreed_order_of_checks() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let events = server.url("/plugins/example-checkout/events");
    let body = fixture_body("initialize_checkout");

    // 404 unknown plugin, even with a wrong method.
    let response = client
        .get(server.url("/plugins/nope/events"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 404);
    assert_eq!(body_json(response).await["error"], json!("not_found"));
    // 405 wrong method, before anything else.
    let response = client.get(&events).send().await.expect("answer");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // 413 body over the limit, before the signature.
    let big = "x".repeat(1024 * 1024 + 1);
    let response = client.post(&events).body(big).send().await.expect("answer");
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["connection"],
        "close",
        "the unread body ends the connection"
    );
    // 401 without or with a bad signature: empty body.
    let response = client
        .post(&events)
        .body(body.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    assert!(response.bytes().await.expect("body").is_empty());
    let response = signed_post(&client, &events, "wrong-secret", &body).await;
    assert_eq!(response.status(), 401);
    // 415 signed but not JSON.
    let mut request = client.post(&events).body(body.clone());
    for (name, value) in sign(SECRET, &events, body.as_bytes(), &[]) {
        let value = if name == "Content-Type" {
            "text/plain".to_owned()
        } else {
            value
        };
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.expect("answer").status(), 415);
    // 400 for bodies that are not a JSON object with a string event.
    let deep = format!(
        "{{\"event\":\"x\",\"a\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    for bad in [
        r#"{"cart": []}"#,
        r#"{"event": 5}"#,
        "[1, 2]",
        "{",
        deep.as_str(),
    ] {
        let response = signed_post(&client, &events, SECRET, bad).await;
        assert_eq!(response.status(), 400, "{bad:.40}");
        assert_eq!(body_json(response).await["error"], json!("bad_request"));
    }
    let mut request = client.post(&events).body(vec![0xff, 0xfe]);
    for (name, value) in sign(SECRET, &events, &[0xff, 0xfe], &[]) {
        request = request.header(name, value);
    }
    assert_eq!(
        request.send().await.expect("answer").status(),
        400,
        "invalid UTF-8"
    );
    // 503 for a plugin that failed to load, with Retry-After.
    let response = signed_post(
        &client,
        &server.url("/plugins/broken/events"),
        SECRET,
        &body,
    )
    .await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn unsubscribed_and_unknown_events_are_answered_without_a_sandbox() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let body = event_body("app_hook");
    let response = signed_post(
        &client,
        &server.url("/plugins/gift-wrap/events"),
        GIFT_SECRET,
        &body,
    )
    .await;
    assert_eq!(
        body_json(response).await,
        json!({"success": true, "actions": []})
    );
    let metrics = metrics_text(&client, &server).await;
    assert!(
        !metrics.contains(r#"plugin_host_fuel_used_count{plugin="gift-wrap"}"#),
        "no sandbox ran:\n{metrics}"
    );
    // Unknown event names are routed like known ones (the handler decides).
    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/events"),
        SECRET,
        &event_body("brand_new_event"),
    )
    .await;
    assert_eq!(
        body_json(response).await,
        json!({"success": true, "actions": []})
    );
    let metrics = metrics_text(&client, &server).await;
    assert!(
        metrics.contains(
            r#"plugin_host_requests_total{plugin="example-checkout",event="other",status="200"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn faults_get_the_plugins_on_error_answer() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let fail = server.url("/plugins/hostile/events");
    let quiet = server.url("/plugins/hostile-quiet/events");
    for (event, kind) in [
        ("panic", "trap"),
        ("infinite_loop", "fuel_exhausted"),
        ("handler_error", "handler_error"),
    ] {
        let response = signed_post(&client, &fail, HOSTILE_SECRET, &event_body(event)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            body_json(response).await,
            json!({"success": false, "actions": [], "error": kind})
        );
        let response = signed_post(&client, &quiet, HOSTILE_SECRET, &event_body(event)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            body_json(response).await,
            json!({"success": true, "actions": []})
        );
    }
    let metrics = metrics_text(&client, &server).await;
    assert!(
        metrics.contains(r#"plugin_host_faults_total{plugin="hostile",kind="trap"} 1"#),
        "{metrics}"
    );
    let logs = server.wait_for_log("fault=");
    assert!(
        logs.contains("fault=\"trap\"") || logs.contains("fault=trap"),
        "{logs}"
    );
    // The log line of the fault says where and why the guest panicked
    // (the caller only ever gets the kind, checked above).
    let logs = server.wait_for_log("hostile guest panicked on purpose");
    let line = logs
        .lines()
        .find(|l| l.contains("plugin fault") && l.contains("panicked at"))
        .unwrap_or_else(|| panic!("no fault line with the panic: {logs}"));
    assert!(
        line.contains("src/lib.rs:") && line.contains("hostile guest panicked on purpose"),
        "{line}"
    );
}

#[tokio::test]
async fn a_saturated_plugin_answers_503_with_retry_after() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let url = server.url("/plugins/hostile/events");
    let sleeper = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            signed_post(&client, &url, HOSTILE_SECRET, &event_body("sleep"))
                .await
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = signed_post(&client, &url, HOSTILE_SECRET, &event_body("ok")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(body_json(response).await["error"], json!("overloaded"));
    assert_eq!(
        sleeper.await.expect("join"),
        200,
        "the sleeper ends with its on-error answer"
    );
    let response = signed_post(&client, &url, HOSTILE_SECRET, &event_body("ok")).await;
    assert_eq!(response.status(), 200, "free again");
}

#[tokio::test]
async fn readiness_health_and_metrics() {
    let (_dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503, "one plugin failed to load");
    assert_eq!(
        body_json(ready).await,
        json!({"ready": false}),
        "the public listener says ready or not; plugin ids and load errors (file paths) are \
         for the admin listener and the log"
    );
    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/events"),
        SECRET,
        &fixture_body("initialize_checkout"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.expect("text");
    for family in [
        "plugin_host_requests",
        "plugin_host_request_duration_seconds",
        "plugin_host_sandboxes_in_use",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}")),
            "{family} missing:\n{text}"
        );
    }
    assert!(
        server.wait_for_log("broken").contains("broken"),
        "the log says why a plugin failed"
    );
}

#[tokio::test]
async fn the_sign_command_prints_a_request_the_server_accepts() {
    let (dir, server) = start(&[]);
    let body_file = dir.path().join("event.json");
    std::fs::write(&body_file, fixture_body("order_submitted_us")).expect("write");
    let url = server.url("/plugins/example-checkout/events");
    let output = std::process::Command::new(BIN)
        .args(["sign", "--secret-env", "SIGN_TEST_SECRET", "--url", &url])
        .arg("--body")
        .arg(&body_file)
        .env("SIGN_TEST_SECRET", SECRET)
        .output()
        .expect("run sign");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let curl = text
        .lines()
        .skip_while(|l| !l.starts_with("curl"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(curl.starts_with("curl"), "{text}");
    let mut request = reqwest::Client::new()
        .post(&url)
        .body(fixture_body("order_submitted_us"));
    for line in text
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("curl"))
    {
        let (name, value) = line.split_once(": ").expect("Name: value");
        request = request.header(name, value);
    }
    let response = request.send().await.expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(response).await["actions"][0]["type"],
        json!("add_fee")
    );
    // And the printed curl command itself works.
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&curl)
            .output()
            .expect("sh");
        let answer: Value = serde_json::from_slice(&out.stdout).expect("curl printed JSON");
        assert_eq!(answer["actions"][0]["type"], json!("add_fee"));
    }
}

#[tokio::test]
async fn sign_sends_the_request_and_prints_parts_for_scripts() {
    let (dir, server) = start(&[]);
    let body_file = dir.path().join("event.json");
    std::fs::write(&body_file, fixture_body("order_submitted_us")).expect("write");
    let sign = |url: &str, extra: &[&str]| {
        std::process::Command::new(BIN)
            .args(["sign", "--secret-env", "SIGN_TEST_SECRET", "--url", url])
            .arg("--body")
            .arg(&body_file)
            .args(extra)
            .env("SIGN_TEST_SECRET", SECRET)
            .output()
            .expect("run sign")
    };
    let url = server.url("/plugins/example-checkout/events");

    // --send: the answer's body on stdout, its status on stderr, exit 0.
    let sent = sign(&url, &["--send"]);
    assert_eq!(
        sent.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let answer: Value = serde_json::from_slice(&sent.stdout).expect("the answer on stdout");
    assert_eq!(answer["actions"][0]["type"], json!("add_fee"));
    assert_eq!(String::from_utf8_lossy(&sent.stderr).trim(), "HTTP 200 OK");
    // A refused request exits 1 with its status; nothing listening: 1 too.
    let other = server.url("/plugins/gift-wrap/events");
    let refused = sign(&other, &["--send"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401"));
    let nowhere = sign("http://127.0.0.1:9/plugins/x/events", &["--send"]);
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no answer from"));

    // --print headers: `Name: value` lines only; --print curl: the command.
    let headers = sign(&url, &["--print", "headers"]);
    let text = String::from_utf8(headers.stdout).expect("utf-8");
    assert!(
        !text.is_empty() && text.lines().all(|l| l.split_once(": ").is_some()),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Authorization: Signature ")),
        "{text}"
    );
    let curl = sign(&url, &["--print", "curl"]);
    let text = String::from_utf8(curl.stdout).expect("utf-8");
    assert!(text.starts_with("curl -sS -X 'POST'"), "{text}");
    // --send and --print do not go together.
    assert_eq!(
        sign(&url, &["--send", "--print", "curl"]).status.code(),
        Some(2)
    );
}

#[tokio::test]
async fn dev_mode_shows_guest_logs_and_saves_failing_requests_to_replay() {
    let (dir, server) = start(&["--dev"]);
    let client = reqwest::Client::new();
    let url = server.url("/plugins/hostile/events");
    let body = event_body("panic");
    let response = signed_post(&client, &url, HOSTILE_SECRET, &body).await;
    assert_eq!(response.status(), 200);
    // The guest's own output is in the host's log.
    let logs = server.wait_for_log("dev: the failing request is saved");
    assert!(logs.contains("never use it in production"), "{logs}");
    assert!(
        logs.lines()
            .any(|l| l.contains("guest") && l.contains("[stderr]") && l.contains("panicked")),
        "{logs}"
    );
    // The body is saved, and the logged command replays the fault.
    let saved: Vec<_> = std::fs::read_dir(dir.path().join("data/dev/failures"))
        .expect("the failures folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(std::fs::read_to_string(&saved[0]).expect("read"), body);
    let line = logs
        .lines()
        .find(|l| l.contains("dev: the failing request is saved"))
        .expect("the line");
    let replay = line
        .split("replay=")
        .nth(1)
        .expect("replay=")
        .split(" file=")
        .next()
        .expect("command")
        .trim()
        .trim_matches('"')
        .replace("\\'", "'");
    assert!(replay.starts_with("plugin-host invoke "), "{replay}");
    let args = replay.trim_start_matches("plugin-host ");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"$BIN\" {args}"))
        .env("BIN", BIN)
        .env("PLUGIN_HOST_CACHE_DIR", dir.path().join("cache"))
        .output()
        .expect("run the replay");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: trap: panicked at") && last.contains("on purpose"),
        "{stderr}"
    );
}

#[tokio::test]
async fn without_dev_mode_nothing_is_saved() {
    let (dir, server) = start(&[]);
    let client = reqwest::Client::new();
    let url = server.url("/plugins/hostile/events");
    let response = signed_post(&client, &url, HOSTILE_SECRET, &event_body("panic")).await;
    assert_eq!(response.status(), 200);
    server.wait_for_log("plugin fault");
    assert!(!dir.path().join("data/dev").exists());
    assert!(!server.logs().contains("[stderr]"), "{}", server.logs());
}

#[tokio::test]
async fn sigterm_drains_requests_in_flight_and_exits_0() {
    let (_dir, mut server) = start(&["--log-json"]);
    let client = reqwest::Client::new();
    let url = server.url("/plugins/hostile-quiet/events");
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            signed_post(&client, &url, HOSTILE_SECRET, &event_body("busy_sleep"))
                .await
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.signal("TERM");
    assert_eq!(
        in_flight.await.expect("join"),
        200,
        "the request in flight is answered"
    );
    let status = server
        .wait(Duration::from_secs(10))
        .expect("the server exits");
    assert!(status.success(), "{status:?}");
    let logs = server.logs();
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed.get("level").is_some(), "{line}");
    }
    assert!(
        !logs.contains(HOSTILE_SECRET),
        "secrets never reach the log"
    );
}

#[tokio::test]
async fn metrics_can_move_to_an_admin_listener() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = vec![PluginSpec::new(
        "example-checkout",
        EXAMPLE_CHECKOUT,
        SECRET,
    )];
    let host = write_config(dir.path(), &specs, "admin_listen = \"127.0.0.1:0\"\n");
    let server = TestServer::start(BIN, &host, &specs, &[]);
    let admin = server.admin.expect("an admin listener");
    let client = reqwest::Client::new();
    let response = signed_post(
        &client,
        &server.url("/plugins/example-checkout/events"),
        SECRET,
        &fixture_body("initialize_checkout"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let metrics = client
        .get(format!("http://{admin}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .expect("text")
            .contains("plugin_host_requests_total")
    );
    let ready = client
        .get(format!("http://{admin}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let details = body_json(ready).await;
    assert_eq!(details["plugins"]["example-checkout"], json!("ready"));
    assert_eq!(details["checkout"], json!(true));
    assert_eq!(
        details["outbox"],
        json!("not open"),
        "no connector, no outbox"
    );
    let hidden = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        hidden.status(),
        404,
        "metrics are only on the admin listener"
    );
}
