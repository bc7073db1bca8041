//! The `[bold_api]` and `[outbox]` tables of `host.toml`: strict serde with
//! defaults, and [`validate`](BoldApiSettings::validate) with typed errors.
//!
//! Why one file: `[bold_api]` and `[outbox]` are read, defaulted and
//! validated together (delivery settings depend on both); most of its length
//! is tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{EntityKind, Operation};

/// The longest `[outbox] retention_hours` (100 years).
pub const MAX_RETENTION_HOURS: u64 = 100 * 366 * 24;

/// The placeholder every path template must contain.
pub const SHOP_PLACEHOLDER: &str = "{shop_identifier}";

/// Where and how notifications are sent (`[bold_api]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoldApiSettings {
    /// Bold's API origin, without a trailing path (default
    /// `https://api.boldcommerce.com`).
    pub base_url: String,
    /// The `Bold-API-Version-Date` header (default `2022-05-01`).
    pub api_version_date: String,
    /// One path template per operation.
    pub paths: BoldApiPaths,
    /// Whole-request timeout, connect to last body byte (default 10,000 ms).
    pub request_timeout_ms: u64,
    /// Connect timeout (default 5,000 ms).
    pub connect_timeout_ms: u64,
}

impl Default for BoldApiSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.boldcommerce.com".into(),
            api_version_date: "2022-05-01".into(),
            paths: BoldApiPaths::default(),
            request_timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
        }
    }
}

/// Path templates (`[bold_api.paths]`), appended to `base_url`; each must
/// contain `{shop_identifier}`, replaced by the shop's identifier
/// percent-encoded as a path segment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoldApiPaths {
    /// Customer Saved (default `/platform_connector/{shop_identifier}/customers/saved`).
    pub customer_saved: String,
    /// Customer Deleted (default `…/customers/deleted`).
    pub customer_deleted: String,
    /// Product Saved (default `…/products/saved`).
    pub product_saved: String,
    /// Product Deleted (default `…/products/deleted`).
    pub product_deleted: String,
    /// Order Saved (default `…/orders/saved`).
    pub order_saved: String,
}

impl Default for BoldApiPaths {
    fn default() -> Self {
        let path = |rest: &str| format!("/platform_connector/{SHOP_PLACEHOLDER}/{rest}");
        Self {
            customer_saved: path("customers/saved"),
            customer_deleted: path("customers/deleted"),
            product_saved: path("products/saved"),
            product_deleted: path("products/deleted"),
            order_saved: path("orders/saved"),
        }
    }
}

impl BoldApiPaths {
    /// The template for `(kind, op)`; `None` for Order Deleted, which Bold
    /// does not have.
    pub fn template(&self, kind: EntityKind, op: Operation) -> Option<&str> {
        match (kind, op) {
            (EntityKind::Customer, Operation::Saved) => Some(&self.customer_saved),
            (EntityKind::Customer, Operation::Deleted) => Some(&self.customer_deleted),
            (EntityKind::Product, Operation::Saved) => Some(&self.product_saved),
            (EntityKind::Product, Operation::Deleted) => Some(&self.product_deleted),
            (EntityKind::Order, Operation::Saved) => Some(&self.order_saved),
            (EntityKind::Order, Operation::Deleted) => None,
        }
    }

    fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("customer_saved", &self.customer_saved),
            ("customer_deleted", &self.customer_deleted),
            ("product_saved", &self.product_saved),
            ("product_deleted", &self.product_deleted),
            ("order_saved", &self.order_saved),
        ]
    }
}

