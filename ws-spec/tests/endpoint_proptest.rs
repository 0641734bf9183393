//! Property tests of the reference endpoint (RFC 6455 §5-§7): its verdicts
//! do not depend on how the input is cut, it never panics, and what it
//! writes is always a valid, bounded frame stream that ends at its close.

mod split;

use std::time::Duration;

use proptest::prelude::*;
use split::{chunks, cuts};
use ws_spec::close::{self, is_valid_on_wire};
use ws_spec::endpoint::{Endpoint, EndpointConfig, EndpointEvent, Role, State};
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder, LengthForm, Opcode};

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

fn limit() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => Just(64 * 1024 * 1024u64),
        1 => 0u64..200,
    ]
}

fn config() -> impl Strategy<Value = EndpointConfig> {
    (
        role(),
        limit(),
        limit(),
        any::<bool>(),
        any::<u64>(),
        prop_oneof![4 => Just(true), 1 => Just(false)],
        prop_oneof![4 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(role, max_message_size, max_frame_size, echo, mask_seed, fail_fast, strict)| {
                EndpointConfig {
                    role,
                    max_message_size,
                    max_frame_size,
                    echo,
                    mask_seed,
                    fail_fast_utf8: fail_fast,
                    reject_non_minimal_length: strict,
                    deflate: None,
                }
            },
        )
}

/// Text-ish payloads: valid UTF-8, valid UTF-8 cut anywhere (so code points
/// straddle fragments), or any bytes.
fn data_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "\\PC{0,12}".prop_map(String::into_bytes),
        3 => ("\\PC{0,12}", any::<prop::sample::Index>(), any::<bool>()).prop_map(|(s, i, head)| {
            let b = s.into_bytes();
            let cut = i.index(b.len() + 1);
            if head { b[..cut].to_vec() } else { b[cut..].to_vec() }
        }),
        2 => prop::collection::vec(any::<u8>(), 0..20),
        1 => prop::collection::vec(any::<u8>(), 120..300),
    ]
}

fn close_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        1 => any::<u8>().prop_map(|b| vec![b]),
        3 => (prop_oneof![
                3 => prop::sample::select(vec![1000u16, 1001, 1002, 1003, 1007, 1011, 3000, 4999]),
                1 => any::<u16>(),
             ], data_payload())
            .prop_map(|(code, reason)| close::encode_close_payload(code, &reason)),
    ]
}

fn opcode() -> impl Strategy<Value = Opcode> {
    prop_oneof![
        4 => Just(Opcode::Text),
        3 => Just(Opcode::Binary),
        3 => Just(Opcode::Continuation),
        2 => Just(Opcode::Ping),
        1 => Just(Opcode::Pong),
        1 => Just(Opcode::Close),
        1 => prop::sample::select(vec![3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
            .prop_map(Opcode::Reserved),
    ]
}

/// One frame a peer of `role` might send, mostly but not always valid.
fn frame_bytes(role: Role) -> impl Strategy<Value = Vec<u8>> {
    let correct_mask = role == Role::Server;
    (
        opcode(),
        prop_oneof![2 => Just(true), 1 => Just(false)],
        prop_oneof![20 => Just(0u8), 1 => 1u8..8],
        prop_oneof![20 => Just(correct_mask), 1 => Just(!correct_mask)],
        any::<[u8; 4]>(),
        prop_oneof![
            6 => Just(LengthForm::Minimal),
            1 => Just(LengthForm::Extended16),
            1 => Just(LengthForm::Extended64),
        ],
        data_payload(),
        close_payload(),
        prop_oneof![
            30 => Just(None),
            1 => (0u64..400).prop_map(Some),
            1 => any::<u64>().prop_map(Some),
        ],
    )
        .prop_map(|(op, fin, rsv, masked, key, form, data, close_body, lie)| {
            let payload = match op {
                Opcode::Close => close_body,
                _ => data,
            };
            let mut f = Frame::new(op, payload)
                .with_fin(fin)
                .with_rsv(rsv)
                .with_mask(masked.then_some(key))
                .with_length_form(form);
            if let Some(len) = lie {
                f = f.with_payload_len(len);
            }
            f.encode()
        })
}

/// A stream of frames, with now and then a few raw bytes, often ending
/// inside a frame (a peer that pauses or stops mid-frame).
fn stream(role: Role) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(
            prop_oneof![
                12 => frame_bytes(role),
                1 => prop::collection::vec(any::<u8>(), 0..6),
            ],
            0..12,
        ),
        prop_oneof![
            1 => Just(None),
            1 => (frame_bytes(role), 0usize..16).prop_map(Some),
        ],
    )
        .prop_map(|(pieces, last)| {
            let mut bytes = pieces.concat();
            if let Some((frame, keep)) = last {
                bytes.extend_from_slice(&frame[..keep.min(frame.len())]);
            }
            bytes
        })
}

