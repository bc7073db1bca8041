//! What a connector handler returns, checked before anything is queued:
//! every notification names its entity, carries an RFC 3339
//! `platform_updated_at` and a JSON object; and the outbox row each one
//! becomes.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::fault::{Fault, FaultKind};
use crate::outbox::{EntityKind, NewNotification, Operation};
use crate::runtime::bindings::connector::checkout::plugin::connector_types as wit;

/// The five Platform Event Notifications Bold accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Customer Saved.
    CustomerSaved,
    /// Customer Deleted.
    CustomerDeleted,
    /// Product Saved.
    ProductSaved,
    /// Product Deleted.
    ProductDeleted,
    /// Order Saved.
    OrderSaved,
}

impl NotificationKind {
    /// `customer_saved`, `product_deleted`, ...: for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::CustomerSaved => "customer_saved",
            NotificationKind::CustomerDeleted => "customer_deleted",
            NotificationKind::ProductSaved => "product_saved",
            NotificationKind::ProductDeleted => "product_deleted",
            NotificationKind::OrderSaved => "order_saved",
        }
    }

    /// The key of the entity in the payload sent to Bold.
    pub fn entity_name(self) -> &'static str {
        match self {
            NotificationKind::CustomerSaved | NotificationKind::CustomerDeleted => "customer",
            NotificationKind::ProductSaved | NotificationKind::ProductDeleted => "product",
            NotificationKind::OrderSaved => "order",
        }
    }

    /// Whether it deletes the entity.
    pub fn is_delete(self) -> bool {
        matches!(
            self,
            NotificationKind::CustomerDeleted | NotificationKind::ProductDeleted
        )
    }
}

/// A checked notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Which one.
    pub kind: NotificationKind,
    /// The entity's platform id.
    pub platform_id: String,
    /// `platform_updated_at` as the handler gave it.
    pub updated_at: String,
    /// The same instant in UTC microseconds since the Unix epoch.
    pub updated_at_micros: i64,
    /// The entity, with `platform_id` and `platform_updated_at` set.
    pub entity: Map<String, Value>,
    /// Bytes of JSON the handler returned for it (output accounting).
    pub json_bytes: usize,
}

impl Notification {
    /// The request body for Bold: `{"data": {"<entity>": {...}}}`.
    pub fn payload(&self) -> String {
        let mut data = Map::new();
        data.insert(
            self.kind.entity_name().to_owned(),
            Value::Object(self.entity.clone()),
        );
        let mut body = Map::new();
        body.insert("data".to_owned(), Value::Object(data));
        Value::Object(body).to_string()
    }
}

/// Longest platform id accepted.
const MAX_PLATFORM_ID: usize = 256;

/// Checks what the guest returned; `index` numbers it in the error.
pub fn check(index: usize, raw: wit::Notification) -> Result<Notification, Fault> {
    let (kind, entity) = match raw {
        wit::Notification::CustomerSaved(e) => (NotificationKind::CustomerSaved, e),
        wit::Notification::CustomerDeleted(e) => (NotificationKind::CustomerDeleted, e),
        wit::Notification::ProductSaved(e) => (NotificationKind::ProductSaved, e),
        wit::Notification::ProductDeleted(e) => (NotificationKind::ProductDeleted, e),
        wit::Notification::OrderSaved(e) => (NotificationKind::OrderSaved, e),
    };
    let invalid = |what: String| {
        Fault::new(
            FaultKind::InvalidOutput,
            format!("notification {index} ({}): {what}", kind.as_str()),
        )
    };
    let platform_id = entity.platform_id;
    if platform_id.trim().is_empty() || platform_id.len() > MAX_PLATFORM_ID {
        return Err(invalid(format!(
            "platform-id must be 1-{MAX_PLATFORM_ID} bytes, not blank"
        )));
    }
    let updated_at = entity.platform_updated_at;
    let instant = OffsetDateTime::parse(&updated_at, &Rfc3339).map_err(|e| {
        invalid(format!(
            "platform-updated-at {:?} is not RFC 3339 ({e})",
            clip(&updated_at)
        ))
    })?;
    let micros = instant.unix_timestamp_nanos() / 1000;
    let updated_at_micros =
        i64::try_from(micros).map_err(|_| invalid("platform-updated-at is out of range".into()))?;
    let json_bytes = entity.json.len();
    let mut object = match serde_json::from_str::<Value>(&entity.json) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Err(invalid("json is not a JSON object".into())),
        Err(e) => return Err(invalid(format!("json is not valid JSON ({e})"))),
    };
    object.insert("platform_id".into(), Value::String(platform_id.clone()));
    object.insert(
        "platform_updated_at".into(),
        Value::String(updated_at.clone()),
    );
    Ok(Notification {
        kind,
        platform_id,
        updated_at,
        updated_at_micros,
        entity: object,
        json_bytes,
    })
}

/// Checks every notification, stopping at the first bad one (nothing of an
/// answer with a bad notification is queued).
pub fn check_all(raw: Vec<wit::Notification>) -> Result<Vec<Notification>, Fault> {
    raw.into_iter()
        .enumerate()
        .map(|(i, n)| check(i, n))
        .collect()
}

