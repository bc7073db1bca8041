//! The manifests in `examples/` parse and describe the agreed setup.

use std::path::Path;

use plugin_host::config::{Manifest, OnError};
use plugin_host::dispatch::Answer;
use plugin_host::runtime::Call;
use plugin_tests::guests::{EXAMPLE_CHECKOUT, GIFT_WRAP};
use plugin_tests::support::{Settings, fixture_body, load};

fn manifest(id: &str) -> Manifest {
    let path = Path::new(plugin_tests::WORKSPACE)
        .join("examples")
        .join(id)
        .join("plugin.toml");
    Manifest::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn example_manifests_name_the_agreed_components_and_secrets() {
    let example = manifest("example-checkout");
    assert_eq!(example.id, "example-checkout");
    assert!(
        example
            .component
            .ends_with("target/wasm32-wasip2/release/example_checkout.wasm")
    );
    assert_eq!(
        example.client_secret_env.as_ref().map(|s| s.names()),
        Some(vec!["EXAMPLE_CHECKOUT_SECRET"])
    );
    assert_eq!(example.on_error, OnError::NoActions);

    let gift = manifest("gift-wrap");
    assert!(
        gift.component
            .ends_with("target/wasm32-wasip2/release/gift_wrap.wasm")
    );
    assert_eq!(
        gift.client_secret_env.as_ref().map(|s| s.names()),
        Some(vec!["GIFT_WRAP_SECRET"])
    );
}

#[tokio::test]
async fn example_manifests_grant_the_scopes_their_plugins_need() {
    for (id, component, fixture_name, event) in [
        (
            "example-checkout",
            EXAMPLE_CHECKOUT,
            "initialize_checkout",
            "initialize_checkout",
        ),
        (
            "example-checkout",
            EXAMPLE_CHECKOUT,
            "order_submitted_us",
            "order_submitted",
        ),
        (
            "gift-wrap",
            GIFT_WRAP,
            "order_submitted_us",
            "order_submitted",
        ),
    ] {
        let plugin = load(component, Settings::from_manifest(&manifest(id)));
        let body = fixture_body(fixture_name);
        let invocation = plugin
            .invoke(&Call::Event {
                name: event.to_owned(),
                body: body.to_owned(),
            })
            .await;
        match invocation.outcome {
            Ok(Answer::Checkout { actions, .. }) => assert!(actions > 0, "{id} {fixture_name}"),
            other => panic!("{id} on {fixture_name}: {other:?}"),
        }
    }
}
