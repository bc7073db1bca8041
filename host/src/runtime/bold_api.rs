//! The `bold-api` import: a request for the call's shop, read from the
//! guest's memory within the caps, its path checked (`plugin_sdk::bold_api::
//! check_path`: relative, no `.`/`..` segments, no encoded `.`, `/`, `\`), sent to
//! `<base>/api/v1/{platform}/{shop}/<path>` with the shop's token added by
//! the host.

use wasmtime::StoreContextMut;
use wasmtime::component::{ComponentType, Lift, WasmList, WasmStr};

use super::bindings::checkout::plugin::{bold_api as wit, outbound_http};
use super::context::{BoldApiAccess, NoBoldApi};
use super::outbound::{OutboundGrant, check_body, check_header_count, clip, read_headers};
// The path rules are the SDK's, so a handler's native tests refuse what the
// host refuses.
use plugin_sdk::bold_api::check_path;

/// A guest's request as it lies in its memory (see `outbound::GuestRequest`).
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct GuestBoldRequest {
    method: WasmStr,
    path: WasmStr,
    headers: WasmList<(WasmStr, WasmStr)>,
    body: WasmList<u8>,
}

impl GuestBoldRequest {
    /// Copies the request out of the guest's memory within the grant's caps
    /// and builds the outbound request to Bold for `access`.
    pub(crate) fn read<T: 'static>(
        &self,
        store: &mut StoreContextMut<'_, T>,
        grant: &OutboundGrant,
        access: &BoldApiAccess,
    ) -> wasmtime::Result<Result<outbound_http::Request, wit::Error>> {
        if let Err(err) =
            check_body(self.body.len(), grant).and_then(|()| check_header_count(self.headers.len()))
        {
            return Ok(Err(from_outbound(err)));
        }
        let method = self.method.to_str(&*store)?;
        if !matches!(&*method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
            return Ok(Err(wit::Error::InvalidRequest(format!(
                "method `{}` is not allowed (GET, POST, PUT, PATCH or DELETE)",
                clip(&method)
            ))));
        }
        let method = method.into_owned();
        let path = self.path.to_str(&*store)?;
        if let Err(why) = check_path(&path) {
            return Ok(Err(wit::Error::InvalidRequest(why)));
        }
        let url = format!("{}/{path}", access.base);
        let headers = match read_headers(store, &self.headers)? {
            Ok(headers) => headers,
            Err(err) => return Ok(Err(from_outbound(err))),
        };
        let body = self.body.as_le_slice(&*store).to_vec();
        Ok(Ok(outbound_http::Request {
            method,
            url,
            headers,
            body,
        }))
    }
}

/// The `bold-api` error for an outbound one.
pub(crate) fn from_outbound(err: outbound_http::Error) -> wit::Error {
    match err {
        outbound_http::Error::NotAllowed(m) | outbound_http::Error::InvalidRequest(m) => {
            wit::Error::InvalidRequest(m)
        }
        outbound_http::Error::Timeout => wit::Error::Timeout,
        outbound_http::Error::ResponseTooLarge => wit::Error::ResponseTooLarge,
        outbound_http::Error::TooManyRequests => wit::Error::TooManyRequests,
        outbound_http::Error::Connection(m) => wit::Error::Connection(m),
    }
}

/// The `bold-api` error when the call has no access.
pub(crate) fn unavailable(why: NoBoldApi) -> wit::Error {
    match why {
        NoBoldApi::NoShop => wit::Error::NoShop,
        NoBoldApi::NotInstalled => wit::Error::NotInstalled,
    }
}
