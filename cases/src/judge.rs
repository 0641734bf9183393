//! Verdicts: what was observed, compared with what a case expects.
//!
//! The rules are Autobahn|Testsuite's, so a report reads the same: the message
//! verdict is the label of the first expected outcome whose event list equals
//! what was received; the close verdict checks, in order, who closed first,
//! whether a required clean close happened, the close code, and whether the
//! suite (as client) had to drop TCP itself.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{
    Behavior, Case, CloseBehavior, Event, HandshakeCase, HandshakeExpect, Level, ResponseExpect,
    VerdictRule,
};

/// What happened on one connection, as the verdict needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// The opening handshake completed.
    pub connection_was_open: bool,
    /// Events received, in order.
    pub received: Vec<Event>,
    /// The suite sent the first close frame.
    pub closed_by_me: bool,
    /// The suite failed the connection (protocol error or kill timer).
    pub failed_by_me: bool,
    /// The suite closed TCP.
    pub dropped_by_me: bool,
    /// A full closing handshake happened and the server dropped TCP.
    pub was_clean: bool,
    /// Why not, when it was not clean.
    pub was_not_clean_reason: Option<String>,
    /// The suite sent a close frame.
    pub sent_close: bool,
    /// A valid close frame arrived from the peer.
    pub received_close: bool,
    /// Close code the peer sent.
    pub remote_close_code: Option<u16>,
    /// Close reason the peer sent.
    pub remote_close_reason: Option<String>,
    /// Close code the suite sent.
    pub local_close_code: Option<u16>,
    /// Close reason the suite sent.
    pub local_close_reason: Option<String>,
    /// The server did not drop TCP in time after the closing handshake.
    pub was_server_connection_drop_timeout: bool,
    /// The opening handshake did not finish in time.
    pub was_open_handshake_timeout: bool,
    /// The peer did not answer the suite's close in time.
    pub was_close_handshake_timeout: bool,
    /// Verdict of a performance rule (9.x): passed, and the sentence saying why.
    pub perf: Option<(bool, String)>,
    /// The run was abandoned (hard deadline, I/O error), and why.
    pub aborted: Option<String>,
    /// permessage-deflate negotiation outcome of a case that needs it: the
    /// parameters agreed, or why the case cannot be played (peer declined).
    pub deflate: Option<Result<String, String>>,
    /// Events received after `received` grew past every expected outcome, counted only.
    pub received_unrecorded: u64,
    /// The first protocol violation the suite saw from the peer.
    pub peer_violation: Option<String>,
    /// The suite played the server (testing a client).
    pub is_server: bool,
    /// Status of the opening-handshake response, if one arrived.
    pub handshake_status: Option<u16>,
    /// Headers of that response.
    pub handshake_headers: Vec<(String, String)>,
    /// Why the response was not a valid acceptance, if it was not.
    pub handshake_error: Option<String>,
    /// When the response arrived (ms since the case started).
    pub handshake_ms: Option<u64>,
    /// When the peer dropped TCP before any response (ms since the case started).
    pub peer_dropped_during_handshake_ms: Option<u64>,
    /// When the peer dropped TCP, at whatever stage (ms since the case started).
    pub peer_dropped_ms: Option<u64>,
    /// When the peer's close frame arrived (ms since the case started).
    pub peer_close_ms: Option<u64>,
    /// Frames the suite wrote, per opcode.
    pub tx_frame_stats: BTreeMap<u8, u64>,
    /// What sections 15 and 16 measure.
    pub measure: Measurements,
    /// A compression case ended because the peer stopped answering (no byte for the
    /// stall timeout while an echo was owed): how many echoes had come back before.
    pub stalled_after_echoes: Option<u64>,
}

