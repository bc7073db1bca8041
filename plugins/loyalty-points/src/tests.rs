//! Native tests with the SDK's doubles: the loyalty service is scripted
//! per URL, Bold's API per path, and every request the handler made is
//! asserted.

#![allow(clippy::unwrap_used)]

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::testing::{TestHost, fixture, fixture_with, run_event};
use plugin_sdk::{
    Action, BoldApiError, Event, HandlerError, HttpError, HttpResponse, Level, Shop, assert_actions,
};

use super::*;
use crate::loyalty::Member;

const LOYALTY: &str = "https://loyalty.example";
const EMAIL: &str = "bold.mcboldstein@example.com";
/// The fixtures' customer, as the member URL names them.
const MEMBER_URL: &str = "https://loyalty.example/members/bold.mcboldstein%40example.com";
/// The fixtures' `order.public_order_id`.
const ORDER_ID: &str = "lakjfoihiuh223u82989vhsinvd0s9f8";
const DISCOUNT: &str = "orders/lakjfoihiuh223u82989vhsinvd0s9f8/discounts";

fn installed() -> Shop {
    Shop::installed("shopify", "example.myshopify.com", ["modify_order"])
}

/// An installed shop, the loyalty service configured, nothing scripted.
fn host() -> TestHost {
    TestHost::new()
        .with_shop(installed())
        .with_config("loyalty_url", LOYALTY)
}

fn member(tier: &str, points: i64) -> HttpResponse {
    HttpResponse::from_json(200, &json!({"tier": tier, "points": points}))
}

fn run_on(event: &Event, host: &TestHost) -> Vec<Action> {
    run_event::<LoyaltyPoints>(event, host).expect("no fault")
}

fn run(host: &TestHost) -> Vec<Action> {
    run_on(&fixture("initialize_checkout"), host)
}

/// No record mentions the customer's email, in its message or fields.
fn assert_no_email_logged(host: &TestHost) {
    for record in host.logs() {
        assert!(!record.message.contains("mcboldstein"), "{record:?}");
        for (_, value) in &record.fields {
            assert!(!value.contains("mcboldstein"), "{record:?}");
        }
    }
}

fn warned(host: &TestHost, text: &str) -> bool {
    host.logs()
        .iter()
        .any(|r| r.level == Level::Warn && r.message.contains(text))
}

// --- members ------------------------------------------------------------

#[test]
fn gold_member_gets_the_note_and_the_discount_through_bold() {
    let host = host()
        .with_http_response("GET", MEMBER_URL, member("gold", 1200))
        .with_bold_response("POST", DISCOUNT, HttpResponse::new(201));
    let actions = run(&host);
    assert_actions!(actions, [{"type": "add_note", "data": {"note": "Loyalty gold member: 1200 points"}}]);

    let lookups = host.requests();
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].method, "GET");
    assert_eq!(lookups[0].url, MEMBER_URL);
    assert_eq!(lookups[0].header("accept"), Some("application/json"));
    assert_eq!(lookups[0].header("authorization"), None);

    let bold = host.bold_requests();
    assert_eq!(bold.len(), 1);
    assert_eq!(bold[0].method, "POST");
    assert_eq!(bold[0].path, DISCOUNT);
    assert_eq!(bold[0].header("content-type"), Some("application/json"));
    assert_eq!(
        bold[0].json::<Value>().unwrap(),
        json!({"code": "LOYALTY-GOLD"})
    );
    assert!(host.logged("gold discount applied"));
    assert_no_email_logged(&host);
}

#[test]
fn silver_member_gets_the_note_and_no_bold_call() {
    let host = host().with_http_response("GET", MEMBER_URL, member("silver", 120));
    assert_actions!(run(&host), [{"type": "add_note", "data": {"note": "Loyalty silver member: 120 points"}}]);
    assert_eq!(host.requests().len(), 1);
    assert!(host.bold_requests().is_empty());
}

