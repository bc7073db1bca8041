//! The actions a handler asks Checkout to perform.
//!
//! [`Action`] has a typed constructor for every action whose fields Bold
//! publishes, and [`Action::generic`] for the rest. The table below is
//! checked against the host's catalogue by a test, so it lists exactly the
//! types the host knows.
//!
#![doc = include_str!("action/catalogue.md")]

use serde_json::{Map, Value, json};

use crate::protocol::WireAction;
use crate::types::Address;

/// One action for Checkout; mirrors the WIT `action` variant.
///
/// Build one with a constructor ([`Action::add_note`],
/// [`Action::add_fee`], [`Action::override_inventory`],
/// [`Action::generic`], ...) or with the variant and its struct directly.
/// [`Action::to_wire`] gives Bold's wire form `{"type": ..., "data": ...}`
/// (a [`WireAction`], which [`crate::protocol`] validates), [`Action::to_json`]
/// the same as a JSON value.
///
/// ```
/// use plugin_sdk::{Action, serde_json::json};
/// let note = Action::add_note("Thanks!");
/// assert_eq!(note.type_name(), "add_note");
/// assert_eq!(note.to_json(), json!({"type": "add_note", "data": {"note": "Thanks!"}}));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `add_line_item_by_platform_variant`: add a product variant to the
    /// cart. Scope: `add_cart_item`.
    AddLineItemByPlatformVariant(AddLineItem),
    /// `add_fee`: add a fee line to the order. Scope: `add_fee`.
    AddFee(AddFee),
    /// `add_note`: set the order note. Scope: `modify_order`.
    AddNote(String),
    /// `change_shipping_address`. Scope: `modify_shipping_address`.
    ChangeShippingAddress(AddressChange),
    /// `change_billing_address`. Scope: `modify_billing_address`.
    ChangeBillingAddress(AddressChange),
    /// `flag_order_as_bopis`: buy online, pick up in store.
    FlagOrderAsBopis(FlagOrderAsBopis),
    /// `override_address_validate`: Checkout calls this URL to validate
    /// addresses.
    OverrideAddressValidate(String),
    /// `override_discount`: Checkout calls this URL for discounts.
    OverrideDiscount(String),
    /// `override_inventory`: Checkout calls this URL for stock levels.
    /// Scope: `provide_shipping_rates`.
    OverrideInventory(String),
    /// `override_shipping`: Checkout calls this URL for shipping rates.
    OverrideShipping(String),
    /// `override_tax`: Checkout calls this URL for taxes.
    OverrideTax(String),
    /// Any other action (`add_cart_params`, `discount_cart`, ...), by its
    /// Bold type name and its `data` (a JSON object); see
    /// [`Action::generic`], which lowercases the type (the host does too).
    Generic {
        /// The Bold action type, in lowercase, e.g. `add_note_attribute`.
        action_type: String,
        /// The action's `data` object.
        data: Value,
    },
}

/// Data of `add_line_item_by_platform_variant`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddLineItem {
    /// The platform's variant id.
    pub platform_variant_id: i64,
    /// A key the plugin chooses to recognise its line item later.
    pub line_item_key: String,
    /// How many to add.
    pub quantity: i64,
    /// Line item properties shown with the item, in order.
    pub properties: Vec<(String, String)>,
    /// Unit price in minor units.
    pub price: i64,
    /// Whether this changes an order that was already placed.
    pub is_amendment: bool,
}

/// Data of `add_fee`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddFee {
    /// The plugin's id for the fee, e.g. `fee-1`.
    pub id: String,
    /// The text shown to the buyer.
    pub line_text: String,
    /// How `value` applies, e.g. `fixed`.
    pub fee_type: String,
    /// Whether tax applies to the fee.
    pub taxable: bool,
    /// Amount in minor units.
    pub value: i64,
    /// Whether this changes an order that was already placed.
    pub is_amendment: bool,
}