/// Times and counts the measured cases (sections 15 and 16) are judged on; times
/// are milliseconds since the case started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Measurements {
    /// When the connection opened (the opening handshake completed).
    pub open_ms: Option<u64>,
    /// When the closing handshake completed (both close frames exchanged).
    pub close_done_ms: Option<u64>,
    /// When the message the case checks came back.
    pub echo_ms: Option<u64>,
    /// Pongs that answered the case's ping burst, in order.
    pub pongs: u64,
    /// When the pong answering the burst's last ping arrived.
    pub last_pong_ms: Option<u64>,
    /// The first pong that answers no ping of the burst in order.
    pub pong_mismatch: Option<String>,
    /// The second connection of the case: ms until its echo, or why it got none.
    pub probe: Option<Result<u64, String>>,
    /// The limit the user declared for the peer (`--peer-max-message`).
    pub declared_limit: Option<u64>,
    /// Why the case was not played.
    pub skipped: Option<String>,
}

/// The verdicts of one case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Message-level verdict.
    pub behavior: Behavior,
    /// Closing-handshake verdict.
    pub behavior_close: CloseBehavior,
    /// Autobahn's `result` sentence.
    pub result: String,
    /// Autobahn's `resultClose` sentence.
    pub result_close: String,
    /// Why, in one line.
    pub reason: String,
}

/// One check's outcome before grading (the proxy and HTTP/2 cases): holds, breaks the
/// rule, or could not be looked at (the feature was not negotiated or offered).
pub(crate) enum Finding {
    /// The rule holds.
    Holds(String),
    /// The rule is broken.
    Breaks(String),
    /// The feature the rule is about is not there.
    Unimplemented(String),
}

impl Finding {
    /// The message verdict and its reason: a broken rule is graded by the level of
    /// the case's clause (MUST fails, SHOULD is non-strict, MAY informational).
    pub(crate) fn grade(self, level: Level) -> (Behavior, String) {
        match self {
            Finding::Holds(why) => (Behavior::Ok, why),
            Finding::Unimplemented(why) => (Behavior::Unimplemented, why),
            Finding::Breaks(why) => (
                match level {
                    Level::Must => Behavior::Failed,
                    Level::Should => Behavior::NonStrict,
                    Level::May => Behavior::Informational,
                },
                why,
            ),
        }
    }
}

/// Judges one case from what was observed (either role: the observation says which).
pub fn judge(case: &Case, obs: &Observation) -> Verdict {
    let (behavior, result) = match_events(case, obs);
    let (behavior_close, result_close) = judge_close(case, obs);
    let mut v = Draft {
        behavior,
        result,
        behavior_close,
        result_close,
    };
    if obs.connection_was_open
        && case.expect.close.wrong_endpoint_is_fatal
        && case.expect.close.closed_by_me != obs.closed_by_me
    {
        v.behavior = Behavior::Failed;
    }
    apply_rule(case, obs, &mut v);
    apply_deflate(case, obs, &mut v);
    if let Some(h) = &case.handshake {
        if let Some(verdict) = judge_handshake(case, h, obs) {
            return verdict;
        }
    }
    if let Some(r) = &case.response {
        if r.expect == ResponseExpect::Fail {
            return judge_refused_response(case, obs);
        }
    }
    if let Some(why) = &obs.aborted {
        v.behavior = Behavior::Failed;
        v.result = format!("aborted: {why}");
    }
    if !obs.connection_was_open && v.behavior == Behavior::Ok {
        // Nothing of the case was played: an empty list of events matches an outcome
        // that expects none, but a peer never connected has shown nothing to pass.
        v.behavior = Behavior::Failed;
        v.result = "The WebSocket opening handshake was never completed: no part of the \
                    case could be played."
            .to_string();
    }
    let reason = one_line_reason(
        case,
        obs,
        v.behavior,
        v.behavior_close,
        &v.result,
        &v.result_close,
    );
    Verdict {
        behavior: v.behavior,
        behavior_close: v.behavior_close,
        result: v.result,
        result_close: v.result_close,
        reason,
    }
}

