//! Every error ws-spec reports, in one place: each module's precise error
//! (re-exported by that module) and [`Error`], which wraps them all for
//! callers that handle them together.

use crate::close::codes;

/// Any error ws-spec reports; each variant wraps a module's precise error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Frame decoding failed.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Text was not valid UTF-8.
    #[error(transparent)]
    Utf8(#[from] Utf8Error),
    /// A close payload was unacceptable.
    #[error(transparent)]
    Close(#[from] CloseError),
    /// A permessage-deflate negotiation or (de)compression failed.
    #[error(transparent)]
    Deflate(#[from] DeflateError),
    /// An opening handshake was invalid.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A client gave up on the server's answer to its opening request.
    #[error(transparent)]
    ClientHandshake(#[from] ClientHandshakeError),
}

/// Why the byte stream cannot be decoded into frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameErrorKind {
    /// RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
    #[error("64-bit payload length has its most significant bit set (RFC 6455 §5.2)")]
    LengthTopBitSet,
    /// The header announces more than [`crate::frame::DecoderConfig::max_frame_payload`].
    #[error("frame payload of {len} bytes exceeds the limit of {max} bytes")]
    PayloadTooLarge {
        /// Announced length.
        len: u64,
        /// Configured limit.
        max: u64,
    },
    /// The stream ended inside a frame (see [`crate::frame::FrameDecoder::finish`]).
    #[error("stream ends inside a frame")]
    Truncated,
}

/// Error with the rule broken and the byte offset in the stream where it was detected.
///
/// Offsets: for `LengthTopBitSet` the first byte of the 64-bit length; for
/// `PayloadTooLarge` the first byte of the length field that carries the
/// length (the second header byte for 7-bit lengths); for `Truncated` the
/// end of the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct FrameError {
    /// The rule broken.
    pub kind: FrameErrorKind,
    /// Byte offset in the stream.
    pub offset: u64,
}

/// Error of [`crate::utf8::Utf8Validator`]; offsets count from the first byte fed since
/// [`crate::utf8::Utf8Validator::new`] or [`crate::utf8::Utf8Validator::reset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Utf8Error {
    /// The byte at `offset` cannot occur at this point of any valid UTF-8
    /// text (bad lead byte, bad continuation, overlong form, surrogate,
    /// code point above U+10FFFF).
    #[error("invalid UTF-8 at byte {offset}")]
    Invalid {
        /// Index of the first byte after which no valid continuation exists.
        offset: u64,
    },
    /// The text ended inside a multi-byte sequence.
    #[error("message ends inside a UTF-8 sequence at byte {offset}")]
    Incomplete {
        /// Index of the lead byte of the unfinished sequence (what
        /// `std::str::Utf8Error::valid_up_to` reports).
        offset: u64,
    },
}

impl Utf8Error {
    /// The byte offset carried by either variant.
    pub fn offset(&self) -> u64 {
        match *self {
            Utf8Error::Invalid { offset } | Utf8Error::Incomplete { offset } => offset,
        }
    }
}

/// Why a close payload is unacceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    /// RFC 6455 §5.5.1: a body, if present, starts with a 2-byte code; one byte cannot be.
    #[error("close payload of 1 byte: a body must hold at least a 2-byte status code")]
    OneByteBody,
    /// RFC 6455 §7.4: the code may not be sent in a close frame.
    #[error("close code {0} is not allowed on the wire")]
    InvalidCode(u16),
    /// RFC 6455 §5.5.1: the reason is not valid UTF-8.
    #[error("close reason is not valid UTF-8 (byte {offset} of the reason)")]
    InvalidReasonUtf8 {
        /// Index within the reason (the payload after the 2-byte code) of the
        /// first byte that made it invalid, or of the unfinished sequence.
        offset: u64,
    },
    /// RFC 6455 §5.5: control frame payloads are at most 125 bytes.
    #[error("close payload of {0} bytes exceeds the 125-byte control frame limit")]
    TooLong(usize),
}

impl CloseError {
    /// The code a conforming endpoint fails the connection with:
    /// 1007 for an invalid reason (§7.4.1), 1002 for everything else.
    pub fn close_code(&self) -> u16 {
        match self {
            CloseError::InvalidReasonUtf8 { .. } => codes::INVALID_PAYLOAD,
            CloseError::OneByteBody | CloseError::InvalidCode(_) | CloseError::TooLong(_) => {
                codes::PROTOCOL_ERROR
            }
        }
    }
}

