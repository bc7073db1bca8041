//! The plugin host's checks of an answer, step for step, for native tests:
//! what `plugin-host serve` (and `invoke`) would refuse fails here with the
//! same fault kind and the same reason.
//!
//! The host receives a handler's actions as WIT values. A typed action
//! becomes the SDK's [`Action`] again and then [`Action::into_wire`]; a
//! generic one crosses the boundary as its type and its data serialised to
//! JSON text, and the host lowercases the type and parses the text
//! ([`WireAction::from_generic_json`]). Then, in this order: a lower bound of
//! the answer's size (its strings alone) against the output limit, every
//! action brought to its wire form, and [`protocol::checkout_response`]
//! (every action validated, Bold's response serialised, its size checked).

use std::fmt;

use serde_json::Value;

use crate::action::Action;
use crate::protocol::{self, ActionPolicy, Violation, WireAction};

/// Why the host would refuse a handler's answer: the fault kind and the
/// reason `serve` logs (and `invoke` prints as `error: <kind>: <reason>`).
///
/// Displays as `<kind>: <reason>`, as the host's fault does.
///
/// ```
/// use plugin_sdk::{Action, serde_json::json};
/// use plugin_sdk::testing::{TestHost, check_actions};
/// let fee = Action::generic("add_fee", json!({"id": "fee-1", "line_text": "Handling",
///     "fee_type": "fixed", "taxable": true, "value": "100", "is_amendment": false}));
/// let refusal = check_actions(&[Action::add_note("hi"), fee], &TestHost::new().policy()).unwrap_err();
/// assert_eq!(refusal.kind, "invalid_output");
/// assert_eq!(refusal.reason, "action `add_fee`: `value` must be an integer");
/// assert_eq!(refusal.action, Some(1));
/// assert_eq!(refusal.to_string(), "invalid_output: action `add_fee`: `value` must be an integer");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The fault kind: `invalid_output` or `output_limit`.
    pub kind: &'static str,
    /// The host's reason, word for word.
    pub reason: String,
    /// The index of the action the reason is about, when it is about one.
    pub action: Option<usize>,
}

impl Refusal {
    fn new(violation: &Violation, action: Option<usize>) -> Self {
        Refusal {
            kind: violation.fault_kind(),
            reason: violation.to_string(),
            action,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.reason)
    }
}

impl std::error::Error for Refusal {}