/// The verdicts while the rules of a case are applied to them in turn.
struct Draft {
    behavior: Behavior,
    result: String,
    behavior_close: CloseBehavior,
    result_close: String,
}

/// The message verdict: the label of the first expected outcome whose
/// events equal what was received (Autobahn's rule).
fn match_events(case: &Case, obs: &Observation) -> (Behavior, String) {
    for (label, events) in &case.expect.outcomes {
        if *events == obs.received {
            return (
                *label,
                "Actual events match at least one expected.".to_string(),
            );
        }
    }
    (
        Behavior::Failed,
        "Actual events differ from any expected.".to_string(),
    )
}

/// The close verdict, checked in Autobahn's order: who closed first, a
/// required clean close, the close code, and who dropped TCP.
fn judge_close(case: &Case, obs: &Observation) -> (CloseBehavior, String) {
    if !obs.connection_was_open {
        return (
            CloseBehavior::Failed,
            "The WebSocket opening handshake was never completed!".to_string(),
        );
    }
    let close = &case.expect.close;
    if close.closed_by_me != obs.closed_by_me {
        (
            CloseBehavior::Failed,
            "The connection was failed by the wrong endpoint".to_string(),
        )
    } else if close.require_clean && !obs.was_clean {
        (
            CloseBehavior::Unclean,
            "The spec requires the connection to be failed cleanly here".to_string(),
        )
    } else if obs
        .remote_close_code
        .is_some_and(|c| !close.codes.contains(&c))
    {
        let codes: Vec<String> = close.codes.iter().map(u16::to_string).collect();
        (
            CloseBehavior::WrongCode,
            format!(
                "The close code should have been {} or empty",
                codes.join(",")
            ),
        )
    } else if !obs.is_server && obs.dropped_by_me {
        (
            CloseBehavior::FailedByClient,
            "It is preferred that the server close the TCP connection".to_string(),
        )
    } else {
        (
            CloseBehavior::Ok,
            "Connection was properly closed".to_string(),
        )
    }
}

/// The case's verdict rule applied to the draft.
fn apply_rule(case: &Case, obs: &Observation, v: &mut Draft) {
    match &case.expect.rule {
        VerdictRule::Events => {}
        VerdictRule::Measured(_) if !obs.connection_was_open => {}
        VerdictRule::Measured(m) => {
            let (b, text, close) = crate::run::judge_measured(case, m, obs);
            v.behavior = b;
            v.result = text;
            if let Some((c, why)) = close {
                v.behavior_close = c;
                v.result_close = why;
            }
        }
        VerdictRule::WrongCodeIsFatal => {
            if v.behavior_close == CloseBehavior::WrongCode {
                v.behavior = Behavior::Failed;
                v.result = v.result_close.clone();
            }
        }
        VerdictRule::Informational => {
            v.result = match v.behavior {
                Behavior::Ok => "The peer did what the first expected outcome says.".to_string(),
                Behavior::NonStrict => {
                    "The peer did what the second expected outcome says.".to_string()
                }
                _ => "Actual events are left open by the spec.".to_string(),
            };
            v.behavior = Behavior::Informational;
            v.behavior_close = CloseBehavior::Informational;
        }
        VerdictRule::CompressedEchoes if matches!(obs.deflate, Some(Err(_))) => {
            // Autobahn: a peer that does not negotiate the extension has not implemented it.
            v.behavior = Behavior::Unimplemented;
            if let Some(Err(why)) = &obs.deflate {
                v.result = why.clone();
            }
        }
        VerdictRule::Echo { .. } | VerdictRule::RoundTrips | VerdictRule::CompressedEchoes => {
            apply_echoes(case, obs, v)
        }
        VerdictRule::Report => {
            v.result = describe_reaction(case, obs);
            v.behavior = Behavior::Informational;
            v.behavior_close = CloseBehavior::Informational;
        }
        VerdictRule::AutoFragment { fragment, len } => {
            let want_cont = (len / fragment) as u64;
            let want_text = u64::from(len % fragment > 0);
            let got_cont = obs.tx_frame_stats.get(&0).copied().unwrap_or(0);
            let got_text = obs.tx_frame_stats.get(&1).copied().unwrap_or(0);
            if obs.connection_was_open && (got_cont, got_text) != (want_cont, want_text) {
                v.behavior = Behavior::Failed;
                v.result = format!(
                    "Frames sent (continuation {got_cont}, text {got_text}) differ from auto-fragmentation (continuation {want_cont}, text {want_text})."
                );
            }
        }
    }
}

