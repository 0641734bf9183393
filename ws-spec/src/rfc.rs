//! References to the RFC clauses the rules come from, one type for ws-spec's
//! rules and the case catalogue alike.

/// Requirement level of an RFC clause (RFC 2119); it sets how a deviation is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// MUST / MUST NOT: a deviation is FAILED.
    Must,
    /// SHOULD / SHOULD NOT: a deviation is NON-STRICT.
    Should,
    /// MAY, or left open by the RFC: the outcome is INFORMATIONAL.
    May,
}

impl Level {
    /// The RFC 2119 keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// An RFC clause: which RFC, which section, how strong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RfcRef {
    /// Which RFC, e.g. 6455.
    pub rfc: u16,
    /// Section, e.g. "5.5.2".
    pub section: &'static str,
    /// Requirement level of the clause.
    pub level: Level,
}

impl RfcRef {
    /// A MUST clause of RFC 6455.
    pub const fn rfc6455_must(section: &'static str) -> RfcRef {
        RfcRef {
            rfc: 6455,
            section,
            level: Level::Must,
        }
    }

    /// A MUST clause of RFC 7692.
    pub const fn rfc7692_must(section: &'static str) -> RfcRef {
        RfcRef {
            rfc: 7692,
            section,
            level: Level::Must,
        }
    }

    /// The clause cited without its level: "RFC 6455 §5.1".
    pub fn cite(&self) -> String {
        format!("RFC {} §{}", self.rfc, self.section)
    }

    /// What the clause requires, in one sentence of our own words; `None`
    /// for a clause the table does not hold yet.
    pub fn requirement(&self) -> Option<&'static str> {
        REQUIREMENTS
            .iter()
            .find(|(rfc, section, _)| *rfc == self.rfc && *section == self.section)
            .map(|(_, _, sentence)| *sentence)
    }
}

impl std::fmt::Display for RfcRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RFC {} §{} ({})",
            self.rfc,
            self.section,
            self.level.keyword()
        )
    }
}

