//! The frame rules of RFC 6455 §5 and RFC 7692 §6, written once.
//!
//! [`check_header`] judges a frame header, whole or as far as its bytes have
//! arrived ([`PartialHeader`]), against what the receiver knows
//! ([`ReceiveState`]), and names the first rule broken as a [`FailReason`].
//! The reference [`crate::endpoint::Endpoint`] and the case player both call it.

use crate::close::{self, CloseError};
use crate::deflate::rsv1_allowed;
use crate::endpoint::Role;
use crate::frame::{Opcode, PartialHeader};
use crate::rfc::RfcRef;

/// The rule a peer broke, one variant per rule; each makes the endpoint
/// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7) with
/// [`FailReason::close_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// RFC 6455 §5.1: a server MUST close the connection on an unmasked frame.
    UnmaskedClientFrame,
    /// RFC 6455 §5.1: a client MUST close the connection on a masked frame.
    MaskedServerFrame,
    /// RFC 6455 §5.2: RSV bits set (the value, RSV1 = 0b100) without a
    /// negotiated extension that defines them.
    ReservedBits(u8),
    /// RFC 6455 §5.2: a reserved opcode (0x3-0x7, 0xB-0xF).
    ReservedOpcode(u8),
    /// RFC 6455 §5.5: control frames MUST NOT be fragmented (FIN = 0).
    FragmentedControl,
    /// RFC 6455 §5.5: control frame payload above 125 bytes (the length).
    ControlTooLong(u64),
    /// RFC 6455 §5.4: a continuation frame with no fragmented message to continue.
    UnexpectedContinuation,
    /// RFC 6455 §5.4: a text or binary frame while a fragmented message is
    /// still open (fragments of different messages MUST NOT interleave).
    DataInsideFragmented,
    /// RFC 6455 §5.6, §8.1: a text message holds bytes that cannot be UTF-8.
    InvalidUtf8,
    /// RFC 6455 §8.1: a text message ends inside a multi-byte UTF-8 sequence.
    IncompleteUtf8,
    /// RFC 6455 §7.4.1, §7.4.2: a close code not allowed on the wire.
    InvalidCloseCode(u16),
    /// RFC 6455 §5.5.1: a close body of one byte (a code takes two).
    CloseBodyOneByte,
    /// RFC 6455 §5.5.1: a close reason that is not valid UTF-8.
    InvalidCloseReason,
    /// RFC 6455 §10.4: the message would exceed
    /// [`EndpointConfig::max_message_size`] (the size it would reach).
    MessageTooBig(u64),
    /// RFC 6455 §10.4: a data frame above [`EndpointConfig::max_frame_size`]
    /// (its length).
    FrameTooBig(u64),
    /// RFC 6455 §5.2: a 64-bit payload length with the most significant bit set.
    LengthTopBit,
    /// RFC 6455 §5.2: the stream ended inside a frame (fewer bytes than the
    /// header announced).
    TruncatedFrame,
    /// RFC 6455 §5.2: a length not encoded in the minimal number of bytes
    /// (only with [`EndpointConfig::reject_non_minimal_length`]).
    NonMinimalLength,
    /// RFC 7692 §6: RSV1 on a control or continuation frame with
    /// permessage-deflate negotiated (the RSV value).
    CompressedBitMisplaced(u8),
    /// RFC 7692 §6.2: the payload of a compressed message is not valid
    /// DEFLATE data for the negotiated parameters (the inflater's message).
    InvalidCompressedData(String),
    /// RFC 7692 §8.1, RFC 6455 §10.4: a compressed message inflates above
    /// [`EndpointConfig::max_message_size`] (the limit).
    DecompressedTooBig(u64),
}

impl FailReason {
    /// The status code to fail with (RFC 6455 §7.4.1): 1007 for data
    /// inconsistent with its type, 1009 for size limits, 1002 otherwise.
    pub fn close_code(&self) -> u16 {
        use close::codes;
        match self {
            FailReason::InvalidUtf8
            | FailReason::IncompleteUtf8
            | FailReason::InvalidCloseReason => codes::INVALID_PAYLOAD,
            FailReason::MessageTooBig(_)
            | FailReason::FrameTooBig(_)
            | FailReason::DecompressedTooBig(_) => codes::TOO_BIG,
            // Data that cannot be inflated is not a message of its type at all.
            FailReason::InvalidCompressedData(_) => codes::INVALID_PAYLOAD,
            FailReason::CompressedBitMisplaced(_)
            | FailReason::UnmaskedClientFrame
            | FailReason::MaskedServerFrame
            | FailReason::ReservedBits(_)
            | FailReason::ReservedOpcode(_)
            | FailReason::FragmentedControl
            | FailReason::ControlTooLong(_)
            | FailReason::UnexpectedContinuation
            | FailReason::DataInsideFragmented
            | FailReason::InvalidCloseCode(_)
            | FailReason::CloseBodyOneByte
            | FailReason::LengthTopBit
            | FailReason::TruncatedFrame
            | FailReason::NonMinimalLength => codes::PROTOCOL_ERROR,
        }
    }

