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

// ---------------------------------------------------------------------------
// Head parsing
// ---------------------------------------------------------------------------

/// How strictly [`parse_request_with`] and [`parse_response_with`] read a head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The head, empty line included, must fit in this many bytes.
    pub max_head: usize,
    /// Accept a bare LF as a line terminator (RFC 9112 §2.2 MAY); off by default.
    pub allow_bare_lf: bool,
}

impl ParseOptions {
    /// Strict options with the given head limit.
    pub fn strict(max_head: usize) -> Self {
        ParseOptions {
            max_head,
            allow_bare_lf: false,
        }
    }
}

/// Parses a request head incrementally with strict line endings.
///
/// `Ok(None)`: more bytes are needed. `Ok(Some((request, consumed)))`: `consumed` counts
/// the bytes up to and including the empty line; whatever follows is the first frame.
pub fn parse_request(
    buf: &[u8],
    max_head: usize,
) -> Result<Option<(Request, usize)>, HandshakeError> {
    parse_request_with(buf, &ParseOptions::strict(max_head))
}

/// Parses a response head incrementally with strict line endings; see [`parse_request`].
pub fn parse_response(
    buf: &[u8],
    max_head: usize,
) -> Result<Option<(Response, usize)>, HandshakeError> {
    parse_response_with(buf, &ParseOptions::strict(max_head))
}

/// [`parse_request`] with explicit options.
pub fn parse_request_with(
    buf: &[u8],
    options: &ParseOptions,
) -> Result<Option<(Request, usize)>, HandshakeError> {
    parse_head(buf, options, true, request_line, |r: &mut Request| {
        &mut r.headers
    })
}

/// [`parse_response`] with explicit options.
pub fn parse_response_with(
    buf: &[u8],
    options: &ParseOptions,
) -> Result<Option<(Response, usize)>, HandshakeError> {
    parse_head(buf, options, false, status_line, |r: &mut Response| {
        &mut r.headers
    })
}

fn malformed(offset: usize, what: impl Into<String>) -> HandshakeError {
    HandshakeError::Malformed {
        offset,
        what: what.into(),
    }
}

/// Walks the head line by line, checking each line as soon as it is complete, so that
/// a prefix of the input reports either "need more" or the same result as the whole.
fn parse_head<S>(
    buf: &[u8],
    options: &ParseOptions,
    skip_leading_empty: bool,
    start_line: fn(&[u8], usize) -> Result<S, HandshakeError>,
    headers_of: fn(&mut S) -> &mut Vec<(String, String)>,
) -> Result<Option<(S, usize)>, HandshakeError> {
    // Bytes past the limit are never looked at: they cannot belong to a valid head.
    let limit = buf.len().min(options.max_head);
    let mut pos = 0;
    let mut start: Option<S> = None;
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let Some(line) = next_line(buf, pos, limit, options.allow_bare_lf)? else {
            if buf.len() >= options.max_head {
                return Err(HandshakeError::HeadTooLarge(options.max_head));
            }
            return Ok(None);
        };
        let text = &buf[line.start..line.end];
        pos = line.next;
        match start {
            None if text.is_empty() => {
                if !skip_leading_empty {
                    return Err(malformed(line.start, "empty line before the status line"));
                }
            }
            None => start = Some(start_line(text, line.start)?),
            Some(mut head) if text.is_empty() => {
                *headers_of(&mut head) = headers
                    .into_iter()
                    .map(|(n, v)| (n, decode_text(v)))
                    .collect();
                return Ok(Some((head, pos)));
            }
            Some(_) => header_line(text, line.start, &mut headers)?,
        }
    }
}

struct Line {
    start: usize,
    end: usize,
    next: usize,
}

