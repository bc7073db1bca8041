//! Validation of what a handler returns, and the Checkout response.
//!
//! Every action, typed or generic, is brought to Bold's wire form
//! (`{"type": "<lowercase>", "data": {...}}`) and checked: a known type (or
//! one the manifest explicitly allows), `data` a JSON object of the right
//! shape, within the plugin's scopes when it declares them, and the whole
//! answer within the output limit.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::fault::{Fault, FaultKind};
use crate::runtime::bindings::checkout::plugin::types as wit;

/// One action in Bold's wire form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WireAction {
    /// Lowercase action type, e.g. `add_fee`.
    #[serde(rename = "type")]
    pub action_type: String,
    /// The action's `data` object.
    pub data: Value,
}

/// What a plugin's answers are checked against.
#[derive(Debug, Clone, Default)]
pub struct ActionPolicy {
    /// OAuth scopes granted to the plugin; `None` = not scope-checked.
    pub scopes: Option<BTreeSet<String>>,
    /// Action types outside Bold's published list that this plugin may send
    /// through the generic case.
    pub extra_action_types: BTreeSet<String>,
    /// Largest serialised answer, in bytes.
    pub output_limit: u64,
}

impl ActionPolicy {
    /// The policy a plugin's settings describe.
    pub fn for_settings(settings: &crate::runtime::PluginSettings) -> Self {
        Self {
            scopes: settings.scopes.clone(),
            extra_action_types: settings.extra_action_types.clone(),
            output_limit: settings.limits.output_bytes,
        }
    }
}

/// JSON kinds a known field must have.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    StrMap,
    HiddenSections,
    Url,
}

/// An action type Bold documents, with the scope it needs and, where Bold
/// publishes them, its fields.
struct Spec {
    name: &'static str,
    scope: &'static str,
    fields: Option<&'static [(&'static str, Kind)]>,
}

const ADDRESS_FIELDS: &[(&str, Kind)] = &[
    ("first_name", Kind::Str),
    ("last_name", Kind::Str),
    ("company", Kind::Str),
    ("address", Kind::Str),
    ("address2", Kind::Str),
    ("phone", Kind::Str),
    ("city", Kind::Str),
    ("province", Kind::Str),
    ("province_code", Kind::Str),
    ("country", Kind::Str),
    ("country_code", Kind::Str),
    ("postal_code", Kind::Str),
    ("update_billing", Kind::Bool),
    ("different_billing_address", Kind::Bool),
];
const URL_FIELDS: &[(&str, Kind)] = &[("url", Kind::Url)];

/// Bold's published actions (PROTOCOL.md §2). Scopes Bold names are used as
/// given; for the others the closest published scope is assumed (README).
const KNOWN: &[Spec] = &[
    Spec {
        name: "add_line_item_by_platform_variant",
        scope: "add_cart_item",
        fields: Some(&[
            ("platform_variant_id", Kind::Int),
            ("line_item_key", Kind::Str),
            ("quantity", Kind::Int),
            ("properties", Kind::StrMap),
            ("price", Kind::Int),
            ("is_amendment", Kind::Bool),
        ]),
    },
    Spec {
        name: "add_fee",
        scope: "add_fee",
        fields: Some(&[
            ("id", Kind::Str),
            ("line_text", Kind::Str),
            ("fee_type", Kind::Str),
            ("taxable", Kind::Bool),
            ("value", Kind::Int),
            ("is_amendment", Kind::Bool),
        ]),
    },
    Spec {
        name: "add_note",
        scope: "modify_order",
        fields: Some(&[("note", Kind::Str)]),
    },
    Spec {
        name: "add_note_attribute",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "add_cart_params",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "add_line_item_property",
        scope: "modify_cart",
        fields: None,
    },
    Spec {
        name: "add_disallowed_line_item_properties",
        scope: "modify_cart",
        fields: None,
    },
    Spec {
        name: "add_tag",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "adjust_line_item_price",
        scope: "modify_cart",
        fields: None,
    },
    Spec {
        name: "discount_cart",
        scope: "modify_cart",
        fields: None,
    },
    Spec {
        name: "discount_line_items",
        scope: "modify_cart",
        fields: None,
    },
    Spec {
        name: "change_shipping_address",
        scope: "modify_shipping_address",
        fields: Some(ADDRESS_FIELDS),
    },
    Spec {
        name: "change_billing_address",
        scope: "modify_billing_address",
        fields: Some(ADDRESS_FIELDS),
    },
    Spec {
        name: "flag_order_as_bopis",
        scope: "modify_order",
        fields: Some(&[
            ("flag_order_as_bopis", Kind::Bool),
            ("hidden_sections", Kind::HiddenSections),
        ]),
    },
    Spec {
        name: "add_shipping_lines_value",
        scope: "modify_shipping",
        fields: None,
    },
    Spec {
        name: "multiply_shipping_lines_value",
        scope: "modify_shipping",
        fields: None,
    },
    Spec {
        name: "delay_payment_capture",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "delay_platform_order",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "disable_order_confirmation_email",
        scope: "modify_order",
        fields: None,
    },
    Spec {
        name: "override_address_validate",
        scope: "provide_address_validation",
        fields: Some(URL_FIELDS),
    },
    Spec {
        name: "override_discount",
        scope: "provide_discounts",
        fields: Some(URL_FIELDS),
    },
    Spec {
        name: "override_inventory",
        scope: "provide_shipping_rates",
        fields: Some(URL_FIELDS),
    },
    Spec {
        name: "override_shipping",
        scope: "provide_shipping_rates",
        fields: Some(URL_FIELDS),
    },
    Spec {
        name: "override_tax",
        scope: "provide_taxes",
        fields: Some(URL_FIELDS),
    },
];

