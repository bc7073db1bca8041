//! `plugin-host new`: the crate it writes passes its own tests and `cargo
//! fmt --check`, builds for `wasm32-wasip2`, and its component answers
//! under `plugin-host invoke` and, for the checkout plugin, under `serve`
//! with the generated host file (`sign --send`, as its README says). A
//! second `new` into the same directory exits 2 and changes nothing.
//!
//! The crates depend on this checkout's SDK (`--sdk-path
//! <workspace>/guest-sdk`), with the workspace's `Cargo.lock`, and are
//! built by a child cargo with a clean environment
//! ([`plugin_tests::child_env`]) in
//! `<workspace>/target/scaffold`, which later runs reuse: a warm run costs
//! a few seconds per crate, a cold one compiles the SDK's dependencies
//! (natively and for `wasm32-wasip2`) once.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use plugin_tests::child_env::clean_env;
use plugin_tests::server::TestServer;
use plugin_tests::support::test_cache_dir;
use plugin_tests::{FIXTURES, WORKSPACE};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");

/// Where the generated crates are built (shared by both tests: cargo's
/// lock makes them take turns).
fn target_dir() -> PathBuf {
    Path::new(WORKSPACE).join("target").join("scaffold")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `plugin-host new <args> --sdk-path <workspace>/guest-sdk`.
fn new(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("new")
        .args(args)
        .arg("--sdk-path")
        .arg(Path::new(WORKSPACE).join("guest-sdk"))
        .output()
        .expect("run plugin-host new")
}

/// `cargo <args>` in `crate_dir`, as a plugin author would run it.
fn cargo(crate_dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let started = Instant::now();
    let output = Command::new(cargo)
        .current_dir(crate_dir)
        .env_clear()
        .envs(clean_env())
        .env("CARGO_TARGET_DIR", target_dir())
        // A `build.build-dir` from the user's config would otherwise be
        // shared with (and locked by) the build running these tests.
        .env("CARGO_BUILD_BUILD_DIR", target_dir())
        .args(args)
        .output()
        .expect("run cargo");
    eprintln!(
        "cargo {} in {}: {:.1} s",
        args.join(" "),
        crate_dir.display(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "cargo {args:?} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// Writes the crate, checks that a second `new` changes nothing, runs its
/// tests (expecting `tests` of them) and builds its component; returns the
/// component's path.
fn scaffold(name: &str, crate_dir: &Path, flags: &[&str], tests: usize) -> PathBuf {
    let dir = crate_dir.to_str().expect("a UTF-8 temporary directory");
    let mut args = vec![name, "--dir", dir];
    args.extend_from_slice(flags);
    let started = Instant::now();
    let written = new(&args);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    let summary = text(&written.stdout);
    for file in [
        "Cargo.toml",
        ".cargo/config.toml",
        "src/lib.rs",
        "plugin.toml",
        "host.toml",
        "README.md",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} missing");
        assert!(
            summary.contains(file),
            "{file} not in the summary:\n{summary}"
        );
    }

    let before = snapshot(crate_dir);
    let again = new(&args);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("is not empty; nothing was written"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        snapshot(crate_dir),
        before,
        "the second `new` changed files"
    );
    eprintln!("new (twice): {:.2} s", started.elapsed().as_secs_f64());

    // The workspace's lock file pins the SDK's dependencies to the versions
    // the guests are built with (cargo drops the entries it does not need):
    // no registry index is needed when they are downloaded already.
    std::fs::copy(
        Path::new(WORKSPACE).join("Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");

    let tested = cargo(crate_dir, &["test"]);
    let report = text(&tested.stdout);
    assert!(
        report.contains(&format!("test result: ok. {tests} passed; 0 failed")),
        "{report}"
    );
    cargo(
        crate_dir,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    let wasm = target_dir()
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(wasm.is_file(), "{} missing", wasm.display());
    wasm
}

/// `plugin-host invoke <args>`: its answer, after checking it exited 0.
fn invoke(args: &[&Path], flags: &[&str]) -> Value {
    let output = Command::new(BIN)
        .arg("invoke")
        .arg("--cache-dir")
        .arg(test_cache_dir())
        .args(args)
        .args(flags)
        .output()
        .expect("run plugin-host invoke");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&output.stdout)))
}

/// Every file under `dir`: relative path → contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir").to_owned();
                files.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

#[test]
fn a_new_checkout_plugin_tests_builds_invokes_and_serves() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let crate_dir = tmp.path().join("my-plugin");
    let wasm = scaffold("my-plugin", &crate_dir, &[], 6);
    let manifest = crate_dir.join("plugin.toml");
    let manifest_flags = ["--manifest", manifest.to_str().expect("UTF-8")];

    // One of the SDK's fixtures, checked against the manifest's scopes.
    let fixture = Path::new(FIXTURES).join("initialize_checkout.json");
    assert_eq!(
        invoke(&[&wasm, &fixture], &manifest_flags),
        json!({"success": true, "actions": [{"type": "add_note", "data": {
            "note": "Thank you for your order! (order lakjfoihiuh223u82989vhsinvd0s9f8)"
        }}]})
    );
    let fixture = Path::new(FIXTURES).join("order_submitted_us.json");
    let answer = invoke(&[&wasm, &fixture], &manifest_flags);
    assert_eq!(answer["actions"][0]["type"], json!("add_fee"));
    assert_eq!(answer["actions"][0]["data"]["value"], json!(250));

    // Served by the generated host file, with the component where the
    // manifest expects it (this test builds elsewhere), and called with
    // `sign --send` as the README says.
    let expected_at = crate_dir.join("target/wasm32-wasip2/release/my_plugin.wasm");
    std::fs::create_dir_all(expected_at.parent().expect("a parent")).expect("mkdir");
    std::fs::copy(&wasm, &expected_at).expect("copy the component");
    let server = TestServer::start_with_env(
        BIN,
        &crate_dir.join("host.toml"),
        &[],
        &[],
        &[("MY_PLUGIN_SECRET", "dev")],
    );
    let sent = Command::new(BIN)
        .current_dir(&crate_dir)
        .args(["sign", "--send", "--secret-env", "MY_PLUGIN_SECRET"])
        .args(["--body", "fixtures/order_submitted.json"])
        .args(["--url", &server.url("/plugins/my-plugin/events")])
        .env("MY_PLUGIN_SECRET", "dev")
        .output()
        .expect("run plugin-host sign");
    assert_eq!(
        sent.status.code(),
        Some(0),
        "{}\n{}",
        text(&sent.stderr),
        server.logs()
    );
    let answer: Value = serde_json::from_slice(&sent.stdout).expect("the answer on stdout");
    assert_eq!(
        answer["actions"],
        json!([{"type": "add_fee", "data": {
            "id": "handling", "line_text": "Handling", "fee_type": "fixed",
            "taxable": true, "value": 250, "is_amendment": false,
        }}])
    );
    eprintln!(
        "checkout plugin, all steps: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn a_new_connector_tests_builds_and_invokes() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let crate_dir = tmp.path().join("my-connector");
    let wasm = scaffold("my-connector", &crate_dir, &["--connector"], 4);
    let manifest = crate_dir.join("plugin.toml");
    let webhook = crate_dir.join("fixtures/customer-updated.json");
    let answer = invoke(
        &[&wasm, &webhook],
        &[
            "--platform",
            "customer-updated",
            "--manifest",
            manifest.to_str().expect("UTF-8"),
        ],
    );
    let notifications = answer["notifications"].as_array().expect("notifications");
    assert_eq!(notifications.len(), 1, "{answer}");
    assert_eq!(notifications[0]["type"], json!("customer_saved"));
    assert_eq!(notifications[0]["platform_id"], json!("4242"));
    assert_eq!(
        notifications[0]["customer"]["email"],
        json!("ada@example.com")
    );
    eprintln!(
        "connector, all steps: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
