//! Judging a proxy case: what went in on one side against what came out on the other.

use ws_spec::close::parse_close_payload;
use ws_spec::extension::parse_extensions;
use ws_spec::frame::Opcode;
use ws_spec::handshake::{Request, Response};
use ws_spec::intermediary::{leaked_hop_by_hop, messages, RelayedFrame, RelayedMessage};
use ws_spec::rfc::Level;

use super::{Intact, ProxyCase, ProxyCheck, ProxyObservation, ProxyStep, Side};
use crate::judge::{Finding, Verdict};
use crate::model::CloseBehavior;

/// Judges `case` from what was seen on both sides.
pub fn judge(case: &ProxyCase, obs: &ProxyObservation) -> Verdict {
    let level = case.rfc.first().map(|r| r.level).unwrap_or(Level::Must);
    let finding = match (&obs.failure, needs_connection(&case.check)) {
        (Some(why), true) => Finding::Breaks(why.clone()),
        _ => check(case, obs),
    };
    let (behavior, reason) = finding.grade(level);
    let (behavior_close, result_close) = judge_close(case, obs);
    Verdict {
        behavior,
        behavior_close,
        result: reason.clone(),
        result_close,
        reason,
    }
}

/// Checks that need frames to have flowed through the proxy (all but the
/// opening-handshake ones, which judge whatever arrived).
fn needs_connection(check: &ProxyCheck) -> bool {
    !matches!(
        check,
        ProxyCheck::UpgradeReachesBackend
            | ProxyCheck::ConnectionReachesBackend
            | ProxyCheck::RequestHopByHopRemoved
            | ProxyCheck::ResponseHopByHopRemoved
            | ProxyCheck::Intact(_)
            | ProxyCheck::ResponseValid
            | ProxyCheck::SubprotocolAgreed
            | ProxyCheck::DeflateAgreed
    )
}

fn check(case: &ProxyCase, obs: &ProxyObservation) -> Finding {
    let hs = &obs.handshake;
    let Some(request) = hs.backend_request.as_ref() else {
        return Finding::Breaks(
            obs.failure
                .clone()
                .unwrap_or_else(|| "no request reached the backend".into()),
        );
    };
    match &case.check {
        ProxyCheck::UpgradeReachesBackend => token_arrived(request, "Upgrade", "websocket"),
        ProxyCheck::ConnectionReachesBackend => token_arrived(request, "Connection", "upgrade"),
        ProxyCheck::RequestHopByHopRemoved => {
            leaks("backend", &hs.client_request, &request.headers, "the client's request")
        }
        ProxyCheck::ResponseHopByHopRemoved => match (&hs.backend_response, &hs.client_response) {
            (Some(sent), Some(got)) => {
                leaks("client", &sent.headers, &got.headers, "the backend's 101")
            }
            _ => Finding::Breaks("no response reached the client".into()),
        },
        ProxyCheck::Intact(field) => intact(*field, &hs.client_request, request),
        ProxyCheck::ResponseValid => match (&hs.client_response, &hs.client_refusal) {
            (None, _) => Finding::Breaks(
                obs.failure
                    .clone()
                    .unwrap_or_else(|| "no response reached the client".into()),
            ),
            (Some(_), Some(why)) => Finding::Breaks(format!(
                "the response the client received is not a valid answer to its request: {why}"
            )),
            (Some(r), None) => Finding::Holds(format!(
                "the client received a valid 101 ({} {})",
                r.status, r.reason
            )),
        },
        ProxyCheck::SubprotocolAgreed => agreed(obs, "Sec-WebSocket-Protocol", "subprotocol"),
        ProxyCheck::DeflateAgreed => agreed(obs, "Sec-WebSocket-Extensions", "extensions"),
        ProxyCheck::Messages { from } => relayed_messages(*from, obs),
        ProxyCheck::Masking { at } => masking(*at, obs),
        ProxyCheck::FragmentsKept { from } => fragments_kept(*from, obs),
        ProxyCheck::CloseReaches { from } => close_reaches(case, *from, obs),
        ProxyCheck::DropReaches { from, within } => match obs.drop_seen_after {
            Some(t) if t > *within => Finding::Breaks(format!(
                "the {}'s connection ended only {:.2} s after the {} dropped TCP (more than {:.0} s)",
                from.other().name(),
                t.as_secs_f64(),
                from.name(),
                within.as_secs_f64()
            )),
            Some(t) => Finding::Holds(format!(
                "the {}'s connection ended {:.2} s after the {} dropped TCP{}",
                from.other().name(),
                t.as_secs_f64(),
                from.name(),
                close_seen(obs.side(from.other()))
            )),
            None => Finding::Breaks(format!(
                "the {} dropped TCP and the {}'s connection was still open more than {:.0} s later",
                from.name(),
                from.other().name(),
                within.as_secs_f64()
            )),
        },
        ProxyCheck::IdleSurvives => idle(case, obs),
        ProxyCheck::Backpressure => backpressure(obs),
        ProxyCheck::Concurrency => concurrency(obs),
    }
}