impl BoldApiSettings {
    /// Checks the settings: `base_url` an http(s) URL with a host and no
    /// credentials, query or fragment; `api_version_date` `YYYY-MM-DD`; every
    /// path template starting with `/` and containing `{shop_identifier}` and
    /// no other `{…}`; timeouts non-zero.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let url = url::Url::parse(&self.base_url).map_err(|e| SettingsError::BaseUrl {
            reason: e.to_string(),
        })?;
        let bad = |reason: &str| SettingsError::BaseUrl {
            reason: reason.into(),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it must not contain credentials"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it must not have a query or a fragment"));
        }
        if !is_date(&self.api_version_date) {
            return Err(SettingsError::ApiVersionDate);
        }
        for (field, template) in self.paths.fields() {
            check_template(template)
                .map_err(|reason| SettingsError::PathTemplate { field, reason })?;
        }
        nonzero("bold_api.request_timeout_ms", self.request_timeout_ms)?;
        nonzero("bold_api.connect_timeout_ms", self.connect_timeout_ms)?;
        Ok(())
    }

    /// `base_url` without its trailing slashes.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

fn check_template(template: &str) -> Result<(), String> {
    if !template.starts_with('/') {
        return Err("it must start with '/'".into());
    }
    if !template.contains(SHOP_PLACEHOLDER) {
        return Err(format!("it must contain {SHOP_PLACEHOLDER}"));
    }
    let rest = template.replace(SHOP_PLACEHOLDER, "");
    if rest.contains(['{', '}']) {
        return Err(format!("the only placeholder is {SHOP_PLACEHOLDER}"));
    }
    if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it must be a plain path (no query, fragment or spaces)".into());
    }
    Ok(())
}

/// An environment variable name: ASCII letters, digits and `_`, not
/// starting with a digit.
fn check_env_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err("it is empty"),
        Some(c) if c.is_ascii_digit() => {
            Err("an environment variable name cannot start with a digit")
        }
        Some(c) if !(c.is_ascii_alphanumeric() || c == '_') => {
            Err("an environment variable name has only ASCII letters, digits and '_'")
        }
        Some(_) if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Err("an environment variable name has only ASCII letters, digits and '_'")
        }
        Some(_) => Ok(()),
    }
}

fn nonzero(field: &'static str, value: u64) -> Result<(), SettingsError> {
    if value == 0 {
        Err(SettingsError::Zero { field })
    } else {
        Ok(())
    }
}

/// Where the queue is kept (`[outbox] backend`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An embedded SQLite file (`database`), one server per file.
    #[default]
    Sqlite,
    /// A PostgreSQL database (the URL in the environment variable named by
    /// `postgres_url_env`), shared by any number of hosts.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The queue and its delivery (`[outbox]`).
