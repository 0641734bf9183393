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
use ws_spec::utf8::Utf8Validator;

use crate::judge::{judge, Observation, Verdict};
use crate::model::{
    Case, Chop, DataSet, Ending, Event, MaskMode, Measure, Payload, ResponseEdit, ResponseExpect,
    Step, VerdictRule,
};

/// Which side of the connection the suite plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Role {
    /// The suite is the client and tests a server: it masks, and expects the server to drop TCP.
    #[default]
    Client,
    /// The suite is the server and tests a client: it never masks, and drops TCP itself.
    Server,
}

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
        }
    }
}

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

/// One row of the wire log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireEvent {
    /// Octets written.
    TxOctets {
        /// Time since the case started.
        at: Duration,
        /// How many.
        len: usize,
        /// The first bytes.
        head: Vec<u8>,
        /// Written as a chop of its own.
        flush: bool,
    },
    /// Octets read.
    RxOctets {
        /// Time since the case started.
        at: Duration,
        /// How many.
        len: usize,
        /// The first bytes.
        head: Vec<u8>,
    },
    /// A frame written.
    TxFrame {
        /// Time since the case started.
        at: Duration,
        /// The header as written.
        header: FrameHeader,
        /// The first payload bytes (unmasked).
        head: Vec<u8>,
        /// Chop size, if chopped.
        chop: Option<usize>,
        /// Flushed on its own.
        sync: bool,
    },
    /// A frame read.
    RxFrame {
        /// Time since the case started.
        at: Duration,
        /// The header as read.
        header: FrameHeader,
        /// The first payload bytes (unmasked).
        head: Vec<u8>,
    },
    /// A timer was set (Autobahn's CT/KL/TI rows).
    TimerSet {
        /// Time since the case started.
        at: Duration,
        /// "CT" (pause), "KL" (kill), "TI" (close).
        kind: &'static str,
        /// Delay.
        delay: Duration,
        /// Pause marker.
        tag: Option<&'static str>,
    },
    /// A timer fired (Autobahn's CTE/KLE/TIE rows).
    TimerFired {
        /// Time since the case started.
        at: Duration,
        /// "CTE", "KLE", "TIE".
        kind: &'static str,
        /// Pause marker.
        tag: Option<&'static str>,
    },
    /// The suite dropped TCP.
    DroppedByMe {
        /// Time since the case started.
        at: Duration,
    },
    /// The peer dropped TCP.
    DroppedByPeer {
        /// Time since the case started.
        at: Duration,
    },
}

/// Everything a finished run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The verdicts.
    pub verdict: Verdict,
    /// What was observed.
    pub observation: Observation,
    /// The wire log.
    pub wirelog: Vec<WireEvent>,
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

/// Payload bytes kept in wire-log rows.
const LOG_HEAD: usize = 64;
/// Wire-log rows kept before the log is cut (a flood must not exhaust memory).
const LOG_MAX_ROWS: usize = 4000;
/// Largest opening-handshake response accepted.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Message {
    opcode: Option<Opcode>,
    data: Vec<u8>,
    utf8: Utf8Validator,
    /// Came with RSV1: its payload goes to the decompressor (RFC 7692 §6).
    compressed: bool,
}

/// The permessage-deflate codec of the connection, once negotiated.
#[derive(Debug)]
struct Codec {
    compressor: Compressor,
    decompressor: Decompressor,
}

/// Progress of a `CompressedEchoes` step.
#[derive(Debug)]
struct Echoes {
    data: DataSet,
    len: usize,
    count: usize,
    fragment: Option<usize>,
    sent: usize,
    expected: Vec<u8>,
}

