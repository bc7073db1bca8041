//! A connector exported with the macro, driven through `testing`; the
//! connector types and the outbound-HTTP double.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::testing::{TestHost, run_bold_request, run_platform_event};
use plugin_sdk::{
    BoldRequest, BoldResponse, ConnectorPlugin, Entity, HandlerError, Host, HttpError, HttpRequest,
    HttpResponse, Notification, PlatformEvent, assert_notifications,
};

const T0: &str = "2026-11-22T10:00:00Z";

/// Echoes webhooks as Product Saved; answers `GET ping` by calling
/// `config url`.
struct Echo;

impl ConnectorPlugin for Echo {
    fn handle_platform_event(
        event: &PlatformEvent,
        host: &dyn Host,
    ) -> Result<Vec<Notification>, HandlerError> {
        host.info(&event.topic);
        let body: Value = event.json()?;
        Ok(vec![Notification::product_saved(
            event.topic.clone(),
            body["at"].as_str().unwrap_or_default(),
            &body,
        )?])
    }

    fn handle_bold_request(
        request: &BoldRequest,
        host: &dyn Host,
    ) -> Result<BoldResponse, HandlerError> {
        let ("GET", ["ping"]) = (request.method.as_str(), &request.segments()[..]) else {
            return Err(HandlerError::Unsupported);
        };
        let url = host.config("url").unwrap_or_default();
        let answer: Value = host.get_json(&url, &[("authorization", "Bearer secret")])?;
        BoldResponse::json(200, &answer)
    }
}

plugin_sdk::export_connector_plugin!(Echo);

/// Only the required function.
struct Minimal;

impl ConnectorPlugin for Minimal {
    fn handle_platform_event(
        _: &PlatformEvent,
        _: &dyn Host,
    ) -> Result<Vec<Notification>, HandlerError> {
        Ok(vec![])
    }
}

#[test]
fn platform_events_become_notifications() {
    let host = TestHost::new();
    let notifications = run_platform_event::<Echo>(
        "product-updated",
        r#"{"at": "2026-11-22T10:00:00Z"}"#,
        &host,
    )
    .unwrap();
    assert_notifications!(notifications, [{
        "type": "product_saved",
        "platform_id": "product-updated",
        "platform_updated_at": T0,
        "json": {"at": T0},
    }]);
    assert!(host.logged("product-updated"));

    let err = run_platform_event::<Echo>("x", "not json", &host).unwrap_err();
    assert!(matches!(err, HandlerError::InvalidInput(m) if m.starts_with("body: ")));
    let err = run_platform_event::<Echo>("x", "{}", &host).unwrap_err();
    assert!(matches!(err, HandlerError::InvalidInput(m) if m.contains("platform_updated_at")));
}

#[test]
fn bold_requests_call_out_through_the_double() {
    let host = TestHost::new()
        .with_config("url", "https://api.example/ping")
        .with_http(|request| {
            if request.header("Authorization") != Some("Bearer secret") {
                return Ok(HttpResponse::new(401));
            }
            Ok(HttpResponse::from_json(200, &json!({"pong": true})))
        });
    let response = run_bold_request::<Echo>(&BoldRequest::new("get", "/ping/"), &host).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body_json().unwrap(), json!({"pong": true}));
    assert!(response.notifications.is_empty());

    let requests = host.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].url, "https://api.example/ping");
    assert_eq!(requests[0].header("accept"), Some("application/json"));
    host.clear_requests();
    assert!(host.requests().is_empty());

    assert_eq!(
        run_bold_request::<Echo>(&BoldRequest::new("POST", "ping"), &host),
        Err(HandlerError::Unsupported)
    );
    assert_eq!(
        run_bold_request::<Minimal>(&BoldRequest::new("GET", "ping"), &host),
        Err(HandlerError::Unsupported)
    );
}

#[test]
fn without_a_double_requests_panic_naming_the_request_and_are_recorded() {
    // Unscripted requests fail loudly: a handler that swallows HTTP errors
    // cannot make a test pass on a request nobody expected.
    let host = TestHost::new().with_config("url", "https://api.example/ping");
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_bold_request::<Echo>(&BoldRequest::new("GET", "ping"), &host)
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("unscripted HTTP request `GET https://api.example/ping`"),
        "{message}"
    );
    assert_eq!(host.requests().len(), 1);
}

#[test]
fn the_double_keeps_state() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&log);
    let mut counter = 0;
    let test_host = TestHost::new().with_http(move |request| {
        counter += 1;
        seen.borrow_mut().push(request.url.clone());
        Ok(HttpResponse::from_json(200, &json!({ "n": counter })))
    });
    let host: &dyn Host = &test_host;
    for n in 1..=3 {
        let answer: Value = host
            .get_json(&format!("https://a.example/{n}"), &[])
            .unwrap();
        assert_eq!(answer["n"], n);
    }
    assert_eq!(log.borrow().len(), 3);
    assert_eq!(log.borrow()[2], "https://a.example/3");
}