#[test]
fn non_member_gets_nothing() {
    let host = host().with_http_response("GET", MEMBER_URL, HttpResponse::new(404));
    assert_actions!(run(&host), []);
    assert_eq!(host.requests().len(), 1);
    assert!(host.bold_requests().is_empty());
    assert!(!host.logs().iter().any(|r| r.level >= Level::Warn));
}

#[test]
fn loyalty_service_down_gives_nothing_and_no_fault() {
    let failures = [
        Err(HttpError::Timeout),
        Err(HttpError::Connection(format!(
            "{MEMBER_URL}: connection refused"
        ))),
        Err(HttpError::NotAllowed("loyalty.example".into())),
        Err(HttpError::TooManyRequests),
        Ok(HttpResponse::new(503)),
        Ok(HttpResponse::new(500).with_body("oops")),
        Ok(HttpResponse::new(200).with_body("<html>maintenance</html>")),
        Ok(HttpResponse::from_json(200, &json!({"points": 10}))),
        Ok(HttpResponse::from_json(200, &json!([]))),
    ];
    for answer in failures {
        let host = match answer.clone() {
            Ok(response) => host().with_http_response("GET", MEMBER_URL, response),
            Err(error) => host().with_http_error("GET", MEMBER_URL, error),
        };
        assert_actions!(run(&host), []);
        assert!(host.bold_requests().is_empty(), "{answer:?}");
        assert!(warned(&host, "loyalty service unavailable"), "{answer:?}");
        assert_no_email_logged(&host);
    }
}

#[test]
fn bold_api_failing_still_sends_the_note() {
    let failures = [
        Err(BoldApiError::Timeout),
        Err(BoldApiError::TooManyRequests),
        Err(BoldApiError::Connection("reset".into())),
        Ok(HttpResponse::from_json(
            422,
            &json!({"error": "unknown code"}),
        )),
        Ok(HttpResponse::new(500)),
    ];
    for answer in failures {
        let host = host().with_http_response("GET", MEMBER_URL, member("gold", 5000));
        let host = match answer.clone() {
            Ok(response) => host.with_bold_response("POST", DISCOUNT, response),
            Err(error) => host.with_bold_error("POST", DISCOUNT, error),
        };
        assert_actions!(run(&host), [{"type": "add_note", "data": {"note": "Loyalty gold member: 5000 points"}}]);
        assert_eq!(host.bold_requests().len(), 1, "{answer:?}");
        assert!(warned(&host, "gold discount"), "{answer:?}");
    }
}

// --- shops --------------------------------------------------------------

#[test]
fn not_installed_makes_no_request_at_all() {
    let host = TestHost::new()
        .with_shop(Shop::not_installed("shopify", "example.myshopify.com"))
        .with_config("loyalty_url", LOYALTY);
    assert_actions!(run(&host), []);
    assert!(host.requests().is_empty());
    assert!(host.bold_requests().is_empty());
    let logs = host.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].level, Level::Info);
    assert!(logs[0].message.contains("not installed"));
}

#[test]
fn no_shop_makes_no_request_at_all() {
    let host = TestHost::new().with_config("loyalty_url", LOYALTY);
    assert_actions!(run(&host), []);
    assert!(host.requests().is_empty());
    assert!(host.bold_requests().is_empty());
    let logs = host.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].level, Level::Info);
    assert!(logs[0].message.contains("no shop"));
}

#[test]
fn without_modify_order_there_is_no_note_but_gold_still_gets_the_discount() {
    let host = TestHost::new()
        .with_shop(Shop::installed(
            "shopify",
            "example.myshopify.com",
            ["add_fee"],
        ))
        .with_config("loyalty_url", LOYALTY)
        .with_http_response("GET", MEMBER_URL, member("gold", 1))
        .with_bold_response("POST", DISCOUNT, HttpResponse::new(200));
    assert_actions!(run(&host), []);
    assert!(warned(&host, "did not grant modify_order"));
    assert_eq!(host.bold_requests().len(), 1);
}

// --- inputs -------------------------------------------------------------

