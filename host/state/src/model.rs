//! What an install is: the shop it is for, the scopes Bold granted, when,
//! and the token (a secret).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest platform name accepted (`shopify`, `bigcommerce`, `commerce_tools`, …).
pub const MAX_PLATFORM_LEN: usize = 32;
/// Longest shop identifier accepted (a store's domain or id).
pub const MAX_SHOP_LEN: usize = 255;

/// A shop as Bold names it in URLs: its platform and the platform's store
/// id (e.g. `shopify` / `example.myshopify.com`). Both go into the paths of
/// Bold's URLs, so only a strict character set is accepted: platform
/// `[a-z0-9_-]{1,32}`; shop `[A-Za-z0-9._-]{1,255}`, not starting with a dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShopRef {
    platform: String,
    shop: String,
}

/// Why a platform or shop name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopRefError {
    /// The platform is empty, too long, or has a character outside `[a-z0-9_-]`.
    #[error("`platform` must be 1 to {MAX_PLATFORM_LEN} characters of a-z, 0-9, `_` and `-`")]
    Platform,
    /// The shop is empty, too long, starts with a dot, or has a character
    /// outside `[A-Za-z0-9._-]`.
    #[error(
        "`shop` must be 1 to {MAX_SHOP_LEN} characters of A-Z, a-z, 0-9, `.`, `_` and `-`, \
         not starting with `.`"
    )]
    Shop,
}

impl ShopRef {
    /// Checks both names.
    pub fn new(platform: &str, shop: &str) -> Result<Self, ShopRefError> {
        let platform_ok = (1..=MAX_PLATFORM_LEN).contains(&platform.len())
            && platform
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !platform_ok {
            return Err(ShopRefError::Platform);
        }
        let shop_ok = (1..=MAX_SHOP_LEN).contains(&shop.len())
            && !shop.starts_with('.')
            && shop
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !shop_ok {
            return Err(ShopRefError::Shop);
        }
        Ok(Self {
            platform: platform.to_owned(),
            shop: shop.to_owned(),
        })
    }

    /// The platform (`shopify`).
    pub fn platform(&self) -> &str {
        &self.platform
    }

    /// The platform's store id (`example.myshopify.com`).
    pub fn shop(&self) -> &str {
        &self.shop
    }
}

impl fmt::Display for ShopRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.platform, self.shop)
    }
}

/// One plugin installed on one shop (the token aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// The plugin's id.
    pub plugin: String,
    /// The shop.
    pub shop: ShopRef,
    /// The scopes Bold granted, in Bold's order.
    pub scopes: Vec<String>,
    /// When the token was stored (whole seconds).
    pub installed_at: SystemTime,
}

impl Install {
    /// `installed_at` as seconds since the Unix epoch.
    pub fn installed_at_secs(&self) -> i64 {
        self.installed_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    pub(crate) fn time_from_secs(secs: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    }

    /// The scopes as stored: space-separated, as Bold writes them.
    pub(crate) fn scopes_text(&self) -> String {
        self.scopes.join(" ")
    }

    pub(crate) fn scopes_from_text(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }
}

/// A shop's access token for Bold's API. Its `Debug` never shows the value;
/// [`AccessToken::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_names_are_strict() {
        assert!(ShopRef::new("shopify", "example.myshopify.com").is_ok());
        assert!(ShopRef::new("commerce_tools", "Store-1_a").is_ok());
        for platform in ["", "Shopify", "a/b", "a b", "ä", &"a".repeat(33), "a%2f"] {
            assert_eq!(
                ShopRef::new(platform, "s"),
                Err(ShopRefError::Platform),
                "{platform}"
            );
        }
        for shop in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a?b",
            "a#b",
            "a b",
            "a%2e",
            &"s".repeat(256),
        ] {
            assert_eq!(ShopRef::new("p", shop), Err(ShopRefError::Shop), "{shop}");
        }
    }

    #[test]
    fn a_token_never_prints() {
        let token = AccessToken::new("s3cr3t-token");
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }
}
