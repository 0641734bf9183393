//! The server under test: a ws:// or wss:// URL, parsed with precise errors.

use crate::error::HarnessError;

/// A parsed WebSocket URL.
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
}

impl Target {
    /// Parses `ws://host[:port][/path][?query]` or `wss://…`.
    pub fn parse(url: &str) -> Result<Self, HarnessError> {
        let bad = |why: &str| HarnessError::BadUrl {
            url: url.to_string(),
            why: why.to_string(),
        };
        let (tls, rest) = if let Some(r) = url.strip_prefix("ws://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("wss://") {
            (true, r)
        } else if url.contains("://") {
            return Err(bad("the scheme must be ws:// or wss://"));
        } else {
            return Err(bad("expected ws://host:port/path or wss://host:port/path"));
        };
        if rest.contains('#') {
            return Err(bad("a WebSocket URL has no fragment (RFC 6455 §3)"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(after) = authority.strip_prefix('[') {
            let end = after
                .find(']')
                .ok_or_else(|| bad("unclosed '[' in an IPv6 address"))?;
            let host = &after[..end];
            let tail = &after[end + 1..];
            let port = match tail.strip_prefix(':') {
                Some(p) => parse_port(p).ok_or_else(|| bad("invalid port"))?,
                None if tail.is_empty() => default_port,
                None => return Err(bad("unexpected characters after the IPv6 address")),
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    parse_port(p).ok_or_else(|| bad("invalid port"))?,
                ),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        Ok(Target {
            url: url.to_string(),
            tls,
            host,
            port,
            path,
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
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok().filter(|&n| n != 0)
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
        ] {
            assert!(
                matches!(Target::parse(url), Err(HarnessError::BadUrl { .. })),
                "{url}"
            );
        }
    }
}