fn next_line(
    buf: &[u8],
    pos: usize,
    limit: usize,
    allow_bare_lf: bool,
) -> Result<Option<Line>, HandshakeError> {
    for i in pos..limit {
        match buf[i] {
            b'\r' => {
                if i + 1 >= limit {
                    return Ok(None);
                }
                if buf[i + 1] == b'\n' {
                    return Ok(Some(Line {
                        start: pos,
                        end: i,
                        next: i + 2,
                    }));
                }
                return Err(malformed(i, "CR not followed by LF (RFC 9112 §2.2)"));
            }
            b'\n' if allow_bare_lf => {
                return Ok(Some(Line {
                    start: pos,
                    end: i,
                    next: i + 1,
                }))
            }
            b'\n' => {
                return Err(malformed(
                    i,
                    "LF without CR; lines must end in CRLF (RFC 9112 §2.2)",
                ))
            }
            _ => {}
        }
    }
    Ok(None)
}

pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A token per RFC 9110 §5.6.2: one or more tchar.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// field-vchar, SP and HTAB: what may appear in a field value (RFC 9110 §5.5).
fn is_field_byte(b: u8) -> bool {
    is_ows(b) || (0x21..=0x7e).contains(&b) || b >= 0x80
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ows(*last) {
            break;
        }
        s = rest;
    }
    s
}

fn decode_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect())
}

fn ascii(bytes: &[u8]) -> String {
    // Callers pass bytes already checked to be printable ASCII.
    String::from_utf8_lossy(bytes).into_owned()
}

fn check_version(v: &[u8], offset: usize) -> Result<String, HandshakeError> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Ok(ascii(v))
        }
        _ => Err(malformed(
            offset,
            format!(
                "HTTP-version must be HTTP/<digit>.<digit>, got {:?} (RFC 9112 §2.3)",
                String::from_utf8_lossy(v)
            ),
        )),
    }
}

/// The request line, as a request with no header fields yet.
fn request_line(line: &[u8], base: usize) -> Result<Request, HandshakeError> {
    let Some(sp1) = line.iter().position(|&b| b == b' ') else {
        return Err(malformed(
            base + line.len(),
            "request line has no SP after the method (RFC 9112 §3)",
        ));
    };
    let method = &line[..sp1];
    if method.is_empty() {
        return Err(malformed(base, "empty method (RFC 9112 §3)"));
    }
    if let Some(i) = method.iter().position(|&b| !is_tchar(b)) {
        return Err(malformed(
            base + i,
            format!("byte 0x{:02x} is not allowed in a method token", method[i]),
        ));
    }
    let rest = &line[sp1 + 1..];
    let rest_base = base + sp1 + 1;
    let Some(sp2) = rest.iter().position(|&b| b == b' ') else {
        return Err(malformed(
            base + line.len(),
            "request line has no SP after the request-target (RFC 9112 §3)",
        ));
    };
    let target = &rest[..sp2];
    if target.is_empty() {
        return Err(malformed(
            rest_base,
            "empty request-target: methods and targets are separated by a single SP (RFC 9112 §3)",
        ));
    }
    if let Some(i) = target.iter().position(|&b| !(0x21..=0x7e).contains(&b)) {
        return Err(malformed(
            rest_base + i,
            format!(
                "byte 0x{:02x} is not allowed in a request-target (RFC 9112 §3.2)",
                target[i]
            ),
        ));
    }
    let version = check_version(&rest[sp2 + 1..], rest_base + sp2 + 1)?;
    Ok(Request {
        method: ascii(method),
        target: ascii(target),
        version,
        headers: Vec::new(),
    })
}

