//! [`Shops`]: the installs, on SQLite or PostgreSQL, tokens sealed.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use crate::model::{AccessToken, Install, ShopRef};
use crate::seal::{Keys, SealError, Sealed};
use crate::{postgres, sqlite};

/// Why the installs could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The SQLite file could not be opened, read or written.
    #[error("state database {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// PostgreSQL could not be reached, read or written.
    #[error("state database (PostgreSQL): {0}")]
    Postgres(#[source] ::postgres::Error),
    /// The PostgreSQL URL does not parse (the URL itself is not repeated:
    /// it holds a password).
    #[error("the state database URL is not a valid PostgreSQL URL")]
    BadUrl,
    /// A stored token does not open (see [`SealError`]).
    #[error("the token of {plugin} on {shop}: {source}")]
    Seal {
        /// The plugin.
        plugin: String,
        /// The shop.
        shop: String,
        /// Why.
        #[source]
        source: SealError,
    },
    /// The store was opened without a key (to list or remove installs only).
    #[error("no state key was given: installs can be listed and removed, not stored or read")]
    NoKey,
    /// A stored row does not hold a valid shop or token.
    #[error("the state database holds an invalid row for {plugin}: {what}")]
    InvalidRow {
        /// The plugin.
        plugin: String,
        /// What is wrong.
        what: &'static str,
    },
}

/// An install with its token.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The install.
    pub install: Install,
    /// Its token.
    pub token: AccessToken,
}

/// A stored row, as both backends read and write it.
pub(crate) struct Row {
    pub plugin: String,
    pub platform: String,
    pub shop: String,
    pub scopes: String,
    pub installed_at: i64,
    pub key_id: String,
    pub token: Vec<u8>,
}

pub(crate) enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(Box<postgres::Postgres>),
}

/// The installed shops (see the crate docs). Every method blocks.
#[derive(Debug)]
pub struct Shops {
    backend: Mutex<Backend>,
    keys: Option<Keys>,
    description: String,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Sqlite(_) => f.write_str("Sqlite"),
            Backend::Postgres(_) => f.write_str("Postgres"),
        }
    }
}

/// The row's identity, bound into its sealed token.
fn row_identity(plugin: &str, shop: &ShopRef) -> Vec<u8> {
    format!("{plugin}\0{}\0{}", shop.platform(), shop.shop()).into_bytes()
}

impl Shops {
    /// Installs in the SQLite file `path` (created `0600` on first use; its
    /// directory must exist). Without `keys`, installs can be listed and
    /// removed only.
    pub fn sqlite(path: PathBuf, keys: Option<Keys>) -> Self {
        let description = format!("SQLite {}", path.display());
        Self {
            backend: Mutex::new(Backend::Sqlite(sqlite::Sqlite::new(path))),
            keys,
            description,
        }
    }

    /// Installs in the PostgreSQL database at `url` (table
    /// `plugin_host_shops`, created on first use). Only the URL is checked
    /// here; the connection is made on first use. Without `keys`, installs
    /// can be listed and removed only.
    pub fn postgres(url: &str, keys: Option<Keys>) -> Result<Self, StateError> {
        let backend = postgres::Postgres::new(url)?;
        Ok(Self {
            backend: Mutex::new(Backend::Postgres(Box::new(backend))),
            keys,
            description: "PostgreSQL".to_owned(),
        })
    }

    /// Where the installs are kept, for logs (never a password).
    pub fn description(&self) -> &str {
        &self.description
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Backend) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut backend = self.backend.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut backend)
    }

    /// Stores `token` and `install` for its (plugin, shop), replacing an
    /// older install.
    pub fn put(&self, install: &Install, token: &AccessToken) -> Result<(), StateError> {
        let keys = self.keys.as_ref().ok_or(StateError::NoKey)?;
        let sealed = keys
            .seal(
                &row_identity(&install.plugin, &install.shop),
                token.expose().as_bytes(),
            )
            .map_err(|source| StateError::Seal {
                plugin: install.plugin.clone(),
                shop: install.shop.to_string(),
                source,
            })?;
        let row = Row {
            plugin: install.plugin.clone(),
            platform: install.shop.platform().to_owned(),
            shop: install.shop.shop().to_owned(),
            scopes: install.scopes_text(),
            installed_at: install.installed_at_secs(),
            key_id: sealed.key_id,
            token: sealed.bytes,
        };
        self.with(|backend| match backend {
            Backend::Sqlite(db) => db.put(&row),
            Backend::Postgres(db) => db.put(&row),
        })
    }

    /// The install of `plugin` on `shop`, with its token opened.
    pub fn get(&self, plugin: &str, shop: &ShopRef) -> Result<Option<Installed>, StateError> {
        let keys = self.keys.as_ref().ok_or(StateError::NoKey)?;
        let row = self.with(|backend| match backend {
            Backend::Sqlite(db) => db.get(plugin, shop),
            Backend::Postgres(db) => db.get(plugin, shop),
        })?;
        let Some(row) = row else { return Ok(None) };
        let install = install_of(&row)?;
        let sealed = Sealed {
            key_id: row.key_id,
            bytes: row.token,
        };
        let plain = keys
            .open(&row_identity(plugin, shop), &sealed)
            .map_err(|source| StateError::Seal {
                plugin: plugin.to_owned(),
                shop: shop.to_string(),
                source,
            })?;
        let token = String::from_utf8(plain).map_err(|_| StateError::InvalidRow {
            plugin: plugin.to_owned(),
            what: "the token is not UTF-8",
        })?;
        Ok(Some(Installed {
            install,
            token: AccessToken::new(token),
        }))
    }

    /// Deletes the install of `plugin` on `shop`; whether there was one.
    pub fn remove(&self, plugin: &str, shop: &ShopRef) -> Result<bool, StateError> {
        self.with(|backend| match backend {
            Backend::Sqlite(db) => db.remove(plugin, shop),
            Backend::Postgres(db) => db.remove(plugin, shop),
        })
    }

    /// Every install (tokens left sealed), by plugin, platform and shop.
    pub fn list(&self) -> Result<Vec<Install>, StateError> {
        let rows = self.with(|backend| match backend {
            Backend::Sqlite(db) => db.list(),
            Backend::Postgres(db) => db.list(),
        })?;
        rows.iter().map(install_of).collect()
    }
}

fn install_of(row: &Row) -> Result<Install, StateError> {
    let shop = ShopRef::new(&row.platform, &row.shop).map_err(|_| StateError::InvalidRow {
        plugin: row.plugin.clone(),
        what: "the platform or shop is not a valid name",
    })?;
    Ok(Install {
        plugin: row.plugin.clone(),
        shop,
        scopes: Install::scopes_from_text(&row.scopes),
        installed_at: Install::time_from_secs(row.installed_at),
    })
}
