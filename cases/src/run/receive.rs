//! Reading: frames decoded and checked against the rules a conforming
//! endpoint checks, messages reassembled (inflated, UTF-8 validated), control
//! frames answered, and the closing handshake followed.

use ws_spec::frame::PartialHeader;
use ws_spec::rules::{check_header, FailReason, ReceiveState};

use super::*;

impl CaseRun<'_> {
    /// Decodes what has arrived, frame event by frame event, until the input
    /// runs out or a violation stops the reading.
    pub(super) fn process_frames(&mut self) {
        while self.state != State::Closed {
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
            let go_on = match event {
                DecodeEvent::Header(header) => self.on_frame_header(header),
                DecodeEvent::Payload(chunk) => self.on_frame_payload(&chunk),
                DecodeEvent::FrameEnd => self.on_frame_end(),
            };
            if !go_on {
                return;
            }
        }
    }

    /// A frame header: checked, and a new data message started. False when
    /// the frame broke a rule.
    fn on_frame_header(&mut self, header: FrameHeader) -> bool {
        if let Err(reason) = self.check_header(&header) {
            // The frame that broke the rule is never delivered: with no
            // current header, its payload and end are skipped as they arrive.
            self.current = None;
            self.protocol_violation(reason.close_code(), &reason.to_string());
            return false;
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
                return false;
            }
        } else {
            self.control_buf.clear();
        }
        self.current = Some(header);
        true
    }

    /// A piece of the current frame's payload. False when it broke a rule.
    fn on_frame_payload(&mut self, chunk: &[u8]) -> bool {
        let Some(header) = self.current.as_ref() else {
            return true;
        };
        if header.opcode.is_control() {
            self.control_buf.extend_from_slice(chunk);
        } else if self.message.compressed {
            let pushed = match self.codec.as_mut() {
                Some(c) => c.decompressor.push(chunk),
                None => Ok(()),
            };
            if let Err(e) = pushed {
                self.inflate_failed(e);
                return false;
            }
        } else {
            if self.message.opcode == Some(Opcode::Text) && self.message.utf8.feed(chunk).is_err() {
                self.invalid_payload("invalid UTF-8 in text message");
                return false;
            }
            self.message.data.extend_from_slice(chunk);
        }
        true
    }

    /// The current frame is complete: logged, and a control frame or a whole
    /// message handled. False when the message broke a rule.
    fn on_frame_end(&mut self) -> bool {
        let Some(header) = self.current.take() else {
            return true;
        };
        *self
            .stats
            .rx_frames
            .entry(header.opcode.as_u4())
            .or_default() += 1;
        let head = if header.opcode.is_control() {
            let src = &self.control_buf;
            src[..src.len().min(LOG_HEAD)].to_vec()
        } else {
            let src = &self.message.data;
            let start = src.len().saturating_sub(header.payload_len as usize);
            let end = (start + LOG_HEAD).min(src.len());
            src[start..end].to_vec()
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
            if !self.finish_message() {
                return false;
            }
            let binary = self.message.opcode == Some(Opcode::Binary);
            self.message.opcode = None;
            let data = std::mem::take(&mut self.message.data);
            self.on_message(data, binary);
        }
        true
    }

    /// The last frame of a data message arrived: inflates it when compressed
    /// and checks that text is whole UTF-8. False when it is not.
    fn finish_message(&mut self) -> bool {
        let text = self.message.opcode == Some(Opcode::Text);
        if std::mem::take(&mut self.message.compressed) {
            let inflated = match self.codec.as_mut() {
                Some(c) => c.decompressor.finish_message(),
                None => Ok(Vec::new()),
            };
            match inflated {
                Ok(data) => {
                    if text && ws_spec::utf8::validate(&data).is_err() {
                        self.invalid_payload("invalid UTF-8 in a compressed text message");
                        return false;
                    }
                    self.message.data = data;
                }
                Err(e) => {
                    self.inflate_failed(e);
                    return false;
                }
            }
        } else if text && self.message.utf8.finish().is_err() {
            self.invalid_payload("text message ends inside a UTF-8 sequence");
            return false;
        }
        true
    }

    /// The frame rules of ws-spec, with what the suite knows as receiver.
    /// The suite's own size limit is checked apart: it is a local bound, not
    /// a rule of the RFC.
    fn check_header(&self, header: &FrameHeader) -> Result<(), FailReason> {
        let state = ReceiveState {
            role: self.config.role,
            deflate: self.codec.is_some(),
            in_message: self.message.opcode.is_some(),
            message_len: self.message.data.len() as u64,
            max_frame_size: u64::MAX,
            max_message_size: u64::MAX,
            reject_non_minimal_length: false,
        };
        check_header(&state, &PartialHeader::from(header))
    }

    pub(super) fn on_control(&mut self, opcode: Opcode, payload: Vec<u8>) {
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

    pub(super) fn on_close_frame(&mut self, payload: &[u8]) {
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
                self.timers.stop(Timer::CloseHandshake);
                self.obs.was_clean = true;
                self.after_close_handshake();
            }
            State::Open => {
                if let Some(wait) = self.unanswered_close_wait() {
                    // Never answered: how long the peer keeps TCP open is what is measured.
                    self.await_peer_drop(wait);
                    return;
                }
                if self.stream_left > 0 {
                    // The peer refused the streamed message mid-frame: a close frame
                    // of ours would land inside that frame, so the suite stops writing
                    // and waits for the peer to close TCP.
                    self.stream_left = 0;
                    self.await_peer_drop(self.config.server_drop_timeout);
                    return;
                }
                self.obs.was_clean = true;
                self.send_close(Some(close::codes::NORMAL), b"");
                self.after_close_handshake();
            }
            _ => {}
        }
    }

    /// The peer's close stays unanswered: the script stops and the suite waits
    /// up to `wait` for the peer to close TCP.
    fn await_peer_drop(&mut self, wait: Duration) {
        self.state = State::Closing;
        self.script_done = true;
        self.timers.stop(Timer::Pause);
        self.timers.stop(Timer::Ending);
        self.timers.set(Timer::TcpDrop, self.now + wait);
    }

    /// RFC 6455 §7.1.1: the server closes TCP first; a client waits for it, within limits.
    pub(super) fn after_close_handshake(&mut self) {
        self.obs.measure.close_done_ms = Some(self.now.as_millis() as u64);
        if self.measure().is_some() {
            // What follows the handshake is the measurement: no kill timer cuts it short.
            self.timers.stop(Timer::Ending);
        }
        match (self.config.role, self.measured_drop_wait()) {
            (_, Some(wait)) => self.timers.set(Timer::TcpDrop, self.now + wait),
            (Role::Client, None) => {
                self.timers
                    .set(Timer::TcpDrop, self.now + self.config.server_drop_timeout);
            }
            (Role::Server, None) => self.drop_connection(),
        }
    }

    /// Records an event the verdict compares. A list longer than every expected
    /// outcome can match none of them, so events past that length change no
    /// verdict and are only counted: a flood of messages cannot grow memory.
    pub(super) fn record(&mut self, event: Event) {
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

    pub(super) fn protocol_violation(&mut self, code: u16, why: &str) {
        self.obs.peer_violation = Some(why.to_string());
        self.fail_connection(code, why.as_bytes());
    }

    /// A compressed message that does not inflate, or inflates above the limit.
    pub(super) fn inflate_failed(&mut self, e: DeflateError) {
        let code = match e {
            DeflateError::TooLarge { .. } => close::codes::TOO_BIG,
            _ => close::codes::INVALID_PAYLOAD,
        };
        self.protocol_violation(code, &format!("compressed message: {e}"));
    }

    pub(super) fn invalid_payload(&mut self, why: &str) {
        self.protocol_violation(close::codes::INVALID_PAYLOAD, why);
    }
}

#[derive(Debug, Default)]
pub(super) struct Message {
    pub(super) opcode: Option<Opcode>,
    pub(super) data: Vec<u8>,
    pub(super) utf8: Utf8Validator,
    /// Came with RSV1: its payload goes to the decompressor (RFC 7692 §6).
    pub(super) compressed: bool,
}
