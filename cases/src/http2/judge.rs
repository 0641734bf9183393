//! Grading a section-20 case from what the transport saw.

use ws_spec::extended_connect;
use ws_spec::rfc::Level;

use super::{AfterReset, ClientObservation, H2Answer, H2Case, H2Check, H2Observation, StreamEnd};
use crate::judge::{Finding, Verdict};
use crate::model::{Behavior, CloseBehavior};

/// Judges `case` from `obs`. The level of the case's first clause grades a broken
/// rule; a server without the extended CONNECT leaves every case but 20.1.1
/// UNIMPLEMENTED, as Autobahn grades a feature the peer does not offer.
pub fn judge(case: &H2Case, obs: &H2Observation) -> Verdict {
    if case.check.client_side() {
        return informational(
            "Not applicable in `run`: the case is about what an HTTP/2 client does; `serve --http2` plays it.",
        );
    }
    let level = case.case.rfc.first().map_or(Level::Must, |r| r.level);
    let finding = match (&obs.failure, obs.setting, &case.check) {
        (Some(why), _, _) => Finding::Breaks(format!("the case could not run: {why}")),
        (None, Some(true), H2Check::AdvertisesSetting) => {
            Finding::Holds("The server's SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.".into())
        }
        (None, _, H2Check::AdvertisesSetting) => Finding::Breaks(
            "The server's SETTINGS do not enable the extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL is not 1).".into(),
        ),
        (None, Some(true), check) => check_case(check, obs),
        (None, _, _) => Finding::Unimplemented(
            "The server does not offer the extended CONNECT (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1): not played.".into(),
        ),
    };
    graded(finding, level)
}

/// Judges a client-side case (`serve --http2`) from what the client did.
pub fn judge_client(case: &H2Case, obs: &ClientObservation) -> Verdict {
    let level = case.case.rfc.first().map_or(Level::Must, |r| r.level);
    let finding = match (&obs.failure, &case.check) {
        (Some(why), _) => Finding::Breaks(format!("the case could not run: {why}")),
        (None, H2Check::RefusalUnused) => refusal_unused(obs),
        (None, H2Check::ResetByServer) => reset_by_server(obs),
        (None, H2Check::SettingHonoured) if obs.advertised => {
            return informational(SETTING_ADVERTISED)
        }
        (None, H2Check::SettingHonoured) => Finding::Breaks(
            "The client sent an extended CONNECT (:protocol) though the server's SETTINGS did not carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.".into(),
        ),
        (None, _) => {
            return informational("Not applicable in `serve`: the case is about HTTP/2 servers.")
        }
    };
    graded(finding, level)
}

/// Why 20.4.3 is not judged when the server advertised the setting.
const SETTING_ADVERTISED: &str = "Not applicable: the setting was advertised; run serve with --http2-without-setting to judge this case.";

/// The verdict of a client-side case whose client came over HTTP/1.1 to a server
/// that `advertised` SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 over HTTP/2 or not. Only
/// 20.4.3 is about that choice: without the setting, HTTP/1.1 is what the client
/// must do. The other cases are about an HTTP/2 stream, so there is nothing to judge.
pub fn client_side_over_http1(case: &H2Case, advertised: bool) -> Verdict {
    match (&case.check, advertised) {
        (H2Check::SettingHonoured, false) => {
            let level = case.case.rfc.first().map_or(Level::Must, |r| r.level);
            graded(
                Finding::Holds(
                    "Without SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 the client opened its WebSocket over HTTP/1.1, not with an extended CONNECT.".into(),
                ),
                level,
            )
        }
        (H2Check::SettingHonoured, true) => informational(SETTING_ADVERTISED),
        _ => informational(
            "Not applicable over HTTP/1.1: the case is about what an HTTP/2 client does on its extended CONNECT stream.",
        ),
    }
}

fn informational(why: &str) -> Verdict {
    Verdict {
        behavior: Behavior::Informational,
        behavior_close: CloseBehavior::Informational,
        result: why.into(),
        result_close: why.into(),
        reason: why.into(),
    }
}

fn end_text(end: &Option<StreamEnd>) -> String {
    match end {
        Some(StreamEnd::EndStream) => "ended the stream (END_STREAM)".into(),
        Some(StreamEnd::Reset(code)) => format!("reset the stream ({code})"),
        Some(StreamEnd::ConnectionClosed(why)) => format!("ended the connection ({why})"),
        Some(StreamEnd::StillOpen) | None => "left the stream open".into(),
    }
}

fn refusal_unused(obs: &ClientObservation) -> Finding {
    if obs.sent > 0 {
        return Finding::Breaks(format!(
            "The client sent {} bytes on a stream refused with 403: it took the refusal's body as a WebSocket; then it {}.",
            obs.sent,
            end_text(&obs.end)
        ));
    }
    Finding::Holds(format!(
        "No frame on the refused stream: the client {}.",
        end_text(&obs.end)
    ))
}

