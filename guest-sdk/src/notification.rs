//! Platform Event Notifications: what a connector tells Bold.
//!
//! A [`Notification`] says that one entity (a customer, a product, an order)
//! was saved or deleted on the platform, with its state in the JSON shape
//! Bold's API expects and the time the platform changed it. The host commits
//! notifications to its outbox before it answers the call that produced
//! them, then delivers them to Bold in order per entity, never an older
//! state after a newer one: so `platform_updated_at` must be accurate.
//!
//! ```
//! use plugin_sdk::{Notification, serde_json::json};
//! let saved = Notification::customer_saved("4242", "2026-11-22T10:00:00Z", &json!({
//!     "platform_id": "4242", "email": "ada@example.com", "addresses": [],
//! }))?;
//! assert_eq!((saved.kind(), saved.op()), ("customer", "saved"));
//! assert_eq!(saved.json()["email"], "ada@example.com");
//!
//! let deleted = Notification::product_deleted("p1", "2026-11-22T10:05:00+01:00")?;
//! assert_eq!(deleted.to_json(), json!({
//!     "type": "product_deleted",
//!     "platform_id": "p1",
//!     "platform_updated_at": "2026-11-22T10:05:00+01:00",
//!     "json": {"platform_id": "p1"},
//! }));
//!
//! // The timestamp is required and must be RFC 3339.
//! assert!(Notification::customer_deleted("4242", "yesterday").is_err());
//! # Ok::<(), plugin_sdk::HandlerError>(())
//! ```

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::HandlerError;

/// One entity's state, as Bold must store it; mirrors the WIT `entity`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// The entity's id on the platform (Bold's `platform_id`).
    pub platform_id: String,
    /// When the platform last changed the entity, RFC 3339 (e.g.
    /// `2026-11-22T10:00:00Z`).
    pub platform_updated_at: String,
    /// The entity as a JSON object in the shape Bold's API expects (for a
    /// customer: the complete customer with all its addresses; for a
    /// deletion: `{"platform_id": ...}`).
    pub json: Value,
}

/// A Platform Event Notification for Bold; mirrors the WIT `notification`.
///
/// The constructors check what the host relies on: a non-empty platform id,
/// an RFC 3339 `platform_updated_at` (else [`HandlerError::InvalidInput`]:
/// both usually come from the platform's data), and a body that encodes to
/// a JSON object (else [`HandlerError::Failed`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// Customer Saved: the complete customer, with all its addresses.
    CustomerSaved(Entity),
    /// Customer Deleted.
    CustomerDeleted(Entity),
    /// Product Saved.
    ProductSaved(Entity),
    /// Product Deleted.
    ProductDeleted(Entity),
    /// Order Saved.
    OrderSaved(Entity),
}

impl Notification {
    /// Customer Saved: `customer` is the complete customer, with all its
    /// addresses, as Bold's API expects it.
    pub fn customer_saved<B: Serialize + ?Sized>(
        platform_id: impl Into<String>,
        platform_updated_at: impl Into<String>,
        customer: &B,
    ) -> Result<Self, HandlerError> {
        Ok(Notification::CustomerSaved(saved(
            platform_id,
            platform_updated_at,
            customer,
        )?))
    }

    /// Customer Deleted; `deleted_at` is when the platform deleted it.
    pub fn customer_deleted(
        platform_id: impl Into<String>,
        deleted_at: impl Into<String>,
    ) -> Result<Self, HandlerError> {
        Ok(Notification::CustomerDeleted(deleted(
            platform_id,
            deleted_at,
        )?))
    }

    /// Product Saved.
    pub fn product_saved<B: Serialize + ?Sized>(
        platform_id: impl Into<String>,
        platform_updated_at: impl Into<String>,
        product: &B,
    ) -> Result<Self, HandlerError> {
        Ok(Notification::ProductSaved(saved(
            platform_id,
            platform_updated_at,
            product,
        )?))
    }

    /// Product Deleted; `deleted_at` is when the platform deleted it.
    pub fn product_deleted(
        platform_id: impl Into<String>,
        deleted_at: impl Into<String>,
    ) -> Result<Self, HandlerError> {
        Ok(Notification::ProductDeleted(deleted(
            platform_id,
            deleted_at,
        )?))
    }

    /// Order Saved.
    pub fn order_saved<B: Serialize + ?Sized>(
        platform_id: impl Into<String>,
        platform_updated_at: impl Into<String>,
        order: &B,
    ) -> Result<Self, HandlerError> {
        Ok(Notification::OrderSaved(saved(
            platform_id,
            platform_updated_at,
            order,
        )?))
    }

