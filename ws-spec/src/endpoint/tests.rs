//! Unit tests of [`super`]: they reach its private items.

use super::*;
use crate::close::encode_close_payload;
use crate::frame::{decode_stream, Frame};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn echo_server() -> Endpoint {
    Endpoint::new(EndpointConfig::echo_server())
}

fn echo_client() -> Endpoint {
    Endpoint::new(EndpointConfig::echo_client(7))
}

/// What a client sends: masked.
fn c(f: Frame) -> Vec<u8> {
    f.with_mask(Some(KEY)).encode()
}

/// `f`, masked as a client sends it, arrives at time zero.
fn feed(ep: &mut Endpoint, f: Frame) {
    ep.receive(&c(f), Duration::ZERO);
}

fn events(ep: &mut Endpoint) -> Vec<EndpointEvent> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// Decodes what the endpoint wrote.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    decode_stream(bytes).expect("endpoint output decodes as whole frames")
}

fn out_frames(ep: &mut Endpoint) -> Vec<Frame> {
    frames(&ep.take_output())
}

fn failed(code: u16, reason: FailReason) -> EndpointEvent {
    EndpointEvent::Failed { code, reason }
}

/// Asserts the endpoint failed with `code`/`reason`, sent exactly one
/// close carrying `code`, and (server) wants TCP closed.
fn assert_failed(ep: &mut Endpoint, earlier: &[EndpointEvent], code: u16, reason: FailReason) {
    let mut expected = earlier.to_vec();
    expected.push(failed(code, reason.clone()));
    assert_eq!(events(ep), expected);
    let out = out_frames(ep);
    let last = out.last().expect("a close frame");
    assert_eq!(last.header.opcode, Opcode::Close);
    assert_eq!(last.payload, encode_close_payload(code, b""));
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.failure(), Some((code, &reason)));
    assert_eq!(ep.close_sent(), Some(Some(code)));
    assert_eq!(ep.wants_tcp_close(), ep.config().role == Role::Server);
    // §7.1.7: everything after is ignored.
    let more = match ep.config().role {
        Role::Server => c(Frame::ping("x")),
        Role::Client => Frame::ping("x").encode(),
    };
    ep.receive(&more, Duration::from_millis(99));
    assert_eq!(events(ep), vec![]);
    assert!(ep.take_output().is_empty());
}

#[test]
fn rfc6455_5_1_server_fails_on_unmasked_frame_1002() {
    let mut ep = echo_server();
    ep.receive(&Frame::text("hi").encode(), Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::UnmaskedClientFrame);
}

#[test]
fn rfc6455_5_1_client_fails_on_masked_frame_1002_and_waits_for_server_tcp_close() {
    let mut ep = echo_client();
    feed(&mut ep, Frame::text("hi"));
    assert_failed(&mut ep, &[], 1002, FailReason::MaskedServerFrame);
    // §7.1.1: the client waits for the server to close TCP first.
    assert!(!ep.wants_tcp_close());
    ep.receive_eof();
    assert!(ep.wants_tcp_close());
}

/// RFC 6455 §5.2: any RSV bit without an extension, on data and control
/// frames (Autobahn 3.1-3.7), after a valid message that is still echoed.
#[test]
fn rfc6455_5_2_reserved_bits_fail_1002() {
    for rsv in 1..8u8 {
        for f in [
            Frame::text("x"),
            Frame::binary(*b"\x00"),
            Frame::ping("p"),
            Frame::close(Some(1000), b""),
        ] {
            let mut ep = echo_server();
            let mut input = c(Frame::text("ok"));
            input.extend(c(f.with_rsv(rsv)));
            ep.receive(&input, Duration::from_millis(0));
            let echoed = frames(&ep.output);
            assert_eq!(
                echoed[0],
                Frame::text("ok"),
                "valid message before is echoed"
            );
            assert_failed(
                &mut ep,
                &[EndpointEvent::Text("ok".into())],
                1002,
                FailReason::ReservedBits(rsv),
            );
        }
    }
}

/// RFC 6455 §5.2: a reserved bit fails the connection at the first header
/// byte, before the rest of the header arrives.
#[test]
fn rfc6455_5_2_reserved_bits_fail_fast_on_first_byte() {
    let mut ep = echo_server();
    let wire = c(Frame::text("abc").with_rsv(0b100));
    ep.receive(&wire[..1], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(0b100));
}

