//! The base framing protocol (RFC 6455 §5.2): a header model that can express
//! every bit on the wire, an encoder that writes exactly what it is given
//! (valid or not), and an incremental decoder.
//!
//! The decoder is syntactic: reserved opcodes, RSV bits, masks and non-minimal
//! length encodings are reported in [`FrameHeader`], and it is up to the
//! endpoint to decide what is a protocol error. The decoder itself only fails
//! where the bytes cannot be turned into a frame at all (a 64-bit length with
//! the top bit set) or where following them would be unsafe (a length above
//! [`DecoderConfig::max_frame_payload`]).

use crate::mask::apply_mask;

pub use crate::error::{FrameError, FrameErrorKind};

/// Frame opcode (RFC 6455 §5.2, §11.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continuation of a fragmented message.
    Continuation,
    /// 0x1: text data frame.
    Text,
    /// 0x2: binary data frame.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// Any other 4-bit value (0x3-0x7 reserved non-control, 0xB-0xF reserved control).
    Reserved(u8),
}

impl Opcode {
    /// Decodes the low 4 bits of `v`.
    pub fn from_u4(v: u8) -> Opcode {
        match v & 0x0F {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    /// The 4-bit wire value (a `Reserved` value is truncated to its low 4 bits).
    pub fn as_u4(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
            Opcode::Reserved(v) => v & 0x0F,
        }
    }

    /// RFC 6455 §5.5: control opcodes have the high bit of the nibble set
    /// (0x8-0xF, including the reserved 0xB-0xF).
    pub fn is_control(self) -> bool {
        self.as_u4() & 0x8 != 0
    }

    /// RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF are reserved for further definition.
    pub fn is_reserved(self) -> bool {
        matches!(self.as_u4(), 0x3..=0x7 | 0xB..=0xF)
    }
}

/// How the payload length is written on the wire.
///
/// `Minimal` means "the smallest form that fits the length" (RFC 6455 §5.2:
/// "the minimal number of bytes MUST be used"). The decoder reports
/// `Extended16`/`Extended64` only for encodings that are *not* minimal, so
/// `length_form != Minimal` is exactly the non-minimal-length violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LengthForm {
    /// The smallest form: 7-bit for 0-125, 16-bit for up to 65535, else 64-bit.
    #[default]
    Minimal,
    /// Length code 126 followed by a 16-bit length.
    Extended16,
    /// Length code 127 followed by a 64-bit length.
    Extended64,
}

/// The three encodings of a length on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WireLength {
    Seven,
    Sixteen,
    SixtyFour,
}

impl WireLength {
    fn minimal_for(len: u64) -> WireLength {
        if len <= 125 {
            WireLength::Seven
        } else if len <= 0xFFFF {
            WireLength::Sixteen
        } else {
            WireLength::SixtyFour
        }
    }

    fn for_form(form: LengthForm, len: u64) -> WireLength {
        match form {
            LengthForm::Minimal => WireLength::minimal_for(len),
            LengthForm::Extended16 if len <= 0xFFFF => WireLength::Sixteen,
            LengthForm::Extended16 | LengthForm::Extended64 => WireLength::SixtyFour,
        }
    }

    fn to_form(self, len: u64) -> LengthForm {
        if self == WireLength::minimal_for(len) {
            return LengthForm::Minimal;
        }
        match self {
            WireLength::Seven => LengthForm::Minimal,
            WireLength::Sixteen => LengthForm::Extended16,
            WireLength::SixtyFour => LengthForm::Extended64,
        }
    }

    fn extra_bytes(self) -> usize {
        match self {
            WireLength::Seven => 0,
            WireLength::Sixteen => 2,
            WireLength::SixtyFour => 8,
        }
    }
}

/// A frame header, bit for bit (RFC 6455 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN bit: last fragment of a message.
    pub fin: bool,
    /// RSV1-3 as 3 bits: RSV1 = 0b100, RSV2 = 0b010, RSV3 = 0b001.
    pub rsv: u8,
    /// Opcode, including reserved values.
    pub opcode: Opcode,
    /// Masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// Payload length as declared on the wire (may lie about the bytes that follow).
    pub payload_len: u64,
    /// How the length is (or is to be) encoded; see [`LengthForm`].
    pub length_form: LengthForm,
}

