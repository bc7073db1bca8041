//! `Event` (the skimmer, the accessors, JSON pointers) on arbitrary bodies
//! (properties: `../harness.rs`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::skim(data);
});
