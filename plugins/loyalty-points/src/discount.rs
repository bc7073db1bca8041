//! The gold members' discount, asked of Bold's API for the call's shop
//! with the shop's token (added by the host).
//!
//! **Illustrative:** Bold's exact API for applying a discount code is not
//! public. The request is kept here, in one place: `POST
//! <discount_path>` with `{"code": "<gold_code>"}`, where `discount_path`
//! defaults to [`DEFAULT_DISCOUNT_PATH`] and `{public_order_id}` in it is
//! replaced by the order's public id (percent-encoded). Both the path and
//! the code are config keys, so adapting to the real endpoint needs no
//! rebuild as long as it takes this body.

use plugin_sdk::http::encode_path_segment;
use plugin_sdk::serde_json::json;
use plugin_sdk::{BoldApiError, BoldApiRequest, Host, Level};

use crate::settings::Settings;

/// The placeholder for the order's public id in `discount_path`.
pub const ORDER_ID_PLACEHOLDER: &str = "{public_order_id}";
/// `discount_path` when it is not configured (illustrative).
pub const DEFAULT_DISCOUNT_PATH: &str = "orders/{public_order_id}/discounts";
/// The method of the discount request.
pub const METHOD: &str = "POST";

/// The Bold API request that gives order `public_order_id` the gold code.
pub fn request(settings: &Settings, public_order_id: &str) -> Result<BoldApiRequest, BoldApiError> {
    let path = settings
        .discount_path
        .replace(ORDER_ID_PLACEHOLDER, &encode_path_segment(public_order_id));
    BoldApiRequest::new(METHOD, path)
        .with_header("accept", "application/json")
        .with_json(&json!({"code": settings.gold_code}))
}

/// Asks Bold for the gold discount on order `public_order_id`. Never fails
/// the call: the outcome is logged (status or error kind, never the path
/// or the token), and the caller's actions go out either way.
pub fn apply(host: &dyn Host, settings: &Settings, public_order_id: &str) {
    let outcome = request(settings, public_order_id).and_then(|r| host.bold_api(&r));
    match outcome {
        Ok(response) if response.is_success() => {
            host.log(
                Level::Info,
                "gold discount applied",
                &[("status", &response.status.to_string())],
            );
        }
        Ok(response) => host.log(
            Level::Warn,
            "gold discount refused by Bold",
            &[("status", &response.status.to_string())],
        ),
        Err(e) => host.log(
            Level::Warn,
            "gold discount not applied: Bold API unavailable",
            &[("error", e.kind())],
        ),
    }
}