fn reset_by_server(obs: &ClientObservation) -> Finding {
    match &obs.after_reset {
        Some(AfterReset::NextStream(id)) => Finding::Holds(format!(
            "After the reset the client's next request came on stream {id} of the same connection."
        )),
        Some(AfterReset::ConnectionEnded(why)) => Finding::Breaks(format!(
            "The client's HTTP/2 connection ended after one of its streams was reset ({why})."
        )),
        Some(AfterReset::StillOpen) | None => Finding::Holds(
            "The client's HTTP/2 connection stayed open after the reset (no next request came within the wait).".into(),
        ),
    }
}

fn graded(finding: Finding, level: Level) -> Verdict {
    let (behavior, reason) = finding.grade(level);
    // The closing handshake is judged by the cases that look at it (20.3.1); the
    // others carry their message verdict's grade in neither direction.
    let behavior_close = match behavior {
        Behavior::Failed => CloseBehavior::Failed,
        Behavior::Ok => CloseBehavior::Ok,
        _ => CloseBehavior::Informational,
    };
    Verdict {
        behavior,
        behavior_close,
        result: reason.clone(),
        result_close: reason.clone(),
        reason,
    }
}

fn check_case(check: &H2Check, obs: &H2Observation) -> Finding {
    match check {
        H2Check::AdvertisesSetting => {
            Finding::Holds("SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.".into())
        }
        H2Check::Accepts { subprotocols } => accepted(obs, subprotocols),
        H2Check::BeforeSettings => accepted(obs, &[]),
        H2Check::Refuses(_) => refused(obs),
        H2Check::EndStreamAfterClose => ended(obs),
        H2Check::ResetMidMessage | H2Check::FlowControl { .. } | H2Check::StreamsIndependent => {
            echoed(obs)
        }
        H2Check::RefusalUnused | H2Check::ResetByServer | H2Check::SettingHonoured => {
            Finding::Breaks("a client-side case reached the server-side judge".into())
        }
    }
}

fn answer_text(answer: &Option<H2Answer>) -> String {
    answer
        .as_ref()
        .map_or("no answer".into(), H2Answer::describe)
}

fn accepted(obs: &H2Observation, subprotocols: &[&str]) -> Finding {
    let Some(H2Answer::Status { status, headers }) = &obs.answer else {
        return Finding::Breaks(format!(
            "A well-formed extended CONNECT got {}, not a 2xx response.",
            answer_text(&obs.answer)
        ));
    };
    let offered: Vec<String> = subprotocols.iter().map(|s| s.to_string()).collect();
    let extensions = vec![ws_spec::deflate::EXTENSION_NAME.to_string()];
    match extended_connect::validate_response(*status, headers, &offered, &extensions) {
        Ok(a) => Finding::Holds(format!(
            "Answered {status}; subprotocol {}, extensions [{}].",
            a.subprotocol.as_deref().unwrap_or("none"),
            a.extensions
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => Finding::Breaks(format!("The answer is not a valid acceptance: {e}.")),
    }
}

fn refused(obs: &H2Observation) -> Finding {
    match &obs.answer {
        Some(H2Answer::Status { status, .. }) if (200..300).contains(status) => Finding::Breaks(
            format!("Accepted with {status}: the request must be refused."),
        ),
        Some(H2Answer::Nothing) | None => {
            Finding::Breaks("No answer: neither a refusal nor a reset of the stream.".into())
        }
        Some(H2Answer::ConnectionClosed(why)) => Finding::Holds(format!(
            "Refused by ending the whole connection ({why}); 20.3.4 judges that."
        )),
        other => Finding::Holds(format!("Refused with {}.", answer_text(other))),
    }
}

fn ended(obs: &H2Observation) -> Finding {
    if !matches!(obs.answer, Some(H2Answer::Status { status, .. }) if (200..300).contains(&status))
    {
        return Finding::Breaks(format!(
            "The WebSocket did not open: {}.",
            answer_text(&obs.answer)
        ));
    }
    match (&obs.end, obs.close_frame) {
        (Some(StreamEnd::EndStream), true) => Finding::Holds(
            "The server answered the close frame and ended its stream with END_STREAM.".into(),
        ),
        (end, close) => Finding::Breaks(format!(
            "{}; the stream {}.",
            if close {
                "The close frame was answered"
            } else {
                "No close frame came back"
            },
            match end {
                Some(StreamEnd::EndStream) => "ended with END_STREAM".to_string(),
                Some(StreamEnd::Reset(code)) => format!("was reset ({code}) instead of ended"),
                Some(StreamEnd::ConnectionClosed(why)) =>
                    format!("died with the connection ({why})"),
                Some(StreamEnd::StillOpen) | None => "was never ended".to_string(),
            }
        )),
    }
}

fn echoed(obs: &H2Observation) -> Finding {
    match &obs.echo {
        Some(Ok(what)) => Finding::Holds(what.clone()),
        Some(Err(why)) => Finding::Breaks(why.clone()),
        None => Finding::Breaks(format!(
            "The WebSocket did not open: {}.",
            answer_text(&obs.answer)
        )),
    }
}
