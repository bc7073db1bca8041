//! The platform's JSON (see the crate docs), and its mapping to the JSON
//! Bold's API expects.

use plugin_sdk::notification::is_rfc3339;
use plugin_sdk::serde::de::Deserializer;
use plugin_sdk::serde::{Deserialize, Serialize};
use plugin_sdk::serde_json::{Map, Value};
use plugin_sdk::{HandlerError, Id};

/// `shipping` or `billing`: the platform's address `type`, Bold's
/// `address_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(crate = "plugin_sdk::serde", rename_all = "lowercase")]
pub enum AddressUse {
    /// A shipping address.
    Shipping,
    /// A billing address.
    Billing,
}

/// A customer, as the platform sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
pub struct Customer {
    /// The platform's id (a string; a number is accepted).
    #[serde(default)]
    pub id: Option<Id>,
    /// Email address.
    #[serde(default, deserialize_with = "text")]
    pub email: String,
    /// Given name.
    #[serde(default, deserialize_with = "text")]
    pub first_name: String,
    /// Family name.
    #[serde(default, deserialize_with = "text")]
    pub last_name: String,
    /// Phone number.
    #[serde(default, deserialize_with = "text")]
    pub phone: String,
    /// When the platform last changed the customer, RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Every address of the customer.
    #[serde(default, deserialize_with = "list")]
    pub addresses: Vec<Address>,
}

/// An address, as the platform sends and receives it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(crate = "plugin_sdk::serde")]
pub struct Address {
    /// The platform's id; absent when creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// `shipping` or `billing`.
    #[serde(rename = "type")]
    pub address_use: Option<AddressUse>,
    /// Whether this is the customer's default address of its type.
    #[serde(default, deserialize_with = "flag")]
    pub default: bool,
    /// Given name.
    #[serde(default, deserialize_with = "text")]
    pub first_name: String,
    /// Family name.
    #[serde(default, deserialize_with = "text")]
    pub last_name: String,
    /// Company.
    #[serde(default, deserialize_with = "text")]
    pub company: String,
    /// First line.
    #[serde(default, deserialize_with = "text")]
    pub address1: String,
    /// Second line.
    #[serde(default, deserialize_with = "text")]
    pub address2: String,
    /// City.
    #[serde(default, deserialize_with = "text")]
    pub city: String,
    /// Province or state name.
    #[serde(default, deserialize_with = "text")]
    pub province: String,
    /// Province or state code.
    #[serde(default, deserialize_with = "text")]
    pub province_code: String,
    /// Country name.
    #[serde(default, deserialize_with = "text")]
    pub country: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, deserialize_with = "text")]
    pub country_code: String,
    /// Postal or ZIP code.
    #[serde(default, deserialize_with = "text")]
    pub postal_code: String,
    /// Phone number.
    #[serde(default, deserialize_with = "text")]
    pub phone: String,
}

/// A product, as the platform sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
pub struct Product {
    /// The platform's id.
    #[serde(default)]
    pub id: Option<Id>,
    /// The product's title (Bold's `name`).
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    /// The product's URL handle.
    #[serde(default, deserialize_with = "text")]
    pub handle: String,
    /// When the platform last changed the product, RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The product's variants.
    #[serde(default, deserialize_with = "list")]
    pub variants: Vec<Variant>,
}

/// A product variant, as the platform sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
pub struct Variant {
    /// The platform's id.
    #[serde(default)]
    pub id: Option<Id>,
    /// The variant's title (Bold's `name`).
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    /// Stock keeping unit.
    #[serde(default, deserialize_with = "text")]
    pub sku: String,
    /// Unit price in cents (an integer).
    #[serde(default)]
    pub price: i64,
}

/// The body of a deletion webhook.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
pub struct Deletion {
    /// The deleted entity's id.
    #[serde(default)]
    pub id: Option<Id>,
    /// When the platform deleted it, RFC 3339.
    #[serde(default)]
    pub deleted_at: Option<String>,
}

