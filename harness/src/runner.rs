//! Plays cases against a server over real sockets, many at once.
//!
//! Each case gets its own connection. The sans-IO [`CaseRun`] decides what to
//! write and when; this module only moves bytes, keeps time and enforces the
//! hard deadline. Reading and writing proceed together, so a server that
//! echoes a 16 MiB message while still receiving it cannot deadlock the run.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use ws_cases::run::{CaseRun, Output, RunConfig, RunOutcome};
use ws_cases::Case;

use crate::error::{HarnessError, ProbeProblem, TlsHandshakeProblem};
use crate::target::Target;
use crate::tls::ClientTls;

/// Settings of a whole run.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Cases running at once (performance cases always run alone).
    pub jobs: usize,
    /// Hard deadline of one case.
    pub case_timeout: Duration,
    /// Largest message accepted from the server.
    pub max_message: u64,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Certificate verification for wss:// targets.
    pub tls: ClientTls,
    /// The largest message the server accepts, as the user declares it
    /// (`--peer-max-message`), for the case that sends one byte more.
    pub peer_max_message: Option<u64>,
    /// Play a case again alone when it came out worse than OK beside other
    /// cases, and report that verdict (see [`crate::confirm`]).
    pub confirm: bool,
    /// Play each case on an extended-CONNECT stream over HTTP/2 (RFC 8441)
    /// through this pool of connections, instead of an HTTP/1.1 upgrade.
    pub http2: Option<Arc<crate::http2::Pool>>,
    /// How long a compression case (sections 12, 13) waits with no byte from the
    /// server while an echo is owed before failing ("stopped answering").
    pub stall_timeout: Duration,
    /// When the whole run must be over (`--max-run-time`): a case still going then is
    /// ended, and a case not started by then is reported FAILED without a connection.
    pub run_deadline: Option<Instant>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            jobs: default_jobs(),
            case_timeout: Duration::from_secs(60),
            max_message: 64 << 20,
            headers: Vec::new(),
            tls: ClientTls::default(),
            peer_max_message: None,
            confirm: true,
            http2: None,
            stall_timeout: ws_cases::run::DEFAULT_STALL_TIMEOUT,
            run_deadline: None,
        }
    }
}

/// A few cases per core: most cases spend their time waiting on the peer.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() * 4)
        .unwrap_or(8)
}

/// One finished case.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    /// Position of the case in the selection (0-based).
    pub index: usize,
    /// The case.
    pub case: Case,
    /// What happened.
    pub outcome: RunOutcome,
    /// Wall-clock start, for the report.
    pub started: SystemTime,
    /// Wall time taken.
    pub duration: Duration,
    /// Set when the case was (or should have been) played again alone.
    pub confirmation: Option<crate::confirm::Confirmation>,
    /// How the case reached the peer: `HTTP/1.1`, or HTTP/2 with the stream and
    /// the flow-control windows used.
    pub protocol: String,
}

/// How long the first check of a URL may take in all: TCP connect, TLS handshake and the
/// whole opening handshake response. One deadline, not one per read, so a server that
/// trickles its answer a byte at a time cannot hold the run.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks once that the target accepts a WebSocket connection, so a wrong URL
/// is a one-line error instead of 300 failed cases. The whole check ends within
/// [`PROBE_TIMEOUT`].
pub async fn probe(target: &Target, settings: &RunSettings) -> Result<Probe, HarnessError> {
    if let Some(pool) = &settings.http2 {
        let probing = crate::http2::probe(target, settings, pool);
        return tokio::time::timeout(PROBE_TIMEOUT, probing)
            .await
            .unwrap_or_else(|_| {
                Err(HarnessError::NotWebSocket {
                    url: target.url.clone(),
                    problem: ProbeProblem::Http2Timeout(PROBE_TIMEOUT),
                })
            });
    }
    probe_within(target, settings, PROBE_TIMEOUT).await
}

/// TCP to `addr` by `deadline`; running out of time is a connect error that says so.
pub(crate) async fn connect_by(
    addr: &str,
    deadline: tokio::time::Instant,
) -> Result<TcpStream, HarnessError> {
    tokio::time::timeout_at(deadline, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "timed out",
            ))
        })
        .map_err(|source| HarnessError::Connect {
            addr: addr.to_string(),
            source,
        })
}

