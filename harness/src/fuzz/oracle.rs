//! What a conforming echo server does with a conversation: the case played in
//! memory, in virtual time, against the `ws-spec` reference endpoint, with the
//! permessage-deflate the real server negotiated.

use std::time::Duration;

use ws_cases::run::{play_in_memory, CaseRun, MemoryPeer, RunConfig};
use ws_spec::close::codes;
use ws_spec::connection::{ServerConnection, ServerConnectionConfig, ServerDeflate};
use ws_spec::endpoint::{Endpoint, FailReason};

use super::deflate::{lower, Negotiation};
use super::{case_for, expected_event, Expected, ExpectedEvent, FuzzStep};

/// The reference echo server behind the reference opening handshake.
struct Reference {
    conn: ServerConnection,
    /// The server closed TCP, or the suite did.
    closed: bool,
}

impl Reference {
    /// The reference server, answering permessage-deflate as the real server did.
    fn new(deflate: Option<&Negotiation>, fail_fast_utf8: bool) -> Self {
        let mut config = ServerConnectionConfig::echo();
        config.endpoint.fail_fast_utf8 = fail_fast_utf8;
        // The real server's answer: its choice among valid parameters is its own.
        config.deflate = match deflate {
            Some(n) => ServerDeflate::Answer {
                response: n.response.clone(),
                params: n.params.clone(),
            },
            None => ServerDeflate::Off,
        };
        Reference {
            conn: ServerConnection::new(config),
            closed: false,
        }
    }
}

impl MemoryPeer for Reference {
    fn receive(&mut self, bytes: &[u8], now: Duration) -> Vec<u8> {
        self.conn.receive(bytes, now);
        while self.conn.poll_event().is_some() {}
        self.closed |= self.conn.wants_tcp_close();
        self.conn.take_output()
    }

    fn eof(&mut self) {
        self.conn.receive_eof();
        self.closed = true;
    }

    fn closed(&self) -> bool {
        self.closed
    }
}

/// What the reference says of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Oracle {
    /// The frames worth sending: the conversation [lowered](lower), cut after the
    /// frame that makes a conforming server fail the connection.
    pub sent: Vec<super::FuzzStep>,
    /// What a conforming server may do, the main outcome first: one that checks
    /// UTF-8 as the bytes arrive, then (when it differs) one that checks each
    /// message once it is complete, which RFC 6455 §8.1 allows as well.
    pub expect: Vec<Expected>,
    /// Messages in `sent` that go compressed.
    pub compressed: usize,
}

/// What a conforming echo server does with `steps`, under the permessage-deflate
/// of `deflate`.
///
/// When the server must fail the connection, the steps after the one that makes it
/// fail are dropped: a conforming server never reads them, and sending them would
/// only race with its close (which close went first, bytes left unread turning its
/// TCP close into a reset). A server that checks UTF-8 only at the end of a
/// message fails later: then the rest of that message is sent too.
pub fn expected(steps: &[FuzzStep], deflate: Option<&Negotiation>) -> Oracle {
    let lowered = lower(steps, deflate);
    let steps = &lowered.steps;
    let (fast_len, fast) = cut(steps, deflate, true);
    let (len, expect) = if fast.closed_by_me || !fast.close_codes.contains(&codes::INVALID_PAYLOAD)
    {
        (fast_len, vec![fast])
    } else {
        let (late_len, late) = cut(steps, deflate, false);
        if (late_len, &late) == (fast_len, &fast) {
            (fast_len, vec![fast])
        } else {
            let len = fast_len.max(late_len);
            let (fast, _) = play(&steps[..len], deflate, true);
            let (late, _) = play(&steps[..len], deflate, false);
            if fast == late {
                (len, vec![fast])
            } else {
                (len, vec![fast, late])
            }
        }
    };
    let compressed = lowered
        .compressed_ends
        .iter()
        .filter(|&&end| end < len)
        .count();
    Oracle {
        sent: steps[..len].to_vec(),
        expect,
        compressed,
    }
}

/// The shortest prefix of `steps` after which the reference fails the connection
/// (all of them if it never does), and what it does with that prefix. Failing is
/// monotone in the prefix (a failed endpoint reads nothing more), so a binary
/// search finds it. Whether the suite or the server closed first is not: a close
/// the suite writes right after the failing frame goes out before the server's.
fn cut(steps: &[FuzzStep], deflate: Option<&Negotiation>, fail_fast: bool) -> (usize, Expected) {
    let (whole, failed) = play(steps, deflate, fail_fast);
    if !failed || steps.len() <= 1 {
        return (steps.len(), whole);
    }
    // Invariant: the prefix of `hi` steps fails; the one of `lo` steps does not.
    let (mut lo, mut hi, mut at_hi) = (0usize, steps.len(), whole);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let (e, failed) = play(&steps[..mid], deflate, fail_fast);
        if failed {
            hi = mid;
            at_hi = e;
        } else {
            lo = mid;
        }
    }
    (hi, at_hi)
}