/// Why a negotiation or a (de)compression failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeflateError {
    /// The extension is not `permessage-deflate`.
    #[error("extension {name:?} is not permessage-deflate")]
    NotPermessageDeflate {
        /// The name found.
        name: String,
    },
    /// RFC 7692 §7: a parameter not defined for permessage-deflate.
    #[error("unknown permessage-deflate parameter {name:?} (RFC 7692 §7)")]
    UnknownParameter {
        /// The parameter name.
        name: String,
    },
    /// RFC 7692 §7: the same parameter twice in one offer or response.
    #[error("parameter {name} appears more than once (RFC 7692 §7)")]
    DuplicateParameter {
        /// The parameter name.
        name: String,
    },
    /// RFC 7692 §7.1.1: `*_no_context_takeover` has no value.
    #[error("parameter {name} takes no value, got {value:?} (RFC 7692 §7.1.1)")]
    UnexpectedValue {
        /// The parameter name.
        name: String,
        /// The value found.
        value: String,
    },
    /// RFC 7692 §7.1.2: `server_max_window_bits` (anywhere) and
    /// `client_max_window_bits` (in a response) need a value.
    #[error("parameter {name} needs a value (RFC 7692 §7.1.2)")]
    MissingValue {
        /// The parameter name.
        name: String,
    },
    /// RFC 7692 §7.1.2: window bits must be a decimal integer without leading
    /// zeroes from 8 to 15.
    #[error("parameter {name}={value:?} is not a window size 8..=15 (RFC 7692 §7.1.2)")]
    BadWindowBits {
        /// The parameter name.
        name: String,
        /// The value found.
        value: String,
    },
    /// A client offered nothing, so no response can be valid.
    #[error("permessage-deflate was not offered")]
    NothingOffered,
    /// RFC 7692 §7.1.1.1: the offer asked for `server_no_context_takeover` and
    /// the response accepting it lacks the parameter.
    #[error("offer asked for server_no_context_takeover, response lacks it (RFC 7692 §7.1.1.1)")]
    ServerNoContextTakeoverMissing,
    /// RFC 7692 §7.1.2.1: the offer limited the server's window and the
    /// response lacks `server_max_window_bits`.
    #[error(
        "offer asked for server_max_window_bits={offered}, response lacks it (RFC 7692 §7.1.2.1)"
    )]
    ServerMaxWindowBitsMissing {
        /// The limit the client offered.
        offered: u8,
    },
    /// RFC 7692 §7.1.2.1: the response's `server_max_window_bits` exceeds the
    /// offered limit.
    #[error(
        "response server_max_window_bits={got} above the offered {offered} (RFC 7692 §7.1.2.1)"
    )]
    ServerMaxWindowBitsTooLarge {
        /// The limit the client offered.
        offered: u8,
        /// The value the server answered.
        got: u8,
    },
    /// RFC 7692 §7.1.2.2: the response has `client_max_window_bits` but the
    /// offer it accepts did not include the parameter.
    #[error("response has client_max_window_bits={got} that was not offered (RFC 7692 §7.1.2.2)")]
    ClientMaxWindowBitsNotOffered {
        /// The value the server answered.
        got: u8,
    },
    /// The response is a valid acceptance of none of several offers; one
    /// error per offer, in offer order.
    #[error("response accepts none of the {} offers (first: {})", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    NoOfferMatches(Vec<DeflateError>),
    /// A [`crate::deflate::ServerPolicy`] that cannot be put on the wire.
    #[error("invalid server policy: {what}")]
    BadPolicy {
        /// What is wrong with it.
        what: String,
    },
    /// The compressed payload is not valid DEFLATE data (including a
    /// back-reference beyond the decoder's window or history).
    #[error("invalid DEFLATE data: {message}")]
    Inflate {
        /// The inflater's message.
        message: String,
    },
    /// A decompressed message would exceed the decompressor's limit.
    #[error("decompressed message exceeds {limit} bytes")]
    TooLarge {
        /// The limit that was hit.
        limit: usize,
    },
    /// RFC 7692 §7.1.2: the peer referenced data further back than the
    /// window it may use (found by [`crate::deflate::Decompressor::with_window_check`]).
    #[error("back-reference {distance} bytes back exceeds the {window_bits}-bit window (RFC 7692 §7.1.2)")]
    WindowExceeded {
        /// The longest distance found in the message.
        distance: usize,
        /// The negotiated window bits.
        window_bits: u8,
    },
    /// Bytes follow a DEFLATE block with BFINAL set in the same message,
    /// beyond what is left of the empty stored block a sender appends after
    /// it (RFC 7692 §7.2.1 step 2, §7.2.3.4).
    #[error("{extra} bytes after the final DEFLATE block of the message")]
    DataAfterFinalBlock {
        /// How many bytes were left over.
        extra: usize,
    },
}