/// Data of `change_shipping_address` / `change_billing_address`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressChange {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Company, may be empty.
    pub company: String,
    /// First address line.
    pub address: String,
    /// Second address line, may be empty.
    pub address2: String,
    /// Phone number, may be empty.
    pub phone: String,
    /// City.
    pub city: String,
    /// Province or state name.
    pub province: String,
    /// Province or state code, e.g. `MB`.
    pub province_code: String,
    /// Country name.
    pub country: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `CA`.
    pub country_code: String,
    /// Postal or ZIP code.
    pub postal_code: String,
    /// Also apply the address to billing.
    pub update_billing: bool,
    /// Billing differs from shipping.
    pub different_billing_address: bool,
}

impl From<&Address> for AddressChange {
    /// The address's fields; `update_billing` and
    /// `different_billing_address` are `false`.
    fn from(a: &Address) -> Self {
        AddressChange {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            company: a.company.clone(),
            address: a.address.clone(),
            address2: a.address2.clone(),
            phone: a.phone.clone(),
            city: a.city.clone(),
            province: a.province.clone(),
            province_code: a.province_code.clone(),
            country: a.country.clone(),
            country_code: a.country_code.clone(),
            postal_code: a.postal_code.clone(),
            update_billing: false,
            different_billing_address: false,
        }
    }
}

/// Data of `flag_order_as_bopis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagOrderAsBopis {
    /// Whether the order is a pick-up order.
    pub flag_order_as_bopis: bool,
    /// Hide the shipping address section of the checkout.
    pub hide_shipping_address: bool,
    /// Hide the saved addresses section of the checkout.
    pub hide_saved_addresses: bool,
}

impl Action {
    /// `add_line_item_by_platform_variant` without properties, not an
    /// amendment. Set those on the [`AddLineItem`] for more control.
    pub fn add_line_item_by_platform_variant(
        platform_variant_id: i64,
        line_item_key: impl Into<String>,
        quantity: i64,
        price: i64,
    ) -> Action {
        Action::AddLineItemByPlatformVariant(AddLineItem {
            platform_variant_id,
            line_item_key: line_item_key.into(),
            quantity,
            properties: Vec::new(),
            price,
            is_amendment: false,
        })
    }

    /// `add_fee`, not an amendment.
    pub fn add_fee(
        id: impl Into<String>,
        line_text: impl Into<String>,
        fee_type: impl Into<String>,
        taxable: bool,
        value: i64,
    ) -> Action {
        Action::AddFee(AddFee {
            id: id.into(),
            line_text: line_text.into(),
            fee_type: fee_type.into(),
            taxable,
            value,
            is_amendment: false,
        })
    }

    /// `add_note`: set the order note.
    pub fn add_note(note: impl Into<String>) -> Action {
        Action::AddNote(note.into())
    }

    /// `change_shipping_address`.
    pub fn change_shipping_address(address: AddressChange) -> Action {
        Action::ChangeShippingAddress(address)
    }

    /// `change_billing_address`.
    pub fn change_billing_address(address: AddressChange) -> Action {
        Action::ChangeBillingAddress(address)
    }

    /// `flag_order_as_bopis`.
    pub fn flag_order_as_bopis(
        flag_order_as_bopis: bool,
        hide_shipping_address: bool,
        hide_saved_addresses: bool,
    ) -> Action {
        Action::FlagOrderAsBopis(FlagOrderAsBopis {
            flag_order_as_bopis,
            hide_shipping_address,
            hide_saved_addresses,
        })
    }

    /// `override_address_validate` with the URL Checkout should call.
    pub fn override_address_validate(url: impl Into<String>) -> Action {
        Action::OverrideAddressValidate(url.into())
    }

    /// `override_discount` with the URL Checkout should call.
    pub fn override_discount(url: impl Into<String>) -> Action {
        Action::OverrideDiscount(url.into())
    }

    /// `override_inventory` with the URL Checkout should call.
    pub fn override_inventory(url: impl Into<String>) -> Action {
        Action::OverrideInventory(url.into())
    }

    /// `override_shipping` with the URL Checkout should call.
    pub fn override_shipping(url: impl Into<String>) -> Action {
        Action::OverrideShipping(url.into())
    }

    /// `override_tax` with the URL Checkout should call.
    pub fn override_tax(url: impl Into<String>) -> Action {
        Action::OverrideTax(url.into())
    }

