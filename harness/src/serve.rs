//! Testing WebSocket clients: the suite as server, speaking Autobahn|Testsuite's
//! fuzzingserver protocol.
//!
//! A client under test connects once per request, and the request path says what it
//! wants (as `wstest -m fuzzingserver` understands it, so existing client drivers work
//! unchanged):
//!
//! | path | answer |
//! |---|---|
//! | `/getCaseCount` | one text message, the number of selected cases as JSON, then a close |
//! | `/runCase?case=N&agent=A` (or `casetuple=1.2.3`) | case N (1-based, in selection order) played with the suite as server; the client echoes |
//! | `/getCaseInfo?case=N` | `{"id": .., "description": ..}`, then a close |
//! | `/getCaseStatus?case=N&agent=A` | `{"behavior": ..}` once A has run case N, then a close |
//! | `/updateReports?agent=A[&shutdownOnComplete=true]` | writes A's report into the report directory, then a close |
//! | `/stopServer` | a close, then the server stops |
//!
//! A plain HTTP request (no `Upgrade: websocket`) gets the driver page and what it reads
//! ([`http`]): `GET /` makes a browser the client under test.
//!
//! Any other path gets HTTP 404 (Autobahn's "direct command mode" is not offered), and a
//! request with missing or malformed parameters HTTP 400. Each connection runs on its own
//! task: a client that stalls holds up nothing but its own case, which its timers or the
//! case deadline end.
//!
//! With a [`ServerTls`] ([`FuzzingServer::serve_tls`], `serve --tls`) every connection
//! speaks TLS first, for clients that only test wss://.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use ws_cases::run::{CaseRun, Role, RunConfig, RunOutcome};
use ws_cases::Case;
use ws_reports::RunReport;
use ws_spec::connection::{ServerConnection, ServerConnectionConfig, ServerDeflate};
use ws_spec::endpoint::{self, Endpoint, EndpointConfig};
use ws_spec::handshake::{self, Request};

mod h2;
mod limits;
mod protocol;

pub use h2::Http2Serve;
use limits::AgentRun;
pub use limits::{Refusal, DEFAULT_MAX_AGENTS, MAX_AGENT_NAME};
use protocol::query_params;
pub use protocol::{parse_command, Command, CommandError};

use crate::error::HarnessError;
use crate::report::{case_result, iso8601};
use crate::runner::{drive, CaseRecord};
use crate::tls::{ServerTls, ServerTlsArgs};

pub mod http;

/// Largest opening request accepted.
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send its opening request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a control connection waits for the client's half of the closing handshake.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A client's connection, over TCP or TLS: the per-connection code does not care which.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}
type Stream = Box<dyn Conn>;

/// Settings of the fuzzing server.
#[derive(Clone, Debug)]
pub struct ServeSettings {
    /// Hard deadline of one case, counted from the client's opening request.
    pub case_timeout: Duration,
    /// Largest message accepted from a client; above it the case fails (1009).
    pub max_message: u64,
    /// Report directory written by `/updateReports` and [`FuzzingServer::write_reports`];
    /// `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Agents kept at most; a `/runCase` of one more gets HTTP 429.
    pub max_agents: usize,
    /// Whether clients may come over HTTP/2 (RFC 8441) as well as HTTP/1.1.
    pub http2: Http2Serve,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            case_timeout: Duration::from_secs(60),
            max_message: 64 << 20,
            out: None,
            max_agents: DEFAULT_MAX_AGENTS,
            http2: Http2Serve::Off,
        }
    }
}

/// A finished case, as the log callback sees it.
#[derive(Clone, Debug)]
pub struct CaseDone {
    /// The client's agent name.
    pub agent: String,
    /// Case number as the client asked for it (1-based).
    pub number: usize,
    /// Number of selected cases.
    pub of: usize,
    /// Case id.
    pub id: String,
    /// Message-level verdict.
    pub behavior: ws_cases::Behavior,
    /// Closing-handshake verdict.
    pub behavior_close: ws_cases::CloseBehavior,
    /// Wall time of the case.
    pub duration: Duration,
}

type CaseLog = Box<dyn Fn(&CaseDone) + Send + Sync>;

