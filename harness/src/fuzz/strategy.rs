//! Proptest strategies over conversations, and the simplifications the shrinker tries.
//!
//! A conversation is built from messages (text or binary, valid or invalid UTF-8,
//! fragmented at random byte offsets, so UTF-8 sequences split anywhere, with pings
//! between the fragments), lone control frames, and now and then a frame the RFC
//! forbids (reserved opcodes, RSV bits, a stray continuation, an oversized or
//! fragmented ping); it usually ends with a close whose code and reason may be invalid.
//!
//! Most conversations offer permessage-deflate (RFC 7692) with random parameters,
//! and carry compressed messages: often repetitive text, so that back-references
//! reach into earlier messages, cut into frames anywhere in the compressed
//! payload, and now and then broken (RSV1 where it must not be, a changed byte).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use ws_spec::deflate::DeflateOffer;

use super::{CompressedMessage, Conversation, DeflateFault, FrameStep, FuzzStep};

const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Byte sequences no UTF-8 text may contain (RFC 3629): a lone 0xFF, an overlong
/// NUL, a surrogate, a code point past U+10FFFF, a lone continuation byte.
const INVALID_UTF8: &[&[u8]] = &[
    &[0xFF],
    &[0xC0, 0x80],
    &[0xED, 0xA0, 0x80],
    &[0xF4, 0x90, 0x80, 0x80],
    &[0x80],
];

/// Close codes, valid and invalid on the wire (RFC 6455 §7.4). Left out: 1012-1014,
/// registered with IANA after the RFC, which servers may take either way.
const CLOSE_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 0, 999, 1004,
    1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
];

fn text_payload() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop::collection::vec(any::<char>(), 0..24)
        .prop_map(|cs| cs.into_iter().collect::<String>().into_bytes());
    prop_oneof![
        6 => valid.clone(),
        1 => (valid, any::<prop::sample::Index>(), prop::sample::select(INVALID_UTF8)).prop_map(
            |(mut bytes, at, bad)| {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, bad.iter().copied());
                bytes
            }
        ),
        // A sequence cut short at the end of the message.
        1 => prop::collection::vec(any::<char>(), 1..8).prop_map(|cs| {
            let mut bytes = cs.into_iter().collect::<String>().into_bytes();
            bytes.extend_from_slice(&[0xE2, 0x82]);
            bytes
        }),
    ]
}

fn binary_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        30 => prop::collection::vec(any::<u8>(), 0..40),
        // Past 125 and 65535 bytes: the 16- and 64-bit length forms.
        4 => prop::collection::vec(any::<u8>(), 120..400),
        1 => Just((0..65_536usize).map(|i| i as u8).collect()),
    ]
}

fn chop() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![4 => Just(None), 1 => (1usize..7).prop_map(Some)]
}

fn control_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => prop::collection::vec(any::<u8>(), 0..20),
        1 => Just(vec![b'p'; 125]),
        // Too long for a control frame (RFC 6455 §5.5).
        1 => Just(vec![b'p'; 126]),
    ]
}

fn frame(opcode: u8, fin: bool, payload: Vec<u8>, chop: Option<usize>) -> FuzzStep {
    FuzzStep::Frame(FrameStep {
        chop,
        ..FrameStep::new(opcode, fin, payload)
    })
}

/// A data message cut into frames at random offsets, pings between some of them.
fn message() -> impl Strategy<Value = Vec<FuzzStep>> {
    let payload = prop_oneof![
        (Just(TEXT), text_payload()),
        (Just(BINARY), binary_payload())
    ];
    (
        payload,
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        prop::collection::vec(prop::option::weighted(0.2, control_payload()), 4),
        chop(),
    )
        .prop_map(|((opcode, bytes), cuts, pings, chop)| {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            cuts.dedup();
            // Writes of a few bytes each are slow: only small messages are chopped.
            let chop = chop.filter(|_| bytes.len() <= 1024);
            let mut steps = Vec::new();
            let mut start = 0;
            for (i, &end) in cuts.iter().enumerate() {
                let last = i + 1 == cuts.len();
                let op = if i == 0 { opcode } else { CONTINUATION };
                steps.push(frame(op, last, bytes[start..end].to_vec(), chop));
                if !last {
                    if let Some(p) = pings.get(i).cloned().flatten() {
                        steps.push(frame(PING, true, p, None));
                    }
                }
                start = end;
            }
            steps
        })
}

