//! `deflate_inflate`: arbitrary bytes taken as permessage-deflate payloads
//! never make the [`Decompressor`] panic, return a message above its limit,
//! or allocate in proportion to what the data claims to inflate to.
//!
//! Input: [`crate::split`] layout with [`CONFIG_LEN`] configuration bytes:
//! window bits (`8 + byte % 8`), then a little-endian u16 whose bit `i` ends
//! a message after piece `i` (the last piece always ends one). Target flags:
//! bit 0 no context takeover, bit 1 the back-reference window check.

use ws_spec::deflate::{Decompressor, DeflateError};

use crate::alloc_track::tracked;
use crate::split::SplitInput;

/// Configuration bytes of this target's input.
pub const CONFIG_LEN: usize = 3;

/// The decompressor's message limit: small, so bombs hit it quickly.
pub const LIMIT: usize = 64 * 1024;

/// Flag: the decompressor resets its window after each message.
pub const NO_CONTEXT_TAKEOVER: u8 = 0b001;
/// Flag: the decompressor checks back-reference distances.
pub const WINDOW_CHECK: u8 = 0b010;

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    inflate_all(data);
}

/// The checks of [`run`], returning the messages inflated and the error
/// that stopped the run, if any.
pub fn inflate_all(data: &[u8]) -> (Vec<Vec<u8>>, Option<DeflateError>) {
    let mut messages = Vec::new();
    let mut error = None;
    let input = SplitInput::parse(data, CONFIG_LEN);
    let window_bits = 8 + input.config[0] % 8;
    let ends = u16::from_le_bytes([input.config[1], input.config[2]]);
    let flags = input.target_flags();
    let pieces = input.pieces();

    let mut peak = 0;
    let mut d = tracked(&mut peak, || {
        let d = Decompressor::new(window_bits, flags & NO_CONTEXT_TAKEOVER != 0, LIMIT);
        if flags & WINDOW_CHECK != 0 {
            d.with_window_check()
        } else {
            d
        }
    });
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let end = last || (i < 16 && ends & (1 << i) != 0);
        let result = tracked(&mut peak, || {
            d.push(piece)?;
            if end {
                d.finish_message().map(Some)
            } else {
                Ok(None)
            }
        });
        match result {
            Ok(Some(message)) => {
                assert!(
                    message.len() <= LIMIT,
                    "{} bytes returned under a {LIMIT}-byte limit",
                    message.len()
                );
                messages.push(message);
            }
            Ok(None) => {}
            Err(e) => {
                match e {
                    DeflateError::TooLarge { limit } => assert_eq!(limit, LIMIT),
                    DeflateError::Inflate { .. }
                    | DeflateError::DataAfterFinalBlock { .. }
                    | DeflateError::WindowExceeded { .. } => {}
                    ref other => panic!("inflating returned {other:?}"),
                }
                // The decompressor is not reusable after an error.
                error = Some(e);
                break;
            }
        }
    }
    // Output is capped at LIMIT + 1; the window check copies the compressed
    // payload (growing by doubling); zlib's state and the kept history are
    // fixed, below 64 KiB for a 32 KiB window.
    let bound = (LIMIT + 1).max(2 * data.len() + 64).max(1 << 16);
    assert!(
        peak <= bound,
        "allocated {peak} bytes at once (bound {bound})"
    );
    (messages, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    fn seed(name: &str) -> Vec<u8> {
        seeds::named("deflate_inflate", name)
    }

    /// Each seed takes the path it is named for (RFC 7692 §7.2.2 inflation).
    #[test]
    fn seeds_reach_their_paths() {
        let (m, e) = inflate_all(&seed("rfc7692-hello-twice"));
        assert_eq!((m, e), (vec![b"Hello".to_vec(), b"Hello".to_vec()], None));
        let (m, e) = inflate_all(&seed("window-8-no-takeover"));
        assert!(e.is_none(), "{e:?}");
        assert_eq!(m.len(), 3);
        assert!(m[1].is_empty() && m[0] == m[2]);
        let (m, e) = inflate_all(&seed("bomb"));
        assert!(m.is_empty());
        assert_eq!(e, Some(DeflateError::TooLarge { limit: LIMIT }));
        let (_, e) = inflate_all(&seed("data-after-final"));
        assert!(
            matches!(e, Some(DeflateError::DataAfterFinalBlock { .. })),
            "{e:?}"
        );
        let (_, e) = inflate_all(&seed("bad-stored"));
        assert!(matches!(e, Some(DeflateError::Inflate { .. })), "{e:?}");
    }
}
