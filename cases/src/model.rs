//! The data a case is made of: what it sends, when, and what it expects back.

use std::time::Duration;

use serde::Serialize;
use ws_spec::deflate::{DeflateOffer, ServerPolicy};
use ws_spec::endpoint::Role;
use ws_spec::frame::{LengthForm, Opcode};

pub use crate::deflate_data::DataSet;

/// The RFC clause a case checks, and its requirement level: the same types
/// ws-spec's rules cite.
pub use ws_spec::rfc::{Level, RfcRef};

/// A payload, kept small in the catalogue even when the case sends 16 MiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// These exact bytes.
    Bytes(Vec<u8>),
    /// `pattern` repeated (and cut) to exactly `len` bytes, as Autobahn's `payload_len`.
    Repeat {
        /// The bytes repeated.
        pattern: Vec<u8>,
        /// Total length.
        len: usize,
    },
}

impl Payload {
    /// Total length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::Repeat { len, .. } => *len,
        }
    }

    /// True when the payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The full bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Payload::Bytes(b) => b.clone(),
            Payload::Repeat { pattern, len } => {
                if pattern.is_empty() {
                    return vec![0; *len];
                }
                // Doubling copies: 16 MiB in a couple dozen memcpys, not byte by byte.
                let mut out = Vec::with_capacity(*len);
                out.extend_from_slice(&pattern[..pattern.len().min(*len)]);
                while out.len() < *len {
                    let n = out.len().min(*len - out.len());
                    out.extend_from_within(..n);
                }
                out
            }
        }
    }
}

impl Payload {
    /// The first offset where `data` differs from these bytes (a length difference
    /// counts at the shorter length); `None` when equal. Compares without building
    /// the payload, as the 9.x echo checks run on messages of up to 16 MiB.
    pub fn first_difference(&self, data: &[u8]) -> Option<usize> {
        let len = self.len();
        let common = len.min(data.len());
        // A block of whole periods of the pattern: the payload is that block over and
        // over, so chunks compare as slices (memcmp).
        let block: Vec<u8> = match self {
            Payload::Bytes(b) => b[..common].to_vec(),
            Payload::Repeat { pattern, .. } => {
                let period = pattern.len().max(1);
                let periods = (64 * 1024 / period).max(1);
                Payload::Repeat {
                    pattern: pattern.clone(),
                    len: (period * periods).min(common.max(1)),
                }
                .to_bytes()
            }
        };
        let mut at = 0;
        while at < common {
            let n = block.len().min(common - at);
            let (got, want) = (&data[at..at + n], &block[..n]);
            if got != want {
                let off = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                return Some(at + off);
            }
            at += n;
        }
        (len != data.len()).then_some(common)
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Self {
        Payload::Bytes(s.as_bytes().to_vec())
    }
}

impl From<&[u8]> for Payload {
    fn from(s: &[u8]) -> Self {
        Payload::Bytes(s.to_vec())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(s: Vec<u8>) -> Self {
        Payload::Bytes(s)
    }
}

/// One frame the script puts on the wire, valid or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameSpec {
    /// Opcode, including reserved ones.
    pub opcode: Opcode,
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as a 3-bit value (RSV1 = 4).
    pub rsv: u8,
    /// Payload (unmasked).
    pub payload: Payload,
    /// How the length is written.
    pub length_form: LengthForm,
    /// Masking, where a case breaks (or probes) the role's rule.
    pub mask: MaskMode,
}

/// How a frame the suite writes is masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MaskMode {
    /// As the role requires: a client masks with a fresh key, a server never masks.
    #[default]
    Role,
    /// Unmasked, whatever the role (RFC 6455 §5.1 forbids it from a client).
    Unmasked,
    /// Masked with this key, whatever the role (§5.1 forbids masking from a server).
    Key([u8; 4]),
}

impl FrameSpec {
    /// A final frame with no RSV bits.
    pub fn new(opcode: Opcode, payload: impl Into<Payload>) -> Self {
        FrameSpec {
            opcode,
            fin: true,
            rsv: 0,
            payload: payload.into(),
            length_form: LengthForm::Minimal,
            mask: MaskMode::Role,
        }
    }

