//! `utf8`: the streaming validator, fed in fuzzer-chosen pieces, agrees with
//! `std::str::from_utf8` on validity and on where the text went wrong.
//!
//! Input: [`crate::split`] layout, no configuration bytes.

use ws_spec::utf8::{validate, validate_by_std, Utf8Error, Utf8Validator};

use crate::split::SplitInput;

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let input = SplitInput::parse(data, 0);
    let text = input.stream;
    let want = validate_by_std(text);

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