/// RFC 6455 §5.1: the mask bit is judged as soon as the second header
/// byte arrives, even when the first came in an earlier read.
#[test]
fn rfc6455_5_1_mask_bit_judged_across_reads_before_header_completes() {
    let wire = Frame::binary(vec![0; 300]).encode();
    let mut ep = echo_server();
    ep.receive(&wire[..1], Duration::from_millis(0));
    assert_eq!(events(&mut ep), vec![]);
    ep.receive(&wire[1..2], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::UnmaskedClientFrame);
    // Length split over three reads, judged once complete.
    let config = EndpointConfig {
        max_message_size: 299,
        ..EndpointConfig::echo_server()
    };
    let wire = c(Frame::binary(vec![0; 300]));
    let mut ep = Endpoint::new(config);
    ep.receive(&wire[..2], Duration::from_millis(0));
    ep.receive(&wire[2..3], Duration::from_millis(0));
    assert_eq!(events(&mut ep), vec![]);
    ep.receive(&wire[3..4], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(300));
}

#[test]
fn rfc6455_5_2_reserved_opcodes_fail_1002() {
    for op in (3..=7u8).chain(0xB..=0xF) {
        let mut ep = echo_server();
        feed(&mut ep, Frame::new(Opcode::Reserved(op), *b"abc"));
        assert_failed(&mut ep, &[], 1002, FailReason::ReservedOpcode(op));
    }
}

/// RFC 6455 §5.5: 125 bytes is the largest control payload (Autobahn 2.4/2.5).
#[test]
fn rfc6455_5_5_control_payload_over_125_fails_1002() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::ping(vec![0xFE; 125]));
    assert_eq!(events(&mut ep), vec![EndpointEvent::Ping(vec![0xFE; 125])]);
    assert_eq!(out_frames(&mut ep), vec![Frame::pong(vec![0xFE; 125])]);
    for op in [Opcode::Ping, Opcode::Pong, Opcode::Close] {
        let mut ep = echo_server();
        let wire = c(Frame::new(op, vec![b'a'; 126]));
        // Detected from the length alone, before mask key and payload.
        ep.receive(&wire[..4], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::ControlTooLong(126));
    }
}

/// RFC 6455 §5.5: control frames MUST NOT be fragmented (Autobahn 5.1, 5.2).
#[test]
fn rfc6455_5_5_fragmented_control_frame_fails_1002() {
    for op in [Opcode::Ping, Opcode::Pong, Opcode::Close] {
        let mut ep = echo_server();
        feed(&mut ep, Frame::new(op, *b"ab").with_fin(false));
        assert_failed(&mut ep, &[], 1002, FailReason::FragmentedControl);
    }
}

/// RFC 6455 §5.4: a continuation with nothing to continue (Autobahn 5.9-5.14).
#[test]
fn rfc6455_5_4_continuation_without_message_fails_1002() {
    for fin in [true, false] {
        let mut ep = echo_server();
        feed(&mut ep, Frame::continuation("x").with_fin(fin));
        assert_failed(&mut ep, &[], 1002, FailReason::UnexpectedContinuation);
    }
    // Also right after a complete message.
    let mut ep = echo_server();
    let mut input = c(Frame::text("a"));
    input.extend(c(Frame::continuation("b")));
    ep.receive(&input, Duration::from_millis(0));
    assert_failed(
        &mut ep,
        &[EndpointEvent::Text("a".into())],
        1002,
        FailReason::UnexpectedContinuation,
    );
}

/// RFC 6455 §5.4: a new data frame inside a fragmented message (Autobahn 5.18).
#[test]
fn rfc6455_5_4_data_frame_inside_fragmented_message_fails_1002() {
    for second in [Frame::text("b"), Frame::binary(*b"b")] {
        let mut ep = echo_server();
        let mut input = c(Frame::text("a").with_fin(false));
        input.extend(c(second));
        ep.receive(&input, Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::DataInsideFragmented);
    }
}

