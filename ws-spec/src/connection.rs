//! Connections: the opening handshake, the permessage-deflate negotiation and
//! the reference [`Endpoint`] as one value per role, bytes in, events and
//! bytes out (the shape of wsproto's `WSConnection` and rustls's
//! `ServerConnection`). Time is a [`Duration`] since the connection started.

use std::time::Duration;

use crate::deflate::{self, DeflateOffer, DeflateParams, ServerPolicy};
use crate::endpoint::{Endpoint, EndpointConfig, EndpointEvent, Role};
use crate::error::{ClientHandshakeError, HandshakeError};
use crate::extension::ExtensionOffer;
use crate::handshake::{self, Request, RequestBuilder, ServerDecision};

/// Largest opening-handshake head either side accepts by default.
pub const DEFAULT_MAX_HEAD: usize = 16 * 1024;

/// How a server answers permessage-deflate offers (RFC 7692 §5).
#[derive(Clone, Debug)]
pub enum ServerDeflate {
    /// Never: offers are ignored.
    Off,
    /// Negotiate with this policy when the client offers the extension.
    Negotiate(ServerPolicy),
    /// Answer every request with this response and run with these
    /// parameters, whatever was offered: a server whose choice is already
    /// known (the live fuzzer replays what the real server answered), or one
    /// that does not do what it agreed to (the tests' broken servers).
    Answer {
        /// The extension sent in the 101 response.
        response: ExtensionOffer,
        /// The parameters the endpoint runs with.
        params: DeflateParams,
    },
}

/// Settings of a [`ServerConnection`].
#[derive(Clone, Debug)]
pub struct ServerConnectionConfig {
    /// Subprotocols and extension syntax (RFC 6455 §4.2.2).
    pub handshake: handshake::ServerConfig,
    /// permessage-deflate.
    pub deflate: ServerDeflate,
    /// The endpoint once open; its role is set to server and its deflate
    /// parameters to what was negotiated.
    pub endpoint: EndpointConfig,
    /// Largest opening request accepted.
    pub max_head: usize,
}

impl ServerConnectionConfig {
    /// The reference echo server: echoes every message, negotiates
    /// permessage-deflate with the default policy.
    pub fn echo() -> Self {
        ServerConnectionConfig {
            handshake: handshake::ServerConfig::default(),
            deflate: ServerDeflate::Negotiate(ServerPolicy::default()),
            endpoint: EndpointConfig::echo_server(),
            max_head: DEFAULT_MAX_HEAD,
        }
    }
}

/// One connection in either role: the opening head read so far, the bytes to
/// write, and the reference endpoint once the handshake succeeded. What only one
/// role does lives in its side, [`ServerSide`] or [`ClientSide`].
#[derive(Debug)]
pub struct Connection<S> {
    side: S,
    head: Vec<u8>,
    output: Vec<u8>,
    endpoint: Option<Endpoint>,
}

/// The server side of one connection: the client's opening request, the
/// answer, then the reference endpoint.
pub type ServerConnection = Connection<ServerSide>;

/// The client side of one connection: the opening request, the server's
/// answer checked, then the reference endpoint.
pub type ClientConnection = Connection<ClientSide>;

/// What a [`ServerConnection`] knows of its opening handshake.
#[derive(Debug)]
pub struct ServerSide {
    config: ServerConnectionConfig,
    request: Option<Request>,
    refused: Option<HandshakeError>,
}

/// What a [`ClientConnection`] knows of its opening handshake.
#[derive(Debug)]
pub struct ClientSide {
    config: ClientConnectionConfig,
    failed: Option<ClientHandshakeError>,
}

/// What [`handshake::parse_request`] and [`handshake::parse_response`] give: nothing
/// yet, or the head and the bytes it took.
type ParsedHead<H> = Result<Option<(H, usize)>, HandshakeError>;

impl<S> Connection<S> {
    fn with_side(side: S, output: Vec<u8>) -> Self {
        Connection {
            side,
            head: Vec::new(),
            output,
            endpoint: None,
        }
    }

