//! Gift wrapping: adds a gift-wrap line item when the buyer asks for one.
//!
//! # Behaviour
//! On `initialize_checkout` and `order_submitted`: when gift wrapping is
//! requested —
//! - some line item has the property `gift_wrap` = `yes` (case-insensitive),
//!   or
//! - the cart attribute `gift_wrap` is set (present and not `null`, `""`,
//!   `false`, `[]` or `{}`) —
//!
//! and the cart holds no gift-wrap line item yet (one whose `line_item_key`
//! starts with `gift-wrap:`, the key this plugin gives its line items; a
//! product that merely shares the variant id, as in Bold's sample cart, is
//! not gift wrap), it answers one
//! `add_line_item_by_platform_variant` {platform_variant_id: `variant_id`,
//! line_item_key: `gift-wrap:<variant_id>`, quantity 1, price: `price`,
//! properties {}, is_amendment false}. Otherwise, and for every other event,
//! no actions. No overrides, no webhooks.
//!
//! # Config
//! - `variant_id`: the platform variant of the gift-wrap product; a
//!   positive integer, default 9153875214378.
//! - `price`: its unit price in minor units; a non-negative integer,
//!   default 500.
//!
//! A value that does not parse, or is out of range, fails the event with
//! [`HandlerError::Failed`] naming the key.

use plugin_sdk::serde_json::Value;
use plugin_sdk::{Action, Cart, CheckoutPlugin, Event, HandlerError, Host};

/// The start of the `line_item_key` of the line items this plugin adds.
pub const GIFT_WRAP_KEY_PREFIX: &str = "gift-wrap:";
/// `variant_id` when it is not configured.
pub const DEFAULT_VARIANT_ID: i64 = 9_153_875_214_378;
/// `price` when it is not configured.
pub const DEFAULT_PRICE: i64 = 500;

/// The plugin.
#[derive(Debug)]
pub struct GiftWrap;

impl CheckoutPlugin for GiftWrap {
    fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        if !matches!(event.name(), "initialize_checkout" | "order_submitted") {
            return Ok(vec![]);
        }
        let config = Config::from_host(host)?;
        let cart = event.cart()?;
        if wants_gift_wrap(cart) && !has_gift_wrap(cart) {
            Ok(vec![Action::add_line_item_by_platform_variant(
                config.variant_id,
                config.line_item_key(),
                1,
                config.price,
            )])
        } else {
            Ok(vec![])
        }
    }
}

struct Config {
    variant_id: i64,
    price: i64,
}

impl Config {
    fn from_host(host: &dyn Host) -> Result<Config, HandlerError> {
        let variant_id: i64 = host.config_or("variant_id", DEFAULT_VARIANT_ID)?;
        if variant_id <= 0 {
            return Err(HandlerError::failed(format!(
                "config `variant_id`: must be positive, got {variant_id}"
            )));
        }
        let price: i64 = host.config_or("price", DEFAULT_PRICE)?;
        if price < 0 {
            return Err(HandlerError::failed(format!(
                "config `price`: must not be negative, got {price}"
            )));
        }
        Ok(Config { variant_id, price })
    }

    fn line_item_key(&self) -> String {
        format!("{GIFT_WRAP_KEY_PREFIX}{}", self.variant_id)
    }
}

fn wants_gift_wrap(cart: &Cart) -> bool {
    let by_item = cart.line_items.iter().any(|item| {
        item.property("gift_wrap")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    });
    by_item || cart.attributes.get("gift_wrap").is_some_and(is_set)
}

fn is_set(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(true) | Value::Number(_) => true,
    }
}

fn has_gift_wrap(cart: &Cart) -> bool {
    cart.line_items
        .iter()
        .any(|item| item.line_item_key.starts_with(GIFT_WRAP_KEY_PREFIX))
}

