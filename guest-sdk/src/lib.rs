//! Write Bold Checkout plugins in Rust.
//!
//! A plugin is a type implementing [`CheckoutPlugin`]: it receives one
//! checkout [`Event`] at a time and answers with a list of [`Action`]s. It
//! may also answer override calls (e.g. inventory) and plugin webhooks. The
//! same code runs natively in `cargo test` and, compiled for
//! `wasm32-wasip2`, as a WebAssembly component in the plugin host:
//! [`export_checkout_plugin!`] generates the component glue on `wasm32` and
//! nothing elsewhere, and the host's services ([`Host`]: config, log,
//! outbound HTTP to the hosts the manifest grants, the call's [`Shop`] and
//! Bold's API for it) are a trait with a test double
//! ([`testing::TestHost`]).
//!
//! A handler can **call out**: [`Host::http`] (and `get`, `get_json`,
//! `send_json` on `dyn Host`) reaches the services its manifest grants,
//! [`Host::shop`] says which shop the call is for and whether the plugin
//! is installed on it, and [`Host::bold_api`] (and `bold_get`,
//! `bold_get_json`, `bold_send_json`) calls Bold's API for that shop with
//! the shop's token, which the guest never sees. See [`bold_api`] and the
//! example plugin `plugins/loyalty-points`.
//!
//! A **platform connector** (world `platform-connector`) is a type
//! implementing [`ConnectorPlugin`], exported with
//! [`export_connector_plugin!`]: it turns platform webhooks into
//! [`Notification`]s for Bold and answers Bold's calls (e.g. Update
//! Customer), calling the platform's API through [`Host::http`]. See
//! [`connector`] for a complete example.
//!
//! # A complete plugin
//!
//! ```
//! use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host};
//!
//! /// Thanks big spenders in the order note.
//! /// Config: `threshold` (minor units, default 10000).
//! pub struct BigSpender;
//!
//! impl CheckoutPlugin for BigSpender {
//!     fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
//!         if event.name() != "order_submitted" {
//!             return Ok(vec![]);
//!         }
//!         let threshold: i64 = host.config_or("threshold", 10_000)?;
//!         let cart = event.cart()?; // decoded now, on first use
//!         if cart.subtotal < threshold {
//!             return Ok(vec![]);
//!         }
//!         host.info("big spender");
//!         Ok(vec![Action::add_note("Thank you for your order!")])
//!     }
//! }
//!
//! // The component's exports on wasm32; nothing on native targets.
//! plugin_sdk::export_checkout_plugin!(BigSpender);
//!
//! // Native tests (normally in `#[cfg(test)] mod tests`).
//! use plugin_sdk::assert_actions;
//! use plugin_sdk::testing::{TestHost, fixture, fixture_with, run_event};
//!
//! // Bold's sample order has a subtotal of 2468.
//! let host = TestHost::new().with_config("threshold", "2000");
//! let actions = run_event::<BigSpender>(&fixture("order_submitted_us"), &host)?;
//! assert_actions!(actions, [{"type": "add_note", "data": {"note": "Thank you for your order!"}}]);
//! assert!(host.logged("big spender"));
//!
//! let actions = run_event::<BigSpender>(&fixture("order_submitted_us"), &TestHost::new())?;
//! assert_actions!(actions, []);
//!
//! // Edge cases: edit a fixture before it becomes an event.
//! let cheap = fixture_with("order_submitted_us", |body| body["cart"]["subtotal"] = "1999".into());
//! assert_actions!(run_event::<BigSpender>(&cheap, &host)?, []); // numeric strings are fine
//! let broken = fixture_with("order_submitted_us", |body| body["cart"] = "oops".into());
//! assert!(matches!(
//!     run_event::<BigSpender>(&broken, &host),
//!     Err(HandlerError::InvalidInput(m)) if m.starts_with("cart: ")
//! ));
//! let bad_config = TestHost::new().with_config("threshold", "lots");
//! assert!(matches!(
//!     run_event::<BigSpender>(&fixture("order_submitted_us"), &bad_config),
//!     Err(HandlerError::Failed(_))
//! ));
//! # Ok::<(), HandlerError>(())
//! ```
//!
//! Build the component with `cargo build --release --target wasm32-wasip2`
//! (the crate needs `crate-type = ["cdylib", "rlib"]`) and try it with
//! `plugin-host invoke target/wasm32-wasip2/release/<name>.wasm event.json`.
//!
//! Give the guest a small stack: Rust's default is 1 MiB of linear memory,
//! which every fresh sandbox pays to set up and reset (about half the cost of
//! an event). 64 KiB (wasm-ld's own default) holds serde_json's deepest
//! decode. In the plugin's `.cargo/config.toml`:
//!
//! ```toml
//! [target.wasm32-wasip2]
//! rustflags = ["-C", "link-arg=-zstack-size=65536"]
//! ```
//!
//! # Modules
//! - [`event`]—[`Event`], decoded lazily; [`types`]—the lenient typed
//!   structs its accessors return ([`Cart`], [`Customer`], [`Order`], ...).
//! - [`action`]—[`Action`] and [`actions_to_response`]; its docs list
//!   every action type the host knows, with its scope and fields.
//! - [`protocol`]—Bold's action catalogue, [`protocol::WireAction`] and the
//!   host's validation of an answer ([`protocol::validate()`],
//!   [`protocol::checkout_response`]), with no `wasm32` dependency: the
//!   host uses it, and native tests can run the same checks.
//! - [`error`]—[`HandlerError`].
//! - [`host`]—[`Host`] and [`Level`]; [`http`]—[`HttpRequest`],
//!   [`HttpResponse`], [`HttpError`]; [`shop`]—[`Shop`];
//!   [`bold_api`]—[`BoldApiRequest`], [`BoldApiError`].
//! - [`connector`]—[`ConnectorPlugin`], [`PlatformEvent`], [`BoldRequest`],
//!   [`BoldResponse`]; [`notification`]—[`Notification`], [`Entity`].
//! - [`testing`]—[`testing::TestHost`] (config, log, scripted HTTP and
//!   Bold API answers, recorded requests, the shop, the manifest's scopes,
//!   extra action types and output limit), fixtures, runners that check
//!   every answer as the host does ([`testing::check_actions`]),
//!   [`assert_actions!`] and [`assert_notifications!`].
//!
//! `serde` and `serde_json` are re-exported for plugins that decode their
//! own payloads (use `#[serde(crate = "plugin_sdk::serde")]` on derives).
#![warn(missing_docs)]