    /// Sets FIN.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Sets how the frame is masked.
    pub fn mask(mut self, mask: MaskMode) -> Self {
        self.mask = mask;
        self
    }

    /// Sets the RSV bits.
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }
}

/// When a write is split into several writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Chop {
    /// One write.
    #[default]
    Whole,
    /// Writes of at most N bytes, each flushed on its own (Autobahn's `chopsize`).
    Every(usize),
    /// Writes of at most `size` bytes, one every `interval` (a slow peer, §10.4):
    /// the first goes at once, the rest follow on the clock while the case goes on.
    Paced {
        /// Bytes per write.
        size: usize,
        /// Time between two writes.
        interval: Duration,
    },
}

/// One step of a case's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send one frame.
    Frame {
        /// The frame.
        frame: FrameSpec,
        /// How its bytes are written.
        chop: Chop,
        /// Flush this frame on its own before what follows (Autobahn's `sync`).
        sync: bool,
    },
    /// Send a message auto-fragmented into frames carrying at most `fragment` bytes each.
    Message {
        /// Text or binary.
        opcode: Opcode,
        /// The message.
        payload: Payload,
        /// Largest frame payload; `None` sends one frame.
        fragment: Option<usize>,
    },
    /// Write the header of one frame announcing `len` bytes; its payload follows in `FrameData` steps.
    FrameHeader {
        /// Opcode.
        opcode: Opcode,
        /// FIN bit.
        fin: bool,
        /// Announced payload length.
        len: u64,
    },
    /// A piece of the payload of the frame begun by `FrameHeader` (masked as part of that frame).
    FrameData(Vec<u8>),
    /// Send a close frame and enter the closing handshake (Autobahn's `sendClose` / `sendCloseFrame`).
    Close {
        /// Close code, if any.
        code: Option<u16>,
        /// Reason bytes (may be invalid UTF-8 on purpose).
        reason: Vec<u8>,
    },
    /// Write raw bytes.
    Raw {
        /// The bytes.
        bytes: Vec<u8>,
        /// How they are written.
        chop: Chop,
    },
    /// Wait, then — if the connection is still open — note `marker` as a `timeout` event and go on.
    /// If the connection is no longer open, the script stops here.
    Pause {
        /// How long.
        duration: Duration,
        /// Event recorded when the pause ends with the connection open.
        marker: Option<&'static str>,
    },
    /// Send `count` messages one after another, each after the echo of the previous one.
    RoundTrips {
        /// Text or binary.
        opcode: Opcode,
        /// Each message.
        payload: Payload,
        /// How many.
        count: usize,
    },
    /// Shut the write side of the TCP connection (a half-close): the peer reads
    /// end-of-stream after what was sent, and nothing more is written.
    ShutdownWrite,
    /// Send `count` pings in one write; the payload of ping i is i as 4 big-endian bytes.
    Pings {
        /// How many.
        count: u32,
    },
    /// Send one message a byte larger than the limit the user declared for the
    /// peer (`RunConfig::peer_max_message`), streamed so it is never held in
    /// memory; without a declared limit the case is not played.
    AbovePeerLimit {
        /// Text or binary.
        opcode: Opcode,
    },
    /// Autobahn 12.x/13.x: send `count` messages of `len` bytes cut one after
    /// another from `data`, each compressed (permessage-deflate) and
    /// auto-fragmented at `fragment` compressed bytes, each after the echo
    /// of the previous one.
    CompressedEchoes {
        /// Where the messages are cut from (its kind sets text or binary).
        data: DataSet,
        /// Length of each message, uncompressed.
        len: usize,
        /// How many.
        count: usize,
        /// Largest frame payload (of the compressed message); `None` sends one frame.
        fragment: Option<usize>,
    },
}

/// How the case ends if the peer has not ended it: the last step of Autobahn's scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `killAfter`: fail the connection (close 1001, then drop) after this long.
    KillAfter(Duration),
    /// `closeAfter`: start a normal closing handshake after this long.
    CloseAfter(Duration),
}

