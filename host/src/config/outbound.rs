//! Outbound HTTP a manifest grants: the hosts a plugin may reach, and the
//! deadline, size caps and count of its requests. A checkout plugin's
//! `[outbound]` table; a connector's `[connector] allowed_hosts` and
//! `[connector.http]` read the same way.
//!
//! ```toml
//! [outbound]
//! allowed_hosts = ["loyalty.example.com", "127.0.0.1:9100"]
//! timeout_ms = 5000              # per request; at most 60000
//! max_response_bytes = 1048576
//! max_request_bytes = 1048576
//! max_requests = 16              # per invocation (Bold API calls included)
//! ```
//!
//! A granted name that resolves to a loopback, link-local or private
//! address is still refused unless that address itself is granted
//! (`runtime::outbound`).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;

use crate::runtime::outbound::OutboundGrant;

/// The longest deadline a manifest may give one request.
pub const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The caps as written (`[outbound]` and `[connector.http]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) max_response_bytes: Option<u64>,
    pub(crate) max_request_bytes: Option<u64>,
    pub(crate) max_requests: Option<u32>,
}

/// A checkout plugin's `[outbound]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutbound {
    #[serde(default)]
    allowed_hosts: BTreeSet<String>,
    timeout_ms: Option<u64>,
    max_response_bytes: Option<u64>,
    max_request_bytes: Option<u64>,
    max_requests: Option<u32>,
}

impl RawOutbound {
    pub(crate) fn check(self) -> Result<OutboundGrant, String> {
        let limits = RawLimits {
            timeout_ms: self.timeout_ms,
            max_response_bytes: self.max_response_bytes,
            max_request_bytes: self.max_request_bytes,
            max_requests: self.max_requests,
        };
        grant(self.allowed_hosts, limits, "outbound", "outbound")
    }
}

/// Checks granted hosts and caps; `hosts_table` and `limits_table` name the
/// tables in errors (`connector` and `connector.http` for a connector).
pub(crate) fn grant(
    hosts: BTreeSet<String>,
    limits: RawLimits,
    hosts_table: &str,
    limits_table: &str,
) -> Result<OutboundGrant, String> {
    let mut allowed_hosts = BTreeSet::new();
    for host in hosts {
        let normal = host.trim().to_ascii_lowercase();
        if normal.is_empty()
            || normal.contains('/')
            || normal.contains('@')
            || normal.contains('*')
            || url::Url::parse(&format!("http://{normal}/")).is_err()
        {
            return Err(format!(
                "field `{hosts_table}.allowed_hosts`: {host:?} is not a host or host:port \
                 (no scheme, path or wildcard)"
            ));
        }
        allowed_hosts.insert(normal);
    }
    let defaults = OutboundGrant::default();
    let timeout = limits
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(defaults.timeout);
    if timeout.is_zero() || timeout > MAX_REQUEST_TIMEOUT {
        return Err(format!(
            "field `{limits_table}.timeout_ms`: must be 1..={}",
            MAX_REQUEST_TIMEOUT.as_millis()
        ));
    }
    if limits.max_requests == Some(0) {
        return Err(format!(
            "field `{limits_table}.max_requests`: must be above 0"
        ));
    }
    Ok(OutboundGrant {
        allowed_hosts,
        timeout,
        max_response_bytes: limits
            .max_response_bytes
            .unwrap_or(defaults.max_response_bytes),
        max_request_bytes: limits
            .max_request_bytes
            .unwrap_or(defaults.max_request_bytes),
        max_requests: limits.max_requests.unwrap_or(defaults.max_requests),
    })
}
