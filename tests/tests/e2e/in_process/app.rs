//! The router in-process (`app(state)` + `oneshot`, as axum's examples test
//! it) with an injected clock: signature acceptance and every rejection
//! through the real pipeline, including behind a path prefix.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use plugin_host::config::{Manifest, SignaturePolicy};
use plugin_host::dispatch::{Dispatcher, PluginEntry, PluginStatus, Registry};
use plugin_host::http::{AppState, app};
use plugin_host::metrics::Metrics;
use plugin_host::runtime::SandboxPool;
use plugin_host::signature::{Algorithm, Policy, Secret, Signer};
use plugin_tests::guests::{EXAMPLE_CHECKOUT, HOSTILE};
use plugin_tests::support::{Settings, event_body, fixture_body, load};
use tower::ServiceExt;

const NOW: u64 = 1_790_000_000;
const SECRET: &str = "current-secret";
const OLD_SECRET: &str = "previous-secret";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
}

#[derive(Default)]
struct Options {
    policy: Policy,
    replay: bool,
    clock_offset: i64,
    /// Another plugin than example-checkout: its component and manifest.
    plugin: Option<(&'static str, &'static str)>,
}

const EXAMPLE_MANIFEST: &str =
    "id = \"example-checkout\"\ncomponent = \"unused.wasm\"\nmax_concurrency = 4\nqueue = 8\n";

fn router(options: Options) -> Router {
    let (component, manifest) = options
        .plugin
        .unwrap_or((EXAMPLE_CHECKOUT, EXAMPLE_MANIFEST));
    let mut manifest = Manifest::parse(manifest, Path::new("/test/plugin.toml")).expect("manifest");
    let Policy {
        algorithms,
        max_skew,
        require_digest,
        require_request_target,
    } = options.policy;
    manifest.signature = SignaturePolicy {
        algorithms,
        max_skew,
        require_digest,
        require_request_target,
        replay_protection: options.replay,
    };
    let plugin = load(component, Settings::from_manifest(&manifest)).plugin;
    let entry = PluginEntry::new(
        manifest,
        vec![
            Secret::new(SECRET.as_bytes()),
            Secret::new(OLD_SECRET.as_bytes()),
        ],
        None,
        PluginStatus::Ready(plugin),
        None,
    );
    let registry = Arc::new(Registry::new());
    registry.insert(entry);
    let offset = options.clock_offset;
    let clock = Arc::new(move || {
        if offset >= 0 {
            now() + Duration::from_secs(offset.unsigned_abs())
        } else {
            now() - Duration::from_secs(offset.unsigned_abs())
        }
    });
    let state = AppState::from(Dispatcher::with_clock(
        registry,
        SandboxPool::new(1).expect("pool"),
        Arc::new(Metrics::new()),
        clock,
    ));
    app(state)
}

