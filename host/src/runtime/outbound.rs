//! Outbound HTTP for connector guests: only to the hosts the manifest
//! grants, one request at a time, each with its own deadline and size caps.
//!
//! The guest is suspended while its request runs (the import is async), so
//! no host thread waits on the platform. Redirects are not followed: a
//! granted host could otherwise send the guest anywhere.

use std::collections::BTreeSet;
use std::time::Duration;

use super::bindings::connector::checkout::plugin::outbound_http as wit;

/// Default deadline of one outbound request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// Default cap on a request body.
pub const DEFAULT_MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// Default number of requests one invocation may make.
pub const DEFAULT_MAX_REQUESTS: u32 = 16;

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

/// The HTTP client shared by every sandbox (connection pools are kept).
#[derive(Debug, Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
}

impl OutboundClient {
    /// Builds the client: no redirects, no proxy from the environment, no
    /// cookies.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("plugin-host/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { client })
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
        let url = url::Url::parse(&request.url)
            .map_err(|e| invalid(format!("invalid URL `{}`: {e}", clip(&request.url))))?;
        grant.check_url(&url).map_err(wit::Error::NotAllowed)?;
        if request.body.len() as u64 > grant.max_request_bytes {
            return Err(invalid(format!(
                "request body of {} bytes is over the {} byte limit",
                request.body.len(),
                grant.max_request_bytes
            )));
        }
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
        Ok(self
            .client
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
fn clip(text: &str) -> &str {
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
}
