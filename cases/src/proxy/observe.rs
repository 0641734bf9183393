//! What the harness saw on both sides of a proxy while playing a case.

use std::time::Duration;

use ws_spec::handshake::{Request, Response};
use ws_spec::intermediary::RelayedFrame;

/// The opening handshake on both hops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandshakeTrace {
    /// The header fields of the client's request, as sent.
    pub client_request: Vec<(String, String)>,
    /// The client's Sec-WebSocket-Key.
    pub key: String,
    /// The request as it arrived at the backend, if one arrived.
    pub backend_request: Option<Request>,
    /// The backend's response, as sent.
    pub backend_response: Option<Response>,
    /// The response as it arrived at the client, if one arrived.
    pub client_response: Option<Response>,
    /// Why the client's response fails RFC 6455 §4.1 for the client's request
    /// (`None`: valid, or no response).
    pub client_refusal: Option<String>,
}

/// One side's traffic after the opening handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SideTrace {
    /// Frames this side wrote (as sent, before masking).
    pub sent: Vec<RelayedFrame>,
    /// Frames this side received, in order.
    pub received: Vec<RelayedFrame>,
    /// The connection ended (end of stream or reset) while the case ran.
    pub ended: bool,
    /// The bytes received did not decode as frames: why.
    pub error: Option<String>,
}

/// The idle measurement (opt-in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleOutcome {
    /// How long both sides were meant to stay quiet.
    pub bound: Duration,
    /// When the connection ended during the quiet time, measured from its start.
    pub dropped_after: Option<Duration>,
    /// The message sent after the quiet time reached the backend.
    pub message_through: bool,
}

/// The flood measurement (opt-in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloodOutcome {
    /// Bytes the backend may write at most.
    pub bound: u64,
    /// Bytes the backend wrote while the client read nothing.
    pub written: u64,
    /// Bytes the client read once it started reading.
    pub delivered: u64,
}

/// The concurrency measurement (opt-in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConcurrencyOutcome {
    /// How many WebSockets the suite meant to hold at once.
    pub bound: usize,
    /// How many opened (101 at the client) and stayed open together.
    pub held: usize,
    /// Of those, how many carried a message from the client to the backend afterwards.
    pub carried: usize,
    /// Why the next one did not open, when fewer than the bound did.
    pub stopped: Option<String>,
}

/// The closing handshake a case ends with (the client closes with 1000).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalClose {
    /// The close code the backend received (`Some(None)`: a close without a code).
    pub backend_got: Option<Option<u16>>,
    /// The close code the client received back.
    pub client_got: Option<Option<u16>>,
    /// The client's connection ended after the close.
    pub client_ended: bool,
}

/// Everything the harness saw while playing one proxy case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyObservation {
    /// The opening handshake.
    pub handshake: HandshakeTrace,
    /// The client's side.
    pub client: SideTrace,
    /// The backend's side.
    pub backend: SideTrace,
    /// After a `Drop` step: how long until the other side's connection ended (`None`:
    /// not within the case's bound).
    pub drop_seen_after: Option<Duration>,
    /// The idle measurement, when the case has one.
    pub idle: Option<IdleOutcome>,
    /// The flood measurement, when the case has one.
    pub flood: Option<FloodOutcome>,
    /// The concurrency measurement, when the case has one.
    pub concurrency: Option<ConcurrencyOutcome>,
    /// The closing handshake the case ends with (when it did not close already).
    pub final_close: Option<FinalClose>,
    /// The case could not be played through the proxy: why.
    pub failure: Option<String>,
}

impl ProxyObservation {
    /// The trace of `side`.
    pub fn side(&self, side: super::Side) -> &SideTrace {
        match side {
            super::Side::Client => &self.client,
            super::Side::Backend => &self.backend,
        }
    }
}
