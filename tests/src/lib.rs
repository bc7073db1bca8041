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

/// The JavaScript and Python example components, built outside cargo by
/// `scripts/build-js-guests.sh` and `scripts/build-py-guests.sh` (the
/// README's test command runs both; they are cached by source hash).
pub mod other_languages {
    use std::path::PathBuf;

    /// `plugins/example-checkout-js`, built with componentize-js.
    pub fn example_checkout_js() -> String {
        built(
            "target/js/example_checkout_js.wasm",
            "scripts/build-js-guests.sh",
        )
    }

    /// `tests/guests/thrower-js`, which throws by event name (see its
    /// source), built with componentize-js.
    pub fn thrower_js() -> String {
        built("target/js/thrower_js.wasm", "scripts/build-js-guests.sh")
    }

    /// `plugins/example-checkout-py`, built with componentize-py.
    pub fn example_checkout_py() -> String {
        built(
            "target/py/example_checkout_py.wasm",
            "scripts/build-py-guests.sh",
        )
    }

    fn built(path: &str, script: &str) -> String {
        let full = PathBuf::from(crate::WORKSPACE).join(path);
        assert!(
            full.is_file(),
            "{} is missing: run `{script}` first (`.ci/test-all`, the README's test command, does)",
            full.display()
        );
        full.display().to_string()
    }
}
