//! Payload masking (RFC 6455 §5.3).
//!
//! Masking is an XOR with a 4-byte key repeated over the payload. It runs over
//! every byte a client sends, and cases send messages of 16 MiB, so the main
//! routine works a machine word at a time; [`apply_mask_bytewise`] is the
//! plain reading of the RFC, kept as the oracle for differential tests.

/// XORs `buf` with `key` (RFC 6455 §5.3), one byte at a time.
///
/// `offset` is the position of `buf[0]` within the payload, so a payload that
/// arrives in pieces can be unmasked piece by piece.
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

/// XORs `buf` with `key` (RFC 6455 §5.3), eight bytes at a time.
///
/// `offset` is the position of `buf[0]` within the payload, so a payload that
/// arrives in pieces can be unmasked piece by piece. The result is identical
/// to [`apply_mask_bytewise`].
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // Rotate the key so that rotated[0] applies to buf[0]; from then on the
    // key phase of every 8-byte chunk is the same.
    let shift = offset % 4;
    let rotated = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let mut pattern = [0u8; 8];
    pattern[..4].copy_from_slice(&rotated);
    pattern[4..].copy_from_slice(&rotated);
    let word = u64::from_ne_bytes(pattern);

    // Four words per step gives the optimiser room to use vector registers.
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for chunk in block.chunks_exact_mut(8) {
            xor_word(chunk, word);
        }
    }
    let rest = blocks.into_remainder();
    let mut words = rest.chunks_exact_mut(8);
    for chunk in &mut words {
        xor_word(chunk, word);
    }
    // Whole words keep the phase, so the tail (< 8 bytes) starts at phase 0 of `pattern`.
    for (b, k) in words.into_remainder().iter_mut().zip(pattern) {
        *b ^= k;
    }
}

#[inline(always)]
fn xor_word(chunk: &mut [u8], word: u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    let v = u64::from_ne_bytes(bytes) ^ word;
    chunk.copy_from_slice(&v.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4).
    #[test]
    fn rfc6455_5_3_word_mask_equals_bytewise_for_all_small_offsets_and_lengths() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..100usize {
            for offset in 0..9usize {
                let original: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
                let mut a = original.clone();
                let mut b = original.clone();
                apply_mask(&mut a, key, offset);
                apply_mask_bytewise(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
            }
        }
    }

    /// RFC 6455 §5.7 example: "Hello" masked with 37 fa 21 3d.
    #[test]
    fn rfc6455_5_7_masked_hello_example() {
        let mut buf = *b"Hello";
        apply_mask(&mut buf, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(buf, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    proptest! {
        #[test]
        fn word_mask_equals_bytewise(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            key in any::<[u8; 4]>(),
            offset in 0usize..1_000_000,
        ) {
            let mut a = data.clone();
            let mut b = data.clone();
            apply_mask(&mut a, key, offset);
            apply_mask_bytewise(&mut b, key, offset);
            prop_assert_eq!(a, b);
        }

        /// RFC 6455 §5.3: masking piece by piece (offset = bytes already
        /// masked) equals masking the whole payload at once.
        #[test]
        fn resumed_mask_equals_whole(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            key in any::<[u8; 4]>(),
            cuts in proptest::collection::vec(0usize..600, 0..8),
        ) {
            let mut whole = data.clone();
            apply_mask(&mut whole, key, 0);
            let mut pieces = data.clone();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            points.push(0);
            points.push(data.len());
            points.sort_unstable();
            for w in points.windows(2) {
                apply_mask(&mut pieces[w[0]..w[1]], key, w[0]);
            }
            prop_assert_eq!(whole, pieces);
        }

        #[test]
        fn mask_twice_is_identity(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            key in any::<[u8; 4]>(),
            offset in 0usize..16,
        ) {
            let mut buf = data.clone();
            apply_mask(&mut buf, key, offset);
            apply_mask(&mut buf, key, offset);
            prop_assert_eq!(buf, data);
        }
    }
}
