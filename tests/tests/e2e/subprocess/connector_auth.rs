//! How Bold's calls on a connector are authenticated, end to end over real
//! HTTP (`plugin-host serve` running `plugins/platform-sync`, the mock
//! platform and the mock Bold API of `connector`): X-HMAC by default
//! (`bold/PROTOCOL.md` §6: `X-HMAC` = base64 HMAC-SHA256 of
//! `X-HMAC-Timestamp`, inside a window, each pair once, one of two secrets
//! during a rotation), the Verify Platform Connector Destination route that
//! answers with an X-HMAC of its own, and cavage kept by choice or by an
//! older manifest. Every refused call is a 401 with an empty body, after
//! which nothing ran: the platform heard nothing, Bold got nothing, no
//! sandbox spent fuel.
//!
//! Why one file: the cases share the connector's setup and check one
//! promise (only Bold, with the shared secret, once) from its sides.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use plugin_tests::mocks::{MockPlatform, now_rfc3339};
use plugin_tests::server::{TestServer, sign_method, sign_xhmac, sign_xhmac_at};
use serde_json::Value;
use test_support::mock_bold::MockBold;

use super::connector::{
    BOLD_HMAC_SECRET, PLATFORM_TOKEN, SECRET, SHOP, Setup, customer, new_default_shipping_address,
};

const CUSTOMER_PATH: &str = "/plugins/platform-sync/bold/test-shop/customers/4242";
const VERIFY_PATH: &str = "/plugins/platform-sync/bold/verify";
const OLD_HMAC_SECRET: &str = "bold-hmac-secret-before-the-rotation";

/// Request headers, `(name, value)`.
type Headers = Vec<(String, String)>;

