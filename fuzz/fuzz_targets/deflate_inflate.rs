#![no_main]
//! cargo-fuzz entry point; the checks are in `ws_spec_fuzz::deflate_inflate`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ws_spec_fuzz::deflate_inflate::run(data));
