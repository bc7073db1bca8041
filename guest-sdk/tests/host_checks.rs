//! The runners check answers as the plugin host does: what `serve` would
//! refuse fails a native test with the host's fault kind and reason.
#![allow(clippy::unwrap_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::testing::{
    DEFAULT_OUTPUT_LIMIT, Refusal, TestHost, check_actions, check_override, fixture, host_wire,
    run_event, run_override,
};
use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, Shop, assert_actions};

/// Answers what the config key `answer` holds: a JSON array of
/// `[type, data]` pairs, sent as generic actions; or, with `typed`, one
/// typed action of that name. Its override answers config `override`.
struct Scripted;

impl CheckoutPlugin for Scripted {
    fn handle_event(_: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        if let Some(name) = host.config("typed") {
            return Ok(vec![typed(&name)]);
        }
        let answer = host.config("answer").unwrap_or_else(|| "[]".into());
        let pairs: Vec<(String, Value)> = plugin_sdk::serde_json::from_str(&answer)
            .map_err(|e| HandlerError::Failed(e.to_string()))?;
        Ok(pairs
            .into_iter()
            .map(|(ty, data)| Action::generic(ty, data))
            .collect())
    }

    fn handle_override(_: &str, _: &str, host: &dyn Host) -> Result<String, HandlerError> {
        host.config("override").ok_or(HandlerError::Unsupported)
    }
}

fn typed(name: &str) -> Action {
    match name {
        "add_fee" => Action::add_fee("fee-1", "Cross-border shipping", "fixed", true, 1500),
        "add_note" => Action::add_note("hi"),
        "override_inventory" => Action::override_inventory("https://p.example/inventory"),
        other => panic!("no typed action {other}"),
    }
}

fn answering(actions: Value) -> TestHost {
    TestHost::new().with_config("answer", actions.to_string())
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it should panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => (*payload.downcast::<&str>().unwrap()).to_owned(),
    }
}

/// The first line of `run_event`'s panic for this host.
fn refused(host: &TestHost) -> String {
    let message = panic_message(|| {
        let _ = run_event::<Scripted>(&fixture("initialize_checkout"), host);
    });
    message.lines().next().unwrap().to_owned()
}

/// The issue's example: `value` a string and `taxable` missing passes a
/// test that does not spell out the JSON, and `serve` refuses it.
#[test]
fn a_malformed_generic_fee_fails_with_the_hosts_message() {
    let fee = json!({"id": "fee-1", "line_text": "Handling", "fee_type": "fixed",
        "value": "1500", "is_amendment": false});
    let host = answering(json!([["add_fee", fee]]));
    let message = panic_message(|| {
        let _ = run_event::<Scripted>(&fixture("order_submitted_us"), &host);
    });
    assert_eq!(
        message,
        format!(
            "the host would refuse this answer as invalid_output: action `add_fee`: `taxable` is missing\n  actions[0] = {}",
            json!({"type": "add_fee", "data": fee})
        )
    );

    let mut fixed = fee.clone();
    fixed["taxable"] = true.into();
    let host = answering(json!([["add_note", {"note": "ok"}], ["add_fee", fixed]]));
    let message = panic_message(|| {
        let _ = run_event::<Scripted>(&fixture("order_submitted_us"), &host);
    });
    assert!(
        message.starts_with(
            "the host would refuse this answer as invalid_output: action `add_fee`: `value` must be an integer\n  actions[1] = "
        ),
        "{message}"
    );

    // The same without a panic.
    let actions = Scripted::handle_event(&fixture("order_submitted_us"), &host).unwrap();
    assert_eq!(
        check_actions(&actions, &host.policy()),
        Err(Refusal {
            kind: "invalid_output",
            reason: "action `add_fee`: `value` must be an integer".into(),
            action: Some(1),
        })
    );
}

