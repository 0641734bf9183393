//! Streaming, fail-fast UTF-8 validation (RFC 6455 §5.6, §8.1; RFC 3629).
//!
//! A text message arrives in frames and a frame arrives in pieces. RFC 6455
//! §8.1 lets (and Autobahn section 6 expects) an endpoint fail the connection
//! as soon as the bytes received so far can no longer be the start of valid
//! UTF-8, so the validator keeps the state of an unfinished sequence across
//! calls and reports the exact byte at which the text became impossible.

pub use crate::error::Utf8Error;

/// Incremental UTF-8 validator that can be fed a text message in any pieces.
///
/// Once an error has been reported, every later call reports the same error
/// until [`Utf8Validator::reset`].
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    /// Continuation bytes still expected by the current sequence.
    need: u8,
    /// Allowed range of the next continuation byte (RFC 3629 §4 table).
    lo: u8,
    hi: u8,
    /// Index of the lead byte of the current sequence.
    seq_start: u64,
    /// Bytes fed so far.
    pos: u64,
    error: Option<Utf8Error>,
}

const ASCII_MASK: u64 = 0x8080_8080_8080_8080;

impl Utf8Validator {
    /// A validator at the start of a message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece of the message.
    ///
    /// Fail-fast: errors at the first byte after which no valid continuation
    /// exists (`F4 90` fails at the `90`, `ED A0` at the `A0`, `C0`, `C1` and
    /// `F5`..`FF` at themselves).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut i = 0;
        let len = bytes.len();
        while i < len {
            if self.need == 0 {
                // Text is mostly ASCII: skip it a word at a time.
                for block in bytes[i..].chunks_exact(32) {
                    let any = block.chunks_exact(8).fold(0, |acc, w| acc | word_at(w, 0));
                    if any & ASCII_MASK != 0 {
                        break;
                    }
                    i += 32;
                }
                while i + 8 <= len && word_at(bytes, i) & ASCII_MASK == 0 {
                    i += 8;
                }
                while i < len && bytes[i] < 0x80 {
                    i += 1;
                }
                if i == len {
                    break;
                }
                let b = bytes[i];
                let at = self.pos + i as u64;
                let (need, lo, hi) = match b {
                    0xC2..=0xDF => (1, 0x80, 0xBF),
                    0xE0 => (2, 0xA0, 0xBF),
                    0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                    0xED => (2, 0x80, 0x9F),
                    0xF0 => (3, 0x90, 0xBF),
                    0xF1..=0xF3 => (3, 0x80, 0xBF),
                    0xF4 => (3, 0x80, 0x8F),
                    // Continuation bytes, C0/C1 (always overlong), F5..FF
                    // (above U+10FFFF or 5/6-byte forms).
                    _ => return Err(self.fail(Utf8Error::Invalid { offset: at })),
                };
                self.need = need;
                self.lo = lo;
                self.hi = hi;
                self.seq_start = at;
                i += 1;
            } else {
                let b = bytes[i];
                if b < self.lo || b > self.hi {
                    let offset = self.pos + i as u64;
                    return Err(self.fail(Utf8Error::Invalid { offset }));
                }
                self.need -= 1;
                // Only the first continuation byte has a narrowed range.
                self.lo = 0x80;
                self.hi = 0xBF;
                i += 1;
            }
        }
        self.pos += len as u64;
        Ok(())
    }

    /// Declares the end of the message: an unfinished sequence is
    /// [`Utf8Error::Incomplete`].
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.need != 0 {
            let offset = self.seq_start;
            return Err(self.fail(Utf8Error::Incomplete { offset }));
        }
        Ok(())
    }

    /// Forgets everything, ready for a new message.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// True when the bytes fed so far end inside a multi-byte sequence.
    pub fn in_sequence(&self) -> bool {
        self.need != 0
    }

    /// Bytes fed since [`Utf8Validator::new`] or [`Utf8Validator::reset`]
    /// (up to the failing call, which is not counted).
    pub fn bytes_fed(&self) -> u64 {
        self.pos
    }

    fn fail(&mut self, e: Utf8Error) -> Utf8Error {
        self.error = Some(e);
        e
    }
}

