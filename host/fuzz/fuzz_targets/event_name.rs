//! `read_event_field` / `require_event_field` on arbitrary bodies
//! (properties: `../harness.rs`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::event_name(data);
});
