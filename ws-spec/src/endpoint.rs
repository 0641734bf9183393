//! The reference peer of RFC 6455, sans-IO, for both roles.
//!
//! An [`Endpoint`] starts once the opening handshake is done. It is fed the
//! bytes the peer sends and says what a conforming endpoint MUST do with
//! them: which messages, pings, pongs and closes it sees ([`EndpointEvent`]),
//! which bytes it writes back (pongs, echoes, close frames) and when it wants
//! the TCP connection closed. It is the oracle for the case catalogue and the
//! fuzzer, and the core of the reference echo server.
//!
//! Every rule is applied at the earliest byte that breaks it: a header is
//! judged field by field as its bytes arrive (a reserved bit fails the
//! connection at the first header byte, an oversized length before the
//! masking key), and a text message is failed at the first byte that cannot
//! continue valid UTF-8, even in the middle of a frame's payload. So the
//! events and output do not depend on how the input is cut into pieces.
//!
//! permessage-deflate (RFC 7692) is applied once negotiated: the caller
//! passes the agreed parameters in [`EndpointConfig::deflate`], and without
//! them an RSV bit fails the connection, as §5.2 requires. What is not here:
//! the opening handshake and the negotiation itself, and timers (the caller
//! owns the clock and passes the time in).

use std::collections::VecDeque;
use std::time::Duration;

use crate::close;
use crate::deflate::{Compressor, Decompressor, DeflateError, DeflateParams};
use crate::frame::{
    DecodeEvent, DecoderConfig, FrameDecoder, FrameErrorKind, FrameHeader, LengthForm, Opcode,
    PartialHeader,
};
use crate::mask::apply_mask;
use crate::rng::SplitMix64;
use crate::rules::{check_header, ReceiveState};

pub use crate::rules::FailReason;
use crate::utf8::{self, Utf8Error, Utf8Validator};

/// Which side of the connection the endpoint plays (RFC 6455 §5.1 masking
/// rules and §7.1.1 TCP closing order depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Role {
    /// Receives masked frames, sends unmasked ones, closes TCP first.
    Server,
    /// Receives unmasked frames, sends masked ones, waits for the server to close TCP.
    #[default]
    Client,
}

/// Limits and behaviour of an [`Endpoint`].
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Server or client.
    pub role: Role,
    /// Largest message (sum of its frames' payloads) accepted; a frame
    /// header that would take a message above it fails the connection with
    /// 1009 (RFC 6455 §10.4, §7.4.1). Default 64 MiB.
    pub max_message_size: u64,
    /// Largest data frame payload accepted; above it, 1009 (RFC 6455
    /// §10.4). Control frames are bounded by the RFC's 125 bytes instead.
    /// Default 64 MiB.
    pub max_frame_size: u64,
    /// Send every complete message back, with the same type and payload, as
    /// one frame (what Autobahn's testees do).
    pub echo: bool,
    /// Seed of the generator of masking keys (client role). ws-spec has no
    /// randomness of its own, so the caller decides how unpredictable keys
    /// are (RFC 6455 §5.3, §10.3 want them unpredictable on a real network).
    pub mask_seed: u64,
    /// Fail a text message at the first invalid UTF-8 byte (RFC 6455 §8.1,
    /// Autobahn 6.4.x); when false, only once the whole message is in.
    /// Default true.
    pub fail_fast_utf8: bool,
    /// Fail the connection on a length not written in the minimal number of
    /// bytes (RFC 6455 §5.2 says senders MUST use the minimal form, but does
    /// not make receivers check it). Default false, as most peers accept them.
    pub reject_non_minimal_length: bool,
    /// permessage-deflate as negotiated in the opening handshake (RFC 7692),
    /// or `None` when no extension was agreed. When set, RSV1 on the first
    /// frame of a data message marks it compressed (§6); it is inflated
    /// under [`EndpointConfig::max_message_size`] (1009 above it) and echoes
    /// are compressed. Default `None`.
    pub deflate: Option<DeflateParams>,
}

impl EndpointConfig {
    /// Defaults for `role`: 64 MiB limits, no echo, fail-fast UTF-8.
    pub fn new(role: Role) -> Self {
        EndpointConfig {
            role,
            max_message_size: 64 * 1024 * 1024,
            max_frame_size: 64 * 1024 * 1024,
            echo: false,
            mask_seed: 0x5EED_0000_6455,
            fail_fast_utf8: true,
            reject_non_minimal_length: false,
            deflate: None,
        }
    }

