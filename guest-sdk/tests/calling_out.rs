//! Checkout handlers that call out: the shop, outbound HTTP and Bold's API
//! through `Host`, and `TestHost`'s doubles for them.
#![allow(clippy::unwrap_used)]

use plugin_sdk::bold_api::check_path;
use plugin_sdk::http::encode_path_segment;
use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::testing::{TestHost, fixture, run_event};
use plugin_sdk::{
    Action, BoldApiError, BoldApiRequest, CheckoutPlugin, Event, HandlerError, Host, HttpError,
    HttpRequest, HttpResponse, Level, Shop, assert_actions,
};

const RATES: &str = "https://rates.example/quote";

/// Asks a rate service for a fee and tells Bold about it.
struct Caller;

impl CheckoutPlugin for Caller {
    fn handle_event(_: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        let Some(shop) = host.shop() else {
            return Ok(vec![]);
        };
        let quote: Value = host.get_json(RATES, &[])?;
        let value = quote["fee"].as_i64().unwrap_or_default();
        host.bold_send_json("POST", "orders/o1/fees", &json!({"value": value}))?;
        Ok(vec![Action::add_note(format!("{} {value}", shop.shop))])
    }
}

plugin_sdk::export_checkout_plugin!(Caller);

fn installed() -> Shop {
    Shop::installed("shopify", "example.myshopify.com", ["modify_order"])
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn a_checkout_handler_calls_a_service_and_bold() {
    let host = TestHost::new()
        .with_shop(installed())
        .with_http_response(
            "GET",
            RATES,
            HttpResponse::from_json(200, &json!({"fee": 990})),
        )
        .with_bold_response("POST", "orders/o1/fees", HttpResponse::new(201));
    let actions = run_event::<Caller>(&fixture("initialize_checkout"), &host).unwrap();
    assert_actions!(actions, [{"type": "add_note", "data": {"note": "example.myshopify.com 990"}}]);

    let http = host.requests();
    assert_eq!(http.len(), 1);
    assert_eq!(
        (http[0].method.as_str(), http[0].url.as_str()),
        ("GET", RATES)
    );
    let bold = host.bold_requests();
    assert_eq!(bold.len(), 1);
    assert_eq!(bold[0].method, "POST");
    assert_eq!(bold[0].path, "orders/o1/fees");
    assert_eq!(bold[0].header("content-type"), Some("application/json"));
    assert_eq!(bold[0].json::<Value>().unwrap(), json!({"value": 990}));

    host.clear_requests();
    host.clear_bold_requests();
    assert!(host.requests().is_empty() && host.bold_requests().is_empty());
}

#[test]
fn errors_reach_the_handler_typed_and_convert() {
    let host = TestHost::new()
        .with_shop(installed())
        .with_http_response(
            "GET",
            RATES,
            HttpResponse::from_json(200, &json!({"fee": 1})),
        )
        .with_bold_error("POST", "orders/o1/fees", BoldApiError::TooManyRequests);
    let err = run_event::<Caller>(&fixture("initialize_checkout"), &host).unwrap_err();
    assert_eq!(
        err,
        HandlerError::Failed("Bold API: too many requests".into())
    );

    let down =
        TestHost::new()
            .with_shop(installed())
            .with_http_error("GET", RATES, HttpError::Timeout);
    let err = run_event::<Caller>(&fixture("initialize_checkout"), &down).unwrap_err();
    assert!(
        matches!(&err, HandlerError::Failed(m) if m.contains(RATES) && m.contains("timeout")),
        "{err}"
    );
    assert!(down.bold_requests().is_empty());
}

#[test]
fn no_shop_means_no_calls() {
    let host = TestHost::new();
    assert_actions!(
        run_event::<Caller>(&fixture("initialize_checkout"), &host).unwrap(),
        []
    );
    assert!(host.requests().is_empty() && host.bold_requests().is_empty());
}

#[test]
fn the_bold_gate_runs_in_the_hosts_order_and_records_every_request() {
    let request = BoldApiRequest::get("orders/o1");
    // No shop, even with an answer scripted.
    let host = TestHost::new().with_bold_response("GET", "orders/o1", HttpResponse::new(200));
    assert_eq!(host.bold_api(&request), Err(BoldApiError::NoShop));
    // Not installed.
    let host = TestHost::new()
        .with_shop(Shop::not_installed("shopify", "x.myshopify.com"))
        .with_bold_response("GET", "orders/o1", HttpResponse::new(200));
    assert_eq!(host.bold_api(&request), Err(BoldApiError::NotInstalled));
    assert_eq!(host.bold_requests(), vec![request.clone()]);
    // Installed, but the request is malformed: the host's checks.
    let host = TestHost::new().with_shop(installed());
    for bad in [
        BoldApiRequest::get("/orders/o1"),
        BoldApiRequest::get("orders/a b"),
        BoldApiRequest::new("HEAD", "orders/o1"),
        BoldApiRequest::get("orders/o1").with_header("X-Bold-Checkout-Access-Token", "t"),
        BoldApiRequest::get("orders/o1").with_header("Host", "evil.example"),
    ] {
        assert!(
            matches!(host.bold_api(&bad), Err(BoldApiError::InvalidRequest(_))),
            "{bad:?}"
        );
    }
    assert_eq!(host.bold_requests().len(), 5);
}

#[test]
fn scripted_answers_match_method_case_insensitively_and_target_exactly_and_can_be_replaced() {
    let test_host = TestHost::new()
        .with_shop(installed())
        .with_http_response("get", "https://a.example/x", HttpResponse::new(200))
        .with_http_response("GET", "https://a.example/x", HttpResponse::new(204))
        .with_bold_response("get", "orders?page=2", HttpResponse::new(200))
        .with_bold_error("GET", "orders?page=2", BoldApiError::Timeout);
    let host: &dyn Host = &test_host;
    assert_eq!(host.get("https://a.example/x", &[]).unwrap().status, 204);
    assert_eq!(host.bold_get("orders?page=2"), Err(BoldApiError::Timeout));

    let message = panic_message(|| {
        let _ = host.get("https://a.example/x/", &[]);
    });
    assert!(
        message.contains("unscripted HTTP request `GET https://a.example/x/`")
            && message.contains("GET https://a.example/x"),
        "{message}"
    );
    let message = panic_message(|| {
        let _ = host.bold_send_json("PUT", "orders?page=2", &json!({}));
    });
    assert!(
        message.contains("unscripted Bold API request `PUT orders?page=2`")
            && message.contains("with_bold_response"),
        "{message}"
    );
}

#[test]
fn scripted_answers_come_before_the_closure() {
    let test_host = TestHost::new()
        .with_shop(installed())
        .with_http(|_: &HttpRequest| Ok(HttpResponse::new(418)))
        .with_http_response("GET", "https://a.example/", HttpResponse::new(200))
        .with_bold_api(|request: &BoldApiRequest| {
            Ok(HttpResponse::new(200).with_body(request.path.clone()))
        })
        .with_bold_response("GET", "special", HttpResponse::new(404));
    let host: &dyn Host = &test_host;
    assert_eq!(host.get("https://a.example/", &[]).unwrap().status, 200);
    assert_eq!(host.get("https://b.example/", &[]).unwrap().status, 418);
    assert_eq!(host.bold_get("special").unwrap().status, 404);
    assert_eq!(host.bold_get("orders/1").unwrap().text(), "orders/1");
}

#[test]
fn bold_get_json_names_the_path_and_maps_errors() {
    let test_host = TestHost::new()
        .with_shop(installed())
        .with_bold_response("GET", "ok", HttpResponse::from_json(200, &json!({"a": 1})))
        .with_bold_response("GET", "gone", HttpResponse::new(404))
        .with_bold_response("GET", "garbled", HttpResponse::new(200).with_body("<html>"))
        .with_bold_error("GET", "down", BoldApiError::Connection("refused".into()));
    let host: &dyn Host = &test_host;
    assert_eq!(host.bold_get_json::<Value>("ok").unwrap(), json!({"a": 1}));
    for (path, expected) in [
        ("gone", "Bold API GET gone: HTTP 404"),
        ("garbled", "Bold API GET garbled: response body: "),
        ("down", "Bold API GET down: connection failed: refused"),
    ] {
        let err = host.bold_get_json::<Value>(path).unwrap_err();
        assert!(
            matches!(&err, HandlerError::Failed(m) if m.starts_with(expected)),
            "{path}: {err}"
        );
    }
    let no_shop = TestHost::new();
    let host: &dyn Host = &no_shop;
    assert_eq!(
        host.bold_get_json::<Value>("ok"),
        Err(HandlerError::InvalidInput(
            "Bold API GET ok: the call names no shop".into()
        ))
    );
}

#[test]
fn bold_errors_display_and_convert() {
    let cases = [
        (BoldApiError::NoShop, "the call names no shop", true),
        (
            BoldApiError::NotInstalled,
            "not installed on the call's shop",
            false,
        ),
        (
            BoldApiError::InvalidRequest("path".into()),
            "invalid request: path",
            false,
        ),
        (BoldApiError::Timeout, "timeout", false),
        (BoldApiError::ResponseTooLarge, "response too large", false),
        (BoldApiError::TooManyRequests, "too many requests", false),
        (
            BoldApiError::Connection("reset".into()),
            "connection failed: reset",
            false,
        ),
    ];
    for (error, text, invalid_input) in cases {
        assert_eq!(error.to_string(), text);
        let source: &dyn std::error::Error = &error;
        assert!(source.source().is_none());
        let expected = format!("Bold API: {text}");
        assert_eq!(
            HandlerError::from(error),
            if invalid_input {
                HandlerError::InvalidInput(expected)
            } else {
                HandlerError::Failed(expected)
            }
        );
    }
}

#[test]
fn hosts_without_shop_or_bold_api_say_so() {
    struct Plain;
    impl Host for Plain {
        fn config(&self, _: &str) -> Option<String> {
            None
        }
        fn config_all(&self) -> Vec<(String, String)> {
            vec![]
        }
        fn log(&self, _: Level, _: &str, _: &[(&str, &str)]) {}
    }
    let host: &dyn Host = &Plain;
    assert_eq!(host.shop(), None);
    assert_eq!(host.bold_get("orders"), Err(BoldApiError::NoShop));
}

#[test]
fn shops() {
    let shop = Shop::installed("shopify", "a.myshopify.com", ["modify_order", "add_fee"]);
    assert!(shop.installed && shop.has_scope("add_fee") && !shop.has_scope("modify"));
    let shop = Shop::not_installed("bigcommerce", "store-1");
    assert!(!shop.installed && shop.scopes.is_empty() && !shop.has_scope("modify_order"));
    let host = TestHost::new().with_shop(shop.clone());
    assert_eq!(host.shop(), Some(shop));
}

#[test]
fn requests_build_and_hide_secrets_in_debug() {
    let request = BoldApiRequest::new("patch", "orders/o1")
        .with_header("x-note", "secret-value")
        .with_body("personal");
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.text(), "personal");
    let debug = format!("{request:?}");
    assert!(
        debug.contains("x-note") && debug.contains("orders/o1"),
        "{debug}"
    );
    assert!(
        !debug.contains("secret-value") && !debug.contains("personal"),
        "{debug}"
    );

    let typed = BoldApiRequest::new("POST", "x")
        .with_header("Content-Type", "application/vnd.bold+json")
        .with_json(&json!({"a": 1}))
        .unwrap();
    assert_eq!(
        typed.header("content-type"),
        Some("application/vnd.bold+json")
    );
    assert_eq!(typed.headers.len(), 1);

    let mut bad_key = std::collections::BTreeMap::new();
    bad_key.insert(vec![1u8], 1);
    assert!(matches!(
        BoldApiRequest::new("POST", "x").with_json(&bad_key),
        Err(BoldApiError::InvalidRequest(m)) if m.starts_with("JSON body")
    ));
}

