//! The calls of a checkout plugin: events (subscription, the on-error
//! policy, Bold's `{"success": true, "actions": [...]}`), overrides and
//! webhooks (the plugin's answer as is).

use http::StatusCode;

use super::reply::{EMPTY_ACTIONS, Reply};
use super::{Dispatcher, Target};
use crate::metrics::{bounded_label, event_label};
use crate::runtime::Call;
use crate::state::ShopRef;

impl Dispatcher {
    /// A checkout event named `name` (the body's `event` field) with its
    /// verified `body`, for `shop` (from the query string). An event the
    /// plugin does not subscribe to, or (with `require_install`) for a shop
    /// it is not installed on, gets no actions without running anything; a
    /// fault gets the plugin's on-error answer.
    pub async fn event(
        &self,
        target: &Target,
        name: String,
        body: String,
        shop: Option<ShopRef>,
    ) -> Reply {
        let manifest = target.entry().manifest();
        let subscribed = manifest.events.as_ref();
        let label = event_label(&name, subscribed);
        if subscribed.is_some_and(|events| !events.contains(&name)) {
            return no_actions(label, "not_subscribed");
        }
        let shop_call = self.shop_call(target.entry(), shop).await;
        if manifest.require_install && !shop_call.installed {
            tracing::info!(
                plugin = target.entry().id(),
                shop = shop_call
                    .context
                    .shop
                    .as_ref()
                    .map_or("(none)", |s| s.shop.as_str()),
                "event for a shop the plugin is not installed on: no actions"
            );
            return no_actions(label, "not_installed");
        }
        let on_error = manifest.on_error;
        let invocation = match self
            .run(target, Call::Event { name, body }, shop_call)
            .await
        {
            Ok(invocation) => invocation,
            Err(refusal) => return Reply::refused(refusal, label),
        };
        let fuel = Some(invocation.report.fuel_used);
        match invocation.outcome {
            Ok(answer) => Reply::answered(StatusCode::OK, answer.into_body(), label, fuel),
            Err(fault) => Reply::fault(fault, label, fuel, Some(on_error)),
        }
    }

    /// An override call of `kind` (`handle-override`) for `shop`.
    pub async fn override_call(
        &self,
        target: &Target,
        kind: String,
        body: String,
        shop: Option<ShopRef>,
    ) -> Reply {
        let label = format!("override:{}", bounded_label(&kind));
        self.gateway(target, Call::Override { kind, body }, label, shop)
            .await
    }

    /// A plugin webhook of `topic` (`handle-webhook`) for `shop`.
    pub async fn webhook(
        &self,
        target: &Target,
        topic: String,
        body: String,
        shop: Option<ShopRef>,
    ) -> Reply {
        let label = format!("webhook:{}", bounded_label(&topic));
        self.gateway(target, Call::Webhook { topic, body }, label, shop)
            .await
    }

    /// A call whose caller gets the plugin's answer as is, or a refusal.
    async fn gateway(
        &self,
        target: &Target,
        call: Call,
        label: String,
        shop: Option<ShopRef>,
    ) -> Reply {
        let shop_call = self.shop_call(target.entry(), shop).await;
        let invocation = match self.run(target, call, shop_call).await {
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

/// Bold's answer with no actions, without running the plugin.
fn no_actions(label: String, outcome: &'static str) -> Reply {
    let mut reply = Reply::answered(StatusCode::OK, EMPTY_ACTIONS.to_owned(), label, None);
    reply.outcome = outcome;
    reply
}
