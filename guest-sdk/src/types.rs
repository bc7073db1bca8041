//! Typed, lenient views of the parts of a checkout event.
//!
//! Every struct here:
//! - accepts Bold's PHP-flavoured JSON: `[]` or `null` where an object is
//!   expected means "empty", lists may hold empty entries (`[[]]`) that are
//!   skipped, integers may arrive as numeric strings, text may arrive as a
//!   number, `null` means "not set";
//! - defaults every missing field (text to `""`, numbers to `0`, ids to
//!   `None`, objects and lists to empty), so decoding never fails because a
//!   field is absent;
//! - keeps the fields it does not name in `extra`, and serialises them back,
//!   so nothing Bold sent is lost.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::lenient;

/// An id that Bold sends sometimes as a number and sometimes as a string
/// (`public_customer_id`, `platform_variant_id`, ...).
///
/// It keeps the form it arrived in (and serialises back to it). Compare it
/// with [`Id::as_i64`] / [`Id::as_str`], or directly with an `i64` or a
/// `&str`:
///
/// ```
/// use plugin_sdk::Id;
/// let id: Id = serde_json::from_str("\"9153875214378\"").unwrap();
/// assert_eq!(id.as_i64(), Some(9153875214378));
/// assert!(id == 9153875214378_i64);
/// assert!(id == "9153875214378");
/// assert_eq!(id.to_string(), "9153875214378");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Id {
    /// The id arrived as a JSON number.
    Int(i64),
    /// The id arrived as a JSON string (or as a number too large for `i64`).
    Str(String),
}

impl Id {
    /// The id as an integer: the number, or the string parsed as one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Id::Int(n) => Some(*n),
            Id::Str(s) => s.trim().parse().ok(),
        }
    }

    /// The id as it arrived, if it arrived as a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Id::Int(_) => None,
            Id::Str(s) => Some(s),
        }
    }

    /// The id as text, whatever form it arrived in (no copy for strings).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Id::Int(n) => Cow::Owned(n.to_string()),
            Id::Str(s) => Cow::Borrowed(s),
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Int(n) => write!(f, "{n}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Id {
    fn from(n: i64) -> Self {
        Id::Int(n)
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id::Str(s)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::Str(s.to_owned())
    }
}

/// True when the id, read as an integer, is `other`.
impl PartialEq<i64> for Id {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

/// True when the id, read as text, is `other`.
impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.to_text() == other
    }
}

