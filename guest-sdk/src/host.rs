//! What the host offers a handler: its config and a log.
//!
//! Handlers get a `&dyn Host`. In the component it is [`WasmHost`] (the WIT
//! imports `log` and `config`); in native tests it is
//! [`TestHost`](crate::testing::TestHost), so tests never touch an import.

use std::fmt;
use std::str::FromStr;

use crate::error::HandlerError;

/// Severity of a log record; mirrors the WIT `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Information useful when debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the handler recovered from.
    Warn,
    /// A failure.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

/// The host's services. Object-safe: handlers receive `&dyn Host`.
///
/// The convenience methods (`info`, `config_or`, ...) live on `dyn Host`.
pub trait Host {
    /// The value of one of the plugin's settings (from its manifest), if set.
    fn config(&self, key: &str) -> Option<String>;
    /// Every setting of the plugin, as key/value pairs.
    fn config_all(&self) -> Vec<(String, String)>;
    /// Writes one log record with key/value fields. The host caps the bytes
    /// logged per invocation; logging never fails. Do not log personal data.
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
}

impl dyn Host + '_ {
    /// Logs `message` at [`Level::Trace`].
    pub fn trace(&self, message: &str) {
        self.log(Level::Trace, message, &[]);
    }

    /// Logs `message` at [`Level::Debug`].
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message, &[]);
    }

    /// Logs `message` at [`Level::Info`].
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message, &[]);
    }

    /// Logs `message` at [`Level::Warn`].
    pub fn warn(&self, message: &str) {
        self.log(Level::Warn, message, &[]);
    }

    /// Logs `message` at [`Level::Error`].
    pub fn error(&self, message: &str) {
        self.log(Level::Error, message, &[]);
    }

    /// The setting `key` parsed as `T` (surrounding whitespace ignored), or
    /// `default` when it is not set. A value that does not parse is
    /// [`HandlerError::Failed`] naming the key.
    ///
    /// ```
    /// use plugin_sdk::{Host, HandlerError, testing::TestHost};
    /// let test_host = TestHost::new().with_config("stock", "5").with_config("price", "cheap");
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.config_or("stock", 100_i64), Ok(5));
    /// assert_eq!(host.config_or("missing", 100_i64), Ok(100));
    /// assert!(matches!(host.config_or("price", 0_i64), Err(HandlerError::Failed(m)) if m.contains("price")));
    /// ```
    pub fn config_or<T>(&self, key: &str, default: T) -> Result<T, HandlerError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.config(key) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|e| {
                HandlerError::Failed(format!("config `{key}`: invalid value {value:?}: {e}"))
            }),
        }
    }
}

/// The host as seen from inside the component: the WIT imports `log` and
/// `config`. Only exists on `wasm32` (and in docs); the export glue hands it
/// to handlers.
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
}
