//! Why one file: the connector's native tests share the simulated platform
//! and its fixtures.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::testing::{
    TestHost, assert_notifications, notifications_json, run_bold_request, run_platform_event,
};
use plugin_sdk::{BoldRequest, HandlerError, HttpError, HttpRequest, Level, assert_notifications};

use super::*;
use crate::simulator::Platform;

const API: &str = "http://127.0.0.1:9100";

/// The text of a file in `fixtures/`, e.g. `customer-updated.json`.
fn fixture_text(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A file in `fixtures/`, parsed.
fn fixture_json(name: &str) -> Value {
    plugin_sdk::serde_json::from_str(&fixture_text(name)).unwrap()
}

fn webhook(topic: &str, body: &str) -> Result<Vec<Notification>, HandlerError> {
    run_platform_event::<PlatformSync>(topic, body, &TestHost::new())
}

fn webhook_json(topic: &str, body: &Value) -> Result<Vec<Notification>, HandlerError> {
    webhook(topic, &body.to_string())
}

fn invalid_input(result: Result<Vec<Notification>, HandlerError>) -> String {
    match result {
        Err(HandlerError::InvalidInput(m)) => m,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

// --- webhooks -----------------------------------------------------------

#[test]
fn customer_updated_is_customer_saved_with_every_address() {
    let notifications =
        webhook("customer-updated", &fixture_text("customer-updated.json")).unwrap();
    assert_notifications(
        &notifications,
        &fixture_json("customer-updated.expected.json"),
    );
}

#[test]
fn customer_created_is_customer_saved_with_defaults_for_missing_strings() {
    let notifications =
        webhook("customer-created", &fixture_text("customer-created.json")).unwrap();
    assert_notifications!(notifications, [{
        "type": "customer_saved",
        "platform_id": "4243",
        "platform_updated_at": "2026-11-22T09:30:00Z",
        "json": {
            "platform_id": "4243",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "phone": "",
            "addresses": [{
                "platform_id": "a7",
                "address_use": "shipping",
                "is_default": true,
                "first_name": "Grace",
                "last_name": "Hopper",
                "company": "",
                "address_line_1": "1 Navy Way",
                "address_line_2": "",
                "city": "Arlington",
                "province": "Virginia",
                "province_code": "VA",
                "country": "United States",
                "country_code": "US",
                "postal_code": "22202",
                "phone_number": "",
            }],
        },
    }]);
}

#[test]
fn customer_deleted_is_customer_deleted_at_deleted_at() {
    let notifications =
        webhook("customer-deleted", &fixture_text("customer-deleted.json")).unwrap();
    assert_notifications!(notifications, [{
        "type": "customer_deleted",
        "platform_id": "4242",
        "platform_updated_at": "2026-11-22T11:00:00Z",
        "json": {"platform_id": "4242"},
    }]);
}

#[test]
fn product_updated_is_product_saved() {
    let notifications = webhook("product-updated", &fixture_text("product-updated.json")).unwrap();
    assert_notifications(
        &notifications,
        &fixture_json("product-updated.expected.json"),
    );
}

#[test]
fn product_created_is_product_saved() {
    let notifications = webhook("product-created", &fixture_text("product-created.json")).unwrap();
    assert_notifications!(notifications, [{
        "type": "product_saved",
        "platform_id": "p2",
        "platform_updated_at": "2026-11-22T08:00:00Z",
        "json": {
            "platform_id": "p2",
            "name": "Gift Wrap",
            "handle": "gift-wrap",
            "variants": [{"platform_id": "v9", "name": "Default", "sku": "WRAP", "price": 500}],
        },
    }]);
}

#[test]
fn product_deleted_is_product_deleted() {
    let notifications = webhook("product-deleted", &fixture_text("product-deleted.json")).unwrap();
    assert_notifications!(notifications, [{
        "type": "product_deleted",
        "platform_id": "p1",
        "platform_updated_at": "2026-11-22T11:30:00Z",
        "json": {"platform_id": "p1"},
    }]);
}

#[test]
fn orders_are_order_saved_passed_through_with_platform_id() {
    for topic in ["order-created", "order-updated"] {
        let body = fixture_json(&format!("{topic}.json"));
        let notifications = webhook_json(topic, &body).unwrap();
        let mut expected = body.clone();
        expected["platform_id"] = json!("o1");
        assert_notifications!(notifications, [{
            "type": "order_saved",
            "platform_id": "o1",
            "platform_updated_at": body["updated_at"],
            "json": expected,
        }]);
    }
}

#[test]
fn numeric_ids_are_read_as_text() {
    let customer = json!({"id": 4242, "updated_at": "2026-11-22T10:00:00Z",
        "addresses": [{"id": 7, "type": "billing"}]});
    let notifications = webhook_json("customer-updated", &customer).unwrap();
    assert_eq!(notifications[0].platform_id(), "4242");
    assert_eq!(notifications[0].json()["addresses"][0]["platform_id"], "7");
    assert_eq!(notifications[0].json()["addresses"][0]["is_default"], false);
    let order = json!({"id": 9, "updated_at": "2026-11-22T10:00:00Z"});
    assert_eq!(
        webhook_json("order-updated", &order).unwrap()[0].json()["platform_id"],
        "9"
    );
}

#[test]
fn missing_updated_at_is_invalid_input() {
    for (topic, fixture_name) in [
        ("customer-updated", "customer-updated.json"),
        ("customer-created", "customer-created.json"),
        ("product-updated", "product-updated.json"),
        ("product-created", "product-created.json"),
        ("order-created", "order-created.json"),
        ("order-updated", "order-updated.json"),
    ] {
        for missing in [Value::Null, json!("__remove__")] {
            let mut body = fixture_json(fixture_name);
            if missing.is_null() {
                body["updated_at"] = Value::Null;
            } else if let Some(body) = body.as_object_mut() {
                body.remove("updated_at");
            }
            let message = invalid_input(webhook_json(topic, &body));
            assert_eq!(message, "updated_at: missing", "{topic}");
        }
    }
    for (topic, fixture_name) in [
        ("customer-deleted", "customer-deleted.json"),
        ("product-deleted", "product-deleted.json"),
    ] {
        let body = json!({"id": fixture_json(fixture_name)["id"]});
        assert_eq!(
            invalid_input(webhook_json(topic, &body)),
            "deleted_at: missing"
        );
    }
}

#[test]
fn timestamps_must_be_rfc3339() {
    let mut body = fixture_json("customer-updated.json");
    body["updated_at"] = json!("22/11/2026");
    assert!(invalid_input(webhook_json("customer-updated", &body)).starts_with("updated_at: "));
    body["updated_at"] = json!(1_700_000_000);
    assert!(invalid_input(webhook_json("customer-updated", &body)).starts_with("body: "));
    let order = json!({"id": "o1", "updated_at": 5});
    assert_eq!(
        invalid_input(webhook_json("order-created", &order)),
        "body: updated_at: not a string"
    );
    let deletion = json!({"id": "p1", "deleted_at": "soon"});
    assert!(invalid_input(webhook_json("product-deleted", &deletion)).starts_with("deleted_at: "));
}

#[test]
fn missing_ids_are_invalid_input() {
    for (topic, fixture_name) in [
        ("customer-updated", "customer-updated.json"),
        ("product-updated", "product-updated.json"),
        ("order-updated", "order-updated.json"),
        ("customer-deleted", "customer-deleted.json"),
        ("product-deleted", "product-deleted.json"),
    ] {
        for id in [Value::Null, json!(""), json!("  ")] {
            let mut body = fixture_json(fixture_name);
            body["id"] = id;
            assert_eq!(invalid_input(webhook_json(topic, &body)), "id: missing");
        }
    }
    let mut customer = fixture_json("customer-updated.json");
    customer["addresses"][1]["id"] = Value::Null;
    assert_eq!(
        invalid_input(webhook_json("customer-updated", &customer)),
        "addresses[1].id: missing"
    );
    let mut customer = fixture_json("customer-updated.json");
    customer["addresses"][0]
        .as_object_mut()
        .unwrap()
        .remove("type");
    assert!(
        invalid_input(webhook_json("customer-updated", &customer)).starts_with("addresses[0].type")
    );
    let mut product = fixture_json("product-updated.json");
    product["variants"][1]["id"] = json!("");
    assert_eq!(
        invalid_input(webhook_json("product-updated", &product)),
        "variants[1].id: missing"
    );
}

#[test]
fn bodies_of_the_wrong_shape_are_invalid_input() {
    let topics = [
        "customer-created",
        "customer-updated",
        "customer-deleted",
        "product-created",
        "product-updated",
        "product-deleted",
        "order-created",
        "order-updated",
    ];
    for topic in topics {
        for body in [
            "",
            "not json",
            "\"x\"",
            "{\"id\": {}}",
            "[1, 2, 3, 4, 5, 6, 7, 8]",
        ] {
            let message = invalid_input(webhook(topic, body));
            assert!(message.starts_with("body: "), "{topic} {body}: {message}");
        }
        // PHP's empty array: an empty object (no id) or, for orders, not one.
        invalid_input(webhook(topic, "[]"));
    }
    let mut customer = fixture_json("customer-updated.json");
    customer["addresses"][0]["type"] = json!("home");
    assert!(invalid_input(webhook_json("customer-updated", &customer)).contains("home"));
    let mut product = fixture_json("product-updated.json");
    product["variants"][0]["price"] = json!("15.00");
    assert!(invalid_input(webhook_json("product-updated", &product)).starts_with("body: "));
}

#[test]
fn unknown_topics_notify_nothing_and_log_at_debug() {
    let host = TestHost::new();
    for topic in ["inventory-updated", "", "CUSTOMER-UPDATED"] {
        let notifications =
            run_platform_event::<PlatformSync>(topic, "not even json", &host).unwrap();
        assert!(notifications.is_empty());
    }
    let logs = host.logs();
    assert_eq!(logs.len(), 3);
    assert!(logs.iter().all(|r| r.level == Level::Debug));
    assert_eq!(
        logs[0].fields,
        [("topic".to_owned(), "inventory-updated".to_owned())]
    );
}

// --- Update Customer ------------------------------------------------------

/// A host whose outbound HTTP is `platform` (seeded with customer 4242),
/// shared with the test so it can inspect or change it.
fn platform_host(platform: Platform) -> (TestHost, Rc<RefCell<Platform>>) {
    let platform = Rc::new(RefCell::new(platform));
    let shared = Rc::clone(&platform);
    let host = TestHost::new()
        .with_config(API_URL, API)
        .with_http(move |request: &HttpRequest| Ok(shared.borrow_mut().handle(request)));
    (host, platform)
}

fn seeded() -> Platform {
    Platform::new().with_customer(fixture_json("platform-customer-4242.json"))
}

fn update(id: &str, body: &str) -> BoldRequest {
    BoldRequest::new("PUT", format!("customers/{id}"))
        .with_shop_identifier("example-shop")
        .with_body(body)
}

fn calls(host: &TestHost) -> Vec<(String, String)> {
    host.requests()
        .into_iter()
        .map(|r| (r.method, r.url.trim_start_matches(API).to_owned()))
        .collect()
}

#[test]
fn update_customer_adds_the_new_default_and_notifies_the_old_one() {
    let (host, platform) = platform_host(seeded());
    let response = run_bold_request::<PlatformSync>(
        &update("4242", &fixture_text("update-customer.json")),
        &host,
    )
    .unwrap();
    let expected = fixture_json("update-customer.expected.json");

    assert_eq!(response.status, 200);
    assert_eq!(response.body_json().unwrap(), expected["body"]);
    assert_notifications(&response.notifications, &expected["notifications"]);

    // The side effect: the old default shipping address lost its default,
    // the new one has it, the billing default is untouched.
    let addresses = &response.notifications[0].json()["addresses"];
    let by_id = |id: &str| {
        addresses
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["platform_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("a1")["is_default"], false);
    assert_eq!(by_id("a1")["address_use"], "shipping");
    assert_eq!(by_id("a3")["is_default"], true);
    assert_eq!(by_id("a3")["address_use"], "shipping");
    assert_eq!(by_id("a3")["address_line_1"], "1 Byron Way");
    assert_eq!(by_id("a2")["is_default"], true);
    assert_eq!(
        response.notifications[0].platform_updated_at(),
        "2026-11-22T12:00:02Z"
    );

    // The requests, in order, with the platform's shapes.
    let expected_calls: Vec<(String, String)> = expected["platform_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c[0].as_str().unwrap().to_owned(),
                c[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(calls(&host), expected_calls);
    let requests = host.requests();
    assert_eq!(
        requests[0].json::<Value>().unwrap(),
        json!({
            "type": "shipping",
            "default": true,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "Analytical Engines",
            "address1": "1 Byron Way",
            "address2": "Suite 2",
            "city": "Brandon",
            "province": "Manitoba",
            "province_code": "MB",
            "country": "Canada",
            "country_code": "CA",
            "postal_code": "R7A 0A1",
            "phone": "+1 204 555 0199",
        })
    );
    assert_eq!(
        requests[1].json::<Value>().unwrap(),
        json!({"phone": "+1 204 555 0199"})
    );
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));

    // The platform's own state agrees.
    let platform = platform.borrow();
    let stored = platform.customer("4242").unwrap();
    assert_eq!(stored["phone"], "+1 204 555 0199");
    assert_eq!(stored["addresses"].as_array().unwrap().len(), 3);
}

#[test]
fn update_customer_with_fields_only_patches_then_reads_back() {
    let (host, _) = platform_host(seeded());
    let body = json!({"customer": {"first_name": "Augusta", "email": "augusta@example.com",
        "last_name": null}});
    let response =
        run_bold_request::<PlatformSync>(&update("4242", &body.to_string()), &host).unwrap();
    assert_eq!(response.status, 200);
    let customer = &response.body_json().unwrap()["customer"];
    assert_eq!(customer["first_name"], "Augusta");
    assert_eq!(customer["last_name"], "Lovelace");
    assert_eq!(customer["email"], "augusta@example.com");
    assert_eq!(
        calls(&host),
        [
            ("PATCH".to_owned(), "/customers/4242".to_owned()),
            ("GET".to_owned(), "/customers/4242".to_owned())
        ]
    );
    assert_eq!(
        host.requests()[0].json::<Value>().unwrap(),
        json!({"first_name": "Augusta", "email": "augusta@example.com"})
    );
    assert_eq!(response.notifications.len(), 1);
    assert_eq!(
        response.notifications[0].json(),
        customer,
        "the notification carries what Bold is answered"
    );
}

#[test]
fn update_customer_without_changes_reads_and_notifies() {
    let (host, _) = platform_host(seeded());
    // `[]` is PHP's empty object.
    for body in [r#"{"customer": {}}"#, r#"{"customer": []}"#] {
        host.clear_requests();
        let response = run_bold_request::<PlatformSync>(&update("4242", body), &host).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            calls(&host),
            [("GET".to_owned(), "/customers/4242".to_owned())]
        );
    }
    let response =
        run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host).unwrap();
    assert_notifications(
        &response.notifications,
        &fixture_json("customer-updated.expected.json"),
    );
}

#[test]
fn update_customer_two_new_defaults_of_both_types() {
    let (host, _) = platform_host(seeded());
    let body = json!({"customer": {"addresses": [
        {"address_use": "billing", "is_default": true, "city": "Brandon"},
        {"platform_id": "", "address_use": "shipping", "is_default": false, "city": "Selkirk"},
    ]}});
    let response =
        run_bold_request::<PlatformSync>(&update("4242", &body.to_string()), &host).unwrap();
    let addresses = response.notifications[0].json()["addresses"].clone();
    let flags: Vec<(&str, &str, bool)> = addresses
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["platform_id"].as_str().unwrap(),
                a["address_use"].as_str().unwrap(),
                a["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("a1", "shipping", true),
            ("a2", "billing", false),
            ("a3", "billing", true),
            ("a4", "shipping", false),
        ]
    );
    let methods: Vec<String> = calls(&host).into_iter().map(|(m, _)| m).collect();
    assert_eq!(methods, ["POST", "POST", "GET"]);
}

#[test]
fn unknown_customer_is_404_without_notifications() {
    let (host, _) = platform_host(seeded());
    for body in [
        fixture_text("update-customer.json"),
        r#"{"customer": {}}"#.to_owned(),
    ] {
        host.clear_requests();
        let response = run_bold_request::<PlatformSync>(&update("9999", &body), &host).unwrap();
        assert_eq!(response.status, 404);
        assert_eq!(
            response.body_json().unwrap(),
            json!({"error": "customer_not_found"})
        );
        assert!(response.notifications.is_empty());
        assert_eq!(host.requests().len(), 1, "stops at the first 404");
    }
}

#[test]
fn platform_500_before_any_change_is_failed() {
    for method in ["POST", "PATCH", "GET"] {
        let mut platform = seeded();
        platform.fail_next(method, 500);
        let (host, platform) = platform_host(platform);
        let body = json!({"customer": {"phone": "1"}}).to_string();
        let body = if method == "POST" {
            fixture_text("update-customer.json")
        } else {
            body
        };
        let err = run_bold_request::<PlatformSync>(&update("4242", &body), &host).unwrap_err();
        assert!(
            matches!(&err, HandlerError::Failed(m) if m.contains(method) && m.contains("HTTP 500")),
            "{method}: {err}"
        );
        if method == "POST" {
            assert_eq!(
                platform.borrow().customer("4242").unwrap()["updated_at"],
                "2026-11-22T10:00:00Z"
            );
        }
    }
}

#[test]
fn platform_failure_after_a_change_still_notifies() {
    let mut platform = seeded();
    platform.fail_next("PATCH", 503);
    let (host, _) = platform_host(platform);
    let response = run_bold_request::<PlatformSync>(
        &update("4242", &fixture_text("update-customer.json")),
        &host,
    )
    .unwrap();
    assert_eq!(response.status, 502);
    assert_eq!(response.body_json().unwrap()["error"], "platform_error");
    assert_eq!(response.notifications.len(), 1);
    let customer = response.notifications[0].json();
    assert_eq!(customer["phone"], "+1 204 555 0100", "the PATCH failed");
    assert_eq!(customer["addresses"][0]["is_default"], false);
    assert_eq!(customer["addresses"][2]["is_default"], true);
    let methods: Vec<String> = calls(&host).into_iter().map(|(m, _)| m).collect();
    assert_eq!(methods, ["POST", "PATCH", "GET"]);
    assert!(host.logs().iter().any(|r| r.level == Level::Warn));

    // When even the read-back fails, the failure is the answer.
    let mut platform = seeded();
    platform.fail_next("PATCH", 500);
    platform.fail_next("GET", 500);
    let (host, _) = platform_host(platform);
    let err = run_bold_request::<PlatformSync>(
        &update("4242", &fixture_text("update-customer.json")),
        &host,
    )
    .unwrap_err();
    assert!(matches!(err, HandlerError::Failed(m) if m.contains("PATCH")));
}

#[test]
fn no_response_is_failed() {
    for error in [
        HttpError::Connection("refused".into()),
        HttpError::Timeout,
        HttpError::NotAllowed("127.0.0.1".into()),
    ] {
        let text = error.to_string();
        let host = TestHost::new()
            .with_config(API_URL, API)
            .with_http(move |_| Err(error.clone()));
        let err = run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host)
            .unwrap_err();
        assert_eq!(
            err,
            HandlerError::Failed(format!("platform GET /customers/4242: {text}"))
        );
    }
}

#[test]
fn a_customer_without_updated_at_from_the_platform_is_failed() {
    let mut customer = fixture_json("platform-customer-4242.json");
    customer["updated_at"] = Value::Null;
    let (host, _) = platform_host(Platform::new().with_customer(customer));
    let err = run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host)
        .unwrap_err();
    assert!(matches!(err, HandlerError::Failed(m) if m.contains("updated_at: missing")));

    let host = TestHost::new()
        .with_config(API_URL, API)
        .with_http(|_| Ok(plugin_sdk::HttpResponse::new(200).with_body("<html>")));
    let err = run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host)
        .unwrap_err();
    assert!(matches!(err, HandlerError::Failed(m) if m.contains("response body")));
}

