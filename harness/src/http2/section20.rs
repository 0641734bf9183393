//! Plays the section-20 cases (RFC 8441 on the HTTP/2 layer): each check's
//! exchange on connections of its own, filling the observation ws-cases judges.

use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_cases::http2::{
    edit_request, ConnectEdit, H2Answer, H2Case, H2Check, H2Observation, StreamEnd,
};
use ws_cases::run::RunOutcome;
use ws_cases::Case;
use ws_spec::extended_connect::ConnectRequest;
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder, Opcode};

use super::{connect_with, rewrite, H2Connection, H2Io, OpenFailure, Options, Pool};
use crate::runner::{CaseRecord, RunSettings};
use crate::target::Target;

/// How long an answer, an echo or the end of a stream may take.
const WAIT: Duration = Duration::from_secs(5);
/// How long 20.3.1 waits for the server to end its stream.
const END_WAIT: Duration = Duration::from_secs(2);
/// How long 20.3.3 reads nothing.
const STALL: Duration = Duration::from_secs(1);
/// The masking key of every frame the suite sends here.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The section-20 case with this catalogue entry, if it is one.
pub fn lookup(case: &Case) -> Option<H2Case> {
    ws_cases::catalogue::http2_cases()
        .into_iter()
        .find(|c| c.case.id == case.id)
}

/// Plays one section-20 case and judges it.
pub async fn run_case(
    h2case: &H2Case,
    target: &Target,
    settings: &RunSettings,
    pool: &Pool,
) -> CaseRecord {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut obs = H2Observation::default();
    let kind = if target.tls { "h2" } else { "h2c" };
    let bound = settings.case_timeout.min(Duration::from_secs(30));
    // A case about clients has nothing to play here; the judge says so.
    let played = if h2case.check.client_side() {
        Ok(())
    } else {
        tokio::time::timeout(bound, play(h2case, target, settings, pool, &mut obs)).await
    };
    if played.is_err() && obs.failure.is_none() && obs.answer.is_none() {
        obs.answer = Some(H2Answer::Nothing);
    }
    let verdict = ws_cases::http2::judge(h2case, &obs);
    let mut outcome = RunOutcome::not_applicable("");
    outcome.verdict = verdict;
    if let Some(H2Answer::Status { status, headers }) = &obs.answer {
        outcome.observation.handshake_status = Some(*status);
        outcome.observation.handshake_headers = headers.clone();
    }
    CaseRecord {
        index: 0,
        case: h2case.case.clone(),
        outcome,
        started,
        duration: t0.elapsed(),
        confirmation: None,
        protocol: format!("HTTP/2 ({kind}); {}", pool.settings().windows()),
    }
}

/// The standard extended CONNECT for the target, with the run's extra headers.
fn standard(target: &Target, settings: &RunSettings) -> ConnectRequest {
    let mut r =
        ConnectRequest::websocket(super::scheme(target), &target.host_header(), &target.path);
    r.headers.extend(
        settings
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone())),
    );
    r
}

/// A connection whose requests go out exactly as built (see [`rewrite`]).
struct Raw {
    conn: H2Connection,
    blocks: rewrite::Blocks,
}

impl Raw {
    async fn open(
        target: &Target,
        settings: &RunSettings,
        pool: &Pool,
        early: bool,
    ) -> Result<Raw, String> {
        let blocks = rewrite::Blocks::default();
        let options = Options {
            rewrite: Some(blocks.clone()),
            early,
        };
        let conn = connect_with(target, &settings.tls, pool.settings(), &options).await?;
        Ok(Raw { conn, blocks })
    }

    /// Sends `request` as built; h2 is handed the standard request, whose block is replaced.
    async fn send(
        &self,
        request: &ConnectRequest,
        standard: &ConnectRequest,
    ) -> Result<super::Opened, H2Answer> {
        if let Ok(mut b) = self.blocks.lock() {
            b.push_back(rewrite::encode(request));
        }
        match tokio::time::timeout(WAIT, self.conn.open_stream(standard)).await {
            Err(_) => Err(H2Answer::Nothing),
            Ok(Ok(opened)) => Ok(opened),
            Ok(Err(OpenFailure::Send(why))) => Err(H2Answer::ConnectionClosed(why)),
            Ok(Err(OpenFailure::Answer(e))) => Err(match super::stream_end(&e) {
                StreamEnd::Reset(code) => H2Answer::Reset(code),
                _ => H2Answer::ConnectionClosed(super::reason(&e)),
            }),
        }
    }
}

fn answer_of(result: &Result<super::Opened, H2Answer>) -> H2Answer {
    match result {
        Ok(o) => H2Answer::Status {
            status: o.status,
            headers: o.headers.clone(),
        },
        Err(a) => a.clone(),
    }
}

fn is_open(result: &Result<super::Opened, H2Answer>) -> bool {
    matches!(result, Ok(o) if (200..300).contains(&o.status))
}

