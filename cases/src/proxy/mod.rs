//! Cases for what sits between a client and a server: the suite plays the client at
//! a reverse proxy's front and the upstream server behind it, and judges what went in
//! on one side against what came out on the other (`wsconform proxy`).
//!
//! A [`ProxyCase`] is data like a [`crate::Case`]: what the client offers, what the
//! backend answers, the steps each side plays, and the rule that decides
//! ([`ProxyCheck`]). The harness plays the steps on sockets and fills a
//! [`ProxyObservation`]; [`judge::judge`] turns it into Autobahn's verdicts.

pub mod judge;
pub mod observe;

use std::time::Duration;

use ws_spec::frame::Opcode;
use ws_spec::rfc::RfcRef;

use crate::model::Payload;

pub use observe::{
    ConcurrencyOutcome, FinalClose, FloodOutcome, HandshakeTrace, IdleOutcome, ProxyObservation,
    SideTrace,
};

/// One end of the relayed connection, both played by the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The suite as client, connected to the proxy's front.
    Client,
    /// The suite as the upstream server the proxy forwards to.
    Backend,
}

impl Side {
    /// The other end.
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Backend,
            Side::Backend => Side::Client,
        }
    }

    /// "client" or "backend".
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Backend => "backend",
        }
    }
}

/// One frame a side writes (the harness masks it when the client writes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyFrame {
    /// Opcode.
    pub opcode: Opcode,
    /// FIN bit.
    pub fin: bool,
    /// RSV bits (RSV1 = 4).
    pub rsv: u8,
    /// Payload, unmasked.
    pub payload: Payload,
}

impl ProxyFrame {
    /// A final frame without RSV bits.
    pub fn new(opcode: Opcode, payload: impl Into<Payload>) -> Self {
        ProxyFrame {
            opcode,
            fin: true,
            rsv: 0,
            payload: payload.into(),
        }
    }

    /// Sets FIN.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }
}

/// One step of a proxy case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyStep {
    /// `from` writes these frames; the step ends when the other side has received as
    /// many frames' worth of data and control frames, or after the step deadline.
    Send {
        /// Who writes.
        from: Side,
        /// The frames, in order.
        frames: Vec<ProxyFrame>,
    },
    /// `from` writes one text message compressed with the permessage-deflate the
    /// backend agreed to, cut into `fragments` frames (RSV1 on the first).
    SendCompressed {
        /// Who writes.
        from: Side,
        /// The message, uncompressed.
        payload: Payload,
        /// Number of frames.
        fragments: usize,
    },
    /// `from` starts the closing handshake; the other side answers with the same code
    /// once the close arrives, then the backend closes TCP (RFC 6455 §7.1.1).
    Close {
        /// Who starts.
        from: Side,
        /// Close code, if any.
        code: Option<u16>,
        /// Reason.
        reason: &'static str,
    },
    /// `from` closes its TCP connection without a close frame; the other side waits
    /// for the end of its own connection.
    Drop {
        /// Who drops.
        from: Side,
    },
    /// Both sides stay quiet for the run's idle bound (`--idle-bound`), `keepalive`
    /// sending a ping every quarter of it; then the client sends a message.
    Idle {
        /// The side that pings, if any.
        keepalive: Option<Side>,
    },
    /// The backend writes binary messages as fast as the proxy takes them while the
    /// client reads nothing, up to the run's flood bound; then the client reads.
    Flood,
    /// Opens WebSockets through the proxy one after the other, keeping each open, up to
    /// the run's connection bound; then sends a message on each.
    Concurrent,
}

/// What the client's opening request offers, beyond the standard request.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Offer {
    /// Sec-WebSocket-Protocol values offered.
    pub subprotocols: Vec<&'static str>,
    /// Offer permessage-deflate.
    pub deflate: bool,
    /// An Origin header.
    pub origin: Option<&'static str>,
    /// Hop-by-hop fields the proxy must not forward.
    pub hop_by_hop: Option<HopProbe>,
}

/// How the backend answers, beyond the standard 101.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Answer {
    /// Choose the first subprotocol the request offers.
    pub subprotocol: bool,
    /// Accept a permessage-deflate offer if the request carries one.
    pub deflate: bool,
    /// Hop-by-hop fields in the 101 that the proxy must not pass on to the client.
    pub hop_by_hop: Option<HopProbe>,
}

/// A hop-by-hop field added to a handshake message, named in its `Connection` beside
/// `Upgrade` (RFC 7230 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopProbe {
    /// `Keep-Alive: timeout=30`, a field hop-by-hop by definition.
    Standard,
    /// `X-Wsconform-Hop: 1`, hop-by-hop only because `Connection` names it.
    Named,
}