#[test]
fn the_token_is_sent_as_a_bearer() {
    let (host, _) = platform_host(seeded().with_token("s3cr3t"));
    let err = run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host)
        .unwrap_err();
    assert!(matches!(err, HandlerError::Failed(m) if m.contains("HTTP 401")));

    let host = host.with_config(API_TOKEN, " s3cr3t ");
    let response = run_bold_request::<PlatformSync>(
        &update("4242", &fixture_text("update-customer.json")),
        &host,
    )
    .unwrap();
    assert_eq!(response.status, 200);
    let requests = host.requests();
    assert_eq!(requests.len(), 4);
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer s3cr3t"))
    );
}

#[test]
fn the_api_url_is_required_and_checked() {
    let (host, _) = platform_host(seeded());
    let trailing = host.with_config(API_URL, "http://127.0.0.1:9100/ ");
    run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &trailing).unwrap();
    assert_eq!(
        trailing.requests()[0].url,
        "http://127.0.0.1:9100/customers/4242"
    );

    for url in [
        None,
        Some(""),
        Some("127.0.0.1:9100"),
        Some("https://"),
        Some("ftp://x"),
    ] {
        let mut host = TestHost::new().with_http(|_| panic!("no request expected"));
        if let Some(url) = url {
            host = host.with_config(API_URL, url);
        }
        let err = run_bold_request::<PlatformSync>(&update("4242", r#"{"customer": {}}"#), &host)
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::Failed(m) if m.contains(API_URL)),
            "{url:?}: {err}"
        );
    }
}

