//! Section 19: what a reverse proxy does to a WebSocket it relays, judged on both
//! sides (`wsconform proxy`). Not part of `run` or `serve`: these cases need the
//! suite at both ends of the proxy.

use std::time::Duration;

use ws_spec::frame::Opcode;
use ws_spec::rfc::{Level, RfcRef};

use crate::model::Payload;
use crate::proxy::{
    Answer, HopProbe, Intact, Offer, ProxyCase, ProxyCheck, ProxyFrame, ProxyStep, Side,
};

const HANDSHAKE: &str = "Opening handshake through the proxy";
const CLIENT_TO_BACKEND: &str = "Frames from the client to the backend";
const BACKEND_TO_CLIENT: &str = "Frames from the backend to the client";
const MASKING: &str = "Masking and fragmentation across the proxy";
const CLOSE_FROM_CLIENT: &str = "Close started by the client";
const CLOSE_FROM_BACKEND: &str = "Close started by the backend";
const DROPS: &str = "TCP dropped by one side";
const BOUNDED: &str = "Idle timeout, backpressure and concurrency (opt-in, bounded)";

const SUBPROTOCOLS: &[&str] = &["chat.wsconform", "superchat"];
const ORIGIN: &str = "https://app.wsconform.example";

/// How long the other side may take to see a dropped connection end.
const DROP_WITHIN: Duration = Duration::from_secs(5);

/// 16 MiB, as section 9's largest messages.
const LARGE: usize = 16 << 20;

fn rfc(rfc: u16, section: &'static str, level: Level) -> RfcRef {
    RfcRef {
        rfc,
        section,
        level,
    }
}

fn case(
    id: String,
    subsection: &'static str,
    description: String,
    expectation: &str,
    rfcs: Vec<RfcRef>,
    check: ProxyCheck,
) -> ProxyCase {
    ProxyCase {
        id,
        subsection,
        description,
        expectation_text: expectation.to_string(),
        rfc: rfcs,
        offer: Offer::default(),
        answer: Answer::default(),
        steps: Vec::new(),
        check,
        opt_in: false,
        large: false,
    }
}

/// Every proxy case, in id order.
pub fn cases() -> Vec<ProxyCase> {
    let mut cases = handshake();
    cases.extend(frames(Side::Client, "19.2", CLIENT_TO_BACKEND));
    cases.extend(frames(Side::Backend, "19.3", BACKEND_TO_CLIENT));
    cases.extend(masking_and_fragments());
    cases.extend(closes(Side::Client, "19.5", CLOSE_FROM_CLIENT));
    cases.extend(closes(Side::Backend, "19.6", CLOSE_FROM_BACKEND));
    cases.extend(drops());
    cases.extend(bounded());
    cases
}