#[test]
fn valid_answers_pass_and_come_back_unchanged() {
    let host =
        answering(json!([["ADD_NOTE", {"note": "hi"}], ["discount_cart", {"anything": [1]}]]));
    let actions = run_event::<Scripted>(&fixture("initialize_checkout"), &host).unwrap();
    assert_actions!(actions, [
        {"type": "add_note", "data": {"note": "hi"}},
        {"type": "discount_cart", "data": {"anything": [1]}},
    ]);
    assert_eq!(
        check_actions(&actions, &host.policy()).unwrap(),
        r#"{"success":true,"actions":[{"type":"add_note","data":{"note":"hi"}},{"type":"discount_cart","data":{"anything":[1]}}]}"#
    );
}

#[test]
fn handler_errors_are_returned_unchecked() {
    let host = TestHost::new().with_config("answer", "not json");
    assert!(matches!(
        run_event::<Scripted>(&fixture("initialize_checkout"), &host),
        Err(HandlerError::Failed(_))
    ));
}

#[test]
fn actions_outside_the_scopes_fail() {
    let fee = TestHost::new().with_config("typed", "add_fee");
    assert_eq!(
        run_event::<Scripted>(&fixture("order_submitted_us"), &fee)
            .unwrap()
            .len(),
        1,
        "no scopes declared: not scope-checked"
    );

    let host = TestHost::new()
        .with_config("typed", "add_fee")
        .with_scopes(["modify_order"]);
    assert_eq!(
        refused(&host),
        "the host would refuse this answer as invalid_output: action `add_fee` needs scope `add_fee`, which the plugin was not granted"
    );
    let host = host.with_scopes(["modify_order", "add_fee"]);
    run_event::<Scripted>(&fixture("order_submitted_us"), &host).unwrap();

    // An installed shop's scopes replace the manifest's, as in the host...
    let host = host.with_shop(Shop::installed(
        "shopify",
        "s.myshopify.com",
        ["modify_order"],
    ));
    assert_eq!(
        refused(&host),
        "the host would refuse this answer as invalid_output: action `add_fee` needs scope `add_fee`, which the plugin was not granted"
    );
    let granted = TestHost::new()
        .with_config("typed", "add_fee")
        .with_scopes(["modify_order"])
        .with_shop(Shop::installed("shopify", "s.myshopify.com", ["add_fee"]));
    run_event::<Scripted>(&fixture("order_submitted_us"), &granted).unwrap();
    let nothing = TestHost::new()
        .with_config("typed", "add_fee")
        .with_shop(Shop::installed(
            "shopify",
            "s.myshopify.com",
            Vec::<String>::new(),
        ));
    assert!(refused(&nothing).ends_with("which the plugin was not granted"));

    // ... a shop the plugin is not installed on does not.
    let not_installed = TestHost::new()
        .with_config("typed", "add_fee")
        .with_scopes(["add_fee"])
        .with_shop(Shop::not_installed("shopify", "s.myshopify.com"));
    run_event::<Scripted>(&fixture("order_submitted_us"), &not_installed).unwrap();
}

#[test]
fn unknown_types_need_extra_action_types() {
    let host = answering(json!([["add_note", {"note": "x"}], ["Brand_New_Action", {"a": 1}]]));
    assert_eq!(
        refused(&host),
        "the host would refuse this answer as invalid_output: action `brand_new_action` is not a known Bold action (allow it in the manifest's `extra_action_types`)"
    );
    let allowed = host.with_extra_action_types(["brand_new_action"]);
    assert_actions!(
        run_event::<Scripted>(&fixture("initialize_checkout"), &allowed).unwrap(),
        [{"type": "add_note", "data": {"note": "x"}}, {"type": "brand_new_action", "data": {"a": 1}}]
    );
    // With scopes declared, an extra type needs the scope of its name.
    let scoped = allowed.with_scopes(["modify_order"]);
    assert_eq!(
        refused(&scoped),
        "the host would refuse this answer as invalid_output: action `brand_new_action` needs scope `brand_new_action`, which the plugin was not granted"
    );

    let bad_name = answering(json!([["add note", {}]]));
    assert_eq!(
        refused(&bad_name),
        "the host would refuse this answer as invalid_output: action type \"add note\" is not a valid name"
    );
    let not_object = answering(json!([["discount_cart", [1]]]));
    assert_eq!(
        refused(&not_object),
        "the host would refuse this answer as invalid_output: action `discount_cart`: data is not a JSON object"
    );
}