    /// Any action by its Bold type name (lowercased here, as Bold's docs
    /// write them) and its `data` object.
    ///
    /// For the actions Bold publishes no fields for, this is the way to
    /// send them: `add_note_attribute`, `add_cart_params`,
    /// `add_line_item_property`, `add_disallowed_line_item_properties`,
    /// `add_tag` (key/value style data), `adjust_line_item_price`,
    /// `discount_cart`, `discount_line_items` (price or discount data),
    /// `add_shipping_lines_value`, `multiply_shipping_lines_value` (value
    /// data), `delay_payment_capture`, `delay_platform_order`,
    /// `disable_order_confirmation_email` (flags). The host accepts any JSON
    /// object as their `data` and checks their type and scope; their fields
    /// are yours to get right (the [module docs](crate::action) list every
    /// type with its scope).
    ///
    /// It is also for a type Bold adds before the SDK knows it, which the
    /// host accepts only when the plugin's manifest lists it in
    /// `extra_action_types` ([`TestHost::with_extra_action_types`] in
    /// tests). A known type whose fields are published may be sent this
    /// way too (e.g. with extra fields), and is checked like the typed
    /// action: prefer the typed constructor, which cannot get them wrong.
    ///
    /// ```
    /// use plugin_sdk::{Action, serde_json::json};
    /// let a = Action::generic("ADD_CART_PARAMS", json!({"cart_params": {"k": "v"}}));
    /// assert_eq!(a.to_json(), json!({"type": "add_cart_params", "data": {"cart_params": {"k": "v"}}}));
    /// ```
    ///
    /// A malformed generic action fails a native test with the host's
    /// message:
    ///
    /// ```
    /// use plugin_sdk::{Action, serde_json::json, testing::{TestHost, check_actions}};
    /// let fee = Action::generic("add_fee", json!({"id": "fee-1", "line_text": "Handling",
    ///     "fee_type": "fixed", "value": "1500", "is_amendment": false}));
    /// assert_eq!(
    ///     check_actions(&[fee], &TestHost::new().policy()).unwrap_err().to_string(),
    ///     "invalid_output: action `add_fee`: `taxable` is missing",
    /// );
    /// let unknown = Action::generic("brand_new_action", json!({}));
    /// assert!(check_actions(&[unknown.clone()], &TestHost::new().policy()).is_err());
    /// let allowed = TestHost::new().with_extra_action_types(["brand_new_action"]);
    /// assert!(check_actions(&[unknown], &allowed.policy()).is_ok());
    /// ```
    ///
    /// [`TestHost::with_extra_action_types`]: crate::testing::TestHost::with_extra_action_types
    pub fn generic(action_type: impl Into<String>, data: Value) -> Action {
        let mut action_type = action_type.into();
        action_type.make_ascii_lowercase();
        Action::Generic { action_type, data }
    }

    /// Bold's type name, e.g. `add_line_item_by_platform_variant`: the
    /// lowercase catalogue name for a typed action, the type as given for
    /// [`Action::Generic`].
    pub fn type_name(&self) -> &str {
        match self {
            Action::AddLineItemByPlatformVariant(_) => "add_line_item_by_platform_variant",
            Action::AddFee(_) => "add_fee",
            Action::AddNote(_) => "add_note",
            Action::ChangeShippingAddress(_) => "change_shipping_address",
            Action::ChangeBillingAddress(_) => "change_billing_address",
            Action::FlagOrderAsBopis(_) => "flag_order_as_bopis",
            Action::OverrideAddressValidate(_) => "override_address_validate",
            Action::OverrideDiscount(_) => "override_discount",
            Action::OverrideInventory(_) => "override_inventory",
            Action::OverrideShipping(_) => "override_shipping",
            Action::OverrideTax(_) => "override_tax",
            Action::Generic { action_type, .. } => action_type,
        }
    }

    /// Bold's wire form of the action, as the plugin host builds it from
    /// the WIT action (the host lowercases a generic type it receives; here
    /// [`Action::Generic`] keeps its type as given, [`Action::generic`]
    /// lowercases it). Check it with [`protocol::validate`].
    ///
    /// [`protocol::validate`]: crate::protocol::validate()
    pub fn to_wire(&self) -> WireAction {
        self.clone().into_wire()
    }

