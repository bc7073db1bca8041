//! In-process benchmarks of one event through `example-checkout` and
//! `gift-wrap`:
//! - `initialize_checkout/native` vs `initialize_checkout/fresh_sandbox`: the
//!   handler called natively vs a fresh sandbox per invocation (fuel and
//!   epoch on), instantiated and torn down on the call's path (the whole
//!   CPU cost of a sandbox);
//! - `initialize_checkout/fresh_sandbox_prewarmed`: the latency of a call
//!   that finds its fresh sandbox instantiated ahead (a spare, made by the
//!   same thread after the previous call returned; teardown also happens
//!   then); `..._other_thread`: the same with the spare made on another
//!   thread;
//! - `load/cold_cache` vs `load/warm_cache`: loading the component with an
//!   empty artifact cache (a compile) vs from the cache;
//! - `cart_size/*`: `order_submitted` carts of 2, 50 and 500 line items
//!   (about 3, 30 and 300 KB) through `gift-wrap`, which reads every line
//!   item; fuel per size and the slope are printed first.
//!
//! Needs the components: `cargo build --release --target wasm32-wasip2 -p
//! example-checkout -p gift-wrap` (or the test build, into `target/guests`).
//! Run: `cargo bench -p plugin-host --bench invoke`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use example_checkout::ExampleCheckout;
use plugin_host::dispatch::{ActionPolicy, settle};
use plugin_host::runtime::{ArtifactCache, Call, EngineSettings, Limits, Plugin, Runtime};
use plugin_sdk::testing::TestHost;
use plugin_sdk::{CheckoutPlugin, Event};
use serde_json::Value;

const INITIALIZE: &str = include_str!("../../guest-sdk/fixtures/initialize_checkout.json");
const SUBMITTED: &str = include_str!("../../guest-sdk/fixtures/order_submitted_us.json");

fn component(file: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        workspace.join("target/wasm32-wasip2/release").join(file),
        workspace.join("target/guests/wasm32-wasip2/release").join(file),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .unwrap_or_else(|| {
        panic!("{file} not found: run `cargo build --release --target wasm32-wasip2 -p example-checkout -p gift-wrap` first")
    })
}

/// A runtime without an artifact cache, spares on or off.
fn runtime_with(prewarm: bool) -> Runtime {
    let settings = EngineSettings {
        prewarm,
        ..EngineSettings::default()
    };
    Runtime::new(&settings, None).expect("runtime")
}

fn native(body: &str, host: &TestHost) -> String {
    let event = Event::parse(body).expect("fixture parses");
    let actions = ExampleCheckout::handle_event(&event, host).expect("handler succeeds");
    plugin_sdk::actions_to_response(&actions).to_string()
}

/// `order_submitted_us` with `items` line items (none asks for gift wrap
/// but the last, so the handler reads them all).
fn cart_with(items: usize) -> String {
    let mut body: Value = serde_json::from_str(SUBMITTED).expect("fixture");
    let template = body["cart"]["line_items"][0].clone();
    let lines: Vec<Value> = (0..items)
        .map(|i| {
            let mut item = template.clone();
            item["id"] = Value::String(format!("li-{i}"));
            item["line_item_key"] = Value::String(format!("{i}:4853336925a8c06cc1edc0058577aa48"));
            if i + 1 == items {
                item["properties"] = serde_json::json!({"gift_wrap": "yes"});
            }
            item
        })
        .collect();
    body["cart"]["line_items"] = Value::Array(lines);
    body["cart"]["item_count"] = Value::from(items);
    body.to_string()
}

/// The policy answers are checked against (the defaults' output limit, no
/// scopes): the same work as on a request.
fn policy() -> ActionPolicy {
    ActionPolicy {
        output_limit: Limits::default().output_bytes,
        ..ActionPolicy::default()
    }
}

fn invoke(tokio: &tokio::runtime::Runtime, plugin: &Plugin, call: &Call) -> u64 {
    let invocation = settle(tokio.block_on(plugin.invoke(call)), &policy());
    assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
    invocation.report.fuel_used
}

/// Times `iters` calls that each find a spare sandbox ready. The spare is
/// made, untimed, between calls: on `tokio`'s own thread when it is a
/// current-thread runtime (as a sandbox thread makes the spare it then
/// uses), on a worker when it is multi-threaded (the spare's memory then
/// sits in another core's cache).
fn invoke_prewarmed(
    tokio: &tokio::runtime::Runtime,
    plugin: &Plugin,
    call: &Call,
    iters: u64,
) -> Duration {
    let mut timed = Duration::ZERO;
    for _ in 0..iters {
        let waiting = Instant::now();
        while !plugin.spare_ready() {
            tokio.block_on(tokio::task::yield_now());
            assert!(
                waiting.elapsed() < Duration::from_secs(10),
                "no spare was made: it is made on the runtime of the previous call"
            );
        }
        let started = Instant::now();
        let invocation = settle(tokio.block_on(plugin.invoke(call)), &policy());
        timed += started.elapsed();
        assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
        assert!(invocation.report.prewarmed, "the call found its spare");
    }
    timed
}