fn token_arrived(request: &Request, field: &str, token: &str) -> Finding {
    let values = request.header_all(field);
    if values.is_empty() {
        let article = if field.starts_with(['A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        };
        return Finding::Breaks(format!(
            "the request reached the backend without {article} {field} header: the proxy removed the client's {field} (hop-by-hop, RFC 7230 §6.1) and did not set one for the upgrade toward the backend"
        ));
    }
    let listed = values
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token));
    if listed {
        Finding::Holds(format!(
            "the backend received {field}: {}",
            values.join(", ")
        ))
    } else {
        Finding::Breaks(format!(
            "the request reached the backend with {field}: {}, which does not name {token}: the proxy did not set it for the upgrade toward the backend",
            values.join(", ")
        ))
    }
}

fn leaks(at: &str, sent: &[(String, String)], got: &[(String, String)], what: &str) -> Finding {
    let leaked = leaked_hop_by_hop(sent, got);
    if leaked.is_empty() {
        Finding::Holds(format!("no hop-by-hop field of {what} reached the {at}"))
    } else {
        Finding::Breaks(format!(
            "the {at} received hop-by-hop fields of {what}: {}",
            leaked.join(", ")
        ))
    }
}

/// A field's values as list elements, so reformatting (`a,b` vs `a, b`) is no change.
fn elements(values: &[&str]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|e| e.split(';').map(str::trim).collect::<Vec<_>>().join("; "))
        .filter(|e| !e.is_empty())
        .collect()
}

fn intact(field: Intact, client: &[(String, String)], request: &Request) -> Finding {
    let name = field.header();
    let sent: Vec<&str> = client
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    let got = request.header_all(name);
    let same = match field {
        Intact::Protocol | Intact::Extensions => elements(&sent) == elements(&got),
        _ => sent == got,
    };
    let show = |v: &[&str]| match v {
        [] => "none".to_string(),
        _ => format!("{:?}", v.join(", ")),
    };
    if same {
        Finding::Holds(format!("{name} arrived as sent: {}", show(&sent)))
    } else {
        Finding::Breaks(format!(
            "the client sent {name} {} and the backend received {}",
            show(&sent),
            show(&got)
        ))
    }
}

fn agreed(obs: &ProxyObservation, field: &str, what: &str) -> Finding {
    let hs = &obs.handshake;
    let (Some(sent), Some(got)) = (&hs.backend_response, &hs.client_response) else {
        return Finding::Breaks("no response reached the client".into());
    };
    let norm = |r: &Response| -> Vec<String> {
        let values = r.header_all(field);
        match parse_extensions(&values) {
            Ok(list) if field == "Sec-WebSocket-Extensions" => {
                list.iter().map(|e| format!("{e:?}")).collect()
            }
            _ => elements(&values),
        }
    };
    let (backend, client) = (norm(sent), norm(got));
    let show = |r: &Response| match r.header_all(field)[..] {
        [] => "none".to_string(),
        ref v => format!("{:?}", v.join(", ")),
    };
    if backend == client {
        if backend.is_empty() {
            let offered = hs
                .backend_request
                .as_ref()
                .is_some_and(|r| !r.header_all(field).is_empty());
            let note = if offered {
                "the backend declined"
            } else {
                "the offer did not reach the backend"
            };
            return Finding::Unimplemented(format!("no {what} negotiated ({note})"));
        }
        Finding::Holds(format!(
            "backend and client agree on the {what}: {}",
            show(sent)
        ))
    } else {
        Finding::Breaks(format!(
            "the backend answered {field} {} and the client received {}: the two sides disagree on the {what}",
            show(sent),
            show(got)
        ))
    }
}