/// Everything that can be wrong with an opening handshake, on either side.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The HTTP head breaks RFC 9112 syntax at byte `offset` of the buffer.
    #[error("malformed HTTP head at byte {offset}: {what}")]
    Malformed {
        /// Offset of the offending byte from the start of the parsed buffer.
        offset: usize,
        /// What is wrong there.
        what: String,
    },
    /// No empty line ended the head within the limit (the limit is carried).
    #[error("HTTP head does not end within {0} bytes")]
    HeadTooLarge(usize),
    /// The request method is not GET (RFC 6455 §4.1, §4.2.1 item 1).
    #[error("method is {0:?}; the opening handshake must be a GET (RFC 6455 §4.2.1)")]
    NotGet(String),
    /// The HTTP version is below 1.1 or not of the form `HTTP/x.y` (RFC 6455 §4.1).
    #[error("HTTP version {0:?}; the opening handshake needs HTTP/1.1 or higher (RFC 6455 §4.1)")]
    HttpVersion(String),
    /// A required header is absent.
    #[error("missing {0} header (RFC 6455 §4)")]
    MissingHeader(&'static str),
    /// A header that may appear only once appears several times (RFC 6455 §11.3,
    /// RFC 9112 §3.2 for Host).
    #[error("{0} header appears more than once")]
    DuplicateHeader(&'static str),
    /// The Host header value is not `host[:port]` (RFC 9112 §3.2, RFC 6455 §4.1 item 4).
    #[error("invalid Host header {0:?}")]
    BadHost(String),
    /// The Upgrade header does not name websocket (RFC 6455 §4.1, §4.2.1 item 3).
    #[error("Upgrade header {0:?} does not name websocket (RFC 6455 §4.2.1, §4.1)")]
    UpgradeNotWebsocket(String),
    /// The Connection header has no `upgrade` token (RFC 6455 §4.1, §4.2.1 item 4).
    #[error("Connection header {0:?} has no upgrade token (RFC 6455 §4.2.1, §4.1)")]
    ConnectionNoUpgrade(String),
    /// Sec-WebSocket-Key does not base64-decode to 16 bytes (RFC 6455 §4.2.1 item 5).
    #[error("Sec-WebSocket-Key {0:?} is not the base64 of 16 bytes (RFC 6455 §4.2.1)")]
    BadKey(String),
    /// Sec-WebSocket-Version is not 13 (RFC 6455 §4.2.1 item 6, §4.4): answered with 426.
    #[error("Sec-WebSocket-Version {0:?} is not supported; only 13 is (RFC 6455 §4.4)")]
    UnsupportedVersion(String),
    /// Sec-WebSocket-Protocol is not a list of distinct tokens (RFC 6455 §4.1 item 10).
    #[error("invalid Sec-WebSocket-Protocol {0:?}: it must be distinct tokens (RFC 6455 §4.1)")]
    BadSubprotocolList(String),
    /// Sec-WebSocket-Extensions breaks the grammar of RFC 6455 §9.1.
    #[error("invalid Sec-WebSocket-Extensions {value:?} at byte {offset}: {what} (RFC 6455 §9.1)")]
    BadExtensionSyntax {
        /// The header value in which the error was found.
        value: String,
        /// Offset of the error inside `value`.
        offset: usize,
        /// What is wrong there.
        what: String,
    },
    /// The server answered with a status other than 101 (RFC 6455 §4.1).
    #[error("status {0} instead of 101 Switching Protocols (RFC 6455 §4.1)")]
    Status(u16),
    /// Sec-WebSocket-Accept is not the hash of the key that was sent (RFC 6455 §4.1).
    #[error("Sec-WebSocket-Accept is {got:?}, expected {expected:?} (RFC 6455 §4.1)")]
    WrongAccept {
        /// The value computed from the key that was sent.
        expected: String,
        /// The value received.
        got: String,
    },
    /// The server chose a subprotocol the client did not offer (RFC 6455 §4.1).
    #[error("server chose subprotocol {0:?}, which was not offered (RFC 6455 §4.1)")]
    UnofferedSubprotocol(String),
    /// The server named more than one subprotocol (RFC 6455 §4.2.2, §11.3.4).
    #[error(
        "server named several subprotocols {0:?}; at most one may be chosen (RFC 6455 §4.2.2)"
    )]
    MultipleSubprotocols(String),
    /// The server accepted an extension the client did not offer (RFC 6455 §4.1).
    #[error("server accepted extension {0:?}, which was not offered (RFC 6455 §4.1)")]
    UnofferedExtension(String),
    /// The server answered an extended CONNECT with a status outside 2xx (RFC 8441 §5).
    #[error("status {0} to an extended CONNECT; a server accepts with 2xx (RFC 8441 §5)")]
    ConnectStatus(u16),
}