fn handshake() -> Vec<ProxyCase> {
    let must_4_1 = || vec![RfcRef::rfc6455_must("4.1"), rfc(7230, "6.1", Level::Must)];
    let hop = || vec![rfc(7230, "6.1", Level::Must)];
    let should = |s| vec![rfc(6455, s, Level::Should)];
    let id = |n: u32| format!("19.1.{n}");
    let mut out = vec![
        case(id(1), HANDSHAKE, "The client sends a standard opening request through the proxy.".into(),
            "The request reaches the backend with Upgrade: websocket (the proxy sets it for the hop to the backend).",
            must_4_1(), ProxyCheck::UpgradeReachesBackend),
        case(id(2), HANDSHAKE, "The client sends a standard opening request through the proxy.".into(),
            "The request reaches the backend with Connection naming upgrade.",
            must_4_1(), ProxyCheck::ConnectionReachesBackend),
        case(id(3), HANDSHAKE, "The backend answers the opening request with a valid 101.".into(),
            "The client receives a 101 valid for its own request: Upgrade, Connection, and the Sec-WebSocket-Accept of its key.",
            vec![RfcRef::rfc6455_must("4.1")], ProxyCheck::ResponseValid),
    ];
    let hop_cases = [
        (
            HopProbe::Standard,
            true,
            "Keep-Alive: timeout=30 (named in Connection) in the client's request",
        ),
        (
            HopProbe::Named,
            true,
            "X-Wsconform-Hop: 1, named in the request's Connection",
        ),
        (
            HopProbe::Standard,
            false,
            "Keep-Alive: timeout=30 (named in Connection) in the backend's 101",
        ),
        (
            HopProbe::Named,
            false,
            "X-Wsconform-Hop: 1, named in the 101's Connection",
        ),
    ];
    for (i, (probe, request, what)) in hop_cases.into_iter().enumerate() {
        let (check, expect) = if request {
            (
                ProxyCheck::RequestHopByHopRemoved,
                "The backend does not receive the client's hop-by-hop field.",
            )
        } else {
            (
                ProxyCheck::ResponseHopByHopRemoved,
                "The client does not receive the backend's hop-by-hop field.",
            )
        };
        let mut c = case(
            id(4 + i as u32),
            HANDSHAKE,
            format!("Hop-by-hop field {what}."),
            expect,
            hop(),
            check,
        );
        if request {
            c.offer.hop_by_hop = Some(probe);
        } else {
            c.answer.hop_by_hop = Some(probe);
        }
        out.push(c);
    }
    let intact = [
        (Intact::Key, "4.1"),
        (Intact::Version, "4.1"),
        (Intact::Protocol, "4.1"),
        (Intact::Extensions, "9.1"),
        (Intact::Origin, "10.2"),
    ];
    for (i, (field, section)) in intact.into_iter().enumerate() {
        let mut c = case(
            id(8 + i as u32),
            HANDSHAKE,
            format!("The client's request carries {}.", field.header()),
            "It reaches the backend as the client sent it (an end-to-end field).",
            should(section),
            ProxyCheck::Intact(field),
        );
        match field {
            Intact::Protocol => c.offer.subprotocols = SUBPROTOCOLS.to_vec(),
            Intact::Extensions => c.offer.deflate = true,
            Intact::Origin => c.offer.origin = Some(ORIGIN),
            _ => {}
        }
        out.push(c);
    }
    let mut sub = case(
        id(13),
        HANDSHAKE,
        format!(
            "The client offers subprotocols {}; the backend chooses the first.",
            SUBPROTOCOLS.join(", ")
        ),
        "The client learns the subprotocol the backend chose: both sides believe the same.",
        vec![RfcRef::rfc6455_must("4.2.2"), RfcRef::rfc6455_must("4.1")],
        ProxyCheck::SubprotocolAgreed,
    );
    sub.offer.subprotocols = SUBPROTOCOLS.to_vec();
    sub.answer.subprotocol = true;
    let mut pmd = case(id(14), HANDSHAKE,
        "The client offers permessage-deflate; the backend accepts it.".into(),
        "The client receives the backend's Sec-WebSocket-Extensions unchanged: both sides compress, or neither.",
        vec![RfcRef::rfc7692_must("5"), RfcRef::rfc6455_must("9.1")], ProxyCheck::DeflateAgreed);
    pmd.offer.deflate = true;
    pmd.answer.deflate = true;
    out.extend([sub, pmd]);
    out
}

/// The messages and control frames of sections 19.2 and 19.3: (description, frames, large).
fn frame_table() -> Vec<(&'static str, Vec<ProxyFrame>, bool)> {
    let text = "Hello through the proxy: κόσμε ✓ 🦀";
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    vec![
        (
            "a text message with multi-byte UTF-8",
            vec![ProxyFrame::new(Opcode::Text, text)],
            false,
        ),
        (
            "a binary message of every byte value",
            vec![ProxyFrame::new(Opcode::Binary, all_bytes.clone())],
            false,
        ),
        (
            "an empty text message",
            vec![ProxyFrame::new(Opcode::Text, "")],
            false,
        ),
        (
            "an empty binary message",
            vec![ProxyFrame::new(Opcode::Binary, Vec::new())],
            false,
        ),
        (
            "a binary message of 64 KiB",
            vec![ProxyFrame::new(
                Opcode::Binary,
                Payload::Repeat {
                    pattern: all_bytes.clone(),
                    len: 64 << 10,
                },
            )],
            false,
        ),
        (
            "a ping with a 125-byte payload",
            vec![ProxyFrame::new(
                Opcode::Ping,
                Payload::Repeat {
                    pattern: b"ping".to_vec(),
                    len: 125,
                },
            )],
            false,
        ),
        (
            "an unsolicited pong with a payload",
            vec![ProxyFrame::new(Opcode::Pong, "unsolicited")],
            false,
        ),
        (
            "a text message in three fragments",
            vec![
                ProxyFrame::new(Opcode::Text, "frag").fin(false),
                ProxyFrame::new(Opcode::Continuation, "men").fin(false),
                ProxyFrame::new(Opcode::Continuation, "ted"),
            ],
            false,
        ),
        (
            "a fragmented binary message with a ping between its fragments",
            vec![
                ProxyFrame::new(Opcode::Binary, vec![1, 2, 3]).fin(false),
                ProxyFrame::new(Opcode::Ping, "between"),
                ProxyFrame::new(Opcode::Continuation, vec![4, 5, 6]),
            ],
            false,
        ),
        (
            "a binary message of 16 MiB",
            vec![ProxyFrame::new(
                Opcode::Binary,
                Payload::Repeat {
                    pattern: b"*wsconform*".to_vec(),
                    len: LARGE,
                },
            )],
            true,
        ),
    ]
}

