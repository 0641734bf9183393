//! `deflate_roundtrip`: messages compressed by a [`Compressor`] come back
//! exactly from a [`Decompressor`] with the same parameters, fed in pieces,
//! and no compressed message reaches further back than its window
//! (RFC 7692 §7.1.2, checked with [`max_back_reference`]).
//!
//! Input: [`crate::split`] layout with [`CONFIG_LEN`] configuration bytes:
//! window bits (`8 + byte % 8`), then the size of the pieces each compressed
//! payload is fed in (`byte + 1`, 0 meaning whole). The stream's pieces are
//! the messages. Target flags: bit 0 no context takeover, bit 1 zlib's fast
//! level, bit 2 the decompressor's back-reference window check.

use ws_spec::deflate::{max_back_reference, Compressor, Decompressor};

use crate::split::SplitInput;

/// Configuration bytes of this target's input.
pub const CONFIG_LEN: usize = 2;

/// Flag: both ends reset their context after each message.
pub const NO_CONTEXT_TAKEOVER: u8 = 0b001;
/// Flag: compress at zlib's fastest level.
pub const FAST: u8 = 0b010;
/// Flag: the decompressor checks back-reference distances.
pub const WINDOW_CHECK: u8 = 0b100;

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let input = SplitInput::parse(data, CONFIG_LEN);
    let window_bits = 8 + input.config[0] % 8;
    let chunk = match input.config[1] {
        0 => usize::MAX,
        n => usize::from(n) + 1,
    };
    let flags = input.target_flags();
    let no_takeover = flags & NO_CONTEXT_TAKEOVER != 0;
    let mut c = if flags & FAST != 0 {
        Compressor::fast(window_bits, no_takeover)
    } else {
        Compressor::new(window_bits, no_takeover)
    };
    // The largest message is exactly at the limit, which must pass.
    let limit = input.stream.len();
    let mut d = Decompressor::new(window_bits, no_takeover, limit);
    if flags & WINDOW_CHECK != 0 {
        d = d.with_window_check();
    }
    for (i, message) in input.pieces().into_iter().enumerate() {
        let payload = c.compress(message);
        assert!(!payload.is_empty(), "message {i}: empty payload");
        let distance = max_back_reference(&payload)
            .unwrap_or_else(|e| panic!("message {i}: own output unreadable: {e}"));
        assert!(
            distance <= 1 << window_bits,
            "message {i}: back-reference {distance} beyond {window_bits} window bits"
        );
        if no_takeover {
            // Without context takeover a message cannot reach past its start.
            assert!(
                distance <= message.len(),
                "message {i}: reached back {distance}"
            );
        }
        for piece in payload.chunks(chunk.min(payload.len())) {
            d.push(piece)
                .unwrap_or_else(|e| panic!("message {i}: push failed: {e}"));
        }
        let got = d
            .finish_message()
            .unwrap_or_else(|e| panic!("message {i}: finish failed: {e}"));
        assert!(got == message, "message {i} changed in the round trip");
    }
}
