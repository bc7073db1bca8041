//! The plugin routes: events, overrides, webhooks. Each request gets a
//! `request` span (plugin, event, status, outcome, fault, fuel, duration),
//! one log line, and its metrics. No bodies, secrets or guest logs are
//! logged.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::AppState;
use super::checks::{Checked, Incoming, check};
use super::error::ApiError;
use crate::fault::{Fault, FaultKind};
use crate::manifest::OnError;
use crate::metrics::{FaultLabels, PluginLabels, RequestLabels, event_label};
use crate::registry::PluginStatus;
use crate::runtime::{Invocation, OwnedCall, Report};

const EMPTY_ACTIONS: &str = r#"{"success":true,"actions":[]}"#;

/// What a request ended with, for the log line and metrics.
pub(super) struct Outcome {
    pub(super) response: Response,
    pub(super) event: String,
    pub(super) outcome: &'static str,
    pub(super) fault: Option<Fault>,
    pub(super) fuel: Option<u64>,
}

impl Outcome {
    /// The plugin answered: `body` with `status`.
    pub(super) fn answered(
        status: StatusCode,
        body: String,
        event: String,
        fuel: Option<u64>,
    ) -> Self {
        Self {
            response: json_response(status, body),
            event,
            outcome: "ok",
            fault: None,
            fuel,
        }
    }

    /// A handler fault on a route where the host is a gateway to the
    /// plugin: `unsupported` → 404, `overloaded` → 503, any other → 502.
    pub(super) fn gateway_fault(fault: Fault, event: String, fuel: Option<u64>) -> Self {
        let err = match fault.kind {
            FaultKind::Unsupported => ApiError::Unsupported,
            FaultKind::Overloaded => ApiError::Saturated,
            kind => ApiError::PluginFault(kind.as_str()),
        };
        let mut outcome = Outcome::error(err, event);
        outcome.outcome = "fault";
        outcome.fault = Some(fault);
        outcome.fuel = fuel;
        outcome
    }

