//! A platform connector's routes:
//! - `POST /plugins/{id}/platform/{topic}`: the platform's webhooks, verified
//!   with its body HMAC;
//! - `/plugins/{id}/bold/{shop_identifier}/{*path}`: calls Bold makes on the
//!   connector (e.g. Update Customer, `PUT .../customers/{id}`), verified like
//!   checkout events.
//!
//! What they mean (notifications committed before the answer) is the
//! dispatcher's.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;

use super::AppState;
use super::observe::handle;
use super::request::{Incoming, Rules};
use crate::dispatch::Auth;
use crate::runtime::BoldCall;

const PLATFORM: Rules = Rules {
    methods: &[Method::POST],
    auth: Auth::PlatformBody,
    require_event: false,
    allow_empty: false,
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
    auth: Auth::Cavage,
    require_event: false,
    allow_empty: true,
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
