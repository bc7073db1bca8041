//! Platform connectors: keep Bold in sync with the merchant's platform.
//!
//! A connector is a type implementing [`ConnectorPlugin`], exported with
//! [`export_connector_plugin!`](crate::export_connector_plugin) as a
//! component of the WIT world `platform-connector`. It never calls Bold
//! itself: it returns [`Notification`]s, which the host commits to its
//! outbox before answering, then delivers to Bold with retries.
//!
//! - [`ConnectorPlugin::handle_platform_event`] maps one platform webhook
//!   ([`PlatformEvent`]) to notifications.
//! - [`ConnectorPlugin::handle_bold_request`] answers a call Bold makes on
//!   the connector ([`BoldRequest`], e.g. Update Customer) with a
//!   [`BoldResponse`] that also carries the notifications for every entity
//!   the call changed, side effects included. It usually calls the
//!   platform's API through the host's outbound HTTP
//!   ([`Host::http`] and the helpers on `dyn Host`).
//!
//! # A complete connector
//!
//! ```
//! use plugin_sdk::serde::Deserialize;
//! use plugin_sdk::serde_json::{Value, json};
//! use plugin_sdk::{
//!     BoldRequest, BoldResponse, ConnectorPlugin, HandlerError, Host, Notification,
//!     PlatformEvent,
//! };
//!
//! /// Syncs customers' emails with the platform at config `api_url`.
//! pub struct EmailSync;
//!
//! /// A customer, as the platform sends it.
//! #[derive(Deserialize)]
//! #[serde(crate = "plugin_sdk::serde")]
//! struct Customer {
//!     id: String,
//!     email: String,
//!     updated_at: String,
//! }
//!
//! impl Customer {
//!     fn bold_json(&self) -> Value {
//!         json!({"platform_id": self.id, "email": self.email})
//!     }
//!
//!     fn saved(&self) -> Result<Notification, HandlerError> {
//!         Notification::customer_saved(&self.id, &self.updated_at, &self.bold_json())
//!     }
//! }
//!
//! impl ConnectorPlugin for EmailSync {
//!     fn handle_platform_event(
//!         event: &PlatformEvent,
//!         host: &dyn Host,
//!     ) -> Result<Vec<Notification>, HandlerError> {
//!         match event.topic.as_str() {
//!             "customer-updated" => Ok(vec![event.json::<Customer>()?.saved()?]),
//!             _ => {
//!                 host.debug("topic ignored");
//!                 Ok(vec![])
//!             }
//!         }
//!     }
//!
//!     // Update Customer: `PUT customers/{id}`, body `{"customer": {"email": ...}}`.
//!     fn handle_bold_request(
//!         request: &BoldRequest,
//!         host: &dyn Host,
//!     ) -> Result<BoldResponse, HandlerError> {
//!         let ("PUT", ["customers", id]) = (request.method.as_str(), &request.segments()[..]) else {
//!             return Err(HandlerError::Unsupported);
//!         };
//!         let api = host
//!             .config("api_url")
//!             .ok_or_else(|| HandlerError::failed("config `api_url` is required"))?;
//!         let url = format!("{api}/customers/{id}");
//!         let body: Value = request.json()?;
//!         let patch = json!({"email": body["customer"]["email"]});
//!         let response = host.send_json("PATCH", &url, &[], &patch)?;
//!         if response.status == 404 {
//!             return BoldResponse::json(404, &json!({"error": "customer_not_found"}));
//!         }
//!         if !response.is_success() {
//!             return Err(HandlerError::failed(format!("platform: HTTP {}", response.status)));
//!         }
//!         let customer: Customer = host.get_json(&url, &[])?; // the state after the change
//!         Ok(BoldResponse::json(200, &json!({"customer": customer.bold_json()}))?
//!             .with_notification(customer.saved()?))
//!     }
//! }
//!
//! // The component's exports on wasm32; nothing on native targets.
//! plugin_sdk::export_connector_plugin!(EmailSync);
//!
//! // Native tests (normally in `#[cfg(test)] mod tests`).
//! use plugin_sdk::testing::{TestHost, run_bold_request, run_platform_event};
//! use plugin_sdk::{HttpRequest, HttpResponse, assert_notifications};
//!
//! let event = r#"{"id": "7", "email": "ada@example.com", "updated_at": "2026-11-22T10:00:00Z"}"#;
//! let notifications = run_platform_event::<EmailSync>("customer-updated", event, &TestHost::new())?;
//! assert_notifications!(notifications, [{
//!     "type": "customer_saved",
//!     "platform_id": "7",
//!     "platform_updated_at": "2026-11-22T10:00:00Z",
//!     "json": {"platform_id": "7", "email": "ada@example.com"},
//! }]);
//!
//! // A stateful double of the platform: one customer, `7`.
//! let mut email = String::from("old@example.com");
//! let mut updated_at = "2026-11-22T10:00:00Z";
//! let host = TestHost::new()
//!     .with_config("api_url", "https://shop.example")
//!     .with_http(move |request: &HttpRequest| {
//!         if request.url != "https://shop.example/customers/7" {
//!             return Ok(HttpResponse::new(404));
//!         }
//!         if request.method == "PATCH" {
//!             let Ok(patch) = request.json::<Value>() else {
//!                 return Ok(HttpResponse::new(400));
//!             };
//!             email = patch["email"].as_str().unwrap_or_default().to_owned();
//!             updated_at = "2026-11-22T10:30:00Z";
//!         }
//!         let customer = json!({"id": "7", "email": email, "updated_at": updated_at});
//!         Ok(HttpResponse::from_json(200, &customer))
//!     });
//!
//! let request = BoldRequest::new("PUT", "customers/7")
//!     .with_body(r#"{"customer": {"email": "new@example.com"}}"#);
//! let response = run_bold_request::<EmailSync>(&request, &host)?;
//! assert_eq!(response.status, 200);
//! assert_eq!(response.body_json()?["customer"]["email"], "new@example.com");
//! assert_eq!(response.notifications[0].platform_updated_at(), "2026-11-22T10:30:00Z");
//! let calls: Vec<_> = host.requests().into_iter().map(|r| r.method).collect();
//! assert_eq!(calls, ["PATCH", "GET"]);
//!
//! let missing = BoldRequest::new("PUT", "customers/8").with_body(r#"{"customer": {}}"#);
//! assert_eq!(run_bold_request::<EmailSync>(&missing, &host)?.status, 404);
//! let other = BoldRequest::new("GET", "products");
//! assert_eq!(run_bold_request::<EmailSync>(&other, &host), Err(HandlerError::Unsupported));
//! # Ok::<(), HandlerError>(())
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::HandlerError;
use crate::host::Host;
use crate::notification::Notification;