/// One thing the peer did, as the verdict compares them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Event {
    /// A complete message.
    Message {
        /// The payload.
        payload: Vec<u8>,
        /// Binary (true) or text.
        binary: bool,
    },
    /// A ping from the peer.
    Ping(Vec<u8>),
    /// A pong from the peer.
    Pong(Vec<u8>),
    /// A scripted pause ended with the connection still open.
    Timeout(&'static str),
}

/// The verdicts of a case, with Autobahn's values: the same types the reports use.
pub use ws_verdict::{Behavior, CloseBehavior};

/// What the closing of the connection must look like (Autobahn's `expectedClose`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectedClose {
    /// The suite sends the first close frame (true) or the peer does (false).
    pub closed_by_me: bool,
    /// Close codes the peer may send; the first is the one the suite closes with.
    pub codes: Vec<u16>,
    /// A clean close (full handshake, server drops TCP) is required.
    pub require_clean: bool,
    /// When the wrong side closes, the message verdict is FAILED too (the peer missed the error).
    pub wrong_endpoint_is_fatal: bool,
}

/// Case-specific adjustments of the generic verdict, as Autobahn's cases make them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerdictRule {
    /// Compare the events with the expected outcomes.
    Events,
    /// As `Events`, and a WRONG CODE close makes the message verdict FAILED (7.x).
    WrongCodeIsFatal,
    /// The outcome is reported but both verdicts are INFORMATIONAL (7.1.6, 7.13.x).
    Informational,
    /// Autobahn 9.1–9.6: the first message must echo what was sent.
    /// Autobahn compares only type and length; we also compare the bytes (a deliberate correction).
    Echo {
        /// Expected type.
        binary: bool,
        /// Expected payload.
        payload: Payload,
    },
    /// Autobahn 9.7/9.8: all round trips of the `RoundTrips` step must come back.
    RoundTrips,
    /// Autobahn 12.x/13.x: every message of the `CompressedEchoes` step must
    /// come back with the bytes sent; UNIMPLEMENTED when permessage-deflate
    /// was not negotiated. Autobahn compares SHA-1 digests; we compare the bytes.
    CompressedEchoes,
    /// The RFC leaves the reaction open (a decompression bomb): both verdicts
    /// are INFORMATIONAL and the result says what the peer did (close code and
    /// when, messages sent back, what the suite had to fail).
    Report,
    /// Sections 15 and 16: one measured fact decides, graded by the level of the
    /// clause the case cites; the run also behaves as the measure needs.
    Measured(Measure),
    /// Autobahn 10.1.1: as `Events`, and the suite's own frame counts must match auto-fragmentation.
    AutoFragment {
        /// Fragment size used.
        fragment: usize,
        /// Message length.
        len: usize,
    },
}

/// What a measured case (sections 15 and 16) looks at, and how the run plays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// RFC 6455 §7.1.1 (suite as client): after the closing handshake the server
    /// closes TCP first; the suite waits `within` for it.
    ServerDropsFirst {
        /// How long the suite waits before closing TCP itself.
        within: Duration,
    },
    /// §5.5.1: the peer answers the suite's close with a close frame (also when
    /// the suite shut its write side right after its close).
    CloseAnswered,
    /// §7.1.7: the peer fails the connection; the suite never answers its close
    /// and reports how long the peer keeps TCP open, up to `within`.
    DropWithoutAnswer {
        /// How long the suite waits before closing TCP itself.
        within: Duration,
    },
    /// §7.1.1 (suite as server): after the closing handshake the suite keeps TCP
    /// open for `hold`; the client should wait for the server to close it.
    ClientWaits {
        /// How long the suite keeps TCP open.
        hold: Duration,
    },
    /// Suite as server: it never closes TCP after the closing handshake; reports
    /// when the client leaves, up to `within`.
    ClientLeaves {
        /// How long the suite waits before closing TCP itself.
        within: Duration,
    },
    /// §10.4: while the case's frame stalls unfinished, a second connection
    /// opened `after` into the case must still get its echo within `deadline`.
    StillServes {
        /// When the second connection opens (after the case's opening handshake).
        after: Duration,
        /// How long the second connection may take to echo.
        deadline: Duration,
    },
    /// §7.4.1, §10.4: the message above the declared limit (`Step::AbovePeerLimit`)
    /// is refused with 1009.
    PeerLimit,
    /// No limit is required: the message is echoed (with these bytes, or the
    /// case FAILS) or refused by a limit; reported with the time taken.
    EchoOrLimit {
        /// Expected type.
        binary: bool,
        /// Expected payload.
        payload: Payload,
    },
    /// §5.5.2, §5.5.3: the pings of `Step::Pings` are answered, each pong with
    /// its ping's payload, at least the last one.
    Pongs {
        /// Pings sent.
        count: u32,
    },
}