/// RFC 6455 §5.6, §8.1 fail-fast: the invalid byte fails the connection
/// in the middle of one frame's payload, before the frame is complete
/// (Autobahn 6.4.3/6.4.4).
#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_inside_one_frame_1007() {
    let payload: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80edited";
    let wire = c(Frame::text(payload));
    let header_len = 6;
    let mut ep = echo_server();
    // Everything up to and including F4: still a possible prefix.
    ep.receive(&wire[..header_len + 12], Duration::from_millis(0));
    assert_eq!(events(&mut ep), vec![]);
    assert!(ep.take_output().is_empty());
    // The 0x90 after F4 makes it impossible.
    ep.receive(
        &wire[header_len + 12..header_len + 13],
        Duration::from_millis(1000),
    );
    assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
}

/// RFC 6455 §8.1 fail-fast across fragments (Autobahn 6.4.1/6.4.2).
#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_across_fragments_1007() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::text("\u{3ba}\u{1f79}").with_fin(false));
    assert_eq!(events(&mut ep), vec![]);
    ep.receive(
        &c(Frame::continuation(*b"\xf4\x90\x80\x80").with_fin(false)),
        Duration::from_millis(1000),
    );
    assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
}

/// RFC 6455 §8.1: a sequence split across fragments is fine (Autobahn 6.2.x).
#[test]
fn rfc6455_8_1_code_point_split_across_fragments_is_valid() {
    let mut ep = echo_server();
    let text = "\u{1F600}";
    let b = text.as_bytes();
    let mut input = c(Frame::text(&b[..1]).with_fin(false));
    input.extend(c(Frame::continuation(&b[1..3]).with_fin(false)));
    input.extend(c(Frame::continuation(&b[3..])));
    ep.receive(&input, Duration::from_millis(0));
    assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text.into())]);
    assert_eq!(out_frames(&mut ep), vec![Frame::text(b)]);
}

/// RFC 6455 §8.1: a message may not end inside a UTF-8 sequence.
#[test]
fn rfc6455_8_1_message_ending_inside_utf8_sequence_fails_1007() {
    for fail_fast in [true, false] {
        let mut ep = Endpoint::new(EndpointConfig {
            fail_fast_utf8: fail_fast,
            ..EndpointConfig::echo_server()
        });
        let mut input = c(Frame::text(*b"ok\xe2\x82").with_fin(false));
        input.extend(c(Frame::continuation(*b"")));
        ep.receive(&input, Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1007, FailReason::IncompleteUtf8);
    }
}

/// Without fail-fast, invalid text fails only once the message is complete.
#[test]
fn rfc6455_8_1_without_fail_fast_invalid_utf8_fails_at_message_end() {
    let mut ep = Endpoint::new(EndpointConfig {
        fail_fast_utf8: false,
        ..EndpointConfig::echo_server()
    });
    feed(&mut ep, Frame::text(*b"a\xff").with_fin(false));
    assert_eq!(events(&mut ep), vec![]);
    assert_eq!(ep.state(), State::Open);
    feed(&mut ep, Frame::continuation("b"));
    assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
}

/// RFC 6455 §5.5.1: a one-byte close body (Autobahn 7.3.2).
#[test]
fn rfc6455_5_5_1_close_with_one_byte_body_fails_1002() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::new(Opcode::Close, *b"\x03"));
    assert_failed(&mut ep, &[], 1002, FailReason::CloseBodyOneByte);
}

/// RFC 6455 §7.4.1, §7.4.2: codes that may not be on the wire (Autobahn 7.9.x, 7.13.x).
#[test]
fn rfc6455_7_4_invalid_close_codes_fail_1002() {
    for code in [
        0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let mut ep = echo_server();
        feed(&mut ep, Frame::close(Some(code), b""));
        assert_failed(&mut ep, &[], 1002, FailReason::InvalidCloseCode(code));
    }
}

/// RFC 6455 §5.5.1: the reason must be UTF-8 (Autobahn 7.5.1).
#[test]
fn rfc6455_5_5_1_close_reason_not_utf8_fails_1007() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::close(Some(1000), b"\xce\xba\xed\xa0\x80"));
    assert_failed(&mut ep, &[], 1007, FailReason::InvalidCloseReason);
}

