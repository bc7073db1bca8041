//! `plugin-host shops list|remove --config FILE`: the shops plugins are
//! installed on (plugin, platform, shop, granted scopes, installed at),
//! from the host file's store (`<data_dir>/state/shops.sqlite3`, or the
//! outbox's PostgreSQL), also while the server runs. Tokens are never
//! shown, and no key is needed: they stay sealed.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::{HostConfig, process_env};
use crate::outbox::Backend;
use crate::server::state::{open_shops, sqlite_path};
use crate::state::{Install, ShopRef, Shops};

/// Arguments of `plugin-host shops`.
#[derive(Debug, Args)]
pub struct ShopsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ShopsCommand,
    /// The host file whose installs to open. Plugins and their secrets are
    /// not loaded.
    #[arg(long, global = true, value_name = "host.toml")]
    pub config: Option<PathBuf>,
}

/// The `shops` subcommands.
#[derive(Debug, Subcommand)]
pub enum ShopsCommand {
    /// List installs: plugin, platform, shop, granted scopes, installed at.
    List {
        /// Only this plugin's.
        #[arg(long)]
        plugin: Option<String>,
        /// A JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Forget a shop's install (its token is deleted; the plugin treats the
    /// shop as not installed until it installs again).
    Remove {
        /// The plugin.
        #[arg(long)]
        plugin: String,
        /// The platform (e.g. shopify).
        #[arg(long)]
        platform: String,
        /// The shop (e.g. example.myshopify.com).
        #[arg(long)]
        shop: String,
    },
}

/// Runs the command; returns the exit status (0 ok, 1 store failure, 2
/// usage or configuration).
pub fn run(args: &ShopsArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match execute(args, stdout, &process_env) {
        Ok(()) => 0,
        Err((code, message)) => {
            let _ = writeln!(stderr, "error: {message}");
            code
        }
    }
}

fn execute(
    args: &ShopsArgs,
    stdout: &mut dyn Write,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), (u8, String)> {
    let config = args
        .config
        .as_ref()
        .ok_or((2, "name the host file with --config".to_owned()))?;
    let (data_dir, outbox) =
        HostConfig::storage_settings(config).map_err(|e| (2, e.to_string()))?;
    let sqlite = sqlite_path(&data_dir);
    let nothing_yet = outbox.backend == Backend::Sqlite && !sqlite.exists();
    let open = || open_shops(&outbox, &data_dir, None, env).map_err(|e| (1, e.to_string()));
    match &args.command {
        ShopsCommand::List { plugin, json } => {
            let mut installs = if nothing_yet {
                Vec::new()
            } else {
                open()?.list().map_err(|e| (1, e.to_string()))?
            };
            installs.retain(|i| plugin.as_ref().is_none_or(|p| *p == i.plugin));
            let text = if *json {
                format!("{}\n", as_json(&installs))
            } else {
                as_table(&installs)
            };
            let _ = stdout.write_all(text.as_bytes());
            Ok(())
        }
        ShopsCommand::Remove {
            plugin,
            platform,
            shop,
        } => {
            let shop = ShopRef::new(platform, shop).map_err(|e| (2, e.to_string()))?;
            let removed = !nothing_yet && remove(&open()?, plugin, &shop)?;
            if !removed {
                return Err((1, format!("{plugin} is not installed on {shop}")));
            }
            let _ = writeln!(stdout, "removed: {plugin} on {shop}");
            Ok(())
        }
    }
}

fn remove(shops: &Shops, plugin: &str, shop: &ShopRef) -> Result<bool, (u8, String)> {
    shops.remove(plugin, shop).map_err(|e| (1, e.to_string()))
}

fn rfc3339(install: &Install) -> String {
    time::OffsetDateTime::from_unix_timestamp(install.installed_at_secs())
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| install.installed_at_secs().to_string())
}

fn as_json(installs: &[Install]) -> String {
    let rows: Vec<_> = installs
        .iter()
        .map(|i| {
            serde_json::json!({
                "plugin": i.plugin,
                "platform": i.shop.platform(),
                "shop": i.shop.shop(),
                "scopes": i.scopes,
                "installed_at": rfc3339(i),
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn as_table(installs: &[Install]) -> String {
    if installs.is_empty() {
        return "no installs\n".to_owned();
    }
    let rows: Vec<[String; 5]> = installs
        .iter()
        .map(|i| {
            [
                i.plugin.clone(),
                i.shop.platform().to_owned(),
                i.shop.shop().to_owned(),
                i.scopes.join(" "),
                rfc3339(i),
            ]
        })
        .collect();
    let header = ["PLUGIN", "PLATFORM", "SHOP", "SCOPES", "INSTALLED AT"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
