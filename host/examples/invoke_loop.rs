//! Invokes `example-checkout` on `initialize_checkout` N times in fresh
//! sandboxes: a small, steady workload for profilers (`valgrind --tool=callgrind`,
//! `perf`). `cargo run --release -p plugin-host --example invoke_loop -- [N] [component.wasm]`
//!
//! `POLLUTE=<KiB>` writes over that much other memory before each call, as
//! the HTTP stack, the kernel and the load generator do between two calls
//! in `serve`, and prints the median and p90 of the calls alone: how much a
//! sandbox loses when it does not find its memory and code in the caches.
//! With `--features native-example-handlers` and `NATIVE=1`, the same for
//! the handler called natively.

use std::path::PathBuf;
use std::time::Instant;

use plugin_host::dispatch::{ActionPolicy, settle};
use plugin_host::runtime::{Call, EngineSettings, Limits, Runtime};

const FIXTURE: &str = include_str!("../../guest-sdk/fixtures/initialize_checkout.json");

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    anyhow::ensure!(n > 0, "nothing to time: N is 0");
    let component = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/wasm32-wasip2/release/example_checkout.wasm")
    });
    let mut engine = EngineSettings {
        max_concurrent_instances: 4,
        ..EngineSettings::default()
    };
    // Experiments: KEEP_RESIDENT=<bytes> overrides the default.
    if let Some(keep) = std::env::var("KEEP_RESIDENT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        engine.memory_keep_resident = Some(keep);
    }
    // PAGEMAP_SCAN=0|1 overrides the default.
    if let Ok(scan) = std::env::var("PAGEMAP_SCAN") {
        engine.pagemap_scan = Some(scan == "1");
    }
    // PREWARM=1 keeps spare sandboxes; on this single-threaded loop their
    // making still runs between calls, so the time is the CPU per call.
    engine.prewarm = std::env::var("PREWARM").is_ok_and(|v| v == "1");
    engine.fit(plugin_host::runtime::component_shapes(
        [component.as_path()],
    ));
    let runtime = Runtime::new(&engine, None)?;
    let plugin = runtime.load_file(&component, Default::default())?;
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let call = Call::Event {
        name: "initialize_checkout".into(),
        body: FIXTURE.into(),
    };
    // Each answer is checked as on a request.
    let policy = ActionPolicy {
        output_limit: Limits::default().output_bytes,
        ..ActionPolicy::default()
    };
    if engine.prewarm {
        // Latency of calls that find their spare ready (the wait untimed),
        // spares made on a worker thread as in `serve`.
        let workers = if std::env::var("SAME_THREAD").is_ok() {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()?
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_time()
                .build()?
        };
        // The first call finds no spare; it leaves one behind.
        settle(workers.block_on(plugin.invoke(&call)), &policy);
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            while !plugin.spare_ready() {
                workers.block_on(tokio::task::yield_now());
            }
            let started = Instant::now();
            let invocation = settle(workers.block_on(plugin.invoke(&call)), &policy);
            times.push(started.elapsed());
            anyhow::ensure!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
        }
        times.sort();
        println!(
            "{n} prewarmed calls: median {:.2} µs, p99 {:.2} µs",
            times[n / 2].as_secs_f64() * 1e6,
            times[n * 99 / 100].as_secs_f64() * 1e6
        );
        return Ok(());
    }
    if let Ok(kib) = std::env::var("POLLUTE") {
        let kib = kib
            .parse()
            .map_err(|e| anyhow::anyhow!("POLLUTE={kib:?}: not a size in KiB ({e})"))?;
        return polluted_calls(n, kib, || {
            let invocation = settle(tokio.block_on(plugin.invoke(&call)), &policy);
            anyhow::ensure!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
            Ok(())
        });
    }
    let started = Instant::now();
    for _ in 0..n {
        let invocation = settle(tokio.block_on(plugin.invoke(&call)), &policy);
        anyhow::ensure!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
    }
    let elapsed = started.elapsed();
    println!(
        "{n} invocations: {:.2} µs each",
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}

/// Times `n` calls of `call` (sandboxed, or native with `NATIVE=1`), each
/// after writing over `kib` KiB of other memory.
fn polluted_calls(
    n: usize,
    kib: usize,
    mut sandboxed: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let native = std::env::var("NATIVE").is_ok_and(|v| v == "1");
    let mut call = || -> anyhow::Result<()> { if native { native_call() } else { sandboxed() } };
    let mut other = vec![0u8; kib * 1024];
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        // One write per cache line: each line is owned by this core afterwards.
        for byte in other.iter_mut().step_by(64) {
            *byte = byte.wrapping_add(i as u8 | 1);
        }
        let started = Instant::now();
        call()?;
        times.push(started.elapsed());
    }
    std::hint::black_box(&other);
    times.sort();
    let at = |q: usize| times[(n * q / 100).min(n - 1)].as_secs_f64() * 1e6;
    println!(
        "{n} {} calls, {kib} KiB written between calls: median {:.2} µs, p90 {:.2} µs",
        if native { "native" } else { "sandboxed" },
        at(50),
        at(90)
    );
    Ok(())
}

#[cfg(feature = "native-example-handlers")]
fn native_call() -> anyhow::Result<()> {
    use plugin_host::dispatch::ActionPolicy;
    use plugin_host::dispatch::native::NativeHandler;
    use plugin_host::runtime::Call;
    use std::sync::OnceLock;
    static HANDLER: OnceLock<(NativeHandler, Call)> = OnceLock::new();
    let (handler, call) = HANDLER.get_or_init(|| {
        let policy = ActionPolicy {
            output_limit: 256 * 1024,
            ..ActionPolicy::default()
        };
        let handler = NativeHandler::for_plugin("example-checkout", Vec::new(), policy)
            .expect("built with native-example-handlers");
        let call = Call::Event {
            name: "initialize_checkout".into(),
            body: FIXTURE.into(),
        };
        (handler, call)
    });
    let answer = handler.call(call);
    anyhow::ensure!(answer.is_ok(), "{:?}", answer.err());
    Ok(())
}

#[cfg(not(feature = "native-example-handlers"))]
fn native_call() -> anyhow::Result<()> {
    anyhow::bail!("NATIVE=1 needs --features native-example-handlers")
}
