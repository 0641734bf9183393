//! The opening handshake of RFC 6455 §4, sans IO.
//!
//! Three parts:
//! - [`RequestBuilder`] writes a client request with a knob for every header, so a
//!   handshake case is data (omit, duplicate, misspell, reorder, fold, add junk).
//! - [`parse_request`] / [`parse_response`] read an HTTP/1.1 head incrementally and
//!   report the first syntax error with its byte offset.
//! - [`validate_request`] / [`server_respond`] (server side, RFC 6455 §4.2) and
//!   [`validate_response`] (client side, RFC 6455 §4.1) apply the WebSocket rules.
//!
//! Decisions on HTTP syntax (RFC 9112, which obsoletes RFC 7230):
//! - Line endings: CRLF is required by default. A bare LF or a bare CR is reported as
//!   [`HandshakeError::Malformed`]: RFC 9112 §2.2 only says a recipient MAY accept a
//!   bare LF, and a conformance reference must be able to tell a peer that it sent
//!   one. [`ParseOptions::allow_bare_lf`] opts into the lenient reading.
//! - Obsolete line folding (a line starting with SP or HTAB) is accepted: the fold
//!   and the whitespace around it become one SP, as RFC 9112 §5.2 allows a server
//!   and requires of a user agent. A fold before the first header field is rejected
//!   (RFC 9112 §2.2).
//! - Empty lines before a request line are skipped (RFC 9112 §2.2 SHOULD); they are
//!   an error before a status line.
//! - Whitespace between a field name and its colon is rejected (RFC 9112 §5.1 MUST).
//! - A status line with no SP after the status code (`HTTP/1.1 101`) is tolerated:
//!   the reason phrase carries no meaning (RFC 9112 §4).
//! - Field values are decoded as UTF-8 when they are valid UTF-8, otherwise byte by
//!   byte as ISO-8859-1, so no byte is lost.
//! - Parsing is line by line, each line checked when its terminator arrives, so
//!   feeding the bytes in any chunks gives the same result as feeding them whole.

pub use crate::error::HandshakeError;
use crate::rng::SplitMix64;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

pub use crate::extension::{format_extensions, parse_extensions, ExtensionOffer};

/// The GUID that RFC 6455 §1.3 appends to the client key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §1.3, §4.2.2):
/// base64 of the SHA-1 of the key followed by [`GUID`].
pub fn accept_key(key: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(key.as_bytes());
    hasher.update(GUID.as_bytes());
    STANDARD.encode(hasher.finalize())
}

/// A deterministic `Sec-WebSocket-Key`: 16 bytes derived from `seed`, base64-encoded.
///
/// RFC 6455 §4.1 asks for a randomly selected nonce; ws-spec reads no entropy source,
/// so the caller brings the randomness as a seed and the same seed replays a case.
pub fn random_key(seed: u64) -> String {
    let mut rng = SplitMix64::new(seed);
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------
// Request builder
// ---------------------------------------------------------------------------

/// A client opening request with a knob for every header, so handshake cases are data.
///
/// A header whose name is empty is a raw line written verbatim (see
/// [`RequestBuilder::raw_header_line`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestBuilder {
    /// Request method, `GET` for a valid handshake.
    pub method: String,
    /// Request target (path and query).
    pub target: String,
    /// HTTP version, `HTTP/1.1` by default.
    pub version: String,
    /// Header fields in wire order, names in their exact case.
    pub headers: Vec<(String, String)>,
    /// Line terminator for every line, `\r\n` by default.
    pub line_ending: String,
}

impl RequestBuilder {
    /// The standard request: `GET target HTTP/1.1`, Host, `Upgrade: websocket`,
    /// `Connection: Upgrade`, Sec-WebSocket-Key, `Sec-WebSocket-Version: 13`.
    pub fn new(host: &str, target: &str, key: &str) -> Self {
        RequestBuilder {
            method: "GET".to_string(),
            target: target.to_string(),
            version: "HTTP/1.1".to_string(),
            headers: vec![
                ("Host".to_string(), host.to_string()),
                ("Upgrade".to_string(), "websocket".to_string()),
                ("Connection".to_string(), "Upgrade".to_string()),
                ("Sec-WebSocket-Key".to_string(), key.to_string()),
                ("Sec-WebSocket-Version".to_string(), "13".to_string()),
            ],
            line_ending: "\r\n".to_string(),
        }
    }

    /// Replaces the method.
    pub fn method(mut self, m: &str) -> Self {
        self.method = m.to_string();
        self
    }

