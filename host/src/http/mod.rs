//! The HTTP endpoint Bold Checkout calls: `fn app(state) -> Router`.
//!
//! - `POST /plugins/{id}/events`: the event dispatch URL (`handle-event`).
//! - `POST /plugins/{id}/overrides/{kind}`: override calls (`handle-override`);
//!   the plugin's answer goes back as is.
//! - `POST /plugins/{id}/webhooks/{topic}`: plugin webhooks (`handle-webhook`).
//! - `POST /plugins/{id}/platform/{topic}` and
//!   `/plugins/{id}/bold/{shop_identifier}/{*path}`: a platform connector's
//!   routes (see [`connector`]).
//! - `GET /healthz`, `GET /readyz`, `GET /metrics`.

mod calls;
mod checks;
pub mod connector;
mod error;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value, json};

pub use error::ApiError;

use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::registry::{PluginStatus, Registry};
use crate::sandbox_pool::SandboxPool;

/// Where "now" comes from (tests inject a fixed clock).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    pool: SandboxPool,
    metrics: Arc<Metrics>,
    clock: Clock,
    outbox: std::sync::OnceLock<Outbox>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("plugins", &self.inner.registry.entries().len())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `registry`, running sandboxes on `pool`.
    pub fn new(registry: Arc<Registry>, pool: SandboxPool, metrics: Arc<Metrics>) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                pool,
                metrics,
                clock: Arc::new(SystemTime::now),
                outbox: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The same state with connector notifications committed to `outbox`
    /// (without one, connector answers with notifications get 503).
    pub fn with_outbox(self, outbox: Outbox) -> Self {
        // Set once, before the state is served; a second call changes nothing.
        let _ = self.inner.outbox.set(outbox);
        self
    }

    /// The same state with another clock (for signature tests).
    pub fn with_clock(
        registry: Arc<Registry>,
        pool: SandboxPool,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                pool,
                metrics,
                clock,
                outbox: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The served plugins.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The notification outbox, if this server has one.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.inner.outbox.get()
    }

    pub(crate) fn pool(&self) -> &SandboxPool {
        &self.inner.pool
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.inner.clock)()
    }
}

/// Every route: plugin calls, health, readiness and metrics.
pub fn app(state: AppState) -> Router {
    public_app(state.clone()).merge(
        Router::new()
            .route("/metrics", get(metrics))
            .with_state(state),
    )
}

/// Plugin calls and health, without `/metrics` (for a separate admin
/// listener).
pub fn public_app(state: AppState) -> Router {
    Router::new()
        .route("/plugins/{id}/events", any(calls::event))
        .route("/plugins/{id}/overrides/{kind}", any(calls::override_call))
        .route("/plugins/{id}/webhooks/{topic}", any(calls::webhook))
        .route(
            "/plugins/{id}/platform/{topic}",
            any(connector::platform_event),
        )
        .route(
            "/plugins/{id}/bold/{shop}/{*path}",
            any(connector::bold_request),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
}

/// Health, readiness and metrics (the admin listener).
pub fn admin_app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when every plugin is loaded, else 503; the body lists each plugin.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut plugins = Map::new();
    let mut ready = true;
    for entry in state.registry().entries() {
        let status = match &entry.status {
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

async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}
