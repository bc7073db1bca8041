//! The installation flow's routes (`../shared/bold/PROTOCOL.md` §5), for
//! plugins with `[oauth]` (others: 404):
//! - `GET /plugins/{id}/oauth/install?platform=&shop=`: 302 to Bold's
//!   authorize page;
//! - `GET /plugins/{id}/oauth/authorize?platform=&shop=&code=`: the code
//!   exchanged for the shop's token, stored; 302 back to the marketplace;
//! - `POST /plugins/{id}/oauth/uninstalled?platform=&shop=`: signed like an
//!   event (an unsigned call gets 401 and deletes nothing); the token is
//!   deleted; `200 {}`.
//!
//! The first two are the merchant's browser following redirects: no
//! signature (Bold signs neither), and nothing is stored without a code
//! Bold accepts. What the steps mean is the dispatcher's ([`install`]).
//!
//! [`install`]: crate::dispatch::install

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::observe::{Outcome, observe};
use super::request::{Incoming, read_and_authenticate};
use crate::dispatch::install::Query;
use crate::dispatch::{Auth, InstallError, Installer, OAuthClient, PluginEntry};

/// `GET /plugins/{id}/oauth/install`.
pub(super) async fn install(
    State(state): State<AppState>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    step(&state, &id, incoming, "oauth:install", |flow| async move {
        let Flow {
            entry,
            installer,
            client,
            query,
        } = flow;
        let shop = query.shop()?;
        let scopes = requested_scopes(&entry);
        Ok(redirect(&installer.authorize_url(&client, &scopes, &shop)))
    })
    .await
}

/// `GET /plugins/{id}/oauth/authorize`.
pub(super) async fn authorize(
    State(state): State<AppState>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    step(
        &state,
        &id,
        incoming,
        "oauth:authorize",
        |flow| async move {
            let Flow {
                entry,
                installer,
                client,
                query,
            } = flow;
            let shop = query.shop()?;
            let code = query.get("code")?;
            let scopes = requested_scopes(&entry);
            let install = installer
                .complete(entry.id(), &client, &scopes, &shop, code)
                .await?;
            tracing::info!(
                plugin = entry.id(),
                shop = %shop,
                scopes = %install.scopes.join(" "),
                "installed"
            );
            Ok(redirect(&installer.marketplace_url(&shop)))
        },
    )
    .await
}

/// `POST /plugins/{id}/oauth/uninstalled`.
pub(super) async fn uninstalled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    let entry = state.dispatcher().plugin(&id);
    let looked_up = entry.clone();
    observe(&state, &id, looked_up.as_deref(), async {
        let Incoming {
            method,
            uri,
            headers,
            body,
        } = incoming;
        let result = async {
            let entry = entry.ok_or(ApiError::NotFound)?;
            if method != Method::POST {
                return Err(ApiError::MethodNotAllowed);
            }
            let (installer, _client) = flow_of(&state, &entry).map_err(api_error)?;
            // Any body (Bold's is not documented), signed like an event.
            read_and_authenticate(&state, &entry, Auth::Cavage, &method, &uri, &headers, body)
                .await?;
            let shop = Query::parse(uri.query())
                .and_then(|q| q.shop())
                .map_err(api_error)?;
            let removed = installer
                .uninstall(entry.id(), &shop)
                .await
                .map_err(|e| logged(entry.id(), &e))?;
            tracing::info!(plugin = entry.id(), shop = %shop, removed, "uninstalled");
            Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{}",
            )
                .into_response())
        }
        .await;
        outcome("oauth:uninstalled", result)
    })
    .await
}

/// What a browser step needs.
struct Flow {
    entry: std::sync::Arc<PluginEntry>,
    installer: std::sync::Arc<Installer>,
    client: OAuthClient,
    query: Query,
}

/// The shape of the two browser steps: plugin, method (GET), `[oauth]`,
/// the query, then `work`; observed like every plugin route.
async fn step<F, Fut>(
    state: &AppState,
    id: &str,
    incoming: Incoming,
    label: &'static str,
    work: F,
) -> Response
where
    F: FnOnce(Flow) -> Fut,
    Fut: Future<Output = Result<Response, InstallError>>,
{
    let entry = state.dispatcher().plugin(id);
    let looked_up = entry.clone();
    observe(state, id, looked_up.as_deref(), async {
        let result = async {
            let entry = entry.ok_or(ApiError::NotFound)?;
            if incoming.method != Method::GET {
                return Err(ApiError::MethodNotAllowed);
            }
            let (installer, client) = flow_of(state, &entry).map_err(api_error)?;
            let query = Query::parse(incoming.uri.query()).map_err(api_error)?;
            let id = entry.id().to_owned();
            let flow = Flow {
                entry,
                installer,
                client,
                query,
            };
            work(flow).await.map_err(|e| logged(&id, &e))
        }
        .await;
        outcome(label, result)
    })
    .await
}

/// The installer and the plugin's client, or why the plugin cannot be
/// installed.
fn flow_of(
    state: &AppState,
    entry: &PluginEntry,
) -> Result<(std::sync::Arc<Installer>, OAuthClient), InstallError> {
    let client = entry.oauth().ok_or(InstallError::NotInstallable)?.clone();
    let installer = state
        .dispatcher()
        .installer()
        .ok_or(InstallError::NotInstallable)?
        .clone();
    Ok((installer, client))
}

/// The scopes a plugin asks for: its manifest's, in order.
fn requested_scopes(entry: &PluginEntry) -> Vec<&str> {
    entry
        .manifest()
        .scopes
        .iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// A failed step, logged (its message holds no code, token or secret).
fn logged(plugin: &str, err: &InstallError) -> ApiError {
    match err {
        InstallError::State(_) => tracing::error!(plugin, error = %err, "install step failed"),
        _ => tracing::warn!(plugin, error = %err, "install step refused"),
    }
    api_error_ref(err)
}

fn api_error(err: InstallError) -> ApiError {
    api_error_ref(&err)
}

/// What the caller of a failed step gets.
fn api_error_ref(err: &InstallError) -> ApiError {
    match err {
        InstallError::NotInstallable => ApiError::NotFound,
        InstallError::Missing(_)
        | InstallError::Repeated(_)
        | InstallError::BadShop(_)
        | InstallError::BadCode => ApiError::BadRequest(err.to_string()),
        InstallError::Refused(_) | InstallError::Unreachable(_) | InstallError::BadAnswer(_) => {
            ApiError::BadGateway(err.to_string())
        }
        InstallError::State(_) => ApiError::StateUnavailable,
    }
}

fn outcome(label: &'static str, result: Result<Response, ApiError>) -> Outcome {
    match result {
        Ok(response) => Outcome {
            response,
            event: label.to_owned(),
            outcome: "ok",
            fault: None,
            fuel: None,
        },
        Err(err) => {
            let mut refused = Outcome::refused(err);
            refused.event = label.to_owned();
            refused
        }
    }
}

/// A `302 Found` to `location`, never cached.
fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
