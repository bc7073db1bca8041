//! `plugin-host`: runs Bold Checkout plugins compiled to WebAssembly
//! components, each event in a fresh sandbox with fuel, memory and time
//! limits, and validates the actions they return.
//!
//! The pieces:
//! - [`runtime`]: the engine, compiled and pre-linked plugins, invocations.
//! - [`actions`]: validation of what a handler returns, Bold's response.
//! - [`limits`] and [`fault`]: the agreed defaults and failure words.
//! - [`config`]: the host file (`host.toml`) and the manifests it names.
//! - [`manifest`]: a plugin's `plugin.toml`.
//! - [`cli`] and [`invoke`]: the command line.

#![warn(missing_docs)]

pub mod actions;
pub mod cli;
pub mod config;
pub mod connector;
pub mod fault;
pub mod http;
pub mod invoke;
pub mod limits;
pub mod manifest;
pub mod metrics;
pub mod native;
pub mod outbox;
pub mod outbox_command;
pub mod registry;
pub mod runtime;
pub mod sandbox_pool;
pub mod serve;
pub mod sign;
pub mod signature;
