//! RFC 7692 §7.2: round trips of the permessage-deflate codec over every
//! window size, with and without context takeover, payloads cut into
//! arbitrary frames; and offers surviving the header text.

/// Grouped so that `cargo test -p ws-spec deflate` selects every test here.
mod deflate {

    use proptest::prelude::*;
    use ws_spec::deflate::{max_back_reference, Compressor, Decompressor, DeflateOffer};
    use ws_spec::extension::{format_extensions, parse_extensions};

    /// Messages with plenty of repeats, within and across messages, so the
    /// compressor emits back-references of every length and distance.
    fn message() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c')], 0..3000),
            (proptest::collection::vec(any::<u8>(), 1..400), 1usize..40)
                .prop_map(|(chunk, n)| chunk.repeat(n)),
        ]
    }

    /// Cuts `payload` at the given fractions into the pieces frames would carry.
    fn pieces(payload: &[u8], cuts: &[u16]) -> Vec<Vec<u8>> {
        let mut at: Vec<usize> = cuts
            .iter()
            .map(|&c| usize::from(c) * payload.len() / usize::from(u16::MAX))
            .collect();
        at.sort_unstable();
        let mut out = Vec::new();
        let mut start = 0;
        for a in at.into_iter().chain([payload.len()]) {
            out.push(payload[start..a].to_vec());
            start = a;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// §7.2.1 / §7.2.2 with §7.1.1 and §7.1.2: what one end compresses the
        /// other inflates, message after message, never reaching further back
        /// than the window (8 bits included: see the module docs).
        #[test]
        fn rfc7692_7_2_round_trip(
            bits in 8u8..=15,
            no_context_takeover in any::<bool>(),
            messages in proptest::collection::vec(message(), 1..6),
            cuts in proptest::collection::vec(any::<u16>(), 0..4),
        ) {
            let mut tx = Compressor::new(bits, no_context_takeover);
            let mut rx = Decompressor::new(bits, no_context_takeover, 1 << 20).with_window_check();
            for m in &messages {
                let payload = tx.compress(m);
                prop_assert!(!payload.ends_with(&[0x00, 0x00, 0xff, 0xff]) || m.is_empty());
                prop_assert!(max_back_reference(&payload).unwrap() <= 1 << bits);
                for piece in pieces(&payload, &cuts) {
                    rx.push(&piece).unwrap();
                }
                prop_assert_eq!(&rx.finish_message().unwrap(), m);
            }
        }

        /// §7.1.1: a receiver that keeps its window decodes a sender that resets
        /// its own, and a larger receiving window decodes a smaller sending one
        /// (§7.1.2): the configurations a peer may legitimately pick below what
        /// was negotiated.
        #[test]
        fn rfc7692_7_1_receiver_tolerates_a_more_frugal_sender(
            tx_bits in 8u8..=15,
            extra in 0u8..=7,
            messages in proptest::collection::vec(message(), 1..5),
        ) {
            let rx_bits = (tx_bits + extra).min(15);
            let mut tx = Compressor::new(tx_bits, true);
            let mut rx = Decompressor::new(rx_bits, false, 1 << 20).with_window_check();
            for m in &messages {
                rx.push(&tx.compress(m)).unwrap();
                prop_assert_eq!(&rx.finish_message().unwrap(), m);
            }
        }

        /// §7.1.1: with context takeover the sender reaches into earlier
        /// messages, so a receiver that reset its window fails (or, when the
        /// message happened not to refer back, still decodes it correctly).
        #[test]
        fn rfc7692_7_1_1_receiver_must_keep_context_when_the_sender_does(
            chunk in proptest::collection::vec(any::<u8>(), 40..400),
        ) {
            let mut tx = Compressor::new(15, false);
            let first = tx.compress(&chunk);
            let second = tx.compress(&chunk);
            prop_assert!(max_back_reference(&second).unwrap() >= chunk.len());
            let mut keeps = Decompressor::new(15, false, 1 << 20);
            let mut resets = Decompressor::new(15, true, 1 << 20);
            for d in [&mut keeps, &mut resets] {
                d.push(&first).unwrap();
                prop_assert_eq!(&d.finish_message().unwrap(), &chunk);
            }
            keeps.push(&second).unwrap();
            prop_assert_eq!(&keeps.finish_message().unwrap(), &chunk);
            let reset_result = resets.push(&second).and_then(|()| resets.finish_message());
            prop_assert!(reset_result.is_err());
        }

        /// §7.1: any offer survives being written as a header and read back.
        #[test]
        fn rfc7692_7_1_offer_header_round_trip(
            snct in any::<bool>(),
            cnct in any::<bool>(),
            smwb in proptest::option::of(8u8..=15),
            cmwb in proptest::option::of(proptest::option::of(8u8..=15)),
        ) {
            let offer = DeflateOffer {
                server_no_context_takeover: snct,
                client_no_context_takeover: cnct,
                server_max_window_bits: smwb,
                client_max_window_bits: cmwb,
            };
            let text = format_extensions(&[offer.to_extension()]);
            let parsed = parse_extensions(&[text.as_str()]).unwrap();
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(DeflateOffer::from_extension(&parsed[0]), Ok(offer));
        }
    }
}
