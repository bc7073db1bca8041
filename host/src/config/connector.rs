//! The manifest's `[connector]` table: which Bold shop the plugin serves,
//! how Bold's calls on it are authenticated, where its Bold API token and
//! the platform's webhook secret come from, and what outbound HTTP it is
//! granted.
//!
//! ```toml
//! [connector]
//! shop_identifier = "example-shop"
//! bold_token_env = "PLATFORM_SYNC_BOLD_TOKEN"   # or bold_token_file
//! allowed_hosts = ["api.platform.example", "127.0.0.1:9100"]
//!
//! # Bold's calls on the connector (module `bold_auth`): X-HMAC, the default.
//! bold_hmac_secret_env = "PLATFORM_SYNC_BOLD_HMAC_SECRET"  # or bold_hmac_secret_file; two for a rotation
//! bold_hmac_window_secs = 300                   # X-HMAC-Timestamp at most this far from now
//! bold_hmac_replay_protection = true            # each (timestamp, MAC) pair passes once
//! bold_verify_path = "bold/verify"              # Verify Platform Connector Destination, under /plugins/{id}/
//! # bold_auth = "cavage"                        # instead: cavage signatures with the client secret
//!
//! [connector.platform_webhook]
//! secret_env = "PLATFORM_SYNC_WEBHOOK_SECRET"   # or secret_file; two for a rotation
//! topics = ["customer-updated", "product-updated"]  # others: 404 (absent: all, warned)
//! header = "x-platform-hmac-sha256"             # default
//! encoding = "base64"                           # or "hex"; default base64
//!
//! max_future_secs = 3600                        # platform_updated_at at most this far ahead
//!
//! [connector.http]                              # outbound limits, per request
//! timeout_ms = 5000
//! max_response_bytes = 1048576
//! max_request_bytes = 1048576
//! max_requests = 16                             # per invocation
//! ```

mod bold_auth;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

pub use self::bold_auth::{BoldAuth, DEFAULT_VERIFY_PATH, MAX_WINDOW_SECS, XHmacSettings};
use self::bold_auth::{BoldAuthKind, RawBoldAuth};
use super::manifest::ManifestError;
use super::outbound::{RawLimits, grant};
use super::secrets::{OneOrTwo, SecretValue, resolve_secret_source};
use crate::runtime::outbound::OutboundGrant;
use crate::signature::{BodySignature, DigestEncoding, XHmacVerifier};

/// A connector's deadline per invocation when its manifest sets no
/// `limits.timeout_ms`: it calls its platform, so seconds, not the 100 ms of
/// a checkout event.
pub const DEFAULT_CONNECTOR_TIMEOUT: Duration = Duration::from_secs(10);

/// How far ahead of the host's clock a notification's timestamp may be,
/// unless `[connector] max_future_secs` says otherwise.
pub const DEFAULT_MAX_FUTURE: Duration = Duration::from_secs(3600);

/// The default header of the platform's webhook signature.
pub const DEFAULT_WEBHOOK_HEADER: &str = "x-platform-hmac-sha256";

/// `[connector]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConnector {
    shop_identifier: String,
    bold_token_env: Option<String>,
    bold_token_file: Option<String>,
    bold_auth: Option<BoldAuthKind>,
    bold_hmac_secret_env: Option<OneOrTwo>,
    bold_hmac_secret_file: Option<OneOrTwo>,
    bold_hmac_window_secs: Option<u64>,
    bold_hmac_replay_protection: Option<bool>,
    bold_verify_path: Option<String>,
    #[serde(default)]
    allowed_hosts: BTreeSet<String>,
    platform_webhook: Option<RawWebhook>,
    #[serde(default)]
    http: RawLimits,
    max_future_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    secret_env: Option<OneOrTwo>,
    secret_file: Option<OneOrTwo>,
    header: Option<String>,
    encoding: Option<DigestEncoding>,
    topics: Option<BTreeSet<String>>,
}