/// The status line, as a response with no header fields yet.
fn status_line(line: &[u8], base: usize) -> Result<Response, HandshakeError> {
    let Some(sp1) = line.iter().position(|&b| b == b' ') else {
        return Err(malformed(
            base + line.len(),
            "status line has no SP after the HTTP-version (RFC 9112 §4)",
        ));
    };
    let version = check_version(&line[..sp1], base)?;
    let rest = &line[sp1 + 1..];
    let code_base = base + sp1 + 1;
    let code = match rest {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => {
            return Err(malformed(
                code_base,
                "status code must be three digits (RFC 9112 §4)",
            ))
        }
    };
    if !(100..=599).contains(&code) {
        return Err(malformed(
            code_base,
            format!("status code {code} is outside 100..=599 (RFC 9110 §15)"),
        ));
    }
    let reason = match &rest[3..] {
        [] => &[][..],
        [b' ', reason @ ..] => reason,
        _ => {
            return Err(malformed(
                code_base + 3,
                "status code must be followed by SP (RFC 9112 §4)",
            ))
        }
    };
    if let Some(i) = reason.iter().position(|&b| !is_field_byte(b)) {
        return Err(malformed(
            code_base + 4 + i,
            format!(
                "byte 0x{:02x} is not allowed in a reason phrase (RFC 9112 §4)",
                reason[i]
            ),
        ));
    }
    Ok(Response {
        version,
        status: code,
        reason: decode_text(reason.to_vec()),
        headers: Vec::new(),
    })
}

fn check_field_value(value: &[u8], base: usize) -> Result<(), HandshakeError> {
    match value.iter().position(|&b| !is_field_byte(b)) {
        Some(i) => Err(malformed(
            base + i,
            format!(
                "byte 0x{:02x} is not allowed in a field value (RFC 9110 §5.5)",
                value[i]
            ),
        )),
        None => Ok(()),
    }
}

fn header_line(
    line: &[u8],
    base: usize,
    headers: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), HandshakeError> {
    if is_ows(line[0]) {
        let Some((_, value)) = headers.last_mut() else {
            return Err(malformed(
                base,
                "whitespace-preceded line before the first header field (RFC 9112 §2.2)",
            ));
        };
        check_field_value(line, base)?;
        // obs-fold: the fold and the whitespace around it become one SP (RFC 9112 §5.2).
        let segment = trim_ows(line);
        if !segment.is_empty() {
            if !value.is_empty() {
                value.push(b' ');
            }
            value.extend_from_slice(segment);
        }
        return Ok(());
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(malformed(base, "header line has no ':' (RFC 9112 §5)"));
    };
    let name = &line[..colon];
    if name.is_empty() {
        return Err(malformed(base, "empty field name (RFC 9112 §5)"));
    }
    if let Some(i) = name.iter().position(|&b| !is_tchar(b)) {
        let what = if is_ows(name[i]) {
            "whitespace between field name and ':' (RFC 9112 §5.1)".to_string()
        } else {
            format!(
                "byte 0x{:02x} is not allowed in a field name (RFC 9110 §5.1)",
                name[i]
            )
        };
        return Err(malformed(base + i, what));
    }
    let value = &line[colon + 1..];
    check_field_value(value, base + colon + 1)?;
    headers.push((ascii(name), trim_ows(value).to_vec()));
    Ok(())
}

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
mod tests {
    use super::*;

    #[test]
    fn trim_ows_strips_both_ends_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn list_elements_drops_empty_elements_rfc9110_5_6_1() {
        assert_eq!(list_elements(&[" , a ,, b", "c,"]), vec!["a", "b", "c"]);
    }

    #[test]
    fn version_ordering() {
        assert!(version_at_least_1_1("HTTP/1.1"));
        assert!(version_at_least_1_1("HTTP/2.0"));
        assert!(!version_at_least_1_1("HTTP/1.0"));
        assert!(!version_at_least_1_1("HTTP/1.10"));
        assert!(!version_at_least_1_1("http/1.1"));
    }

    #[test]
    fn host_syntax_rfc3986_3_2_2() {
        for ok in [
            "example.com",
            "example.com:9001",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:9001",
            "h:",
        ] {
            assert!(check_host(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ":80", "exa mple", "host:8a", "[::1", "[::1]x", "a/b", "[]",
        ] {
            assert_eq!(
                check_host(bad),
                Err(HandshakeError::BadHost(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn random_key_is_deterministic_and_decodes_to_16_bytes() {
        assert_eq!(random_key(7), random_key(7));
        assert_ne!(random_key(7), random_key(8));
        assert_eq!(STANDARD.decode(random_key(7)).unwrap().len(), 16);
    }
}
