//! The one seeded generator of ws-spec and the catalogue: SplitMix64.
//!
//! ws-spec reads no entropy source. Where RFC 6455 asks for randomness
//! (masking keys, §5.3; the handshake nonce, §4.1) the caller brings a seed,
//! and the same seed replays a connection byte for byte.

/// SplitMix64 (Steele, Lea and Flood): small, fast, and good enough for
/// masking keys and test data; not for anything secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A masking key (RFC 6455 §5.3): the high half of the next output.
    pub fn mask_key(&mut self) -> [u8; 4] {
        ((self.next_u64() >> 32) as u32).to_be_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_keys_vary() {
        let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
        let keys: Vec<[u8; 4]> = (0..8).map(|_| a.mask_key()).collect();
        assert_eq!(keys, (0..8).map(|_| b.mask_key()).collect::<Vec<_>>());
        assert!(keys.windows(2).all(|w| w[0] != w[1]), "{keys:?}");
        assert!(keys.iter().all(|k| *k != [0; 4]), "{keys:?}");
        assert!((0..100).all(|_| a.below(3) < 3));
    }
}
