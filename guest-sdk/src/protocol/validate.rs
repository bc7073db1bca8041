//! Validation of what a handler returns against an [`ActionPolicy`], and
//! Bold's Checkout response `{"success": true, "actions": [...]}`.
//!
//! Every action must have a known type (or one the policy explicitly
//! allows), `data` a JSON object of the shape the catalogue gives,
//! be within the plugin's scopes when it declares them, and the whole
//! answer within the output limit.

use std::collections::BTreeSet;

use serde_json::Value;

use super::WireAction;
use super::catalogue::{Kind, spec};

/// What a plugin's answers are checked against.
///
/// `Default` grants every scope, allows no extra types and has an output
/// limit of 0 bytes: set `output_limit` before calling
/// [`checkout_response`].
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

/// Why an answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// An action is malformed, unknown, outside the plugin's scopes, or the
    /// answer cannot be serialised. The text names the action and the
    /// problem, e.g. "action `add_note`: `note` must be a string".
    #[error("{0}")]
    Invalid(String),
    /// The serialised answer is larger than the output limit.
    #[error("answer of at least {len} bytes is over the limit of {limit} bytes")]
    OutputLimit {
        /// The answer's size (or a lower bound of it), in bytes.
        len: usize,
        /// The limit, in bytes.
        limit: u64,
    },
}

impl Violation {
    /// The fault kind the host reports for this violation (in its logs,
    /// metrics and `invoke`): `invalid_output` for
    /// [`Violation::Invalid`], `output_limit` for
    /// [`Violation::OutputLimit`].
    ///
    /// ```
    /// use plugin_sdk::protocol::Violation;
    /// assert_eq!(Violation::Invalid("x".into()).fault_kind(), "invalid_output");
    /// assert_eq!(Violation::OutputLimit { len: 2, limit: 1 }.fault_kind(), "output_limit");
    /// ```
    pub fn fault_kind(&self) -> &'static str {
        match self {
            Violation::Invalid(_) => "invalid_output",
            Violation::OutputLimit { .. } => "output_limit",
        }
    }
}

fn invalid(reason: String) -> Violation {
    Violation::Invalid(reason)
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

fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks one action against the policy. Every refusal is
/// [`Violation::Invalid`].
///
/// ```
/// use plugin_sdk::Action;
/// use plugin_sdk::protocol::{ActionPolicy, validate};
/// let mut policy = ActionPolicy::default();
/// assert!(validate(&Action::add_note("hi").into_wire(), &policy).is_ok());
/// policy.scopes = Some(["add_fee".to_owned()].into());
/// assert_eq!(
///     validate(&Action::add_note("hi").into_wire(), &policy).unwrap_err().to_string(),
///     "action `add_note` needs scope `modify_order`, which the plugin was not granted",
/// );
/// ```
pub fn validate(action: &WireAction, policy: &ActionPolicy) -> Result<(), Violation> {
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
                        kind.name()
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
/// `{"success":true,"actions":[...]}`, within the output limit.
///
/// ```
/// use plugin_sdk::Action;
/// use plugin_sdk::protocol::{ActionPolicy, WireAction, checkout_response};
/// let policy = ActionPolicy { output_limit: 1 << 20, ..ActionPolicy::default() };
/// let wire: Vec<WireAction> = [Action::override_tax("https://x/tax")].iter().map(Action::to_wire).collect();
/// assert_eq!(
///     checkout_response(&wire, &policy).unwrap(),
///     r#"{"success":true,"actions":[{"type":"override_tax","data":{"url":"https://x/tax"}}]}"#,
/// );
/// ```
pub fn checkout_response(
    actions: &[WireAction],
    policy: &ActionPolicy,
) -> Result<String, Violation> {
    for action in actions {
        validate(action, policy)?;
    }
    // Serialised straight from the actions: no copy of `data` into a
    // response tree (docs/measurements.md: what each optimisation bought).
    let body = serde_json::to_string(&Response {
        success: true,
        actions,
    })
    .map_err(|e| invalid(format!("answer not serialisable ({e})")))?;
    check_output_size(body.len(), policy.output_limit)?;
    Ok(body)
}

/// Bold's response, borrowing the validated actions.
#[derive(serde::Serialize)]
struct Response<'a> {
    success: bool,
    actions: &'a [WireAction],
}

/// Refuses answers over the output limit: `len` bytes (the answer's size,
/// or a lower bound of it) against `limit`.
///
/// ```
/// use plugin_sdk::protocol::{Violation, check_output_size};
/// assert!(check_output_size(10, 10).is_ok());
/// assert_eq!(check_output_size(11, 10), Err(Violation::OutputLimit { len: 11, limit: 10 }));
/// ```
pub fn check_output_size(len: usize, limit: u64) -> Result<(), Violation> {
    if len as u64 > limit {
        return Err(Violation::OutputLimit { len, limit });
    }
    Ok(())
}
