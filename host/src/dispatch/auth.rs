//! Who may call a plugin: Bold's draft-cavage signature with the plugin's
//! client secret (and the replay guard, when on); on a connector's platform
//! route, the platform's HMAC of the raw body; on a connector's Bold routes,
//! Bold's X-HMAC with the shared secret (each pair once, by default), or
//! cavage where the manifest keeps it. A refusal is logged (plugin, scheme, reason; never
//! a header value) and counted.

use std::time::SystemTime;

use super::registry::{BoldHmac, PluginEntry};
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
    /// Bold's calls on a connector: `X-HMAC-Timestamp` and `X-HMAC` with
    /// the shared secret (`[connector] bold_auth = "x-hmac"`, the default),
    /// or [`Auth::Cavage`] where the manifest keeps `bold_auth = "cavage"`.
    /// A plugin that is not a connector has no such route.
    Bold,
}

/// What the caller proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authenticated {
    /// A cavage signature, or the platform's body HMAC.
    Signature,
    /// Bold's X-HMAC under the connector's shared secret number `secret`
    /// (0 = the first listed): an answer to Bold is signed with it.
    XHmac {
        /// The index of the secret that matched.
        secret: usize,
    },
}

/// Checks `request` against `entry`'s secrets, as `auth` says, at `now`.
pub fn authenticate(
    entry: &PluginEntry,
    auth: Auth,
    request: &SignedRequest<'_>,
    now: SystemTime,
    metrics: &Metrics,
) -> Result<Authenticated, Refusal> {
    let id = entry.id();
    match auth {
        Auth::Cavage => cavage(entry, request, now, metrics),
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
            Ok(Authenticated::Signature)
        }
        Auth::Bold => {
            let connector = entry.connector().ok_or(Refusal::NotFound)?;
            match &connector.bold_hmac {
                Some(bold_hmac) => x_hmac(id, bold_hmac, request, now, metrics),
                None => cavage(entry, request, now, metrics),
            }
        }
    }
}

/// The cavage signature with the client secret, and the replay guard when
/// the manifest turns it on.
fn cavage(
    entry: &PluginEntry,
    request: &SignedRequest<'_>,
    now: SystemTime,
    metrics: &Metrics,
) -> Result<Authenticated, Refusal> {
    let verified =
        entry
            .verifier()
            .verify(request, now)
            .and_then(|verified| match entry.replay() {
                Some(guard) => guard.check_and_remember(&verified.signature, now),
                None => Ok(()),
            });
    if let Err(err) = verified {
        let id = entry.id();
        tracing::warn!(plugin = id, reason = %err, code = err.code(), "signature refused");
        metrics.signature_failures_inc(id);
        return Err(Refusal::Unauthorized);
    }
    Ok(Authenticated::Signature)
}

/// Bold's X-HMAC with the connector's shared secret(s), each (timestamp,
/// MAC) pair accepted once (unless the manifest turns that off).
fn x_hmac(
    id: &str,
    bold_hmac: &BoldHmac,
    request: &SignedRequest<'_>,
    now: SystemTime,
    metrics: &Metrics,
) -> Result<Authenticated, Refusal> {
    let checked = bold_hmac
        .verifier
        .verify(request.headers, now)
        .and_then(|verified| {
            if let Some(guard) = &bold_hmac.replay {
                verified.remember(guard, now)?;
            }
            Ok(verified)
        });
    match checked {
        Ok(verified) => Ok(Authenticated::XHmac {
            secret: verified.secret,
        }),
        Err(err) => {
            tracing::warn!(plugin = id, reason = %err, code = err.code(), "X-HMAC refused");
            metrics.signature_failures_inc(id);
            Err(Refusal::Unauthorized)
        }
    }
}
