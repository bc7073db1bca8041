//! Per-plugin sandbox limits and their agreed defaults (fuel 20,000,000 +
//! 200 per body byte, 100 ms, 64 MiB of memory, 256 KiB of output, 16 KiB of
//! log, 1 MiB of body): an interface operators rely on.

use std::time::Duration;

use serde::Deserialize;

/// Fuel every invocation gets whatever the body size.
pub const DEFAULT_BASE_FUEL: u64 = 20_000_000;
/// Extra fuel per byte of request body (decoding JSON costs ~100 fuel a byte).
pub const DEFAULT_FUEL_PER_BODY_BYTE: u64 = 200;
/// Wall-clock deadline of one invocation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
/// Linear memory a guest may grow to.
pub const DEFAULT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
/// Size of the JSON answer a guest may produce.
pub const DEFAULT_OUTPUT_BYTES: u64 = 256 * 1024;
/// Log bytes kept per invocation; the rest is dropped with a marker.
pub const DEFAULT_LOG_BYTES: u64 = 16 * 1024;
/// Largest request body the host accepts.
pub const DEFAULT_BODY_BYTES: u64 = 1024 * 1024;

/// The limits one plugin's invocations run under.
///
/// In a manifest these are the keys of the `[limits]` table; every key is
/// optional and defaults to the agreed value (the `DEFAULT_*` constants).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Fixed part of the fuel budget.
    pub base_fuel: u64,
    /// Fuel added per byte of the request body.
    pub fuel_per_body_byte: u64,
    /// Wall-clock deadline in milliseconds (instantiation and call).
    pub timeout_ms: u64,
    /// Maximum linear memory in bytes.
    pub memory_bytes: u64,
    /// Maximum size of the answer in bytes (serialised JSON).
    pub output_bytes: u64,
    /// Log bytes kept per invocation.
    pub log_bytes: u64,
    /// Maximum request body in bytes.
    pub body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            base_fuel: DEFAULT_BASE_FUEL,
            fuel_per_body_byte: DEFAULT_FUEL_PER_BODY_BYTE,
            timeout_ms: DEFAULT_TIMEOUT.as_millis() as u64,
            memory_bytes: DEFAULT_MEMORY_BYTES,
            output_bytes: DEFAULT_OUTPUT_BYTES,
            log_bytes: DEFAULT_LOG_BYTES,
            body_bytes: DEFAULT_BODY_BYTES,
        }
    }
}

impl Limits {
    /// The fuel budget for a body of `body_len` bytes:
    /// `base_fuel + fuel_per_body_byte × body_len`, saturating.
    pub fn fuel_for(&self, body_len: usize) -> u64 {
        self.fuel_per_body_byte
            .saturating_mul(body_len as u64)
            .saturating_add(self.base_fuel)
    }

    /// The wall-clock deadline.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_scales_with_body_size() {
        let limits = Limits::default();
        assert_eq!(limits.fuel_for(0), 20_000_000);
        assert_eq!(limits.fuel_for(3_000), 20_600_000);
        assert_eq!(limits.fuel_for(1 << 20), 20_000_000 + 200 * (1 << 20));
    }

    #[test]
    fn fuel_saturates_instead_of_overflowing() {
        let limits = Limits {
            fuel_per_body_byte: u64::MAX,
            ..Limits::default()
        };
        assert_eq!(limits.fuel_for(2), u64::MAX);
    }
}