/// A platform connector. Implement it on a unit type and export the type
/// with [`export_connector_plugin!`](crate::export_connector_plugin).
///
/// Every function gets the host's services as `&dyn Host` (config, log,
/// outbound HTTP). A panic is a `trap`.
pub trait ConnectorPlugin {
    /// Maps one platform webhook to the notifications Bold must receive
    /// (possibly none; topics the connector does not know should get
    /// `Ok(vec![])`). An error answers the platform with a failure status so
    /// that it retries; nothing is queued.
    ///
    /// **The topic is routing, not proof.** The platform's signature covers
    /// the body only; the topic comes from the URL, so a captured signed
    /// body can be posted under another topic. The host only accepts the
    /// topics the manifest declares (`[connector.platform_webhook] topics`);
    /// within those, check that the body is what the topic says (a customer
    /// for `customer-*`, …) before turning it into notifications, and answer
    /// an [`HandlerError::InvalidInput`] when it is not.
    fn handle_platform_event(
        event: &PlatformEvent,
        host: &dyn Host,
    ) -> Result<Vec<Notification>, HandlerError>;

    /// Handles one call from Bold. The default answers
    /// [`HandlerError::Unsupported`] (the host answers Bold 404);
    /// [`HandlerError::Failed`] makes the host answer 502.
    fn handle_bold_request(
        request: &BoldRequest,
        host: &dyn Host,
    ) -> Result<BoldResponse, HandlerError> {
        let _ = (request, host);
        Err(HandlerError::Unsupported)
    }
}

/// A change on the merchant's platform, as the platform's webhook delivered
/// it; mirrors the WIT `platform-event`.
///
/// `Debug` shows the body's size, not its content (personal data).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PlatformEvent {
    /// The last path segment of the webhook URL, e.g. `customer-updated`.
    pub topic: String,
    /// The verified request body, as received.
    pub body: String,
}

impl PlatformEvent {
    /// An event with the given topic and body.
    pub fn new(topic: impl Into<String>, body: impl Into<String>) -> Self {
        PlatformEvent {
            topic: topic.into(),
            body: body.into(),
        }
    }

    /// The body decoded as JSON; an error is [`HandlerError::InvalidInput`]
    /// (`"body: ..."`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        decode_body(&self.body)
    }
}

impl fmt::Debug for PlatformEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformEvent")
            .field("topic", &self.topic)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A call Bold makes on the connector
