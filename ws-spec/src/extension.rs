//! The Sec-WebSocket-Extensions grammar of RFC 6455 §9.1.
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//! A quoted-string value must be a token once unescaped. RFC 6455 writes its ABNF
//! with RFC 2616's implied linear whitespace, so OWS is accepted around `,`, `;` and
//! `=`. Empty list elements (`a, , b`) are ignored as RFC 9110 §5.6.1 asks of a
//! recipient, but a header value with no extension at all breaks `1#extension`.
//! Several offers per header value and several header values are both allowed;
//! the offers come back in wire order.

use crate::handshake::{is_tchar, is_token, HandshakeError};

/// One extension offered (client) or accepted (server), with its parameters in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// Extension name (a token), e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in wire order: name, and the unescaped value if one was given.
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An offer with no parameters.
    pub fn new(name: &str) -> Self {
        ExtensionOffer {
            name: name.to_string(),
            params: Vec::new(),
        }
    }

    /// This offer with one more parameter appended.
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Self {
        self.params
            .push((name.to_string(), value.map(str::to_string)));
        self
    }
}

/// Parses every Sec-WebSocket-Extensions header value, in order, into offers.
///
/// No values (no header) gives an empty list; the first syntax error is reported as
/// [`HandshakeError::BadExtensionSyntax`] with its offset inside the offending value.
pub fn parse_extensions(values: &[&str]) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    let mut out = Vec::new();
    for value in values {
        parse_value(value, &mut out)?;
    }
    Ok(out)
}

/// Writes offers as one header value: `name; p; q=v, other`. A value that is not a
/// token is written as a quoted-string (which a strict peer will still refuse).
pub fn format_extensions(offers: &[ExtensionOffer]) -> String {
    let mut out = String::new();
    for (i, offer) in offers.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&offer.name);
        for (name, value) in &offer.params {
            out.push_str("; ");
            out.push_str(name);
            if let Some(value) = value {
                out.push('=');
                if is_token(value) {
                    out.push_str(value);
                } else {
                    out.push('"');
                    for c in value.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
            }
        }
    }
    out
}

fn skip_ows(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && (b[p] == b' ' || b[p] == b'\t') {
        p += 1;
    }
    p
}

/// The token starting at `p`, if any, and the position after it.
fn token(b: &[u8], p: usize) -> Option<(String, usize)> {
    let end = b[p..]
        .iter()
        .position(|&c| !is_tchar(c))
        .map_or(b.len(), |n| p + n);
    (end > p).then(|| (String::from_utf8_lossy(&b[p..end]).into_owned(), end))
}

/// The unescaped content of the quoted-string starting at the DQUOTE at `p`, and the
/// position after the closing DQUOTE (RFC 9110 §5.6.4).
fn quoted_string(b: &[u8], p: usize) -> Result<(Vec<u8>, usize), (usize, &'static str)> {
    let is_qdtext = |c: u8| {
        c == b'\t'
            || c == b' '
            || c == 0x21
            || ((0x23..=0x7e).contains(&c) && c != b'\\')
            || c >= 0x80
    };
    let mut out = Vec::new();
    let mut i = p + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let Some(&c) = b.get(i + 1) else {
                    return Err((i, "backslash at the end of a quoted-string"));
                };
                if !(c == b'\t' || c == b' ' || (0x21..=0x7e).contains(&c) || c >= 0x80) {
                    return Err((i + 1, "control byte escaped in a quoted-string"));
                }
                out.push(c);
                i += 2;
            }
            c if is_qdtext(c) => {
                out.push(c);
                i += 1;
            }
            _ => return Err((i, "control byte in a quoted-string")),
        }
    }
    Err((p, "unterminated quoted-string"))
}

fn parse_value(value: &str, out: &mut Vec<ExtensionOffer>) -> Result<(), HandshakeError> {
    let err = |offset: usize, what: &str| HandshakeError::BadExtensionSyntax {
        value: value.to_string(),
        offset,
        what: what.to_string(),
    };
    let b = value.as_bytes();
    let mut p = 0;
    let mut count = 0;
    loop {
        p = skip_ows(b, p);
        if p == b.len() {
            break;
        }
        if b[p] == b',' {
            p += 1;
            continue;
        }
        let (name, next) =
            token(b, p).ok_or_else(|| err(p, "expected an extension name (token)"))?;
        p = skip_ows(b, next);
        let mut offer = ExtensionOffer {
            name,
            params: Vec::new(),
        };
        while p < b.len() && b[p] == b';' {
            p = skip_ows(b, p + 1);
            let (param, next) =
                token(b, p).ok_or_else(|| err(p, "expected a parameter name (token) after ';'"))?;
            p = skip_ows(b, next);
            let mut param_value = None;
            if p < b.len() && b[p] == b'=' {
                p = skip_ows(b, p + 1);
                if p < b.len() && b[p] == b'"' {
                    let (raw, next) = quoted_string(b, p).map_err(|(at, what)| err(at, what))?;
                    let unescaped = String::from_utf8_lossy(&raw).into_owned();
                    if !is_token(&unescaped) {
                        return Err(err(
                            p,
                            "quoted parameter value is not a token once unescaped",
                        ));
                    }
                    param_value = Some(unescaped);
                    p = next;
                } else {
                    let (v, next) = token(b, p).ok_or_else(|| {
                        err(
                            p,
                            "expected a parameter value (token or quoted-string) after '='",
                        )
                    })?;
                    param_value = Some(v);
                    p = next;
                }
                p = skip_ows(b, p);
            }
            offer.params.push((param, param_value));
        }
        out.push(offer);
        count += 1;
        if p == b.len() {
            break;
        }
        if b[p] != b',' {
            return Err(err(
                p,
                "expected ',' or ';' after an extension or parameter",
            ));
        }
        p += 1;
    }
    if count == 0 {
        return Err(err(0, "no extension in the list (1#extension)"));
    }
    Ok(())
}