impl FrameHeader {
    fn wire_length(&self) -> WireLength {
        WireLength::for_form(self.length_form, self.payload_len)
    }

    /// Writes the header exactly as the fields say, invalid values included.
    ///
    /// A length that does not fit the requested form uses the smallest form
    /// that does (`Extended16` with a length above 65535 becomes 64-bit).
    /// Only the low 3 bits of `rsv` are written.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let b0 = (u8::from(self.fin) << 7) | ((self.rsv & 0b111) << 4) | self.opcode.as_u4();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.push(b0);
        match self.wire_length() {
            WireLength::Seven => out.push(mask_bit | self.payload_len as u8),
            WireLength::Sixteen => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(self.payload_len as u16).to_be_bytes());
            }
            WireLength::SixtyFour => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&self.payload_len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }

    /// Number of bytes [`FrameHeader::encode_into`] writes.
    pub fn encoded_len(&self) -> usize {
        2 + self.wire_length().extra_bytes() + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Parses one header from the start of `bytes`.
    ///
    /// `Ok(None)` means more bytes are needed; `Ok(Some((header, n)))` means
    /// the header took the first `n` bytes. Error offsets are relative to
    /// `bytes[0]`; errors are reported as soon as the offending bytes are
    /// present, before the rest of the header.
    pub fn parse(
        bytes: &[u8],
        max_payload: u64,
    ) -> Result<Option<(FrameHeader, usize)>, FrameError> {
        let [b0, b1, rest @ ..] = bytes else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0b111;
        let opcode = Opcode::from_u4(*b0);
        let masked = b1 & 0x80 != 0;
        let (wire, payload_len) = match b1 & 0x7F {
            126 => {
                let Some(ext) = rest.get(..2) else {
                    return Ok(None);
                };
                (
                    WireLength::Sixteen,
                    u64::from(u16::from_be_bytes([ext[0], ext[1]])),
                )
            }
            127 => {
                match rest.first() {
                    None => return Ok(None),
                    // RFC 6455 §5.2: "the most significant bit MUST be 0".
                    Some(b) if b & 0x80 != 0 => {
                        return Err(FrameError {
                            kind: FrameErrorKind::LengthTopBitSet,
                            offset: 2,
                        })
                    }
                    Some(_) => {}
                }
                let Some(ext) = rest.get(..8) else {
                    return Ok(None);
                };
                let mut be = [0u8; 8];
                be.copy_from_slice(ext);
                (WireLength::SixtyFour, u64::from_be_bytes(be))
            }
            n => (WireLength::Seven, u64::from(n)),
        };
        if payload_len > max_payload {
            let offset = if wire == WireLength::Seven { 1 } else { 2 };
            return Err(FrameError {
                kind: FrameErrorKind::PayloadTooLarge {
                    len: payload_len,
                    max: max_payload,
                },
                offset,
            });
        }
        let mut n = 2 + wire.extra_bytes();
        let mask = if masked {
            let Some(key) = bytes.get(n..n + 4) else {
                return Ok(None);
            };
            n += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
            length_form: wire.to_form(payload_len),
        };
        Ok(Some((header, n)))
    }
}

/// A frame header as far as its bytes have arrived: what the first bytes
/// already say, before the rest is there (see [`FrameDecoder::partial_header`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialHeader {
    /// FIN bit.
    pub fin: bool,
    /// RSV1-3 as 3 bits.
    pub rsv: u8,
    /// Opcode, including reserved values.
    pub opcode: Opcode,
    /// MASK bit, once the second byte is there.
    pub masked: Option<bool>,
    /// A 64-bit length whose most significant bit is set (RFC 6455 §5.2).
    pub length_top_bit: bool,
    /// Payload length, once its bytes are there.
    pub len: Option<u64>,
    /// The length takes more bytes than it needs, once known.
    pub non_minimal: Option<bool>,
}