    /// Replaces the request target.
    pub fn target(mut self, t: &str) -> Self {
        self.target = t.to_string();
        self
    }

    /// Replaces the HTTP version string.
    pub fn http_version(mut self, v: &str) -> Self {
        self.version = v.to_string();
        self
    }

    /// Replaces the line terminator (for bare-LF or other broken line endings).
    pub fn line_ending(mut self, le: &str) -> Self {
        self.line_ending = le.to_string();
        self
    }

    /// Offers permessage-deflate with `offers`, most preferred first, in one
    /// `Sec-WebSocket-Extensions` header (RFC 7692 §5); no offers, no header.
    pub fn deflate_offers(self, offers: &[crate::deflate::DeflateOffer]) -> Self {
        if offers.is_empty() {
            return self;
        }
        let offers: Vec<ExtensionOffer> = offers
            .iter()
            .map(crate::deflate::DeflateOffer::to_extension)
            .collect();
        self.set("Sec-WebSocket-Extensions", &format_extensions(&offers))
    }

    /// Replaces every header named `name` (ASCII case-insensitive) by one `name: value`
    /// at the position of the first, or appends it when there is none.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        set_header(&mut self.headers, name, value);
        self
    }

    /// Appends `name: value`, even when the name is already present.
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Removes every header named `name` (ASCII case-insensitive).
    pub fn remove(mut self, name: &str) -> Self {
        remove_header(&mut self.headers, name);
        self
    }

    /// Renames every header named `name` (ASCII case-insensitive) to `new_name`,
    /// keeping values and positions: changes case or misspells a name.
    pub fn rename(mut self, name: &str, new_name: &str) -> Self {
        rename_header(&mut self.headers, name, new_name);
        self
    }

    /// Appends `line` verbatim as a header line (folded continuations, junk).
    pub fn raw_header_line(mut self, line: &str) -> Self {
        self.headers.push((String::new(), line.to_string()));
        self
    }

    /// Moves the headers named in `order` to the front, in that order; the others
    /// follow in their previous order.
    pub fn reorder(mut self, order: &[&str]) -> Self {
        let mut rest = std::mem::take(&mut self.headers);
        let mut front = Vec::with_capacity(rest.len());
        for name in order {
            let (taken, kept): (Vec<_>, Vec<_>) = rest
                .into_iter()
                .partition(|(n, _)| !n.is_empty() && header_name_eq(n, name));
            front.extend(taken);
            rest = kept;
        }
        front.extend(rest);
        self.headers = front;
        self
    }

    /// The request head as bytes, ending with the empty line.
    pub fn encode(&self) -> Vec<u8> {
        let le = &self.line_ending;
        let mut out = format!("{} {} {}{le}", self.method, self.target, self.version);
        for (name, value) in &self.headers {
            if name.is_empty() {
                out.push_str(value);
            } else {
                out.push_str(name);
                out.push_str(": ");
                out.push_str(value);
            }
            out.push_str(le);
        }
        out.push_str(le);
        out.into_bytes()
    }
}

// The edits of a header list, written once for the request a client case sends
// ([`RequestBuilder`]) and the response a client-side case answers with. A field
// with an empty name is a raw line: no name matches it.

/// Replaces every field named `name` (ASCII case-insensitive) in `headers` by one
/// `name: value` at the position of the first, or appends it when there is none.
pub fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    let first = headers
        .iter()
        .position(|(n, _)| !n.is_empty() && header_name_eq(n, name));
    match first {
        Some(first) => {
            headers[first] = (name.to_string(), value.to_string());
            let mut index = 0;
            headers.retain(|(n, _)| {
                let keep = index == first || !header_name_eq(n, name);
                index += 1;
                keep
            });
        }
        None => headers.push((name.to_string(), value.to_string())),
    }
}

/// Removes every field named `name` (ASCII case-insensitive) from `headers`.
pub fn remove_header(headers: &mut Vec<(String, String)>, name: &str) {
    headers.retain(|(n, _)| !header_name_eq(n, name));
}

/// Renames every field named `name` (ASCII case-insensitive) in `headers` to
/// `new_name`, keeping values and positions.
pub fn rename_header(headers: &mut [(String, String)], name: &str, new_name: &str) {
    for (n, _) in headers {
        if header_name_eq(n, name) {
            *n = new_name.to_string();
        }
    }
}

fn header_name_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

// ---------------------------------------------------------------------------
// Parsed heads
// ---------------------------------------------------------------------------

/// A parsed HTTP request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method, case preserved (methods are case-sensitive).
    pub method: String,
    /// Request target as received.
    pub target: String,
    /// HTTP version, e.g. `HTTP/1.1`.
    pub version: String,
    /// Header fields in wire order; values without surrounding whitespace, folds joined.
    pub headers: Vec<(String, String)>,
}