async fn play(
    h2case: &H2Case,
    target: &Target,
    settings: &RunSettings,
    pool: &Pool,
    obs: &mut H2Observation,
) {
    let early = h2case.check == H2Check::BeforeSettings;
    let mut raw = match Raw::open(target, settings, pool, early).await {
        Ok(raw) => raw,
        Err(why) => {
            obs.failure = Some(why);
            return;
        }
    };
    let std_req = standard(target, settings);
    if early {
        // The CONNECT goes out before the peer's SETTINGS can have arrived; what the
        // SETTINGS said is read afterwards.
        let opened = raw.send(&std_req, &std_req).await;
        obs.answer = Some(answer_of(&opened));
        let _ = raw.conn.settle().await;
        obs.setting = Some(raw.conn.connect_protocol);
        if let Ok(mut o) = opened {
            close_politely(&mut o.io).await;
        }
        return;
    }
    obs.setting = Some(raw.conn.connect_protocol);
    if !raw.conn.connect_protocol {
        return;
    }
    match &h2case.check {
        H2Check::AdvertisesSetting
        | H2Check::BeforeSettings
        | H2Check::RefusalUnused
        | H2Check::ResetByServer
        | H2Check::SettingHonoured => {}
        H2Check::Accepts { subprotocols } => {
            let mut req = std_req.clone();
            req.headers
                .push(("sec-websocket-protocol".into(), subprotocols.join(", ")));
            req.headers.push((
                "sec-websocket-extensions".into(),
                "permessage-deflate; client_max_window_bits".into(),
            ));
            let opened = raw.send(&req, &std_req).await;
            obs.answer = Some(answer_of(&opened));
            if let Ok(mut o) = opened {
                close_politely(&mut o.io).await;
            }
        }
        H2Check::Refuses(edit) => {
            let req = edit_request(std_req.clone(), edit);
            let opened = raw.send(&req, &std_req).await;
            obs.answer = Some(answer_of(&opened));
            if let Ok(mut o) = opened {
                if (200..300).contains(&o.status) {
                    close_politely(&mut o.io).await;
                }
            }
        }
        H2Check::EndStreamAfterClose => end_stream(&raw, &std_req, obs).await,
        H2Check::ResetMidMessage => reset_mid_message(&raw, &std_req, obs).await,
        H2Check::FlowControl { size } => flow_control(&raw, &std_req, *size, obs).await,
        H2Check::StreamsIndependent => independent(&mut raw, &std_req, obs).await,
    }
}

fn masked(frame: Frame) -> Vec<u8> {
    frame.with_mask(Some(MASK)).encode()
}

/// Reads frames until a whole data message or a close arrives: the message's
/// payload, or why none came.
async fn read_message<R: tokio::io::AsyncRead + Unpin>(
    io: &mut R,
    wait: Duration,
) -> Result<(Opcode, Vec<u8>), String> {
    let mut decoder = FrameDecoder::new(DecoderConfig::default());
    let mut message: Option<(Opcode, Vec<u8>)> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        while let Some(frame) = decoder
            .next_frame()
            .map_err(|e| format!("bad frame from the server: {e}"))?
        {
            match frame.header.opcode {
                Opcode::Close => return Ok((Opcode::Close, frame.payload)),
                Opcode::Text | Opcode::Binary => {
                    message = Some((frame.header.opcode, frame.payload))
                }
                Opcode::Continuation => {
                    if let Some((_, p)) = message.as_mut() {
                        p.extend_from_slice(&frame.payload);
                    }
                }
                _ => continue,
            }
            if frame.header.fin {
                if let Some(m) = message.take() {
                    return Ok(m);
                }
            }
        }
        let n = tokio::time::timeout_at(deadline, io.read(&mut buf))
            .await
            .map_err(|_| format!("nothing more within {} s", wait.as_secs()))?
            .map_err(|e| format!("the stream failed: {e}"))?;
        if n == 0 {
            return Err("the server ended the stream".into());
        }
        decoder.push(&buf[..n]);
    }
}

/// One binary message there and back on `io`.
async fn echo(io: &mut H2Io, payload: &[u8]) -> Result<(), String> {
    io.write_all(&masked(Frame::binary(payload.to_vec())))
        .await
        .map_err(|e| format!("cannot send: {e}"))?;
    match read_message(io, WAIT).await? {
        (Opcode::Binary, p) if p == payload => Ok(()),
        (op, p) => Err(format!(
            "got {op:?} of {} bytes instead of the echo",
            p.len()
        )),
    }
}

async fn close_politely(io: &mut H2Io) {
    let _ = io.write_all(&masked(Frame::close(Some(1000), b""))).await;
    let _ = io.shutdown().await;
    let _ = read_message(io, Duration::from_millis(500)).await;
}

