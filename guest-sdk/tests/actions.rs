//! Actions in Bold's wire shape.
#![allow(clippy::unwrap_used)]

use plugin_sdk::serde_json::json;
use plugin_sdk::testing::{actions_json, fixture};
use plugin_sdk::{Action, AddLineItem, AddressChange, actions_to_response, assert_actions};

#[test]
fn every_typed_action_has_bolds_shape() {
    let address = AddressChange {
        first_name: "Bold".into(),
        last_name: "McBoldstein".into(),
        company: "Bold Commerce LTD".into(),
        address: "50 Fultz Blvd".into(),
        address2: "".into(),
        phone: "1 (800) 555-0100".into(),
        city: "Winnipeg".into(),
        province: "Manitoba".into(),
        province_code: "MB".into(),
        country: "Canada".into(),
        country_code: "CA".into(),
        postal_code: "R3Y 1L6".into(),
        update_billing: true,
        different_billing_address: false,
    };
    let address_json = json!({
        "first_name": "Bold", "last_name": "McBoldstein", "company": "Bold Commerce LTD",
        "address": "50 Fultz Blvd", "address2": "", "phone": "1 (800) 555-0100",
        "city": "Winnipeg", "province": "Manitoba", "province_code": "MB",
        "country": "Canada", "country_code": "CA", "postal_code": "R3Y 1L6",
        "update_billing": true, "different_billing_address": false,
    });
    let actions = vec![
        Action::AddLineItemByPlatformVariant(AddLineItem {
            platform_variant_id: 9153875214378,
            line_item_key: "gift-wrap:9153875214378".into(),
            quantity: 1,
            properties: vec![("from".into(), "Ann".into()), ("to".into(), "Bob".into())],
            price: 500,
            is_amendment: true,
        }),
        Action::add_line_item_by_platform_variant(1, "k", 2, 3),
        Action::add_fee("fee-1", "Cross-border shipping", "fixed", true, 1500),
        Action::add_note("hello"),
        Action::change_shipping_address(address.clone()),
        Action::change_billing_address(address),
        Action::flag_order_as_bopis(true, true, false),
        Action::override_address_validate("https://p/a"),
        Action::override_discount("https://p/d"),
        Action::override_inventory("https://p/i"),
        Action::override_shipping("https://p/s"),
        Action::override_tax("https://p/t"),
        Action::generic("Add_Cart_Params", json!({"cart_params": {"a": 1}})),
    ];
    assert_actions!(actions, [
        {"type": "add_line_item_by_platform_variant", "data": {
            "platform_variant_id": 9153875214378_i64, "line_item_key": "gift-wrap:9153875214378",
            "quantity": 1, "properties": {"from": "Ann", "to": "Bob"}, "price": 500, "is_amendment": true}},
        {"type": "add_line_item_by_platform_variant", "data": {
            "platform_variant_id": 1, "line_item_key": "k", "quantity": 2, "properties": {},
            "price": 3, "is_amendment": false}},
        {"type": "add_fee", "data": {"id": "fee-1", "line_text": "Cross-border shipping",
            "fee_type": "fixed", "taxable": true, "value": 1500, "is_amendment": false}},
        {"type": "add_note", "data": {"note": "hello"}},
        {"type": "change_shipping_address", "data": address_json},
        {"type": "change_billing_address", "data": address_json},
        {"type": "flag_order_as_bopis", "data": {"flag_order_as_bopis": true,
            "hidden_sections": {"shipping_address": true, "saved_addresses": false}}},
        {"type": "override_address_validate", "data": {"url": "https://p/a"}},
        {"type": "override_discount", "data": {"url": "https://p/d"}},
        {"type": "override_inventory", "data": {"url": "https://p/i"}},
        {"type": "override_shipping", "data": {"url": "https://p/s"}},
        {"type": "override_tax", "data": {"url": "https://p/t"}},
        {"type": "add_cart_params", "data": {"cart_params": {"a": 1}}},
    ]);
    let names: Vec<_> = actions.iter().map(Action::type_name).collect();
    assert_eq!(names[0], "add_line_item_by_platform_variant");
    assert_eq!(names[12], "add_cart_params");
}

#[test]
fn response_wraps_actions() {
    assert_eq!(
        actions_to_response(&[]),
        json!({"success": true, "actions": []})
    );
    let actions = [Action::add_note("n")];
    assert_eq!(
        actions_to_response(&actions),
        json!({"success": true, "actions": actions_json(&actions)})
    );
}

#[test]
fn address_change_from_event_address() {
    let event = fixture("order_submitted_us");
    let change = AddressChange::from(&event.customer().unwrap().shipping);
    assert_eq!(change.city, "New York");
    assert_eq!(change.country_code, "US");
    assert!(!change.update_billing);
}

#[test]
#[should_panic(expected = "actions differ")]
fn assert_actions_panics_on_mismatch() {
    assert_actions!([Action::add_note("a")], [{"type": "add_note", "data": {"note": "b"}}]);
}
