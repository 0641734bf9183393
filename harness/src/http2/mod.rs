//! WebSockets over HTTP/2 (RFC 8441) as a transport for the case player: an
//! HTTP/2 connection (h2c with prior knowledge for ws://, ALPN `h2` for wss://),
//! one extended-CONNECT stream per case, and the stream seen as a byte pipe so
//! [`crate::runner::drive`] plays the RFC 6455 frames on it unchanged.
//!
//! The mapping of RFC 8441 §5.1: the peer's END_STREAM reads as end of file (a
//! TCP FIN), its RST_STREAM as a reset; shutting the write side sends END_STREAM.
//! HTTP/2 itself is the `h2` crate's.

pub mod rewrite;
pub mod section20;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use h2::client::SendRequest;
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use ws_cases::http2::StreamEnd;
use ws_cases::run::{CaseRun, Opening, RunConfig, RunOutcome};
use ws_cases::Case;
use ws_spec::extended_connect::ConnectRequest;

use crate::error::{HarnessError, ProbeProblem};
use crate::runner::{drive, second_connection, CaseRecord, Probe, RunSettings};
use crate::target::Target;
use crate::tls::ClientTls;

/// How `run --http2` uses HTTP/2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Http2Settings {
    /// All cases share one connection, as concurrent streams; otherwise each
    /// case opens a connection of its own (as over HTTP/1.1).
    pub share: bool,
    /// The receive window the suite grants per stream (SETTINGS_INITIAL_WINDOW_SIZE).
    pub stream_window: u32,
    /// The receive window the suite grants the whole connection.
    pub connection_window: u32,
}

impl Default for Http2Settings {
    /// HTTP/2's initial windows (RFC 9113 §6.9.2), each case on its own connection.
    fn default() -> Self {
        Http2Settings {
            share: false,
            stream_window: 65_535,
            connection_window: 65_535,
        }
    }
}

impl Http2Settings {
    /// The windows, as a report line shows them.
    pub fn windows(&self) -> String {
        format!(
            "receive windows granted: stream {} B, connection {} B",
            self.stream_window, self.connection_window
        )
    }
}

/// An open HTTP/2 connection to the server under test, ready for streams.
#[derive(Clone)]
pub struct H2Connection {
    send: SendRequest<Bytes>,
    ping: Arc<tokio::sync::Mutex<Option<h2::PingPong>>>,
    /// `h2c` (prior knowledge) or `h2` (TLS with ALPN).
    pub kind: &'static str,
    /// The peer's SETTINGS_ENABLE_CONNECT_PROTOCOL was 1 when the connection
    /// was ready (RFC 8441 §3).
    pub connect_protocol: bool,
}

/// Opens an HTTP/2 connection and waits until the peer's SETTINGS are in: the
/// answer to a PING sent behind the preface arrives after them (RFC 9113 §3.4:
/// the server's preface is its SETTINGS frame).
pub async fn connect(
    target: &Target,
    tls: &ClientTls,
    h2: &Http2Settings,
) -> Result<H2Connection, String> {
    connect_with(target, tls, h2, &Options::default()).await
}

/// How [`connect_with`] opens a connection, for the section-20 cases.
#[derive(Clone, Default)]
pub struct Options {
    /// Replace every request's header block with the next of these (see [`rewrite`]).
    pub rewrite: Option<rewrite::Blocks>,
    /// Do not wait for the peer's SETTINGS before handing the connection out.
    pub early: bool,
}

/// [`connect`], with the section-20 options.
pub async fn connect_with(
    target: &Target,
    tls: &ClientTls,
    h2: &Http2Settings,
    options: &Options,
) -> Result<H2Connection, String> {
    let tcp = target.connect_tcp().await?;
    if !target.tls {
        return wrap(tcp, "h2c", h2, options).await;
    }
    let stream = tls
        .for_h2()
        .connect(tcp, target)
        .await
        .map_err(|e| e.to_string())?;
    let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    if alpn.as_deref() != Some(crate::tls::ALPN_H2) {
        return Err(format!(
            "the server did not choose h2 over ALPN (it chose {})",
            alpn.map_or("nothing".into(), |p| String::from_utf8_lossy(&p)
                .into_owned())
        ));
    }
    wrap(stream, "h2", h2, options).await
}

async fn wrap<S>(
    io: S,
    kind: &'static str,
    h2: &Http2Settings,
    options: &Options,
) -> Result<H2Connection, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match &options.rewrite {
        Some(blocks) => {
            handshake(
                rewrite::header_blocks(io, blocks.clone()),
                kind,
                h2,
                options.early,
            )
            .await
        }
        None => handshake(io, kind, h2, options.early).await,
    }
}

