//! The installs in PostgreSQL (table `plugin_host_shops`), shared by every
//! host behind one load balancer.
//!
//! The `postgres` client drives a runtime of its own: it is only used on
//! blocking threads, and dropped on a thread of its own (see [`Drop`]).

use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::model::ShopRef;
use crate::store::{Row, StateError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS plugin_host_shops (
    plugin       TEXT   NOT NULL,
    platform     TEXT   NOT NULL,
    shop         TEXT   NOT NULL,
    scopes       TEXT   NOT NULL,
    installed_at BIGINT NOT NULL,
    key_id       TEXT   NOT NULL,
    token        BYTEA  NOT NULL,
    PRIMARY KEY (plugin, platform, shop)
);
";

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection made on first use and dropped after an error.
pub(crate) struct Postgres {
    config: Config,
    client: Option<Client>,
}

impl Postgres {
    pub(crate) fn new(url: &str) -> Result<Self, StateError> {
        let mut config = Config::from_str(url).map_err(|_| StateError::BadUrl)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        Ok(Self {
            config,
            client: None,
        })
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StateError> {
        let mut client = match self.client.take() {
            Some(client) if !client.is_closed() => client,
            _ => {
                let mut client = self.config.connect(NoTls).map_err(StateError::Postgres)?;
                client.batch_execute(SCHEMA).map_err(StateError::Postgres)?;
                client
            }
        };
        let result = f(&mut client).map_err(StateError::Postgres);
        if result.is_ok() {
            self.client = Some(client);
        } else {
            drop_off_runtime(client);
        }
        result
    }

    pub(crate) fn put(&mut self, row: &Row) -> Result<(), StateError> {
        self.run(|c| {
            c.execute(
                "INSERT INTO plugin_host_shops
                   (plugin, platform, shop, scopes, installed_at, key_id, token)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (plugin, platform, shop) DO UPDATE SET
                   scopes = excluded.scopes, installed_at = excluded.installed_at,
                   key_id = excluded.key_id, token = excluded.token",
                &[
                    &row.plugin,
                    &row.platform,
                    &row.shop,
                    &row.scopes,
                    &row.installed_at,
                    &row.key_id,
                    &row.token,
                ],
            )
            .map(drop)
        })
    }

    pub(crate) fn get(&mut self, plugin: &str, shop: &ShopRef) -> Result<Option<Row>, StateError> {
        self.run(|c| {
            c.query_opt(
                "SELECT plugin, platform, shop, scopes, installed_at, key_id, token
                 FROM plugin_host_shops WHERE plugin = $1 AND platform = $2 AND shop = $3",
                &[&plugin, &shop.platform(), &shop.shop()],
            )
            .and_then(|row| row.as_ref().map(row_of).transpose())
        })
    }

    pub(crate) fn remove(&mut self, plugin: &str, shop: &ShopRef) -> Result<bool, StateError> {
        self.run(|c| {
            c.execute(
                "DELETE FROM plugin_host_shops WHERE plugin = $1 AND platform = $2 AND shop = $3",
                &[&plugin, &shop.platform(), &shop.shop()],
            )
            .map(|n| n > 0)
        })
    }

    pub(crate) fn list(&mut self) -> Result<Vec<Row>, StateError> {
        self.run(|c| {
            c.query(
                "SELECT plugin, platform, shop, scopes, installed_at, key_id, token
                 FROM plugin_host_shops ORDER BY plugin, platform, shop",
                &[],
            )
            .and_then(|rows| rows.iter().map(row_of).collect())
        })
    }
}

fn row_of(r: &postgres::Row) -> Result<Row, postgres::Error> {
    Ok(Row {
        plugin: r.try_get(0)?,
        platform: r.try_get(1)?,
        shop: r.try_get(2)?,
        scopes: r.try_get(3)?,
        installed_at: r.try_get(4)?,
        key_id: r.try_get(5)?,
        token: r.try_get(6)?,
    })
}

/// Drops a client on a thread of its own: the last owner may be an async
/// task, and dropping the client's runtime there would panic. (Rare: once
/// per broken connection and once at exit.)
fn drop_off_runtime(client: Client) {
    let _ = std::thread::Builder::new()
        .name("state-pg-drop".into())
        .spawn(move || drop(client));
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop_off_runtime(client);
        }
    }
}
