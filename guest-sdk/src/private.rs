//! Support for [`export_checkout_plugin!`](crate::export_checkout_plugin)
//! and [`export_connector_plugin!`](crate::export_connector_plugin): not a
//! public API, may change in any release.

pub use serde_json;
pub use std::string::String;

use crate::{CheckoutPlugin, ConnectorPlugin};

/// Compile-time check that the exported type is a plugin (no code).
pub const fn assert_plugin<P: CheckoutPlugin + ?Sized>() {}

/// Compile-time check that the exported type is a connector (no code).
pub const fn assert_connector<P: ConnectorPlugin + ?Sized>() {}

/// The `wit-bindgen` bindings of the world `checkout-plugin`.
#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    clippy::all
)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "checkout-plugin",
        pub_export_macro: true,
        export_macro_name: "export_glue",
    });
}

/// The `wit-bindgen` bindings of the world `platform-connector`, sharing
/// the interfaces it has in common with `checkout-plugin` (`types`, `log`,
/// `config`, `outbound-http`: one Rust module each). Imports a guest never
/// calls are not imported by its component.
#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    clippy::all
)]
pub mod connector_bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "platform-connector",
        pub_export_macro: true,
        export_macro_name: "export_connector_glue",
        with: {
            "checkout:plugin/types@0.1.1": super::bindings::checkout::plugin::types,
            "checkout:plugin/log@0.1.1": super::bindings::checkout::plugin::log,
            "checkout:plugin/config@0.1.1": super::bindings::checkout::plugin::config,
            "checkout:plugin/outbound-http@0.1.1": super::bindings::checkout::plugin::outbound_http,
        },
    });
}

#[cfg(target_arch = "wasm32")]
pub use self::glue::*;

#[cfg(target_arch = "wasm32")]
pub use self::connector_glue::*;

#[cfg(target_arch = "wasm32")]
mod glue {
    use super::bindings::checkout::plugin::types as wit;
    use crate::host::WasmHost;
    use crate::{Action, CheckoutPlugin, Event, HandlerError};

    pub use super::bindings::Guest;
    pub use super::bindings::export_glue;

    /// The WIT `event` record.
    pub type WitEvent = wit::Event;
    /// What `handle-event` returns.
    pub type EventResult = Result<Vec<wit::Action>, wit::HandlerError>;
    /// What `handle-override` returns.
    pub type OverrideResult = Result<String, wit::HandlerError>;
    /// What `handle-webhook` returns.
    pub type WebhookResult = Result<(), wit::HandlerError>;

    /// `handle-event`: decode the event, run the handler, encode its actions.
    pub fn run_event<P: CheckoutPlugin + ?Sized>(event: WitEvent) -> EventResult {
        let wit::Event { name, body } = event;
        let event = Event::new(name, body).map_err(to_wit_error)?;
        let actions = P::handle_event(&event, &WasmHost).map_err(to_wit_error)?;
        Ok(actions.into_iter().map(to_wit_action).collect())
    }

    /// `handle-override`.
    pub fn run_override<P: CheckoutPlugin + ?Sized>(kind: String, body: String) -> OverrideResult {
        P::handle_override(&kind, &body, &WasmHost).map_err(to_wit_error)
    }

    /// `handle-webhook`.
    pub fn run_webhook<P: CheckoutPlugin + ?Sized>(topic: String, body: String) -> WebhookResult {
        P::handle_webhook(&topic, &body, &WasmHost).map_err(to_wit_error)
    }

    pub(super) fn to_wit_error(error: HandlerError) -> wit::HandlerError {
        match error {
            HandlerError::Unsupported => wit::HandlerError::Unsupported,
            HandlerError::InvalidInput(m) => wit::HandlerError::InvalidInput(m),
            HandlerError::Failed(m) => wit::HandlerError::Failed(m),
        }
    }

