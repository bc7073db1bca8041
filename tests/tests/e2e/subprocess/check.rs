//! `plugin-host check` and `plugin-host precompile`: one line per problem
//! (a broken manifest, a missing secret, a component of the wrong world),
//! exit 1; and a warm cache after `precompile`.

use std::process::Command;

use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP};
use plugin_tests::server::{PluginSpec, write_config};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");

fn run(command: &str, host: &std::path::Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg(command)
        .arg("--config")
        .arg(host)
        .envs(env.iter().copied())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_reports_one_line_per_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = PluginSpec::new("good", EXAMPLE_CHECKOUT, "s1");
    let specs = [good.clone()];
    let host = write_config(dir.path(), &specs, "");
    let (code, out, err) = run("check", &host, &[("TEST_SECRET_GOOD", "s1")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: good (checkout plugin, compiled"), "{out}");
    assert!(
        !dir.path().join("data/cache").exists(),
        "check writes nothing"
    );

    // Three problems at once: an unknown key, a secret not set, and a
    // checkout component under a connector's manifest.
    let broken = PluginSpec::new("broken", EXAMPLE_CHECKOUT, "s2").with("colour = \"blue\"");
    let unset = PluginSpec::new("unset", GIFT_WRAP, "s3");
    let specs = [good, broken, unset];
    let host = write_config(dir.path(), &specs, "");
    let (code, _, err) = run(
        "check",
        &host,
        &[("TEST_SECRET_GOOD", "s1"), ("TEST_SECRET_BROKEN", "s2")],
    );
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("broken.toml") && l.contains("colour")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("unset.toml") && l.contains("TEST_SECRET_UNSET is not set")),
        "{err}"
    );
    assert!(!err.contains("s1"), "no secret value is printed: {err}");

    let wrong = PluginSpec::new("wrong", GIFT_WRAP, "s4")
        .with("[connector]\nshop_identifier = \"shop\"\nbold_token_env = \"TEST_TOKEN\"");
    let host = write_config(dir.path(), std::slice::from_ref(&wrong), "");
    let (code, _, err) = run(
        "check",
        &host,
        &[("TEST_SECRET_WRONG", "s4"), ("TEST_TOKEN", "t")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("plugin `wrong`: the component is a checkout plugin, but the manifest has a [connector] table"),
        "{err}"
    );
    // A file that is not a component.
    let not_wasm = dir.path().join("not.wasm");
    std::fs::write(&not_wasm, b"not wasm").expect("write");
    let bad = PluginSpec::new("bad", not_wasm.to_str().expect("utf-8"), "s5");
    let host = write_config(dir.path(), std::slice::from_ref(&bad), "");
    let (code, _, err) = run("check", &host, &[("TEST_SECRET_BAD", "s5")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("plugin `bad`: not a WebAssembly component"),
        "{err}"
    );
}

#[test]
fn precompile_fills_the_cache_for_the_first_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = [PluginSpec::new("warm", EXAMPLE_CHECKOUT, "s1")];
    let host = write_config(dir.path(), &specs, "");
    let env = [("TEST_SECRET_WARM", "s1")];
    let (code, out, err) = run("precompile", &host, &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("compiled into the cache"), "{out}");
    let cached = std::fs::read_dir(dir.path().join("data/cache"))
        .expect("the cache")
        .count();
    assert!(cached > 0);
    let (code, out, _) = run("precompile", &host, &env);
    assert_eq!(code, 0);
    assert!(out.contains("already in the cache"), "{out}");
}
