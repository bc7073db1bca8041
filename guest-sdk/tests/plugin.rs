//! A plugin exported with the macro, driven through `testing`.
#![allow(clippy::unwrap_used)]

use plugin_sdk::testing::{TestHost, fixture, load_event, run_event, run_override, run_webhook};
use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, Level, assert_actions};

struct Echo;

impl CheckoutPlugin for Echo {
    fn handle_event(event: &Event, host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        host.log(Level::Debug, "event", &[("name", event.name())]);
        host.info("info");
        host.warn("warn");
        host.error("error");
        host.trace("trace");
        host.debug("debug");
        let times: u32 = host.config_or("times", 1)?;
        Ok((0..times)
            .map(|i| Action::add_note(format!("{} #{i}", event.name())))
            .collect())
    }

    /// `{"<kind>": <body>}`: JSON, as the host requires of an override answer.
    fn handle_override(kind: &str, body: &str, _: &dyn Host) -> Result<String, HandlerError> {
        Ok(format!(r#"{{"{kind}":{body}}}"#))
    }
}

plugin_sdk::export_checkout_plugin!(Echo);

struct Defaults;

impl CheckoutPlugin for Defaults {
    fn handle_event(_: &Event, _: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        Ok(vec![])
    }
}

#[test]
fn runs_events_with_config_and_logs() {
    let host = TestHost::new()
        .with_config("times", "1")
        .with_config("times", "2");
    let actions = run_event::<Echo>(&fixture("app_hook"), &host).unwrap();
    assert_actions!(actions, [
        {"type": "add_note", "data": {"note": "app_hook #0"}},
        {"type": "add_note", "data": {"note": "app_hook #1"}},
    ]);
    let logs = host.logs();
    let levels: Vec<_> = logs.iter().map(|r| r.level).collect();
    assert_eq!(
        levels,
        [
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
            Level::Trace,
            Level::Debug
        ]
    );
    assert_eq!(logs[0].fields, [("name".to_owned(), "app_hook".to_owned())]);
    assert!(host.logged("warn"));
    host.clear_logs();
    assert!(host.logs().is_empty());
    assert_eq!(host.config_all(), [("times".to_owned(), "2".to_owned())]);
}

#[test]
fn bad_config_is_failed_naming_the_key() {
    let host = TestHost::new().with_config("times", "-1");
    let err = run_event::<Echo>(&fixture("app_hook"), &host).unwrap_err();
    assert!(
        matches!(&err, HandlerError::Failed(m) if m.contains("`times`")),
        "{err}"
    );
    assert!(err.to_string().starts_with("failed: "));
}

#[test]
fn overrides_and_webhooks() {
    let host = TestHost::new();
    assert_eq!(
        run_override::<Echo>("inventory", "{}", &host).unwrap(),
        r#"{"inventory":{}}"#
    );
    assert_eq!(
        run_webhook::<Echo>("orders", "{}", &host),
        Err(HandlerError::Unsupported)
    );
    assert_eq!(
        run_override::<Defaults>("x", "{}", &host),
        Err(HandlerError::Unsupported)
    );
    assert_eq!(
        run_webhook::<Defaults>("x", "{}", &host),
        Err(HandlerError::Unsupported)
    );
}

#[test]
fn load_event_errors() {
    let missing = load_event("/definitely/not/here.json").unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    let dir = std::env::temp_dir().join(format!("plugin-sdk-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.json");
    std::fs::write(&path, "[1]").unwrap();
    let bad = load_event(&path).unwrap_err();
    assert_eq!(bad.kind(), std::io::ErrorKind::InvalidData);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[should_panic(expected = "no fixture")]
fn unknown_fixture_panics() {
    fixture("nope");
}

#[test]
fn handler_error_display() {
    assert_eq!(HandlerError::Unsupported.to_string(), "unsupported");
    assert_eq!(
        HandlerError::invalid_input("x").to_string(),
        "invalid input: x"
    );
    assert_eq!(HandlerError::failed("y").to_string(), "failed: y");
    let _: &dyn std::error::Error = &HandlerError::Unsupported;
}
