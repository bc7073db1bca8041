//! The host as seen from inside a component: the WIT imports behind
//! [`Host`], through the `wit-bindgen` bindings. Only compiled for `wasm32`
//! (and in docs).

#[cfg(any(target_arch = "wasm32", doc))]
use super::Host;
#[cfg(target_arch = "wasm32")]
use super::Level;
#[cfg(target_arch = "wasm32")]
use crate::bold_api::{BoldApiError, BoldApiRequest};
#[cfg(target_arch = "wasm32")]
use crate::http::{HttpError, HttpRequest, HttpResponse};
#[cfg(target_arch = "wasm32")]
use crate::shop::Shop;

/// The host as seen from inside a checkout component (world
/// `checkout-plugin`): the WIT imports `log`, `config`, `outbound-http`,
/// `shop` and `bold-api`. Only exists on `wasm32` (and in docs); the export
/// glue of [`export_checkout_plugin!`](crate::export_checkout_plugin)
/// hands it to handlers.
///
/// A component built with it imports all five interfaces (a `Host`
/// implementation's methods are linked in with its vtable whether or not a
/// handler calls them): it needs a host that offers contract 0.1.1.
#[cfg(any(target_arch = "wasm32", doc))]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmHost;

#[cfg(target_arch = "wasm32")]
impl Host for WasmHost {
    fn config(&self, key: &str) -> Option<String> {
        crate::__private::bindings::checkout::plugin::config::get(key)
    }

    fn config_all(&self) -> Vec<(String, String)> {
        crate::__private::bindings::checkout::plugin::config::all()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        use crate::__private::bindings::checkout::plugin::log as wit;
        let level = match level {
            Level::Trace => wit::Level::Trace,
            Level::Debug => wit::Level::Debug,
            Level::Info => wit::Level::Info,
            Level::Warn => wit::Level::Warn,
            Level::Error => wit::Level::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wit::log(level, message, &fields);
    }

    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        use crate::__private::bindings::checkout::plugin::outbound_http as wit;
        let wit_request = wit::Request {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        match wit::send(&wit_request) {
            Ok(response) => Ok(from_wit_response(response)),
            Err(wit::Error::NotAllowed(m)) => Err(HttpError::NotAllowed(m)),
            Err(wit::Error::InvalidRequest(m)) => Err(HttpError::InvalidRequest(m)),
            Err(wit::Error::Timeout) => Err(HttpError::Timeout),
            Err(wit::Error::ResponseTooLarge) => Err(HttpError::ResponseTooLarge),
            Err(wit::Error::TooManyRequests) => Err(HttpError::TooManyRequests),
            Err(wit::Error::Connection(m)) => Err(HttpError::Connection(m)),
        }
    }

    fn shop(&self) -> Option<Shop> {
        use crate::__private::bindings::checkout::plugin::shop as wit;
        wit::current().map(
            |wit::ShopInfo {
                 platform,
                 shop,
                 installed,
                 scopes,
             }| Shop {
                platform,
                shop,
                installed,
                scopes,
            },
        )
    }

    fn bold_api(&self, request: &BoldApiRequest) -> Result<HttpResponse, BoldApiError> {
        use crate::__private::bindings::checkout::plugin::bold_api as wit;
        let wit_request = wit::Request {
            method: request.method.clone(),
            path: request.path.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        match wit::send(&wit_request) {
            Ok(response) => Ok(from_wit_response(response)),
            Err(wit::Error::NoShop) => Err(BoldApiError::NoShop),
            Err(wit::Error::NotInstalled) => Err(BoldApiError::NotInstalled),
            Err(wit::Error::InvalidRequest(m)) => Err(BoldApiError::InvalidRequest(m)),
            Err(wit::Error::Timeout) => Err(BoldApiError::Timeout),
            Err(wit::Error::ResponseTooLarge) => Err(BoldApiError::ResponseTooLarge),
            Err(wit::Error::TooManyRequests) => Err(BoldApiError::TooManyRequests),
            Err(wit::Error::Connection(m)) => Err(BoldApiError::Connection(m)),
        }
    }
}

/// The WIT `outbound-http.response` (also what `bold-api.send` answers).
#[cfg(target_arch = "wasm32")]
fn from_wit_response(
    response: crate::__private::bindings::checkout::plugin::outbound_http::Response,
) -> HttpResponse {
    HttpResponse {
        status: response.status,
        headers: response.headers,
        body: response.body,
    }
}

/// The host as seen from inside a connector component (world
/// `platform-connector`): the WIT imports `log`, `config` and
/// `outbound-http`; no shop, no Bold API (the defaults:
/// [`Host::shop`] is `None`, [`Host::bold_api`] answers
/// [`BoldApiError::NoShop`](crate::BoldApiError::NoShop)). Only exists on
/// `wasm32` (and in docs); the export glue of
/// [`export_connector_plugin!`](crate::export_connector_plugin) hands it to
/// handlers.
///
/// It is a type of its own so that connector components do not import
/// `shop` and `bold-api`, which the `platform-connector` world does not
/// offer: its methods call [`WasmHost`]'s directly, never through its
/// vtable.
#[cfg(any(target_arch = "wasm32", doc))]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmConnectorHost;

#[cfg(target_arch = "wasm32")]
impl Host for WasmConnectorHost {
    fn config(&self, key: &str) -> Option<String> {
        WasmHost.config(key)
    }

    fn config_all(&self) -> Vec<(String, String)> {
        WasmHost.config_all()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        WasmHost.log(level, message, fields);
    }

    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        // Both worlds import the same `outbound-http` (the connector
        // bindings map it onto the checkout bindings' module).
        WasmHost.http(request)
    }
}