    fn to_wit_address(a: crate::AddressChange) -> wit::AddressChange {
        wit::AddressChange {
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

    fn to_wit_action(action: Action) -> wit::Action {
        match action {
            Action::AddLineItemByPlatformVariant(a) => {
                wit::Action::AddLineItemByPlatformVariant(wit::AddLineItemByPlatformVariant {
                    platform_variant_id: a.platform_variant_id,
                    line_item_key: a.line_item_key,
                    quantity: a.quantity,
                    properties: a.properties,
                    price: a.price,
                    is_amendment: a.is_amendment,
                })
            }
            Action::AddFee(f) => wit::Action::AddFee(wit::AddFee {
                id: f.id,
                line_text: f.line_text,
                fee_type: f.fee_type,
                taxable: f.taxable,
                value: f.value,
                is_amendment: f.is_amendment,
            }),
            Action::AddNote(note) => wit::Action::AddNote(note),
            Action::ChangeShippingAddress(a) => {
                wit::Action::ChangeShippingAddress(to_wit_address(a))
            }
            Action::ChangeBillingAddress(a) => wit::Action::ChangeBillingAddress(to_wit_address(a)),
            Action::FlagOrderAsBopis(f) => wit::Action::FlagOrderAsBopis(wit::FlagOrderAsBopis {
                flag_order_as_bopis: f.flag_order_as_bopis,
                hide_shipping_address: f.hide_shipping_address,
                hide_saved_addresses: f.hide_saved_addresses,
            }),
            Action::OverrideAddressValidate(url) => wit::Action::OverrideAddressValidate(url),
            Action::OverrideDiscount(url) => wit::Action::OverrideDiscount(url),
            Action::OverrideInventory(url) => wit::Action::OverrideInventory(url),
            Action::OverrideShipping(url) => wit::Action::OverrideShipping(url),
            Action::OverrideTax(url) => wit::Action::OverrideTax(url),
            Action::Generic { action_type, data } => wit::Action::Generic(wit::GenericAction {
                type_: action_type,
                data_json: data.to_string(),
            }),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod connector_glue {
    use super::bindings::checkout::plugin::types::HandlerError as WitHandlerError;
    use super::connector_bindings::checkout::plugin::connector_types as wit;
    use super::glue::to_wit_error;
    use crate::host::WasmConnectorHost;
    use crate::{BoldRequest, ConnectorPlugin, Entity, Notification, PlatformEvent};

    pub use super::connector_bindings::Guest as ConnectorGuest;
    pub use super::connector_bindings::export_connector_glue;

    /// The WIT `platform-event` record.
    pub type WitPlatformEvent = wit::PlatformEvent;
    /// The WIT `bold-request` record.
    pub type WitBoldRequest = wit::BoldRequest;
    /// What `handle-platform-event` returns.
    pub type PlatformEventResult = Result<Vec<wit::Notification>, WitHandlerError>;
    /// What `handle-bold-request` returns.
    pub type BoldRequestResult = Result<wit::BoldResponse, WitHandlerError>;

    /// `handle-platform-event`: run the handler, encode its notifications.
    pub fn run_platform_event<P: ConnectorPlugin + ?Sized>(
        event: WitPlatformEvent,
    ) -> PlatformEventResult {
        let wit::PlatformEvent { topic, body } = event;
        let event = PlatformEvent { topic, body };
        let notifications =
            P::handle_platform_event(&event, &WasmConnectorHost).map_err(to_wit_error)?;
        Ok(notifications.into_iter().map(to_wit_notification).collect())
    }

    /// `handle-bold-request`: run the handler, encode its response.
    pub fn run_bold_request<P: ConnectorPlugin + ?Sized>(
        request: WitBoldRequest,
    ) -> BoldRequestResult {
        let wit::BoldRequest {
            method,
            shop_identifier,
            path,
            query,
            body,
        } = request;
        let request = BoldRequest {
            method,
            shop_identifier,
            path,
            query,
            body,
        };
        let response =
            P::handle_bold_request(&request, &WasmConnectorHost).map_err(to_wit_error)?;
        Ok(wit::BoldResponse {
            status: response.status,
            body: response.body,
            notifications: response
                .notifications
                .into_iter()
                .map(to_wit_notification)
                .collect(),
        })
    }

    fn to_wit_entity(entity: Entity) -> wit::Entity {
        wit::Entity {
            platform_id: entity.platform_id,
            platform_updated_at: entity.platform_updated_at,
            json: entity.json.to_string(),
        }
    }

    fn to_wit_notification(notification: Notification) -> wit::Notification {
        match notification {
            Notification::CustomerSaved(e) => wit::Notification::CustomerSaved(to_wit_entity(e)),
            Notification::CustomerDeleted(e) => {
                wit::Notification::CustomerDeleted(to_wit_entity(e))
            }
            Notification::ProductSaved(e) => wit::Notification::ProductSaved(to_wit_entity(e)),
            Notification::ProductDeleted(e) => wit::Notification::ProductDeleted(to_wit_entity(e)),
            Notification::OrderSaved(e) => wit::Notification::OrderSaved(to_wit_entity(e)),
        }
    }
}