fn control_frames(frames: &[RelayedFrame]) -> Vec<(Opcode, &[u8])> {
    frames
        .iter()
        .filter(|f| matches!(f.opcode, Opcode::Ping | Opcode::Pong))
        .map(|f| (f.opcode, f.payload.as_slice()))
        .collect()
}

fn describe(m: &RelayedMessage) -> String {
    let kind = if m.opcode == Opcode::Text {
        "text"
    } else {
        "binary"
    };
    format!("{kind} message of {} bytes", m.payload.len())
}

fn relayed_messages(from: Side, obs: &ProxyObservation) -> Finding {
    let (src, dst) = (obs.side(from), obs.side(from.other()));
    let to = from.other().name();
    if let Some(e) = &dst.error {
        return Finding::Breaks(format!("what reached the {to} is not valid framing: {e}"));
    }
    let (sent, got) = (messages(&src.sent), messages(&dst.received));
    for (i, want) in sent.iter().enumerate() {
        let Some(have) = got.get(i) else {
            return Finding::Breaks(format!(
                "message {} of {} ({}) never reached the {to}",
                i + 1,
                sent.len(),
                describe(want)
            ));
        };
        if (have.opcode, have.rsv) != (want.opcode, want.rsv) {
            return Finding::Breaks(format!(
                "message {}: the {} sent a {} (RSV {:03b}) and the {to} received a {} (RSV {:03b})",
                i + 1,
                from.name(),
                describe(want),
                want.rsv,
                describe(have),
                have.rsv
            ));
        }
        if have.payload != want.payload {
            let at = have
                .payload
                .iter()
                .zip(&want.payload)
                .position(|(a, b)| a != b)
                .unwrap_or(have.payload.len().min(want.payload.len()));
            return Finding::Breaks(format!(
                "message {}: the {to} received {} bytes, the {} sent {}; first difference at byte {at}",
                i + 1,
                have.payload.len(),
                from.name(),
                want.payload.len()
            ));
        }
    }
    if got.len() > sent.len() {
        return Finding::Breaks(format!(
            "the {to} received {} messages, the {} sent {}",
            got.len(),
            from.name(),
            sent.len()
        ));
    }
    let (sent_c, got_c) = (control_frames(&src.sent), control_frames(&dst.received));
    if sent_c != got_c {
        return Finding::Breaks(format!(
            "the {} sent {} ping/pong frames and the {to} received {} that differ in type, payload or order",
            from.name(),
            sent_c.len(),
            got_c.len()
        ));
    }
    let frames_sent: usize = sent.iter().map(|m| m.frames).sum();
    let frames_got: usize = got.iter().map(|m| m.frames).sum();
    let fragmentation = if frames_sent == frames_got {
        String::new()
    } else {
        format!(" (fragmentation changed: {frames_sent} data frames became {frames_got}, which §5.4 allows without extensions)")
    };
    Finding::Holds(format!(
        "{} message(s) and {} ping/pong frame(s) reached the {to} unchanged{fragmentation}",
        sent.len(),
        sent_c.len()
    ))
}

fn masking(at: Side, obs: &ProxyObservation) -> Finding {
    let frames = &obs.side(at).received;
    let must_mask = at == Side::Backend;
    let wrong = frames.iter().filter(|f| f.masked != must_mask).count();
    if frames.is_empty() {
        return Finding::Breaks(format!("no frame reached the {}", at.name()));
    }
    let how = if must_mask { "masked" } else { "unmasked" };
    if wrong == 0 {
        Finding::Holds(format!(
            "all {} frames reached the {} {how}",
            frames.len(),
            at.name()
        ))
    } else {
        Finding::Breaks(format!(
            "{wrong} of {} frames reached the {} not {how}",
            frames.len(),
            at.name()
        ))
    }
}

