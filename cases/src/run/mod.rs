//! Playing one case, sans-IO: bytes and time in, bytes out.
//!
//! [`CaseRun`] is the suite's side of one connection. It writes the opening
//! handshake, plays the case's script, answers what a conforming WebSocket
//! client must answer (pongs, the closing handshake), and records what the
//! peer did. It follows the connection semantics Autobahn|Testsuite's engine
//! has (who closed first, when a close is clean, which timers fail a case), so
//! the verdicts come out the same; it differs in one way only: once the
//! outcome can no longer change, it closes at once instead of sitting out a
//! timer.
//!
//! The caller (the tokio harness, or an in-memory test) moves bytes between
//! [`CaseRun`] and the peer, tells it the time as a [`Duration`] since the case
//! started, and wakes it at [`CaseRun::next_deadline`].

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use ws_spec::close::{self, CloseError};
use ws_spec::deflate::{self, Compressor, Decompressor, DeflateError, DeflateOffer, DeflateParams};
use ws_spec::frame::{
    DecodeEvent, DecoderConfig, Frame, FrameDecoder, FrameHeader, LengthForm, Opcode,
};
use ws_spec::handshake::{self, RequestBuilder};
use ws_spec::mask::apply_mask;
use ws_spec::rng::SplitMix64;
use ws_spec::utf8::Utf8Validator;

use crate::judge::{judge, Measurements, Observation, Verdict};
use crate::model::{
    Behavior, Case, Chop, CloseBehavior, DataSet, Ending, Event, MaskMode, Measure, Payload,
    ResponseEdit, ResponseExpect, Step, VerdictRule,
};

mod connect;
mod echoes;
mod in_memory;
mod measured;
mod opening;
mod receive;
mod script;
mod send;
mod timer;
mod wirelog;

pub use connect::{http2_not_applicable, ConnectAnswer, Opening};
use echoes::{Echoes, RoundTrip};
pub use in_memory::{play_in_memory, MemoryEnd, MemoryPeer};
pub(crate) use measured::judge_measured;
use opening::Codec;
use receive::Message;
use send::Bits;
use timer::{Timer, TimerTable};
pub use wirelog::{LogCut, WireEvent};
use wirelog::{WireLog, LOG_HEAD};

/// Which side of the connection the suite plays: as `Client` it tests a
/// server (it masks, and expects the server to drop TCP); as `Server` it
/// tests a client (it never masks, and drops TCP itself). The same role type
/// as the reference endpoint's.
pub use ws_spec::endpoint::Role;

/// Knobs of one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Which side the suite plays.
    pub role: Role,
    /// Host header value (host, or host:port).
    pub host: String,
    /// Request target (path and query).
    pub target: String,
    /// Extra request headers (`--header`).
    pub extra_headers: Vec<(String, String)>,
    /// Largest message or frame accepted from the peer; above it the suite fails the connection with 1009.
    pub max_message: u64,
    /// How long the suite waits for the peer's close after sending its own (Autobahn: 1 s).
    pub close_handshake_timeout: Duration,
    /// How long the suite, as client, waits for the server to drop TCP after the closing handshake (Autobahn: 1 s).
    pub server_drop_timeout: Duration,
    /// How long the opening handshake may take.
    pub open_handshake_timeout: Duration,
    /// Seed of the masking keys and the handshake key (deterministic runs).
    pub seed: u64,
    /// The largest message the user says the peer accepts (`--peer-max-message`),
    /// for the case that sends one byte more; `None` leaves that case unplayed.
    pub peer_max_message: Option<u64>,
    /// How the WebSocket opens: an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT.
    pub opening: Opening,
    /// How long a compression case (sections 12, 13) waits without a byte from the
    /// peer while an echo is owed before it fails the case ("stopped answering").
    pub stall_timeout: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            role: Role::Client,
            host: "127.0.0.1".into(),
            target: "/".into(),
            extra_headers: Vec::new(),
            max_message: 64 << 20,
            close_handshake_timeout: Duration::from_secs(1),
            server_drop_timeout: Duration::from_secs(1),
            open_handshake_timeout: Duration::from_secs(5),
            seed: 1,
            peer_max_message: None,
            opening: Opening::Http1,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }
}

