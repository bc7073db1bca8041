//! Decoding events: Bold's fixtures and PHP-flavoured edge cases.
//!
//! Why one file: every accessor of `Event` against the same fixtures and the
//! same lenient rules, read together.
#![allow(clippy::unwrap_used)]

use plugin_sdk::serde_json::{self, Value, json};
use plugin_sdk::testing::{fixture, fixture_json, fixture_names, fixture_with, load_event};
use plugin_sdk::{Cart, Customer, Event, HandlerError, Id, LineItem, Order};

/// Calls every accessor; panics on the first error.
fn decode_all(event: &Event) {
    event.cart().unwrap();
    event.customer().unwrap();
    event.order().unwrap();
    event.cart_params().unwrap();
    event.properties().unwrap();
    event.order_id().unwrap();
    event.idempotent_key().unwrap();
    event.language_iso().unwrap();
    event.shipping_lines().unwrap();
    event.tax_lines().unwrap();
    event.discount_lines().unwrap();
    event.hook().unwrap();
}

#[test]
fn every_fixture_decodes_fully() {
    let names: Vec<_> = fixture_names().collect();
    assert_eq!(
        names,
        ["initialize_checkout", "order_submitted_us", "app_hook"]
    );
    for name in names {
        let event = fixture(name);
        decode_all(&event);
        // Twice: the cached values are returned.
        decode_all(&event);
    }
}

#[test]
fn fixture_files_on_disk_decode_fully() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            decode_all(&load_event(&path).unwrap());
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
}

#[test]
fn initialize_checkout_fixture_values() {
    let event = fixture("initialize_checkout");
    assert_eq!(event.name(), "initialize_checkout");
    assert_eq!(event.body(), fixture_json("initialize_checkout").unwrap());

    let cart = event.cart().unwrap();
    assert!(cart.line_items.is_empty(), "[[]] is no line items");
    assert!(cart.attributes.is_empty(), "[] is no attributes");
    assert_eq!(cart.requires_shipping, None);
    assert_eq!(cart.subtotal, 2468);
    assert_eq!(cart.item_count, 2);
    assert_eq!(cart.bold_cart_id, Some(Id::Int(145)));
    assert_eq!(cart.cart_token, "19ef770ca493359fb7cfb955e76e1da9");

    let customer = event.customer().unwrap();
    assert_eq!(customer.core_info.email, "bold.mcboldstein@example.com");
    assert_eq!(customer.core_info.customer_id, Some(Id::Int(1234)));
    assert_eq!(customer.core_info.accepts_marketing, Some(false));
    assert_eq!(customer.shipping.country_code, "CA");
    assert_eq!(customer.shipping.province_code, "MB");
    assert_eq!(customer.billing.phone, "1 (800) 555-0101");
    assert!(customer.addresses.is_empty());

    let order = event.order().unwrap();
    assert_eq!(order.public_order_id, "lakjfoihiuh223u82989vhsinvd0s9f8");
    assert_eq!(order.currency, "SEK");
    assert_eq!(order.exchange_rate, "1.000000000000");
    assert_eq!(order.order_total, 2468);
    assert_eq!(
        order.customer.public_customer_id,
        Some(Id::Int(22345345346))
    );
    assert!(order.customer.core_info == Default::default());
    assert!(order.customer.shipping_address.is_empty());
    assert!(order.customer.billing_address.is_empty());
    assert_eq!(order.fees.len(), 1);
    assert_eq!(order.fees[0].line_text, "Gift wrapping");
    assert_eq!(order.fees[0].value, 150);
    assert_eq!(order.fees[0].taxable, Some(false));
    assert_eq!(order.shipping.len(), 1);
    assert_eq!(order.shipping[0].line_text, "Express Rate");
    assert_eq!(order.shipping[0].price, 5000);
    assert_eq!(order.shipping[0].extra["code:"], "Express Rate");
    assert_eq!(order.extra["note_attributes"], json!([]));
    assert_eq!(order.extra["tags"], json!([]));

    assert!(event.cart_params().unwrap().is_empty());
    assert!(event.properties().unwrap().is_empty());
    assert_eq!(event.order_id().unwrap(), Some(&Id::Int(145)));
    assert_eq!(event.idempotent_key().unwrap(), None);
    assert_eq!(event.language_iso().unwrap(), Some("fr"));
    assert!(event.shipping_lines().unwrap().is_empty());
    assert!(event.tax_lines().unwrap().is_empty());
    assert!(event.discount_lines().unwrap().is_empty());
    assert_eq!(event.hook().unwrap(), None);
}