/// True when the id, read as text, is `other`.
impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.to_text() == *other
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (number or string)")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(i64::try_from(v).map_or_else(|_| Id::Str(v.to_string()), Id::Int))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Id::Int(v as i64))
                } else if v.is_finite() {
                    Ok(Id::Str(v.to_string()))
                } else {
                    Err(E::invalid_value(Unexpected::Float(v), &self))
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Str(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id::Str(v))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// The cart (`cart` in the event body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cart {
    /// Bold's cart id.
    pub bold_cart_id: Option<Id>,
    /// The platform's cart token.
    #[serde(deserialize_with = "lenient::text")]
    pub cart_token: String,
    /// Bold's public cart token.
    #[serde(deserialize_with = "lenient::text")]
    pub public_token: String,
    /// Number of items in the cart.
    #[serde(deserialize_with = "lenient::int")]
    pub item_count: i64,
    /// Total weight (grams).
    #[serde(deserialize_with = "lenient::int")]
    pub total_weight: i64,
    /// Subtotal in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub subtotal: i64,
    /// Whether anything in the cart needs shipping (`null`: not known).
    #[serde(deserialize_with = "lenient::opt_flag")]
    pub requires_shipping: Option<bool>,
    /// Cart attributes (`[]` when none).
    #[serde(deserialize_with = "lenient::map")]
    pub attributes: Map<String, Value>,
    /// The line items; empty entries (`[[]]`) are skipped.
    #[serde(deserialize_with = "lenient::seq")]
    pub line_items: Vec<LineItem>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Cart {
    /// A cart attribute as text, if it is set to a string.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// One line of the cart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineItem {
    /// Bold's line item id.
    pub id: Option<Id>,
    /// The platform's line item id.
    pub platform_id: Option<Id>,
    /// The platform's variant id.
    pub platform_variant_id: Option<Id>,
    /// The platform's product id.
    pub platform_product_id: Option<Id>,
    /// The key identifying this line (plugins set it when they add lines).
    #[serde(deserialize_with = "lenient::text")]
    pub line_item_key: String,
    /// Stock keeping unit.
    #[serde(deserialize_with = "lenient::text")]
    pub sku: String,
    /// Product title.
    #[serde(deserialize_with = "lenient::text")]
    pub title: String,
    /// Variant title.
    #[serde(deserialize_with = "lenient::text")]
    pub variant_title: String,
    /// Quantity.
    #[serde(deserialize_with = "lenient::int")]
    pub quantity: i64,
    /// Unit price in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub price: i64,
    /// Weight (grams).
    #[serde(deserialize_with = "lenient::int")]
    pub weight: i64,
    /// Whether the item needs shipping (`null`: not known).
    #[serde(deserialize_with = "lenient::opt_flag")]
    pub requires_shipping: Option<bool>,
    /// Whether the item is taxable (`null`: not known).
    #[serde(deserialize_with = "lenient::opt_flag")]
    pub taxable: Option<bool>,
    /// Line item properties (`[]` when none).
    #[serde(deserialize_with = "lenient::map")]
    pub properties: Map<String, Value>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LineItem {
    /// A line item property as text, if it is set to a string.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }
}

/// The buyer (`customer` in the event body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// Identity and contact details.
    #[serde(deserialize_with = "lenient::object")]
    pub core_info: CoreInfo,
    /// The shipping address (empty when not entered yet).
    #[serde(deserialize_with = "lenient::object")]
    pub shipping: Address,
    /// The billing address (empty when not entered yet).
    #[serde(deserialize_with = "lenient::object")]
    pub billing: Address,
    /// Saved addresses; empty entries are skipped.
    #[serde(deserialize_with = "lenient::seq")]
    pub addresses: Vec<Address>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A customer's identity and contact details (`core_info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoreInfo {
    /// The platform's customer id.
    pub customer_id: Option<Id>,
    /// Bold's public customer id.
    pub public_id: Option<Id>,
    /// Given name.
    #[serde(deserialize_with = "lenient::text")]
    pub first_name: String,
    /// Family name.
    #[serde(deserialize_with = "lenient::text")]
    pub last_name: String,
    /// E-mail address.
    #[serde(deserialize_with = "lenient::text")]
    pub email: String,
    /// Customer tags, as sent (e.g. comma-separated).
    #[serde(deserialize_with = "lenient::text")]
    pub tags: String,
    /// How billing relates to shipping, e.g. `same`.
    #[serde(deserialize_with = "lenient::text")]
    pub billing_type: String,
    /// Whether the customer accepts marketing (`null`: not known).
    #[serde(deserialize_with = "lenient::opt_flag")]
    pub accepts_marketing: Option<bool>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A postal address. Every text field is `""` when not set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// Given name.
    #[serde(deserialize_with = "lenient::text")]
    pub first_name: String,
    /// Family name.
    #[serde(deserialize_with = "lenient::text")]
    pub last_name: String,
    /// Company.
    #[serde(deserialize_with = "lenient::text")]
    pub company: String,
    /// First address line.
    #[serde(deserialize_with = "lenient::text")]
    pub address: String,
    /// Second address line.
    #[serde(deserialize_with = "lenient::text")]
    pub address2: String,
    /// City.
    #[serde(deserialize_with = "lenient::text")]
    pub city: String,
    /// Province or state name.
    #[serde(deserialize_with = "lenient::text")]
    pub province: String,
    /// Province or state code, e.g. `MB`.
    #[serde(deserialize_with = "lenient::text")]
    pub province_code: String,
    /// Country name.
    #[serde(deserialize_with = "lenient::text")]
    pub country: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `CA`.
    #[serde(deserialize_with = "lenient::text")]
    pub country_code: String,
    /// Postal or ZIP code.
    #[serde(deserialize_with = "lenient::text")]
    pub postal_code: String,
    /// Phone number.
    #[serde(deserialize_with = "lenient::text")]
    pub phone: String,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Address {
    /// True when no field is set (Bold sent `[]`, `{}`, `null` or nothing).
    pub fn is_empty(&self) -> bool {
        *self == Address::default()
    }
}

/// The order (`order` in the event body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Bold's public order id.
    #[serde(deserialize_with = "lenient::text")]
    pub public_order_id: String,
    /// Where the order comes from, e.g. `cashier`.
    #[serde(deserialize_with = "lenient::text")]
    pub order_source: String,
    /// Display name of the order source.
    #[serde(deserialize_with = "lenient::text")]
    pub order_source_name: String,
    /// The order's customer record.
    #[serde(deserialize_with = "lenient::object")]
    pub customer: OrderCustomer,
    /// ISO 4217 currency code.
    #[serde(deserialize_with = "lenient::text")]
    pub currency: String,
    /// Exchange rate, as the decimal text Bold sends.
    #[serde(deserialize_with = "lenient::text")]
    pub exchange_rate: String,
    /// Order total in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub order_total: i64,
    /// Fees on the order; empty entries are skipped.
    #[serde(deserialize_with = "lenient::seq")]
    pub fees: Vec<Fee>,
    /// Shipping lines on the order; empty entries are skipped.
    #[serde(deserialize_with = "lenient::seq")]
    pub shipping: Vec<ShippingLine>,
    /// The order note.
    #[serde(deserialize_with = "lenient::text")]
    pub note: String,
    /// URL at which the buyer can resume the order.
    #[serde(deserialize_with = "lenient::text")]
    pub resumable_url: String,
    /// Every other field (`note_attributes`, `tags`, ...), as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The customer record of an order (`order.customer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderCustomer {
    /// Bold's customer id.
    pub id: Option<Id>,
    /// Bold's public customer id (a number or a string).
    pub public_customer_id: Option<Id>,
    /// The platform's customer id.
    pub platform_customer_id: Option<Id>,
    /// Identity and contact details (`[]` when none).
    #[serde(deserialize_with = "lenient::object")]
    pub core_info: CoreInfo,
    /// Shipping address (`[]` when none).
    #[serde(deserialize_with = "lenient::object")]
    pub shipping_address: Address,
    /// Billing address (`[]` when none).
    #[serde(deserialize_with = "lenient::object")]
    pub billing_address: Address,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A fee on the order (`order.fees[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fee {
    /// The fee's id.
    pub id: Option<Id>,
    /// Amount in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub value: i64,
    /// Text shown to the buyer (`lineText` on the wire; `line_text` also
    /// accepted).
    #[serde(
        rename = "lineText",
        alias = "line_text",
        deserialize_with = "lenient::text"
    )]
    pub line_text: String,
    /// Tag, e.g. `Fee`.
    #[serde(deserialize_with = "lenient::text")]
    pub tag: String,
    /// Whether tax applies (`null`: not known).
    #[serde(deserialize_with = "lenient::opt_flag")]
    pub taxable: Option<bool>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A shipping line of the order (`order.shipping[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShippingLine {
    /// The rate's id.
    pub id: Option<Id>,
    /// Rate name.
    #[serde(deserialize_with = "lenient::text")]
    pub name: String,
    /// Text shown to the buyer (`lineText` on the wire; `line_text` also
    /// accepted).
    #[serde(
        rename = "lineText",
        alias = "line_text",
        deserialize_with = "lenient::text"
    )]
    pub line_text: String,
    /// Amount in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub value: i64,
    /// Price in minor units.
    #[serde(deserialize_with = "lenient::int")]
    pub price: i64,
    /// Where the rate comes from.
    #[serde(deserialize_with = "lenient::text")]
    pub source: String,
    /// Tag, e.g. `Shipping`.
    #[serde(deserialize_with = "lenient::text")]
    pub tag: String,
    /// Every other field (`delivery_date`, ...), as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