/// The requirement each cited clause states, in our words (the RFCs' own
/// prose stays in the RFCs): the sentence a report shows beside a verdict.
const REQUIREMENTS: &[(u16, &str, &str)] = &[
    (6455, "3", "A ws: or wss: URI names a host, a port and a resource, and carries no fragment."),
    (6455, "4.1", "A client sends a valid opening request, and fails the connection on any answer that is not a valid 101 response to it."),
    (6455, "4.2.1", "A server refuses an opening request unless it is a valid upgrade: GET over HTTP/1.1 or later, one Host, Upgrade naming websocket, Connection naming upgrade, a key of 16 bytes, version 13."),
    (6455, "4.2.2", "A server that accepts answers 101 with the accept hash of the client's key, choosing at most one offered subprotocol and only offered extensions."),
    (6455, "4.4", "A server that does not speak the requested version answers 426 and names the versions it does."),
    (6455, "5", "Data travels in frames laid out as the base framing protocol says."),
    (6455, "5.1", "A client masks every frame it sends and a server masks none; a frame masked the wrong way fails the connection."),
    (6455, "5.2", "RSV bits are 0 and the opcode is a defined one unless a negotiated extension says otherwise, and a 64-bit length has its top bit clear; anything else fails the connection."),
    (6455, "5.3", "Each frame from a client gets a fresh, unpredictable masking key, XORed over its payload."),
    (6455, "5.4", "A fragmented message is a text or binary frame followed by continuation frames, the last with FIN set; fragments of different messages never interleave, control frames may come between them; an intermediary changes a message's fragmentation only when no extension was negotiated and no RSV bit is set."),
    (6455, "5.5", "A control frame carries at most 125 payload bytes and is never fragmented."),
    (6455, "5.5.1", "A close body, if any, is a 2-byte status code then a UTF-8 reason; an endpoint answers a close with a close, then the TCP connection ends."),
    (6455, "5.5.2", "An endpoint answers a ping with a pong as soon as it can."),
    (6455, "5.5.3", "A pong carries the payload of the ping it answers; an unsolicited pong needs no answer, and a pong may answer only the latest of several pings."),
    (6455, "5.6", "The payload of a text message is UTF-8."),
    (6455, "6.2", "A receiver takes a message once all its frames have arrived, and fails the connection on data it cannot accept."),
    (6455, "7.1.1", "After the closing handshake the server closes TCP first; a client waits for it, within limits."),
    (6455, "7.1.7", "To fail the connection an endpoint sends a close frame when it can and closes TCP, reading nothing more."),
    (6455, "7.4", "Close status codes come from the ranges the RFC and its registry define; others are never sent."),
    (6455, "7.4.1", "The defined status codes say why a connection closed: 1002 a protocol error, 1007 data that does not fit its type, 1009 a message too big to process, and so on."),
    (6455, "7.4.2", "1005, 1006 and 1015, and undefined codes below 3000, never appear in a close frame."),
    (6455, "8.1", "Text is UTF-8; bytes that are not fail the connection, at the first byte that cannot continue valid UTF-8 if the receiver checks as they arrive."),
    (6455, "9.1", "Sec-WebSocket-Extensions is a comma-separated list of extension names, each with parameters, in the grammar given there."),
    (6455, "10.2", "A server may refuse connections from origins it does not serve."),
    (6455, "10.4", "An implementation limits frame and message sizes and the resources a peer may take; the limits are its own choice."),
    (7692, "5", "A client offers permessage-deflate in Sec-WebSocket-Extensions; a server accepts at most one offer and answers with the parameters agreed."),
    (7692, "6", "With permessage-deflate agreed, RSV1 marks the first frame of a compressed message and no other frame."),
    (7692, "6.2", "A compressed message is inflated once complete; data that does not inflate fails the connection."),
    (7692, "7", "Each permessage-deflate parameter appears at most once with a valid value; a server declines an offer it cannot take, and a client fails the connection on an answer that fits none of its offers."),
    (7692, "7.1.1.1", "With server_no_context_takeover agreed, the server compresses each message without reference to earlier ones."),
    (7692, "7.1.1.2", "With client_no_context_takeover agreed, the client compresses each message without reference to earlier ones."),
    (7692, "7.1.2.1", "server_max_window_bits limits how far back the server's compressed data may refer; the server's answer stays within the limit offered."),
    (7692, "7.1.2.2", "client_max_window_bits limits how far back the client's compressed data may refer; a server names it only if the client offered it."),
    (7692, "7.2", "A message is compressed by deflating its payload into blocks ending on a byte boundary."),
    (7692, "7.2.1", "A sender deflates the message, ends it with an empty block, and drops the final 00 00 ff ff."),
    (7692, "7.2.2", "A receiver appends 00 00 ff ff to the payload and inflates the result."),
    (7692, "7.2.3.1", "A message deflated into one compressed block inflates to exactly its text."),
    (7692, "7.2.3.2", "A message that refers back to the one before it (a shared sliding window) inflates to exactly its text."),
    (7692, "7.2.3.3", "A message sent as a DEFLATE block with no compression inflates to exactly its text."),
    (7692, "7.2.3.4", "A message whose block has BFINAL set, followed by the empty stored block the sender appends, inflates to exactly its text."),
    (7692, "7.2.3.5", "A message made of two DEFLATE blocks inflates to exactly its text."),
    (7692, "8.1", "An endpoint limits how large a compressed message may grow when inflated."),
    (8441, "3", "A server that takes WebSockets over HTTP/2 says so with SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; a client sends no extended CONNECT before it has seen that setting."),
    (8441, "4", "An extended CONNECT carries :protocol, :scheme, :path and :authority; a CONNECT without :protocol keeps its tunnel meaning, and a :protocol the server does not speak is refused."),
    (8441, "5", "A WebSocket over HTTP/2 opens with CONNECT and :protocol websocket, answered 2xx; Sec-WebSocket-Key and -Accept are not used, subprotocols, extensions and version keep their headers."),
    (8441, "5.1", "On an HTTP/2 stream, END_STREAM stands for TCP's FIN and RST_STREAM for its reset: closing a WebSocket ends its stream, not the connection."),
    (9113, "6.9", "A sender never sends more DATA than the receiver's stream and connection windows allow."),
    (9113, "8.1.1", "A malformed request (missing or misplaced pseudo-headers, forbidden fields) is a stream error: it ends that stream, not the connection."),
    (9113, "8.2.2", "Connection-specific header fields (Connection, Upgrade, Keep-Alive, Transfer-Encoding) make an HTTP/2 message malformed."),
    (7230, "3.2", "A header field is a name, a colon and a value, with no whitespace between the name and the colon."),
    (7230, "3.2.3", "Whitespace around a header field value is optional and not part of the value."),
    (7230, "5.4", "A request carries exactly one Host header with a valid value."),
    (7230, "6.1", "A proxy removes the Connection field, every field it names and the standard hop-by-hop fields before forwarding a message, and does not pass on what only describes the hop it came in on."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_clause_has_one_sentence() {
        for (i, (rfc, section, sentence)) in REQUIREMENTS.iter().enumerate() {
            assert!(sentence.ends_with('.'), "{rfc} {section}");
            assert!(
                !REQUIREMENTS[i + 1..]
                    .iter()
                    .any(|(r, s, _)| r == rfc && s == section),
                "RFC {rfc} §{section} twice"
            );
        }
        let masking = RfcRef::rfc6455_must("5.1");
        assert!(masking.requirement().is_some_and(|r| r.contains("masks")));
        assert_eq!(RfcRef::rfc6455_must("99.9").requirement(), None);
    }
}