async fn handshake<S>(
    io: S,
    kind: &'static str,
    h2: &Http2Settings,
    early: bool,
) -> Result<H2Connection, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (send, mut conn) = h2::client::Builder::new()
        .initial_window_size(h2.stream_window)
        .initial_connection_window_size(h2.connection_window)
        .handshake::<_, Bytes>(io)
        .await
        .map_err(|e| format!("HTTP/2 connection preface failed: {e}"))?;
    let ping = conn.ping_pong();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut c = H2Connection {
        send,
        kind,
        connect_protocol: false,
        ping: Arc::new(tokio::sync::Mutex::new(ping)),
    };
    if !early {
        c.settle().await?;
    }
    Ok(c)
}

/// The answer to an extended CONNECT, with the stream when it is open.
pub struct Opened {
    /// `:status`.
    pub status: u16,
    /// Response header fields in order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The stream as a byte pipe (present for any status: a refusal may still
    /// carry a body, or be followed by the peer resetting the stream).
    pub io: H2Io,
    /// The stream's id, for the report.
    pub stream_id: u32,
}

/// Why an extended CONNECT did not get a response.
#[derive(Debug)]
pub enum OpenFailure {
    /// It could not be sent (the connection is gone, or the request is unusable).
    Send(String),
    /// The peer reset the stream or ended the connection instead of answering.
    Answer(h2::Error),
}

impl std::fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenFailure::Send(why) => f.write_str(why),
            OpenFailure::Answer(e) => {
                write!(f, "the extended CONNECT got no answer: {}", reason(e))
            }
        }
    }
}

impl H2Connection {
    /// Waits until the peer's SETTINGS are in (the answer to a PING comes after
    /// them), then notes whether they enable the extended CONNECT.
    pub async fn settle(&mut self) -> Result<(), String> {
        if let Some(p) = self.ping.lock().await.as_mut() {
            tokio::time::timeout(Duration::from_secs(10), p.ping(h2::Ping::opaque()))
                .await
                .map_err(|_| "no answer to an HTTP/2 PING within 10 s".to_string())?
                .map_err(|e| format!("HTTP/2 connection failed before its SETTINGS: {e}"))?;
        }
        self.connect_protocol = self.send.is_extended_connect_protocol_enabled();
        Ok(())
    }

    /// Sends `request` as an extended CONNECT on a new stream and waits for the answer.
    pub async fn open(&self, request: &ConnectRequest) -> Result<Opened, String> {
        self.open_stream(request).await.map_err(|e| e.to_string())
    }

    /// [`H2Connection::open`], saying why there was no response.
    pub async fn open_stream(&self, request: &ConnectRequest) -> Result<Opened, OpenFailure> {
        let mut uri = http::Uri::builder();
        if let Some(s) = &request.scheme {
            uri = uri.scheme(s.as_str());
        }
        if let Some(a) = &request.authority {
            uri = uri.authority(a.as_str());
        }
        uri = uri.path_and_query(request.path.as_deref().unwrap_or("/"));
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(
                uri.build()
                    .map_err(|e| OpenFailure::Send(format!("bad request URI: {e}")))?,
            )
            .version(http::Version::HTTP_2);
        for (n, v) in &request.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        let mut req = builder
            .body(())
            .map_err(|e| OpenFailure::Send(format!("bad request header: {e}")))?;
        if let Some(p) = &request.protocol {
            req.extensions_mut()
                .insert(h2::ext::Protocol::from(p.as_str()));
        }
        let mut send = self
            .send
            .clone()
            .ready()
            .await
            .map_err(|e| OpenFailure::Send(format!("HTTP/2 connection not usable: {e}")))?;
        let (response, stream) = send.send_request(req, false).map_err(|e| {
            OpenFailure::Send(format!("the extended CONNECT could not be sent: {e}"))
        })?;
        let stream_id = stream.stream_id().as_u32();
        let response = response.await.map_err(OpenFailure::Answer)?;
        let (parts, recv) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Opened {
            status: parts.status.as_u16(),
            headers,
            io: H2Io::new(stream, recv),
            stream_id,
        })
    }
}

/// An HTTP/2 error in words, naming the RST_STREAM or GOAWAY code when there is one.
pub fn reason(e: &h2::Error) -> String {
    match (e.reason(), e.is_reset(), e.is_go_away()) {
        (Some(r), true, _) => format!("the peer reset the stream ({r:?})"),
        (Some(r), _, true) => format!("the peer closed the connection (GOAWAY {r:?})"),
        _ => e.to_string(),
    }
}