#[test]
fn order_submitted_fixture_values() {
    let event = fixture("order_submitted_us");
    let cart = event.cart().unwrap();
    assert_eq!(cart.line_items.len(), 2);
    let red = &cart.line_items[0];
    assert_eq!(red.id, Some(Id::Str("li-1".into())));
    assert_eq!(red.platform_id, Some(Id::Str("9153875214378".into())));
    assert_eq!(red.platform_variant_id, Some(Id::Int(9153875214378)));
    assert_eq!(red.platform_product_id, Some(Id::Int(7150011200001)));
    assert_eq!(red.sku, "MUG-RED");
    assert_eq!(red.title, "Red Mug");
    assert_eq!(red.variant_title, "Red");
    assert_eq!((red.quantity, red.price, red.weight), (1, 1234, 350));
    assert_eq!(red.requires_shipping, Some(true));
    assert_eq!(red.taxable, Some(true));
    assert!(red.properties.is_empty());
    assert_eq!(cart.line_items[1].property("gift_wrap"), Some("yes"));
    assert_eq!(event.customer().unwrap().shipping.country_code, "US");
}

#[test]
fn app_hook_fixture_values() {
    let event = fixture("app_hook");
    assert_eq!(event.name(), "app_hook");
    assert_eq!(event.hook().unwrap(), Some("apply_loyalty_discount"));
}

#[test]
fn new_uses_the_given_name() {
    let event = Event::new("order_changed", fixture_json("app_hook").unwrap()).unwrap();
    assert_eq!(event.name(), "order_changed");
    let nameless = Event::new("x", "{}").unwrap();
    assert_eq!(nameless.name(), "x");
    decode_all(&nameless);
}

#[test]
fn missing_keys_decode_to_defaults() {
    let event = Event::parse(r#"{"event": "initialize_checkout"}"#).unwrap();
    assert_eq!(event.cart().unwrap(), &Cart::default());
    assert_eq!(event.customer().unwrap(), &Customer::default());
    assert_eq!(event.order().unwrap(), &Order::default());
    assert!(event.cart_params().unwrap().is_empty());
    assert!(event.properties().unwrap().is_empty());
    assert_eq!(event.order_id().unwrap(), None);
    assert_eq!(event.idempotent_key().unwrap(), None);
    assert_eq!(event.language_iso().unwrap(), None);
    assert!(event.shipping_lines().unwrap().is_empty());
    assert_eq!(event.field::<Value>("cart").unwrap(), None);
    assert_eq!(
        event.pointer::<String>("/order/public_order_id").unwrap(),
        None
    );
}

#[test]
fn nulls_decode_to_defaults() {
    let body = json!({
        "event": "order_submitted",
        "cart": {
            "requires_shipping": null, "subtotal": null, "attributes": null,
            "line_items": [null, {"title": null, "quantity": null, "price": null,
                                   "properties": null, "requires_shipping": null, "id": null}],
        },
        "cart_params": null, "customer": null, "order": {"customer": null, "fees": null},
        "properties": null, "order_id": null, "idempotent_key": null,
        "shipping_lines": null, "tax_lines": null, "discount_lines": null, "language_iso": null,
    });
    let event = Event::parse(body.to_string()).unwrap();
    decode_all(&event);
    let cart = event.cart().unwrap();
    assert_eq!(cart.requires_shipping, None);
    assert_eq!(cart.subtotal, 0);
    assert_eq!(
        cart.line_items,
        vec![LineItem::default()],
        "null entry skipped"
    );
    let item = &cart.line_items[0];
    assert_eq!(
        (
            item.title.as_str(),
            item.quantity,
            item.price,
            item.id.clone()
        ),
        ("", 0, 0, None)
    );
    assert_eq!(event.customer().unwrap(), &Customer::default());
}

#[test]
fn empty_entries_are_skipped() {
    let body = json!({
        "event": "x",
        "cart": {"line_items": [[], {}, null, {"sku": "A"}, []]},
        "shipping_lines": [[], {"id": 1}],
        "order": {"fees": [[]], "shipping": {}},
        "customer": {"addresses": [[], {"city": "Winnipeg"}]},
    });
    let event = Event::parse(body.to_string()).unwrap();
    let items = &event.cart().unwrap().line_items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].sku, "A");
    // A list entry that is a non-empty list is not a line item.
    let nested = Event::parse(r#"{"event":"x","cart":{"line_items":[[[]]]}}"#).unwrap();
    assert!(nested.cart().is_err());
    assert_eq!(event.shipping_lines().unwrap(), &[json!({"id": 1})]);
    assert!(event.order().unwrap().fees.is_empty());
    assert!(event.order().unwrap().shipping.is_empty());
    let addresses = &event.customer().unwrap().addresses;
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].city, "Winnipeg");
}

