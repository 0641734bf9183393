//! The client-side RFC 8441 cases (20.4.x) on a stream of `serve --http2`: the
//! server does what the case names (refuses, resets) and records what the client
//! did next; ws-cases judges it ([`ws_cases::http2::judge_client`]).

use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_cases::http2::{
    judge_client, refusal_body, reset_fragment, AfterReset, ClientObservation, H2Case, H2Check,
    StreamEnd,
};
use ws_cases::run::RunOutcome;
use ws_cases::Case;

use super::{response, Served};
use crate::http2::H2Io;

/// How long the client has to show what it does with a refused stream, and (20.4.2)
/// to open its next stream or end its connection. Both verdicts are decided by the
/// client's next event; the wait only bounds a client that does nothing.
const WAIT: Duration = Duration::from_secs(5);

/// The client-side section-20 case with this catalogue entry, if it is one. The
/// section is built once: every case a client plays is looked up here.
pub(in crate::serve) fn lookup(case: &Case) -> Option<H2Case> {
    static CLIENT_SIDE: OnceLock<Vec<H2Case>> = OnceLock::new();
    CLIENT_SIDE
        .get_or_init(|| {
            ws_cases::catalogue::http2_cases()
                .into_iter()
                .filter(|c| c.check.client_side())
                .collect()
        })
        .iter()
        .find(|c| c.case.id == case.id)
        .cloned()
}

/// Plays `h2case` on the stream and judges it.
pub(super) async fn play(h2case: &H2Case, s: Served<'_>) -> RunOutcome {
    let obs = match h2case.check {
        H2Check::RefusalUnused => refuse(s).await.unwrap_or_else(could_not_answer),
        H2Check::ResetByServer => reset(s).await.unwrap_or_else(could_not_answer),
        H2Check::SettingHonoured => without_setting(s).await,
        // Cases about servers, played by `run --http2` (`lookup` finds none of them):
        // refused, and judged not applicable.
        H2Check::AdvertisesSetting
        | H2Check::Accepts { .. }
        | H2Check::BeforeSettings
        | H2Check::Refuses(_)
        | H2Check::EndStreamAfterClose
        | H2Check::ResetMidMessage
        | H2Check::FlowControl { .. }
        | H2Check::StreamsIndependent => {
            super::refuse(s.respond, s.body, 501, "a case for run --http2").await;
            ClientObservation::default()
        }
    };
    RunOutcome::judged(judge_client(h2case, &obs))
}

/// Answers the client's CONNECT with `status`, leaving the stream open for a body:
/// the stream as bytes, or why the answer could not be sent.
fn answer(mut s: Served<'_>, status: u16, headers: &[(String, String)]) -> Result<H2Io, String> {
    let send = s
        .respond
        .send_response(response(status, headers), false)
        .map_err(|e| crate::http2::reason(&e))?;
    Ok(H2Io::new(send, s.body))
}

/// The observation of a case whose answer could not be sent.
fn could_not_answer(why: String) -> ClientObservation {
    ClientObservation {
        failure: Some(why),
        ..ClientObservation::default()
    }
}

/// 20.4.1: 403 with a WebSocket text frame as its body, then what the client sends.
async fn refuse(s: Served<'_>) -> Result<ClientObservation, String> {
    let headers = [(
        "content-type".to_string(),
        "application/octet-stream".to_string(),
    )];
    let mut io = answer(s, 403, &headers)?;
    // END_STREAM after the body: a client taking it as a WebSocket still has its own
    // side open to echo on.
    let _ = io.write_all(&refusal_body()).await;
    let _ = io.shutdown().await;
    let (sent, end) = read_until_end(&mut io).await;
    Ok(ClientObservation {
        sent,
        end: Some(end),
        ..ClientObservation::default()
    })
}

/// 20.4.3: the client sent an extended CONNECT; whether the setting had gone out
/// decides the verdict. Without it the request is malformed (RFC 8441 §3, RFC 9113
/// §8.1.1): the stream is reset with PROTOCOL_ERROR, as a server without RFC 8441
/// would; with it the case does not apply and the answer says how to judge it.
async fn without_setting(s: Served<'_>) -> ClientObservation {
    let advertised = s.link.advertised;
    if advertised {
        let why = "20.4.3 needs serve --http2 --http2-without-setting";
        super::refuse(s.respond, s.body, 501, why).await;
    } else {
        let mut respond = s.respond;
        respond.send_reset(h2::Reason::PROTOCOL_ERROR);
    }
    ClientObservation {
        advertised,
        ..ClientObservation::default()
    }
}

/// Reads the client's side of the stream until it ends (or [`WAIT`]): the bytes it
/// sent and how it ended.
async fn read_until_end(io: &mut H2Io) -> (usize, StreamEnd) {
    let mut sent = 0;
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, io.read(&mut buf)).await {
            Ok(Ok(0)) => return (sent, io.ended.clone().unwrap_or(StreamEnd::EndStream)),
            Ok(Ok(n)) => sent += n,
            Ok(Err(e)) => {
                let end = io.ended.clone();
                return (sent, end.unwrap_or(StreamEnd::Reset(e.to_string())));
            }
            Err(_) => return (sent, StreamEnd::StillOpen),
        }
    }
}

/// 20.4.2: a 200, the first fragment of a text message, RST_STREAM (CANCEL); then
/// whichever comes first on the connection: a new stream, or its end.
async fn reset(s: Served<'_>) -> Result<ClientObservation, String> {
    let mut state = s.link.state.subscribe();
    let mine = s.stream_id;
    let mut io = answer(s, 200, &[])?;
    let _ = io.write_all(&reset_fragment()).await;
    let _ = io.flush().await;
    io.reset(h2::Reason::CANCEL);
    let next = state.wait_for(|st| st.last_stream > mine || st.ended.is_some());
    let after_reset = match tokio::time::timeout(WAIT, next).await {
        Ok(Ok(st)) => match (&st.ended, st.last_stream) {
            (_, id) if id > mine => AfterReset::NextStream(id),
            (Some(why), _) => AfterReset::ConnectionEnded(why.clone()),
            _ => AfterReset::StillOpen,
        },
        Ok(Err(_)) => AfterReset::ConnectionEnded("closed".into()),
        Err(_) => AfterReset::StillOpen,
    };
    Ok(ClientObservation {
        after_reset: Some(after_reset),
        ..ClientObservation::default()
    })
}
