//! What a guest's output means for Bold: the checks every answer passes
//! before anyone sees it (the actions against Bold's catalogue and the
//! plugin's scopes, notifications, JSON bodies, the output limit), and the
//! answer that results.

use crate::fault::{Fault, FaultKind};
use crate::runtime::bindings::connector::checkout::plugin::connector_types as cwit;
use crate::runtime::{Call, Invocation, Output, Plugin};

use super::actions::{self, ActionPolicy};
use super::notifications::{self, Notification};

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Bold's response to an event: `{"success": true, "actions": [...]}`.
    Checkout {
        /// The serialised response.
        body: String,
        /// How many actions it holds.
        actions: usize,
    },
    /// The JSON answer to an override call, as the plugin gave it.
    Override(String),
    /// The webhook was handled.
    Webhook,
    /// A connector mapped a platform webhook to these notifications.
    Notifications(Vec<Notification>),
    /// A connector answered Bold.
    Bold {
        /// The HTTP status for Bold.
        status: u16,
        /// The JSON body (may be empty).
        body: String,
        /// Side-effect notifications to queue before answering.
        notifications: Vec<Notification>,
    },
}

impl Answer {
    /// The answer's JSON text (`{"success":true}` for a webhook or a
    /// platform event).
    pub fn body(&self) -> &str {
        match self {
            Answer::Checkout { body, .. } | Answer::Override(body) | Answer::Bold { body, .. } => {
                body
            }
            Answer::Webhook | Answer::Notifications(_) => r#"{"success":true}"#,
        }
    }

    /// The answer's JSON text, owned (see [`Answer::body`]).
    pub fn into_body(self) -> String {
        match self {
            Answer::Checkout { body, .. } | Answer::Override(body) | Answer::Bold { body, .. } => {
                body
            }
            Answer::Webhook | Answer::Notifications(_) => r#"{"success":true}"#.to_owned(),
        }
    }

    /// Bytes of output it stands for (notifications included).
    pub fn output_len(&self) -> u64 {
        let notes = match self {
            Answer::Notifications(n)
            | Answer::Bold {
                notifications: n, ..
            } => n
                .iter()
                .map(|n| (n.json_bytes + n.platform_id.len() + n.updated_at.len()) as u64)
                .sum(),
            _ => 0,
        };
        self.body().len() as u64 + notes
    }
}

/// A loaded plugin with the policy its answers are checked against: a
/// call's sandbox and protocol checks, without HTTP or admission (`invoke`,
/// benchmarks, tests). Derefs to the [`Plugin`].
#[derive(Debug, Clone)]
pub struct CheckedPlugin {
    /// The loaded plugin.
    pub plugin: Plugin,
    /// What its answers are checked against.
    pub policy: ActionPolicy,
}

impl CheckedPlugin {
    /// Runs `call` in a fresh sandbox on the current tokio runtime and
    /// checks the output ([`settle`]).
    pub async fn invoke(&self, call: &Call) -> Invocation<Answer> {
        settle(self.plugin.invoke(call).await, &self.policy)
    }
}

impl std::ops::Deref for CheckedPlugin {
    type Target = Plugin;

    fn deref(&self) -> &Plugin {
        &self.plugin
    }
}

/// Checks an invocation's output and sets the report's output size.
pub fn settle(invocation: Invocation, policy: &ActionPolicy) -> Invocation<Answer> {
    let Invocation {
        outcome,
        mut report,
    } = invocation;
    let outcome = outcome.and_then(|output| check(output, policy));
    report.output_bytes = outcome.as_ref().map_or(0, Answer::output_len);
    Invocation { outcome, report }
}

/// Checks one output against the protocol and the policy.
pub fn check(output: Output, policy: &ActionPolicy) -> Result<Answer, Fault> {
    match output {
        Output::Actions(actions) => {
            let min_len = actions.iter().map(actions::min_wire_len).sum::<usize>();
            actions::check_output_size(min_len, policy.output_limit)?;
            let wire = actions
                .into_iter()
                .map(actions::from_wit)
                .collect::<Result<Vec<_>, _>>()?;
            let body = actions::checkout_response(&wire, policy)?;
            Ok(Answer::Checkout {
                body,
                actions: wire.len(),
            })
        }
        Output::Override(body) => {
            actions::check_output_size(body.len(), policy.output_limit)?;
            check_json(&body, "override answer is not JSON")?;
            Ok(Answer::Override(body))
        }
        Output::Webhook => Ok(Answer::Webhook),
        Output::Notifications(raw) => {
            notifications::check_size(&raw, 0, policy.output_limit)?;
            Ok(Answer::Notifications(notifications::check_all(raw)?))
        }
        Output::Bold(response) => check_bold(response, policy),
    }
}

fn check_bold(response: cwit::BoldResponse, policy: &ActionPolicy) -> Result<Answer, Fault> {
    notifications::check_size(
        &response.notifications,
        response.body.len(),
        policy.output_limit,
    )?;
    if !(200..=599).contains(&response.status) {
        return Err(Fault::new(
            FaultKind::InvalidOutput,
            format!("status {} is not 200..=599", response.status),
        ));
    }
    if !response.body.is_empty() {
        check_json(&response.body, "the answer to Bold is not JSON")?;
    }
    Ok(Answer::Bold {
        status: response.status,
        body: response.body,
        notifications: notifications::check_all(response.notifications)?,
    })
}

fn check_json(body: &str, what: &str) -> Result<(), Fault> {
    serde_json::from_str::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| Fault::new(FaultKind::InvalidOutput, format!("{what} ({e})")))
}
