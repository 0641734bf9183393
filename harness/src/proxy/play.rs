//! Playing one proxy case: the client at the front, the backend behind, the steps on
//! both, and what each side saw.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_cases::proxy::{FinalClose, ProxyCase, ProxyFrame, ProxyObservation, Side};
use ws_spec::deflate::Compressor;
use ws_spec::frame::{Frame, Opcode};
use ws_spec::handshake::{
    accept_key, parse_response, random_key, validate_response, Request, RequestBuilder, Response,
};

use super::backend::{Arrival, CASE_FIELD};
use super::side::End;
use super::steps;
use super::Route;
use crate::target::Target;

/// Settings of a proxy run that cases read.
#[derive(Clone, Debug)]
pub struct PlayConfig {
    /// How long a step waits for the other side to see what was sent.
    pub step_timeout: Duration,
    /// How long the handshake may take on each hop.
    pub handshake_timeout: Duration,
    /// How long both sides stay quiet in the idle cases.
    pub idle_bound: Duration,
    /// How many bytes the backend writes at most in the flood case.
    pub flood_bound: u64,
    /// How long the other side is watched after one side drops TCP (the cases'
    /// own bound is shorter; the time seen is reported either way).
    pub drop_wait: Duration,
    /// How many WebSockets 19.8.5 holds open at once at most.
    pub connections: usize,
}

impl Default for PlayConfig {
    fn default() -> Self {
        PlayConfig {
            step_timeout: Duration::from_secs(3),
            handshake_timeout: Duration::from_secs(5),
            idle_bound: Duration::from_secs(10),
            flood_bound: 64 << 20,
            drop_wait: Duration::from_secs(6),
            connections: 1000,
        }
    }
}

static SEQ: AtomicU64 = AtomicU64::new(1);

/// Both ends of a relayed connection once the handshake went through.
pub(super) struct Ends {
    pub client: End,
    pub backend: End,
    /// Each side's view of permessage-deflate: (client agreed, backend agreed).
    pub deflate: (bool, bool),
}

impl Ends {
    pub(super) fn get(&mut self, side: Side) -> &mut End {
        match side {
            Side::Client => &mut self.client,
            Side::Backend => &mut self.backend,
        }
    }
}

/// The client's request for `case`.
fn request(case: &ProxyCase, front: &Target, token: &str, key: &str) -> RequestBuilder {
    let mut req =
        RequestBuilder::new(&front.host_header(), &front.path, key).set(CASE_FIELD, token);
    if !case.offer.subprotocols.is_empty() {
        req = req.set(
            "Sec-WebSocket-Protocol",
            &case.offer.subprotocols.join(", "),
        );
    }
    if case.offer.deflate {
        req = req.set(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        );
    }
    if let Some(origin) = case.offer.origin {
        req = req.set("Origin", origin);
    }
    if let Some(probe) = case.offer.hop_by_hop {
        let [connection, field] = probe.fields();
        req = req.set(connection.0, connection.1).set(field.0, field.1);
    }
    req
}

/// The backend's 101 for the request that arrived: lenient, so one flaw of the proxy
/// fails the case of its rule and the others still play (a missing Upgrade is judged
/// by 19.1.1, not by a refusal that would fail every case).
fn response(case: &ProxyCase, got: &Request) -> Vec<u8> {
    let key = got.header("Sec-WebSocket-Key").unwrap_or_default();
    let connection = match case.answer.hop_by_hop {
        Some(probe) => probe.fields()[0].1,
        None => "Upgrade",
    };
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: {connection}\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if case.answer.subprotocol {
        let offered = got.header_all("Sec-WebSocket-Protocol");
        if let Some(first) = offered
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .find(|p| !p.is_empty())
        {
            out.push_str(&format!("Sec-WebSocket-Protocol: {first}\r\n"));
        }
    }
    let offers_deflate = got.header_all("Sec-WebSocket-Extensions").iter().any(|v| {
        v.split(',').any(|e| {
            e.split(';')
                .next()
                .is_some_and(|n| n.trim() == "permessage-deflate")
        })
    });
    if case.answer.deflate && offers_deflate {
        out.push_str("Sec-WebSocket-Extensions: permessage-deflate\r\n");
    }
    if let Some(probe) = case.answer.hop_by_hop {
        let field = probe.fields()[1];
        out.push_str(&format!("{}: {}\r\n", field.0, field.1));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn has_deflate(r: &Response) -> bool {
    r.header_all("Sec-WebSocket-Extensions")
        .iter()
        .any(|v| v.contains("permessage-deflate"))
}

/// Reads a response head from the client's connection.
async fn read_response(
    stream: &mut TcpStream,
    timeout: Duration,
) -> Result<(Response, Vec<u8>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) if buf.is_empty() => {
                return Err(format!("no response within {:.0} s", timeout.as_secs_f64()))
            }
            Err(_) => {
                return Err(format!(
                    "an unfinished response head within {:.0} s",
                    timeout.as_secs_f64()
                ))
            }
            Ok(Err(e)) => return Err(format!("a read error ({e})")),
            Ok(Ok(0)) if buf.is_empty() => {
                return Err("the connection closed with no response".into())
            }
            Ok(Ok(0)) => {
                return Err("the connection closed in the middle of the response head".into())
            }
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        match parse_response(&buf, 64 * 1024) {
            Ok(Some((resp, used))) => return Ok((resp, buf[used..].to_vec())),
            Ok(None) => continue,
            Err(e) => return Err(format!("bytes that are not an HTTP response ({e})")),
        }
    }
}