/// Refuses notifications whose `platform_updated_at` is more than
/// `margin` ahead of `now`: queued, such a state would make every later
/// update of its entity look stale for good.
pub fn check_not_ahead(
    notifications: &[Notification],
    now: std::time::SystemTime,
    margin: std::time::Duration,
) -> Result<(), Fault> {
    let now_micros = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let limit = now_micros.saturating_add(i64::try_from(margin.as_micros()).unwrap_or(i64::MAX));
    match notifications
        .iter()
        .position(|n| n.updated_at_micros > limit)
    {
        None => Ok(()),
        Some(index) => Err(Fault::new(
            FaultKind::InvalidOutput,
            format!(
                "notification {index}: platform_updated_at {} is more than {} s ahead of the \
                 host's clock",
                clip(&notifications[index].updated_at),
                margin.as_secs()
            ),
        )),
    }
}

/// Refuses outputs over the limit before any JSON is parsed: the
/// notifications' strings plus `body_len`.
pub fn check_size(
    notifications: &[wit::Notification],
    body_len: usize,
    limit: u64,
) -> Result<(), Fault> {
    let len = notifications
        .iter()
        .map(|n| match n {
            wit::Notification::CustomerSaved(e)
            | wit::Notification::CustomerDeleted(e)
            | wit::Notification::ProductSaved(e)
            | wit::Notification::ProductDeleted(e)
            | wit::Notification::OrderSaved(e) => {
                e.json.len() + e.platform_id.len() + e.platform_updated_at.len()
            }
        })
        .sum::<usize>()
        + body_len;
    super::actions::check_output_size(len, limit)
}

/// The outbox row for one checked notification of `plugin` for `shop`.
pub fn outbox_row(plugin: &str, shop: &str, n: &Notification) -> NewNotification {
    use NotificationKind as K;
    let (kind, op) = match n.kind {
        K::CustomerSaved => (EntityKind::Customer, Operation::Saved),
        K::CustomerDeleted => (EntityKind::Customer, Operation::Deleted),
        K::ProductSaved => (EntityKind::Product, Operation::Saved),
        K::ProductDeleted => (EntityKind::Product, Operation::Deleted),
        K::OrderSaved => (EntityKind::Order, Operation::Saved),
    };
    NewNotification {
        plugin: plugin.to_owned(),
        shop: shop.to_owned(),
        kind,
        op,
        platform_id: n.platform_id.clone(),
        updated_at: n.updated_at.clone(),
        updated_at_micros: n.updated_at_micros,
        payload: n.payload(),
    }
}

fn clip(text: &str) -> &str {
    let mut end = text.len().min(64);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_past_the_margin_are_refused() {
        let at = |rfc: &str| {
            check(
                0,
                wit::Notification::ProductSaved(entity("p1", rfc, r#"{"a": 1}"#)),
            )
            .unwrap()
        };
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
        let margin = std::time::Duration::from_secs(60);
        // 2026-09-21T14:13:20Z is the clock; a minute ahead passes.
        let inside = [at("2026-09-21T14:14:20Z")];
        assert!(check_not_ahead(&inside, now, margin).is_ok());
        let outside = [at("2026-09-21T14:14:21Z")];
        let fault = check_not_ahead(&outside, now, margin).unwrap_err();
        assert_eq!(fault.kind, FaultKind::InvalidOutput);
        assert!(fault.reason.contains("60 s ahead"), "{fault}");
        assert!(check_not_ahead(&[at("9999-12-31T23:59:59Z")], now, margin).is_err());
    }

    fn entity(id: &str, at: &str, json: &str) -> wit::Entity {
        wit::Entity {
            platform_id: id.into(),
            platform_updated_at: at.into(),
            json: json.into(),
        }
    }

    #[test]
    fn a_good_notification_gets_its_id_and_time_in_the_payload() {
        let n = check(
            0,
            wit::Notification::CustomerSaved(entity(
                "42",
                "2026-11-22T10:00:00.5+01:00",
                r#"{"first_name":"Ada","platform_id":"wrong"}"#,
            )),
        )
        .unwrap();
        assert_eq!(n.kind, NotificationKind::CustomerSaved);
        assert_eq!(n.updated_at_micros, 1_795_338_000_500_000);
        let payload: Value = serde_json::from_str(&n.payload()).unwrap();
        assert_eq!(payload["data"]["customer"]["platform_id"], "42");
        assert_eq!(payload["data"]["customer"]["first_name"], "Ada");
        assert_eq!(
            payload["data"]["customer"]["platform_updated_at"],
            "2026-11-22T10:00:00.5+01:00"
        );
    }

    #[test]
    fn bad_notifications_are_invalid_output_naming_the_problem() {
        let cases = [
            (entity("", "2026-11-22T10:00:00Z", "{}"), "platform-id"),
            (entity("1", "yesterday", "{}"), "RFC 3339"),
            (entity("1", "2026-11-22 10:00:00", "{}"), "RFC 3339"),
            (
                entity("1", "2026-11-22T10:00:00Z", "[]"),
                "not a JSON object",
            ),
            (entity("1", "2026-11-22T10:00:00Z", "{"), "not valid JSON"),
        ];
        for (e, expected) in cases {
            let fault = check(3, wit::Notification::ProductDeleted(e)).unwrap_err();
            assert_eq!(fault.kind, FaultKind::InvalidOutput);
            assert!(
                fault.reason.contains(expected) && fault.reason.contains("notification 3"),
                "{}",
                fault.reason
            );
        }
    }
}
