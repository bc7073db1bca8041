//! The shop of a checkout call (PROTOCOL.md §5: Bold names it in the query
//! string): whether the plugin is installed on it, what the sandbox gets
//! (the `shop` and `bold-api` imports), and the scopes the answer is checked
//! against (those granted at the install, when there is one).

use super::install::Installer;
use super::{ActionPolicy, PluginEntry};
use crate::runtime::{CallContext, NoBoldApi, ShopInfo};
use crate::state::ShopRef;

/// What a checkout call knows about its shop.
#[derive(Debug, Clone, Default)]
pub struct ShopCall {
    /// What the sandbox gets.
    pub context: CallContext,
    /// The plugin is installed on the call's shop.
    pub installed: bool,
    /// The policy with the install's granted scopes; `None`: the entry's.
    pub policy: Option<ActionPolicy>,
}

/// Looks `shop` up for `entry` (no shop: nothing to look up). A store that
/// cannot be read makes the shop "not installed" for this call, logged: the
/// checkout goes on, and `require_install` plugins answer as for a shop
/// that did not install them.
pub async fn shop_call(
    installer: Option<&Installer>,
    entry: &PluginEntry,
    shop: Option<ShopRef>,
) -> ShopCall {
    let Some(shop) = shop else {
        return ShopCall::default();
    };
    let installed = match (installer, entry.oauth()) {
        (Some(installer), Some(_)) => match installer.lookup(entry.id(), &shop).await {
            Ok(installed) => installed,
            Err(err) => {
                tracing::error!(
                    plugin = entry.id(),
                    shop = %shop,
                    error = %err,
                    "cannot tell whether the shop is installed; treated as not installed"
                );
                None
            }
        },
        // A plugin without [oauth] is installed nowhere.
        _ => None,
    };
    let access = installed
        .as_ref()
        .zip(installer)
        .and_then(|(i, installer)| installer.access(i));
    let policy = installed.as_ref().map(|i| {
        let mut policy = entry.policy().clone();
        policy.scopes = Some(i.install.scopes.iter().cloned().collect());
        policy
    });
    let info = ShopInfo {
        platform: shop.platform().to_owned(),
        shop: shop.shop().to_owned(),
        installed: installed.is_some(),
        scopes: installed
            .as_ref()
            .map(|i| i.install.scopes.clone())
            .unwrap_or_default(),
    };
    ShopCall {
        context: CallContext {
            shop: Some(info),
            bold_api: access.ok_or(NoBoldApi::NotInstalled),
        },
        installed: installed.is_some(),
        policy,
    }
}
