//! The `bold-api` import: a request for the call's shop, read from the
//! guest's memory within the caps, its path checked, sent to
//! `<base>/api/v1/{platform}/{shop}/<path>` with the shop's token added by
//! the host.

use wasmtime::StoreContextMut;
use wasmtime::component::{ComponentType, Lift, WasmList, WasmStr};

use super::bindings::checkout::plugin::{bold_api as wit, outbound_http};
use super::context::{BoldApiAccess, NoBoldApi};
use super::outbound::{
    MAX_URL_BYTES, OutboundGrant, check_body, check_header_bytes, check_header_count, clip,
};

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
        let mut headers = Vec::with_capacity(self.headers.len());
        let mut header_bytes = 0;
        for index in 0..self.headers.len() {
            let Some(header) = self.headers.get(&mut *store, index) else {
                break;
            };
            let (name, value) = header?;
            let name = name.to_str(&*store)?;
            let value = value.to_str(&*store)?;
            header_bytes += name.len() + value.len();
            if let Err(err) = check_header_bytes(header_bytes) {
                return Ok(Err(from_outbound(err)));
            }
            headers.push((name.into_owned(), value.into_owned()));
        }
        let body = self.body.as_le_slice(&*store).to_vec();
        Ok(Ok(outbound_http::Request {
            method,
            url,
            headers,
            body,
        }))
    }
}

/// Characters of a path segment or query besides letters and digits
/// (RFC 3986 `pchar` without `%`, which is checked on its own).
const PCHAR: &[u8] = b"-._~!$&'()*+,;=:@";

/// Checks the path below the shop: relative, segments of `pchar`s, no `.`
/// or `..` segment, no encoded `.`, `/` or `\` (which a server might decode
/// into a way out of the shop's prefix), an optional query, no fragment.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.len() > MAX_URL_BYTES {
        return Err(format!("the path is over {MAX_URL_BYTES} bytes"));
    }
    let (path_part, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    if path_part.starts_with('/') {
        return Err("the path must be relative to the shop (no leading `/`)".into());
    }
    for segment in path_part.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "path `{}`: empty, `.` and `..` segments are not allowed",
                clip(path)
            ));
        }
        check_chars(segment, b"")?;
    }
    if let Some(query) = query {
        check_chars(query, b"/?")?;
    }
    Ok(())
}

fn check_chars(text: &str, also: &[u8]) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let Some(decoded) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                return Err(format!(
                    "`{}`: `%` must start an escape like `%20`",
                    clip(text)
                ));
            };
            if matches!(decoded, b'.' | b'/' | b'\\') {
                return Err(format!(
                    "`{}`: an encoded `.`, `/` or `\\` is not allowed",
                    clip(text)
                ));
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || PCHAR.contains(&b) || also.contains(&b)) {
            return Err(format!(
                "`{}`: the character {:?} must be percent-encoded",
                clip(text),
                char::from(b)
            ));
        }
        i += 1;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths_stay_below_the_shop() {
        for ok in [
            "orders/abc123/shipping_lines",
            "customers?page=2&per_page=50",
            "address/validate",
            "a%20b/c",
            "x?next=/a/b?c",
        ] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/orders",
            "../admin",
            "orders/../../x",
            "orders/./x",
            "orders//x",
            "orders/",
            "%2e%2e/x",
            "a%2Fb",
            "a%5cb",
            "a%zz",
            "a%2",
            "a b",
            "a#frag",
            "a\\b",
            "héllo",
            "http://evil.test/x",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
