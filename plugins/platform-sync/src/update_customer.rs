//! Bold's **Update Customer**: `PUT customers/{platform_customer_id}`.

use plugin_sdk::serde::Deserialize;
use plugin_sdk::serde_json::{Map, Value, json};
use plugin_sdk::{BoldRequest, BoldResponse, HandlerError, Host, Id, Level};

use crate::client::{Answer, PlatformApi};
use crate::platform::{Address, AddressUse};
use crate::webhook::customer_saved;

/// The body Bold sends: `{"customer": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
struct Body {
    customer: CustomerChanges,
}

/// The fields Bold changes; absent (or `null`) ones are left as they are.
#[derive(Debug, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
struct CustomerChanges {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    addresses: Option<Vec<BoldAddress>>,
}

/// An address in Bold's shape.
#[derive(Debug, Deserialize)]
#[serde(crate = "plugin_sdk::serde")]
struct BoldAddress {
    #[serde(default)]
    platform_id: Option<Id>,
    address_use: AddressUse,
    #[serde(default)]
    is_default: Option<bool>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    address_line_1: Option<String>,
    #[serde(default)]
    address_line_2: Option<String>,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    province: Option<String>,
    #[serde(default)]
    province_code: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
}

impl BoldAddress {
    /// Whether the platform does not have it yet (no or an empty
    /// `platform_id`).
    fn is_new(&self) -> bool {
        self.platform_id
            .as_ref()
            .is_none_or(|id| id.to_text().trim().is_empty())
    }

    /// The address in the platform's shape, for `POST .../addresses`.
    fn into_platform(self) -> Address {
        Address {
            id: None,
            address_use: Some(self.address_use),
            default: self.is_default.unwrap_or_default(),
            first_name: self.first_name.unwrap_or_default(),
            last_name: self.last_name.unwrap_or_default(),
            company: self.company.unwrap_or_default(),
            address1: self.address_line_1.unwrap_or_default(),
            address2: self.address_line_2.unwrap_or_default(),
            city: self.city.unwrap_or_default(),
            province: self.province.unwrap_or_default(),
            province_code: self.province_code.unwrap_or_default(),
            country: self.country.unwrap_or_default(),
            country_code: self.country_code.unwrap_or_default(),
            postal_code: self.postal_code.unwrap_or_default(),
            phone: self.phone_number.unwrap_or_default(),
        }
    }
}

/// Runs Update Customer for the customer `customer_id` (from the path).
pub fn update_customer(
    request: &BoldRequest,
    customer_id: &str,
    host: &dyn Host,
) -> Result<BoldResponse, HandlerError> {
    check_customer_id(customer_id)?;
    let body: Body = request.json()?;
    let api = PlatformApi::from_config(host)?;
    let changes = body.customer;

    let mut fields = Map::new();
    for (key, value) in [
        ("first_name", changes.first_name),
        ("last_name", changes.last_name),
        ("email", changes.email),
        ("phone", changes.phone),
    ] {
        if let Some(value) = value {
            fields.insert(key.to_owned(), Value::String(value));
        }
    }
    let (new, known): (Vec<_>, Vec<_>) = changes
        .addresses
        .unwrap_or_default()
        .into_iter()
        .partition(BoldAddress::is_new);
    let new_count = new.len().to_string();
    let known_count = known.len().to_string();
    host.log(
        Level::Debug,
        "update customer",
        &[
            ("new_addresses", &new_count),
            ("known_addresses_left_as_is", &known_count),
            ("fields", &fields.len().to_string()),
        ],
    );

    // Every change made on the platform before a failure must still reach
    // Bold: see `after_partial_failure`.
    let mut changed = false;
    for address in new {
        match api.create_address(customer_id, &address.into_platform()) {
            Ok(Answer::Found(())) => changed = true,
            Ok(Answer::NotFound) => return not_found(),
            Err(e) => return after_failure(&api, customer_id, changed, e, host),
        }
    }
    if !fields.is_empty() {
        match api.update_customer(customer_id, &fields) {
            Ok(Answer::Found(())) => {}
            Ok(Answer::NotFound) => return not_found(),
            Err(e) => return after_failure(&api, customer_id, changed, e, host),
        }
    }
    let Answer::Found(customer) = api.customer(customer_id)? else {
        return not_found();
    };
    let notification = customer_saved(&customer)
        .map_err(|e| HandlerError::failed(format!("platform GET /customers/{customer_id}: {e}")))?;
    let bold_customer = notification.json().clone();
    Ok(
        BoldResponse::json(200, &json!({ "customer": bold_customer }))?
            .with_notification(notification),
    )
}

/// A platform call failed. When nothing was changed yet, the failure is the
/// answer (the host answers Bold 502). When something was (an address
/// created, which may have unset another default), Bold must still learn
/// the customer's new state: read it back and answer 502
/// `{"error": "platform_error"}` with Customer Saved; if even that fails,
/// the failure is the answer.
fn after_failure(
    api: &PlatformApi<'_>,
    customer_id: &str,
    changed: bool,
    error: HandlerError,
    host: &dyn Host,
) -> Result<BoldResponse, HandlerError> {
    if !changed {
        return Err(error);
    }
    host.log(
        Level::Warn,
        "update customer failed after a change on the platform; notifying its state",
        &[("error", &error.to_string())],
    );
    let Ok(Answer::Found(customer)) = api.customer(customer_id) else {
        return Err(error);
    };
    let Ok(notification) = customer_saved(&customer) else {
        return Err(error);
    };
    Ok(BoldResponse::json(
        502,
        &json!({"error": "platform_error", "message": "the platform failed part of the update"}),
    )?
    .with_notification(notification))
}

/// Bold's answer for a customer the platform does not have.
fn not_found() -> Result<BoldResponse, HandlerError> {
    BoldResponse::json(404, &json!({"error": "customer_not_found"}))
}

/// Customer ids go into the platform's URL path: only unreserved URL
/// characters (letters, digits, `-`, `.`, `_`, `~`), and not `.` or `..`.
fn check_customer_id(id: &str) -> Result<(), HandlerError> {
    let unreserved = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if id.is_empty() || !unreserved || id.bytes().all(|b| b == b'.') {
        return Err(HandlerError::invalid_input(format!(
            "customer id: not a platform id: {id:?}"
        )));
    }
    Ok(())
}