    /// [`Action::to_wire`], moving the action's strings and data instead
    /// of copying them.
    ///
    /// ```
    /// use plugin_sdk::{Action, serde_json::json};
    /// let wire = Action::flag_order_as_bopis(true, true, false).into_wire();
    /// assert_eq!(wire.action_type, "flag_order_as_bopis");
    /// assert_eq!(wire.data, json!({"flag_order_as_bopis": true,
    ///     "hidden_sections": {"shipping_address": true, "saved_addresses": false}}));
    /// ```
    pub fn into_wire(self) -> WireAction {
        let action_type = match self {
            Action::Generic { action_type, data } => return WireAction { action_type, data },
            ref typed => typed.type_name().to_owned(),
        };
        WireAction {
            action_type,
            data: self.into_data(),
        }
    }

    /// The `data` object: the one place typed actions are turned into
    /// Bold's JSON.
    fn into_data(self) -> Value {
        match self {
            Action::AddLineItemByPlatformVariant(a) => {
                let properties: Map<String, Value> = a
                    .properties
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                object([
                    ("platform_variant_id", a.platform_variant_id.into()),
                    ("line_item_key", a.line_item_key.into()),
                    ("quantity", a.quantity.into()),
                    ("properties", Value::Object(properties)),
                    ("price", a.price.into()),
                    ("is_amendment", a.is_amendment.into()),
                ])
            }
            Action::AddFee(f) => object([
                ("id", f.id.into()),
                ("line_text", f.line_text.into()),
                ("fee_type", f.fee_type.into()),
                ("taxable", f.taxable.into()),
                ("value", f.value.into()),
                ("is_amendment", f.is_amendment.into()),
            ]),
            Action::AddNote(note) => object([("note", note.into())]),
            Action::ChangeShippingAddress(a) | Action::ChangeBillingAddress(a) => object([
                ("first_name", a.first_name.into()),
                ("last_name", a.last_name.into()),
                ("company", a.company.into()),
                ("address", a.address.into()),
                ("address2", a.address2.into()),
                ("phone", a.phone.into()),
                ("city", a.city.into()),
                ("province", a.province.into()),
                ("province_code", a.province_code.into()),
                ("country", a.country.into()),
                ("country_code", a.country_code.into()),
                ("postal_code", a.postal_code.into()),
                ("update_billing", a.update_billing.into()),
                (
                    "different_billing_address",
                    a.different_billing_address.into(),
                ),
            ]),
            Action::FlagOrderAsBopis(f) => object([
                ("flag_order_as_bopis", f.flag_order_as_bopis.into()),
                (
                    "hidden_sections",
                    object([
                        ("shipping_address", f.hide_shipping_address.into()),
                        ("saved_addresses", f.hide_saved_addresses.into()),
                    ]),
                ),
            ]),
            Action::OverrideAddressValidate(url)
            | Action::OverrideDiscount(url)
            | Action::OverrideInventory(url)
            | Action::OverrideShipping(url)
            | Action::OverrideTax(url) => object([("url", url.into())]),
            Action::Generic { data, .. } => data,
        }
    }

    /// The action's `data` object, as Bold expects it (the `data` of
    /// [`Action::to_wire`]).
    pub fn data_json(&self) -> Value {
        self.clone().into_data()
    }

    /// Bold's wire shape: `{"type": "<lowercase type>", "data": {...}}`
    /// ([`Action::to_wire`] as a JSON value).
    pub fn to_json(&self) -> Value {
        let WireAction { action_type, data } = self.to_wire();
        object([("type", action_type.into()), ("data", data)])
    }
}

/// A JSON object of these fields.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The Checkout response for these actions:
/// `{"success": true, "actions": [...]}`.
///
/// ```
/// use plugin_sdk::{Action, actions_to_response, serde_json::json};
/// assert_eq!(
///     actions_to_response(&[Action::override_tax("https://x/tax")]),
///     json!({"success": true, "actions": [{"type": "override_tax", "data": {"url": "https://x/tax"}}]}),
/// );
/// ```
pub fn actions_to_response(actions: &[Action]) -> Value {
    json!({
        "success": true,
        "actions": actions.iter().map(Action::to_json).collect::<Vec<_>>(),
    })
}