/// RFC 6455 §10.4: a message above the limit fails with 1009 as soon as
/// a header announces it, before its payload arrives.
#[test]
fn rfc6455_10_4_message_too_big_fails_1009_on_the_header() {
    let config = EndpointConfig {
        max_message_size: 100,
        ..EndpointConfig::echo_server()
    };
    // One frame.
    let mut ep = Endpoint::new(config.clone());
    let wire = c(Frame::binary(vec![0; 101]));
    ep.receive(&wire[..4], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(101));
    // Accumulated over fragments.
    let mut ep = Endpoint::new(config.clone());
    feed(&mut ep, Frame::text(vec![b'a'; 60]).with_fin(false));
    feed(&mut ep, Frame::continuation(vec![b'a'; 40]).with_fin(false));
    assert_eq!(ep.state(), State::Open);
    let wire = c(Frame::continuation(vec![b'a'; 1]));
    ep.receive(&wire[..2], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(101));
    // At the limit is fine.
    let mut ep = Endpoint::new(config);
    feed(&mut ep, Frame::binary(vec![7; 100]));
    assert_eq!(events(&mut ep), vec![EndpointEvent::Binary(vec![7; 100])]);
}

/// RFC 6455 §10.4: a huge announced length is refused without allocating it.
#[test]
fn rfc6455_10_4_frame_too_big_fails_1009_without_allocating() {
    let mut ep = echo_server();
    let header = Frame::binary(Vec::new())
        .with_payload_len((1 << 63) - 1)
        .with_mask(Some(KEY))
        .encode();
    ep.receive(&header, Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1009, FailReason::FrameTooBig((1 << 63) - 1));
    let mut ep = Endpoint::new(EndpointConfig {
        max_frame_size: 10,
        ..EndpointConfig::echo_server()
    });
    feed(&mut ep, Frame::binary(vec![0; 11]).with_fin(false));
    assert_failed(&mut ep, &[], 1009, FailReason::FrameTooBig(11));
}

/// RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0;
/// detected at the first length byte.
#[test]
fn rfc6455_5_2_length_top_bit_fails_1002() {
    let wire = Frame::binary(Vec::new())
        .with_payload_len(1 << 63)
        .with_mask(Some(KEY))
        .encode();
    let mut ep = echo_server();
    ep.receive(&wire[..3], Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::LengthTopBit);
    // An earlier field wins: RSV is in the first byte.
    let wire = Frame::binary(Vec::new())
        .with_rsv(1)
        .with_payload_len(1 << 63)
        .with_mask(Some(KEY))
        .encode();
    let mut ep = echo_server();
    ep.receive(&wire, Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(1));
}

/// RFC 6455 §5.2 non-minimal lengths are accepted unless asked otherwise.
#[test]
fn rfc6455_5_2_non_minimal_length_only_failed_when_strict() {
    let wire = c(Frame::text("hi").with_length_form(LengthForm::Extended64));
    let mut ep = echo_server();
    ep.receive(&wire, Duration::from_millis(0));
    assert_eq!(events(&mut ep), vec![EndpointEvent::Text("hi".into())]);
    let mut ep = Endpoint::new(EndpointConfig {
        reject_non_minimal_length: true,
        ..EndpointConfig::echo_server()
    });
    ep.receive(&wire, Duration::from_millis(0));
    assert_failed(&mut ep, &[], 1002, FailReason::NonMinimalLength);
}

/// RFC 6455 §5.5.2: a pong with the ping's payload (Autobahn 2.1-2.4, 2.10).
#[test]
fn rfc6455_5_5_2_ping_answered_with_same_payload() {
    let mut ep = echo_server();
    let mut input = Vec::new();
    for i in 0..10u8 {
        input.extend(c(Frame::ping(vec![i; i as usize])));
    }
    ep.receive(&input, Duration::from_millis(0));
    let expected: Vec<_> = (0..10u8)
        .map(|i| Frame::pong(vec![i; i as usize]))
        .collect();
    assert_eq!(out_frames(&mut ep), expected);
    assert_eq!(events(&mut ep).len(), 10);
}

/// RFC 6455 §5.4, §5.5.2: a ping between fragments is answered at once,
/// before the message completes (Autobahn 5.6-5.8, 5.19).
#[test]
fn rfc6455_5_4_ping_inside_fragmented_message_answered_before_it_completes() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::text("frag1").with_fin(false));
    feed(&mut ep, Frame::ping("ping"));
    assert_eq!(out_frames(&mut ep), vec![Frame::pong("ping")]);
    assert_eq!(events(&mut ep), vec![EndpointEvent::Ping(b"ping".to_vec())]);
    feed(&mut ep, Frame::continuation("frag2"));
    assert_eq!(out_frames(&mut ep), vec![Frame::text("frag1frag2")]);
    assert_eq!(
        events(&mut ep),
        vec![EndpointEvent::Text("frag1frag2".into())]
    );
}