/// The echo rules (9.x, 12.x/13.x and the single echo): the player's own
/// comparison of each echo decides.
fn apply_echoes(case: &Case, obs: &Observation, v: &mut Draft) {
    match &obs.perf {
        Some((passed, why)) => {
            v.behavior = if *passed {
                Behavior::Ok
            } else {
                Behavior::Failed
            };
            v.result = why.clone();
        }
        None => {
            v.behavior = Behavior::Failed;
            let (crate::model::Ending::CloseAfter(d) | crate::model::Ending::KillAfter(d)) =
                case.ending;
            let compressed = case.expect.rule == VerdictRule::CompressedEchoes;
            v.result = match (peer_ended_first(case, obs), compressed) {
                (Some(first), true) => format!("{}, before the case finished.", capital(&first)),
                (Some(first), false) => format!("{}, before the echo.", capital(&first)),
                (None, true) => format!("Case did not finish within {} seconds.", d.as_secs()),
                (None, false) => {
                    format!("Did not receive the echo within {} seconds.", d.as_secs())
                }
            };
        }
    }
}

/// permessage-deflate cases: a refused handshake over a valid offer, and a
/// peer that did not negotiate the extension.
fn apply_deflate(case: &Case, obs: &Observation, v: &mut Draft) {
    if let (Some(_), None, Some(status)) = (&case.deflate, &case.handshake, obs.handshake_status) {
        if case.expect.rule != VerdictRule::CompressedEchoes
            && !obs.connection_was_open
            && (400..600).contains(&status)
        {
            // RFC 7692 §7: an offer the server does not support is declined (the
            // connection goes on without the extension). Refusing the whole
            // handshake breaks no MUST, but it is not what the RFC asks.
            v.behavior = Behavior::NonStrict;
            v.behavior_close = CloseBehavior::Ok;
            v.result = format!(
                "The server refused the opening handshake ({status}) instead of declining the \
                 permessage-deflate offer."
            );
        }
    }
    if let (Some(_), Some(Err(why))) = (&case.deflate, &obs.deflate) {
        // Autobahn: a peer that does not negotiate the extension has not
        // implemented it, and the case is not played (the suite closes normally).
        v.behavior = Behavior::Unimplemented;
        v.result = why.clone();
        if obs.closed_by_me && obs.was_clean {
            v.behavior_close = CloseBehavior::Ok;
        }
    }
}

/// The verdict in one line, starting with what happened first: the peer's close
/// or drop where the suite was to close, then what the message verdict saw, then the
/// closing handshake, then any protocol violation of the peer.
fn one_line_reason(
    case: &Case,
    obs: &Observation,
    behavior: Behavior,
    behavior_close: CloseBehavior,
    result: &str,
    result_close: &str,
) -> String {
    let mut parts = Vec::new();
    let first = peer_ended_first(case, obs);
    if behavior == Behavior::Failed || behavior == Behavior::NonStrict {
        if let Some(why) = &obs.aborted {
            parts.push(format!("aborted ({why})"));
        } else if !obs.connection_was_open {
            parts.push(
                obs.was_not_clean_reason
                    .clone()
                    .unwrap_or_else(|| "opening handshake never completed".into()),
            );
        } else {
            parts.extend(first.clone());
            parts.push(message_part(case, obs, result, first.is_some()));
        }
    }
    if !matches!(
        behavior_close,
        CloseBehavior::Ok | CloseBehavior::Informational
    ) {
        let mut s = result_close.to_string();
        match obs.remote_close_code {
            // Said already, first.
            Some(_) if first.is_some() && parts.len() > 1 => {}
            Some(c) => s.push_str(&format!(
                " (peer's close code {})",
                describe_close(Some(c), obs.remote_close_reason.as_deref())
            )),
            None if !obs.received_close => s.push_str(" (no close frame from the peer)"),
            None => {}
        }
        if let Some(why) = &obs.was_not_clean_reason {
            s.push_str(&format!("; {why}"));
        }
        parts.push(s);
    }
    if let Some(v) = &obs.peer_violation {
        parts.push(format!("peer violation: {v}"));
    }
    if parts.is_empty() {
        result.to_string()
    } else {
        parts.join("; ")
    }
}