/// A parsed HTTP response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP version, e.g. `HTTP/1.1`.
    pub version: String,
    /// Status code, 100 to 599.
    pub status: u16,
    /// Reason phrase, possibly empty.
    pub reason: String,
    /// Header fields in wire order; values without surrounding whitespace, folds joined.
    pub headers: Vec<(String, String)>,
}

fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| header_name_eq(n, name))
        .map(|(_, v)| v.as_str())
}

fn all_headers<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| header_name_eq(n, name))
        .map(|(_, v)| v.as_str())
        .collect()
}

impl Request {
    /// Value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// Values of every header named `name` (ASCII case-insensitive), in wire order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        all_headers(&self.headers, name)
    }
}

impl Response {
    /// Value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// Values of every header named `name` (ASCII case-insensitive), in wire order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        all_headers(&self.headers, name)
    }
}

mod head;
pub(crate) use head::{is_tchar, is_token};
pub use head::{
    parse_request, parse_request_with, parse_response, parse_response_with, ParseOptions,
};

// ---------------------------------------------------------------------------
// Shared list handling
// ---------------------------------------------------------------------------

/// Elements of a comma-separated list spread over several header lines, empty
/// elements dropped as RFC 9110 §5.6.1 asks of a recipient.
pub(crate) fn list_elements<'a>(values: &[&'a str]) -> Vec<&'a str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|e| e.trim_matches([' ', '\t']))
        .filter(|e| !e.is_empty())
        .collect()
}

fn version_at_least_1_1(v: &str) -> bool {
    match v.as_bytes() {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            (*major, *minor) >= (b'1', b'1')
        }
        _ => false,
    }
}

fn check_host(host: &str) -> Result<(), HandshakeError> {
    let bad = || HandshakeError::BadHost(host.to_string());
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        // IP-literal (RFC 3986 §3.2.2): an IPv6 address or IPvFuture in brackets.
        let close = rest.find(']').ok_or_else(bad)?;
        let literal = &rest[..close];
        let ok = !literal.is_empty()
            && literal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":.-_~!$&'()*+,;=".contains(&b));
        if !ok {
            return Err(bad());
        }
        match &rest[close + 1..] {
            "" => ("x", None),
            p => ("x", Some(p.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b));
    let port_ok = port.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if name_ok && port_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Exactly one header named `name`, or the matching error.
/// Every value of the header `name`, which must be present.
fn present<'a>(
    headers: &'a [(String, String)],
    name: &'static str,
) -> Result<Vec<&'a str>, HandshakeError> {
    let values = all_headers(headers, name);
    if values.is_empty() {
        return Err(HandshakeError::MissingHeader(name));
    }
    Ok(values)
}

/// Whether the comma-separated `values` list `token` (ASCII case-insensitive).
fn lists(values: &[&str], token: &str) -> bool {
    list_elements(values)
        .iter()
        .any(|e| e.eq_ignore_ascii_case(token))
}

/// A Connection header that lists `upgrade`: RFC 6455 §4.2.1 item 4 of a request,
/// §4.1 item 3 of what the client checks in the response.
fn check_connection(headers: &[(String, String)]) -> Result<(), HandshakeError> {
    let connection = present(headers, "Connection")?;
    if !lists(&connection, "upgrade") {
        return Err(HandshakeError::ConnectionNoUpgrade(connection.join(", ")));
    }
    Ok(())
}

fn single<'a>(values: &[&'a str], name: &'static str) -> Result<&'a str, HandshakeError> {
    match values {
        [] => Err(HandshakeError::MissingHeader(name)),
        [one] => Ok(one),
        _ => Err(HandshakeError::DuplicateHeader(name)),
    }
}

/// Client subprotocol offers: distinct tokens, at least one (RFC 6455 §4.1 item 10).
fn parse_subprotocols(values: &[&str]) -> Result<Vec<String>, HandshakeError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let joined = || HandshakeError::BadSubprotocolList(values.join(", "));
    let elements = list_elements(values);
    if elements.is_empty() {
        return Err(joined());
    }
    let mut out: Vec<String> = Vec::with_capacity(elements.len());
    for e in elements {
        if !is_token(e) || out.iter().any(|o| o == e) {
            return Err(joined());
        }
        out.push(e.to_string());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------

/// What the server supports when answering an opening handshake.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    /// Supported subprotocols, most preferred first.
    pub subprotocols: Vec<String>,
    /// Whether the server reads Sec-WebSocket-Extensions at all. When false the header
    /// is ignored, malformed or not, as a server that knows no extension may do; when
    /// true its syntax is checked. Negotiation itself lives elsewhere.
    pub extensions_supported: bool,
}