/// Default of [`RunConfig::stall_timeout`]: far above the time a working peer takes
/// to echo one message of sections 12 and 13, even beside other cases.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(20);

/// What the caller must do on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes; when `flush` is set, flush them and let them reach the wire
    /// before the next write (a chop of its own).
    Write {
        /// The bytes.
        bytes: Vec<u8>,
        /// Flush on its own.
        flush: bool,
    },
    /// Close the TCP connection.
    Drop,
}

/// Everything a finished run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The verdicts.
    pub verdict: Verdict,
    /// What was observed.
    pub observation: Observation,
    /// The wire log: its first rows, then its last ones.
    pub wirelog: Vec<WireEvent>,
    /// What was cut out of the wire log between its first and last rows, if anything.
    pub wirelog_cut: Option<LogCut>,
    /// The opening request as sent.
    pub http_request: String,
    /// The opening response as received.
    pub http_response: String,
    /// Octets written, per write size.
    pub tx_octet_stats: BTreeMap<usize, u64>,
    /// Octets read, per read size.
    pub rx_octet_stats: BTreeMap<usize, u64>,
    /// Frames written, per opcode.
    pub tx_frame_stats: BTreeMap<u8, u64>,
    /// Frames read, per opcode.
    pub rx_frame_stats: BTreeMap<u8, u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Connecting,
    Open,
    Closing,
    Closed,
}

/// The suite's side of one case on one connection, as a client testing a server.
#[derive(Debug)]
pub struct CaseRun<'c> {
    case: &'c Case,
    config: RunConfig,
    state: State,
    key: String,
    http_request: String,
    http_response: String,
    head_buf: Vec<u8>,
    decoder: FrameDecoder,
    current: Option<FrameHeader>,
    control_buf: Vec<u8>,
    message: Message,
    outputs: VecDeque<Output>,
    wirelog: WireLog,
    mask_rng: SplitMix64,
    now: Duration,
    // Script progress.
    step: usize,
    script_done: bool,
    /// Every deadline the run waits on.
    timers: TimerTable,
    /// The marker of the pause under way (`Step::Pause`).
    pause_tag: Option<&'static str>,
    open_frame: Option<(FrameHeader, u64)>,
    round_trip: Option<RoundTrip>,
    codec: Option<Codec>,
    echoes: Option<Echoes>,
    /// Pieces of a paced write (`Chop::Paced`) still to go, one every `paced_interval`.
    paced: VecDeque<Vec<u8>>,
    paced_interval: Duration,
    /// The write side is shut (`Step::ShutdownWrite`): nothing more is written.
    write_shut: bool,
    /// Payload bytes of a streamed frame (`Step::AbovePeerLimit`) still to generate.
    stream_left: u64,
    /// Pings of `Step::Pings` sent, for checking their pongs.
    pings_sent: u32,
    /// The lowest ping index the next pong of the burst may answer.
    pong_next: u32,
    // Observation.
    obs: Observation,
    stats: Stats,
}

/// Counts of what went over the connection.
#[derive(Debug, Default)]
struct Stats {
    tx_octets: BTreeMap<usize, u64>,
    rx_octets: BTreeMap<usize, u64>,
    tx_frames: BTreeMap<u8, u64>,
    rx_frames: BTreeMap<u8, u64>,
}

