//! Section 9 of the catalogue: limits and performance (large messages, many round trips).

use ws_spec::frame::Opcode;

use crate::build::{binary, case, repeat, text, CaseBuilder, NORMAL};
use crate::model::{Case, FrameSpec, Level, Payload, Step, VerdictRule};

const SECTION: &str = "Limits/Performance";

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// Fill pattern of the text messages of 9.1 and 9.5.
const TEXT_PATTERN: &[u8] = b"BAsd7&jh23";
/// Fill pattern of the binary messages of 9.2 and 9.6.
const BINARY_PATTERN: &[u8] = &[0x00, 0xFE, 0x23, 0xFA, 0xF0];

/// 9.1: text message size and how long the echo may take (seconds).
const TEXT_SIZES: [(usize, u64); 6] = [
    (64 * KIB, 10),
    (256 * KIB, 10),
    (MIB, 100),
    (4 * MIB, 100),
    (8 * MIB, 100),
    (16 * MIB, 100),
];

/// 9.2: as 9.1, binary. The time limits differ from 9.1's, as in Autobahn.
const BINARY_SIZES: [(usize, u64); 6] = [
    (64 * KIB, 10),
    (256 * KIB, 10),
    (MIB, 10),
    (4 * MIB, 10),
    (8 * MIB, 100),
    (16 * MIB, 100),
];

/// 9.3, 9.4: a 4 MiB message split into frames of these sizes; 100 s each.
const FRAGMENTED_LEN: usize = 4 * MIB;
const FRAGMENT_SIZES: [usize; 9] = [
    64,
    256,
    KIB,
    4 * KIB,
    16 * KIB,
    64 * KIB,
    256 * KIB,
    MIB,
    4 * MIB,
];
const FRAGMENTED_WAIT_S: u64 = 100;

/// 9.5, 9.6: a 1 MiB message in one frame, written in TCP chops of these sizes; 1000 s each.
const CHOPPED_LEN: usize = MIB;
const CHOP_SIZES: [usize; 6] = [64, 128, 256, 512, 1024, 2048];
const CHOPPED_WAIT_S: u64 = 1000;

/// 9.7, 9.8: message size of the 1000 round trips and the time allowed for all of them.
const ROUND_TRIPS: usize = 1000;
const ROUND_TRIP_SIZES: [(usize, u64); 6] = [
    (0, 60),
    (16, 60),
    (64, 60),
    (256, 120),
    (1024, 240),
    (4096, 480),
];

fn size(n: usize) -> String {
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

fn kind(is_binary: bool) -> &'static str {
    if is_binary {
        "binary"
    } else {
        "text"
    }
}

/// Common frame of every section-9 case: runs alone, the suite closes with 1000 once the
/// echo is in (or when the time is up), and the close must be clean.
fn start(id: String, subsection: &str, wait_s: u64) -> CaseBuilder {
    case(&id, SECTION, subsection)
        .performance()
        .rfc("10.4", Level::May)
        .close_after(wait_s * 1000)
        .closed_by_me(&[NORMAL], true)
}

/// One case per row of `rows`, numbered `9.{sub}.1` on in row order.
fn numbered<T: Copy>(sub: u32, rows: &[T], case: impl Fn(String, T) -> Case) -> Vec<Case> {
    (1..)
        .zip(rows)
        .map(|(n, &row)| case(format!("9.{sub}.{n}"), row))
        .collect()
}

/// A case whose message, `payload`, must come back within `wait_s` as one message of
/// the same kind and bytes (9.1–9.6).
fn echo_case(
    id: String,
    subsection: &str,
    wait_s: u64,
    is_binary: bool,
    payload: Payload,
) -> CaseBuilder {
    start(id, subsection, wait_s)
        .expectation(format!(
            "Within {wait_s} s the peer echoes one {} message of {} identical to the one sent, \
             then completes a clean close with 1000. The time taken is reported. (Autobahn \
             compares only type and length; the bytes are compared here too.)",
            kind(is_binary),
            size(payload.len())
        ))
        .rule(VerdictRule::Echo {
            binary: is_binary,
            payload,
        })
}

/// A message of `len` bytes of the kind's short pattern repeated, and the frame that
/// carries it whole.
fn patterned(is_binary: bool, len: usize) -> (FrameSpec, Payload) {
    let pattern = if is_binary {
        BINARY_PATTERN
    } else {
        TEXT_PATTERN
    };
    let payload = repeat(pattern, len);
    let frame = if is_binary {
        binary(payload.clone())
    } else {
        text(payload.clone())
    };
    (frame, payload)
}

/// 9.1, 9.2: one unfragmented message of growing size.
fn single_frame(sub: u32, subsection: &str, is_binary: bool, sizes: &[(usize, u64)]) -> Vec<Case> {
    numbered(sub, sizes, |id, (len, wait_s)| {
        let (frame, payload) = patterned(is_binary, len);
        echo_case(id, subsection, wait_s, is_binary, payload)
            .desc(format!(
                "One unfragmented {} message of {} (a short pattern repeated).",
                kind(is_binary),
                size(len)
            ))
            .frame(frame)
            .build()
    })
}