/// [`probe`] with the overall deadline given.
pub async fn probe_within(
    target: &Target,
    settings: &RunSettings,
    limit: Duration,
) -> Result<Probe, HarnessError> {
    let deadline = tokio::time::Instant::now() + limit;
    let addr = target.socket_addr();
    let stream = connect_by(&addr, deadline).await?;
    if !target.tls {
        return probe_handshake(stream, target, settings, deadline, limit).await;
    }
    let stream = tokio::time::timeout_at(deadline, settings.tls.connect(stream, target))
        .await
        .map_err(|_| HarnessError::TlsHandshake {
            addr: addr.clone(),
            problem: TlsHandshakeProblem::Timeout(limit),
        })??;
    probe_handshake(stream, target, settings, deadline, limit).await
}

/// What the probe found at a URL that speaks HTTP and answers 101.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A valid opening handshake (RFC 6455 §4.1).
    Valid,
    /// A 101 that breaks RFC 6455 §4.1 (wrong Sec-WebSocket-Accept, no Upgrade, ...):
    /// a WebSocket server with a finding, not a wrong URL; ws-spec says what is wrong.
    BrokenHandshake(ws_spec::error::HandshakeError),
}

impl Probe {
    /// `Ok` only for a valid handshake, for callers that need one to work at all.
    pub fn require_valid(self, target: &Target) -> Result<(), HarnessError> {
        match self {
            Probe::Valid => Ok(()),
            Probe::BrokenHandshake(e) => Err(HarnessError::NotWebSocket {
                url: target.url.clone(),
                problem: ProbeProblem::InvalidHandshake(e),
            }),
        }
    }
}

/// The opening handshake and a polite close, on a connected (and maybe TLS) stream.
async fn probe_handshake<S>(
    mut stream: S,
    target: &Target,
    settings: &RunSettings,
    deadline: tokio::time::Instant,
    limit: Duration,
) -> Result<Probe, HarnessError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let key = ws_spec::handshake::random_key(7);
    let mut req =
        ws_spec::handshake::RequestBuilder::new(&target.host_header(), &target.path, &key);
    for (k, v) in &settings.headers {
        req = req.set(k, v);
    }
    let not_ws = |problem: ProbeProblem| HarnessError::NotWebSocket {
        url: target.url.clone(),
        problem,
    };
    let late = || not_ws(ProbeProblem::Timeout(limit));
    // Flushing matters over TLS: the request must leave the session's buffer.
    tokio::time::timeout_at(deadline, async {
        stream.write_all(&req.encode()).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| late())?
    .map_err(|e| not_ws(ProbeProblem::Write(e)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let response = loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .map_err(|_| late())?
            .map_err(|e| not_ws(ProbeProblem::Read(e)))?;
        if n == 0 {
            return Err(not_ws(ProbeProblem::Closed));
        }
        buf.extend_from_slice(&chunk[..n]);
        match ws_spec::handshake::parse_response(&buf, 64 * 1024) {
            Ok(Some((resp, _))) => break resp,
            Ok(None) => continue,
            Err(e) => return Err(not_ws(ProbeProblem::NotHttp(e))),
        }
    };
    if response.status != 101 {
        return Err(not_ws(ProbeProblem::Status {
            status: response.status,
            reason: response.reason,
        }));
    }
    if let Err(e) = ws_spec::handshake::validate_response(&response, &key, &[], &[]) {
        // A conforming client fails such a connection (§4.1): it just goes.
        return Ok(Probe::BrokenHandshake(e));
    }
    // Leave politely: a normal close, masked as a client must.
    let close = ws_spec::frame::Frame::close(Some(1000), b"")
        .with_mask(Some([0x11, 0x22, 0x33, 0x44]))
        .encode();
    // Bounded too: a server that reads nothing must not hold the check past its verdict.
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        let _ = stream.write_all(&close).await;
        let _ = stream.flush().await;
        let _ = stream.read(&mut chunk).await;
    })
    .await;
    Ok(Probe::Valid)
}

/// A connection to the server under test.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    InProcess(Box<dyn crate::target::PeerStream>),
}

