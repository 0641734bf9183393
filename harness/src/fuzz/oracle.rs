//! What a conforming echo server does with a conversation: the case played in
//! memory, in virtual time, against the `ws-spec` reference endpoint.

use std::time::Duration;

use ws_cases::run::{CaseRun, Output, RunConfig};
use ws_spec::endpoint::{Endpoint, EndpointConfig};
use ws_spec::handshake::{self, ServerConfig, ServerDecision};

use super::{case_for, expected_event, Expected, ExpectedEvent, FuzzStep};

/// The reference echo server behind the reference opening handshake.
struct Reference {
    head: Vec<u8>,
    endpoint: Option<Endpoint>,
    closed: bool,
}

impl Reference {
    /// Feeds bytes from the suite; returns the bytes the server writes back.
    fn receive(&mut self, bytes: &[u8], now: Duration) -> Vec<u8> {
        let now_ms = now.as_millis() as u64;
        if let Some(ep) = self.endpoint.as_mut() {
            ep.receive(bytes, now_ms);
            while ep.poll_event().is_some() {}
            let out = ep.take_output();
            self.closed |= ep.wants_tcp_close();
            return out;
        }
        self.head.extend_from_slice(bytes);
        let (req, consumed) = match handshake::parse_request(&self.head, 16 * 1024) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return Vec::new(),
            Err(e) => {
                self.closed = true;
                return handshake::refusal_response(&e);
            }
        };
        let mut response = match handshake::server_respond(&req, &ServerConfig::default()) {
            ServerDecision::Accept { response, .. } => response,
            ServerDecision::Refuse { response, .. } => {
                self.closed = true;
                return response;
            }
        };
        let mut ep = Endpoint::new(EndpointConfig::echo_server());
        let rest = self.head.split_off(consumed);
        ep.receive(&rest, now_ms);
        while ep.poll_event().is_some() {}
        response.extend(ep.take_output());
        self.closed |= ep.wants_tcp_close();
        self.endpoint = Some(ep);
        response
    }
}

/// What a conforming echo server does with `steps`: the steps worth sending and
/// the events it sends back and how the connection ends.
///
/// When the server must fail the connection, the steps after the one that makes it
/// fail are dropped: a conforming server never reads them, and sending them would
/// only race with its close (which close went first, bytes left unread turning its
/// TCP close into a reset).
pub fn expected(steps: &[FuzzStep]) -> (Vec<FuzzStep>, Expected) {
    for j in 1..steps.len() {
        let prefix = play(&steps[..j]);
        if !prefix.closed_by_me {
            return (steps[..j].to_vec(), prefix);
        }
    }
    (steps.to_vec(), play(steps))
}

/// Room for every event a fuzzed conversation can produce: the run only records
/// events up to the longest expected outcome.
const MAX_EVENTS: usize = 4096;

fn play(steps: &[FuzzStep]) -> Expected {
    // The close code the suite sends at the end of a script without a close step is
    // the first expected code, so the first play uses 1000, as the real run will.
    let provisional = Expected {
        events: vec![ExpectedEvent::Ping(Vec::new()); MAX_EVENTS],
        closed_by_me: true,
        close_codes: vec![1000],
    };
    let case = case_for(steps, &provisional);
    let mut run = CaseRun::new(&case, RunConfig::default());
    let mut server = Reference {
        head: Vec::new(),
        endpoint: None,
        closed: false,
    };
    let mut now = Duration::ZERO;
    let mut eof_sent = false;
    // Bounded: every script here is a few dozen frames, and a stall would be a bug in
    // the reference, which must not hang the fuzzer.
    for _ in 0..100_000 {
        let mut moved = false;
        while let Some(out) = run.poll_output() {
            moved = true;
            match out {
                Output::Write { bytes, .. } => {
                    if server.closed {
                        continue;
                    }
                    let reply = server.receive(&bytes, now);
                    if !reply.is_empty() {
                        run.on_bytes(&reply, now);
                    }
                }
                Output::Drop => {
                    if let Some(ep) = server.endpoint.as_mut() {
                        ep.receive_eof();
                    }
                    server.closed = true;
                }
            }
        }
        if server.closed && !eof_sent {
            eof_sent = true;
            run.on_eof(now);
            moved = true;
        }
        if run.is_finished() {
            break;
        }
        if !moved {
            match run.next_deadline() {
                Some(t) => {
                    now = now.max(t);
                    run.on_timer(now);
                }
                None => break,
            }
        }
    }
    let obs = run.finish().observation;
    Expected {
        events: obs.received.iter().filter_map(expected_event).collect(),
        closed_by_me: obs.closed_by_me,
        close_codes: vec![obs.remote_close_code.unwrap_or(1000)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(payload: &[u8], fin: bool, opcode: u8) -> FuzzStep {
        FuzzStep::Frame {
            opcode,
            fin,
            rsv: 0,
            payload: payload.to_vec(),
            chop: None,
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
        let (sent, e) = expected(&steps);
        assert_eq!(
            e.events,
            vec![
                ExpectedEvent::Pong(b"p".to_vec()),
                ExpectedEvent::Message {
                    binary: false,
                    payload: "h\u{e9}".as_bytes().to_vec()
                }
            ]
        );
        assert!(e.closed_by_me);
        assert_eq!(e.close_codes, vec![1000]);
        assert_eq!(sent, steps);
    }

    /// RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection with 1007,
    /// after the earlier message was echoed.
    #[test]
    fn invalid_utf8_fails_with_1007() {
        let steps = [text(b"ok", true, 1), text(&[0xff], true, 1), close()];
        let (sent, e) = expected(&steps);
        assert_eq!(e.events.len(), 1);
        assert!(!e.closed_by_me);
        assert_eq!(sent.len(), 2, "the close after the failure is not sent");
        assert_eq!(e.close_codes, vec![1007]);
    }

    /// RFC 6455 §5.2: RSV bits without a negotiated extension fail the connection (1002).
    #[test]
    fn rsv_bits_fail_with_1002() {
        let steps = [
            FuzzStep::Frame {
                opcode: 2,
                fin: true,
                rsv: 4,
                payload: b"x".to_vec(),
                chop: None,
            },
            close(),
        ];
        let (sent, e) = expected(&steps);
        assert!(e.events.is_empty());
        assert!(!e.closed_by_me);
        assert_eq!(sent.len(), 1);
        assert_eq!(e.close_codes, vec![1002]);
    }
}