    /// The clause that states the rule.
    pub fn rfc(&self) -> RfcRef {
        let section = match self {
            FailReason::CompressedBitMisplaced(_) => return RfcRef::rfc7692_must("6"),
            FailReason::InvalidCompressedData(_) => return RfcRef::rfc7692_must("6.2"),
            FailReason::DecompressedTooBig(_) => return RfcRef::rfc7692_must("8.1"),
            FailReason::UnmaskedClientFrame | FailReason::MaskedServerFrame => "5.1",
            FailReason::ReservedBits(_)
            | FailReason::ReservedOpcode(_)
            | FailReason::LengthTopBit
            | FailReason::TruncatedFrame
            | FailReason::NonMinimalLength => "5.2",
            FailReason::FragmentedControl | FailReason::ControlTooLong(_) => "5.5",
            FailReason::UnexpectedContinuation | FailReason::DataInsideFragmented => "5.4",
            FailReason::InvalidUtf8 | FailReason::IncompleteUtf8 => "8.1",
            FailReason::InvalidCloseCode(_) => "7.4",
            FailReason::CloseBodyOneByte | FailReason::InvalidCloseReason => "5.5.1",
            FailReason::MessageTooBig(_) | FailReason::FrameTooBig(_) => "10.4",
        };
        RfcRef::rfc6455_must(section)
    }
}

impl std::fmt::Display for FailReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailReason::UnmaskedClientFrame => write!(f, "unmasked frame from a client"),
            FailReason::MaskedServerFrame => write!(f, "masked frame from a server"),
            FailReason::ReservedBits(rsv) => {
                write!(f, "RSV bits {rsv:#05b} set without a negotiated extension")
            }
            FailReason::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FailReason::FragmentedControl => write!(f, "fragmented control frame"),
            FailReason::ControlTooLong(len) => {
                write!(f, "control frame payload of {len} bytes (at most 125)")
            }
            FailReason::UnexpectedContinuation => {
                write!(f, "continuation frame with no message to continue")
            }
            FailReason::DataInsideFragmented => {
                write!(f, "new data frame inside a fragmented message")
            }
            FailReason::InvalidUtf8 => write!(f, "invalid UTF-8 in a text message"),
            FailReason::IncompleteUtf8 => write!(f, "text message ends inside a UTF-8 sequence"),
            FailReason::InvalidCloseCode(code) => write!(f, "close code {code} not allowed"),
            FailReason::CloseBodyOneByte => write!(f, "close body of one byte"),
            FailReason::InvalidCloseReason => write!(f, "close reason is not UTF-8"),
            FailReason::MessageTooBig(len) => write!(f, "message of {len} bytes above the limit"),
            FailReason::FrameTooBig(len) => write!(f, "frame of {len} bytes above the limit"),
            FailReason::LengthTopBit => write!(f, "64-bit length with the top bit set"),
            FailReason::TruncatedFrame => write!(f, "stream ends inside a frame"),
            FailReason::NonMinimalLength => write!(f, "length not minimally encoded"),
            FailReason::CompressedBitMisplaced(rsv) => {
                write!(f, "RSV bits {rsv:#05b} on a control or continuation frame")
            }
            FailReason::InvalidCompressedData(why) => {
                write!(f, "compressed message does not inflate: {why}")
            }
            FailReason::DecompressedTooBig(limit) => {
                write!(f, "compressed message inflates above {limit} bytes")
            }
        }?;
        write!(f, " ({})", self.rfc().cite())
    }
}

impl From<&CloseError> for FailReason {
    fn from(e: &CloseError) -> Self {
        match e {
            CloseError::OneByteBody => FailReason::CloseBodyOneByte,
            CloseError::InvalidCode(c) => FailReason::InvalidCloseCode(*c),
            CloseError::InvalidReasonUtf8 { .. } => FailReason::InvalidCloseReason,
            CloseError::TooLong(n) => FailReason::ControlTooLong(*n as u64),
        }
    }
}

