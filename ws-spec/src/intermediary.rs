//! What an intermediary (a reverse proxy, a load balancer) may and may not do to a
//! WebSocket it relays: RFC 7230 §6.1 for the opening handshake's hop-by-hop header
//! fields, RFC 6455 §5.4 for fragmentation.

use crate::frame::Opcode;

/// Header fields that describe one hop and never travel end to end, whether or not
/// `Connection` names them (RFC 7230 §6.1 and the fields it and RFC 9110 §7.6.1 list).
/// `Upgrade` is one of them: a proxy that relays a WebSocket regenerates it toward the
/// next hop rather than forwarding the client's.
pub const STANDARD_HOP_BY_HOP: &[&str] = &[
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "TE",
    "Transfer-Encoding",
    "Upgrade",
];

/// The hop-by-hop fields of a message with these header fields: the standard ones
/// plus every name its `Connection` fields list (RFC 7230 §6.1), lower-cased,
/// without duplicates.
pub fn hop_by_hop_fields(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = STANDARD_HOP_BY_HOP
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let connection: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Connection"))
        .map(|(_, v)| v.as_str())
        .collect();
    for option in crate::handshake::list_elements(&connection) {
        let lower = option.to_ascii_lowercase();
        if !names.contains(&lower) {
            names.push(lower);
        }
    }
    names
}

/// The fields of `forwarded` that a proxy should have removed from `received` before
/// forwarding it: fields named in `received`'s `Connection` other than `upgrade`
/// (which a WebSocket proxy regenerates) and the standard hop-by-hop fields other
/// than `Connection` and `Upgrade`, present in both. Names as `forwarded` spells them.
pub fn leaked_hop_by_hop(
    received: &[(String, String)],
    forwarded: &[(String, String)],
) -> Vec<String> {
    let regenerated = ["connection", "upgrade"];
    let hop = hop_by_hop_fields(received);
    let mut leaked: Vec<String> = Vec::new();
    for (name, _) in forwarded {
        let lower = name.to_ascii_lowercase();
        let sent = received.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if sent
            && hop.contains(&lower)
            && !regenerated.contains(&lower.as_str())
            && !leaked.iter().any(|l| l.eq_ignore_ascii_case(name))
        {
            leaked.push(name.clone());
        }
    }
    leaked
}

/// Whether an intermediary may change how a message is fragmented (RFC 6455 §5.4): only
/// when no extension was negotiated on the connection and the message's frames carry no
/// RSV bit (whose meaning an intermediary that knows no extension cannot know).
pub fn may_refragment(extensions_negotiated: bool, rsv_bits: u8) -> bool {
    !extensions_negotiated && rsv_bits == 0
}

/// One frame as a side of a relayed connection saw it, reduced to what an intermediary
/// must keep (the masking key is per hop and is left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayedFrame {
    /// Opcode.
    pub opcode: Opcode,
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as a 3-bit value.
    pub rsv: u8,
    /// Whether the frame arrived masked.
    pub masked: bool,
    /// Unmasked payload.
    pub payload: Vec<u8>,
}

/// A data message put together from its frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayedMessage {
    /// Text or Binary.
    pub opcode: Opcode,
    /// RSV bits of its first frame.
    pub rsv: u8,
    /// The payload of all its frames, in order.
    pub payload: Vec<u8>,
    /// How many frames carried it.
    pub frames: usize,
}

/// The data messages in a stream of frames, in order (control frames skipped; a
/// message whose last frame never came is left out).
pub fn messages(frames: &[RelayedFrame]) -> Vec<RelayedMessage> {
    let mut out = Vec::new();
    let mut current: Option<RelayedMessage> = None;
    for f in frames {
        if f.opcode.is_control() {
            continue;
        }
        match (&mut current, f.opcode) {
            (Some(m), Opcode::Continuation) => {
                m.payload.extend_from_slice(&f.payload);
                m.frames += 1;
            }
            _ => {
                current = Some(RelayedMessage {
                    opcode: f.opcode,
                    rsv: f.rsv,
                    payload: f.payload.clone(),
                    frames: 1,
                });
            }
        }
        if f.fin {
            out.extend(current.take());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn connection_options_are_hop_by_hop_rfc7230_6_1() {
        let got = hop_by_hop_fields(&h(&[
            ("Connection", "Upgrade, X-Hop"),
            ("connection", "close"),
        ]));
        assert!(got.contains(&"x-hop".to_string()));
        assert!(got.contains(&"close".to_string()));
        assert!(got.contains(&"keep-alive".to_string()));
        assert_eq!(got.iter().filter(|n| *n == "upgrade").count(), 1);
    }

    #[test]
    fn leaks_are_fields_named_by_the_sender_and_forwarded() {
        let sent = h(&[
            ("Connection", "Upgrade, Keep-Alive, X-Hop"),
            ("Keep-Alive", "timeout=30"),
            ("X-Hop", "1"),
            ("Upgrade", "websocket"),
            ("X-End", "1"),
        ]);
        let clean = h(&[
            ("Connection", "upgrade"),
            ("Upgrade", "websocket"),
            ("X-End", "1"),
        ]);
        assert!(leaked_hop_by_hop(&sent, &clean).is_empty());
        let blind = sent.clone();
        assert_eq!(
            leaked_hop_by_hop(&sent, &blind),
            vec!["Keep-Alive", "X-Hop"]
        );
        // A field the proxy adds on its own is not a leak of the sender's.
        let own = h(&[("Keep-Alive", "timeout=5")]);
        assert!(leaked_hop_by_hop(&h(&[("Connection", "Upgrade")]), &own).is_empty());
    }

    #[test]
    fn refragmenting_is_allowed_only_without_extensions_or_rsv_rfc6455_5_4() {
        assert!(may_refragment(false, 0));
        assert!(!may_refragment(true, 0));
        assert!(!may_refragment(false, 0b100));
    }

    #[test]
    fn messages_are_put_together_around_control_frames() {
        let f = |opcode, fin, payload: &[u8]| RelayedFrame {
            opcode,
            fin,
            rsv: 0,
            masked: false,
            payload: payload.to_vec(),
        };
        let frames = [
            f(Opcode::Text, false, b"ab"),
            f(Opcode::Ping, true, b"p"),
            f(Opcode::Continuation, true, b"cd"),
            f(Opcode::Binary, true, b"\x00"),
            f(Opcode::Text, false, b"never finished"),
        ];
        let got = messages(&frames);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].payload, b"abcd");
        assert_eq!(got[0].frames, 2);
        assert_eq!(got[1].opcode, Opcode::Binary);
    }
}