async fn end_stream(raw: &Raw, std_req: &ConnectRequest, obs: &mut H2Observation) {
    let opened = raw.send(std_req, std_req).await;
    obs.answer = Some(answer_of(&opened));
    let Ok(mut o) = opened else { return };
    if !(200..300).contains(&o.status) {
        return;
    }
    let _ = o.io.write_all(&masked(Frame::close(Some(1000), b""))).await;
    let _ = o.io.shutdown().await;
    obs.close_frame = matches!(
        read_message(&mut o.io, END_WAIT).await,
        Ok((Opcode::Close, _))
    );
    // Then the end of the server's side: END_STREAM reads as end of file.
    let mut sink = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + END_WAIT;
    while o.io.ended.is_none() {
        match tokio::time::timeout_at(deadline, o.io.read(&mut sink)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => {}
        }
    }
    obs.end = Some(o.io.ended.clone().unwrap_or(StreamEnd::StillOpen));
}

async fn reset_mid_message(raw: &Raw, std_req: &ConnectRequest, obs: &mut H2Observation) {
    let first = raw.send(std_req, std_req).await;
    obs.answer = Some(answer_of(&first));
    if !is_open(&first) {
        return;
    }
    let Ok(mut a) = first else { return };
    let mut fragment = Frame::text(b"first fragment, never finished".to_vec());
    fragment.header.fin = false;
    let _ = a.io.write_all(&masked(fragment)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    a.io.reset(h2::Reason::CANCEL);
    let second = raw.send(std_req, std_req).await;
    obs.echo = Some(match second {
        Ok(mut b) if (200..300).contains(&b.status) => echo(&mut b.io, b"after the reset")
            .await
            .map(|()| "The reset ended only its stream: a second WebSocket on the connection opened and echoed.".to_string())
            .map_err(|e| format!("After the reset, the second WebSocket opened but {e}.")),
        other => Err(format!(
            "After the reset, a second extended CONNECT on the connection got {}.",
            answer_of(&other).describe()
        )),
    });
}

async fn flow_control(raw: &Raw, std_req: &ConnectRequest, size: usize, obs: &mut H2Observation) {
    let opened = raw.send(std_req, std_req).await;
    obs.answer = Some(answer_of(&opened));
    if !is_open(&opened) {
        return;
    }
    let Ok(o) = opened else { return };
    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let frame = masked(Frame::binary(payload.clone()));
    let (mut rd, mut wr) = tokio::io::split(o.io);
    // The message goes out while nothing is read: the server's echo meets the
    // suite's stream window, and a server that waits for WINDOW_UPDATE stops there.
    let writer = tokio::spawn(async move {
        let sent = wr.write_all(&frame).await;
        (wr, sent)
    });
    tokio::time::sleep(STALL).await;
    let got = read_message(&mut rd, WAIT * 2).await;
    let sent = writer
        .await
        .map_err(|e| e.to_string())
        .and_then(|(_, r)| r.map_err(|e| e.to_string()));
    obs.echo = Some(match (got, sent) {
        (Ok((Opcode::Binary, p)), _) if p == payload => Ok(format!(
            "With the suite reading nothing for {} s, the server held its echo to the window; then all {size} bytes came back intact.",
            STALL.as_secs()
        )),
        (Ok((op, p)), _) => Err(format!("Got {op:?} of {} bytes instead of the {size}-byte echo.", p.len())),
        (Err(e), Err(w)) => Err(format!("The echo did not come back ({e}); sending failed too ({w}).")),
        (Err(e), Ok(())) => Err(format!("The echo did not come back: {e}.")),
    });
}

async fn independent(raw: &mut Raw, std_req: &ConnectRequest, obs: &mut H2Observation) {
    let first = raw.send(std_req, std_req).await;
    obs.answer = Some(answer_of(&first));
    if !is_open(&first) {
        return;
    }
    let Ok(mut a) = first else { return };
    // Two bad streams: one malformed at the HTTP/2 layer (no :path), one a CONNECT for
    // a protocol the server does not speak; neither may take the others down.
    let mut refused = Vec::new();
    for edit in [ConnectEdit::NoPath, ConnectEdit::Protocol("websockets")] {
        let bad = edit_request(std_req.clone(), &edit);
        refused.push(answer_of(&raw.send(&bad, std_req).await).describe());
    }
    let refused = refused.join(" and ");
    let on_first = echo(&mut a.io, b"still here?").await;
    let third = raw.send(std_req, std_req).await;
    let third_open = is_open(&third);
    if let Ok(mut c) = third {
        close_politely(&mut c.io).await;
    }
    close_politely(&mut a.io).await;
    obs.echo = Some(match (on_first, third_open) {
        (Ok(()), true) => Ok(format!(
            "The bad CONNECTs on other streams got {refused}; the open WebSocket still echoed and a new one opened."
        )),
        (first, third) => Err(format!(
            "After bad CONNECTs on other streams (answered with {refused}): the open WebSocket {}; a new extended CONNECT {}.",
            match first {
                Ok(()) => "still echoed".to_string(),
                Err(e) => format!("broke ({e})"),
            },
            if third { "opened" } else { "failed" }
        )),
    });
}
