//! `close_payload`: `close::parse_close_payload` never panics, its verdict
//! follows the documented checks in order, and an accepted body re-encodes to
//! the same bytes.
//!
//! Input: the close frame payload, raw.

use ws_spec::close::{encode_close_payload, is_valid_on_wire, parse_close_payload, CloseError};
use ws_spec::utf8;

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let parsed = parse_close_payload(data);
    match &parsed {
        Ok(None) => assert!(data.is_empty()),
        Ok(Some(body)) => {
            assert!(is_valid_on_wire(body.code));
            assert_eq!(
                encode_close_payload(body.code, body.reason.as_bytes()),
                data,
                "accepted body does not re-encode to its bytes"
            );
        }
        // Checked in this order: length, one byte, code, reason.
        Err(CloseError::TooLong(n)) => {
            assert_eq!(*n, data.len());
            assert!(*n > 125);
        }
        Err(CloseError::OneByteBody) => assert_eq!(data.len(), 1),
        Err(CloseError::InvalidCode(code)) => {
            assert!(data.len() >= 2 && data.len() <= 125);
            assert_eq!(*code, u16::from_be_bytes([data[0], data[1]]));
            assert!(!is_valid_on_wire(*code));
        }
        Err(CloseError::InvalidReasonUtf8 { offset }) => {
            assert!(data.len() >= 2 && data.len() <= 125);
            assert!(is_valid_on_wire(u16::from_be_bytes([data[0], data[1]])));
            let reason = &data[2..];
            assert!(std::str::from_utf8(reason).is_err());
            assert_eq!(utf8::validate(reason).map_err(|e| e.offset()), Err(*offset));
        }
    }
    if let Err(e) = &parsed {
        let code = e.close_code();
        assert!(code == 1002 || code == 1007, "failing with {code}");
        assert!(is_valid_on_wire(code));
    }
}
