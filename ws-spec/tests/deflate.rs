//! RFC 7692 (permessage-deflate): negotiation tables, the §7.2.3 examples,
//! codec rules, and Autobahn|Testsuite's section 13 parameter sets.

/// Grouped so that `cargo test -p ws-spec deflate` selects every test here.
mod deflate {

    use ws_spec::deflate::{
        client_accept, max_back_reference, rsv1_allowed, server_negotiate, server_negotiate_first,
        Compressor, Decompressor, DeflateError, DeflateOffer, DeflateParams, ServerPolicy,
    };
    use ws_spec::endpoint::Role;
    use ws_spec::extension::{format_extensions, parse_extensions, ExtensionOffer};
    use ws_spec::frame::Opcode;

    const HELLO_FIXED: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    const HELLO_AGAIN: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];

    fn ext(header: &str) -> ExtensionOffer {
        let mut offers = parse_extensions(&[header]).expect("test header parses");
        assert_eq!(offers.len(), 1, "{header}");
        offers.remove(0)
    }

    fn inflate_one(d: &mut Decompressor, payload: &[u8]) -> Result<Vec<u8>, DeflateError> {
        d.push(payload)?;
        d.finish_message()
    }

    fn params(snct: bool, cnct: bool, smwb: u8, cmwb: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: smwb,
            client_max_window_bits: cmwb,
        }
    }

    // ---------------------------------------------------------------- §7.2.3 examples

    #[test]
    fn rfc7692_7_2_3_1_hello_compresses_and_inflates() {
        // The RFC's bytes are one valid encoding; zlib's default level happens to
        // produce exactly them, and any decoder must read them as "Hello".
        let mut c = Compressor::new(15, false);
        assert_eq!(c.compress(b"Hello"), HELLO_FIXED);
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &HELLO_FIXED).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_2_context_takeover_shortens_the_second_message() {
        let mut c = Compressor::new(15, false);
        let first = c.compress(b"Hello");
        let second = c.compress(b"Hello");
        assert_eq!(second, HELLO_AGAIN);
        assert!(second.len() < first.len());
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &HELLO_FIXED).unwrap(), b"Hello");
        assert_eq!(inflate_one(&mut d, &HELLO_AGAIN).unwrap(), b"Hello");
        // The second message is a bare back-reference 5 bytes into the first.
        assert_eq!(max_back_reference(&HELLO_AGAIN).unwrap(), 5);
    }

    #[test]
    fn rfc7692_7_2_3_2_decoder_must_share_the_peer_takeover_state() {
        // A decoder that reset its window (no context takeover) cannot resolve
        // the back-reference of a peer that took its context over.
        let mut d = Decompressor::new(15, true, 1024);
        assert_eq!(inflate_one(&mut d, &HELLO_FIXED).unwrap(), b"Hello");
        assert!(matches!(
            inflate_one(&mut d, &HELLO_AGAIN),
            Err(DeflateError::Inflate { .. })
        ));
    }

    #[test]
    fn rfc7692_7_1_1_no_context_takeover_compresses_each_message_alone() {
        let mut c = Compressor::new(15, true);
        let a = c.compress(b"Hello");
        let b = c.compress(b"Hello");
        assert_eq!(a, b, "a reset compressor repeats itself");
        let mut d = Decompressor::new(15, true, 1024);
        assert_eq!(inflate_one(&mut d, &a).unwrap(), b"Hello");
        assert_eq!(inflate_one(&mut d, &b).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_3_stored_block() {
        let payload = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_4_bfinal_block_then_context_takeover() {
        let payload = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), b"Hello");
        // The window survives the end of the DEFLATE stream: the next message
        // may still refer back to "Hello".
        assert_eq!(inflate_one(&mut d, &HELLO_AGAIN).unwrap(), b"Hello");
    }

    /// The RFC's own example: the final block, then the header octet of the
    /// empty stored block §7.2.1 step 2 appends after it.
    #[test]
    fn rfc7692_7_2_3_4_final_block_then_stored_block_header() {
        let payload = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), b"Hello");
        // Twice in a row, as a sender flushing every message this way sends it,
        // and the window still serves the next message.
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), b"Hello");
        assert_eq!(inflate_one(&mut d, &HELLO_AGAIN).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_4_other_bytes_after_the_final_block_fail() {
        for extra in [&[0x00, 0x00][..], &[0x06], &[0x80]] {
            let mut payload = vec![0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
            payload.extend_from_slice(extra);
            let mut d = Decompressor::new(15, false, 1024);
            assert!(
                matches!(
                    inflate_one(&mut d, &payload),
                    Err(DeflateError::DataAfterFinalBlock { .. })
                ),
                "{extra:?}"
            );
        }
    }

    /// RFC 7692 §7.2.2: a final block that ends inside the appended tail (one
    /// byte: BFINAL, fixed Huffman, the first bits of the literal "x") is a
    /// whole message; what is left of the tail is not the peer's data.
    #[test]
    fn rfc7692_7_2_2_a_final_block_may_end_inside_the_tail() {
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &[0xab]).unwrap(), b"x");
        // And the next message inflates as usual.
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        assert_eq!(inflate_one(&mut d, &stored).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_5_two_blocks_in_one_message() {
        // "He" sync-flushed (tail kept inside the message), then "llo".
        let payload = [
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_6_payload_split_across_frames_anywhere() {
        // A sender may flush, then end the message with a frame whose payload
        // is the single byte 00 (an empty stored block once the tail is added).
        let mut payload = HELLO_FIXED.to_vec();
        payload.extend_from_slice(&[0x00, 0x00, 0xff, 0xff, 0x00]);
        for cut1 in 0..=payload.len() {
            for cut2 in cut1..=payload.len() {
                let mut d = Decompressor::new(15, false, 1024);
                d.push(&payload[..cut1]).unwrap();
                d.push(&payload[cut1..cut2]).unwrap();
                d.push(&payload[cut2..]).unwrap();
                assert_eq!(d.finish_message().unwrap(), b"Hello", "cuts {cut1} {cut2}");
                assert_eq!(inflate_one(&mut d, &HELLO_AGAIN).unwrap(), b"Hello");
            }
        }
    }

    #[test]
    fn rfc7692_7_2_1_empty_message_is_one_zero_byte() {
        let mut c = Compressor::new(15, false);
        assert_eq!(c.compress(b""), [0x00]);
        let hello = c.compress(b"Hello");
        // After a flush zlib emits nothing for no input; the payload must still
        // close the stored block that the receiver's appended tail opens.
        assert_eq!(c.compress(b""), [0x00]);
        let again = c.compress(b"Hello");
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &[0x00]).unwrap(), b"");
        assert_eq!(inflate_one(&mut d, &hello).unwrap(), b"Hello");
        assert_eq!(inflate_one(&mut d, &[0x00]).unwrap(), b"");
        assert_eq!(inflate_one(&mut d, &again).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_2_empty_payload_is_an_empty_message_and_keeps_the_stream() {
        let mut d = Decompressor::new(15, false, 1024);
        assert_eq!(inflate_one(&mut d, &HELLO_FIXED).unwrap(), b"Hello");
        assert_eq!(inflate_one(&mut d, &[]).unwrap(), b"");
        assert_eq!(inflate_one(&mut d, &HELLO_AGAIN).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_2_invalid_deflate_data_fails() {
        // BFINAL=1, BTYPE=11: a reserved block type.
        let mut d = Decompressor::new(15, false, 1024);
        assert!(matches!(
            inflate_one(&mut d, &[0xff]),
            Err(DeflateError::Inflate { .. })
        ));
        assert!(matches!(
            max_back_reference(&[0xff]),
            Err(DeflateError::Inflate { .. })
        ));
    }

    // ---------------------------------------------------------------- limits (RFC 6455 §10.4) and windows

    #[test]
    fn rfc6455_10_4_output_limit_is_inclusive() {
        let message: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let payload = Compressor::new(15, true).compress(&message);
        let mut exact = Decompressor::new(15, true, message.len());
        assert_eq!(inflate_one(&mut exact, &payload).unwrap(), message);
        let mut short = Decompressor::new(15, true, message.len() - 1);
        assert_eq!(
            inflate_one(&mut short, &payload),
            Err(DeflateError::TooLarge {
                limit: message.len() - 1
            })
        );
    }

    #[test]
    fn rfc6455_10_4_unbounded_limit_is_accepted() {
        let message = b"no limit at all".repeat(100);
        let payload = Compressor::new(15, false).compress(&message);
        let mut d = Decompressor::new(15, false, usize::MAX);
        assert_eq!(inflate_one(&mut d, &payload).unwrap(), message);
    }

    /// 1000 bytes that do not repeat within themselves, sent twice: the second
    /// copy is a match exactly 1000 bytes back.
    fn repeated_at_1000() -> Vec<u8> {
        let mut x: u32 = 0x1234_5678;
        let block: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        [block.clone(), block].concat()
    }

    #[test]
    fn rfc7692_7_1_2_window_bits_bound_back_references() {
        let message = repeated_at_1000();
        let wide = Compressor::new(15, true).compress(&message);
        assert_eq!(max_back_reference(&wide).unwrap(), 1000);
        for bits in 8..=10u8 {
            let narrow = Compressor::new(bits, true).compress(&message);
            let reach = max_back_reference(&narrow).unwrap();
            assert!(reach <= 1 << bits, "{bits} bits reached {reach}");
            let mut d = Decompressor::new(bits, true, 1 << 20).with_window_check();
            assert_eq!(inflate_one(&mut d, &narrow).unwrap(), message);
        }
    }

    #[test]
    fn rfc7692_7_1_2_window_check_catches_a_peer_over_its_window() {
        let wide = Compressor::new(15, true).compress(&repeated_at_1000());
        let mut d = Decompressor::new(9, true, 1 << 20).with_window_check();
        assert_eq!(
            inflate_one(&mut d, &wide),
            Err(DeflateError::WindowExceeded {
                distance: 1000,
                window_bits: 9
            })
        );
        let mut exact = Decompressor::new(10, true, 1 << 20).with_window_check();
        assert!(inflate_one(&mut exact, &wide).is_ok(), "1000 <= 1024");
    }

    #[test]
    fn rfc7692_7_1_params_pick_each_roles_direction() {
        let p = params(true, false, 9, 15);
        let mut server_tx = p.compressor(Role::Server);
        let mut client_rx = p.decompressor(Role::Client, 1 << 20).with_window_check();
        let message = repeated_at_1000();
        let a = server_tx.compress(&message);
        let b = server_tx.compress(&message);
        assert_eq!(a, b, "server_no_context_takeover resets the server");
        assert!(max_back_reference(&a).unwrap() <= 512);
        assert_eq!(inflate_one(&mut client_rx, &a).unwrap(), message);
        assert_eq!(inflate_one(&mut client_rx, &b).unwrap(), message);

        let mut client_tx = p.compressor(Role::Client);
        let mut server_rx = p.decompressor(Role::Server, 1 << 20).with_window_check();
        let c = client_tx.compress(&message);
        let d = client_tx.compress(&message);
        assert!(d.len() < c.len(), "the client keeps its context");
        assert_eq!(inflate_one(&mut server_rx, &c).unwrap(), message);
        assert_eq!(inflate_one(&mut server_rx, &d).unwrap(), message);
    }

    #[test]
    fn rfc7692_6_rsv1_only_on_the_first_frame_of_a_data_message() {
        assert!(rsv1_allowed(Opcode::Text, true));
        assert!(rsv1_allowed(Opcode::Binary, true));
        assert!(!rsv1_allowed(Opcode::Text, false));
        assert!(!rsv1_allowed(Opcode::Binary, false));
        for first in [true, false] {
            assert!(!rsv1_allowed(Opcode::Continuation, first));
            // §6: control frames are never compressed.
            assert!(!rsv1_allowed(Opcode::Ping, first));
            assert!(!rsv1_allowed(Opcode::Pong, first));
            assert!(!rsv1_allowed(Opcode::Close, first));
            assert!(!rsv1_allowed(Opcode::Reserved(0x3), first));
            assert!(!rsv1_allowed(Opcode::Reserved(0xB), first));
        }
    }

    // ---------------------------------------------------------------- offers (§7, §7.1)

    #[test]
    fn rfc7692_7_valid_offers_parse() {
        let table: &[(&str, DeflateOffer)] = &[
            ("permessage-deflate", DeflateOffer::default()),
            (
                "permessage-deflate; server_no_context_takeover",
                DeflateOffer {
                    server_no_context_takeover: true,
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                DeflateOffer {
                    client_no_context_takeover: true,
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; server_max_window_bits=8",
                DeflateOffer {
                    server_max_window_bits: Some(8),
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; server_max_window_bits=\"10\"",
                DeflateOffer {
                    server_max_window_bits: Some(10),
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; client_max_window_bits",
                DeflateOffer {
                    client_max_window_bits: Some(None),
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; client_max_window_bits=15",
                DeflateOffer {
                    client_max_window_bits: Some(Some(15)),
                    ..Default::default()
                },
            ),
            (
                "permessage-deflate; client_max_window_bits; server_max_window_bits=12; \
             client_no_context_takeover; server_no_context_takeover",
                DeflateOffer {
                    server_no_context_takeover: true,
                    client_no_context_takeover: true,
                    server_max_window_bits: Some(12),
                    client_max_window_bits: Some(None),
                },
            ),
        ];
        for (header, want) in table {
            assert_eq!(
                DeflateOffer::from_extension(&ext(header)).as_ref(),
                Ok(want),
                "{header}"
            );
        }
    }

    fn invalid_offer_table() -> Vec<(&'static str, DeflateError)> {
        let unknown = |n: &str| DeflateError::UnknownParameter { name: n.into() };
        let dup = |n: &str| DeflateError::DuplicateParameter { name: n.into() };
        let value = |n: &str, v: &str| DeflateError::UnexpectedValue {
            name: n.into(),
            value: v.into(),
        };
        let bits = |n: &str, v: &str| DeflateError::BadWindowBits {
            name: n.into(),
            value: v.into(),
        };
        vec![
            (
                "x-webkit-deflate-frame",
                DeflateError::NotPermessageDeflate {
                    name: "x-webkit-deflate-frame".into(),
                },
            ),
            ("permessage-deflate; foo", unknown("foo")),
            (
                "permessage-deflate; Server_No_Context_Takeover",
                unknown("Server_No_Context_Takeover"),
            ),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                dup("server_no_context_takeover"),
            ),
            (
                "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
                dup("client_max_window_bits"),
            ),
            (
                "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
                dup("server_max_window_bits"),
            ),
            (
                "permessage-deflate; server_no_context_takeover=1",
                value("server_no_context_takeover", "1"),
            ),
            (
                "permessage-deflate; client_no_context_takeover=true",
                value("client_no_context_takeover", "true"),
            ),
            (
                "permessage-deflate; server_max_window_bits",
                DeflateError::MissingValue {
                    name: "server_max_window_bits".into(),
                },
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                bits("server_max_window_bits", "7"),
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                bits("server_max_window_bits", "16"),
            ),
            (
                "permessage-deflate; server_max_window_bits=0",
                bits("server_max_window_bits", "0"),
            ),
            (
                "permessage-deflate; server_max_window_bits=09",
                bits("server_max_window_bits", "09"),
            ),
            (
                "permessage-deflate; server_max_window_bits=+9",
                bits("server_max_window_bits", "+9"),
            ),
            (
                "permessage-deflate; server_max_window_bits=ten",
                bits("server_max_window_bits", "ten"),
            ),
            (
                "permessage-deflate; client_max_window_bits=8.0",
                bits("client_max_window_bits", "8.0"),
            ),
            (
                "permessage-deflate; client_max_window_bits=1a",
                bits("client_max_window_bits", "1a"),
            ),
            (
                "permessage-deflate; client_max_window_bits=\"16\"",
                bits("client_max_window_bits", "16"),
            ),
        ]
    }

    #[test]
    fn rfc7692_7_invalid_offers_fail_precisely() {
        for (header, want) in invalid_offer_table() {
            assert_eq!(
                DeflateOffer::from_extension(&ext(header)),
                Err(want),
                "{header}"
            );
        }
    }

    #[test]
    fn rfc7692_7_server_declines_invalid_offers_and_takes_the_next() {
        for (header, _) in invalid_offer_table() {
            let bad = ext(header);
            assert_eq!(
                server_negotiate(std::slice::from_ref(&bad), &ServerPolicy::default()),
                Ok(None),
                "{header}"
            );
            let offers = [bad, ext("permessage-deflate; server_no_context_takeover")];
            let (response, p) = server_negotiate(&offers, &ServerPolicy::default())
                .unwrap()
                .expect("the valid second offer is accepted");
            assert_eq!(
                format_extensions(&[response]),
                "permessage-deflate; server_no_context_takeover"
            );
            assert_eq!(p, params(true, false, 15, 15));
        }
    }

    #[test]
    fn rfc7692_5_offer_text_round_trips() {
        let offer = DeflateOffer {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(Some(12)),
        };
        let text = format_extensions(&[offer.to_extension()]);
        assert_eq!(
            text,
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=12; \
         server_no_context_takeover; server_max_window_bits=10"
        );
        assert_eq!(DeflateOffer::from_extension(&ext(&text)), Ok(offer));
    }

    // ---------------------------------------------------------------- server policy (§7.1)

    /// The response header a server sends and the parameters it settles on.
    type Answer = (&'static str, DeflateParams);

    fn negotiate(header: &str, policy: &ServerPolicy) -> Option<(String, DeflateParams)> {
        let offers = parse_extensions(&[header]).unwrap();
        server_negotiate(&offers, policy)
            .unwrap()
            .map(|(r, p)| (format_extensions(&[r]), p))
    }

    #[test]
    fn rfc7692_7_1_server_policy_table() {
        let d = ServerPolicy::default();
        let small = ServerPolicy {
            server_max_window_bits: 10,
            ..ServerPolicy::default()
        };
        let table: Vec<(&str, ServerPolicy, Option<Answer>)> = vec![
            (
                "permessage-deflate",
                d.clone(),
                Some(("permessage-deflate", DeflateParams::default())),
            ),
            ("x-other, foo", d.clone(), None),
            // §7.1.2.1: the server may announce a smaller window unasked, and
            // answers an asked one with the same or smaller value.
            (
                "permessage-deflate",
                small.clone(),
                Some((
                    "permessage-deflate; server_max_window_bits=10",
                    params(false, false, 10, 15),
                )),
            ),
            (
                "permessage-deflate; server_max_window_bits=12",
                small.clone(),
                Some((
                    "permessage-deflate; server_max_window_bits=10",
                    params(false, false, 10, 15),
                )),
            ),
            (
                "permessage-deflate; server_max_window_bits=9",
                small,
                Some((
                    "permessage-deflate; server_max_window_bits=9",
                    params(false, false, 9, 15),
                )),
            ),
            // §7.1.1.1: a server that cannot honour the request declines.
            (
                "permessage-deflate; server_no_context_takeover",
                ServerPolicy {
                    accept_no_context_takeover: false,
                    ..ServerPolicy::default()
                },
                None,
            ),
            (
                "permessage-deflate; server_max_window_bits=9",
                ServerPolicy {
                    accept_max_window_bits: false,
                    ..ServerPolicy::default()
                },
                None,
            ),
            // §7.1.1.1: the server may reset its context unasked.
            (
                "permessage-deflate",
                ServerPolicy {
                    server_no_context_takeover: true,
                    ..ServerPolicy::default()
                },
                Some((
                    "permessage-deflate; server_no_context_takeover",
                    params(true, false, 15, 15),
                )),
            ),
            // §7.1.1.2: client_no_context_takeover may be answered unoffered.
            (
                "permessage-deflate",
                ServerPolicy {
                    request_no_context_takeover: true,
                    ..ServerPolicy::default()
                },
                Some((
                    "permessage-deflate; client_no_context_takeover",
                    params(false, true, 15, 15),
                )),
            ),
            // §7.1.2.2: client_max_window_bits only when offered; the hint caps it.
            (
                "permessage-deflate; client_max_window_bits=10",
                ServerPolicy {
                    request_max_window_bits: 12,
                    ..ServerPolicy::default()
                },
                Some((
                    "permessage-deflate; client_max_window_bits=10",
                    params(false, false, 15, 10),
                )),
            ),
            (
                "permessage-deflate",
                ServerPolicy {
                    request_max_window_bits: 12,
                    ..ServerPolicy::default()
                },
                Some(("permessage-deflate", DeflateParams::default())),
            ),
            (
                "permessage-deflate",
                ServerPolicy {
                    request_max_window_bits: 12,
                    require_client_max_window_bits: true,
                    ..ServerPolicy::default()
                },
                None,
            ),
        ];
        for (header, policy, want) in table {
            let got = negotiate(header, &policy);
            let want = want.map(|(r, p)| (r.to_string(), p));
            assert_eq!(got, want, "{header} with {policy:?}");
            // Whatever the server answers, the client agrees on the parameters.
            if let Some((response, p)) = got {
                let offers: Vec<DeflateOffer> = parse_extensions(&[header])
                    .unwrap()
                    .iter()
                    .filter_map(|o| DeflateOffer::from_extension(o).ok())
                    .collect();
                assert_eq!(client_accept(&offers, &ext(&response)), Ok(p), "{header}");
            }
        }
    }

    #[test]
    fn server_policy_out_of_range_is_an_error() {
        for policy in [
            ServerPolicy {
                server_max_window_bits: 16,
                ..ServerPolicy::default()
            },
            ServerPolicy {
                server_max_window_bits: 7,
                ..ServerPolicy::default()
            },
            ServerPolicy {
                request_max_window_bits: 3,
                ..ServerPolicy::default()
            },
        ] {
            assert!(matches!(
                server_negotiate(&[ext("permessage-deflate")], &policy),
                Err(DeflateError::BadPolicy { .. })
            ));
        }
    }

    // ---------------------------------------------------------------- client check (§7.1)

    #[test]
    fn rfc7692_7_1_client_accepts_valid_responses() {
        let plain = DeflateOffer::default();
        let ask_server = DeflateOffer {
            server_no_context_takeover: true,
            server_max_window_bits: Some(10),
            ..Default::default()
        };
        let allow_client = DeflateOffer {
            client_max_window_bits: Some(None),
            ..Default::default()
        };
        let table: Vec<(DeflateOffer, &str, DeflateParams)> = vec![
            (
                plain.clone(),
                "permessage-deflate",
                DeflateParams::default(),
            ),
            // §7.1.1.1 and §7.1.2.1: the server may add these unasked.
            (
                plain.clone(),
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
                params(true, false, 12, 15),
            ),
            // §7.1.1.2: client_no_context_takeover needs no offer.
            (
                plain,
                "permessage-deflate; client_no_context_takeover",
                params(false, true, 15, 15),
            ),
            (
                ask_server.clone(),
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
                params(true, false, 10, 15),
            ),
            // §7.1.2.1: "the same or smaller value".
            (
                ask_server,
                "permessage-deflate; server_max_window_bits=8; server_no_context_takeover",
                params(true, false, 8, 15),
            ),
            (
                allow_client.clone(),
                "permessage-deflate; client_max_window_bits=9",
                params(false, false, 15, 9),
            ),
            (allow_client, "permessage-deflate", DeflateParams::default()),
            // The offer's hint does not bind the response.
            (
                DeflateOffer {
                    client_max_window_bits: Some(Some(10)),
                    client_no_context_takeover: true,
                    ..Default::default()
                },
                "permessage-deflate; client_max_window_bits=12",
                params(false, false, 15, 12),
            ),
        ];
        for (offer, response, want) in table {
            assert_eq!(
                client_accept(std::slice::from_ref(&offer), &ext(response)),
                Ok(want),
                "{offer:?} / {response}"
            );
        }
    }

    #[test]
    fn rfc7692_7_1_client_rejects_invalid_responses() {
        let plain = DeflateOffer::default();
        let allow_client = DeflateOffer {
            client_max_window_bits: Some(None),
            ..Default::default()
        };
        let table: Vec<(DeflateOffer, &str, DeflateError)> = vec![
            (
                plain.clone(),
                "permessage-deflate; mystery",
                DeflateError::UnknownParameter {
                    name: "mystery".into(),
                },
            ),
            (
                plain.clone(),
                "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                DeflateError::DuplicateParameter {
                    name: "client_no_context_takeover".into(),
                },
            ),
            (
                plain.clone(),
                "permessage-deflate; server_no_context_takeover=yes",
                DeflateError::UnexpectedValue {
                    name: "server_no_context_takeover".into(),
                    value: "yes".into(),
                },
            ),
            (
                plain.clone(),
                "permessage-deflate; server_max_window_bits",
                DeflateError::MissingValue {
                    name: "server_max_window_bits".into(),
                },
            ),
            // §7.1.2.2: in a response the value is mandatory.
            (
                allow_client.clone(),
                "permessage-deflate; client_max_window_bits",
                DeflateError::MissingValue {
                    name: "client_max_window_bits".into(),
                },
            ),
            (
                allow_client,
                "permessage-deflate; client_max_window_bits=16",
                DeflateError::BadWindowBits {
                    name: "client_max_window_bits".into(),
                    value: "16".into(),
                },
            ),
            (
                plain.clone(),
                "permessage-deflate; server_max_window_bits=7",
                DeflateError::BadWindowBits {
                    name: "server_max_window_bits".into(),
                    value: "7".into(),
                },
            ),
            (
                plain.clone(),
                "permessage-deflate; client_max_window_bits=10",
                DeflateError::ClientMaxWindowBitsNotOffered { got: 10 },
            ),
            (
                DeflateOffer {
                    server_no_context_takeover: true,
                    ..Default::default()
                },
                "permessage-deflate",
                DeflateError::ServerNoContextTakeoverMissing,
            ),
            (
                DeflateOffer {
                    server_max_window_bits: Some(10),
                    ..Default::default()
                },
                "permessage-deflate",
                DeflateError::ServerMaxWindowBitsMissing { offered: 10 },
            ),
            (
                DeflateOffer {
                    server_max_window_bits: Some(10),
                    ..Default::default()
                },
                "permessage-deflate; server_max_window_bits=11",
                DeflateError::ServerMaxWindowBitsTooLarge {
                    offered: 10,
                    got: 11,
                },
            ),
            (
                plain,
                "deflate-frame",
                DeflateError::NotPermessageDeflate {
                    name: "deflate-frame".into(),
                },
            ),
        ];
        for (offer, response, want) in table {
            assert_eq!(
                client_accept(std::slice::from_ref(&offer), &ext(response)),
                Err(want),
                "{offer:?} / {response}"
            );
        }
    }

    #[test]
    fn rfc7692_5_1_client_matches_the_response_to_any_offer() {
        let strict = DeflateOffer {
            server_no_context_takeover: true,
            ..Default::default()
        };
        let narrow = DeflateOffer {
            server_max_window_bits: Some(9),
            ..Default::default()
        };
        let plain = DeflateOffer::default();
        let response = ext("permessage-deflate");
        assert_eq!(
            client_accept(&[strict.clone(), plain], &response),
            Ok(DeflateParams::default())
        );
        assert_eq!(
            client_accept(&[strict, narrow], &response),
            Err(DeflateError::NoOfferMatches(vec![
                DeflateError::ServerNoContextTakeoverMissing,
                DeflateError::ServerMaxWindowBitsMissing { offered: 9 },
            ]))
        );
        assert_eq!(
            client_accept(&[], &response),
            Err(DeflateError::NothingOffered)
        );
    }

    // ---------------------------------------------------------------- Autobahn 13.x

    /// Autobahn's (requestNoContextTakeover, requestMaxWindowBits), 0 bits = none.
    type AutobahnParams = (bool, u8);

    /// Facts from Autobahn|Testsuite's case13_x_x.py: subsection j's client
    /// offers as (requestNoContextTakeover, requestMaxWindowBits) and the server
    /// accept functions it runs against a client, in order of preference.
    fn autobahn_13() -> Vec<(Vec<AutobahnParams>, Vec<AutobahnParams>)> {
        vec![
            (vec![(false, 0)], vec![(false, 0)]),
            (vec![(true, 0)], vec![(true, 0)]),
            (vec![(false, 9)], vec![(false, 9)]),
            (vec![(false, 15)], vec![(false, 15)]),
            (vec![(true, 9)], vec![(true, 9)]),
            (vec![(true, 15)], vec![(true, 15)]),
            (
                vec![(true, 9), (true, 0), (false, 0)],
                vec![(true, 9), (true, 0), (false, 0)],
            ),
        ]
    }

    #[test]
    fn autobahn_13_offers_and_acceptances() {
        // The header each subsection's client sends and the response its server
        // sends, as Autobahn's PerMessageDeflateOffer / ...OfferAccept write them.
        let expected: [(&str, &str, DeflateParams); 7] = [
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits",
                "permessage-deflate",
                params(false, false, 15, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                params(true, true, 15, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_max_window_bits=9",
                "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
                params(false, false, 9, 9),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_max_window_bits=15",
                "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
                params(false, false, 15, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=9",
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
             client_no_context_takeover; client_max_window_bits=9",
                params(true, true, 9, 9),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=15",
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=15; \
             client_no_context_takeover; client_max_window_bits=15",
                params(true, true, 15, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=9, \
             permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover, \
             permessage-deflate; client_no_context_takeover; client_max_window_bits",
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
             client_no_context_takeover; client_max_window_bits=9",
                params(true, true, 9, 9),
            ),
        ];
        for (j, ((offers, accepts), (header, response, want))) in
            autobahn_13().into_iter().zip(expected).enumerate()
        {
            let case = format!("13.{}", j + 1);
            let offers: Vec<DeflateOffer> = offers
                .into_iter()
                .map(|(nct, bits)| DeflateOffer::autobahn(nct, bits))
                .collect();
            let wire: Vec<ExtensionOffer> = offers.iter().map(DeflateOffer::to_extension).collect();
            assert_eq!(format_extensions(&wire), header, "{case} offer");
            let policies: Vec<ServerPolicy> = accepts
                .into_iter()
                .map(|(nct, bits)| ServerPolicy::autobahn(nct, bits))
                .collect();
            let received = parse_extensions(&[header]).unwrap();
            let (answer, server_params) = server_negotiate_first(&received, &policies)
                .unwrap()
                .unwrap_or_else(|| panic!("{case}: server declined"));
            assert_eq!(format_extensions(&[answer]), response, "{case} response");
            assert_eq!(server_params, want, "{case} server side");
            assert_eq!(
                client_accept(&offers, &ext(response)),
                Ok(want.clone()),
                "{case} client side"
            );
            // Both ends' codecs interoperate with the agreed parameters.
            let mut tx = want.compressor(Role::Server);
            let mut rx = want.decompressor(Role::Client, 1 << 20).with_window_check();
            let text = br#"{"id": 1, "name": "permessage-deflate", "tags": ["a", "b"]}"#.repeat(40);
            for _ in 0..3 {
                assert_eq!(inflate_one(&mut rx, &tx.compress(&text)).unwrap(), text);
            }
        }
    }

    #[test]
    fn autobahn_13_7_server_prefers_policies_over_offer_order() {
        // An offer without client_max_window_bits cannot take the (true, 9)
        // acceptance, so the 13.7 server falls back to (true, 0).
        let offers = [DeflateOffer {
            server_no_context_takeover: true,
            ..Default::default()
        }
        .to_extension()];
        let policies = [
            ServerPolicy::autobahn(true, 9),
            ServerPolicy::autobahn(true, 0),
            ServerPolicy::autobahn(false, 0),
        ];
        let (answer, p) = server_negotiate_first(&offers, &policies).unwrap().unwrap();
        assert_eq!(
            format_extensions(&[answer]),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        assert_eq!(p, params(true, true, 15, 15));
        assert_eq!(server_negotiate_first(&offers, &policies[..1]), Ok(None));
    }
}
