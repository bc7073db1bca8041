//! The end-to-end suite, in one test binary: every module shares one linked
//! binary (each test binary links the whole host, so one instead of ten
//! saves minutes of linking and gigabytes of disk) and one in-process
//! runtime. `isolation.rs` stays a binary of its own: it measures latency
//! and must not share the machine with the rest of the suite.
//!
//! The tests are in two groups, told apart by the first part of their
//! names:
//!
//! - [`in_process`]: the host as a library inside this test binary (the
//!   runtime loading and calling components, the router through `oneshot`,
//!   `cli::run_from` for `plugin-host invoke`).
//! - [`subprocess`]: `plugin-host` started as a real process (the test-only
//!   build of it, `plugin-host-under-test`), talked to over HTTP on
//!   127.0.0.1, by signals and through its other commands; with mock
//!   platform and Bold APIs for the connector.
//!
//! Run a group or one module with a filter (neither group's name contains
//! the other's):
//!
//! ```sh
//! cargo test -p plugin-tests --test e2e in_process::
//! cargo test -p plugin-tests --test e2e subprocess::
//! cargo test -p plugin-tests --test e2e subprocess::connector::
//! ```

mod in_process;
mod subprocess;
