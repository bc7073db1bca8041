//! Connector throughput and delay, measured over real HTTP: platform
//! webhooks into `plugin-host serve` (platform-sync), notifications out to a
//! mock Bold API on 127.0.0.1. Ignored by default (it is a measurement):
//!
//! ```sh
//! cargo test --release -p plugin-tests --test e2e -- --ignored --nocapture connector_load
//! ```
//!
//! Prints webhooks/s accepted, notifications/s delivered, and the delay
//! from sending a webhook to Bold receiving its notification (p50, p99).
//! `CONNECTOR_LOAD_N` (default 5000) and `CONNECTOR_LOAD_CONCURRENCY`
//! (default 32) tune it; `CONNECTOR_LOAD_RATE` (webhooks/s, default 0 =
//! as fast as possible) sends at a fixed rate instead, for the delay of an
//! outbox that keeps up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plugin_host::signature::{BodySignature, DigestEncoding, Secret};
use plugin_tests::guests::PLATFORM_SYNC;
use plugin_tests::mocks::now_rfc3339;
use plugin_tests::server::{PluginSpec, TestServer, write_config};
use serde_json::json;
use test_support::mock_bold::MockBold;

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run with --ignored --nocapture (release build)"]
async fn webhooks_to_bold_throughput_and_delay() {
    let n = env_or("CONNECTOR_LOAD_N", 5000);
    let concurrency = env_or("CONNECTOR_LOAD_CONCURRENCY", 32);
    let rate = env_or("CONNECTOR_LOAD_RATE", 0);
    let bold = MockBold::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = PluginSpec::new("platform-sync", PLATFORM_SYNC, "load-secret").with(
        "max_concurrency = 64\nqueue = 256\n[connector]\nshop_identifier = \"load-shop\"\n\
         bold_token_env = \"LOAD_BOLD_TOKEN\"\n[connector.platform_webhook]\n\
         secret_env = \"LOAD_WEBHOOK_SECRET\"\n",
    );
    let host = write_config(
        dir.path(),
        std::slice::from_ref(&spec),
        &format!(
            "[bold_api]\nbase_url = \"{}\"\n[outbox]\nconcurrency = 32\n",
            bold.url()
        ),
    );
    let server = TestServer::start_with_env(
        BIN,
        &host,
        std::slice::from_ref(&spec),
        &[],
        &[
            ("LOAD_BOLD_TOKEN", "token"),
            ("LOAD_WEBHOOK_SECRET", "webhook-secret"),
            ("RUST_LOG", "warn"),
        ],
    );
    let signature = Arc::new(BodySignature::new(
        "x-platform-hmac-sha256",
        DigestEncoding::Base64,
        vec![Secret::new("webhook-secret")],
    ));
    let url = server.url("/plugins/platform-sync/platform/product-updated");
    let client = reqwest::Client::new();
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();

    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, signature, sent_at, next) = (
            client.clone(),
            url.clone(),
            signature.clone(),
            sent_at.clone(),
            next.clone(),
        );
        senders.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return;
                }
                if rate > 0 {
                    let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let id = format!("p{i}");
                let body = json!({
                    "id": id, "title": "Mug", "handle": "mug", "updated_at": now_rfc3339(),
                    "variants": [{"id": "v1", "title": "Blue", "sku": "MUG-B", "price": 1500}],
                })
                .to_string();
                let sig = signature.sign(body.as_bytes()).unwrap_or_default();
                sent_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, Instant::now());
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-platform-hmac-sha256", sig)
                    .body(body)
                    .send()
                    .await
                    .expect("answered");
                assert_eq!(response.status(), 200);
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.expect("a sender");
    }
    let accepted_in = started.elapsed();
    let received = bold
        .wait_for(Duration::from_secs(120), |r| r.len() >= n)
        .await;
    let delivered_in = started.elapsed();
    assert_eq!(received.len(), n, "every notification delivered");

    let sent_at = sent_at.lock().unwrap_or_else(|e| e.into_inner());
    let mut delays: Vec<Duration> = received
        .iter()
        .filter_map(|r| {
            let id = r.entity()["platform_id"].as_str()?;
            Some(r.at.saturating_duration_since(*sent_at.get(id)?))
        })
        .collect();
    delays.sort();
    let first = received.iter().map(|r| r.at).min().expect("some");
    let last = received.iter().map(|r| r.at).max().expect("some");
    println!(
        "webhooks: {n} accepted in {:.2} s = {:.0}/s ({concurrency} concurrent senders, rate {})",
        accepted_in.as_secs_f64(),
        n as f64 / accepted_in.as_secs_f64(),
        if rate > 0 {
            format!("{rate}/s")
        } else {
            "unlimited".into()
        }
    );
    println!(
        "delivered: {n} in {:.2} s from the first send = {:.0}/s (first to last delivery {:.2} s)",
        delivered_in.as_secs_f64(),
        n as f64 / delivered_in.as_secs_f64(),
        (last - first).as_secs_f64()
    );
    println!(
        "webhook -> Bold delay: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&delays, 50.0).as_secs_f64() * 1e3,
        percentile(&delays, 99.0).as_secs_f64() * 1e3,
        percentile(&delays, 100.0).as_secs_f64() * 1e3,
    );
    drop(server);
}
