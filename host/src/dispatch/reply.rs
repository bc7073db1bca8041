//! What a dispatched call ends with, in Bold's terms and without HTTP
//! types: an answer for the caller, or a refusal; and, for the request's log
//! line and metrics, its label, outcome word, fault and fuel. The one place
//! where a fault becomes what the caller gets.

use http::StatusCode;

use crate::config::OnError;
use crate::fault::{Fault, FaultKind};

/// Bold's answer to an event that gets no actions.
pub const EMPTY_ACTIONS: &str = r#"{"success":true,"actions":[]}"#;

/// Why a call was not answered by its plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such plugin, or no such route for it (a connector's shop, a
    /// platform webhook that is not configured).
    #[error("no such plugin or route")]
    NotFound,
    /// The plugin does not handle this call.
    #[error("the plugin does not handle this call")]
    Unsupported,
    /// The signature does not verify.
    #[error("signature verification failed")]
    Unauthorized,
    /// The plugin failed to load.
    #[error("the plugin is not available")]
    Unavailable,
    /// Every sandbox of the plugin is busy.
    #[error("the plugin is busy; retry shortly")]
    Saturated,
    /// A connector's notifications could not be committed to the outbox
    /// (the caller retries; nothing was acknowledged).
    #[error("the notification outbox is not available; retry shortly")]
    OutboxUnavailable,
    /// The plugin faulted on a call where the host is its gateway.
    #[error("the plugin failed ({0})")]
    PluginFault(FaultKind),
}

impl Refusal {
    /// What a fault means for a caller that needs the plugin's own answer
    /// (overrides, webhooks, connector calls): `unsupported` → not handled,
    /// `overloaded` → busy, any other → the plugin failed.
    pub fn for_fault(kind: FaultKind) -> Self {
        match kind {
            FaultKind::Unsupported => Refusal::Unsupported,
            FaultKind::Overloaded => Refusal::Saturated,
            kind => Refusal::PluginFault(kind),
        }
    }

    /// The outcome word of a refused call.
    fn outcome(self) -> &'static str {
        match self {
            Refusal::Unauthorized => "unauthorized",
            Refusal::Saturated => "overloaded",
            _ => "refused",
        }
    }
}

/// The caller's part of a [`Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// A JSON body with its status.
    Json {
        /// The HTTP status.
        status: StatusCode,
        /// The JSON text.
        body: String,
    },
    /// Refused.
    Refused(Refusal),
}

/// How a dispatched call ended.
#[derive(Debug, Clone)]
pub struct Reply {
    /// What the caller gets.
    pub answered: Answered,
    /// The label of the call in logs and metrics (event name, `override:…`).
    pub label: String,
    /// `ok`, `fault`, `not_subscribed`, `refused`, `overloaded`, …
    pub outcome: &'static str,
    /// The fault, when the plugin faulted.
    pub fault: Option<Fault>,
    /// Fuel the sandbox used, when one ran.
    pub fuel: Option<u64>,
    /// Headers to send with an answer (e.g. the connector's `X-HMAC` to
    /// Bold's Verify Platform Connector Destination call); none on a
    /// refusal.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// The plugin answered `body` with `status`.
    pub fn answered(status: StatusCode, body: String, label: String, fuel: Option<u64>) -> Self {
        Self {
            answered: Answered::Json { status, body },
            label,
            outcome: "ok",
            fault: None,
            fuel,
            headers: Vec::new(),
        }
    }

    /// The same answer with `headers` added.
    pub fn with_headers(
        mut self,
        headers: impl IntoIterator<Item = (&'static str, String)>,
    ) -> Self {
        self.headers.extend(headers);
        self
    }

    /// The call was refused before or instead of an answer.
    pub fn refused(refusal: Refusal, label: String) -> Self {
        Self {
            answered: Answered::Refused(refusal),
            label,
            outcome: refusal.outcome(),
            fault: None,
            fuel: None,
            headers: Vec::new(),
        }
    }

    /// The plugin faulted. An event (`on_error` given) gets the plugin's
    /// on-error answer, 200, so the checkout goes on; any other call is
    /// refused ([`Refusal::for_fault`]). Either way a busy plugin is a 503.
    pub fn fault(
        fault: Fault,
        label: String,
        fuel: Option<u64>,
        on_error: Option<OnError>,
    ) -> Self {
        let answered = match on_error {
            Some(on_error) if fault.kind != FaultKind::Overloaded => Answered::Json {
                status: StatusCode::OK,
                body: on_error_body(on_error, fault.kind),
            },
            _ => Answered::Refused(Refusal::for_fault(fault.kind)),
        };
        let outcome = match answered {
            Answered::Refused(Refusal::Saturated) => "overloaded",
            _ => "fault",
        };
        // A busy plugin ran no sandbox: no fuel to report.
        let fuel = fuel.filter(|_| fault.kind != FaultKind::Overloaded);
        Self {
            answered,
            label,
            outcome,
            fault: Some(fault),
            fuel,
            headers: Vec::new(),
        }
    }
}

/// The body of the on-error answer to an event.
fn on_error_body(on_error: OnError, kind: FaultKind) -> String {
    match on_error {
        OnError::NoActions => EMPTY_ACTIONS.to_owned(),
        OnError::Fail => serde_json::json!({
            "success": false,
            "actions": [],
            "error": kind.as_str(),
        })
        .to_string(),
    }
}