/// What the message verdict saw, for the one-line reason of an open connection.
fn message_part(case: &Case, obs: &Observation, result: &str, peer_ended: bool) -> String {
    let echo_rule = matches!(
        case.expect.rule,
        VerdictRule::Echo { .. } | VerdictRule::RoundTrips | VerdictRule::CompressedEchoes
    );
    if obs.perf.is_none() && echo_rule && peer_ended {
        "no echo came before it".into()
    } else if obs.perf.is_some()
        || echo_rule
        || matches!(case.expect.rule, VerdictRule::Measured(_))
    {
        result.to_string()
    } else {
        format!(
            "received {} where {} expected",
            describe_events(&obs.received),
            case.expect
                .outcomes
                .first()
                .map(|(_, e)| describe_events(e))
                .unwrap_or_else(|| "nothing".into())
        )
    }
}

/// The peer's close or drop, with code, reason and when, if it ended the connection
/// where the case has the suite close first: that is what happened first, and what the
/// rest of a failure follows from.
fn peer_ended_first(case: &Case, obs: &Observation) -> Option<String> {
    if !obs.connection_was_open || obs.closed_by_me || !case.expect.close.closed_by_me {
        return None;
    }
    let after = |ms: Option<u64>| ms.map(|ms| format!(" after {ms} ms")).unwrap_or_default();
    if obs.received_close {
        Some(format!(
            "the peer closed first, with {},{}",
            describe_close(obs.remote_close_code, obs.remote_close_reason.as_deref()),
            after(obs.peer_close_ms)
        ))
    } else {
        obs.peer_dropped_ms.map(|ms| {
            format!(
                "the peer dropped the connection{} without a close frame",
                after(Some(ms))
            )
        })
    }
}

/// A close frame's code and reason as a reader wants them: `1008 "too many
/// fragments"`, `1000`, `no code`.
fn describe_close(code: Option<u16>, reason: Option<&str>) -> String {
    match (code, reason.filter(|r| !r.is_empty())) {
        (Some(c), Some(r)) => format!("{c} {r:?}"),
        (Some(c), None) => c.to_string(),
        (None, _) => "no code".into(),
    }
}