/// What a conforming client request asked for (RFC 6455 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedRequest {
    /// The Sec-WebSocket-Key value, as sent.
    pub key: String,
    /// Offered subprotocols, in the client's order of preference.
    pub subprotocols: Vec<String>,
    /// Offered extensions, in order.
    pub extensions: Vec<ExtensionOffer>,
    /// The Origin header, when present (first one).
    pub origin: Option<String>,
}

/// The server's answer to an opening request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerDecision {
    /// The handshake succeeds: send `response` (a 101) and switch to frames.
    Accept {
        /// The complete 101 response head.
        response: Vec<u8>,
        /// The subprotocol chosen, if any.
        subprotocol: Option<String>,
        /// The client's Sec-WebSocket-Key.
        key: String,
    },
    /// The handshake fails: send `response` and close.
    Refuse {
        /// HTTP status of the refusal (400, 405, 426, 431).
        status: u16,
        /// The complete refusal response, head and short body.
        response: Vec<u8>,
        /// Why the request was refused.
        error: HandshakeError,
    },
}

/// Checks a client opening request against RFC 6455 §4.2.1, in the order listed there:
/// GET and HTTP/1.1 or higher, exactly one valid Host, Upgrade listing websocket,
/// Connection listing upgrade, exactly one Sec-WebSocket-Key decoding to 16 bytes,
/// exactly one `Sec-WebSocket-Version: 13`; then the optional Sec-WebSocket-Protocol
/// (distinct tokens) and Sec-WebSocket-Extensions (RFC 6455 §9.1 grammar).
pub fn validate_request(req: &Request) -> Result<ValidatedRequest, HandshakeError> {
    validate_request_inner(req, true)
}

fn validate_request_inner(
    req: &Request,
    check_extensions: bool,
) -> Result<ValidatedRequest, HandshakeError> {
    if req.method != "GET" {
        return Err(HandshakeError::NotGet(req.method.clone()));
    }
    if !version_at_least_1_1(&req.version) {
        return Err(HandshakeError::HttpVersion(req.version.clone()));
    }
    check_host(single(&req.header_all("Host"), "Host")?)?;

    let upgrade = present(&req.headers, "Upgrade")?;
    if !lists(&upgrade, "websocket") {
        return Err(HandshakeError::UpgradeNotWebsocket(upgrade.join(", ")));
    }
    check_connection(&req.headers)?;

    let key = single(&req.header_all("Sec-WebSocket-Key"), "Sec-WebSocket-Key")?;
    match STANDARD.decode(key) {
        Ok(nonce) if nonce.len() == 16 => {}
        _ => return Err(HandshakeError::BadKey(key.to_string())),
    }

    let version = single(
        &req.header_all("Sec-WebSocket-Version"),
        "Sec-WebSocket-Version",
    )?;
    if version != "13" {
        return Err(HandshakeError::UnsupportedVersion(version.to_string()));
    }

    let subprotocols = parse_subprotocols(&req.header_all("Sec-WebSocket-Protocol"))?;
    let extension_values = req.header_all("Sec-WebSocket-Extensions");
    let extensions = if check_extensions {
        parse_extensions(&extension_values)?
    } else {
        parse_extensions(&extension_values).unwrap_or_default()
    };
    Ok(ValidatedRequest {
        key: key.to_string(),
        subprotocols,
        extensions,
        origin: req.header("Origin").map(str::to_string),
    })
}

/// Validates `req` and builds the server's answer: a 101 carrying Upgrade, Connection,
/// Sec-WebSocket-Accept and the first of `config.subprotocols` the client offered
/// (RFC 6455 §4.2.2), or a refusal with [`HandshakeError::status`].
pub fn server_respond(req: &Request, config: &ServerConfig) -> ServerDecision {
    match validate_request_inner(req, config.extensions_supported) {
        Ok(valid) => {
            let subprotocol = config
                .subprotocols
                .iter()
                .find(|p| valid.subprotocols.contains(p))
                .cloned();
            ServerDecision::Accept {
                response: accept_response(&valid.key, subprotocol.as_deref(), &[]),
                subprotocol,
                key: valid.key,
            }
        }
        Err(error) => ServerDecision::Refuse {
            status: error.status(),
            response: refusal_response(&error),
            error,
        },
    }
}

