//! Section 20: WebSockets over HTTP/2 (RFC 8441), as data. These cases are about
//! the HTTP/2 layer of the opening and closing (the setting, the extended CONNECT
//! and its refusals, how streams end, flow control, independent streams); the
//! frames on an open stream are the rest of the catalogue's, played by
//! `run --http2`. The transport runs the probe a case names and fills an
//! [`H2Observation`]; [`judge`] grades it.

mod judge;
#[cfg(test)]
mod judge_client_tests;

pub use judge::{client_side_over_http1, judge, judge_client};

use crate::model::Case;

/// The section title.
pub const SECTION: &str = "WebSockets over HTTP/2 (RFC 8441)";

/// How a case alters the standard extended CONNECT (RFC 8441 §4, §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectEdit {
    /// Leave `:protocol` out: a plain CONNECT (with `:authority` only, as RFC 9113 §8.5 has it).
    NoProtocol,
    /// `:protocol` with this value instead of `websocket`.
    Protocol(&'static str),
    /// Leave `:path` out.
    NoPath,
    /// Leave `:scheme` out.
    NoScheme,
    /// Add this header field.
    Add(&'static str, &'static str),
    /// Set sec-websocket-version to this value.
    Version(&'static str),
}

/// What a case does and the rule that decides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum H2Check {
    /// The server's SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3).
    AdvertisesSetting,
    /// A standard extended CONNECT offering these subprotocols and permessage-deflate
    /// is answered 2xx, choosing only what was offered (RFC 8441 §5).
    Accepts {
        /// Subprotocols offered.
        subprotocols: &'static [&'static str],
    },
    /// The extended CONNECT goes out right behind the connection preface, before the
    /// server's SETTINGS have arrived; the server, having advertised the setting in
    /// its own preface, takes it as any other.
    BeforeSettings,
    /// A CONNECT altered by the edit is refused: a status outside 2xx, or a reset of
    /// the stream (or of the connection, which case 20.3.4 judges).
    Refuses(ConnectEdit),
    /// The suite sends its close frame and END_STREAM; the server answers the close
    /// and ends its side of the stream with END_STREAM (RFC 8441 §5.1: END_STREAM
    /// stands for TCP's FIN).
    EndStreamAfterClose,
    /// The suite resets a stream (RST_STREAM CANCEL) in the middle of a fragmented
    /// message; a WebSocket on a new stream of the same connection still echoes.
    ResetMidMessage,
    /// The suite sends a 1 MiB message and reads nothing for a while, so the server's
    /// echo meets the suite's stream window; then it reads, and the whole echo arrives
    /// with no flow-control error (RFC 9113 §5.2, §6.9).
    FlowControl {
        /// Bytes of the message.
        size: usize,
    },
    /// A WebSocket is open on one stream when bad CONNECTs arrive on others (one
    /// malformed, one for another protocol); each is refused alone, the open WebSocket
    /// still echoes and a new one still opens (RFC 9113 §8.1.1: a malformed request is
    /// a stream error).
    StreamsIndependent,
    /// Client side (`serve --http2` plays it): the server refuses the extended CONNECT
    /// (403) with a body that is an unmasked text frame; the client sends no frame on
    /// the stream (RFC 8441 §5 with RFC 6455 §4.1: only a 2xx opens a WebSocket).
    RefusalUnused,
    /// Client side: the server sends the first fragment of a text message, then
    /// RST_STREAM (CANCEL); the client's HTTP/2 connection stays up and carries its
    /// next request (RFC 8441 §5.1: a reset ends that WebSocket only).
    ResetByServer,
    /// Client side, judged with `serve --http2 --http2-without-setting`: the server's
    /// SETTINGS leave SETTINGS_ENABLE_CONNECT_PROTOCOL out, so the client must not
    /// send an extended CONNECT (RFC 8441 §3); it opens its WebSocket over HTTP/1.1.
    SettingHonoured,
}

impl H2Check {
    /// The check is about the client (`serve --http2` plays it); `run` cannot.
    pub fn client_side(&self) -> bool {
        matches!(
            self,
            H2Check::RefusalUnused | H2Check::ResetByServer | H2Check::SettingHonoured
        )
    }
}