/// A frame the RFC forbids, or an unusual but valid one.
fn oddity() -> impl Strategy<Value = Vec<FuzzStep>> {
    prop_oneof![
        // Reserved non-control and control opcodes (§5.2).
        (
            prop::sample::select(vec![3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]),
            binary_payload()
        )
            .prop_map(|(op, p)| vec![frame(op, true, p, None)]),
        // RSV bits with no extension negotiated (§5.2).
        (
            1u8..8,
            prop_oneof![Just(TEXT), Just(BINARY), Just(PING)],
            binary_payload()
        )
            .prop_map(|(rsv, op, mut p)| {
                if op == PING {
                    p.truncate(125);
                }
                vec![FuzzStep::Frame(FrameStep {
                    rsv,
                    ..FrameStep::new(op, true, p)
                })]
            }),
        // A continuation with no message to continue (§5.4).
        (any::<bool>(), binary_payload()).prop_map(|(fin, p)| vec![frame(
            CONTINUATION,
            fin,
            p,
            None
        )]),
        // A fragmented ping (§5.5).
        control_payload().prop_map(|p| vec![frame(PING, false, p, None)]),
        // An unsolicited pong, which must be ignored (§5.5.3).
        control_payload().prop_map(|p| vec![frame(PONG, true, p, None)]),
        // A new data message while one is open (§5.4).
        (text_payload(), binary_payload())
            .prop_map(|(a, b)| vec![frame(TEXT, false, a, None), frame(BINARY, true, b, None)]),
        // A close frame with a 1-byte payload (§5.5.1).
        any::<u8>().prop_map(|b| vec![frame(CLOSE, true, vec![b], None)]),
    ]
}

fn close() -> impl Strategy<Value = FuzzStep> {
    let reason = prop_oneof![
        4 => Just(Vec::new()),
        3 => text_payload().prop_map(|mut r| {
            r.truncate(123);
            r
        }),
    ];
    prop_oneof![
        1 => Just(FuzzStep::Close { code: None, reason: Vec::new() }),
        8 => (prop::sample::select(CLOSE_CODES), reason)
            .prop_map(|(code, reason)| FuzzStep::Close { code: Some(code), reason }),
    ]
}

/// Words that repeat within and across messages, so compressed messages refer back.
const WORDS: &[&str] = &[
    "hello ",
    "deflate ",
    "websocket ",
    "message ",
    "h\u{e9}llo ",
    "\u{1F600}",
    "0123456789",
    "aaaaaaaa",
    " ",
];

fn repetitive_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(WORDS), 1..80)
        .prop_map(|words| words.concat().into_bytes())
}

fn deflate_fault() -> impl Strategy<Value = DeflateFault> {
    prop_oneof![
        1 => Just(DeflateFault::Rsv1OnContinuation),
        1 => Just(DeflateFault::Rsv1OnPing),
        2 => (0u16..=1000, any::<u8>()).prop_map(|(at, xor)| DeflateFault::Corrupt { at, xor }),
    ]
}

/// A message sent compressed when permessage-deflate is negotiated.
fn compressed_message() -> impl Strategy<Value = Vec<FuzzStep>> {
    let payload = prop_oneof![
        4 => (Just(TEXT), repetitive_text()),
        2 => (Just(TEXT), text_payload()),
        2 => (Just(BINARY), binary_payload()),
        1 => (Just(BINARY), repetitive_text()),
    ];
    (
        payload,
        prop::collection::vec(0u16..=1000, 0..4),
        prop::collection::vec(prop::option::weighted(0.2, control_payload()), 4),
        chop(),
        prop::option::weighted(0.1, deflate_fault()),
    )
        .prop_map(|((opcode, message), cuts, pings, chop, fault)| {
            let chop = chop.filter(|_| message.len() <= 1024);
            vec![FuzzStep::Compressed(CompressedMessage {
                opcode,
                message,
                cuts,
                pings,
                chop,
                fault,
            })]
        })
}