/// A complete, valid frame: an unfragmented message, a ping or a pong.
fn valid_frame(role: Role) -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(Opcode::Text),
            Just(Opcode::Binary),
            Just(Opcode::Ping),
            Just(Opcode::Pong)
        ],
        "\\PC{0,12}",
        any::<[u8; 4]>(),
    )
        .prop_map(move |(op, text, key)| {
            Frame::new(op, text.into_bytes())
                .with_mask((role == Role::Server).then_some(key))
                .encode()
        })
}

/// Valid frames, then one arbitrary frame that stops early, mostly inside
/// its header: the case where a header is judged on its first bytes.
fn config_and_stream_ending_mid_header() -> impl Strategy<Value = (EndpointConfig, Vec<u8>)> {
    config().prop_flat_map(|cfg| {
        let role = cfg.role;
        (
            Just(cfg),
            prop::collection::vec(valid_frame(role), 0..4),
            frame_bytes(role),
            1usize..14,
        )
            .prop_map(|(cfg, valid, last, keep)| {
                let mut bytes = valid.concat();
                bytes.extend_from_slice(&last[..keep.min(last.len())]);
                (cfg, bytes)
            })
    })
}

fn config_and_stream() -> impl Strategy<Value = (EndpointConfig, Vec<u8>)> {
    config().prop_flat_map(|cfg| {
        let role = cfg.role;
        (Just(cfg), stream(role))
    })
}

/// Everything observable about a run.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<EndpointEvent>,
    output: Vec<u8>,
    state: State,
    wants_tcp_close: bool,
    close_sent: Option<Option<u16>>,
    handshake_completed: bool,
}

fn run(config: &EndpointConfig, pieces: &[&[u8]]) -> Outcome {
    let mut ep = Endpoint::new(config.clone());
    let mut events = Vec::new();
    let mut output = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        ep.receive(piece, Duration::from_millis(i as u64));
        // Drain at random moments as a real caller would: here, every piece.
        events.extend(std::iter::from_fn(|| ep.poll_event()));
        output.extend(ep.take_output());
    }
    Outcome {
        events,
        output,
        state: ep.state(),
        wants_tcp_close: ep.wants_tcp_close(),
        close_sent: ep.close_sent(),
        handshake_completed: ep.handshake_completed(),
    }
}

/// Checks that `output` is what a conforming `role` endpoint may write:
/// whole, final, RSV-free frames with defined opcodes, masked exactly in
/// the client role, control payloads within 125 bytes, text in UTF-8, close
/// codes valid on the wire (RFC 6455 §7.4), and nothing after the first close
/// (§5.5.1). Returns the number of frames.
fn check_output(role: Role, output: &[u8]) -> Result<usize, TestCaseError> {
    let mut d = FrameDecoder::new(DecoderConfig {
        max_frame_payload: u64::MAX,
    });
    d.push(output);
    let mut n = 0;
    let mut closed = false;
    while let Some(f) = d
        .next_frame()
        .map_err(|e| TestCaseError::fail(format!("output does not decode: {e}")))?
    {
        n += 1;
        prop_assert!(!closed, "frame after the close: {:?}", f.header);
        prop_assert!(f.header.fin);
        prop_assert_eq!(f.header.rsv, 0);
        prop_assert_eq!(f.header.length_form, LengthForm::Minimal);
        prop_assert_eq!(f.header.mask.is_some(), role == Role::Client);
        prop_assert!(!f.header.opcode.is_reserved());
        prop_assert!(f.header.opcode != Opcode::Continuation);
        if f.header.opcode.is_control() {
            prop_assert!(f.payload.len() <= 125);
        }
        match f.header.opcode {
            Opcode::Text => prop_assert!(std::str::from_utf8(&f.payload).is_ok()),
            Opcode::Close => {
                closed = true;
                match close::parse_close_payload(&f.payload) {
                    Ok(Some(body)) => prop_assert!(is_valid_on_wire(body.code)),
                    Ok(None) => {}
                    Err(e) => prop_assert!(false, "invalid close sent: {e}"),
                }
            }
            _ => {}
        }
    }
    prop_assert_eq!(d.finish(), Ok(()), "output ends inside a frame");
    Ok(n)
}