#[derive(Debug)]
struct RoundTrip {
    opcode: Opcode,
    payload: Vec<u8>,
    count: usize,
    sent: usize,
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
    wirelog: Vec<WireEvent>,
    wirelog_on: bool,
    log_cut: bool,
    mask_state: u64,
    now: Duration,
    // Script progress.
    step: usize,
    script_done: bool,
    pause_until: Option<(Duration, Option<&'static str>)>,
    ending_at: Option<Duration>,
    open_deadline: Option<Duration>,
    close_deadline: Option<Duration>,
    drop_deadline: Option<Duration>,
    open_frame: Option<(FrameHeader, u64)>,
    round_trip: Option<RoundTrip>,
    codec: Option<Codec>,
    echoes: Option<Echoes>,
    /// Pieces of a paced write (`Chop::Paced`) still to go, the next one due at
    /// the first time, then one every the second.
    paced: VecDeque<Vec<u8>>,
    paced_next: Option<(Duration, Duration)>,
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
        let mut builder = RequestBuilder::new(&config.host, &config.target, &key);
        for (name, value) in &config.extra_headers {
            builder = builder.set(name, value);
        }
        if let (Role::Client, Some(setup)) = (config.role, &case.deflate) {
            let offers: Vec<_> = setup
                .offers
                .iter()
                .map(DeflateOffer::to_extension)
                .collect();
            builder = builder.set(
                "Sec-WebSocket-Extensions",
                &handshake::format_extensions(&offers),
            );
        }
        if let Some(h) = &case.handshake {
            builder = apply_edits(builder, &h.edits);
        }
        let mut request = builder.encode();
        if let Some(cut) = case.handshake.as_ref().and_then(|h| h.truncate_at) {
            request.truncate(cut);
        }
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
            wirelog: Vec::new(),
            wirelog_on: true,
            log_cut: false,
            mask_state: config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            now: Duration::ZERO,
            step: 0,
            script_done: false,
            pause_until: None,
            ending_at: None,
            open_deadline: Some(config.open_handshake_timeout),
            close_deadline: None,
            drop_deadline: None,
            open_frame: None,
            round_trip: None,
            codec: None,
            echoes: None,
            paced: VecDeque::new(),
            paced_next: None,
            write_shut: false,
            stream_left: 0,
            pings_sent: 0,
            pong_next: 0,
            obs: Observation::default(),
            tx_octets: BTreeMap::new(),
            rx_octets: BTreeMap::new(),
            tx_frames: BTreeMap::new(),
            rx_frames: BTreeMap::new(),
            config,
        };
        run.obs.is_server = run.config.role == Role::Server;
        if run.config.role == Role::Client {
            match &case.handshake {
                Some(h) => {
                    if h.truncate_at.is_some() || matches!(h.chop, Chop::Paced { .. }) {
                        // Waiting for the server to give up on a request that never
                        // ends (or comes too slowly): the case's own ending bounds the wait.
                        run.open_deadline = Some(match case.ending {
                            Ending::KillAfter(d) | Ending::CloseAfter(d) => d,
                        });
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
        self.paced_next = None;
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
        [
            self.pause_until.map(|(t, _)| t),
            self.ending_at,
            self.open_deadline,
            self.close_deadline,
            self.drop_deadline,
            self.paced_next.map(|(t, _)| t),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Bytes arrived from the peer.
    pub fn on_bytes(&mut self, bytes: &[u8], now: Duration) {
        self.now = now;
        if self.state == State::Closed || bytes.is_empty() {
            return;
        }
        *self.rx_octets.entry(bytes.len()).or_default() += 1;
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
            match handshake::parse_response(&self.head_buf, MAX_HEAD) {
                Ok(None) => return,
                Ok(Some((response, consumed))) => {
                    self.http_response =
                        String::from_utf8_lossy(&self.head_buf[..consumed]).into_owned();
                    let rest = self.head_buf.split_off(consumed);
                    self.head_buf = Vec::new();
                    self.obs.handshake_status = Some(response.status);
                    self.obs.handshake_headers = response.headers.clone();
                    self.obs.handshake_ms = Some(now.as_millis() as u64);
                    let (protocols, extensions) = offered(&self.http_request);
                    match handshake::validate_response(
                        &response,
                        &self.key,
                        &protocols,
                        &extensions,
                    ) {
                        Ok(accepted) => {
                            if !self.client_deflate(&accepted.extensions) {
                                return;
                            }
                            self.state = State::Open;
                            self.obs.connection_was_open = true;
                            self.obs.measure.open_ms = Some(now.as_millis() as u64);
                            self.open_deadline = None;
                            if self
                                .case
                                .handshake
                                .as_ref()
                                .is_some_and(|h| !continues_after(&h.expect, &accepted.extensions))
                            {
                                // Accepted where a refusal was due (or reported): leave politely.
                                self.script_done = true;
                                self.send_close(Some(close::codes::NORMAL), b"");
                                return;
                            }
                            self.advance_script();
                            if !rest.is_empty() {
                                self.decoder.push(&rest);
                                self.process_frames();
                            }
                        }
                        Err(e) => {
                            self.obs.handshake_error = Some(e.to_string());
                            self.obs.was_not_clean_reason =
                                Some(format!("opening handshake failed: {e}"));
                            self.drop_connection();
                        }
                    }
                }
                Err(e) => {
                    self.http_response = String::from_utf8_lossy(&self.head_buf).into_owned();
                    self.obs.handshake_error = Some(format!("invalid HTTP response: {e}"));
                    self.obs.was_not_clean_reason =
                        Some(format!("invalid opening handshake response: {e}"));
                    self.drop_connection();
                }
            }
            return;
        }
        self.decoder.push(bytes);
        self.process_frames();
    }

    /// Server role: the client's opening request, validated by the reference handshake.
    fn on_request_bytes(&mut self) {
        match handshake::parse_request(&self.head_buf, MAX_HEAD) {
            Ok(None) => {}
            Ok(Some((request, consumed))) => {
                self.http_request =
                    String::from_utf8_lossy(&self.head_buf[..consumed]).into_owned();
                let rest = self.head_buf.split_off(consumed);
                self.head_buf = Vec::new();
                match handshake::server_respond(&request, &handshake::ServerConfig::default()) {
                    handshake::ServerDecision::Accept {
                        mut response,
                        subprotocol,
                        key,
                    } => {
                        if let Some(ext) = self.server_deflate(&request) {
                            response =
                                handshake::accept_response(&key, subprotocol.as_deref(), &[ext]);
                        }
                        let (response, chop, with_script) = match &self.case.response {
                            Some(r) => (
                                edit_response(&response, &r.edits, &key),
                                r.chop,
                                r.script_with_response,
                            ),
                            None => (response, Chop::Whole, true),
                        };
                        self.http_response = String::from_utf8_lossy(&response).into_owned();
                        match chop {
                            Chop::Every(_) => self.write_chopped(response, chop, true),
                            // Unflushed, the script's first frames share the response's write.
                            _ => self.write(response, !with_script),
                        }
                        self.state = State::Open;
                        // A response the client must refuse opens nothing: the judge
                        // looks at what the client does with the frames behind it.
                        self.obs.connection_was_open = !self
                            .case
                            .response
                            .as_ref()
                            .is_some_and(|r| r.expect == ResponseExpect::Fail);
                        self.obs.measure.open_ms = Some(self.now.as_millis() as u64);
                        self.open_deadline = None;
                        self.advance_script();
                        if !rest.is_empty() {
                            self.decoder.push(&rest);
                            self.process_frames();
                        }
                    }
                    handshake::ServerDecision::Refuse {
                        response, error, ..
                    } => {
                        self.http_response = String::from_utf8_lossy(&response).into_owned();
                        self.write(response, false);
                        self.obs.was_not_clean_reason = Some(format!(
                            "the client's opening handshake was refused: {error}"
                        ));
                        self.drop_connection();
                    }
                }
            }
            Err(e) => {
                self.http_request = String::from_utf8_lossy(&self.head_buf).into_owned();
                let response = handshake::refusal_response(&e);
                self.http_response = String::from_utf8_lossy(&response).into_owned();
                self.write(response, false);
                self.obs.was_not_clean_reason = Some(format!("invalid opening request: {e}"));
                self.drop_connection();
            }
        }
    }

    /// Client role: takes the server's permessage-deflate answer (RFC 7692
    /// §7.1). No answer leaves the case unplayable (UNIMPLEMENTED); an
    /// invalid one fails the opening handshake. False when the connection
    /// was dropped.
    fn client_deflate(&mut self, accepted: &[handshake::ExtensionOffer]) -> bool {
        let Some(setup) = &self.case.deflate else {
            return true;
        };
        match accepted.iter().find(|e| e.name == deflate::EXTENSION_NAME) {
            None => {
                self.obs.deflate = Some(Err(
                    "The server did not accept the permessage-deflate offer.".into(),
                ));
                true
            }
            Some(ext) => match deflate::client_accept(&setup.offers, ext) {
                Ok(params) => {
                    self.use_deflate(params);
                    true
                }
                Err(e) if self.case.expect.rule == VerdictRule::CompressedEchoes => {
                    // Autobahn's client in sections 12 and 13 takes any valid response,
                    // whether or not it answers the offer (a server that ignores a
                    // requested server_max_window_bits still passes there): so do these
                    // cases, saying so. Section 17 holds servers to the offer.
                    let any = DeflateOffer {
                        client_max_window_bits: Some(None),
                        ..DeflateOffer::default()
                    };
                    match deflate::client_accept(&[any], ext) {
                        Ok(params) => {
                            self.use_deflate(params);
                            self.obs.peer_violation = Some(format!(
                                "the permessage-deflate response does not answer the offer ({e}); \
                                 taken as it stands, as Autobahn does"
                            ));
                            true
                        }
                        Err(e) => self.refuse_deflate_response(e),
                    }
                }
                Err(e) => self.refuse_deflate_response(e),
            },
        }
    }

    /// Client role: a permessage-deflate response the suite cannot take fails
    /// the opening handshake (RFC 7692 §7). Always false: the connection is dropped.
    fn refuse_deflate_response(&mut self, e: DeflateError) -> bool {
        let why = format!("invalid permessage-deflate response: {e}");
        self.obs.handshake_error = Some(why.clone());
        self.obs.was_not_clean_reason = Some(format!("opening handshake failed: {why}"));
        self.drop_connection();
        false
    }

    /// Server role: answers the client's permessage-deflate offers with the
    /// case's policies; the extension for the response when one accepts.
    fn server_deflate(
        &mut self,
        request: &handshake::Request,
    ) -> Option<handshake::ExtensionOffer> {
        let setup = self.case.deflate.as_ref()?;
        let offers = handshake::parse_extensions(&request.header_all("Sec-WebSocket-Extensions"))
            .unwrap_or_default();
        match deflate::server_negotiate_first(&offers, &setup.accept) {
            Ok(Some((ext, params))) => {
                self.use_deflate(params);
                Some(ext)
            }
            Ok(None) => {
                self.obs.deflate = Some(Err(
                    "The client offered no permessage-deflate the case accepts.".into(),
                ));
                None
            }
            Err(e) => {
                self.obs.deflate = Some(Err(format!("permessage-deflate not negotiated: {e}")));
                None
            }
        }
    }

    fn use_deflate(&mut self, params: DeflateParams) {
        let role = match self.config.role {
            Role::Client => ws_spec::endpoint::Role::Client,
            Role::Server => ws_spec::endpoint::Role::Server,
        };
        let setup = self.case.deflate.clone().unwrap_or_default();
        let own_no_context_takeover = match self.config.role {
            Role::Client => params.client_no_context_takeover,
            Role::Server => params.server_no_context_takeover,
        };
        if setup.sends_with_context && own_no_context_takeover {
            self.obs.deflate = Some(Err(
                "The negotiation took context takeover away from the suite, and the case's \
                 messages refer back to earlier ones (RFC 7692 §7.2.3.2): not played."
                    .into(),
            ));
            return;
        }
        let limit = usize::try_from(self.config.max_message).unwrap_or(usize::MAX);
        let mut decompressor = params.decompressor(role, limit);
        if setup.check_window {
            decompressor = decompressor.with_window_check();
        }
        self.codec = Some(Codec {
            compressor: params.compressor(role),
            decompressor,
        });
        self.obs.deflate = Some(Ok(format!(
            "server_no_context_takeover={}, client_no_context_takeover={}, server_max_window_bits={}, client_max_window_bits={}",
            params.server_no_context_takeover,
            params.client_no_context_takeover,
            params.server_max_window_bits,
            params.client_max_window_bits
        )));
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

    /// Time passed: fire whatever timer is due.
    pub fn on_timer(&mut self, now: Duration) {
        self.now = now;
        if self.state == State::Closed {
            return;
        }
        if let Some(t) = self.open_deadline {
            if now >= t && self.state == State::Connecting {
                self.open_deadline = None;
                self.obs.was_open_handshake_timeout = true;
                self.obs.was_not_clean_reason =
                    Some("peer did not finish (in time) the opening handshake".into());
                self.drop_connection();
                return;
            }
        }
        if let Some(t) = self.close_deadline {
            if now >= t {
                self.close_deadline = None;
                self.obs.was_clean = false;
                self.obs.was_close_handshake_timeout = true;
                self.obs.was_not_clean_reason =
                    Some("peer did not respond (in time) in closing handshake".into());
                self.drop_connection();
                return;
            }
        }
        if let Some((t, interval)) = self.paced_next {
            if now >= t {
                match self.paced.pop_front() {
                    Some(piece) => {
                        self.write(piece, true);
                        self.paced_next = Some((now + interval, interval));
                    }
                    None => self.paced_next = None,
                }
                if self.paced.is_empty() {
                    self.paced_next = None;
                }
            }
        }
        if let Some(t) = self.drop_deadline {
            if now >= t && self.config.role == Role::Server {
                // The suite as server held TCP open after the closing handshake
                // (Measure::ClientWaits, ClientLeaves): now it closes it, as a server should.
                self.drop_deadline = None;
                self.drop_connection();
                return;
            }
            if now >= t {
                self.drop_deadline = None;
                self.obs.was_clean = false;
                self.obs.was_server_connection_drop_timeout = true;
                self.obs.was_not_clean_reason =
                    Some("server did not drop TCP connection (in time)".into());
                self.drop_connection();
                return;
            }
        }
        if let Some((t, tag)) = self.pause_until {
            if now >= t {
                self.pause_until = None;
                self.log(WireEvent::TimerFired {
                    at: now,
                    kind: "CTE",
                    tag,
                });
                if self.state == State::Open {
                    if let Some(tag) = tag {
                        self.record(Event::Timeout(tag));
                    }
                    self.advance_script();
                } else {
                    // Autobahn's continuations do nothing once the connection left OPEN.
                    self.script_done = true;
                }
            }
        }
        if let Some(t) = self.ending_at {
            if now >= t {
                self.ending_at = None;
                match self.case.ending {
                    Ending::KillAfter(_) => {
                        self.log(WireEvent::TimerFired {
                            at: now,
                            kind: "KLE",
                            tag: None,
                        });
                        self.fail_connection(close::codes::GOING_AWAY, b"Going Away");
                    }
                    Ending::CloseAfter(_) => {
                        self.log(WireEvent::TimerFired {
                            at: now,
                            kind: "TIE",
                            tag: None,
                        });
                        self.send_close(None, b"");
                    }
                }
            }
        }
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
        self.obs.tx_frame_stats = self.tx_frames.clone();
        let verdict = judge(self.case, &self.obs);
        RunOutcome {
            verdict,
            observation: self.obs,
            wirelog: self.wirelog,
            http_request: self.http_request,
            http_response: self.http_response,
            tx_octet_stats: self.tx_octets,
            rx_octet_stats: self.rx_octets,
            tx_frame_stats: self.tx_frames,
            rx_frame_stats: self.rx_frames,
        }
    }

    // ----- writing -------------------------------------------------------

    fn log(&mut self, event: WireEvent) {
        if !self.wirelog_on {
            return;
        }
        if self.wirelog.len() >= LOG_MAX_ROWS {
            self.log_cut = true;
            return;
        }
        self.wirelog.push(event);
    }

    fn write(&mut self, bytes: Vec<u8>, flush: bool) {
        if self.state == State::Closed || self.write_shut || bytes.is_empty() {
            return;
        }
        *self.tx_octets.entry(bytes.len()).or_default() += 1;
        self.log(WireEvent::TxOctets {
            at: self.now,
            len: bytes.len(),
            head: bytes[..bytes.len().min(LOG_HEAD)].to_vec(),
            flush,
        });
        // Consecutive unflushed writes coalesce, as they would in a socket buffer.
        if !flush {
            if let Some(Output::Write {
                bytes: last,
                flush: false,
            }) = self.outputs.back_mut()
            {
                last.extend_from_slice(&bytes);
                return;
            }
        }
        self.outputs.push_back(Output::Write { bytes, flush });
    }

    /// A client masks every frame (RFC 6455 §5.3); a server never does (§5.1).
    fn frame_mask(&mut self) -> Option<[u8; 4]> {
        match self.config.role {
            Role::Client => Some(self.next_mask()),
            Role::Server => None,
        }
    }

    fn next_mask(&mut self) -> [u8; 4] {
        // xorshift64*: masking keys only need to be unpredictable to intermediaries,
        // and a seeded generator keeps runs reproducible.
        let mut x = self.mask_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.mask_state = x;
        let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 32).to_be_bytes()[..4]
            .try_into()
            .unwrap_or([1, 2, 3, 4])
    }

    fn send_frame(&mut self, bits: Bits, payload: &[u8], chop: Chop, sync: bool) {
        let Bits {
            opcode,
            fin,
            rsv,
            length_form,
            mask,
        } = bits;
        if self.state == State::Closed {
            return;
        }
        let mask = match mask {
            MaskMode::Role => self.frame_mask(),
            MaskMode::Unmasked => None,
            MaskMode::Key(key) => Some(key),
        };
        let frame = Frame::new(opcode, payload.to_vec())
            .with_fin(fin)
            .with_rsv(rsv)
            .with_mask(mask)
            .with_length_form(length_form);
        *self.tx_frames.entry(opcode.as_u4()).or_default() += 1;
        self.log(WireEvent::TxFrame {
            at: self.now,
            header: frame.header.clone(),
            head: payload[..payload.len().min(LOG_HEAD)].to_vec(),
            chop: match chop {
                Chop::Whole => None,
                Chop::Every(n) | Chop::Paced { size: n, .. } => Some(n),
            },
            sync,
        });
        let bytes = frame.encode();
        self.write_chopped(bytes, chop, sync);
    }

    fn write_chopped(&mut self, bytes: Vec<u8>, chop: Chop, sync: bool) {
        match chop {
            Chop::Every(n) if n > 0 => {
                for piece in bytes.chunks(n) {
                    self.write(piece.to_vec(), true);
                }
            }
            Chop::Paced { size, interval } if size > 0 => {
                let mut pieces = bytes.chunks(size).map(<[u8]>::to_vec);
                if self.paced.is_empty() {
                    if let Some(first) = pieces.next() {
                        self.write(first, true);
                    }
                    self.paced_next = Some((self.now + interval, interval));
                }
                self.paced.extend(pieces);
                if self.paced.is_empty() {
                    self.paced_next = None;
                }
            }
            _ => self.write(bytes, sync),
        }
    }

    fn send_close(&mut self, code: Option<u16>, reason: &[u8]) {
        if self.state != State::Open {
            return;
        }
        let mut payload = Vec::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
        }
        payload.extend_from_slice(reason);
        self.send_frame(
            Bits::plain(Opcode::Close, true),
            &payload,
            Chop::Whole,
            false,
        );
        self.state = State::Closing;
        self.obs.closed_by_me = !self.obs.received_close;
        self.obs.sent_close = true;
        self.obs.local_close_code = code;
        self.obs.local_close_reason = Some(String::from_utf8_lossy(reason).into_owned());
        if !self.obs.received_close {
            self.close_deadline = Some(self.now + self.config.close_handshake_timeout);
        }
    }

    fn fail_connection(&mut self, code: u16, reason: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        self.obs.failed_by_me = true;
        // A close reason must fit in a control frame with the 2-byte code (RFC 6455 §5.5).
        let reason = &reason[..reason.len().min(123)];
        if self.state == State::Closing || self.frame_unfinished() {
            // Inside an unfinished frame of ours a close frame would be read as its
            // payload: the only way out is TCP.
            self.drop_connection();
        } else if self.state == State::Open {
            self.send_close(Some(code), reason);
        } else {
            self.drop_connection();
        }
    }

    /// A frame of ours is on the wire with part of its payload still unsent.
    fn frame_unfinished(&self) -> bool {
        self.stream_left > 0
            || self
                .open_frame
                .as_ref()
                .is_some_and(|(h, sent)| *sent < h.payload_len)
    }

    /// The next piece of the frame `Step::AbovePeerLimit` streams, generated only
    /// when the caller has taken everything before it, so it never sits in memory whole.
    fn stream_chunk(&mut self) {
        const CHUNK: u64 = 256 * 1024;
        let n = self.stream_left.min(CHUNK) as usize;
        let mut data = vec![b'*'; n];
        if let Some((header, offset)) = self.open_frame.as_mut() {
            if let Some(key) = header.mask {
                apply_mask(&mut data, key, *offset as usize);
            }
            *offset += n as u64;
        }
        self.stream_left -= n as u64;
        // Counted and logged as one write: the wire log keeps the frame, not its chunks.
        *self.tx_octets.entry(n).or_default() += 1;
        self.outputs.push_back(Output::Write {
            bytes: data,
            flush: false,
        });
    }

    fn drop_connection(&mut self) {
        if self.state == State::Closed {
            return;
        }
        self.obs.dropped_by_me = true;
        self.log(WireEvent::DroppedByMe { at: self.now });
        self.state = State::Closed;
        self.clear_timers();
        self.outputs.push_back(Output::Drop);
    }

    fn clear_timers(&mut self) {
        // Writes still waiting on the clock (or on the caller) die with the connection.
        self.paced_next = None;
        self.paced.clear();
        self.stream_left = 0;
        self.pause_until = None;
        self.ending_at = None;
        self.open_deadline = None;
        self.close_deadline = None;
        self.drop_deadline = None;
    }

    // ----- the script ----------------------------------------------------

    fn advance_script(&mut self) {
        if self.state == State::Open
            && !self.script_done
            && self.case.deflate.is_some()
            && self.codec.is_none()
        {
            // Autobahn: without the extension the case is not played at all.
            self.script_done = true;
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        }
        while !self.script_done && self.pause_until.is_none() && self.state != State::Closed {
            let Some(step) = self.case.steps.get(self.step) else {
                self.script_done = true;
                self.arm_ending();
                self.finish_when_done();
                break;
            };
            self.step += 1;
            match step {
                Step::Frame { frame, chop, sync } => {
                    let payload = frame.payload.to_bytes();
                    self.send_frame(
                        Bits {
                            opcode: frame.opcode,
                            fin: frame.fin,
                            rsv: frame.rsv,
                            length_form: frame.length_form,
                            mask: frame.mask,
                        },
                        &payload,
                        *chop,
                        *sync,
                    );
                }
                Step::Message {
                    opcode,
                    payload,
                    fragment,
                } => self.send_message(*opcode, payload, *fragment),
                Step::FrameHeader { opcode, fin, len } => {
                    let mask = self.frame_mask();
                    let header = FrameHeader {
                        fin: *fin,
                        rsv: 0,
                        opcode: *opcode,
                        mask,
                        payload_len: *len,
                        length_form: LengthForm::Minimal,
                    };
                    *self.tx_frames.entry(opcode.as_u4()).or_default() += 1;
                    self.log(WireEvent::TxFrame {
                        at: self.now,
                        header: header.clone(),
                        head: Vec::new(),
                        chop: None,
                        sync: true,
                    });
                    let mut bytes = Vec::new();
                    header.encode_into(&mut bytes);
                    self.open_frame = Some((header, 0));
                    self.write(bytes, true);
                }
                Step::FrameData(data) => {
                    let mut data = data.clone();
                    if let Some((header, offset)) = self.open_frame.as_mut() {
                        if let Some(key) = header.mask {
                            apply_mask(&mut data, key, *offset as usize);
                        }
                        *offset += data.len() as u64;
                    }
                    self.write(data, true);
                }
                Step::Close { code, reason } => self.send_close(*code, reason),
                Step::ShutdownWrite => self.write_shut = true,
                Step::Pings { count } => self.send_pings(*count),
                Step::AbovePeerLimit { opcode } => self.send_above_peer_limit(*opcode),
                Step::Raw { bytes, chop } => self.write_chopped(bytes.clone(), *chop, true),
                Step::Pause { duration, marker } => {
                    self.log(WireEvent::TimerSet {
                        at: self.now,
                        kind: "CT",
                        delay: *duration,
                        tag: *marker,
                    });
                    self.pause_until = Some((self.now + *duration, *marker));
                }
                Step::RoundTrips {
                    opcode,
                    payload,
                    count,
                } => {
                    self.wirelog_on = !self.case.quiet_wirelog;
                    self.round_trip = Some(RoundTrip {
                        opcode: *opcode,
                        payload: payload.to_bytes(),
                        count: *count,
                        sent: 0,
                    });
                    self.send_next_round_trip();
                }
                Step::CompressedEchoes {
                    data,
                    len,
                    count,
                    fragment,
                } => {
                    self.wirelog_on = !self.case.quiet_wirelog;
                    self.echoes = Some(Echoes {
                        data: *data,
                        len: *len,
                        count: *count,
                        fragment: *fragment,
                        sent: 0,
                        expected: Vec::new(),
                    });
                    self.send_next_echo();
                }
            }
        }
    }

    /// `Step::Pings`: the burst in one write, each ping's payload its index.
    fn send_pings(&mut self, count: u32) {
        let mut bytes = Vec::with_capacity(count as usize * 10);
        for i in 0..count {
            let mask = self.frame_mask();
            let frame = Frame::new(Opcode::Ping, i.to_be_bytes().to_vec()).with_mask(mask);
            if i == 0 {
                self.log(WireEvent::TxFrame {
                    at: self.now,
                    header: frame.header.clone(),
                    head: frame.payload.clone(),
                    chop: None,
                    sync: false,
                });
            }
            frame.encode_into(&mut bytes);
        }
        *self.tx_frames.entry(Opcode::Ping.as_u4()).or_default() += u64::from(count);
        self.pings_sent = count;
        self.write(bytes, false);
    }

    /// `Step::AbovePeerLimit`: the header now, the payload streamed by
    /// [`CaseRun::poll_output`]; without a declared limit the case ends here.
    fn send_above_peer_limit(&mut self, opcode: Opcode) {
        let Some(limit) = self.config.peer_max_message else {
            self.obs.measure.skipped = Some(
                "Not played: no --peer-max-message was given. The RFC sets no size limit, so \
                 only the user can say which message is too big for this server."
                    .into(),
            );
            self.script_done = true;
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        };
        self.obs.measure.declared_limit = Some(limit);
        let len = limit.saturating_add(1);
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: self.frame_mask(),
            payload_len: len,
            length_form: LengthForm::Minimal,
        };
        *self.tx_frames.entry(opcode.as_u4()).or_default() += 1;
        self.log(WireEvent::TxFrame {
            at: self.now,
            header: header.clone(),
            head: Vec::new(),
            chop: None,
            sync: false,
        });
        let mut bytes = Vec::new();
        header.encode_into(&mut bytes);
        self.write(bytes, false);
        self.open_frame = Some((header, 0));
        self.stream_left = len;
    }

    /// Autobahn 12.x/13.x: the next message, compressed, RSV1 on its first frame.
    fn send_next_echo(&mut self) {
        if self.state != State::Open {
            return;
        }
        let Some(e) = self.echoes.as_mut() else {
            return;
        };
        let message = e.data.message(e.sent, e.len);
        e.sent += 1;
        let opcode = if e.data.binary() {
            Opcode::Binary
        } else {
            Opcode::Text
        };
        let fragment = e.fragment;
        let (payload, rsv) = match self.codec.as_mut() {
            Some(c) => (c.compressor.compress(&message), 0b100),
            None => (message.clone(), 0),
        };
        e.expected = message;
        self.send_fragmented(opcode, rsv, &payload, fragment);
    }

    fn send_message(&mut self, opcode: Opcode, payload: &Payload, fragment: Option<usize>) {
        if self.case.quiet_wirelog {
            self.wirelog_on = false;
        }
        let bytes = payload.to_bytes();
        self.send_fragmented(opcode, 0, &bytes, fragment);
    }

    /// Sends one message, auto-fragmented; `rsv` goes on the first frame only.
    fn send_fragmented(&mut self, opcode: Opcode, rsv: u8, bytes: &[u8], fragment: Option<usize>) {
        let first_bits = |fin| Bits {
            rsv,
            ..Bits::plain(opcode, fin)
        };
        match fragment {
            Some(size) if size > 0 && bytes.len() > size => {
                // Autobahn's fragmenter ends a message whose length is a multiple of
                // the fragment size with an empty final frame; same bytes on the wire.
                let mut start = 0;
                let mut first = true;
                loop {
                    let end = start + size;
                    let done = end > bytes.len();
                    let end = end.min(bytes.len());
                    let bits = if first {
                        first_bits(done)
                    } else {
                        Bits::plain(Opcode::Continuation, done)
                    };
                    first = false;
                    self.send_frame(bits, &bytes[start..end], Chop::Whole, false);
                    if done {
                        break;
                    }
                    start = end;
                }
            }
            _ => self.send_frame(first_bits(true), bytes, Chop::Whole, false),
        }
    }

    fn send_next_round_trip(&mut self) {
        let Some(rt) = self.round_trip.as_mut() else {
            return;
        };
        rt.sent += 1;
        let (opcode, payload) = (rt.opcode, rt.payload.clone());
        self.send_frame(Bits::plain(opcode, true), &payload, Chop::Whole, false);
    }

    fn arm_ending(&mut self) {
        if self.state == State::Closed || self.ending_at.is_some() {
            return;
        }
        let (kind, delay) = match self.case.ending {
            Ending::KillAfter(d) => ("KL", d),
            Ending::CloseAfter(d) => ("TI", d),
        };
        self.log(WireEvent::TimerSet {
            at: self.now,
            kind,
            delay,
            tag: None,
        });
        self.ending_at = Some(self.now + delay);
        if self.case.quiet_wirelog
            && !matches!(
                self.case.expect.rule,
                VerdictRule::Echo { .. } | VerdictRule::RoundTrips | VerdictRule::CompressedEchoes
            )
        {
            self.wirelog_on = true;
        }
    }

    /// Closes as soon as no further event could change the verdict: the script is
    /// done, the suite is the side expected to close, and what was received is
    /// an expected outcome that no other (longer) outcome extends.
    fn finish_when_done(&mut self) {
        if self.state != State::Open {
            return;
        }
        if self
            .case
            .response
            .as_ref()
            .is_some_and(|r| r.expect == ResponseExpect::Fail)
        {
            // A client that answers at all took the invalid response: the verdict is
            // decided, so the suite closes instead of sitting out the kill timer.
            if !self.obs.received.is_empty() && !self.obs.sent_close {
                self.send_close(Some(close::codes::NORMAL), b"");
            }
            return;
        }
        if !self.script_done {
            return;
        }
        let expect = &self.case.expect;
        if !expect.close.closed_by_me || expect.outcomes.is_empty() {
            return;
        }
        let received = &self.obs.received;
        let matched = expect.outcomes.iter().any(|(_, ev)| ev == received);
        let extendable = expect
            .outcomes
            .iter()
            .any(|(_, ev)| ev.len() > received.len() && ev.starts_with(received));
        if matched && !extendable {
            let code = expect.close.codes.first().copied();
            self.send_close(code, b"");
        }
    }

    // ----- reading -------------------------------------------------------

    fn process_frames(&mut self) {
        loop {
            if self.state == State::Closed {
                return;
            }
            let event = match self.decoder.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    let code = match e.kind {
                        ws_spec::frame::FrameErrorKind::PayloadTooLarge { .. } => {
                            close::codes::TOO_BIG
                        }
                        _ => close::codes::PROTOCOL_ERROR,
                    };
                    self.protocol_violation(code, &e.to_string());
                    return;
                }
            };
            match event {
                DecodeEvent::Header(header) => {
                    if let Err((code, why)) = self.check_header(&header) {
                        // The frame that broke the rule is never delivered: with no
                        // current header, its payload and end are skipped as they arrive.
                        self.current = None;
                        self.protocol_violation(code, &why);
                        return;
                    }
                    if !header.opcode.is_control() {
                        if header.opcode != Opcode::Continuation {
                            self.message.opcode = Some(header.opcode);
                            self.message.data.clear();
                            self.message.utf8.reset();
                            self.message.compressed = header.rsv & 0b100 != 0;
                        }
                        let total = self.message.data.len() as u64 + header.payload_len;
                        if total > self.config.max_message {
                            self.protocol_violation(
                                close::codes::TOO_BIG,
                                &format!(
                                    "message of {total} bytes exceeds the limit of {}",
                                    self.config.max_message
                                ),
                            );
                            return;
                        }
                    } else {
                        self.control_buf.clear();
                    }
                    self.current = Some(header);
                }
                DecodeEvent::Payload(chunk) => {
                    let Some(header) = self.current.as_ref() else {
                        continue;
                    };
                    if header.opcode.is_control() {
                        self.control_buf.extend_from_slice(&chunk);
                    } else if self.message.compressed {
                        let pushed = match self.codec.as_mut() {
                            Some(c) => c.decompressor.push(&chunk),
                            None => Ok(()),
                        };
                        if let Err(e) = pushed {
                            self.inflate_failed(e);
                            return;
                        }
                    } else {
                        if self.message.opcode == Some(Opcode::Text)
                            && self.message.utf8.feed(&chunk).is_err()
                        {
                            self.invalid_payload("invalid UTF-8 in text message");
                            return;
                        }
                        self.message.data.extend_from_slice(&chunk);
                    }
                }
                DecodeEvent::FrameEnd => {
                    let Some(header) = self.current.take() else {
                        continue;
                    };
                    *self.rx_frames.entry(header.opcode.as_u4()).or_default() += 1;
                    let head_src = if header.opcode.is_control() {
                        &self.control_buf
                    } else {
                        &self.message.data
                    };
                    let head = if header.opcode.is_control() {
                        head_src[..head_src.len().min(LOG_HEAD)].to_vec()
                    } else {
                        let start = head_src.len().saturating_sub(header.payload_len as usize);
                        let end = (start + LOG_HEAD).min(head_src.len());
                        head_src[start..end].to_vec()
                    };
                    self.log(WireEvent::RxFrame {
                        at: self.now,
                        header: header.clone(),
                        head,
                    });
                    if header.opcode.is_control() {
                        let payload = std::mem::take(&mut self.control_buf);
                        self.on_control(header.opcode, payload);
                    } else if header.fin {
                        if std::mem::take(&mut self.message.compressed) {
                            let inflated = match self.codec.as_mut() {
                                Some(c) => c.decompressor.finish_message(),
                                None => Ok(Vec::new()),
                            };
                            match inflated {
                                Ok(data) => {
                                    if self.message.opcode == Some(Opcode::Text)
                                        && ws_spec::utf8::validate(&data).is_err()
                                    {
                                        self.invalid_payload(
                                            "invalid UTF-8 in a compressed text message",
                                        );
                                        return;
                                    }
                                    self.message.data = data;
                                }
                                Err(e) => {
                                    self.inflate_failed(e);
                                    return;
                                }
                            }
                        } else if self.message.opcode == Some(Opcode::Text)
                            && self.message.utf8.finish().is_err()
                        {
                            self.invalid_payload("text message ends inside a UTF-8 sequence");
                            return;
                        }
                        let binary = self.message.opcode == Some(Opcode::Binary);
                        self.message.opcode = None;
                        let data = std::mem::take(&mut self.message.data);
                        self.on_message(data, binary);
                    }
                }
            }
        }
    }