/// A permessage-deflate offer (RFC 7692 §7.1), or none.
fn offer() -> impl Strategy<Value = Option<DeflateOffer>> {
    let client_bits = prop_oneof![
        2 => Just(None),
        1 => Just(Some(None)),
        // 8 left out: zlib cannot compress within it (see `deflate::lower`).
        1 => (9u8..=15).prop_map(|b| Some(Some(b))),
    ];
    prop::option::weighted(
        0.7,
        (
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.3),
            prop::option::weighted(0.3, 8u8..=15),
            client_bits,
        )
            .prop_map(
                |(server_nct, client_nct, server_bits, client_bits)| DeflateOffer {
                    server_no_context_takeover: server_nct,
                    client_no_context_takeover: client_nct,
                    server_max_window_bits: server_bits,
                    client_max_window_bits: client_bits,
                },
            ),
    )
}

/// A whole conversation.
pub fn conversation() -> impl Strategy<Value = Conversation> {
    let part = prop_oneof![
        10 => message(),
        6 => compressed_message(),
        2 => control_payload().prop_map(|p| vec![frame(PING, true, p, None)]),
        1 => oddity(),
    ];
    (
        offer(),
        prop::collection::vec(part, 1..6),
        prop::option::weighted(0.9, close()),
    )
        .prop_map(|(offer, parts, close)| {
            let mut steps: Vec<FuzzStep> = parts.into_iter().flatten().collect();
            steps.extend(close);
            Conversation { offer, steps }
        })
}

/// Conversation `index` of the run seeded with `seed`: the same pair always gives the
/// same conversation, whatever else runs.
pub fn generate(seed: u64, index: u64) -> Conversation {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..].copy_from_slice(b"wsconform-fuzz-1");
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    match conversation().new_tree(&mut runner) {
        Ok(tree) => tree.current(),
        // The strategy has no filters, so it cannot reject; an empty conversation
        // still plays (the suite closes it).
        Err(_) => Conversation {
            offer: None,
            steps: Vec::new(),
        },
    }
}

/// Shorter versions of a payload, shortest first (none for an empty one): nothing, each
/// half, all but the first byte, all but the last.
fn shorter(payload: &[u8]) -> Vec<Vec<u8>> {
    if payload.is_empty() {
        return Vec::new();
    }
    let (half, last) = (payload.len() / 2, payload.len() - 1);
    vec![
        Vec::new(),
        payload[..half].to_vec(),
        payload[half..].to_vec(),
        payload[1..].to_vec(),
        payload[..last].to_vec(),
    ]
}