fn spec(name: &str) -> Option<&'static Spec> {
    KNOWN.iter().find(|s| s.name == name)
}

/// The scope Bold requires for a known action type.
pub fn required_scope(action_type: &str) -> Option<&'static str> {
    spec(action_type).map(|s| s.scope)
}

fn invalid(reason: impl Into<String>) -> Fault {
    Fault::new(FaultKind::InvalidOutput, reason)
}

fn address(a: &wit::AddressChange) -> Value {
    json!({
        "first_name": a.first_name,
        "last_name": a.last_name,
        "company": a.company,
        "address": a.address,
        "address2": a.address2,
        "phone": a.phone,
        "city": a.city,
        "province": a.province,
        "province_code": a.province_code,
        "country": a.country,
        "country_code": a.country_code,
        "postal_code": a.postal_code,
        "update_billing": a.update_billing,
        "different_billing_address": a.different_billing_address,
    })
}

fn url(url: &str) -> Value {
    json!({ "url": url })
}

/// Brings a WIT action to Bold's wire form (before validation).
pub(crate) fn from_wit(action: &wit::Action) -> Result<WireAction, Fault> {
    use wit::Action as A;
    let (action_type, data) = match action {
        A::AddLineItemByPlatformVariant(item) => {
            let properties: Map<String, Value> = item
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            (
                "add_line_item_by_platform_variant",
                json!({
                    "platform_variant_id": item.platform_variant_id,
                    "line_item_key": item.line_item_key,
                    "quantity": item.quantity,
                    "properties": properties,
                    "price": item.price,
                    "is_amendment": item.is_amendment,
                }),
            )
        }
        A::AddFee(fee) => (
            "add_fee",
            json!({
                "id": fee.id,
                "line_text": fee.line_text,
                "fee_type": fee.fee_type,
                "taxable": fee.taxable,
                "value": fee.value,
                "is_amendment": fee.is_amendment,
            }),
        ),
        A::AddNote(note) => ("add_note", json!({ "note": note })),
        A::ChangeShippingAddress(a) => ("change_shipping_address", address(a)),
        A::ChangeBillingAddress(a) => ("change_billing_address", address(a)),
        A::FlagOrderAsBopis(b) => (
            "flag_order_as_bopis",
            json!({
                "flag_order_as_bopis": b.flag_order_as_bopis,
                "hidden_sections": {
                    "shipping_address": b.hide_shipping_address,
                    "saved_addresses": b.hide_saved_addresses,
                },
            }),
        ),
        A::OverrideAddressValidate(u) => ("override_address_validate", url(u)),
        A::OverrideDiscount(u) => ("override_discount", url(u)),
        A::OverrideInventory(u) => ("override_inventory", url(u)),
        A::OverrideShipping(u) => ("override_shipping", url(u)),
        A::OverrideTax(u) => ("override_tax", url(u)),
        A::Generic(generic) => {
            let data: Value = serde_json::from_str(&generic.data_json).map_err(|e| {
                invalid(format!(
                    "action `{}`: data is not JSON ({e})",
                    generic.type_
                ))
            })?;
            return Ok(WireAction {
                action_type: generic.type_.to_ascii_lowercase(),
                data,
            });
        }
    };
    Ok(WireAction {
        action_type: action_type.to_owned(),
        data,
    })
}

