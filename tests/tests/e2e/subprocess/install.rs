//! The installation flow over real HTTP (PROTOCOL.md §5): a merchant's
//! install, the code exchanged with a mock Bold Checkout, the token stored
//! sealed, `shops list`, the uninstall; and every bad input, which changes
//! nothing.

use std::path::Path;
use std::process::Command;

use plugin_host::state::seal::Keys;
use plugin_host::state::{ShopRef, Shops, StateKey};
use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP};
use plugin_tests::mocks::MockBoldCheckout;
use plugin_tests::server::{PluginSpec, TestServer, sign, write_config};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const SECRET: &str = "checkout-secret";
const CLIENT_ID: &str = "client-123";
/// 32 bytes of 0x07, base64.
const STATE_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

struct Installable {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    host: std::path::PathBuf,
    server: TestServer,
    bold: MockBoldCheckout,
    browser: reqwest::Client,
}

impl Installable {
    async fn start() -> Self {
        let bold = MockBoldCheckout::start(CLIENT_ID, SECRET).await;
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_owned();
        let checkout = PluginSpec::new("checkout", EXAMPLE_CHECKOUT, SECRET).with(&format!(
            "scopes = [\"add_fee\", \"modify_order\"]\n[oauth]\nclient_id = \"{CLIENT_ID}\""
        ));
        let plain = PluginSpec::new("plain", GIFT_WRAP, "plain-secret");
        let specs = [checkout, plain];
        let host = write_config(
            &dir,
            &specs,
            &format!(
                "[bold_checkout]\nbase_url = \"{}\"\nrequest_timeout_ms = 1000\n\
                 [state]\nkey_env = \"TEST_STATE_KEY\"\n",
                bold.url()
            ),
        );
        let server =
            TestServer::start_with_env(BIN, &host, &specs, &[], &[("TEST_STATE_KEY", STATE_KEY)]);
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            _dir: tmp,
            dir,
            host,
            server,
            bold,
            browser,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.browser
            .get(self.server.url(path))
            .send()
            .await
            .expect("answered")
    }

    /// The store, opened with the key, as the server keeps it.
    fn shops(&self) -> Shops {
        let key = StateKey::parse(STATE_KEY).expect("key");
        Shops::sqlite(
            self.dir.join("data/state/shops.sqlite3"),
            Some(Keys::new(key, None)),
        )
    }

    fn token(&self, shop: &str) -> Option<String> {
        let shop = ShopRef::new("shopify", shop).expect("shop");
        self.shops()
            .get("checkout", &shop)
            .expect("readable")
            .map(|i| i.token.expose().to_owned())
    }

