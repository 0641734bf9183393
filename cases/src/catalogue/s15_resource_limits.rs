//! Section 15: limits and resource protection (RFC 6455 §5.2, §7.4.1, §10.4),
//! the places where real libraries shipped denial-of-service bugs: 64-bit
//! lengths, frames that announce more than any server holds, messages split
//! into a flood of frames, ping floods, and handshakes that never end.
//!
//! The section is aggressive by design, so it is opt-in: `*` leaves it out,
//! `--cases '15.*'` or `--all` runs it. Every case is bounded in bytes and
//! time, and its description says the bounds. Where the RFC requires nothing
//! (how long a server waits for a handshake, whether it limits fragment
//! counts) the case reports what the peer did, measured.

use std::time::Duration;

use ws_spec::frame::Opcode;

use crate::build::{case, repeat, text, CaseBuilder, NORMAL, PROTOCOL_ERROR};
use crate::model::{Case, Chop, HandshakeCase, HandshakeExpect, Level, Measure, Step, VerdictRule};
use crate::run::Role;

const SECTION: &str = "Limits and Resource Protection";
const LENGTHS: &str = "Frame and message lengths";
const FLOODS: &str = "Floods of frames";
const HANDSHAKES: &str = "Slow and unfinished opening handshakes (suite as client)";

/// Close code 1009: message too big (RFC 6455 §7.4.1).
const TOO_BIG: u16 = 1009;

/// Frames in the fragmented message of 15.2.1, one payload byte each.
const FRAGMENTS: usize = 100_000;
/// Pings in the burst of 15.2.2.
const PINGS: u32 = 10_000;
/// How long 15.3.x wait for the server to give up on a handshake.
const HANDSHAKE_BOUND_MS: u64 = 30_000;

/// The second connection of 15.1.2: one text message that must come back
/// (the observation's `perf` says whether it did, `measure.echo_ms` when).
pub fn probe_case() -> Case {
    let message = "wsconform probe: still serving?";
    case("15.1.2-probe", SECTION, LENGTHS)
        .desc("A second connection, opened while another one stalls: one text message.")
        .expectation("The server echoes it.")
        .rfc("10.4", Level::Should)
        .frame(text(message))
        .closed_by_me(&[NORMAL], false)
        .rule(VerdictRule::Measured(Measure::EchoOrLimit {
            binary: false,
            payload: message.into(),
        }))
        .kill_after(5000)
        .only_role(Role::Client)
        .build()
}

/// The cases of section 15.
pub fn cases() -> Vec<Case> {
    let mut cases = lengths();
    cases.extend(floods());
    cases.extend(handshakes());
    cases.into_iter().map(|c| c.opt_in().build()).collect()
}

/// 15.1: lengths a peer must refuse, or may refuse by a limit of its own.
fn lengths() -> Vec<CaseBuilder> {
    let top_bit_len = (1u64 << 63) | 16;
    vec![
        case("15.1.1", SECTION, LENGTHS)
            .desc(
                "Send a binary frame whose 64-bit length has the most significant bit set \
                 (2^63 + 16), then 16 payload bytes; wait up to 2 s.",
            )
            .expectation(
                "The peer fails the connection (close 1002, or 1009, or dropping TCP) and echoes \
                 nothing: the most significant bit of a 64-bit length MUST be 0.",
            )
            .rfc("5.2", Level::Must)
            .step(Step::FrameHeader {
                opcode: Opcode::Binary,
                fin: true,
                len: top_bit_len,
            })
            .step(Step::FrameData(vec![0x2a; 16]))
            .ok(vec![])
            .closed_by_peer(&[PROTOCOL_ERROR, TOO_BIG], false)
            .kill_after(2000),
        case("15.1.2", SECTION, LENGTHS)
            .desc(
                "Send the header of a binary frame announcing 2^62 bytes and 4 KiB of its \
                 payload, then nothing more. 1 s into the case open a second connection, which \
                 must get a text message echoed within 5 s; the first connection is closed \
                 after 7 s.",
            )
            .expectation(
                "The server does not reserve memory for what a frame announces: it keeps \
                 serving other connections (and may refuse the frame with 1009). NON-STRICT \
                 when the second connection gets no echo.",
            )
            .rfc("10.4", Level::Should)
            .step(Step::FrameHeader {
                opcode: Opcode::Binary,
                fin: true,
                len: 1 << 62,
            })
            .step(Step::FrameData(vec![0x2a; 4096]))
            .ok(vec![])
            .closed_by_peer(&[TOO_BIG], false)
            .rule(VerdictRule::Measured(Measure::StillServes {
                after: Duration::from_secs(1),
                deadline: Duration::from_secs(5),
            }))
            .kill_after(7000)
            .only_role(Role::Client)
            // Alone, so the second connection does not queue behind a flood of ours.
            .performance(),
        case("15.1.3", SECTION, LENGTHS)
            .desc(
                "Send one binary message a byte larger than the limit declared with \
                 --peer-max-message B (B + 1 bytes, streamed with at most 1 MiB queued); wait up \
                 to 30 s for the server's answer. Without --peer-max-message the case is not \
                 played (INFORMATIONAL).",
            )
            .expectation(
                "The server refuses the message with close code 1009 (message too big). \
                 NON-STRICT when it echoes the message or closes otherwise.",
            )
            .rfc("10.4", Level::Should)
            .rfc("7.4.1", Level::Should)
            .step(Step::AbovePeerLimit {
                opcode: Opcode::Binary,
            })
            .ok(vec![])
            .closed_by_peer(&[TOO_BIG], false)
            .rule(VerdictRule::Measured(Measure::PeerLimit))
            .kill_after(30_000)
            .only_role(Role::Client),
    ]
}