    /// A server that echoes every message (the Autobahn testee setup).
    pub fn echo_server() -> Self {
        EndpointConfig {
            echo: true,
            ..EndpointConfig::new(Role::Server)
        }
    }

    /// A client that echoes every message (the Autobahn client-testee setup).
    pub fn echo_client(mask_seed: u64) -> Self {
        EndpointConfig {
            echo: true,
            mask_seed,
            ..EndpointConfig::new(Role::Client)
        }
    }
}

impl Default for EndpointConfig {
    /// A non-echoing server with the defaults of [`EndpointConfig::new`].
    fn default() -> Self {
        EndpointConfig::new(Role::Server)
    }
}

/// What the endpoint observed, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointEvent {
    /// A complete text message (valid UTF-8).
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A ping; it has been answered with a pong if the endpoint had not sent a close.
    Ping(Vec<u8>),
    /// A pong (solicited or not; nothing is sent in reply, RFC 6455 §5.5.3).
    Pong(Vec<u8>),
    /// A valid close frame from the peer: its code (`None` for an empty
    /// body) and reason.
    CloseReceived {
        /// Status code, if the body had one.
        code: Option<u16>,
        /// Reason text (empty if none).
        reason: String,
    },
    /// The endpoint failed the connection (RFC 6455 §7.1.7): it sent a close
    /// with `code` (unless it had already sent a close) and ignores all
    /// further input.
    Failed {
        /// The status code of the failure (1002, 1007 or 1009).
        code: u16,
        /// The rule the peer broke.
        reason: FailReason,
    },
    /// The closing handshake is complete: both sides have sent a close
    /// (RFC 6455 §7.1.2-7.1.4).
    Closed,
}

/// Connection state as RFC 6455 §4.1/§7 names it, after the opening handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// A close has been sent and the peer's is awaited. The reference
    /// answers a peer's close at once, so `initiated_by_me` is always true
    /// here; the field keeps the state model complete for other peers.
    Closing {
        /// True when this endpoint sent the first close.
        initiated_by_me: bool,
    },
    /// Closing handshake done, connection failed, or TCP gone: input is ignored.
    Closed,
}

/// Kind of the data message being received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MessageKind {
    Text,
    Binary,
}

/// The reference WebSocket endpoint; see the module documentation.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    decoder: FrameDecoder,
    state: State,
    events: VecDeque<EndpointEvent>,
    output: Vec<u8>,
    /// Opcode and FIN of the frame whose payload is being read.
    frame: Option<(Opcode, bool)>,
    /// The data message in progress (after its first frame's header).
    message: Option<MessageKind>,
    message_buf: Vec<u8>,
    /// Bytes of the message so far, counted from headers: limits are
    /// enforced before the payload arrives.
    message_len: u64,
    control_buf: Vec<u8>,
    utf8: Utf8Validator,
    rng: SplitMix64,
    /// `Some(code)` once a close frame has been written (`Some(None)`: empty body).
    close_sent: Option<Option<u16>>,
    closing_since: Option<Duration>,
    now: Duration,
    failure: Option<(u16, FailReason)>,
    handshake_done: bool,
    peer_eof: bool,
    /// permessage-deflate codec, when negotiated.
    compressor: Option<Compressor>,
    decompressor: Option<Decompressor>,
    /// The data message in progress came with RSV1 (RFC 7692 §6).
    compressed: bool,
}

impl Endpoint {
    /// An endpoint in the Open state, right after the opening handshake.
    pub fn new(config: EndpointConfig) -> Self {
        let rng = SplitMix64::new(config.mask_seed);
        let limit = usize::try_from(config.max_message_size).unwrap_or(usize::MAX);
        let compressor = config.deflate.as_ref().map(|p| p.compressor(config.role));
        let decompressor = config
            .deflate
            .as_ref()
            .map(|p| p.decompressor(config.role, limit));
        Endpoint {
            compressor,
            decompressor,
            compressed: false,
            config,
            // Limits are enforced here, header field by header field, so the
            // decoder itself takes any length (it never preallocates).
            decoder: FrameDecoder::new(DecoderConfig {
                max_frame_payload: u64::MAX,
            }),
            state: State::Open,
            events: VecDeque::new(),
            output: Vec::new(),
            frame: None,
            message: None,
            message_buf: Vec::new(),
            message_len: 0,
            control_buf: Vec::new(),
            utf8: Utf8Validator::new(),
            rng,
            close_sent: None,
            closing_since: None,
            now: Duration::ZERO,
            failure: None,
            handshake_done: false,
            peer_eof: false,
        }
    }

