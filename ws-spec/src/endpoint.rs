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
mod tests {
    use super::*;
    use crate::close::encode_close_payload;
    use crate::frame::{decode_stream, Frame};

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn echo_server() -> Endpoint {
        Endpoint::new(EndpointConfig::echo_server())
    }

    fn echo_client() -> Endpoint {
        Endpoint::new(EndpointConfig::echo_client(7))
    }

    /// What a client sends: masked.
    fn c(f: Frame) -> Vec<u8> {
        f.with_mask(Some(KEY)).encode()
    }

    /// `f`, masked as a client sends it, arrives at time zero.
    fn feed(ep: &mut Endpoint, f: Frame) {
        ep.receive(&c(f), Duration::ZERO);
    }

    fn events(ep: &mut Endpoint) -> Vec<EndpointEvent> {
        std::iter::from_fn(|| ep.poll_event()).collect()
    }

    /// Decodes what the endpoint wrote.
    fn frames(bytes: &[u8]) -> Vec<Frame> {
        decode_stream(bytes).expect("endpoint output decodes as whole frames")
    }

    fn out_frames(ep: &mut Endpoint) -> Vec<Frame> {
        frames(&ep.take_output())
    }

    fn failed(code: u16, reason: FailReason) -> EndpointEvent {
        EndpointEvent::Failed { code, reason }
    }

    /// Asserts the endpoint failed with `code`/`reason`, sent exactly one
    /// close carrying `code`, and (server) wants TCP closed.
    fn assert_failed(ep: &mut Endpoint, earlier: &[EndpointEvent], code: u16, reason: FailReason) {
        let mut expected = earlier.to_vec();
        expected.push(failed(code, reason.clone()));
        assert_eq!(events(ep), expected);
        let out = out_frames(ep);
        let last = out.last().expect("a close frame");
        assert_eq!(last.header.opcode, Opcode::Close);
        assert_eq!(last.payload, encode_close_payload(code, b""));
        assert_eq!(ep.state(), State::Closed);
        assert_eq!(ep.failure(), Some((code, &reason)));
        assert_eq!(ep.close_sent(), Some(Some(code)));
        assert_eq!(ep.wants_tcp_close(), ep.config().role == Role::Server);
        // §7.1.7: everything after is ignored.
        let more = match ep.config().role {
            Role::Server => c(Frame::ping("x")),
            Role::Client => Frame::ping("x").encode(),
        };
        ep.receive(&more, Duration::from_millis(99));
        assert_eq!(events(ep), vec![]);
        assert!(ep.take_output().is_empty());
    }

    #[test]
    fn rfc6455_5_1_server_fails_on_unmasked_frame_1002() {
        let mut ep = echo_server();
        ep.receive(&Frame::text("hi").encode(), Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::UnmaskedClientFrame);
    }

    #[test]
    fn rfc6455_5_1_client_fails_on_masked_frame_1002_and_waits_for_server_tcp_close() {
        let mut ep = echo_client();
        feed(&mut ep, Frame::text("hi"));
        assert_failed(&mut ep, &[], 1002, FailReason::MaskedServerFrame);
        // §7.1.1: the client waits for the server to close TCP first.
        assert!(!ep.wants_tcp_close());
        ep.receive_eof();
        assert!(ep.wants_tcp_close());
    }

    /// RFC 6455 §5.2: any RSV bit without an extension, on data and control
    /// frames (Autobahn 3.1-3.7), after a valid message that is still echoed.
    #[test]
    fn rfc6455_5_2_reserved_bits_fail_1002() {
        for rsv in 1..8u8 {
            for f in [
                Frame::text("x"),
                Frame::binary(*b"\x00"),
                Frame::ping("p"),
                Frame::close(Some(1000), b""),
            ] {
                let mut ep = echo_server();
                let mut input = c(Frame::text("ok"));
                input.extend(c(f.with_rsv(rsv)));
                ep.receive(&input, Duration::from_millis(0));
                let echoed = frames(&ep.output);
                assert_eq!(
                    echoed[0],
                    Frame::text("ok"),
                    "valid message before is echoed"
                );
                assert_failed(
                    &mut ep,
                    &[EndpointEvent::Text("ok".into())],
                    1002,
                    FailReason::ReservedBits(rsv),
                );
            }
        }
    }