    /// Frame rules a conforming client checks (RFC 6455 §5.1–§5.5), without extensions.
    fn check_header(&self, header: &FrameHeader) -> Result<(), (u16, String)> {
        let pe = close::codes::PROTOCOL_ERROR;
        // With permessage-deflate, RSV1 may mark the first frame of a data message (RFC 7692 §6).
        let rsv = if self.codec.is_some()
            && deflate::rsv1_allowed(header.opcode, header.opcode != Opcode::Continuation)
        {
            header.rsv & 0b011
        } else {
            header.rsv
        };
        if rsv != 0 {
            let why = if self.codec.is_some() {
                "set where no negotiated extension allows them"
            } else {
                "set with no extension"
            };
            return Err((pe, format!("RSV bits {:#05b} {why}", header.rsv)));
        }
        if header.opcode.is_reserved() {
            return Err((pe, format!("reserved opcode {}", header.opcode.as_u4())));
        }
        match (self.config.role, header.mask.is_some()) {
            (Role::Client, true) => return Err((pe, "masked frame from server".into())),
            (Role::Server, false) => return Err((pe, "unmasked frame from client".into())),
            _ => {}
        }
        if header.opcode.is_control() {
            if !header.fin {
                return Err((pe, "fragmented control frame".into()));
            }
            if header.payload_len > 125 {
                return Err((pe, "control frame payload above 125 bytes".into()));
            }
        } else if header.opcode == Opcode::Continuation {
            if self.message.opcode.is_none() {
                return Err((pe, "continuation frame with no message to continue".into()));
            }
        } else if self.message.opcode.is_some() {
            return Err((pe, "new data frame inside a fragmented message".into()));
        }
        Ok(())
    }

