//! `plugin-sdk`'s event accessors, as compiled for wasm (where the SDK skims
//! JSON with `simd128` code that its native unit tests never run), agree
//! with serde_json on generated bodies: every top-level key in order, and
//! the value at every JSON pointer into the body.

use plugin_host::dispatch::Answer;
use plugin_host::runtime::Call;
use plugin_tests::guests::SDK_PROBE;
use plugin_tests::support::{load, settings};
use serde_json::{Map, Value, json};
use test_support::random_json::Rng;

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
            .invoke(&Call::Event {
                name: "probe".to_owned(),
                body: text.to_owned(),
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