    pub(super) fn error(err: ApiError, event: String) -> Self {
        let outcome = match err {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Saturated => "overloaded",
            _ => "refused",
        };
        Self {
            response: err.into_response(),
            event,
            outcome,
            fault: None,
            fuel: None,
        }
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Runs `work` inside the request span, then logs and counts it.
pub(super) async fn observe(
    state: &AppState,
    plugin: &str,
    work: impl Future<Output = Outcome>,
) -> Response {
    let started = Instant::now();
    let span = tracing::info_span!(
        "request",
        plugin,
        event = tracing::field::Empty,
        status = tracing::field::Empty,
        outcome = tracing::field::Empty,
        fault = tracing::field::Empty,
        fuel = tracing::field::Empty,
        duration_us = tracing::field::Empty,
    );
    let outcome = work.instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = outcome.response.status();
    // Only configured plugin ids become label values.
    let known = state.registry().get(plugin).is_some();
    let plugin_label = if known { plugin } else { "unknown" }.to_owned();
    span.record("event", outcome.event.as_str());
    span.record("status", status.as_u16());
    span.record("outcome", outcome.outcome);
    span.record("duration_us", elapsed.as_micros() as u64);
    if let Some(fuel) = outcome.fuel {
        span.record("fuel", fuel);
    }
    if let Some(fault) = &outcome.fault {
        span.record("fault", fault.kind.as_str());
    }
    span.in_scope(|| match &outcome.fault {
        Some(fault) => tracing::warn!(reason = %fault.reason, "plugin fault"),
        None => tracing::info!("request"),
    });

    let metrics = state.metrics();
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

/// Admission, a sandbox, and the invocation.
pub(super) async fn run(
    state: &AppState,
    checked: &Checked,
    call: OwnedCall,
) -> Result<Invocation, ApiError> {
    let PluginStatus::Ready(plugin) = &checked.entry.status else {
        return Err(ApiError::Unavailable);
    };
    let _admitted = checked
        .entry
        .admission
        .enter()
        .await
        .map_err(|_| ApiError::Saturated)?;
    // A clone (shared counter), not the family's read guard, which must not
    // be held across an await.
    let gauge = state
        .metrics()
        .sandboxes_in_use
        .get_or_create(&PluginLabels {
            plugin: checked.entry.id().to_owned(),
        })
        .clone();
    gauge.inc();
    let invocation = match &checked.entry.native {
        Some(native) => Invocation {
            outcome: native.call(&call),
            report: Report::empty(plugin.limits()),
        },
        None => state.pool().run(plugin.clone(), call).await,
    };
    gauge.dec();
    Ok(invocation)
}

/// `POST /plugins/{id}/events`.
pub(super) async fn event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    observe(&state, &id, async {
        let mut checked = match check(&state, &id, incoming, true).await {
            Ok(checked) => checked,
            Err(err) => return Outcome::error(err, "other".into()),
        };
        // Moved out, not copied: the body can be a megabyte.
        let name = checked.event.take().unwrap_or_default();
        let subscribed = checked.entry.manifest.events.as_ref();
        let label = event_label(&name, subscribed);
        if subscribed.is_some_and(|events| !events.contains(&name)) {
            return Outcome {
                response: json_response(StatusCode::OK, EMPTY_ACTIONS.to_owned()),
                event: label,
                outcome: "not_subscribed",
                fault: None,
                fuel: None,
            };
        }
        let on_error = checked.entry.manifest.on_error;
        let call = OwnedCall::Event {
            name,
            body: std::mem::take(&mut checked.body),
        };
        let invocation = match run(&state, &checked, call).await {
            Ok(invocation) => invocation,
            Err(err) => return Outcome::error(err, label),
        };
        let fuel = Some(invocation.report.fuel_used);
        match invocation.outcome {
            Ok(answer) => Outcome::answered(StatusCode::OK, answer.body().to_owned(), label, fuel),
            Err(fault) if fault.kind == FaultKind::Overloaded => {
                let mut outcome = Outcome::error(ApiError::Saturated, label);
                outcome.fault = Some(fault);
                outcome
            }
            Err(fault) => {
                let body = match on_error {
                    OnError::NoActions => EMPTY_ACTIONS.to_owned(),
                    OnError::Fail => serde_json::json!({
                        "success": false,
                        "actions": [],
                        "error": fault.kind.as_str(),
                    })
                    .to_string(),
                };
                Outcome {
                    response: json_response(StatusCode::OK, body),
                    event: label,
                    outcome: "fault",
                    fault: Some(fault),
                    fuel,
                }
            }
        }
    })
    .await
}

/// Shared by overrides and webhooks: the answer as is, `unsupported` → 404,
/// other faults → 502.
async fn other_call(
    state: &AppState,
    id: &str,
    label: String,
    incoming: Incoming,
    make_call: impl FnOnce(String) -> OwnedCall,
) -> Outcome {
    let mut checked = match check(state, id, incoming, false).await {
        Ok(checked) => checked,
        // Unverified requests do not get to choose label values.
        Err(err) => return Outcome::error(err, "other".into()),
    };
    let call = make_call(std::mem::take(&mut checked.body));
    let invocation = match run(state, &checked, call).await {
        Ok(invocation) => invocation,
        Err(err) => return Outcome::error(err, label),
    };
    let fuel = Some(invocation.report.fuel_used);
    match invocation.outcome {
        Ok(answer) => Outcome::answered(StatusCode::OK, answer.body().to_owned(), label, fuel),
        Err(fault) => Outcome::gateway_fault(fault, label, fuel),
    }
}

/// `POST /plugins/{id}/overrides/{kind}`.
pub(super) async fn override_call(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let label = format!("override:{}", bounded_label(&kind));
    let call = |body| OwnedCall::Override { kind, body };
    observe(&state, &id, other_call(&state, &id, label, incoming, call)).await
}

/// `POST /plugins/{id}/webhooks/{topic}`.
pub(super) async fn webhook(
    State(state): State<AppState>,
    Path((id, topic)): Path<(String, String)>,
    incoming: Incoming,
) -> Response {
    let label = format!("webhook:{}", bounded_label(&topic));
    let call = |body| OwnedCall::Webhook { topic, body };
    observe(&state, &id, other_call(&state, &id, label, incoming, call)).await
}

/// Override kinds and topics come from the URL: keep label values short and
/// plain.
pub(super) fn bounded_label(segment: &str) -> &str {
    let plain = !segment.is_empty()
        && segment.len() <= 32
        && segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if plain { segment } else { "other" }
}
