//! The example plugins, built as real components, answer every Bold fixture
//! with the expected actions.

use plugin_host::dispatch::{Answer, CheckedPlugin};
use plugin_host::fault::FaultKind;
use plugin_host::runtime::{Call, Invocation};
use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP};
use plugin_tests::support::{
    expected_example_checkout, expected_gift_wrap, fixture_body, fixture_names, load, settings,
};
use serde_json::{Value, json};

async fn run_event(plugin: &CheckedPlugin, name: &str, body: &str) -> Invocation<Answer> {
    plugin
        .invoke(&Call::Event {
            name: name.to_owned(),
            body: body.to_owned(),
        })
        .await
}

async fn actions(component: &str, config: &[(&str, &str)], fixture_name: &str) -> Value {
    let plugin = load(component, settings("plugin", config));
    let body = fixture_body(fixture_name);
    let name = plugin_host::cli::invoke::event_name(&body).expect("fixture has an event name");
    let invocation = plugin
        .invoke(&Call::Event {
            name: name.to_owned(),
            body: body.to_owned(),
        })
        .await;
    match invocation.outcome {
        Ok(Answer::Checkout { body, .. }) => {
            let response: Value = serde_json::from_str(&body).expect("response is JSON");
            assert_eq!(response["success"], json!(true));
            response["actions"].clone()
        }
        other => panic!("{component} on {fixture_name}: {other:?}"),
    }
}

#[tokio::test]
async fn example_checkout_answers_every_fixture() {
    let names = fixture_names();
    assert_eq!(names.len(), 3, "fixtures: {names:?}");
    for name in &names {
        assert_eq!(
            actions(EXAMPLE_CHECKOUT, &[], name).await,
            expected_example_checkout(name),
            "fixture {name}"
        );
    }
}

#[tokio::test]
async fn gift_wrap_answers_every_fixture() {
    for name in &fixture_names() {
        assert_eq!(
            actions(GIFT_WRAP, &[], name).await,
            expected_gift_wrap(name),
            "fixture {name}"
        );
    }
}

#[tokio::test]
async fn plugins_read_their_config_through_the_import() {
    let example = actions(
        EXAMPLE_CHECKOUT,
        &[(
            "public_url",
            "https://plugins.example.com/plugins/example-checkout",
        )],
        "initialize_checkout",
    )
    .await;
    assert_eq!(
        example[0]["data"]["url"],
        json!("https://plugins.example.com/plugins/example-checkout/overrides/inventory")
    );

    let gift = actions(
        GIFT_WRAP,
        &[("variant_id", "42"), ("price", "750")],
        "order_submitted_us",
    )
    .await;
    assert_eq!(gift[0]["data"]["platform_variant_id"], json!(42));
    assert_eq!(gift[0]["data"]["line_item_key"], json!("gift-wrap:42"));
    assert_eq!(gift[0]["data"]["price"], json!(750));
}

#[tokio::test]
async fn a_bad_config_value_is_a_handler_error() {
    let plugin = load(GIFT_WRAP, settings("gift-wrap", &[("price", "cheap")]));
    let body = fixture_body("order_submitted_us");
    let invocation = run_event(&plugin, "order_submitted", &body).await;
    let fault = invocation.outcome.expect_err("bad config must fail");
    assert_eq!(fault.kind, FaultKind::HandlerError);
    assert!(fault.reason.contains("price"), "{fault}");
}

#[tokio::test]
async fn example_checkout_answers_the_inventory_override() {
    let plugin = load(
        EXAMPLE_CHECKOUT,
        settings("example-checkout", &[("stock", "7")]),
    );
    let body = json!({"type": "inventory", "items": [
        {"platform_variant_id": 1, "quantity": 2, "sku": "A"},
        {"platform_variant_id": 2, "quantity": 9},
    ]})
    .to_string();
    let invocation = plugin
        .invoke(&Call::Override {
            kind: "inventory".to_owned(),
            body: body.to_owned(),
        })
        .await;
    let Ok(Answer::Override(answer)) = invocation.outcome else {
        panic!("override failed: {:?}", invocation.outcome);
    };
    let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
    assert_eq!(answer["items"][0]["available_quantity"], json!(7));
    assert_eq!(answer["items"][0]["sku"], json!("A"));
    assert_eq!(answer["items"][1]["available_quantity"], json!(7));
    assert_eq!(answer["items"][1]["quantity"], json!(9));

    let other = plugin
        .invoke(&Call::Override {
            kind: "shipping".to_owned(),
            body: body.to_owned(),
        })
        .await;
    assert_eq!(
        other.outcome.expect_err("unsupported").kind,
        FaultKind::Unsupported
    );
}

#[tokio::test]
async fn actions_outside_the_granted_scopes_make_the_answer_invalid() {
    let mut scoped = settings("example-checkout", &[]);
    scoped.scopes = Some(["modify_order".to_owned()].into());
    let plugin = load(EXAMPLE_CHECKOUT, scoped);
    let body = fixture_body("initialize_checkout");
    let invocation = run_event(&plugin, "initialize_checkout", &body).await;
    let fault = invocation
        .outcome
        .expect_err("override_inventory is out of scope");
    assert_eq!(fault.kind, FaultKind::InvalidOutput);
    assert!(fault.reason.contains("provide_shipping_rates"), "{fault}");

    let mut granted = settings("example-checkout", &[]);
    granted.scopes = Some(
        ["modify_order", "provide_shipping_rates"]
            .map(str::to_owned)
            .into(),
    );
    let plugin = load(EXAMPLE_CHECKOUT, granted);
    let invocation = run_event(&plugin, "initialize_checkout", &body).await;
    assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
}

#[tokio::test]
async fn initialize_checkout_stays_far_inside_the_default_fuel() {
    let plugin = load(EXAMPLE_CHECKOUT, settings("example-checkout", &[]));
    let body = fixture_body("initialize_checkout");
    let invocation = run_event(&plugin, "initialize_checkout", &body).await;
    assert!(invocation.outcome.is_ok());
    let report = invocation.report;
    assert!(report.fuel_used > 0);
    assert!(
        report.fuel_used * 20 < report.fuel_limit,
        "fuel {} of {}",
        report.fuel_used,
        report.fuel_limit
    );
}
