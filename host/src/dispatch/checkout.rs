//! The calls of a checkout plugin: events (subscription, the on-error
//! policy, Bold's `{"success": true, "actions": [...]}`), overrides and
//! webhooks (the plugin's answer as is).

use http::StatusCode;

use super::reply::{EMPTY_ACTIONS, Reply};
use super::{Dispatcher, Target};
use crate::metrics::{bounded_label, event_label};
use crate::runtime::Call;

impl Dispatcher {
    /// A checkout event named `name` (the body's `event` field) with its
    /// verified `body`. An event the plugin does not subscribe to gets no
    /// actions without running anything; a fault gets the plugin's
    /// on-error answer.
    pub async fn event(&self, target: &Target, name: String, body: String) -> Reply {
        let manifest = target.entry().manifest();
        let subscribed = manifest.events.as_ref();
        let label = event_label(&name, subscribed);
        if subscribed.is_some_and(|events| !events.contains(&name)) {
            let mut reply = Reply::answered(StatusCode::OK, EMPTY_ACTIONS.to_owned(), label, None);
            reply.outcome = "not_subscribed";
            return reply;
        }
        let on_error = manifest.on_error;
        let invocation = match self.run(target, Call::Event { name, body }).await {
            Ok(invocation) => invocation,
            Err(refusal) => return Reply::refused(refusal, label),
        };
        let fuel = Some(invocation.report.fuel_used);
        match invocation.outcome {
            Ok(answer) => Reply::answered(StatusCode::OK, answer.into_body(), label, fuel),
            Err(fault) => Reply::fault(fault, label, fuel, Some(on_error)),
        }
    }

    /// An override call of `kind` (`handle-override`).
    pub async fn override_call(&self, target: &Target, kind: String, body: String) -> Reply {
        let label = format!("override:{}", bounded_label(&kind));
        self.gateway(target, Call::Override { kind, body }, label)
            .await
    }

    /// A plugin webhook of `topic` (`handle-webhook`).
    pub async fn webhook(&self, target: &Target, topic: String, body: String) -> Reply {
        let label = format!("webhook:{}", bounded_label(&topic));
        self.gateway(target, Call::Webhook { topic, body }, label)
            .await
    }

    /// A call whose caller gets the plugin's answer as is, or a refusal.
    async fn gateway(&self, target: &Target, call: Call, label: String) -> Reply {
        let invocation = match self.run(target, call).await {
            Ok(invocation) => invocation,
            Err(refusal) => return Reply::refused(refusal, label),
        };
        let fuel = Some(invocation.report.fuel_used);
        match invocation.outcome {
            Ok(answer) => Reply::answered(StatusCode::OK, answer.into_body(), label, fuel),
            Err(fault) => Reply::fault(fault, label, fuel, None),
        }
    }
}
