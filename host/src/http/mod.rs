//! The HTTP endpoint Bold Checkout calls, as transport only: routes,
//! extractors and the checks of [`request`], one observe layer for spans,
//! logs and metrics, and one error type ([`ApiError`]). What a call means is
//! the [`dispatch`](crate::dispatch) layer's.
//!
//! - `POST /plugins/{id}/events`: the event dispatch URL (`handle-event`).
//! - `POST /plugins/{id}/overrides/{kind}`: override calls (`handle-override`);
//!   the plugin's answer goes back as is.
//! - `POST /plugins/{id}/webhooks/{topic}`: plugin webhooks (`handle-webhook`).
//! - `POST /plugins/{id}/platform/{topic}`,
//!   `/plugins/{id}/bold/{shop_identifier}/{*path}` and
//!   `/plugins/{id}/<bold_verify_path>` (default `bold/verify`): a platform
//!   connector's routes (see [`connector`]).
//! - `GET /plugins/{id}/oauth/install`, `GET /plugins/{id}/oauth/authorize`,
//!   `POST /plugins/{id}/oauth/uninstalled`: the installation flow (see
//!   [`oauth`]).
//! - `GET /healthz`, `GET /readyz` (checkout routes), `GET /readyz/connectors`
//!   (connector routes: the outbox too), `GET /metrics`. On the public
//!   listener readiness says ready or not; the admin listener says why.

mod checkout;
pub mod connector;
mod error;
mod health;
pub mod oauth;
mod observe;
mod request;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};

pub use error::ApiError;

use crate::config::HttpSettings;
use crate::dispatch::Dispatcher;

/// What the routes share: the dispatcher and the transport's deadlines.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    dispatcher: Dispatcher,
    settings: Arc<HttpSettings>,
}

impl AppState {
    /// Routes over `dispatcher`, reading bodies under `settings`.
    pub fn new(dispatcher: Dispatcher, settings: HttpSettings) -> Self {
        Self {
            dispatcher,
            settings: Arc::new(settings),
        }
    }

    /// The dispatcher behind the routes.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// The transport's deadlines and bounds.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }
}

/// Routes over `dispatcher` with the default `[http]` settings.
impl From<Dispatcher> for AppState {
    fn from(dispatcher: Dispatcher) -> Self {
        Self::new(dispatcher, HttpSettings::default())
    }
}

/// Every route: plugin calls, health, readiness and metrics.
pub fn app(state: AppState) -> Router {
    public_app(state.clone()).merge(
        Router::new()
            .route("/metrics", get(health::metrics))
            .with_state(state),
    )
}

/// Plugin calls and health, without `/metrics` (for a separate admin
/// listener).
pub fn public_app(state: AppState) -> Router {
    Router::new()
        .route("/plugins/{id}/events", any(checkout::event))
        .route(
            "/plugins/{id}/overrides/{kind}",
            any(checkout::override_call),
        )
        .route("/plugins/{id}/webhooks/{topic}", any(checkout::webhook))
        .route(
            "/plugins/{id}/platform/{topic}",
            any(connector::platform_event),
        )
        .route(
            "/plugins/{id}/bold/{shop}/{*path}",
            any(connector::bold_request),
        )
        .route("/plugins/{id}/oauth/install", any(oauth::install))
        .route("/plugins/{id}/oauth/authorize", any(oauth::authorize))
        .route("/plugins/{id}/oauth/uninstalled", any(oauth::uninstalled))
        // Lowest priority: the fixed routes above win; this one answers
        // only a connector's configured verify path.
        .route("/plugins/{id}/{*rest}", any(connector::verify_destination))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/readyz/connectors", get(health::readyz_connectors))
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
}

/// Health, readiness and metrics (the admin listener).
pub fn admin_app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz_details))
        .route("/readyz/connectors", get(health::readyz_connectors))
        .route("/metrics", get(health::metrics))
        .with_state(state)
}
