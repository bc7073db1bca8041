//! Outbound HTTP for connector guests: only to the hosts the manifest
//! grants, one request at a time, each with its own deadline and size caps.
//!
//! The guest is suspended while its request runs (the import is async), so
//! no host thread waits on the platform. Redirects are not followed: a
//! granted host could otherwise send the guest anywhere.
//!
//! A granted *name* is checked again where it matters, at the connection:
//! the client's resolver ([`CheckedResolver`]) drops every address of the
//! host itself or of a private network (loopback, link-local, RFC 1918,
//! unique-local, CGNAT, unspecified, multicast, and their IPv4-mapped
//! forms), and the connection goes to one of the addresses it kept, so a
//! name that resolves (or is rebound) to `127.0.0.1` or `169.254.169.254`
//! reaches neither the host's admin port nor cloud metadata. An IP literal
//! is never resolved: it connects only when that literal is granted
//! (`127.0.0.1:9100` in tests).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::StoreContextMut;
use wasmtime::component::{ComponentType, Lift, WasmList, WasmStr};

use super::bindings::checkout::plugin::outbound_http as wit;

/// Default deadline of one outbound request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// Default cap on a request body.
pub const DEFAULT_MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// Default number of requests one invocation may make.
pub const DEFAULT_MAX_REQUESTS: u32 = 16;

/// Longest method accepted (the longest allowed is `DELETE`).
const MAX_METHOD_BYTES: usize = 16;
/// Longest URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Most headers one request may carry.
pub const MAX_HEADERS: usize = 64;
/// Most bytes of header names and values one request may carry.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Headers the host sets itself; a guest's values for them are refused.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "keep-alive",
];

/// What a plugin may reach and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundGrant {
    /// Granted `host` or `host:port` entries, lower case. A bare host
    /// matches the scheme's default port only.
    pub allowed_hosts: BTreeSet<String>,
    /// Deadline of each request (connect, send, whole response).
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
    /// Largest request body sent.
    pub max_request_bytes: u64,
    /// Requests per invocation.
    pub max_requests: u32,
}

impl Default for OutboundGrant {
    fn default() -> Self {
        Self {
            allowed_hosts: BTreeSet::new(),
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_requests: DEFAULT_MAX_REQUESTS,
        }
    }
}

impl OutboundGrant {
    /// Whether `url` is on a granted host (`None`), or why not.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(format!("scheme `{scheme}` is not allowed (http or https)"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in the URL are not allowed".into());
        }
        let Some(host) = url.host_str() else {
            return Err("the URL has no host".into());
        };
        let host = host.to_ascii_lowercase();
        let with_port = url.port().map(|port| format!("{host}:{port}"));
        let granted = match &with_port {
            // An explicit non-default port must be granted with it.
            Some(hp) => self.allowed_hosts.contains(hp),
            None => {
                self.allowed_hosts.contains(&host)
                    || url
                        .port_or_known_default()
                        .is_some_and(|p| self.allowed_hosts.contains(&format!("{host}:{p}")))
            }
        };
        if granted {
            Ok(())
        } else {
            Err(format!(
                "host `{}` is not granted to this plugin",
                with_port.unwrap_or(host)
            ))
        }
    }
}

/// A guest's request as it lies in the guest's memory: nothing is copied
/// to the host until [`GuestRequest::read`] has checked it against the
/// caps (the generated bindings would copy every header, however many
/// times the list repeats one string).
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct GuestRequest {
    method: WasmStr,
    url: WasmStr,
    headers: WasmList<(WasmStr, WasmStr)>,
    body: WasmList<u8>,
}