/// TCP, then TLS for wss:// (or the in-process peer's own stream); an error is the
/// reason the case could not start.
async fn connect(target: &Target, settings: &RunSettings) -> Result<Conn, String> {
    if let Some(source) = target.source() {
        return source
            .open()
            .await
            .map(Conn::InProcess)
            .map_err(|e| format!("cannot open an in-process connection: {e}"));
    }
    let stream = target.connect_tcp().await?;
    if !target.tls {
        return Ok(Conn::Plain(stream));
    }
    settings
        .tls
        .connect(stream, target)
        .await
        .map(|s| Conn::Tls(Box::new(s)))
        .map_err(|e| e.to_string())
}

/// Runs one case on a fresh connection (TCP, or TLS over TCP for wss://).
pub async fn run_case(case: &Case, target: &Target, settings: &RunSettings) -> CaseRecord {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let config = RunConfig {
        role: target.suite_role(),
        host: target.host_header(),
        target: target.path.clone(),
        extra_headers: settings.headers.clone(),
        max_message: settings.max_message,
        seed: seed_for(&case.id),
        peer_max_message: settings.peer_max_message,
        stall_timeout: settings.stall_timeout,
        ..RunConfig::default()
    };
    if let Some(pool) = &settings.http2 {
        return crate::http2::run_case(case, target, settings, pool, config).await;
    }
    let mut run = CaseRun::new(case, config);
    let addr = target.socket_addr();
    let mut deadline = case.hard_deadline(settings.case_timeout);
    let mut why = format!(
        "timed out: no outcome within the case timeout of {} s",
        deadline.as_secs_f64()
    );
    if let Some(end) = settings.run_deadline {
        let left = end.saturating_duration_since(t0);
        if left.is_zero() {
            run.abort(Duration::ZERO, RUN_TIME_SPENT);
            return finished(run, case, started, t0);
        }
        if left < deadline {
            deadline = left;
            why = "timed out: the run's --max-run-time ran out while the case was going".into();
        }
    }
    let connect_by = settings.case_timeout.min(deadline);
    let driving = async {
        match tokio::time::timeout(connect_by, connect(target, settings)).await {
            Ok(Ok(Conn::Plain(stream))) => drive_until(&mut run, stream, t0, deadline, &why).await,
            Ok(Ok(Conn::Tls(stream))) => drive_until(&mut run, stream, t0, deadline, &why).await,
            Ok(Ok(Conn::InProcess(stream))) => {
                drive_until(&mut run, stream, t0, deadline, &why).await
            }
            Ok(Err(why)) => run.abort(t0.elapsed(), &why),
            Err(_) => run.abort(t0.elapsed(), &format!("connecting to {addr} timed out")),
        }
    };
    let ((), probed) = tokio::join!(driving, second_connection(case, target, settings, t0));
    if let Some(result) = probed {
        run.on_probe(result);
    }
    finished(run, case, started, t0)
}

/// Why a case not started before `--max-run-time` ran out has no result.
pub const RUN_TIME_SPENT: &str = "not played: the run's --max-run-time was spent";

/// The record of a run that is over.
fn finished(run: CaseRun<'_>, case: &Case, started: SystemTime, t0: Instant) -> CaseRecord {
    CaseRecord {
        index: 0,
        case: case.clone(),
        outcome: run.finish(),
        started,
        duration: t0.elapsed(),
        confirmation: None,
        protocol: "HTTP/1.1".into(),
    }
}

/// What [`second_connection`] resolves to; boxed, since it runs a case itself.
type ProbeFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<Result<u64, String>>> + Send + 'a>>;

/// The second connection a `Measure::StillServes` case needs (`None` for any
/// other case): opened `after` into the case, it must get its echo within
/// `deadline`; `Ok(ms)` with the time the exchange took, or why it failed.
pub(crate) fn second_connection<'a>(
    case: &Case,
    target: &'a Target,
    settings: &'a RunSettings,
    t0: Instant,
) -> ProbeFuture<'a> {
    use ws_cases::model::{Measure, VerdictRule};
    let VerdictRule::Measured(Measure::StillServes { after, deadline }) = case.expect.rule else {
        return Box::pin(std::future::ready(None));
    };
    Box::pin(async move {
        tokio::time::sleep_until(tokio::time::Instant::from_std(t0 + after)).await;
        let probe = ws_cases::catalogue::probe_case();
        let settings = RunSettings {
            case_timeout: deadline,
            ..settings.clone()
        };
        let record = run_case(&probe, target, &settings).await;
        let obs = &record.outcome.observation;
        Some(match (&obs.perf, obs.measure.echo_ms) {
            (Some((true, _)), Some(ms)) => Ok(ms),
            _ => Err(record.outcome.verdict.reason.clone()),
        })
    })
}

