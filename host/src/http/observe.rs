//! The one observe layer of the plugin routes: each request gets one log
//! line (plugin, event, status, outcome, fault, fuel, duration) and its
//! metrics. No bodies, secrets or guest logs are logged.
//!
//! The line is one event with every field, not a span whose fields are
//! recorded one by one: at the default level a span costs a registry entry,
//! a formatted copy of its fields at each `record`, and an enter and exit at
//! every poll, some 10 % of a sandboxed request's CPU as measured. The
//! `request` span (plugin only) exists at `debug`, for context on what the
//! request logs inside.

use std::time::Instant;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::AppState;
use super::error::ApiError;
use super::request::{Checked, Incoming, Rules, check};
use crate::dispatch::{Answered, PluginEntry, Reply};
use crate::fault::Fault;
use crate::metrics::{FaultLabels, PluginLabels, RequestLabels};

/// What a request ended with, for the log line and metrics.
pub(super) struct Outcome {
    pub(super) response: Response,
    pub(super) event: String,
    pub(super) outcome: &'static str,
    pub(super) fault: Option<Fault>,
    pub(super) fuel: Option<u64>,
}

impl Outcome {
    /// Refused by the transport's checks (or by the dispatcher before the
    /// plugin ran). Unverified requests do not get to choose label values:
    /// the label is `other`.
    pub(super) fn refused(err: ApiError) -> Self {
        let outcome = match err {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Saturated => "overloaded",
            _ => "refused",
        };
        Self {
            response: err.into_response(),
            event: "other".into(),
            outcome,
            fault: None,
            fuel: None,
        }
    }
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        let response = match reply.answered {
            Answered::Json { status, body } => {
                let mut response = json_response(status, body);
                for (name, value) in reply.headers {
                    // Names and values the host made (`X-HMAC`, base64):
                    // always valid; names go out lowercase.
                    if let (Ok(name), Ok(value)) = (
                        header::HeaderName::from_bytes(name.as_bytes()),
                        header::HeaderValue::try_from(value),
                    ) {
                        response.headers_mut().insert(name, value);
                    }
                }
                response
            }
            Answered::Refused(refusal) => ApiError::from(refusal).into_response(),
        };
        Self {
            response,
            event: reply.label,
            outcome: reply.outcome,
            fault: reply.fault,
            fuel: reply.fuel,
        }
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The shape of every plugin route: the plugin looked up once, the checks
/// of `rules`, then `call` (the dispatcher's part), all observed.
pub(super) async fn handle<F, Fut>(
    state: &AppState,
    id: &str,
    incoming: Incoming,
    rules: Rules,
    call: F,
) -> Response
where
    F: FnOnce(Checked) -> Fut,
    Fut: Future<Output = Reply>,
{
    let entry = state.dispatcher().plugin(id);
    handle_entry(state, id, entry, incoming, rules, call).await
}

/// [`handle`] for a route that looked the plugin up itself (`entry`; `None`:
/// no such plugin) to know whether it exists.
pub(super) async fn handle_entry<F, Fut>(
    state: &AppState,
    id: &str,
    entry: Option<std::sync::Arc<PluginEntry>>,
    incoming: Incoming,
    rules: Rules,
    call: F,
) -> Response
where
    F: FnOnce(Checked) -> Fut,
    Fut: Future<Output = Reply>,
{
    observe(state, id, entry.as_deref(), async {
        match check(state, entry.clone(), incoming, rules).await {
            Ok(checked) => Outcome::from(call(checked).await),
            Err(err) => Outcome::refused(err),
        }
    })
    .await
}

/// Status logged and counted for a request whose client went away before
/// its answer (nginx's "client closed request").
pub(super) const CLIENT_CLOSED: u16 = 499;

/// Logs and counts a request whose future is dropped before it is answered
/// (the client disconnected or timed out): one line, `outcome="cancelled"`.
struct Unfinished<'a> {
    started: Instant,
    plugin: String,
    metrics: &'a crate::metrics::Metrics,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        tracing::info!(
            plugin = %self.plugin,
            status = CLIENT_CLOSED,
            outcome = "cancelled",
            duration_us = self.started.elapsed().as_micros() as u64,
            "request cancelled before its answer (the client went away, or shutdown closed it)"
        );
        self.metrics
            .requests
            .get_or_create(&RequestLabels {
                plugin: self.plugin.clone(),
                event: "other".to_owned(),
                status: CLIENT_CLOSED,
            })
            .inc();
    }
}

/// Runs `work` inside the request span, then logs and counts it. `entry` is
/// the plugin the route looked up (`None`: unknown, labelled `unknown`).
pub(super) async fn observe(
    state: &AppState,
    plugin: &str,
    entry: Option<&PluginEntry>,
    work: impl Future<Output = Outcome>,
) -> Response {
    let started = Instant::now();
    let span = tracing::debug_span!("request", plugin);
    // Only configured plugin ids become label values.
    let known = entry.is_some();
    let plugin_label = if known { plugin } else { "unknown" }.to_owned();
    let mut unfinished = Unfinished {
        started,
        plugin: plugin_label.clone(),
        metrics: state.dispatcher().metrics(),
        finished: false,
    };
    let outcome = work.instrument(span).await;
    unfinished.finished = true;
    let elapsed = started.elapsed();
    let status = outcome.response.status();
    let duration_us = elapsed.as_micros() as u64;
    match &outcome.fault {
        Some(fault) => tracing::warn!(
            plugin,
            event = %outcome.event,
            status = status.as_u16(),
            outcome = outcome.outcome,
            fault = fault.kind.as_str(),
            fuel = outcome.fuel,
            duration_us,
            reason = %fault.reason,
            "plugin fault"
        ),
        None => tracing::info!(
            plugin,
            event = %outcome.event,
            status = status.as_u16(),
            outcome = outcome.outcome,
            fuel = outcome.fuel,
            duration_us,
            "request"
        ),
    }

    let metrics = state.dispatcher().metrics();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            plugin: plugin_label.clone(),
            event: outcome.event.clone(),
            status: status.as_u16(),
        })
        .inc();
    if known {
        let labels = PluginLabels {
            plugin: plugin_label.clone(),
        };
        metrics
            .latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let Some(fuel) = outcome.fuel {
            metrics.fuel.get_or_create(&labels).observe(fuel as f64);
        }
        if let Some(fault) = &outcome.fault {
            metrics
                .faults
                .get_or_create(&FaultLabels {
                    plugin: plugin_label,
                    kind: fault.kind.as_str().to_owned(),
                })
                .inc();
        }
    }
    outcome.response
}
