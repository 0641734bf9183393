//! `serve --http2`: clients under test over HTTP/2 (RFC 8441) on the serve port,
//! beside HTTP/1.1. A TLS client that picks `h2` over ALPN, or a plain one that
//! opens with the HTTP/2 preface (h2c, prior knowledge), gets an HTTP/2 connection
//! whose SETTINGS enable the extended CONNECT. Each stream is one request, as each
//! HTTP/1.1 connection is: an extended CONNECT (`:protocol websocket`) to a
//! fuzzingserver path plays that command on the stream, and a GET gets the driver
//! page and what it reads. HTTP/2 itself is the `h2` crate's; whether a CONNECT is
//! well-formed is ws-spec's rule ([`ws_spec::extended_connect`]).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::task::JoinSet;
use ws_cases::run::{http2_not_applicable, CaseRun, Opening, Role, RunConfig, RunOutcome};
use ws_spec::extended_connect::{self, ConnectRequest};

use super::{
    http, limits, parse_command, Command, Control, FuzzingServer, KeepOpen, Stream, CLOSE_TIMEOUT,
    REQUEST_TIMEOUT,
};
use crate::http2::rewrite::Rewrite;
use crate::http2::{read_from, H2Io, Http2Settings};
use crate::runner::drive;

mod client_side;

pub(super) use client_side::lookup as client_side_case;

/// Whether `serve` takes clients over HTTP/2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Http2Serve {
    /// HTTP/1.1 only.
    #[default]
    Off,
    /// HTTP/2 too, advertising SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    On,
    /// HTTP/2 too, with SETTINGS_ENABLE_CONNECT_PROTOCOL left out of the SETTINGS on
    /// the wire (an extended CONNECT is still read, to catch a client that sends one
    /// anyway: RFC 8441 §3 forbids it).
    WithoutSetting,
}

/// The client connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The receive windows the server grants: larger than HTTP/2's initial 64 KiB so a
/// client's big messages are not held to one round trip per 64 KiB.
const WINDOWS: Http2Settings = Http2Settings {
    share: true,
    stream_window: 1 << 20,
    connection_window: 16 << 20,
};

