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

/// 200 when every plugin is loaded, else 503; the body lists each plugin.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let mut plugins = Map::new();
    let mut ready = true;
    for entry in state.dispatcher().registry().entries() {
        let status = match entry.status() {
            PluginStatus::Ready(_) => "ready".to_owned(),
            PluginStatus::Unavailable(reason) => {
                ready = false;
                format!("unavailable: {reason}")
            }
        };
        plugins.insert(entry.id().to_owned(), Value::String(status));
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({"ready": ready, "plugins": plugins})),
    )
        .into_response()
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
