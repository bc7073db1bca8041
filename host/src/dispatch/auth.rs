//! Who may call a plugin: Bold's draft-cavage signature with the plugin's
//! client secret (and the replay guard, when on), or, on a connector's
//! platform route, the platform's HMAC of the raw body. A refusal is logged
//! (plugin, reason; never a header value) and counted.

use std::time::SystemTime;

use super::registry::PluginEntry;
use super::reply::Refusal;
use crate::metrics::Metrics;
use crate::signature::SignedRequest;

/// How a route authenticates its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Bold's draft-cavage HMAC signature with the plugin's client secret.
    Cavage,
    /// The platform's HMAC-SHA256 of the raw body (connectors only; a plugin
    /// without `[connector.platform_webhook]` has no such route).
    PlatformBody,
}

/// Checks `request` against `entry`'s secrets, as `auth` says, at `now`.
pub fn authenticate(
    entry: &PluginEntry,
    auth: Auth,
    request: &SignedRequest<'_>,
    now: SystemTime,
    metrics: &Metrics,
) -> Result<(), Refusal> {
    let id = entry.id();
    match auth {
        Auth::Cavage => {
            let verified =
                entry
                    .verifier()
                    .verify(request, now)
                    .and_then(|verified| match entry.replay() {
                        Some(guard) => guard.check_and_remember(&verified.signature, now),
                        None => Ok(()),
                    });
            if let Err(err) = verified {
                tracing::warn!(plugin = id, reason = %err, code = err.code(), "signature refused");
                metrics.signature_failures_inc(id);
                return Err(Refusal::Unauthorized);
            }
        }
        Auth::PlatformBody => {
            let verifier = entry
                .connector()
                .and_then(|c| c.secrets.webhook.as_ref())
                .ok_or(Refusal::NotFound)?;
            if let Err(err) = verifier.verify(request.headers, request.body) {
                tracing::warn!(plugin = id, reason = %err, "platform webhook signature refused");
                metrics.signature_failures_inc(id);
                return Err(Refusal::Unauthorized);
            }
        }
    }
    Ok(())
}
