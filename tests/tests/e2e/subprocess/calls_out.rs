//! Handlers that call out, over real HTTP: the shop of each call (from the
//! query string), Bold's API for an installed shop with its token added by
//! the host, outbound HTTP to granted hosts only, `require_install`, the
//! scopes granted at the install, and a component built against contract
//! 0.1.0 serving unchanged.

use std::net::SocketAddr;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use plugin_tests::guests::{CALLER, EXAMPLE_CHECKOUT, HOSTILE, LOYALTY_POINTS};
use plugin_tests::mocks::MockBoldCheckout;
use plugin_tests::server::{PluginSpec, TestServer, sign, signed_post, write_config};
use plugin_tests::support::{fixture_body, fixture_names};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const SECRET: &str = "caller-secret";
const CLIENT_ID: &str = "client-123";
/// 32 bytes of 0x07, base64.
const STATE_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const SHOP: &str = "platform=shopify&shop=a.myshopify.com";

/// A third-party service on 127.0.0.1: `GET /points` answers `{"points": 7}`.
async fn service() -> SocketAddr {
    let app = Router::new().route(
        "/points",
        get(|| async { axum::Json(json!({"points": 7})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

struct Host {
    _dir: tempfile::TempDir,
    server: TestServer,
    bold: MockBoldCheckout,
    client: reqwest::Client,
    host_file: std::path::PathBuf,
    specs: Vec<PluginSpec>,
    env: Vec<(String, String)>,
}

impl Host {
    /// `plugins`: (id, component, extra manifest lines); each gets
    /// `[oauth]` and the same secret.
    async fn start(plugins: &[(&str, &str, String)]) -> Self {
        Self::start_with(plugins, "", &[]).await
    }

    /// [`Host::start`] with more host file lines and environment.
    async fn start_with(
        plugins: &[(&str, &str, String)],
        host_extra: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let bold = MockBoldCheckout::start(CLIENT_ID, SECRET).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let specs: Vec<PluginSpec> = plugins
            .iter()
            .map(|(id, component, extra)| {
                PluginSpec::new(id, component, SECRET)
                    .with(&format!("{extra}\n[oauth]\nclient_id = \"{CLIENT_ID}\""))
            })
            .collect();
        let host = write_config(
            dir.path(),
            &specs,
            &format!(
                "{host_extra}\n[bold_checkout]\nbase_url = \"{}\"\n\
                 [state]\nkey_env = \"TEST_STATE_KEY\"\n",
                bold.url()
            ),
        );
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.push(("TEST_STATE_KEY".to_owned(), STATE_KEY.to_owned()));
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = TestServer::start_with_env(BIN, &host, &specs, &[], &pairs);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            _dir: dir,
            server,
            bold,
            client,
            host_file: host,
            specs,
            env,
        }
    }

    /// Another host on the same configuration (a second machine behind the
    /// same load balancer).
    fn another_server(&self) -> TestServer {
        let pairs: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        TestServer::start_with_env(BIN, &self.host_file, &self.specs, &[], &pairs)
    }

    async fn install(&self, plugin: &str, code: &str) {
        let url = self.server.url(&format!(
            "/plugins/{plugin}/oauth/authorize?{SHOP}&code={code}"
        ));
        let response = self.client.get(url).send().await.expect("answered");
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "{}",
            self.server.logs()
        );
    }

    async fn uninstall(&self, plugin: &str) {
        let url = self
            .server
            .url(&format!("/plugins/{plugin}/oauth/uninstalled?{SHOP}"));
        let mut request = self.client.post(&url);
        for (name, value) in sign(SECRET, &url, b"", &[]) {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Sends event `name` to `plugin` (with `query` after `?`, if any);
    /// the answer's status and body.
    async fn event(&self, plugin: &str, name: &str, query: &str) -> (u16, Value) {
        let path = if query.is_empty() {
            format!("/plugins/{plugin}/events")
        } else {
            format!("/plugins/{plugin}/events?{query}")
        };
        let body = json!({"event": name}).to_string();
        let response = signed_post(&self.client, &self.server.url(&path), SECRET, &body).await;
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// What the caller guest reported: the JSON in its one note.
    async fn data(&self, plugin: &str, name: &str, query: &str) -> Value {
        let (status, body) = self.event(plugin, name, query).await;
        assert_eq!(status, 200, "{body}");
        let note = body["actions"][0]["data"]["note"].as_str();
        let note = note.unwrap_or_else(|| panic!("{body}\n{}", self.server.logs()));
        serde_json::from_str(note).expect("the note is JSON")
    }
}

fn caller_manifest(extra: &str) -> String {
    format!(
        "scopes = [\"add_fee\", \"modify_order\"]\n{extra}\n[config]\nbold_method = \"POST\"\nbold_path = \"orders/abc/discounts\"\n\
         bold_body = '{{\"code\":\"GOLD\"}}'\n"
    )
}

#[tokio::test]
async fn an_installed_shop_reaches_bolds_api_with_its_token() {
    let t = Host::start(&[("caller", CALLER, caller_manifest(""))]).await;

    // No shop in the query: none; a shop not installed: said so.
    assert_eq!(t.data("caller", "shop", "").await, Value::Null);
    assert_eq!(
        t.data("caller", "shop", SHOP).await,
        json!({"platform": "shopify", "shop": "a.myshopify.com", "installed": false, "scopes": []})
    );
    assert_eq!(t.data("caller", "bold_api", "").await["error"], "NoShop");
    assert_eq!(
        t.data("caller", "bold_api", SHOP).await["error"],
        "NotInstalled"
    );
    assert!(t.bold.api_calls().is_empty());

    t.install("caller", "good-1").await;
    assert_eq!(
        t.data("caller", "shop", SHOP).await,
        json!({"platform": "shopify", "shop": "a.myshopify.com", "installed": true,
               "scopes": ["add_fee", "modify_order"]})
    );
    let result = t.data("caller", "bold_api", SHOP).await;
    assert_eq!(result["status"], 200, "{result}");
    let answer: Value = serde_json::from_str(result["body"].as_str().expect("body")).expect("json");
    assert_eq!(answer["path"], "orders/abc/discounts");
    let calls = t.bold.api_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["method"], "POST");
    assert_eq!(calls[0]["shop"], "a.myshopify.com");
    assert_eq!(calls[0]["path"], "orders/abc/discounts");
    assert_eq!(calls[0]["authorization"], "Bearer token-1");
    assert_eq!(calls[0]["body"], "{\"code\":\"GOLD\"}");

    // After the uninstall, the next call is refused at once.
    t.uninstall("caller").await;
    assert_eq!(
        t.data("caller", "bold_api", SHOP).await["error"],
        "NotInstalled"
    );
    assert_eq!(t.bold.api_calls().len(), 1);

    // A malformed shop in the query: 400, nothing runs.
    let (status, body) = t
        .event("caller", "shop", "platform=shopify&shop=..%2Fadmin")
        .await;
    assert_eq!(status, 400, "{body}");
    // One of the two alone names no shop.
    assert_eq!(
        t.data("caller", "shop", "platform=shopify").await,
        Value::Null
    );
    assert_eq!(
        t.data("caller", "shop", "shop=a.myshopify.com").await,
        Value::Null
    );
    let (status, _) = t
        .event("caller", "shop", "platform=shopify&platform=x&shop=a")
        .await;
    assert_eq!(status, 400, "a parameter given twice");

    let logs = t.server.logs();
    assert!(!logs.contains("token-1"), "{logs}");
}

#[tokio::test]
async fn bold_api_paths_stay_below_the_shop_and_requests_are_counted() {
    let extra = "[outbound]\nmax_requests = 1";
    let mut manifest = caller_manifest(extra);
    manifest = manifest.replace("orders/abc/discounts", "../../oauth/access_token");
    let t = Host::start(&[
        ("escape", CALLER, manifest),
        ("counted", CALLER, caller_manifest(extra)),
    ])
    .await;
    t.install("escape", "good-2").await;
    t.install("counted", "good-3").await;
    let result = t.data("escape", "bold_api", SHOP).await;
    assert!(
        result["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("InvalidRequest")),
        "{result}"
    );
    // One request per invocation: the second is refused.
    let results = t.data("counted", "bold_api_twice", SHOP).await;
    assert_eq!(results[0]["status"], 200, "{results}");
    assert_eq!(results[1]["error"], "TooManyRequests", "{results}");
    assert_eq!(t.bold.api_calls().len(), 1);
}

#[tokio::test]
async fn outbound_http_reaches_granted_addresses_only() {
    let svc = service().await;
    let port = svc.port();
    let grant = format!("[outbound]\nallowed_hosts = [\"127.0.0.1:{port}\", \"localhost:{port}\"]");
    let with_url = |url: &str| {
        caller_manifest(&grant).replace("[config]\n", &format!("[config]\nhttp_url = \"{url}\"\n"))
    };
    let t = Host::start(&[
        (
            "literal",
            CALLER,
            with_url(&format!("http://127.0.0.1:{port}/points")),
        ),
        (
            "by-name",
            CALLER,
            with_url(&format!("http://localhost:{port}/points")),
        ),
        (
            "elsewhere",
            CALLER,
            with_url(&format!("http://127.0.0.1:{}/points", port + 1)),
        ),
        (
            "none",
            CALLER,
            caller_manifest("").replace(
                "[config]\n",
                &format!("[config]\nhttp_url = \"http://127.0.0.1:{port}/points\"\n"),
            ),
        ),
    ])
    .await;
    let ok = t.data("literal", "http", "").await;
    assert_eq!(ok["status"], 200, "{ok}");
    assert_eq!(ok["body"], "{\"points\":7}");
    // A granted name that resolves to loopback is refused after resolution.
    let by_name = t.data("by-name", "http", "").await;
    assert!(
        by_name["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("NotAllowed")),
        "{by_name}"
    );
    let elsewhere = t.data("elsewhere", "http", "").await;
    assert!(
        elsewhere["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("NotAllowed")),
        "{elsewhere}"
    );
    let none = t.data("none", "http", "").await;
    assert!(
        none["error"]
            .as_str()
            .is_some_and(|e| e.contains("granted no outbound")),
        "{none}"
    );
}

#[tokio::test]
async fn require_install_answers_no_actions_for_other_shops() {
    let t = Host::start(&[("strict", CALLER, caller_manifest("require_install = true"))]).await;
    for query in ["", SHOP] {
        let (status, body) = t.event("strict", "shop", query).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"success": true, "actions": []}), "{query}");
    }
    let metrics = reqwest::get(t.server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        !metrics.contains("plugin_host_fuel_used_count{plugin=\"strict\"}"),
        "no sandbox ran: {metrics}"
    );
    t.install("strict", "good-4").await;
    assert_eq!(t.data("strict", "shop", SHOP).await["installed"], true);
    let logs = t.server.wait_for_log("not installed on");
    assert!(logs.contains("not installed on"), "{logs}");
}

#[tokio::test]
async fn the_scopes_granted_at_the_install_are_enforced() {
    // `ok` answers add_note, which needs `modify_order`.
    let manifest = "scopes = [\"modify_order\"]\non_error = \"fail\"".to_owned();
    let t = Host::start(&[("narrow", HOSTILE, manifest)]).await;
    let (_, body) = t.event("narrow", "ok", SHOP).await;
    assert_eq!(
        body["success"], true,
        "manifest scopes before the install: {body}"
    );
    t.install("narrow", "narrow-1").await; // grants add_fee only
    let (_, body) = t.event("narrow", "ok", SHOP).await;
    assert_eq!(
        body,
        json!({"success": false, "actions": [], "error": "invalid_output"})
    );
    let (_, body) = t.event("narrow", "ok", "").await;
    assert_eq!(
        body["success"], true,
        "no shop: the manifest's scopes: {body}"
    );
}

#[tokio::test]
async fn a_component_built_against_contract_0_1_0_answers_as_before() {
    let old = format!(
        "{}/tests/assets/example_checkout-contract-0.1.0.wasm",
        plugin_tests::WORKSPACE
    );
    let url = "public_url = \"https://plugins.example/plugins/example-checkout\"".to_owned();
    let t = Host::start(&[
        ("old", old.as_str(), url.clone()),
        ("new", EXAMPLE_CHECKOUT, url),
    ])
    .await;
    let mut compared = 0;
    for name in fixture_names() {
        let body = fixture_body(&name);
        let mut answers = Vec::new();
        for plugin in ["old", "new"] {
            let response = signed_post(
                &t.client,
                &t.server.url(&format!("/plugins/{plugin}/events?{SHOP}")),
                SECRET,
                &body,
            )
            .await;
            assert_eq!(response.status(), 200, "{name}");
            answers.push(response.text().await.expect("body"));
        }
        assert_eq!(answers[0], answers[1], "{name}");
        compared += 1;
    }
    assert!(compared >= 3);
    let (_, answer) = t.event("old", "initialize_checkout", "").await;
    assert_eq!(answer["success"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_on_one_postgres_database_share_installs() {
    let Some(url) =
        tokio::task::spawn_blocking(|| test_support::pg_server::database("shared_installs"))
            .await
            .expect("join")
    else {
        return;
    };
    let t = Host::start_with(
        &[("caller", CALLER, caller_manifest(""))],
        "[outbox]\nbackend = \"postgres\"\npostgres_url_env = \"TEST_STATE_PG_URL\"\n",
        &[("TEST_STATE_PG_URL", &url)],
    )
    .await;
    let other = t.another_server();
    // Installed through the first host, seen by the second.
    t.install("caller", "good-5").await;
    let via_other = other.url(&format!("/plugins/caller/events?{SHOP}"));
    let body = json!({"event": "bold_api"}).to_string();
    let answer: Value = signed_post(&t.client, &via_other, SECRET, &body)
        .await
        .json()
        .await
        .expect("json");
    let note: Value =
        serde_json::from_str(answer["actions"][0]["data"]["note"].as_str().expect("note"))
            .expect("json");
    assert_eq!(note["status"], 200, "{answer}");
    assert_eq!(t.bold.api_calls()[0]["authorization"], "Bearer token-5");
    // Nothing in the data directory: the installs are in PostgreSQL.
    assert!(!t._dir.path().join("data/state/shops.sqlite3").exists());
}

/// A loyalty service on 127.0.0.1: `GET /v1/members/{email}` knows the
/// fixture's buyer as a gold member and `silver@example.com` as silver.
async fn loyalty_service() -> SocketAddr {
    let app = Router::new().route(
        "/v1/members/{email}",
        get(
            |axum::extract::Path(email): axum::extract::Path<String>| async move {
                match email.as_str() {
                    "bold.mcboldstein@example.com" => {
                        axum::Json(json!({"tier": "gold", "points": 1200})).into_response()
                    }
                    "silver@example.com" => {
                        axum::Json(json!({"tier": "silver", "points": 120})).into_response()
                    }
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// The example plugin that calls out, end to end: a merchant installs it,
/// an event for that shop looks the buyer up at the loyalty service (a
/// granted host), and Bold's API receives the discount call with the shop's
/// token; after the uninstall, the plugin does not run for the shop.
#[tokio::test]
async fn loyalty_points_calls_the_loyalty_service_and_bolds_api_for_an_installed_shop() {
    let service = loyalty_service().await;
    let manifest = format!(
        "scopes = [\"modify_order\"]\nrequire_install = true\n[limits]\ntimeout_ms = 5000\n\
         [outbound]\nallowed_hosts = [\"127.0.0.1:{}\"]\n[config]\n\
         loyalty_url = \"http://{service}/v1\"\ngold_code = \"GOLD-TEST\"\n",
        service.port()
    );
    let t = Host::start(&[("loyalty", LOYALTY_POINTS, manifest)]).await;
    let post = |query: &'static str, body: String| {
        let url = t.server.url(&format!("/plugins/loyalty/events?{query}"));
        let client = t.client.clone();
        async move {
            let response = signed_post(&client, &url, SECRET, &body).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("json")
        }
    };
    let gold = fixture_body("initialize_checkout");
    let mut silver: Value = serde_json::from_str(&gold).expect("json");
    silver["customer"]["core_info"]["email"] = json!("silver@example.com");
    let silver = silver.to_string();

    // Not installed: no actions, nothing called.
    let answer = post(SHOP, gold.clone()).await;
    assert_eq!(answer, json!({"success": true, "actions": []}));
    assert!(t.bold.api_calls().is_empty());

    t.install("loyalty", "good-9").await;
    let answer = post(SHOP, gold.clone()).await;
    assert_eq!(
        answer["actions"],
        json!([{"type": "add_note", "data": {"note": "Loyalty gold member: 1200 points"}}]),
        "{}",
        t.server.logs()
    );
    let calls = t.bold.api_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["method"], "POST");
    assert_eq!(calls[0]["shop"], "a.myshopify.com");
    assert_eq!(
        calls[0]["path"],
        "orders/lakjfoihiuh223u82989vhsinvd0s9f8/discounts"
    );
    assert_eq!(calls[0]["authorization"], "Bearer token-9");
    assert_eq!(calls[0]["body"], "{\"code\":\"GOLD-TEST\"}");

    // A silver member: the note, no discount call.
    let answer = post(SHOP, silver).await;
    assert_eq!(
        answer["actions"][0]["data"]["note"],
        "Loyalty silver member: 120 points"
    );
    assert_eq!(t.bold.api_calls().len(), 1);

    // Uninstalled: the plugin no longer runs for the shop.
    t.uninstall("loyalty").await;
    let answer = post(SHOP, gold).await;
    assert_eq!(answer, json!({"success": true, "actions": []}));
    assert_eq!(t.bold.api_calls().len(), 1);
    let logs = t.server.logs();
    assert!(!logs.contains("token-9"), "{logs}");
    assert!(!logs.contains("bold.mcboldstein@example.com"), "{logs}");
}

/// Waiting on a slow service holds no host thread: with one sandbox thread,
/// four calls that each wait 600 ms on the service finish together, not one
/// after another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_http_holds_no_sandbox_thread() {
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            "{}"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let svc = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let manifest = caller_manifest(&format!(
        "[limits]\ntimeout_ms = 5000\n[outbound]\nallowed_hosts = [\"127.0.0.1:{}\"]",
        svc.port()
    ))
    .replace(
        "[config]\n",
        &format!("[config]\nhttp_url = \"http://{svc}/slow\"\n"),
    );
    let t = Host::start_with(&[("slow", CALLER, manifest)], "sandbox_threads = 1\n", &[]).await;
    assert_eq!(t.data("slow", "http", "").await["status"], 200);
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let url = t.server.url("/plugins/slow/events");
            let client = t.client.clone();
            tokio::spawn(async move {
                let body = json!({"event": "http"}).to_string();
                signed_post(&client, &url, SECRET, &body).await.status()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.expect("join"), 200);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_millis(1800),
        "4 calls of 600 ms on one sandbox thread took {elapsed:?}"
    );
}