///
/// With the defaults, a notification that keeps failing is retried for
/// about a day: waits of 1 s, 2 s, 4 s, … doubling up to 1 h (equal jitter:
/// each wait is half its nominal value plus a random half), 43 waits between
/// 44 attempts. The waits add up to at least 16 h 4 min, 24 h 6 min on
/// average, and at most 32 h 8 min; then it is a dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Where the queue is kept (default [`Backend::Sqlite`]).
    pub backend: Backend,
    /// The SQLite file (default `<data_dir>/outbox/outbox.sqlite3`, see
    /// [`database_path`](Self::database_path)); not used by the PostgreSQL
    /// backend.
    pub database: Option<PathBuf>,
    /// The environment variable holding the PostgreSQL connection URL
    /// (`postgresql://user:password@host:port/dbname`, or key=value
    /// parameters); required when `backend = "postgres"`. The URL holds a
    /// password, so it is never written in the host file itself.
    pub postgres_url_env: Option<String>,
    /// Connections each host keeps to PostgreSQL (default 4).
    pub postgres_pool_size: usize,
    /// First retry's nominal wait (default 1,000 ms); it doubles per
    /// attempt.
    pub initial_backoff_ms: u64,
    /// Longest nominal wait (default 3,600,000 ms = 1 h). A `Retry-After`
    /// longer than this is capped to it.
    pub max_backoff_ms: u64,
    /// Attempts before a notification becomes a dead letter (default 44:
    /// about a day of retries).
    pub max_attempts: u32,
    /// Requests to Bold in flight at once (default 16).
    pub concurrency: usize,
    /// Most notifications claimed per store call (default 64; the worker
    /// never claims more than it has free slots).
    pub batch_size: usize,
    /// Most notifications written in one group commit (default 2,048).
    pub max_group_commit: usize,
    /// Enqueue calls that may wait for the writer (default 1,024); more
    /// callers wait for room.
    pub queue_capacity: usize,
    /// Added to the request timeout to make a claim's lease (default
    /// 30,000 ms).
    pub lease_margin_ms: u64,
    /// Longest sleep of the delivery worker between looks at the queue
    /// (default 1,000 ms); an enqueue wakes it at once.
    pub poll_interval_ms: u64,
    /// How often expired leases are released (default 30,000 ms); also once
    /// at start-up.
    pub lease_release_interval_ms: u64,
    /// On shutdown, how long requests in flight may finish (default
    /// 10,000 ms); what is left stays in flight until its lease expires.
    pub shutdown_grace_ms: u64,
    /// How long a shop's notifications wait after Bold refused its API
    /// credentials (401 or 403: a rotated or revoked token) before they are
    /// tried again (default 300,000 ms = 5 min). Such an attempt does not
    /// count towards `max_attempts`, so the notifications wait for as long
    /// as the credentials are refused and never become dead letters for
    /// it. While a shop's credentials are refused, this host sends none of
    /// its notifications (they are put back for the same wait) except one
    /// probe per wait.
    pub credentials_retry_ms: u64,
    /// How long delivered and superseded notifications are kept after they
    /// finished, in hours (default 168 = 7 days); then the delivery
    /// worker's housekeeping deletes them (every
    /// `lease_release_interval_ms`, in batches of `purge_batch_size`). Dead
    /// letters, pending and in-flight notifications are never deleted by
    /// it. 0 keeps them forever.
    pub retention_hours: u64,
    /// Most rows deleted in one transaction by the retention (default
    /// 1,000), so a large backlog never holds a long transaction.
    pub purge_batch_size: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            backend: Backend::Sqlite,
            database: None,
            postgres_url_env: None,
            postgres_pool_size: 4,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 3_600_000,
            max_attempts: 44,
            concurrency: 16,
            batch_size: 64,
            max_group_commit: 2_048,
            queue_capacity: 1_024,
            lease_margin_ms: 30_000,
            poll_interval_ms: 1_000,
            lease_release_interval_ms: 30_000,
            shutdown_grace_ms: 10_000,
            credentials_retry_ms: 300_000,
            retention_hours: 168,
            purge_batch_size: 1_000,
        }
    }
}

impl OutboxSettings {
    /// Checks that counts and durations are non-zero,
    /// `initial_backoff_ms <= max_backoff_ms`, and that the PostgreSQL
    /// backend names the variable of its URL (a plausible variable name).
    pub fn validate(&self) -> Result<(), SettingsError> {
        nonzero("outbox.postgres_pool_size", self.postgres_pool_size as u64)?;
        if let Some(name) = &self.postgres_url_env {
            check_env_name(name).map_err(|reason| SettingsError::Range {
                field: "outbox.postgres_url_env",
                reason: reason.into(),
            })?;
        }
        if self.backend == Backend::Postgres && self.postgres_url_env.is_none() {
            return Err(SettingsError::Missing {
                field: "outbox.postgres_url_env",
                reason: "backend = \"postgres\" reads the connection URL from this \
                         environment variable"
                    .into(),
            });
        }
        nonzero("outbox.initial_backoff_ms", self.initial_backoff_ms)?;
        nonzero("outbox.max_backoff_ms", self.max_backoff_ms)?;
        nonzero("outbox.max_attempts", u64::from(self.max_attempts))?;
        nonzero("outbox.concurrency", self.concurrency as u64)?;
        nonzero("outbox.batch_size", self.batch_size as u64)?;
        nonzero("outbox.max_group_commit", self.max_group_commit as u64)?;
        nonzero("outbox.queue_capacity", self.queue_capacity as u64)?;
        nonzero("outbox.poll_interval_ms", self.poll_interval_ms)?;
        nonzero(
            "outbox.lease_release_interval_ms",
            self.lease_release_interval_ms,
        )?;
        nonzero("outbox.credentials_retry_ms", self.credentials_retry_ms)?;
        nonzero("outbox.purge_batch_size", self.purge_batch_size as u64)?;
        if self.retention_hours > MAX_RETENTION_HOURS {
            return Err(SettingsError::Range {
                field: "outbox.retention_hours",
                reason: format!(
                    "at most {MAX_RETENTION_HOURS} (100 years); 0 keeps notifications forever"
                ),
            });
        }
        if self.initial_backoff_ms > self.max_backoff_ms {
            return Err(SettingsError::Range {
                field: "outbox.initial_backoff_ms",
                reason: "it must not exceed max_backoff_ms".into(),
            });
        }
        Ok(())
    }

