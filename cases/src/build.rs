//! A terse builder so the catalogue reads as a table of cases, not as code.

use std::time::Duration;

use ws_spec::frame::Opcode;

use crate::model::{
    Behavior, Case, Chop, Ending, Event, Expectation, ExpectedClose, FrameSpec, Level, Payload,
    RfcRef, Step, VerdictRule,
};

/// Close code 1000.
pub const NORMAL: u16 = 1000;
/// Close code 1002.
pub const PROTOCOL_ERROR: u16 = 1002;
/// Close code 1007.
pub const INVALID_PAYLOAD: u16 = 1007;

/// How a case's frames reach the wire; Autobahn plays several cases once per mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// All frames in one go.
    Together,
    /// Each frame flushed on its own (Autobahn's `sync`).
    FrameWise,
    /// One byte per TCP write.
    OctetWise,
}

impl Delivery {
    /// The sentence a case description adds for this mode.
    pub fn sentence(self) -> &'static str {
        match self {
            Delivery::Together => " The frames are written back to back with no flush in between.",
            Delivery::FrameWise => " Each frame is flushed to TCP on its own.",
            Delivery::OctetWise => " Every byte goes out in its own TCP write.",
        }
    }
}

/// Starts a case with its id and titles.
pub fn case(id: &str, section: &'static str, subsection: &str) -> CaseBuilder {
    CaseBuilder {
        case: Case {
            id: id.to_string(),
            section,
            subsection: subsection.to_string(),
            description: String::new(),
            expectation_text: String::new(),
            rfc: Vec::new(),
            steps: Vec::new(),
            ending: Ending::KillAfter(Duration::from_secs(1)),
            expect: Expectation {
                outcomes: Vec::new(),
                close: ExpectedClose {
                    closed_by_me: true,
                    codes: vec![NORMAL],
                    require_clean: true,
                    wrong_endpoint_is_fatal: false,
                },
                rule: VerdictRule::Events,
            },
            exclusive: false,
            quiet_wirelog: false,
            report_time: false,
            handshake: None,
            only_role: None,
            deflate: None,
            opt_in: false,
            response: None,
        },
    }
}

/// Builds one [`Case`].
#[derive(Clone, Debug)]
pub struct CaseBuilder {
    case: Case,
}

impl CaseBuilder {
    /// What the case sends.
    pub fn desc(mut self, text: impl Into<String>) -> Self {
        self.case.description = text.into();
        self
    }

    /// What a conforming peer does.
    pub fn expectation(mut self, text: impl Into<String>) -> Self {
        self.case.expectation_text = text.into();
        self
    }

    /// Cites an RFC 6455 clause.
    pub fn rfc(mut self, section: &'static str, level: Level) -> Self {
        self.case.rfc.push(RfcRef {
            rfc: 6455,
            section,
            level,
        });
        self
    }

    /// Cites a clause of another RFC.
    pub fn rfc_of(mut self, rfc: u16, section: &'static str, level: Level) -> Self {
        self.case.rfc.push(RfcRef {
            rfc,
            section,
            level,
        });
        self
    }

    /// Appends a step.
    pub fn step(mut self, step: Step) -> Self {
        self.case.steps.push(step);
        self
    }

    /// Sends a frame in one write.
    pub fn frame(self, frame: FrameSpec) -> Self {
        self.step(Step::Frame {
            frame,
            chop: Chop::Whole,
            sync: false,
        })
    }

    /// Sends a frame the way `how` says.
    pub fn frame_delivered(self, frame: FrameSpec, how: Delivery) -> Self {
        match how {
            Delivery::Together => self.frame(frame),
            Delivery::FrameWise => self.frame_sync(frame),
            Delivery::OctetWise => self.frame_chopped(frame, 1),
        }
    }

    /// Sends a frame in writes of `chop` bytes.
    pub fn frame_chopped(self, frame: FrameSpec, chop: usize) -> Self {
        self.step(Step::Frame {
            frame,
            chop: Chop::Every(chop),
            sync: false,
        })
    }

    /// Sends a frame flushed on its own (Autobahn's `sync=True`).
    pub fn frame_sync(self, frame: FrameSpec) -> Self {
        self.step(Step::Frame {
            frame,
            chop: Chop::Whole,
            sync: true,
        })
    }

    /// Sends a close frame and enters the closing handshake.
    pub fn close(self, code: Option<u16>, reason: &[u8]) -> Self {
        self.step(Step::Close {
            code,
            reason: reason.to_vec(),
        })
    }

    /// Pauses; a `marker` is recorded as a timeout event if the connection is still open.
    pub fn pause(self, ms: u64, marker: Option<&'static str>) -> Self {
        self.step(Step::Pause {
            duration: Duration::from_millis(ms),
            marker,
        })
    }

    /// Ends the case by failing the connection after `ms` (Autobahn's `killAfter`).
    pub fn kill_after(mut self, ms: u64) -> Self {
        self.case.ending = Ending::KillAfter(Duration::from_millis(ms));
        self
    }

