#![no_main]
//! cargo-fuzz entry point; the checks are in `ws_spec_fuzz::close_payload`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ws_spec_fuzz::close_payload::run(data));