/// (`/plugins/{id}/bold/{shop_identifier}/{path}`); mirrors the WIT
/// `bold-request`.
///
/// `Debug` shows the body's size, not its content (personal data).
///
/// ```
/// use plugin_sdk::BoldRequest;
/// let request = BoldRequest::new("put", "customers/4242")
///     .with_shop_identifier("shop-1")
///     .with_body(r#"{"customer": {"first_name": "Ada"}}"#);
/// assert_eq!(request.method, "PUT");
/// match (request.method.as_str(), &request.segments()[..]) {
///     ("PUT", ["customers", id]) => assert_eq!(*id, "4242"),
///     _ => unreachable!(),
/// }
/// let body: plugin_sdk::serde_json::Value = request.json()?;
/// assert_eq!(body["customer"]["first_name"], "Ada");
/// # Ok::<(), plugin_sdk::HandlerError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BoldRequest {
    /// The HTTP method in upper case, e.g. `PUT`.
    pub method: String,
    /// The shop the call is for, from the URL.
    pub shop_identifier: String,
    /// The path below the shop, without a leading `/`, e.g.
    /// `customers/4242`.
    pub path: String,
    /// The raw query string without `?`, empty when there is none.
    pub query: String,
    /// The verified request body (may be empty).
    pub body: String,
}

impl BoldRequest {
    /// A request with an empty shop identifier, query and body; `method` is
    /// upper-cased and a leading `/` of `path` dropped.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        let mut method = method.into();
        method.make_ascii_uppercase();
        let path = path.into();
        BoldRequest {
            method,
            shop_identifier: String::new(),
            path: path.strip_prefix('/').map(str::to_owned).unwrap_or(path),
            query: String::new(),
            body: String::new(),
        }
    }

    /// Sets the shop identifier.
    pub fn with_shop_identifier(mut self, shop_identifier: impl Into<String>) -> Self {
        self.shop_identifier = shop_identifier.into();
        self
    }

    /// Sets the query string (without `?`).
    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// The path's non-empty segments: `customers/4242/` gives
    /// `["customers", "4242"]`. Match on them with a slice pattern.
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// The body decoded as JSON; an error (an empty body included) is
    /// [`HandlerError::InvalidInput`] (`"body: ..."`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        decode_body(&self.body)
    }
}

impl fmt::Debug for BoldRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoldRequest")
            .field("method", &self.method)
            .field("shop_identifier", &self.shop_identifier)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The connector's answer to a call from Bold; mirrors the WIT
/// `bold-response`.
///
/// ```
/// use plugin_sdk::{BoldResponse, Notification, serde_json::json};
/// let customer = json!({"platform_id": "4242", "addresses": []});
/// let response = BoldResponse::json(200, &json!({"customer": customer}))?
///     .with_notification(Notification::customer_saved("4242", "2026-11-22T10:00:00Z", &customer)?);
/// assert_eq!(response.status, 200);
/// assert_eq!(response.body_json()?["customer"]["platform_id"], "4242");
/// assert_eq!(response.notifications.len(), 1);
/// # Ok::<(), plugin_sdk::HandlerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BoldResponse {
    /// The HTTP status for Bold, 200..=599 (e.g. 200, 404, 422).
    pub status: u16,
    /// The JSON body for Bold (empty for none).
    pub body: String,
    /// Every entity the call changed on the platform, side effects included
    /// (e.g. the old default address that lost `is_default` makes a Customer
    /// Saved). Committed to the outbox before Bold gets the response.
    pub notifications: Vec<Notification>,
}

impl BoldResponse {
    /// A response with an empty body and no notifications.
    pub fn new(status: u16) -> Self {
        BoldResponse {
            status,
            body: String::new(),
            notifications: Vec::new(),
        }
    }

    /// A response whose body is `body` as JSON, with no notifications. A
    /// value serde cannot encode is [`HandlerError::Failed`].
    pub fn json<B: Serialize + ?Sized>(status: u16, body: &B) -> Result<Self, HandlerError> {
        let body = serde_json::to_string(body)
            .map_err(|e| HandlerError::Failed(format!("response body: {e}")))?;
        Ok(BoldResponse {
            status,
            body,
            notifications: Vec::new(),
        })
    }

    /// Adds notifications (after those already there).
    pub fn with_notifications(
        mut self,
        notifications: impl IntoIterator<Item = Notification>,
    ) -> Self {
        self.notifications.extend(notifications);
        self
    }

    /// Adds one notification.
    pub fn with_notification(mut self, notification: Notification) -> Self {
        self.notifications.push(notification);
        self
    }

    /// The body decoded as JSON, for assertions; an error (an empty body
    /// included) is [`HandlerError::Failed`].
    pub fn body_json(&self) -> Result<Value, HandlerError> {
        serde_json::from_str(&self.body)
            .map_err(|e| HandlerError::Failed(format!("response body: {e}")))
    }
}

fn decode_body<T: DeserializeOwned>(body: &str) -> Result<T, HandlerError> {
    serde_json::from_str(body).map_err(|e| HandlerError::InvalidInput(format!("body: {e}")))
}