/// The 101 response for `key`, with Sec-WebSocket-Protocol when `subprotocol` is set
/// and Sec-WebSocket-Extensions when `extensions` is not empty.
pub fn accept_response(
    key: &str,
    subprotocol: Option<&str>,
    extensions: &[ExtensionOffer],
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if let Some(p) = subprotocol {
        out.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    if !extensions.is_empty() {
        out.push_str(&format!(
            "Sec-WebSocket-Extensions: {}\r\n",
            format_extensions(extensions)
        ));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

/// The complete refusal for `error`: status line, the headers that status calls for
/// (`Allow: GET` with 405; `Sec-WebSocket-Version: 13` and Upgrade with 426, RFC 6455
/// §4.4 and RFC 9110 §15.5.22), and the error message as a text body.
pub fn refusal_response(error: &HandshakeError) -> Vec<u8> {
    let status = error.status();
    let body = format!("{error}\n");
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    match status {
        405 => out.push_str("Allow: GET\r\nConnection: close\r\n"),
        426 => out.push_str(
            "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n",
        ),
        _ => out.push_str("Connection: close\r\n"),
    }
    out.push_str(&format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

// ---------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------

/// What the server accepted, once its response passed [`validate_response`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol the server chose, if any.
    pub subprotocol: Option<String>,
    /// The extensions the server accepted, with their parameters, in order.
    pub extensions: Vec<ExtensionOffer>,
}

/// Checks a server's response as RFC 6455 §4.1 requires of a client, in the order
/// listed there: status 101 (and HTTP/1.1 or higher), Upgrade exactly websocket
/// (ASCII case-insensitive), Connection listing upgrade, exactly one
/// Sec-WebSocket-Accept equal to [`accept_key`] of `key`, extensions only among
/// `offered_extensions` (names compared exactly), at most one subprotocol and only
/// one of `offered_protocols` (compared exactly).
pub fn validate_response(
    resp: &Response,
    key: &str,
    offered_protocols: &[String],
    offered_extensions: &[String],
) -> Result<Accepted, HandshakeError> {
    if resp.status != 101 {
        return Err(HandshakeError::Status(resp.status));
    }
    if !version_at_least_1_1(&resp.version) {
        return Err(HandshakeError::HttpVersion(resp.version.clone()));
    }

    let upgrade = present(&resp.headers, "Upgrade")?;
    match list_elements(&upgrade)[..] {
        [one] if one.eq_ignore_ascii_case("websocket") => {}
        _ => return Err(HandshakeError::UpgradeNotWebsocket(upgrade.join(", "))),
    }
    check_connection(&resp.headers)?;

    let got = single(
        &resp.header_all("Sec-WebSocket-Accept"),
        "Sec-WebSocket-Accept",
    )?;
    let expected = accept_key(key);
    if got != expected {
        return Err(HandshakeError::WrongAccept {
            expected,
            got: got.to_string(),
        });
    }

    negotiated(&resp.headers, offered_protocols, offered_extensions)
}

/// The subprotocol and extensions an accepting answer chose, held to what was
/// offered (RFC 6455 §4.1 items 5 and 6): the part of a response's check that an
/// HTTP/1.1 101 and an HTTP/2 extended CONNECT's 2xx (RFC 8441 §5) share.
pub(crate) fn negotiated(
    headers: &[(String, String)],
    offered_protocols: &[String],
    offered_extensions: &[String],
) -> Result<Accepted, HandshakeError> {
    let extensions = parse_extensions(&all_headers(headers, "Sec-WebSocket-Extensions"))?;
    if let Some(e) = extensions
        .iter()
        .find(|e| !offered_extensions.contains(&e.name))
    {
        return Err(HandshakeError::UnofferedExtension(e.name.clone()));
    }

    let protocol_values = all_headers(headers, "Sec-WebSocket-Protocol");
    let subprotocol = if protocol_values.is_empty() {
        None
    } else {
        let elements = list_elements(&protocol_values);
        if protocol_values.len() > 1 || elements.len() > 1 {
            return Err(HandshakeError::MultipleSubprotocols(
                protocol_values.join(", "),
            ));
        }
        match elements[..] {
            [one] if is_token(one) => {
                if !offered_protocols.iter().any(|p| p == one) {
                    return Err(HandshakeError::UnofferedSubprotocol(one.to_string()));
                }
                Some(one.to_string())
            }
            _ => {
                return Err(HandshakeError::BadSubprotocolList(
                    protocol_values.join(", "),
                ))
            }
        }
    };
    Ok(Accepted {
        subprotocol,
        extensions,
    })
}

#[cfg(test)]
mod tests;
