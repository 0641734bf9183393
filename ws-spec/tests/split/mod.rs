//! A byte stream cut into pieces, as the network may deliver it: what the
//! property tests of the incremental decoders share.

use proptest::prelude::*;

/// Cut points: random ones, or every byte.
pub fn cuts() -> impl Strategy<Value = Option<Vec<usize>>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<usize>(), 0..12).prop_map(Some),
        1 => Just(None),
    ]
}

/// `bytes` cut at `cuts` (taken modulo its length), or byte by byte for `None`.
pub fn chunks<'a>(bytes: &'a [u8], cuts: &Option<Vec<usize>>) -> Vec<&'a [u8]> {
    match cuts {
        None => bytes.chunks(1).collect(),
        Some(cuts) => {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            points.push(0);
            points.push(bytes.len());
            points.sort_unstable();
            points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
        }
    }
}
