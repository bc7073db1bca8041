//! `plugin-host invoke` as agreed: arguments, flags, stdout
//! (the answer only), stderr (the report), exit codes 0/1/2.

use std::path::Path;

use plugin_tests::FIXTURES;
use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP, HOSTILE};
use plugin_tests::support::{event_body, test_cache_dir};
use serde_json::{Value, json};

struct Run {
    code: u8,
    stdout: String,
    stderr: String,
}

fn invoke(args: &[&str]) -> Run {
    let cache = test_cache_dir();
    let mut argv = vec![
        "plugin-host",
        "invoke",
        "--cache-dir",
        cache.to_str().expect("utf-8 path"),
    ];
    argv.extend_from_slice(args);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = plugin_host::cli::run_from(argv, &mut stdout, &mut stderr);
    Run {
        code,
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// The path of a bundled Bold fixture, e.g. `order_submitted_us`.
fn fixture_path(name: &str) -> String {
    Path::new(FIXTURES)
        .join(format!("{name}.json"))
        .to_string_lossy()
        .into_owned()
}

fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path.to_string_lossy().into_owned()
}

#[test]
fn success_prints_only_the_answer_on_stdout_and_the_report_on_stderr() {
    let run = invoke(&[EXAMPLE_CHECKOUT, &fixture_path("order_submitted_us")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Value =
        serde_json::from_str(&run.stdout).expect("stdout is exactly one JSON answer");
    assert_eq!(answer["success"], json!(true));
    assert_eq!(answer["actions"][0]["type"], json!("add_fee"));
    for field in ["fuel:", "memory:", "time:", "output:", "log:"] {
        assert!(
            run.stderr.contains(field),
            "missing {field} in {}",
            run.stderr
        );
    }
    // fuel limit = 20,000,000 + 200 × body bytes
    let body_len = std::fs::metadata(fixture_path("order_submitted_us"))
        .expect("fixture")
        .len();
    let limit = 20_000_000 + 200 * body_len;
    let limit_text = limit
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).expect("digits"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        run.stderr.contains(&format!("/ {limit_text}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("/ 64.0 MiB"), "{}", run.stderr);
    assert!(run.stderr.contains("/ 100 ms"), "{}", run.stderr);
    assert!(run.stderr.contains("/ 256.0 KiB"), "{}", run.stderr);
}

#[test]
fn a_handler_fault_exits_1_with_the_kind_on_the_last_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let event = temp_file(&dir, "loop.json", &event_body("infinite_loop"));
    let run = invoke(&[HOSTILE, &event, "--timeout", "10000"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    let last = run.stderr.lines().last().expect("a last line");
    assert!(last.starts_with("error: fuel_exhausted: "), "{last}");
}

#[test]
fn a_panic_ends_with_its_message_and_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let event = temp_file(&dir, "panic.json", &event_body("panic"));
    let run = invoke(&[HOSTILE, &event]);
    assert_eq!(run.code, 1);
    let last = run.stderr.lines().last().expect("a last line");
    assert!(
        last.starts_with("error: trap: panicked at ")
            && last.contains("src/lib.rs:")
            && last.ends_with(": hostile guest panicked on purpose"),
        "{last}"
    );
    assert!(!last.contains("unreachable"), "{last}");
}

#[test]
fn limits_can_be_set_by_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sleep = temp_file(&dir, "sleep.json", &event_body("sleep"));
    let run = invoke(&[HOSTILE, &sleep, "--timeout", "20"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("/ 20 ms"), "{}", run.stderr);
    assert!(
        run.stderr.trim_end().ends_with("deadline of 20 ms passed"),
        "{}",
        run.stderr
    );

    let run = invoke(&[
        EXAMPLE_CHECKOUT,
        &fixture_path("initialize_checkout"),
        "--fuel",
        "1000",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error: fuel_exhausted"),
        "{}",
        run.stderr
    );

    let bomb = temp_file(&dir, "bomb.json", &event_body("memory_bomb"));
    let run = invoke(&[
        HOSTILE,
        &bomb,
        "--memory",
        "8388608",
        "--fuel",
        "1000000000",
        "--timeout",
        "5000",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error: memory_limit"), "{}", run.stderr);
}

#[test]
fn config_flags_reach_the_plugin() {
    let run = invoke(&[
        GIFT_WRAP,
        &fixture_path("order_submitted_us"),
        "--config",
        "variant_id=77",
        "--config",
        "price=1",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        answer["actions"][0]["data"]["platform_variant_id"],
        json!(77)
    );
    assert_eq!(answer["actions"][0]["data"]["price"], json!(1));
}

#[test]
fn overrides_and_webhooks_are_invoked_by_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = temp_file(
        &dir,
        "inventory.json",
        r#"{"type": "inventory", "items": [{"platform_variant_id": 5, "quantity": 1}]}"#,
    );
    let run = invoke(&[
        EXAMPLE_CHECKOUT,
        &request,
        "--override",
        "inventory",
        "--config",
        "stock=3",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(answer["items"][0]["available_quantity"], json!(3));

    let run = invoke(&[HOSTILE, &request, "--webhook", "ok"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = invoke(&[HOSTILE, &request, "--webhook", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("error: unsupported: ")
    );

    let run = invoke(&[HOSTILE, &request, "--webhook", "ok", "--override", "echo"]);
    assert_eq!(run.code, 2, "--override and --webhook conflict");
}

#[test]
fn a_manifest_supplies_limits_config_and_scopes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = temp_file(
        &dir,
        "plugin.toml",
        r#"
id = "example-checkout"
component = "unused-by-invoke.wasm"
scopes = ["modify_order"]
[config]
public_url = "https://x.example/plugins/example-checkout"
"#,
    );
    let run = invoke(&[
        EXAMPLE_CHECKOUT,
        &fixture_path("initialize_checkout"),
        "--manifest",
        &manifest,
    ]);
    assert_eq!(run.code, 1, "override_inventory is outside the scopes");
    assert!(
        run.stderr.contains("error: invalid_output"),
        "{}",
        run.stderr
    );

    let run = invoke(&[
        GIFT_WRAP,
        &fixture_path("order_submitted_us"),
        "--manifest",
        &temp_file(
            &dir,
            "gift.toml",
            "id = \"gift-wrap\"\ncomponent = \"x.wasm\"\n[limits]\ntimeout_ms = 250\n[config]\nprice = 9\n",
        ),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("/ 250 ms"), "{}", run.stderr);
    assert!(run.stdout.contains("\"price\":9"), "{}", run.stdout);
}

#[test]
fn bad_usage_and_bad_input_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_json = temp_file(&dir, "bad.json", "{ nope");
    let no_event = temp_file(&dir, "noevent.json", r#"{"cart": []}"#);
    let not_wasm = temp_file(&dir, "plugin.wasm", "hello");
    let bad_manifest = temp_file(
        &dir,
        "plugin.toml",
        "id = \"x\"\ncomponent = \"x.wasm\"\nsurprise = 1\n",
    );
    let app_hook = fixture_path("app_hook");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![EXAMPLE_CHECKOUT, "/does/not/exist.json"],
            "cannot read",
        ),
        (vec!["/does/not/exist.wasm", &app_hook], "cannot read"),
        (vec![EXAMPLE_CHECKOUT, &not_json], "not a JSON object"),
        (vec![EXAMPLE_CHECKOUT, &no_event], "`event`"),
        (vec![&not_wasm, &app_hook], "not a WebAssembly component"),
        (
            vec![EXAMPLE_CHECKOUT, &app_hook, "--manifest", &bad_manifest],
            "surprise",
        ),
        (
            vec![EXAMPLE_CHECKOUT, &app_hook, "--config", "novalue"],
            "KEY=VALUE",
        ),
        (
            vec![EXAMPLE_CHECKOUT, &app_hook, "--fuel", "lots"],
            "invalid value",
        ),
        (vec![EXAMPLE_CHECKOUT], "required"),
    ];
    for (args, expected) in cases {
        let run = invoke(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: stdout {}", run.stdout);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn the_log_is_reported_on_stderr_truncated_at_the_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flood = temp_file(&dir, "flood.json", &event_body("log_flood"));
    // The cap is what is checked: a debug build on a busy machine may take
    // over the default 100 ms to drop megabytes of log.
    let run = invoke(&[HOSTILE, &flood, "--timeout", "5000"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("log:     16.0 KiB / 16.0 KiB"),
        "{}",
        &run.stderr[..400.min(run.stderr.len())]
    );
    assert!(run.stderr.contains("[log truncated: "), "truncation marker");
}
