//! Native test helpers: a test double for the host ([`TestHost`]: config,
//! log, the call's shop, scripted outbound HTTP and Bold API answers,
//! recorded requests), Bold's sample events, runners for plugins and
//! connectors, and assertions on actions and notifications.
//!
//! The runners check answers **as the plugin host does**: [`run_event`]
//! and [`run_override`] panic when the host would refuse the handler's
//! answer, with the host's fault kind and reason, word for word (the
//! checks of [`protocol`](crate::protocol), the catalogue the host uses,
//! against the [`TestHost`]'s scopes, extra action types and output
//! limit). [`check_actions`] and [`check_override`] run the same checks
//! without panicking.
//!
//! ```should_panic
//! use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, serde_json::json};
//! use plugin_sdk::testing::{TestHost, fixture, run_event};
//! struct Sloppy;
//! impl CheckoutPlugin for Sloppy {
//!     fn handle_event(_: &Event, _: &dyn Host) -> Result<Vec<Action>, HandlerError> {
//!         // `value` should be an integer and `taxable` is missing.
//!         Ok(vec![Action::generic("add_fee", json!({"id": "fee-1", "line_text": "Handling",
//!             "fee_type": "fixed", "value": "1500", "is_amendment": false}))])
//!     }
//! }
//! // panics: the host would refuse this answer as invalid_output:
//! // action `add_fee`: `taxable` is missing
//! let _ = run_event::<Sloppy>(&fixture("order_submitted_us"), &TestHost::new());
//! ```
//!
//! ```
//! use plugin_sdk::testing::{TestHost, fixture, run_event};
//! # use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host};
//! # struct Nothing;
//! # impl CheckoutPlugin for Nothing {
//! #     fn handle_event(_: &Event, _: &dyn Host) -> Result<Vec<Action>, HandlerError> { Ok(vec![]) }
//! # }
//! let host = TestHost::new().with_config("stock", "5");
//! let actions = run_event::<Nothing>(&fixture("initialize_checkout"), &host).unwrap();
//! plugin_sdk::assert_actions!(actions, []);
//! ```

use std::io;
use std::path::Path;

use serde_json::Value;

use crate::CheckoutPlugin;
use crate::action::Action;
use crate::connector::{BoldRequest, BoldResponse, ConnectorPlugin, PlatformEvent};
use crate::error::HandlerError;
use crate::event::Event;
use crate::notification::Notification;

mod answer;
mod script;
mod test_host;

pub use answer::{Refusal, check_actions, check_override, host_wire};
pub use test_host::{DEFAULT_OUTPUT_LIMIT, LogRecord, TestHost};

const FIXTURES: &[(&str, &str)] = &[
    (
        "initialize_checkout",
        include_str!("../fixtures/initialize_checkout.json"),
    ),
    (
        "order_submitted_us",
        include_str!("../fixtures/order_submitted_us.json"),
    ),
    ("app_hook", include_str!("../fixtures/app_hook.json")),
];

/// The names of the bundled Bold sample events: `initialize_checkout`,
/// `order_submitted_us` (a US shipping address, two line items, one with
/// property `gift_wrap: yes`), `app_hook` (hook `apply_loyalty_discount`).
pub fn fixture_names() -> impl Iterator<Item = &'static str> {
    FIXTURES.iter().map(|(name, _)| *name)
}

/// The raw JSON text of a bundled fixture, if there is one by that name.
pub fn fixture_json(name: &str) -> Option<&'static str> {
    FIXTURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, json)| *json)
}

/// A bundled fixture as an [`Event`] (named by its `event` field).
///
/// # Panics
/// When there is no fixture by that name (see [`fixture_names`]).
#[track_caller]
pub fn fixture(name: &str) -> Event {
    match fixture_json(name).map(Event::parse) {
        Some(Ok(event)) => event,
        Some(Err(e)) => panic!("fixture {name}: {e}"),
        None => panic!(
            "no fixture {name:?}; there are: {:?}",
            fixture_names().collect::<Vec<_>>()
        ),
    }
}

/// A bundled fixture, changed by `edit` before it becomes an [`Event`]:
/// the way to test edge cases close to a real payload.
///
/// ```
/// use plugin_sdk::testing::fixture_with;
/// let event = fixture_with("order_submitted_us", |body| {
///     body["customer"]["shipping"]["country_code"] = "CA".into();
/// });
/// assert_eq!(event.customer().unwrap().shipping.country_code, "CA");
/// ```
///
/// # Panics
/// When there is no fixture by that name, or the edited body is not an
/// event.
#[track_caller]
pub fn fixture_with(name: &str, edit: impl FnOnce(&mut Value)) -> Event {
    let Some(json) = fixture_json(name) else {
        panic!(
            "no fixture {name:?}; there are: {:?}",
            fixture_names().collect::<Vec<_>>()
        );
    };
    let mut body: Value = match serde_json::from_str(json) {
        Ok(body) => body,
        Err(e) => panic!("fixture {name}: {e}"),
    };
    edit(&mut body);
    event_from_json(&body)
}

/// An [`Event`] from a JSON value (named by its `event` field).
///
/// # Panics
/// When the value is not an object with a string `event` field.
#[track_caller]
pub fn event_from_json(body: &Value) -> Event {
    match Event::parse(body.to_string()) {
        Ok(event) => event,
        Err(e) => panic!("not an event: {e}"),
    }
}