    /// RFC 6455 §5.2: a reserved bit fails the connection at the first header
    /// byte, before the rest of the header arrives.
    #[test]
    fn rfc6455_5_2_reserved_bits_fail_fast_on_first_byte() {
        let mut ep = echo_server();
        let wire = c(Frame::text("abc").with_rsv(0b100));
        ep.receive(&wire[..1], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(0b100));
    }

    /// RFC 6455 §5.1: the mask bit is judged as soon as the second header
    /// byte arrives, even when the first came in an earlier read.
    #[test]
    fn rfc6455_5_1_mask_bit_judged_across_reads_before_header_completes() {
        let wire = Frame::binary(vec![0; 300]).encode();
        let mut ep = echo_server();
        ep.receive(&wire[..1], Duration::from_millis(0));
        assert_eq!(events(&mut ep), vec![]);
        ep.receive(&wire[1..2], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::UnmaskedClientFrame);
        // Length split over three reads, judged once complete.
        let config = EndpointConfig {
            max_message_size: 299,
            ..EndpointConfig::echo_server()
        };
        let wire = c(Frame::binary(vec![0; 300]));
        let mut ep = Endpoint::new(config);
        ep.receive(&wire[..2], Duration::from_millis(0));
        ep.receive(&wire[2..3], Duration::from_millis(0));
        assert_eq!(events(&mut ep), vec![]);
        ep.receive(&wire[3..4], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(300));
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes_fail_1002() {
        for op in (3..=7u8).chain(0xB..=0xF) {
            let mut ep = echo_server();
            feed(&mut ep, Frame::new(Opcode::Reserved(op), *b"abc"));
            assert_failed(&mut ep, &[], 1002, FailReason::ReservedOpcode(op));
        }
    }

    /// RFC 6455 §5.5: 125 bytes is the largest control payload (Autobahn 2.4/2.5).
    #[test]
    fn rfc6455_5_5_control_payload_over_125_fails_1002() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::ping(vec![0xFE; 125]));
        assert_eq!(events(&mut ep), vec![EndpointEvent::Ping(vec![0xFE; 125])]);
        assert_eq!(out_frames(&mut ep), vec![Frame::pong(vec![0xFE; 125])]);
        for op in [Opcode::Ping, Opcode::Pong, Opcode::Close] {
            let mut ep = echo_server();
            let wire = c(Frame::new(op, vec![b'a'; 126]));
            // Detected from the length alone, before mask key and payload.
            ep.receive(&wire[..4], Duration::from_millis(0));
            assert_failed(&mut ep, &[], 1002, FailReason::ControlTooLong(126));
        }
    }

    /// RFC 6455 §5.5: control frames MUST NOT be fragmented (Autobahn 5.1, 5.2).
    #[test]
    fn rfc6455_5_5_fragmented_control_frame_fails_1002() {
        for op in [Opcode::Ping, Opcode::Pong, Opcode::Close] {
            let mut ep = echo_server();
            feed(&mut ep, Frame::new(op, *b"ab").with_fin(false));
            assert_failed(&mut ep, &[], 1002, FailReason::FragmentedControl);
        }
    }

    /// RFC 6455 §5.4: a continuation with nothing to continue (Autobahn 5.9-5.14).
    #[test]
    fn rfc6455_5_4_continuation_without_message_fails_1002() {
        for fin in [true, false] {
            let mut ep = echo_server();
            feed(&mut ep, Frame::continuation("x").with_fin(fin));
            assert_failed(&mut ep, &[], 1002, FailReason::UnexpectedContinuation);
        }
        // Also right after a complete message.
        let mut ep = echo_server();
        let mut input = c(Frame::text("a"));
        input.extend(c(Frame::continuation("b")));
        ep.receive(&input, Duration::from_millis(0));
        assert_failed(
            &mut ep,
            &[EndpointEvent::Text("a".into())],
            1002,
            FailReason::UnexpectedContinuation,
        );
    }

    /// RFC 6455 §5.4: a new data frame inside a fragmented message (Autobahn 5.18).
    #[test]
    fn rfc6455_5_4_data_frame_inside_fragmented_message_fails_1002() {
        for second in [Frame::text("b"), Frame::binary(*b"b")] {
            let mut ep = echo_server();
            let mut input = c(Frame::text("a").with_fin(false));
            input.extend(c(second));
            ep.receive(&input, Duration::from_millis(0));
            assert_failed(&mut ep, &[], 1002, FailReason::DataInsideFragmented);
        }
    }

    /// RFC 6455 §5.6, §8.1 fail-fast: the invalid byte fails the connection
    /// in the middle of one frame's payload, before the frame is complete
    /// (Autobahn 6.4.3/6.4.4).
    #[test]
    fn rfc6455_8_1_invalid_utf8_fails_fast_inside_one_frame_1007() {
        let payload: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80edited";
        let wire = c(Frame::text(payload));
        let header_len = 6;
        let mut ep = echo_server();
        // Everything up to and including F4: still a possible prefix.
        ep.receive(&wire[..header_len + 12], Duration::from_millis(0));
        assert_eq!(events(&mut ep), vec![]);
        assert!(ep.take_output().is_empty());
        // The 0x90 after F4 makes it impossible.
        ep.receive(
            &wire[header_len + 12..header_len + 13],
            Duration::from_millis(1000),
        );
        assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
    }

    /// RFC 6455 §8.1 fail-fast across fragments (Autobahn 6.4.1/6.4.2).
    #[test]
    fn rfc6455_8_1_invalid_utf8_fails_fast_across_fragments_1007() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::text("\u{3ba}\u{1f79}").with_fin(false));
        assert_eq!(events(&mut ep), vec![]);
        ep.receive(
            &c(Frame::continuation(*b"\xf4\x90\x80\x80").with_fin(false)),
            Duration::from_millis(1000),
        );
        assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
    }

    /// RFC 6455 §8.1: a sequence split across fragments is fine (Autobahn 6.2.x).
    #[test]
    fn rfc6455_8_1_code_point_split_across_fragments_is_valid() {
        let mut ep = echo_server();
        let text = "\u{1F600}";
        let b = text.as_bytes();
        let mut input = c(Frame::text(&b[..1]).with_fin(false));
        input.extend(c(Frame::continuation(&b[1..3]).with_fin(false)));
        input.extend(c(Frame::continuation(&b[3..])));
        ep.receive(&input, Duration::from_millis(0));
        assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text.into())]);
        assert_eq!(out_frames(&mut ep), vec![Frame::text(b)]);
    }

    /// RFC 6455 §8.1: a message may not end inside a UTF-8 sequence.
    #[test]
    fn rfc6455_8_1_message_ending_inside_utf8_sequence_fails_1007() {
        for fail_fast in [true, false] {
            let mut ep = Endpoint::new(EndpointConfig {
                fail_fast_utf8: fail_fast,
                ..EndpointConfig::echo_server()
            });
            let mut input = c(Frame::text(*b"ok\xe2\x82").with_fin(false));
            input.extend(c(Frame::continuation(*b"")));
            ep.receive(&input, Duration::from_millis(0));
            assert_failed(&mut ep, &[], 1007, FailReason::IncompleteUtf8);
        }
    }

    /// Without fail-fast, invalid text fails only once the message is complete.
    #[test]
    fn rfc6455_8_1_without_fail_fast_invalid_utf8_fails_at_message_end() {
        let mut ep = Endpoint::new(EndpointConfig {
            fail_fast_utf8: false,
            ..EndpointConfig::echo_server()
        });
        feed(&mut ep, Frame::text(*b"a\xff").with_fin(false));
        assert_eq!(events(&mut ep), vec![]);
        assert_eq!(ep.state(), State::Open);
        feed(&mut ep, Frame::continuation("b"));
        assert_failed(&mut ep, &[], 1007, FailReason::InvalidUtf8);
    }

    /// RFC 6455 §5.5.1: a one-byte close body (Autobahn 7.3.2).
    #[test]
    fn rfc6455_5_5_1_close_with_one_byte_body_fails_1002() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::new(Opcode::Close, *b"\x03"));
        assert_failed(&mut ep, &[], 1002, FailReason::CloseBodyOneByte);
    }

    /// RFC 6455 §7.4.1, §7.4.2: codes that may not be on the wire (Autobahn 7.9.x, 7.13.x).
    #[test]
    fn rfc6455_7_4_invalid_close_codes_fail_1002() {
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let mut ep = echo_server();
            feed(&mut ep, Frame::close(Some(code), b""));
            assert_failed(&mut ep, &[], 1002, FailReason::InvalidCloseCode(code));
        }
    }

    /// RFC 6455 §5.5.1: the reason must be UTF-8 (Autobahn 7.5.1).
    #[test]
    fn rfc6455_5_5_1_close_reason_not_utf8_fails_1007() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::close(Some(1000), b"\xce\xba\xed\xa0\x80"));
        assert_failed(&mut ep, &[], 1007, FailReason::InvalidCloseReason);
    }

    /// RFC 6455 §10.4: a message above the limit fails with 1009 as soon as
    /// a header announces it, before its payload arrives.
    #[test]
    fn rfc6455_10_4_message_too_big_fails_1009_on_the_header() {
        let config = EndpointConfig {
            max_message_size: 100,
            ..EndpointConfig::echo_server()
        };
        // One frame.
        let mut ep = Endpoint::new(config.clone());
        let wire = c(Frame::binary(vec![0; 101]));
        ep.receive(&wire[..4], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(101));
        // Accumulated over fragments.
        let mut ep = Endpoint::new(config.clone());
        feed(&mut ep, Frame::text(vec![b'a'; 60]).with_fin(false));
        feed(&mut ep, Frame::continuation(vec![b'a'; 40]).with_fin(false));
        assert_eq!(ep.state(), State::Open);
        let wire = c(Frame::continuation(vec![b'a'; 1]));
        ep.receive(&wire[..2], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1009, FailReason::MessageTooBig(101));
        // At the limit is fine.
        let mut ep = Endpoint::new(config);
        feed(&mut ep, Frame::binary(vec![7; 100]));
        assert_eq!(events(&mut ep), vec![EndpointEvent::Binary(vec![7; 100])]);
    }

    /// RFC 6455 §10.4: a huge announced length is refused without allocating it.
    #[test]
    fn rfc6455_10_4_frame_too_big_fails_1009_without_allocating() {
        let mut ep = echo_server();
        let header = Frame::binary(Vec::new())
            .with_payload_len((1 << 63) - 1)
            .with_mask(Some(KEY))
            .encode();
        ep.receive(&header, Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1009, FailReason::FrameTooBig((1 << 63) - 1));
        let mut ep = Endpoint::new(EndpointConfig {
            max_frame_size: 10,
            ..EndpointConfig::echo_server()
        });
        feed(&mut ep, Frame::binary(vec![0; 11]).with_fin(false));
        assert_failed(&mut ep, &[], 1009, FailReason::FrameTooBig(11));
    }

    /// RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0;
    /// detected at the first length byte.
    #[test]
    fn rfc6455_5_2_length_top_bit_fails_1002() {
        let wire = Frame::binary(Vec::new())
            .with_payload_len(1 << 63)
            .with_mask(Some(KEY))
            .encode();
        let mut ep = echo_server();
        ep.receive(&wire[..3], Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::LengthTopBit);
        // An earlier field wins: RSV is in the first byte.
        let wire = Frame::binary(Vec::new())
            .with_rsv(1)
            .with_payload_len(1 << 63)
            .with_mask(Some(KEY))
            .encode();
        let mut ep = echo_server();
        ep.receive(&wire, Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(1));
    }

    /// RFC 6455 §5.2 non-minimal lengths are accepted unless asked otherwise.
    #[test]
    fn rfc6455_5_2_non_minimal_length_only_failed_when_strict() {
        let wire = c(Frame::text("hi").with_length_form(LengthForm::Extended64));
        let mut ep = echo_server();
        ep.receive(&wire, Duration::from_millis(0));
        assert_eq!(events(&mut ep), vec![EndpointEvent::Text("hi".into())]);
        let mut ep = Endpoint::new(EndpointConfig {
            reject_non_minimal_length: true,
            ..EndpointConfig::echo_server()
        });
        ep.receive(&wire, Duration::from_millis(0));
        assert_failed(&mut ep, &[], 1002, FailReason::NonMinimalLength);
    }

    /// RFC 6455 §5.5.2: a pong with the ping's payload (Autobahn 2.1-2.4, 2.10).
    #[test]
    fn rfc6455_5_5_2_ping_answered_with_same_payload() {
        let mut ep = echo_server();
        let mut input = Vec::new();
        for i in 0..10u8 {
            input.extend(c(Frame::ping(vec![i; i as usize])));
        }
        ep.receive(&input, Duration::from_millis(0));
        let expected: Vec<_> = (0..10u8)
            .map(|i| Frame::pong(vec![i; i as usize]))
            .collect();
        assert_eq!(out_frames(&mut ep), expected);
        assert_eq!(events(&mut ep).len(), 10);
    }

    /// RFC 6455 §5.4, §5.5.2: a ping between fragments is answered at once,
    /// before the message completes (Autobahn 5.6-5.8, 5.19).
    #[test]
    fn rfc6455_5_4_ping_inside_fragmented_message_answered_before_it_completes() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::text("frag1").with_fin(false));
        feed(&mut ep, Frame::ping("ping"));
        assert_eq!(out_frames(&mut ep), vec![Frame::pong("ping")]);
        assert_eq!(events(&mut ep), vec![EndpointEvent::Ping(b"ping".to_vec())]);
        feed(&mut ep, Frame::continuation("frag2"));
        assert_eq!(out_frames(&mut ep), vec![Frame::text("frag1frag2")]);
        assert_eq!(
            events(&mut ep),
            vec![EndpointEvent::Text("frag1frag2".into())]
        );
    }

    /// RFC 6455 §5.5.3: an unsolicited pong gets no reply (Autobahn 2.7-2.9).
    #[test]
    fn rfc6455_5_5_3_unsolicited_pong_ignored() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::pong("unsolicited"));
        assert!(ep.take_output().is_empty());
        assert_eq!(
            events(&mut ep),
            vec![EndpointEvent::Pong(b"unsolicited".to_vec())]
        );
        assert_eq!(ep.state(), State::Open);
    }

    /// RFC 6455 §5.5.1, §7.1.2-7.1.4: a peer-initiated close is answered
    /// with the same code (Autobahn 7.7.x), then the server closes TCP.
    #[test]
    fn rfc6455_5_5_1_close_in_open_is_echoed_and_server_closes_tcp() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 3000, 3999, 4000, 4999,
        ] {
            let mut ep = echo_server();
            ep.receive(
                &c(Frame::close(Some(code), b"bye")),
                Duration::from_millis(5),
            );
            assert_eq!(
                events(&mut ep),
                vec![
                    EndpointEvent::CloseReceived {
                        code: Some(code),
                        reason: "bye".into()
                    },
                    EndpointEvent::Closed
                ]
            );
            assert_eq!(out_frames(&mut ep), vec![Frame::close(Some(code), b"")]);
            assert_eq!(ep.state(), State::Closed);
            assert!(ep.handshake_completed());
            assert!(ep.wants_tcp_close());
            assert_eq!(ep.closing_since(), Some(Duration::from_millis(5)));
        }
        // Empty body: reply with an empty body (Autobahn 7.3.1).
        let mut ep = echo_server();
        feed(&mut ep, Frame::close(None, b""));
        assert_eq!(out_frames(&mut ep), vec![Frame::close(None, b"")]);
        assert!(ep.wants_tcp_close());
    }

    /// RFC 6455 §7.1.1, §5.5.1: a client answers the close but leaves the
    /// TCP close to the server.
    #[test]
    fn rfc6455_7_1_1_client_answers_close_and_waits_for_server_tcp_close() {
        let mut ep = echo_client();
        ep.receive(
            &Frame::close(Some(1000), b"").encode(),
            Duration::from_millis(0),
        );
        let out = out_frames(&mut ep);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].payload, encode_close_payload(1000, b""));
        assert!(out[0].header.mask.is_some());
        assert_eq!(ep.state(), State::Closed);
        assert!(!ep.wants_tcp_close());
        ep.receive_eof();
        assert!(ep.wants_tcp_close());
    }

    /// RFC 6455 §7.1.2, §7.1.3: when we initiated, the peer's close completes
    /// the handshake and no second close is sent.
    #[test]
    fn rfc6455_7_1_2_initiated_close_completed_by_peer_close() {
        let mut ep = echo_server();
        ep.receive(&[], Duration::from_millis(42));
        ep.close(1000, "done");
        assert_eq!(
            ep.state(),
            State::Closing {
                initiated_by_me: true
            }
        );
        assert_eq!(out_frames(&mut ep), vec![Frame::close(Some(1000), b"done")]);
        assert_eq!(ep.closing_since(), Some(Duration::from_millis(42)));
        assert!(!ep.wants_tcp_close());
        // Messages still arrive while closing, but nothing is sent (§5.5.1).
        ep.receive(&c(Frame::text("late")), Duration::from_millis(43));
        ep.receive(&c(Frame::ping("p")), Duration::from_millis(43));
        ep.receive(&c(Frame::close(Some(1000), b"")), Duration::from_millis(44));
        assert_eq!(
            events(&mut ep),
            vec![
                EndpointEvent::Text("late".into()),
                EndpointEvent::Ping(b"p".to_vec()),
                EndpointEvent::CloseReceived {
                    code: Some(1000),
                    reason: String::new()
                },
                EndpointEvent::Closed
            ]
        );
        assert!(ep.take_output().is_empty());
        assert_eq!(ep.state(), State::Closed);
        assert!(ep.wants_tcp_close());
    }

    /// RFC 6455 §5.5.1: after sending a close, no more data frames.
    #[test]
    fn rfc6455_5_5_1_no_frames_after_close_sent() {
        let mut ep = echo_server();
        ep.close(1001, "");
        let _ = ep.take_output();
        ep.send_text("x");
        ep.send_binary(b"y");
        ep.send_ping(b"z");
        ep.close(1000, "again");
        assert!(ep.take_output().is_empty());
        assert_eq!(ep.close_sent(), Some(Some(1001)));
        // A violation while closing still fails, without a second close.
        ep.receive(&Frame::text("unmasked").encode(), Duration::from_millis(0));
        assert_eq!(
            events(&mut ep),
            vec![failed(1002, FailReason::UnmaskedClientFrame)]
        );
        assert!(ep.take_output().is_empty());
        assert_eq!(ep.state(), State::Closed);
    }

    /// RFC 6455 §7.4: close() never puts a code on the wire that may not be there.
    #[test]
    fn rfc6455_7_4_close_with_unsendable_code_sends_empty_body() {
        for code in [1005, 1006, 1015, 0, 5000] {
            let mut ep = echo_server();
            ep.close(code, "reason");
            assert_eq!(out_frames(&mut ep), vec![Frame::close(None, b"")]);
            assert_eq!(ep.close_sent(), Some(None));
        }
        let mut ep = echo_server();
        ep.close(1000, &"é".repeat(100));
        let out = out_frames(&mut ep);
        assert!(out[0].payload.len() <= 125);
        assert!(close::parse_close_payload(&out[0].payload).is_ok());
    }

    /// RFC 6455 §7.1.4 (Autobahn 7.1.2-7.1.4): after the peer's close,
    /// nothing it sends is processed.
    #[test]
    fn rfc6455_7_1_4_data_after_peer_close_ignored() {
        let mut ep = echo_server();
        let mut input = c(Frame::text("a"));
        input.extend(c(Frame::close(Some(1000), b"")));
        input.extend(c(Frame::ping("p")));
        input.extend(c(Frame::text("b")));
        input.extend(c(Frame::close(Some(1000), b"")));
        input.extend(Frame::text("garbage, unmasked").encode());
        ep.receive(&input, Duration::from_millis(0));
        assert_eq!(
            events(&mut ep),
            vec![
                EndpointEvent::Text("a".into()),
                EndpointEvent::CloseReceived {
                    code: Some(1000),
                    reason: String::new()
                },
                EndpointEvent::Closed
            ]
        );
        assert_eq!(
            out_frames(&mut ep),
            vec![Frame::text("a"), Frame::close(Some(1000), b"")]
        );
    }

    /// A fragmented message is echoed as one frame, same type and payload.
    #[test]
    fn echo_of_fragmented_messages_is_one_frame_each() {
        let mut ep = echo_server();
        let mut input = c(Frame::binary(*b"\x00\x01").with_fin(false));
        input.extend(c(Frame::continuation(*b"").with_fin(false)));
        input.extend(c(Frame::continuation(*b"\x02").with_fin(false)));
        input.extend(c(Frame::continuation(*b"\x03")));
        input.extend(c(Frame::text("")));
        ep.receive(&input, Duration::from_millis(0));
        assert_eq!(
            out_frames(&mut ep),
            vec![Frame::binary(*b"\x00\x01\x02\x03"), Frame::text("")]
        );
        // Without echo, events only.
        let mut ep = Endpoint::new(EndpointConfig::default());
        feed(&mut ep, Frame::text("q"));
        assert!(ep.take_output().is_empty());
        assert_eq!(events(&mut ep), vec![EndpointEvent::Text("q".into())]);
    }

    /// RFC 6455 §5.1, §5.3: a client masks every frame with a fresh key from
    /// its seeded generator; a server never masks.
    #[test]
    fn rfc6455_5_3_client_masks_with_seeded_keys_server_never_masks() {
        let run = |seed| {
            let mut ep = Endpoint::new(EndpointConfig::echo_client(seed));
            ep.send_text("hello");
            ep.send_binary(&[1, 2, 3]);
            ep.receive(&Frame::ping("p").encode(), Duration::from_millis(0));
            ep.close(1000, "");
            out_frames(&mut ep)
        };
        let a = run(1);
        assert_eq!(a, run(1), "same seed, same bytes");
        let keys: Vec<_> = a.iter().map(|f| f.header.mask.expect("masked")).collect();
        assert_eq!(keys.len(), 4);
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j]);
            }
        }
        assert_ne!(run(2)[0].header.mask, a[0].header.mask);
        assert_eq!(a[0].payload, b"hello");
        assert_eq!(a[2], Frame::pong("p").with_mask(Some(keys[2])));

        let mut ep = echo_server();
        ep.send_text("hello");
        feed(&mut ep, Frame::ping("p"));
        assert!(out_frames(&mut ep).iter().all(|f| f.header.mask.is_none()));
    }

    /// The peer dropping TCP: Closed, not clean, and the endpoint closes too.
    #[test]
    fn rfc6455_7_1_5_eof_without_close_is_not_clean() {
        let mut ep = echo_server();
        ep.receive(
            &c(Frame::text("a")).as_slice()[..3],
            Duration::from_millis(0),
        );
        ep.receive_eof();
        assert_eq!(ep.state(), State::Closed);
        assert!(!ep.handshake_completed());
        assert!(ep.wants_tcp_close());
        assert!(ep.peer_closed_tcp());
        assert!(ep.take_output().is_empty());
    }

    /// Autobahn 9.1.6: a 16 MiB text message in 64 KiB reads is echoed intact.
    #[test]
    fn large_message_echoed_in_pieces() {
        let text: String = (0..16 * 1024 * 1024)
            .map(|i| (b'a' + (i % 26) as u8) as char)
            .collect();
        let wire = c(Frame::text(text.as_bytes()));
        let mut ep = echo_server();
        for piece in wire.chunks(64 * 1024) {
            ep.receive(piece, Duration::from_millis(0));
        }
        let out = ep.take_output();
        assert_eq!(&out[..10], &[0x81, 127, 0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&out[10..], text.as_bytes());
        assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text)]);
    }

    fn deflate_server(params: DeflateParams, max: u64) -> Endpoint {
        Endpoint::new(EndpointConfig {
            deflate: Some(params),
            max_message_size: max,
            ..EndpointConfig::echo_server()
        })
    }

    #[test]
    fn rfc7692_6_compressed_fragmented_message_is_inflated_and_echo_compressed() {
        let params = DeflateParams::default();
        let mut ep = deflate_server(params.clone(), 1 << 20);
        let mut client = params.compressor(Role::Client);
        let mut server_rx = params.decompressor(Role::Client, 1 << 20);
        for round in 0..3 {
            let text = format!("round {round}: {}", "hello deflate ".repeat(50));
            let z = client.compress(text.as_bytes());
            let (a, b) = z.split_at(z.len() / 2);
            let mut wire = c(Frame::text(a.to_vec()).with_fin(false).with_rsv(0b100));
            wire.extend(c(Frame::new(Opcode::Continuation, b.to_vec())));
            ep.receive(&wire, Duration::from_millis(round));
            assert_eq!(events(&mut ep), vec![EndpointEvent::Text(text.clone())]);
            let out = out_frames(&mut ep);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].header.rsv, 0b100, "§6: echo compressed, RSV1 set");
            server_rx.push(&out[0].payload).unwrap();
            assert_eq!(server_rx.finish_message().unwrap(), text.as_bytes());
        }
    }

    #[test]
    fn rfc7692_6_rsv1_on_continuation_or_control_fails_1002() {
        let params = DeflateParams::default();
        let mut ep = deflate_server(params.clone(), 1 << 20);
        let mut wire = c(Frame::text("ab").with_fin(false));
        wire.extend(c(Frame::new(Opcode::Continuation, "cd").with_rsv(0b100)));
        ep.receive(&wire, Duration::from_millis(0));
        assert_failed(
            &mut ep,
            &[],
            1002,
            FailReason::CompressedBitMisplaced(0b100),
        );
        let mut ep = deflate_server(params, 1 << 20);
        feed(&mut ep, Frame::ping("x").with_rsv(0b100));
        assert_failed(
            &mut ep,
            &[],
            1002,
            FailReason::CompressedBitMisplaced(0b100),
        );
    }

    #[test]
    fn rfc7692_8_1_decompression_bomb_fails_1009() {
        let params = DeflateParams::default();
        let mut ep = deflate_server(params.clone(), 10_000);
        let z = params.compressor(Role::Client).compress(&[0u8; 100_000]);
        assert!(z.len() < 10_000);
        feed(&mut ep, Frame::binary(z).with_rsv(0b100));
        assert_failed(&mut ep, &[], 1009, FailReason::DecompressedTooBig(10_000));
    }

    #[test]
    fn rfc6455_5_2_rsv1_without_deflate_still_fails() {
        let mut ep = echo_server();
        feed(&mut ep, Frame::text("a").with_rsv(0b100));
        assert_failed(&mut ep, &[], 1002, FailReason::ReservedBits(0b100));
    }
}
