//! The checkout plugin routes: events, overrides, webhooks. Each checks the
//! request ([`request`](super::request)) and hands it to the dispatcher.

use axum::extract::{Path, State};
use axum::response::Response;

use super::AppState;
use super::observe::handle;
use super::request::{CHECKOUT, EVENT, Incoming};

/// `POST /plugins/{id}/events`.
pub(super) async fn event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    let dispatcher = state.dispatcher();
    handle(&state, &id, incoming, EVENT, |checked| async move {
        // The checks made sure there is one; moved, not copied.
        let name = checked.event.unwrap_or_default();
        dispatcher
            .event(&checked.target, name, checked.body, checked.shop)
            .await
    })
    .await
}

/// `POST /plugins/{id}/overrides/{kind}`.
pub(super) async fn override_call(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let dispatcher = state.dispatcher();
    handle(&state, &id, incoming, CHECKOUT, |checked| async move {
        dispatcher
            .override_call(&checked.target, kind, checked.body, checked.shop)
            .await
    })
    .await
}

/// `POST /plugins/{id}/webhooks/{topic}`.
pub(super) async fn webhook(
    State(state): State<AppState>,
    Path((id, topic)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let dispatcher = state.dispatcher();
    handle(&state, &id, incoming, CHECKOUT, |checked| async move {
        dispatcher
            .webhook(&checked.target, topic, checked.body, checked.shop)
            .await
    })
    .await
}
