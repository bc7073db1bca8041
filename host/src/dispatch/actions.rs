//! A handler's actions, from the WIT contract's types to Bold's wire form
//! (`{"type": "<lowercase>", "data": {...}}`), checked against the one
//! catalogue of Bold actions, [`plugin_sdk::protocol`], which handler authors'
//! native tests use too: a known type (or one the manifest explicitly
//! allows), `data` a JSON object of the right shape, within the plugin's
//! scopes when it declares them, and the whole answer within the output
//! limit.

use plugin_sdk::protocol::{self, Violation};
pub use plugin_sdk::protocol::{ActionPolicy, WireAction, required_scope};
use plugin_sdk::{AddFee, AddLineItem, AddressChange, FlagOrderAsBopis};

use crate::config::Manifest;
use crate::fault::{Fault, FaultKind};
use crate::runtime::bindings::checkout::plugin::types as wit;

/// The policy a plugin's manifest describes: its scopes, the extra action
/// types it may send, its output limit.
pub fn policy_for(manifest: &Manifest) -> ActionPolicy {
    ActionPolicy {
        scopes: manifest.scopes.clone(),
        extra_action_types: manifest.extra_action_types.clone(),
        output_limit: manifest.limits.output_bytes,
    }
}

impl From<Violation> for Fault {
    fn from(violation: Violation) -> Self {
        let kind = match violation {
            Violation::Invalid(_) => FaultKind::InvalidOutput,
            Violation::OutputLimit { .. } => FaultKind::OutputLimit,
        };
        Fault::new(kind, violation.to_string())
    }
}

fn address(a: wit::AddressChange) -> AddressChange {
    AddressChange {
        first_name: a.first_name,
        last_name: a.last_name,
        company: a.company,
        address: a.address,
        address2: a.address2,
        phone: a.phone,
        city: a.city,
        province: a.province,
        province_code: a.province_code,
        country: a.country,
        country_code: a.country_code,
        postal_code: a.postal_code,
        update_billing: a.update_billing,
        different_billing_address: a.different_billing_address,
    }
}