/// The fuzzing server: the selected cases, every client's results so far, and the stop
/// signal. Share it in an [`Arc`]; [`FuzzingServer::serve`] accepts connections.
pub struct FuzzingServer {
    cases: Vec<Case>,
    settings: ServeSettings,
    results: Mutex<BTreeMap<String, AgentRun>>,
    /// Cases being played, by agent: `/updateReports` waits for them to be recorded.
    playing: Mutex<BTreeMap<String, usize>>,
    /// Woken whenever a case finishes, for `/getCaseStatus` waiting on it.
    finished: Notify,
    /// Report writes go one at a time: two agents updating at once share index.json.
    writing: Mutex<()>,
    stop: watch::Sender<bool>,
    on_case: Option<CaseLog>,
}

impl std::fmt::Debug for FuzzingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzingServer")
            .field("cases", &self.cases.len())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl FuzzingServer {
    /// A server for `cases` (in the order clients number them). Section 0 cases vary the
    /// client's request and cannot be played as server: pass only cases for which
    /// `case.plays_in(Role::Server)` holds ([`ws_cases::cases_for`] gives them).
    pub fn new(cases: Vec<Case>, settings: ServeSettings) -> Self {
        FuzzingServer {
            cases,
            settings,
            results: Mutex::new(BTreeMap::new()),
            playing: Mutex::new(BTreeMap::new()),
            finished: Notify::new(),
            writing: Mutex::new(()),
            stop: watch::channel(false).0,
            on_case: None,
        }
    }

    /// Calls `f` as each case finishes (progress lines in the CLI).
    pub fn with_case_log(mut self, f: impl Fn(&CaseDone) + Send + Sync + 'static) -> Self {
        self.on_case = Some(Box::new(f));
        self
    }

    /// The selected cases, in client numbering order.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// The settings.
    pub fn settings(&self) -> &ServeSettings {
        &self.settings
    }

    /// Asks [`FuzzingServer::serve`] to return (as `/stopServer` does).
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// True once a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Accepts connections, each on its own task, until a stop is asked for; then the
    /// connections still open are abandoned (their cases leave no result).
    pub async fn serve(self: &Arc<Self>, listener: TcpListener) {
        self.accept_loop(listener, None).await
    }

    /// As [`FuzzingServer::serve`], over TLS (wss://). Each TLS handshake runs on the
    /// connection's own task; one that fails drops only that connection.
    pub async fn serve_tls(self: &Arc<Self>, listener: TcpListener, tls: ServerTls) {
        self.accept_loop(listener, Some(tls)).await
    }

    async fn accept_loop(self: &Arc<Self>, listener: TcpListener, tls: Option<ServerTls>) {
        let mut stop = self.stop.subscribe();
        let mut tasks = JoinSet::new();
        loop {
            if *stop.borrow_and_update() {
                break;
            }
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let server = self.clone();
                        let tls = tls.clone();
                        tasks.spawn(async move {
                            let _ = stream.set_nodelay(true);
                            let (stream, h2) = match tls {
                                None => h2::sniff(Box::new(stream), server.settings.http2).await,
                                Some(tls) => match tls.accept(stream).await {
                                    Ok(s) => {
                                        let alpn = s.get_ref().1.alpn_protocol();
                                        let h2 = alpn == Some(crate::tls::ALPN_H2);
                                        (Box::new(s) as Stream, h2.then_some("h2"))
                                    }
                                    Err(_) => return,
                                },
                            };
                            match h2 {
                                Some(kind) => h2::serve(server, stream, kind).await,
                                None => server.serve_connection(stream).await,
                            }
                        });
                    }
                    // Out of descriptors or similar: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = stop.changed() => {}
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    /// Agents that have results, sorted.
    pub fn agents(&self) -> Vec<String> {
        self.lock_results()
            .iter()
            .filter(|(_, run)| !run.results.is_empty())
            .map(|(agent, _)| agent.clone())
            .collect()
    }

    /// The report of one agent: every case it has run so far, in selection order.
    pub fn report(&self, agent: &str) -> Option<RunReport> {
        let results = self.lock_results();
        let run = results.get(agent).filter(|r| !r.results.is_empty())?;
        Some(RunReport {
            agent: agent.to_string(),
            results: run.results.values().cloned().collect(),
            started: iso8601(run.started),
            insecure_tls: false,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            url: None,
        })
    }

    /// The reports of every agent with results.
    pub fn reports(&self) -> Vec<RunReport> {
        self.agents()
            .iter()
            .filter_map(|a| self.report(a))
            .collect()
    }

    /// Writes the reports of `agent` (or of every agent, with `None`) into the report
    /// directory; returns the directory, or `None` when there is none or nothing to write.
    /// Agents are written one by one: one that cannot be written costs no other agent its
    /// report (the first error is returned once all were tried).
    pub fn write_reports(&self, agent: Option<&str>) -> Result<Option<PathBuf>, HarnessError> {
        let Some(out) = &self.settings.out else {
            return Ok(None);
        };
        let reports: Vec<RunReport> = match agent {
            Some(a) => self.report(a).into_iter().collect(),
            None => self.reports(),
        };
        if reports.is_empty() {
            return Ok(None);
        }
        let _guard = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut first_error = None;
        for report in reports {
            if let Err(e) = ws_reports::write_autobahn_dir(out, std::slice::from_ref(&report)) {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(Some(out.clone())),
        }
    }

    fn lock_results(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, AgentRun>> {
        // A panic elsewhere must not lose the results gathered so far.
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn behavior_of(&self, agent: &str, index: usize) -> Option<ws_cases::Behavior> {
        self.lock_results()
            .get(agent)
            .and_then(|r| r.results.get(&index))
            .map(|r| r.behavior)
    }

    /// Counts case `index` of `agent` as being played, from now, until the returned
    /// guard is recorded (or dropped).
    fn begin_case(&self, agent: &str, index: usize) -> Playing<'_> {
        let mut playing = self.playing.lock().unwrap_or_else(|e| e.into_inner());
        *playing.entry(agent.to_string()).or_default() += 1;
        Playing {
            server: self,
            agent: agent.to_string(),
            index,
            started: SystemTime::now(),
            t0: Instant::now(),
        }
    }

    /// Waits, at most `limit`, until no case of `agent` is being played. A client that
    /// asks for its report as soon as its last case's closing handshake is done can be
    /// quicker than the server's judging of that case; without this wait the report
    /// would miss it (seen under load in serve_clients.rs).
    async fn settle(&self, agent: &str, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // Registered before the check, so a case ending in between still wakes us.
            let notified = self.finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let busy = self
                .playing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(agent)
                .is_some_and(|n| *n > 0);
            if !busy || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    fn record(&self, playing: Playing<'_>, record: CaseRecord) {
        let agent = playing.agent.as_str();
        if let Some(log) = &self.on_case {
            log(&CaseDone {
                agent: agent.to_string(),
                number: record.index + 1,
                of: self.cases.len(),
                id: record.case.id.clone(),
                behavior: record.outcome.verdict.behavior,
                behavior_close: record.outcome.verdict.behavior_close,
                duration: record.duration,
            });
        }
        // Kept in report form: bounded, and without the payloads a hostile client sent.
        let result = case_result(&record, agent);
        {
            let mut results = self.lock_results();
            let run = results
                .entry(agent.to_string())
                .or_insert_with(|| AgentRun {
                    started: record.started,
                    results: BTreeMap::new(),
                });
            run.started = run.started.min(record.started);
            run.results.insert(record.index, result);
        }
        // Dropping the guard wakes the waiters once the result is in place.
        drop(playing);
    }

    /// Serves one connection: reads the request, then dispatches on its path.
    async fn serve_connection(self: Arc<Self>, mut stream: Stream) {
        let Some((request, head, consumed)) = read_request(&mut stream).await else {
            return;
        };
        if http::is_plain_http(&request) {
            let answer = http::answer(&self, &request).await;
            answer_and_close(&mut stream, &answer).await;
            return;
        }
        let command = match parse_command(&request.target, &self.cases) {
            Ok(c) => c,
            Err(e) => {
                answer_and_close(&mut stream, &http_error(e.status(), &e.to_string())).await;
                return;
            }
        };
        if let Command::RunCase { index, agent } = command {
            let admitted =
                limits::admit(&mut self.lock_results(), &agent, self.settings.max_agents);
            if let Err(refusal) = admitted {
                let answer = http_error(refusal.status(), &refusal.to_string());
                answer_and_close(&mut stream, &answer).await;
                return;
            }
            self.run_case(stream, &request, head, index, &agent).await;
            return;
        }
        let Some(control) = Control::accept(stream, &request, head, consumed).await else {
            return;
        };
        self.control(control, command).await;
    }

    /// Answers a command other than `/runCase` on an open WebSocket, then closes it.
    async fn control(self: &Arc<Self>, mut control: Control, command: Command) {
        match command {
            Command::RunCase { .. } => unreachable!("handled above"),
            Command::CaseCount => {
                control.ep.send_text(&self.cases.len().to_string());
                control.close(None).await;
            }
            Command::CaseInfo { index } => {
                let case = &self.cases[index];
                let info = serde_json::json!({"id": case.id, "description": case.description});
                control.ep.send_text(&info.to_string());
                control.close(None).await;
            }
            Command::CaseStatus { index, agent } => {
                let waited = tokio::select! {
                    b = self.wait_for_behavior(&agent, index) => Some(b),
                    _ = control.until_closed() => None,
                };
                if let Some(b) = waited {
                    let status = serde_json::json!({"behavior": b.as_str()});
                    control.ep.send_text(&status.to_string());
                    control.close(None).await;
                }
            }
            Command::UpdateReports { agent, shutdown } => {
                self.settle(&agent, CLOSE_TIMEOUT).await;
                let server = self.clone();
                let written = tokio::task::spawn_blocking(move || {
                    server
                        .write_reports(Some(&agent))
                        .map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(format!("report writer panicked: {e}")));
                match written {
                    Ok(_) => control.close(None).await,
                    // 1011: the server hit a condition that prevented it from fulfilling
                    // the request (RFC 6455 §7.4.1).
                    Err(e) => control.close(Some((1011, &e))).await,
                }
                if shutdown {
                    self.stop();
                }
            }
            Command::StopServer => {
                control.close(None).await;
                self.stop();
            }
        }
    }

    async fn wait_for_behavior(&self, agent: &str, index: usize) -> ws_cases::Behavior {
        loop {
            // Registered before the check, so a case ending in between still wakes us.
            let notified = self.finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(b) = self.behavior_of(agent, index) {
                return b;
            }
            notified.await;
        }
    }

    async fn run_case(
        &self,
        mut stream: Stream,
        request: &Request,
        head: Vec<u8>,
        index: usize,
        agent: &str,
    ) {
        let playing = self.begin_case(agent, index);
        let case = &self.cases[index];
        let t0 = playing.t0;
        let config = RunConfig {
            role: Role::Server,
            target: request.target.clone(),
            max_message: self.settings.max_message,
            seed: index as u64 + 1,
            ..RunConfig::default()
        };
        let outcome = if let Some(h2case) = h2::client_side_case(case) {
            answer_and_close(&mut stream, NOT_OVER_HTTP1).await;
            let advertised = self.settings.http2 != Http2Serve::WithoutSetting;
            let mut outcome = RunOutcome::not_applicable("");
            outcome.verdict = ws_cases::http2::client_side_over_http1(&h2case, advertised);
            outcome
        } else {
            let mut run = CaseRun::new(case, config);
            // The request was read to find the case; the run sees it as the first bytes.
            run.on_bytes(&head, Duration::ZERO);
            drive(
                &mut run,
                KeepOpen(&mut stream),
                t0,
                case.hard_deadline(self.settings.case_timeout),
            )
            .await;
            run.finish()
        };
        playing.record(outcome, "HTTP/1.1".into());
        let _ = stream.shutdown().await;
    }
}

/// A case of one agent being played; see [`FuzzingServer::begin_case`].
struct Playing<'a> {
    server: &'a FuzzingServer,
    agent: String,
    /// The case's position in the server's selection.
    index: usize,
    started: SystemTime,
    /// The clock of the case's run (its durations and deadlines count from here).
    t0: Instant,
}

impl Playing<'_> {
    /// Records what the case came to, over HTTP/1.1 or HTTP/2 (`protocol`, as the
    /// report shows it), and ends it.
    fn record(self, outcome: RunOutcome, protocol: String) {
        let record = CaseRecord {
            index: self.index,
            case: self.server.cases[self.index].clone(),
            outcome,
            started: self.started,
            duration: self.t0.elapsed(),
            confirmation: None,
            protocol,
        };
        self.server.record(self, record);
    }
}

impl Drop for Playing<'_> {
    fn drop(&mut self) {
        let mut playing = self
            .server
            .playing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = playing.get_mut(&self.agent) {
            *n = n.saturating_sub(1);
        }
        drop(playing);
        self.server.finished.notify_waiters();
    }
}

/// Lends the socket to [`drive`] without letting it close it: the case is recorded
/// before TCP closes, so a client that sees the end of its case and asks for its report
/// (or the case's status) at once finds the result there.
struct KeepOpen<'a, T>(&'a mut T);

impl<T: AsyncRead + Unpin> AsyncRead for KeepOpen<'_, T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for KeepOpen<'_, T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// The answer to an HTTP/1.1 upgrade for a case about HTTP/2 clients (20.4.x); 20.4.3
/// judges only that the client came over HTTP/1.1, so it gets this answer too.
const NOT_OVER_HTTP1: &[u8] =
    b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Writes the connection's last answer (a refusal, a page) and closes it; a client
/// already gone is no error.
async fn answer_and_close(stream: &mut Stream, answer: &[u8]) {
    let _ = stream.write_all(answer).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Reads the opening request; `None` when the client gave up, took too long or sent
/// something that is not a request (then it has been answered with a 4xx).
async fn read_request(stream: &mut Stream) -> Option<(Request, Vec<u8>, usize)> {
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return None,
        };
        head.extend_from_slice(&buf[..n]);
        match handshake::parse_request(&head, MAX_HEAD) {
            Ok(Some((request, consumed))) => return Some((request, head, consumed)),
            Ok(None) => {}
            Err(e) => {
                answer_and_close(stream, &handshake::refusal_response(&e)).await;
                return None;
            }
        }
    }
}