impl Measure {
    /// Longest the measure may keep a case waiting on the peer, for scheduling:
    /// a case that mostly waits should not hold a job slot.
    pub fn wait(&self) -> Duration {
        match self {
            Measure::ServerDropsFirst { within }
            | Measure::DropWithoutAnswer { within }
            | Measure::ClientLeaves { within } => *within,
            Measure::ClientWaits { hold } => *hold,
            Measure::StillServes { after, deadline } => *after + *deadline,
            _ => Duration::ZERO,
        }
    }

    /// True when the RFC leaves the outcome open, so a conforming peer earns
    /// INFORMATIONAL (what it did, measured) rather than OK.
    pub fn reports_only(&self) -> bool {
        matches!(
            self,
            Measure::DropWithoutAnswer { .. }
                | Measure::ClientLeaves { .. }
                | Measure::EchoOrLimit { .. }
        )
    }
}

/// What a case expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// Outcome label and the exact list of events that earns it, in order of preference.
    pub outcomes: Vec<(Behavior, Vec<Event>)>,
    /// How the connection must close.
    pub close: ExpectedClose,
    /// Case-specific verdict adjustments.
    pub rule: VerdictRule,
}

/// A conformance case: its identity, the clause it checks, its script and its expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Autobahn-compatible id, e.g. "6.4.3".
    pub id: String,
    /// Section title, e.g. "UTF-8 Handling".
    pub section: &'static str,
    /// Subsection title (empty where Autobahn has none).
    pub subsection: String,
    /// What the case sends.
    pub description: String,
    /// What a conforming peer does.
    pub expectation_text: String,
    /// The clauses checked.
    pub rfc: Vec<RfcRef>,
    /// The script, played in order.
    pub steps: Vec<Step>,
    /// How the case ends if nobody else ends it.
    pub ending: Ending,
    /// The expectation.
    pub expect: Expectation,
    /// Performance case: runs alone so its timing means something.
    pub exclusive: bool,
    /// Autobahn's `createWirelog = False`: the wire log is left out while the bulk data flows.
    pub quiet_wirelog: bool,
    /// Report the duration (Autobahn's `reportTime`).
    pub report_time: bool,
    /// An opening-handshake case (section 0): how the request deviates and what must follow.
    pub handshake: Option<HandshakeCase>,
    /// The only role the suite may play this case in, when the case breaks one role's rule.
    pub only_role: Option<Role>,
    /// permessage-deflate offers and acceptance, for cases that need the extension.
    pub deflate: Option<DeflateSetup>,
    /// Aggressive by design (section 15): left out of `*` unless asked for by
    /// its own section or with `--all`.
    pub opt_in: bool,
    /// A client-side opening-handshake case (section 0, suite as server): how the
    /// response deviates and what the client must do about it.
    pub response: Option<ResponseCase>,
}

/// How a case negotiates permessage-deflate (RFC 7692), as Autobahn's
/// sections 12 and 13 do.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeflateSetup {
    /// The suite as client: the offers of its request, in order of preference.
    pub offers: Vec<DeflateOffer>,
    /// The suite as server: the policies tried in turn on the client's offers
    /// ([`ws_spec::deflate::server_negotiate_first`]).
    pub accept: Vec<ServerPolicy>,
    /// Fail a compressed message from the peer whose back-references reach
    /// beyond the window it agreed to (RFC 7692 §7.1.2); off in sections 12
    /// and 13, where Autobahn does not check it and the check costs a second
    /// decoding of every message.
    pub check_window: bool,
    /// The script's compressed payloads refer back to earlier messages
    /// (RFC 7692 §7.2.3.2), so the case cannot be played when the
    /// negotiation takes context takeover away from the suite.
    pub sends_with_context: bool,
}

