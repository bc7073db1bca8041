//! The connector world in the runtime, in-process: which world a component
//! satisfies, calls of the other world refused, notifications checked, and
//! outbound HTTP refused without a grant, or to a granted name that
//! resolves to the host itself.

use plugin_host::dispatch::Answer;
use plugin_host::dispatch::notifications::NotificationKind;
use plugin_host::fault::FaultKind;
use plugin_host::runtime::outbound::OutboundGrant;
use plugin_host::runtime::{BoldCall, Call};
use plugin_tests::guests::{EXAMPLE_CHECKOUT, PLATFORM_SYNC};
use plugin_tests::mocks::MockPlatform;
use plugin_tests::support::{fixture_body, load, settings};

/// The text of a platform-sync fixture (`plugins/platform-sync/fixtures`).
fn sync_fixture_body(name: &str) -> String {
    let path = std::path::Path::new(plugin_tests::WORKSPACE)
        .join("plugins/platform-sync/fixtures")
        .join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn each_component_is_called_only_through_its_own_world() {
    let connector = load(PLATFORM_SYNC, settings("platform-sync", &[]));
    let checkout = load(EXAMPLE_CHECKOUT, settings("example-checkout", &[]));
    assert!(connector.is_connector());
    assert!(!checkout.is_connector());

    let body = fixture_body("initialize_checkout");
    let event = Call::Event {
        name: "initialize_checkout".to_owned(),
        body: body.to_owned(),
    };
    let fault = connector.invoke(&event).await.outcome.unwrap_err();
    assert_eq!(fault.kind, FaultKind::Unsupported, "{fault}");

    let product = sync_fixture_body("product-updated");
    let platform = Call::PlatformEvent {
        topic: "product-updated".to_owned(),
        body: product.to_owned(),
    };
    let fault = checkout.invoke(&platform).await.outcome.unwrap_err();
    assert_eq!(fault.kind, FaultKind::Unsupported, "{fault}");
}

#[tokio::test]
async fn a_platform_webhook_becomes_checked_notifications() {
    let connector = load(PLATFORM_SYNC, settings("platform-sync", &[]));
    let product = sync_fixture_body("product-updated");
    let invocation = connector
        .invoke(&Call::PlatformEvent {
            topic: "product-updated".to_owned(),
            body: product.to_owned(),
        })
        .await;
    let Ok(Answer::Notifications(notifications)) = invocation.outcome else {
        panic!("{:?}", invocation.outcome);
    };
    assert_eq!(notifications.len(), 1);
    let n = &notifications[0];
    assert_eq!(n.kind, NotificationKind::ProductSaved);
    assert_eq!(n.platform_id, "p1");
    let payload: serde_json::Value = serde_json::from_str(&n.payload()).expect("JSON");
    assert_eq!(payload["data"]["product"]["platform_id"], "p1");
    assert_eq!(
        payload["data"]["product"]["platform_updated_at"],
        n.updated_at.as_str()
    );
    assert!(
        invocation.report.output_bytes > 100,
        "notifications count as output"
    );

    // A body the handler refuses: a handler error, nothing to queue.
    let invocation = connector
        .invoke(&Call::PlatformEvent {
            topic: "product-updated".to_owned(),
            body: r#"{"id": "p1"}"#.to_owned(),
        })
        .await;
    assert_eq!(
        invocation.outcome.unwrap_err().kind,
        FaultKind::HandlerError
    );
}

#[tokio::test]
async fn outbound_http_is_refused_without_a_grant() {
    let connector = load(
        PLATFORM_SYNC,
        settings(
            "platform-sync",
            &[("platform_api_url", "http://127.0.0.1:9")],
        ),
    );
    let call = BoldCall {
        method: "PUT".into(),
        shop_identifier: "shop".into(),
        path: "customers/4242".into(),
        query: String::new(),
        body: sync_fixture_body("update-customer"),
    };
    let invocation = connector.invoke(&Call::BoldRequest(call)).await;
    let fault = invocation.outcome.unwrap_err();
    assert_eq!(fault.kind, FaultKind::HandlerError);
    assert!(
        fault.reason.contains("not allowed") && fault.reason.contains("no outbound HTTP"),
        "{}",
        fault.reason
    );
}

/// A Bold "update customer" call, which makes platform-sync call the
/// platform API.
fn update_customer() -> Call {
    Call::BoldRequest(BoldCall {
        method: "PUT".into(),
        shop_identifier: "shop".into(),
        path: "customers/4242".into(),
        query: String::new(),
        body: sync_fixture_body("update-customer"),
    })
}

#[tokio::test]
async fn a_granted_name_that_resolves_to_the_host_itself_is_not_reached() {
    let customer: serde_json::Value =
        serde_json::from_str(&sync_fixture_body("platform-customer-4242")).expect("JSON");
    let platform = MockPlatform::start("platform-token", vec![customer]).await;
    let port = platform.addr.port();
    let connector = |granted: String, url: String| {
        let mut s = settings(
            "platform-sync",
            &[
                ("platform_api_url", &url),
                ("platform_api_token", "platform-token"),
            ],
        );
        s.runtime.outbound = Some(OutboundGrant {
            allowed_hosts: [granted].into(),
            ..OutboundGrant::default()
        });
        load(PLATFORM_SYNC, s)
    };

    // The platform granted by a name, `localhost`, that resolves to
    // loopback: refused at the connection, nothing reaches the platform.
    let by_name = connector(
        format!("localhost:{port}"),
        format!("http://localhost:{port}"),
    );
    let fault = by_name
        .invoke(&update_customer())
        .await
        .outcome
        .unwrap_err();
    assert_eq!(fault.kind, FaultKind::HandlerError, "{fault}");
    assert!(
        fault.reason.contains("not allowed")
            && fault
                .reason
                .contains("`localhost` resolves only to addresses the host does not connect to"),
        "{}",
        fault.reason
    );
    assert!(platform.requests().is_empty(), "{:?}", platform.requests());

    // The same platform granted as the IP literal it listens on is reached.
    let literal = connector(platform.addr.to_string(), platform.url());
    let invocation = literal.invoke(&update_customer()).await;
    assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
    assert!(!platform.requests().is_empty());
}
