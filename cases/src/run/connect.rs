//! The opening over HTTP/2 (RFC 8441): the transport sends an extended CONNECT
//! and hands the answer back; the frames after it are played as over HTTP/1.1.
//! Which cases only make sense over HTTP/1.1 is decided here, once.

use ws_spec::extended_connect::{self, ConnectRequest};

use super::*;
use crate::model::RequestEdit;

/// How the run opens its WebSocket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Opening {
    /// The HTTP/1.1 upgrade (RFC 6455 §4): the run writes the request itself.
    #[default]
    Http1,
    /// An extended CONNECT on an HTTP/2 stream (RFC 8441 §4): the caller sends
    /// [`CaseRun::connect_request`] and reports the answer with
    /// [`CaseRun::on_connect_response`]. `scheme` is `:scheme` (`http`, `https`).
    ExtendedConnect {
        /// The `:scheme` pseudo-header.
        scheme: String,
    },
}

/// Why a case cannot be played over HTTP/2, or `None` when it can: its
/// subject is the bytes of the HTTP/1.1 request (request line, Host, Upgrade,
/// Connection, the key, how the request is cut or paced), which an extended
/// CONNECT does not have. Header edits of the fields both openings share
/// (version, subprotocols, extensions, Origin) carry over.
pub fn http2_not_applicable(case: &Case) -> Option<String> {
    let h = case.handshake.as_ref()?;
    if h.truncate_at.is_some() || h.chop != Chop::Whole {
        return Some("the case cuts or paces the bytes of an HTTP/1.1 request".into());
    }
    if h.script_with_request {
        return Some("the case sends frames inside the HTTP/1.1 request's write".into());
    }
    let http1_only = |name: &str| {
        ["host", "upgrade", "connection", "sec-websocket-key"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name.trim()))
    };
    for edit in &h.edits {
        let what = match edit {
            RequestEdit::Set(n, _) | RequestEdit::Add(n, _) | RequestEdit::Remove(n)
                if !http1_only(n) =>
            {
                continue
            }
            RequestEdit::Set(n, _) | RequestEdit::Add(n, _) | RequestEdit::Remove(n) => {
                format!("the {n} header of the HTTP/1.1 upgrade")
            }
            RequestEdit::Rename(..) => "the spelling of a header name".into(),
            RequestEdit::RawLine(_) => "a raw HTTP/1.1 header line".into(),
            RequestEdit::Method(_) => "the HTTP/1.1 request method".into(),
            RequestEdit::Version(_) => "the HTTP/1.1 version".into(),
            RequestEdit::Target(_) => "the HTTP/1.1 request target".into(),
            RequestEdit::Pad(_) => "the size of an HTTP/1.1 head".into(),
        };
        return Some(format!("the case varies {what}"));
    }
    None
}

impl RunOutcome {
    /// The outcome of a case that was not played because it only makes sense over
    /// HTTP/1.1: INFORMATIONAL both ways, the reason saying so (never FAILED).
    pub fn not_applicable(why: &str) -> RunOutcome {
        let text = format!("Not applicable over HTTP/2: {why}.");
        RunOutcome {
            verdict: Verdict {
                behavior: Behavior::Informational,
                behavior_close: CloseBehavior::Informational,
                result: text.clone(),
                result_close: text.clone(),
                reason: text,
            },
            observation: Observation::default(),
            wirelog: Vec::new(),
            wirelog_cut: None,
            http_request: String::new(),
            http_response: String::new(),
            tx_octet_stats: BTreeMap::new(),
            rx_octet_stats: BTreeMap::new(),
            tx_frame_stats: BTreeMap::new(),
            rx_frame_stats: BTreeMap::new(),
        }
    }
}

impl CaseRun<'_> {
    /// The extended CONNECT to send (with [`Opening::ExtendedConnect`]): the
    /// same offers, extras and header edits the HTTP/1.1 request would carry.
    pub fn connect_request(&self) -> ConnectRequest {
        let scheme = match &self.config.opening {
            Opening::ExtendedConnect { scheme } => scheme.as_str(),
            Opening::Http1 => "http",
        };
        let builder = opening::request_builder(self.case, &self.config, &self.key);
        ConnectRequest::from_http1(&builder, scheme)
    }

    /// The server's answer to the extended CONNECT: status and header fields
    /// (RFC 8441 §5). A 2xx opens the WebSocket; anything else fails it, as a
    /// wrong 101 would over HTTP/1.1.
    pub fn on_connect_response(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        now: Duration,
    ) {
        self.now = now;
        if self.state != State::Connecting {
            return;
        }
        let mut text = format!(":status: {status}\r\n");
        for (n, v) in headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        self.http_response = text;
        self.obs.handshake_status = Some(status);
        self.obs.handshake_headers = headers.to_vec();
        self.obs.handshake_ms = Some(now.as_millis() as u64);
        let (protocols, extensions) = opening::offered(&self.http_request);
        let checked = extended_connect::validate_response(status, headers, &protocols, &extensions);
        self.on_opening_answer(checked, &[]);
    }
}