    /// The configuration the endpoint was built with.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Feed received bytes; `now` is the time since the connection started,
    /// passed in as a value (never read from a clock) and used only for
    /// bookkeeping (when the close started).
    pub fn receive(&mut self, bytes: &[u8], now: Duration) {
        self.now = now;
        if self.ignores_input() {
            return;
        }
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_event() {
                Ok(Some(event)) => self.on_decode_event(event),
                Ok(None) => {
                    // Judge the header's first bytes now: they may break a rule
                    // whatever the rest says (fail fast).
                    if let Some(partial) = self.decoder.partial_header() {
                        if let Err(reason) = check_header(&self.receive_state(), &partial) {
                            self.fail(reason);
                        }
                    }
                    break;
                }
                Err(e) => {
                    // The decoder stopped inside a header; an earlier field
                    // of it may break a rule first.
                    let reason = self
                        .decoder
                        .partial_header()
                        .and_then(|partial| check_header(&self.receive_state(), &partial).err())
                        .unwrap_or(match e.kind {
                            FrameErrorKind::PayloadTooLarge { len, .. } => {
                                FailReason::FrameTooBig(len)
                            }
                            FrameErrorKind::LengthTopBitSet => FailReason::LengthTopBit,
                            FrameErrorKind::Truncated => FailReason::TruncatedFrame,
                        });
                    self.fail(reason);
                }
            }
            if self.ignores_input() {
                break;
            }
        }
    }

    /// Next thing the endpoint observed, oldest first.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front()
    }

    /// Bytes the endpoint wants written (pongs, echoes, close frames), in order.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// True when the endpoint wants the TCP connection closed now (server: right after the closing handshake or after failing; client: waits for the server to close, per RFC 6455 §7.1.1, §5.5.1).
    ///
    /// Both roles want it once the peer has closed TCP ([`Endpoint::receive_eof`]).
    /// A client that waits too long for the server may close anyway
    /// (§7.1.1); that timeout belongs to the caller, see
    /// [`Endpoint::closing_since`].
    pub fn wants_tcp_close(&self) -> bool {
        self.peer_eof || (self.config.role == Role::Server && self.state == State::Closed)
    }

    /// Current connection state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Sends a text message as one frame; nothing once a close has been sent
    /// (RFC 6455 §5.5.1) or the connection is closed.
    pub fn send_text(&mut self, s: &str) {
        if self.state == State::Open {
            self.send_data(Opcode::Text, s.as_bytes());
        }
    }

    /// Sends a binary message as one frame; nothing once a close has been
    /// sent (RFC 6455 §5.5.1) or the connection is closed.
    pub fn send_binary(&mut self, b: &[u8]) {
        if self.state == State::Open {
            self.send_data(Opcode::Binary, b);
        }
    }

    /// Sends a ping (only in the Open state). A payload above the 125 bytes
    /// a control frame may carry (RFC 6455 §5.5) is cut to its first 125.
    pub fn send_ping(&mut self, p: &[u8]) {
        if self.state == State::Open {
            self.send_frame(Opcode::Ping, &p[..p.len().min(125)]);
        }
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2), only in the Open state.
    ///
    /// A code that may not be sent (RFC 6455 §7.4: 1005, 1006, 1015, 0-999,
    /// ...) gives a close with an empty body, as 1005 means "no code". The
    /// reason is cut on a character boundary to fit the 125-byte control
    /// payload.
    pub fn close(&mut self, code: u16, reason: &str) {
        if self.state != State::Open {
            return;
        }
        let code = close::is_valid_on_wire(code).then_some(code);
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        self.send_close(code, &reason.as_bytes()[..end]);
        self.state = State::Closing {
            initiated_by_me: true,
        };
    }

    /// The peer closed TCP.
    ///
    /// The endpoint is Closed from then on (an unfinished closing handshake
    /// is an abnormal closure, 1006, §7.1.5) and wants its side closed too.
    pub fn receive_eof(&mut self) {
        if self.peer_eof {
            return;
        }
        self.peer_eof = true;
        self.state = State::Closed;
        self.release_buffers();
    }

    /// Why and with which code the endpoint failed the connection, if it did.
    pub fn failure(&self) -> Option<(u16, &FailReason)> {
        self.failure.as_ref().map(|(code, reason)| (*code, reason))
    }

    /// `Some(code)` once the endpoint has written a close frame (`Some(None)`
    /// for an empty body), `None` before.
    pub fn close_sent(&self) -> Option<Option<u16>> {
        self.close_sent
    }

    /// The `now` of the last [`Endpoint::receive`] before the endpoint
    /// sent its close, for the caller's closing-handshake timeout.
    pub fn closing_since(&self) -> Option<Duration> {
        self.closing_since
    }

    /// True when both closes have been exchanged (a clean close, §7.1.4).
    pub fn handshake_completed(&self) -> bool {
        self.handshake_done
    }

    /// True once [`Endpoint::receive_eof`] has been called.
    pub fn peer_closed_tcp(&self) -> bool {
        self.peer_eof
    }

    fn ignores_input(&self) -> bool {
        self.state == State::Closed
    }

    fn on_decode_event(&mut self, event: DecodeEvent) {
        match event {
            DecodeEvent::Header(header) => {
                if let Err(reason) =
                    check_header(&self.receive_state(), &PartialHeader::from(&header))
                {
                    self.fail(reason);
                    return;
                }
                let opcode = header.opcode;
                self.frame = Some((opcode, header.fin));
                match opcode {
                    Opcode::Text | Opcode::Binary => {
                        self.message = Some(if opcode == Opcode::Text {
                            MessageKind::Text
                        } else {
                            MessageKind::Binary
                        });
                        self.message_buf = Vec::new();
                        self.message_len = header.payload_len;
                        self.utf8.reset();
                        self.compressed = header.rsv & 0b100 != 0;
                    }
                    Opcode::Continuation => self.message_len += header.payload_len,
                    _ => self.control_buf.clear(),
                }
            }
            DecodeEvent::Payload(piece) => match self.frame {
                Some((op, _)) if op.is_control() => self.control_buf.extend_from_slice(&piece),
                Some(_) if self.compressed => {
                    let Some(d) = self.decompressor.as_mut() else {
                        return;
                    };
                    if let Err(e) = d.push(&piece) {
                        self.fail(inflate_reason(e));
                    }
                }
                Some(_) => {
                    if self.message == Some(MessageKind::Text) && self.config.fail_fast_utf8 {
                        if let Err(e) = self.utf8.feed(&piece) {
                            self.fail(utf8_reason(e));
                            return;
                        }
                    }
                    if self.message_buf.is_empty() {
                        self.message_buf = piece;
                    } else {
                        self.message_buf.extend_from_slice(&piece);
                    }
                }
                None => {}
            },
            DecodeEvent::FrameEnd => match self.frame.take() {
                Some((op, _)) if op.is_control() => self.on_control(op),
                Some((_, true)) => self.on_message_end(),
                _ => {}
            },
        }
    }

    /// What the frame rules need to know about this endpoint.
    fn receive_state(&self) -> ReceiveState {
        ReceiveState {
            role: self.config.role,
            deflate: self.config.deflate.is_some(),
            in_message: self.message.is_some(),
            message_len: self.message_len,
            max_frame_size: self.config.max_frame_size,
            max_message_size: self.config.max_message_size,
            reject_non_minimal_length: self.config.reject_non_minimal_length,
        }
    }

    fn on_message_end(&mut self) {
        let Some(kind) = self.message.take() else {
            return;
        };
        let mut data = std::mem::take(&mut self.message_buf);
        self.message_len = 0;
        let compressed = std::mem::take(&mut self.compressed);
        if compressed {
            let Some(d) = self.decompressor.as_mut() else {
                return;
            };
            match d.finish_message() {
                Ok(inflated) => data = inflated,
                Err(e) => {
                    self.fail(inflate_reason(e));
                    return;
                }
            }
        }
        match kind {
            MessageKind::Binary => {
                if self.config.echo && self.state == State::Open {
                    self.send_data(Opcode::Binary, &data);
                }
                self.events.push_back(EndpointEvent::Binary(data));
            }
            MessageKind::Text => {
                // A compressed message was not fed to the validator as it came.
                let checked = if self.config.fail_fast_utf8 && !compressed {
                    self.utf8.finish()
                } else {
                    utf8::validate(&data)
                };
                if let Err(e) = checked {
                    self.fail(utf8_reason(e));
                    return;
                }
                match String::from_utf8(data) {
                    Ok(text) => {
                        if self.config.echo && self.state == State::Open {
                            self.send_data(Opcode::Text, text.as_bytes());
                        }
                        self.events.push_back(EndpointEvent::Text(text));
                    }
                    // Unreachable after the validator's verdict; failing is
                    // still the right answer if it ever disagreed with std.
                    Err(_) => self.fail(FailReason::InvalidUtf8),
                }
            }
        }
    }

    fn on_control(&mut self, op: Opcode) {
        let payload = std::mem::take(&mut self.control_buf);
        match op {
            Opcode::Ping => {
                // §5.5.2: answer with the same payload, unless a close has
                // been sent (§5.5.1: nothing but the close after it).
                if self.state == State::Open {
                    self.send_frame(Opcode::Pong, &payload);
                }
                self.events.push_back(EndpointEvent::Ping(payload));
            }
            Opcode::Pong => self.events.push_back(EndpointEvent::Pong(payload)),
            Opcode::Close => match close::parse_close_payload(&payload) {
                Err(e) => self.fail(FailReason::from(&e)),
                Ok(body) => {
                    let (code, reason) = match body {
                        Some(b) => (Some(b.code), b.reason),
                        None => (None, String::new()),
                    };
                    self.events
                        .push_back(EndpointEvent::CloseReceived { code, reason });
                    if self.state == State::Open {
                        // §5.5.1: reply with a close, echoing the status code.
                        self.send_close(code, b"");
                    }
                    self.state = State::Closed;
                    self.handshake_done = true;
                    self.events.push_back(EndpointEvent::Closed);
                    self.release_buffers();
                }
            },
            // Data and reserved opcodes never get here.
            _ => {}
        }
    }

    /// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7).
    fn fail(&mut self, reason: FailReason) {
        let code = reason.close_code();
        self.events.push_back(EndpointEvent::Failed {
            code,
            reason: reason.clone(),
        });
        if self.close_sent.is_none() {
            self.send_close(Some(code), b"");
        }
        self.failure = Some((code, reason));
        self.state = State::Closed;
        self.release_buffers();
    }

    fn send_close(&mut self, code: Option<u16>, reason: &[u8]) {
        let payload = match code {
            Some(code) => close::encode_close_payload(code, reason),
            None => Vec::new(),
        };
        self.send_frame(Opcode::Close, &payload);
        self.close_sent = Some(code);
        self.closing_since = Some(self.now);
    }

    /// Writes a data message as one frame, compressed with RSV1 set when
    /// permessage-deflate was negotiated (RFC 7692 §6, §7.2.1).
    fn send_data(&mut self, opcode: Opcode, payload: &[u8]) {
        if self.close_sent.is_some() {
            return;
        }
        match self.compressor.as_mut() {
            Some(c) => {
                let compressed = c.compress(payload);
                self.write_frame(opcode, 0b100, &compressed);
            }
            None => self.write_frame(opcode, 0, payload),
        }
    }

    /// Writes one final frame, never compressed (control frames).
    fn send_frame(&mut self, opcode: Opcode, payload: &[u8]) {
        self.write_frame(opcode, 0, payload);
    }

    /// Writes one final frame, masked in the client role. After a close,
    /// nothing more is ever written (RFC 6455 §5.5.1).
    fn write_frame(&mut self, opcode: Opcode, rsv: u8, payload: &[u8]) {
        if self.close_sent.is_some() {
            return;
        }
        let mask = match self.config.role {
            Role::Client => Some(self.next_mask_key()),
            Role::Server => None,
        };
        let header = FrameHeader {
            fin: true,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
            length_form: LengthForm::Minimal,
        };
        self.output.reserve(header.encoded_len() + payload.len());
        header.encode_into(&mut self.output);
        let start = self.output.len();
        self.output.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.output[start..], key, 0);
        }
    }

    /// Deterministic from the seed, so expectations derived from a
    /// client-role endpoint are reproducible byte for byte.
    fn next_mask_key(&mut self) -> [u8; 4] {
        self.rng.mask_key()
    }

    /// Input is ignored from now on: free what it held.
    fn release_buffers(&mut self) {
        self.decoder = FrameDecoder::new(DecoderConfig {
            max_frame_payload: u64::MAX,
        });
        self.message = None;
        self.message_buf = Vec::new();
        self.message_len = 0;
        self.control_buf = Vec::new();
        self.frame = None;
        self.compressed = false;
    }
}

fn inflate_reason(e: DeflateError) -> FailReason {
    match e {
        DeflateError::TooLarge { limit } => FailReason::DecompressedTooBig(limit as u64),
        other => FailReason::InvalidCompressedData(other.to_string()),
    }
}

fn utf8_reason(e: Utf8Error) -> FailReason {
    match e {
        Utf8Error::Invalid { .. } => FailReason::InvalidUtf8,
        Utf8Error::Incomplete { .. } => FailReason::IncompleteUtf8,
    }
}

#[cfg(test)]
mod tests;