/// The body of 20.4.1's refusal: an unmasked text frame, so a client that takes the
/// refused stream as a WebSocket reads a message and, echoing it, shows it did.
pub fn refusal_body() -> Vec<u8> {
    ws_spec::frame::Frame::text("refused: not a WebSocket").encode()
}

/// The first fragment (FIN clear) of the text message 20.4.2 resets in its middle.
pub fn reset_fragment() -> Vec<u8> {
    let mut frame = ws_spec::frame::Frame::text("the first half of a message ");
    frame.header.fin = false;
    frame.encode()
}

/// What the connection of a client-side case did after the server reset its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterReset {
    /// A new stream (this id) came on the same connection.
    NextStream(u32),
    /// The connection ended, and how.
    ConnectionEnded(String),
    /// Neither within the wait: the connection was still open.
    StillOpen,
}

/// What `serve --http2` saw a client do in a client-side case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientObservation {
    /// The answer could not be sent, and why.
    pub failure: Option<String>,
    /// Bytes the client sent on the stream after the server's answer.
    pub sent: usize,
    /// How the client's side of the stream ended.
    pub end: Option<StreamEnd>,
    /// What the connection did after the reset (20.4.2).
    pub after_reset: Option<AfterReset>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 went out in the server's SETTINGS before
    /// the client's extended CONNECT (20.4.3).
    pub advertised: bool,
}

/// A section-20 case: its catalogue entry (id, texts, clauses; no script) and check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2Case {
    /// The catalogue entry, for selection and the report.
    pub case: Case,
    /// What the transport does, and the rule.
    pub check: H2Check,
}

/// The answer to an extended CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum H2Answer {
    /// A response: `:status` and the header fields.
    Status {
        /// `:status`.
        status: u16,
        /// Header fields, names lower-case.
        headers: Vec<(String, String)>,
    },
    /// The stream was reset (RST_STREAM) before a response; the error code.
    Reset(String),
    /// The connection ended (GOAWAY, or closed) before a response.
    ConnectionClosed(String),
    /// Nothing within the case's time.
    Nothing,
}

impl H2Answer {
    /// The answer in a few words, as a verdict's reason says it.
    pub fn describe(&self) -> String {
        match self {
            H2Answer::Status { status, .. } => format!("status {status}"),
            H2Answer::Reset(code) => format!("RST_STREAM {code}"),
            H2Answer::ConnectionClosed(why) => format!("the end of the connection ({why})"),
            H2Answer::Nothing => "no answer".into(),
        }
    }
}

/// How the server's side of a stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// END_STREAM.
    EndStream,
    /// RST_STREAM with this error code.
    Reset(String),
    /// The connection ended.
    ConnectionClosed(String),
    /// Still open when the case stopped waiting.
    StillOpen,
}

/// What the transport saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct H2Observation {
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL was 1 in the server's SETTINGS (`None`: no
    /// SETTINGS seen at all).
    pub setting: Option<bool>,
    /// The connection could not be used at all, and why.
    pub failure: Option<String>,
    /// The answer to the case's extended CONNECT.
    pub answer: Option<H2Answer>,
    /// A close frame came back on the stream (`EndStreamAfterClose`).
    pub close_frame: bool,
    /// How the server ended its side of the stream (`EndStreamAfterClose`).
    pub end: Option<StreamEnd>,
    /// The echo the case checks last: `Ok` with what it proved, or what went wrong.
    pub echo: Option<Result<String, String>>,
}

/// Applies `edit` to the standard request.
pub fn edit_request(
    mut request: ws_spec::extended_connect::ConnectRequest,
    edit: &ConnectEdit,
) -> ws_spec::extended_connect::ConnectRequest {
    match edit {
        ConnectEdit::NoProtocol => {
            request.protocol = None;
            request.scheme = None;
            request.path = None;
        }
        ConnectEdit::Protocol(p) => request.protocol = Some(p.to_string()),
        ConnectEdit::NoPath => request.path = None,
        ConnectEdit::NoScheme => request.scheme = None,
        ConnectEdit::Add(n, v) => request.headers.push((n.to_string(), v.to_string())),
        ConnectEdit::Version(v) => {
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("sec-websocket-version"));
            request
                .headers
                .push(("sec-websocket-version".into(), v.to_string()));
        }
    }
    request
}