#[test]
fn get_json_failures_are_failed_naming_the_url() {
    let test_host = TestHost::new().with_http(|request| match request.url.as_str() {
        "https://a.example/down" => Err(HttpError::Timeout),
        "https://a.example/500" => Ok(HttpResponse::new(500)),
        _ => Ok(HttpResponse::new(200).with_body("not json")),
    });
    let host: &dyn Host = &test_host;
    for (url, text) in [
        ("https://a.example/down", "timeout"),
        ("https://a.example/500", "HTTP 500"),
        ("https://a.example/garbage", "response body: "),
    ] {
        let err = host.get_json::<Value>(url, &[]).unwrap_err();
        assert!(
            matches!(&err, HandlerError::Failed(m) if m.contains(url) && m.contains(text)),
            "{url}: {err}"
        );
    }
}

#[test]
fn send_json_sets_the_body_and_headers() {
    let test_host = TestHost::new().with_http(|request| {
        let body: Value = request.json().unwrap();
        Ok(HttpResponse::from_json(201, &body).with_header("X-Id", "a7"))
    });
    let host: &dyn Host = &test_host;
    let response = host
        .send_json(
            "patch",
            "https://a.example/c/1",
            &[("content-type", "application/merge-patch+json")],
            &json!({"phone": "555"}),
        )
        .unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.header("x-id"), Some("a7"));
    assert_eq!(response.json::<Value>().unwrap(), json!({"phone": "555"}));

    let sent = &test_host.requests()[0];
    assert_eq!(sent.method, "PATCH");
    assert_eq!(
        sent.header("Content-Type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        sent.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .count(),
        1
    );
    assert_eq!(sent.text(), r#"{"phone":"555"}"#);
}

#[test]
fn default_http_is_not_allowed() {
    struct Plain;
    impl Host for Plain {
        fn config(&self, _: &str) -> Option<String> {
            None
        }
        fn config_all(&self) -> Vec<(String, String)> {
            vec![]
        }
        fn log(&self, _: plugin_sdk::Level, _: &str, _: &[(&str, &str)]) {}
    }
    let host: &dyn Host = &Plain;
    assert!(matches!(
        host.get("https://a.example/", &[]),
        Err(HttpError::NotAllowed(m)) if m.contains("https://a.example/")
    ));
}

#[test]
fn http_errors_display_and_convert() {
    let cases = [
        (
            HttpError::NotAllowed("evil.example".into()),
            "not allowed: evil.example",
        ),
        (
            HttpError::InvalidRequest("method".into()),
            "invalid request: method",
        ),
        (HttpError::Timeout, "timeout"),
        (HttpError::ResponseTooLarge, "response too large"),
        (HttpError::TooManyRequests, "too many requests"),
        (
            HttpError::Connection("refused".into()),
            "connection failed: refused",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
        assert_eq!(
            HandlerError::from(error),
            HandlerError::Failed(format!("outbound HTTP: {text}"))
        );
    }
}

#[test]
fn debug_hides_header_values_and_bodies() {
    let request = HttpRequest::new("POST", "https://a.example/")
        .with_header("authorization", "Bearer s3cr3t")
        .with_body("ada@example.com");
    let debug = format!("{request:?}");
    assert!(debug.contains("authorization") && debug.contains("body_len: 15"));
    assert!(!debug.contains("s3cr3t") && !debug.contains("ada@"));

    let response = HttpResponse::new(200)
        .with_header("Set-Cookie", "id=s3cr3t")
        .with_body("ada@example.com");
    let debug = format!("{response:?}");
    assert!(debug.contains("set-cookie") && !debug.contains("s3cr3t") && !debug.contains("ada@"));

    let event = PlatformEvent::new("customer-updated", r#"{"email": "ada@example.com"}"#);
    assert!(!format!("{event:?}").contains("ada@"));
    let bold = BoldRequest::new("PUT", "customers/1").with_body(r#"{"email": "ada@example.com"}"#);
    assert!(!format!("{bold:?}").contains("ada@"));
}

#[test]
fn request_and_response_bodies() {
    let request = HttpRequest::get("https://a.example/").with_body(vec![0xff, b'a']);
    assert_eq!(request.text(), "\u{fffd}a");
    assert!(
        matches!(request.json::<Value>(), Err(HandlerError::InvalidInput(m)) if m.starts_with("request body: "))
    );
    let response = HttpResponse::new(404).with_body("{}");
    assert!(!response.is_success());
    assert_eq!(response.json::<Value>().unwrap(), json!({}));
    assert!(HttpResponse::new(204).is_success());
    assert!(!HttpResponse::new(199).is_success() && !HttpResponse::new(300).is_success());
}

#[test]
fn bold_request_helpers() {
    let request = BoldRequest::new("put", "/customers//4242/")
        .with_shop_identifier("shop")
        .with_query("a=1");
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "customers//4242/");
    assert_eq!(request.segments(), ["customers", "4242"]);
    assert_eq!(request.query, "a=1");
    assert!(
        matches!(request.json::<Value>(), Err(HandlerError::InvalidInput(m)) if m.starts_with("body: "))
    );
    assert!(BoldRequest::new("GET", "").segments().is_empty());
}

#[test]
fn bold_response_builders() {
    let saved = Notification::customer_saved("1", T0, &json!({"platform_id": "1"})).unwrap();
    let deleted = Notification::customer_deleted("2", T0).unwrap();
    let response = BoldResponse::new(204)
        .with_notification(saved.clone())
        .with_notifications(vec![deleted.clone()]);
    assert_eq!(response.body, "");
    assert!(response.body_json().is_err());
    assert_eq!(response.notifications, vec![saved, deleted]);
    let response = BoldResponse::json(404, &json!({"error": "customer_not_found"})).unwrap();
    assert_eq!(response.body, r#"{"error":"customer_not_found"}"#);
}

#[test]
fn notification_constructors_and_accessors() {
    let body = json!({"platform_id": "o1", "total": 5});
    let cases = [
        (
            Notification::customer_saved("c1", T0, &body).unwrap(),
            "customer",
            "saved",
        ),
        (
            Notification::customer_deleted("c1", T0).unwrap(),
            "customer",
            "deleted",
        ),
        (
            Notification::product_saved("p1", T0, &body).unwrap(),
            "product",
            "saved",
        ),
        (
            Notification::product_deleted("p1", T0).unwrap(),
            "product",
            "deleted",
        ),
        (
            Notification::order_saved("o1", T0, &body).unwrap(),
            "order",
            "saved",
        ),
    ];
    for (notification, kind, op) in cases {
        assert_eq!(notification.kind(), kind);
        assert_eq!(notification.op(), op);
        assert_eq!(notification.type_name(), format!("{kind}_{op}"));
        assert_eq!(notification.platform_updated_at(), T0);
        let json = notification.to_json();
        assert_eq!(json["type"], notification.type_name());
        assert_eq!(json["json"], *notification.json());
        if op == "deleted" {
            assert_eq!(
                *notification.json(),
                json!({"platform_id": notification.platform_id()})
            );
        }
        let Entity { platform_id, .. } = notification.clone().into_entity();
        assert_eq!(platform_id, notification.entity().platform_id);
    }
}

#[test]
fn notification_constructors_check_their_input() {
    assert!(matches!(
        Notification::customer_saved("", T0, &json!({})),
        Err(HandlerError::InvalidInput(m)) if m.starts_with("platform_id")
    ));
    for at in ["", "2026-11-22", "2026-11-22T10:00:00", "22/11/2026 10:00"] {
        assert!(matches!(
            Notification::product_deleted("p1", at),
            Err(HandlerError::InvalidInput(m)) if m.starts_with("platform_updated_at")
        ));
    }
    for body in [json!([1]), json!("x"), json!(null)] {
        assert!(matches!(
            Notification::order_saved("o1", T0, &body),
            Err(HandlerError::Failed(_))
        ));
    }
}

#[test]
fn rfc3339() {
    use plugin_sdk::notification::is_rfc3339;
    for ok in [
        "2026-11-22T10:00:00Z",
        "2026-11-22t10:00:00z",
        "2026-11-22 10:00:00+05:30",
        "2026-11-22T23:59:60.5-00:00",
        "0001-01-01T00:00:00.000000001Z",
    ] {
        assert!(is_rfc3339(ok), "{ok}");
    }
    for bad in [
        "",
        "2026-11-22T10:00:00",
        "2026-11-22T10:00:00.Z",
        "2026-11-22T24:00:00Z",
        "2026-00-22T10:00:00Z",
        "2026-11-32T10:00:00Z",
        "2026-11-22T10:00:00+0530",
        "2026-11-22T10:00:00Z ",
        "２026-11-22T10:00:00Z",
        "+2026-11-22T10:00:00Z",
    ] {
        assert!(!is_rfc3339(bad), "{bad}");
    }
}

#[test]
#[should_panic(expected = "notifications differ")]
fn assert_notifications_panics_on_mismatch() {
    let notifications = vec![Notification::product_deleted("p1", T0).unwrap()];
    assert_notifications!(notifications, []);
}