impl GuestRequest {
    /// Copies the request out of the guest's memory, refusing it (as
    /// `invalid-request`) as soon as it is over a cap: the body's and the
    /// header count's before any byte is read, then each string as it is
    /// read. A string that is not UTF-8 is an error (a trap), as it is for
    /// the generated bindings.
    pub(crate) fn read<T: 'static>(
        &self,
        store: &mut StoreContextMut<'_, T>,
        grant: &OutboundGrant,
    ) -> wasmtime::Result<Result<wit::Request, wit::Error>> {
        if let Err(err) =
            check_body(self.body.len(), grant).and_then(|()| check_header_count(self.headers.len()))
        {
            return Ok(Err(err));
        }
        let method = self.method.to_str(&*store)?;
        if method.len() > MAX_METHOD_BYTES {
            return Ok(Err(wit::Error::InvalidRequest(format!(
                "method `{}` is not allowed",
                clip(&method)
            ))));
        }
        let method = method.into_owned();
        let url = self.url.to_str(&*store)?;
        if let Err(err) = check_url_len(url.len()) {
            return Ok(Err(err));
        }
        let url = url.into_owned();
        let headers = match read_headers(store, &self.headers)? {
            Ok(headers) => headers,
            Err(err) => return Ok(Err(err)),
        };
        let body = self.body.as_le_slice(&*store).to_vec();
        Ok(Ok(wit::Request {
            method,
            url,
            headers,
            body,
        }))
    }
}

/// Copies a guest's header list (its count already checked), refusing it
/// as soon as the names and values read are over [`MAX_HEADER_BYTES`].
pub(super) fn read_headers<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    list: &WasmList<(WasmStr, WasmStr)>,
) -> wasmtime::Result<Result<Vec<(String, String)>, wit::Error>> {
    let mut headers = Vec::with_capacity(list.len());
    let mut header_bytes = 0;
    for index in 0..list.len() {
        let Some(header) = list.get(&mut *store, index) else {
            break;
        };
        let (name, value) = header?;
        let name = name.to_str(&*store)?;
        header_bytes += name.len();
        if let Err(err) = check_header_bytes(header_bytes) {
            return Ok(Err(err));
        }
        let value = value.to_str(&*store)?;
        header_bytes += value.len();
        if let Err(err) = check_header_bytes(header_bytes) {
            return Ok(Err(err));
        }
        headers.push((name.into_owned(), value.into_owned()));
    }
    Ok(Ok(headers))
}

pub(super) fn check_body(len: usize, grant: &OutboundGrant) -> Result<(), wit::Error> {
    if len as u64 > grant.max_request_bytes {
        return Err(wit::Error::InvalidRequest(format!(
            "request body of {len} bytes is over the {} byte limit",
            grant.max_request_bytes
        )));
    }
    Ok(())
}

pub(super) fn check_url_len(len: usize) -> Result<(), wit::Error> {
    if len > MAX_URL_BYTES {
        return Err(wit::Error::InvalidRequest(format!(
            "URL of {len} bytes is over the {MAX_URL_BYTES} byte limit"
        )));
    }
    Ok(())
}

pub(super) fn check_header_count(count: usize) -> Result<(), wit::Error> {
    if count > MAX_HEADERS {
        return Err(wit::Error::InvalidRequest(format!(
            "{count} headers are over the limit of {MAX_HEADERS}"
        )));
    }
    Ok(())
}

pub(super) fn check_header_bytes(bytes: usize) -> Result<(), wit::Error> {
    if bytes > MAX_HEADER_BYTES {
        return Err(wit::Error::InvalidRequest(format!(
            "headers are over the {MAX_HEADER_BYTES} byte limit"
        )));
    }
    Ok(())
}

/// Why the host does not connect to `ip` when a granted *name* resolves to
/// it, or `None` when it may: the host itself, private networks, and
/// addresses that are not one machine's.
pub fn refused_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if a == 0 {
        "unspecified" // 0.0.0.0/8: "this network", the host itself
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if ip.is_link_local() {
        "link-local" // 169.254.0.0/16, cloud metadata among them
    } else if a == 100 && (b & 0xc0) == 64 {
        "shared address space (CGNAT)" // 100.64.0.0/10
    } else if ip.is_multicast() {
        "multicast"
    } else if a >= 240 {
        "reserved" // 240.0.0.0/4 and the broadcast address
    } else {
        return None;
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4);
    }
    let segments = ip.segments();
    Some(if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_unicast_link_local() {
        "link-local"
    } else if ip.is_unique_local() {
        "unique-local"
    } else if segments[0] & 0xffc0 == 0xfec0 {
        "site-local" // fec0::/10, deprecated
    } else if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96)
        // forms carry an IPv4 address: judged as that address.
        let [.., a, b, c, d] = ip.octets();
        return refused_v4(Ipv4Addr::new(a, b, c, d));
    } else {
        return None;
    })
}

