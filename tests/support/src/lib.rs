//! Test helpers shared by the workspace's tests (test code only; nothing
//! here depends on `plugin-host` or `plugin-sdk`):
//!
//! - [`mock_bold`]: a mock of Bold's API on 127.0.0.1 that records every
//!   request and answers from a script. The host's outbox delivery tests
//!   and the end-to-end connector tests both use it. Feature `mock-bold`
//!   (on by default).
//! - [`pg_server`]: a throwaway PostgreSQL server started from the
//!   installed binaries, one database per test (the outbox's PostgreSQL
//!   tests and the host's). Feature `pg-server`.
//! - [`fuzz_corpus`]: the committed fuzz corpora, read back for the tests
//!   that replay them.
//! - [`random_json`]: deterministic random JSON rich in what the SDK's
//!   skimmer looks for, for the skimmer's unit tests and the end-to-end test
//!   that runs the SDK compiled for wasm.

pub mod fuzz_corpus;
#[cfg(feature = "mock-bold")]
pub mod mock_bold;
#[cfg(feature = "pg-server")]
pub mod pg_server;
pub mod random_json;