impl<'c> CaseRun<'c> {
    /// Starts a run at time zero. As client, the opening handshake is queued for
    /// writing; as server, the run waits for the client's request.
    pub fn new(case: &'c Case, config: RunConfig) -> Self {
        let key = handshake::random_key(config.seed ^ 0x5eed);
        let request = opening::request(case, &config, &key);
        let decoder = FrameDecoder::new(DecoderConfig {
            max_frame_payload: config.max_message,
        });
        let mut run = CaseRun {
            case,
            state: State::Connecting,
            key,
            http_request: String::from_utf8_lossy(&request).into_owned(),
            http_response: String::new(),
            head_buf: Vec::new(),
            decoder,
            current: None,
            control_buf: Vec::new(),
            message: Message::default(),
            outputs: VecDeque::new(),
            wirelog: WireLog::default(),
            mask_rng: SplitMix64::new(config.seed),
            now: Duration::ZERO,
            step: 0,
            script_done: false,
            timers: TimerTable::default(),
            pause_tag: None,
            open_frame: None,
            round_trip: None,
            codec: None,
            echoes: None,
            paced: VecDeque::new(),
            paced_interval: Duration::ZERO,
            write_shut: false,
            stream_left: 0,
            pings_sent: 0,
            pong_next: 0,
            obs: Observation::default(),
            stats: Stats::default(),
            config,
        };
        run.timers
            .set(Timer::OpenHandshake, run.config.open_handshake_timeout);
        run.obs.is_server = run.config.role == Role::Server;
        if run.config.opening != Opening::Http1 && run.config.role == Role::Server {
            // The transport hands over the client's CONNECT (on_connect_request).
            run.http_request.clear();
        } else if let Opening::ExtendedConnect { .. } = run.config.opening {
            // The transport sends the CONNECT and reports its answer.
            run.http_request = run.connect_request().render();
        } else if run.config.role == Role::Client {
            match &case.handshake {
                Some(h) => {
                    if h.truncate_at.is_some() || matches!(h.chop, Chop::Paced { .. }) {
                        // Waiting for the server to give up on a request that never
                        // ends (or comes too slowly): the case's own ending bounds the wait.
                        let bound = match case.ending {
                            Ending::KillAfter(d) | Ending::CloseAfter(d) => d,
                        };
                        run.timers.set(Timer::OpenHandshake, bound);
                    }
                    run.write_chopped(request, h.chop, false);
                    if h.script_with_request {
                        run.advance_script();
                    }
                }
                None => run.write(request, false),
            }
        } else {
            run.http_request.clear();
        }
        run
    }