impl PartialHeader {
    /// The fields that the first bytes of a header determine; `None` for no bytes.
    pub fn parse(b: &[u8]) -> Option<PartialHeader> {
        let b0 = *b.first()?;
        let mut v = PartialHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0b111,
            opcode: Opcode::from_u4(b0),
            masked: None,
            length_top_bit: false,
            len: None,
            non_minimal: None,
        };
        let Some(&b1) = b.get(1) else {
            return Some(v);
        };
        v.masked = Some(b1 & 0x80 != 0);
        match b1 & 0x7F {
            126 => {
                if let Some(ext) = b.get(2..4) {
                    let len = u64::from(u16::from_be_bytes([ext[0], ext[1]]));
                    v.len = Some(len);
                    v.non_minimal = Some(len <= 125);
                }
            }
            127 => {
                if let Some(&first) = b.get(2) {
                    if first & 0x80 != 0 {
                        v.length_top_bit = true;
                    } else if let Some(ext) = b.get(2..10) {
                        let mut be = [0u8; 8];
                        be.copy_from_slice(ext);
                        let len = u64::from_be_bytes(be);
                        v.len = Some(len);
                        v.non_minimal = Some(len <= 0xFFFF);
                    }
                }
            }
            n => {
                v.len = Some(u64::from(n));
                v.non_minimal = Some(false);
            }
        }
        Some(v)
    }
}

impl From<&FrameHeader> for PartialHeader {
    fn from(h: &FrameHeader) -> PartialHeader {
        PartialHeader {
            fin: h.fin,
            rsv: h.rsv,
            opcode: h.opcode,
            masked: Some(h.mask.is_some()),
            length_top_bit: false,
            len: Some(h.payload_len),
            non_minimal: Some(h.length_form != LengthForm::Minimal),
        }
    }
}

/// A whole frame: header plus unmasked payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The header as it is (or is to be) on the wire.
    pub header: FrameHeader,
    /// Unmasked application bytes.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A final, unmasked frame with RSV 0, minimal length and `payload_len = payload.len()`.
    pub fn new(opcode: Opcode, payload: impl Into<Vec<u8>>) -> Frame {
        let payload = payload.into();
        Frame {
            header: FrameHeader {
                fin: true,
                rsv: 0,
                opcode,
                mask: None,
                payload_len: payload.len() as u64,
                length_form: LengthForm::Minimal,
            },
            payload,
        }
    }

    /// A text frame (payload not checked for UTF-8, so invalid text can be sent).
    pub fn text(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(Opcode::Text, payload)
    }

    /// A binary frame.
    pub fn binary(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(Opcode::Binary, payload)
    }

    /// A ping frame.
    pub fn ping(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(Opcode::Ping, payload)
    }

    /// A pong frame.
    pub fn pong(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(Opcode::Pong, payload)
    }

    /// A continuation frame.
    pub fn continuation(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(Opcode::Continuation, payload)
    }

    /// A close frame: empty body for `None` (then `reason` is ignored),
    /// otherwise the code and the reason bytes unchecked.
    pub fn close(code: Option<u16>, reason: &[u8]) -> Frame {
        match code {
            None => Frame::new(Opcode::Close, Vec::new()),
            Some(code) => Frame::new(
                Opcode::Close,
                crate::close::encode_close_payload(code, reason),
            ),
        }
    }

    /// Sets the FIN bit.
    pub fn with_fin(mut self, fin: bool) -> Frame {
        self.header.fin = fin;
        self
    }

    /// Sets the RSV bits (low 3 bits: RSV1 = 0b100).
    pub fn with_rsv(mut self, rsv: u8) -> Frame {
        self.header.rsv = rsv;
        self
    }

    /// Sets or clears the masking key.
    pub fn with_mask(mut self, key: Option<[u8; 4]>) -> Frame {
        self.header.mask = key;
        self
    }

    /// Chooses the length encoding (non-minimal forms are a protocol violation).
    pub fn with_length_form(mut self, f: LengthForm) -> Frame {
        self.header.length_form = f;
        self
    }

    /// Declares a payload length different from the payload actually sent,
    /// to build frames that lie about their size.
    pub fn with_payload_len(mut self, len: u64) -> Frame {
        self.header.payload_len = len;
        self
    }

    /// Header plus payload, masked with `header.mask` if set.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header.encoded_len() + self.payload.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends header plus payload (masked with `header.mask` if set) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.header.encode_into(out);
        let start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = self.header.mask {
            apply_mask(&mut out[start..], key, 0);
        }
    }
}