#[test]
fn answers_over_the_output_limit_fail() {
    assert_eq!(DEFAULT_OUTPUT_LIMIT, 256 * 1024);
    assert_eq!(TestHost::new().policy().output_limit, DEFAULT_OUTPUT_LIMIT);
    let big = "x".repeat(DEFAULT_OUTPUT_LIMIT as usize);
    let host = answering(json!([["add_note", {"note": big}]]));
    let message = refused(&host);
    assert!(
        message
            .starts_with("the host would refuse this answer as output_limit: answer of at least "),
        "{message}"
    );
    assert!(
        message.ends_with(" bytes is over the limit of 262144 bytes"),
        "{message}"
    );

    // The whole response counts, not only the strings.
    let note = || Action::add_note("12345");
    let body = check_actions(&[note()], &TestHost::new().policy()).unwrap();
    let exact = TestHost::new().with_output_limit(body.len() as u64);
    assert_eq!(check_actions(&[note()], &exact.policy()).unwrap(), body);
    let under = TestHost::new().with_output_limit(body.len() as u64 - 1);
    assert_eq!(
        check_actions(&[note()], &under.policy())
            .unwrap_err()
            .to_string(),
        format!(
            "output_limit: answer of at least {} bytes is over the limit of {} bytes",
            body.len(),
            body.len() - 1
        )
    );
    // The host's first check: the strings alone are over the limit.
    let tiny = TestHost::new().with_output_limit(4);
    assert_eq!(
        check_actions(&[note()], &tiny.policy())
            .unwrap_err()
            .to_string(),
        "output_limit: answer of at least 5 bytes is over the limit of 4 bytes"
    );
    let host = answering(json!([["add_note", {"note": "hi"}]])).with_output_limit(10);
    assert!(refused(&host).contains("as output_limit: "));
}

#[test]
fn generic_actions_cross_the_boundary_as_the_host_sees_them() {
    // A generic variant built by hand keeps its case; the host lowercases.
    let raw = Action::Generic {
        action_type: "ADD_NOTE".into(),
        data: json!({"note": "hi"}),
    };
    assert_eq!(host_wire(&raw).unwrap().action_type, "add_note");
    let body = check_actions(&[raw], &TestHost::new().policy()).unwrap();
    assert!(body.contains(r#""type":"add_note""#), "{body}");

    // Data nested deeper than the host's JSON parser allows.
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let refusal = check_actions(
        &[
            Action::add_note("a"),
            Action::generic("discount_cart", json!({"d": deep})),
        ],
        &TestHost::new().policy(),
    )
    .unwrap_err();
    assert_eq!(refusal.kind, "invalid_output");
    assert_eq!(refusal.action, Some(1));
    assert!(
        refusal
            .reason
            .starts_with("action `discount_cart`: data is not JSON (recursion limit exceeded"),
        "{refusal}"
    );

    // Typed actions: the SDK's own wire form.
    for name in ["add_fee", "add_note", "override_inventory"] {
        assert_eq!(host_wire(&typed(name)).unwrap(), typed(name).to_wire());
    }
}

#[test]
fn override_answers_must_be_json_within_the_limit() {
    let host = TestHost::new().with_config("override", r#"{"items":[]}"#);
    assert_eq!(
        run_override::<Scripted>("inventory", "{}", &host).unwrap(),
        r#"{"items":[]}"#
    );
    let text = TestHost::new().with_config("override", "in stock");
    let message = panic_message(|| {
        let _ = run_override::<Scripted>("inventory", "{}", &text);
    });
    assert_eq!(
        message,
        "the host would refuse this answer as invalid_output: override answer is not JSON (expected value at line 1 column 1)"
    );
    let small = host.with_output_limit(5);
    let message = panic_message(|| {
        let _ = run_override::<Scripted>("inventory", "{}", &small);
    });
    assert_eq!(
        message,
        "the host would refuse this answer as output_limit: answer of at least 12 bytes is over the limit of 5 bytes"
    );
    assert!(check_override("[1]", &TestHost::new().policy()).is_ok());
    assert!(matches!(
        run_override::<Scripted>("inventory", "{}", &TestHost::new()),
        Err(HandlerError::Unsupported)
    ));
}
