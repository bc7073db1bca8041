//! Replays the committed fuzz corpus (`fuzz/corpus/skim/`) through the fuzz
//! target's own code (`fuzz/harness.rs`), so CI checks it on stable, and
//! keeps the seeds the corpus grew from: Bold's fixtures and PHP-flavoured
//! edge cases, and `write_fuzz_seeds` (ignored) to write them again.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::Outcome;
use plugin_sdk::testing::{fixture_json, fixture_names};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Every file of a corpus directory, sorted.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    test_support::fuzz_corpus::files(&corpus_dir(target))
}

const VALID: Outcome = Outcome {
    indexed: true,
    valid_object: true,
};
/// Skimmed, but serde_json refuses it (the fault is inside a value).
const SKIMMED: Outcome = Outcome {
    indexed: true,
    valid_object: false,
};
const REFUSED: Outcome = Outcome {
    indexed: false,
    valid_object: false,
};

/// The seeds of the `skim` corpus and what each is.
fn skim_seeds() -> Vec<(String, Vec<u8>, Outcome)> {
    let mut seeds: Vec<(String, Vec<u8>, Outcome)> = fixture_names()
        .map(|name| {
            (
                format!("seed-fixture-{name}"),
                fixture_json(name).unwrap().as_bytes().to_vec(),
                VALID,
            )
        })
        .collect();
    let deep = |n: usize| format!("{{\"cart\":{}{}}}", "[".repeat(n), "]".repeat(n));
    let cases: [(&str, String, Outcome); 14] = [
        ("empty-object", "{}".into(), VALID),
        (
            "php-empties",
            r#"{"cart":[],"customer":{"core_info":[],"addresses":[[],{},null,{"city":"X"}]},"cart_params":["a","b"],"order":{"fees":[[]],"shipping":{"0":{"name":"s"}}}}"#.into(),
            VALID,
        ),
        (
            "numbers-as-text",
            r#"{"cart":{"subtotal":"2468","item_count":" 2 ","total_weight":3.0,"cart_token":12345,"requires_shipping":"yes","line_items":[{"quantity":"3","price":"","taxable":0,"sku":42,"platform_variant_id":18446744073709551615}]},"order_id":"145","idempotent_key":99,"language_iso":true}"#.into(),
            VALID,
        ),
        (
            "escaped-and-duplicate-keys",
            r#"{"ev\u0065nt":"a\"b","c\u0061rt":{"line_items":[{"sku":"A"}]},"cart":[],"a/b":{"c~d":[0,{"e\"f":null}]}}"#.into(),
            VALID,
        ),
        (
            "lists-of-lines",
            r#"{"shipping_lines":[[],{"id":1},null,{}],"tax_lines":{"x":{"rate":0.05}},"discount_lines":null,"properties":{"hook":"h"}}"#.into(),
            VALID,
        ),
        ("deep-127", deep(126), VALID),
        ("deep-2000", deep(2000), SKIMMED),
        ("number-out-of-range", r#"{"order_id":1e400}"#.into(), SKIMMED),
        ("nested-unbalanced-kinds", r#"{"cart":[{]},"order":{}}"#.into(), SKIMMED),
        ("nested-bad-literal", r#"{"shipping_lines":[[tru]]}"#.into(), SKIMMED),
        ("control-char-in-key", "{\"a\u{1}\":1}".into(), SKIMMED),
        ("not-an-object", "[{}]".into(), REFUSED),
        ("trailing-text", "{} {}".into(), REFUSED),
        ("unterminated", r#"{"cart":{"a":"]}"}"#.into(), REFUSED),
    ];
    seeds.extend(
        cases
            .into_iter()
            .map(|(name, body, outcome)| (format!("seed-{name}"), body.into_bytes(), outcome)),
    );
    seeds
}

#[test]
fn fuzz_seeds_have_the_expected_outcome() {
    for (name, input, expected) in skim_seeds() {
        assert_eq!(harness::skim(&input), expected, "{name}");
    }
}

#[test]
fn fuzz_corpus_replays() {
    let skim = corpus("skim");
    assert!(!skim.is_empty());
    let (mut valid, mut failing) = (0, Vec::new());
    for (path, input) in &skim {
        match std::panic::catch_unwind(|| harness::skim(input)) {
            Ok(outcome) => valid += usize::from(outcome.valid_object),
            Err(_) => failing.push(path.file_name().unwrap().to_string_lossy()),
        }
    }
    assert!(failing.is_empty(), "failing corpus files: {failing:?}");
    assert!(valid > 0, "no valid object in the skim corpus");
}

/// Writes the seeds into `fuzz/corpus/skim/`:
/// `cargo test -p plugin-sdk --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes files; run by hand to restore the seeds"]
fn write_fuzz_seeds() {
    let dir = corpus_dir("skim");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, input, _) in skim_seeds() {
        std::fs::write(dir.join(name), input).unwrap();
    }
}