/// Reads what a plain connection opens with, up to the length of the HTTP/2 preface:
/// the stream to serve (the bytes read put back in front) and `Some("h2c")` when it
/// is HTTP/2 with prior knowledge. With HTTP/2 off nothing is read.
pub(super) async fn sniff(mut stream: Stream, mode: Http2Serve) -> (Stream, Option<&'static str>) {
    if mode == Http2Serve::Off {
        return (stream, None);
    }
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = [0u8; PREFACE.len()];
    while head.len() < PREFACE.len() && PREFACE.starts_with(&head) {
        let want = PREFACE.len() - head.len();
        match tokio::time::timeout_at(deadline, stream.read(&mut buf[..want])).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let h2 = head == PREFACE;
    (
        Box::new(Rewind {
            head: head.into(),
            inner: stream,
        }),
        h2.then_some("h2c"),
    )
}

/// A stream with bytes already read put back in front of it.
struct Rewind {
    head: Bytes,
    inner: Stream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.head.is_empty() {
            return Pin::new(&mut self.inner).poll_read(cx, out);
        }
        read_from(&mut self.head, out);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// SETTINGS (RFC 9113 §6.5).
const SETTINGS: u8 = 0x4;

/// `io` with SETTINGS_ENABLE_CONNECT_PROTOCOL taken out of the server's first SETTINGS
/// frame (its preface, RFC 9113 §3.4): `h2` then still reads extended CONNECTs, which
/// the client was not told it may send. Every later frame passes untouched.
fn hide_connect_setting(io: Stream) -> Stream {
    let mut first = true;
    Box::new(Rewrite::new(io, 0, move |header: &[u8], payload: &[u8]| {
        let settings = std::mem::take(&mut first) && header[3] == SETTINGS;
        // An ACK carries no settings.
        (settings && header[4] & 0x1 == 0).then(|| {
            payload
                .chunks(6)
                .filter(|p| {
                    p.len() == 6
                        && u16::from_be_bytes([p[0], p[1]])
                            != extended_connect::SETTINGS_ENABLE_CONNECT_PROTOCOL
                })
                .flatten()
                .copied()
                .collect()
        })
    }))
}

/// What the streams of one connection share.
pub(super) struct Link {
    /// `h2` (TLS, ALPN) or `h2c` (prior knowledge).
    pub(super) kind: &'static str,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 went out in the SETTINGS.
    pub(super) advertised: bool,
    /// The last stream the connection opened, and how the connection ended once it
    /// did: what 20.4.2 waits on after resetting a stream.
    pub(super) state: tokio::sync::watch::Sender<LinkState>,
}

/// The streams and the end of one connection, as 20.4.2 watches them.
#[derive(Clone, Debug, Default)]
pub(super) struct LinkState {
    /// The id of the newest stream.
    pub(super) last_stream: u32,
    /// Why the connection ended, once it did.
    pub(super) ended: Option<String>,
}

/// Serves one HTTP/2 connection: each stream on a task of its own, until the
/// connection ends.
pub(super) async fn serve(server: Arc<FuzzingServer>, io: Stream, kind: &'static str) {
    let advertised = server.settings.http2 != Http2Serve::WithoutSetting;
    let io = if advertised {
        io
    } else {
        hide_connect_setting(io)
    };
    let mut builder = h2::server::Builder::new();
    builder
        .enable_connect_protocol()
        .initial_window_size(WINDOWS.stream_window)
        .initial_connection_window_size(WINDOWS.connection_window);
    let handshake = builder.handshake::<_, Bytes>(io);
    let Ok(Ok(mut conn)) = tokio::time::timeout(REQUEST_TIMEOUT, handshake).await else {
        return;
    };
    let (state, _) = tokio::sync::watch::channel(LinkState::default());
    let link = Arc::new(Link {
        kind,
        advertised,
        state,
    });
    let mut streams = JoinSet::new();
    let ended = loop {
        tokio::select! {
            next = conn.accept() => match next {
                Some(Ok((request, respond))) => {
                    let id = respond.stream_id().as_u32();
                    link.state.send_modify(|s| s.last_stream = id);
                    streams.spawn(serve_stream(server.clone(), link.clone(), request, respond));
                }
                Some(Err(e)) => break crate::http2::reason(&e),
                None => break "closed".to_string(),
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {}
        }
    };
    link.state.send_modify(|s| s.ended = Some(ended));
    // The connection is gone: each stream's task ends on its first read or write.
    while streams.join_next().await.is_some() {}
}

/// The request of a stream as ws-spec's extended CONNECT (names lower-case).
fn connect_request(parts: &::http::request::Parts, protocol: Option<String>) -> ConnectRequest {
    ConnectRequest {
        method: parts.method.to_string(),
        protocol,
        scheme: parts.uri.scheme_str().map(str::to_string),
        authority: parts.uri.authority().map(|a| a.to_string()),
        path: parts.uri.path_and_query().map(|p| p.to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

fn response(status: u16, headers: &[(String, String)]) -> ::http::Response<()> {
    let mut builder = ::http::Response::builder().status(status);
    for (n, v) in headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    builder.body(()).unwrap_or_else(|_| {
        let mut r = ::http::Response::new(());
        *r.status_mut() = ::http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Answers `status` with a one-line text body and ends the stream.
async fn refuse(mut respond: SendResponse<Bytes>, body: RecvStream, status: u16, why: &str) {
    let headers = [(
        "content-type".to_string(),
        "text/plain; charset=utf-8".to_string(),
    )];
    if let Ok(send) = respond.send_response(response(status, &headers), false) {
        let mut io = H2Io::new(send, body);
        let _ = io.write_all(format!("{why}\n").as_bytes()).await;
        let _ = io.shutdown().await;
    }
}

async fn serve_stream(
    server: Arc<FuzzingServer>,
    link: Arc<Link>,
    request: ::http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
) {
    let stream_id = respond.stream_id().as_u32();
    let (parts, body) = request.into_parts();
    let protocol = parts
        .extensions
        .get::<h2::ext::Protocol>()
        .map(|p| p.as_str().to_string());
    if protocol.is_none() {
        return plain(&server, &parts, respond, body).await;
    }
    let request = connect_request(&parts, protocol);
    let target = request.path.clone().unwrap_or_default();
    let command = match parse_command(&target, &server.cases) {
        Ok(c) => c,
        Err(e) => return refuse(respond, body, e.status(), &e.to_string()).await,
    };
    if let Command::RunCase { index, agent } = command {
        let admitted = limits::admit(
            &mut server.lock_results(),
            &agent,
            server.settings.max_agents,
        );
        if let Err(refusal) = admitted {
            return refuse(respond, body, refusal.status(), &refusal.to_string()).await;
        }
        let stream = Served {
            link: &link,
            request: &request,
            respond,
            body,
            stream_id,
        };
        return play_case(&server, index, &agent, stream).await;
    }
    if let Err(e) = extended_connect::validate_request(&request) {
        return match e.status() {
            Some(status) => refuse(respond, body, status, &e.to_string()).await,
            None => respond.send_reset(h2::Reason::PROTOCOL_ERROR),
        };
    }
    let Ok(send) = respond.send_response(response(200, &[]), false) else {
        return;
    };
    server
        .control(Control::opened(Box::new(H2Io::new(send, body))), command)
        .await;
}

/// A plain request on a stream: the driver page and what it reads, as over HTTP/1.1.
async fn plain(
    server: &Arc<FuzzingServer>,
    parts: &::http::request::Parts,
    mut respond: SendResponse<Bytes>,
    body: RecvStream,
) {
    let request = ws_spec::handshake::Request {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string()),
        version: "HTTP/2".into(),
        headers: connect_request(parts, None).headers,
    };
    let (status, fields, content) = http::answer_h2(server, &request).await;
    let fields: Vec<(String, String)> = fields
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    let end = content.is_empty();
    if let Ok(send) = respond.send_response(response(status, &fields), end) {
        if !end {
            let mut io = H2Io::new(send, body);
            let _ = io.write_all(&content).await;
            let _ = io.shutdown().await;
        }
    }
}

/// One extended CONNECT to `/runCase`, with what answering it takes.
pub(super) struct Served<'a> {
    pub(super) link: &'a Link,
    pub(super) request: &'a ConnectRequest,
    pub(super) respond: SendResponse<Bytes>,
    pub(super) body: RecvStream,
    pub(super) stream_id: u32,
}

impl Served<'_> {
    /// The report's protocol line for a case on this stream.
    pub(super) fn protocol(&self) -> String {
        format!(
            "HTTP/2 ({}); stream {}{}; {}",
            self.link.kind,
            self.stream_id,
            if self.link.advertised {
                ""
            } else {
                "; SETTINGS_ENABLE_CONNECT_PROTOCOL not advertised"
            },
            WINDOWS.windows()
        )
    }
}

/// Plays case `index` on the stream of an extended CONNECT, as over HTTP/1.1 with the
/// CONNECT and its answer in place of the upgrade, and records it for `agent`.
async fn play_case(server: &Arc<FuzzingServer>, index: usize, agent: &str, mut s: Served<'_>) {
    let playing = server.begin_case(agent, index);
    let case = &server.cases[index];
    let t0 = playing.t0;
    let mut protocol = s.protocol();
    let mut open: Option<H2Io> = None;
    let outcome = if let Some(h2case) = client_side::lookup(case) {
        client_side::play(&h2case, s).await
    } else if let Some(why) = http2_not_applicable(case) {
        refuse(s.respond, s.body, 501, &format!("not over HTTP/2: {why}")).await;
        RunOutcome::not_applicable(&why)
    } else {
        let config = RunConfig {
            role: Role::Server,
            target: s.request.path.clone().unwrap_or_default(),
            max_message: server.settings.max_message,
            seed: index as u64 + 1,
            opening: Opening::ExtendedConnect {
                scheme: s.request.scheme.clone().unwrap_or_default(),
            },
            ..RunConfig::default()
        };
        let mut run = CaseRun::new(case, config);
        let answer = run.on_connect_request(s.request, t0.elapsed());
        match answer.status {
            None => s.respond.send_reset(h2::Reason::PROTOCOL_ERROR),
            Some(status) => {
                let opens = (200..300).contains(&status);
                match s
                    .respond
                    .send_response(response(status, &answer.headers), !opens)
                {
                    Ok(send) if opens => {
                        let io = open.insert(H2Io::new(send, s.body));
                        let deadline = case.hard_deadline(server.settings.case_timeout);
                        drive(&mut run, KeepOpen(io), t0, deadline).await;
                    }
                    Ok(_) => {}
                    Err(e) => run.abort(
                        t0.elapsed(),
                        &format!("the answer could not be sent: {}", crate::http2::reason(&e)),
                    ),
                }
            }
        }
        run.finish()
    };
    if let Some(end) = open.as_ref().and_then(|io| io.ended.as_ref()) {
        protocol.push_str(&crate::http2::describe_end(end));
    }
    playing.record(outcome, protocol);
    if let Some(io) = open {
        end_stream(io).await;
    }
}

/// Ends the server's side of a stream (END_STREAM, RFC 8441 §5.1: the FIN of a TCP
/// close) and waits a bounded time for the client to end its side, so the stream is
/// closed rather than reset when it is dropped.
pub(super) async fn end_stream(mut io: H2Io) {
    let _ = io.shutdown().await;
    let mut sink = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + CLOSE_TIMEOUT;
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, io.read(&mut sink)).await {
        if n == 0 {
            break;
        }
    }
}