#[test]
fn bad_update_bodies_are_invalid_input_and_call_nothing() {
    let (host, _) = platform_host(seeded());
    for body in [
        "",
        "{}",
        r#"{"customer": null}"#,
        r#"{"customer": {"email": 5}}"#,
        r#"{"customer": {"addresses": [{"city": "x"}]}}"#,
        r#"{"customer": {"addresses": [{"address_use": "home"}]}}"#,
    ] {
        let err = run_bold_request::<PlatformSync>(&update("4242", body), &host).unwrap_err();
        assert!(
            matches!(&err, HandlerError::InvalidInput(m) if m.starts_with("body: ")),
            "{body}: {err}"
        );
    }
    for id in ["..", ".", "42%2F42", "a b", "4242?x=1"] {
        let err = run_bold_request::<PlatformSync>(&update(id, r#"{"customer": {}}"#), &host)
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::InvalidInput(m) if m.starts_with("customer id")),
            "{id}: {err}"
        );
    }
    assert!(host.requests().is_empty());
}

#[test]
fn other_bold_requests_are_unsupported() {
    let (host, _) = platform_host(seeded());
    for (method, path) in [
        ("GET", "customers/4242"),
        ("POST", "customers/4242"),
        ("DELETE", "customers/4242"),
        ("PUT", "customers"),
        ("PUT", "customers/4242/addresses"),
        ("PUT", "products/p1"),
        ("PUT", ""),
    ] {
        let request =
            BoldRequest::new(method, path).with_body(fixture_text("update-customer.json"));
        assert_eq!(
            run_bold_request::<PlatformSync>(&request, &host),
            Err(HandlerError::Unsupported),
            "{method} {path}"
        );
    }
    assert!(host.requests().is_empty());
}

