//! What one call brings into its sandbox besides its input: the shop it is
//! for (the `shop` import) and access to Bold's API for that shop (the
//! `bold-api` import). Set on the store right before the call, after any
//! instantiation ahead of time, so a spare sandbox never holds a shop's
//! token while it waits.

use std::fmt;

use http::{HeaderName, HeaderValue};

/// The call's shop, as the `shop` import serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopInfo {
    /// The platform, e.g. `shopify`.
    pub platform: String,
    /// The platform's store id.
    pub shop: String,
    /// Whether the plugin is installed on it.
    pub installed: bool,
    /// The scopes granted at the install.
    pub scopes: Vec<String>,
}

/// Bold's API for the call's shop: where requests go and the header that
/// carries the shop's token. The token never reaches the guest, and `Debug`
/// never prints it.
#[derive(Clone)]
pub struct BoldApiAccess {
    /// `<base_url>/api/v1/{platform}/{shop}`, without a trailing slash.
    pub base: String,
    /// The token's header (`authorization` or
    /// `x-bold-checkout-access-token`).
    pub header: HeaderName,
    /// Its value (`Bearer <token>` or the token), marked sensitive.
    pub value: HeaderValue,
}

impl fmt::Debug for BoldApiAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoldApiAccess")
            .field("base", &self.base)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Why a call has no access to Bold's API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NoBoldApi {
    /// The call named no shop.
    #[default]
    NoShop,
    /// The plugin is not installed on the call's shop.
    NotInstalled,
}

/// What a call brings into its sandbox.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The call's shop, if Bold named one.
    pub shop: Option<ShopInfo>,
    /// Bold's API for that shop, or why not.
    pub bold_api: Result<BoldApiAccess, NoBoldApi>,
}

impl Default for CallContext {
    /// No shop, hence no Bold API.
    fn default() -> Self {
        Self {
            shop: None,
            bold_api: Err(NoBoldApi::NoShop),
        }
    }
}
