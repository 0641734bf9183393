//! Section 2 of the catalogue: pings and pongs.

use crate::build::{case, ev_pong, ping, pong, CaseBuilder, NORMAL, PROTOCOL_ERROR};
use crate::model::{Case, Level};

const SECTION: &str = "Pings/Pongs";

/// Payload of the pong the suite sends without having been pinged (2.8, 2.9).
const UNSOLICITED: &[u8] = b"unsolicited pong payload";

fn start(id: &str) -> CaseBuilder {
    case(id, SECTION, "")
}

/// A single ping that must be answered by a pong carrying the same bytes.
fn single_ping(id: &str, what: &str, payload: Vec<u8>, chop: Option<usize>, close_ms: u64) -> Case {
    let mut desc = format!("One ping frame carrying {what}.");
    if chop == Some(1) {
        desc.push_str(" Every byte of the frame goes out in its own TCP write.");
    }
    let b = start(id)
        .desc(desc)
        .expectation(
            "The peer answers with exactly one pong whose application data equals the ping's; \
             how the bytes were split across TCP writes makes no difference. The suite then \
             closes with 1000 and the handshake completes cleanly.",
        )
        .rfc("5.5.2", Level::Must)
        .rfc("5.5.3", Level::Must);
    let b = match chop {
        Some(c) => b.frame_chopped(ping(payload.clone()), c),
        None => b.frame(ping(payload.clone())),
    };
    b.close_after(close_ms)
        .ok(vec![ev_pong(payload)])
        .closed_by_me(&[NORMAL], true)
        .build()
}

/// A pong that answers no ping, then the suite's close with 1000.
fn unsolicited_pong(id: &str, desc: &str, payload: Vec<u8>) -> Case {
    start(id)
        .desc(desc)
        .expectation(
            "The peer ignores the pong (an unsolicited pong is allowed and needs no answer) \
             and completes the closing handshake cleanly with 1000.",
        )
        .rfc("5.5.3", Level::Must)
        .rfc("5.5.1", Level::Must)
        .frame(pong(payload))
        .close(Some(NORMAL), b"")
        .close_after(1_000)
        .ok(vec![])
        .closed_by_me(&[NORMAL], true)
        .build()
}

/// Ten pings in a row, each of which should get its own pong.
fn ten_pings(id: &str, chop: Option<usize>) -> Case {
    let mut desc = String::from(
        "Ten ping frames back to back, the i-th carrying the text \"payload-i\" (i = 0..9).",
    );
    if chop == Some(1) {
        desc.push_str(" Every byte goes out in its own TCP write.");
    }
    let mut b = start(id)
        .desc(desc)
        .expectation(
            "Ten pongs, in order, each echoing its ping's payload, then a clean close with 1000. \
             RFC 6455 lets a peer that is behind answer only the latest ping, so this checks \
             a stricter behaviour than the RFC demands; Autobahn grades it the same way.",
        )
        .rfc("5.5.2", Level::Must)
        .rfc("5.5.3", Level::May);
    let mut events = Vec::new();
    for i in 0..10 {
        let payload = format!("payload-{i}").into_bytes();
        events.push(ev_pong(&payload));
        b = match chop {
            Some(c) => b.frame_chopped(ping(payload), c),
            None => b.frame(ping(payload)),
        };
    }
    b.close_after(3_000)
        .ok(events)
        .closed_by_me(&[NORMAL], true)
        .build()
}

/// The cases of section 2.
pub fn cases() -> Vec<Case> {
    vec![
        single_ping("2.1", "no payload at all", Vec::new(), None, 1_000),
        single_ping(
            "2.2",
            "a short text payload",
            b"Hello, world!".to_vec(),
            None,
            1_000,
        ),
        single_ping(
            "2.3",
            "8 bytes of binary data that are not UTF-8",
            vec![0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF],
            None,
            1_000,
        ),
        single_ping(
            "2.4",
            "125 bytes (0xFE), the most a control frame may hold",
            vec![0xFE; 125],
            None,
            1_000,
        ),
        start("2.5")
            .desc(
                "One ping frame carrying 126 bytes (0xFE), one more than a control frame may hold.",
            )
            .expectation(
                "The peer fails the connection at once, closing with 1002 (protocol error) or \
                 dropping TCP; it sends no pong.",
            )
            .rfc("5.5", Level::Must)
            .frame(ping(vec![0xFE; 126]))
            .kill_after(1_000)
            .ok(vec![])
            .closed_by_peer(&[PROTOCOL_ERROR], false)
            .build(),
        single_ping("2.6", "125 bytes (0xFE)", vec![0xFE; 125], Some(1), 2_000),
        unsolicited_pong(
            "2.7",
            "A pong frame with no payload that answers no ping, followed by a close frame with \
             1000.",
            Vec::new(),
        ),
        unsolicited_pong(
            "2.8",
            "A pong frame carrying a short text payload that answers no ping, followed by a \
             close frame with 1000.",
            UNSOLICITED.to_vec(),
        ),
        start("2.9")
            .desc(
                "A pong frame with a payload that answers no ping, then a ping frame with the \
                 payload \"ping payload\".",
            )
            .expectation(
                "The peer says nothing about the pong and answers the ping with one pong \
                 carrying \"ping payload\"; the suite then closes cleanly with 1000.",
            )
            .rfc("5.5.3", Level::Must)
            .rfc("5.5.2", Level::Must)
            .frame(pong(UNSOLICITED))
            .frame(ping(b"ping payload".as_slice()))
            .close_after(1_000)
            .ok(vec![ev_pong(b"ping payload")])
            .closed_by_me(&[NORMAL], true)
            .build(),
        ten_pings("2.10", None),
        ten_pings("2.11", Some(1)),
    ]
}