/// How an h2 error ended a stream: a reset of the stream, or the end of the connection.
pub fn stream_end(e: &h2::Error) -> StreamEnd {
    match e.reason() {
        Some(r) if e.is_reset() => StreamEnd::Reset(format!("{r:?}")),
        _ => StreamEnd::ConnectionClosed(reason(e)),
    }
}

/// How the peer ended a stream, as the report's protocol line says it ("; …").
pub fn describe_end(end: &StreamEnd) -> String {
    match end {
        StreamEnd::EndStream => "; the peer ended the stream with END_STREAM".into(),
        StreamEnd::Reset(code) => format!("; the peer reset the stream ({code})"),
        StreamEnd::ConnectionClosed(why) => {
            format!("; the stream ended with the connection: {why}")
        }
        StreamEnd::StillOpen => String::new(),
    }
}

/// One extended-CONNECT stream as a byte pipe. Received data is handed on as
/// it is read and its flow-control window released at once, so the peer may
/// send as fast as the suite reads; writes take only what the peer's windows allow.
pub struct H2Io {
    send: SendStream<Bytes>,
    recv: RecvStream,
    buf: Bytes,
    /// How the stream ended from the peer's side, once it did.
    pub ended: Option<StreamEnd>,
}

impl H2Io {
    /// The two halves of one stream (a client's, or a server's in the test peers).
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Io {
            send,
            recv,
            buf: Bytes::new(),
            ended: None,
        }
    }

    /// Resets the stream (RST_STREAM with `reason`): the HTTP/2 form of a TCP
    /// reset (RFC 8441 §5.1).
    pub fn reset(&mut self, reason: h2::Reason) {
        self.send.send_reset(reason);
    }
}

/// Moves as much of `buf` as `out` has room for into `out`: a read served from bytes
/// already in hand.
pub(crate) fn read_from(buf: &mut Bytes, out: &mut ReadBuf<'_>) {
    let n = buf.len().min(out.remaining());
    out.put_slice(&buf.split_to(n));
}

fn io_error(kind: std::io::ErrorKind, why: String) -> std::io::Error {
    std::io::Error::new(kind, why)
}

impl AsyncRead for H2Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.buf.is_empty() {
            match ready!(self.recv.poll_data(cx)) {
                None => {
                    self.ended.get_or_insert(StreamEnd::EndStream);
                    return Poll::Ready(Ok(()));
                }
                Some(Ok(data)) => {
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    self.buf = data;
                }
                Some(Err(e)) => {
                    self.ended = Some(stream_end(&e));
                    return Poll::Ready(Err(io_error(
                        std::io::ErrorKind::ConnectionReset,
                        reason(&e),
                    )));
                }
            }
        }
        read_from(&mut self.buf, out);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.send.reserve_capacity(data.len());
        while self.send.capacity() == 0 {
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    return Poll::Ready(Err(io_error(std::io::ErrorKind::BrokenPipe, reason(&e))))
                }
                None => {
                    return Poll::Ready(Err(io_error(
                        std::io::ErrorKind::BrokenPipe,
                        "the stream is closed for sending".into(),
                    )))
                }
            }
        }
        let n = self.send.capacity().min(data.len());
        self.send
            .send_data(Bytes::copy_from_slice(&data[..n]), false)
            .map_err(|e| io_error(std::io::ErrorKind::BrokenPipe, reason(&e)))?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // The connection task writes what h2 buffered as soon as windows allow.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.send.reserve_capacity(0);
        // END_STREAM: the suite's half-close. An error means the stream is gone already.
        let _ = self.send.send_data(Bytes::new(), true);
        Poll::Ready(Ok(()))
    }
}

/// The connections of a run: one shared by every case, or one per case.
pub struct Pool {
    settings: Http2Settings,
    shared: tokio::sync::Mutex<Option<H2Connection>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool that opens connections with `settings`.
    pub fn new(settings: Http2Settings) -> Self {
        Pool {
            settings,
            shared: tokio::sync::Mutex::new(None),
        }
    }

    /// The settings the pool opens connections with.
    pub fn settings(&self) -> &Http2Settings {
        &self.settings
    }

    /// A connection for one case: the shared one (opened on first use, and again
    /// when the last one broke) or a fresh one.
    pub async fn get(&self, target: &Target, tls: &ClientTls) -> Result<H2Connection, String> {
        if !self.settings.share {
            return connect(target, tls, &self.settings).await;
        }
        let mut shared = self.shared.lock().await;
        if let Some(c) = shared.as_ref() {
            if c.send.clone().ready().await.is_ok() {
                return Ok(c.clone());
            }
        }
        let c = connect(target, tls, &self.settings).await?;
        *shared = Some(c.clone());
        Ok(c)
    }
}