    fn shops_command(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(BIN)
            .arg("shops")
            .args(args)
            .arg("--config")
            .arg(&self.host)
            .output()
            .expect("run shops");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    async fn uninstall(&self, query: &str, signed: bool) -> reqwest::Response {
        let url = self
            .server
            .url(&format!("/plugins/checkout/oauth/uninstalled?{query}"));
        let mut request = self.browser.post(&url).body("{}");
        if signed {
            for (name, value) in sign(SECRET, &url, b"{}", &[]) {
                request = request.header(name, value);
            }
        }
        request.send().await.expect("answered")
    }
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn install_then_uninstall_a_shop() {
    let t = Installable::start().await;
    let shop = "a.myshopify.com";

    // 1-2: the install URL sends the browser to Bold's authorize page.
    let response = t
        .get(&format!(
            "/plugins/checkout/oauth/install?platform=shopify&shop={shop}"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        format!(
            "{}/api/v1/shopify/{shop}/oauth/authorize?client_id={CLIENT_ID}\
             &scope=add_fee%20modify_order&response_type=code",
            t.bold.url()
        )
    );
    assert!(t.token(shop).is_none(), "nothing stored before the code");

    // 3-5: the code is exchanged, the token stored, the browser sent back.
    let response = t
        .get(&format!(
            "/plugins/checkout/oauth/authorize?platform=shopify&shop={shop}&code=good-1"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND, "{}", t.server.logs());
    assert_eq!(
        location(&response),
        format!("{}/admin/shopify/{shop}/marketplace", t.bold.url())
    );
    assert_eq!(t.token(shop).as_deref(), Some("token-1"));
    let exchange = &t.bold.exchanges()[0];
    assert_eq!(exchange["code"], "good-1");
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["client_id"], CLIENT_ID);

    // `shops list` shows the install, never the token.
    let (code, out, err) = t.shops_command(&["list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("checkout") && out.contains(shop), "{out}");
    assert!(out.contains("add_fee modify_order"), "{out}");
    assert!(!out.contains("token-1"), "{out}");
    let (code, json, _) = t.shops_command(&["list", "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(rows[0]["shop"], shop);
    assert_eq!(
        rows[0]["scopes"],
        serde_json::json!(["add_fee", "modify_order"])
    );

    // The token is sealed at rest.
    let db = std::fs::read(t.dir.join("data/state/shops.sqlite3")).expect("db");
    let wal = std::fs::read(t.dir.join("data/state/shops.sqlite3-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(7).any(|w| w == b"token-1"));
    }

    // Installing again replaces the token.
    let response = t
        .get(&format!(
            "/plugins/checkout/oauth/authorize?platform=shopify&shop={shop}&code=good-2"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(t.token(shop).as_deref(), Some("token-2"));

    // 6: an unsigned uninstall is refused and deletes nothing.
    let response = t
        .uninstall(&format!("platform=shopify&shop={shop}"), false)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(t.token(shop).as_deref(), Some("token-2"));
    // A signed one deletes the token.
    let response = t
        .uninstall(&format!("platform=shopify&shop={shop}"), true)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "{}");
    assert!(t.token(shop).is_none());
    let (_, out, _) = t.shops_command(&["list"]);
    assert!(out.contains("no installs"), "{out}");

    // Nothing secret in the log.
    let logs = t.server.wait_for_log("uninstalled");
    for secret in ["token-1", "token-2", "good-1", "good-2", SECRET, STATE_KEY] {
        assert!(!logs.contains(secret), "{secret} in the log:\n{logs}");
    }
    assert!(logs.contains("installed"), "{logs}");
    assert!(logs.contains("uninstalled"), "{logs}");
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_changes_nothing() {
    let t = Installable::start().await;
    let authorize = "/plugins/checkout/oauth/authorize";
    for (query, status, says) in [
        ("shop=a.myshopify.com&code=good-1", 400, "`platform`"),
        ("platform=shopify&code=good-1", 400, "`shop`"),
        ("platform=shopify&shop=a.myshopify.com", 400, "`code`"),
        ("platform=shopify&shop=a.myshopify.com&code=", 400, "`code`"),
        (
            "platform=Shop%2Fify&shop=a.myshopify.com&code=good-1",
            400,
            "`platform`",
        ),
        (
            "platform=shopify&shop=..%2Fadmin&code=good-1",
            400,
            "`shop`",
        ),
        ("platform=shopify&shop=a%3Fb&code=good-1", 400, "`shop`"),
        (
            "platform=shopify&shop=a.myshopify.com&shop=b&code=good-1",
            400,
            "more than once",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=bad%20code",
            400,
            "`code`",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=refused",
            502,
            "refused",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=slow",
            502,
            "timed out",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=garbage",
            502,
            "not JSON",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=other-shop",
            502,
            "another shop",
        ),
        (
            "platform=shopify&shop=a.myshopify.com&code=unavailable",
            502,
            "503",
        ),
    ] {
        let response = t.get(&format!("{authorize}?{query}")).await;
        assert_eq!(response.status().as_u16(), status, "{query}");
        let body = response.text().await.expect("body");
        assert!(body.contains(says), "{query}: {body}");
    }
    assert!(t.token("a.myshopify.com").is_none(), "nothing stored");
    let (_, out, _) = t.shops_command(&["list"]);
    assert!(out.contains("no installs"), "{out}");

    // The install URL checks its parameters too.
    let response = t
        .get("/plugins/checkout/oauth/install?platform=shopify")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A plugin without [oauth], and an unknown plugin: 404 on every route.
    for path in [
        "/plugins/plain/oauth/install?platform=shopify&shop=a",
        "/plugins/plain/oauth/authorize?platform=shopify&shop=a&code=good-1",
        "/plugins/nope/oauth/install?platform=shopify&shop=a",
    ] {
        assert_eq!(t.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = t
        .browser
        .post(
            t.server
                .url("/plugins/plain/oauth/uninstalled?platform=shopify&shop=a"),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Wrong methods.
    let response = t
        .browser
        .post(
            t.server
                .url("/plugins/checkout/oauth/install?platform=shopify&shop=a"),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        t.get("/plugins/checkout/oauth/uninstalled?platform=shopify&shop=a")
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    // A signed uninstall with a bad shop: 400.
    let response = t.uninstall("platform=shopify&shop=..", true).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // `shops remove` of something not installed: exit 1; bad names: 2.
    let (code, _, err) = t.shops_command(&[
        "remove",
        "--plugin",
        "checkout",
        "--platform",
        "shopify",
        "--shop",
        "x",
    ]);
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = t.shops_command(&[
        "remove",
        "--plugin",
        "checkout",
        "--platform",
        "shopify",
        "--shop",
        "../x",
    ]);
    assert_eq!(code, 2, "{err}");
    // Nothing secret in the log: not the codes, not the client secret.
    let logs = t.server.wait_for_log("install step refused");
    assert!(!logs.contains(SECRET), "{logs}");
    assert!(!logs.contains("other-shop"), "{logs}");
}

#[tokio::test]
async fn shops_remove_forgets_an_install() {
    let t = Installable::start().await;
    let response = t
        .get("/plugins/checkout/oauth/authorize?platform=shopify&shop=b.myshopify.com&code=good-7")
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (code, out, err) = t.shops_command(&[
        "remove",
        "--plugin",
        "checkout",
        "--platform",
        "shopify",
        "--shop",
        "b.myshopify.com",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed"), "{out}");
    assert!(t.token("b.myshopify.com").is_none());
}

#[test]
fn a_plugin_with_oauth_and_no_key_stops_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = PluginSpec::new("checkout", EXAMPLE_CHECKOUT, SECRET)
        .with(&format!("[oauth]\nclient_id = \"{CLIENT_ID}\""));
    let host = write_config(dir.path(), std::slice::from_ref(&spec), "");
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&host)
        .args(["--listen", "127.0.0.1:0"])
        .env("TEST_SECRET_CHECKOUT", SECRET)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[state] key_env"), "{stderr}");
    assert!(!Path::new(&dir.path().join("data/state")).exists());
}
