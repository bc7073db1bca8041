//! One checkout event, decoded lazily.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::ops::ControlFlow;

use serde::de::DeserializeOwned;
use serde_json::de::StrRead;
use serde_json::{Map, Value};

use crate::error::HandlerError;
use crate::lenient;
use crate::skim;
use crate::types::{Cart, Customer, Id, Order};

/// One checkout event: its name and the raw JSON body Bold sent.
///
/// Decoding is lazy, to save guest fuel: construction makes one pass over
/// the body that only records where each top-level value starts and ends
/// (nothing is copied or decoded), and each accessor decodes its own
/// sub-document on first use and caches it. A handler that reads only
/// `order.public_order_id` (see [`Event::pointer`]) never pays for decoding
/// the cart.
///
/// Every accessor is lenient (see [`crate::types`]): a missing top-level key
/// or `null` decodes to the type's default (an empty cart, no order id, ...),
/// never to an error. A value of the wrong shape is an error:
/// [`HandlerError::InvalidInput`] naming the key, e.g.
/// `"cart: invalid type: string \"x\", expected an object ..."`; handlers
/// usually pass it on with `?`.
///
/// ```
/// use plugin_sdk::Event;
/// let event = Event::parse(r#"{"event": "order_submitted", "cart": {"line_items": [[]]}, "order_id": "145"}"#)?;
/// assert_eq!(event.name(), "order_submitted");
/// assert!(event.cart()?.line_items.is_empty());
/// assert!(event.customer()?.shipping.is_empty()); // missing: default
/// assert_eq!(event.order_id()?.and_then(|id| id.as_i64()), Some(145));
/// # Ok::<(), plugin_sdk::HandlerError>(())
/// ```
#[derive(Clone)]
pub struct Event {
    name: String,
    body: String,
    /// Top-level keys and the byte range of their values in `body`.
    index: skim::Index,
    cart: OnceCell<Cart>,
    customer: OnceCell<Customer>,
    order: OnceCell<Order>,
    cart_params: OnceCell<Map<String, Value>>,
    properties: OnceCell<Map<String, Value>>,
    order_id: OnceCell<Option<Id>>,
    idempotent_key: OnceCell<Option<String>>,
    language_iso: OnceCell<Option<String>>,
    shipping_lines: OnceCell<Vec<Value>>,
    tax_lines: OnceCell<Vec<Value>>,
    discount_lines: OnceCell<Vec<Value>>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold personal data: show its size and keys only.
        f.debug_struct("Event")
            .field("name", &self.name)
            .field("body_len", &self.body.len())
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Event {
    /// An event with the given name and raw JSON body (as the host delivers
    /// it). The body's own `event` field is not consulted.
    ///
    /// Fails with [`HandlerError::InvalidInput`] when the body is not a JSON
    /// object.
    pub fn new(name: impl Into<String>, body: impl Into<String>) -> Result<Event, HandlerError> {
        let body = body.into();
        let index = index(&body)?;
        Ok(Event {
            name: name.into(),
            body,
            index,
            cart: OnceCell::new(),
            customer: OnceCell::new(),
            order: OnceCell::new(),
            cart_params: OnceCell::new(),
            properties: OnceCell::new(),
            order_id: OnceCell::new(),
            idempotent_key: OnceCell::new(),
            language_iso: OnceCell::new(),
            shipping_lines: OnceCell::new(),
            tax_lines: OnceCell::new(),
            discount_lines: OnceCell::new(),
        })
    }

    /// An event from a raw JSON body, named by the body's `event` field.
    ///
    /// Fails with [`HandlerError::InvalidInput`] when the body is not a JSON
    /// object or has no string `event` field.
    pub fn parse(body: impl Into<String>) -> Result<Event, HandlerError> {
        let mut event = Event::new(String::new(), body)?;
        event.name = match event.raw("event") {
            Some(raw) => decode("event", raw, |de| {
                <String as serde::Deserialize>::deserialize(de)
            })?,
            None => return Err(HandlerError::invalid_input("event: missing")),
        };
        Ok(event)
    }

    /// The event name, e.g. `initialize_checkout`, `order_submitted`,
    /// `app_hook`. Unknown names are delivered like known ones.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw JSON body, as received.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The top-level keys of the body, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.index.iter().map(|member| member.key.text(&self.body))
    }