    /// Ends the case with a normal close after `ms` (Autobahn's `closeAfter`).
    pub fn close_after(mut self, ms: u64) -> Self {
        self.case.ending = Ending::CloseAfter(Duration::from_millis(ms));
        self
    }

    /// Adds an expected outcome.
    pub fn outcome(mut self, behavior: Behavior, events: Vec<Event>) -> Self {
        self.case.expect.outcomes.push((behavior, events));
        self
    }

    /// Adds the OK outcome.
    pub fn ok(self, events: Vec<Event>) -> Self {
        self.outcome(Behavior::Ok, events)
    }

    /// Adds the NON-STRICT outcome.
    pub fn non_strict(self, events: Vec<Event>) -> Self {
        self.outcome(Behavior::NonStrict, events)
    }

    /// The suite closes; the peer must answer with one of `codes` (first = the one we send).
    pub fn closed_by_me(mut self, codes: &[u16], require_clean: bool) -> Self {
        self.case.expect.close.closed_by_me = true;
        self.case.expect.close.codes = codes.to_vec();
        self.case.expect.close.require_clean = require_clean;
        self
    }

    /// The peer must close (fail the connection) with one of `codes`.
    pub fn closed_by_peer(mut self, codes: &[u16], require_clean: bool) -> Self {
        self.case.expect.close.closed_by_me = false;
        self.case.expect.close.codes = codes.to_vec();
        self.case.expect.close.require_clean = require_clean;
        self
    }

    /// If the wrong side closes, the message verdict is FAILED too.
    pub fn wrong_endpoint_is_fatal(mut self) -> Self {
        self.case.expect.close.wrong_endpoint_is_fatal = true;
        self
    }

    /// Sets the verdict rule.
    pub fn rule(mut self, rule: VerdictRule) -> Self {
        self.case.expect.rule = rule;
        self
    }

    /// A performance case: runs alone, reports its time, keeps the bulk out of the wire log.
    pub fn performance(mut self) -> Self {
        self.case.exclusive = true;
        self.case.quiet_wirelog = true;
        self.case.report_time = true;
        self
    }

    /// Restricts the case to one role of the suite.
    pub fn only_role(mut self, role: crate::run::Role) -> Self {
        self.case.only_role = Some(role);
        self
    }

    /// Negotiates permessage-deflate as `setup` says.
    pub fn deflate(mut self, setup: crate::model::DeflateSetup) -> Self {
        self.case.deflate = Some(setup);
        self
    }

    /// Makes this a client-side opening-handshake case (the suite as server).
    pub fn response(mut self, response: crate::model::ResponseCase) -> Self {
        self.case.response = Some(response);
        self
    }

    /// Makes this an opening-handshake case.
    pub fn handshake(mut self, handshake: crate::model::HandshakeCase) -> Self {
        self.case.handshake = Some(handshake);
        self
    }

    /// Leaves the case out of `*` (aggressive cases): it runs when its section is
    /// named or with `--all`.
    pub fn opt_in(mut self) -> Self {
        self.case.opt_in = true;
        self
    }

    /// Lets a performance case run beside others: for CPU-bound cases (compression)
    /// running alone only serializes work, while their verdict does not depend on time.
    pub fn shared(mut self) -> Self {
        self.case.exclusive = false;
        self
    }

    /// The finished case.
    pub fn build(self) -> Case {
        self.case
    }
}

/// A text frame.
pub fn text(payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::Text, payload)
}

/// A binary frame.
pub fn binary(payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::Binary, payload)
}

/// A continuation frame.
pub fn continuation(payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::Continuation, payload)
}

/// A ping frame.
pub fn ping(payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::Ping, payload)
}

/// A pong frame.
pub fn pong(payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::Pong, payload)
}

/// A frame with any opcode value 0..=15.
pub fn opcode_frame(opcode: u8, payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(Opcode::from_u4(opcode), payload)
}

/// `pattern` repeated to `len` bytes.
pub fn repeat(pattern: &[u8], len: usize) -> Payload {
    Payload::Repeat {
        pattern: pattern.to_vec(),
        len,
    }
}

/// Expected event: a text message.
pub fn ev_text(payload: impl AsRef<[u8]>) -> Event {
    Event::Message {
        payload: payload.as_ref().to_vec(),
        binary: false,
    }
}

/// Expected event: a binary message.
pub fn ev_binary(payload: impl AsRef<[u8]>) -> Event {
    Event::Message {
        payload: payload.as_ref().to_vec(),
        binary: true,
    }
}

/// Expected event: a pong.
pub fn ev_pong(payload: impl AsRef<[u8]>) -> Event {
    Event::Pong(payload.as_ref().to_vec())
}

/// Expected event: a scripted pause ended with the connection open.
pub fn ev_timeout(marker: &'static str) -> Event {
    Event::Timeout(marker)
}