/// Simpler versions of one step, simplest first: what the shrinker tries in its place.
pub fn simpler(step: &FuzzStep) -> Vec<FuzzStep> {
    let mut out = Vec::new();
    match step {
        FuzzStep::Frame(f) => {
            let mut push = |simpler: FrameStep| out.push(FuzzStep::Frame(simpler));
            if f.chop.is_some() {
                push(FrameStep {
                    chop: None,
                    ..f.clone()
                });
            }
            if f.rsv.count_ones() > 1 {
                for bit in [4u8, 2, 1] {
                    if f.rsv & bit != 0 {
                        push(FrameStep {
                            rsv: bit,
                            ..f.clone()
                        });
                    }
                }
            }
            for payload in shorter(&f.payload) {
                push(FrameStep { payload, ..*f });
            }
        }
        FuzzStep::Compressed(c) => {
            // Plain first: a reproducer that needs no compression is the simpler one.
            if c.fault.is_none() {
                out.push(FuzzStep::Frame(FrameStep::new(
                    c.opcode,
                    true,
                    c.message.clone(),
                )));
            }
            let mut push = |simpler: CompressedMessage| out.push(FuzzStep::Compressed(simpler));
            if c.fault.is_some() {
                push(CompressedMessage {
                    fault: None,
                    ..c.clone()
                });
            }
            if c.chop.is_some() {
                push(CompressedMessage {
                    chop: None,
                    ..c.clone()
                });
            }
            if c.pings.iter().any(Option::is_some) {
                push(CompressedMessage {
                    pings: Vec::new(),
                    ..c.clone()
                });
            }
            if !c.cuts.is_empty() {
                push(CompressedMessage {
                    cuts: Vec::new(),
                    ..c.clone()
                });
            }
            for message in shorter(&c.message) {
                push(CompressedMessage {
                    message,
                    ..c.clone()
                });
            }
        }
        FuzzStep::Close { code, reason } => {
            if !reason.is_empty() {
                out.push(FuzzStep::Close {
                    code: *code,
                    reason: Vec::new(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opcode, FIN, RSV and payload of a frame step.
    type FramePredicate = dyn Fn(u8, bool, u8, &[u8]) -> bool;

    #[test]
    fn the_same_seed_gives_the_same_conversation() {
        for i in 0..20 {
            assert_eq!(generate(5, i), generate(5, i));
        }
        let distinct: std::collections::HashSet<_> = (0..20)
            .map(|i| serde_json::to_string(&generate(5, i).steps).unwrap())
            .collect();
        assert!(distinct.len() > 15, "conversations vary with the index");
    }

    #[test]
    fn conversations_cover_the_input_space() {
        let convs: Vec<Conversation> = (0..300).map(|i| generate(1, i)).collect();
        let all: Vec<FuzzStep> = convs.iter().flat_map(|c| c.steps.clone()).collect();
        let has = |f: &dyn Fn(&FuzzStep) -> bool| all.iter().any(f);
        let frame_with = |pred: &FramePredicate| {
            has(&|s| matches!(s, FuzzStep::Frame(f) if pred(f.opcode, f.fin, f.rsv, &f.payload)))
        };
        assert!(frame_with(&|op, fin, _, _| op == CONTINUATION && fin));
        assert!(frame_with(&|op, _, _, _| op == PING));
        assert!(frame_with(&|_, _, rsv, _| rsv != 0));
        assert!(frame_with(&|op, _, _, _| (3..=7).contains(&op) || op >= 0xB));
        assert!(frame_with(
            &|op, _, _, p| op == TEXT && std::str::from_utf8(p).is_err()
        ));
        assert!(has(
            &|s| matches!(s, FuzzStep::Frame(f) if f.chop.is_some())
        ));
        assert!(has(&|s| matches!(
            s,
            FuzzStep::Close {
                code: Some(999),
                ..
            }
        )));
        // RFC 7692: offers with each parameter, and compressed messages, cut and
        // broken in each way.
        let offers: Vec<&DeflateOffer> = convs.iter().filter_map(|c| c.offer.as_ref()).collect();
        assert!(offers.len() > 100 && offers.len() < 300);
        assert!(offers.iter().any(|o| o.server_no_context_takeover));
        assert!(offers.iter().any(|o| o.client_no_context_takeover));
        assert!(offers.iter().any(|o| o.server_max_window_bits.is_some()));
        assert!(offers
            .iter()
            .any(|o| o.client_max_window_bits == Some(None)));
        assert!(offers
            .iter()
            .any(|o| matches!(o.client_max_window_bits, Some(Some(_)))));
        let compressed = |pred: &dyn Fn(&[u16], &Option<DeflateFault>) -> bool| {
            has(&|s| matches!(s, FuzzStep::Compressed(c) if pred(&c.cuts, &c.fault)))
        };
        assert!(compressed(&|cuts, f| cuts.len() >= 2 && f.is_none()));
        assert!(compressed(
            &|_, f| *f == Some(DeflateFault::Rsv1OnContinuation)
        ));
        assert!(compressed(&|_, f| *f == Some(DeflateFault::Rsv1OnPing)));
        assert!(compressed(&|_, f| matches!(
            f,
            Some(DeflateFault::Corrupt { .. })
        )));
    }
}