/// 9.3, 9.4: a 4 MiB message split into frames of growing size.
///
/// Autobahn's fragmenter (autobahn 0.10.9 `sendMessageHybi`) leaves FIN clear on a
/// fragment that ends exactly at the end of the payload and then sends an empty final
/// continuation frame; since 4 MiB is a multiple of every size below 4 MiB, 9.3.1–9.3.8
/// and 9.4.1–9.4.8 end that way on the wire. 9.3.9/9.4.9 (fragment = whole message) go
/// out as one frame. Reproducing that is up to whoever plays `Step::Message`.
fn fragmented(sub: u32, subsection: &str, is_binary: bool) -> Vec<Case> {
    numbered(sub, &FRAGMENT_SIZES, |id, fragment| {
        // Autobahn fills 9.4.1 with 0xFE but 9.4.2–9.4.9 (binary too) with '*';
        // the bytes on the wire are kept identical.
        let fill: &[u8] = if is_binary && fragment == FRAGMENT_SIZES[0] {
            &[0xFE]
        } else {
            b"*"
        };
        let payload = repeat(fill, FRAGMENTED_LEN);
        let opcode = if is_binary {
            Opcode::Binary
        } else {
            Opcode::Text
        };
        echo_case(
            id,
            subsection,
            FRAGMENTED_WAIT_S,
            is_binary,
            payload.clone(),
        )
        .rfc("5.4", Level::Must)
        .desc(format!(
            "One {} message of {} sent as a sequence of frames carrying {} each.",
            kind(is_binary),
            size(FRAGMENTED_LEN),
            size(fragment)
        ))
        .step(Step::Message {
            opcode,
            payload,
            fragment: Some(fragment),
        })
        .build()
    })
}

/// 9.5, 9.6: a 1 MiB frame written in TCP chops of growing size.
fn chopped(sub: u32, subsection: &str, is_binary: bool) -> Vec<Case> {
    numbered(sub, &CHOP_SIZES, |id, chop| {
        let (frame, payload) = patterned(is_binary, CHOPPED_LEN);
        echo_case(id, subsection, CHOPPED_WAIT_S, is_binary, payload)
            .desc(format!(
                "One unfragmented {} message of {}, its bytes written to TCP in chops of {} \
                 bytes.",
                kind(is_binary),
                size(CHOPPED_LEN),
                chop
            ))
            .frame_chopped(frame, chop)
            .build()
    })
}

/// 9.7, 9.8: 1000 sequential echoes of a small message.
fn round_trips(sub: u32, subsection: &str, is_binary: bool) -> Vec<Case> {
    let (fill, opcode): (&[u8], Opcode) = if is_binary {
        (&[0xFE], Opcode::Binary)
    } else {
        (b"*", Opcode::Text)
    };
    numbered(sub, &ROUND_TRIP_SIZES, |id, (len, wait_s)| {
        start(id, subsection, wait_s)
            .desc(format!(
                "{ROUND_TRIPS} {} messages of {}, one at a time: each is sent only after the \
                     echo of the previous one came back. Measures round-trip latency.",
                kind(is_binary),
                size(len)
            ))
            .expectation(format!(
                "All {ROUND_TRIPS} messages come back as {} messages of the same length \
                     within {wait_s} s; then a clean close with 1000. The time taken is reported.",
                kind(is_binary)
            ))
            .step(Step::RoundTrips {
                opcode,
                payload: repeat(fill, len),
                count: ROUND_TRIPS,
            })
            .rule(VerdictRule::RoundTrips)
            .build()
    })
}

/// The cases of section 9.
pub fn cases() -> Vec<Case> {
    let mut cases = single_frame(1, "Text Message (increasing size)", false, &TEXT_SIZES);
    cases.extend(single_frame(
        2,
        "Binary Message (increasing size)",
        true,
        &BINARY_SIZES,
    ));
    cases.extend(fragmented(
        3,
        "Fragmented Text Message (fixed size, increasing fragment size)",
        false,
    ));
    cases.extend(fragmented(
        4,
        "Fragmented Binary Message (fixed size, increasing fragment size)",
        true,
    ));
    cases.extend(chopped(
        5,
        "Text Message (fixed size, increasing chop size)",
        false,
    ));
    // Autobahn's title for 9.6 really reads "Binary Text Message"; kept for report compatibility.
    cases.extend(chopped(
        6,
        "Binary Text Message (fixed size, increasing chop size)",
        true,
    ));
    cases.extend(round_trips(
        7,
        "Text Message Roundtrip Time (fixed number, increasing size)",
        false,
    ));
    cases.extend(round_trips(
        8,
        "Binary Message Roundtrip Time (fixed number, increasing size)",
        true,
    ));
    cases
}