/// How the platform signs its webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Environment variable(s) of the secret.
    pub secret_env: Option<OneOrTwo>,
    /// File(s) of the secret, resolved against the manifest's directory.
    pub secret_file: Option<OneOrTwo>,
    /// The header, lower case.
    pub header: String,
    /// Hex or base64.
    pub encoding: DigestEncoding,
    /// The topics accepted (the last segment of the platform route); any
    /// other gets 404 without running anything. `None`: every topic, each
    /// labelled `other` in metrics. The signature covers the body only: the
    /// topic is routing, not proof, and the handler checks the body.
    pub topics: Option<BTreeSet<String>>,
}

impl WebhookSettings {
    /// Whether webhooks of `topic` are accepted.
    pub fn accepts(&self, topic: &str) -> bool {
        self.topics.as_ref().is_none_or(|t| t.contains(topic))
    }

    /// `topic` as a metric label: a declared topic as is, else `other`.
    pub fn label<'a>(&self, topic: &'a str) -> &'a str {
        if self.topics.as_ref().is_some_and(|t| t.contains(topic)) {
            topic
        } else {
            "other"
        }
    }
}

/// A topic name a manifest may declare: 1-64 of `a-z`, `0-9`, `-`, `_`, `.`.
fn is_topic_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
}

/// `[connector]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorSettings {
    /// The Bold shop this plugin serves (its `shop_identifier`). Calls from
    /// Bold for another shop get 404; notifications go to this shop.
    pub shop_identifier: String,
    /// Environment variable holding the shop's Bold API token.
    pub bold_token_env: Option<String>,
    /// File holding it, resolved against the manifest's directory.
    pub bold_token_file: Option<String>,
    /// How Bold's calls on the connector are authenticated.
    pub bold_auth: BoldAuth,
    /// Outbound HTTP: granted hosts and limits.
    pub outbound: OutboundGrant,
    /// Platform webhooks; `None` = the platform route answers 404.
    pub webhook: Option<WebhookSettings>,
    /// How far ahead of the host's clock a notification's
    /// `platform_updated_at` may be (`max_future_secs`): a later one would
    /// make every later update of its entity stale for good, so the answer
    /// carrying it is `invalid_output`.
    pub max_future: Duration,
}

/// A connector's resolved secrets.
#[derive(Debug, Clone)]
pub struct ConnectorSecrets {
    /// The shop's Bold API token.
    pub bold_token: SecretValue,
    /// The platform webhook verifier, when webhooks are configured.
    pub webhook: Option<BodySignature>,
    /// The X-HMAC verifier of Bold's calls, with the shared secret(s), when
    /// `bold_auth` is X-HMAC.
    pub bold_hmac: Option<XHmacVerifier>,
}