/// Room for every event a fuzzed conversation can produce: the run only records
/// events up to the longest expected outcome.
const MAX_EVENTS: usize = 4096;

/// What the reference does with `steps`, and whether it failed the connection.
fn play(
    steps: &[FuzzStep],
    deflate: Option<&Negotiation>,
    fail_fast_utf8: bool,
) -> (Expected, bool) {
    // The close code the suite sends at the end of a script without a close step is
    // the first expected code, so the first play uses 1000, as the real run will.
    let provisional = Expected {
        events: vec![ExpectedEvent::Ping(Vec::new()); MAX_EVENTS],
        closed_by_me: true,
        close_codes: vec![1000],
    };
    let case = case_for(steps, std::slice::from_ref(&provisional), deflate);
    let mut run = CaseRun::new(&case, RunConfig::default());
    let mut server = Reference::new(deflate, fail_fast_utf8);
    // Bounded: every script here is a few dozen frames, and a stall would be a bug in
    // the reference, which must not hang the fuzzer; what was seen is judged as it is.
    play_in_memory(&mut run, &mut server, 100_000);
    let obs = run.finish().observation;
    let mut close_codes = vec![obs.remote_close_code.unwrap_or(1000)];
    let failure = server.conn.endpoint().and_then(Endpoint::failure);
    // RFC 7692 names no close code for data that does not inflate: 1007 (the data
    // does not fit the message) and 1002 (a protocol error) both say it.
    match failure {
        Some((_, FailReason::InvalidCompressedData(_))) => {
            close_codes.push(codes::PROTOCOL_ERROR);
        }
        // A close with a code not allowed on the wire and a reason that is not
        // UTF-8 breaks two rules (RFC 6455 §7.4.1, §5.5.1): either may be named.
        Some((_, FailReason::InvalidCloseCode(_)))
            if steps.iter().rev().find_map(|s| match s {
                FuzzStep::Close { reason, .. } => Some(std::str::from_utf8(reason).is_err()),
                _ => None,
            }) == Some(true) =>
        {
            close_codes.push(codes::INVALID_PAYLOAD);
        }
        // The suite closed with a valid code: RFC 6455 §5.5.1 says a server
        // "typically" echoes it, and Autobahn (7.7.x) accepts 1000 as well.
        None if obs.closed_by_me && close_codes != [codes::NORMAL] => {
            close_codes.push(codes::NORMAL);
        }
        _ => {}
    }
    let expected = Expected {
        events: obs.received.iter().filter_map(expected_event).collect(),
        closed_by_me: obs.closed_by_me,
        close_codes,
    };
    (expected, failure.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{CompressedMessage, DeflateFault, FrameStep};
    use ws_spec::deflate::DeflateOffer;

    fn text(payload: &[u8], fin: bool, opcode: u8) -> FuzzStep {
        FuzzStep::Frame(FrameStep::new(opcode, fin, payload.to_vec()))
    }

    fn pong(payload: &[u8]) -> ExpectedEvent {
        ExpectedEvent::Pong(payload.to_vec())
    }

    /// The echo of a text message.
    fn text_echo(payload: &[u8]) -> ExpectedEvent {
        ExpectedEvent::Message {
            binary: false,
            payload: payload.to_vec(),
        }
    }

    fn close() -> FuzzStep {
        FuzzStep::Close {
            code: Some(1000),
            reason: Vec::new(),
        }
    }

    /// RFC 6455 §5.4 and §5.5.2: a ping between fragments is answered first, the
    /// message is echoed whole, and our close is echoed with its code.
    #[test]
    fn fragmented_message_with_ping_is_echoed_after_the_pong() {
        let steps = [
            text("h\u{e9}".as_bytes()[..2].as_ref(), false, 1),
            text(b"p", true, 9),
            text(&"h\u{e9}".as_bytes()[2..], true, 0),
            close(),
        ];
        let o = expected(&steps, None);
        let (sent, e) = (o.sent, &o.expect[0]);
        assert_eq!(o.expect.len(), 1);
        assert_eq!(e.events, vec![pong(b"p"), text_echo("h\u{e9}".as_bytes())]);
        assert!(e.closed_by_me);
        assert_eq!(e.close_codes, vec![1000]);
        assert_eq!(sent, steps);
    }

    /// RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection with 1007,
    /// after the earlier message was echoed.
    #[test]
    fn invalid_utf8_fails_with_1007() {
        let steps = [text(b"ok", true, 1), text(&[0xff], true, 1), close()];
        let o = expected(&steps, None);
        let (sent, e) = (o.sent, &o.expect[0]);
        assert_eq!(e.events.len(), 1);
        assert!(!e.closed_by_me);
        assert_eq!(sent.len(), 2, "the close after the failure is not sent");
        assert_eq!(e.close_codes, vec![1007]);
    }

    /// RFC 6455 §5.2: RSV bits without a negotiated extension fail the connection (1002).
    #[test]
    fn rsv_bits_fail_with_1002() {
        let steps = [
            FuzzStep::Frame(FrameStep {
                rsv: 4,
                ..FrameStep::new(2, true, b"x".to_vec())
            }),
            close(),
        ];
        let o = expected(&steps, None);
        let (sent, e) = (o.sent, &o.expect[0]);
        assert!(e.events.is_empty());
        assert!(!e.closed_by_me);
        assert_eq!(sent.len(), 1);
        assert_eq!(e.close_codes, vec![1002]);
    }

    fn compressed(message: &[u8], fault: Option<DeflateFault>) -> FuzzStep {
        FuzzStep::Compressed(CompressedMessage {
            opcode: 1,
            message: message.to_vec(),
            cuts: vec![500],
            pings: vec![Some(b"p".to_vec())],
            chop: None,
            fault,
        })
    }

    fn negotiated() -> Negotiation {
        Negotiation::reference(&DeflateOffer::default()).unwrap()
    }

    /// RFC 7692 §6: compressed messages, fragmented with a ping between the
    /// fragments, are echoed (the suite inflates the echo) after the pong.
    #[test]
    fn rfc7692_6_compressed_messages_are_echoed_inflated() {
        let steps = [
            compressed(b"hello hello hello", None),
            compressed(b"hello again", None),
            close(),
        ];
        let o = expected(&steps, Some(&negotiated()));
        assert_eq!(o.compressed, 2);
        assert_eq!(o.expect.len(), 1);
        let e = &o.expect[0];
        assert_eq!(
            e.events,
            vec![
                pong(b"p"),
                text_echo(b"hello hello hello"),
                pong(b"p"),
                text_echo(b"hello again"),
            ]
        );
        assert!(e.closed_by_me);
        assert!(o.sent.iter().any(|s| matches!(
            s,
            FuzzStep::Frame(FrameStep {
                rsv: 4,
                opcode: 1,
                ..
            })
        )));
    }

    /// RFC 7692 §6.1: RSV1 on a continuation frame fails the connection with 1002,
    /// and so does RSV1 on a ping (§6: control frames are not compressed).
    #[test]
    fn rfc7692_6_1_rsv1_on_a_continuation_or_a_ping_fails_with_1002() {
        for fault in [DeflateFault::Rsv1OnContinuation, DeflateFault::Rsv1OnPing] {
            let steps = [compressed(b"hello", Some(fault)), close()];
            let o = expected(&steps, Some(&negotiated()));
            let e = &o.expect[0];
            assert!(!e.closed_by_me, "{fault:?}");
            assert_eq!(e.close_codes, vec![1002], "{fault:?}");
            assert!(
                !e.events
                    .iter()
                    .any(|ev| matches!(ev, ExpectedEvent::Message { .. })),
                "{fault:?}"
            );
            assert!(
                matches!(
                    o.sent.last(),
                    Some(FuzzStep::Frame(FrameStep {
                        opcode: 0 | 9,
                        rsv: 4,
                        ..
                    }))
                ),
                "{fault:?}: sending stops at the offending frame"
            );
        }
    }

    /// RFC 7692 §7.2.2: data that does not inflate fails the connection; no code is
    /// named, so 1007 and 1002 are both accepted.
    #[test]
    fn rfc7692_7_2_2_data_that_does_not_inflate_fails_with_1007_or_1002() {
        // A block type of 3 (reserved, RFC 1951 §3.2.3) in the first byte.
        let steps = [
            compressed(b"hello", Some(DeflateFault::Corrupt { at: 0, xor: 0x06 })),
            close(),
        ];
        let o = expected(&steps, Some(&negotiated()));
        let e = &o.expect[0];
        assert!(!e.closed_by_me);
        assert_eq!(e.close_codes, vec![1007, 1002]);
    }

    /// RFC 6455 §8.1: a server may check UTF-8 as bytes arrive or once the message
    /// is complete; both outcomes are allowed, and the whole message is sent.
    #[test]
    fn rfc6455_8_1_utf8_may_be_checked_at_the_end_of_the_message() {
        let steps = [
            text(&[0xff], false, 1),
            text(b"p", true, 9),
            text(b"x", true, 0),
            close(),
        ];
        let o = expected(&steps, None);
        assert_eq!(o.sent.len(), 3);
        assert_eq!(o.expect.len(), 2);
        assert!(o.expect[0].events.is_empty());
        assert_eq!(o.expect[1].events, vec![pong(b"p")]);
        assert!(o
            .expect
            .iter()
            .all(|e| !e.closed_by_me && e.close_codes == vec![1007]));
    }

    /// RFC 6455 §5.5.1: a valid close is answered with its code, or with 1000.
    #[test]
    fn rfc6455_5_5_1_a_valid_close_may_be_answered_with_1000() {
        let steps = [FuzzStep::Close {
            code: Some(3000),
            reason: Vec::new(),
        }];
        let o = expected(&steps, None);
        assert_eq!(o.expect[0].close_codes, vec![3000, 1000]);
        assert!(o.expect[0].closed_by_me);
    }
}