/// A lower bound of an action's wire size (its strings alone), so that a
/// huge answer is refused before it is turned into JSON.
pub(crate) fn min_wire_len(action: &wit::Action) -> usize {
    use wit::Action as A;
    let address = |a: &wit::AddressChange| {
        [
            &a.first_name,
            &a.last_name,
            &a.company,
            &a.address,
            &a.address2,
            &a.phone,
            &a.city,
            &a.province,
            &a.province_code,
            &a.country,
            &a.country_code,
            &a.postal_code,
        ]
        .iter()
        .map(|s| s.len())
        .sum::<usize>()
    };
    match action {
        A::AddLineItemByPlatformVariant(item) => {
            item.line_item_key.len()
                + item
                    .properties
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        }
        A::AddFee(fee) => fee.id.len() + fee.line_text.len() + fee.fee_type.len(),
        A::ChangeShippingAddress(a) | A::ChangeBillingAddress(a) => address(a),
        A::FlagOrderAsBopis(_) => 0,
        A::AddNote(s)
        | A::OverrideAddressValidate(s)
        | A::OverrideDiscount(s)
        | A::OverrideInventory(s)
        | A::OverrideShipping(s)
        | A::OverrideTax(s) => s.len(),
        A::Generic(g) => g.type_.len() + g.data_json.len(),
    }
}

fn kind_ok(kind: Kind, value: &Value) -> bool {
    match kind {
        Kind::Str => value.is_string(),
        Kind::Int => value.is_i64() || value.is_u64(),
        Kind::Bool => value.is_boolean(),
        Kind::StrMap => value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string)),
        Kind::HiddenSections => value.as_object().is_some_and(|m| {
            ["shipping_address", "saved_addresses"]
                .iter()
                .all(|k| m.get(*k).is_some_and(Value::is_boolean))
        }),
        Kind::Url => value
            .as_str()
            .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://")),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Int => "an integer",
        Kind::Bool => "a boolean",
        Kind::StrMap => "an object of strings",
        Kind::HiddenSections => "{shipping_address: bool, saved_addresses: bool}",
        Kind::Url => "an http(s) URL",
    }
}

fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks one action against the policy.
pub fn validate(action: &WireAction, policy: &ActionPolicy) -> Result<(), Fault> {
    let name = action.action_type.as_str();
    if !is_type_name(name) {
        return Err(invalid(format!("action type {name:?} is not a valid name")));
    }
    let Some(data) = action.data.as_object() else {
        return Err(invalid(format!(
            "action `{name}`: data is not a JSON object"
        )));
    };
    let known = spec(name);
    if known.is_none() && !policy.extra_action_types.contains(name) {
        return Err(invalid(format!(
            "action `{name}` is not a known Bold action (allow it in the manifest's `extra_action_types`)"
        )));
    }
    if let Some(fields) = known.and_then(|s| s.fields) {
        for (field, kind) in fields {
            match data.get(*field) {
                Some(value) if kind_ok(*kind, value) => {}
                Some(_) => {
                    return Err(invalid(format!(
                        "action `{name}`: `{field}` must be {}",
                        kind_name(*kind)
                    )));
                }
                None => return Err(invalid(format!("action `{name}`: `{field}` is missing"))),
            }
        }
    }
    if let Some(scopes) = &policy.scopes {
        let needed = known.map_or(name, |s| s.scope);
        if !scopes.contains(needed) {
            return Err(invalid(format!(
                "action `{name}` needs scope `{needed}`, which the plugin was not granted"
            )));
        }
    }
    Ok(())
}

/// Validates every action and serialises Bold's response
/// `{"success": true, "actions": [...]}`, within the output limit.
pub fn checkout_response(actions: &[WireAction], policy: &ActionPolicy) -> Result<String, Fault> {
    for action in actions {
        validate(action, policy)?;
    }
    // Serialised straight from the actions: no copy of `data` into a
    // response tree (README, Performance: what each optimisation bought).
    let body = serde_json::to_string(&Response {
        success: true,
        actions,
    })
    .map_err(|e| {
        Fault::new(
            FaultKind::InvalidOutput,
            format!("answer not serialisable ({e})"),
        )
    })?;
    check_output_size(body.len(), policy.output_limit)?;
    Ok(body)
}

/// Bold's response, borrowing the validated actions.
#[derive(serde::Serialize)]
struct Response<'a> {
    success: bool,
    actions: &'a [WireAction],
}

