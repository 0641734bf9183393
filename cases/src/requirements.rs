//! What each RFC clause the catalogue cites requires, in one sentence of our own, so
//! `wsconform list` can say why a case exists without sending the reader to the RFC.

use crate::model::RfcRef;

/// `(rfc, section, requirement)` for every clause a case cites.
const REQUIREMENTS: &[(u16, &str, &str)] = &[
    (6455, "3", "A WebSocket URI is ws:// or wss://, has a host, and carries no fragment."),
    (6455, "4.1", "A client fails the connection when the server's 101 response lacks the right Upgrade, Connection or Sec-WebSocket-Accept, or names an extension or subprotocol it did not offer."),
    (6455, "4.2.1", "A server checks the opening request: GET over HTTP/1.1, a Host, Upgrade: websocket, Connection: Upgrade, a 16-byte base64 key and version 13."),
    (6455, "4.2.2", "A server that accepts answers 101 with Sec-WebSocket-Accept derived from the key; one that refuses answers with an HTTP error instead."),
    (6455, "4.4", "A server that does not support the requested version answers 426 and lists the versions it does support."),
    (6455, "5.1", "Clients mask every frame they send; servers never mask theirs, and a peer fails the connection on a frame masked the wrong way."),
    (6455, "5.2", "Frames follow the base framing: RSV bits are zero unless an extension defines them, opcodes are known ones, lengths use the minimal encoding with the top bit of a 64-bit length clear."),
    (6455, "5.3", "The masking key is 32 bits, fresh and unpredictable for every frame, and masking is an XOR over the payload."),
    (6455, "5.4", "A message may be split into fragments: a first frame, continuations, the last with FIN; control frames may come between fragments but never be fragmented themselves."),
    (6455, "5.5", "Control frames carry at most 125 bytes of payload and are never fragmented."),
    (6455, "5.5.1", "A close frame may carry a two-byte code and a UTF-8 reason; the receiver answers with a close of its own and then the TCP connection ends."),
    (6455, "5.5.2", "A ping may carry application data; the receiver answers it with a pong as soon as it can."),
    (6455, "5.5.3", "A pong echoes the payload of the ping it answers; an unsolicited pong needs no answer."),
    (6455, "5.6", "Text messages hold valid UTF-8; binary messages hold any bytes."),
    (6455, "6.2", "A receiver delivers each complete message (reassembled from its fragments) to the application, here an echo."),
    (6455, "7.1.1", "The server closes the TCP connection first after the closing handshake; a client waits for that."),
    (6455, "7.1.7", "An endpoint that must fail the connection closes it, with a close frame first where it can."),
    (6455, "7.4.1", "Close codes have fixed meanings: 1000 normal, 1002 protocol error, 1007 invalid data, 1009 too big, and more."),
    (6455, "7.4.2", "Codes below 1000, 1004-1006, 1015 and unassigned ones in 1000-2999 must not be sent in a close frame."),
    (6455, "8.1", "A receiver fails the connection with 1007 on a text message that is not valid UTF-8, as soon as it sees the invalid byte."),
    (6455, "9.1", "Extensions are negotiated with Sec-WebSocket-Extensions, a list of tokens with parameters; a server accepts only what was offered."),
    (6455, "10.2", "A server may check the Origin header and refuse requests from origins it does not accept."),
    (6455, "10.4", "An implementation limits frame and message sizes and the resources one peer can use, and fails connections that exceed them."),
    (7230, "3.2", "Header fields are name, colon, optional whitespace, value; names are tokens."),
    (7230, "3.2.3", "Optional whitespace around header field values is ignored."),
    (7230, "5.4", "An HTTP/1.1 request carries exactly one Host header."),
    (7692, "5", "Extension negotiation follows the offer: the server picks one offer it supports, or declines them all."),
    (7692, "6", "permessage-deflate compresses each message's payload with DEFLATE and marks its first frame with RSV1."),
    (7692, "7", "A server declines a permessage-deflate offer it cannot accept (answers without the extension) rather than failing the handshake."),
    (7692, "7.1.1.1", "server_no_context_takeover: the server resets its compression context after every message."),
    (7692, "7.1.1.2", "client_no_context_takeover: the client resets its compression context after every message."),
    (7692, "7.1.2.1", "server_max_window_bits limits the LZ77 window the server compresses with (8 to 15)."),
    (7692, "7.1.2.2", "client_max_window_bits limits the LZ77 window the client compresses with; without a value it only says the client supports the parameter."),
    (7692, "7.2", "Compressed messages carry RSV1 on their first frame only, never on control frames or continuations."),
    (7692, "7.2.1", "To compress, DEFLATE the payload and drop the final empty stored block's four trailing bytes 00 00 ff ff."),
    (7692, "7.2.2", "To decompress, append 00 00 ff ff to the payload and INFLATE it."),
    (7692, "7.2.3.1", "A message compressed on its own decompresses on its own."),
    (7692, "7.2.3.2", "With context takeover, a message may refer back to earlier messages in the window."),
    (7692, "7.2.3.3", "A payload may use DEFLATE blocks with no compression."),
    (7692, "7.2.3.4", "A payload may end with an empty stored block after the final block and still be one message."),
    (7692, "7.2.3.5", "A message may be split into several DEFLATE blocks."),
];

/// The requirement of `clause` in one sentence, if the catalogue cites it.
pub fn requirement(clause: &RfcRef) -> Option<&'static str> {
    REQUIREMENTS
        .iter()
        .find(|(rfc, section, _)| *rfc == clause.rfc && *section == clause.section)
        .map(|(_, _, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cited_clause_has_a_requirement() {
        for case in crate::all_cases() {
            for clause in &case.rfc {
                assert!(requirement(clause).is_some(), "{}: {clause}", case.id);
            }
        }
    }
}
