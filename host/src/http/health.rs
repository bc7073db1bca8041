//! `GET /healthz`, `GET /readyz` and `GET /metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use crate::dispatch::PluginStatus;

pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: can the checkout routes serve (every checkout plugin
/// loaded)? 200 or 503, `{"ready": bool}` and nothing more: plugin ids and
/// load errors (file paths) are for the admin listener and the log.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    answer(state.dispatcher().readiness().checkout)
}

/// `GET /readyz/connectors`: can the connector routes serve (every
/// connector loaded and the outbox writable)? The probe for a load
/// balancer's platform-webhook and Bold-call targets.
pub(super) async fn readyz_connectors(State(state): State<AppState>) -> Response {
    answer(state.dispatcher().readiness().connectors)
}

fn answer(ready: bool) -> Response {
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(json!({ "ready": ready }))).into_response()
}

/// `GET /readyz` on the admin listener: the same status (checkout routes),
/// with each route kind's readiness, each plugin's state (and why it is
/// unavailable) and the outbox's.
pub(super) async fn readyz_details(State(state): State<AppState>) -> Response {
    let dispatcher = state.dispatcher();
    let readiness = dispatcher.readiness();
    let mut plugins = Map::new();
    for entry in dispatcher.registry().entries() {
        let status = match entry.status() {
            PluginStatus::Ready(_) => "ready".to_owned(),
            PluginStatus::Unavailable(reason) => format!("unavailable: {reason}"),
        };
        plugins.insert(entry.id().to_owned(), Value::String(status));
    }
    let outbox = match (dispatcher.outbox(), dispatcher.outbox_slot().is_ready()) {
        (None, _) => "not open",
        (Some(_), true) => "writable",
        (Some(_), false) => "cannot write",
    };
    let status = if readiness.checkout {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "ready": readiness.checkout,
        "checkout": readiness.checkout,
        "connectors": readiness.connectors,
        "plugins": plugins,
        "outbox": outbox,
    });
    (status, axum::Json(body)).into_response()
}

pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.dispatcher().metrics().render(),
    )
        .into_response()
}
