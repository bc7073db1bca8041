//! A loyalty program for Bold Checkout: a checkout plugin that calls out.
//!
//! # Behaviour
//! On `initialize_checkout`, and on `app_hook` with hook
//! `apply_loyalty_discount` (a "use my loyalty discount" button, for buyers
//! who give their email after the checkout opened):
//! 1. No shop in the call, or the plugin is not installed on it: no
//!    actions, logged at info. No request is made.
//! 2. No customer email yet: no actions (debug log).
//! 3. `GET <loyalty_url>/members/<email>` (the email percent-encoded as one
//!    path segment) on the loyalty service, a host the manifest grants.
//!    404: not a member, no actions. Any other failure (status, timeout,
//!    refused connection, an answer that is not a member): no actions,
//!    logged at warn, never a fault that blocks the checkout.
//! 4. A member (`{"tier": "silver", "points": 120}`) gets an `add_note`
//!    `"Loyalty <tier> member: <points> points"` (if the shop granted
//!    `modify_order`; otherwise a warning and no note).
//! 5. A gold member also gets the gold discount code through Bold's API
//!    for the shop, with the shop's token ([`discount`]; illustrative path).
//!    A failed Bold call is logged at warn; the note goes out anyway.
//!
//! Other events: no actions, no requests. The email and the URLs holding
//! it are never logged.
//!
//! # Config
//! See [`settings`]: `loyalty_url` (required), `loyalty_token`,
//! `gold_code` (default `LOYALTY-GOLD`), `discount_path` (default
//! `orders/{public_order_id}/discounts`). A missing or non-`http(s)`
//! `loyalty_url` fails the call (`failed`, naming the key) once there is
//! something to look up.

pub mod discount;
pub mod loyalty;
pub mod settings;

use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, Id, Level};

use crate::loyalty::Lookup;
use crate::settings::Settings;

/// The `app_hook` hook that asks for the loyalty discount.
pub const APPLY_HOOK: &str = "apply_loyalty_discount";
/// The scope `add_note` needs.
pub const NOTE_SCOPE: &str = "modify_order";

/// The plugin.
#[derive(Debug)]
pub struct LoyaltyPoints;

impl CheckoutPlugin for LoyaltyPoints {
    fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        match event.name() {
            "initialize_checkout" => recognise(event, host),
            "app_hook" if event.hook()? == Some(APPLY_HOOK) => recognise(event, host),
            _ => Ok(vec![]),
        }
    }
}

/// Recognises a loyalty member and rewards them (see the crate docs).
fn recognise(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
    let Some(shop) = host.shop() else {
        host.info("no shop in the call: no loyalty lookup");
        return Ok(vec![]);
    };
    if !shop.installed {
        host.log(
            Level::Info,
            "not installed on this shop: no loyalty lookup",
            &[("platform", &shop.platform), ("shop", &shop.shop)],
        );
        return Ok(vec![]);
    }
    let customer = event.customer()?;
    let email = customer.core_info.email.trim();
    if email.is_empty() {
        host.debug("no customer email yet: no loyalty lookup");
        return Ok(vec![]);
    }
    let settings = Settings::from_config(host)?;
    let member = match loyalty::lookup(host, &settings, email) {
        Lookup::Member(member) => member,
        Lookup::NotMember => {
            host.debug("not a loyalty member");
            return Ok(vec![]);
        }
        Lookup::Unavailable(why) => {
            host.log(
                Level::Warn,
                "loyalty service unavailable: no loyalty actions",
                &[("reason", &why)],
            );
            return Ok(vec![]);
        }
    };
    host.log(
        Level::Info,
        "loyalty member",
        &[
            ("tier", &member.tier),
            ("points", &member.points.to_string()),
        ],
    );

    let mut actions = Vec::with_capacity(1);
    if shop.has_scope(NOTE_SCOPE) {
        actions.push(Action::add_note(member.note()));
    } else {
        host.log(
            Level::Warn,
            "the shop did not grant modify_order: no loyalty note",
            &[("shop", &shop.shop)],
        );
    }
    if member.is_gold() {
        // A malformed order id is no reason to withhold the note.
        let order_id = event
            .pointer::<Id>("/order/public_order_id")
            .ok()
            .flatten()
            .map(|id| id.to_string())
            .filter(|id| !id.trim().is_empty());
        match order_id {
            Some(order_id) => discount::apply(host, &settings, &order_id),
            None => host.warn("gold member but no public_order_id: no discount"),
        }
    }
    Ok(actions)
}

plugin_sdk::export_checkout_plugin!(LoyaltyPoints);

#[cfg(test)]
mod tests;
