//! A hostile plugin spinning at its limits does not slow another plugin
//! down: sandboxes yield every epoch tick, run off the HTTP workers, and each
//! plugin has its own concurrency bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use plugin_tests::guests::{EXAMPLE_CHECKOUT, HOSTILE};
use plugin_tests::server::{PluginSpec, TestServer, signed_post, write_config};
use plugin_tests::support::{event_body, fixture_body};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");

async fn latencies(server: &TestServer, n: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let url = server.url("/plugins/example-checkout/events");
    let body = fixture_body("initialize_checkout");
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = signed_post(&client, &url, "good", &body).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.expect("body");
        assert!(text.contains("add_note"), "{text}");
        samples.push(started.elapsed());
    }
    samples.sort();
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_plugin_does_not_slow_another_one_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = vec![
        PluginSpec::new("example-checkout", EXAMPLE_CHECKOUT, "good"),
        // Fuel it can never use up: only the 100 ms deadline stops it.
        PluginSpec::new("hostile", HOSTILE, "bad")
            .with("max_concurrency = 4\n[limits]\nbase_fuel = 1000000000000"),
    ];
    let host = write_config(dir.path(), &specs, "sandbox_threads = 2\n");
    let server = TestServer::start(BIN, &host, &specs, &[]);

    latencies(&server, 20).await; // warm up
    let quiet = latencies(&server, 200).await;

    let stop = Arc::new(AtomicBool::new(false));
    let spinners: Vec<_> = (0..6)
        .map(|_| {
            let url = server.url("/plugins/hostile/events");
            let stop = stop.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut spins = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let response =
                        signed_post(&client, &url, "bad", &event_body("infinite_loop")).await;
                    // Its own answers: on-error (200) or saturated (503).
                    assert!(matches!(response.status().as_u16(), 200 | 503));
                    spins += 1;
                }
                spins
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = latencies(&server, 200).await;
    stop.store(true, Ordering::Relaxed);
    let mut spins = 0;
    for spinner in spinners {
        spins += spinner.await.expect("join");
    }
    assert!(
        spins >= 6,
        "the hostile plugin was kept busy ({spins} spins)"
    );

    let (quiet_p50, quiet_p99) = (percentile(&quiet, 0.5), percentile(&quiet, 0.99));
    let (busy_p50, busy_p99) = (percentile(&busy, 0.5), percentile(&busy, 0.99));
    eprintln!(
        "quiet p50 {quiet_p50:?} p99 {quiet_p99:?}; with a spinning neighbour p50 {busy_p50:?} p99 {busy_p99:?}"
    );
    // Far below the neighbour's 100 ms spins: the good plugin never waits for one.
    assert!(
        busy_p50 < quiet_p50 + Duration::from_millis(10),
        "p50 {quiet_p50:?} → {busy_p50:?}"
    );
    assert!(
        busy_p99 < Duration::from_millis(50).max(quiet_p99 * 3),
        "p99 {quiet_p99:?} → {busy_p99:?}"
    );
}
