//! The calls of a platform connector: the platform's webhooks
//! (`handle-platform-event`) and Bold's calls on the connector
//! (`handle-bold-request`). Their notifications are committed to the outbox
//! before the caller gets its answer: a 2xx means they will be delivered. If
//! the commit fails, the caller is refused and retries; nothing was
//! acknowledged. A call that has started runs to its end and commits even if
//! its caller goes away: the platform may already have changed, and Bold must
//! hear of it.
//!
//! Bold's Verify Platform Connector Destination call is the host's alone:
//! no sandbox runs; the answer carries a fresh X-HMAC stamp.

use http::StatusCode;

use super::answer::Answer;
use super::auth::Authenticated;
use super::notifications::{self, Notification};
use super::reply::{Refusal, Reply};
use super::shops::ShopCall;
use super::{Dispatcher, Target};
use crate::fault::{Fault, FaultKind};
use crate::metrics::bounded_label;
use crate::outbox::{NewNotification, OutboxError};
use crate::runtime::{BoldCall, Call};

/// The body of the answer to Bold's Verify Platform Connector Destination
/// call (Bold reads the `X-HMAC` header; the body is not public).
pub const VERIFIED_DESTINATION: &str = r#"{"success":true}"#;

/// Why a connector's notifications were not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// This server opened no outbox.
    #[error("this server has no outbox")]
    NoOutbox,
    /// The outbox refused or failed the batch.
    #[error(transparent)]
    Enqueue(#[from] OutboxError),
}

impl Dispatcher {
    /// A platform webhook of `topic` with its verified `body`. A topic the
    /// manifest does not declare is not found, and nothing runs; only
    /// declared topics become label values.
    pub async fn platform_event(&self, target: &Target, topic: String, body: String) -> Reply {
        let webhook = target
            .entry()
            .manifest()
            .connector
            .as_ref()
            .and_then(|c| c.webhook.as_ref());
        let Some(webhook) = webhook else {
            return Reply::refused(Refusal::NotFound, "platform:other".to_owned());
        };
        let label = format!("platform:{}", webhook.label(&topic));
        if !webhook.accepts(&topic) {
            return Reply::refused(Refusal::NotFound, label);
        }
        self.connector_call(target, Call::PlatformEvent { topic, body }, label)
            .await
    }

    /// A call Bold made on the connector; refused as not found unless the
    /// connector serves the call's shop.
    pub async fn bold_request(&self, target: &Target, call: BoldCall) -> Reply {
        let label = format!(
            "bold:{}",
            bounded_label(call.path.split('/').next().unwrap_or_default())
        );
        let serves_shop = target
            .entry()
            .connector()
            .is_some_and(|c| c.settings.shop_identifier == call.shop_identifier);
        if !serves_shop {
            return Reply::refused(Refusal::NotFound, label);
        }
        self.connector_call(target, Call::BoldRequest(call), label)
            .await
    }

    /// Bold's Verify Platform Connector Destination call, already verified
    /// (X-HMAC, see [`Authenticated::XHmac`]): 200 `{"success":true}` with
    /// `X-HMAC-Timestamp` (now) and `X-HMAC` computed the same way as Bold's,
    /// with the shared secret Bold's call was made with. That pair is
    /// remembered as used: it is a valid stamp for the connector's own
    /// routes during the window, and must not be playable back to them.
    /// Not found for a connector on cavage (it has no X-HMAC secret).
    pub fn verify_destination(&self, target: &Target, auth: Authenticated) -> Reply {
        let label = "bold:verify".to_owned();
        let bold_hmac = target
            .entry()
            .connector()
            .and_then(|c| c.bold_hmac.as_ref());
        let (Some(bold_hmac), Authenticated::XHmac { secret }) = (bold_hmac, auth) else {
            return Reply::refused(Refusal::NotFound, label);
        };
        let Some(signer) = bold_hmac.verifier.signer(secret) else {
            return Reply::refused(Refusal::NotFound, label);
        };
        let now = (self.inner.clock)();
        let stamp = signer.sign(now);
        if let Some(guard) = &bold_hmac.replay {
            // `false` only when Bold's own stamp was this very pair: used
            // either way.
            let _ = guard.remember(&stamp.replay_key(), now);
        }
        Reply::answered(StatusCode::OK, VERIFIED_DESTINATION.to_owned(), label, None)
            .with_headers(stamp.headers())
    }

    /// Runs the call, commits its notifications, and answers, in a task of
    /// its own that a departing caller does not stop.
    async fn connector_call(&self, target: &Target, call: Call, label: String) -> Reply {
        // Nothing runs (and nothing changes on the platform) when the
        // notifications could not be committed.
        if !self.outbox_slot().is_ready() {
            return Reply::refused(Refusal::OutboxUnavailable, label);
        }
        let dispatcher = self.clone();
        let target = target.clone();
        let task_label = label.clone();
        let task = tokio::spawn(async move {
            dispatcher
                .connector_call_to_end(&target, call, task_label)
                .await
        });
        match task.await {
            Ok(reply) => reply,
            // Only a bug in the host gets here (guest faults are values).
            Err(err) => {
                let fault = Fault::new(FaultKind::Trap, format!("connector call failed: {err}"));
                Reply::fault(fault, label, None, None)
            }
        }
    }

    async fn connector_call_to_end(&self, target: &Target, call: Call, label: String) -> Reply {
        let entry = target.entry();
        let Some(connector) = entry.connector() else {
            return Reply::refused(Refusal::NotFound, label);
        };
        let invocation = match self.run(target, call, ShopCall::default()).await {
            Ok(invocation) => invocation,
            Err(refusal) => return Reply::refused(refusal, label),
        };
        let fuel = Some(invocation.report.fuel_used);
        let (status, body, notifications) = match invocation.outcome {
            Ok(Answer::Notifications(notifications)) => (
                StatusCode::OK,
                serde_json::json!({"success": true, "notifications": notifications.len()})
                    .to_string(),
                notifications,
            ),
            Ok(Answer::Bold {
                status,
                body,
                notifications,
            }) => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                body,
                notifications,
            ),
            // A connector world only answers the two calls above.
            Ok(_) => {
                return Reply::refused(Refusal::PluginFault(FaultKind::InvalidOutput), label);
            }
            Err(fault) => return Reply::fault(fault, label, fuel, None),
        };
        let now = (self.inner.clock)();
        if let Err(fault) =
            notifications::check_not_ahead(&notifications, now, connector.settings.max_future)
        {
            return Reply::fault(fault, label, fuel, None);
        }
        if !notifications.is_empty() {
            let shop = &connector.settings.shop_identifier;
            if let Err(err) = self.commit(entry.id(), shop, &notifications).await {
                tracing::error!(error = %err, "notifications not committed");
                let mut reply = Reply::refused(Refusal::OutboxUnavailable, label);
                reply.fuel = fuel;
                return reply;
            }
        }
        Reply::answered(status, body, label, fuel)
    }

    async fn commit(
        &self,
        plugin: &str,
        shop: &str,
        notifications: &[Notification],
    ) -> Result<(), CommitError> {
        let outbox = self.outbox().ok_or(CommitError::NoOutbox)?;
        let batch: Vec<NewNotification> = notifications
            .iter()
            .map(|n| notifications::outbox_row(plugin, shop, n))
            .collect();
        let committed = outbox.enqueue(batch).await;
        self.outbox_slot().set_writable(committed.is_ok());
        committed?;
        Ok(())
    }
}