#[test]
fn php_list_of_objects_as_object() {
    // A PHP associative array: an object whose values are the entries.
    let body =
        json!({"event": "x", "cart": {"line_items": {"0": {"sku": "A"}, "5": {"sku": "B"}}}});
    let event = Event::parse(body.to_string()).unwrap();
    let skus: Vec<_> = event
        .cart()
        .unwrap()
        .line_items
        .iter()
        .map(|i| i.sku.clone())
        .collect();
    assert_eq!(skus, ["A", "B"]);
}

#[test]
fn empty_objects_as_array_or_object() {
    for empty in [json!([]), json!({}), json!(null)] {
        let body = json!({
            "event": "x",
            "cart": {"attributes": empty, "line_items": [{"properties": empty}]},
            "cart_params": empty,
            "properties": empty,
            "customer": {"core_info": empty, "shipping": empty, "billing": empty},
            "order": {"customer": {"core_info": empty, "shipping_address": empty, "billing_address": empty}},
        });
        let event = Event::parse(body.to_string()).unwrap();
        decode_all(&event);
        let cart = event.cart().unwrap();
        assert!(cart.attributes.is_empty());
        // `[{"properties": {}}]` is a line item with one (empty) field, kept;
        // `[{"properties": []}]` / `null` likewise.
        assert_eq!(cart.line_items.len(), 1);
        assert!(cart.line_items[0].properties.is_empty());
        assert!(event.customer().unwrap().shipping.is_empty());
        assert!(event.order().unwrap().customer.shipping_address.is_empty());
    }
    let whole = Event::parse(r#"{"event":"x","cart":[],"customer":{},"order":null}"#).unwrap();
    decode_all(&whole);
    assert_eq!(whole.cart().unwrap(), &Cart::default());
}

#[test]
fn php_list_as_map_keeps_entries() {
    let event = Event::parse(r#"{"event":"x","cart_params":["a","b"]}"#).unwrap();
    assert_eq!(
        Value::Object(event.cart_params().unwrap().clone()),
        json!({"0": "a", "1": "b"})
    );
}

#[test]
fn ids_as_strings_and_numbers() {
    let body = json!({
        "event": "x",
        "order_id": "145",
        "cart": {"bold_cart_id": "145", "line_items": [
            {"platform_variant_id": "9153875214378", "id": 7},
            {"platform_variant_id": 9153875214378_i64, "id": "li-2"},
            {"platform_variant_id": 18446744073709551615_u64},
            {"platform_variant_id": 12.0},
        ]},
        "order": {"customer": {"public_customer_id": "22345345346", "id": 23}},
    });
    let event = Event::parse(body.to_string()).unwrap();
    assert_eq!(event.order_id().unwrap().and_then(Id::as_i64), Some(145));
    let items = &event.cart().unwrap().line_items;
    let v0 = items[0].platform_variant_id.as_ref().unwrap();
    let v1 = items[1].platform_variant_id.as_ref().unwrap();
    assert_eq!(v0.as_i64(), v1.as_i64());
    assert_eq!(v0.as_str(), Some("9153875214378"));
    assert_eq!(v1.as_str(), None);
    assert!(*v0 == 9153875214378_i64 && *v1 == 9153875214378_i64);
    assert!(*v1 == "9153875214378");
    assert_eq!(v0.to_string(), v1.to_string());
    assert_eq!(items[0].id, Some(Id::Int(7)));
    assert_eq!(items[1].id.as_ref().unwrap().to_text(), "li-2");
    let huge = items[2].platform_variant_id.as_ref().unwrap();
    assert_eq!(huge, &Id::Str("18446744073709551615".into()));
    assert_eq!(huge.as_i64(), None);
    assert_eq!(items[3].platform_variant_id, Some(Id::Int(12)));
    let customer = &event.order().unwrap().customer;
    assert_eq!(
        customer.public_customer_id.as_ref().unwrap().as_i64(),
        Some(22345345346)
    );
    // Ids keep their form when serialised back.
    assert_eq!(serde_json::to_value(v0).unwrap(), json!("9153875214378"));
    assert_eq!(serde_json::to_value(v1).unwrap(), json!(9153875214378_i64));
}

#[test]
fn numbers_as_strings_and_text_as_numbers() {
    let body = json!({
        "event": "x",
        "cart": {"subtotal": "2468", "item_count": " 2 ", "total_weight": 3.0, "cart_token": 12345,
                 "requires_shipping": "1",
                 "line_items": [{"quantity": "3", "price": "", "taxable": 0, "sku": 42}]},
        "customer": {"shipping": {"postal_code": 10001, "phone": null}},
        "language_iso": "en",
        "idempotent_key": 99,
    });
    let event = Event::parse(body.to_string()).unwrap();
    let cart = event.cart().unwrap();
    assert_eq!(
        (cart.subtotal, cart.item_count, cart.total_weight),
        (2468, 2, 3)
    );
    assert_eq!(cart.cart_token, "12345");
    assert_eq!(cart.requires_shipping, Some(true));
    let item = &cart.line_items[0];
    assert_eq!(
        (item.quantity, item.price, item.taxable, item.sku.as_str()),
        (3, 0, Some(false), "42")
    );
    assert_eq!(event.customer().unwrap().shipping.postal_code, "10001");
    assert_eq!(event.idempotent_key().unwrap(), Some("99"));
}

#[test]
fn wrong_shapes_are_invalid_input_naming_the_key() {
    let cases = [
        (json!({"event": "x", "cart": "nope"}), "cart"),
        (json!({"event": "x", "cart": {"subtotal": "lots"}}), "cart"),
        (json!({"event": "x", "cart": {"subtotal": 1.5}}), "cart"),
        (json!({"event": "x", "cart": {"line_items": 3}}), "cart"),
        (json!({"event": "x", "cart": [1]}), "cart"),
        (
            json!({"event": "x", "customer": {"shipping": [1]}}),
            "customer",
        ),
        (
            json!({"event": "x", "order": {"fees": [{"value": true}]}}),
            "order",
        ),
        (json!({"event": "x", "order_id": {"a": 1}}), "order_id"),
        (json!({"event": "x", "properties": 5}), "properties"),
    ];
    for (body, key) in cases {
        let event = Event::parse(body.to_string()).unwrap();
        let err = match key {
            "cart" => event.cart().map(drop),
            "customer" => event.customer().map(drop),
            "order" => event.order().map(drop),
            "order_id" => event.order_id().map(drop),
            _ => event.properties().map(drop),
        }
        .unwrap_err();
        match err {
            HandlerError::InvalidInput(m) => assert!(m.starts_with(&format!("{key}: ")), "{m}"),
            other => panic!("{other:?}"),
        }
        // The other accessors are not affected.
        event.language_iso().unwrap();
    }
}

#[test]
fn body_that_is_not_an_object_is_invalid_input() {
    for body in [
        "",
        "[]",
        "[{\"event\":\"x\"}]",
        "\"x\"",
        "42",
        "null",
        "{",
        "{} {}",
        "{\"a\":}",
    ] {
        let err = Event::new("x", body).unwrap_err();
        assert!(
            matches!(&err, HandlerError::InvalidInput(m) if m.starts_with("body: ")),
            "{body:?}: {err}"
        );
    }
}

#[test]
fn parse_needs_a_string_event_field() {
    assert!(
        matches!(Event::parse("{}"), Err(HandlerError::InvalidInput(m)) if m == "event: missing")
    );
    assert!(
        matches!(Event::parse(r#"{"event": 5}"#), Err(HandlerError::InvalidInput(m)) if m.starts_with("event: "))
    );
    assert_eq!(Event::parse(r#"{"event": "a\"b"}"#).unwrap().name(), "a\"b");
}

#[test]
fn unknown_fields_are_kept_and_round_trip() {
    let body = json!({
        "event": "x",
        "cart": {
            "subtotal": 100, "brand_new": {"nested": [1, 2]},
            "line_items": [{"sku": "A", "discounts": [{"amount": 5}], "properties": {"engraving": "Hi"}}],
        },
        "customer": {"core_info": {"email": "a@b", "loyalty": 3}, "shipping": {"city": "X", "lat": 1.5}},
        "order": {"public_order_id": "p", "note_attributes": [{"name": "n", "value": "v"}],
                  "fees": [{"id": "f", "lineText": "Fee", "value": 1, "extra_fee_field": true}]},
    });
    let event = Event::parse(body.to_string()).unwrap();
    let cart = event.cart().unwrap();
    assert_eq!(cart.extra["brand_new"], json!({"nested": [1, 2]}));
    assert_eq!(
        cart.line_items[0].extra["discounts"],
        json!([{"amount": 5}])
    );
    assert_eq!(cart.line_items[0].property("engraving"), Some("Hi"));
    let customer = event.customer().unwrap();
    assert_eq!(customer.core_info.extra["loyalty"], 3);
    assert_eq!(customer.shipping.extra["lat"], 1.5);
    let order = event.order().unwrap();
    assert_eq!(order.fees[0].extra["extra_fee_field"], true);

    // Serialise back and decode again: nothing lost.
    let cart_json = serde_json::to_value(cart).unwrap();
    assert_eq!(cart_json["brand_new"], json!({"nested": [1, 2]}));
    assert_eq!(
        cart_json["line_items"][0]["discounts"],
        json!([{"amount": 5}])
    );
    let again: Cart = serde_json::from_value(cart_json).unwrap();
    assert_eq!(&again, cart);
    let order_json = serde_json::to_value(order).unwrap();
    assert_eq!(order_json["fees"][0]["lineText"], "Fee");
    assert_eq!(
        order_json["note_attributes"],
        json!([{"name": "n", "value": "v"}])
    );
    let again: Order = serde_json::from_value(order_json).unwrap();
    assert_eq!(&again, order);
}

#[test]
fn fixture_round_trips_through_typed_structs() {
    for name in fixture_names() {
        let event = fixture(name);
        let original: Value = serde_json::from_str(event.body()).unwrap();
        // Serialising adds the defaults of absent fields (and turns PHP's
        // `[]` into `{}`), but decoding that again gives the same values,
        // and every field that was sent keeps its value.
        let order = event.order().unwrap();
        let order_json = serde_json::to_value(order).unwrap();
        assert_eq!(
            &serde_json::from_value::<Order>(order_json.clone()).unwrap(),
            order
        );
        for (key, value) in original["order"].as_object().unwrap() {
            if key != "customer" {
                assert_eq!(&order_json[key], value, "{name}: order.{key}");
            }
        }
        let customer = event.customer().unwrap();
        let customer_json = serde_json::to_value(customer).unwrap();
        assert_eq!(
            &serde_json::from_value::<Customer>(customer_json.clone()).unwrap(),
            customer
        );
        assert_eq!(
            customer_json["core_info"],
            original["customer"]["core_info"]
        );
        assert_eq!(customer_json["shipping"], original["customer"]["shipping"]);
        let cart = event.cart().unwrap();
        let cart_json = serde_json::to_value(cart).unwrap();
        assert_eq!(&serde_json::from_value::<Cart>(cart_json).unwrap(), cart);
    }
    // order_submitted_us's line items are complete: they round-trip exactly.
    let event = fixture("order_submitted_us");
    let original: Value = serde_json::from_str(event.body()).unwrap();
    let items = serde_json::to_value(&event.cart().unwrap().line_items).unwrap();
    assert_eq!(items, original["cart"]["line_items"]);
}

#[test]
fn field_decodes_any_key() {
    let event = fixture("app_hook");
    let props: Option<std::collections::BTreeMap<String, String>> =
        event.field("properties").unwrap();
    assert_eq!(props.unwrap()["hook"], "apply_loyalty_discount");
    assert_eq!(event.field::<Value>("nope").unwrap(), None);
    assert_eq!(
        event.field::<Option<String>>("idempotent_key").unwrap(),
        Some(None)
    );
    let err = event.field::<u32>("language_iso").unwrap_err();
    assert!(matches!(err, HandlerError::InvalidInput(m) if m.starts_with("language_iso: ")));
}

#[test]
fn pointer_reads_deep_values_lazily() {
    let event = fixture("order_submitted_us");
    assert_eq!(
        event
            .pointer::<String>("/order/public_order_id")
            .unwrap()
            .as_deref(),
        Some("lakjfoihiuh223u82989vhsinvd0s9f8")
    );
    assert_eq!(
        event
            .pointer::<String>("/cart/line_items/1/sku")
            .unwrap()
            .as_deref(),
        Some("MUG-BLUE")
    );
    assert_eq!(
        event
            .pointer::<String>("/cart/line_items/1/properties/gift_wrap")
            .unwrap()
            .as_deref(),
        Some("yes")
    );
    assert_eq!(
        event.pointer::<i64>("/order/fees/0/value").unwrap(),
        Some(150)
    );
    assert_eq!(
        event
            .pointer::<Id>("/order/customer/public_customer_id")
            .unwrap(),
        Some(Id::Int(22345345346))
    );
    assert_eq!(
        event
            .pointer::<String>("/order/shipping/0/code:")
            .unwrap()
            .as_deref(),
        Some("Express Rate")
    );
    // Missing steps, out-of-range indexes, non-containers and null: None.
    for missing in [
        "/nope",
        "/order/nope",
        "/cart/line_items/9",
        "/cart/line_items/x",
        "/cart/subtotal/x",
        "/order/customer/core_info/email",
        "/idempotent_key",
        "/cart/line_items/-1",
        // RFC 6901: no leading zeros, no sign, no `+`.
        "/cart/line_items/00",
        "/cart/line_items/01",
        "/cart/line_items/+0",
    ] {
        assert_eq!(event.pointer::<Value>(missing).unwrap(), None, "{missing}");
    }
    // The whole body.
    assert_eq!(
        event.pointer::<Value>("").unwrap().unwrap()["event"],
        "order_submitted"
    );
    // Wrong type of the target: InvalidInput naming the pointer.
    let err = event.pointer::<i64>("/order/public_order_id").unwrap_err();
    assert!(
        matches!(err, HandlerError::InvalidInput(m) if m.starts_with("/order/public_order_id: "))
    );
    assert!(event.pointer::<Value>("order").is_err());
    // Escapes.
    let event = Event::parse(r#"{"event":"x","a/b":{"c~d":1, "e\"f": 2}}"#).unwrap();
    assert_eq!(event.pointer::<i64>("/a~1b/c~0d").unwrap(), Some(1));
    assert_eq!(event.pointer::<i64>("/a~1b/e\"f").unwrap(), Some(2));
}

#[test]
fn pointer_does_not_decode_siblings() {
    // A broken cart does not stop reading the order.
    let event = fixture_with("initialize_checkout", |b| {
        b["cart"] = json!({"subtotal": "lots"})
    });
    assert!(event.cart().is_err());
    assert!(
        event
            .pointer::<String>("/order/public_order_id")
            .unwrap()
            .is_some()
    );
}

#[test]
fn raw_and_keys() {
    let event =
        Event::parse(r#" { "event" : "x" , "cart" : { "a" : [ 1 ] } , "cart": [] } "#).unwrap();
    assert_eq!(event.keys().collect::<Vec<_>>(), ["event", "cart", "cart"]);
    // Duplicate keys: the last wins, as in serde_json.
    assert_eq!(event.raw("cart"), Some("[]"));
    assert_eq!(event.raw("event"), Some(r#""x""#));
    assert_eq!(event.raw("nope"), None);
    let event = Event::parse(r#"{"event":"x","cart":{"subtotal":5}}"#).unwrap();
    assert_eq!(event.raw("cart"), Some(r#"{"subtotal":5}"#));
}

#[test]
fn escaped_keys_are_indexed() {
    let event = Event::parse(r#"{"ev\u0065nt":"x","c\u0061rt":{"subtotal":7}}"#).unwrap();
    assert_eq!(event.name(), "x");
    assert_eq!(event.cart().unwrap().subtotal, 7);
}

#[test]
fn debug_does_not_print_the_body() {
    let event = fixture("order_submitted_us");
    let debug = format!("{event:?}");
    assert!(debug.contains("order_submitted"));
    assert!(!debug.contains("bold.mcboldstein"));
}

#[test]
fn deep_nesting_is_rejected_when_decoded() {
    // The index pass only skims (no recursion); decoding stops at serde_json's
    // depth limit of 128 instead of overflowing the stack.
    let deep = format!(
        "{{\"event\":\"x\",\"cart\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let event = Event::parse(deep).unwrap();
    assert!(matches!(event.cart(), Err(HandlerError::InvalidInput(_))));
    assert!(matches!(
        event.field::<Value>("cart"),
        Err(HandlerError::InvalidInput(_))
    ));
    assert_eq!(event.pointer::<Value>("/cart/0/0/0/x").unwrap(), None);
}
