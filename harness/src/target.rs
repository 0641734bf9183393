//! The server under test: a ws:// or wss:// URL, parsed with precise errors.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use ws_cases::run::Role;

use crate::error::{HarnessError, UrlProblem};

/// A parsed WebSocket URL, or a peer reached in process (see [`StreamSource`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// wss:// (TLS).
    pub tls: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port (default 80 / 443).
    pub port: u16,
    /// Request target: path and query, at least "/".
    pub path: String,
    /// Where connections come from when not from TCP: a peer in the same process.
    pub(crate) source: Option<StreamSource>,
}

/// A stream to a peer under test, as the runner plays cases on it.
pub trait PeerStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> PeerStream for S {}

/// A fresh connection to an in-process peer, opened once per case.
pub type OpenStream =
    Pin<Box<dyn Future<Output = std::io::Result<Box<dyn PeerStream>>> + Send + 'static>>;

/// Connections to a peer in the same process (a server, or a client the suite serves),
/// one per case, from a function the library's user gives (`Suite::run_server_with`,
/// `Suite::run_client_with`).
#[derive(Clone)]
pub struct StreamSource {
    role: Role,
    open: Arc<dyn Fn() -> OpenStream + Send + Sync>,
}

impl StreamSource {
    /// `open` yields the suite's end of a new connection; the suite plays `role`.
    pub fn new(role: Role, open: Arc<dyn Fn() -> OpenStream + Send + Sync>) -> Self {
        StreamSource { role, open }
    }

    /// Opens one connection.
    pub fn open(&self) -> OpenStream {
        (self.open)()
    }
}

impl std::fmt::Debug for StreamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StreamSource({:?})", self.role)
    }
}

impl PartialEq for StreamSource {
    fn eq(&self, other: &Self) -> bool {
        self.role == other.role && Arc::ptr_eq(&self.open, &other.open)
    }
}

impl Eq for StreamSource {}

impl Target {
    /// A peer in process: every case opens its connection through `source`.
    pub fn in_process(name: &str, source: StreamSource) -> Self {
        Target {
            url: name.to_owned(),
            tls: false,
            host: "localhost".to_owned(),
            port: 80,
            path: "/".to_owned(),
            source: Some(source),
        }
    }

    /// The in-process source, if the peer is reached that way.
    pub fn source(&self) -> Option<&StreamSource> {
        self.source.as_ref()
    }

    /// Which side the suite plays: the server's, for a client in process; else the client's.
    pub fn suite_role(&self) -> Role {
        self.source.as_ref().map_or(Role::Client, |s| s.role)
    }
}

impl Target {
    /// Parses `ws://host[:port][/path][?query]` or `wss://…` with the `url` crate (the
    /// WHATWG URL parser): the scheme is case-insensitive, IPv6 hosts are bracketed, the
    /// path is normalized. User information and fragments are refused (RFC 6455 §3).
    pub fn parse(text: &str) -> Result<Self, HarnessError> {
        let bad = |problem: UrlProblem| HarnessError::BadUrl {
            url: text.to_string(),
            problem,
        };
        if !text.contains("://") {
            return Err(bad(UrlProblem::NoScheme));
        }
        let url = url::Url::parse(text.trim()).map_err(|e| bad(UrlProblem::Parse(e)))?;
        let tls = match url.scheme() {
            "ws" => false,
            "wss" => true,
            other => return Err(bad(UrlProblem::Scheme(other.to_string()))),
        };
        if url.fragment().is_some() {
            return Err(bad(UrlProblem::Fragment));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(UrlProblem::UserInfo));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            _ => return Err(bad(UrlProblem::NoHost)),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| bad(UrlProblem::NoPort))?;
        if port == 0 {
            return Err(bad(UrlProblem::PortZero));
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Ok(Target {
            url: text.to_string(),
            tls,
            host,
            port,
            path,
            source: None,
        })
    }

    /// The Host header value: the host, with the port unless it is the scheme's default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// `host:port` for connecting.
    pub fn socket_addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A TCP connection to [`Target::socket_addr`], with Nagle off so each frame leaves
    /// when written; an error is the reason the connection could not be opened.
    pub(crate) async fn connect_tcp(&self) -> Result<tokio::net::TcpStream, String> {
        let addr = self.socket_addr();
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let t = Target::parse("ws://127.0.0.1:9001").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 9001, "/")
        );
        assert!(!t.tls);
        let t = Target::parse("wss://localhost/chat?x=1").unwrap();
        assert_eq!((t.port, t.path.as_str(), t.tls), (443, "/chat?x=1", true));
        let t = Target::parse("ws://[::1]:9100?a").unwrap();
        assert_eq!((t.host.as_str(), t.path.as_str()), ("::1", "/?a"));
        assert_eq!(t.host_header(), "[::1]:9100");
        assert_eq!(t.socket_addr(), "[::1]:9100");
        assert_eq!(Target::parse("ws://h").unwrap().host_header(), "h");
        let t = Target::parse("WS://Example.COM:9001/A").unwrap();
        assert_eq!(
            (t.host.as_str(), t.tls, t.path.as_str()),
            ("example.com", false, "/A")
        );
        assert!(Target::parse("Wss://h/").unwrap().tls);
        assert_eq!(
            Target::parse("ws://[::1]:9001/").unwrap().socket_addr(),
            "[::1]:9001"
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "http://x",
            "x:9001",
            "ws://",
            "ws://:80",
            "ws://h:0",
            "ws://h:99999",
            "ws://h:12ab",
            "ws://h/#frag",
            "ws://[::1",
            "ws://u@h",
            "ws://u:p@h/",
            "ws://h/#",
            "ftp://h/",
        ] {
            assert!(
                matches!(Target::parse(url), Err(HarnessError::BadUrl { .. })),
                "{url}"
            );
        }
    }
}