impl HandshakeError {
    /// The HTTP status a server refuses the handshake with for this error.
    ///
    /// 405 for a method other than GET, 426 for an unsupported WebSocket version
    /// (RFC 6455 §4.4), 431 for an oversized head, 400 for everything else. Errors only a
    /// client detects (status, accept, chosen subprotocol or extension) also map to
    /// 400; they never arise on the server path.
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::NotGet(_) => 405,
            HandshakeError::UnsupportedVersion(_) => 426,
            HandshakeError::HeadTooLarge(_) => 431,
            _ => 400,
        }
    }
}

/// Why a [`crate::connection::ClientConnection`] gave up on the opening
/// handshake (RFC 6455 §4.1: the client fails the connection).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientHandshakeError {
    /// The response is not a valid acceptance of the request.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// The permessage-deflate response answers none of the offers.
    #[error(transparent)]
    Deflate(#[from] DeflateError),
}

/// Why a server must not take an extended CONNECT as a WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// `:protocol` is absent: a plain CONNECT, a tunnel request (RFC 8441 §4).
    #[error("no :protocol: a plain CONNECT asks for a TCP tunnel, not a WebSocket (RFC 8441 §4)")]
    MissingProtocol,
    /// `:protocol` names something other than websocket (RFC 8441 §4, §9.1).
    #[error(":protocol is {0:?}, not websocket (RFC 8441 §4)")]
    WrongProtocol(String),
    /// `:method` is not CONNECT, yet `:protocol` is there (RFC 8441 §4).
    #[error(":method is {0:?}; :protocol goes only with CONNECT (RFC 8441 §4)")]
    NotConnect(String),
    /// A pseudo-header an extended CONNECT needs is absent (RFC 8441 §4: `:scheme`
    /// and `:path` MUST be included), which makes the request malformed.
    #[error("no {0}: an extended CONNECT carries :scheme, :authority and :path (RFC 8441 §4)")]
    MissingPseudo(&'static str),
    /// A connection-specific header field (RFC 9113 §8.2.2) makes the request malformed.
    #[error("connection-specific header {0:?} in an HTTP/2 request (RFC 9113 §8.2.2)")]
    ConnectionSpecific(String),
    /// Sec-WebSocket-Key belongs to the HTTP/1.1 upgrade, which the extended CONNECT
    /// replaces (RFC 8441 §5).
    #[error(
        "Sec-WebSocket-Key in an extended CONNECT; that handshake is HTTP/1.1's (RFC 8441 §5)"
    )]
    HandshakeKey,
    /// Sec-WebSocket-Version is absent or not 13 (RFC 6455 §4.2.1 item 6, kept by RFC 8441 §5).
    #[error("Sec-WebSocket-Version is {0:?}, not 13 (RFC 6455 §4.4, RFC 8441 §5)")]
    Version(String),
}

impl ConnectError {
    /// How a server refuses: the status of a response (`Some`), or `None` for a
    /// malformed request, which HTTP/2 answers with a stream error of type
    /// PROTOCOL_ERROR (RFC 9113 §8.1.1; a response before it is allowed).
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::MissingProtocol => Some(405),
            ConnectError::WrongProtocol(_) => Some(501),
            ConnectError::NotConnect(_)
            | ConnectError::MissingPseudo(_)
            | ConnectError::ConnectionSpecific(_) => None,
            ConnectError::HandshakeKey => Some(400),
            ConnectError::Version(_) => Some(426),
        }
    }
}