/// One step of incremental decoding: lets an endpoint act on a header (and on
/// payload pieces, e.g. fail-fast UTF-8) before the whole frame has arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeEvent {
    /// A complete header (always first for each frame).
    Header(FrameHeader),
    /// The next piece of the payload, unmasked; never empty.
    Payload(Vec<u8>),
    /// The payload is complete (follows the header directly for an empty payload).
    FrameEnd,
}

/// Limits of the decoder.
#[derive(Clone, Debug)]
pub struct DecoderConfig {
    /// Largest payload length a header may announce; more is an error,
    /// reported before anything is allocated. Default: 64 MiB.
    pub max_frame_payload: u64,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_frame_payload: 64 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    Payload {
        mask: Option<[u8; 4]>,
        remaining: u64,
        done: u64,
    },
}

/// Every frame of a whole stream, with no payload limit: for reading back what an
/// endpoint wrote. An error when a frame is invalid or the stream ends inside one.
pub fn decode_stream(bytes: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let mut d = FrameDecoder::new(DecoderConfig {
        max_frame_payload: u64::MAX,
    });
    d.push(bytes);
    let mut frames = Vec::new();
    while let Some(f) = d.next_frame()? {
        frames.push(f);
    }
    d.finish()?;
    Ok(frames)
}

/// Incremental frame decoder: push bytes in any pieces, pull events or frames.
///
/// The sequence of events, frames and errors does not depend on how the
/// stream was cut into pushes, except that payload pieces follow the pushes.
/// Once an error has been returned, it is returned again on every call.
#[derive(Debug)]
pub struct FrameDecoder {
    config: DecoderConfig,
    buf: Vec<u8>,
    /// Read position in `buf`.
    pos: usize,
    /// Stream offset of `buf[pos]`.
    consumed: u64,
    state: State,
    error: Option<FrameError>,
    /// Frame being collected by `next_frame`.
    assembling: Option<Frame>,
}