/// A plain HTTP error answer with a one-line text body.
fn http_error(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Bad Request",
    };
    let body = format!("{body}\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A control connection (every path but `/runCase`): the reference endpoint as server,
/// sending at most one message and then closing.
struct Control {
    stream: Stream,
    ep: Endpoint,
    t0: Instant,
    buf: Vec<u8>,
}

impl Control {
    /// A control WebSocket whose opening is done already (an accepted extended CONNECT).
    fn opened(stream: Stream) -> Self {
        Control {
            stream,
            ep: Endpoint::new(EndpointConfig::new(endpoint::Role::Server)),
            t0: Instant::now(),
            buf: vec![0u8; 16 * 1024],
        }
    }

    /// Completes the opening handshake with the reference server rules; a refused
    /// request has been answered and closed.
    async fn accept(
        mut stream: Stream,
        request: &Request,
        mut head: Vec<u8>,
        consumed: usize,
    ) -> Option<Self> {
        let config = ServerConnectionConfig {
            deflate: ServerDeflate::Off,
            endpoint: EndpointConfig::new(endpoint::Role::Server),
            max_head: MAX_HEAD,
            ..ServerConnectionConfig::echo()
        };
        let rest = head.split_off(consumed);
        let mut conn =
            ServerConnection::from_request(config, request.clone(), &rest, Duration::ZERO);
        let answer = conn.take_output();
        if conn.wants_tcp_close() {
            answer_and_close(&mut stream, &answer).await;
            return None;
        }
        stream.write_all(&answer).await.ok()?;
        stream.flush().await.ok()?;
        Some(Control {
            stream,
            ep: conn.into_endpoint()?,
            t0: Instant::now(),
            buf: vec![0u8; 16 * 1024],
        })
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        while self.ep.poll_event().is_some() {}
        let out = self.ep.take_output();
        if !out.is_empty() {
            self.stream.write_all(&out).await?;
            // rustls keeps what it encrypted until a flush; over TCP this does nothing.
            self.stream.flush().await?;
        }
        Ok(())
    }

    /// Reads one chunk into the endpoint; false on EOF or error.
    async fn read_some(&mut self) -> bool {
        match self.stream.read(&mut self.buf).await {
            Ok(n) if n > 0 => {
                self.ep.receive(&self.buf[..n], self.t0.elapsed());
                true
            }
            _ => {
                self.ep.receive_eof();
                false
            }
        }
    }

    /// Answers pings and the like until the client closes (or fails) the connection.
    async fn until_closed(&mut self) {
        loop {
            if self.flush().await.is_err() || self.ep.state() != endpoint::State::Open {
                return;
            }
            if !self.read_some().await {
                return;
            }
        }
    }

    /// Sends what is queued, starts the closing handshake (an empty close frame, as
    /// Autobahn's `sendClose()` sends, unless a code is given), waits a bounded time for
    /// the client's close and closes TCP, as a server does first (RFC 6455 §7.1.1).
    async fn close(mut self, code: Option<(u16, &str)>) {
        match code {
            Some((code, reason)) => self.ep.close(code, reason),
            // 1005 is never sent: the endpoint writes an empty close body for it.
            None => self.ep.close(1005, ""),
        }
        let deadline = tokio::time::Instant::now() + CLOSE_TIMEOUT;
        loop {
            if self.flush().await.is_err() || self.ep.wants_tcp_close() {
                break;
            }
            match tokio::time::timeout_at(deadline, self.read_some()).await {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
        }
        let _ = self.stream.shutdown().await;
    }
}

/// Exit codes of `wsconform serve`, for its help text.
pub const SERVE_EXIT_CODES: &str = "\
Exit codes (after /stopServer, /updateReports?shutdownOnComplete=true, Ctrl-C or SIGTERM):
  0    no case any client ran is FAILED (behavior FAILED or close FAILED/UNCLEAN)
  1    some case some client ran is FAILED
  2    bad input: an option or case pattern; the address cannot be bound; the final
       report cannot be written";

/// Arguments of `wsconform serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, host:port (port 0 picks a free one). Loopback unless told
    /// otherwise.
    #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
    pub listen: String,
    /// Cases to offer: comma-separated ids or patterns ("*", "6.*", "1.1.1"); clients
    /// number them 1..N in catalogue order. Here section 0 is its client half (0.5,
    /// 0.6): valid and invalid 101 responses the client must accept or fail on.
    #[arg(long, default_value = "*")]
    pub cases: String,
    /// Cases to leave out, same syntax as --cases.
    #[arg(long, default_value = "")]
    pub exclude: String,
    /// Report directory written at each /updateReports and when the server stops
    /// (Autobahn-compatible index.json, per-case JSON, index.html). Agents already in it
    /// that no client updates are kept.
    #[arg(
        long,
        short = 'o',
        value_name = "DIR",
        default_value = "wsconform-report"
    )]
    pub out: PathBuf,
    /// Hard deadline of one case, in seconds; past it the case is FAILED ("timed out").
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub case_timeout: f64,
    /// Largest message accepted from a client, in bytes; larger ones fail the case (1009).
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_message_size: u64,
    /// Agents (client names) whose results are kept; a /runCase of one more is answered
    /// HTTP 429, and one named in more than 1024 bytes HTTP 400. Each agent keeps one
    /// result per case, its wire log bounded (see docs/bounds.md).
    #[arg(long, default_value_t = DEFAULT_MAX_AGENTS, value_name = "N")]
    pub max_agents: usize,
    /// Print nothing per case (only the address, and the summary at the end).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also offer the opt-in cases where a wildcard such as `*` matches them: section 15
    /// (limits: frames announcing 2^63 bytes, floods of fragments and pings), aggressive
    /// by design. Naming the section (`--cases '15.*'`) offers it without --all.
    #[arg(long)]
    pub all: bool,
    /// Take WebSockets over HTTP/2 too (RFC 8441) on the same port: with --tls, ALPN
    /// offers h2 and http/1.1; without, a connection opening with the HTTP/2 preface is
    /// h2c (prior knowledge). SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 is advertised and
    /// each extended CONNECT plays its case on its stream; the report says which
    /// protocol (and stream) each case used.
    #[arg(long)]
    pub http2: bool,
    /// With --http2: leave SETTINGS_ENABLE_CONNECT_PROTOCOL out of the SETTINGS (an
    /// extended CONNECT is still read, to catch a client that sends one anyway). Case
    /// 20.4.3 (--cases '20.4.*') is judged this way: a client must open its WebSockets
    /// over HTTP/1.1 instead, or fail it (RFC 8441 §3).
    #[arg(long, requires = "http2")]
    pub http2_without_setting: bool,
    /// wss:// instead of ws://.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

