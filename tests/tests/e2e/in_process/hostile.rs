//! Hostile guests end with the right outcome within their limits, and the
//! next invocation of the same plugin still succeeds.

use std::time::Duration;

use plugin_host::dispatch::{Answer, CheckedPlugin};
use plugin_host::fault::FaultKind;
use plugin_host::runtime::{Call, Invocation};
use plugin_tests::guests::HOSTILE;
use plugin_tests::support::{Settings, event_body, load, load_with, settings};
use serde_json::{Value, json};

fn hostile(configure: impl FnOnce(&mut Settings)) -> CheckedPlugin {
    let mut s = settings("hostile", &[("greeting", "hello"), ("api_key", "s3cret")]);
    s.extra_action_types = ["probe_result", "config_echo", "instance_state"]
        .map(str::to_owned)
        .into();
    configure(&mut s);
    load(HOSTILE, s)
}

async fn run(plugin: &CheckedPlugin, event: &str) -> Invocation<Answer> {
    let body = event_body(event);
    plugin
        .invoke(&Call::Event {
            name: event.to_owned(),
            body: body.to_owned(),
        })
        .await
}

/// The actions of a successful invocation.
fn actions(invocation: &Invocation<Answer>) -> Value {
    match &invocation.outcome {
        Ok(Answer::Checkout { body, .. }) => {
            serde_json::from_str::<Value>(body).expect("JSON")["actions"].clone()
        }
        other => panic!("expected actions, got {other:?}"),
    }
}

/// Runs `event`, expects a fault of `kind`, then proves the plugin still
/// serves a well-behaved event.
async fn expect_fault(plugin: &CheckedPlugin, event: &str, kind: FaultKind) -> Invocation<Answer> {
    let invocation = run(plugin, event).await;
    match &invocation.outcome {
        Err(fault) => assert_eq!(fault.kind, kind, "{event}: {fault}"),
        Ok(answer) => panic!("{event}: expected {kind}, got {answer:?}"),
    }
    let next = run(plugin, "ok").await;
    assert_eq!(
        actions(&next),
        json!([{"type": "add_note", "data": {"note": "ok"}}]),
        "the invocation after {event} must succeed"
    );
    invocation
}

#[tokio::test]
async fn an_infinite_loop_runs_out_of_fuel() {
    // A generous deadline, so that fuel is what stops it even on a loaded
    // machine (the default fuel lasts a few milliseconds).
    let plugin = hostile(|s| s.limits.timeout_ms = 10_000);
    let invocation = expect_fault(&plugin, "infinite_loop", FaultKind::FuelExhausted).await;
    assert_eq!(invocation.report.fuel_used, invocation.report.fuel_limit);
}

#[tokio::test]
async fn an_infinite_loop_with_unlimited_fuel_hits_the_deadline() {
    let plugin = hostile(|s| {
        s.limits.base_fuel = u64::MAX / 2;
        s.limits.timeout_ms = 50;
    });
    let invocation = expect_fault(&plugin, "infinite_loop", FaultKind::Timeout).await;
    let elapsed = invocation.report.elapsed;
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    let plugin = hostile(|s| {
        s.limits.memory_bytes = 16 * 1024 * 1024;
        s.limits.base_fuel = 2_000_000_000;
        s.limits.timeout_ms = 5_000;
    });
    let invocation = expect_fault(&plugin, "memory_bomb", FaultKind::MemoryLimit).await;
    let report = invocation.report;
    assert!(report.memory_peak <= report.memory_limit);
    assert!(report.memory_peak > report.memory_limit / 2, "{report:?}");
}

#[tokio::test]
async fn a_memory_bomb_under_default_limits_is_stopped() {
    let plugin = hostile(|s| s.limits.timeout_ms = 10_000);
    let invocation = run(&plugin, "memory_bomb").await;
    let kind = invocation.outcome.expect_err("must be stopped").kind;
    assert!(
        matches!(kind, FaultKind::MemoryLimit | FaultKind::FuelExhausted),
        "{kind}"
    );
    assert!(invocation.report.memory_peak <= invocation.report.memory_limit);
}

