//! The installed shops of a server whose host file has `[state]`: SQLite in
//! `<data_dir>/state/shops.sqlite3` (directory `0700`, file `0600`), or
//! PostgreSQL when the outbox is on PostgreSQL (hosts behind one load
//! balancer share installs). The store connects on first use: a database
//! that is down at start-up fails only the install calls made while it is.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{HostConfig, SecretValue};
use crate::dispatch::Installer;
use crate::outbox::{Backend, OutboxSettings, SettingsError};
use crate::runtime::private_dir;
use crate::state::seal::Keys;
use crate::state::{KeyError, Shops, StateError, StateKey};

/// Why the installed shops could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StateOpenError {
    /// A key does not parse (checked when the host file was read; kept for
    /// callers that build keys themselves).
    #[error("[state]: {0}")]
    Key(#[from] KeyError),
    /// The state directory cannot be created.
    #[error("cannot create the state directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The PostgreSQL URL is not available.
    #[error("installs on PostgreSQL: {0}")]
    Settings(#[from] SettingsError),
    /// The store refused its settings.
    #[error("{0}")]
    State(#[from] StateError),
    /// The HTTP client for Bold could not be built.
    #[error("cannot build the HTTP client for Bold Checkout: {0}")]
    Client(#[from] reqwest::Error),
}

/// The SQLite file of the installs under `data_dir`.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("state").join("shops.sqlite3")
}

/// The keys, current first (`None` when none is given).
pub fn keys(values: &[SecretValue]) -> Result<Option<Keys>, StateOpenError> {
    let mut parsed = values.iter().map(|v| StateKey::parse(v.expose()));
    let Some(current) = parsed.next().transpose()? else {
        return Ok(None);
    };
    let previous = parsed.next().transpose()?;
    Ok(Some(Keys::new(current, previous)))
}

/// The installs where `outbox` and `data_dir` say, sealed with `keys`.
pub fn open_shops(
    outbox: &OutboxSettings,
    data_dir: &Path,
    keys: Option<Keys>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shops, StateOpenError> {
    match outbox.backend {
        Backend::Postgres => {
            let url = outbox.postgres_url_with_env(env)?;
            Ok(Shops::postgres(&url, keys)?)
        }
        Backend::Sqlite => {
            let path = sqlite_path(data_dir);
            if let Some(dir) = path.parent() {
                private_dir::create(dir).map_err(|source| StateOpenError::Directory {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            Ok(Shops::sqlite(path, keys))
        }
    }
}

/// The install flow of `config`, or `None` when its host file has no
/// `[state]` (then no plugin has `[oauth]`: the configuration was checked).
pub(super) fn open_installer(
    config: &HostConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Installer>, StateOpenError> {
    let Some(keys) = keys(&config.state_keys)? else {
        return Ok(None);
    };
    let shops = open_shops(&config.outbox, &config.data_dir, Some(keys), env)?;
    tracing::info!(
        store = shops.description(),
        bold_checkout = %config.bold_checkout.base_url,
        "installed shops"
    );
    Ok(Some(Installer::new(
        config.bold_checkout.clone(),
        Arc::new(shops),
    )?))
}
