//! Section 3 of the catalogue: reserved header bits (RSV1..RSV3) without an extension.

use crate::build::{
    binary, case, ev_text, opcode_frame, ping, text, CaseBuilder, Delivery, PROTOCOL_ERROR,
};
use crate::model::{Case, FrameSpec, Level};

const SECTION: &str = "Reserved Bits";

const HELLO: &[u8] = b"Hello, world!";

fn start(id: &str) -> CaseBuilder {
    case(id, SECTION, "")
        .rfc("5.2", Level::Must)
        .kill_after(1_000)
        .closed_by_peer(&[PROTOCOL_ERROR], false)
}

/// A lone frame with RSV bits set: the peer must fail the connection.
fn lone(id: &str, desc: &str, frame: FrameSpec) -> Case {
    start(id)
        .desc(desc)
        .expectation(
            "No extension was negotiated, so the peer must fail the connection as soon as it \
             sees the set RSV bits: close with 1002 or drop TCP, echoing nothing.",
        )
        .frame(frame)
        .ok(vec![])
        .build()
}

/// A valid text message, the same message with RSV bits set, then a ping.
fn after_valid(id: &str, rsv: u8, how: Delivery) -> Case {
    let mut desc = format!(
        "A valid text message \"Hello, world!\", then the same message with RSV = {rsv}, \
         then an empty ping."
    );
    if how != Delivery::Together {
        desc.push_str(how.sentence());
    }
    let mut b = start(id).desc(desc).expectation(
        "The peer echoes the first message, then fails the connection (1002 or TCP drop) on \
         the frame with RSV bits set and never answers the ping. Failing before the echo \
         went out is NON-STRICT.",
    );
    b = b.frame_delivered(text(HELLO), how);
    b = b.frame_delivered(text(HELLO).rsv(rsv), how);
    b = b.frame_delivered(ping(Vec::new()), how);
    b.ok(vec![ev_text(HELLO)]).non_strict(vec![]).build()
}

/// The cases of section 3.
pub fn cases() -> Vec<Case> {
    vec![
        lone(
            "3.1",
            "A short text message \"Hello, world!\" with RSV = 1.",
            text(HELLO).rsv(1),
        ),
        after_valid("3.2", 2, Delivery::Together),
        after_valid("3.3", 3, Delivery::FrameWise),
        after_valid("3.4", 4, Delivery::OctetWise),
        lone(
            "3.5",
            "A short binary message (8 bytes, not UTF-8) with RSV = 5.",
            binary(vec![0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF]).rsv(5),
        ),
        // Autobahn's title for 3.6 says "Ping", but its frame is binary (opcode 2);
        // the bytes are what count, so we send what Autobahn sends.
        lone(
            "3.6",
            "A binary frame carrying \"Hello, world!\" with RSV = 6 (Autobahn's own title \
             calls it a ping, but the frame on the wire has opcode 2).",
            binary(HELLO).rsv(6),
        ),
        lone(
            "3.7",
            "An empty close frame with RSV = 7.",
            opcode_frame(8, Vec::new()).rsv(7),
        ),
    ]
}
