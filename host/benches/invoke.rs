//! One `initialize_checkout` through `example-checkout`: the handler called
//! natively vs a fresh sandbox per invocation (fuel and epoch on).
//!
//! Needs the component: `cargo build --release --target wasm32-wasip2 -p
//! example-checkout` (or the test build, which puts it in `target/guests`).
//! Run: `cargo bench -p plugin-host --bench invoke`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use example_checkout::ExampleCheckout;
use plugin_host::runtime::{Call, EngineSettings, Runtime};
use plugin_sdk::testing::TestHost;
use plugin_sdk::{CheckoutPlugin, Event};

const FIXTURE: &str = include_str!("../../guest-sdk/fixtures/initialize_checkout.json");

fn component() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("EXAMPLE_CHECKOUT_WASM").map(PathBuf::from),
        Some(workspace.join("target/wasm32-wasip2/release/example_checkout.wasm")),
        Some(workspace.join("target/guests/wasm32-wasip2/release/example_checkout.wasm")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "example_checkout.wasm not found: run `cargo build --release --target wasm32-wasip2 -p example-checkout` first"
            )
        })
}

fn native(body: &str, host: &TestHost) -> String {
    let event = Event::parse(body).expect("fixture parses");
    let actions = ExampleCheckout::handle_event(&event, host).expect("handler succeeds");
    plugin_sdk::actions_to_response(&actions).to_string()
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new(&EngineSettings::default(), None).expect("runtime");
    let plugin = runtime
        .load_file(&component(), Default::default())
        .expect("component loads");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio");
    let call = Call::Event {
        name: "initialize_checkout",
        body: FIXTURE,
    };
    let first = tokio.block_on(plugin.invoke(call));
    assert!(first.outcome.is_ok(), "{:?}", first.outcome);
    eprintln!(
        "initialize_checkout ({} bytes): fuel used {} of {}, peak memory {} bytes",
        FIXTURE.len(),
        first.report.fuel_used,
        first.report.fuel_limit,
        first.report.memory_peak
    );

    let host = TestHost::new();
    let mut group = c.benchmark_group("initialize_checkout");
    group.bench_function("native", |b| b.iter(|| native(FIXTURE, &host)));
    group.bench_function("fresh_sandbox", |b| {
        b.iter(|| {
            let invocation = tokio.block_on(plugin.invoke(call));
            assert!(invocation.outcome.is_ok());
            invocation
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