/// RFC 6455 §5.5.3: an unsolicited pong gets no reply (Autobahn 2.7-2.9).
#[test]
fn rfc6455_5_5_3_unsolicited_pong_ignored() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::pong("unsolicited"));
    assert!(ep.take_output().is_empty());
    assert_eq!(
        events(&mut ep),
        vec![EndpointEvent::Pong(b"unsolicited".to_vec())]
    );
    assert_eq!(ep.state(), State::Open);
}

/// RFC 6455 §5.5.1, §7.1.2-7.1.4: a peer-initiated close is answered
/// with the same code (Autobahn 7.7.x), then the server closes TCP.
#[test]
fn rfc6455_5_5_1_close_in_open_is_echoed_and_server_closes_tcp() {
    for code in [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 3000, 3999, 4000, 4999,
    ] {
        let mut ep = echo_server();
        ep.receive(
            &c(Frame::close(Some(code), b"bye")),
            Duration::from_millis(5),
        );
        assert_eq!(
            events(&mut ep),
            vec![
                EndpointEvent::CloseReceived {
                    code: Some(code),
                    reason: "bye".into()
                },
                EndpointEvent::Closed
            ]
        );
        assert_eq!(out_frames(&mut ep), vec![Frame::close(Some(code), b"")]);
        assert_eq!(ep.state(), State::Closed);
        assert!(ep.handshake_completed());
        assert!(ep.wants_tcp_close());
        assert_eq!(ep.closing_since(), Some(Duration::from_millis(5)));
    }
    // Empty body: reply with an empty body (Autobahn 7.3.1).
    let mut ep = echo_server();
    feed(&mut ep, Frame::close(None, b""));
    assert_eq!(out_frames(&mut ep), vec![Frame::close(None, b"")]);
    assert!(ep.wants_tcp_close());
}

/// RFC 6455 §7.1.1, §5.5.1: a client answers the close but leaves the
/// TCP close to the server.
#[test]
fn rfc6455_7_1_1_client_answers_close_and_waits_for_server_tcp_close() {
    let mut ep = echo_client();
    ep.receive(
        &Frame::close(Some(1000), b"").encode(),
        Duration::from_millis(0),
    );
    let out = out_frames(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload, encode_close_payload(1000, b""));
    assert!(out[0].header.mask.is_some());
    assert_eq!(ep.state(), State::Closed);
    assert!(!ep.wants_tcp_close());
    ep.receive_eof();
    assert!(ep.wants_tcp_close());
}

/// RFC 6455 §7.1.2, §7.1.3: when we initiated, the peer's close completes
/// the handshake and no second close is sent.
#[test]
fn rfc6455_7_1_2_initiated_close_completed_by_peer_close() {
    let mut ep = echo_server();
    ep.receive(&[], Duration::from_millis(42));
    ep.close(1000, "done");
    assert_eq!(
        ep.state(),
        State::Closing {
            initiated_by_me: true
        }
    );
    assert_eq!(out_frames(&mut ep), vec![Frame::close(Some(1000), b"done")]);
    assert_eq!(ep.closing_since(), Some(Duration::from_millis(42)));
    assert!(!ep.wants_tcp_close());
    // Messages still arrive while closing, but nothing is sent (§5.5.1).
    ep.receive(&c(Frame::text("late")), Duration::from_millis(43));
    ep.receive(&c(Frame::ping("p")), Duration::from_millis(43));
    ep.receive(&c(Frame::close(Some(1000), b"")), Duration::from_millis(44));
    assert_eq!(
        events(&mut ep),
        vec![
            EndpointEvent::Text("late".into()),
            EndpointEvent::Ping(b"p".to_vec()),
            EndpointEvent::CloseReceived {
                code: Some(1000),
                reason: String::new()
            },
            EndpointEvent::Closed
        ]
    );
    assert!(ep.take_output().is_empty());
    assert_eq!(ep.state(), State::Closed);
    assert!(ep.wants_tcp_close());
}