/// 15.2: floods of messages and pings.
fn floods() -> Vec<CaseBuilder> {
    vec![
        case("15.2.1", SECTION, FLOODS)
            .desc(format!(
                "Send a text message of {FRAGMENTS} bytes as {FRAGMENTS} frames of one byte each \
                 and an empty final frame (about 700 KB on the wire); wait up to 30 s."
            ))
            .expectation(
                "Left open by the RFC: the peer echoes the message (reported with the time it \
                 took) or refuses it with a limit of its own (reported with the close code). \
                 FAILED only when the echo differs from what was sent.",
            )
            .rfc("10.4", Level::May)
            .step(Step::Message {
                opcode: Opcode::Text,
                payload: repeat(b"*", FRAGMENTS),
                fragment: Some(1),
            })
            .closed_by_me(&[NORMAL], true)
            .rule(VerdictRule::Measured(Measure::EchoOrLimit {
                binary: false,
                payload: repeat(b"*", FRAGMENTS),
            }))
            .close_after(30_000)
            .performance(),
        case("15.2.2", SECTION, FLOODS)
            .desc(format!(
                "Send {PINGS} pings in one write, each with its number as payload (4 bytes; \
                 about 100 KB in all); wait up to 10 s for the pongs."
            ))
            .expectation(
                "Every ping is answered with a pong carrying its payload, in order; a peer may \
                 skip to the latest ping (§5.5.3) or close the connection with a limit of its \
                 own (both reported). FAILED when a pong carries the wrong payload or the last \
                 ping goes unanswered on an open connection.",
            )
            .rfc("5.5.2", Level::Must)
            .rfc("5.5.3", Level::Must)
            .step(Step::Pings { count: PINGS })
            .closed_by_me(&[NORMAL], true)
            .rule(VerdictRule::Measured(Measure::Pongs { count: PINGS }))
            .close_after(10_000)
            .performance(),
    ]
}

/// 15.3: opening handshakes that hold resources.
fn handshakes() -> Vec<CaseBuilder> {
    vec![
        case("15.3.1", SECTION, HANDSHAKES)
            .desc(
                "Send the opening request one byte per second (a slow client), giving up after \
                 30 s, about 30 of its bytes.",
            )
            .expectation(
                "Left open by the RFC: a server should not let a slow handshake hold a \
                 connection forever. Reported is whether it closed the connection within 30 s \
                 and after how long.",
            )
            .rfc("10.4", Level::May)
            .handshake(HandshakeCase {
                chop: Chop::Paced {
                    size: 1,
                    interval: Duration::from_secs(1),
                },
                ..HandshakeCase::new(Vec::new(), HandshakeExpect::Report)
            })
            .kill_after(HANDSHAKE_BOUND_MS),
        case("15.3.2", SECTION, HANDSHAKES)
            .desc(
                "Send the first 60 bytes of an opening request and nothing more; wait up to \
                 30 s.",
            )
            .expectation(
                "Left open by the RFC: a server should not hold an unfinished handshake \
                 forever. Reported is whether it closed the connection within 30 s and after \
                 how long.",
            )
            .rfc("10.4", Level::May)
            .handshake(HandshakeCase {
                truncate_at: Some(60),
                ..HandshakeCase::new(Vec::new(), HandshakeExpect::Report)
            })
            .kill_after(HANDSHAKE_BOUND_MS),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_opt_in() {
        assert!(cases().iter().all(|c| c.opt_in));
    }

    /// RFC 6455 §5.2: the length 15.1.1 announces has its most significant bit set.
    #[test]
    fn rfc6455_5_2_case_15_1_1_sets_the_top_bit() {
        let c = &cases()[0];
        assert!(matches!(
            c.steps[0],
            Step::FrameHeader { len, .. } if len >> 63 == 1
        ));
    }

    #[test]
    fn fragment_flood_is_one_byte_frames() {
        let c = cases().into_iter().find(|c| c.id == "15.2.1").unwrap();
        assert_eq!(
            c.steps,
            vec![Step::Message {
                opcode: Opcode::Text,
                payload: repeat(b"*", FRAGMENTS),
                fragment: Some(1),
            }]
        );
    }

    #[test]
    fn descriptions_state_their_time_bounds() {
        for c in cases() {
            let bound = match c.ending {
                crate::model::Ending::KillAfter(d) | crate::model::Ending::CloseAfter(d) => d,
            };
            let secs = format!("{} s", bound.as_secs());
            // 15.1.2 is bounded by its probe and its own kill timer (7 s).
            assert!(c.description.contains(&secs), "{}: {secs}", c.id);
        }
    }
}
