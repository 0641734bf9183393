//! Section 1 of the catalogue: framing (echo of messages at every payload-length boundary).

use crate::build::{binary, case, ev_binary, ev_text, text, NORMAL};
use crate::model::{Case, Level};

const SECTION: &str = "Framing";

/// One length probe: case number within the subsection, payload length, the size of
/// the writes the frame is split into (if any), and how long the case may run.
///
/// The lengths sit on the edges of the three length encodings of RFC 6455 §5.2:
/// 7-bit (0..=125), 16-bit (126..=65535) and 64-bit (65536 and up).
const LENGTHS: [(u32, usize, Option<usize>, u64); 8] = [
    (1, 0, None, 1_000),
    (2, 125, None, 1_000),
    (3, 126, None, 1_000),
    (4, 127, None, 1_000),
    (5, 128, None, 1_000),
    (6, 65_535, None, 10_000),
    (7, 65_536, None, 10_000),
    (8, 65_536, Some(997), 10_000),
];

/// The cases of section 1.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for binary_message in [false, true] {
        cases.extend(
            LENGTHS
                .iter()
                .map(|&(n, len, chop, kill_ms)| length_case(binary_message, n, len, chop, kill_ms)),
        );
    }
    cases
}

fn length_case(
    binary_message: bool,
    n: u32,
    len: usize,
    chop: Option<usize>,
    kill_ms: u64,
) -> Case {
    // Autobahn fills text probes with '*' and binary probes with 0xFE (not valid UTF-8,
    // so a peer that treats binary as text is caught).
    let (sub, subsection, kind, fill) = if binary_message {
        (2, "Binary Messages", "binary", 0xFEu8)
    } else {
        (1, "Text Messages", "text", b'*')
    };
    let payload = vec![fill; len];
    let frame = if binary_message {
        binary(payload.clone())
    } else {
        text(payload.clone())
    };
    let event = if binary_message {
        ev_binary(&payload)
    } else {
        ev_text(&payload)
    };
    let encoding = match len {
        0..=125 => "7-bit",
        126..=65_535 => "16-bit",
        _ => "64-bit",
    };
    let mut desc = format!(
        "One unfragmented {kind} frame whose payload is {len} bytes long (the {encoding} length encoding)."
    );
    if let Some(c) = chop {
        desc.push_str(&format!(
            " The frame's bytes go out in separate TCP writes of {c} bytes each."
        ));
    }
    let b = case(&format!("1.{sub}.{n}"), SECTION, subsection)
        .desc(desc)
        .expectation(format!(
            "The peer sends back one {kind} message identical to the one it got; \
             the suite then closes with 1000 and the peer completes a clean closing handshake."
        ))
        .rfc("5.2", Level::Must)
        .rfc("6.2", Level::Must);
    let b = match chop {
        Some(c) => b.frame_chopped(frame, c),
        None => b.frame(frame),
    };
    b.kill_after(kill_ms)
        .ok(vec![event])
        .closed_by_me(&[NORMAL], true)
        .build()
}
