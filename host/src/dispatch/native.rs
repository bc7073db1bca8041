//! The example handlers compiled into the host (feature
//! `native-example-handlers`, flag `serve --native-handlers`): the baseline
//! of the sandbox benchmarks. Same server, same signature check, routing,
//! action validation and JSON answer; only the handler is called directly
//! instead of in a fresh sandbox. Without the feature no native handler
//! exists and [`NativeHandler::for_plugin`] answers `None`.

use std::sync::Arc;

use super::actions::ActionPolicy;
use super::answer::Answer;
use crate::fault::Fault;
use crate::runtime::Call;

/// The plugin's entry points, monomorphised for one plugin type; the host
/// (imports) is the plugin's config.
type Dispatch = fn(&Call, &[(String, String)], &ActionPolicy) -> Result<Answer, Fault>;

/// A handler called in-process.
#[derive(Clone)]
pub struct NativeHandler {
    dispatch: Dispatch,
    config: Arc<[(String, String)]>,
    policy: Arc<ActionPolicy>,
}

impl std::fmt::Debug for NativeHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeHandler").finish_non_exhaustive()
    }
}

impl NativeHandler {
    /// The native build of the example plugin with this id, if this host was
    /// built with them.
    pub fn for_plugin(
        id: &str,
        config: Vec<(String, String)>,
        policy: ActionPolicy,
    ) -> Option<Self> {
        let dispatch = examples::dispatch_for(id)?;
        Some(Self {
            dispatch,
            config: config.into(),
            policy: Arc::new(policy),
        })
    }

    /// Calls the handler.
    pub fn call(&self, call: &Call) -> Result<Answer, Fault> {
        (self.dispatch)(call, &self.config, &self.policy)
    }
}

#[cfg(not(feature = "native-example-handlers"))]
mod examples {
    pub(super) fn dispatch_for(_id: &str) -> Option<super::Dispatch> {
        None
    }
}

#[cfg(feature = "native-example-handlers")]
mod examples {
    use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host, Level};

    use super::Dispatch;
    use crate::dispatch::actions::{self, ActionPolicy, WireAction};
    use crate::dispatch::answer::Answer;
    use crate::fault::{Fault, FaultKind};
    use crate::runtime::Call;

    pub(super) fn dispatch_for(id: &str) -> Option<Dispatch> {
        match id {
            "example-checkout" => Some(dispatch::<example_checkout::ExampleCheckout>),
            "gift-wrap" => Some(dispatch::<gift_wrap::GiftWrap>),
            _ => None,
        }
    }

    struct ConfigHost<'a>(&'a [(String, String)]);

    impl Host for ConfigHost<'_> {
        fn config(&self, key: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        }

        fn config_all(&self) -> Vec<(String, String)> {
            self.0.to_vec()
        }

        fn log(&self, _level: Level, _message: &str, _fields: &[(&str, &str)]) {}
    }

    fn dispatch<P: CheckoutPlugin>(
        call: &Call,
        config: &[(String, String)],
        policy: &ActionPolicy,
    ) -> Result<Answer, Fault> {
        let host: &dyn Host = &ConfigHost(config);
        let handler_fault = |e: HandlerError| match e {
            HandlerError::Unsupported => Fault::new(FaultKind::Unsupported, "unsupported"),
            other => Fault::new(FaultKind::HandlerError, other.to_string()),
        };
        match call {
            Call::Event { name, body } => {
                let event = Event::new(name.as_str(), body.as_str()).map_err(handler_fault)?;
                let actions: Vec<Action> = P::handle_event(&event, host).map_err(handler_fault)?;
                let wire: Vec<WireAction> = actions.into_iter().map(Action::into_wire).collect();
                let body = actions::checkout_response(&wire, policy)?;
                Ok(Answer::Checkout {
                    body,
                    actions: wire.len(),
                })
            }
            Call::Override { kind, body } => P::handle_override(kind, body, host)
                .map(Answer::Override)
                .map_err(handler_fault),
            Call::Webhook { topic, body } => P::handle_webhook(topic, body, host)
                .map(|()| Answer::Webhook)
                .map_err(handler_fault),
            // The baseline handlers are checkout plugins.
            Call::PlatformEvent { .. } | Call::BoldRequest(_) => Err(Fault::new(
                FaultKind::Unsupported,
                "the native handlers are checkout plugins, not connectors",
            )),
        }
    }
}
