//! WebSockets over HTTP/2 (RFC 8441): the extended CONNECT that takes the place of
//! the HTTP/1.1 opening handshake, in both roles.
//!
//! Only the opening changes: the client sends `:method CONNECT` with
//! `:protocol websocket`, `:scheme`, `:authority` and `:path` on a stream of its
//! own, and the server accepts with any 2xx. There is no Upgrade, no Connection,
//! no Sec-WebSocket-Key or -Accept (RFC 8441 §5); subprotocols, extensions and
//! the version keep their RFC 6455 headers. The frames that follow on the stream
//! are RFC 6455's, masking included. HTTP/2 itself (framing, HPACK, flow
//! control) is the transport's business, not this module's.

pub use crate::error::ConnectError;
use crate::error::HandshakeError;
use crate::handshake::{negotiated, Accepted, RequestBuilder};

/// The value of `:protocol` that asks for a WebSocket (RFC 8441 §4, §9.1).
pub const PROTOCOL: &str = "websocket";

/// The value of SETTINGS_ENABLE_CONNECT_PROTOCOL's identifier (RFC 8441 §3).
pub const SETTINGS_ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// An extended CONNECT request as header fields: the pseudo-headers a case may
/// leave out or alter, and the regular fields in order (names lower-case, as
/// HTTP/2 carries them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    /// `:method`, CONNECT for a WebSocket.
    pub method: String,
    /// `:protocol`, `websocket` for a WebSocket; `None` leaves it out.
    pub protocol: Option<String>,
    /// `:scheme` (`http` or `https`); `None` leaves it out.
    pub scheme: Option<String>,
    /// `:authority` (host, or host:port); `None` leaves it out.
    pub authority: Option<String>,
    /// `:path` (path and query); `None` leaves it out.
    pub path: Option<String>,
    /// Regular header fields in order, names lower-case.
    pub headers: Vec<(String, String)>,
}

/// Header fields of an HTTP/1.1 opening request that have no place in an extended
/// CONNECT: Host becomes `:authority`, the rest belong to the HTTP/1.1 upgrade
/// (RFC 8441 §5; RFC 9113 §8.2.2 for the connection-specific ones).
const HTTP1_ONLY: [&str; 4] = ["host", "upgrade", "connection", "sec-websocket-key"];

impl ConnectRequest {
    /// The standard request for a WebSocket at `path` on `authority`.
    pub fn websocket(scheme: &str, authority: &str, path: &str) -> Self {
        ConnectRequest {
            method: "CONNECT".into(),
            protocol: Some(PROTOCOL.into()),
            scheme: Some(scheme.into()),
            authority: Some(authority.into()),
            path: Some(path.into()),
            headers: vec![("sec-websocket-version".into(), "13".into())],
        }
    }

    /// The extended CONNECT that carries what an HTTP/1.1 opening request says:
    /// its target as `:path`, its Host as `:authority`, and its other fields
    /// (subprotocols, extensions, version, Origin, extras) as they are, without
    /// the fields of the HTTP/1.1 upgrade.
    pub fn from_http1(request: &RequestBuilder, scheme: &str) -> Self {
        let authority = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.clone());
        ConnectRequest {
            method: "CONNECT".into(),
            protocol: Some(PROTOCOL.into()),
            scheme: Some(scheme.into()),
            authority,
            path: Some(request.target.clone()),
            headers: request
                .headers
                .iter()
                .filter(|(n, _)| !n.is_empty())
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .filter(|(n, _)| !HTTP1_ONLY.contains(&n.as_str()))
                .collect(),
        }
    }

    /// Every value of the regular header `name`, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every field as it goes on the wire: the pseudo-headers present, first (RFC 9113
    /// §8.3), then the regular fields in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        let pseudo = [
            (":method", Some(&self.method)),
            (":protocol", self.protocol.as_ref()),
            (":scheme", self.scheme.as_ref()),
            (":authority", self.authority.as_ref()),
            (":path", self.path.as_ref()),
        ];
        pseudo
            .into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v.as_str())))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// The request as the lines a report shows (`:method: CONNECT`, one field a line).
    pub fn render(&self) -> String {
        self.fields()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect()
    }
}

/// Header fields HTTP/2 forbids as connection-specific (RFC 9113 §8.2.2); `te` is
/// allowed only as `trailers`, which an extended CONNECT has no use for.
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
];

/// Server role: whether `request` is a well-formed extended CONNECT for a
/// WebSocket that a server may accept (RFC 8441 §4 and §5).
pub fn validate_request(request: &ConnectRequest) -> Result<(), ConnectError> {
    let protocol = match &request.protocol {
        None => return Err(ConnectError::MissingProtocol),
        Some(p) => p,
    };
    if request.method != "CONNECT" {
        return Err(ConnectError::NotConnect(request.method.clone()));
    }
    for (name, value) in [
        (":scheme", &request.scheme),
        (":authority", &request.authority),
        (":path", &request.path),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            return Err(ConnectError::MissingPseudo(name));
        }
    }
    if let Some((n, _)) = request.headers.iter().find(|(n, _)| {
        CONNECTION_SPECIFIC
            .iter()
            .any(|c| n.eq_ignore_ascii_case(c))
    }) {
        return Err(ConnectError::ConnectionSpecific(n.clone()));
    }
    if protocol != PROTOCOL {
        return Err(ConnectError::WrongProtocol(protocol.clone()));
    }
    if !request.header_all("sec-websocket-key").is_empty() {
        return Err(ConnectError::HandshakeKey);
    }
    match request.header_all("sec-websocket-version")[..] {
        ["13"] => Ok(()),
        ref other => Err(ConnectError::Version(other.join(", "))),
    }
}