pub(crate) fn seed_for(id: &str) -> u64 {
    // FNV-1a: a stable per-case seed keeps masking keys reproducible run to run.
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Moves bytes between `run` and `stream` until the case is decided or its deadline passes.
pub async fn drive<S>(run: &mut CaseRun<'_>, stream: S, t0: Instant, hard_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let why = format!(
        "timed out: no outcome within the case timeout of {} s",
        hard_timeout.as_secs_f64()
    );
    drive_until(run, stream, t0, hard_timeout, &why).await
}

/// As [`drive`], with `why` as the reason recorded when the deadline ends the case.
async fn drive_until<S>(
    run: &mut CaseRun<'_>,
    stream: S,
    t0: Instant,
    hard_timeout: Duration,
    why: &str,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let hard_deadline = tokio::time::Instant::from_std(t0) + hard_timeout;
    let mut out = Outbox::default();
    let mut drop_requested = false;
    // Set once the hard deadline has fired: from then on nothing is waited for,
    // not even unsent bytes a peer that stopped reading will never take.
    let mut expired = false;
    let mut read_done = false;
    // Set once the write side is half-closed for a case that asks for it.
    let mut shut = false;
    let mut buf = vec![0u8; 64 * 1024];
    // Timers live across iterations and are re-armed only when their deadline moves:
    // a fresh timer per wake-up costs more than a round trip of 9.7/9.8 does.
    let hard_sleep = tokio::time::sleep_until(hard_deadline);
    tokio::pin!(hard_sleep);
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    let case_sleep = tokio::time::sleep_until(far);
    tokio::pin!(case_sleep);
    let mut armed: Option<tokio::time::Instant> = None;
    // Once the outcome is decided, what is left to write (a close frame behind our own
    // unsent message) gets CLOSE_GRACE without progress; then TCP is dropped.
    let mut last_progress = tokio::time::Instant::now();
    let grace_sleep = tokio::time::sleep_until(far);
    tokio::pin!(grace_sleep);
    let mut grace_armed: Option<tokio::time::Instant> = None;
    loop {
        drop_requested |= out.take(run, expired);
        if run.write_shut() && !shut && out.pending.is_empty() && !out.broken && !drop_requested {
            shut = true;
            out.unflushed = false;
            let _ = tokio::time::timeout(Duration::from_secs(1), wr.shutdown()).await;
        }
        if (drop_requested || run.is_finished())
            && (out.pending.is_empty() || out.broken || expired)
        {
            break;
        }
        if read_done && run.is_finished() {
            break;
        }
        let deadline = run
            .next_deadline()
            .map(|d| tokio::time::Instant::from_std(t0) + d);
        if deadline != armed {
            armed = deadline;
            case_sleep.as_mut().reset(deadline.unwrap_or(far));
        }
        let can_write = (!out.pending.is_empty() || out.unflushed) && !out.broken;
        // After the run asked for the drop nothing it reads matters: reading a flood
        // then would only burn a core.
        let reading = !read_done && !drop_requested;
        let owed = run.is_deciding() && !out.pending.is_empty() && !out.broken && !expired;
        if owed && grace_armed.is_none() {
            // The grace counts from when bytes are first owed after the decision: a
            // write that finished long ago (the peer then busy computing its answer)
            // says nothing about whether it still reads.
            last_progress = tokio::time::Instant::now();
        }
        let grace = owed.then(|| last_progress + CLOSE_GRACE);
        if grace != grace_armed {
            grace_armed = grace;
            grace_sleep.as_mut().reset(grace.unwrap_or(far));
        }
        tokio::select! {
            res = rd.read(&mut buf), if reading => {
                let now = t0.elapsed();
                match res {
                    Ok(0) | Err(_) => {
                        read_done = true;
                        run.on_eof(now);
                    }
                    Ok(n) => run.on_bytes(&buf[..n], now),
                }
            }
            res = write_front(&mut wr, &out.pending, out.written), if can_write => {
                if matches!(res, Ok(Some(_))) {
                    last_progress = tokio::time::Instant::now();
                }
                out.on_written(res, &mut wr, run).await;
            }
            _ = &mut case_sleep, if deadline.is_some() => {
                // Fired: the run sets its next deadline, which re-arms the timer.
                armed = None;
                run.on_timer(t0.elapsed());
            }
            _ = &mut grace_sleep, if grace.is_some() => {
                // RFC 6455 §7.1.7: an endpoint failing the connection may close TCP.
                run.on_close_unwritable(t0.elapsed(), out.queued - out.written, CLOSE_GRACE);
                break;
            }
            _ = &mut hard_sleep, if !expired => {
                expired = true;
                run.abort(t0.elapsed(), why);
            }
        }
    }
    // Shutting down TLS writes close_notify, which waits for socket space a peer
    // that stopped reading never frees: bound it by the case deadline (or a second
    // past it). Over TCP it returns at once.
    let shutdown_by = if grace_armed.is_some() {
        // Given up on a peer that does not read: close_notify would not get out either.
        tokio::time::Instant::now() + Duration::from_millis(200)
    } else {
        hard_deadline.max(tokio::time::Instant::now() + Duration::from_secs(1))
    };
    let _ = tokio::time::timeout_at(shutdown_by, wr.shutdown()).await;
}