    fn on_message(&mut self, data: Vec<u8>, binary: bool) {
        let rule = match self.case.expect.rule.clone() {
            // Checked as an echo; the judge reports it with the time it took.
            VerdictRule::Measured(Measure::EchoOrLimit { binary, payload }) => {
                self.obs.measure.echo_ms = Some(self.now.as_millis() as u64);
                VerdictRule::Echo { binary, payload }
            }
            rule => rule,
        };
        match rule {
            VerdictRule::CompressedEchoes => {
                let Some(e) = self.echoes.as_ref() else {
                    return;
                };
                let want_binary = e.data.binary();
                let mismatch = if binary != want_binary {
                    Some(format!(
                        "Echo'ed message type differs from what I sent (got {}, expected {}).",
                        kind(binary),
                        kind(want_binary)
                    ))
                } else if data.len() != e.expected.len() {
                    Some(format!(
                        "Echo'ed message length differs from what I sent (got length {}, expected length {}).",
                        data.len(),
                        e.expected.len()
                    ))
                } else if data != e.expected {
                    let at = data
                        .iter()
                        .zip(&e.expected)
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    Some(format!(
                        "Echo'ed message contents differ from what I sent (message {}, first difference at offset {at}).",
                        e.sent
                    ))
                } else {
                    None
                };
                if let Some(why) = mismatch {
                    self.wirelog_on = true;
                    self.obs.perf = Some((false, why));
                    self.send_close(Some(close::codes::NORMAL), b"");
                } else if e.sent < e.count {
                    self.send_next_echo();
                } else {
                    self.wirelog_on = true;
                    self.obs.perf =
                        Some((true, "Ok, received all echo'ed messages in time.".into()));
                    self.send_close(Some(close::codes::NORMAL), b"");
                }
            }
            VerdictRule::Echo {
                binary: want_binary,
                payload,
            } => {
                self.wirelog_on = true;
                let verdict = if binary != want_binary {
                    (
                        false,
                        format!(
                            "Expected {} message, but got {}.",
                            kind(want_binary),
                            kind(binary)
                        ),
                    )
                } else if data.len() != payload.len() {
                    (
                        false,
                        format!(
                            "Expected {} message with payload of length {}, but got {}.",
                            kind(want_binary),
                            payload.len(),
                            data.len()
                        ),
                    )
                } else if let Some(at) = payload.first_difference(&data) {
                    (
                        false,
                        format!(
                            "Received {} message of the right length, but its bytes differ from what was sent at offset {at}.",
                            kind(binary)
                        ),
                    )
                } else {
                    (
                        true,
                        format!(
                            "Received {} message of length {}.",
                            kind(binary),
                            data.len()
                        ),
                    )
                };
                if self.obs.perf.is_none() {
                    self.obs.perf = Some(verdict);
                }
                self.send_close(Some(close::codes::NORMAL), b"");
            }
            VerdictRule::RoundTrips => {
                let Some(rt) = self.round_trip.as_ref() else {
                    return;
                };
                let want_binary = rt.opcode == Opcode::Binary;
                if binary != want_binary || data != rt.payload {
                    self.wirelog_on = true;
                    self.obs.perf = Some((
                        false,
                        format!(
                            "Echoed message differs from what was sent (binary = {binary}, length = {}).",
                            data.len()
                        ),
                    ));
                    self.send_close(Some(close::codes::NORMAL), b"");
                } else if rt.sent < rt.count {
                    self.send_next_round_trip();
                } else {
                    self.wirelog_on = true;
                    self.obs.perf = Some((
                        true,
                        format!("All {} echoed messages received in time.", rt.count),
                    ));
                    self.send_close(Some(close::codes::NORMAL), b"");
                }
            }
            VerdictRule::Measured(Measure::PeerLimit) => {
                // Echoed above the declared limit: nothing more can change the verdict.
                self.record(Event::Message {
                    payload: data,
                    binary,
                });
                self.send_close(Some(close::codes::NORMAL), b"");
            }
            _ => {
                self.record(Event::Message {
                    payload: data,
                    binary,
                });
                self.finish_when_done();
            }
        }
    }