/// `wsconform serve`: runs until stopped, then writes every agent's report, prints a
/// summary per agent and returns the exit code.
pub async fn cmd_serve(args: ServeArgs) -> anyhow::Result<i32> {
    use anyhow::Context;
    if !(args.case_timeout > 0.0 && args.case_timeout.is_finite()) {
        anyhow::bail!("--case-timeout must be a positive number of seconds");
    }
    let mut catalogue = ws_cases::cases_for(Role::Server);
    if args.http2 {
        // The cases about HTTP/2 clients (20.4.x); opt-in, like section 15.
        catalogue.extend(
            ws_cases::catalogue::http2_cases()
                .into_iter()
                .map(|c| c.case)
                .filter(|c| c.plays_in(Role::Server)),
        );
    }
    let include = ws_cases::select::parse_list(&args.cases).map_err(HarnessError::from)?;
    let mut exclude = ws_cases::select::parse_list(&args.exclude).map_err(HarnessError::from)?;
    let client_only = |p: &ws_cases::select::Pattern| {
        !catalogue.iter().any(|c| p.matches(&c.id))
            && ws_cases::all_cases().iter().any(|c| p.matches(&c.id))
    };
    if let Some(p) = include.iter().find(|p| client_only(p)) {
        anyhow::bail!(
            "case pattern {:?} matches only cases that test servers (the suite plays them as \
             client only): run them with `wsconform run`",
            p.as_str()
        );
    }
    // An exclude list shared with `run` may name them; there is nothing to exclude here.
    exclude.retain(|p| !client_only(p));
    let cases: Vec<Case> = ws_cases::select::select(&catalogue, &include, &exclude)
        .map_err(HarnessError::from)?
        .into_iter()
        .filter(|c| ws_cases::select::opt_in_allowed(c, &include, args.all))
        .cloned()
        .collect();
    if cases.is_empty() {
        anyhow::bail!("the case selection is empty: no client could run anything");
    }
    let listener =
        TcpListener::bind(&args.listen)
            .await
            .map_err(|source| HarnessError::Listen {
                addr: args.listen.clone(),
                source,
            })?;
    let local = listener.local_addr().context("reading the bound address")?;
    let tls = args.tls.load(&local.ip().to_string(), local.port())?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let settings = ServeSettings {
        case_timeout: Duration::from_secs_f64(args.case_timeout),
        max_message: args.max_message_size,
        out: Some(args.out.clone()),
        max_agents: args.max_agents,
        http2: match (args.http2, args.http2_without_setting) {
            (false, _) => Http2Serve::Off,
            (true, false) => Http2Serve::On,
            (true, true) => Http2Serve::WithoutSetting,
        },
    };
    let tls = tls.map(|t| if args.http2 { t.offering_h2() } else { t });
    let mut server = FuzzingServer::new(cases, settings);
    if !args.quiet {
        server = server.with_case_log(|d| {
            crate::outln!(
                "{}: case {} ({}/{}) {} / {} in {} ms",
                d.agent,
                d.id,
                d.number,
                d.of,
                d.behavior.as_str(),
                d.behavior_close.as_str(),
                d.duration.as_millis()
            );
        });
    }
    let server = Arc::new(server);
    crate::outln!(
        "wsconform serve: {} cases for clients at {scheme}://{local} (GET /getCaseCount, /runCase?case=N&agent=NAME, /updateReports?agent=NAME); a browser runs them from {}://{local}/; report: {}",
        server.cases().len(),
        if scheme == "wss" { "https" } else { "http" },
        args.out.display()
    );
    for line in tls.iter().flat_map(|t| t.describe()) {
        crate::outln!("{line}");
    }
    let serving = async {
        match tls {
            Some(tls) => server.serve_tls(listener, tls).await,
            None => server.serve(listener).await,
        }
    };
    tokio::select! {
        _ = serving => {}
        _ = shutdown_signal() => server.stop(),
    }
    let written = server.write_reports(None)?;
    let reports = server.reports();
    let fail_on = ws_reports::FailOn::Failed;
    let mut failing = 0;
    for report in &reports {
        crate::outln!("{}", ws_reports::summary_table_with(report, fail_on));
        failing += ws_reports::failing_cases(report, fail_on).len();
    }
    if reports.is_empty() {
        crate::outln!("no client ran a case");
    }
    if let Some(dir) = written {
        crate::outln!("report: {}", dir.join("index.html").display());
    }
    Ok(if failing > 0 { 1 } else { 0 })
}

/// Ctrl-C, or SIGTERM where there is one (how CI and service managers stop servers).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
