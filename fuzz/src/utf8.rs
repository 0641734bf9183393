//! `utf8`: the streaming validator, fed in fuzzer-chosen pieces, agrees with
//! `std::str::from_utf8` on validity and on where the text went wrong.
//!
//! Input: [`crate::split`] layout, no configuration bytes.

use ws_spec::utf8::{validate, Utf8Error, Utf8Validator};

use crate::split::SplitInput;

/// The error `ws_spec::utf8` documents for `bytes`, derived from std's verdict.
///
/// std gives `valid_up_to` (the start of the bad sequence) and `error_len`:
/// `None` when the input ends inside a sequence, which is
/// [`Utf8Error::Incomplete`] at that start. Otherwise the validator fails
/// fast at the first byte after which no valid text exists: the lead byte
/// itself when it can never start a character, else the byte right after the
/// `error_len` bytes std accepted as a possible prefix.
pub fn expected(bytes: &[u8]) -> Result<(), Utf8Error> {
    let Err(e) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let start = e.valid_up_to();
    match e.error_len() {
        None => Err(Utf8Error::Incomplete {
            offset: start as u64,
        }),
        Some(n) => {
            let lead_ok = matches!(bytes[start], 0xC2..=0xF4);
            let offset = if lead_ok { start + n } else { start };
            Err(Utf8Error::Invalid {
                offset: offset as u64,
            })
        }
    }
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let input = SplitInput::parse(data, 0);
    let text = input.stream;
    let want = expected(text);

    let mut v = Utf8Validator::new();
    let mut first_err: Option<Utf8Error> = None;
    let mut fed = 0u64;
    for piece in input.pieces() {
        match v.feed(piece) {
            Ok(()) => {
                assert!(first_err.is_none(), "validator forgot its error");
                fed += piece.len() as u64;
                assert_eq!(v.bytes_fed(), fed);
            }
            Err(e) => {
                if let Some(first) = first_err {
                    assert_eq!(e, first, "errors are sticky");
                } else {
                    // Fail-fast: reported in the piece holding the offending byte.
                    assert!(
                        e.offset() >= fed && e.offset() < fed + piece.len() as u64,
                        "{e:?} reported in the piece at {fed}..{}",
                        fed + piece.len() as u64
                    );
                    assert!(matches!(e, Utf8Error::Invalid { .. }));
                    first_err = Some(e);
                }
                fed += piece.len() as u64;
            }
        }
    }
    if first_err.is_none() {
        let pending = v.in_sequence();
        assert_eq!(
            pending,
            matches!(want, Err(Utf8Error::Incomplete { .. })),
            "in_sequence disagrees with std"
        );
    }
    let got = v.finish();
    assert_eq!(
        got, want,
        "streaming validator disagrees with std on {text:02x?}"
    );
    assert_eq!(validate(text), want, "validate() disagrees with std");

    // reset() gives a fresh validator.
    v.reset();
    assert_eq!(v.bytes_fed(), 0);
    assert_eq!(v.feed(b"ok"), Ok(()));
    assert_eq!(v.finish(), Ok(()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3629 §4 boundaries and the fail-fast offsets ws-spec documents.
    #[test]
    fn expected_offsets() {
        assert_eq!(expected("κόσμε".as_bytes()), Ok(()));
        let invalid = |offset| Err(Utf8Error::Invalid { offset });
        assert_eq!(expected(b"a\xed\xa0\x80"), invalid(2));
        assert_eq!(expected(b"\xf4\x90\x80\x80"), invalid(1));
        assert_eq!(expected(b"ab\xc0\xaf"), invalid(2));
        assert_eq!(expected(b"\xe1\x80a"), invalid(2));
        assert_eq!(expected(b"x\xce"), Err(Utf8Error::Incomplete { offset: 1 }));
    }
}