    fn on_control(&mut self, opcode: Opcode, payload: Vec<u8>) {
        match opcode {
            Opcode::Ping if self.state == State::Open => {
                self.send_frame(
                    Bits::plain(Opcode::Pong, true),
                    &payload,
                    Chop::Whole,
                    false,
                );
            }
            Opcode::Pong => {
                if let VerdictRule::Measured(Measure::Pongs { count }) = self.case.expect.rule {
                    self.on_burst_pong(&payload, count);
                    return;
                }
                self.record(Event::Pong(payload));
                self.finish_when_done();
            }
            Opcode::Close => self.on_close_frame(&payload),
            _ => {}
        }
    }

    fn on_close_frame(&mut self, payload: &[u8]) {
        if payload.len() >= 2 {
            self.obs.remote_close_code = Some(u16::from_be_bytes([payload[0], payload[1]]));
        }
        match close::parse_close_payload(payload) {
            Ok(body) => {
                self.obs.received_close = true;
                self.obs.peer_close_ms = Some(self.now.as_millis() as u64);
                self.obs.remote_close_reason = body
                    .map(|b| b.reason)
                    .filter(|r| !r.is_empty() || payload.len() > 2);
            }
            // An invalid close is a protocol violation the suite fails on, as a
            // close frame of its own (not a reply): Autobahn's engine does the same.
            Err(e) => {
                let code = match e {
                    CloseError::InvalidReasonUtf8 { .. } => close::codes::INVALID_PAYLOAD,
                    _ => close::codes::PROTOCOL_ERROR,
                };
                self.protocol_violation(code, &format!("invalid close frame: {e}"));
                return;
            }
        }
        match self.state {
            State::Closing => {
                self.close_deadline = None;
                self.obs.was_clean = true;
                self.after_close_handshake();
            }
            State::Open => {
                if let VerdictRule::Measured(Measure::DropWithoutAnswer { within }) =
                    self.case.expect.rule
                {
                    // Never answered: how long the peer keeps TCP open is what is measured.
                    self.state = State::Closing;
                    self.script_done = true;
                    self.pause_until = None;
                    self.ending_at = None;
                    self.drop_deadline = Some(self.now + within);
                    return;
                }
                if self.stream_left > 0 {
                    // The peer refused the streamed message mid-frame: a close frame
                    // of ours would land inside that frame, so the suite stops writing
                    // and waits for the peer to close TCP.
                    self.stream_left = 0;
                    self.state = State::Closing;
                    self.script_done = true;
                    self.pause_until = None;
                    self.ending_at = None;
                    self.drop_deadline = Some(self.now + self.config.server_drop_timeout);
                    return;
                }
                self.obs.was_clean = true;
                self.send_close(Some(close::codes::NORMAL), b"");
                self.after_close_handshake();
            }
            _ => {}
        }
    }

