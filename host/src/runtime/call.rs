//! What a sandbox is asked: one call of one of the exports of the plugin's
//! world, with the verified request it carries. Owned, so that it moves to a
//! sandbox thread with the request's body and no copy.

/// What to ask the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A checkout event (`handle-event`): its name and verified raw body.
    Event {
        /// The event name (the body's `event` field).
        name: String,
        /// The raw JSON body.
        body: String,
    },
    /// An override call (`handle-override`).
    Override {
        /// The override kind, e.g. `inventory`.
        kind: String,
        /// The raw JSON body.
        body: String,
    },
    /// A plugin webhook (`handle-webhook`).
    Webhook {
        /// The webhook topic.
        topic: String,
        /// The raw JSON body.
        body: String,
    },
    /// A platform webhook for a connector (`handle-platform-event`).
    PlatformEvent {
        /// The topic (last path segment).
        topic: String,
        /// The verified raw body.
        body: String,
    },
    /// A call from Bold on a connector (`handle-bold-request`).
    BoldRequest(BoldCall),
}

/// A call Bold made on a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoldCall {
    /// The HTTP method, upper case.
    pub method: String,
    /// The shop from the URL.
    pub shop_identifier: String,
    /// The path below the shop, no leading `/`.
    pub path: String,
    /// The query string without `?`.
    pub query: String,
    /// The verified body.
    pub body: String,
}

impl Call {
    /// Bytes of input the guest gets (the fuel budget scales with it).
    pub fn body_len(&self) -> usize {
        match self {
            Call::Event { body, .. }
            | Call::Override { body, .. }
            | Call::Webhook { body, .. }
            | Call::PlatformEvent { body, .. } => body.len(),
            Call::BoldRequest(call) => call.body.len() + call.path.len() + call.query.len(),
        }
    }
}