/// RFC 6455 §5.5.1: after sending a close, no more data frames.
#[test]
fn rfc6455_5_5_1_no_frames_after_close_sent() {
    let mut ep = echo_server();
    ep.close(1001, "");
    let _ = ep.take_output();
    ep.send_text("x");
    ep.send_binary(b"y");
    ep.send_ping(b"z");
    ep.close(1000, "again");
    assert!(ep.take_output().is_empty());
    assert_eq!(ep.close_sent(), Some(Some(1001)));
    // A violation while closing still fails, without a second close.
    ep.receive(&Frame::text("unmasked").encode(), Duration::from_millis(0));
    assert_eq!(
        events(&mut ep),
        vec![failed(1002, FailReason::UnmaskedClientFrame)]
    );
    assert!(ep.take_output().is_empty());
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 6455 §7.4: close() never puts a code on the wire that may not be there.
#[test]
fn rfc6455_7_4_close_with_unsendable_code_sends_empty_body() {
    for code in [1005, 1006, 1015, 0, 5000] {
        let mut ep = echo_server();
        ep.close(code, "reason");
        assert_eq!(out_frames(&mut ep), vec![Frame::close(None, b"")]);
        assert_eq!(ep.close_sent(), Some(None));
    }
    let mut ep = echo_server();
    ep.close(1000, &"é".repeat(100));
    let out = out_frames(&mut ep);
    assert!(out[0].payload.len() <= 125);
    assert!(close::parse_close_payload(&out[0].payload).is_ok());
}

/// RFC 6455 §7.1.4 (Autobahn 7.1.2-7.1.4): after the peer's close,
/// nothing it sends is processed.
#[test]
fn rfc6455_7_1_4_data_after_peer_close_ignored() {
    let mut ep = echo_server();
    let mut input = c(Frame::text("a"));
    input.extend(c(Frame::close(Some(1000), b"")));
    input.extend(c(Frame::ping("p")));
    input.extend(c(Frame::text("b")));
    input.extend(c(Frame::close(Some(1000), b"")));
    input.extend(Frame::text("garbage, unmasked").encode());
    ep.receive(&input, Duration::from_millis(0));
    assert_eq!(
        events(&mut ep),
        vec![
            EndpointEvent::Text("a".into()),
            EndpointEvent::CloseReceived {
                code: Some(1000),
                reason: String::new()
            },
            EndpointEvent::Closed
        ]
    );
    assert_eq!(
        out_frames(&mut ep),
        vec![Frame::text("a"), Frame::close(Some(1000), b"")]
    );
}

/// A fragmented message is echoed as one frame, same type and payload.
#[test]
fn echo_of_fragmented_messages_is_one_frame_each() {
    let mut ep = echo_server();
    let mut input = c(Frame::binary(*b"\x00\x01").with_fin(false));
    input.extend(c(Frame::continuation(*b"").with_fin(false)));
    input.extend(c(Frame::continuation(*b"\x02").with_fin(false)));
    input.extend(c(Frame::continuation(*b"\x03")));
    input.extend(c(Frame::text("")));
    ep.receive(&input, Duration::from_millis(0));
    assert_eq!(
        out_frames(&mut ep),
        vec![Frame::binary(*b"\x00\x01\x02\x03"), Frame::text("")]
    );
    // Without echo, events only.
    let mut ep = Endpoint::new(EndpointConfig::default());
    feed(&mut ep, Frame::text("q"));
    assert!(ep.take_output().is_empty());
    assert_eq!(events(&mut ep), vec![EndpointEvent::Text("q".into())]);
}

/// RFC 6455 §5.1, §5.3: a client masks every frame with a fresh key from
/// its seeded generator; a server never masks.
#[test]
fn rfc6455_5_3_client_masks_with_seeded_keys_server_never_masks() {
    let run = |seed| {
        let mut ep = Endpoint::new(EndpointConfig::echo_client(seed));
        ep.send_text("hello");
        ep.send_binary(&[1, 2, 3]);
        ep.receive(&Frame::ping("p").encode(), Duration::from_millis(0));
        ep.close(1000, "");
        out_frames(&mut ep)
    };
    let a = run(1);
    assert_eq!(a, run(1), "same seed, same bytes");
    let keys: Vec<_> = a.iter().map(|f| f.header.mask.expect("masked")).collect();
    assert_eq!(keys.len(), 4);
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            assert_ne!(keys[i], keys[j]);
        }
    }
    assert_ne!(run(2)[0].header.mask, a[0].header.mask);
    assert_eq!(a[0].payload, b"hello");
    assert_eq!(a[2], Frame::pong("p").with_mask(Some(keys[2])));

    let mut ep = echo_server();
    ep.send_text("hello");
    feed(&mut ep, Frame::ping("p"));
    assert!(out_frames(&mut ep).iter().all(|f| f.header.mask.is_none()));
}