/// `s` with its first letter in capitals, for a sentence that starts with it.
fn capital(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A short description of an event list, for one-line reasons.
pub fn describe_events(events: &[Event]) -> String {
    if events.is_empty() {
        return "nothing".into();
    }
    let items: Vec<String> = events
        .iter()
        .take(4)
        .map(|e| match e {
            Event::Message { payload, binary } => format!(
                "{} message ({} bytes)",
                if *binary { "binary" } else { "text" },
                payload.len()
            ),
            Event::Ping(p) => format!("ping ({} bytes)", p.len()),
            Event::Pong(p) => format!("pong ({} bytes)", p.len()),
            Event::Timeout(t) => format!("pause {t} passed"),
        })
        .collect();
    let more = if events.len() > 4 {
        format!(" and {} more", events.len() - 4)
    } else {
        String::new()
    };
    format!("[{}{}]", items.join(", "), more)
}

/// What the peer did, in one sentence, for cases whose outcome the RFC
/// leaves open: what it sent back, how and when it closed, what the suite
/// had to fail.
fn describe_reaction(case: &Case, obs: &Observation) -> String {
    if !obs.connection_was_open {
        return "The opening handshake never completed.".to_string();
    }
    let mut parts = Vec::new();
    if !obs.received.is_empty() {
        let more = if obs.received_unrecorded > 0 {
            format!(" (and {} more events)", obs.received_unrecorded)
        } else {
            String::new()
        };
        parts.push(format!(
            "the peer sent back {}{more}",
            describe_events(&obs.received)
        ));
    }
    if let Some(v) = &obs.peer_violation {
        let code = obs
            .local_close_code
            .map(|c| format!(" with {c}"))
            .unwrap_or_default();
        parts.push(format!("the suite failed the connection{code}: {v}"));
    }
    match (obs.received_close, obs.closed_by_me) {
        (true, false) => {
            let code = obs
                .remote_close_code
                .map(|c| format!("code {c}"))
                .unwrap_or_else(|| "no code".into());
            let reason = obs
                .remote_close_reason
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r:?})"))
                .unwrap_or_default();
            let at = obs
                .peer_close_ms
                .map(|ms| format!(" after {ms} ms"))
                .unwrap_or_default();
            parts.push(format!("the peer closed with {code}{reason}{at}"));
        }
        (_, true) if obs.peer_violation.is_none() => {
            let limit = match case.ending {
                crate::model::Ending::KillAfter(d) | crate::model::Ending::CloseAfter(d) => {
                    d.as_millis()
                }
            };
            parts.push(format!(
                "the peer did not close within {limit} ms, so the suite closed"
            ));
        }
        _ => {}
    }
    if !obs.received_close && !obs.dropped_by_me {
        if let Some(ms) = obs.peer_dropped_ms {
            parts.push(format!(
                "the peer dropped the TCP connection after {ms} ms without a close frame"
            ));
        }
    }
    if parts.is_empty() {
        return "The peer did nothing the suite could observe.".to_string();
    }
    let mut text = parts.join("; ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text.push('.');
    text
}

/// The verdict a deviation earns from the level of the clause it breaks.
pub(crate) fn by_level(case: &Case) -> Behavior {
    match case.rfc.first().map(|r| r.level) {
        Some(Level::Must) | None => Behavior::Failed,
        Some(Level::Should) => Behavior::NonStrict,
        Some(Level::May) => Behavior::Informational,
    }
}

/// What the server answered, in a few words.
fn describe_answer(obs: &Observation) -> String {
    match (obs.handshake_status, &obs.handshake_error) {
        (Some(101), None) => "accepted it (101)".to_string(),
        (Some(101), Some(e)) => format!("answered 101 with an invalid response ({e})"),
        (Some(s), _) => format!("answered {s}"),
        (None, Some(e)) => format!("answered something else ({e})"),
        (None, None) => match obs.peer_dropped_during_handshake_ms {
            Some(ms) => format!("closed the connection after {ms} ms without answering"),
            None => "never answered".to_string(),
        },
    }
}

