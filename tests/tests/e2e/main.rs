//! The end-to-end suite, in one test binary: every module shares one linked
//! binary (each test binary links the whole host, so one instead of ten
//! saves minutes of linking and gigabytes of disk) and one in-process
//! runtime. `isolation.rs` stays a binary of its own: it measures latency
//! and must not share the machine with the rest of the suite.
//!
//! Run one module with a filter: `cargo test -p plugin-tests --test e2e connector::`.

mod app;
mod cli;
mod connector;
mod connector_load;
mod connector_runtime;
mod examples;
mod hostile;
mod plugins;
mod reload;
mod sdk_probe;
mod server;