/// What [`drive`] has taken from a run and not yet written.
#[derive(Default)]
struct Outbox {
    /// Pieces to write, each with whether to flush after it.
    pending: VecDeque<(Vec<u8>, bool)>,
    /// Bytes in `pending`, kept as a count: chopped cases queue tens of thousands of
    /// pieces, and summing them on every turn of the loop costs more than writing them.
    queued: usize,
    /// How much of the front piece is written.
    written: usize,
    /// The peer is gone for writing.
    broken: bool,
    /// A TLS stream may keep encrypted bytes the socket would not take yet; they go
    /// out on the next write or flush, so a drained queue is flushed while reading
    /// goes on. Flushing a TCP stream does nothing.
    unflushed: bool,
}

impl Outbox {
    /// Takes the run's output while little is queued (a streamed message is generated
    /// as it is written, never held whole); returns whether the run asked for a drop.
    /// Past the deadline (`take_all`) or with the write side gone nothing more is
    /// written: everything is taken, so a drop the run asks for is seen.
    fn take(&mut self, run: &mut CaseRun<'_>, take_all: bool) -> bool {
        let mut drop_requested = false;
        while take_all || self.broken || self.queued < MAX_QUEUED {
            let Some(out) = run.poll_output() else {
                break;
            };
            match out {
                Output::Write { bytes, flush } => {
                    if !self.broken {
                        self.queued += bytes.len();
                        self.pending.push_back((bytes, flush));
                    }
                }
                Output::Drop => drop_requested = true,
            }
        }
        drop_requested
    }

    /// Accounts for one write (or flush) of the front piece.
    async fn on_written<W: AsyncWrite + Unpin>(
        &mut self,
        res: std::io::Result<Option<usize>>,
        wr: &mut W,
        run: &mut CaseRun<'_>,
    ) {
        match res {
            Ok(None) => self.unflushed = false,
            Ok(Some(n)) => {
                self.written += n;
                self.unflushed = true;
                let (front_len, flush) = self
                    .pending
                    .front()
                    .map(|(b, f)| (b.len(), *f))
                    .unwrap_or((0, false));
                if self.written >= front_len {
                    self.pending.pop_front();
                    self.queued -= front_len;
                    self.written = 0;
                    if flush {
                        let _ = wr.flush().await;
                        self.unflushed = false;
                    }
                }
            }
            Err(_) => {
                // The peer is gone for writing; keep reading what it already sent.
                self.broken = true;
                self.pending.clear();
                self.queued = 0;
                run.on_write_failed();
            }
        }
    }
}
/// How long bytes still owed to a peer may make no progress once the case's outcome
/// is decided (the suite is closing or dropping): a peer that stopped reading would
/// otherwise hold the case, and the CPU reading its flood, until the hard deadline.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Bytes queued for writing above which no more output is taken from the run.
const MAX_QUEUED: usize = 1 << 20;

