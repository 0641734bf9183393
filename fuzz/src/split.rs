//! The input layout shared by the stream targets: a byte of flags and cut
//! count, optional target-specific configuration bytes, the cut points, then
//! the stream itself.
//!
//! ```text
//! byte 0         low nibble: number of cuts (0-15); high nibble: flags
//! config_len     target-specific configuration (zero-padded when short)
//! 2 * cuts       cut points, u16 little-endian, taken modulo (stream length + 1)
//! rest           the stream
//! ```
//!
//! The layout is read with `arbitrary::Unstructured`, which zero-pads what the
//! input is too short to provide, so every input parses.

use arbitrary::Unstructured;

/// Flag (in [`SplitInput::flags`]) that feeds the split run one byte at a
/// time instead of at the cut points.
pub const BYTE_BY_BYTE: u8 = 0b1000;

/// A fuzz input read with the layout of this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitInput<'a> {
    /// High nibble of byte 0: bit 3 is [`BYTE_BY_BYTE`], bits 0-2 are the target's.
    pub flags: u8,
    /// Target-specific configuration bytes.
    pub config: Vec<u8>,
    /// Cut points in the stream, sorted, deduplicated, each in `0..=stream.len()`.
    pub cuts: Vec<usize>,
    /// The bytes to feed.
    pub stream: &'a [u8],
}

impl<'a> SplitInput<'a> {
    /// Reads `data` with `config_len` configuration bytes.
    pub fn parse(data: &'a [u8], config_len: usize) -> SplitInput<'a> {
        let mut u = Unstructured::new(data);
        let head: u8 = u.arbitrary().unwrap_or(0);
        let mut config = vec![0u8; config_len];
        // Zero-pads on short input, which is a fine configuration too.
        let _ = u.fill_buffer(&mut config);
        let raw: Vec<u16> = (0..head & 0x0F)
            .map(|_| u.arbitrary::<u16>().unwrap_or(0))
            .collect();
        let stream = u.take_rest();
        let mut cuts: Vec<usize> = raw
            .iter()
            .map(|&c| usize::from(c) % (stream.len() + 1))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        SplitInput {
            flags: head >> 4,
            config,
            cuts,
            stream,
        }
    }

    /// The bytes [`SplitInput::parse`] reads back as these fields (used to
    /// write seeds). At most 15 cuts; `config` must have the target's length.
    pub fn encode(flags: u8, config: &[u8], cuts: &[u16], stream: &[u8]) -> Vec<u8> {
        assert!(cuts.len() <= 15 && flags <= 0x0F);
        let mut out = vec![(flags << 4) | cuts.len() as u8];
        out.extend_from_slice(config);
        for c in cuts {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend_from_slice(stream);
        out
    }

    /// Target-specific flags (bits 0-2 of the high nibble).
    pub fn target_flags(&self) -> u8 {
        self.flags & 0b0111
    }

    /// Piece boundaries for the split run: `0`, the cut points (or every
    /// byte offset with [`BYTE_BY_BYTE`]) and the stream length, plus `extra`.
    pub fn boundaries(&self, extra: &[usize]) -> Vec<usize> {
        let mut b: Vec<usize> = if self.flags & BYTE_BY_BYTE != 0 {
            (0..=self.stream.len()).collect()
        } else {
            let mut b = vec![0, self.stream.len()];
            b.extend_from_slice(&self.cuts);
            b
        };
        b.extend(extra.iter().map(|&e| e.min(self.stream.len())));
        b.sort_unstable();
        b.dedup();
        b
    }

    /// The stream cut at [`SplitInput::boundaries`]; a cut at 0 or at the end
    /// gives no empty piece, since boundaries are deduplicated, but an empty
    /// stream gives one empty piece.
    pub fn pieces(&self) -> Vec<&'a [u8]> {
        pieces_at(self.stream, &self.boundaries(&[]))
    }
}

/// `stream` cut at sorted `boundaries` (which include 0 and the length).
pub fn pieces_at<'a>(stream: &'a [u8], boundaries: &[usize]) -> Vec<&'a [u8]> {
    if boundaries.len() < 2 {
        return vec![stream];
    }
    boundaries.windows(2).map(|w| &stream[w[0]..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_parse_round_trips() {
        let data = SplitInput::encode(0b0101, &[7, 8], &[3, 1, 300], b"abcdef");
        let input = SplitInput::parse(&data, 2);
        assert_eq!(input.flags, 0b0101);
        assert_eq!(input.config, vec![7, 8]);
        // 300 % 7 = 6: the end of the stream.
        assert_eq!(input.cuts, vec![1, 3, 6]);
        assert_eq!(input.stream, b"abcdef");
        assert_eq!(input.pieces(), vec![&b"a"[..], b"bc", b"def"]);
    }

    #[test]
    fn short_input_is_zero_padded() {
        let input = SplitInput::parse(&[0x02], 3);
        assert_eq!(input.config, vec![0, 0, 0]);
        assert_eq!(input.cuts, vec![0]);
        assert!(input.stream.is_empty());
        assert_eq!(input.pieces(), vec![&b""[..]]);
        assert_eq!(SplitInput::parse(&[], 0).stream, b"");
    }

    #[test]
    fn byte_by_byte_flag_cuts_everywhere() {
        let data = SplitInput::encode(BYTE_BY_BYTE, &[], &[], b"xyz");
        let input = SplitInput::parse(&data, 0);
        assert_eq!(input.pieces(), vec![&b"x"[..], b"y", b"z"]);
        assert_eq!(input.boundaries(&[9]), vec![0, 1, 2, 3]);
    }
}
