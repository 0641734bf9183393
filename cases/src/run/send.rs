//! Writing: frames and raw bytes as the script asks (masked by role, chopped,
//! paced), the suite's close, and failing or dropping the connection.

use super::*;

impl CaseRun<'_> {
    pub(super) fn write(&mut self, bytes: Vec<u8>, flush: bool) {
        if self.state == State::Closed || self.write_shut || bytes.is_empty() {
            return;
        }
        *self.stats.tx_octets.entry(bytes.len()).or_default() += 1;
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
    pub(super) fn frame_mask(&mut self) -> Option<[u8; 4]> {
        match self.config.role {
            Role::Client => Some(self.next_mask()),
            Role::Server => None,
        }
    }

    /// The next masking key: unpredictable to intermediaries (RFC 6455 §5.3)
    /// as far as a seeded generator goes, and reproducible from the seed.
    pub(super) fn next_mask(&mut self) -> [u8; 4] {
        self.mask_rng.mask_key()
    }

    pub(super) fn send_frame(&mut self, bits: Bits, payload: &[u8], chop: Chop, sync: bool) {
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
        *self.stats.tx_frames.entry(opcode.as_u4()).or_default() += 1;
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

    /// A frame header alone (`Step::FrameHeader`, `Step::AbovePeerLimit`): the
    /// frame stays open for its payload to follow, masked with the same key.
    pub(super) fn send_frame_header(&mut self, opcode: Opcode, fin: bool, len: u64, flush: bool) {
        let header = FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask: self.frame_mask(),
            payload_len: len,
            length_form: LengthForm::Minimal,
        };
        *self.stats.tx_frames.entry(opcode.as_u4()).or_default() += 1;
        self.log(WireEvent::TxFrame {
            at: self.now,
            header: header.clone(),
            head: Vec::new(),
            chop: None,
            sync: flush,
        });
        let mut bytes = Vec::new();
        header.encode_into(&mut bytes);
        self.open_frame = Some((header, 0));
        self.write(bytes, flush);
    }

    /// Payload of the open frame (`Step::FrameData`), masked where it continues.
    pub(super) fn send_frame_data(&mut self, mut data: Vec<u8>) {
        if let Some((header, offset)) = self.open_frame.as_mut() {
            if let Some(key) = header.mask {
                apply_mask(&mut data, key, *offset as usize);
            }
            *offset += data.len() as u64;
        }
        self.write(data, true);
    }

    pub(super) fn write_chopped(&mut self, bytes: Vec<u8>, chop: Chop, sync: bool) {
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
                    self.paced_interval = interval;
                    self.timers.set(Timer::Paced, self.now + interval);
                }
                self.paced.extend(pieces);
                if self.paced.is_empty() {
                    self.timers.stop(Timer::Paced);
                }
            }
            _ => self.write(bytes, sync),
        }
    }

    pub(super) fn send_close(&mut self, code: Option<u16>, reason: &[u8]) {
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
            self.timers.set(
                Timer::CloseHandshake,
                self.now + self.config.close_handshake_timeout,
            );
        }
    }

    pub(super) fn fail_connection(&mut self, code: u16, reason: &[u8]) {
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
    pub(super) fn frame_unfinished(&self) -> bool {
        self.stream_left > 0
            || self
                .open_frame
                .as_ref()
                .is_some_and(|(h, sent)| *sent < h.payload_len)
    }

    /// The next piece of the frame `Step::AbovePeerLimit` streams, generated only
    /// when the caller has taken everything before it, so it never sits in memory whole.
    pub(super) fn stream_chunk(&mut self) {
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
        *self.stats.tx_octets.entry(n).or_default() += 1;
        self.outputs.push_back(Output::Write {
            bytes: data,
            flush: false,
        });
    }

    pub(super) fn drop_connection(&mut self) {
        if self.state == State::Closed {
            return;
        }
        self.obs.dropped_by_me = true;
        self.log(WireEvent::DroppedByMe { at: self.now });
        self.state = State::Closed;
        self.clear_timers();
        self.outputs.push_back(Output::Drop);
    }

    /// Sends one message, auto-fragmented; `rsv` goes on the first frame only.
    pub(super) fn send_fragmented(
        &mut self,
        opcode: Opcode,
        rsv: u8,
        bytes: &[u8],
        fragment: Option<usize>,
    ) {
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
}

/// The header bits of a frame the suite writes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bits {
    pub(super) opcode: Opcode,
    pub(super) fin: bool,
    pub(super) rsv: u8,
    pub(super) length_form: LengthForm,
    pub(super) mask: MaskMode,
}

impl Bits {
    pub(super) fn plain(opcode: Opcode, fin: bool) -> Self {
        Bits {
            opcode,
            fin,
            rsv: 0,
            length_form: LengthForm::Minimal,
            mask: MaskMode::Role,
        }
    }
}