/// Connects to the front and sends the case's request; the backend's arrival, if any.
async fn open(
    case: &ProxyCase,
    Route {
        front,
        backend,
        config: cfg,
    }: &Route,
    obs: &mut ProxyObservation,
) -> Option<(TcpStream, Option<Arrival>)> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let token = format!("{}#{n}", case.id);
    let key = random_key(n ^ 0x9e37_79b9_7f4a_7c15);
    let req = request(case, front, &token, &key);
    obs.handshake.client_request = req.headers.clone();
    obs.handshake.key = key.clone();
    let arrival = backend.expect(&token, &key);
    let addr = front.socket_addr();
    let mut client =
        match tokio::time::timeout(cfg.handshake_timeout, TcpStream::connect(&addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                obs.failure = Some(format!("cannot connect to the front {addr}: {e}"));
                backend.forget(&token, &key);
                return None;
            }
            Err(_) => {
                obs.failure = Some(format!("cannot connect to the front {addr}: timed out"));
                backend.forget(&token, &key);
                return None;
            }
        };
    let _ = client.set_nodelay(true);
    if let Err(e) = client.write_all(&req.encode()).await {
        obs.failure = Some(format!("writing the request to the front failed: {e}"));
        backend.forget(&token, &key);
        return None;
    }
    let arrived = await_arrival(arrival, &client, cfg.handshake_timeout).await;
    backend.forget(&token, &key);
    Some((client, arrived))
}

/// The backend's arrival, within `limit`; sooner when the front answers or closes the
/// client's connection first (then only a short grace is left for a request that is
/// still on its way to the backend).
pub(super) async fn await_arrival(
    mut arrival: tokio::sync::oneshot::Receiver<Arrival>,
    client: &TcpStream,
    limit: Duration,
) -> Option<Arrival> {
    let mut byte = [0u8; 1];
    tokio::select! {
        got = tokio::time::timeout(limit, &mut arrival) => got.ok().and_then(Result::ok),
        _ = client.peek(&mut byte) => {
            tokio::time::timeout(Duration::from_millis(300), &mut arrival).await.ok().and_then(Result::ok)
        }
    }
}

/// The opening handshake on both hops; the two ends when the client got a 101.
pub(super) async fn handshake(
    case: &ProxyCase,
    route @ Route { config: cfg, .. }: &Route,
    obs: &mut ProxyObservation,
) -> Option<Ends> {
    let (mut client, arrival) = open(case, route, obs).await?;
    let Some(mut arrival) = arrival else {
        let what = match read_response(&mut client, Duration::from_millis(500)).await {
            Ok((r, _)) => format!("the client received {} {}", r.status, r.reason),
            Err(e) => format!("the client received {e}"),
        };
        obs.failure = Some(format!(
            "the request never reached the backend within {:.0} s; {what}",
            cfg.handshake_timeout.as_secs_f64()
        ));
        return None;
    };
    let answer = response(case, &arrival.request);
    let _ = arrival.stream.set_nodelay(true);
    obs.handshake.backend_response = parse_response(&answer, 64 * 1024)
        .ok()
        .flatten()
        .map(|(r, _)| r);
    obs.handshake.backend_request = Some(arrival.request.clone());
    if let Err(e) = arrival.stream.write_all(&answer).await {
        obs.failure = Some(format!("the backend could not write its 101: {e}"));
        return None;
    }
    let (resp, leftover) = match read_response(&mut client, cfg.handshake_timeout).await {
        Ok(got) => got,
        Err(e) => {
            obs.failure = Some(format!(
                "the backend sent its 101 and the client received {e}"
            ));
            return None;
        }
    };
    let offered_ext: Vec<String> = if case.offer.deflate {
        vec!["permessage-deflate".into()]
    } else {
        Vec::new()
    };
    let protocols: Vec<String> = case
        .offer
        .subprotocols
        .iter()
        .map(|p| p.to_string())
        .collect();
    obs.handshake.client_refusal =
        validate_response(&resp, &obs.handshake.key, &protocols, &offered_ext)
            .err()
            .map(|e| e.to_string());
    let status = resp.status;
    let reason = resp.reason.clone();
    let deflate = (
        has_deflate(&resp),
        obs.handshake
            .backend_response
            .as_ref()
            .is_some_and(has_deflate),
    );
    obs.handshake.client_response = Some(resp);
    if status != 101 {
        obs.failure = Some(format!(
            "the client received {status} {reason} instead of 101 Switching Protocols"
        ));
        return None;
    }
    let max = 64 << 20;
    Some(Ends {
        client: End::start(Side::Client, client, leftover, max),
        backend: End::start(Side::Backend, arrival.stream, arrival.rest, max),
        deflate,
    })
}