/// A granted name resolved only to addresses the host does not connect to.
#[derive(Debug, thiserror::Error)]
#[error("`{name}` resolves only to addresses the host does not connect to: {refused}")]
pub struct RefusedAddresses {
    name: String,
    refused: String,
}

/// The outbound client's resolver: the system's (`getaddrinfo`, on a
/// blocking thread), less every address [`refused_range`] names; an error
/// ([`RefusedAddresses`]) when none is left. reqwest connects only to the
/// addresses it returns, so what was checked is what is reached, whatever
/// the name resolves to later. IP literals never come here.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckedResolver;

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let (kept, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                resolved.partition(|addr| refused_range(addr.ip()).is_none());
            if kept.is_empty() {
                let refused = refused
                    .iter()
                    .map(|addr| {
                        let why = refused_range(addr.ip()).unwrap_or("refused");
                        format!("{} ({why})", addr.ip())
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let err = RefusedAddresses {
                    name: clip(&name).to_owned(),
                    refused: if refused.is_empty() {
                        "no address".to_owned()
                    } else {
                        refused
                    },
                };
                return Err(err.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP clients shared by every sandbox (connection pools are kept):
/// one for granted hosts, whose names are checked after resolution, and one
/// for Bold's API at the operator's `[bold_checkout] base_url`.
#[derive(Debug, Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    bold: reqwest::Client,
}

impl OutboundClient {
    /// Builds the client: no redirects, no proxy from the environment, no
    /// cookies, and names resolved by [`CheckedResolver`].
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver))
            .user_agent(concat!("plugin-host/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        // The operator's own setting, not a guest's choice: no address check.
        let bold = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("plugin-host/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { client, bold })
    }

    /// Sends one guest request to Bold's API: `request.url` was built by the
    /// host from the base URL and a checked path; `token` is added as its
    /// header (the guest may not set that header). The grant's deadline and
    /// caps apply; its hosts do not.
    pub(crate) async fn send_bold(
        &self,
        grant: &OutboundGrant,
        request: wit::Request,
        token: (&reqwest::header::HeaderName, &reqwest::header::HeaderValue),
    ) -> Result<wit::Response, wit::Error> {
        let (name, value) = token;
        if request.headers.iter().any(|(n, _)| {
            n.eq_ignore_ascii_case(name.as_str()) || n.eq_ignore_ascii_case("authorization")
        }) {
            return Err(wit::Error::InvalidRequest(format!(
                "header `{name}` is set by the host and cannot be given"
            )));
        }
        let prepared = self
            .prepare_with(&self.bold, grant, request, false)?
            .header(name.clone(), value.clone());
        match tokio::time::timeout(grant.timeout, fetch(prepared, grant.max_response_bytes)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(wit::Error::Timeout),
        }
    }

    /// Sends one guest request under `grant`.
    pub async fn send(
        &self,
        grant: &OutboundGrant,
        request: wit::Request,
    ) -> Result<wit::Response, wit::Error> {
        let prepared = self.prepare(grant, request)?;
        match tokio::time::timeout(grant.timeout, fetch(prepared, grant.max_response_bytes)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(wit::Error::Timeout),
        }
    }

    fn prepare(
        &self,
        grant: &OutboundGrant,
        request: wit::Request,
    ) -> Result<reqwest::RequestBuilder, wit::Error> {
        self.prepare_with(&self.client, grant, request, true)
    }

    /// Checks `request` against the grant's caps (and its hosts, when
    /// `check_host`) and builds it on `client`.
    fn prepare_with(
        &self,
        client: &reqwest::Client,
        grant: &OutboundGrant,
        request: wit::Request,
        check_host: bool,
    ) -> Result<reqwest::RequestBuilder, wit::Error> {
        let invalid = wit::Error::InvalidRequest;
        let method = match request.method.as_str() {
            "GET" => reqwest::Method::GET,
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            "PATCH" => reqwest::Method::PATCH,
            "DELETE" => reqwest::Method::DELETE,
            "HEAD" => reqwest::Method::HEAD,
            other => return Err(invalid(format!("method `{}` is not allowed", clip(other)))),
        };
        check_url_len(request.url.len())?;
        let url = url::Url::parse(&request.url)
            .map_err(|e| invalid(format!("invalid URL `{}`: {e}", clip(&request.url))))?;
        if check_host {
            grant.check_url(&url).map_err(wit::Error::NotAllowed)?;
        }
        check_body(request.body.len(), grant)?;
        check_header_count(request.headers.len())?;
        check_header_bytes(
            request
                .headers
                .iter()
                .map(|(name, value)| name.len() + value.len())
                .sum(),
        )?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in request.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name `{}`", clip(&name))))?;
            if RESERVED_HEADERS.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "header `{name}` is set by the host and cannot be given"
                )));
            }
            let value = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|_| invalid(format!("invalid value for header `{name}`")))?;
            headers.append(name, value);
        }
        Ok(client
            .request(method, url)
            .headers(headers)
            .body(request.body))
    }
}