// --- the simulator --------------------------------------------------------

#[test]
fn simulator_routes_and_errors() {
    let mut platform = seeded();
    let get = |url: &str| HttpRequest::get(format!("{API}{url}"));
    assert_eq!(
        platform.handle(&get("/customers/4242?fields=all")).status,
        200
    );
    assert_eq!(platform.handle(&get("/customers/1")).status, 404);
    assert_eq!(platform.handle(&get("/products/1")).status, 404);
    assert_eq!(platform.handle(&get("/")).status, 404);
    let delete = HttpRequest::new("DELETE", format!("{API}/customers/4242"));
    assert_eq!(platform.handle(&delete).status, 405);
    let bad = HttpRequest::new("PATCH", format!("{API}/customers/4242")).with_body("nope");
    assert_eq!(platform.handle(&bad).status, 400);
    let bad = HttpRequest::new("PATCH", format!("{API}/customers/4242"))
        .with_json(&json!({"phone": 5}))
        .unwrap();
    assert_eq!(platform.handle(&bad).status, 422);
    let bad = HttpRequest::new("POST", format!("{API}/customers/4242/addresses"))
        .with_json(&json!({"type": "home"}))
        .unwrap();
    assert_eq!(platform.handle(&bad).status, 422);
    let missing = HttpRequest::new("POST", format!("{API}/customers/1/addresses"))
        .with_json(&json!({"type": "billing"}))
        .unwrap();
    assert_eq!(platform.handle(&missing).status, 404);
    assert_eq!(
        platform.customer("4242").unwrap(),
        &fixture_json("platform-customer-4242.json"),
        "failed requests change nothing"
    );
    platform.fail_next("get", 418);
    assert_eq!(platform.handle(&get("/customers/4242")).status, 418);
    assert_eq!(platform.handle(&get("/customers/4242")).status, 200);
}

#[test]
fn simulator_requires_its_token() {
    let mut platform = seeded().with_token("t");
    let request = HttpRequest::get(format!("{API}/customers/4242"));
    assert_eq!(platform.handle(&request).status, 401);
    let request = request.with_header("Authorization", "Bearer t");
    assert_eq!(platform.handle(&request).status, 200);
}

#[test]
fn notifications_json_is_what_the_fixtures_hold() {
    // The expected files are arrays of `Notification::to_json`.
    let notifications = webhook("product-updated", &fixture_text("product-updated.json")).unwrap();
    assert_eq!(
        notifications_json(&notifications),
        fixture_json("product-updated.expected.json")
    );
}