/// What a receiver knows when it judges a frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiveState {
    /// The receiver's role: a server receives masked frames, a client unmasked ones.
    pub role: Role,
    /// permessage-deflate was negotiated: RSV1 may mark a compressed message.
    pub deflate: bool,
    /// A fragmented data message is open (its first frame had FIN clear).
    pub in_message: bool,
    /// Payload bytes of the open message so far, counted from headers.
    pub message_len: u64,
    /// Largest data frame accepted (RFC 6455 §10.4).
    pub max_frame_size: u64,
    /// Largest message accepted (RFC 6455 §10.4).
    pub max_message_size: u64,
    /// Fail on a length not encoded in the fewest bytes.
    pub reject_non_minimal_length: bool,
}

/// The first rule `header` breaks, with fields checked in wire order, so the
/// verdict on a header's first bytes is the verdict on the whole header.
pub fn check_header(state: &ReceiveState, header: &PartialHeader) -> Result<(), FailReason> {
    check_first_byte(state, header)?;
    match (state.role, header.masked) {
        (Role::Server, Some(false)) => return Err(FailReason::UnmaskedClientFrame),
        (Role::Client, Some(true)) => return Err(FailReason::MaskedServerFrame),
        _ => {}
    }
    if header.length_top_bit {
        return Err(FailReason::LengthTopBit);
    }
    let Some(len) = header.len else {
        return Ok(());
    };
    let control = header.opcode.is_control();
    if control && len > 125 {
        return Err(FailReason::ControlTooLong(len));
    }
    if state.reject_non_minimal_length && header.non_minimal == Some(true) {
        return Err(FailReason::NonMinimalLength);
    }
    if !control {
        if len > state.max_frame_size {
            return Err(FailReason::FrameTooBig(len));
        }
        let total = if header.opcode == Opcode::Continuation {
            state.message_len.saturating_add(len)
        } else {
            len
        };
        if total > state.max_message_size {
            return Err(FailReason::MessageTooBig(total));
        }
    }
    Ok(())
}