    /// The entity: `customer`, `product` or `order`.
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::CustomerSaved(_) | Notification::CustomerDeleted(_) => "customer",
            Notification::ProductSaved(_) | Notification::ProductDeleted(_) => "product",
            Notification::OrderSaved(_) => "order",
        }
    }

    /// What happened to it: `saved` or `deleted`.
    pub fn op(&self) -> &'static str {
        match self {
            Notification::CustomerSaved(_)
            | Notification::ProductSaved(_)
            | Notification::OrderSaved(_) => "saved",
            Notification::CustomerDeleted(_) | Notification::ProductDeleted(_) => "deleted",
        }
    }

    /// `<kind>_<op>`, e.g. `customer_saved`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Notification::CustomerSaved(_) => "customer_saved",
            Notification::CustomerDeleted(_) => "customer_deleted",
            Notification::ProductSaved(_) => "product_saved",
            Notification::ProductDeleted(_) => "product_deleted",
            Notification::OrderSaved(_) => "order_saved",
        }
    }

    /// The entity's state.
    pub fn entity(&self) -> &Entity {
        match self {
            Notification::CustomerSaved(e)
            | Notification::CustomerDeleted(e)
            | Notification::ProductSaved(e)
            | Notification::ProductDeleted(e)
            | Notification::OrderSaved(e) => e,
        }
    }

    /// The entity's state, by value.
    pub fn into_entity(self) -> Entity {
        match self {
            Notification::CustomerSaved(e)
            | Notification::CustomerDeleted(e)
            | Notification::ProductSaved(e)
            | Notification::ProductDeleted(e)
            | Notification::OrderSaved(e) => e,
        }
    }

    /// The entity's platform id.
    pub fn platform_id(&self) -> &str {
        &self.entity().platform_id
    }

    /// When the platform changed the entity.
    pub fn platform_updated_at(&self) -> &str {
        &self.entity().platform_updated_at
    }

    /// The entity's JSON object.
    pub fn json(&self) -> &Value {
        &self.entity().json
    }

    /// The notification as one JSON value, for assertions and logs:
    /// `{"type": "customer_saved", "platform_id": ..., "platform_updated_at":
    /// ..., "json": {...}}`.
    pub fn to_json(&self) -> Value {
        let entity = self.entity();
        json!({
            "type": self.type_name(),
            "platform_id": entity.platform_id,
            "platform_updated_at": entity.platform_updated_at,
            "json": entity.json,
        })
    }
}

fn saved<B: Serialize + ?Sized>(
    platform_id: impl Into<String>,
    platform_updated_at: impl Into<String>,
    body: &B,
) -> Result<Entity, HandlerError> {
    let (platform_id, platform_updated_at) = checked(platform_id, platform_updated_at)?;
    let json = serde_json::to_value(body)
        .map_err(|e| HandlerError::Failed(format!("notification json: {e}")))?;
    if !json.is_object() {
        return Err(HandlerError::Failed(
            "notification json: not a JSON object".to_owned(),
        ));
    }
    Ok(Entity {
        platform_id,
        platform_updated_at,
        json,
    })
}

fn deleted(
    platform_id: impl Into<String>,
    deleted_at: impl Into<String>,
) -> Result<Entity, HandlerError> {
    let (platform_id, platform_updated_at) = checked(platform_id, deleted_at)?;
    let json = json!({ "platform_id": platform_id });
    Ok(Entity {
        platform_id,
        platform_updated_at,
        json,
    })
}

fn checked(
    platform_id: impl Into<String>,
    platform_updated_at: impl Into<String>,
) -> Result<(String, String), HandlerError> {
    let platform_id = platform_id.into();
    let platform_updated_at = platform_updated_at.into();
    if platform_id.is_empty() {
        return Err(HandlerError::InvalidInput(
            "platform_id: must not be empty".to_owned(),
        ));
    }
    if !is_rfc3339(&platform_updated_at) {
        return Err(HandlerError::InvalidInput(format!(
            "platform_updated_at: not an RFC 3339 timestamp: {platform_updated_at:?}"
        )));
    }
    Ok((platform_id, platform_updated_at))
}

/// Whether `s` is an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS`, optional
/// fraction, then `Z` or `±HH:MM` (`t`, `z` and a space for `T` accepted).
/// Fields are range-checked (month 1–12, day 1–31, hour 0–23, minute 0–59,
/// second 0–60), not checked against the calendar.
///
/// ```
/// use plugin_sdk::notification::is_rfc3339;
/// assert!(is_rfc3339("2026-11-22T10:00:00Z"));
/// assert!(is_rfc3339("2026-11-22T10:00:00.123456-05:00"));
/// assert!(!is_rfc3339("2026-11-22"));
/// assert!(!is_rfc3339("2026-13-22T10:00:00Z"));
/// assert!(!is_rfc3339("2026-11-22T10:00:00"));
/// ```
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |at: usize, len: usize, max: u32, min: u32| -> bool {
        b.get(at..at + len).is_some_and(|digits| {
            digits.iter().all(u8::is_ascii_digit)
                && (min..=max).contains(
                    &digits
                        .iter()
                        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0')),
                )
        })
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    let date_time = num(0, 4, 9999, 0)
        && at(4, b"-")
        && num(5, 2, 12, 1)
        && at(7, b"-")
        && num(8, 2, 31, 1)
        && at(10, b"Tt ")
        && num(11, 2, 23, 0)
        && at(13, b":")
        && num(14, 2, 59, 0)
        && at(16, b":")
        && num(17, 2, 60, 0);
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && num(i + 1, 2, 23, 0) && at(i + 3, b":") && num(i + 4, 2, 59, 0)
        }
        _ => false,
    }
}