fn fragments_kept(from: Side, obs: &ProxyObservation) -> Finding {
    let to = from.other().name();
    let data = |fs: &[RelayedFrame]| -> Vec<(Opcode, bool, u8, Vec<u8>)> {
        fs.iter()
            .filter(|f| !f.opcode.is_control())
            .map(|f| (f.opcode, f.fin, f.rsv, f.payload.clone()))
            .collect()
    };
    let sent = data(&obs.side(from).sent);
    if sent.is_empty() {
        return Finding::Unimplemented(
            "permessage-deflate was not negotiated through the proxy, so no compressed message was sent".into(),
        );
    }
    let got = data(&obs.side(from.other()).received);
    if sent == got {
        Finding::Holds(format!(
            "the compressed message reached the {to} in the same {} frames, RSV1 on the first",
            sent.len()
        ))
    } else {
        let same_bytes = sent.iter().flat_map(|f| f.3.clone()).collect::<Vec<_>>()
            == got.iter().flat_map(|f| f.3.clone()).collect::<Vec<_>>();
        Finding::Breaks(format!(
            "the {} sent a compressed message in {} frames and the {to} received {} frames{}: an intermediary must not refragment with an extension negotiated",
            from.name(),
            sent.len(),
            got.len(),
            if same_bytes { " with the same bytes" } else { " with other bytes" }
        ))
    }
}

fn first_close(frames: &[RelayedFrame]) -> Option<Result<(Option<u16>, String), String>> {
    frames.iter().find(|f| f.opcode == Opcode::Close).map(|f| {
        parse_close_payload(&f.payload)
            .map(|b| match b {
                Some(b) => (Some(b.code), b.reason),
                None => (None, String::new()),
            })
            .map_err(|e| e.to_string())
    })
}

fn show_close(code: Option<u16>, reason: &str) -> String {
    match code {
        Some(c) if reason.is_empty() => format!("close {c}"),
        Some(c) => format!("close {c} {reason:?}"),
        None => "a close without a code".into(),
    }
}

fn close_reaches(case: &ProxyCase, from: Side, obs: &ProxyObservation) -> Finding {
    let Some((code, reason)) = case.steps.iter().find_map(|s| match s {
        ProxyStep::Close { code, reason, .. } => Some((*code, *reason)),
        _ => None,
    }) else {
        return Finding::Breaks("the case has no close step".into());
    };
    let to = from.other().name();
    match first_close(&obs.side(from.other()).received) {
        None => Finding::Breaks(format!(
            "the {} sent {} and no close frame reached the {to}",
            from.name(),
            show_close(code, reason)
        )),
        Some(Err(e)) => Finding::Breaks(format!("the close that reached the {to} is invalid: {e}")),
        Some(Ok((got, got_reason))) if (got, got_reason.as_str()) == (code, reason) => {
            Finding::Holds(format!(
                "{} reached the {to} unchanged",
                show_close(code, reason)
            ))
        }
        Some(Ok((got, got_reason))) => Finding::Breaks(format!(
            "the {} sent {} and the {to} received {}",
            from.name(),
            show_close(code, reason),
            show_close(got, &got_reason)
        )),
    }
}

fn close_seen(trace: &super::SideTrace) -> String {
    match first_close(&trace.received) {
        Some(Ok((code, reason))) => {
            format!(" (after {} from the proxy)", show_close(code, &reason))
        }
        Some(Err(e)) => format!(" (after an invalid close frame: {e})"),
        None => String::new(),
    }
}

fn idle(case: &ProxyCase, obs: &ProxyObservation) -> Finding {
    let Some(idle) = &obs.idle else {
        return Finding::Breaks("the idle measurement did not run".into());
    };
    let quiet = match case.steps.iter().find_map(|s| match s {
        ProxyStep::Idle { keepalive } => *keepalive,
        _ => None,
    }) {
        Some(side) => format!("with only the {}'s pings", side.name()),
        None => "without traffic".to_string(),
    };
    match idle.dropped_after {
        Some(t) => Finding::Breaks(format!(
            "the proxy ended the connection after {:.1} s {quiet} (bound {:.0} s)",
            t.as_secs_f64(),
            idle.bound.as_secs_f64()
        )),
        None if idle.message_through => Finding::Holds(format!(
            "the connection survived {:.0} s {quiet} and still carried a message",
            idle.bound.as_secs_f64()
        )),
        None => Finding::Breaks(format!(
            "after {:.0} s {quiet} a message from the client never reached the backend",
            idle.bound.as_secs_f64()
        )),
    }
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}

