//! Section 16: closing handshake timing and order (RFC 6455 §5.5.1, §7.1.1–§7.1.7),
//! which Autobahn|Testsuite checks only as far as "the server closed TCP in time".
//!
//! Suite as client (16.1): who closes TCP first, what happens to data sent after
//! a close, a close sent with the write side already shut, and how long a
//! server that failed the connection waits for a close that never comes. Suite
//! as server (16.2, 16.3): whether a client waits for the server to close TCP
//! after the closing handshake, and when it gives up on a server that never does.
//! Each case says how long it waits at most.

use std::time::Duration;

use crate::build::{binary, case, opcode_frame, text, NORMAL, PROTOCOL_ERROR};
use crate::model::{Case, Level, Measure, Step, VerdictRule};
use crate::run::Role;

const SECTION: &str = "Closing Handshake";
const AS_CLIENT: &str = "Closing order (suite as client)";
const AS_SERVER: &str = "Client waits for the server to close TCP (suite as server)";
const NEVER_CLOSED: &str = "Client leaves a server that never closes TCP (suite as server)";

/// How long a client may take to close TCP by itself (16.1.4, 16.3.1): past
/// the 30 s close timeouts some libraries use, so those show as a figure.
const LONG_WAIT: Duration = Duration::from_secs(40);

/// The close codes the suite starts the handshake with in 16.2 (the valid codes
/// of Autobahn's 7.7.x, RFC 6455 §7.4.1 and the registered and private ranges).
const VALID_CODES: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];

/// The cases of section 16.
pub fn cases() -> Vec<Case> {
    let mut cases = as_client();
    cases.extend(as_server());
    cases.push(never_closed());
    cases
}

/// 16.1: the suite as client, the server under test.
fn as_client() -> Vec<Case> {
    [
        case("16.1.1", SECTION, AS_CLIENT)
            .desc(
                "Send a close frame with code 1000 and wait up to 2 s after the closing \
                 handshake for the server to close TCP.",
            )
            .expectation(
                "The server answers with close 1000 and then closes TCP itself, before the \
                 client does. NON-STRICT when the suite has to close TCP.",
            )
            .rfc("7.1.1", Level::Should)
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .ok(vec![])
            .closed_by_me(&[NORMAL], true)
            .rule(VerdictRule::Measured(Measure::ServerDropsFirst {
                within: Duration::from_secs(2),
            }))
            .kill_after(1000),
        case("16.1.2", SECTION, AS_CLIENT)
            .desc(
                "Send a close frame with code 1000, then (each in a write of its own) a text \
                 message and a binary message; wait up to 1 s for the server's close.",
            )
            .expectation(
                "The server answers the close and ignores the messages that follow it: nothing \
                 is echoed (after its close frame an endpoint MUST NOT send data frames), and \
                 the connection closes cleanly with 1000.",
            )
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .frame_sync(text("after close"))
            .frame_sync(binary(vec![0xfe_u8; 16]))
            .ok(vec![])
            .closed_by_me(&[NORMAL], true)
            .kill_after(1000),
        case("16.1.3", SECTION, AS_CLIENT)
            .desc(
                "Send a close frame with code 1000, then shut the TCP write side (half-close): \
                 the server reads end-of-stream right after the close frame. Wait up to 1 s \
                 for its close.",
            )
            .expectation(
                "The server still answers with a close frame (the client's read side is open) \
                 and then closes TCP.",
            )
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .step(Step::ShutdownWrite)
            .ok(vec![])
            .closed_by_me(&[NORMAL], true)
            .rule(VerdictRule::Measured(Measure::CloseAnswered))
            .kill_after(1000),
        case("16.1.4", SECTION, AS_CLIENT)
            .desc(
                "Send a frame with the reserved opcode 3, so the server fails the connection; \
                 never answer its close frame, and wait up to 40 s for the server to close TCP.",
            )
            .expectation(
                "Left open by the RFC: a server that failed the connection closes TCP without \
                 waiting forever for the client's close. Reported is how long it waited.",
            )
            .rfc("7.1.7", Level::May)
            .rfc("5.2", Level::Must)
            .frame(opcode_frame(3, "reserved"))
            .ok(vec![])
            .closed_by_peer(&[PROTOCOL_ERROR], false)
            .rule(VerdictRule::Measured(Measure::DropWithoutAnswer {
                within: LONG_WAIT,
            }))
            .kill_after(3000),
    ]
    .into_iter()
    .map(|c| c.only_role(Role::Client).build())
    .collect()
}

/// 16.2: the suite as server closes with each valid code.
fn as_server() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, code) in VALID_CODES.into_iter().enumerate() {
        let codes: Vec<u16> = if code == NORMAL {
            vec![NORMAL]
        } else {
            vec![code, NORMAL]
        };
        cases.push(
            case(&format!("16.2.{}", i + 1), SECTION, AS_SERVER)
                .desc(format!(
                    "Start the closing handshake with code {code}; after the client's close \
                     frame, keep TCP open for 1 s."
                ))
                .expectation(
                    "The client answers with a close frame (echoed or normal code) and waits for \
                     the server to close TCP. NON-STRICT (FAILED BY CLIENT) when the client \
                     closes TCP first.",
                )
                .rfc("7.1.1", Level::Should)
                .rfc("5.5.1", Level::Must)
                .close(Some(code), b"")
                .ok(vec![])
                .closed_by_me(&codes, true)
                .rule(VerdictRule::Measured(Measure::ClientWaits {
                    hold: Duration::from_secs(1),
                }))
                .kill_after(1000)
                .only_role(Role::Server)
                .build(),
        );
    }
    cases
}

/// 16.3.1: the suite as server never closes TCP.
fn never_closed() -> Case {
    case("16.3.1", SECTION, NEVER_CLOSED)
        .desc(
            "Start the closing handshake with code 1000; after the client's close frame, \
                 never close TCP (for up to 40 s).",
        )
        .expectation(
            "Left open by the RFC: the client may close TCP when the server does not in a \
                 reasonable time. Reported is after how long it did.",
        )
        .rfc("7.1.1", Level::May)
        .close(Some(NORMAL), b"")
        .ok(vec![])
        .closed_by_me(&[NORMAL], true)
        .rule(VerdictRule::Measured(Measure::ClientLeaves {
            within: LONG_WAIT,
        }))
        .kill_after(1000)
        .only_role(Role::Server)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subsection_plays_in_one_role_only() {
        for c in cases() {
            let want = if c.id.starts_with("16.1.") {
                Role::Client
            } else {
                Role::Server
            };
            assert_eq!(c.only_role, Some(want), "{}", c.id);
        }
    }

    #[test]
    fn rfc6455_7_4_1_valid_codes_open_16_2() {
        let codes: Vec<u16> = cases()
            .iter()
            .filter(|c| c.id.starts_with("16.2."))
            .map(|c| match c.steps[0] {
                Step::Close {
                    code: Some(code), ..
                } => code,
                ref other => panic!("{}: {other:?}", c.id),
            })
            .collect();
        assert_eq!(codes, VALID_CODES);
    }

    #[test]
    fn descriptions_state_their_bounds() {
        for c in cases() {
            let waits = match &c.expect.rule {
                VerdictRule::Measured(m) => m.wait(),
                _ => Duration::ZERO,
            };
            if waits > Duration::ZERO {
                let secs = format!("{} s", waits.as_secs());
                assert!(c.description.contains(&secs), "{}: {secs}", c.id);
            }
        }
    }
}
