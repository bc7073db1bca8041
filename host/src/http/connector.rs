//! The connector routes:
//! - `POST /plugins/{id}/platform/{topic}`: the platform's webhooks, verified
//!   with its body HMAC, mapped by `handle-platform-event` to notifications;
//! - `/plugins/{id}/bold/{shop_identifier}/{*path}`: calls Bold makes on the
//!   connector (e.g. Update Customer, `PUT .../customers/{id}`), verified like
//!   checkout events and answered with `handle-bold-request`'s response.
//!
//! Notifications are committed to the outbox before the caller gets its
//! answer: a 2xx means they will be delivered. If the commit fails, the
//! caller gets 503 and retries; nothing was acknowledged.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::AppState;
use super::calls::{Outcome, bounded_label, observe, run};
use super::checks::{Auth, Checked, Incoming, Rules, check_with};
use super::error::ApiError;
use crate::connector::Notification;
use crate::outbox::{EntityKind, NewNotification, Operation};
use crate::runtime::{Answer, BoldCall, OwnedCall};

const PLATFORM: Rules = Rules {
    methods: &[Method::POST],
    auth: Auth::PlatformBody,
    require_event: false,
    allow_empty: false,
};

const BOLD: Rules = Rules {
    methods: &[
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ],
    auth: Auth::Cavage,
    require_event: false,
    allow_empty: true,
};

/// `POST /plugins/{id}/platform/{topic}`.
pub(super) async fn platform_event(
    State(state): State<AppState>,
    Path((id, topic)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let label = format!("platform:{}", bounded_label(&topic));
    observe(&state, &id, async {
        let mut checked = match check_with(&state, &id, incoming, PLATFORM).await {
            Ok(checked) => checked,
            Err(err) => return Outcome::error(err, "other".into()),
        };
        let call = OwnedCall::PlatformEvent {
            topic,
            body: std::mem::take(&mut checked.body),
        };
        answer(&state, &checked, call, label).await
    })
    .await
}

/// `/plugins/{id}/bold/{shop_identifier}/{*path}`.
pub(super) async fn bold_request(
    State(state): State<AppState>,
    Path((id, shop, path)): Path<(String, String, String)>,
    incoming: Incoming,
) -> Response {
    let method = incoming.method.as_str().to_owned();
    let query = incoming.uri.query().unwrap_or_default().to_owned();
    let label = format!(
        "bold:{}",
        bounded_label(path.split('/').next().unwrap_or_default())
    );
    observe(&state, &id, async {
        let mut checked = match check_with(&state, &id, incoming, BOLD).await {
            Ok(checked) => checked,
            Err(err) => return Outcome::error(err, "other".into()),
        };
        let serves_shop = checked
            .entry
            .connector
            .as_ref()
            .is_some_and(|c| c.settings.shop_identifier == shop);
        if !serves_shop {
            return Outcome::error(ApiError::NotFound, label);
        }
        let call = OwnedCall::BoldRequest(BoldCall {
            method,
            shop_identifier: shop,
            path,
            query,
            body: std::mem::take(&mut checked.body),
        });
        answer(&state, &checked, call, label).await
    })
    .await
}

/// Runs the call, commits its notifications, and answers.
async fn answer(state: &AppState, checked: &Checked, call: OwnedCall, label: String) -> Outcome {
    let Some(connector) = &checked.entry.connector else {
        return Outcome::error(ApiError::NotFound, label);
    };
    let invocation = match run(state, checked, call).await {
        Ok(invocation) => invocation,
        Err(err) => return Outcome::error(err, label),
    };
    let fuel = Some(invocation.report.fuel_used);
    let (status, body, notifications) = match invocation.outcome {
        Ok(Answer::Notifications(notifications)) => (
            StatusCode::OK,
            serde_json::json!({"success": true, "notifications": notifications.len()}).to_string(),
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
        Ok(_) => {
            // A connector world only answers the two calls above.
            return Outcome::error(ApiError::PluginFault("invalid_output"), label);
        }
        Err(fault) => return Outcome::gateway_fault(fault, label, fuel),
    };
    if !notifications.is_empty() {
        let shop = &connector.settings.shop_identifier;
        let batch = notifications
            .iter()
            .map(|n| new_notification(checked.entry.id(), shop, n))
            .collect();
        if let Err(err) = commit(state, batch).await {
            tracing::error!(error = %err, "notifications not committed");
            let mut outcome = Outcome::error(ApiError::OutboxUnavailable, label);
            outcome.fuel = fuel;
            return outcome;
        }
    }
    Outcome::answered(status, body, label, fuel)
}

async fn commit(state: &AppState, batch: Vec<NewNotification>) -> Result<(), String> {
    let Some(outbox) = state.outbox() else {
        return Err("this server has no outbox".into());
    };
    outbox
        .enqueue(batch)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The outbox row for one checked notification.
pub(crate) fn new_notification(plugin: &str, shop: &str, n: &Notification) -> NewNotification {
    use crate::connector::NotificationKind as K;
    let (kind, op) = match n.kind {
        K::CustomerSaved => (EntityKind::Customer, Operation::Saved),
        K::CustomerDeleted => (EntityKind::Customer, Operation::Deleted),
        K::ProductSaved => (EntityKind::Product, Operation::Saved),
        K::ProductDeleted => (EntityKind::Product, Operation::Deleted),
        K::OrderSaved => (EntityKind::Order, Operation::Saved),
    };
    NewNotification {
        plugin: plugin.to_owned(),
        shop: shop.to_owned(),
        kind,
        op,
        platform_id: n.platform_id.clone(),
        updated_at: n.updated_at.clone(),
        updated_at_micros: n.updated_at_micros,
        payload: n.payload(),
    }
}
