//! Close frames: status codes and the close body (RFC 6455 §5.5.1, §7.4,
//! and the IANA "WebSocket Close Code Number Registry").

use crate::utf8;

pub use crate::error::CloseError;

/// Named close codes (RFC 6455 §7.4.1 and the IANA registry).
pub mod codes {
    /// 1000: normal closure.
    pub const NORMAL: u16 = 1000;
    /// 1001: endpoint going away (server shutdown, page navigation).
    pub const GOING_AWAY: u16 = 1001;
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// 1003: received a data type it cannot accept.
    pub const UNSUPPORTED: u16 = 1003;
    /// 1004: reserved, meaning may be defined later; never sent.
    pub const RESERVED_1004: u16 = 1004;
    /// 1005: no status code was present; never sent.
    pub const NO_STATUS: u16 = 1005;
    /// 1006: connection closed without a close frame; never sent.
    pub const ABNORMAL: u16 = 1006;
    /// 1007: message data inconsistent with its type (e.g. bad UTF-8 in text).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// 1008: policy violation.
    pub const POLICY: u16 = 1008;
    /// 1009: message too big to process.
    pub const TOO_BIG: u16 = 1009;
    /// 1010: client expected the server to negotiate an extension.
    pub const MANDATORY_EXT: u16 = 1010;
    /// 1011: server hit an unexpected condition.
    pub const INTERNAL: u16 = 1011;
    /// 1012: service restart (IANA registry).
    pub const SERVICE_RESTART: u16 = 1012;
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// 1014: bad gateway (IANA registry).
    pub const BAD_GATEWAY: u16 = 1014;
    /// 1015: TLS handshake failure; never sent.
    pub const TLS_HANDSHAKE: u16 = 1015;
}

/// Which part of the close-code space a code falls into (RFC 6455 §7.4.2
/// and the IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCodeClass {
    /// 0-999: not used.
    NeverUsed,
    /// 1000-1003 and 1007-1014: defined by RFC 6455 or the registry, may be sent.
    Defined,
    /// 1004 (reserved), 1005, 1006, 1015: must not appear in a close frame.
    NotOnWire,
    /// 1016-2999: reserved for future RFCs.
    Reserved,
    /// 3000-3999: registered with IANA by libraries and frameworks.
    Registered,
    /// 4000-4999: private use by applications.
    Private,
    /// 5000 and above: outside every range RFC 6455 defines.
    Undefined,
}

/// Classifies a close code.
pub fn classify(code: u16) -> CloseCodeClass {
    match code {
        0..=999 => CloseCodeClass::NeverUsed,
        1000..=1003 | 1007..=1014 => CloseCodeClass::Defined,
        1004..=1006 | 1015 => CloseCodeClass::NotOnWire,
        1016..=2999 => CloseCodeClass::Reserved,
        3000..=3999 => CloseCodeClass::Registered,
        4000..=4999 => CloseCodeClass::Private,
        5000.. => CloseCodeClass::Undefined,
    }
}

/// True when a peer may put `code` in a close frame: Defined, Registered or Private.
pub fn is_valid_on_wire(code: u16) -> bool {
    matches!(
        classify(code),
        CloseCodeClass::Defined | CloseCodeClass::Registered | CloseCodeClass::Private
    )
}

/// A parsed, valid close body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseBody {
    /// Status code (valid on the wire).
    pub code: u16,
    /// Reason, valid UTF-8 (possibly empty).
    pub reason: String,
}

/// Parses a close frame payload; `Ok(None)` for an empty body.
///
/// Checks, in this order: length (≤ 125), not one byte, code valid on the
/// wire, reason valid UTF-8.
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<CloseBody>, CloseError> {
    if payload.len() > 125 {
        return Err(CloseError::TooLong(payload.len()));
    }
    match payload {
        [] => Ok(None),
        [_] => Err(CloseError::OneByteBody),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_on_wire(code) {
                return Err(CloseError::InvalidCode(code));
            }
            utf8::validate(reason)
                .map_err(|e| CloseError::InvalidReasonUtf8 { offset: e.offset() })?;
            let reason = String::from_utf8(reason.to_vec())
                .expect("validated as UTF-8 by utf8::validate just above");
            Ok(Some(CloseBody { code, reason }))
        }
    }
}

