//! The installs in an embedded SQLite file (the default backend).

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::model::ShopRef;
use crate::store::{Row, StateError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shops (
    plugin       TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    shop         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    installed_at INTEGER NOT NULL,
    key_id       TEXT    NOT NULL,
    token        BLOB    NOT NULL,
    PRIMARY KEY (plugin, platform, shop)
) STRICT;
";

/// A connection opened on first use and dropped after an error, so the
/// next call opens a fresh one.
pub(crate) struct Sqlite {
    path: PathBuf,
    conn: Option<Connection>,
}

impl Sqlite {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, conn: None }
    }

    fn error(&self, source: rusqlite::Error) -> StateError {
        StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        create_private_file(&self.path);
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }

    /// Runs `f` on the connection; an error drops it.
    fn run<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StateError> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.open().map_err(|e| self.error(e))?,
        };
        match f(&conn) {
            Ok(value) => {
                self.conn = Some(conn);
                Ok(value)
            }
            Err(err) => Err(self.error(err)),
        }
    }

    pub(crate) fn put(&mut self, row: &Row) -> Result<(), StateError> {
        self.run(|conn| {
            conn.prepare_cached(
                "INSERT INTO shops (plugin, platform, shop, scopes, installed_at, key_id, token)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (plugin, platform, shop) DO UPDATE SET
                   scopes = excluded.scopes, installed_at = excluded.installed_at,
                   key_id = excluded.key_id, token = excluded.token",
            )?
            .execute(params![
                row.plugin,
                row.platform,
                row.shop,
                row.scopes,
                row.installed_at,
                row.key_id,
                row.token
            ])
            .map(drop)
        })
    }

    pub(crate) fn get(&mut self, plugin: &str, shop: &ShopRef) -> Result<Option<Row>, StateError> {
        self.run(|conn| {
            conn.prepare_cached(
                "SELECT plugin, platform, shop, scopes, installed_at, key_id, token FROM shops
                 WHERE plugin = ?1 AND platform = ?2 AND shop = ?3",
            )?
            .query_row(params![plugin, shop.platform(), shop.shop()], row_of)
            .optional()
        })
    }

    pub(crate) fn remove(&mut self, plugin: &str, shop: &ShopRef) -> Result<bool, StateError> {
        self.run(|conn| {
            conn.prepare_cached(
                "DELETE FROM shops WHERE plugin = ?1 AND platform = ?2 AND shop = ?3",
            )?
            .execute(params![plugin, shop.platform(), shop.shop()])
            .map(|n| n > 0)
        })
    }

    pub(crate) fn list(&mut self) -> Result<Vec<Row>, StateError> {
        self.run(|conn| {
            conn.prepare_cached(
                "SELECT plugin, platform, shop, scopes, installed_at, key_id, token FROM shops
                 ORDER BY plugin, platform, shop",
            )?
            .query_map([], row_of)?
            .collect()
        })
    }
}

fn row_of(r: &rusqlite::Row<'_>) -> Result<Row, rusqlite::Error> {
    Ok(Row {
        plugin: r.get(0)?,
        platform: r.get(1)?,
        shop: r.get(2)?,
        scopes: r.get(3)?,
        installed_at: r.get(4)?,
        key_id: r.get(5)?,
        token: r.get(6)?,
    })
}

/// Creates the database file readable by the host's user only (on unix),
/// before SQLite creates it with the default mode. An existing file is left
/// as it is; a failure here surfaces when SQLite opens the file.
fn create_private_file(path: &std::path::Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = options.open(path);
}