/// Sends `method path` with `headers` and `body`.
async fn send(
    client: &reqwest::Client,
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> reqwest::Response {
    let mut request = client.request(method.parse().expect("a method"), server.url(path));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .body(body.to_owned())
        .send()
        .await
        .expect("answered")
}

/// Update Customer (adds an address on the platform) with `headers`.
async fn update_customer(
    client: &reqwest::Client,
    server: &TestServer,
    headers: &[(String, String)],
) -> reqwest::Response {
    let body = new_default_shipping_address().to_string();
    send(client, server, "PUT", CUSTOMER_PATH, headers, &body).await
}

/// `X-HMAC` for `timestamp` under `secret`, computed here with the `hmac`
/// crate (not the host's code).
fn expected_mac(secret: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether the server's log shows `needle` within 10 s (its stderr is read
/// by a thread of its own, so a line can arrive after the response).
async fn logged(server: &TestServer, needle: &str) -> bool {
    logged_times(server, needle, 1).await
}

/// Whether the server's log shows `needle` `times` times within 10 s.
async fn logged_times(server: &TestServer, needle: &str, times: usize) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if server.logs().matches(needle).count() >= times {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A response header's value.
fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The value of one series of `/metrics`, 0 if absent.
async fn metric(client: &reqwest::Client, server: &TestServer, series: &str) -> u64 {
    let text = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

const FAILURES: &str = "plugin_host_signature_failures_total{plugin=\"platform-sync\"}";
const RUNS: &str = "plugin_host_fuel_used_count{plugin=\"platform-sync\"}";

fn minus(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

fn plus(secs: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bold_calls_need_a_fresh_x_hmac_under_the_shared_secret_once() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    // Refused before anything runs.
    let stamp = sign_xhmac(BOLD_HMAC_SECRET);
    let without = |name: &str| -> Headers {
        stamp
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    };
    let wrong_mac: Headers = stamp
        .iter()
        .map(|(n, v)| match n.as_str() {
            "X-HMAC" => (n.clone(), expected_mac("another-secret", &stamp[0].1)),
            _ => (n.clone(), v.clone()),
        })
        .collect();
    let body = new_default_shipping_address().to_string();
    let cavage = sign_method(
        "PUT",
        SECRET,
        &server.url(CUSTOMER_PATH),
        body.as_bytes(),
        &[],
    );
    let refused: Vec<(&str, Headers, &str)> = vec![
        ("another secret", sign_xhmac("another-secret"), "bad_mac"),
        ("a MAC of another secret", wrong_mac, "bad_mac"),
        (
            "ten minutes old",
            sign_xhmac_at(BOLD_HMAC_SECRET, minus(600)),
            "outside_window",
        ),
        (
            "ten minutes ahead",
            sign_xhmac_at(BOLD_HMAC_SECRET, plus(600)),
            "outside_window",
        ),
        ("no X-HMAC", without("X-HMAC"), "missing_header"),
        (
            "no X-HMAC-Timestamp",
            without("X-HMAC-Timestamp"),
            "missing_header",
        ),
        ("a cavage signature", cavage, "missing_header"),
    ];
    for (what, headers, code) in &refused {
        let response = update_customer(&client, &server, headers).await;
        assert_eq!(response.status(), 401, "{what}\n{}", server.logs());
        assert_eq!(response.text().await.expect("body"), "", "{what}");
        assert!(
            logged(&server, &format!("code=\"{code}\"")).await,
            "{what}: no {code} in\n{}",
            server.logs()
        );
    }
    assert!(platform.requests().is_empty(), "{:?}", platform.requests());
    assert_eq!(metric(&client, &server, RUNS).await, 0, "no sandbox ran");
    assert_eq!(
        metric(&client, &server, FAILURES).await,
        refused.len() as u64,
        "each refusal is counted"
    );

    // The stamp nobody used yet passes, once.
    let response = update_customer(&client, &server, &stamp).await;
    assert_eq!(response.status(), 200, "{}", server.logs());
    let calls = platform.requests();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let replayed = update_customer(&client, &server, &stamp).await;
    assert_eq!(replayed.status(), 401);
    assert!(
        logged(&server, "code=\"replayed\"").await,
        "{}",
        server.logs()
    );
    // Played back to another route of Bold's, too.
    let path = format!("/plugins/platform-sync/bold/{SHOP}/customers/nobody");
    let replayed = send(&client, &server, "GET", &path, &stamp, "").await;
    assert_eq!(replayed.status(), 401);
    // A whole-second stamp, as the host itself writes them, passes once too.
    let whole = sign_xhmac_at(BOLD_HMAC_SECRET, SystemTime::now());
    assert_eq!(
        update_customer(&client, &server, &whole).await.status(),
        200
    );
    assert_eq!(
        update_customer(&client, &server, &whole).await.status(),
        401
    );

    assert_eq!(platform.requests().len(), 4, "two calls ran, no more");
    assert_eq!(metric(&client, &server, RUNS).await, 2);
    assert_eq!(
        metric(&client, &server, FAILURES).await,
        refused.len() as u64 + 3
    );
    let received = bold
        .wait_for(Duration::from_secs(10), |r| r.len() >= 2)
        .await;
    assert_eq!(received.len(), 2, "{received:?}");

    // Logs say why, never what was sent.
    let refusals = refused.len() + 3;
    assert!(logged_times(&server, "X-HMAC refused", refusals).await);
    let logs = server.logs();
    for secret in [BOLD_HMAC_SECRET, stamp[1].1.as_str(), whole[1].1.as_str()] {
        assert!(!logs.contains(secret), "{secret} leaked:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_route_answers_an_x_hmac_the_caller_can_recompute() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    let server = setup.start();
    let client = reqwest::Client::new();

    for (method, body) in [
        ("GET", ""),
        ("POST", "{\"topic\":\"customers\"}"),
        ("PUT", "not json"),
    ] {
        let response = send(
            &client,
            &server,
            method,
            VERIFY_PATH,
            &sign_xhmac(BOLD_HMAC_SECRET),
            body,
        )
        .await;
        assert_eq!(response.status(), 200, "{method}\n{}", server.logs());
        let timestamp = header(&response, "x-hmac-timestamp").expect("X-HMAC-Timestamp");
        let mac = header(&response, "x-hmac").expect("X-HMAC");
        assert_eq!(mac, expected_mac(BOLD_HMAC_SECRET, &timestamp), "{method}");
        // RFC 3339 UTC, now: `YYYY-MM-DDTHH:MM:SSZ`.
        assert_eq!(timestamp.len(), 20, "{timestamp}");
        assert!(
            timestamp.ends_with('Z') && &timestamp[10..11] == "T",
            "{timestamp}"
        );
        let now = now_rfc3339();
        assert_eq!(&timestamp[..10], &now[..10], "today: {timestamp} vs {now}");
        assert_eq!(
            response.json::<Value>().await.expect("JSON"),
            serde_json::json!({"success": true})
        );
    }

    // The call itself is Bold's: verified like the others.
    let stamp = sign_xhmac(BOLD_HMAC_SECRET);
    assert_eq!(
        send(&client, &server, "GET", VERIFY_PATH, &stamp, "")
            .await
            .status(),
        200
    );
    let refused = [
        ("unsigned", Vec::new()),
        ("replayed", stamp),
        ("another secret", sign_xhmac("another-secret")),
        ("stale", sign_xhmac_at(BOLD_HMAC_SECRET, minus(600))),
    ];
    for (what, headers) in &refused {
        let response = send(&client, &server, "GET", VERIFY_PATH, headers, "").await;
        assert_eq!(response.status(), 401, "{what}");
        assert!(
            header(&response, "x-hmac").is_none(),
            "{what}: no stamp given away"
        );
    }

    // Its answer is a valid stamp, which must not open the connector's
    // other routes: it counts as used.
    let response = send(
        &client,
        &server,
        "GET",
        VERIFY_PATH,
        &sign_xhmac(BOLD_HMAC_SECRET),
        "",
    )
    .await;
    let answer = [
        (
            "X-HMAC-Timestamp".to_owned(),
            header(&response, "x-hmac-timestamp").expect("timestamp"),
        ),
        (
            "X-HMAC".to_owned(),
            header(&response, "x-hmac").expect("mac"),
        ),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    assert_eq!(
        update_customer(&client, &server, &answer).await.status(),
        401
    );

    // Other methods, other paths.
    let response = send(
        &client,
        &server,
        "DELETE",
        VERIFY_PATH,
        &sign_xhmac(BOLD_HMAC_SECRET),
        "",
    )
    .await;
    assert_eq!(response.status(), 405);
    for path in [
        "/plugins/platform-sync/bold/verify/",
        "/plugins/platform-sync/bold/other",
        "/plugins/platform-sync/verify",
        "/plugins/no-such-plugin/bold/verify",
    ] {
        let response = send(
            &client,
            &server,
            "GET",
            path,
            &sign_xhmac(BOLD_HMAC_SECRET),
            "",
        )
        .await;
        assert_eq!(response.status(), 404, "{path}");
    }

    // The host answered; the plugin never ran and nothing went anywhere.
    assert!(platform.requests().is_empty());
    assert_eq!(metric(&client, &server, RUNS).await, 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(bold.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn either_secret_of_a_rotation_passes_and_the_verify_path_is_configurable() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let setup = Setup::new(&platform, &bold, "");
    setup.edit_manifest(
        "bold_hmac_secret_env = \"TEST_BOLD_HMAC_SECRET\"",
        "bold_hmac_secret_env = [\"TEST_BOLD_HMAC_SECRET\", \"TEST_BOLD_HMAC_OLD_SECRET\"]\n\
         bold_hmac_window_secs = 30\n\
         bold_verify_path = \"destinations/verify\"",
    );
    let server = setup.start_with_env(&[("TEST_BOLD_HMAC_OLD_SECRET", OLD_HMAC_SECRET)]);
    let client = reqwest::Client::new();

    for secret in [OLD_HMAC_SECRET, BOLD_HMAC_SECRET] {
        let response = update_customer(&client, &server, &sign_xhmac(secret)).await;
        assert_eq!(response.status(), 200, "{secret}\n{}", server.logs());
    }
    let third = update_customer(&client, &server, &sign_xhmac("a-third-secret")).await;
    assert_eq!(third.status(), 401);
    // The window is the manifest's: 60 s is too old for 30.
    let old = sign_xhmac_at(BOLD_HMAC_SECRET, minus(60));
    assert_eq!(update_customer(&client, &server, &old).await.status(), 401);
    assert!(
        logged(&server, "more than the 30 s allowed").await,
        "{}",
        server.logs()
    );

    // The verify route is where the manifest says, and answers with the
    // secret Bold's call was made with.
    let path = "/plugins/platform-sync/destinations/verify";
    for secret in [OLD_HMAC_SECRET, BOLD_HMAC_SECRET] {
        let response = send(&client, &server, "POST", path, &sign_xhmac(secret), "").await;
        assert_eq!(response.status(), 200, "{secret}\n{}", server.logs());
        let timestamp = header(&response, "x-hmac-timestamp").expect("timestamp");
        let mac = header(&response, "x-hmac").expect("mac");
        assert_eq!(mac, expected_mac(secret, &timestamp), "{secret}");
    }
    let default = send(
        &client,
        &server,
        "POST",
        VERIFY_PATH,
        &sign_xhmac(BOLD_HMAC_SECRET),
        "",
    )
    .await;
    assert_eq!(default.status(), 404);
    assert_eq!(platform.requests().len(), 4, "{:?}", platform.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_may_keep_cavage_by_choice_or_by_an_older_manifest() {
    let platform =
        MockPlatform::start(PLATFORM_TOKEN, vec![customer("4242", &now_rfc3339())]).await;
    let bold = MockBold::start().await;
    let client = reqwest::Client::new();
    let body = new_default_shipping_address().to_string();
    for (line, warned) in [("bold_auth = \"cavage\"", false), ("", true)] {
        let setup = Setup::new(&platform, &bold, "");
        setup.edit_manifest("bold_hmac_secret_env = \"TEST_BOLD_HMAC_SECRET\"", line);
        let server = setup.start();
        let url = server.url(CUSTOMER_PATH);

        let cavage = sign_method("PUT", SECRET, &url, body.as_bytes(), &[]);
        let response = update_customer(&client, &server, &cavage).await;
        assert_eq!(response.status(), 200, "{line:?}\n{}", server.logs());
        let stamped = update_customer(&client, &server, &sign_xhmac(BOLD_HMAC_SECRET)).await;
        assert_eq!(stamped.status(), 401, "{line:?}: X-HMAC is not accepted");
        let wrong = sign_method("PUT", "another-secret", &url, body.as_bytes(), &[]);
        assert_eq!(
            update_customer(&client, &server, &wrong).await.status(),
            401
        );
        let verify = send(&client, &server, "GET", VERIFY_PATH, &cavage, "").await;
        assert_eq!(
            verify.status(),
            404,
            "{line:?}: no verify route without X-HMAC"
        );

        // The start-up warning comes before the two refusals' lines.
        assert!(logged_times(&server, "signature refused", 2).await);
        let logs = server.logs();
        assert_eq!(
            logs.contains("names no X-HMAC shared secret"),
            warned,
            "{line:?}\n{logs}"
        );
        drop(server);
    }
}