    /// The next thing to do on the connection, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        if self.outputs.is_empty() && self.stream_left > 0 && self.state != State::Closed {
            self.stream_chunk();
        }
        self.outputs.pop_front()
    }

    /// The caller can no longer write (the peer reset the connection): what
    /// would be generated for writing (a streamed message) stops.
    pub fn on_write_failed(&mut self) {
        self.stream_left = 0;
        self.paced.clear();
        self.timers.stop(Timer::Paced);
    }

    /// True once the outcome no longer hangs on anything the suite still has to write:
    /// the suite is closing (its close frame queued) or has asked to drop TCP.
    pub fn is_deciding(&self) -> bool {
        matches!(self.state, State::Closing | State::Closed)
    }

    /// The caller gave up writing: `unsent` bytes made no progress for `grace` after the
    /// outcome was decided (the peer stopped reading), so TCP is dropped (RFC 6455
    /// §7.1.7 lets an endpoint failing the connection close it). Recorded in the case.
    pub fn on_close_unwritable(&mut self, now: Duration, unsent: usize, grace: Duration) {
        self.now = now;
        let note = format!(
            "the suite dropped TCP: {unsent} bytes it still had to write made no progress \
             for {} s after the outcome was decided, the peer having stopped reading (RFC 6455 §7.1.7)",
            grace.as_secs_f64()
        );
        self.obs.was_not_clean_reason = Some(match self.obs.was_not_clean_reason.take() {
            Some(why) => format!("{why}; {note}"),
            None => note,
        });
        self.drop_connection();
    }

    /// True once the script shut the write side (`Step::ShutdownWrite`): the caller
    /// half-closes TCP once the bytes already asked for are written.
    pub fn write_shut(&self) -> bool {
        self.write_shut
    }

    /// The outcome of the second connection a `Measure::StillServes` case needs:
    /// `Ok(ms)` when it got its echo (ms for the whole exchange), or why not.
    pub fn on_probe(&mut self, result: Result<u64, String>) {
        self.obs.measure.probe = Some(result);
    }

    /// True once the connection is closed and the verdict can be taken.
    pub fn is_finished(&self) -> bool {
        self.state == State::Closed && self.outputs.is_empty()
    }

    /// When the caller must call [`CaseRun::on_timer`] next, if nothing arrives before.
    pub fn next_deadline(&self) -> Option<Duration> {
        if self.state == State::Closed {
            return None;
        }
        self.timers.next()
    }

    /// Bytes arrived from the peer.
    pub fn on_bytes(&mut self, bytes: &[u8], now: Duration) {
        self.now = now;
        if self.state == State::Closed || bytes.is_empty() {
            return;
        }
        *self.stats.rx_octets.entry(bytes.len()).or_default() += 1;
        if self.timers.is_set(Timer::Stalled) {
            self.timers
                .set(Timer::Stalled, now + self.config.stall_timeout);
        }
        self.log(WireEvent::RxOctets {
            at: now,
            len: bytes.len(),
            head: bytes[..bytes.len().min(LOG_HEAD)].to_vec(),
        });
        if self.state == State::Connecting && self.config.role == Role::Server {
            self.head_buf.extend_from_slice(bytes);
            self.on_request_bytes();
            return;
        }
        if self.state == State::Connecting {
            self.head_buf.extend_from_slice(bytes);
            self.on_response_bytes();
            return;
        }
        self.decoder.push(bytes);
        self.process_frames();
    }

    /// The peer closed the TCP connection (EOF or reset).
    pub fn on_eof(&mut self, now: Duration) {
        self.now = now;
        if self.state == State::Closed {
            return;
        }
        self.log(WireEvent::DroppedByPeer { at: now });
        self.obs.peer_dropped_ms = Some(now.as_millis() as u64);
        if self.state == State::Connecting {
            self.obs.peer_dropped_during_handshake_ms = Some(now.as_millis() as u64);
        }
        // A close handshake completed on both sides leaves was_clean as it is.
        if !self.obs.was_clean && !self.obs.dropped_by_me && self.obs.was_not_clean_reason.is_none()
        {
            self.obs.was_not_clean_reason = Some(
                "peer dropped the TCP connection without previous WebSocket closing handshake"
                    .into(),
            );
        }
        if self.obs.sent_close && !self.obs.received_close {
            self.obs.was_clean = false;
        }
        self.state = State::Closed;
        self.clear_timers();
    }

    /// Abandons the run (hard deadline or I/O error): the connection is dropped and noted.
    pub fn abort(&mut self, now: Duration, reason: &str) {
        self.now = now;
        if self.state != State::Closed {
            self.obs.aborted = Some(reason.to_string());
            if self.obs.was_not_clean_reason.is_none() {
                self.obs.was_not_clean_reason = Some(reason.to_string());
            }
            self.drop_connection();
        }
    }

    /// Takes the verdict and everything recorded.
    pub fn finish(mut self) -> RunOutcome {
        if self.state != State::Closed {
            self.abort(self.now, "run ended before the connection closed");
        }
        self.obs.tx_frame_stats = self.stats.tx_frames.clone();
        let verdict = judge(self.case, &self.obs);
        let (wirelog, wirelog_cut) = self.wirelog.into_rows();
        RunOutcome {
            verdict,
            observation: self.obs,
            wirelog,
            wirelog_cut,
            http_request: self.http_request,
            http_response: self.http_response,
            tx_octet_stats: self.stats.tx_octets,
            rx_octet_stats: self.stats.rx_octets,
            tx_frame_stats: self.stats.tx_frames,
            rx_frame_stats: self.stats.rx_frames,
        }
    }

    // ----- writing -------------------------------------------------------

    // ----- the script ----------------------------------------------------

    // ----- reading -------------------------------------------------------
}