    /// The raw JSON text of a top-level value (e.g. `raw("cart")`), without
    /// decoding it. For a duplicated key, the last one wins.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.index
            .iter()
            .rev()
            .find(|member| member.key.text(&self.body) == key)
            .and_then(|member| self.body.get(member.value.clone()))
    }

    /// The cart (`cart`); empty when missing.
    pub fn cart(&self) -> Result<&Cart, HandlerError> {
        self.cached(&self.cart, "cart", |de| lenient::object(de))
    }

    /// The customer (`customer`); empty when missing.
    pub fn customer(&self) -> Result<&Customer, HandlerError> {
        self.cached(&self.customer, "customer", |de| lenient::object(de))
    }

    /// The order (`order`); empty when missing.
    pub fn order(&self) -> Result<&Order, HandlerError> {
        self.cached(&self.order, "order", |de| lenient::object(de))
    }

    /// The cart parameters plugins set earlier (`cart_params`); empty when
    /// missing or `[]`.
    pub fn cart_params(&self) -> Result<&Map<String, Value>, HandlerError> {
        self.cached(&self.cart_params, "cart_params", |de| lenient::map(de))
    }

    /// The event's properties (`properties`), e.g. `hook` for `app_hook`.
    pub fn properties(&self) -> Result<&Map<String, Value>, HandlerError> {
        self.cached(&self.properties, "properties", |de| lenient::map(de))
    }

    /// For `app_hook`: the hook's name (`properties.hook`), if it is a
    /// string.
    pub fn hook(&self) -> Result<Option<&str>, HandlerError> {
        Ok(self.properties()?.get("hook").and_then(Value::as_str))
    }

    /// Bold's order id (`order_id`), a number or a string.
    pub fn order_id(&self) -> Result<Option<&Id>, HandlerError> {
        self.cached(&self.order_id, "order_id", |de| {
            <Option<Id> as serde::Deserialize>::deserialize(de)
        })
        .map(Option::as_ref)
    }

    /// The idempotency key of the event (`idempotent_key`), if set.
    pub fn idempotent_key(&self) -> Result<Option<&str>, HandlerError> {
        self.cached(&self.idempotent_key, "idempotent_key", |de| {
            lenient::opt_text(de)
        })
        .map(Option::as_deref)
    }

    /// The buyer's language (`language_iso`), e.g. `fr`, if set.
    pub fn language_iso(&self) -> Result<Option<&str>, HandlerError> {
        self.cached(&self.language_iso, "language_iso", |de| {
            lenient::opt_text(de)
        })
        .map(Option::as_deref)
    }

    /// The shipping lines (`shipping_lines`), undecoded; empty entries are
    /// skipped.
    pub fn shipping_lines(&self) -> Result<&[Value], HandlerError> {
        self.cached(&self.shipping_lines, "shipping_lines", |de| {
            lenient::seq(de)
        })
        .map(Vec::as_slice)
    }

    /// The tax lines (`tax_lines`), undecoded; empty entries are skipped.
    pub fn tax_lines(&self) -> Result<&[Value], HandlerError> {
        self.cached(&self.tax_lines, "tax_lines", |de| lenient::seq(de))
            .map(Vec::as_slice)
    }

    /// The discount lines (`discount_lines`), undecoded; empty entries are
    /// skipped.
    pub fn discount_lines(&self) -> Result<&[Value], HandlerError> {
        self.cached(&self.discount_lines, "discount_lines", |de| {
            lenient::seq(de)
        })
        .map(Vec::as_slice)
    }

    /// Any top-level field, decoded as `T` on each call (not cached).
    /// `Ok(None)` when the key is missing.
    ///
    /// ```
    /// # use plugin_sdk::Event;
    /// let event = Event::parse(r#"{"event": "x", "shop": {"id": 7}}"#)?;
    /// let shop: Option<plugin_sdk::serde_json::Value> = event.field("shop")?;
    /// assert_eq!(shop.unwrap()["id"], 7);
    /// assert_eq!(event.field::<u32>("nothing")?, None);
    /// # Ok::<(), plugin_sdk::HandlerError>(())
    /// ```
    pub fn field<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, HandlerError> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => decode(key, raw, |de| T::deserialize(de)).map(Some),
        }
    }

    /// The value at a JSON pointer (RFC 6901, e.g. `/order/public_order_id`
    /// or `/cart/line_items/0/sku`), decoded as `T` without decoding
    /// anything around it: the objects and lists on the way are only
    /// skimmed. The cheapest way to read one deep value.
    ///
    /// `Ok(None)` when any step is missing, when a step meets a value that
    /// is not an object or list (Bold's `[]` included), and when the value
    /// is `null`.
    ///
    /// ```
    /// # use plugin_sdk::{Event, Id};
    /// let event = Event::parse(r#"{"event": "x", "order": {"public_order_id": "abc", "customer": []}}"#)?;
    /// assert_eq!(event.pointer::<String>("/order/public_order_id")?.as_deref(), Some("abc"));
    /// assert_eq!(event.pointer::<Id>("/order/customer/id")?, None);
    /// # Ok::<(), plugin_sdk::HandlerError>(())
    /// ```
    pub fn pointer<T: DeserializeOwned>(&self, pointer: &str) -> Result<Option<T>, HandlerError> {
        let mut raw = self.body.as_str();
        if !pointer.is_empty() {
            let Some(rest) = pointer.strip_prefix('/') else {
                return Err(HandlerError::invalid_input(format!(
                    "{pointer}: a JSON pointer starts with '/'"
                )));
            };
            let mut segments = rest.split('/').map(unescape_segment);
            let first = segments.next().unwrap_or_default();
            raw = match self.raw(&first) {
                Some(raw) => raw,
                None => return Ok(None),
            };
            for segment in segments {
                raw = match child(raw, &segment) {
                    Ok(Some(found)) => found,
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(HandlerError::invalid_input(format!("{pointer}: {e}"))),
                };
            }
        }
        if raw == "null" {
            return Ok(None);
        }
        decode(pointer, raw, |de| T::deserialize(de)).map(Some)
    }

    fn cached<'s, T>(
        &'s self,
        cell: &'s OnceCell<T>,
        key: &str,
        decoder: impl FnOnce(&mut serde_json::Deserializer<StrRead<'s>>) -> serde_json::Result<T>,
    ) -> Result<&'s T, HandlerError> {
        if let Some(value) = cell.get() {
            return Ok(value);
        }
        let value = decode(key, self.raw(key).unwrap_or("null"), decoder)?;
        Ok(cell.get_or_init(|| value))
    }
}

