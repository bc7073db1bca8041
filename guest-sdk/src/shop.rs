//! The shop a call is for.
//!
//! Bold names the shop in the query string of the calls it makes
//! (`?platform=shopify&shop=example.myshopify.com`); the host checks both
//! names and tells the handler, through [`Host::shop`](crate::Host::shop),
//! whether the plugin is installed on that shop and with which scopes.
//! Calls that name no shop have none (`None`).
//!
//! ```
//! use plugin_sdk::{Host, Shop, testing::TestHost};
//! let test_host = TestHost::new().with_shop(Shop::installed(
//!     "shopify",
//!     "example.myshopify.com",
//!     ["modify_order"],
//! ));
//! let host: &dyn Host = &test_host;
//! let shop = host.shop().expect("the call names a shop");
//! assert!(shop.installed);
//! assert!(shop.has_scope("modify_order"));
//! assert!(!shop.has_scope("add_fee"));
//! assert_eq!(TestHost::new().shop(), None);
//! ```

/// One shop; mirrors the WIT `shop.shop-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shop {
    /// The platform, e.g. `shopify`.
    pub platform: String,
    /// The platform's store id, e.g. `example.myshopify.com`.
    pub shop: String,
    /// Whether the plugin is installed on this shop (the install flow
    /// stored a token for it). Only then can it call Bold's API
    /// ([`Host::bold_api`](crate::Host::bold_api)).
    pub installed: bool,
    /// The scopes Bold granted at the install (empty when not installed).
    pub scopes: Vec<String>,
}

impl Shop {
    /// A shop the plugin is installed on, with the scopes Bold granted.
    pub fn installed(
        platform: impl Into<String>,
        shop: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Shop {
            platform: platform.into(),
            shop: shop.into(),
            installed: true,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// A shop the plugin is not installed on (no token, no scopes).
    pub fn not_installed(platform: impl Into<String>, shop: impl Into<String>) -> Self {
        Shop {
            platform: platform.into(),
            shop: shop.into(),
            installed: false,
            scopes: Vec::new(),
        }
    }

    /// Whether Bold granted `scope` (exact match, e.g. `modify_order`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