fn backpressure(obs: &ProxyObservation) -> Finding {
    let Some(f) = &obs.flood else {
        return Finding::Breaks("the flood measurement did not run".into());
    };
    if f.delivered != f.written {
        return Finding::Breaks(format!(
            "the backend wrote {} and the client received {}",
            mib(f.written),
            mib(f.delivered)
        ));
    }
    if f.written >= f.bound {
        Finding::Breaks(format!(
            "the proxy took all {} the backend wrote while the client read nothing: it buffers without bound",
            mib(f.bound)
        ))
    } else {
        Finding::Holds(format!(
            "the backend's writes stalled after {} while the client read nothing (kernel buffers and the proxy's together); all of it arrived",
            mib(f.written)
        ))
    }
}

fn concurrency(obs: &ProxyObservation) -> Finding {
    let Some(c) = &obs.concurrency else {
        return Finding::Breaks("the concurrency measurement did not run".into());
    };
    if c.held < c.bound {
        return Finding::Breaks(format!(
            "the proxy held {} WebSockets at once; number {} did not open: {}",
            c.held,
            c.held + 1,
            c.stopped.as_deref().unwrap_or("no reason seen")
        ));
    }
    if c.carried < c.held {
        return Finding::Breaks(format!(
            "the proxy held {} WebSockets at once, but only {} of them carried a message afterwards",
            c.held, c.carried
        ));
    }
    Finding::Holds(format!(
        "the proxy held {} WebSockets at once (the bound, --connections), each carrying a message",
        c.held
    ))
}

