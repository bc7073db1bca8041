//! The error a handler returns instead of an answer.

use std::fmt;

/// Why a handler produced no answer; mirrors the WIT `handler-error`.
///
/// The host turns it into its fault kinds: `Unsupported` → `unsupported`
/// (HTTP callers of overrides and webhooks get 404), the others →
/// `handler_error`. The message is logged by the host, never shown to the
/// buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// The plugin does not handle this kind of call (an override kind,
    /// webhook topic or event it has no code for).
    Unsupported,
    /// The request could not be understood: a field the handler needs is
    /// missing or has the wrong shape. Decoding errors of [`Event`]
    /// accessors name the field: `"cart: invalid type: ..."`.
    ///
    /// [`Event`]: crate::Event
    InvalidInput(String),
    /// The handler failed for a reason of its own (e.g. a bad config value).
    Failed(String),
}

impl HandlerError {
    /// `HandlerError::InvalidInput(message)`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        HandlerError::InvalidInput(message.into())
    }

    /// `HandlerError::Failed(message)`.
    pub fn failed(message: impl Into<String>) -> Self {
        HandlerError::Failed(message.into())
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerError::Unsupported => f.write_str("unsupported"),
            HandlerError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            HandlerError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for HandlerError {}