    /// The database file: `database` (relative paths are the caller's to
    /// resolve), else `<data_dir>/outbox/outbox.sqlite3`.
    pub fn database_path(&self, data_dir: &Path) -> PathBuf {
        self.database
            .clone()
            .unwrap_or_else(|| data_dir.join("outbox").join("outbox.sqlite3"))
    }

    /// The PostgreSQL connection URL, read from the environment variable
    /// `postgres_url_env`. The value is a secret: callers never log it.
    pub fn postgres_url(&self) -> Result<String, SettingsError> {
        self.postgres_url_with_env(&|name| std::env::var(name).ok())
    }

    /// [`postgres_url`](Self::postgres_url) with an injected environment
    /// lookup (`None`: unset, or not valid UTF-8).
    pub fn postgres_url_with_env(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, SettingsError> {
        let field = "outbox.postgres_url_env";
        let name = self
            .postgres_url_env
            .as_deref()
            .ok_or_else(|| SettingsError::Missing {
                field,
                reason: "no environment variable is named for the PostgreSQL URL".into(),
            })?;
        let unset = |reason: &str| SettingsError::EnvUnset {
            field,
            var: name.to_owned(),
            reason: reason.into(),
        };
        match env(name) {
            Some(url) if !url.trim().is_empty() => Ok(url),
            Some(_) => Err(unset("it is empty")),
            None => Err(unset("it is not set")),
        }
    }

    /// The first retry's nominal wait.
    pub fn initial_backoff(&self) -> Duration {
        Duration::from_millis(self.initial_backoff_ms)
    }

    /// The longest nominal wait, and the cap on `Retry-After`.
    pub fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms)
    }

    /// `lease_margin_ms`.
    pub fn lease_margin(&self) -> Duration {
        Duration::from_millis(self.lease_margin_ms)
    }

    /// `poll_interval_ms`.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// `lease_release_interval_ms`.
    pub fn lease_release_interval(&self) -> Duration {
        Duration::from_millis(self.lease_release_interval_ms)
    }

    /// `shutdown_grace_ms`.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// `credentials_retry_ms`.
    pub fn credentials_retry(&self) -> Duration {
        Duration::from_millis(self.credentials_retry_ms)
    }

    /// `retention_hours`, or `None` when finished notifications are kept
    /// forever (0).
    pub fn retention(&self) -> Option<Duration> {
        (self.retention_hours > 0).then(|| Duration::from_secs(self.retention_hours * 3600))
    }
}

