//! Platform webhooks → notifications for Bold.

use plugin_sdk::serde_json::{Map, Value};
use plugin_sdk::{HandlerError, Host, Level, Notification, PlatformEvent};

use crate::platform::{Customer, Deletion, Product, order_parts, required_id, required_time};

/// The notifications for one platform webhook (none for an unknown topic).
pub fn notifications(
    event: &PlatformEvent,
    host: &dyn Host,
) -> Result<Vec<Notification>, HandlerError> {
    let notification = match event.topic.as_str() {
        "customer-created" | "customer-updated" => customer_saved(&event.json()?)?,
        "customer-deleted" => {
            let (id, deleted_at) = deletion(&event.json()?)?;
            Notification::customer_deleted(id, deleted_at)?
        }
        "product-created" | "product-updated" => {
            let product: Product = event.json()?;
            let id = required_id(product.id.as_ref(), "id")?;
            let updated_at = required_time(product.updated_at.as_ref(), "updated_at")?;
            Notification::product_saved(&id, updated_at, &product.to_bold(&id)?)?
        }
        "product-deleted" => {
            let (id, deleted_at) = deletion(&event.json()?)?;
            Notification::product_deleted(id, deleted_at)?
        }
        "order-created" | "order-updated" => {
            let mut order: Map<String, Value> = event.json()?;
            let (id, updated_at) = order_parts(&order)?;
            order.insert("platform_id".into(), Value::String(id.clone()));
            Notification::order_saved(id, updated_at, &order)?
        }
        topic => {
            host.log(Level::Debug, "platform topic ignored", &[("topic", topic)]);
            return Ok(vec![]);
        }
    };
    Ok(vec![notification])
}

/// Customer Saved for the complete customer.
pub fn customer_saved(customer: &Customer) -> Result<Notification, HandlerError> {
    let id = required_id(customer.id.as_ref(), "id")?;
    let updated_at = required_time(customer.updated_at.as_ref(), "updated_at")?;
    Notification::customer_saved(&id, updated_at, &customer.to_bold(&id)?)
}

fn deletion(body: &Deletion) -> Result<(String, String), HandlerError> {
    Ok((
        required_id(body.id.as_ref(), "id")?,
        required_time(body.deleted_at.as_ref(), "deleted_at")?,
    ))
}