plugin_sdk::export_checkout_plugin!(GiftWrap);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use plugin_sdk::assert_actions;
    use plugin_sdk::serde_json::json;
    use plugin_sdk::testing::{
        TestHost, fixture, fixture_names, fixture_with, run_event, run_override, run_webhook,
    };

    fn run(event: &Event, host: &TestHost) -> Vec<Action> {
        run_event::<GiftWrap>(event, host).unwrap()
    }

    /// The scopes `examples/gift-wrap/plugin.toml` declares: the host
    /// refuses an answer with an action outside them.
    const MANIFEST_SCOPES: [&str; 1] = ["add_cart_item"];

    #[test]
    fn every_answer_is_within_the_manifests_scopes() {
        let host = TestHost::new().with_scopes(MANIFEST_SCOPES);
        assert_eq!(run(&fixture("order_submitted_us"), &host).len(), 1);
        for name in fixture_names() {
            run(&fixture(name), &host);
        }
    }

    /// A non-default gift-wrap variant, to show the config is used.
    fn other_variant() -> TestHost {
        TestHost::new().with_config("variant_id", "777")
    }

    fn gift_wrap_action(variant: i64, price: i64) -> Value {
        json!([{"type": "add_line_item_by_platform_variant", "data": {
            "platform_variant_id": variant,
            "line_item_key": format!("gift-wrap:{variant}"),
            "quantity": 1,
            "price": price,
            "properties": {},
            "is_amendment": false,
        }}])
    }

    #[test]
    fn order_submitted_with_gift_wrap_property_adds_line_item() {
        let actions = run(&fixture("order_submitted_us"), &other_variant());
        plugin_sdk::testing::assert_actions(&actions, &gift_wrap_action(777, 500));
    }

    #[test]
    fn initialize_checkout_behaves_like_order_submitted() {
        let event = fixture_with("order_submitted_us", |b| {
            b["event"] = json!("initialize_checkout")
        });
        let actions = run(&event, &other_variant());
        plugin_sdk::testing::assert_actions(&actions, &gift_wrap_action(777, 500));
    }

    #[test]
    fn price_is_configurable() {
        let host = other_variant().with_config("price", " 250 ");
        let actions = run(&fixture("order_submitted_us"), &host);
        plugin_sdk::testing::assert_actions(&actions, &gift_wrap_action(777, 250));
    }

    #[test]
    fn default_config_adds_the_default_variant() {
        // The sample's first line item (a mug) shares the default variant id:
        // only the line item key marks a gift-wrap item.
        let actions = run(&fixture("order_submitted_us"), &TestHost::new());
        plugin_sdk::testing::assert_actions(
            &actions,
            &gift_wrap_action(DEFAULT_VARIANT_ID, DEFAULT_PRICE),
        );
    }

    #[test]
    fn gift_wrap_line_item_key_already_in_cart_adds_nothing() {
        let event = fixture_with("order_submitted_us", |b| {
            b["cart"]["line_items"][0]["line_item_key"] = json!("gift-wrap:777");
        });
        assert_actions!(run(&event, &other_variant()), []);
    }

    #[test]
    fn a_gift_wrap_item_of_another_variant_still_counts() {
        let event = fixture_with("order_submitted_us", |b| {
            b["cart"]["line_items"][0]["line_item_key"] = json!("gift-wrap:12");
        });
        assert_actions!(run(&event, &other_variant()), []);
    }

    #[test]
    fn no_request_adds_nothing() {
        for value in [json!("no"), json!(""), json!(null)] {
            let event = fixture_with("order_submitted_us", |b| {
                b["cart"]["line_items"][1]["properties"]["gift_wrap"] = value.clone();
            });
            assert_actions!(run(&event, &other_variant()), []);
        }
        let php_props = fixture_with("order_submitted_us", |b| {
            b["cart"]["line_items"][1]["properties"] = json!([]);
        });
        assert_actions!(run(&php_props, &other_variant()), []);
    }

    #[test]
    fn property_value_is_case_insensitive() {
        let event = fixture_with("order_submitted_us", |b| {
            b["cart"]["line_items"][1]["properties"]["gift_wrap"] = json!(" YES ");
        });
        assert_eq!(run(&event, &other_variant()).len(), 1);
    }

    #[test]
    fn cart_attribute_requests_gift_wrap() {
        for value in [
            json!("yes"),
            json!("1"),
            json!(true),
            json!(1),
            json!({"note": "x"}),
        ] {
            let event = fixture_with("initialize_checkout", |b| {
                b["cart"]["attributes"] = json!({ "gift_wrap": value.clone() });
            });
            let actions = run(&event, &TestHost::new());
            plugin_sdk::testing::assert_actions(
                &actions,
                &gift_wrap_action(DEFAULT_VARIANT_ID, DEFAULT_PRICE),
            );
        }
        for value in [json!(""), json!(null), json!(false), json!([]), json!({})] {
            let event = fixture_with("initialize_checkout", |b| {
                b["cart"]["attributes"] = json!({ "gift_wrap": value.clone() });
            });
            assert_actions!(run(&event, &TestHost::new()), []);
        }
    }

    #[test]
    fn empty_carts_add_nothing() {
        // initialize_checkout and app_hook samples: line_items [[]], attributes [].
        assert_actions!(run(&fixture("initialize_checkout"), &TestHost::new()), []);
        for cart in [json!([]), json!(null), json!({}), json!({"line_items": {}})] {
            let event = fixture_with("order_submitted_us", |b| b["cart"] = cart.clone());
            assert_actions!(run(&event, &other_variant()), []);
        }
    }

    #[test]
    fn other_events_add_nothing() {
        assert_actions!(run(&fixture("app_hook"), &other_variant()), []);
        let event = fixture_with("order_submitted_us", |b| {
            b["event"] = json!("order_changed")
        });
        assert_actions!(run(&event, &other_variant()), []);
        for name in fixture_names() {
            run(&fixture(name), &TestHost::new());
        }
    }

    #[test]
    fn other_events_ignore_bad_config() {
        let host = TestHost::new().with_config("price", "free");
        assert_actions!(run(&fixture("app_hook"), &host), []);
    }

    #[test]
    fn bad_config_fails() {
        for (key, value) in [
            ("variant_id", "gift"),
            ("variant_id", "0"),
            ("variant_id", "-3"),
            ("price", "5.00"),
            ("price", "-1"),
        ] {
            let host = TestHost::new().with_config(key, value);
            let err = run_event::<GiftWrap>(&fixture("order_submitted_us"), &host).unwrap_err();
            assert!(
                matches!(&err, HandlerError::Failed(m) if m.contains(key)),
                "{key}={value}: {err}"
            );
        }
    }

    #[test]
    fn bad_cart_is_invalid_input() {
        let event = fixture_with("order_submitted_us", |b| b["cart"]["line_items"] = json!(3));
        let err = run_event::<GiftWrap>(&event, &other_variant()).unwrap_err();
        assert!(matches!(err, HandlerError::InvalidInput(m) if m.starts_with("cart: ")));
    }

    #[test]
    fn overrides_and_webhooks_are_unsupported() {
        let host = TestHost::new();
        assert_eq!(
            run_override::<GiftWrap>("inventory", "{}", &host),
            Err(HandlerError::Unsupported)
        );
        assert_eq!(
            run_webhook::<GiftWrap>("orders", "{}", &host),
            Err(HandlerError::Unsupported)
        );
    }
}