/// The close verdict: the case's own closing handshake, or the one it ends with.
fn judge_close(case: &ProxyCase, obs: &ProxyObservation) -> (CloseBehavior, String) {
    if obs.handshake.client_response.as_ref().map(|r| r.status) != Some(101) {
        return (
            CloseBehavior::Failed,
            "The opening handshake through the proxy never completed.".into(),
        );
    }
    if let ProxyCheck::CloseReaches { from } = case.check {
        let code = case.steps.iter().find_map(|s| match s {
            ProxyStep::Close { code, .. } => Some(*code),
            _ => None,
        });
        return match (first_close(&obs.side(from).received), code) {
            (Some(Ok((got, _))), Some(want)) if got == want => (
                CloseBehavior::Ok,
                format!(
                    "The {}'s answer came back to the {}.",
                    from.other().name(),
                    from.name()
                ),
            ),
            (Some(Ok((got, _))), _) => (
                CloseBehavior::WrongCode,
                format!(
                    "The {} answered with the same code and the {} received {}.",
                    from.other().name(),
                    from.name(),
                    show_close(got, "")
                ),
            ),
            _ => (
                CloseBehavior::Unclean,
                format!("No close answer came back to the {}.", from.name()),
            ),
        };
    }
    match &obs.final_close {
        None => (
            CloseBehavior::Ok,
            "The case ended the connection itself.".into(),
        ),
        Some(c) => match (c.client_got, c.client_ended) {
            (Some(Some(1000)), true) => (
                CloseBehavior::Ok,
                "The client's close 1000 was answered through the proxy and the connection ended."
                    .into(),
            ),
            (Some(Some(1000)), false) => (
                CloseBehavior::Unclean,
                "The close was answered, but the client's connection did not end.".into(),
            ),
            (Some(code), _) => (
                CloseBehavior::WrongCode,
                format!(
                    "The client closed with 1000 and received {}.",
                    show_close(code, "")
                ),
            ),
            (None, _) => (
                CloseBehavior::Unclean,
                format!(
                    "The client's close 1000 got no answer (the backend {}).",
                    match c.backend_got {
                        Some(code) => format!("received {}", show_close(code, "")),
                        None => "received no close".into(),
                    }
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Behavior;
    use crate::proxy::{FinalClose, HandshakeTrace};
    use ws_spec::handshake::{parse_request, parse_response};

    fn case(id: &str) -> ProxyCase {
        crate::catalogue::proxy_cases()
            .into_iter()
            .find(|c| c.id == id)
            .expect("case")
    }

    fn request(extra: &str) -> Request {
        let text = format!("GET / HTTP/1.1\r\nHost: b\r\n{extra}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        parse_request(text.as_bytes(), 4096).unwrap().unwrap().0
    }

    fn response(extra: &str) -> Response {
        let text = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n");
        parse_response(text.as_bytes(), 4096).unwrap().unwrap().0
    }

    /// A relayed connection whose handshake went through with `request` at the backend.
    fn through(request: Request) -> ProxyObservation {
        ProxyObservation {
            handshake: HandshakeTrace {
                backend_request: Some(request),
                backend_response: Some(response("")),
                client_response: Some(response("")),
                ..HandshakeTrace::default()
            },
            final_close: Some(FinalClose {
                backend_got: Some(Some(1000)),
                client_got: Some(Some(1000)),
                client_ended: true,
            }),
            ..ProxyObservation::default()
        }
    }

    /// `v` fails the case, and its reason says `why`.
    fn assert_fails(v: &Verdict, why: &str) {
        assert_eq!(v.behavior, Behavior::Failed, "{}", v.reason);
        assert!(v.reason.contains(why), "{}", v.reason);
    }

    fn frame(opcode: Opcode, fin: bool, masked: bool, payload: &[u8]) -> RelayedFrame {
        RelayedFrame {
            opcode,
            fin,
            rsv: 0,
            masked,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn a_missing_upgrade_is_named_and_fails() {
        let c = case("19.1.1");
        let v = judge(&c, &through(request("Connection: close\r\n")));
        assert_fails(&v, "without an Upgrade header");
        let ok = judge(&c, &through(request("Upgrade: websocket\r\n")));
        assert_eq!(ok.behavior, Behavior::Ok, "{}", ok.reason);
    }

    #[test]
    fn refragmented_messages_pass_and_changed_bytes_fail() {
        let c = case("19.2.8");
        let mut obs = through(request("Upgrade: websocket\r\nConnection: Upgrade\r\n"));
        obs.client.sent = vec![
            frame(Opcode::Text, false, true, b"frag"),
            frame(Opcode::Continuation, true, true, b"mented"),
        ];
        obs.backend.received = vec![frame(Opcode::Text, true, true, b"fragmented")];
        let v = judge(&c, &obs);
        assert_eq!(v.behavior, Behavior::Ok, "{}", v.reason);
        assert!(v.reason.contains("fragmentation changed"), "{}", v.reason);
        obs.backend.received = vec![frame(Opcode::Text, true, true, b"fragmentex")];
        let v = judge(&c, &obs);
        assert_fails(&v, "first difference at byte 9");
    }

    #[test]
    fn unmasked_frames_at_the_backend_fail() {
        let c = case("19.4.1");
        let mut obs = through(request(""));
        obs.backend.received = vec![
            frame(Opcode::Text, true, true, b"a"),
            frame(Opcode::Binary, true, false, b"b"),
        ];
        let v = judge(&c, &obs);
        assert_fails(&v, "1 of 2 frames reached the backend not masked");
    }

    #[test]
    fn a_rewritten_close_code_fails_both_verdicts() {
        let c = case("19.5.2");
        let close = |code: u16| {
            frame(
                Opcode::Close,
                true,
                false,
                &ws_spec::close::encode_close_payload(code, b""),
            )
        };
        let mut obs = through(request(""));
        obs.final_close = None;
        obs.backend.received = vec![close(1000)];
        obs.client.received = vec![close(1000)];
        let v = judge(&c, &obs);
        assert_fails(&v, "the backend received close 1000");
        assert_eq!(v.behavior_close, CloseBehavior::WrongCode);
    }

    #[test]
    fn nothing_at_the_backend_fails_every_case_with_the_reason() {
        let obs = ProxyObservation {
            failure: Some("the request never reached the backend within 5 s".into()),
            ..ProxyObservation::default()
        };
        for id in ["19.1.1", "19.2.1", "19.5.1"] {
            let v = judge(&case(id), &obs);
            assert_fails(&v, "never reached the backend");
            assert_eq!(v.behavior_close, CloseBehavior::Failed, "{id}");
        }
    }
}