/// The peer dropping TCP: Closed, not clean, and the endpoint closes too.
#[test]
fn rfc6455_7_1_5_eof_without_close_is_not_clean() {
    let mut ep = echo_server();
    ep.receive(
        &c(Frame::text("a")).as_slice()[..3],
        Duration::from_millis(0),
    );
    ep.receive_eof();
    assert_eq!(ep.state(), State::Closed);
    assert!(!ep.handshake_completed());
    assert!(ep.wants_tcp_close());
    assert!(ep.peer_closed_tcp());
    assert!(ep.take_output().is_empty());
}

/// Autobahn 9.1.6: a 16 MiB text message in 64 KiB reads is echoed intact.
#[test]
fn large_message_echoed_in_pieces() {
    let text: String = (0..16 * 1024 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let wire = c(Frame::text(text.as_bytes()));
    let mut ep = echo_server();
    for piece in wire.chunks(64 * 1024) {
        ep.receive(piece, Duration::from_millis(0));
    }
    let out = ep.take_output();
    assert_eq!(&out[..10], &[0x81, 127, 0, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(&out[10..], text.as_bytes());
    assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text)]);
}

fn deflate_server(params: DeflateParams, max: u64) -> Endpoint {
    Endpoint::new(EndpointConfig {
        deflate: Some(params),
        max_message_size: max,
        ..EndpointConfig::echo_server()
    })
}

#[test]
fn rfc7692_6_compressed_fragmented_message_is_inflated_and_echo_compressed() {
    let params = DeflateParams::default();
    let mut ep = deflate_server(params.clone(), 1 << 20);
    let mut client = params.compressor(Role::Client);
    let mut server_rx = params.decompressor(Role::Client, 1 << 20);
    for round in 0..3 {
        let text = format!("round {round}: {}", "hello deflate ".repeat(50));
        let z = client.compress(text.as_bytes());
        let (a, b) = z.split_at(z.len() / 2);
        let mut wire = c(Frame::text(a.to_vec()).with_fin(false).with_rsv(0b100));
        wire.extend(c(Frame::new(Opcode::Continuation, b.to_vec())));
        ep.receive(&wire, Duration::from_millis(round));
        assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text.clone())]);
        let out = out_frames(&mut ep);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].header.rsv, 0b100, "§6: echo compressed, RSV1 set");
        server_rx.push(&out[0].payload).unwrap();
        assert_eq!(server_rx.finish_message().unwrap(), text.as_bytes());
    }
}

#[test]
fn rfc7692_6_rsv1_on_continuation_or_control_fails_1002() {
    let params = DeflateParams::default();
    let mut ep = deflate_server(params.clone(), 1 << 20);
    let mut wire = c(Frame::text("ab").with_fin(false));
    wire.extend(c(Frame::new(Opcode::Continuation, "cd").with_rsv(0b100)));
    ep.receive(&wire, Duration::from_millis(0));
    assert_failed(
        &mut ep,
        &[],
        1002,
        FailReason::CompressedBitMisplaced(0b100),
    );
    let mut ep = deflate_server(params, 1 << 20);
    feed(&mut ep, Frame::ping("x").with_rsv(0b100));
    assert_failed(
        &mut ep,
        &[],
        1002,
        FailReason::CompressedBitMisplaced(0b100),
    );
}

#[test]
fn rfc7692_8_1_decompression_bomb_fails_1009() {
    let params = DeflateParams::default();
    let mut ep = deflate_server(params.clone(), 10_000);
    let z = params.compressor(Role::Client).compress(&[0u8; 100_000]);
    assert!(z.len() < 10_000);
    feed(&mut ep, Frame::binary(z).with_rsv(0b100));
    assert_failed(&mut ep, &[], 1009, FailReason::DecompressedTooBig(10_000));
}

#[test]
fn rfc6455_5_2_rsv1_without_deflate_still_fails() {
    let mut ep = echo_server();
    feed(&mut ep, Frame::text("a").with_rsv(0b100));
    assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(0b100));
}
