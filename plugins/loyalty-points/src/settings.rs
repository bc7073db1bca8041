//! The plugin's config keys, read once per call.

use plugin_sdk::{HandlerError, Host};

use crate::discount::DEFAULT_DISCOUNT_PATH;

/// Config key: the loyalty service's base URL (required).
pub const LOYALTY_URL: &str = "loyalty_url";
/// Config key: the loyalty service's bearer token (optional).
pub const LOYALTY_TOKEN: &str = "loyalty_token";
/// Config key: the discount code gold members get (optional).
pub const GOLD_CODE: &str = "gold_code";
/// Config key: the Bold API path that applies a discount (optional).
pub const DISCOUNT_PATH: &str = "discount_path";

/// `gold_code` when it is not configured.
pub const DEFAULT_GOLD_CODE: &str = "LOYALTY-GOLD";

/// The plugin's settings.
pub struct Settings {
    /// The loyalty service's base URL, without a trailing `/`.
    pub loyalty_url: String,
    /// `Authorization` for the loyalty service (`Bearer <token>`), if any.
    pub authorization: Option<String>,
    /// The discount code for gold members.
    pub gold_code: String,
    /// The Bold API path template (see [`crate::discount`]).
    pub discount_path: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("loyalty_url", &self.loyalty_url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<set>"),
            )
            .field("gold_code", &self.gold_code)
            .field("discount_path", &self.discount_path)
            .finish()
    }
}

impl Settings {
    /// Reads the settings. `loyalty_url` is required and must be an
    /// `http://` or `https://` URL (a trailing `/` is ignored); the others
    /// are optional, and blank values mean "not set". A missing or bad URL
    /// is [`HandlerError::Failed`] naming the key.
    pub fn from_config(host: &dyn Host) -> Result<Self, HandlerError> {
        let url = host.config(LOYALTY_URL).unwrap_or_default();
        let loyalty_url = url.trim().trim_end_matches('/');
        if loyalty_url.is_empty() {
            return Err(HandlerError::failed(format!(
                "config `{LOYALTY_URL}`: required"
            )));
        }
        let lower = loyalty_url.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"));
        if rest.is_none_or(str::is_empty) {
            return Err(HandlerError::failed(format!(
                "config `{LOYALTY_URL}`: not an http(s) URL: {url:?}"
            )));
        }
        Ok(Settings {
            loyalty_url: loyalty_url.to_owned(),
            authorization: optional(host, LOYALTY_TOKEN).map(|token| format!("Bearer {token}")),
            gold_code: optional(host, GOLD_CODE).unwrap_or_else(|| DEFAULT_GOLD_CODE.to_owned()),
            discount_path: optional(host, DISCOUNT_PATH)
                .unwrap_or_else(|| DEFAULT_DISCOUNT_PATH.to_owned()),
        })
    }
}

/// A setting, trimmed; blank is `None`.
fn optional(host: &dyn Host, key: &str) -> Option<String> {
    host.config(key)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}