impl FrameDecoder {
    /// A decoder at the start of a stream.
    pub fn new(config: DecoderConfig) -> Self {
        FrameDecoder {
            config,
            buf: Vec::new(),
            pos: 0,
            consumed: 0,
            state: State::Header,
            error: None,
            assembling: None,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos >= 4096 && self.pos * 2 >= self.buf.len() {
            // Compact once the consumed prefix dominates, keeping copies amortised O(1).
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Next piece of what has been pushed so far; `Ok(None)` = need more bytes.
    pub fn next_event(&mut self) -> Result<Option<DecodeEvent>, FrameError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.state {
            State::Header => {
                match FrameHeader::parse(&self.buf[self.pos..], self.config.max_frame_payload) {
                    Ok(None) => Ok(None),
                    Ok(Some((header, n))) => {
                        self.advance(n);
                        self.state = State::Payload {
                            mask: header.mask,
                            remaining: header.payload_len,
                            done: 0,
                        };
                        Ok(Some(DecodeEvent::Header(header)))
                    }
                    Err(mut e) => {
                        e.offset += self.consumed;
                        self.error = Some(e.clone());
                        Err(e)
                    }
                }
            }
            State::Payload { remaining: 0, .. } => {
                self.state = State::Header;
                Ok(Some(DecodeEvent::FrameEnd))
            }
            State::Payload {
                mask,
                remaining,
                done,
            } => {
                let avail = self.buf.len() - self.pos;
                if avail == 0 {
                    return Ok(None);
                }
                let n = usize::try_from(remaining).map_or(avail, |r| r.min(avail));
                let mut piece = if self.pos == 0 && n == self.buf.len() {
                    // The whole buffer is payload: hand it over without copying.
                    self.consumed += n as u64;
                    std::mem::take(&mut self.buf)
                } else {
                    let piece = self.buf[self.pos..self.pos + n].to_vec();
                    self.advance(n);
                    piece
                };
                if let Some(key) = mask {
                    // `done % 4` is all the mask phase needs, and it fits any usize.
                    apply_mask(&mut piece, key, (done % 4) as usize);
                }
                self.state = State::Payload {
                    mask,
                    remaining: remaining - n as u64,
                    done: done + n as u64,
                };
                Ok(Some(DecodeEvent::Payload(piece)))
            }
        }
    }

    /// Whole frames only (buffers the payload of the current frame).
    ///
    /// Do not mix with [`FrameDecoder::next_event`] inside one frame: pieces
    /// already handed out as events are not part of the frame returned here.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            match self.next_event()? {
                None => return Ok(None),
                Some(DecodeEvent::Header(header)) => {
                    self.assembling = Some(Frame {
                        header,
                        payload: Vec::new(),
                    });
                }
                Some(DecodeEvent::Payload(piece)) => {
                    let frame = self
                        .assembling
                        .get_or_insert_with(|| Frame::new(Opcode::Continuation, Vec::new()));
                    if frame.payload.is_empty() {
                        frame.payload = piece;
                    } else {
                        frame.payload.extend_from_slice(&piece);
                    }
                }
                Some(DecodeEvent::FrameEnd) => {
                    if let Some(frame) = self.assembling.take() {
                        return Ok(Some(frame));
                    }
                }
            }
        }
    }

    /// Declares the end of the stream: an error if it ends inside a frame
    /// (or an earlier error is pending). Call after draining events.
    pub fn finish(&self) -> Result<(), FrameError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mid_frame = matches!(self.state, State::Payload { remaining, .. } if remaining > 0);
        if mid_frame || self.buffered() > 0 {
            return Err(FrameError {
                kind: FrameErrorKind::Truncated,
                offset: self.consumed + self.buffered() as u64,
            });
        }
        Ok(())
    }

    /// The header being received, as far as its bytes have arrived: `None`
    /// inside a payload or before the first byte of the next header. After
    /// an error it is the header that broke the stream.
    pub fn partial_header(&self) -> Option<PartialHeader> {
        match self.state {
            State::Header => PartialHeader::parse(&self.buf[self.pos..]),
            State::Payload { .. } => None,
        }
    }

    /// Bytes pushed but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Total bytes consumed so far (the stream offset of the next unconsumed byte).
    pub fn offset(&self) -> u64 {
        self.consumed
    }

    /// Removes and returns the unconsumed bytes; [`FrameDecoder::offset`]
    /// advances past them, so later offsets still refer to the stream.
    pub fn take_remaining(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.pos);
        self.consumed += rest.len() as u64;
        self.buf.clear();
        self.pos = 0;
        rest
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.consumed += n as u64;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], max: u64) -> (Vec<Frame>, Option<FrameError>) {
        let mut d = FrameDecoder::new(DecoderConfig {
            max_frame_payload: max,
        });
        d.push(bytes);
        let mut frames = Vec::new();
        loop {
            match d.next_frame() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => return (frames, None),
                Err(e) => return (frames, Some(e)),
            }
        }
    }

    #[test]
    fn partial_header_shows_what_has_arrived_between_frames_only() {
        let mut d = FrameDecoder::new(DecoderConfig::default());
        assert_eq!(d.partial_header(), None);
        d.push(&[0x81, 0xFE, 0x00]);
        assert_eq!(d.next_event(), Ok(None));
        let p = d.partial_header().expect("three header bytes");
        assert_eq!(
            (p.opcode, p.masked, p.len),
            (Opcode::Text, Some(true), None)
        );
        d.push(&[0x7E, 1, 2, 3, 4]);
        assert!(matches!(d.next_event(), Ok(Some(DecodeEvent::Header(_)))));
        assert_eq!(d.partial_header(), None, "inside the payload");
    }

    /// RFC 6455 §5.7 examples, byte for byte.
    #[test]
    fn rfc6455_5_7_examples_encode_and_decode() {
        let unmasked = Frame::text("Hello");
        assert_eq!(
            unmasked.encode(),
            [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
        let masked = Frame::text("Hello").with_mask(Some([0x37, 0xfa, 0x21, 0x3d]));
        let wire = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(masked.encode(), wire);
        assert_eq!(decode_all(&wire, 1 << 20), (vec![masked], None));
        let first = Frame::text("Hel").with_fin(false);
        assert_eq!(first.encode(), [0x01, 0x03, 0x48, 0x65, 0x6c]);
        assert_eq!(Frame::continuation("lo").encode(), [0x80, 0x02, 0x6c, 0x6f]);
        let big = Frame::binary(vec![0u8; 256]).encode();
        assert_eq!(&big[..4], &[0x82, 0x7E, 0x01, 0x00]);
        let huge = Frame::binary(vec![0u8; 65536]).encode();
        assert_eq!(&huge[..10], &[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    /// RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF are reserved; 0x8-0xF are control.
    #[test]
    fn rfc6455_5_2_opcode_classes() {
        for v in 0..16u8 {
            let op = Opcode::from_u4(v);
            assert_eq!(op.as_u4(), v);
            assert_eq!(op.is_control(), v >= 8, "{v}");
            assert_eq!(op.is_reserved(), matches!(v, 3..=7 | 11..=15), "{v}");
        }
        assert_eq!(Opcode::from_u4(0xF1), Opcode::Text);
        assert_eq!(Opcode::from_u4(0x0B), Opcode::Reserved(0xB));
    }

    /// RFC 6455 §5.2: a 64-bit length with the top bit set is an error,
    /// detected at the first length byte, with its stream offset.
    #[test]
    fn rfc6455_5_2_length_top_bit_set_error_with_offset() {
        let mut stream = Frame::ping("ab").encode(); // 4 bytes
        let bad = Frame::binary(Vec::new())
            .with_payload_len(1 << 63)
            .with_length_form(LengthForm::Extended64);
        stream.extend(bad.encode());
        let expected = FrameError {
            kind: FrameErrorKind::LengthTopBitSet,
            offset: 4 + 2,
        };
        assert_eq!(
            decode_all(&stream, u64::MAX),
            (vec![Frame::ping("ab")], Some(expected.clone()))
        );

        // Fail-fast: the first byte of the 64-bit length suffices.
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&stream[..7]);
        assert_eq!(d.next_frame(), Ok(Some(Frame::ping("ab"))));
        assert_eq!(d.next_frame(), Err(expected.clone()));
        // Sticky.
        d.push(&Frame::text("x").encode());
        assert_eq!(d.next_event(), Err(expected.clone()));
        assert_eq!(d.next_frame(), Err(expected.clone()));
        assert_eq!(d.finish(), Err(expected));
    }

    /// A header announcing a terabyte fails at once, without allocating it
    /// (an attempt to reserve 1 TiB would abort the test process).
    #[test]
    fn payload_too_large_without_allocating() {
        let header = Frame::binary(Vec::new()).with_payload_len(1 << 40).encode();
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&header);
        let err = d.next_event().unwrap_err();
        assert_eq!(
            err,
            FrameError {
                kind: FrameErrorKind::PayloadTooLarge {
                    len: 1 << 40,
                    max: 64 * 1024 * 1024
                },
                offset: 2
            }
        );
        // 7-bit lengths are checked too, at the second header byte.
        let (frames, err) = decode_all(&Frame::text("0123456789").encode(), 9);
        assert!(frames.is_empty());
        assert_eq!(
            err,
            Some(FrameError {
                kind: FrameErrorKind::PayloadTooLarge { len: 10, max: 9 },
                offset: 1
            })
        );
    }

    /// Within the limit, a huge announced length is not reserved up front either.
    #[test]
    fn announced_length_is_not_preallocated() {
        let len = 1u64 << 62;
        let header = Frame::binary(Vec::new()).with_payload_len(len).encode();
        let mut d = FrameDecoder::new(DecoderConfig {
            max_frame_payload: u64::MAX,
        });
        d.push(&header);
        d.push(b"abc");
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(d.offset(), header.len() as u64 + 3);
        assert!(matches!(
            d.finish(),
            Err(FrameError {
                kind: FrameErrorKind::Truncated,
                ..
            })
        ));
    }

    #[test]
    fn events_for_masked_frame_in_pieces() {
        let key = [1, 2, 3, 4];
        let frame = Frame::binary((0..20u8).collect::<Vec<_>>()).with_mask(Some(key));
        let wire = frame.encode();
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&wire[..5]);
        assert_eq!(d.next_event(), Ok(None), "mask key incomplete");
        assert_eq!(d.buffered(), 5);
        d.push(&wire[5..9]);
        assert_eq!(
            d.next_event(),
            Ok(Some(DecodeEvent::Header(frame.header.clone())))
        );
        assert_eq!(
            d.next_event(),
            Ok(Some(DecodeEvent::Payload(vec![0, 1, 2])))
        );
        assert_eq!(d.next_event(), Ok(None));
        d.push(&wire[9..]);
        assert_eq!(
            d.next_event(),
            Ok(Some(DecodeEvent::Payload((3..20).collect())))
        );
        assert_eq!(d.next_event(), Ok(Some(DecodeEvent::FrameEnd)));
        assert_eq!(d.next_event(), Ok(None));
        assert_eq!(d.offset(), wire.len() as u64);
        assert_eq!(d.finish(), Ok(()));
    }

    #[test]
    fn empty_payload_is_header_then_end() {
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&Frame::close(None, b"").encode());
        assert!(matches!(d.next_event(), Ok(Some(DecodeEvent::Header(_)))));
        assert_eq!(d.next_event(), Ok(Some(DecodeEvent::FrameEnd)));
        assert_eq!(d.next_event(), Ok(None));
    }

    #[test]
    fn take_remaining_returns_unconsumed_bytes() {
        let mut stream = Frame::text("hi").encode();
        stream.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&stream);
        assert_eq!(d.next_frame(), Ok(Some(Frame::text("hi"))));
        assert_eq!(d.offset(), 4);
        assert_eq!(d.take_remaining(), b"GET / HTTP/1.1\r\n");
        assert_eq!(d.buffered(), 0);
        assert_eq!(d.offset(), stream.len() as u64);
    }

    #[test]
    fn close_frame_builder() {
        assert_eq!(
            Frame::close(Some(1000), b"ok").payload,
            vec![0x03, 0xE8, b'o', b'k']
        );
        assert!(Frame::close(None, b"ignored").payload.is_empty());
        assert_eq!(Frame::close(None, b"").header.opcode, Opcode::Close);
    }

    /// RFC 6455 §5.2: every header field, invalid values included, survives
    /// encode then decode; non-minimal forms come back as such.
    #[test]
    fn header_fields_round_trip_exhaustive_bits() {
        for fin in [false, true] {
            for rsv in 0..8u8 {
                for op in 0..16u8 {
                    for mask in [None, Some([0xde, 0xad, 0xbe, 0xef])] {
                        let f = Frame::new(Opcode::from_u4(op), b"xyz".to_vec())
                            .with_fin(fin)
                            .with_rsv(rsv)
                            .with_mask(mask);
                        let wire = f.encode();
                        assert_eq!(wire.len(), f.header.encoded_len() + 3);
                        assert_eq!(decode_all(&wire, 100), (vec![f], None));
                    }
                }
            }
        }
    }
}
