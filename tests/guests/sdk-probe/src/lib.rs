//! A test guest built on `plugin-sdk` that reports what the SDK's lazy
//! accessors read from an event. In wasm the SDK skims JSON with `simd128`
//! code that native tests never run; the end-to-end tests compare this
//! guest's answers with serde_json's on generated bodies.
//!
//! `handle-event`, for any event name: the body's top-level `pointers` is a
//! list of JSON pointers. The answer is one `add_note` whose note is the
//! JSON text `{"keys": [...], "values": [...]}`: the body's top-level keys
//! in order ([`Event::keys`]), and for each pointer what
//! [`Event::pointer`] gave: the value, `null` for none, or
//! `{"error": "..."}`.

use plugin_sdk::serde_json::{Value, json};
use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host};

/// The plugin.
#[derive(Debug)]
pub struct SdkProbe;

impl CheckoutPlugin for SdkProbe {
    fn handle_event(event: &Event, _host: &dyn Host) -> Result<Vec<Action>, HandlerError> {
        let pointers: Vec<String> = event.field("pointers")?.unwrap_or_default();
        let values: Vec<Value> = pointers
            .iter()
            .map(|pointer| match event.pointer::<Value>(pointer) {
                Ok(value) => value.unwrap_or(Value::Null),
                Err(err) => json!({ "error": err.to_string() }),
            })
            .collect();
        let keys: Vec<&str> = event.keys().collect();
        Ok(vec![Action::add_note(
            json!({ "keys": keys, "values": values }).to_string(),
        )])
    }
}

plugin_sdk::export_checkout_plugin!(SdkProbe);
