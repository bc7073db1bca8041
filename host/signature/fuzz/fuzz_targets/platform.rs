//! `BodySignature::verify` on arbitrary header values and bodies (format:
//! `../harness.rs`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::platform(data);
});