    /// Hands `bytes` to the endpoint once open and returns false; before that,
    /// adds them to the opening head and returns true (the head is to be parsed).
    fn feed(&mut self, bytes: &[u8], now: Duration) -> bool {
        match self.endpoint.as_mut() {
            Some(ep) => {
                ep.receive(bytes, now);
                false
            }
            None => {
                self.head.extend_from_slice(bytes);
                true
            }
        }
    }

    /// Parses the opening head received so far with `parse`; once complete, ends it
    /// and returns it with what followed it.
    fn parse_head<H>(
        &mut self,
        parse: fn(&[u8], usize) -> ParsedHead<H>,
        max_head: usize,
    ) -> Result<Option<(H, Vec<u8>)>, HandshakeError> {
        let Some((head, consumed)) = parse(&self.head, max_head)? else {
            return Ok(None);
        };
        let rest = self.head.split_off(consumed);
        self.head = Vec::new();
        Ok(Some((head, rest)))
    }

    /// Opens the connection on `ep`, which first reads what followed the head.
    fn start(&mut self, mut ep: Endpoint, rest: &[u8], now: Duration) {
        if !rest.is_empty() {
            ep.receive(rest, now);
        }
        self.endpoint = Some(ep);
    }

    /// The peer closed TCP.
    pub fn receive_eof(&mut self) {
        if let Some(ep) = self.endpoint.as_mut() {
            ep.receive_eof();
        }
    }

    /// Next event of the endpoint, oldest first.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.endpoint.as_mut()?.poll_event()
    }

    /// Bytes to write: the opening request or answer, then the endpoint's frames.
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.output);
        if let Some(ep) = self.endpoint.as_mut() {
            if out.is_empty() {
                out = ep.take_output();
            } else {
                out.extend(ep.take_output());
            }
        }
        out
    }

    /// The endpoint, once the handshake succeeded.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.endpoint.as_ref()
    }

    /// The endpoint, to send on it, once the handshake succeeded.
    pub fn endpoint_mut(&mut self) -> Option<&mut Endpoint> {
        self.endpoint.as_mut()
    }

    /// The endpoint alone, once the handshake succeeded and the opening
    /// bytes were taken with [`Connection::take_output`].
    pub fn into_endpoint(self) -> Option<Endpoint> {
        self.endpoint
    }
}

impl Connection<ServerSide> {
    /// A connection waiting for the client's opening request.
    pub fn new(config: ServerConnectionConfig) -> Self {
        Connection::with_side(
            ServerSide {
                config,
                request: None,
                refused: None,
            },
            Vec::new(),
        )
    }

    /// A connection whose opening request the caller has already read and
    /// parsed (to route on its path, say); `rest` is what followed the head.
    pub fn from_request(
        config: ServerConnectionConfig,
        request: Request,
        rest: &[u8],
        now: Duration,
    ) -> Self {
        let mut conn = ServerConnection::new(config);
        conn.answer(request, rest, now);
        conn
    }

    /// Bytes from the client.
    pub fn receive(&mut self, bytes: &[u8], now: Duration) {
        if self.side.refused.is_some() || !self.feed(bytes, now) {
            return;
        }
        match self.parse_head(handshake::parse_request, self.side.config.max_head) {
            Ok(None) => {}
            Ok(Some((request, rest))) => self.answer(request, &rest, now),
            Err(e) => {
                self.output.extend(handshake::refusal_response(&e));
                self.side.refused = Some(e);
            }
        }
    }

    /// True once the server closes TCP: after a refusal, or when the
    /// endpoint is done (RFC 6455 §7.1.1).
    pub fn wants_tcp_close(&self) -> bool {
        self.side.refused.is_some()
            || self
                .endpoint
                .as_ref()
                .is_some_and(Endpoint::wants_tcp_close)
    }

    /// The client's opening request, once it arrived and was accepted.
    pub fn request(&self) -> Option<&Request> {
        self.side.request.as_ref()
    }

    /// Why the opening request was refused, if it was.
    pub fn refusal(&self) -> Option<&HandshakeError> {
        self.side.refused.as_ref()
    }

