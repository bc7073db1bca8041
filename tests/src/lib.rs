//! End-to-end tests for the plugin host: the host running components built
//! from `plugins/` and `tests/guests/`.
//!
//! The build script (`build.rs`) compiles the guest components for
//! `wasm32-wasip2` (release) into `target/guests` before the tests are
//! compiled; [`guests`] holds their paths.

/// The workspace root (absolute path).
pub const WORKSPACE: &str = env!("PLUGIN_TESTS_WORKSPACE");

/// The SDK's fixture events, `<workspace>/guest-sdk/fixtures` (absolute path).
pub const FIXTURES: &str = env!("PLUGIN_TESTS_FIXTURES");

/// Absolute paths of the guest components, built by `build.rs` with
/// `cargo build --release --target wasm32-wasip2` into
/// `<workspace>/target/guests/wasm32-wasip2/release/`:
///
/// - [`EXAMPLE_CHECKOUT`](guests::EXAMPLE_CHECKOUT): `plugins/example-checkout`.
/// - [`GIFT_WRAP`](guests::GIFT_WRAP): `plugins/gift-wrap`.
/// - [`PLATFORM_SYNC`](guests::PLATFORM_SYNC): `plugins/platform-sync`, a
///   platform connector.
/// - [`LOYALTY_POINTS`](guests::LOYALTY_POINTS): `plugins/loyalty-points`, a
///   checkout plugin that calls a loyalty service and Bold's API.
/// - [`HOSTILE`](guests::HOSTILE): `tests/guests/hostile`, which misbehaves
///   according to the event name (see that crate's documentation).
/// - [`SDK_PROBE`](guests::SDK_PROBE): `tests/guests/sdk-probe`, which reports
///   what `plugin-sdk`'s event accessors read (its wasm-only code under test).
/// - [`CALLER`](guests::CALLER): `tests/guests/caller`, which reports the
///   call's shop and calls Bold's API and granted hosts (contract 0.1.1).
pub mod guests {
    include!(concat!(env!("OUT_DIR"), "/guests.rs"));
}

pub mod child_env;
pub mod mocks;
pub mod server;
pub mod support;
