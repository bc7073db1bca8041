//! What can go wrong inside a sandbox, in the agreed words that logs,
//! metrics, `invoke` and error bodies use.

use std::fmt;

/// The kind of a handler fault: the word used in logs, metrics, `invoke` and
/// error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The guest used up its fuel.
    FuelExhausted,
    /// The guest ran past its wall-clock deadline.
    Timeout,
    /// The guest tried to grow its memory past its limit.
    MemoryLimit,
    /// The guest trapped (panic, stack overflow, unreachable, …).
    Trap,
    /// The answer is larger than the output limit.
    OutputLimit,
    /// The answer is malformed (bad action data, action outside scopes, …).
    InvalidOutput,
    /// The handler returned an error of its own.
    HandlerError,
    /// The handler does not handle this call.
    Unsupported,
    /// No sandbox could be had (all busy).
    Overloaded,
}

impl FaultKind {
    /// Every kind, for metrics that want a zero for each.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::FuelExhausted,
        FaultKind::Timeout,
        FaultKind::MemoryLimit,
        FaultKind::Trap,
        FaultKind::OutputLimit,
        FaultKind::InvalidOutput,
        FaultKind::HandlerError,
        FaultKind::Unsupported,
        FaultKind::Overloaded,
    ];

    /// The agreed word for this kind, e.g. `fuel_exhausted`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::FuelExhausted => "fuel_exhausted",
            FaultKind::Timeout => "timeout",
            FaultKind::MemoryLimit => "memory_limit",
            FaultKind::Trap => "trap",
            FaultKind::OutputLimit => "output_limit",
            FaultKind::InvalidOutput => "invalid_output",
            FaultKind::HandlerError => "handler_error",
            FaultKind::Unsupported => "unsupported",
            FaultKind::Overloaded => "overloaded",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A handler fault: its kind and a short reason for the operator.
///
/// The reason may quote the guest (a handler's error text); guest panic
/// messages go to the invocation's log, never here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {reason}")]
pub struct Fault {
    /// What went wrong.
    pub kind: FaultKind,
    /// Why, in a few words.
    pub reason: String,
}

impl Fault {
    /// A fault of `kind` with `reason`.
    pub fn new(kind: FaultKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_agreed_names() {
        let names: std::collections::HashSet<_> =
            FaultKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), FaultKind::ALL.len());
        assert_eq!(FaultKind::FuelExhausted.to_string(), "fuel_exhausted");
        let fault = Fault::new(FaultKind::Timeout, "deadline of 100 ms passed");
        assert_eq!(fault.to_string(), "timeout: deadline of 100 ms passed");
    }
}