/// The rules of the first header byte: RSV bits, opcode, FIN, and the
/// order of fragments.
fn check_first_byte(state: &ReceiveState, header: &PartialHeader) -> Result<(), FailReason> {
    let opcode = header.opcode;
    // With permessage-deflate, RSV1 marks the first frame of a compressed
    // data message and nothing else (RFC 7692 §6).
    let rsv = if state.deflate {
        if header.rsv & 0b100 != 0
            && !opcode.is_reserved()
            && !rsv1_allowed(opcode, opcode != Opcode::Continuation)
        {
            return Err(FailReason::CompressedBitMisplaced(header.rsv));
        }
        header.rsv & 0b011
    } else {
        header.rsv
    };
    if rsv != 0 {
        return Err(FailReason::ReservedBits(header.rsv));
    }
    if opcode.is_reserved() {
        return Err(FailReason::ReservedOpcode(opcode.as_u4()));
    }
    if opcode.is_control() && !header.fin {
        return Err(FailReason::FragmentedControl);
    }
    match opcode {
        Opcode::Continuation if !state.in_message => Err(FailReason::UnexpectedContinuation),
        Opcode::Text | Opcode::Binary if state.in_message => Err(FailReason::DataInsideFragmented),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, FrameHeader, LengthForm};
    use crate::rfc::Level;

    fn client_side() -> ReceiveState {
        ReceiveState {
            role: Role::Client,
            deflate: false,
            in_message: false,
            message_len: 0,
            max_frame_size: u64::MAX,
            max_message_size: 1000,
            reject_non_minimal_length: false,
        }
    }

    fn whole(frame: &Frame) -> PartialHeader {
        PartialHeader::from(&frame.header)
    }

    #[test]
    fn fail_reason_codes_and_clauses() {
        assert_eq!(FailReason::InvalidCloseReason.close_code(), 1007);
        assert_eq!(FailReason::MessageTooBig(1).close_code(), 1009);
        assert_eq!(FailReason::ReservedOpcode(3).close_code(), 1002);
        assert_eq!(FailReason::TruncatedFrame.close_code(), 1002);
        assert_eq!(
            FailReason::UnmaskedClientFrame.rfc(),
            RfcRef {
                rfc: 6455,
                section: "5.1",
                level: Level::Must
            }
        );
        assert_eq!(
            FailReason::CompressedBitMisplaced(4).rfc().cite(),
            "RFC 7692 §6"
        );
        assert_eq!(
            FailReason::ReservedOpcode(0xB).to_string(),
            "reserved opcode 0xb (RFC 6455 §5.2)"
        );
        assert_eq!(
            FailReason::from(&CloseError::InvalidCode(5)),
            FailReason::InvalidCloseCode(5)
        );
    }

    #[test]
    fn every_rule_cites_a_clause_with_its_requirement() {
        let all = [
            FailReason::UnmaskedClientFrame,
            FailReason::MaskedServerFrame,
            FailReason::ReservedBits(1),
            FailReason::ReservedOpcode(3),
            FailReason::FragmentedControl,
            FailReason::ControlTooLong(126),
            FailReason::UnexpectedContinuation,
            FailReason::DataInsideFragmented,
            FailReason::InvalidUtf8,
            FailReason::IncompleteUtf8,
            FailReason::InvalidCloseCode(999),
            FailReason::CloseBodyOneByte,
            FailReason::InvalidCloseReason,
            FailReason::MessageTooBig(1),
            FailReason::FrameTooBig(1),
            FailReason::LengthTopBit,
            FailReason::TruncatedFrame,
            FailReason::NonMinimalLength,
            FailReason::CompressedBitMisplaced(4),
            FailReason::InvalidCompressedData(String::new()),
            FailReason::DecompressedTooBig(1),
        ];
        for reason in all {
            assert!(reason.rfc().requirement().is_some(), "{reason}");
        }
    }

    #[test]
    fn rfc6455_5_header_rules_in_wire_order() {
        let st = client_side();
        let rsv_and_masked = Frame::text("x").with_rsv(0b010).with_mask(Some([1; 4]));
        assert_eq!(
            check_header(&st, &whole(&rsv_and_masked)),
            Err(FailReason::ReservedBits(0b010))
        );
        let masked = Frame::text("x").with_mask(Some([1; 4]));
        assert_eq!(
            check_header(&st, &whole(&masked)),
            Err(FailReason::MaskedServerFrame)
        );
        let server = ReceiveState {
            role: Role::Server,
            ..st
        };
        assert_eq!(check_header(&server, &whole(&masked)), Ok(()));
        assert_eq!(
            check_header(&server, &whole(&Frame::text("x"))),
            Err(FailReason::UnmaskedClientFrame)
        );
        let ping = Frame::ping(vec![0; 126]);
        assert_eq!(
            check_header(&st, &whole(&ping)),
            Err(FailReason::ControlTooLong(126))
        );
        assert_eq!(
            check_header(&st, &whole(&Frame::ping("").with_fin(false))),
            Err(FailReason::FragmentedControl)
        );
        assert_eq!(
            check_header(&st, &whole(&Frame::continuation("x"))),
            Err(FailReason::UnexpectedContinuation)
        );
        let open = ReceiveState {
            in_message: true,
            message_len: 990,
            ..st
        };
        assert_eq!(
            check_header(&open, &whole(&Frame::binary("x"))),
            Err(FailReason::DataInsideFragmented)
        );
        assert_eq!(
            check_header(&open, &whole(&Frame::continuation(vec![0; 11]))),
            Err(FailReason::MessageTooBig(1001))
        );
    }

    #[test]
    fn rfc7692_6_rsv1_only_on_the_first_data_frame() {
        let st = ReceiveState {
            deflate: true,
            in_message: true,
            ..client_side()
        };
        assert_eq!(
            check_header(&st, &whole(&Frame::continuation("x").with_rsv(0b100))),
            Err(FailReason::CompressedBitMisplaced(0b100))
        );
        let first = ReceiveState {
            in_message: false,
            ..st
        };
        assert_eq!(
            check_header(&first, &whole(&Frame::text("x").with_rsv(0b100))),
            Ok(())
        );
        assert_eq!(
            check_header(&first, &whole(&Frame::text("x").with_rsv(0b110))),
            Err(FailReason::ReservedBits(0b110))
        );
    }

    #[test]
    fn a_header_prefix_is_judged_as_far_as_it_goes() {
        let st = client_side();
        // One byte: RSV2 already breaks §5.2; a plain first byte breaks nothing yet.
        assert_eq!(
            check_header(&st, &PartialHeader::parse(&[0xA1]).unwrap()),
            Err(FailReason::ReservedBits(0b010))
        );
        assert_eq!(
            check_header(&st, &PartialHeader::parse(&[0x81]).unwrap()),
            Ok(())
        );
        // A 64-bit length whose top bit is set, before the other seven length bytes.
        assert_eq!(
            check_header(&st, &PartialHeader::parse(&[0x82, 0x7F, 0x80]).unwrap()),
            Err(FailReason::LengthTopBit)
        );
        // A non-minimal length counts only where the receiver asks for it.
        let mut wire = Vec::new();
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode: Opcode::Binary,
            mask: None,
            payload_len: 5,
            length_form: LengthForm::Extended16,
        }
        .encode_into(&mut wire);
        let partial = PartialHeader::parse(&wire).unwrap();
        assert_eq!(check_header(&st, &partial), Ok(()));
        let strict = ReceiveState {
            reject_non_minimal_length: true,
            ..st
        };
        assert_eq!(
            check_header(&strict, &partial),
            Err(FailReason::NonMinimalLength)
        );
    }
}