    /// A pong of the case's ping burst (`Step::Pings`): it must answer a later
    /// ping than the pong before it (RFC 6455 §5.5.3 lets a peer skip to the
    /// latest), with that ping's payload. The pong of the last ping ends the case.
    fn on_burst_pong(&mut self, payload: &[u8], count: u32) {
        if self.obs.measure.pong_mismatch.is_some() {
            return;
        }
        let index = <[u8; 4]>::try_from(payload)
            .ok()
            .map(u32::from_be_bytes)
            .filter(|i| *i >= self.pong_next && *i < self.pings_sent);
        let Some(index) = index else {
            self.obs.measure.pong_mismatch = Some(format!(
                "Pong {} carries {} bytes ({:02x?}), which answer no later ping of the burst",
                self.obs.measure.pongs + 1,
                payload.len(),
                &payload[..payload.len().min(8)]
            ));
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        };
        self.obs.measure.pongs += 1;
        self.pong_next = index + 1;
        if index + 1 == count {
            self.obs.measure.last_pong_ms = Some(self.now.as_millis() as u64);
            self.send_close(Some(close::codes::NORMAL), b"");
        }
    }

    /// RFC 6455 §7.1.1: the server closes TCP first; a client waits for it, within limits.
    fn after_close_handshake(&mut self) {
        self.obs.measure.close_done_ms = Some(self.now.as_millis() as u64);
        let measured = match &self.case.expect.rule {
            VerdictRule::Measured(m) => {
                // What follows the handshake is the measurement: no kill timer cuts it short.
                self.ending_at = None;
                Some(m)
            }
            _ => None,
        };
        match (self.config.role, measured) {
            (Role::Client, Some(Measure::ServerDropsFirst { within })) => {
                self.drop_deadline = Some(self.now + *within);
            }
            (Role::Client, _) => {
                self.drop_deadline = Some(self.now + self.config.server_drop_timeout);
            }
            (Role::Server, Some(Measure::ClientWaits { hold: wait }))
            | (Role::Server, Some(Measure::ClientLeaves { within: wait })) => {
                self.drop_deadline = Some(self.now + *wait);
            }
            (Role::Server, _) => self.drop_connection(),
        }
    }