/// A request signed for `signed_path` over `headers`, sent to `path`.
fn request(
    path: &str,
    signed_path: &str,
    secret: &str,
    headers: &[&str],
    body: &str,
) -> Request<Body> {
    let signer = Signer::new(
        "bold",
        Secret::new(secret.as_bytes()),
        Algorithm::HmacSha256,
    )
    .expect("signer")
    .with_headers(headers.iter().copied())
    .expect("headers");
    let mut builder = Request::post(path);
    let signed = signer.sign(
        "POST",
        signed_path,
        "plugins.example.com",
        "application/json",
        body.as_bytes(),
        now(),
    );
    if !signed
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        builder = builder.header("host", "plugins.example.com");
    }
    for (name, value) in signed {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

const EVENTS: &str = "/plugins/example-checkout/events";

async fn status(router: &Router, request: Request<Body>) -> StatusCode {
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

#[tokio::test]
async fn bolds_date_only_signature_in_authorization_is_accepted() {
    let router = router(Options::default());
    let body = fixture_body("initialize_checkout");
    let response = router
        .clone()
        .oneshot(request(EVENTS, EVENTS, SECRET, &["date"], &body))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let answer: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(answer["actions"][1]["type"], "add_note");
}

#[tokio::test]
async fn a_bare_signature_header_is_accepted() {
    let router = router(Options::default());
    let body = fixture_body("initialize_checkout");
    let mut signed = request(EVENTS, EVENTS, SECRET, &["(request-target)", "date"], &body);
    let authorization = signed
        .headers_mut()
        .remove("authorization")
        .expect("authorization");
    let params = authorization
        .to_str()
        .expect("ascii")
        .trim_start_matches("Signature ")
        .to_owned();
    signed
        .headers_mut()
        .insert("signature", params.parse().expect("header"));
    assert_eq!(status(&router, signed).await, StatusCode::OK);
}

#[tokio::test]
async fn every_header_combination_and_the_rotated_secret_verify() {
    let router = router(Options::default());
    let body = fixture_body("order_submitted_us");
    for headers in [
        vec!["date"],
        vec!["(request-target)", "date"],
        vec![
            "(request-target)",
            "host",
            "date",
            "digest",
            "content-type",
            "content-length",
        ],
        vec!["x-date"],
    ] {
        for secret in [SECRET, OLD_SECRET] {
            let signed = request(EVENTS, EVENTS, secret, &headers, &body);
            assert_eq!(
                status(&router, signed).await,
                StatusCode::OK,
                "{headers:?} {secret}"
            );
        }
    }
}

#[tokio::test]
async fn request_target_is_rebuilt_from_the_original_uri_behind_a_prefix() {
    let nested = Router::new().nest("/hooks", router(Options::default()));
    let body = fixture_body("initialize_checkout");
    let full = format!("/hooks{EVENTS}?shop=x");
    let signed = request(&full, &full, SECRET, &["(request-target)", "date"], &body);
    assert_eq!(status(&nested, signed).await, StatusCode::OK);
    // Signed for another path: refused.
    let elsewhere = request(
        &full,
        "/hooks/plugins/other/events?shop=x",
        SECRET,
        &["(request-target)", "date"],
        &body,
    );
    assert_eq!(status(&nested, elsewhere).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_rejection_is_401_with_an_empty_body() {
    let body = fixture_body("initialize_checkout");
    let plain = router(Options::default());
    let mut cases: Vec<(&str, Router, Request<Body>)> = vec![
        (
            "wrong secret",
            plain.clone(),
            request(EVENTS, EVENTS, "nope", &["date"], &body),
        ),
        ("no signature", plain.clone(), {
            let mut r = request(EVENTS, EVENTS, SECRET, &["date"], &body);
            r.headers_mut().remove("authorization");
            r
        }),
        ("tampered body with digest", plain.clone(), {
            let signed = request(EVENTS, EVENTS, SECRET, &["date", "digest"], &body);
            let (parts, _) = signed.into_parts();
            Request::from_parts(parts, Body::from(body.replace("Bold", "Evil")))
        }),
        (
            "too old",
            router(Options {
                clock_offset: 301,
                ..Options::default()
            }),
            request(EVENTS, EVENTS, SECRET, &["date"], &body),
        ),
        (
            "from the future",
            router(Options {
                clock_offset: -301,
                ..Options::default()
            }),
            request(EVENTS, EVENTS, SECRET, &["date"], &body),
        ),
        (
            "digest required but not signed",
            router(Options {
                policy: Policy {
                    require_digest: true,
                    ..Policy::default()
                },
                ..Options::default()
            }),
            request(EVENTS, EVENTS, SECRET, &["date"], &body),
        ),
        (
            "request-target required but not signed",
            router(Options {
                policy: Policy {
                    require_request_target: true,
                    ..Policy::default()
                },
                ..Options::default()
            }),
            request(EVENTS, EVENTS, SECRET, &["date", "digest"], &body),
        ),
    ];
    for (name, router, request) in cases.drain(..) {
        let response = router.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert!(bytes.is_empty(), "{name}: 401 has no body");
    }
    // Within the window, and with every required header, the same requests pass.
    let strict = router(Options {
        policy: Policy {
            require_digest: true,
            require_request_target: true,
            ..Policy::default()
        },
        ..Options::default()
    });
    let signed = request(
        EVENTS,
        EVENTS,
        SECRET,
        &["(request-target)", "date", "digest"],
        &body,
    );
    assert_eq!(status(&strict, signed).await, StatusCode::OK);
    let late = router(Options {
        clock_offset: 299,
        ..Options::default()
    });
    assert_eq!(
        status(&late, request(EVENTS, EVENTS, SECRET, &["date"], &body)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn replayed_signatures_are_refused_when_asked() {
    let body = fixture_body("initialize_checkout");
    let guarded = router(Options {
        replay: true,
        ..Options::default()
    });
    assert_eq!(
        status(
            &guarded,
            request(EVENTS, EVENTS, SECRET, &["date", "digest"], &body)
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        status(
            &guarded,
            request(EVENTS, EVENTS, SECRET, &["date", "digest"], &body)
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "the same signature again"
    );
    let open = router(Options::default());
    for _ in 0..2 {
        assert_eq!(
            status(&open, request(EVENTS, EVENTS, SECRET, &["date"], &body)).await,
            StatusCode::OK
        );
    }
}

/// The `sandboxes_in_use` gauge and the count of requests answered 499 for
/// `plugin`, read from `/metrics`.
async fn gauge_and_cancelled(router: &Router, plugin: &str) -> (String, String) {
    let response = router
        .clone()
        .oneshot(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let find = |wanted: &[&str]| {
        text.lines()
            .find(|l| wanted.iter().all(|w| l.contains(w)))
            .unwrap_or_default()
            .to_owned()
    };
    let plugin_label = format!("plugin=\"{plugin}\"");
    (
        find(&["plugin_host_sandboxes_in_use{", &plugin_label]),
        find(&[
            "plugin_host_requests_total{",
            &plugin_label,
            "status=\"499\"",
        ]),
    )
}

/// A client that goes away while its sandbox runs: the sandbox is stopped,
/// its place and its gauge are given back once, and the request is counted
/// (499); a later request runs at once instead of queueing behind a sandbox
/// nobody waits for.
#[tokio::test]
async fn a_client_that_leaves_stops_its_sandbox_and_frees_its_place() {
    const HOSTILE_MANIFEST: &str = "id = \"hostile\"\ncomponent = \"unused.wasm\"\n\
        max_concurrency = 1\nqueue = 1\n[limits]\ntimeout_ms = 5000\n";
    let router = router(Options {
        plugin: Some((HOSTILE, HOSTILE_MANIFEST)),
        ..Options::default()
    });
    let events = "/plugins/hostile/events";
    // Sleeps for an hour on a WASI clock (its deadline here is 5 s); the
    // client waits 200 ms.
    let busy = event_body("sleep");
    let left = tokio::time::timeout(
        Duration::from_millis(200),
        router
            .clone()
            .oneshot(request(events, events, SECRET, &["date"], &busy)),
    )
    .await;
    assert!(left.is_err(), "the client left before the answer: {left:?}");

    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let (gauge, cancelled) = loop {
        let (gauge, cancelled) = gauge_and_cancelled(&router, "hostile").await;
        if gauge.ends_with(" 0") || std::time::Instant::now() > deadline {
            break (gauge, cancelled);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(gauge.ends_with(" 0"), "the sandbox is gone: {gauge:?}");
    assert!(cancelled.ends_with(" 1"), "counted as 499: {cancelled:?}");

    let started = std::time::Instant::now();
    let ok = event_body("ok");
    let answered = router
        .clone()
        .oneshot(request(events, events, SECRET, &["date"], &ok))
        .await
        .expect("infallible");
    assert_eq!(answered.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "admitted at once: {:?}",
        started.elapsed()
    );
}