/// Runs cases one after the other on a single-threaded runtime, sending each
/// record as it is done; stops early when `stop` turns true, and starts no case
/// past `until`.
fn run_exclusive(
    cases: Vec<(usize, Case)>,
    target: &Target,
    settings: &RunSettings,
    stop: tokio::sync::watch::Receiver<bool>,
    until: Option<Instant>,
    done: tokio::sync::mpsc::UnboundedSender<CaseRecord>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsconform: cannot start the runtime of the cases run alone: {e}");
            return;
        }
    };
    runtime.block_on(async {
        for (index, case) in cases {
            if *stop.borrow() || until.is_some_and(|u| Instant::now() >= u) {
                break;
            }
            let mut stop_rx = stop.clone();
            tokio::select! {
                mut record = run_case(&case, target, settings) => {
                    record.index = index;
                    if done.send(record).is_err() {
                        break;
                    }
                }
                _ = stop_rx.wait_for(|s| *s) => break,
            }
        }
    });
}

/// Plays `cases` alone, one by one, on a thread of their own with a
/// single-threaded runtime: socket readiness then wakes the very thread that
/// runs the case, instead of handing over between worker threads, which on a
/// round trip of 9.7/9.8 costs more than the echo does. Records arrive on the
/// returned channel as each case is done; cases not started by `until` are left out.
fn spawn_alone(
    cases: Vec<(usize, Case)>,
    target: &Arc<Target>,
    settings: &Arc<RunSettings>,
    stop: &tokio::sync::watch::Receiver<bool>,
    until: Option<Instant>,
) -> tokio::sync::mpsc::UnboundedReceiver<CaseRecord> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    if cases.is_empty() || *stop.borrow() {
        return rx;
    }
    let (target, settings, stop) = (target.clone(), settings.clone(), stop.clone());
    let worker = std::thread::Builder::new()
        .name("wsconform-alone".into())
        .spawn(move || run_exclusive(cases, &target, &settings, stop, until, tx));
    if let Err(e) = worker {
        // No thread: nothing else could run these cases alone either.
        eprintln!("wsconform: cannot start the thread of the cases run alone: {e}");
    }
    rx
}

/// Writes some of the front of the queue (`Some(n)`), or with the queue empty, flushes (`None`).
async fn write_front<W: AsyncWrite + Unpin>(
    wr: &mut W,
    pending: &VecDeque<(Vec<u8>, bool)>,
    written: usize,
) -> std::io::Result<Option<usize>> {
    match pending.front() {
        Some((bytes, _)) => wr.write(&bytes[written..]).await.map(Some),
        None => wr.flush().await.map(|()| None),
    }
}

/// Scripted pause time above which a case counts as mostly idle.
const IDLE_PAUSE: Duration = Duration::from_millis(500);

/// A handshake case that sends part of a request and waits for the server to give up.
fn waits_on_handshake(case: &Case) -> bool {
    case.handshake.as_ref().is_some_and(|h| {
        h.truncate_at.is_some() || matches!(h.chop, ws_cases::model::Chop::Paced { .. })
    })
}

/// Longest a measured case (sections 15, 16) waits on the peer.
fn measured_wait(case: &Case) -> Duration {
    match &case.expect.rule {
        ws_cases::model::VerdictRule::Measured(m) => m.wait(),
        _ => Duration::ZERO,
    }
}

/// A case that mostly sleeps (scripted pauses, measured waits, a handshake sent
/// slowly): it holds no job slot and starts first.
fn sleeps(case: &Case) -> bool {
    scripted_pause(case) + measured_wait(case) >= IDLE_PAUSE || waits_on_handshake(case)
}

/// Total time a case's script spends in pauses.
fn scripted_pause(case: &Case) -> Duration {
    case.steps
        .iter()
        .map(|s| match s {
            ws_cases::model::Step::Pause { duration, .. } => *duration,
            _ => Duration::ZERO,
        })
        .sum()
}