    /// Answers a complete opening request: refused, or accepted with the
    /// negotiated permessage-deflate and the endpoint started.
    fn answer(&mut self, request: Request, rest: &[u8], now: Duration) {
        let (response, subprotocol, key) =
            match handshake::server_respond(&request, &self.side.config.handshake) {
                ServerDecision::Accept {
                    response,
                    subprotocol,
                    key,
                } => (response, subprotocol, key),
                ServerDecision::Refuse {
                    response, error, ..
                } => {
                    self.output.extend(response);
                    self.side.refused = Some(error);
                    return;
                }
            };
        let chosen = match &self.side.config.deflate {
            ServerDeflate::Off => None,
            ServerDeflate::Negotiate(policy) => {
                let offers =
                    handshake::parse_extensions(&request.header_all("Sec-WebSocket-Extensions"))
                        .unwrap_or_default();
                deflate::server_negotiate(&offers, policy).ok().flatten()
            }
            ServerDeflate::Answer { response, params } => Some((response.clone(), params.clone())),
        };
        let params = match chosen {
            Some((ext, params)) => {
                self.output.extend(handshake::accept_response(
                    &key,
                    subprotocol.as_deref(),
                    &[ext],
                ));
                Some(params)
            }
            None => {
                self.output.extend(response);
                None
            }
        };
        let ep = Endpoint::new(EndpointConfig {
            role: Role::Server,
            deflate: params,
            ..self.side.config.endpoint.clone()
        });
        self.side.request = Some(request);
        self.start(ep, rest, now);
    }
}

/// Settings of a [`ClientConnection`].
#[derive(Clone, Debug)]
pub struct ClientConnectionConfig {
    /// Host header value (host, or host:port).
    pub host: String,
    /// Request target (path and query).
    pub target: String,
    /// The Sec-WebSocket-Key, base64 of 16 bytes ([`handshake::random_key`]).
    pub key: String,
    /// permessage-deflate offers, most preferred first; none offers nothing.
    pub offers: Vec<DeflateOffer>,
    /// The endpoint once open; its role is set to client and its deflate
    /// parameters to what the server accepted.
    pub endpoint: EndpointConfig,
    /// Largest opening response accepted.
    pub max_head: usize,
}

impl Connection<ClientSide> {
    /// A connection with its opening request queued for writing.
    pub fn new(config: ClientConnectionConfig) -> Self {
        let request = RequestBuilder::new(&config.host, &config.target, &config.key)
            .deflate_offers(&config.offers)
            .encode();
        Connection::with_side(
            ClientSide {
                config,
                failed: None,
            },
            request,
        )
    }

    /// Bytes from the server.
    pub fn receive(&mut self, bytes: &[u8], now: Duration) {
        if self.side.failed.is_some() || !self.feed(bytes, now) {
            return;
        }
        match self.parse_head(handshake::parse_response, self.side.config.max_head) {
            Ok(None) => {}
            Ok(Some((response, rest))) => match self.open(&response) {
                Ok(ep) => self.start(ep, &rest, now),
                Err(e) => self.side.failed = Some(e),
            },
            Err(e) => self.side.failed = Some(e.into()),
        }
    }

    /// Checks the response (RFC 6455 §4.1) and what it says of
    /// permessage-deflate (RFC 7692 §7.1), and starts the endpoint.
    fn open(&self, response: &handshake::Response) -> Result<Endpoint, ClientHandshakeError> {
        let config = &self.side.config;
        let offered: Vec<String> = if config.offers.is_empty() {
            Vec::new()
        } else {
            vec![deflate::EXTENSION_NAME.to_string()]
        };
        let accepted = handshake::validate_response(response, &config.key, &[], &offered)?;
        let params = match accepted.extensions.first() {
            None => None,
            Some(ext) => Some(deflate::client_accept(&config.offers, ext)?),
        };
        Ok(Endpoint::new(EndpointConfig {
            role: Role::Client,
            deflate: params,
            ..config.endpoint.clone()
        }))
    }

    /// Why the opening handshake failed, if it did: the client closes TCP
    /// and uses nothing of the connection.
    pub fn failure(&self) -> Option<&ClientHandshakeError> {
        self.side.failed.as_ref()
    }
}
