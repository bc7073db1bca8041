//! `plugin-sdk`'s event accessors, as compiled for wasm (where the SDK skims
//! JSON with `simd128` code that its native unit tests never run), agree
//! with serde_json on generated bodies: every top-level key in order, and
//! the value at every JSON pointer into the body.

use plugin_host::runtime::{Answer, Call};
use plugin_tests::guests::SDK_PROBE;
use plugin_tests::support::{load, settings};
use serde_json::{Map, Value, json};

/// A deterministic pseudo-random generator (an LCG).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// Text rich in what the skimmer looks for, sometimes longer than its
    /// 64-byte blocks, with backslash runs of every length.
    fn text(&mut self) -> String {
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

    fn value(&mut self, depth: u32) -> Value {
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

/// Every pointer into `value`, plus one that is missing below each object.
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) => {
            out.push(format!("{prefix}/no such key"));
            for (key, child) in map {
                let pointer = format!("{prefix}/{}", escape(key));
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            out.push(format!("{prefix}/{}", items.len()));
            for (i, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{i}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn wasm_sdk_reads_what_serde_json_reads() {
    let plugin = load(SDK_PROBE, settings("sdk-probe", &[]));
    let mut rng = Rng(2026);
    let mut checked = 0;
    for round in 0..150 {
        let mut body = Map::new();
        for k in 0..1 + rng.below(6) {
            body.insert(format!("k{k}{}", rng.text()), rng.value(4));
        }
        let mut expected_pointers = Vec::new();
        pointers(&Value::Object(body.clone()), "", &mut expected_pointers);
        body.insert("pointers".to_owned(), json!(expected_pointers));
        let body = Value::Object(body);
        let text = if round % 2 == 0 {
            body.to_string()
        } else {
            serde_json::to_string_pretty(&body).expect("JSON")
        };

        let invocation = plugin
            .invoke(Call::Event {
                name: "probe",
                body: &text,
            })
            .await;
        let answer = match &invocation.outcome {
            Ok(Answer::Checkout { body, .. }) => body.clone(),
            other => panic!("round {round}: {other:?}\nbody: {text}"),
        };
        let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
        let note = answer["actions"][0]["data"]["note"]
            .as_str()
            .expect("one add_note");
        let report: Value = serde_json::from_str(note).expect("the probe's JSON");

        let keys: Vec<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        // serde_json's map is sorted here (no `preserve_order`), and so is
        // the text it wrote: the order matches.
        assert_eq!(report["keys"], json!(keys), "round {round}: {text}");
        for (pointer, got) in expected_pointers.iter().zip(
            report["values"]
                .as_array()
                .expect("values")
                .iter()
                .chain(std::iter::repeat(&Value::Null)),
        ) {
            // The SDK reads `null` as no value.
            let expected = body.pointer(pointer).cloned().unwrap_or(Value::Null);
            assert_eq!(got, &expected, "round {round}, pointer {pointer:?}: {text}");
            checked += 1;
        }
    }
    assert!(checked > 3_000, "only {checked} pointers checked");
}