#[tokio::test]
async fn deep_recursion_traps() {
    let plugin = hostile(|_| {});
    expect_fault(&plugin, "deep_recursion", FaultKind::Trap).await;
}

#[tokio::test]
async fn a_panic_traps_with_its_message_and_location() {
    let plugin = hostile(|_| {});
    let invocation = expect_fault(&plugin, "panic", FaultKind::Trap).await;
    let fault = invocation.outcome.expect_err("trap");
    // `panicked at tests/guests/hostile/src/lib.rs:<line>:<col>: <message>`,
    // without the RUST_BACKTRACE advice.
    assert!(
        fault.reason.starts_with("panicked at ")
            && fault.reason.contains("src/lib.rs:")
            && fault
                .reason
                .ends_with(": hostile guest panicked on purpose"),
        "{fault}"
    );
    assert!(!fault.reason.contains("RUST_BACKTRACE"), "{fault}");
    assert!(
        invocation
            .report
            .log
            .text
            .contains("hostile guest panicked on purpose"),
        "log: {}",
        invocation.report.log.text
    );
}

#[tokio::test]
async fn huge_output_is_refused() {
    let plugin = hostile(|_| {});
    let invocation = expect_fault(&plugin, "huge_output", FaultKind::OutputLimit).await;
    assert_eq!(invocation.report.output_bytes, 0);
}

#[tokio::test]
async fn a_log_flood_is_truncated_never_trapped() {
    // What is checked is the cap, not the time: a debug-built host on a
    // loaded machine may take over 100 ms to drop megabytes of log.
    let plugin = hostile(|s| s.limits.timeout_ms = 5_000);
    let invocation = run(&plugin, "log_flood").await;
    assert_eq!(
        actions(&invocation),
        json!([{"type": "add_note", "data": {"note": "survived"}}])
    );
    let log = &invocation.report.log;
    assert!(log.text.len() as u64 <= invocation.report.log_limit);
    assert!(log.truncated());
    assert!(
        log.dropped_bytes > 1_000_000,
        "dropped {}",
        log.dropped_bytes
    );
}

#[tokio::test]
async fn huge_random_requests_trap_before_the_host_allocates_them() {
    // wasmtime-wasi's default cap (64 MiB) would have the host allocate and
    // fill 64 MiB synchronously, outside the guest's memory limit and past
    // its deadline; the host caps a request at 64 KiB.
    let plugin = hostile(|s| s.limits.timeout_ms = 5_000);
    let invocation = expect_fault(&plugin, "huge_random", FaultKind::Trap).await;
    let fault = invocation.outcome.expect_err("trap");
    assert!(
        fault.reason.contains("exceeds limit 65536"),
        "expected the random-size cap, got {fault}"
    );
    let elapsed = invocation.report.elapsed;
    assert!(elapsed < Duration::from_millis(100), "{elapsed:?}");
}

#[tokio::test]
async fn a_log_record_with_aliased_fields_is_truncated_never_copied_whole() {
    // 100,000 fields that all point at one 1 MiB string: the host reads
    // what fits in the log and no more (copying every field would be
    // 100 GiB, and wasmtime's own per-call bound, 128 MiB, traps).
    let plugin = hostile(|s| s.limits.timeout_ms = 5_000);
    let invocation = run(&plugin, "log_amplified").await;
    assert_eq!(
        actions(&invocation),
        json!([{"type": "add_note", "data": {"note": "survived"}}])
    );
    let log = &invocation.report.log;
    assert!(
        log.text.starts_with("info amplified =fff"),
        "{}",
        &log.text[..40.min(log.text.len())]
    );
    assert!(log.text.len() as u64 <= invocation.report.log_limit);
    assert!(log.truncated());
    let elapsed = invocation.report.elapsed;
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
}