#[test]
fn emails_are_encoded_as_one_path_segment() {
    for (email, segment) in [
        ("ada+loyal@example.com", "ada%2Bloyal%40example.com"),
        (
            "o'brien/vip?x#y@example.com",
            "o%27brien%2Fvip%3Fx%23y%40example.com",
        ),
        ("zoë%20@exämple.com", "zo%C3%AB%2520%40ex%C3%A4mple.com"),
        ("  padded@example.com ", "padded%40example.com"),
    ] {
        let event = fixture_with("initialize_checkout", |b| {
            b["customer"]["core_info"]["email"] = email.into();
        });
        let url = format!("{LOYALTY}/members/{segment}");
        let host = host().with_http_response("GET", &url, member("bronze", 3));
        assert_actions!(run_on(&event, &host), [{"type": "add_note", "data": {"note": "Loyalty bronze member: 3 points"}}]);
        assert_eq!(host.requests()[0].url, url);
    }
}

#[test]
fn no_email_means_no_lookup() {
    for email in [json!(""), json!("   "), json!(null)] {
        let event = fixture_with("initialize_checkout", |b| {
            b["customer"]["core_info"]["email"] = email.clone();
        });
        let host = host();
        assert_actions!(run_on(&event, &host), []);
        assert!(host.requests().is_empty());
    }
    let guest = fixture_with("initialize_checkout", |b| b["customer"] = json!([]));
    let host = host();
    assert_actions!(run_on(&guest, &host), []);
    assert!(host.requests().is_empty());
}

#[test]
fn a_malformed_customer_is_invalid_input() {
    let event = fixture_with("initialize_checkout", |b| b["customer"] = json!(7));
    let err = run_event::<LoyaltyPoints>(&event, &host()).unwrap_err();
    assert!(matches!(err, HandlerError::InvalidInput(m) if m.starts_with("customer: ")));
}

#[test]
fn the_apply_hook_looks_up_too_and_other_events_do_nothing() {
    let hooked = host()
        .with_http_response("GET", MEMBER_URL, member("gold", 10))
        .with_bold_response("POST", DISCOUNT, HttpResponse::new(201));
    assert_eq!(run_on(&fixture("app_hook"), &hooked).len(), 1);
    assert_eq!(hooked.bold_requests().len(), 1);

    let other_hook = fixture_with("app_hook", |b| b["properties"]["hook"] = "other".into());
    for event in [fixture("order_submitted_us"), other_hook] {
        let host = host();
        assert_actions!(run_on(&event, &host), []);
        assert!(host.requests().is_empty() && host.bold_requests().is_empty());
    }
}

#[test]
fn gold_without_an_order_id_gets_the_note_only() {
    for order in [
        json!([]),
        json!({"public_order_id": null}),
        json!({"public_order_id": {"x": 1}}),
    ] {
        let event = fixture_with("initialize_checkout", |b| b["order"] = order.clone());
        let host = host().with_http_response("GET", MEMBER_URL, member("GOLD", 7));
        assert_actions!(run_on(&event, &host), [{"type": "add_note", "data": {"note": "Loyalty GOLD member: 7 points"}}]);
        assert!(host.bold_requests().is_empty(), "{order}");
        assert!(warned(&host, "no public_order_id"), "{order}");
    }
}

#[test]
fn order_ids_are_encoded_in_the_bold_path() {
    let event = fixture_with("initialize_checkout", |b| {
        b["order"]["public_order_id"] = json!("abc 123");
    });
    let host = host()
        .with_http_response("GET", MEMBER_URL, member("gold", 7))
        .with_bold_response("POST", "orders/abc%20123/discounts", HttpResponse::new(201));
    run_on(&event, &host);
    assert_eq!(host.bold_requests()[0].path, "orders/abc%20123/discounts");
    assert!(host.logged("gold discount applied"));
}

// --- config -------------------------------------------------------------

