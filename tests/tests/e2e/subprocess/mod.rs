//! End-to-end tests that start `plugin-host` as a real process (the
//! test-only build of it, `CARGO_BIN_EXE_plugin-host-under-test`; see
//! `plugin_tests::server::TestServer`) and talk to it over HTTP on
//! 127.0.0.1, with signals, and through its other commands (`sign`,
//! `outbox`, `new`).

mod calls_out;
mod check;
mod connector;
mod connector_auth;
mod connector_load;
mod http_limits;
mod install;
mod other_languages;
mod reload;
mod scaffold;
mod server;
mod tls;