/// Opening-handshake cases (section 0): the answer to the request decides,
/// graded by the requirement level the case cites. `None` when the case got
/// past the handshake as expected and the ordinary rules apply.
/// Client-side handshake cases (RFC 6455 §4.1): the client must fail the
/// connection on an invalid response, which means closing TCP without using it.
fn judge_refused_response(case: &Case, obs: &Observation) -> Verdict {
    let (behavior, behavior_close, result) = if !obs.received.is_empty() {
        (
            by_level(case),
            CloseBehavior::Failed,
            format!(
                "The client accepted the invalid response: it sent back {}.",
                describe_events(&obs.received)
            ),
        )
    } else if let Some(violation) = &obs.peer_violation {
        // §7.1.7: failing means closing TCP; a client that goes on writing (e.g. reusing
        // the connection for its next HTTP request) did not.
        (
            by_level(case),
            CloseBehavior::Failed,
            format!(
                "The client did not fail the connection: it went on sending on it, which the \
                 suite read as frames ({violation})."
            ),
        )
    } else if obs.received_close {
        // Not required before the connection is established (§7.1.7), and harmless:
        // the client still refused to use the connection.
        let code = obs
            .remote_close_code
            .map(|c| format!(" with code {c}"))
            .unwrap_or_default();
        (
            Behavior::Ok,
            CloseBehavior::Ok,
            format!(
                "The client failed the connection: it sent a Close frame{code} and never used \
                 the connection."
            ),
        )
    } else if let Some(ms) = obs.peer_dropped_ms.filter(|_| !obs.dropped_by_me) {
        (
            Behavior::Ok,
            CloseBehavior::Ok,
            format!(
                "The client failed the connection: it closed TCP {ms} ms into the case and never \
                 used the connection."
            ),
        )
    } else if let Some(why) = &obs.aborted {
        (
            by_level(case),
            CloseBehavior::Failed,
            format!("The client did not fail the connection: the case was aborted ({why})."),
        )
    } else {
        (
            by_level(case),
            CloseBehavior::Failed,
            "The client did not fail the connection: it kept TCP open until the suite dropped \
             it."
            .to_string(),
        )
    };
    let result_close = if behavior_close == CloseBehavior::Ok {
        "The client closed the connection as it must".to_string()
    } else {
        "The client did not close the connection as it must".to_string()
    };
    Verdict {
        behavior,
        behavior_close,
        reason: result.clone(),
        result,
        result_close,
    }
}

fn judge_handshake(case: &Case, h: &HandshakeCase, obs: &Observation) -> Option<Verdict> {
    let answer = describe_answer(obs);
    match &h.expect {
        HandshakeExpect::Accept => {
            if obs.connection_was_open {
                None
            } else {
                verdict(
                    by_level(case),
                    CloseBehavior::Failed,
                    format!("The request is valid and must be accepted, but the server {answer}."),
                )
            }
        }
        HandshakeExpect::NotUpgraded => {
            if obs.connection_was_open || obs.handshake_status == Some(101) {
                verdict(
                    by_level(case),
                    CloseBehavior::Failed,
                    format!("The request is not a WebSocket handshake, but the server {answer}."),
                )
            } else {
                verdict(
                    Behavior::Ok,
                    CloseBehavior::Ok,
                    format!("The server did not upgrade: it {answer}."),
                )
            }
        }
        HandshakeExpect::Refuse {
            status,
            also,
            header,
        } => judge_refusal(case, obs, status, also, header, &answer),
        HandshakeExpect::Report => {
            let mut text = format!("The server {answer}");
            if obs.connection_was_open {
                text.push_str("; the suite then closed normally");
            } else if obs.aborted.is_some() || obs.was_open_handshake_timeout {
                if let Some(ms) = obs.handshake_ms.or(obs.peer_dropped_during_handshake_ms) {
                    text.push_str(&format!(" after {ms} ms"));
                } else {
                    text.push_str(" while the suite waited, and kept the connection open until the suite gave up");
                }
            }
            text.push('.');
            verdict(Behavior::Informational, CloseBehavior::Informational, text)
        }
        HandshakeExpect::Decline(name) => judge_decline(case, obs, name, &answer),
    }
}

/// A handshake case's verdict; the close verdict says whether the connection
/// ended as the handshake requires.
fn verdict(behavior: Behavior, close: CloseBehavior, result: String) -> Option<Verdict> {
    let reason = result.clone();
    Some(Verdict {
        behavior,
        behavior_close: close,
        result,
        result_close: if close == CloseBehavior::Ok {
            "The connection ended as the handshake requires".to_string()
        } else {
            "The connection did not end as the handshake requires".to_string()
        },
        reason,
    })
}

