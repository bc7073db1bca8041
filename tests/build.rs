//! Builds the guest components the end-to-end tests run, before the tests
//! are compiled (as wasmtime's `test-programs` and Spin do).
//!
//! It runs `cargo build --release --target wasm32-wasip2` for the guests of
//! this workspace in a target directory of their own (`target/guests`), so
//! it never waits on the lock of the build that runs it, with an environment
//! cleaned of everything the outer build sets for build scripts (flags,
//! wrappers, cfgs, jobserver). It then writes `$OUT_DIR/guests.rs` with the
//! absolute path of each `.wasm`, and sets `PLUGIN_TESTS_WORKSPACE` and
//! `PLUGIN_TESTS_FIXTURES` for `src/lib.rs`.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// The child's environment, shared with the end-to-end tests.
#[path = "src/child_env.rs"]
mod child_env;

/// The target the guests are built for.
const TARGET: &str = "wasm32-wasip2";

/// The guests: (cargo package, const name in `guests.rs`).
const GUESTS: &[(&str, &str)] = &[
    ("example-checkout", "EXAMPLE_CHECKOUT"),
    ("gift-wrap", "GIFT_WRAP"),
    ("platform-sync", "PLATFORM_SYNC"),
    ("loyalty-points", "LOYALTY_POINTS"),
    ("hostile", "HOSTILE"),
    ("sdk-probe", "SDK_PROBE"),
    ("caller", "CALLER"),
];

/// What the guests are built from: any change here rebuilds them (cargo
/// walks directories).
const INPUTS: &[&str] = &[
    "wit",
    "guest-sdk",
    "plugins",
    "tests/guests",
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain.toml",
    ".cargo/config.toml",
];

/// Lines of the child build's stderr shown when it fails.
const STDERR_TAIL: usize = 60;

fn main() {
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf();
    let out_dir = PathBuf::from(var("OUT_DIR"));
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let target_dir = workspace.join("target").join("guests");

    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    let child_env = child_env::clean_env();
    check_target_installed(&workspace, &child_env);

    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&workspace)
        .env_clear()
        .envs(child_env.iter().map(|(k, v)| (k, v)))
        // A `build.build-dir` from the user's config would otherwise be
        // shared with (and locked by) the outer build.
        .env("CARGO_BUILD_BUILD_DIR", &target_dir)
        .arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (package, _) in GUESTS {
        cmd.arg("-p").arg(package);
    }
    let reproduce = reproduce_command(&cargo, &workspace, &target_dir);

    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => fail(&format!(
            "could not run {}: {e}\nto reproduce: {reproduce}",
            Path::new(&cargo).display()
        )),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(STDERR_TAIL)..].join("\n");
        fail(&format!(
            "building the guest components failed ({})\n\
             --- last {STDERR_TAIL} lines of its stderr ---\n{tail}\n\
             --- end ---\nto reproduce: {reproduce}",
            output.status
        ));
    }

    let wasm_dir = target_dir.join(TARGET).join("release");
    let mut guests_rs = String::new();
    for (package, const_name) in GUESTS {
        let path = wasm_dir.join(format!("{}.wasm", package.replace('-', "_")));
        if !path.is_file() {
            fail(&format!(
                "the guest build succeeded but {} is missing\nto reproduce: {reproduce}",
                path.display()
            ));
        }
        let path = path.to_str().unwrap_or_else(|| {
            fail(&format!("{} is not valid UTF-8", path.display()));
        });
        writeln!(
            guests_rs,
            "/// The `{package}` component (`{TARGET}`, release).\n\
             pub const {const_name}: &str = {path:?};"
        )
        .expect("writing to a String cannot fail");
    }
    let generated = out_dir.join("guests.rs");
    if let Err(e) = fs::write(&generated, guests_rs) {
        fail(&format!("could not write {}: {e}", generated.display()));
    }

    let (Some(ws), Some(fixtures)) = (
        workspace.to_str(),
        workspace
            .join("guest-sdk")
            .join("fixtures")
            .to_str()
            .map(str::to_owned),
    ) else {
        fail(&format!("{} is not valid UTF-8", workspace.display()));
    };
    println!("cargo:rustc-env=PLUGIN_TESTS_WORKSPACE={ws}");
    println!("cargo:rustc-env=PLUGIN_TESTS_FIXTURES={fixtures}");
}

/// Fails with a clear message if the child's rustc lacks the wasm target.
fn check_target_installed(workspace: &Path, child_env: &[(OsString, OsString)]) {
    let output = Command::new("rustc")
        .current_dir(workspace)
        .env_clear()
        .envs(child_env.iter().map(|(k, v)| (k, v)))
        .args(["--print", "sysroot"])
        .output();
    let sysroot = match output {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        Ok(o) => fail(&format!(
            "`rustc --print sysroot` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => fail(&format!("could not run `rustc --print sysroot`: {e}")),
    };
    let target_lib = sysroot.join("lib").join("rustlib").join(TARGET);
    if !target_lib.is_dir() {
        fail(&format!(
            "the {TARGET} target is missing: run `rustup target add {TARGET}` \
             (looked for {})",
            target_lib.display()
        ));
    }
}

/// The shell command that repeats the child build.
fn reproduce_command(cargo: &OsString, workspace: &Path, target_dir: &Path) -> String {
    let mut command = format!(
        "cd {} && {} build --release --target {TARGET} --target-dir {}",
        workspace.display(),
        Path::new(cargo).display(),
        target_dir.display()
    );
    for (package, _) in GUESTS {
        command.push_str(" -p ");
        command.push_str(package);
    }
    command
}

fn var(key: &str) -> String {
    env::var(key).unwrap_or_else(|_| fail(&format!("cargo did not set {key}")))
}

/// Reports a failure and stops the build: a `cargo:warning` with the first
/// line, and the whole message on stderr (which cargo shows for a failed
/// build script). Not a panic: a backtrace would bury the message.
fn fail(message: &str) -> ! {
    let first_line = message.lines().next().unwrap_or(message);
    println!("cargo:warning=plugin-tests: {first_line}");
    eprintln!("error: {message}");
    std::process::exit(1);
}