/// Refuses answers over the output limit.
pub fn check_output_size(len: usize, limit: u64) -> Result<(), Fault> {
    if len as u64 > limit {
        return Err(Fault::new(
            FaultKind::OutputLimit,
            format!("answer of at least {len} bytes is over the limit of {limit} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ActionPolicy {
        ActionPolicy {
            output_limit: 1 << 20,
            ..ActionPolicy::default()
        }
    }

    fn generic(ty: &str, data: &str) -> wit::Action {
        wit::Action::Generic(wit::GenericAction {
            type_: ty.into(),
            data_json: data.into(),
        })
    }

    #[test]
    fn typed_actions_take_bolds_wire_shape() {
        let fee = from_wit(&wit::Action::AddFee(wit::AddFee {
            id: "fee-1".into(),
            line_text: "Cross-border shipping".into(),
            fee_type: "fixed".into(),
            taxable: true,
            value: 1500,
            is_amendment: false,
        }))
        .unwrap();
        let body = checkout_response(&[fee], &policy()).unwrap();
        let expected = json!({"success": true, "actions": [{"type": "add_fee", "data": {
            "id": "fee-1", "line_text": "Cross-border shipping", "fee_type": "fixed",
            "taxable": true, "value": 1500, "is_amendment": false}}]});
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected);

        let item = from_wit(&wit::Action::AddLineItemByPlatformVariant(
            wit::AddLineItemByPlatformVariant {
                platform_variant_id: 9153875214378,
                line_item_key: "gift-wrap:9153875214378".into(),
                quantity: 1,
                properties: vec![("a".into(), "b".into())],
                price: 500,
                is_amendment: false,
            },
        ))
        .unwrap();
        assert_eq!(item.data["properties"], json!({"a": "b"}));
        assert_eq!(item.data["platform_variant_id"], json!(9153875214378_i64));
        validate(&item, &policy()).unwrap();

        let bopis = from_wit(&wit::Action::FlagOrderAsBopis(wit::FlagOrderAsBopis {
            flag_order_as_bopis: true,
            hide_shipping_address: true,
            hide_saved_addresses: false,
        }))
        .unwrap();
        assert_eq!(
            bopis.data,
            json!({"flag_order_as_bopis": true, "hidden_sections": {"shipping_address": true, "saved_addresses": false}})
        );
        validate(&bopis, &policy()).unwrap();
    }

    #[test]
    fn generic_types_are_lowercased_and_shape_checked() {
        let note = from_wit(&generic("ADD_NOTE", r#"{"note": "hi"}"#)).unwrap();
        assert_eq!(note.action_type, "add_note");
        validate(&note, &policy()).unwrap();

        let bad = from_wit(&generic("add_note", r#"{"note": 5}"#)).unwrap();
        let fault = validate(&bad, &policy()).unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
        assert!(fault.reason.contains("`note` must be a string"), "{fault}");

        let missing = from_wit(&generic("add_fee", r#"{"id": "x"}"#)).unwrap();
        assert!(
            validate(&missing, &policy())
                .unwrap_err()
                .reason
                .contains("is missing")
        );

        let free = from_wit(&generic("discount_cart", r#"{"anything": [1, 2]}"#)).unwrap();
        validate(&free, &policy()).unwrap();
    }

    #[test]
    fn malformed_generic_data_is_invalid_output() {
        let fault = from_wit(&generic("add_note", "not json {")).unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
        let array = from_wit(&generic("discount_cart", "[1]")).unwrap();
        assert!(
            validate(&array, &policy())
                .unwrap_err()
                .reason
                .contains("not a JSON object")
        );
        let url = from_wit(&wit::Action::OverrideInventory("ftp://x".into())).unwrap();
        assert!(
            validate(&url, &policy())
                .unwrap_err()
                .reason
                .contains("URL")
        );
    }

    #[test]
    fn unknown_types_need_explicit_permission() {
        let action = from_wit(&generic("brand_new_action", "{}")).unwrap();
        assert!(validate(&action, &policy()).is_err());
        let mut allowed = policy();
        allowed.extra_action_types.insert("brand_new_action".into());
        validate(&action, &allowed).unwrap();
        let weird = from_wit(&generic("bad name!", "{}")).unwrap();
        assert!(validate(&weird, &allowed).is_err());
    }

    #[test]
    fn scopes_are_enforced_only_when_declared() {
        let note = from_wit(&wit::Action::AddNote("n".into())).unwrap();
        let mut scoped = policy();
        scoped.scopes = Some(["add_fee".to_owned()].into());
        let fault = validate(&note, &scoped).unwrap_err();
        assert!(fault.reason.contains("modify_order"), "{fault}");
        scoped.scopes = Some(["modify_order".to_owned()].into());
        validate(&note, &scoped).unwrap();
        assert_eq!(
            required_scope("override_inventory"),
            Some("provide_shipping_rates")
        );
    }

    #[test]
    fn answers_over_the_output_limit_are_refused() {
        let note = from_wit(&wit::Action::AddNote("x".repeat(100))).unwrap();
        let small = ActionPolicy {
            output_limit: 50,
            ..ActionPolicy::default()
        };
        assert_eq!(
            checkout_response(&[note], &small).unwrap_err().kind,
            FaultKind::OutputLimit
        );
    }
}