fn bench(c: &mut Criterion) {
    // Every call instantiates and tears down its own sandbox on its path:
    // the whole CPU cost of a fresh sandbox.
    let runtime = runtime_with(false);
    let example = runtime
        .load_file(&component("example_checkout.wasm"), Default::default())
        .expect("component loads");
    let gift = runtime
        .load_file(&component("gift_wrap.wasm"), Default::default())
        .expect("component loads");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio");

    let initialize = Call::Event {
        name: "initialize_checkout".into(),
        body: INITIALIZE.into(),
    };
    let first = tokio.block_on(example.invoke(&initialize));
    assert!(first.outcome.is_ok(), "{:?}", first.outcome);
    eprintln!(
        "initialize_checkout ({} bytes): fuel used {} of {}, peak memory {} bytes",
        INITIALIZE.len(),
        first.report.fuel_used,
        first.report.fuel_limit,
        first.report.memory_peak
    );

    // With spares (`[engine] prewarm`): a call takes a sandbox instantiated
    // after the previous call returned, and its own store is torn down
    // after it returns.
    let prewarm_runtime = runtime_with(true);
    let example_prewarmed = prewarm_runtime
        .load_file(&component("example_checkout.wasm"), Default::default())
        .expect("component loads");
    let workers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio");
    // The first call finds no spare; it leaves one behind.
    let warmup = tokio.block_on(example_prewarmed.invoke(&initialize));
    assert!(warmup.outcome.is_ok(), "{:?}", warmup.outcome);

    let host = TestHost::new();
    let mut group = c.benchmark_group("initialize_checkout");
    group.bench_function("native", |b| b.iter(|| native(INITIALIZE, &host)));
    group.bench_function("fresh_sandbox", |b| {
        b.iter(|| invoke(&tokio, &example, &initialize))
    });
    group.bench_function("fresh_sandbox_prewarmed", |b| {
        b.iter_custom(|iters| invoke_prewarmed(&tokio, &example_prewarmed, &initialize, iters))
    });
    // The last spare was made on `tokio`; later ones on the workers.
    while !example_prewarmed.spare_ready() {
        tokio.block_on(tokio::task::yield_now());
    }
    group.bench_function("fresh_sandbox_prewarmed_other_thread", |b| {
        b.iter_custom(|iters| invoke_prewarmed(&workers, &example_prewarmed, &initialize, iters))
    });
    group.finish();

    let wasm = std::fs::read(component("example_checkout.wasm")).expect("wasm");
    let warm_dir = tempfile::tempdir().expect("tempdir");
    let warm = Runtime::new(
        &EngineSettings::default(),
        Some(ArtifactCache::new(warm_dir.path())),
    )
    .expect("runtime");
    warm.load_bytes(&wasm, Default::default())
        .expect("fills the cache");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("cold_cache", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let cold = Runtime::new(
                    &EngineSettings::default(),
                    Some(ArtifactCache::new(dir.path())),
                )
                .expect("runtime");
                cold.load_bytes(&wasm, Default::default())
                    .expect("compiles")
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("warm_cache", |b| {
        b.iter(|| warm.load_bytes(&wasm, Default::default()).expect("loads"))
    });
    group.finish();

    let sizes = [2usize, 50, 500];
    let carts: Vec<String> = sizes.iter().map(|&n| cart_with(n)).collect();
    let mut points = Vec::new();
    for (n, cart) in sizes.iter().zip(&carts) {
        let fuel = invoke(
            &tokio,
            &gift,
            &Call::Event {
                name: "order_submitted".into(),
                body: cart.clone(),
            },
        );
        eprintln!("cart of {n} line items ({} bytes): fuel {fuel}", cart.len());
        points.push((cart.len() as f64, fuel as f64));
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        eprintln!(
            "fuel slope: {:.1} per byte of cart",
            (last.1 - first.1) / (last.0 - first.0)
        );
    }
    let mut group = c.benchmark_group("cart_size");
    for (n, cart) in sizes.iter().zip(&carts) {
        let call = Call::Event {
            name: "order_submitted".into(),
            body: cart.clone(),
        };
        group.bench_function(format!("{n}_line_items"), |b| {
            b.iter(|| invoke(&tokio, &gift, &call))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
