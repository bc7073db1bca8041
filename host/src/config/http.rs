//! The host file's `[http]` table: the deadlines and bounds of everything
//! the listeners read from the network.
//!
//! ```toml
//! [http]
//! head_timeout_ms = 10000     # a request head, and an idle keep-alive connection
//! body_timeout_ms = 30000     # a whole request body (then 408)
//! max_connections = 512       # default: half the process's descriptor limit, at most 4096
//! shutdown_drain_ms = 10000   # on SIGTERM: requests in flight get this long
//! ```

use std::time::Duration;

use serde::Deserialize;

/// Default deadline for a request head (and for an idle connection).
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline for a request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bounded drain on shutdown.
pub const DEFAULT_SHUTDOWN_DRAIN: Duration = Duration::from_secs(10);
/// The most connections the default allows, whatever the descriptor limit.
pub const MAX_DEFAULT_CONNECTIONS: usize = 4096;
/// A body over the limit is read and discarded up to this many bytes (and
/// [`LINGER_TIME`]) before the 413 is sent and the connection closed, so a
/// client that writes its whole body before reading sees the status instead
/// of a reset.
pub const LINGER_BYTES: u64 = 8 * 1024 * 1024;
/// How long a body over the limit is discarded at most (see
/// [`LINGER_BYTES`]).
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// `[http]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Deadline for a request head, counted from when the connection waits
    /// for one: it also closes idle keep-alive connections.
    pub head_timeout: Duration,
    /// Deadline for a whole request body; a slower one gets 408.
    pub body_timeout: Duration,
    /// Connections served at once per listener; further ones wait in the
    /// kernel's backlog.
    pub max_connections: usize,
    /// On shutdown, how long requests in flight may take before their
    /// connections are closed.
    pub shutdown_drain: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: default_max_connections(),
            shutdown_drain: DEFAULT_SHUTDOWN_DRAIN,
        }
    }
}

/// `[http]` as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    head_timeout_ms: Option<u64>,
    body_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    shutdown_drain_ms: Option<u64>,
}

impl RawHttp {
    /// The settings, defaults for the keys left out; errors name the field.
    pub(super) fn resolve(self) -> Result<HttpSettings, String> {
        let d = HttpSettings::default();
        let ms = |field: &str, value: Option<u64>, default: Duration| match value {
            Some(0) => Err(format!("field `http.{field}` must be above 0")),
            Some(ms) => Ok(Duration::from_millis(ms)),
            None => Ok(default),
        };
        let max_connections = match self.max_connections {
            Some(0) => return Err("field `http.max_connections` must be above 0".into()),
            Some(n) => n,
            None => d.max_connections,
        };
        Ok(HttpSettings {
            head_timeout: ms("head_timeout_ms", self.head_timeout_ms, d.head_timeout)?,
            body_timeout: ms("body_timeout_ms", self.body_timeout_ms, d.body_timeout)?,
            max_connections,
            shutdown_drain: ms(
                "shutdown_drain_ms",
                self.shutdown_drain_ms,
                d.shutdown_drain,
            )?,
        })
    }
}

/// Half the process's open-file limit (the rest is for components, the
/// outbox, outbound HTTP and logs), at most [`MAX_DEFAULT_CONNECTIONS`], at
/// least 16.
fn default_max_connections() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1024);
    (limit / 2).clamp(16, MAX_DEFAULT_CONNECTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_default_and_zero_is_refused() {
        let settings = RawHttp::default().resolve().unwrap();
        assert_eq!(settings.head_timeout, DEFAULT_HEAD_TIMEOUT);
        assert_eq!(settings.body_timeout, DEFAULT_BODY_TIMEOUT);
        assert!((16..=MAX_DEFAULT_CONNECTIONS).contains(&settings.max_connections));
        let set: RawHttp = toml::from_str(
            "head_timeout_ms = 1000\nbody_timeout_ms = 2000\nmax_connections = 7\n\
             shutdown_drain_ms = 300",
        )
        .unwrap();
        let set = set.resolve().unwrap();
        assert_eq!(set.head_timeout, Duration::from_secs(1));
        assert_eq!(set.body_timeout, Duration::from_secs(2));
        assert_eq!(set.max_connections, 7);
        assert_eq!(set.shutdown_drain, Duration::from_millis(300));
        let zero: RawHttp = toml::from_str("body_timeout_ms = 0").unwrap();
        assert!(zero.resolve().unwrap_err().contains("http.body_timeout_ms"));
        assert!(toml::from_str::<RawHttp>("timeout = 3").is_err());
    }
}