/// Reads an event from a JSON file (named by its `event` field). I/O errors
/// are returned as they are; a body that is not an event is an
/// [`io::ErrorKind::InvalidData`] error wrapping the [`HandlerError`].
pub fn load_event(path: impl AsRef<Path>) -> io::Result<Event> {
    let body = std::fs::read_to_string(path)?;
    Event::parse(body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Runs a plugin's `handle_event` as the component glue would, then
/// checks the actions as the host does ([`check_actions`] against
/// [`TestHost::policy`]). A handler error is returned as it is (the host
/// would apply the plugin's `on_error`).
///
/// # Panics
/// When the host would refuse the actions (as `invalid_output` or
/// `output_limit`), with the host's reason, word for word, and the action
/// it is about:
///
/// ```text
/// the host would refuse this answer as invalid_output: action `add_fee`: `value` must be an integer
///   actions[0] = {"type":"add_fee","data":{...}}
/// ```
///
/// To assert on a refusal without a panic, call the handler directly and
/// [`check_actions`] its answer.
#[track_caller]
pub fn run_event<P: CheckoutPlugin + ?Sized>(
    event: &Event,
    host: &TestHost,
) -> Result<Vec<Action>, HandlerError> {
    let actions = P::handle_event(event, host)?;
    if let Err(refusal) = check_actions(&actions, &host.policy()) {
        answer::refuse(&refusal, Some(&actions));
    }
    Ok(actions)
}

/// Runs a plugin's `handle_override`, then checks the answer as the host
/// does ([`check_override`]: within the output limit, JSON).
///
/// # Panics
/// When the host would refuse the answer, with the host's fault kind and
/// reason, e.g. `the host would refuse this answer as invalid_output:
/// override answer is not JSON (expected value at line 1 column 1)`.
#[track_caller]
pub fn run_override<P: CheckoutPlugin + ?Sized>(
    kind: &str,
    body: &str,
    host: &TestHost,
) -> Result<String, HandlerError> {
    let answer = P::handle_override(kind, body, host)?;
    if let Err(refusal) = check_override(&answer, &host.policy()) {
        answer::refuse(&refusal, None);
    }
    Ok(answer)
}

/// Runs a plugin's `handle_webhook`.
pub fn run_webhook<P: CheckoutPlugin + ?Sized>(
    topic: &str,
    body: &str,
    host: &TestHost,
) -> Result<(), HandlerError> {
    P::handle_webhook(topic, body, host)
}

/// Runs a connector's `handle_platform_event` on a webhook with `topic`
/// and `body`.
pub fn run_platform_event<P: ConnectorPlugin + ?Sized>(
    topic: &str,
    body: &str,
    host: &TestHost,
) -> Result<Vec<Notification>, HandlerError> {
    P::handle_platform_event(&PlatformEvent::new(topic, body), host)
}

/// Runs a connector's `handle_bold_request`.
pub fn run_bold_request<P: ConnectorPlugin + ?Sized>(
    request: &BoldRequest,
    host: &TestHost,
) -> Result<BoldResponse, HandlerError> {
    P::handle_bold_request(request, host)
}

/// The notifications as a JSON array of [`Notification::to_json`].
pub fn notifications_json(notifications: &[Notification]) -> Value {
    Value::Array(notifications.iter().map(Notification::to_json).collect())
}

/// Asserts that `notifications` are, as [`notifications_json`], the JSON
/// array `expected`; prints both, pretty, when they differ. See also
/// [`assert_notifications!`](crate::assert_notifications).
#[track_caller]
pub fn assert_notifications(notifications: &[Notification], expected: &Value) {
    let actual = notifications_json(notifications);
    if actual != *expected {
        panic!(
            "notifications differ\n--- actual ---\n{}\n--- expected ---\n{}",
            pretty(&actual),
            pretty(expected)
        );
    }
}

/// The actions in Bold's wire shape, as a JSON array.
pub fn actions_json(actions: &[Action]) -> Value {
    Value::Array(actions.iter().map(Action::to_json).collect())
}

/// Asserts that `actions` are, on the wire, the JSON array `expected`;
/// prints both, pretty, when they differ. See also
/// [`assert_actions!`](crate::assert_actions).
#[track_caller]
pub fn assert_actions(actions: &[Action], expected: &Value) {
    let actual = actions_json(actions);
    if actual != *expected {
        panic!(
            "actions differ\n--- actual ---\n{}\n--- expected ---\n{}",
            pretty(&actual),
            pretty(expected)
        );
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Asserts that a list of actions is, on the wire, the given JSON (written
/// as for `serde_json::json!`); prints both, pretty, when they differ.
///
/// ```
/// use plugin_sdk::{Action, assert_actions};
/// let actions = vec![Action::add_note("hi")];
/// assert_actions!(actions, [{"type": "add_note", "data": {"note": "hi"}}]);
/// ```
#[macro_export]
macro_rules! assert_actions {
    ($actions:expr, $($json:tt)+) => {
        $crate::testing::assert_actions(
            &$actions,
            &$crate::__private::serde_json::json!($($json)+),
        )
    };
}

/// Asserts that a list of notifications is, as
/// [`notifications_json`], the given JSON (written as for
/// `serde_json::json!`); prints both, pretty, when they differ.
///
/// ```
/// use plugin_sdk::{Notification, assert_notifications};
/// let notifications = vec![Notification::product_deleted("p1", "2026-11-22T10:00:00Z").unwrap()];
/// assert_notifications!(notifications, [{
///     "type": "product_deleted",
///     "platform_id": "p1",
///     "platform_updated_at": "2026-11-22T10:00:00Z",
///     "json": {"platform_id": "p1"},
/// }]);
/// ```
#[macro_export]
macro_rules! assert_notifications {
    ($notifications:expr, $($json:tt)+) => {
        $crate::testing::assert_notifications(
            &$notifications,
            &$crate::__private::serde_json::json!($($json)+),
        )
    };
}