    /// Records an event the verdict compares. A list longer than every expected
    /// outcome can match none of them, so events past that length change no
    /// verdict and are only counted: a flood of messages cannot grow memory.
    fn record(&mut self, event: Event) {
        let longest = self
            .case
            .expect
            .outcomes
            .iter()
            .map(|(_, ev)| ev.len())
            .max()
            .unwrap_or(0);
        if self.obs.received.len() > longest {
            self.obs.received_unrecorded += 1;
            return;
        }
        self.obs.received.push(event);
    }

    fn protocol_violation(&mut self, code: u16, why: &str) {
        self.obs.peer_violation = Some(why.to_string());
        self.fail_connection(code, why.as_bytes());
    }

    /// A compressed message that does not inflate, or inflates above the limit.
    fn inflate_failed(&mut self, e: DeflateError) {
        let code = match e {
            DeflateError::TooLarge { .. } => close::codes::TOO_BIG,
            _ => close::codes::INVALID_PAYLOAD,
        };
        self.protocol_violation(code, &format!("compressed message: {e}"));
    }

    fn invalid_payload(&mut self, why: &str) {
        self.protocol_violation(close::codes::INVALID_PAYLOAD, why);
    }
}

/// The header bits of a frame the suite writes.
#[derive(Clone, Copy, Debug)]
struct Bits {
    opcode: Opcode,
    fin: bool,
    rsv: u8,
    length_form: LengthForm,
    mask: MaskMode,
}