/// Sends and reads the whole response, refusing bodies over `max_body`.
async fn fetch(
    request: reqwest::RequestBuilder,
    max_body: u64,
) -> Result<wit::Response, wit::Error> {
    let mut response = request.send().await.map_err(connection_error)?;
    if response.content_length().is_some_and(|len| len > max_body) {
        return Err(wit::Error::ResponseTooLarge);
    }
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(connection_error)? {
        if (body.len() + chunk.len()) as u64 > max_body {
            return Err(wit::Error::ResponseTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(wit::Response {
        status,
        headers,
        body,
    })
}

fn connection_error(err: reqwest::Error) -> wit::Error {
    if err.is_timeout() {
        return wit::Error::Timeout;
    }
    // A granted name that resolved only to refused addresses: not allowed.
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedAddresses>() {
            return wit::Error::NotAllowed(refused.to_string());
        }
        source = cause.source();
    }
    // reqwest's message names the URL; keep the cause chain, not secrets
    // (guest URLs may carry query tokens, so the URL is stripped).
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    wit::Error::Connection(clip(&message).to_owned())
}

/// At most 200 bytes of a guest-controlled string, for messages.
pub(super) fn clip(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(hosts: &[&str]) -> OutboundGrant {
        OutboundGrant {
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..OutboundGrant::default()
        }
    }

    fn check(grant: &OutboundGrant, url: &str) -> Result<(), String> {
        grant.check_url(&url::Url::parse(url).unwrap())
    }

    #[test]
    fn only_granted_hosts_and_ports_pass() {
        let g = grant(&["api.platform.test", "127.0.0.1:9100"]);
        assert!(check(&g, "https://api.platform.test/customers/1").is_ok());
        assert!(check(&g, "http://API.platform.test/x").is_ok());
        assert!(check(&g, "http://127.0.0.1:9100/x").is_ok());
        assert!(check(&g, "https://api.platform.test:8443/x").is_err());
        assert!(check(&g, "http://127.0.0.1:9101/x").is_err());
        assert!(check(&g, "http://127.0.0.1/x").is_err());
        assert!(check(&g, "https://evil.test/x").is_err());
        assert!(check(&g, "https://api.platform.test.evil.test/x").is_err());
        assert!(check(&g, "file:///etc/passwd").is_err());
        assert!(check(&g, "https://user:pw@api.platform.test/x").is_err());
        assert!(check(&grant(&[]), "https://api.platform.test/x").is_err());
    }

    #[test]
    fn explicit_default_ports_match_bare_grants() {
        let g = grant(&["api.platform.test:443"]);
        assert!(check(&g, "https://api.platform.test/x").is_ok());
        assert!(check(&g, "http://api.platform.test/x").is_err());
    }

    #[tokio::test]
    async fn refused_requests_never_connect() {
        let client = OutboundClient::new().unwrap();
        let request = |method: &str, url: &str, headers: Vec<(String, String)>| wit::Request {
            method: method.into(),
            url: url.into(),
            headers,
            body: vec![],
        };
        let g = grant(&["127.0.0.1:1"]);
        let err = client
            .send(&g, request("GET", "http://10.0.0.1/", vec![]))
            .await
            .unwrap_err();
        assert!(matches!(err, wit::Error::NotAllowed(m) if m.contains("10.0.0.1")));
        let err = client
            .send(&g, request("CONNECT", "http://127.0.0.1:1/", vec![]))
            .await
            .unwrap_err();
        assert!(matches!(err, wit::Error::InvalidRequest(_)));
        let err = client
            .send(
                &g,
                request(
                    "GET",
                    "http://127.0.0.1:1/",
                    vec![("Host".into(), "evil".into())],
                ),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, wit::Error::InvalidRequest(m) if m.contains("host")));
        // Granted but nothing listens: a connection error, quickly.
        let err = client
            .send(&g, request("GET", "http://127.0.0.1:1/", vec![]))
            .await
            .unwrap_err();
        assert!(matches!(err, wit::Error::Connection(_)), "{err:?}");
    }

    #[test]
    fn addresses_of_the_host_and_private_networks_are_refused_for_names() {
        let refused = [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ];
        for ip in refused {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(refused_range(ip).is_some(), "{ip} must be refused");
        }
        let allowed = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for ip in allowed {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(refused_range(ip), None, "{ip} must be allowed");
        }
        assert_eq!(
            refused_range("::ffff:169.254.169.254".parse().unwrap()),
            Some("link-local")
        );
    }

    /// A plain HTTP server on 127.0.0.1 that answers `200 OK` to every
    /// connection and counts them.
    async fn counting_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                });
            }
        });
        (port, accepted)
    }

    fn get(url: &str) -> wit::Request {
        wit::Request {
            method: "GET".into(),
            url: url.into(),
            headers: vec![],
            body: vec![],
        }
    }

    #[tokio::test]
    async fn a_granted_name_that_resolves_to_loopback_is_refused() {
        use std::sync::atomic::Ordering;

        let (port, accepted) = counting_server().await;
        let client = OutboundClient::new().unwrap();
        // `localhost` granted as a name: it resolves to 127.0.0.1 (and ::1),
        // which the resolver refuses, so nothing connects.
        let by_name = grant(&[&format!("localhost:{port}")]);
        let err = client
            .send(&by_name, get(&format!("http://localhost:{port}/")))
            .await
            .unwrap_err();
        let wit::Error::NotAllowed(message) = &err else {
            panic!("expected not-allowed, got {err:?}");
        };
        assert!(
            message.contains("`localhost` resolves only to addresses the host does not connect to")
                && message.contains("127.0.0.1 (loopback)"),
            "{message}"
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "nothing connected");

        // The literal, granted as such, still connects.
        let literal = grant(&[&format!("127.0.0.1:{port}")]);
        let response = client
            .send(&literal, get(&format!("http://127.0.0.1:{port}/")))
            .await
            .unwrap();
        assert_eq!((response.status, response.body), (200, b"ok".to_vec()));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn requests_over_the_url_and_header_caps_are_refused() {
        let client = OutboundClient::new().unwrap();
        let g = grant(&["127.0.0.1:1"]);
        let long_url = format!("http://127.0.0.1:1/{}", "a".repeat(MAX_URL_BYTES));
        let err = client.send(&g, get(&long_url)).await.unwrap_err();
        assert!(
            matches!(&err, wit::Error::InvalidRequest(m) if m.contains("URL of")),
            "{err:?}"
        );
        let mut many = get("http://127.0.0.1:1/");
        many.headers = (0..=MAX_HEADERS)
            .map(|i| (format!("x-{i}"), "v".into()))
            .collect();
        let err = client.send(&g, many).await.unwrap_err();
        assert!(
            matches!(&err, wit::Error::InvalidRequest(m) if m.contains("headers are over")),
            "{err:?}"
        );
        let mut big = get("http://127.0.0.1:1/");
        big.headers = vec![("x-big".into(), "v".repeat(MAX_HEADER_BYTES))];
        let err = client.send(&g, big).await.unwrap_err();
        assert!(
            matches!(&err, wit::Error::InvalidRequest(m) if m.contains("byte limit")),
            "{err:?}"
        );
    }
}