/// An invalid setting; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `bold_api.base_url` is not usable.
    #[error("bold_api.base_url is invalid: {reason}")]
    BaseUrl {
        /// Why.
        reason: String,
    },
    /// `bold_api.api_version_date` is not a date.
    #[error("bold_api.api_version_date must be a date like 2022-05-01")]
    ApiVersionDate,
    /// A path template is invalid.
    #[error("bold_api.paths.{field} is invalid: {reason}")]
    PathTemplate {
        /// The template's key.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A count or duration is zero.
    #[error("{field} must be greater than zero")]
    Zero {
        /// The key.
        field: &'static str,
    },
    /// A value is out of range.
    #[error("{field} is invalid: {reason}")]
    Range {
        /// The key.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A key that the other settings make required is missing.
    #[error("{field} is required: {reason}")]
    Missing {
        /// The key.
        field: &'static str,
        /// Why it is needed.
        reason: String,
    },
    /// The environment variable a key names has no usable value.
    #[error("{field} names the environment variable {var}, but {reason}")]
    EnvUnset {
        /// The key.
        field: &'static str,
        /// The variable's name (never its value).
        var: String,
        /// Why it cannot be used.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented() {
        let api = BoldApiSettings::default();
        api.validate().unwrap();
        assert_eq!(api.base(), "https://api.boldcommerce.com");
        assert_eq!(
            api.paths.template(EntityKind::Customer, Operation::Saved),
            Some("/platform_connector/{shop_identifier}/customers/saved")
        );
        assert_eq!(
            api.paths.template(EntityKind::Order, Operation::Saved),
            Some("/platform_connector/{shop_identifier}/orders/saved")
        );
        assert_eq!(
            api.paths.template(EntityKind::Order, Operation::Deleted),
            None
        );
        OutboxSettings::default().validate().unwrap();
    }

    #[test]
    fn parses_strictly_with_defaults() {
        let api: BoldApiSettings = toml::from_str(
            "base_url = \"http://127.0.0.1:9000/\"\n[paths]\norder_saved = \"/x/{shop_identifier}/o\"\n",
        )
        .unwrap();
        assert_eq!(api.base(), "http://127.0.0.1:9000");
        assert_eq!(api.paths.order_saved, "/x/{shop_identifier}/o");
        assert_eq!(api.api_version_date, "2022-05-01");
        api.validate().unwrap();
        assert!(toml::from_str::<BoldApiSettings>("base_ur = \"x\"").is_err());
        let outbox: OutboxSettings = toml::from_str("max_attempts = 3").unwrap();
        assert_eq!(outbox.max_attempts, 3);
        assert_eq!(outbox.concurrency, 16);
        assert_eq!(outbox.credentials_retry(), Duration::from_secs(300));
        assert_eq!(outbox.retention(), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(outbox.purge_batch_size, 1_000);
        let outbox: OutboxSettings = toml::from_str(
            "credentials_retry_ms = 60000\nretention_hours = 24\npurge_batch_size = 10",
        )
        .unwrap();
        outbox.validate().unwrap();
        assert_eq!(outbox.credentials_retry(), Duration::from_secs(60));
        assert_eq!(outbox.retention(), Some(Duration::from_secs(86_400)));
        assert_eq!(outbox.purge_batch_size, 10);
        let forever: OutboxSettings = toml::from_str("retention_hours = 0").unwrap();
        forever.validate().unwrap();
        assert_eq!(forever.retention(), None);
        assert!(toml::from_str::<OutboxSettings>("retries = 3").is_err());
    }

    #[test]
    fn rejects_bad_values() {
        let with = |edit: fn(&mut BoldApiSettings)| {
            let mut s = BoldApiSettings::default();
            edit(&mut s);
            s.validate()
        };
        assert!(matches!(
            with(|s| s.base_url = "not a url".into()),
            Err(SettingsError::BaseUrl { .. })
        ));
        assert!(matches!(
            with(|s| s.base_url = "ftp://example.com".into()),
            Err(SettingsError::BaseUrl { .. })
        ));
        assert!(matches!(
            with(|s| s.base_url = "https://user:pw@example.com".into()),
            Err(SettingsError::BaseUrl { .. })
        ));
        assert!(matches!(
            with(|s| s.base_url = "https://example.com/?a=b".into()),
            Err(SettingsError::BaseUrl { .. })
        ));
        assert_eq!(
            with(|s| s.api_version_date = "2022-13-01".into()),
            Err(SettingsError::ApiVersionDate)
        );
        assert_eq!(
            with(|s| s.paths.product_saved = "/products/saved".into()),
            Err(SettingsError::PathTemplate {
                field: "product_saved",
                reason: "it must contain {shop_identifier}".into()
            })
        );
        assert!(matches!(
            with(|s| s.paths.product_saved = "/{shop_identifier}/{id}".into()),
            Err(SettingsError::PathTemplate { .. })
        ));
        assert!(matches!(
            with(|s| s.paths.product_saved = "{shop_identifier}/p".into()),
            Err(SettingsError::PathTemplate { .. })
        ));
        assert_eq!(
            with(|s| s.request_timeout_ms = 0),
            Err(SettingsError::Zero {
                field: "bold_api.request_timeout_ms"
            })
        );
        let outbox = OutboxSettings {
            initial_backoff_ms: 10,
            max_backoff_ms: 5,
            ..OutboxSettings::default()
        };
        assert!(matches!(
            outbox.validate(),
            Err(SettingsError::Range { .. })
        ));
        let outbox = OutboxSettings {
            concurrency: 0,
            ..OutboxSettings::default()
        };
        assert_eq!(
            outbox.validate(),
            Err(SettingsError::Zero {
                field: "outbox.concurrency"
            })
        );
        for (outbox, field) in [
            (
                OutboxSettings {
                    credentials_retry_ms: 0,
                    ..OutboxSettings::default()
                },
                "outbox.credentials_retry_ms",
            ),
            (
                OutboxSettings {
                    purge_batch_size: 0,
                    ..OutboxSettings::default()
                },
                "outbox.purge_batch_size",
            ),
        ] {
            assert_eq!(outbox.validate(), Err(SettingsError::Zero { field }));
        }
        let outbox = OutboxSettings {
            retention_hours: u64::MAX,
            ..OutboxSettings::default()
        };
        assert!(matches!(
            outbox.validate(),
            Err(SettingsError::Range {
                field: "outbox.retention_hours",
                ..
            })
        ));
    }

    #[test]
    fn the_postgres_backend_needs_its_url_variable() {
        let s: OutboxSettings = toml::from_str("backend = \"postgres\"").unwrap();
        assert_eq!(s.backend, Backend::Postgres);
        assert_eq!(s.postgres_pool_size, 4);
        let err = s.validate().unwrap_err();
        assert!(
            matches!(
                err,
                SettingsError::Missing {
                    field: "outbox.postgres_url_env",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("outbox.postgres_url_env"), "{err}");

        let s: OutboxSettings = toml::from_str(
            "backend = \"postgres\"\npostgres_url_env = \"PLUGIN_HOST_TEST_UNSET_PG_URL\"\n\
             postgres_pool_size = 2",
        )
        .unwrap();
        s.validate().unwrap();
        assert_eq!(s.postgres_pool_size, 2);
        let err = s.postgres_url().unwrap_err();
        assert_eq!(
            err,
            SettingsError::EnvUnset {
                field: "outbox.postgres_url_env",
                var: "PLUGIN_HOST_TEST_UNSET_PG_URL".into(),
                reason: "it is not set".into(),
            }
        );
        assert!(err.to_string().contains("PLUGIN_HOST_TEST_UNSET_PG_URL"));

        for bad in ["", "1URL", "PG-URL", "PG URL", "postgresql://x"] {
            let s = OutboxSettings {
                backend: Backend::Postgres,
                postgres_url_env: Some(bad.into()),
                ..OutboxSettings::default()
            };
            assert!(
                matches!(
                    s.validate(),
                    Err(SettingsError::Range {
                        field: "outbox.postgres_url_env",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        let s = OutboxSettings {
            postgres_pool_size: 0,
            ..OutboxSettings::default()
        };
        assert_eq!(
            s.validate(),
            Err(SettingsError::Zero {
                field: "outbox.postgres_pool_size"
            })
        );
        assert!(toml::from_str::<OutboxSettings>("backend = \"mysql\"").is_err());
        // The default is SQLite, which needs no URL.
        let s = OutboxSettings::default();
        assert_eq!(s.backend, Backend::Sqlite);
        s.validate().unwrap();
    }

    #[test]
    fn database_path_defaults_into_the_data_dir() {
        let s = OutboxSettings::default();
        assert_eq!(
            s.database_path(Path::new("/data")),
            PathBuf::from("/data/outbox/outbox.sqlite3")
        );
    }
}
