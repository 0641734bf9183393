//! Reading an HTTP/1.1 head line by line (the decisions on HTTP syntax are listed
//! in [`super`]'s module doc).

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_ows_strips_both_ends_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }
}
