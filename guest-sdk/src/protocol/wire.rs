//! Bold's wire form of one action, `{"type": "<lowercase>", "data": {...}}`.
//!
//! A typed [`Action`] becomes one with [`Action::to_wire`] or
//! [`Action::into_wire`] (that mapping lives in [`crate::action`]); a
//! generic action received as JSON text with
//! [`WireAction::from_generic_json`].

use serde_json::Value;

use super::Violation;
use crate::action::Action;

/// One action in Bold's wire form, as it appears in the Checkout response.
///
/// ```
/// use plugin_sdk::{Action, protocol::WireAction, serde_json::json};
/// let wire = Action::add_note("hi").into_wire();
/// assert_eq!(wire, WireAction { action_type: "add_note".into(), data: json!({"note": "hi"}) });
/// assert_eq!(
///     plugin_sdk::serde_json::to_value(&wire).unwrap(),
///     json!({"type": "add_note", "data": {"note": "hi"}}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WireAction {
    /// Lowercase action type, e.g. `add_fee`.
    #[serde(rename = "type")]
    pub action_type: String,
    /// The action's `data` object.
    pub data: Value,
}

impl WireAction {
    /// A generic action whose `data` is JSON text (as the WIT `generic`
    /// case carries it): the type is lowercased, the text parsed. Text that
    /// is not JSON is [`Violation::Invalid`]; the shape is checked later by
    /// [`validate`](super::validate()).
    ///
    /// ```
    /// use plugin_sdk::protocol::{Violation, WireAction};
    /// let note = WireAction::from_generic_json("ADD_NOTE", r#"{"note": "hi"}"#).unwrap();
    /// assert_eq!(note.action_type, "add_note");
    /// assert!(matches!(WireAction::from_generic_json("add_note", "{"), Err(Violation::Invalid(_))));
    /// ```
    pub fn from_generic_json(action_type: &str, data_json: &str) -> Result<WireAction, Violation> {
        let data: Value = serde_json::from_str(data_json).map_err(|e| {
            Violation::Invalid(format!("action `{action_type}`: data is not JSON ({e})"))
        })?;
        Ok(WireAction {
            action_type: action_type.to_ascii_lowercase(),
            data,
        })
    }
}

impl From<Action> for WireAction {
    /// [`Action::into_wire`].
    fn from(action: Action) -> Self {
        action.into_wire()
    }
}

impl From<&Action> for WireAction {
    /// [`Action::to_wire`].
    fn from(action: &Action) -> Self {
        action.to_wire()
    }
}