/// Server role: the header fields of a 2xx answer accepting a WebSocket (RFC 8441 §5):
/// the chosen subprotocol and extensions, as RFC 6455 §4.2.2 names them, and nothing
/// of the HTTP/1.1 upgrade (no Sec-WebSocket-Accept, Upgrade or Connection).
pub fn accept_headers(
    subprotocol: Option<&str>,
    extensions: &[crate::extension::ExtensionOffer],
) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(p) = subprotocol {
        headers.push(("sec-websocket-protocol".to_string(), p.to_string()));
    }
    if !extensions.is_empty() {
        headers.push((
            "sec-websocket-extensions".to_string(),
            crate::extension::format_extensions(extensions),
        ));
    }
    headers
}

/// Client role: checks the answer to an extended CONNECT as RFC 8441 §5 asks: a
/// 2xx status, then the subprotocol and extensions held to what was offered, as
/// for HTTP/1.1 (RFC 6455 §4.1). There is no accept hash to check.
pub fn validate_response(
    status: u16,
    headers: &[(String, String)],
    offered_protocols: &[String],
    offered_extensions: &[String],
) -> Result<Accepted, HandshakeError> {
    if !(200..300).contains(&status) {
        return Err(HandshakeError::ConnectStatus(status));
    }
    negotiated(headers, offered_protocols, offered_extensions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> ConnectRequest {
        ConnectRequest::websocket("http", "example.com", "/chat")
    }

    #[test]
    fn the_standard_request_is_valid() {
        assert_eq!(validate_request(&ok()), Ok(()));
    }

    #[test]
    fn each_flaw_is_refused_for_its_own_reason() {
        let with = |f: fn(&mut ConnectRequest)| {
            let mut r = ok();
            f(&mut r);
            validate_request(&r)
        };
        assert_eq!(
            with(|r| r.protocol = None),
            Err(ConnectError::MissingProtocol)
        );
        assert_eq!(
            with(|r| r.protocol = Some("websockets".into())),
            Err(ConnectError::WrongProtocol("websockets".into()))
        );
        assert_eq!(
            with(|r| r.path = None),
            Err(ConnectError::MissingPseudo(":path"))
        );
        assert_eq!(
            with(|r| r.scheme = None),
            Err(ConnectError::MissingPseudo(":scheme"))
        );
        assert_eq!(
            with(|r| r.headers.push(("upgrade".into(), "websocket".into()))),
            Err(ConnectError::ConnectionSpecific("upgrade".into()))
        );
        assert_eq!(
            with(|r| r.headers.push((
                "sec-websocket-key".into(),
                "dGhlIHNhbXBsZSBub25jZQ==".into()
            ))),
            Err(ConnectError::HandshakeKey)
        );
        assert_eq!(
            with(|r| r.headers[0].1 = "8".into()),
            Err(ConnectError::Version("8".into()))
        );
    }

    #[test]
    fn from_http1_drops_the_upgrade_fields_and_keeps_the_rest() {
        let b = RequestBuilder::new("h:1", "/p?q", "dGhlIHNhbXBsZSBub25jZQ==")
            .set("Sec-WebSocket-Protocol", "chat")
            .set("Origin", "http://h");
        let r = ConnectRequest::from_http1(&b, "https");
        assert_eq!(r.authority.as_deref(), Some("h:1"));
        assert_eq!(r.path.as_deref(), Some("/p?q"));
        assert_eq!(r.header_all("sec-websocket-protocol"), ["chat"]);
        assert!(r.header_all("sec-websocket-key").is_empty());
        assert!(r.header_all("upgrade").is_empty());
        assert_eq!(validate_request(&r), Ok(()));
    }

    #[test]
    fn a_response_must_be_2xx_and_choose_only_what_was_offered() {
        let chat = vec![("sec-websocket-protocol".to_string(), "chat".to_string())];
        assert!(validate_response(200, &[], &[], &[]).is_ok());
        assert_eq!(
            validate_response(101, &[], &[], &[]),
            Err(HandshakeError::ConnectStatus(101))
        );
        assert_eq!(
            validate_response(200, &chat, &[], &[]),
            Err(HandshakeError::UnofferedSubprotocol("chat".into()))
        );
        let accepted = validate_response(204, &chat, &["chat".into()], &[]).unwrap();
        assert_eq!(accepted.subprotocol.as_deref(), Some("chat"));
    }
}
