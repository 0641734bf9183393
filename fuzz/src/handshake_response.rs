//! `handshake_response`: `parse_response` and `validate_response` never
//! panic; prefixes of the input parse to "need more" or to the verdict on
//! the whole (as in `handshake_request`); an accepted response only carries
//! what was offered.
//!
//! Input: the raw bytes a server sent, answering the RFC 6455 §1.2 example
//! request ([`KEY`], subprotocols [`PROTOCOLS`], extensions [`EXTENSIONS`]).

use ws_spec::handshake::{accept_key, parse_response, validate_response};

use crate::handshake_request::{parse_head_checked, MAX_HEAD};

/// The Sec-WebSocket-Key of RFC 6455 §1.2.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The subprotocols the client offered.
pub const PROTOCOLS: [&str; 2] = ["chat", "superchat"];
/// The extensions the client offered.
pub const EXTENSIONS: [&str; 2] = ["permessage-deflate", "x-webkit-deflate-frame"];

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let whole = parse_head_checked(data, "parse_response", |p| parse_response(p, MAX_HEAD));
    let Ok(Some((resp, _))) = whole else {
        return;
    };
    let protocols: Vec<String> = PROTOCOLS.iter().map(|s| s.to_string()).collect();
    let extensions: Vec<String> = EXTENSIONS.iter().map(|s| s.to_string()).collect();
    if let Ok(accepted) = validate_response(&resp, KEY, &protocols, &extensions) {
        assert_eq!(resp.status, 101);
        assert_eq!(
            resp.header("Sec-WebSocket-Accept"),
            Some(accept_key(KEY).as_str())
        );
        if let Some(p) = &accepted.subprotocol {
            assert!(protocols.contains(p), "unoffered subprotocol {p}");
        }
        for e in &accepted.extensions {
            assert!(
                extensions.contains(&e.name),
                "unoffered extension {}",
                e.name
            );
        }
    }
    // With nothing offered, a response naming a subprotocol or extension fails.
    if let Ok(accepted) = validate_response(&resp, KEY, &[], &[]) {
        assert_eq!(accepted.subprotocol, None);
        assert!(accepted.extensions.is_empty());
    }
}