/// A compression case (sections 12, 13) that failed only on its time limit: the
/// suite's timer ended it (or the hard deadline), with no fault of the peer seen.
///
/// A case ended because the peer stopped answering counts only when echoes had come
/// back before (a busy peer that was making progress); a peer silent from the first
/// echo on is not given a second case-long wait.
fn ran_out_of_time(record: &CaseRecord) -> bool {
    let obs = &record.outcome.observation;
    let compressed = record.case.expect.rule == ws_cases::model::VerdictRule::CompressedEchoes
        && record.outcome.verdict.behavior == ws_cases::Behavior::Failed
        && obs.connection_was_open
        && !obs.failed_by_me;
    let timed_out = obs.perf.is_none() && (obs.closed_by_me || obs.aborted.is_some());
    let stalled_in_progress = obs.stalled_after_echoes.is_some_and(|n| n > 0);
    compressed
        && (timed_out || stalled_in_progress)
        && obs.aborted.as_deref() != Some(RUN_TIME_SPENT)
}

/// Runs every case: ordinary ones `jobs` at a time beside the ones asleep in a
/// scripted pause, then the performance cases one by one, then again alone each
/// case that came out worse than OK beside the others (unless
/// [`RunSettings::confirm`] is off).
///
/// `on_done` is called as each case's reported record is settled (progress bar,
/// partial reports). When `stop` resolves (Ctrl-C), cases not yet started are
/// skipped and the ones running are abandoned; what finished is returned, in the
/// order of `cases`.
pub async fn run_all<F>(
    cases: Vec<Case>,
    target: Target,
    settings: RunSettings,
    mut on_done: F,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<CaseRecord>
where
    F: FnMut(&CaseRecord),
{
    let mut records = Vec::with_capacity(cases.len());
    let settle = |record: CaseRecord| {
        on_done(&record);
        records.push(record);
    };
    run_each(cases, target, settings, settle, stop).await;
    records.sort_by_key(|r| r.index);
    records
}

/// Runs every case as [`run_all`] does, but keeps no record: each one is handed to
/// `settle` as it is settled, in the order cases end. A caller that keeps only what it
/// needs of each (the CLI writes a case's report file and keeps its summary) holds
/// memory for the cases in flight, not for the whole run.
pub async fn run_each<F>(
    cases: Vec<Case>,
    target: Target,
    settings: RunSettings,
    mut settle: F,
    stop: tokio::sync::watch::Receiver<bool>,
) where
    F: FnMut(CaseRecord),
{
    let t0 = Instant::now();
    let target = Arc::new(target);
    let settings = Arc::new(settings);
    let mut exclusive = Vec::new();
    let mut idle = Vec::new();
    let mut shared = Vec::new();
    for (index, case) in cases.into_iter().enumerate() {
        if case.exclusive {
            exclusive.push((index, case));
        } else if sleeps(&case) {
            idle.push((index, case));
        } else {
            shared.push((index, case));
        }
    }
    let semaphore = Arc::new(Semaphore::new(settings.jobs.max(1)));
    let mut set: JoinSet<Option<CaseRecord>> = JoinSet::new();
    // Cases that mostly sleep in scripted pauses start first and take no job
    // slot: they cost nothing while waiting, and finish alongside the rest.
    for (is_idle, (index, case)) in idle
        .into_iter()
        .map(|c| (true, c))
        .chain(shared.into_iter().map(|c| (false, c)))
    {
        let (target, settings, semaphore, stop) = (
            target.clone(),
            settings.clone(),
            semaphore.clone(),
            stop.clone(),
        );
        set.spawn(async move {
            let _permit = if is_idle {
                None
            } else {
                Some(semaphore.acquire_owned().await.ok()?)
            };
            if *stop.borrow() {
                return None;
            }
            let mut record = run_case(&case, &target, &settings).await;
            record.index = index;
            Some(record)
        });
    }
    // Sections 12 and 13 are judged on Autobahn's time limits, which Autobahn
    // measures with each case alone on the server: a case that ran out of time
    // beside others (a single-threaded server serves them all) runs again, alone,
    // with the performance cases. Its first record is not reported.
    let mut retry = Vec::new();
    // Their first records, reported instead when --max-run-time leaves no time to rerun.
    let mut retried: HashMap<usize, CaseRecord> = HashMap::new();
    let mut beside = Vec::new();
    // Phase 1: everything but the performance cases. Phase 2 waits for all of it,
    // the sleeping cases too: their verdicts hang on timers, and a single-threaded
    // server would answer them only behind the performance cases' 16 MiB echoes.
    let mut stop_rx = stop.clone();
    let mut stop_open = true;
    while !set.is_empty() {
        tokio::select! {
            joined = set.join_next() => {
                // An error is a task that panicked or was aborted: nothing to report.
                let Some(Ok(Some(record))) = joined else { continue };
                if ran_out_of_time(&record) {
                    retry.push((record.index, record.case.clone()));
                    retried.insert(record.index, record);
                } else if settings.confirm && crate::confirm::needs_confirmation(&record) {
                    beside.push(record);
                } else {
                    settle(record);
                }
            }
            changed = stop_rx.changed(), if stop_open => {
                // A dropped sender can never stop the run: stop listening to it.
                stop_open = changed.is_ok();
                if *stop_rx.borrow() {
                    set.abort_all();
                }
            }
        }
    }
    // Phase 2: the performance cases (and the compression cases that ran out of
    // time), one at a time.
    exclusive.append(&mut retry);
    let mut rx = spawn_alone(exclusive, &target, &settings, &stop, None);
    while let Some(mut record) = rx.recv().await {
        if record.outcome.observation.aborted.as_deref() == Some(RUN_TIME_SPENT) {
            if let Some(first) = retried.remove(&record.index) {
                record = first;
            }
        }
        settle(record);
    }
    // Phase 3: what came out worse than OK beside others, again, alone, within the
    // confirmation budget and the run's own deadline.
    let mut until = Instant::now() + crate::confirm::budget(t0.elapsed());
    if let Some(end) = settings.run_deadline {
        until = until.min(end);
    }
    confirm_alone(beside, &target, &settings, &stop, until, settle).await;
}

/// Plays again the cases of `beside` (records made beside other cases), starting
/// none after `until`, and hands `settle` the record to report for each: the solo
/// one carrying the first verdict, or the first one marked as not confirmed. One
/// case at a time, beside only the sleeping cases among them, which all start at
/// once (6.4.x spend 2 s each in pauses; one after the other they would cost more
/// than the rest of a run of sections 1-10).
async fn confirm_alone<F>(
    beside: Vec<CaseRecord>,
    target: &Arc<Target>,
    settings: &Arc<RunSettings>,
    stop: &tokio::sync::watch::Receiver<bool>,
    until: Instant,
    mut settle: F,
) where
    F: FnMut(CaseRecord),
{
    let mut sleeping = Vec::new();
    let mut busy = Vec::new();
    for r in &beside {
        let entry = (r.index, r.case.clone());
        if sleeps(&r.case) {
            sleeping.push(entry);
        } else {
            busy.push(entry);
        }
    }
    let mut beside: HashMap<usize, CaseRecord> = beside.into_iter().map(|r| (r.index, r)).collect();
    let mut sleepers: JoinSet<Option<CaseRecord>> = JoinSet::new();
    for (index, case) in sleeping {
        let (target, settings, stop) = (target.clone(), settings.clone(), stop.clone());
        sleepers.spawn(async move {
            if *stop.borrow() || Instant::now() >= until {
                return None;
            }
            let mut record = run_case(&case, &target, &settings).await;
            record.index = index;
            Some(record)
        });
    }
    let mut rx = spawn_alone(busy, target, settings, stop, Some(until));
    let mut solo = |record: CaseRecord| {
        if let Some(first) = beside.remove(&record.index) {
            settle(crate::confirm::confirmed(first, record));
        }
    };
    let mut stop_rx = stop.clone();
    let (mut rx_open, mut stop_open) = (true, true);
    while rx_open || !sleepers.is_empty() {
        tokio::select! {
            got = rx.recv(), if rx_open => match got {
                Some(record) => solo(record),
                None => rx_open = false,
            },
            joined = sleepers.join_next(), if !sleepers.is_empty() => {
                if let Some(Ok(Some(record))) = joined {
                    solo(record);
                }
            }
            changed = stop_rx.changed(), if stop_open => {
                stop_open = changed.is_ok();
                if *stop_rx.borrow() {
                    sleepers.abort_all();
                }
            }
        }
    }
    let why = if *stop.borrow() {
        "interrupted"
    } else {
        "time budget spent"
    };
    for (_, first) in beside {
        settle(crate::confirm::unconfirmed(first, why));
    }
}
