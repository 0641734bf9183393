//! The checks behind the cargo-fuzz targets over ws-spec.
//!
//! Each `fuzz_targets/<name>.rs` is a one-line wrapper around `<name>::run`, so
//! the same oracles also run on stable in this crate's tests, over the seed
//! corpus (`cargo test --manifest-path fuzz/Cargo.toml`). A failed check is a
//! panic, which libFuzzer reports as a crash and saves as an artifact.

#![warn(missing_docs)]

pub mod alloc_track;
pub mod close_payload;
pub mod deflate_inflate;
pub mod deflate_negotiation;
pub mod deflate_roundtrip;
pub mod endpoint;
pub mod extensions;
pub mod frame_decoder;
pub mod handshake_request;
pub mod handshake_response;
pub mod seeds;
pub mod split;
pub mod utf8;

/// A target's check: panics on any broken property.
pub type Check = fn(&[u8]);

/// Every target: its name (as cargo fuzz knows it) and its check.
pub const TARGETS: [(&str, Check); 10] = [
    ("frame_decoder", frame_decoder::run),
    ("handshake_request", handshake_request::run),
    ("handshake_response", handshake_response::run),
    ("extensions", extensions::run),
    ("utf8", utf8::run),
    ("endpoint", endpoint::run),
    ("close_payload", close_payload::run),
    ("deflate_inflate", deflate_inflate::run),
    ("deflate_roundtrip", deflate_roundtrip::run),
    ("deflate_negotiation", deflate_negotiation::run),
];