impl HopProbe {
    /// The field (name, value) and the `Connection` value that names it.
    pub fn fields(self) -> [(&'static str, &'static str); 2] {
        match self {
            HopProbe::Standard => [
                ("Connection", "Upgrade, Keep-Alive"),
                ("Keep-Alive", "timeout=30"),
            ],
            HopProbe::Named => [
                ("Connection", "Upgrade, X-Wsconform-Hop"),
                ("X-Wsconform-Hop", "1"),
            ],
        }
    }
}

/// The opening-request field that is compared between client and backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intact {
    /// Sec-WebSocket-Key.
    Key,
    /// Sec-WebSocket-Version.
    Version,
    /// Sec-WebSocket-Protocol.
    Protocol,
    /// Sec-WebSocket-Extensions.
    Extensions,
    /// Origin.
    Origin,
}

impl Intact {
    /// The header field name.
    pub fn header(self) -> &'static str {
        match self {
            Intact::Key => "Sec-WebSocket-Key",
            Intact::Version => "Sec-WebSocket-Version",
            Intact::Protocol => "Sec-WebSocket-Protocol",
            Intact::Extensions => "Sec-WebSocket-Extensions",
            Intact::Origin => "Origin",
        }
    }
}

/// The rule that decides a proxy case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyCheck {
    /// The request reaches the backend with `Upgrade: websocket`.
    UpgradeReachesBackend,
    /// The request reaches the backend with `Connection` naming `upgrade`.
    ConnectionReachesBackend,
    /// The hop-by-hop fields of the client's request do not reach the backend.
    RequestHopByHopRemoved,
    /// The hop-by-hop fields of the backend's 101 do not reach the client.
    ResponseHopByHopRemoved,
    /// The field arrives at the backend as the client sent it.
    Intact(Intact),
    /// The client receives a 101 that is valid for its own request (RFC 6455 §4.1).
    ResponseValid,
    /// Client and backend agree on the subprotocol.
    SubprotocolAgreed,
    /// Client and backend agree on permessage-deflate and its parameters.
    DeflateAgreed,
    /// Every data message and ping/pong `from` sent arrives at the other side with
    /// the same type and bytes, in order (fragmentation may change, §5.4).
    Messages {
        /// Who sent them.
        from: Side,
    },
    /// Frames arriving at `at` are masked (backend) or unmasked (client), §5.1.
    Masking {
        /// Where the frames are looked at.
        at: Side,
    },
    /// With an extension negotiated, the frames `from` sent arrive exactly as sent:
    /// same count, FIN, RSV bits and payloads (§5.4).
    FragmentsKept {
        /// Who sent them.
        from: Side,
    },
    /// The close `from` sent reaches the other side with its code and reason, and the
    /// answer comes back.
    CloseReaches {
        /// Who closed.
        from: Side,
    },
    /// The other side sees its connection end within `within` after `from` dropped TCP.
    DropReaches {
        /// Who dropped.
        from: Side,
        /// How long the other side may wait.
        within: Duration,
    },
    /// The connection outlives the idle bound (opt-in; the measured limit is reported).
    IdleSurvives,
    /// A flooding backend is slowed down rather than buffered without bound (opt-in;
    /// the amount queued is reported), and every byte still arrives.
    Backpressure,
    /// The proxy holds the run's bound of WebSockets open at once, each still carrying
    /// a message (opt-in; how many it held is reported).
    Concurrency,
}

/// A proxy case: identity, clause, what each side does, and the rule that decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyCase {
    /// Id, e.g. "19.1.1".
    pub id: String,
    /// Subsection title.
    pub subsection: &'static str,
    /// What the case does.
    pub description: String,
    /// What a conforming proxy does.
    pub expectation_text: String,
    /// The clauses checked; the first one's level grades a deviation.
    pub rfc: Vec<RfcRef>,
    /// The client's offer.
    pub offer: Offer,
    /// The backend's answer.
    pub answer: Answer,
    /// The steps, in order.
    pub steps: Vec<ProxyStep>,
    /// The rule that decides.
    pub check: ProxyCheck,
    /// Bounded but slow or heavy (idle timeouts, floods): only when asked for.
    pub opt_in: bool,
    /// Moves a large message (16 MiB): a run may leave it out with `--exclude`.
    pub large: bool,
}

/// The section title of proxy cases.
pub const SECTION: &str = "Proxies and intermediaries";

impl ProxyCase {
    /// The RFC references with what each requires (the reports' `rfc` field).
    pub fn rfc_requirements(&self) -> String {
        crate::model::requirements_line(&self.rfc)
    }

    /// The frames `from` sends in its `Send` steps, in order.
    pub fn frames_sent_by(&self, from: Side) -> Vec<&ProxyFrame> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                ProxyStep::Send { from: f, frames } if *f == from => Some(frames.iter()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}
