//! `HostConfig::from_file_with_env` on an arbitrary host file and manifests
//! (format and properties: `../harness.rs`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::host_file(data);
});