#[tokio::test]
async fn sleeping_on_a_wasi_clock_is_bounded_by_the_deadline() {
    let plugin = hostile(|_| {});
    let invocation = expect_fault(&plugin, "sleep", FaultKind::Timeout).await;
    let elapsed = invocation.report.elapsed;
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
}

#[tokio::test]
async fn polling_the_clock_is_bounded_by_the_deadline() {
    let plugin = hostile(|s| s.limits.base_fuel = u64::MAX / 2);
    let invocation = expect_fault(&plugin, "busy_sleep", FaultKind::Timeout).await;
    assert!(invocation.report.elapsed < Duration::from_millis(600));
}

#[tokio::test]
async fn a_sleeping_guest_does_not_block_other_invocations() {
    let plugin = hostile(|s| s.limits.timeout_ms = 2_000);
    let sleeper = tokio::spawn({
        let plugin = plugin.clone();
        async move { run(&plugin, "sleep").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // On this single-threaded test runtime the sleeper holds no thread.
    let started = std::time::Instant::now();
    let ok = run(&plugin, "ok").await;
    assert!(ok.outcome.is_ok());
    assert!(started.elapsed() < Duration::from_millis(1_000));
    assert!(!sleeper.is_finished());
    let slept = sleeper.await.expect("join");
    assert_eq!(slept.outcome.expect_err("timeout").kind, FaultKind::Timeout);
}

#[tokio::test]
async fn wasi_grants_nothing() {
    let plugin = hostile(|_| {});
    let invocation = run(&plugin, "wasi_probe").await;
    let probe = &actions(&invocation)[0]["data"];
    assert_eq!(probe["env_vars"], json!(0), "{probe}");
    assert_eq!(probe["args"], json!(0), "{probe}");
    for key in ["read_dir", "read_file", "create_file", "tcp_connect"] {
        let result = probe[key].as_str().unwrap_or_default();
        assert!(result.starts_with("error"), "{key}: {probe}");
    }
}

#[tokio::test]
async fn the_config_import_serves_the_plugin_settings_only() {
    let plugin = hostile(|_| {});
    let invocation = run(&plugin, "config_echo").await;
    assert_eq!(
        actions(&invocation)[0]["data"],
        json!({"greeting": "hello", "api_key": "s3cret"})
    );
}

#[tokio::test]
async fn malformed_actions_are_invalid_output() {
    let plugin = hostile(|_| {});
    expect_fault(&plugin, "invalid_output", FaultKind::InvalidOutput).await;
}

#[tokio::test]
async fn handler_errors_and_unsupported_events_are_told_apart() {
    let plugin = hostile(|_| {});
    let failed = expect_fault(&plugin, "handler_error", FaultKind::HandlerError).await;
    assert!(
        failed
            .outcome
            .expect_err("fault")
            .reason
            .contains("something went wrong")
    );
    expect_fault(&plugin, "no_such_event", FaultKind::Unsupported).await;
}

#[tokio::test]
async fn every_event_runs_in_a_fresh_instance() {
    let plugin = hostile(|_| {});
    for _ in 0..3 {
        let invocation = run(&plugin, "instance_state").await;
        assert_eq!(
            actions(&invocation)[0]["data"],
            json!({"calls": 1, "heap_marker_seen": false}),
            "a guest saw state from an earlier event"
        );
    }
}

/// Waits (off any call) until the plugin's spare sandbox is ready.
async fn spare_ready(plugin: &CheckedPlugin) {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !plugin.spare_ready() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "no spare sandbox was made within 10 s");
}

/// A runtime that keeps spare sandboxes, with a pool of `instances`.
fn prewarm_runtime(instances: u32) -> plugin_host::runtime::Runtime {
    use plugin_host::runtime::{EngineSettings, Runtime};
    Runtime::new(
        &EngineSettings {
            max_concurrent_instances: instances,
            prewarm: true,
            ..EngineSettings::default()
        },
        None,
    )
    .expect("runtime")
}

#[tokio::test]
async fn spare_sandboxes_are_fresh_instances_too() {
    let runtime = prewarm_runtime(16);
    let mut s = settings("hostile", &[]);
    s.extra_action_types = ["instance_state"].map(str::to_owned).into();
    let plugin = load_with(&runtime, HOSTILE, s);
    // The first call finds no spare and leaves one behind; after a trap,
    // a memory bomb and a panic too, the next call's spare is untouched.
    let first = run(&plugin, "instance_state").await;
    assert!(!first.report.prewarmed);
    for before in ["instance_state", "panic", "memory_bomb", "instance_state"] {
        spare_ready(&plugin).await;
        let _ = run(&plugin, before).await;
        spare_ready(&plugin).await;
        let invocation = run(&plugin, "instance_state").await;
        assert!(
            invocation.report.prewarmed,
            "the call after {before} used its spare"
        );
        assert_eq!(
            actions(&invocation)[0]["data"],
            json!({"calls": 1, "heap_marker_seen": false}),
            "a spare sandbox saw state from an earlier event ({before})"
        );
    }
}

#[tokio::test]
async fn spares_stay_within_their_budget_and_go_with_their_plugin() {
    // A pool of 8 sandboxes keeps at most 2 spares.
    let runtime = prewarm_runtime(8);
    let mut s = settings("hostile", &[]);
    s.extra_action_types = ["instance_state"].map(str::to_owned).into();
    let plugins: Vec<CheckedPlugin> = (0..4)
        .map(|_| load_with(&runtime, HOSTILE, s.clone()))
        .collect();
    for plugin in &plugins {
        let invocation = run(plugin, "instance_state").await;
        assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
    }
    spare_ready(&plugins[0]).await;
    spare_ready(&plugins[1]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        runtime.spare_sandboxes(),
        2,
        "the budget is a quarter of the pool"
    );
    assert!(!plugins[2].spare_ready() && !plugins[3].spare_ready());
    // Calls without a spare still find free slots in the pool.
    let busy = run(&plugins[3], "instance_state").await;
    assert!(busy.outcome.is_ok(), "{:?}", busy.outcome);
    drop(plugins);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        runtime.spare_sandboxes(),
        0,
        "a dropped plugin gives its spare back"
    );
}

#[tokio::test]
async fn overrides_and_webhooks_reach_their_exports() {
    let plugin = hostile(|_| {});
    let body = r#"{"items":[1,2]}"#;
    let echo = plugin
        .invoke(&Call::Override {
            kind: "echo".to_owned(),
            body: body.to_owned(),
        })
        .await;
    assert_eq!(
        echo.outcome.expect("echo"),
        Answer::Override(body.to_owned())
    );
    let hook = plugin
        .invoke(&Call::Webhook {
            topic: "ok".to_owned(),
            body: body.to_owned(),
        })
        .await;
    assert_eq!(hook.outcome.expect("webhook"), Answer::Webhook);
    let other = plugin
        .invoke(&Call::Webhook {
            topic: "orders".to_owned(),
            body: body.to_owned(),
        })
        .await;
    assert_eq!(
        other.outcome.expect_err("unsupported").kind,
        FaultKind::Unsupported
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_are_isolated() {
    // 64 sandboxes on two threads: a wide deadline, since this test is
    // about isolation (a loaded CI machine once missed the default 100 ms).
    let plugin = hostile(|s| s.limits.timeout_ms = 10_000);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let plugin = plugin.clone();
            tokio::spawn(async move {
                let event = if i % 4 == 0 {
                    "panic"
                } else {
                    "instance_state"
                };
                (event, run(&plugin, event).await)
            })
        })
        .collect();
    for task in tasks {
        let (event, invocation) = task.await.expect("join");
        if event == "panic" {
            assert_eq!(invocation.outcome.expect_err("trap").kind, FaultKind::Trap);
        } else {
            assert_eq!(actions(&invocation)[0]["data"]["calls"], json!(1));
        }
    }
}