pub mod action;
pub mod bold_api;
pub mod connector;
pub mod error;
pub mod event;
pub mod host;
pub mod http;
mod lenient;
pub mod notification;
/// Bold's action catalogue, wire form and validation, shared with the host.
pub mod protocol;
pub mod shop;
mod skim;
pub mod testing;
pub mod types;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use action::{
    Action, AddFee, AddLineItem, AddressChange, FlagOrderAsBopis, actions_to_response,
};
pub use bold_api::{BoldApiError, BoldApiRequest};
pub use connector::{BoldRequest, BoldResponse, ConnectorPlugin, PlatformEvent};
pub use error::HandlerError;
pub use event::Event;
pub use host::{Host, Level};
#[cfg(any(target_arch = "wasm32", doc))]
pub use host::{WasmConnectorHost, WasmHost};
pub use http::{HttpError, HttpRequest, HttpResponse};
pub use notification::{Entity, Notification};
pub use shop::Shop;
pub use types::{
    Address, Cart, CoreInfo, Customer, Fee, Id, LineItem, Order, OrderCustomer, ShippingLine,
};

pub use serde;
pub use serde_json;

/// A checkout plugin. Implement it on a unit type and export the type with
/// [`export_checkout_plugin!`].
///
/// Every function gets the host's services as `&dyn Host` (config, log,
/// outbound HTTP, the call's shop, Bold's API).
/// Returning an error makes the host apply the plugin's on-error policy
/// (by default, Checkout goes on with no actions); a panic is a `trap`.
pub trait CheckoutPlugin {
    /// Handles one checkout event and returns the actions to apply, in
    /// order (possibly none). Unknown event names should get `Ok(vec![])`.
    fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError>;

    /// Answers an override call Checkout makes on a URL registered with an
    /// `override_*` action. `kind` is the last path segment (e.g.
    /// `inventory`), `body` the request's JSON body; the answer is JSON text
    /// returned to Checkout as is. The default answers
    /// [`HandlerError::Unsupported`].
    fn handle_override(kind: &str, body: &str, host: &dyn Host) -> Result<String, HandlerError> {
        let _ = (kind, body, host);
        Err(HandlerError::Unsupported)
    }

