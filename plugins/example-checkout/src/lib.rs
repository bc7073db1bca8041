//! Bold's example checkout plugin, as a WebAssembly component.
//!
//! # Behaviour
//! - `initialize_checkout` → `override_inventory` with url
//!   `<public_url>/overrides/inventory`, then `add_note` with
//!   `"Plugin initialized order <order.public_order_id>"`. Only
//!   `order.public_order_id` is decoded (with [`Event::pointer`]), which
//!   keeps the fuel low.
//! - `order_submitted` whose `customer.shipping.country_code` is `US`
//!   (case-insensitive) → `add_fee` {id `fee-1`, line_text `Cross-border
//!   shipping`, fee_type `fixed`, taxable, value 1500}; otherwise nothing.
//! - Any other event → no actions.
//! - Override `inventory`: the body `{type, items: [{…, quantity}]}` comes
//!   back as is, each item given `available_quantity` = config `stock`.
//!   Other override kinds → unsupported.
//! - Webhook `orders` (Bold's order stream: `data.type` is `processed`,
//!   `created`, `fulfilled` or `failed`): logs the type at info (an unknown
//!   type at warn) and answers OK. Other topics → unsupported.
//!
//! # Config
//! - `public_url`: where the host serves this plugin; default
//!   `http://localhost:8080/plugins/example-checkout` (the host hands it in).
//! - `stock`: the `available_quantity` the inventory override reports;
//!   default 100. A value that is not an integer fails the call.

use plugin_sdk::serde_json::{self, Value};
use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, Id};

/// `public_url` when the host does not hand one in (as under `invoke`).
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080/plugins/example-checkout";
/// `stock` when it is not configured.
pub const DEFAULT_STOCK: i64 = 100;
/// The order stream's known `data.type` values.
pub const ORDER_WEBHOOK_TYPES: [&str; 4] = ["processed", "created", "fulfilled", "failed"];

/// The plugin.
#[derive(Debug)]
pub struct ExampleCheckout;

impl CheckoutPlugin for ExampleCheckout {
    fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        match event.name() {
            "initialize_checkout" => initialize_checkout(event, host),
            "order_submitted" => order_submitted(event),
            _ => Ok(vec![]),
        }
    }

    fn handle_override(kind: &str, body: &str, host: &dyn Host) -> Result<String, HandlerError> {
        match kind {
            "inventory" => inventory(body, host),
            _ => Err(HandlerError::Unsupported),
        }
    }

    fn handle_webhook(topic: &str, body: &str, host: &dyn Host) -> Result<(), HandlerError> {
        match topic {
            "orders" => order_webhook(body, host),
            _ => Err(HandlerError::Unsupported),
        }
    }
}

fn initialize_checkout(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
    let public_url = host
        .config("public_url")
        .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned());
    let public_url = public_url.trim().trim_end_matches('/');
    let order_id = event
        .pointer::<Id>("/order/public_order_id")?
        .map(|id| id.to_string())
        .unwrap_or_default();
    Ok(vec![
        Action::override_inventory(format!("{public_url}/overrides/inventory")),
        Action::add_note(format!("Plugin initialized order {order_id}")),
    ])
}

fn order_submitted(event: &Event) -> Result<Vec<Action>, HandlerError> {
    let customer = event.customer()?;
    if customer
        .shipping
        .country_code
        .trim()
        .eq_ignore_ascii_case("US")
    {
        Ok(vec![Action::add_fee(
            "fee-1",
            "Cross-border shipping",
            "fixed",
            true,
            1500,
        )])
    } else {
        Ok(vec![])
    }
}

fn inventory(body: &str, host: &dyn Host) -> Result<String, HandlerError> {
    let stock: i64 = host.config_or("stock", DEFAULT_STOCK)?;
    let mut request: Value = serde_json::from_str(body)
        .map_err(|e| HandlerError::invalid_input(format!("body: {e}")))?;
    let items = match request.get_mut("items") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(HandlerError::invalid_input("items: not a list")),
        None => return Err(HandlerError::invalid_input("items: missing")),
    };
    for (i, item) in items.iter_mut().enumerate() {
        let Value::Object(item) = item else {
            return Err(HandlerError::invalid_input(format!(
                "items[{i}]: not an object"
            )));
        };
        item.insert("available_quantity".to_owned(), stock.into());
    }
    Ok(request.to_string())
}