/// Brings a WIT action to Bold's wire form (before validation): a typed one
/// through the SDK's [`Action`](plugin_sdk::Action), whose mapping to JSON is
/// the only one; a generic one's type lowercased and its data parsed.
pub fn from_wit(action: wit::Action) -> Result<WireAction, Fault> {
    use plugin_sdk::Action as S;
    use wit::Action as A;
    let typed = match action {
        A::AddLineItemByPlatformVariant(item) => S::AddLineItemByPlatformVariant(AddLineItem {
            platform_variant_id: item.platform_variant_id,
            line_item_key: item.line_item_key,
            quantity: item.quantity,
            properties: item.properties,
            price: item.price,
            is_amendment: item.is_amendment,
        }),
        A::AddFee(fee) => S::AddFee(AddFee {
            id: fee.id,
            line_text: fee.line_text,
            fee_type: fee.fee_type,
            taxable: fee.taxable,
            value: fee.value,
            is_amendment: fee.is_amendment,
        }),
        A::AddNote(note) => S::AddNote(note),
        A::ChangeShippingAddress(a) => S::ChangeShippingAddress(address(a)),
        A::ChangeBillingAddress(a) => S::ChangeBillingAddress(address(a)),
        A::FlagOrderAsBopis(b) => S::FlagOrderAsBopis(FlagOrderAsBopis {
            flag_order_as_bopis: b.flag_order_as_bopis,
            hide_shipping_address: b.hide_shipping_address,
            hide_saved_addresses: b.hide_saved_addresses,
        }),
        A::OverrideAddressValidate(u) => S::OverrideAddressValidate(u),
        A::OverrideDiscount(u) => S::OverrideDiscount(u),
        A::OverrideInventory(u) => S::OverrideInventory(u),
        A::OverrideShipping(u) => S::OverrideShipping(u),
        A::OverrideTax(u) => S::OverrideTax(u),
        A::Generic(generic) => {
            return Ok(WireAction::from_generic_json(
                &generic.type_,
                &generic.data_json,
            )?);
        }
    };
    Ok(typed.into_wire())
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

/// Checks one action against the policy.
pub fn validate(action: &WireAction, policy: &ActionPolicy) -> Result<(), Fault> {
    Ok(protocol::validate(action, policy)?)
}

/// Validates every action and serialises Bold's response
/// `{"success": true, "actions": [...]}`, within the output limit.
pub fn checkout_response(actions: &[WireAction], policy: &ActionPolicy) -> Result<String, Fault> {
    Ok(protocol::checkout_response(actions, policy)?)
}

/// Refuses answers over the output limit.
pub fn check_output_size(len: usize, limit: u64) -> Result<(), Fault> {
    Ok(protocol::check_output_size(len, limit)?)
}

#[cfg(test)]
mod tests {
    use plugin_sdk::Action;

    use super::*;

    fn policy() -> ActionPolicy {
        ActionPolicy {
            output_limit: 1 << 20,
            ..ActionPolicy::default()
        }
    }

    fn wit_address() -> wit::AddressChange {
        wit::AddressChange {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            company: String::new(),
            address: "1 Main St".into(),
            address2: String::new(),
            phone: String::new(),
            city: "Winnipeg".into(),
            province: "Manitoba".into(),
            province_code: "MB".into(),
            country: "Canada".into(),
            country_code: "CA".into(),
            postal_code: "R3C 0A1".into(),
            update_billing: true,
            different_billing_address: false,
        }
    }

    /// Every typed WIT action becomes exactly the wire action the SDK makes
    /// of the same action: the mapping to Bold's JSON exists once.
    #[test]
    fn typed_wit_actions_map_as_the_sdk_does() {
        let cases = [
            wit::Action::AddLineItemByPlatformVariant(wit::AddLineItemByPlatformVariant {
                platform_variant_id: 9153875214378,
                line_item_key: "gift-wrap:9153875214378".into(),
                quantity: 1,
                properties: vec![("a".into(), "b".into())],
                price: 500,
                is_amendment: false,
            }),
            wit::Action::AddFee(wit::AddFee {
                id: "fee-1".into(),
                line_text: "Cross-border shipping".into(),
                fee_type: "fixed".into(),
                taxable: true,
                value: 1500,
                is_amendment: false,
            }),
            wit::Action::AddNote("n".into()),
            wit::Action::ChangeShippingAddress(wit_address()),
            wit::Action::ChangeBillingAddress(wit_address()),
            wit::Action::FlagOrderAsBopis(wit::FlagOrderAsBopis {
                flag_order_as_bopis: true,
                hide_shipping_address: true,
                hide_saved_addresses: false,
            }),
            wit::Action::OverrideAddressValidate("https://a.example/v".into()),
            wit::Action::OverrideDiscount("https://a.example/d".into()),
            wit::Action::OverrideInventory("https://a.example/i".into()),
            wit::Action::OverrideShipping("https://a.example/s".into()),
            wit::Action::OverrideTax("https://a.example/t".into()),
        ];
        let address = address(wit_address());
        let expected = [
            Action::AddLineItemByPlatformVariant(AddLineItem {
                platform_variant_id: 9153875214378,
                line_item_key: "gift-wrap:9153875214378".into(),
                quantity: 1,
                properties: vec![("a".into(), "b".into())],
                price: 500,
                is_amendment: false,
            }),
            Action::add_fee("fee-1", "Cross-border shipping", "fixed", true, 1500),
            Action::add_note("n"),
            Action::ChangeShippingAddress(address.clone()),
            Action::ChangeBillingAddress(address),
            Action::flag_order_as_bopis(true, true, false),
            Action::override_address_validate("https://a.example/v"),
            Action::override_discount("https://a.example/d"),
            Action::override_inventory("https://a.example/i"),
            Action::override_shipping("https://a.example/s"),
            Action::override_tax("https://a.example/t"),
        ];
        for (wit, sdk) in cases.into_iter().zip(expected) {
            let wire = from_wit(wit).unwrap();
            assert_eq!(wire, sdk.to_wire());
            validate(&wire, &policy()).unwrap();
        }
    }

    #[test]
    fn generic_types_are_lowercased_and_their_data_parsed() {
        let generic = |ty: &str, data: &str| {
            from_wit(wit::Action::Generic(wit::GenericAction {
                type_: ty.into(),
                data_json: data.into(),
            }))
        };
        let note = generic("ADD_NOTE", r#"{"note": "hi"}"#).unwrap();
        assert_eq!(note.action_type, "add_note");
        validate(&note, &policy()).unwrap();

        let bad = generic("add_note", r#"{"note": 5}"#).unwrap();
        let fault = validate(&bad, &policy()).unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
        assert!(fault.reason.contains("`note` must be a string"), "{fault}");

        let fault = generic("add_note", "not json {").unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
    }

    #[test]
    fn violations_become_the_agreed_faults() {
        let note = from_wit(wit::Action::AddNote("x".repeat(100))).unwrap();
        let small = ActionPolicy {
            output_limit: 50,
            ..ActionPolicy::default()
        };
        assert_eq!(
            checkout_response(&[note], &small).unwrap_err().kind,
            FaultKind::OutputLimit
        );
        let url = from_wit(wit::Action::OverrideInventory("ftp://x".into())).unwrap();
        let fault = validate(&url, &policy()).unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
        assert!(fault.reason.contains("URL"), "{fault}");
    }
}
