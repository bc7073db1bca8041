//! The platform connector end to end, over real HTTP on 127.0.0.1:
//! `plugin-host serve` running `plugins/platform-sync`, a mock platform API
//! and a mock Bold API. Covers the Update Customer side effect, platform
//! webhooks and their signature, retries with backoff and `Retry-After`,
//! dead letters and their replay, per-entity ordering, and crash safety
//! (SIGKILL with notifications pending and in flight). Bold's calls carry
//! X-HMAC here; how they are authenticated is `connector_auth`'s subject.
//!
//! Why one file: every case starts the same real server with the mock
//! platform and the mock Bold API, and checks the one guarantee (committed
//! before acknowledged, delivered in order) from a different side.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use plugin_host::signature::{BodySignature, DigestEncoding, Secret};
use plugin_tests::guests::PLATFORM_SYNC;
use plugin_tests::mocks::{MockPlatform, now_rfc3339};
use plugin_tests::server::{PluginSpec, TestServer, sign_xhmac, write_config};
use serde_json::{Value, json};
use test_support::mock_bold::{MockBold, Received, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
/// The connector's client secret (Bold's calls use it only with
/// `bold_auth = "cavage"`).
pub(super) const SECRET: &str = "connector-secret";
/// The X-HMAC shared secret of Bold's calls on the connector.
pub(super) const BOLD_HMAC_SECRET: &str = "bold-hmac-secret";
const WEBHOOK_SECRET: &str = "platform-webhook-secret";
const BOLD_TOKEN: &str = "bold-api-token";
pub(super) const PLATFORM_TOKEN: &str = "platform-token";
pub(super) const SHOP: &str = "test-shop";

/// A host serving platform-sync against the two mocks.
pub(super) struct Setup {
    pub(super) dir: tempfile::TempDir,
    host_toml: PathBuf,
    spec: PluginSpec,
}

impl Setup {
    pub(super) fn new(platform: &MockPlatform, bold: &MockBold, outbox: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = PluginSpec::new("platform-sync", PLATFORM_SYNC, SECRET).with(&format!(
            r#"
[connector]
shop_identifier = "{SHOP}"
bold_token_env = "TEST_BOLD_TOKEN"
bold_hmac_secret_env = "TEST_BOLD_HMAC_SECRET"
allowed_hosts = ["{platform}"]

[connector.platform_webhook]
secret_env = "TEST_PLATFORM_WEBHOOK_SECRET"
encoding = "base64"
topics = ["customer-updated", "customer-deleted", "product-updated", "product-deleted", "theme-published"]

[config]
platform_api_url = "{platform_url}"
platform_api_token = "{PLATFORM_TOKEN}"
"#,
            platform = platform.addr,
            platform_url = platform.url(),
        ));
        let host_extra = format!(
            "[bold_api]\nbase_url = \"{}\"\n\n[outbox]\ninitial_backoff_ms = 100\n\
             max_backoff_ms = 2000\n{outbox}\n",
            bold.url()
        );
        let host_toml = write_config(dir.path(), std::slice::from_ref(&spec), &host_extra);
        Self {
            dir,
            host_toml,
            spec,
        }
    }

    pub(super) fn start(&self) -> TestServer {
        self.start_with_env(&[])
    }

    /// The connector's manifest, to edit before [`Setup::start`].
    pub(super) fn manifest(&self) -> PathBuf {
        self.dir.path().join("platform-sync.toml")
    }

    /// Replaces `from` (which must be there) with `to` in the manifest.
    pub(super) fn edit_manifest(&self, from: &str, to: &str) {
        let path = self.manifest();
        let text = std::fs::read_to_string(&path).expect("manifest");
        assert!(text.contains(from), "{from:?} not in\n{text}");
        std::fs::write(&path, text.replace(from, to)).expect("manifest");
    }

    pub(super) fn start_with_env(&self, env: &[(&str, &str)]) -> TestServer {
        let mut env = env.to_vec();
        env.extend([
            ("TEST_BOLD_TOKEN", BOLD_TOKEN),
            ("TEST_PLATFORM_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("TEST_BOLD_HMAC_SECRET", BOLD_HMAC_SECRET),
        ]);
        TestServer::start_with_env(
            BIN,
            &self.host_toml,
            std::slice::from_ref(&self.spec),
            &[],
            &env,
        )
    }

    /// Runs `plugin-host outbox <args>` on this configuration.
    fn outbox(&self, args: &[&str]) -> (bool, String, String) {
        let output = Command::new(BIN)
            .arg("outbox")
            .args(args)
            .arg("--config")
            .arg(&self.host_toml)
            .env("TEST_BOLD_TOKEN", BOLD_TOKEN)
            .env("TEST_PLATFORM_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("TEST_BOLD_HMAC_SECRET", BOLD_HMAC_SECRET)
            .env("TEST_SECRET_PLATFORM_SYNC", SECRET)
            .output()
            .expect("run plugin-host outbox");
        let _ = &self.dir;
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

impl Setup {
    /// Polls `outbox list --status <status> --json` until it has `count`
    /// rows (up to 10 s); returns the rows.
    async fn wait_for_status(&self, status: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (ok, out, err) =
                self.outbox(&["list", "--status", status, "--json", "--limit", "10000"]);
            assert!(ok, "{err}");
            let rows: Vec<Value> = serde_json::from_str(&out).expect("JSON");
            if rows.len() >= count || Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(super) fn customer(id: &str, updated_at: &str) -> Value {
    json!({
        "id": id,
        "email": format!("{id}@example.com"),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": "",
        "updated_at": updated_at,
        "addresses": [{
            "id": format!("{id}-home"),
            "type": "shipping",
            "default": true,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address1": "1 Old Road",
            "city": "Winnipeg",
            "province": "Manitoba",
            "province_code": "MB",
            "country": "Canada",
            "country_code": "CA",
            "postal_code": "R3C 0A1",
        }],
    })
}

fn webhook_signature() -> BodySignature {
    BodySignature::new(
        "x-platform-hmac-sha256",
        DigestEncoding::Base64,
        vec![Secret::new(WEBHOOK_SECRET)],
    )
}

async fn platform_webhook(
    client: &reqwest::Client,
    server: &TestServer,
    topic: &str,
    body: &Value,
) -> reqwest::Response {
    let url = server.url(&format!("/plugins/platform-sync/platform/{topic}"));
    post_webhook(client, &url, body).await
}

async fn post_webhook(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::Response {
    let body = body.to_string();
    let signature = webhook_signature().sign(body.as_bytes()).expect("signed");
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-platform-hmac-sha256", signature)
        .body(body)
        .send()
        .await
        .expect("answered")
}

/// A call from Bold, stamped with X-HMAC as Bold stamps them.
async fn bold_call(
    client: &reqwest::Client,
    server: &TestServer,
    method: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    let url = server.url(path);
    let body = body.to_string();
    let mut request = client.request(method.parse().expect("a method"), &url);
    for (name, value) in sign_xhmac(BOLD_HMAC_SECRET) {
        request = request.header(name, value);
    }
    request.body(body).send().await.expect("answered")
}

/// Bold's Update Customer: `PUT /plugins/platform-sync/bold/{shop}/customers/{id}`.
pub(super) async fn update_customer(
    client: &reqwest::Client,
    server: &TestServer,
    shop: &str,
    id: &str,
    body: &Value,
) -> reqwest::Response {
    let path = format!("/plugins/platform-sync/bold/{shop}/customers/{id}");
    bold_call(client, server, "PUT", &path, body).await
}

/// An Update Customer body that adds a new default shipping address (the
/// platform then unsets the old default: a side effect Bold must hear of).
pub(super) fn new_default_shipping_address() -> Value {
    json!({"customer": {"addresses": [{
        "address_use": "shipping",
        "is_default": true,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_line_1": "2 New Street",
        "city": "Toronto",
        "province": "Ontario",
        "province_code": "ON",
        "country": "Canada",
        "country_code": "CA",
        "postal_code": "M5V 2T6",
    }]}})
}

fn keys(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_customer_notifies_bold_of_the_side_effect_on_the_old_default_address() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    let request = new_default_shipping_address();
    let response = update_customer(&client, &server, SHOP, "4242", &request).await;
    assert_eq!(response.status(), 200, "{}", server.logs());
    let answer: Value = response.json().await.expect("JSON");
    let addresses = answer["customer"]["addresses"]
        .as_array()
        .expect("addresses");
    assert_eq!(addresses.len(), 2, "{answer}");

    // The platform was called: address added, customer read back.
    let calls = platform.requests();
    assert_eq!(
        calls,
        ["POST /customers/4242/addresses", "GET /customers/4242"],
        "{calls:?}"
    );

    // Bold hears Customer Saved with the complete customer: the old default
    // address lost `is_default`, the new one has it.
    let received = bold
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    assert_eq!(received.len(), 1, "{received:?}");
    let saved = &received[0];
    assert_eq!(
        saved.path,
        format!("/platform_connector/{SHOP}/customers/saved")
    );
    assert_eq!(
        saved.header("authorization").unwrap_or_default(),
        format!("Bearer {BOLD_TOKEN}")
    );
    assert_eq!(
        saved.header("bold-api-version-date").unwrap_or_default(),
        "2022-05-01"
    );
    assert_eq!(
        saved.header("idempotency-key").unwrap_or_default().len(),
        32
    );
    let entity = saved.entity();
    assert_eq!(entity["platform_id"], "4242");
    let platform_now = platform.customer("4242").expect("the customer");
    assert_eq!(entity["platform_updated_at"], platform_now["updated_at"]);
    let by_id: BTreeMap<&str, &Value> = entity["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .map(|a| (a["platform_id"].as_str().unwrap_or_default(), a))
        .collect();
    assert_eq!(by_id.len(), 2, "{entity}");
    assert_eq!(by_id["4242-home"]["is_default"], false, "{entity}");
    let new_address = by_id
        .iter()
        .find(|(id, _)| **id != "4242-home")
        .map(|(_, a)| *a)
        .expect("the new address");
    assert_eq!(new_address["is_default"], true);
    assert_eq!(new_address["address_line_1"], "2 New Street");

    // Another shop, an unknown customer, an unsigned call.
    let response = update_customer(&client, &server, "other-shop", "4242", &request).await;
    assert_eq!(response.status(), 404);
    let response = update_customer(&client, &server, SHOP, "nobody", &request).await;
    assert_eq!(response.status(), 404);
    let response = client
        .put(server.url(&format!(
            "/plugins/platform-sync/bold/{SHOP}/customers/4242"
        )))
        .header("content-type", "application/json")
        .body(request.to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bold.received().len(), 1, "nothing more was sent");
}

/// Bold's call times out while the connector is still talking to a slow
/// platform: the platform change happens anyway, so the call runs to its end
/// and its notification is committed and delivered; the request is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_call_whose_caller_leaves_still_commits_its_notifications() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    platform.set_delay(Duration::from_millis(600));
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let url = server.url(&format!(
        "/plugins/platform-sync/bold/{SHOP}/customers/4242"
    ));
    let body = new_default_shipping_address().to_string();
    let mut request = impatient.put(&url);
    for (name, value) in sign_xhmac(BOLD_HMAC_SECRET) {
        request = request.header(name, value);
    }
    let gone = request.body(body).send().await;
    assert!(gone.is_err(), "the client gave up first: {gone:?}");

    let received = bold
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    assert_eq!(received.len(), 1, "{received:?}\n{}", server.logs());
    assert_eq!(received[0].entity()["platform_id"], "4242");
    assert_eq!(
        platform.requests(),
        ["POST /customers/4242/addresses", "GET /customers/4242"]
    );
    server.wait_for_log("request cancelled");
    let logs = server.wait_for_log("499");
    assert!(
        logs.contains("request cancelled") && logs.contains("499"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_webhooks_are_verified_then_delivered_to_bold() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    let product = json!({
        "id": "p1", "title": "Mug", "handle": "mug", "updated_at": "2026-11-22T10:00:00Z",
        "variants": [{"id": "v1", "title": "Blue", "sku": "MUG-B", "price": 1500}],
    });
    let response = platform_webhook(&client, &server, "product-updated", &product).await;
    assert_eq!(response.status(), 200, "{}", server.logs());
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"success": true, "notifications": 1})
    );

    // A bad signature, no signature, a topic the plugin ignores.
    let body = product.to_string();
    let response = client
        .post(server.url("/plugins/platform-sync/platform/product-updated"))
        .header("content-type", "application/json")
        .header("x-platform-hmac-sha256", "AAAA")
        .body(body.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401);
    assert_eq!(response.text().await.expect("body"), "");
    let response = client
        .post(server.url("/plugins/platform-sync/platform/product-updated"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401);
    let response = platform_webhook(&client, &server, "theme-published", &json!({})).await;
    assert_eq!(response.status(), 200);

    let deletion = json!({"id": "p1", "deleted_at": "2026-11-22T11:00:00Z"});
    let response = platform_webhook(&client, &server, "product-deleted", &deletion).await;
    assert_eq!(response.status(), 200);

    let received = bold
        .wait_for(Duration::from_secs(10), |r| r.len() >= 2)
        .await;
    assert_eq!(received.len(), 2, "{received:?}");
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("/platform_connector/{SHOP}/products/saved"),
            format!("/platform_connector/{SHOP}/products/deleted"),
        ]
    );
    assert_eq!(received[0].entity()["platform_id"], "p1");
    assert_eq!(
        received[0].entity()["platform_updated_at"],
        "2026-11-22T10:00:00Z"
    );
    assert_eq!(received[0].entity()["variants"][0]["price"], 1500);
    assert_eq!(received[1].entity()["platform_id"], "p1");

    // A handler error (no updated_at) is not acknowledged: the platform
    // retries; nothing is queued.
    let response =
        platform_webhook(&client, &server, "product-updated", &json!({"id": "p2"})).await;
    assert_eq!(response.status(), 502);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bold.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_with_backoff_honouring_retry_after() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    bold.script([
        Reply::status(500),
        Reply::too_many_requests("1"),
        Reply::dropped(),
        Reply::status(503),
    ]);
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    let started = Instant::now();
    let response = platform_webhook(
        &client,
        &server,
        "customer-updated",
        &customer("7", &now_rfc3339()),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", server.logs());
    let received = bold
        .wait_for(Duration::from_secs(20), |r| {
            r.iter().any(|r| r.status == Some(202))
        })
        .await;
    let statuses: Vec<Option<u16>> = received.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Some(500), Some(429), None, Some(503), Some(202)],
        "{}",
        server.logs()
    );
    // Every attempt carries the same idempotency key.
    let keys: BTreeSet<String> = keys(&received).into_iter().collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    // Backoff grows, and the attempt after the 429 waited its Retry-After.
    let gaps: Vec<Duration> = received.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[1] >= Duration::from_millis(990), "{gaps:?}");
    assert!(gaps[0] >= Duration::from_millis(50), "{gaps:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bold.received().len(), 5, "delivered once, then never again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_exhausted_notifications_become_dead_letters_that_can_be_replayed() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    // 400: dead at once. Then 500s until the attempts run out (3).
    bold.script([Reply::status(400)]);
    let setup = Setup::new(&platform, &bold, "max_attempts = 3");
    let server = setup.start();
    let client = reqwest::Client::new();

    let response = platform_webhook(
        &client,
        &server,
        "customer-updated",
        &customer("1", &now_rfc3339()),
    )
    .await;
    assert_eq!(response.status(), 200);
    bold.wait_for(Duration::from_secs(10), |r| r.len() == 1)
        .await;
    bold.set_default(Some(Reply::status(500)));
    let response = platform_webhook(
        &client,
        &server,
        "customer-updated",
        &customer("2", &now_rfc3339()),
    )
    .await;
    assert_eq!(response.status(), 200);
    let received = bold
        .wait_for(Duration::from_secs(15), |r| r.len() >= 4)
        .await;
    assert_eq!(received.len(), 4, "{received:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bold.received().len(), 4, "no attempt after the last");

    // Both are dead letters, listed with their last error.
    let (ok, out, err) = setup.outbox(&["list", "--status", "dead", "--json"]);
    assert!(ok, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(rows.len(), 2, "{out}");
    let ids: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["platform_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, BTreeSet::from(["1", "2"]));
    assert!(rows.iter().all(|r| r["status"] == "dead"), "{out}");
    let (ok, out, _) = setup.outbox(&["list"]);
    assert!(ok && out.contains("dead") && out.contains("400"), "{out}");

    // Replay them once Bold is healthy: the running server delivers them.
    bold.set_default(None);
    let (ok, out, err) = setup.outbox(&["retry", "--all-dead"]);
    assert!(ok, "{out}{err}");
    let received = bold
        .wait_for(Duration::from_secs(10), |r| {
            r.iter().filter(|r| r.status == Some(202)).count() == 2
        })
        .await;
    let accepted: Vec<&Received> = received.iter().filter(|r| r.status == Some(202)).collect();
    assert_eq!(accepted.len(), 2, "{}", server.logs());
    // Replays carry the original idempotency keys.
    let first_keys: BTreeSet<String> = keys(&received[..4]).into_iter().collect();
    let replay_keys: BTreeSet<String> = accepted
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(first_keys, replay_keys);

    setup.wait_for_status("delivered", 2).await;
    let (ok, out, err) = setup.outbox(&["purge", "--status", "delivered"]);
    assert!(ok, "{out}{err}");
    let (ok, out, _) = setup.outbox(&["list", "--json"]);
    assert!(ok);
    assert_eq!(out.trim(), "[]", "purged: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_customer_reach_bold_in_order_and_never_stale() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    // Slow deliveries, so that updates pile up behind the one in flight.
    bold.set_default(Some(Reply::delayed(Duration::from_millis(100))));
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    // 30 states of customer 9, sent concurrently in a scrambled order.
    let states: Vec<String> = (0..30).map(|_| now_rfc3339()).collect();
    let mut order: Vec<usize> = (0..states.len()).collect();
    order.sort_by_key(|i| (i * 7919) % 31);
    let url = server.url("/plugins/platform-sync/platform/customer-updated");
    let mut sends = tokio::task::JoinSet::new();
    for &i in &order {
        let (client, url, body) = (client.clone(), url.clone(), customer("9", &states[i]));
        sends.spawn(async move { post_webhook(&client, &url, &body).await.status() });
    }
    while let Some(status) = sends.join_next().await {
        assert_eq!(status.expect("a send task"), 200);
    }
    let newest = states.last().expect("states").clone();
    let received = bold
        .wait_for(Duration::from_secs(15), |r| {
            r.last()
                .is_some_and(|l| l.entity()["platform_updated_at"] == newest.as_str())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received_after = bold.received();
    assert_eq!(
        received.len(),
        received_after.len(),
        "nothing after the newest"
    );
    let times: Vec<String> = received
        .iter()
        .map(|r| {
            r.entity()["platform_updated_at"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(times.last(), Some(&newest), "{times:?}");
    for pair in times.windows(2) {
        assert!(pair[0] < pair[1], "out of order or repeated: {times:?}");
    }
    // Intermediate states were coalesced away.
    assert!(times.len() < states.len(), "{}", times.len());
    // Never two deliveries of the entity at once.
    for pair in received.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(95),
            "overlap"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_with_notifications_pending_and_in_flight_delivers_them_after_restart() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    // Bold hangs: deliveries are in flight when the host dies.
    bold.set_default(Some(Reply::delayed(Duration::from_secs(30))));
    let setup = Setup::new(&platform, &bold, "concurrency = 4");
    let mut server = setup.start();
    let client = reqwest::Client::new();

    const CUSTOMERS: usize = 40;
    for i in 0..CUSTOMERS {
        let response = platform_webhook(
            &client,
            &server,
            "customer-updated",
            &customer(&format!("c{i}"), &now_rfc3339()),
        )
        .await;
        assert_eq!(response.status(), 200, "{}", server.logs());
    }
    // Some are in flight (Bold got them and hangs), the rest pending.
    bold.wait_for(Duration::from_secs(10), |r| r.len() >= 4)
        .await;
    let in_flight = bold.received().len();
    assert!((1..CUSTOMERS).contains(&in_flight), "{in_flight}");
    server.kill_hard();

    // Bold recovers; the host restarts on the same data directory.
    bold.set_default(None);
    let server = setup.start();
    let received = bold
        .wait_for(Duration::from_secs(30), |r| {
            let accepted: BTreeSet<String> = r
                .iter()
                .filter(|r| r.status == Some(202))
                .map(|r| r.entity()["platform_id"].as_str().unwrap_or("").to_owned())
                .collect();
            accepted.len() == CUSTOMERS
        })
        .await;
    let mut by_customer: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &received {
        by_customer
            .entry(r.entity()["platform_id"].as_str().unwrap_or("").to_owned())
            .or_default()
            .insert(r.header("idempotency-key").unwrap_or_default().to_owned());
    }
    assert_eq!(
        by_customer.len(),
        CUSTOMERS,
        "every notification arrived: {}",
        server.logs()
    );
    // Duplicates (sent before the crash and again after) carry one key.
    assert!(
        by_customer.values().all(|keys| keys.len() == 1),
        "{by_customer:?}"
    );
    let duplicates = received.len() - CUSTOMERS;
    assert!(
        duplicates >= 1,
        "the in-flight ones were resent: {} received, {:?}",
        received.len(),
        received.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let rows = setup.wait_for_status("delivered", CUSTOMERS).await;
    assert_eq!(rows.len(), CUSTOMERS);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_cannot_reach_hosts_its_manifest_does_not_grant() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    // Grant another port of the same machine, not the platform's.
    setup.edit_manifest(
        &format!("allowed_hosts = [\"{}\"]", platform.addr),
        "allowed_hosts = [\"127.0.0.1:1\"]",
    );
    let server = setup.start();
    let client = reqwest::Client::new();

    let request = json!({"customer": {"first_name": "Grace"}});
    let response = update_customer(&client, &server, SHOP, "4242", &request).await;
    assert_eq!(response.status(), 502, "{}", server.logs());
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "handler_error");
    assert!(platform.requests().is_empty(), "no connection was made");
    assert!(bold.received().is_empty());
    assert_eq!(
        platform.customer("4242").expect("customer")["first_name"],
        "Ada"
    );
}

/// The data directory, the artifact cache and the SQLite outbox are the
/// host user's alone: the host creates the directories 0700 and the
/// outbox's lock file 0600.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_creates_its_data_directories_private() {
    use std::os::unix::fs::PermissionsExt;

    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let data = setup.dir.path().join("data");
    let lock = data.join("outbox").join("outbox.lock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lock.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mode = |path: PathBuf| {
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), server.logs()));
        (path, meta.permissions().mode() & 0o777)
    };
    for dir in [data.clone(), data.join("cache"), data.join("outbox")] {
        let (path, mode) = mode(dir);
        assert_eq!(mode, 0o700, "{} is {mode:03o}", path.display());
    }
    let (path, lock_mode) = mode(lock);
    assert_eq!(lock_mode, 0o600, "{} is {lock_mode:03o}", path.display());
    drop(server);
}

/// A platform product webhook body.
fn product(id: &str, updated_at: &str) -> Value {
    json!({
        "id": id, "title": "Mug", "handle": "mug", "updated_at": updated_at,
        "variants": [{"id": "v1", "title": "Blue", "sku": "MUG-B", "price": 1500}],
    })
}

/// Polls `path` until it answers `status` (up to 10 s); returns the last
/// status seen.
async fn wait_for_http(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    status: u16,
) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = client
            .get(server.url(path))
            .send()
            .await
            .map_or(0, |r| r.status().as_u16());
        if seen == status || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The outbox cannot be opened at start-up (its directory's path is a
/// file): the host starts anyway, connector routes answer 503 and say so
/// in readiness, and once the path is freed the outbox opens, readiness
/// follows, and notifications are committed and delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_whose_outbox_cannot_open_starts_and_opens_it_once_it_can() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "database = \"blocked/outbox.sqlite3\"");
    let blocker = setup.dir.path().join("blocked");
    std::fs::write(&blocker, "not a directory").expect("blocker");
    let server = setup.start();
    let client = reqwest::Client::new();
    assert_eq!(wait_for_http(&client, &server, "/readyz", 200).await, 200);
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 503).await,
        503
    );
    let body = product("p1", &now_rfc3339());
    let refused = platform_webhook(&client, &server, "product-updated", &body).await;
    assert_eq!(refused.status(), 503, "{}", server.logs());
    assert_eq!(refused.headers()["retry-after"], "1");
    let logs = server.wait_for_log("the outbox cannot be opened");
    assert!(logs.contains("the outbox cannot be opened"), "{logs}");

    std::fs::remove_file(&blocker).expect("unblock");
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 200).await,
        200,
        "{}",
        server.logs()
    );
    let accepted = platform_webhook(&client, &server, "product-updated", &body).await;
    assert_eq!(accepted.status(), 200, "{}", server.logs());
    let received = bold
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    assert_eq!(received.len(), 1, "{received:?}");
}

/// A TCP forwarder on 127.0.0.1 in front of PostgreSQL, that the test can
/// cut (every connection dropped, nothing accepted) and restore on the
/// same port.
struct Cable {
    port: u16,
    target: std::net::SocketAddr,
    tasks: tokio::task::JoinSet<()>,
}

impl Cable {
    async fn new(target: std::net::SocketAddr) -> Self {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = probe.local_addr().expect("its address").port();
        drop(probe);
        let mut cable = Self {
            port,
            target,
            tasks: tokio::task::JoinSet::new(),
        };
        cable.connect().await;
        cable
    }

    async fn connect(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the forwarder");
        let target = self.target;
        self.tasks.spawn(async move {
            let mut links = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                links.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    }

    fn cut(&mut self) {
        self.tasks.abort_all();
    }
}

/// PostgreSQL unreachable at start-up, then reachable, then gone for a
/// while: the host starts and serves, connector readiness follows the
/// database (checkout readiness never does), and notifications go through
/// once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_readiness_follows_the_postgres_outbox() {
    let Some(url) =
        tokio::task::spawn_blocking(|| test_support::pg_server::database("connector_readiness"))
            .await
            .expect("join")
    else {
        return;
    };
    let target: std::net::SocketAddr = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .expect("host:port in the URL");
    let mut cable = Cable::new(target).await;
    cable.cut();
    let proxied = url.replace(&target.to_string(), &format!("127.0.0.1:{}", cable.port));

    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(
        &platform,
        &bold,
        "backend = \"postgres\"\npostgres_url_env = \"TEST_OUTBOX_PG_URL\"\npostgres_pool_size = 2",
    );
    let server = setup.start_with_env(&[("TEST_OUTBOX_PG_URL", &proxied)]);
    let client = reqwest::Client::new();
    assert_eq!(wait_for_http(&client, &server, "/readyz", 200).await, 200);
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 503).await,
        503
    );

    cable.connect().await;
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 200).await,
        200,
        "{}",
        server.logs()
    );
    let body = product("p1", &now_rfc3339());
    let accepted = platform_webhook(&client, &server, "product-updated", &body).await;
    assert_eq!(accepted.status(), 200, "{}", server.logs());

    cable.cut();
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 503).await,
        503,
        "{}",
        server.logs()
    );
    assert_eq!(
        wait_for_http(&client, &server, "/readyz", 200).await,
        200,
        "checkout readiness does not depend on the outbox"
    );
    cable.connect().await;
    assert_eq!(
        wait_for_http(&client, &server, "/readyz/connectors", 200).await,
        200,
        "{}",
        server.logs()
    );
    let received = bold
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    assert_eq!(received.len(), 1, "{received:?}");
}

/// The signature covers the body, not the topic in the URL: a connector
/// accepts only the topics its manifest declares. A signed customer webhook
/// replayed to an undeclared topic is not found and runs nothing, and
/// random topics all share one metric label.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_declared_platform_topics_are_accepted_and_labelled() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();
    let customer_webhook = customer("c1", "2026-11-22T10:00:00Z");
    let replayed = platform_webhook(&client, &server, "order-updated", &customer_webhook).await;
    assert_eq!(replayed.status(), 404);
    for n in 0..40 {
        let response =
            platform_webhook(&client, &server, &format!("topic-{n}"), &customer_webhook).await;
        assert_eq!(response.status(), 404);
    }
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(!metrics.contains("topic-"), "{metrics}");
    assert!(!metrics.contains("platform:order-updated"), "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("event=\"platform:other\"")
                && l.contains("status=\"404\"")
                && l.ends_with(" 41")),
        "{metrics}"
    );
    assert!(
        !metrics.contains("plugin_host_fuel_used_count{plugin=\"platform-sync\"}"),
        "no sandbox ran: {metrics}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(bold.received().is_empty(), "nothing was queued");

    let accepted = platform_webhook(&client, &server, "customer-updated", &customer_webhook).await;
    assert_eq!(accepted.status(), 200, "{}", server.logs());
}

/// A notification dated in the far future would make every later update
/// of its entity stale for good: the answer carrying it is invalid and
/// nothing is queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_dated_far_ahead_is_refused() {
    let platform = MockPlatform::start(PLATFORM_TOKEN, vec![]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();
    let ahead = product("p9", "9999-01-01T00:00:00Z");
    let refused = platform_webhook(&client, &server, "product-updated", &ahead).await;
    assert_eq!(refused.status(), 502, "{}", server.logs());
    assert_eq!(
        refused.json::<Value>().await.expect("JSON")["error"],
        "invalid_output"
    );
    let logs = server.wait_for_log("ahead of the host's clock");
    assert!(logs.contains("ahead of the host's clock"), "{logs}");
    let now = product("p9", &now_rfc3339());
    let accepted = platform_webhook(&client, &server, "product-updated", &now).await;
    assert_eq!(accepted.status(), 200, "{}", server.logs());
    let received = bold
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    assert_eq!(received.len(), 1, "only the current state: {received:?}");
}