#[test]
fn config_sets_the_token_the_code_and_the_path() {
    let host = host()
        .with_config("loyalty_url", "https://loyalty.example/api/ ")
        .with_config("loyalty_token", " s3cret ")
        .with_config("gold_code", "VIP-10")
        .with_config(
            "discount_path",
            "checkout/{public_order_id}/codes?source=loyalty",
        )
        .with_http_response(
            "GET",
            "https://loyalty.example/api/members/bold.mcboldstein%40example.com",
            member("gold", 1),
        )
        .with_bold_response(
            "POST",
            format!("checkout/{ORDER_ID}/codes?source=loyalty"),
            HttpResponse::new(201),
        );
    run(&host);
    assert_eq!(
        host.requests()[0].header("authorization"),
        Some("Bearer s3cret")
    );
    assert_eq!(
        host.bold_requests()[0].json::<Value>().unwrap(),
        json!({"code": "VIP-10"})
    );
    assert!(!format!("{:?}", host.logs()).contains("s3cret"));
}

#[test]
fn a_bad_discount_path_is_logged_and_the_note_goes_out() {
    let host = host()
        .with_config("discount_path", "/absolute/{public_order_id}")
        .with_http_response("GET", MEMBER_URL, member("gold", 1));
    assert_eq!(run(&host).len(), 1);
    assert!(matches!(
        &host.logs().iter().find(|r| r.level == Level::Warn).unwrap().fields[..],
        [(k, v)] if k == "error" && v == "invalid_request"
    ));
}

#[test]
fn loyalty_url_is_required_once_there_is_something_to_look_up() {
    for (url, expected) in [
        (None, "config `loyalty_url`: required"),
        (Some("  "), "config `loyalty_url`: required"),
        (Some("ftp://loyalty.example"), "not an http(s) URL"),
        (Some("https://"), "not an http(s) URL"),
    ] {
        let mut host = TestHost::new().with_shop(installed());
        if let Some(url) = url {
            host = host.with_config("loyalty_url", url);
        }
        let err = run_event::<LoyaltyPoints>(&fixture("initialize_checkout"), &host).unwrap_err();
        assert!(
            matches!(&err, HandlerError::Failed(m) if m.contains(expected)),
            "{err}"
        );
    }
    // Not installed: nothing to look up, no config needed.
    let host = TestHost::new().with_shop(Shop::not_installed("shopify", "x"));
    assert_actions!(run(&host), []);
}

// --- the loyalty service's JSON -----------------------------------------

#[test]
fn members_decode_leniently() {
    let cases = [
        (
            json!({"tier": "gold", "points": 1200}),
            Some(("gold", 1200)),
        ),
        (
            json!({"tier": " Silver ", "points": "45"}),
            Some(("Silver", 45)),
        ),
        (json!({"tier": "bronze"}), Some(("bronze", 0))),
        (
            json!({"tier": "bronze", "points": null}),
            Some(("bronze", 0)),
        ),
        (
            json!({"tier": "gold", "points": 12.0, "since": "2020"}),
            Some(("gold", 12)),
        ),
        (json!({"tier": 3, "points": 1}), Some(("3", 1))),
        (json!({"tier": "", "points": 1}), None),
        (json!({"tier": null, "points": 1}), None),
        (json!({"points": 1}), None),
        (json!({"tier": "gold", "points": "many"}), None),
        (json!({"tier": "gold", "points": 1.5}), None),
        (json!({"tier": "gold", "points": [1]}), None),
        (json!([]), None),
        (json!("gold"), None),
    ];
    for (body, expected) in cases {
        let member = Member::from_json(&body);
        assert_eq!(
            member.as_ref().map(|m| (m.tier.as_str(), m.points)),
            expected,
            "{body}"
        );
    }
    assert!(
        Member::from_json(&json!({"tier": "GoLd"}))
            .unwrap()
            .is_gold()
    );
    assert!(
        !Member::from_json(&json!({"tier": "golden"}))
            .unwrap()
            .is_gold()
    );
}

#[test]
fn the_fixture_email_is_what_the_tests_assume() {
    let event = fixture("initialize_checkout");
    assert_eq!(event.customer().unwrap().core_info.email, EMAIL);
    assert_eq!(
        event
            .pointer::<String>("/order/public_order_id")
            .unwrap()
            .as_deref(),
        Some(ORDER_ID)
    );
}