impl Case {
    /// The id split into numeric components, for ordering and matching.
    pub fn id_components(&self) -> Vec<u32> {
        id_components(&self.id)
    }

    /// Whether the suite can play this case in `role` (handshake cases vary the
    /// client's request, so they exist with the suite as client only; response
    /// cases vary the server's answer, so they exist with the suite as server only).
    pub fn plays_in(&self, role: Role) -> bool {
        let handshake_ok = self.handshake.is_none() || role == Role::Client;
        let response_ok = self.response.is_none() || role == Role::Server;
        handshake_ok && response_ok && self.only_role.is_none_or(|r| r == role)
    }

    /// The hard deadline of this case, given the runner's: sections 12 and 13
    /// are judged on Autobahn's own time limits (60 to 480 s), which a shorter
    /// hard deadline would cut short on a slow server, so theirs wins, with a
    /// few seconds for the closing handshake.
    pub fn hard_deadline(&self, runner: Duration) -> Duration {
        match (&self.expect.rule, self.ending) {
            (VerdictRule::CompressedEchoes, Ending::CloseAfter(own) | Ending::KillAfter(own)) => {
                runner.max(own + Duration::from_secs(5))
            }
            _ => runner,
        }
    }

    /// The RFC references as one line: "RFC 6455 §5.2 (MUST); ...".
    pub fn rfc_line(&self) -> String {
        self.rfc
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The RFC references with what each requires, for reports:
    /// "RFC 6455 §5.2 (MUST): <the requirement>; ...".
    pub fn rfc_requirements(&self) -> String {
        requirements_line(&self.rfc)
    }
}

/// RFC references with what each requires, for reports:
/// "RFC 6455 §5.2 (MUST): <the requirement>; ...".
pub(crate) fn requirements_line(rfc: &[RfcRef]) -> String {
    rfc.iter()
        .map(|r| match r.requirement() {
            Some(sentence) => format!("{r}: {sentence}"),
            None => r.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One change to the standard opening request (RFC 6455 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestEdit {
    /// Replace (or add) a header.
    Set(&'static str, &'static str),
    /// Append a header, even if one of that name exists.
    Add(&'static str, &'static str),
    /// Remove every header of that name.
    Remove(&'static str),
    /// Rename a header (e.g. change its case).
    Rename(&'static str, &'static str),
    /// Append a raw line (folded headers, junk).
    RawLine(&'static str),
    /// Another method.
    Method(&'static str),
    /// Another HTTP version.
    Version(&'static str),
    /// Another request target.
    Target(&'static str),
    /// Pad the head with a header of this many bytes.
    Pad(usize),
}

/// What must come of the opening request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeExpect {
    /// A valid 101 response; then the script plays as in any case.
    Accept,
    /// Not a WebSocket request at all: any answer but 101 is right (a plain HTTP
    /// server may well serve a page).
    NotUpgraded,
    /// No 101: an HTTP error status (4xx), and, where named, a header in the response.
    Refuse {
        /// The status the RFC names, if it names one (426 for a wrong version).
        status: Option<u16>,
        /// Other error statuses that fit this request as well (505 for HTTP/1.0).
        also: &'static [u16],
        /// A header the refusal must carry (name, value).
        header: Option<(&'static str, &'static str)>,
    },
    /// The RFC leaves it open: what the server did is reported.
    Report,
    /// The request offers this extension in a form the server must decline
    /// (RFC 7692 §7): a 101 without it in `Sec-WebSocket-Extensions`, after
    /// which the script plays as in any case, or an HTTP error refusing the
    /// whole handshake. Accepting it breaks the rule.
    Decline(&'static str),
}

/// An opening-handshake case: the request sent and what must follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeCase {
    /// Changes to the standard request, applied in order.
    pub edits: Vec<RequestEdit>,
    /// How the request is written (`Chop::Every(1)` dribbles it).
    pub chop: Chop,
    /// Send the script's frames right behind the request, in the same write,
    /// before the response arrives.
    pub script_with_request: bool,
    /// Stop writing the request after this many bytes (a request that never finishes).
    pub truncate_at: Option<usize>,
    /// What must follow.
    pub expect: HandshakeExpect,
}

impl HandshakeCase {
    /// The standard request changed by `edits`, written whole in one write with
    /// nothing behind it; `expect` is what must follow.
    pub fn new(edits: Vec<RequestEdit>, expect: HandshakeExpect) -> Self {
        HandshakeCase {
            edits,
            chop: Chop::Whole,
            script_with_request: false,
            truncate_at: None,
            expect,
        }
    }
}

/// One change to the reference 101 response (RFC 6455 §4.2.2), for client-side
/// handshake cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseEdit {
    /// Replace the status line (e.g. `HTTP/1.1 200 OK`).
    StatusLine(&'static str),
    /// Replace (or add) a header.
    Set(&'static str, &'static str),
    /// Remove every header of that name.
    Remove(&'static str),
    /// Rename a header (e.g. change its case).
    Rename(&'static str, &'static str),
    /// A `Sec-WebSocket-Accept` computed from a key one bit off the client's: well
    /// formed, and wrong.
    WrongAccept,
}

/// What a client must do with the response of a client-side handshake case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseExpect {
    /// The response is valid: the connection opens and the script plays as usual.
    Accept,
    /// The response is invalid: the client must fail the connection (close TCP)
    /// without ever using it, so the message the suite sends behind the response
    /// must not come back.
    Fail,
}

/// A client-side opening-handshake case: the response sent and what must follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseCase {
    /// Changes to the reference response, applied in order.
    pub edits: Vec<ResponseEdit>,
    /// How the response is written (`Chop::Every(1)` dribbles it).
    pub chop: Chop,
    /// Write the script's first frames in the same write as the response.
    pub script_with_response: bool,
    /// What must follow.
    pub expect: ResponseExpect,
}

/// Splits "6.4.3" into `[6, 4, 3]`; a non-numeric component counts as 0.
pub fn id_components(id: &str) -> Vec<u32> {
    id.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::Payload;

    fn slow(p: &Payload) -> Vec<u8> {
        match p {
            Payload::Bytes(b) => b.clone(),
            Payload::Repeat { pattern, len } if pattern.is_empty() => vec![0; *len],
            Payload::Repeat { pattern, len } => {
                pattern.iter().copied().cycle().take(*len).collect()
            }
        }
    }

    #[test]
    fn repeat_builds_the_cycled_pattern_and_compares_without_building_it() {
        let patterns: [&[u8]; 4] = [b"", b"*", b"BAsd7&jh23", &[0xce, 0xba, 0xe1, 0xbd]];
        for pattern in patterns {
            for len in [0, 1, 9, 10, 11, 65_535, 65_536, 65_541, 200_003] {
                let p = Payload::Repeat {
                    pattern: pattern.to_vec(),
                    len,
                };
                let want = slow(&p);
                assert_eq!(p.to_bytes(), want, "{pattern:?} x {len}");
                assert_eq!(p.first_difference(&want), None);
                if len > 0 {
                    for at in [0, len / 2, len - 1] {
                        let mut bad = want.clone();
                        bad[at] ^= 0x20;
                        assert_eq!(
                            p.first_difference(&bad),
                            Some(at),
                            "{pattern:?} x {len} at {at}"
                        );
                    }
                    assert_eq!(p.first_difference(&want[..len - 1]), Some(len - 1));
                }
                let mut longer = want.clone();
                longer.push(b'x');
                assert_eq!(p.first_difference(&longer), Some(len));
            }
        }
        let b = Payload::Bytes(b"hello".to_vec());
        assert_eq!(b.first_difference(b"hello"), None);
        assert_eq!(b.first_difference(b"help!"), Some(3));
        assert_eq!(b.first_difference(b"hell"), Some(4));
    }
}
