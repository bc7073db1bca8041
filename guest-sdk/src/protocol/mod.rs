//! Bold Checkout's action protocol, shared by the plugin host and native
//! tests: the catalogue of actions, their wire form, and the validation of
//! an answer into Bold's response.
//!
//! - The catalogue: the known action types ([`known_action_types`]), the
//!   scope each needs ([`required_scope`]) and the fields of their `data`.
//! - [`WireAction`]: one action as `{"type": ..., "data": {...}}`; a typed
//!   [`Action`](crate::Action) becomes one with
//!   [`Action::to_wire`](crate::Action::to_wire).
//! - [`validate`], [`checkout_response`], [`check_output_size`]: the checks
//!   the host applies to every answer, against an [`ActionPolicy`], failing
//!   with a [`Violation`].
//!
//! Nothing here needs `wasm32`: a handler's native test runs the host's
//! exact checks.
//!
//! ```
//! use plugin_sdk::protocol::{ActionPolicy, Violation, WireAction, checkout_response};
//! use plugin_sdk::Action;
//!
//! let policy = ActionPolicy {
//!     scopes: Some(["modify_order".to_owned()].into()),
//!     output_limit: 64 * 1024,
//!     ..ActionPolicy::default()
//! };
//! let answer = [Action::add_note("Thanks!")];
//! let wire: Vec<WireAction> = answer.iter().map(Action::to_wire).collect();
//! assert_eq!(
//!     checkout_response(&wire, &policy).unwrap(),
//!     r#"{"success":true,"actions":[{"type":"add_note","data":{"note":"Thanks!"}}]}"#,
//! );
//!
//! let fee = [Action::add_fee("fee-1", "Handling", "fixed", false, 100).into_wire()];
//! assert_eq!(
//!     checkout_response(&fee, &policy),
//!     Err(Violation::Invalid(
//!         "action `add_fee` needs scope `add_fee`, which the plugin was not granted".into()
//!     )),
//! );
//! ```

mod catalogue;
mod validate;
mod wire;

pub use catalogue::{known_action_types, required_scope};
pub use validate::{ActionPolicy, Violation, check_output_size, checkout_response, validate};
pub use wire::WireAction;

#[cfg(test)]
mod tests;
