//! `extensions`: `parse_extensions` never panics, and what it accepts
//! survives `format_extensions` then parsing again.
//!
//! Input: text (lossily decoded), one Sec-WebSocket-Extensions header value
//! per `\n`-separated line.

use ws_spec::handshake::{format_extensions, parse_extensions, HandshakeError};

/// RFC 9110 §5.6.2 tchar.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    match parse_extensions(&values) {
        Ok(offers) => {
            // `1#extension` per header value, and there is at least one value.
            assert!(!offers.is_empty());
            for offer in &offers {
                assert!(is_token(&offer.name), "name {:?}", offer.name);
                for (name, value) in &offer.params {
                    assert!(is_token(name), "param {name:?}");
                    if let Some(v) = value {
                        assert!(is_token(v), "value {v:?}");
                    }
                }
            }
            let formatted = format_extensions(&offers);
            assert_eq!(
                parse_extensions(&[&formatted]).as_ref(),
                Ok(&offers),
                "format then parse changed the offers: {formatted:?}"
            );
            // Several header values are one list (RFC 9110 §5.3).
            let joined = values.join(",");
            assert_eq!(parse_extensions(&[&joined]).as_ref(), Ok(&offers));
        }
        Err(HandshakeError::BadExtensionSyntax { value, offset, .. }) => {
            assert!(
                values.contains(&value.as_str()),
                "error names another value"
            );
            assert!(offset <= value.len());
        }
        Err(other) => panic!("parse_extensions returned {other:?}"),
    }
}