fn frames(from: Side, prefix: &str, subsection: &'static str) -> Vec<ProxyCase> {
    frame_table()
        .into_iter()
        .enumerate()
        .map(|(i, (what, frames, large))| {
            let mut c = case(
                format!("{prefix}.{}", i + 1),
                subsection,
                format!("The {} sends {what}.", from.name()),
                &format!("The {} receives the same messages and control frames, same types and bytes; fragmentation may change (no extension is negotiated).", from.other().name()),
                vec![RfcRef::rfc6455_must("5.4")],
                ProxyCheck::Messages { from },
            );
            c.steps = vec![ProxyStep::Send { from, frames }];
            c.large = large;
            c
        })
        .collect()
}

fn masking_and_fragments() -> Vec<ProxyCase> {
    let mixed = || {
        vec![
            ProxyFrame::new(Opcode::Text, "masked?"),
            ProxyFrame::new(Opcode::Binary, vec![0u8; 300]),
            ProxyFrame::new(Opcode::Ping, "p"),
        ]
    };
    let mut out = Vec::new();
    for (n, at) in [(1, Side::Backend), (2, Side::Client)] {
        let from = at.other();
        let how = if at == Side::Backend {
            "masked (the proxy is the client of the backend)"
        } else {
            "unmasked"
        };
        let mut c = case(
            format!("19.4.{n}"),
            MASKING,
            format!(
                "The {} sends a text, a binary and a ping frame.",
                from.name()
            ),
            &format!("Every frame reaches the {} {how}.", at.name()),
            vec![RfcRef::rfc6455_must("5.1")],
            ProxyCheck::Masking { at },
        );
        c.steps = vec![ProxyStep::Send {
            from,
            frames: mixed(),
        }];
        out.push(c);
    }
    for (n, from) in [(3, Side::Client), (4, Side::Backend)] {
        let mut c = case(format!("19.4.{n}"), MASKING,
            format!("With permessage-deflate negotiated, the {} sends a compressed text message in 3 frames (RSV1 on the first).", from.name()),
            &format!("The {} receives the same 3 frames: an intermediary that does not know the extension keeps the fragmentation.", from.other().name()),
            vec![RfcRef::rfc6455_must("5.4"), RfcRef::rfc7692_must("6")], ProxyCheck::FragmentsKept { from });
        c.offer.deflate = true;
        c.answer.deflate = true;
        c.steps = vec![ProxyStep::SendCompressed {
            from,
            payload: Payload::Repeat {
                pattern: b"compress me through the proxy ".to_vec(),
                len: 3000,
            },
            fragments: 3,
        }];
        out.push(c);
    }
    out
}

/// Codes sent in the close cases: RFC 6455 §7.4.1's, the registry's, a registered and
/// a private one.
const CLOSE_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999,
];

