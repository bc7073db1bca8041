//! `plugin-host`: runs Bold Checkout plugins compiled to WebAssembly
//! components, each call in a fresh sandbox with fuel, memory and time
//! limits, and answers Bold (or, for a platform connector, delivers its
//! notifications durably).
//!
//! A request goes down through the layers and back up, never sideways:
//! [`http`] (transport) → [`dispatch`] (what the call means for Bold) →
//! [`runtime`] (the sandbox) → back.

#![warn(missing_docs)]

pub mod cli; // the command line: clap definitions and one module per command
pub mod config; // host.toml, plugin manifests, connector settings, secret sources
pub mod dispatch; // Bold's protocol: registry, admission, answers, notifications
pub mod fault; // the fault kinds: words used in logs, metrics and error bodies
pub mod http; // transport: routes, request checks, observe layer, ApiError
pub mod metrics; // Prometheus metrics of the endpoint and the outbox
pub use plugin_host_outbox as outbox; // durable notification queue, delivery to Bold
pub mod runtime; // the WIT sandbox: engine, limits, imports, sandbox threads
pub mod server; // serve: bind, loader, reload, outbox opening, shutdown
pub use plugin_host_signature as signature; // HMAC signatures: cavage, platform body
pub use plugin_host_state as state; // installed shops, tokens sealed at rest