impl Bits {
    fn plain(opcode: Opcode, fin: bool) -> Self {
        Bits {
            opcode,
            fin,
            rsv: 0,
            length_form: LengthForm::Minimal,
            mask: MaskMode::Role,
        }
    }
}

fn kind(binary: bool) -> &'static str {
    if binary {
        "binary"
    } else {
        "text"
    }
}

/// Whether the script plays once the server accepted a handshake case's
/// request: only where acceptance was expected, or where the extension the
/// server had to decline is indeed absent from its response.
fn continues_after(
    expect: &crate::model::HandshakeExpect,
    accepted: &[handshake::ExtensionOffer],
) -> bool {
    use crate::model::HandshakeExpect as H;
    match expect {
        H::Accept => true,
        H::Decline(name) => !accepted.iter().any(|e| e.name.eq_ignore_ascii_case(name)),
        _ => false,
    }
}

/// Applies a handshake case's edits to the standard request.
fn apply_edits(mut b: RequestBuilder, edits: &[crate::model::RequestEdit]) -> RequestBuilder {
    use crate::model::RequestEdit as E;
    for e in edits {
        b = match e {
            E::Set(k, v) => b.set(k, v),
            E::Add(k, v) => b.add(k, v),
            E::Remove(k) => b.remove(k),
            E::Rename(k, n) => b.rename(k, n),
            E::RawLine(l) => b.raw_header_line(l),
            E::Method(m) => b.method(m),
            E::Version(v) => b.http_version(v),
            E::Target(t) => b.target(t),
            E::Pad(n) => b.add("X-Wsconform-Padding", &"a".repeat(*n)),
        };
    }
    b
}

/// The subprotocols and extension names a request offers, so the response can
/// be held to them (RFC 6455 §4.1: nothing that was not offered).
/// Applies a client-side handshake case's edits to the reference response.
fn edit_response(response: &[u8], edits: &[ResponseEdit], key: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let mut status = lines.next().unwrap_or_default().to_string();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    let set = |headers: &mut Vec<(String, String)>, name: &str, value: String| match headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        Some(h) => *h = (name.to_string(), value),
        None => headers.push((name.to_string(), value)),
    };
    for edit in edits {
        match edit {
            ResponseEdit::StatusLine(line) => status = line.to_string(),
            ResponseEdit::Set(name, value) => set(&mut headers, name, value.to_string()),
            ResponseEdit::Remove(name) => headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name)),
            ResponseEdit::Rename(from, to) => {
                for (n, _) in headers
                    .iter_mut()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(from))
                {
                    *n = to.to_string();
                }
            }
            ResponseEdit::WrongAccept => {
                // The accept value of a key one bit away: right shape, wrong value.
                let mut other = key.as_bytes().to_vec();
                other[0] ^= 1;
                let other = String::from_utf8_lossy(&other).into_owned();
                set(
                    &mut headers,
                    "Sec-WebSocket-Accept",
                    handshake::accept_key(&other),
                );
            }
        }
    }
    let mut out = status;
    out.push_str("\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn offered(request: &str) -> (Vec<String>, Vec<String>) {
    let mut protocols = Vec::new();
    let mut extensions = Vec::new();
    for line in request.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let list = value.split(',').map(|t| t.trim()).filter(|t| !t.is_empty());
        if name.trim().eq_ignore_ascii_case("sec-websocket-protocol") {
            protocols.extend(list.map(str::to_string));
        } else if name.trim().eq_ignore_ascii_case("sec-websocket-extensions") {
            extensions.extend(list.map(|t| t.split(';').next().unwrap_or("").trim().to_string()));
        }
    }
    (protocols, extensions)
}