fn closes(from: Side, prefix: &str, subsection: &'static str) -> Vec<ProxyCase> {
    let long_reason: &'static str = "this reason is one hundred and twenty-three bytes long: the most a close frame can carry beside its two-byte status code...";
    let mut table: Vec<(Option<u16>, &'static str)> = CLOSE_CODES
        .iter()
        .map(|c| (Some(*c), "closing through the proxy"))
        .collect();
    table.push((None, ""));
    table.push((Some(1000), long_reason));
    table
        .into_iter()
        .enumerate()
        .map(|(i, (code, reason))| {
            let what = match code {
                Some(c) if reason.len() > 100 => format!("close {c} with a {}-byte reason", reason.len()),
                Some(c) => format!("close {c} with a reason"),
                None => "a close frame without a code".into(),
            };
            let mut c = case(
                format!("{prefix}.{}", i + 1),
                subsection,
                format!("The {} sends {what}; the {} answers with the same code.", from.name(), from.other().name()),
                &format!("The {} receives the close with its code and reason unchanged, and the answer reaches the {}.", from.other().name(), from.name()),
                vec![RfcRef::rfc6455_must("5.5.1"), RfcRef::rfc6455_must("7.4")],
                ProxyCheck::CloseReaches { from },
            );
            c.steps = vec![ProxyStep::Close { from, code, reason }];
            c
        })
        .collect()
}

fn drops() -> Vec<ProxyCase> {
    [(1, Side::Backend), (2, Side::Client)]
        .into_iter()
        .map(|(n, from)| {
            let mut c = case(
                format!("19.7.{n}"),
                DROPS,
                format!("The {} closes TCP without a close frame.", from.name()),
                &format!(
                    "The {}'s connection ends too, within {} s (a close frame first is fine).",
                    from.other().name(),
                    DROP_WITHIN.as_secs()
                ),
                vec![rfc(6455, "7.1.1", Level::Should)],
                ProxyCheck::DropReaches {
                    from,
                    within: DROP_WITHIN,
                },
            );
            c.steps = vec![ProxyStep::Drop { from }];
            c
        })
        .collect()
}

fn bounded() -> Vec<ProxyCase> {
    // Every bounded case is opt-in and plays one step.
    let bounded_case = |n: u32, description: String, expectation, section, check, step| {
        let mut c = case(
            format!("19.8.{n}"),
            BOUNDED,
            description,
            expectation,
            vec![rfc(6455, section, Level::Should)],
            check,
        );
        c.steps = vec![step];
        c.opt_in = true;
        c
    };
    let mut out = Vec::new();
    for (n, keepalive) in [(1, None), (2, Some(Side::Client)), (3, Some(Side::Backend))] {
        let how = match keepalive {
            None => "with no traffic at all".to_string(),
            Some(s) => format!("while the {} pings every quarter of it", s.name()),
        };
        out.push(bounded_case(
            n,
            format!("Both sides stay quiet for the idle bound (--idle-bound) {how}; then the client sends a message."),
            "The connection survives and carries the message (the proxy's idle limit, if it drops it, is reported).",
            "5.5.2",
            ProxyCheck::IdleSurvives,
            ProxyStep::Idle { keepalive },
        ));
    }
    out.push(bounded_case(
        4,
        "The backend writes 64 KiB binary messages while the client reads nothing, up to the flood bound (--flood-bound); then the client reads.".into(),
        "The backend's writes stall well before the bound (the proxy stops reading when it cannot deliver), and everything written arrives.",
        "10.4",
        ProxyCheck::Backpressure,
        ProxyStep::Flood,
    ));
    out.push(bounded_case(
        5,
        "The client opens WebSockets through the proxy one after the other, keeping each open, up to the connection bound (--connections); then sends a message on each.".into(),
        "The proxy holds them all at once and each carries its message (how many it held is reported).",
        "10.4",
        ProxyCheck::Concurrency,
        ProxyStep::Concurrent,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_case_cites_a_clause_with_a_requirement() {
        let all = cases();
        for (i, c) in all.iter().enumerate() {
            assert!(!all[i + 1..].iter().any(|o| o.id == c.id), "{} twice", c.id);
            assert!(!c.rfc.is_empty(), "{}", c.id);
            for r in &c.rfc {
                assert!(
                    r.requirement().is_some(),
                    "{}: {r} has no requirement sentence",
                    c.id
                );
            }
        }
        assert!(all
            .iter()
            .filter(|c| c.opt_in)
            .all(|c| c.id.starts_with("19.8.")));
        assert_eq!(all.iter().filter(|c| c.large).count(), 2);
        let longest = all.iter().flat_map(|c| &c.steps).filter_map(|s| match s {
            ProxyStep::Close { reason, .. } => Some(reason.len()),
            _ => None,
        });
        assert_eq!(
            longest.max(),
            Some(123),
            "the longest reason fills a close frame"
        );
    }
}
