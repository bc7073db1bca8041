//! The installation flow's settings (`../shared/bold/PROTOCOL.md` §5): the
//! manifest's `[oauth]`, and the host file's `[bold_checkout]` (where
//! authorize, token and API calls go) and `[state]` (the key that seals
//! shops' tokens at rest).
//!
//! ```toml
//! # plugin.toml
//! [oauth]
//! client_id = "my-client-id"          # or client_id_env = "NAME"
//!
//! # host.toml
//! [bold_checkout]
//! base_url = "https://cashier.boldcommerce.com"   # the default
//! request_timeout_ms = 10000                      # token exchange and API calls
//! token_header = "authorization-bearer"           # or "x-bold-checkout-access-token"
//!
//! [state]
//! key_env = "PLUGIN_HOST_STATE_KEY"   # or key_file; a list of two during a rotation
//! ```
//!
//! The client secret of the token exchange is the plugin's own
//! (`client_secret_env`), the one that keys its HTTP signature.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::manifest::{ManifestError, check_url};
use super::secrets::{OneOrTwo, SecretValue, resolve_secret_source};
use crate::state::StateKey;

/// Where Bold Checkout lives when the host file does not say.
pub const DEFAULT_BOLD_CHECKOUT_URL: &str = "https://cashier.boldcommerce.com";
/// The deadline of one call to Bold Checkout (token exchange, API call).
pub const DEFAULT_BOLD_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// `[oauth]` as written in a manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOAuth {
    client_id: Option<String>,
    client_id_env: Option<String>,
}

/// A manifest's `[oauth]`: the plugin can be installed on stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthSettings {
    /// The client id, written in the manifest (it is not a secret: Bold's
    /// authorize URL carries it through the merchant's browser).
    ClientId(String),
    /// The environment variable that holds it.
    ClientIdEnv(String),
}

impl RawOAuth {
    pub(crate) fn check(self) -> Result<OAuthSettings, String> {
        match (self.client_id, self.client_id_env) {
            (Some(id), None) if is_client_id(&id) => Ok(OAuthSettings::ClientId(id)),
            (Some(_), None) => Err(
                "field `oauth.client_id`: 1 to 256 printable ASCII characters, no spaces".into(),
            ),
            (None, Some(name)) if !name.trim().is_empty() => Ok(OAuthSettings::ClientIdEnv(name)),
            (None, Some(_)) => Err("field `oauth.client_id_env` is empty".into()),
            (None, None) => {
                Err("table `oauth`: set `client_id` (or `client_id_env`, a variable)".into())
            }
            (Some(_), Some(_)) => {
                Err("fields `oauth.client_id` and `oauth.client_id_env`: set only one".into())
            }
        }
    }
}

fn is_client_id(id: &str) -> bool {
    (1..=256).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

impl OAuthSettings {
    /// The client id, reading the variable if it names one.
    pub fn resolve(
        &self,
        manifest: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            path: manifest.to_owned(),
            message,
        };
        match self {
            OAuthSettings::ClientId(id) => Ok(id.clone()),
            OAuthSettings::ClientIdEnv(name) => match env(name) {
                Some(id) if is_client_id(&id) => Ok(id),
                Some(_) => Err(invalid(format!(
                    "field `oauth.client_id_env`: {name} is not 1 to 256 printable ASCII \
                     characters without spaces"
                ))),
                None => Err(invalid(format!(
                    "field `oauth.client_id_env`: environment variable {name} is not set"
                ))),
            },
        }
    }
}

/// Which header carries a shop's token on calls to Bold's API (PROTOCOL.md
/// §5: the legacy API takes `X-Bold-Checkout-Access-Token`, newer APIs
/// `Authorization: Bearer`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenHeader {
    /// `Authorization: Bearer <token>`.
    #[default]
    AuthorizationBearer,
    /// `X-Bold-Checkout-Access-Token: <token>`.
    XBoldCheckoutAccessToken,
}

/// `[bold_checkout]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBoldCheckout {
    base_url: Option<String>,
    request_timeout_ms: Option<u64>,
    token_header: Option<TokenHeader>,
}

/// `[bold_checkout]`: where the install flow and the Bold API calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoldCheckoutSettings {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// Deadline of one call.
    pub request_timeout: Duration,
    /// The header that carries a shop's token.
    pub token_header: TokenHeader,
}

impl Default for BoldCheckoutSettings {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BOLD_CHECKOUT_URL.to_owned(),
            request_timeout: DEFAULT_BOLD_CHECKOUT_TIMEOUT,
            token_header: TokenHeader::default(),
        }
    }
}

impl RawBoldCheckout {
    pub(crate) fn resolve(self) -> Result<BoldCheckoutSettings, String> {
        let d = BoldCheckoutSettings::default();
        let base_url = match self.base_url {
            Some(url) => {
                check_url(&url).map_err(|m| format!("field `bold_checkout.base_url`: {m}"))?
            }
            None => d.base_url,
        };
        let request_timeout = match self.request_timeout_ms {
            Some(0) => {
                return Err("field `bold_checkout.request_timeout_ms` must be above 0".into());
            }
            Some(ms) => Duration::from_millis(ms),
            None => d.request_timeout,
        };
        Ok(BoldCheckoutSettings {
            base_url,
            request_timeout,
            token_header: self.token_header.unwrap_or_default(),
        })
    }
}

/// `[state]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawState {
    key_env: Option<OneOrTwo>,
    key_file: Option<OneOrTwo>,
}

impl RawState {
    /// Whether a key source is named at all.
    pub(crate) fn is_set(&self) -> bool {
        self.key_env.is_some() || self.key_file.is_some()
    }

    /// The key(s), read and checked (32 bytes in base64 or hex); the current
    /// key first. Errors name the host file, the field and the variable or
    /// file, never the value. `key_file` paths are relative to `base`.
    pub(crate) fn resolve(
        &self,
        host_file: &Path,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<SecretValue>, ManifestError> {
        let files = self
            .key_file
            .as_ref()
            .map(|f| f.map(|name| base.join(name).display().to_string()));
        let keys = resolve_secret_source(
            host_file,
            ("state.key_env", self.key_env.as_ref()),
            ("state.key_file", files.as_ref()),
            env,
        )?;
        for (i, key) in keys.iter().enumerate() {
            StateKey::parse(key.expose()).map_err(|e| ManifestError::Invalid {
                path: host_file.to_owned(),
                message: format!(
                    "field `state.key_{}`{}: {e}",
                    if self.key_env.is_some() {
                        "env"
                    } else {
                        "file"
                    },
                    if keys.len() > 1 {
                        format!(" (key {})", i + 1)
                    } else {
                        String::new()
                    }
                ),
            })?;
        }
        Ok(keys)
    }
}