    /// Handles a plugin webhook (e.g. the order stream). `topic` is the last
    /// path segment, `body` the request's JSON body. The default answers
    /// [`HandlerError::Unsupported`].
    fn handle_webhook(topic: &str, body: &str, host: &dyn Host) -> Result<(), HandlerError> {
        let _ = (topic, body, host);
        Err(HandlerError::Unsupported)
    }
}

/// Exports a [`CheckoutPlugin`] as the component's `handle-event`,
/// `handle-override` and `handle-webhook`.
///
/// On `wasm32` this generates the component glue (converting between the
/// WIT types and this crate's, and handing the handler a [`WasmHost`]); on
/// other targets it only checks, at compile time, that the type implements
/// [`CheckoutPlugin`]. Use it once per crate, at the top level.
///
/// ```
/// # use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host};
/// struct Quiet;
/// impl CheckoutPlugin for Quiet {
///     fn handle_event(_: &Event, _: &dyn Host) -> Result<Vec<Action>, HandlerError> {
///         Ok(vec![])
///     }
/// }
/// plugin_sdk::export_checkout_plugin!(Quiet);
/// ```
#[macro_export]
macro_rules! export_checkout_plugin {
    ($plugin:ty) => {
        const _: () = $crate::__private::assert_plugin::<$plugin>();

        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct __PluginSdkGlue;

            impl $crate::__private::Guest for __PluginSdkGlue {
                fn handle_event(
                    event: $crate::__private::WitEvent,
                ) -> $crate::__private::EventResult {
                    $crate::__private::run_event::<$plugin>(event)
                }

                fn handle_override(
                    kind: $crate::__private::String,
                    body: $crate::__private::String,
                ) -> $crate::__private::OverrideResult {
                    $crate::__private::run_override::<$plugin>(kind, body)
                }

                fn handle_webhook(
                    topic: $crate::__private::String,
                    body: $crate::__private::String,
                ) -> $crate::__private::WebhookResult {
                    $crate::__private::run_webhook::<$plugin>(topic, body)
                }
            }

            $crate::__private::export_glue!(__PluginSdkGlue with_types_in $crate::__private::bindings);
        };
    };
}

/// Exports a [`ConnectorPlugin`] as the component's `handle-platform-event`
/// and `handle-bold-request` (world `platform-connector`).
///
/// On `wasm32` this generates the component glue (converting between the
/// WIT types and this crate's, and handing the handler a
/// [`WasmConnectorHost`]); on other targets it only checks, at compile
/// time, that the type implements [`ConnectorPlugin`]. Use it once per
/// crate, at the top level, and not together with
/// [`export_checkout_plugin!`]: a component has one world.
///
/// ```
/// # use plugin_sdk::{ConnectorPlugin, HandlerError, Host, Notification, PlatformEvent};
/// struct Silent;
/// impl ConnectorPlugin for Silent {
///     fn handle_platform_event(_: &PlatformEvent, _: &dyn Host) -> Result<Vec<Notification>, HandlerError> {
///         Ok(vec![])
///     }
/// }
/// plugin_sdk::export_connector_plugin!(Silent);
/// ```
#[macro_export]
macro_rules! export_connector_plugin {
    ($plugin:ty) => {
        const _: () = $crate::__private::assert_connector::<$plugin>();

        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct __PluginSdkConnectorGlue;

            impl $crate::__private::ConnectorGuest for __PluginSdkConnectorGlue {
                fn handle_platform_event(
                    event: $crate::__private::WitPlatformEvent,
                ) -> $crate::__private::PlatformEventResult {
                    $crate::__private::run_platform_event::<$plugin>(event)
                }

                fn handle_bold_request(
                    request: $crate::__private::WitBoldRequest,
                ) -> $crate::__private::BoldRequestResult {
                    $crate::__private::run_bold_request::<$plugin>(request)
                }
            }

            $crate::__private::export_connector_glue!(
                __PluginSdkConnectorGlue with_types_in $crate::__private::connector_bindings
            );
        };
    };
}
