//! A platform connector's routes:
//! - `POST /plugins/{id}/platform/{topic}`: the platform's webhooks, verified
//!   with its body HMAC;
//! - `/plugins/{id}/bold/{shop_identifier}/{*path}`: calls Bold makes on the
//!   connector (e.g. Update Customer, `PUT .../customers/{id}`), verified
//!   with Bold's X-HMAC (or cavage, where the manifest keeps it);
//! - `GET/POST/PUT /plugins/{id}/<bold_verify_path>` (default
//!   `bold/verify`): Bold's Verify Platform Connector Destination call,
//!   verified with X-HMAC and answered with a fresh one (X-HMAC connectors
//!   only). The path is the manifest's, so this route is matched here, after
//!   every fixed route: anything else under `/plugins/{id}/` is not found.
//!
//! What they mean (notifications committed before the answer) is the
//! dispatcher's.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::observe::{handle, handle_entry};
use super::request::{BodyRule, Incoming, Rules};
use crate::dispatch::Auth;
use crate::runtime::BoldCall;

const PLATFORM: Rules = Rules {
    methods: &[Method::POST],
    auth: Auth::PlatformBody,
    body: BodyRule::Json,
    shop_in_query: false,
};

const BOLD: Rules = Rules {
    methods: &[
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ],
    auth: Auth::Bold,
    body: BodyRule::JsonOrEmpty,
    shop_in_query: false,
};

/// Bold's Verify Platform Connector Destination: its method and body are not
/// public, so the usual methods and any body (within the size limit).
const VERIFY: Rules = Rules {
    methods: &[Method::GET, Method::POST, Method::PUT],
    auth: Auth::Bold,
    body: BodyRule::Ignored,
    shop_in_query: false,
};

/// `POST /plugins/{id}/platform/{topic}`.
pub(super) async fn platform_event(
    State(state): State<AppState>,
    Path((id, topic)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let dispatcher = state.dispatcher();
    handle(&state, &id, incoming, PLATFORM, |checked| async move {
        dispatcher
            .platform_event(&checked.target, topic, checked.body)
            .await
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
    let dispatcher = state.dispatcher();
    handle(&state, &id, incoming, BOLD, |checked| async move {
        let call = BoldCall {
            method,
            shop_identifier: shop,
            path,
            query,
            body: checked.body,
        };
        dispatcher.bold_request(&checked.target, call).await
    })
    .await
}

/// `/plugins/{id}/{*rest}`: Bold's Verify Platform Connector Destination
/// when `rest` is the connector's `bold_verify_path`; not found otherwise
/// (as any unknown route).
pub(super) async fn verify_destination(
    State(state): State<AppState>,
    Path((id, rest)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let entry = state.dispatcher().plugin(&id);
    let is_route = entry
        .as_deref()
        .and_then(|e| e.connector())
        .and_then(|c| c.settings.bold_auth.x_hmac())
        .is_some_and(|x| x.verify_path == rest);
    if !is_route {
        return ApiError::NotFound.into_response();
    }
    let dispatcher = state.dispatcher();
    handle_entry(&state, &id, entry, incoming, VERIFY, |checked| async move {
        dispatcher.verify_destination(&checked.target, checked.auth)
    })
    .await
}