/// Plays one case on an extended-CONNECT stream: the CONNECT and its answer
/// take the place of the opening handshake, then the frames go as over HTTP/1.1.
/// A case that only makes sense over HTTP/1.1 is not played (INFORMATIONAL).
pub async fn run_case(
    case: &Case,
    target: &Target,
    settings: &RunSettings,
    pool: &Pool,
    mut config: RunConfig,
) -> CaseRecord {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let record = |outcome: RunOutcome, protocol: String| CaseRecord {
        index: 0,
        case: case.clone(),
        outcome,
        started,
        duration: t0.elapsed(),
        confirmation: None,
        protocol,
    };
    if let Some(h2case) = section20::lookup(case) {
        return section20::run_case(&h2case, target, settings, pool).await;
    }
    if let Some(why) = ws_cases::run::http2_not_applicable(case) {
        return record(
            RunOutcome::not_applicable(&why),
            "HTTP/2 (not played)".into(),
        );
    }
    config.opening = Opening::ExtendedConnect {
        scheme: scheme(target).into(),
    };
    let mut run = CaseRun::new(case, config);
    let deadline = case.hard_deadline(settings.case_timeout);
    let mut protocol = format!("HTTP/2; {}", pool.settings().windows());
    let driving = async {
        let opened = async {
            let conn = pool.get(target, &settings.tls).await?;
            protocol = format!(
                "HTTP/2 ({}{}); {}",
                conn.kind,
                if pool.settings().share {
                    ", shared connection"
                } else {
                    ""
                },
                pool.settings().windows()
            );
            if !conn.connect_protocol {
                return Err(
                    "the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 \
                     (RFC 8441 §3), so no extended CONNECT may be sent"
                        .to_string(),
                );
            }
            conn.open(&run.connect_request()).await
        };
        match tokio::time::timeout(settings.case_timeout, opened).await {
            Ok(Ok(mut opened)) => {
                protocol.push_str(&format!("; stream {}", opened.stream_id));
                run.on_connect_response(opened.status, &opened.headers, t0.elapsed());
                drive(&mut run, &mut opened.io, t0, deadline).await;
                if let Some(end) = &opened.io.ended {
                    protocol.push_str(&describe_end(end));
                }
            }
            Ok(Err(why)) => run.abort(t0.elapsed(), &why),
            Err(_) => run.abort(t0.elapsed(), "opening the HTTP/2 stream timed out"),
        }
    };
    let ((), probed) = tokio::join!(driving, second_connection(case, target, settings, t0));
    if let Some(result) = probed {
        run.on_probe(result);
    }
    let outcome = run.finish();
    record(outcome, protocol)
}

/// Checks once that the target takes a WebSocket over HTTP/2: the connection
/// opens, the peer advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and answers a
/// standard extended CONNECT with 2xx; then the stream is closed politely.
pub async fn probe(
    target: &Target,
    settings: &RunSettings,
    pool: &Pool,
) -> Result<Probe, HarnessError> {
    let not_ws = |problem: ProbeProblem| HarnessError::NotWebSocket {
        url: target.url.clone(),
        problem,
    };
    let attempt = async {
        let conn = connect(target, &settings.tls, pool.settings())
            .await
            .map_err(ProbeProblem::Http2)?;
        if !conn.connect_protocol {
            return Err(ProbeProblem::NoExtendedConnect {
                settings: conn.kind.to_string(),
            });
        }
        let mut request =
            ConnectRequest::websocket(scheme(target), &target.host_header(), &target.path);
        request.headers.extend(
            settings
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone())),
        );
        let mut opened = conn.open(&request).await.map_err(ProbeProblem::Http2)?;
        if !(200..300).contains(&opened.status) {
            return Err(ProbeProblem::Http2Status(opened.status));
        }
        let close = ws_spec::frame::Frame::close(Some(1000), b"")
            .with_mask(Some([0x11, 0x22, 0x33, 0x44]))
            .encode();
        let _ = opened.io.write_all(&close).await;
        let _ = opened.io.shutdown().await;
        let mut sink = [0u8; 256];
        let _ = tokio::time::timeout(Duration::from_millis(500), opened.io.read(&mut sink)).await;
        Ok(Probe::Valid)
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .map_err(|_| not_ws(ProbeProblem::Http2Timeout(Duration::from_secs(10))))?
        .map_err(not_ws)
}

/// `:scheme` for the target: `https` over TLS, `http` otherwise.
fn scheme(target: &Target) -> &'static str {
    if target.tls {
        "https"
    } else {
        "http"
    }
}
