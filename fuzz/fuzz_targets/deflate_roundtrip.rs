#![no_main]
//! cargo-fuzz entry point; the checks are in `ws_spec_fuzz::deflate_roundtrip`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ws_spec_fuzz::deflate_roundtrip::run(data));
