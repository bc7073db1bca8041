//! The environment of a child cargo that builds crates outside the build
//! running it: this process's, minus everything cargo sets for build
//! scripts, tests and compilers or that would change how the child
//! compiles (flags, wrappers, target dir, target, profile, cfgs,
//! jobserver, coverage). Registry and network settings, `CARGO_HOME` and
//! rustup's variables stay.
//!
//! Shared by `build.rs` (the guest components) and the end-to-end tests
//! (crates written by `plugin-host new`).

use std::ffi::OsString;

/// This process's environment without what a child cargo must not inherit.
pub fn clean_env() -> Vec<(OsString, OsString)> {
    const REMOVE: &[&str] = &[
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
        "MAKEFLAGS",
        "MFLAGS",
        "LLVM_PROFILE_FILE",
    ];
    const KEEP_CARGO: &[&str] = &[
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_HTTP_",
    ];
    std::env::vars_os()
        .filter(|(key, _)| {
            let Some(key) = key.to_str() else {
                return true;
            };
            if REMOVE.contains(&key) || key.starts_with("__CARGO") {
                return false;
            }
            // RUSTC, RUSTC_WRAPPER, RUSTC_WORKSPACE_WRAPPER, RUSTC_LINKER, ...
            if key.starts_with("RUSTC") && key != "RUSTC_BOOTSTRAP" {
                return false;
            }
            // CARGO, CARGO_CFG_*, CARGO_FEATURE_*, CARGO_PKG_*,
            // CARGO_ENCODED_RUSTFLAGS, CARGO_TARGET_DIR, CARGO_BUILD_*,
            // CARGO_PROFILE_*, CARGO_MAKEFLAGS, CARGO_LLVM_COV*, ...
            if key.starts_with("CARGO") {
                return KEEP_CARGO.iter().any(|keep| key.starts_with(keep));
            }
            true
        })
        .collect()
}
