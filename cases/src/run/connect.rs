//! The opening over HTTP/2 (RFC 8441): the transport sends an extended CONNECT
//! and hands the answer back; the frames after it are played as over HTTP/1.1.
//! Which cases only make sense over HTTP/1.1 is decided here, once.

use ws_spec::extended_connect::{self, ConnectRequest};

use super::*;
use crate::model::{RequestEdit, ResponseEdit};

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
    if let Some(r) = &case.response {
        return response_not_applicable(r);
    }
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

/// Header fields of an HTTP/1.1 101 that an HTTP/2 answer has no place for.
const HTTP1_RESPONSE_ONLY: [&str; 3] = ["upgrade", "connection", "sec-websocket-accept"];

/// Why a client-side case (its own response) cannot be played over HTTP/2: its
/// subject is the bytes of the 101 (status line, the upgrade fields, the accept
/// hash, how it is cut). Fields both answers carry (subprotocol,
/// extensions, extra fields) go on the 2xx as they are.
fn response_not_applicable(r: &crate::model::ResponseCase) -> Option<String> {
    // A message written behind the answer (`script_with_response`) carries over: over
    // HTTP/2 it follows the HEADERS in the stream's first DATA.
    if r.chop != Chop::Whole {
        return Some("the case cuts the HTTP/1.1 101 response into pieces".into());
    }
    for edit in &r.edits {
        match edit {
            ResponseEdit::Set(n, _)
                if !HTTP1_RESPONSE_ONLY
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(n)) => {}
            other => {
                return Some(format!(
                    "the case varies the HTTP/1.1 101 response ({other:?})"
                ))
            }
        }
    }
    None
}

/// The suite's answer to a client's extended CONNECT (server role, RFC 8441 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectAnswer {
    /// `:status`; `None` resets the stream with PROTOCOL_ERROR instead (a malformed
    /// request, RFC 9113 §8.1.1).
    pub status: Option<u16>,
    /// Header fields of the answer, names lower-case.
    pub headers: Vec<(String, String)>,
}

impl RunOutcome {
    /// The outcome of a case that was not played because it only makes sense over
    /// HTTP/1.1: INFORMATIONAL both ways, the reason saying so (never FAILED).
    pub fn not_applicable(why: &str) -> RunOutcome {
        let text = format!("Not applicable over HTTP/2: {why}.");
        RunOutcome::judged(Verdict {
            behavior: Behavior::Informational,
            behavior_close: CloseBehavior::Informational,
            result: text.clone(),
            result_close: text.clone(),
            reason: text,
        })
    }

    /// The outcome of a case judged on another layer than the WebSocket's (the
    /// HTTP/2 cases of section 20, a client-side case answered over HTTP/1.1): the
    /// verdict, with its reason, and nothing observed, logged or counted on a
    /// WebSocket.
    pub fn judged(verdict: Verdict) -> RunOutcome {
        RunOutcome {
            verdict,
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

    /// Server role: the client's extended CONNECT (RFC 8441 §4, §5), checked by the
    /// reference rules; the answer to send. A 2xx opens the WebSocket and the script
    /// starts (its first frames are outputs behind the answer); a refusal drops the
    /// connection, as a refused HTTP/1.1 request does.
    pub fn on_connect_request(&mut self, request: &ConnectRequest, now: Duration) -> ConnectAnswer {
        self.now = now;
        self.http_request = request.render();
        if self.state != State::Connecting {
            return ConnectAnswer {
                status: Some(400),
                headers: Vec::new(),
            };
        }
        if let Err(e) = extended_connect::validate_request(request) {
            let answer = ConnectAnswer {
                status: e.status(),
                headers: Vec::new(),
            };
            self.http_response = match answer.status {
                Some(s) => format!(":status: {s}\r\n"),
                None => "RST_STREAM PROTOCOL_ERROR\r\n".into(),
            };
            self.obs.was_not_clean_reason =
                Some(format!("the client's extended CONNECT was refused: {e}"));
            self.drop_connection();
            return answer;
        }
        let offers = request.header_all("sec-websocket-extensions");
        let accepted: Vec<_> = self.server_deflate(&offers).into_iter().collect();
        let mut headers = extended_connect::accept_headers(None, &accepted);
        let response = self.case.response.as_ref();
        for edit in response.map_or(&[][..], |r| &r.edits[..]) {
            if let ResponseEdit::Set(n, v) = edit {
                let n = n.to_ascii_lowercase();
                headers.retain(|(h, _)| *h != n);
                headers.push((n, v.to_string()));
            }
        }
        let mut text = ":status: 200\r\n".to_string();
        for (n, v) in &headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        self.http_response = text;
        self.state = State::Open;
        // As over HTTP/1.1: an answer the client must refuse opens nothing.
        self.obs.connection_was_open = !response.is_some_and(|r| r.expect == ResponseExpect::Fail);
        self.obs.measure.open_ms = Some(now.as_millis() as u64);
        self.timers.stop(Timer::OpenHandshake);
        self.advance_script();
        ConnectAnswer {
            status: Some(200),
            headers,
        }
    }
}