/// Checks the event sequence: `Failed` and `Closed` end it.
fn check_events(events: &[EndpointEvent]) -> Result<(), TestCaseError> {
    if let Some(i) = events
        .iter()
        .position(|e| matches!(e, EndpointEvent::Failed { .. } | EndpointEvent::Closed))
    {
        prop_assert_eq!(i + 1, events.len(), "events after the end: {:?}", events);
        if let EndpointEvent::Failed { code, reason } = &events[i] {
            prop_assert!(is_valid_on_wire(*code));
            prop_assert_eq!(*code, reason.close_code());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// RFC 6455 §5.4 ("intermediaries may change fragmentation") and §8.1
    /// (fail-fast): feeding a stream in any pieces gives exactly the same
    /// events, output and final state as feeding it whole.
    #[test]
    fn endpoint_split_invariance((config, bytes) in config_and_stream(), cuts in cuts()) {
        let whole = run(&config, &[&bytes]);
        let pieces = chunks(&bytes, &cuts);
        let split = run(&config, &pieces);
        prop_assert_eq!(&whole, &split);
        check_events(&whole.events)?;
        check_output(config.role, &whole.output)?;
    }

    /// Split invariance when the stream stops inside a header: the verdict
    /// on a header prefix must not depend on which reads brought its bytes.
    #[test]
    fn endpoint_split_invariance_mid_header(
        (config, bytes) in config_and_stream_ending_mid_header(),
        cuts in cuts(),
    ) {
        let whole = run(&config, &[&bytes]);
        let split = run(&config, &chunks(&bytes, &cuts));
        prop_assert_eq!(&whole, &split);
    }

    /// Arbitrary bytes in either role: no panic, a valid and bounded output
    /// (at most 3x the input plus one close), events that end at the end.
    #[test]
    fn endpoint_arbitrary_bytes_never_panic_and_output_is_bounded(
        config in config(),
        pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8),
    ) {
        let refs: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
        let outcome = run(&config, &refs);
        let input: usize = pieces.iter().map(Vec::len).sum();
        prop_assert!(outcome.output.len() <= 3 * input + 8, "{} bytes out for {} in", outcome.output.len(), input);
        check_output(config.role, &outcome.output)?;
        check_events(&outcome.events)?;
    }

    /// Frame streams in either role: output bounded by the input, valid, and
    /// ending at the close.
    #[test]
    fn endpoint_frame_streams_output_is_bounded_and_valid((config, bytes) in config_and_stream()) {
        let outcome = run(&config, &[&bytes]);
        prop_assert!(outcome.output.len() <= 3 * bytes.len() + 8);
        check_output(config.role, &outcome.output)?;
        check_events(&outcome.events)?;
        if outcome.close_sent.is_some() {
            prop_assert!(outcome.state != State::Open);
        }
        if config.role == Role::Server {
            prop_assert_eq!(outcome.wants_tcp_close, outcome.state == State::Closed);
        } else {
            prop_assert!(!outcome.wants_tcp_close, "a client waits for the server");
        }
    }

    /// Application calls mixed with input: whatever the order, nothing but
    /// the close after the close, and only valid close codes (RFC 6455
    /// §5.5.1, §7.4).
    #[test]
    fn endpoint_app_calls_mixed_with_input_keep_close_invariants(
        (config, ops) in config().prop_flat_map(|cfg| {
            let role = cfg.role;
            (Just(cfg), prop::collection::vec(op(role), 0..12))
        }),
    ) {
        let mut ep = Endpoint::new(config.clone());
        let mut output = Vec::new();
        let mut events = Vec::new();
        for (t, op) in ops.iter().enumerate() {
            match op {
                Op::Receive(bytes) => ep.receive(bytes, Duration::from_millis(t as u64)),
                Op::Text(s) => ep.send_text(s),
                Op::Binary(b) => ep.send_binary(b),
                Op::Ping(p) => ep.send_ping(p),
                Op::Close(code, reason) => ep.close(*code, reason),
                Op::Eof => ep.receive_eof(),
            }
            output.extend(ep.take_output());
            events.extend(std::iter::from_fn(|| ep.poll_event()));
            if ep.close_sent().is_some() {
                prop_assert!(ep.state() != State::Open);
            }
        }
        check_output(config.role, &output)?;
        check_events(&events)?;
    }
}

#[derive(Clone, Debug)]
enum Op {
    Receive(Vec<u8>),
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Close(u16, String),
    Eof,
}

fn op(role: Role) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => frame_bytes(role).prop_map(Op::Receive),
        1 => prop::collection::vec(any::<u8>(), 0..10).prop_map(Op::Receive),
        2 => "\\PC{0,10}".prop_map(Op::Text),
        1 => prop::collection::vec(any::<u8>(), 0..10).prop_map(Op::Binary),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Op::Ping),
        1 => (prop_oneof![Just(1000u16), any::<u16>()], "\\PC{0,130}")
            .prop_map(|(c, r)| Op::Close(c, r)),
        1 => Just(Op::Eof),
    ]
}
