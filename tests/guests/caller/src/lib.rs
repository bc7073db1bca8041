//! A test guest for world `checkout:plugin/checkout-plugin` (contract
//! 0.1.1) that calls out, written against the WIT alone (`wit-bindgen`, no
//! SDK), so the host's `shop`, `bold-api` and `outbound-http` imports can be
//! tested end to end.
//!
//! `handle-event` behaves according to `event.name`; each answer is one
//! `add-note` action whose note is JSON (an `add_note` needs the scope
//! `modify_order`, which the tests grant):
//!
//! | name       | behaviour |
//! |------------|-----------|
//! | `shop`     | `null`, or `{"platform","shop","installed","scopes"}` |
//! | `bold_api` | sends config `bold_method` (default `GET`) `bold_path` with body config `bold_body` (default empty) to the `bold-api` import; `{"status","body"}` or `{"error"}` |
//! | `http`     | sends `GET` config `http_url` through `outbound-http`; `{"status","body"}` or `{"error"}` |
//! | `bold_api_twice` | two `bold-api` requests as `bold_api`; a list of both results |
//! | anything else | `handler-error::unsupported` |
//!
//! Overrides and webhooks are `unsupported`.

/// Every event name `handle-event` gives a behaviour to.
pub const EVENTS: &[&str] = &["shop", "bold_api", "http", "bold_api_twice"];

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "checkout-plugin",
    });

    use super::Caller;
    export!(Caller with_types_in self);
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use crate::bindings::checkout::plugin::types::{Action, Event, HandlerError};
    use crate::bindings::checkout::plugin::{bold_api, config, outbound_http, shop};

    impl crate::bindings::Guest for crate::Caller {
        fn handle_event(event: Event) -> Result<Vec<Action>, HandlerError> {
            let note = match event.name.as_str() {
                "shop" => shop_info(),
                "bold_api" => bold(),
                "bold_api_twice" => format!("[{},{}]", bold(), bold()),
                "http" => http(),
                _ => return Err(HandlerError::Unsupported),
            };
            Ok(vec![Action::AddNote(note)])
        }

        fn handle_override(_kind: String, _body: String) -> Result<String, HandlerError> {
            Err(HandlerError::Unsupported)
        }

        fn handle_webhook(_topic: String, _body: String) -> Result<(), HandlerError> {
            Err(HandlerError::Unsupported)
        }
    }

    /// A JSON string literal.
    fn quote(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn shop_info() -> String {
        match shop::current() {
            None => "null".to_owned(),
            Some(s) => format!(
                "{{\"platform\":{},\"shop\":{},\"installed\":{},\"scopes\":[{}]}}",
                quote(&s.platform),
                quote(&s.shop),
                s.installed,
                s.scopes
                    .iter()
                    .map(|x| quote(x))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    fn response(status: u16, body: &[u8]) -> String {
        format!(
            "{{\"status\":{status},\"body\":{}}}",
            quote(&String::from_utf8_lossy(body))
        )
    }

    /// The error's variant and payload, e.g. `NotAllowed("…")` (the
    /// bindings' `Debug`, without its `Error::` prefix).
    fn error(text: String) -> String {
        format!(
            "{{\"error\":{}}}",
            quote(text.trim_start_matches("Error::"))
        )
    }

    fn bold() -> String {
        let request = bold_api::Request {
            method: config::get("bold_method").unwrap_or_else(|| "GET".to_owned()),
            path: config::get("bold_path").unwrap_or_default(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: config::get("bold_body").unwrap_or_default().into_bytes(),
        };
        match bold_api::send(&request) {
            Ok(r) => response(r.status, &r.body),
            Err(e) => error(format!("{e:?}")),
        }
    }

    fn http() -> String {
        let request = outbound_http::Request {
            method: "GET".to_owned(),
            url: config::get("http_url").unwrap_or_default(),
            headers: vec![],
            body: vec![],
        };
        match outbound_http::send(&request) {
            Ok(r) => response(r.status, &r.body),
            Err(e) => error(format!("{e:?}")),
        }
    }
}

/// The exported component type.
#[derive(Debug)]
pub struct Caller;