impl RawConnector {
    /// Checks the table; `base` anchors relative files; errors are
    /// `(message)` naming the field, for the manifest's error.
    pub(crate) fn check(self, base: &Path) -> Result<ConnectorSettings, String> {
        let shop = self.shop_identifier.trim();
        if shop.is_empty()
            || shop.len() > 128
            || !shop
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(format!(
                "field `connector.shop_identifier`: {:?} must be 1-128 characters of \
                 letters, digits, `-`, `_` or `.`",
                self.shop_identifier
            ));
        }
        if self.bold_token_env.is_some() == self.bold_token_file.is_some() {
            return Err(
                "fields `connector.bold_token_env` and `connector.bold_token_file`: set exactly \
                 one of them (the shop's Bold API token; never inline)"
                    .into(),
            );
        }
        let outbound = grant(self.allowed_hosts, self.http, "connector", "connector.http")?;
        let resolve = |f: &str| base.join(f).to_string_lossy().into_owned();
        let bold_auth = RawBoldAuth {
            kind: self.bold_auth,
            secret_env: self.bold_hmac_secret_env,
            secret_file: self.bold_hmac_secret_file,
            window_secs: self.bold_hmac_window_secs,
            replay_protection: self.bold_hmac_replay_protection,
            verify_path: self.bold_verify_path,
        }
        .check(resolve)?;
        let webhook = match self.platform_webhook {
            None => None,
            Some(raw) => {
                let header = raw
                    .header
                    .unwrap_or_else(|| DEFAULT_WEBHOOK_HEADER.to_owned())
                    .to_ascii_lowercase();
                if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err(format!(
                        "field `connector.platform_webhook.header`: {header:?} is not a header name"
                    ));
                }
                if raw.secret_env.is_some() == raw.secret_file.is_some() {
                    return Err("fields `connector.platform_webhook.secret_env` and \
                         `connector.platform_webhook.secret_file`: set exactly one of them"
                        .into());
                }
                if let Some(bad) = raw.topics.iter().flatten().find(|t| !is_topic_name(t)) {
                    return Err(format!(
                        "field `connector.platform_webhook.topics`: {bad:?} must be 1-64 \
                         characters of a-z, 0-9, `-`, `_` or `.`"
                    ));
                }
                if raw.topics.as_ref().is_some_and(BTreeSet::is_empty) {
                    return Err(
                        "field `connector.platform_webhook.topics` is empty: list the \
                         topics the connector accepts, or leave the key out to accept every one"
                            .into(),
                    );
                }
                Some(WebhookSettings {
                    secret_env: raw.secret_env,
                    secret_file: raw.secret_file.map(|files| files.map(resolve)),
                    header,
                    encoding: raw.encoding.unwrap_or(DigestEncoding::Base64),
                    topics: raw.topics,
                })
            }
        };
        let max_future = match self.max_future_secs {
            Some(0) => return Err("field `connector.max_future_secs` must be above 0".into()),
            Some(secs) => Duration::from_secs(secs),
            None => DEFAULT_MAX_FUTURE,
        };
        Ok(ConnectorSettings {
            shop_identifier: shop.to_owned(),
            bold_token_env: self.bold_token_env,
            bold_token_file: self.bold_token_file.as_deref().map(resolve),
            bold_auth,
            outbound,
            webhook,
            max_future,
        })
    }
}

impl ConnectorSettings {
    /// Reads the Bold token, the webhook secret(s) and the X-HMAC shared
    /// secret(s); errors name the manifest (`path`), the field and the
    /// variable or file, never a value.
    pub fn resolve_secrets(
        &self,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectorSecrets, ManifestError> {
        let token_env = self.bold_token_env.clone().map(OneOrTwo::One);
        let token_file = self.bold_token_file.clone().map(OneOrTwo::One);
        let mut token = resolve_secret_source(
            path,
            ("connector.bold_token_env", token_env.as_ref()),
            ("connector.bold_token_file", token_file.as_ref()),
            env,
        )?;
        let bold_token = token.remove(0);
        let webhook = match &self.webhook {
            None => None,
            Some(w) => {
                let secrets = resolve_secret_source(
                    path,
                    (
                        "connector.platform_webhook.secret_env",
                        w.secret_env.as_ref(),
                    ),
                    (
                        "connector.platform_webhook.secret_file",
                        w.secret_file.as_ref(),
                    ),
                    env,
                )?;
                let keys = secrets.iter().map(SecretValue::hmac_key).collect();
                Some(BodySignature::new(&w.header, w.encoding, keys))
            }
        };
        let bold_hmac = match self.bold_auth.x_hmac() {
            None => None,
            Some(x) => {
                let secrets = resolve_secret_source(
                    path,
                    ("connector.bold_hmac_secret_env", x.secret_env.as_ref()),
                    ("connector.bold_hmac_secret_file", x.secret_file.as_ref()),
                    env,
                )?;
                let keys = secrets.iter().map(SecretValue::hmac_key).collect();
                Some(XHmacVerifier::new(keys, x.window))
            }
        };
        Ok(ConnectorSecrets {
            bold_token,
            webhook,
            bold_hmac,
        })
    }

    /// Files a watcher should follow.
    pub fn secret_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self.bold_token_file.iter().cloned().collect();
        if let Some(x) = self.bold_auth.x_hmac() {
            files.extend(
                x.secret_file
                    .iter()
                    .flat_map(|f| f.names())
                    .map(str::to_owned),
            );
        }
        if let Some(w) = &self.webhook {
            files.extend(
                w.secret_file
                    .iter()
                    .flat_map(|f| f.names())
                    .map(str::to_owned),
            );
        }
        files
    }
}