#[inline(always)]
fn word_at(bytes: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[i..i + 8]);
    u64::from_ne_bytes(w)
}

/// What [`validate`] reports for `bytes`, derived from `std::str::from_utf8` instead:
/// the reference the validator is differential-tested and fuzzed against.
///
/// std gives `valid_up_to` (the start of the bad sequence) and `error_len`: `None` when
/// the input ends inside a sequence, which is [`Utf8Error::Incomplete`] at that start.
/// Otherwise the validator fails fast at the first byte after which no valid text
/// exists: the lead byte itself when it can never start a character (std then says a
/// length of 1), else the byte right after the `error_len` bytes std accepted as a
/// possible prefix of a character.
pub fn validate_by_std(bytes: &[u8]) -> Result<(), Utf8Error> {
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
            debug_assert!(lead_ok || n == 1, "std: a bad lead byte is a 1-byte error");
            let offset = if lead_ok { start + n } else { start };
            Err(Utf8Error::Invalid {
                offset: offset as u64,
            })
        }
    }
}

/// Validates a whole message at once (feed + finish).
pub fn validate(bytes: &[u8]) -> Result<(), Utf8Error> {
    let mut v = Utf8Validator::new();
    v.feed(bytes)?;
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 3629 §4 boundaries and the fail-fast offsets this module documents.
    #[test]
    fn by_std_offsets() {
        assert_eq!(validate_by_std("κόσμε".as_bytes()), Ok(()));
        let invalid = |offset| Err(Utf8Error::Invalid { offset });
        assert_eq!(validate_by_std(b"a\xed\xa0\x80"), invalid(2));
        assert_eq!(validate_by_std(b"\xf4\x90\x80\x80"), invalid(1));
        assert_eq!(validate_by_std(b"ab\xc0\xaf"), invalid(2));
        assert_eq!(validate_by_std(b"\xe1\x80a"), invalid(2));
        assert_eq!(
            validate_by_std(b"x\xce"),
            Err(Utf8Error::Incomplete { offset: 1 })
        );
    }

    fn validate_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<(), Utf8Error> {
        let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        let mut v = Utf8Validator::new();
        for w in points.windows(2) {
            v.feed(&bytes[w[0]..w[1]])?;
        }
        v.finish()
    }

    fn edge_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            3 => 0x00u8..0x80,
            3 => 0x80u8..0xC0,
            1 => Just(0xC0u8),
            1 => Just(0xC1u8),
            2 => 0xC2u8..0xE0,
            1 => Just(0xE0u8),
            2 => 0xE1u8..0xED,
            1 => Just(0xEDu8),
            1 => 0xEEu8..0xF0,
            1 => Just(0xF0u8),
            1 => 0xF1u8..0xF4,
            1 => Just(0xF4u8),
            1 => 0xF5u8..=0xFF,
            2 => prop_oneof![Just(0x80u8), Just(0x8F), Just(0x90), Just(0x9F), Just(0xA0), Just(0xBF)],
        ]
    }

    /// Random text that is mostly valid, with a chance of one corruption.
    fn mostly_valid() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(any::<char>(), 0..40),
            proptest::option::of((any::<prop::sample::Index>(), edge_byte())),
            any::<bool>(),
        )
            .prop_map(|(chars, corrupt, truncate)| {
                let mut v = chars.into_iter().collect::<String>().into_bytes();
                if let Some((idx, b)) = corrupt {
                    if !v.is_empty() {
                        let i = idx.index(v.len());
                        v[i] = b;
                    }
                }
                if truncate && !v.is_empty() {
                    v.pop();
                }
                v
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// RFC 6455 §8.1 / RFC 3629: the streaming validator agrees with std
        /// on validity and on where the text went wrong, however it is cut.
        #[test]
        fn differential_vs_std_random_edge_bytes(
            bytes in proptest::collection::vec(edge_byte(), 0..64),
            cuts in proptest::collection::vec(0usize..64, 0..6),
        ) {
            prop_assert_eq!(validate(&bytes), validate_by_std(&bytes));
            prop_assert_eq!(validate_in_pieces(&bytes, &cuts), validate_by_std(&bytes));
        }

        #[test]
        fn differential_vs_std_mostly_valid(
            bytes in mostly_valid(),
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            prop_assert_eq!(validate_in_pieces(&bytes, &cuts), validate_by_std(&bytes));
        }

        /// Long ASCII runs (the word-skipping path) around a non-ASCII byte.
        #[test]
        fn differential_vs_std_ascii_runs(
            pre in 0usize..70,
            mid in proptest::collection::vec(edge_byte(), 0..5),
            post in 0usize..70,
            cuts in proptest::collection::vec(0usize..150, 0..4),
        ) {
            let mut bytes = vec![b'a'; pre];
            bytes.extend_from_slice(&mid);
            bytes.extend(std::iter::repeat_n(b'z', post));
            prop_assert_eq!(validate_in_pieces(&bytes, &cuts), validate_by_std(&bytes));
        }

        /// Fail-fast (RFC 6455 §8.1): the error is reported by the very call
        /// that delivers the offending byte, even fed one byte at a time.
        #[test]
        fn fail_fast_reports_at_the_offending_byte(
            bytes in proptest::collection::vec(edge_byte(), 0..40),
        ) {
            let mut v = Utf8Validator::new();
            let mut got = None;
            for (i, b) in bytes.iter().enumerate() {
                if let Err(e) = v.feed(std::slice::from_ref(b)) {
                    got = Some((i as u64, e));
                    break;
                }
            }
            match validate_by_std(&bytes) {
                Err(Utf8Error::Invalid { offset }) => {
                    prop_assert_eq!(got, Some((offset, Utf8Error::Invalid { offset })));
                }
                _ => prop_assert_eq!(got, None),
            }
        }
    }

    /// `bytes` fail with `error`, and the standard library's validator agrees.
    fn fails(bytes: &[u8], error: Utf8Error) {
        assert_eq!(validate(bytes), Err(error), "{bytes:02x?}");
        assert_eq!(validate(bytes), validate_by_std(bytes), "{bytes:02x?}");
    }

    fn invalid_at(bytes: &[u8], offset: u64) {
        fails(bytes, Utf8Error::Invalid { offset });
    }

    fn incomplete_at(bytes: &[u8], offset: u64) {
        fails(bytes, Utf8Error::Incomplete { offset });
    }

    /// RFC 3629 §3: overlong forms are invalid; C0/C1 fail at once, E0 and
    /// F0 at the first continuation that makes the form overlong.
    #[test]
    fn rfc3629_3_overlong_forms_invalid() {
        invalid_at(b"\xC0\xAF", 0);
        invalid_at(b"\xC1\xBF", 0);
        invalid_at(b"\xE0\x80\xAF", 1);
        invalid_at(b"\xE0\x9F\xBF", 1);
        invalid_at(b"\xF0\x80\x80\xAF", 1);
        invalid_at(b"\xF0\x8F\xBF\xBF", 1);
        invalid_at(b"ab\xC0\x80", 2);
    }

    /// RFC 3629 §3: surrogates U+D800..U+DFFF are invalid (fail at the byte after ED).
    #[test]
    fn rfc3629_3_surrogates_invalid() {
        invalid_at(b"\xED\xA0\x80", 1);
        invalid_at(b"\xED\xAD\xBF", 1);
        invalid_at(b"\xED\xBF\xBF", 1);
        invalid_at(b"\xED\xA0\x80\xED\xB0\x80", 1);
        assert_eq!(validate(b"\xED\x9F\xBF"), Ok(()), "U+D7FF is valid");
        assert_eq!(validate(b"\xEE\x80\x80"), Ok(()), "U+E000 is valid");
    }

    /// RFC 3629 §3: nothing above U+10FFFF; F4 90 fails at 90, F5..FF at once.
    #[test]
    fn rfc3629_3_above_max_code_point_invalid() {
        invalid_at(b"\xF4\x90\x80\x80", 1);
        assert_eq!(validate(b"\xF4\x8F\xBF\xBF"), Ok(()), "U+10FFFF is valid");
        for b in 0xF5..=0xFFu8 {
            invalid_at(&[b'x', b, 0x80, 0x80, 0x80], 1);
        }
    }

    /// RFC 3629 removed the 5- and 6-byte forms of RFC 2279.
    #[test]
    fn rfc3629_5_and_6_byte_forms_invalid() {
        invalid_at(b"\xF8\x88\x80\x80\x80", 0);
        invalid_at(b"\xFC\x84\x80\x80\x80\x80", 0);
    }

    /// Continuation bytes without a lead are invalid at themselves.
    #[test]
    fn lone_continuation_bytes_invalid() {
        for b in 0x80..=0xBFu8 {
            invalid_at(&[b'a', b], 1);
        }
        invalid_at(b"\xC3\xA9\x80", 2);
    }

    /// A lead byte followed by a non-continuation fails at that byte.
    #[test]
    fn missing_continuation_fails_at_next_byte() {
        invalid_at(b"\xC3a", 1);
        invalid_at(b"\xE2\x82a", 2);
        invalid_at(b"\xF0\x9F\x98a", 3);
    }

    /// RFC 6455 §8.1: a message ending inside a sequence is invalid.
    #[test]
    fn truncated_sequences_incomplete() {
        incomplete_at(b"\xC3", 0);
        incomplete_at(b"ab\xE2\x82", 2);
        incomplete_at(b"\xF0\x9F\x98", 0);
        incomplete_at(b"\xF4\x8F\xBF", 0);
    }

    /// Non-characters U+FFFE, U+FFFF (and U+nFFFE/F) are valid UTF-8.
    #[test]
    fn noncharacters_are_valid() {
        assert_eq!(validate(b"\xEF\xBF\xBE"), Ok(()));
        assert_eq!(validate(b"\xEF\xBF\xBF"), Ok(()));
        assert_eq!(validate(b"\xF4\x8F\xBF\xBE"), Ok(()));
        assert_eq!(validate("\u{FDD0}".as_bytes()), Ok(()));
    }

    /// Autobahn 6.x-style: a valid text split inside a code point is fine,
    /// and `in_sequence` tracks the split.
    #[test]
    fn split_inside_code_point() {
        let text = "κόσμε".as_bytes();
        let mut v = Utf8Validator::new();
        v.feed(&text[..1]).unwrap();
        assert!(v.in_sequence());
        v.feed(&text[1..]).unwrap();
        assert!(!v.in_sequence());
        v.finish().unwrap();
    }

    #[test]
    fn errors_are_sticky_until_reset() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"a\xFF"), Err(Utf8Error::Invalid { offset: 1 }));
        assert_eq!(v.feed(b"abc"), Err(Utf8Error::Invalid { offset: 1 }));
        assert_eq!(v.finish(), Err(Utf8Error::Invalid { offset: 1 }));
        v.reset();
        v.feed(b"abc").unwrap();
        v.finish().unwrap();
    }

    #[test]
    fn offsets_count_across_feeds() {
        let mut v = Utf8Validator::new();
        v.feed(&[b'a'; 37]).unwrap();
        v.feed(b"\xE2").unwrap();
        assert_eq!(v.feed(b"\x28"), Err(Utf8Error::Invalid { offset: 38 }));
    }
}