/// A lower bound of an action's wire size (its strings alone): the host
/// refuses a huge answer with it before turning the answer into JSON. The
/// same sum the host makes of the WIT action; `generic_json` is the data
/// text a generic action crosses the boundary with.
fn min_wire_len(action: &Action, generic_json: Option<&str>) -> usize {
    match action {
        Action::AddLineItemByPlatformVariant(item) => {
            item.line_item_key.len()
                + item
                    .properties
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        }
        Action::AddFee(fee) => fee.id.len() + fee.line_text.len() + fee.fee_type.len(),
        Action::ChangeShippingAddress(a) | Action::ChangeBillingAddress(a) => [
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
        .sum(),
        Action::FlagOrderAsBopis(_) => 0,
        Action::AddNote(s)
        | Action::OverrideAddressValidate(s)
        | Action::OverrideDiscount(s)
        | Action::OverrideInventory(s)
        | Action::OverrideShipping(s)
        | Action::OverrideTax(s) => s.len(),
        Action::Generic { action_type, .. } => action_type.len() + generic_json.map_or(0, str::len),
    }
}

/// The data text a generic action crosses the WIT boundary with (what the
/// component glue sends); `None` for a typed action.
fn generic_json(action: &Action) -> Option<String> {
    match action {
        Action::Generic { data, .. } => Some(data.to_string()),
        _ => None,
    }
}

/// The wire form the host makes of `action` once it has crossed the WIT
/// boundary: [`Action::to_wire`] for a typed action; for a generic one, its
/// type lowercased and its data parsed back from the JSON text the glue
/// sends ([`WireAction::from_generic_json`]), which fails for data nested
/// deeper than the JSON parser allows (128 levels).
///
/// ```
/// use plugin_sdk::{Action, serde_json::json};
/// use plugin_sdk::testing::host_wire;
/// let raw = Action::Generic { action_type: "ADD_TAG".into(), data: json!({"tag": "vip"}) };
/// assert_eq!(raw.to_wire().action_type, "ADD_TAG");
/// assert_eq!(host_wire(&raw)?.action_type, "add_tag");
/// # Ok::<(), plugin_sdk::protocol::Violation>(())
/// ```
pub fn host_wire(action: &Action) -> Result<WireAction, Violation> {
    wire_of(action, generic_json(action).as_deref())
}

/// [`host_wire`], given the action's [`generic_json`].
fn wire_of(action: &Action, generic_json: Option<&str>) -> Result<WireAction, Violation> {
    match generic_json {
        Some(text) => WireAction::from_generic_json(action.type_name(), text),
        None => Ok(action.to_wire()),
    }
}

/// Checks a handler's actions as the host does, against `policy` (see
/// [`TestHost::policy`](super::TestHost::policy)), and returns the body
/// the host would answer Checkout with,
/// `{"success":true,"actions":[...]}`, or why the host would refuse the
/// answer, with the host's fault kind and reason.
///
/// ```
/// use plugin_sdk::Action;
/// use plugin_sdk::testing::{TestHost, check_actions};
/// let host = TestHost::new().with_scopes(["modify_order"]);
/// assert_eq!(
///     check_actions(&[Action::add_note("hi")], &host.policy()).unwrap(),
///     r#"{"success":true,"actions":[{"type":"add_note","data":{"note":"hi"}}]}"#,
/// );
/// let refusal = check_actions(&[Action::add_fee("f", "Fee", "fixed", true, 1)], &host.policy())
///     .unwrap_err();
/// assert_eq!(
///     refusal.to_string(),
///     "invalid_output: action `add_fee` needs scope `add_fee`, which the plugin was not granted",
/// );
/// ```
pub fn check_actions(actions: &[Action], policy: &ActionPolicy) -> Result<String, Refusal> {
    let texts: Vec<Option<String>> = actions.iter().map(generic_json).collect();
    let min_len = actions
        .iter()
        .zip(&texts)
        .map(|(action, text)| min_wire_len(action, text.as_deref()))
        .sum::<usize>();
    protocol::check_output_size(min_len, policy.output_limit)
        .map_err(|v| Refusal::new(&v, None))?;

    let mut wire = Vec::with_capacity(actions.len());
    for (i, (action, text)) in actions.iter().zip(&texts).enumerate() {
        wire.push(wire_of(action, text.as_deref()).map_err(|v| Refusal::new(&v, Some(i)))?);
    }

    protocol::checkout_response(&wire, policy).map_err(|violation| {
        // The host validates in order and stops at the first violation:
        // the first action that fails on its own is the one it names.
        let action = match violation {
            Violation::Invalid(_) => wire
                .iter()
                .position(|w| protocol::validate(w, policy).is_err()),
            Violation::OutputLimit { .. } => None,
        };
        Refusal::new(&violation, action)
    })
}

/// Checks an override answer as the host does: within the output limit,
/// then JSON (any JSON value).
///
/// ```
/// use plugin_sdk::testing::{TestHost, check_override};
/// let policy = TestHost::new().policy();
/// assert!(check_override(r#"{"items":[]}"#, &policy).is_ok());
/// assert_eq!(
///     check_override("in stock", &policy).unwrap_err().to_string(),
///     "invalid_output: override answer is not JSON (expected value at line 1 column 1)",
/// );
/// ```
pub fn check_override(body: &str, policy: &ActionPolicy) -> Result<(), Refusal> {
    protocol::check_output_size(body.len(), policy.output_limit)
        .map_err(|v| Refusal::new(&v, None))?;
    serde_json::from_str::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| Refusal {
            kind: "invalid_output",
            reason: format!("override answer is not JSON ({e})"),
            action: None,
        })
}

/// Panics with the refusal, the way `run_event` and `run_override` report
/// an answer the host would refuse; `actions` (when given) shows the
/// action the reason is about.
#[track_caller]
pub(crate) fn refuse(refusal: &Refusal, actions: Option<&[Action]>) -> ! {
    let detail = match (refusal.action, actions) {
        (Some(i), Some(actions)) => actions.get(i).map_or_else(String::new, |a| {
            format!("\n  actions[{i}] = {}", shorten(&a.to_json()))
        }),
        _ => String::new(),
    };
    panic!("the host would refuse this answer as {refusal}{detail}")
}

/// The value as JSON text, cut to a readable length.
fn shorten(value: &Value) -> String {
    const MAX: usize = 500;
    let text = value.to_string();
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}