/// Builds a close payload: the code in network byte order, then `reason` as
/// given (not checked, so invalid bodies can be built on purpose).
pub fn encode_close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + reason.len());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6455 §7.4.1, §7.4.2 and the IANA registry, boundary by boundary.
    #[test]
    fn rfc6455_7_4_classify_boundaries() {
        use CloseCodeClass::*;
        let table: &[(u16, CloseCodeClass)] = &[
            (0, NeverUsed),
            (999, NeverUsed),
            (1000, Defined),
            (1003, Defined),
            (1004, NotOnWire),
            (1005, NotOnWire),
            (1006, NotOnWire),
            (1007, Defined),
            (1011, Defined),
            (1012, Defined),
            (1014, Defined),
            (1015, NotOnWire),
            (1016, Reserved),
            (2999, Reserved),
            (3000, Registered),
            (3999, Registered),
            (4000, Private),
            (4999, Private),
            (5000, Undefined),
            (65535, Undefined),
        ];
        for &(code, class) in table {
            assert_eq!(classify(code), class, "code {code}");
        }
    }

    /// RFC 6455 §7.4: the codes Autobahn case 7.7.x sends (valid) and 7.9.x (invalid).
    #[test]
    fn rfc6455_7_4_valid_on_wire() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert!(is_valid_on_wire(code), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_on_wire(code), "{code}");
        }
    }

    /// RFC 6455 §5.5.1: empty body is allowed.
    #[test]
    fn rfc6455_5_5_1_empty_body_is_none() {
        assert_eq!(parse_close_payload(&[]), Ok(None));
    }

    /// RFC 6455 §5.5.1: a 1-byte body cannot hold a code.
    #[test]
    fn rfc6455_5_5_1_one_byte_body_is_protocol_error() {
        let e = parse_close_payload(&[0x03]).unwrap_err();
        assert_eq!(e, CloseError::OneByteBody);
        assert_eq!(e.close_code(), 1002);
    }

    #[test]
    fn rfc6455_7_4_invalid_code_is_protocol_error() {
        let e = parse_close_payload(&encode_close_payload(1005, b"")).unwrap_err();
        assert_eq!(e, CloseError::InvalidCode(1005));
        assert_eq!(e.close_code(), 1002);
        let e = parse_close_payload(&encode_close_payload(999, b"x")).unwrap_err();
        assert_eq!(e, CloseError::InvalidCode(999));
    }

    /// RFC 6455 §5.5.1 + §7.4.1: a reason that is not UTF-8 fails with 1007.
    #[test]
    fn rfc6455_5_5_1_invalid_reason_utf8_is_1007() {
        let e = parse_close_payload(&encode_close_payload(
            1000,
            b"ok\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80",
        ))
        .unwrap_err();
        assert_eq!(e, CloseError::InvalidReasonUtf8 { offset: 14 });
        assert_eq!(e.close_code(), 1007);
        let e = parse_close_payload(&encode_close_payload(1000, b"ab\xE2\x82")).unwrap_err();
        assert_eq!(e, CloseError::InvalidReasonUtf8 { offset: 2 });
    }

    /// RFC 6455 §5.5: control frame payloads are at most 125 bytes.
    #[test]
    fn rfc6455_5_5_payload_over_125_too_long() {
        let ok = encode_close_payload(1000, &[b'a'; 123]);
        assert_eq!(ok.len(), 125);
        assert_eq!(
            parse_close_payload(&ok),
            Ok(Some(CloseBody {
                code: 1000,
                reason: "a".repeat(123)
            }))
        );
        let long = encode_close_payload(1000, &[b'a'; 124]);
        let e = parse_close_payload(&long).unwrap_err();
        assert_eq!(e, CloseError::TooLong(126));
        assert_eq!(e.close_code(), 1002);
    }

    #[test]
    fn encode_is_big_endian_code_then_reason() {
        assert_eq!(
            encode_close_payload(1000, b"bye"),
            vec![0x03, 0xE8, b'b', b'y', b'e']
        );
        assert_eq!(encode_close_payload(4999, b""), vec![0x13, 0x87]);
    }

    proptest! {
        /// Round trip: any on-wire-valid code and UTF-8 reason that fits.
        #[test]
        fn encode_parse_round_trip(code in any::<u16>(), reason in "\\PC{0,40}") {
            let payload = encode_close_payload(code, reason.as_bytes());
            let parsed = parse_close_payload(&payload);
            if payload.len() > 125 {
                prop_assert_eq!(parsed, Err(CloseError::TooLong(payload.len())));
            } else if is_valid_on_wire(code) {
                prop_assert_eq!(parsed, Ok(Some(CloseBody { code, reason })));
            } else {
                prop_assert_eq!(parsed, Err(CloseError::InvalidCode(code)));
            }
        }
    }
}
