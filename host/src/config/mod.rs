//! What the operator writes: the host file (`host.toml`), one manifest per
//! plugin (`plugin.toml`), a connector's `[connector]` table, and where
//! secrets come from. Read strictly: unknown keys, unreadable files and
//! missing secrets are errors that name the file and the field.
//!
//! - [`host`]: the host file and the plugins it names ([`HostConfig`]).
//! - [`manifest`]: one plugin's manifest ([`Manifest`]).
//! - [`connector`]: `[connector]` ([`ConnectorSettings`]).
//! - [`http`]: `[http]`, the listeners' deadlines and bounds ([`HttpSettings`]).
//! - [`install`]: the install flow's `[oauth]`, `[bold_checkout]` and `[state]`.
//! - [`outbound`]: outbound HTTP a manifest grants (`[outbound]`).
//! - [`secrets`]: secret sources, read from the environment or files.
//! - [`tls`]: `[tls]`, HTTPS on the plugin listener ([`TlsSettings`]).

pub mod connector;
pub mod host;
pub mod http;
pub mod install;
pub mod manifest;
pub mod outbound;
pub mod secrets;
pub mod tls;

pub use connector::{BoldAuth, ConnectorSecrets, ConnectorSettings, XHmacSettings};
pub use host::{ConfigError, ConfiguredPlugin, HostConfig, LogFormat};
pub use http::HttpSettings;
pub use install::{BoldCheckoutSettings, OAuthSettings, TokenHeader};
pub use manifest::{Manifest, ManifestDefaults, ManifestError, OnError, SignaturePolicy};
pub use secrets::{OneOrTwo, SecretValue, process_env};
pub use tls::{TlsError, TlsIdentity, TlsSettings};
