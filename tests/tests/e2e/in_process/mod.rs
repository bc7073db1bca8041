//! End-to-end tests that run the host in this test process: the runtime
//! loading and calling real components, the router through `oneshot`, and
//! `plugin-host invoke` through `cli::run_from`. None starts a process.

mod app;
mod cli;
mod connector_runtime;
mod examples;
mod hostile;
mod plugins;
mod sdk_probe;
