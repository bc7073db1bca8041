//! The catalogue: Bold's published action types, the OAuth scope each
//! needs and, where Bold publishes them, the fields of its `data` with
//! their JSON kinds.
//!
//! This is data only; [`validate`](super::validate()) checks actions against
//! it.

/// The JSON kind a known field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// An integer (`i64` or `u64`).
    Int,
    /// `true` or `false`.
    Bool,
    /// An object whose values are all strings.
    StrMap,
    /// `{"shipping_address": bool, "saved_addresses": bool}`.
    HiddenSections,
    /// A string starting with `https://` or `http://`.
    Url,
}

impl Kind {
    /// How the kind is named in a violation: "`note` must be {name}".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Int => "an integer",
            Kind::Bool => "a boolean",
            Kind::StrMap => "an object of strings",
            Kind::HiddenSections => "{shipping_address: bool, saved_addresses: bool}",
            Kind::Url => "an http(s) URL",
        }
    }
}

/// An action type Bold documents, with the scope it needs and, where Bold
/// publishes them, its fields.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The lowercase type name, e.g. `add_fee`.
    pub(crate) name: &'static str,
    /// The OAuth scope the action needs.
    pub(crate) scope: &'static str,
    /// The fields `data` must have, with their kinds; `None` when Bold
    /// publishes no field list (any object is accepted).
    pub(crate) fields: Option<&'static [(&'static str, Kind)]>,
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

/// Bold's published actions. Scopes Bold names are used as
/// given; for the others the closest published scope is assumed (README).
pub(crate) const KNOWN: &[Spec] = &[
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

/// The catalogue entry of a known action type.
pub(crate) fn spec(name: &str) -> Option<&'static Spec> {
    KNOWN.iter().find(|s| s.name == name)
}

/// The scope Bold requires for a known action type; `None` for a type
/// outside the catalogue.
///
/// ```
/// use plugin_sdk::protocol::required_scope;
/// assert_eq!(required_scope("add_note"), Some("modify_order"));
/// assert_eq!(required_scope("brand_new_action"), None);
/// ```
pub fn required_scope(action_type: &str) -> Option<&'static str> {
    spec(action_type).map(|s| s.scope)
}

/// The type names of every action in the catalogue, in a fixed order.
///
/// ```
/// use plugin_sdk::protocol::known_action_types;
/// assert!(known_action_types().any(|t| t == "discount_cart"));
/// ```
pub fn known_action_types() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|s| s.name)
}
