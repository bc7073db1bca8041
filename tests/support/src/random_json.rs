//! Deterministic random JSON rich in what the SDK's skimmer looks for
//! (quotes, backslash runs of every length, brackets inside strings, text
//! longer than its 64-byte blocks). Used by the skimmer's unit tests
//! (`guest-sdk/src/skim.rs`) and the end-to-end test that runs the SDK
//! compiled for wasm (`tests/tests/e2e/in_process/sdk_probe.rs`).

use serde_json::{Value, json};

/// A deterministic pseudo-random generator (an LCG); the `u64` is its seed
/// and then its state.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// A string, sometimes longer than a 64-byte block.
    pub fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "\"",
            "\\",
            "\\\\",
            "\\\\\\",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "/",
            "~",
            "é",
            "🎁",
            "0123456789",
            "\n",
            "\\\"",
            "\"]}",
        ];
        let len = match self.below(8) {
            0 => 40 + self.below(80),
            _ => self.below(12),
        };
        (0..len)
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }

    /// A value nested at most `depth` levels.
    pub fn value(&mut self, depth: u32) -> Value {
        match if depth == 0 {
            self.below(4)
        } else {
            self.below(8)
        } {
            0 => json!(self.below(1_000_000) as i64 - 500_000),
            1 => Value::String(self.text()),
            2 => [Value::Null, json!(true), json!(false), json!(-1.5e-3)][self.below(4) as usize]
                .clone(),
            3 => json!([]),
            4..=6 => {
                let n = self.below(6);
                Value::Object(
                    (0..n)
                        .map(|_| (self.text(), self.value(depth - 1)))
                        .collect(),
                )
            }
            _ => {
                let n = self.below(6);
                Value::Array((0..n).map(|_| self.value(depth - 1)).collect())
            }
        }
    }
}