impl Customer {
    /// The customer in Bold's shape, with all its addresses.
    pub fn to_bold(&self, platform_id: &str) -> Result<Value, HandlerError> {
        let addresses = self
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| a.to_bold(i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut json = Map::new();
        json.insert("platform_id".into(), platform_id.into());
        json.insert("first_name".into(), self.first_name.clone().into());
        json.insert("last_name".into(), self.last_name.clone().into());
        json.insert("email".into(), self.email.clone().into());
        json.insert("phone".into(), self.phone.clone().into());
        json.insert("addresses".into(), Value::Array(addresses));
        Ok(Value::Object(json))
    }
}

impl Address {
    /// The address in Bold's shape; `index` names it in errors.
    fn to_bold(&self, index: usize) -> Result<Value, HandlerError> {
        let id = required_id(self.id.as_ref(), &format!("addresses[{index}].id"))?;
        let address_use = self.address_use.ok_or_else(|| {
            HandlerError::invalid_input(format!(
                "addresses[{index}].type: missing (shipping or billing)"
            ))
        })?;
        let mut json = Map::new();
        json.insert("platform_id".into(), id.into());
        json.insert("address_use".into(), address_use_json(address_use));
        json.insert("is_default".into(), self.default.into());
        for (key, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("company", &self.company),
            ("address_line_1", &self.address1),
            ("address_line_2", &self.address2),
            ("city", &self.city),
            ("province", &self.province),
            ("province_code", &self.province_code),
            ("country", &self.country),
            ("country_code", &self.country_code),
            ("postal_code", &self.postal_code),
            ("phone_number", &self.phone),
        ] {
            json.insert(key.into(), value.clone().into());
        }
        Ok(Value::Object(json))
    }
}

impl Product {
    /// The product in Bold's shape.
    pub fn to_bold(&self, platform_id: &str) -> Result<Value, HandlerError> {
        let variants = self
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let id = required_id(v.id.as_ref(), &format!("variants[{i}].id"))?;
                let mut json = Map::new();
                json.insert("platform_id".into(), id.into());
                json.insert("name".into(), v.title.clone().into());
                json.insert("sku".into(), v.sku.clone().into());
                json.insert("price".into(), v.price.into());
                Ok(Value::Object(json))
            })
            .collect::<Result<Vec<_>, HandlerError>>()?;
        let mut json = Map::new();
        json.insert("platform_id".into(), platform_id.into());
        json.insert("name".into(), self.title.clone().into());
        json.insert("handle".into(), self.handle.clone().into());
        json.insert("variants".into(), Value::Array(variants));
        Ok(Value::Object(json))
    }
}

fn address_use_json(address_use: AddressUse) -> Value {
    match address_use {
        AddressUse::Shipping => "shipping".into(),
        AddressUse::Billing => "billing".into(),
    }
}

/// A required, non-empty id as text; else `InvalidInput` naming `field`.
pub fn required_id(id: Option<&Id>, field: &str) -> Result<String, HandlerError> {
    match id.map(|id| id.to_text().trim().to_owned()) {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(HandlerError::invalid_input(format!("{field}: missing"))),
    }
}

/// A required RFC 3339 timestamp; else `InvalidInput` naming `field`.
pub fn required_time(time: Option<&String>, field: &str) -> Result<String, HandlerError> {
    match time {
        Some(time) if is_rfc3339(time) => Ok(time.clone()),
        Some(time) => Err(HandlerError::invalid_input(format!(
            "{field}: not an RFC 3339 timestamp: {time:?}"
        ))),
        None => Err(HandlerError::invalid_input(format!("{field}: missing"))),
    }
}

/// A string that may be `null` (decoded as `""`).
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// A boolean that may be `null` (decoded as `false`).
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list that may be `null` (decoded as empty).
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// An order's id and `updated_at`, read from its JSON object; the order
/// itself is passed through.
pub fn order_parts(order: &Map<String, Value>) -> Result<(String, String), HandlerError> {
    let id = match order.get("id") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            Id::deserialize(value)
                .map_err(|e| HandlerError::invalid_input(format!("body: id: {e}")))?,
        ),
    };
    let id = required_id(id.as_ref(), "id")?;
    let updated_at = match order.get("updated_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(HandlerError::invalid_input(
                "body: updated_at: not a string",
            ));
        }
    };
    let updated_at = required_time(updated_at.as_ref(), "updated_at")?;
    Ok((id, updated_at))
}
