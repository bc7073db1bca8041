//! The host's validation tests (moved from the host's `actions.rs`), with
//! the inputs as SDK actions and wire actions instead of WIT types.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::action::{Action, AddFee, AddLineItem, AddressChange};

fn policy() -> ActionPolicy {
    ActionPolicy {
        output_limit: 1 << 20,
        ..ActionPolicy::default()
    }
}

/// A generic action as the WIT `generic` case carries it.
fn generic(ty: &str, data: &str) -> Result<WireAction, Violation> {
    WireAction::from_generic_json(ty, data)
}

#[test]
fn typed_actions_take_bolds_wire_shape() {
    let fee = Action::AddFee(AddFee {
        id: "fee-1".into(),
        line_text: "Cross-border shipping".into(),
        fee_type: "fixed".into(),
        taxable: true,
        value: 1500,
        is_amendment: false,
    })
    .into_wire();
    let body = checkout_response(&[fee], &policy()).unwrap();
    let expected = json!({"success": true, "actions": [{"type": "add_fee", "data": {
        "id": "fee-1", "line_text": "Cross-border shipping", "fee_type": "fixed",
        "taxable": true, "value": 1500, "is_amendment": false}}]});
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected);
    assert!(body.starts_with(r#"{"success":true,"actions":[{"type":"add_fee","data":"#));

    let item = Action::AddLineItemByPlatformVariant(AddLineItem {
        platform_variant_id: 9153875214378,
        line_item_key: "gift-wrap:9153875214378".into(),
        quantity: 1,
        properties: vec![("a".into(), "b".into())],
        price: 500,
        is_amendment: false,
    })
    .into_wire();
    assert_eq!(item.data["properties"], json!({"a": "b"}));
    assert_eq!(item.data["platform_variant_id"], json!(9153875214378_i64));
    validate(&item, &policy()).unwrap();

    let bopis = Action::flag_order_as_bopis(true, true, false).into_wire();
    assert_eq!(
        bopis.data,
        json!({"flag_order_as_bopis": true, "hidden_sections": {"shipping_address": true, "saved_addresses": false}})
    );
    validate(&bopis, &policy()).unwrap();
}

#[test]
fn generic_types_are_lowercased_and_shape_checked() {
    let note = generic("ADD_NOTE", r#"{"note": "hi"}"#).unwrap();
    assert_eq!(note.action_type, "add_note");
    validate(&note, &policy()).unwrap();

    let bad = generic("add_note", r#"{"note": 5}"#).unwrap();
    let violation = validate(&bad, &policy()).unwrap_err();
    assert!(matches!(violation, Violation::Invalid(_)));
    assert!(
        violation.to_string().contains("`note` must be a string"),
        "{violation}"
    );
    assert_eq!(
        violation.to_string(),
        "action `add_note`: `note` must be a string"
    );

    let missing = generic("add_fee", r#"{"id": "x"}"#).unwrap();
    assert!(
        validate(&missing, &policy())
            .unwrap_err()
            .to_string()
            .contains("is missing")
    );

    let free = generic("discount_cart", r#"{"anything": [1, 2]}"#).unwrap();
    validate(&free, &policy()).unwrap();

    // The same through the SDK's own generic constructor.
    let note = Action::generic("ADD_NOTE", json!({"note": "hi"})).into_wire();
    assert_eq!(note.action_type, "add_note");
    validate(&note, &policy()).unwrap();
}

#[test]
fn malformed_generic_data_is_invalid_output() {
    let violation = generic("add_note", "not json {").unwrap_err();
    assert!(matches!(violation, Violation::Invalid(_)));
    assert!(
        violation
            .to_string()
            .starts_with("action `add_note`: data is not JSON ("),
        "{violation}"
    );
    let array = generic("discount_cart", "[1]").unwrap();
    assert!(
        validate(&array, &policy())
            .unwrap_err()
            .to_string()
            .contains("not a JSON object")
    );
    let url = Action::override_inventory("ftp://x").into_wire();
    assert!(
        validate(&url, &policy())
            .unwrap_err()
            .to_string()
            .contains("URL")
    );
}

#[test]
fn unknown_types_need_explicit_permission() {
    let action = generic("brand_new_action", "{}").unwrap();
    assert!(validate(&action, &policy()).is_err());
    let mut allowed = policy();
    allowed.extra_action_types.insert("brand_new_action".into());
    validate(&action, &allowed).unwrap();
    let weird = generic("bad name!", "{}").unwrap();
    assert!(validate(&weird, &allowed).is_err());
}

#[test]
fn scopes_are_enforced_only_when_declared() {
    let note = Action::add_note("n").into_wire();
    let mut scoped = policy();
    scoped.scopes = Some(["add_fee".to_owned()].into());
    let violation = validate(&note, &scoped).unwrap_err();
    assert!(
        violation.to_string().contains("modify_order"),
        "{violation}"
    );
    scoped.scopes = Some(["modify_order".to_owned()].into());
    validate(&note, &scoped).unwrap();
    assert_eq!(
        required_scope("override_inventory"),
        Some("provide_shipping_rates")
    );
}

#[test]
fn answers_over_the_output_limit_are_refused() {
    let note = Action::add_note("x".repeat(100)).into_wire();
    let small = ActionPolicy {
        output_limit: 50,
        ..ActionPolicy::default()
    };
    let violation = checkout_response(&[note], &small).unwrap_err();
    assert!(matches!(
        violation,
        Violation::OutputLimit { limit: 50, .. }
    ));
    assert_eq!(
        check_output_size(51, 50).unwrap_err().to_string(),
        "answer of at least 51 bytes is over the limit of 50 bytes"
    );
    check_output_size(50, 50).unwrap();
}

#[test]
fn violation_texts_are_the_hosts() {
    let text = |action: WireAction, policy: &ActionPolicy| {
        validate(&action, policy).unwrap_err().to_string()
    };
    let wire = |ty: &str, data: Value| WireAction {
        action_type: ty.into(),
        data,
    };
    assert_eq!(
        text(wire("Add_Note", json!({})), &policy()),
        r#"action type "Add_Note" is not a valid name"#
    );
    assert_eq!(
        text(wire("add_note", json!([])), &policy()),
        "action `add_note`: data is not a JSON object"
    );
    assert_eq!(
        text(wire("brand_new_action", json!({})), &policy()),
        "action `brand_new_action` is not a known Bold action (allow it in the manifest's `extra_action_types`)"
    );
    assert_eq!(
        text(wire("add_fee", json!({"id": "x"})), &policy()),
        "action `add_fee`: `line_text` is missing"
    );
    assert_eq!(
        text(
            wire(
                "flag_order_as_bopis",
                json!({"flag_order_as_bopis": true, "hidden_sections": {"shipping_address": true}})
            ),
            &policy()
        ),
        "action `flag_order_as_bopis`: `hidden_sections` must be {shipping_address: bool, saved_addresses: bool}"
    );
    assert_eq!(
        text(wire("override_tax", json!({"url": "ftp://x"})), &policy()),
        "action `override_tax`: `url` must be an http(s) URL"
    );
    let mut extra = policy();
    extra.extra_action_types.insert("brand_new_action".into());
    extra.scopes = Some(BTreeSet::new());
    assert_eq!(
        text(wire("brand_new_action", json!({})), &extra),
        "action `brand_new_action` needs scope `brand_new_action`, which the plugin was not granted"
    );
}

/// One of every typed variant (and a generic one).
fn every_typed_action() -> Vec<Action> {
    let address = AddressChange {
        first_name: "Bold".into(),
        country_code: "CA".into(),
        ..AddressChange::default()
    };
    vec![
        Action::AddLineItemByPlatformVariant(AddLineItem {
            platform_variant_id: 1,
            line_item_key: "k".into(),
            quantity: 2,
            properties: vec![("from".into(), "Ann".into())],
            price: 3,
            is_amendment: true,
        }),
        Action::add_fee("fee-1", "Handling", "fixed", true, 1500),
        Action::add_note("hello"),
        Action::change_shipping_address(address.clone()),
        Action::change_billing_address(address),
        Action::flag_order_as_bopis(true, false, true),
        Action::override_address_validate("https://p/a"),
        Action::override_discount("https://p/d"),
        Action::override_inventory("https://p/i"),
        Action::override_shipping("http://p/s"),
        Action::override_tax("https://p/t"),
    ]
}

#[test]
fn every_typed_action_validates_with_exactly_its_scope() {
    let actions = every_typed_action();
    // Keep the list complete: one per typed variant.
    for action in &actions {
        match action {
            Action::AddLineItemByPlatformVariant(_)
            | Action::AddFee(_)
            | Action::AddNote(_)
            | Action::ChangeShippingAddress(_)
            | Action::ChangeBillingAddress(_)
            | Action::FlagOrderAsBopis(_)
            | Action::OverrideAddressValidate(_)
            | Action::OverrideDiscount(_)
            | Action::OverrideInventory(_)
            | Action::OverrideShipping(_)
            | Action::OverrideTax(_) => {}
            Action::Generic { .. } => unreachable!("typed actions only"),
        }
    }
    let names: BTreeSet<&str> = actions.iter().map(Action::type_name).collect();
    assert_eq!(names.len(), 11, "one action per typed variant");

    for action in &actions {
        let wire = action.to_wire();
        assert_eq!(wire, action.clone().into_wire());
        assert_eq!(wire.action_type, action.type_name());
        assert_eq!(wire.data, action.data_json());
        assert_eq!(serde_json::to_value(&wire).unwrap(), action.to_json());
        assert!(known_action_types().any(|t| t == wire.action_type));

        validate(&wire, &policy()).unwrap();
        let scope = required_scope(&wire.action_type).unwrap();
        let exact = ActionPolicy {
            scopes: Some([scope.to_owned()].into()),
            ..policy()
        };
        validate(&wire, &exact).unwrap();
        let none = ActionPolicy {
            scopes: Some(BTreeSet::new()),
            ..policy()
        };
        let violation = validate(&wire, &none).unwrap_err();
        assert_eq!(
            violation,
            Violation::Invalid(format!(
                "action `{}` needs scope `{scope}`, which the plugin was not granted",
                wire.action_type
            ))
        );
    }
    let wire: Vec<WireAction> = actions.into_iter().map(WireAction::from).collect();
    checkout_response(&wire, &policy()).unwrap();
}

#[test]
fn the_catalogue_is_well_formed() {
    let names: Vec<&str> = known_action_types().collect();
    assert_eq!(names.len(), 24);
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len());
    for name in names {
        validate(
            &WireAction {
                action_type: name.into(),
                data: json!({}),
            },
            &policy(),
        )
        .map_or_else(
            |v| assert!(v.to_string().contains("is missing"), "{v}"),
            |()| assert!(catalogue::spec(name).is_some_and(|s| s.fields.is_none())),
        );
        assert!(required_scope(name).is_some());
    }
}

/// The table of `src/action/catalogue.md` (the `action` module's docs),
/// made from the catalogue: one row per known type with its scope, the
/// SDK's constructor and the fields the host checks.
fn catalogue_table() -> String {
    use catalogue::Kind;
    let kind = |k: Kind| match k {
        Kind::Str => "string",
        Kind::Int => "integer",
        Kind::Bool => "boolean",
        Kind::StrMap => "object of strings",
        Kind::HiddenSections => "`{shipping_address: bool, saved_addresses: bool}`",
        Kind::Url => "http(s) URL",
    };
    let mut table = String::from(
        "| Type | Scope | Build it with | `data` the host checks |\n|---|---|---|---|\n",
    );
    for spec in catalogue::KNOWN {
        let (build, data) = match spec.fields {
            Some(fields) => (
                format!("[`Action::{}`]", spec.name),
                fields
                    .iter()
                    .map(|(f, k)| format!("`{f}` {}", kind(*k)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => (
                "[`Action::generic`]".to_owned(),
                "fields not public: any JSON object".to_owned(),
            ),
        };
        table.push_str(&format!(
            "| `{}` | `{}` | {build} | {data} |\n",
            spec.name, spec.scope
        ));
    }
    table
}

/// The action types the SDK has no typed constructor for.
fn generic_only_types() -> Vec<&'static str> {
    catalogue::KNOWN
        .iter()
        .filter(|s| s.fields.is_none())
        .map(|s| s.name)
        .collect()
}

/// The docs list every type of the catalogue with its scope, the way to
/// build it and its fields: regenerate the table when the catalogue
/// changes (the failure prints it).
#[test]
fn the_action_docs_table_is_the_catalogue() {
    let docs = include_str!("../action/catalogue.md");
    let table = catalogue_table();
    assert!(
        docs.contains(&table),
        "src/action/catalogue.md is out of date with the catalogue; its table should be:\n\n{table}"
    );
}

/// Every action whose fields the catalogue gives has a typed variant (and
/// a constructor of the same name); the others are `Action::generic`, whose
/// docs name each of them.
#[test]
fn typed_actions_are_exactly_those_with_published_fields() {
    let typed: BTreeSet<&str> = every_typed_action()
        .iter()
        .map(|a| match a {
            Action::Generic { .. } => unreachable!("typed actions only"),
            typed => catalogue::spec(typed.type_name()).unwrap().name,
        })
        .collect();
    let with_fields: BTreeSet<&str> = catalogue::KNOWN
        .iter()
        .filter(|s| s.fields.is_some())
        .map(|s| s.name)
        .collect();
    assert_eq!(typed, with_fields);

    let source = include_str!("../action.rs");
    let end = source.find("    pub fn generic(").unwrap();
    let start = source[..end].rfind("\n\n").unwrap();
    let generic_docs = &source[start..end];
    for name in generic_only_types() {
        assert!(
            generic_docs.contains(&format!("`{name}`")),
            "the docs of `Action::generic` do not name `{name}`"
        );
    }
}
