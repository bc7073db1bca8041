//! A platform connector: keeps Bold in sync with "the platform", a small
//! toy e-commerce platform documented here (and in this crate's
//! `README.md`), and handles Bold's **Update Customer** with its side
//! effect on the old default address (Bold must hear of every change the platform makes, side effects included).
//!
//! # Config
//! - `platform_api_url` (required for Bold requests): the platform API's
//!   base URL, e.g. `http://127.0.0.1:9100` (a trailing `/` is ignored).
//!   The plugin's manifest must grant its host (`[connector]
//!   allowed_hosts`).
//! - `platform_api_token` (optional): sent as `Authorization: Bearer
//!   <token>` on every platform call.
//!
//! A missing or non-`http(s)` URL fails the Bold request with
//! [`HandlerError::Failed`] naming the key. Webhooks need no config.
//!
//! # Platform JSON
//! Strings that are missing or `null` read as `""`, lists as `[]`; ids may
//! be strings or numbers.
//! - customer: `{"id": "4242", "email", "first_name", "last_name",
//!   "phone", "updated_at": "2026-11-22T10:00:00Z", "addresses":
//!   [address, ...]}`
//! - address: `{"id": "a1", "type": "shipping" | "billing", "default":
//!   bool, "first_name", "last_name", "company", "address1", "address2",
//!   "city", "province", "province_code", "country", "country_code",
//!   "postal_code", "phone"}`
//! - product: `{"id": "p1", "title", "handle", "updated_at", "variants":
//!   [{"id": "v1", "title", "sku", "price": 1500}]}` (price: an integer,
//!   cents)
//! - order: `{"id": "o1", "updated_at", ...}` (any other fields)
//! - deletion webhook: `{"id": "4242", "deleted_at": "2026-..."}`
//!
//! # Platform webhooks → notifications
//! | topic | notification |
//! |---|---|
//! | `customer-created`, `customer-updated` | Customer Saved (the complete customer) |
//! | `customer-deleted` | Customer Deleted (`platform_updated_at` = `deleted_at`) |
//! | `product-created`, `product-updated` | Product Saved |
//! | `product-deleted` | Product Deleted (`platform_updated_at` = `deleted_at`) |
//! | `order-created`, `order-updated` | Order Saved (the order as sent, plus `platform_id`) |
//! | anything else | none (logged at debug) |
//!
//! `id` and `updated_at` (`deleted_at` for deletions) are required, the
//! latter RFC 3339; every address needs an `id` and a `type`, every variant
//! an `id`. A body that is not such JSON is [`HandlerError::InvalidInput`]
//! naming the field (the platform gets a failure status and retries).
//!
//! # Bold JSON (what the notifications carry)
//! - customer: `{"platform_id", "first_name", "last_name", "email",
//!   "phone", "addresses": [{"platform_id", "address_use": "shipping" |
//!   "billing", "is_default", "first_name", "last_name", "company",
//!   "address_line_1", "address_line_2", "city", "province",
//!   "province_code", "country", "country_code", "postal_code",
//!   "phone_number"}]}`
//! - product: `{"platform_id", "name", "handle", "variants":
//!   [{"platform_id", "name", "sku", "price"}]}`
//! - deleted customer or product: `{"platform_id"}`
//!
//! # Bold requests
//! **Update Customer**: `PUT customers/{platform_customer_id}` with
//! `{"customer": {"first_name"?, "last_name"?, "email"?, "phone"?,
//! "addresses"?: [Bold address, ...]}}`:
//! 1. each address without a `platform_id` (absent, `null` or `""`):
//!    `POST {platform_api_url}/customers/{id}/addresses` with the address in
//!    the platform's shape (`default` = its `is_default`); the platform
//!    answers 201 and, when the new address is a default, unsets the old
//!    default of the same type itself. Addresses with a `platform_id` are
//!    left as they are (the platform's API has no address update).
//! 2. if any of `first_name`, `last_name`, `email`, `phone` is given:
//!    `PATCH {platform_api_url}/customers/{id}` with just those fields
//!    (200).
//! 3. `GET {platform_api_url}/customers/{id}`: the complete customer.
//! 4. Bold gets `200 {"customer": <Bold customer>}` and one Customer Saved
//!    of that complete customer (its `updated_at`), so the old default
//!    address reaches Bold with `is_default: false`.
//!
//! A platform 404 answers Bold `404 {"error": "customer_not_found"}` with
//! no notifications. Any other platform failure (another status, no
//! response) is [`HandlerError::Failed`] (the host answers Bold 502) —
//! except after the platform already changed something: then the
//! connector reads the customer back and answers `502 {"error":
//! "platform_error", ...}` *with* its Customer Saved, so that Bold never
//! misses a change. A body that is not `{"customer": {...}}` (or an
//! address without a valid `address_use`), or a customer id with
//! characters other than letters, digits, `-`, `.`, `_`, `~`, is
//! [`HandlerError::InvalidInput`]. Every other method or path is
//! [`HandlerError::Unsupported`] (Bold gets 404).
//!
//! # Fixtures
//! `fixtures/` holds the sample webhooks (`<topic>.json`), the expected
//! notifications for two of them (`<topic>.expected.json`), the Update
//! Customer body (`update-customer.json`), the platform's customer before
//! it (`platform-customer-4242.json`) and the expected answer
//! (`update-customer.expected.json`, as [`simulator::Platform`] answers).
#![warn(missing_docs)]

use plugin_sdk::{
    BoldRequest, BoldResponse, ConnectorPlugin, HandlerError, Host, Notification, PlatformEvent,
};

mod client;
mod platform;
pub mod simulator;
mod update_customer;
mod webhook;

pub use client::{API_TOKEN, API_URL};

/// The connector.
#[derive(Debug)]
pub struct PlatformSync;

impl ConnectorPlugin for PlatformSync {
    fn handle_platform_event(
        event: &PlatformEvent,
        host: &dyn Host,
    ) -> Result<Vec<Notification>, HandlerError> {
        webhook::notifications(event, host)
    }

    fn handle_bold_request(
        request: &BoldRequest,
        host: &dyn Host,
    ) -> Result<BoldResponse, HandlerError> {
        match (request.method.as_str(), &request.segments()[..]) {
            ("PUT", ["customers", id]) => update_customer::update_customer(request, id, host),
            _ => Err(HandlerError::Unsupported),
        }
    }
}

plugin_sdk::export_connector_plugin!(PlatformSync);

#[cfg(test)]
mod tests;
