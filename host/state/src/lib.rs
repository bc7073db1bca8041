//! The host's installed shops: for each (plugin, platform, shop) that went
//! through Bold's installation flow, the shop's access token and the scopes
//! Bold granted, kept until the uninstall call.
//!
//! - Tokens are sealed at rest ([`seal`]): ChaCha20-Poly1305 under the
//!   operator's 256-bit key, bound to their row (plugin, platform, shop), so
//!   a token copied into another row does not open. A second key can be
//!   given during a rotation; rows sealed with it keep opening and are
//!   sealed with the current key when the shop installs again.
//! - [`AccessToken`] and [`StateKey`] never print their value (`Debug` is
//!   redacted) and nothing here logs one.
//! - Two backends behind [`Shops`]: an embedded SQLite file (the default)
//!   and PostgreSQL (several hosts behind one load balancer share installs).
//!   Both connect on first use and again after an error, so a database that
//!   is down at start-up only fails the calls that need it.
//!
//! Everything here blocks: call it from a blocking thread
//! (`tokio::task::spawn_blocking`) or a command-line tool.

mod model;
mod postgres;
pub mod seal;
mod sqlite;
mod store;

pub use model::{AccessToken, Install, ShopRef, ShopRefError};
pub use seal::{KeyError, StateKey};
pub use store::{Installed, Shops, StateError};
