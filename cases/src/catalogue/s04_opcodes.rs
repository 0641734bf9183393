//! Section 4 of the catalogue: reserved opcodes.

use crate::build::{case, ev_text, opcode_frame, ping, text, PROTOCOL_ERROR};
use crate::model::{Case, FrameSpec, Level};

const SECTION: &str = "Opcodes";

const HELLO: &[u8] = b"Hello, world!";

/// What the reserved-opcode frame carries and what surrounds it.
#[derive(Clone, Copy)]
enum Shape {
    /// The reserved frame alone, empty.
    AloneEmpty,
    /// The reserved frame alone, with a short payload.
    AloneWithPayload,
    /// A valid text message, an empty reserved frame, then a ping.
    BetweenEmpty,
    /// A valid text message, a reserved frame carrying the same text, then a ping.
    BetweenWithPayload,
    /// As `BetweenWithPayload`, one byte per TCP write.
    BetweenOctetWise,
}

/// The same five shapes are used with the reserved data opcodes (3..=7, 4.1.x)
/// and the reserved control opcodes (11..=15, 4.2.x).
const SHAPES: [Shape; 5] = [
    Shape::AloneEmpty,
    Shape::AloneWithPayload,
    Shape::BetweenEmpty,
    Shape::BetweenWithPayload,
    Shape::BetweenOctetWise,
];

/// Subsection number, title, kind of opcode (for the prose) and first reserved opcode.
const GROUPS: [(u32, &str, &str, u8); 2] = [
    (1, "Non-control Opcodes", "data", 3),
    (2, "Control Opcodes", "control", 11),
];

/// The cases of section 4.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (sub, title, kind, first_opcode) in GROUPS {
        for (i, shape) in SHAPES.into_iter().enumerate() {
            let opcode = first_opcode + i as u8;
            let id = format!("4.{sub}.{}", i + 1);
            cases.push(reserved_opcode_case(&id, title, kind, opcode, shape));
        }
    }
    cases
}

fn reserved_opcode_case(id: &str, title: &str, kind: &str, opcode: u8, shape: Shape) -> Case {
    let b = case(id, SECTION, title)
        .rfc("5.2", Level::Must)
        .kill_after(1_000)
        .closed_by_peer(&[PROTOCOL_ERROR], false);
    match shape {
        Shape::AloneEmpty | Shape::AloneWithPayload => {
            let (payload, what): (&[u8], &str) = match shape {
                Shape::AloneEmpty => (b"", "no payload"),
                _ => (b"reserved opcode payload", "a short text payload"),
            };
            b.desc(format!(
                "One frame with the reserved {kind} opcode {opcode} and {what}."
            ))
            .expectation(
                "The opcode means nothing without an extension, so the peer must fail the \
                 connection at once: close with 1002 or drop TCP.",
            )
            .frame(opcode_frame(opcode, payload))
            .ok(vec![])
            .build()
        }
        Shape::BetweenEmpty | Shape::BetweenWithPayload | Shape::BetweenOctetWise => {
            let reserved = if matches!(shape, Shape::BetweenEmpty) {
                opcode_frame(opcode, Vec::new())
            } else {
                opcode_frame(opcode, HELLO)
            };
            let what = if matches!(shape, Shape::BetweenEmpty) {
                "no payload"
            } else {
                "a copy of that text"
            };
            let mut desc = format!(
                "A valid text message \"Hello, world!\", then a frame with the reserved {kind} \
                 opcode {opcode} carrying {what}, then an empty ping."
            );
            let octet_wise = matches!(shape, Shape::BetweenOctetWise);
            if octet_wise {
                desc.push_str(" Every byte goes out in its own TCP write.");
            }
            let frames: [FrameSpec; 3] = [text(HELLO), reserved, ping(Vec::new())];
            let mut b = b.desc(desc).expectation(
                "The peer echoes the valid message, then fails the connection (1002 or TCP \
                 drop) on the reserved opcode and never answers the ping. Failing before the \
                 echo went out is NON-STRICT.",
            );
            for f in frames {
                b = if octet_wise {
                    b.frame_chopped(f, 1)
                } else {
                    b.frame(f)
                };
            }
            b.ok(vec![ev_text(HELLO)]).non_strict(vec![]).build()
        }
    }
}