/// Decodes one sub-document; errors name `key`.
fn decode<'a, T>(
    key: &str,
    raw: &'a str,
    decoder: impl FnOnce(&mut serde_json::Deserializer<StrRead<'a>>) -> serde_json::Result<T>,
) -> Result<T, HandlerError> {
    let mut de = serde_json::Deserializer::from_str(raw);
    decoder(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| HandlerError::InvalidInput(format!("{key}: {e}")))
}

/// The single pass over the top level: key → byte range of the value.
fn index(body: &str) -> Result<skim::Index, HandlerError> {
    skim::index(body).map_err(|e| HandlerError::InvalidInput(format!("body: {e}")))
}

/// Undoes RFC 6901 escaping: `~1` is `/`, `~0` is `~`.
fn unescape_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The raw text of member `segment` of the object (or element of the list)
/// `raw`, skimming over everything else; `None` for other values.
fn child<'a>(raw: &'a str, segment: &str) -> Result<Option<&'a str>, String> {
    let range = match raw.as_bytes().first() {
        Some(b'{') => {
            // The last of duplicated keys wins, as in `raw`.
            let mut found = None;
            skim::members(raw, |key, value| {
                if key.text(raw) == segment {
                    found = Some(value);
                }
            })?;
            found
        }
        Some(b'[') => {
            // RFC 6901: an index is `0` or digits without a leading zero.
            let canonical = segment == "0"
                || (!segment.starts_with('0') && segment.bytes().all(|b| b.is_ascii_digit()));
            let position = canonical.then(|| segment.parse::<usize>().ok()).flatten();
            match position {
                Some(n) => {
                    let (mut seen, mut found) = (0, None);
                    skim::elements(raw, |element| {
                        if seen == n {
                            found = Some(element);
                            return ControlFlow::Break(());
                        }
                        seen += 1;
                        ControlFlow::Continue(())
                    })?;
                    found
                }
                None => None,
            }
        }
        _ => None,
    };
    Ok(range.and_then(|r| raw.get(r)))
}
