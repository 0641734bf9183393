//! What a client on the standard WebSocket API (WHATWG: browsers, and the built-in
//! `WebSocket` of Node, Deno and Bun) cannot do, and which cases therefore cannot judge
//! such a client.
//!
//! The API gives an application `send(text | binary)` and `close(code, reason)` and
//! nothing else: no pings or unsolicited pongs (the implementation answers pings by
//! itself and never shows a pong), `close` takes only 1000 and 3000–4999, and frame
//! shape and masking are the implementation's. What the implementation does on its own
//! (answer a ping, echo a close, fail the connection with 1002 or 1007) is not a limit:
//! that is exactly what the cases judge. A case is beyond the API when a conforming
//! client would have to *choose* one of the things the API does not offer; the answer
//! is read from the case's expectation, so a new case is classified as it is written.

use crate::model::{Case, Event, Step};
use crate::run::Role;
use ws_spec::close::codes;

/// Something a case expects the client's application to do that the standard
/// WebSocket API does not let it do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiLimit {
    /// The client must send a ping of its own.
    SendPing,
    /// The client must send a pong that answers no ping of the script.
    SendPong,
    /// The client must start the closing handshake with this code, which `close()`
    /// refuses (only 1000 and 3000–4999 are allowed).
    CloseCode(u16),
}

impl std::fmt::Display for ApiLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiLimit::SendPing => f.write_str("the client must send a ping"),
            ApiLimit::SendPong => f.write_str("the client must send an unsolicited pong"),
            ApiLimit::CloseCode(c) => write!(f, "the client must close with code {c}"),
        }
    }
}

/// True when the API's `close(code)` accepts `code` (WHATWG WebSockets, `close()`
/// step 1: 1000, or 3000 to 4999).
pub fn api_may_close_with(code: u16) -> bool {
    code == codes::NORMAL || (3000..=4999).contains(&code)
}

/// Codes an implementation picks by itself when it fails the connection (RFC 6455
/// §7.4.1): a case expecting one of them asks nothing of the application.
fn failure_code(code: u16) -> bool {
    matches!(
        code,
        codes::PROTOCOL_ERROR
            | codes::INVALID_PAYLOAD
            | codes::TOO_BIG
            | codes::MANDATORY_EXT
            | codes::INTERNAL
    )
}

/// The payloads of the pings the script sends: a pong with one of them is the
/// implementation's automatic answer.
fn script_pings(case: &Case) -> Vec<Vec<u8>> {
    let mut pings = Vec::new();
    for step in &case.steps {
        match step {
            Step::Frame { frame, .. } if frame.opcode == ws_spec::frame::Opcode::Ping => {
                pings.push(frame.payload.to_bytes())
            }
            Step::Pings { count } => pings.extend((0..*count).map(|i| i.to_be_bytes().to_vec())),
            _ => {}
        }
    }
    pings
}

/// What `case`, played with the suite in `role`, expects of the other side's
/// application beyond the standard WebSocket API; empty when such a client can be
/// judged fairly. With the suite as client the other side is a server, which the API
/// does not make, so nothing is reported.
pub fn beyond_standard_api(case: &Case, role: Role) -> Vec<ApiLimit> {
    let mut limits = Vec::new();
    if role != Role::Server {
        return limits;
    }
    let pings = script_pings(case);
    for event in case.expect.outcomes.iter().flat_map(|(_, events)| events) {
        let limit = match event {
            Event::Ping(_) => Some(ApiLimit::SendPing),
            Event::Pong(p) if !pings.contains(p) => Some(ApiLimit::SendPong),
            _ => None,
        };
        if let Some(l) = limit.filter(|l| !limits.contains(l)) {
            limits.push(l);
        }
    }
    let close = &case.expect.close;
    let codes = &close.codes;
    let chosen = !close.closed_by_me
        && !codes.is_empty()
        && !codes
            .iter()
            .any(|&c| api_may_close_with(c) || failure_code(c));
    if chosen {
        limits.push(ApiLimit::CloseCode(codes[0]));
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{case, ev_pong, ev_text, ping, text};
    use crate::model::Level;

    fn base(id: &str) -> crate::build::CaseBuilder {
        case(id, "test", "")
            .desc("d")
            .expectation("e")
            .rfc("5.5", Level::Must)
            .kill_after(100)
    }

    #[test]
    fn echoes_and_automatic_answers_are_within_the_api() {
        let c = base("99.9.1")
            .frame(ping("p"))
            .frame(text("x"))
            .ok(vec![ev_pong("p"), ev_text("x")])
            .closed_by_me(&[codes::NORMAL], true)
            .build();
        assert_eq!(beyond_standard_api(&c, Role::Server), vec![]);
        let failing = base("99.9.2")
            .frame(text("x"))
            .ok(vec![])
            .closed_by_peer(&[codes::PROTOCOL_ERROR], false)
            .build();
        assert_eq!(beyond_standard_api(&failing, Role::Server), vec![]);
    }

    #[test]
    fn chosen_pings_pongs_and_close_codes_are_beyond_it() {
        let c = base("99.9.3")
            .frame(text("x"))
            .ok(vec![Event::Ping(b"mine".to_vec()), ev_pong("unasked")])
            .closed_by_peer(&[codes::GOING_AWAY], true)
            .build();
        assert_eq!(
            beyond_standard_api(&c, Role::Server),
            vec![
                ApiLimit::SendPing,
                ApiLimit::SendPong,
                ApiLimit::CloseCode(codes::GOING_AWAY)
            ]
        );
        // The same case played against a server asks nothing of a client API.
        assert_eq!(beyond_standard_api(&c, Role::Client), vec![]);
        let app_close = base("99.9.4")
            .frame(text("x"))
            .ok(vec![])
            .closed_by_peer(&[4000], true)
            .build();
        assert_eq!(beyond_standard_api(&app_close, Role::Server), vec![]);
    }

    /// Every case the suite plays as server waits for what an implementation does by
    /// itself (echo through the application, answer pings, echo or fail with a close):
    /// none of them is beyond the API, so a browser is judged on all of them.
    #[test]
    fn the_catalogue_as_server_asks_nothing_beyond_the_api() {
        let beyond: Vec<(String, Vec<ApiLimit>)> = crate::all_cases()
            .into_iter()
            .filter(|c| c.plays_in(Role::Server))
            .map(|c| (c.id.clone(), beyond_standard_api(&c, Role::Server)))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        assert_eq!(beyond, vec![]);
    }

    #[test]
    fn api_close_codes_follow_the_whatwg_rule() {
        for (code, ok) in [(999, false), (1000, true), (1001, false), (2999, false)] {
            assert_eq!(api_may_close_with(code), ok, "{code}");
        }
        for (code, ok) in [(3000, true), (4999, true), (5000, false)] {
            assert_eq!(api_may_close_with(code), ok, "{code}");
        }
    }
}