fn order_webhook(body: &str, host: &dyn Host) -> Result<(), HandlerError> {
    let body: Value = serde_json::from_str(body)
        .map_err(|e| HandlerError::invalid_input(format!("body: {e}")))?;
    let kind = body
        .pointer("/data/type")
        .and_then(Value::as_str)
        .ok_or_else(|| HandlerError::invalid_input("data.type: missing"))?;
    if ORDER_WEBHOOK_TYPES.contains(&kind) {
        host.log(plugin_sdk::Level::Info, "order webhook", &[("type", kind)]);
    } else {
        host.log(
            plugin_sdk::Level::Warn,
            "order webhook of unknown type",
            &[("type", kind)],
        );
    }
    Ok(())
}

plugin_sdk::export_checkout_plugin!(ExampleCheckout);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use plugin_sdk::testing::{
        TestHost, fixture, fixture_names, fixture_with, run_event, run_override, run_webhook,
    };
    use plugin_sdk::{Level, assert_actions};
    use serde_json::json;

    const ORDER_ID: &str = "lakjfoihiuh223u82989vhsinvd0s9f8";

    /// The scopes `examples/example-checkout/plugin.toml` declares: the
    /// host refuses an answer with an action outside them.
    const MANIFEST_SCOPES: [&str; 3] = ["provide_shipping_rates", "modify_order", "add_fee"];

    /// Runs the handler, its answer checked as the host checks it with the
    /// example manifest.
    fn run(event: &Event) -> Vec<Action> {
        let host = TestHost::new().with_scopes(MANIFEST_SCOPES);
        run_event::<ExampleCheckout>(event, &host).expect("handler succeeds")
    }

    #[test]
    fn initialize_checkout_registers_inventory_override_and_note() {
        let actions = run(&fixture("initialize_checkout"));
        assert_actions!(actions, [
            {"type": "override_inventory", "data": {"url": "http://localhost:8080/plugins/example-checkout/overrides/inventory"}},
            {"type": "add_note", "data": {"note": format!("Plugin initialized order {ORDER_ID}")}},
        ]);
    }

    #[test]
    fn initialize_checkout_uses_public_url_config() {
        for url in [
            "https://plugins.example.com/p/x",
            "https://plugins.example.com/p/x/",
        ] {
            let host = TestHost::new().with_config("public_url", url);
            let actions = run_event::<ExampleCheckout>(&fixture("initialize_checkout"), &host)
                .expect("handler succeeds");
            assert_eq!(
                actions[0],
                Action::override_inventory("https://plugins.example.com/p/x/overrides/inventory")
            );
        }
    }

    #[test]
    fn initialize_checkout_tolerates_missing_or_odd_order() {
        let no_order = fixture_with("initialize_checkout", |b| {
            b.as_object_mut().map(|o| o.remove("order"));
        });
        let php_order = fixture_with("initialize_checkout", |b| b["order"] = json!([]));
        let numeric_id = fixture_with("initialize_checkout", |b| {
            b["order"]["public_order_id"] = json!(42)
        });
        assert_eq!(
            run(&no_order)[1],
            Action::add_note("Plugin initialized order ")
        );
        assert_eq!(
            run(&php_order)[1],
            Action::add_note("Plugin initialized order ")
        );
        assert_eq!(
            run(&numeric_id)[1],
            Action::add_note("Plugin initialized order 42")
        );
    }

    #[test]
    fn initialize_checkout_does_not_decode_the_cart() {
        // A cart of the wrong shape would fail `event.cart()`; the handler
        // never looks at it.
        let event = fixture_with("initialize_checkout", |b| b["cart"] = json!("not a cart"));
        assert_eq!(run(&event).len(), 2);
    }

    #[test]
    fn order_submitted_us_adds_cross_border_fee() {
        let actions = run(&fixture("order_submitted_us"));
        assert_actions!(actions, [{"type": "add_fee", "data": {
            "id": "fee-1", "line_text": "Cross-border shipping", "fee_type": "fixed",
            "taxable": true, "value": 1500, "is_amendment": false,
        }}]);
    }

    #[test]
    fn order_submitted_elsewhere_adds_nothing() {
        for shipping in [
            json!({"country_code": "CA"}),
            json!([]),
            json!(null),
            json!({}),
        ] {
            let event = fixture_with("order_submitted_us", |b| {
                b["customer"]["shipping"] = shipping.clone();
            });
            assert_actions!(run(&event), []);
        }
        let no_customer = fixture_with("order_submitted_us", |b| b["customer"] = json!([]));
        assert_actions!(run(&no_customer), []);
    }

    #[test]
    fn order_submitted_with_bad_customer_is_invalid_input() {
        let event = fixture_with("order_submitted_us", |b| b["customer"] = json!(7));
        let err = run_event::<ExampleCheckout>(&event, &TestHost::new()).unwrap_err();
        assert!(matches!(err, HandlerError::InvalidInput(m) if m.starts_with("customer: ")));
    }

    #[test]
    fn other_events_get_no_actions() {
        assert_actions!(run(&fixture("app_hook")), []);
        let unknown = fixture_with("app_hook", |b| b["event"] = json!("order_changed"));
        assert_actions!(run(&unknown), []);
        for name in fixture_names() {
            run(&fixture(name));
        }
    }

    #[test]
    fn inventory_override_answers_available_quantity() {
        let body = json!({"type": "inventory", "items": [
            {"platform_variant_id": 9153875214378_i64, "sku": "MUG-RED", "quantity": 2},
            {"platform_variant_id": "9153875214379", "quantity": 1},
        ]});
        let host = TestHost::new().with_config("stock", "5");
        let answer =
            run_override::<ExampleCheckout>("inventory", &body.to_string(), &host).unwrap();
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(
            answer,
            json!({"type": "inventory", "items": [
                {"platform_variant_id": 9153875214378_i64, "sku": "MUG-RED", "quantity": 2, "available_quantity": 5},
                {"platform_variant_id": "9153875214379", "quantity": 1, "available_quantity": 5},
            ]})
        );
    }

    #[test]
    fn inventory_override_defaults_and_errors() {
        let host = TestHost::new();
        let answer = run_override::<ExampleCheckout>(
            "inventory",
            r#"{"type":"x","items":[{"quantity":1}]}"#,
            &host,
        )
        .unwrap();
        assert!(answer.contains(r#""available_quantity":100"#));
        let empty = run_override::<ExampleCheckout>("inventory", r#"{"items":[]}"#, &host).unwrap();
        assert_eq!(empty, r#"{"items":[]}"#);

        for bad in [
            "",
            "[]",
            r#"{"items": {}}"#,
            r#"{"type": "x"}"#,
            r#"{"items": [1]}"#,
        ] {
            let err = run_override::<ExampleCheckout>("inventory", bad, &host).unwrap_err();
            assert!(matches!(err, HandlerError::InvalidInput(_)), "{bad}: {err}");
        }
        let bad_stock = TestHost::new().with_config("stock", "many");
        let err = run_override::<ExampleCheckout>("inventory", r#"{"items":[]}"#, &bad_stock)
            .unwrap_err();
        assert!(matches!(err, HandlerError::Failed(m) if m.contains("stock")));
    }

    #[test]
    fn other_overrides_are_unsupported() {
        let err = run_override::<ExampleCheckout>("shipping", "{}", &TestHost::new()).unwrap_err();
        assert_eq!(err, HandlerError::Unsupported);
    }

    #[test]
    fn order_webhook_logs_type() {
        for kind in ORDER_WEBHOOK_TYPES {
            let host = TestHost::new();
            let body = json!({"data": {"type": kind, "id": 1}}).to_string();
            run_webhook::<ExampleCheckout>("orders", &body, &host).unwrap();
            let logs = host.logs();
            assert_eq!(logs.len(), 1);
            assert_eq!(logs[0].level, Level::Info);
            assert_eq!(logs[0].fields, vec![("type".to_owned(), kind.to_owned())]);
        }
        let host = TestHost::new();
        run_webhook::<ExampleCheckout>("orders", r#"{"data":{"type":"refunded"}}"#, &host).unwrap();
        assert_eq!(host.logs()[0].level, Level::Warn);
    }

    #[test]
    fn webhook_errors() {
        let host = TestHost::new();
        assert_eq!(
            run_webhook::<ExampleCheckout>("products", "{}", &host),
            Err(HandlerError::Unsupported)
        );
        for bad in ["", "{}", r#"{"data": {"type": 1}}"#] {
            assert!(matches!(
                run_webhook::<ExampleCheckout>("orders", bad, &host),
                Err(HandlerError::InvalidInput(_))
            ));
        }
    }
}