#[test]
fn paths_stay_below_the_shop_as_the_host_checks_them() {
    // The host's own cases (host/src/runtime/bold_api.rs).
    for ok in [
        "orders/abc123/shipping_lines",
        "customers?page=2&per_page=50",
        "address/validate",
        "a%20b/c",
        "x?next=/a/b?c",
    ] {
        assert!(check_path(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "/orders",
        "../admin",
        "orders/../../x",
        "orders/./x",
        "orders//x",
        "orders/",
        "%2e%2e/x",
        "a%2Fb",
        "a%5cb",
        "a%zz",
        "a%2",
        "a b",
        "a#frag",
        "a\\b",
        "héllo",
        "http://evil.test/x",
    ] {
        assert!(check_path(bad).is_err(), "{bad}");
    }
    assert!(check_path(&"a".repeat(8 * 1024)).is_ok());
    assert!(check_path(&"a".repeat(8 * 1024 + 1)).is_err());
    assert!(check_path("héllo").unwrap_err().contains("'é'"));
}

#[test]
fn encoded_segments_pass_the_path_check() {
    for text in [
        "ada+loyal@example.com",
        "a/b",
        "a\\b",
        "..",
        "%2e",
        "zoë",
        "x?y#z",
        " ",
        "",
    ] {
        let segment = encode_path_segment(text);
        // `.` stays as is (unreserved), so `..` itself fails; the host
        // refuses an encoded `/` or `\` in a Bold path.
        let path = format!("orders/{segment}/x");
        assert_eq!(
            check_path(&path).is_ok(),
            !matches!(text, ".." | "") && !text.contains(['/', '\\']),
            "{text:?} → {path}"
        );
    }
}