/// `HandshakeExpect::Refuse`: an HTTP error is due, with the status (or one
/// of `also`) and the header the RFC names.
fn judge_refusal(
    case: &Case,
    obs: &Observation,
    status: &Option<u16>,
    also: &[u16],
    header: &Option<(&'static str, &'static str)>,
    answer: &str,
) -> Option<Verdict> {
    if obs.connection_was_open || obs.handshake_status == Some(101) {
        return verdict(
            by_level(case),
            CloseBehavior::Failed,
            format!("The request is invalid and must be refused, but the server {answer}."),
        );
    }
    let Some(got) = obs.handshake_status else {
        if obs.peer_dropped_during_handshake_ms.is_none() && obs.handshake_error.is_none() {
            return verdict(
                by_level(case),
                CloseBehavior::Failed,
                format!("The request is invalid and must be refused with an HTTP error, but the server {answer}."),
            );
        }
        return verdict(
            Behavior::NonStrict,
            CloseBehavior::Ok,
            format!("The server refused the request but sent no HTTP error status: it {answer}."),
        );
    };
    if (500..600).contains(&got) && !also.contains(&got) {
        return verdict(
            Behavior::NonStrict,
            CloseBehavior::Ok,
            format!("The server refused the request with {got}, a server error rather than a 4xx client error."),
        );
    }
    if !(400..600).contains(&got) {
        return verdict(
            by_level(case),
            CloseBehavior::Ok,
            format!("The server answered {got}, not an HTTP error, to an invalid request."),
        );
    }
    if let Some(want) = status {
        if got != *want && !also.contains(&got) {
            return verdict(
                Behavior::NonStrict,
                CloseBehavior::Ok,
                format!("The server refused the request with {got}; the RFC names {want}."),
            );
        }
    }
    if let Some((name, value)) = header {
        let present = obs.handshake_headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(name)
                && v.split(',').any(|t| t.trim().eq_ignore_ascii_case(value))
        });
        if !present {
            return verdict(
                Behavior::NonStrict,
                CloseBehavior::Ok,
                format!("The server refused the request with {got} but without {name}: {value}."),
            );
        }
    }
    verdict(
        Behavior::Ok,
        CloseBehavior::Ok,
        format!("The server refused the request with {got}."),
    )
}

/// `HandshakeExpect::Decline`: the server declines the extension offer (or
/// refuses the whole handshake).
fn judge_decline(case: &Case, obs: &Observation, name: &str, answer: &str) -> Option<Verdict> {
    let accepted: Vec<&str> = obs
        .handshake_headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-extensions"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|e| {
            e.split(';')
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
        })
        .collect();
    if obs.handshake_status == Some(101) && !accepted.is_empty() {
        return verdict(
            by_level(case),
            CloseBehavior::Failed,
            format!(
                "The offer must be declined, but the server accepted it: \
                 Sec-WebSocket-Extensions: {}.",
                accepted.join(", ")
            ),
        );
    }
    if obs.connection_was_open {
        // Declined: the script's echo decides, as in any case.
        return None;
    }
    match obs.handshake_status {
        Some(s) if (400..600).contains(&s) => verdict(
            Behavior::Ok,
            CloseBehavior::Ok,
            format!("The server refused the whole handshake ({s}), which declines the offer too."),
        ),
        _ if obs.handshake_status.is_none()
            && obs.handshake_error.is_none()
            && obs.peer_dropped_during_handshake_ms.is_some() =>
        {
            verdict(
                Behavior::NonStrict,
                CloseBehavior::Ok,
                format!("The server refused the handshake without an HTTP error: it {answer}."),
            )
        }
        _ => verdict(
            by_level(case),
            CloseBehavior::Failed,
            format!(
                "The server must decline the offer (or refuse the handshake), but it {answer}."
            ),
        ),
    }
}