/// Plays `case` through the proxy at `front`.
pub(super) async fn play(
    case: &ProxyCase,
    route @ Route { config: cfg, .. }: &Route,
) -> ProxyObservation {
    let mut obs = ProxyObservation::default();
    let Some(mut ends) = handshake(case, route, &mut obs).await else {
        return obs;
    };
    let mut open = true;
    for step in &case.steps {
        open &= steps::run(step, &mut ends, cfg, &mut obs).await;
    }
    if open {
        obs.final_close = Some(final_close(&mut ends, cfg).await);
    }
    obs.client = ends.client.trace();
    obs.backend = ends.backend.trace();
    obs
}

/// The closing handshake every case that is still open ends with: the client closes
/// with 1000, the backend answers with the code it got and closes TCP first.
async fn final_close(ends: &mut Ends, cfg: &PlayConfig) -> FinalClose {
    let mut out = FinalClose::default();
    ends.client.send(vec![Frame::close(Some(1000), b"")]).await;
    ends.backend
        .wait_for(cfg.step_timeout, |t| has_close(&t.received))
        .await;
    out.backend_got = close_code(&ends.backend.trace().received);
    if let Some(code) = out.backend_got {
        ends.backend.send(vec![Frame::close(code, b"")]).await;
    }
    ends.client
        .wait_for(cfg.step_timeout, |t| has_close(&t.received))
        .await;
    ends.backend.shutdown().await;
    out.client_ended = ends.client.wait_for(cfg.step_timeout, |t| t.ended).await;
    out.client_got = close_code(&ends.client.trace().received);
    out
}

pub(super) fn has_close(frames: &[ws_spec::intermediary::RelayedFrame]) -> bool {
    frames.iter().any(|f| f.opcode == Opcode::Close)
}

/// The code of the first close frame: `Some(None)` for a close without a code.
pub(super) fn close_code(frames: &[ws_spec::intermediary::RelayedFrame]) -> Option<Option<u16>> {
    frames
        .iter()
        .find(|f| f.opcode == Opcode::Close)
        .map(|f| (f.payload.len() >= 2).then(|| u16::from_be_bytes([f.payload[0], f.payload[1]])))
}

/// A case frame as ws-spec encodes it.
pub(super) fn to_frame(f: &ProxyFrame) -> Frame {
    Frame::new(f.opcode, f.payload.to_bytes())
        .with_fin(f.fin)
        .with_rsv(f.rsv)
}

/// A text message compressed with default permessage-deflate parameters, cut into
/// `fragments` frames.
pub(super) fn compressed(payload: &[u8], fragments: usize) -> Vec<Frame> {
    let data = Compressor::new(15, false).compress(payload);
    let n = fragments.max(1);
    let size = data.len().div_ceil(n).max(1);
    let pieces: Vec<&[u8]> = data.chunks(size).collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let opcode = if i == 0 {
                Opcode::Text
            } else {
                Opcode::Continuation
            };
            Frame::new(opcode, p.to_vec())
                .with_fin(i == last)
                .with_rsv(if i == 0 { 0b100 } else { 0 })
        })
        .collect()
}

/// Measures from `start` to when `end`'s connection ended.
pub(super) fn since(start: Instant, end: Option<Instant>) -> Option<Duration> {
    end.map(|e| e.saturating_duration_since(start))
}
