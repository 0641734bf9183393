//! Cases judged on their echoes (Autobahn's 9.x and 12.x/13.x, and the
//! single-echo rule): the next message sent when the last one came back, each
//! echo compared with what was sent.

use super::*;

impl CaseRun<'_> {
    /// `Step::RoundTrips`: the first of `count` messages; each echo sends the next.
    pub(super) fn start_round_trips(&mut self, opcode: Opcode, payload: &Payload, count: usize) {
        self.wirelog.on = !self.case.quiet_wirelog;
        self.round_trip = Some(RoundTrip {
            opcode,
            payload: payload.to_bytes(),
            count,
            sent: 0,
        });
        self.send_next_round_trip();
    }

    /// `Step::CompressedEchoes`: the first of `count` compressed messages; each
    /// echo sends the next.
    pub(super) fn start_compressed_echoes(
        &mut self,
        data: DataSet,
        len: usize,
        count: usize,
        fragment: Option<usize>,
    ) {
        self.wirelog.on = !self.case.quiet_wirelog;
        self.echoes = Some(Echoes {
            data,
            len,
            count,
            fragment,
            sent: 0,
            expected: Vec::new(),
        });
        self.send_next_echo();
    }

    /// Autobahn 12.x/13.x: the next message, compressed, RSV1 on its first frame.
    pub(super) fn send_next_echo(&mut self) {
        if self.state != State::Open {
            return;
        }
        let Some(e) = self.echoes.as_mut() else {
            return;
        };
        let message = e.data.message(e.sent, e.len);
        e.sent += 1;
        let opcode = if e.data.binary() {
            Opcode::Binary
        } else {
            Opcode::Text
        };
        let fragment = e.fragment;
        let (payload, rsv) = match self.codec.as_mut() {
            Some(c) => (c.compressor.compress(&message), 0b100),
            None => (message.clone(), 0),
        };
        e.expected = message;
        self.send_fragmented(opcode, rsv, &payload, fragment);
        // An echo is owed from here: the peer must send something within the stall timeout.
        self.timers
            .set(Timer::Stalled, self.now + self.config.stall_timeout);
    }

    pub(super) fn send_next_round_trip(&mut self) {
        let Some(rt) = self.round_trip.as_mut() else {
            return;
        };
        rt.sent += 1;
        let (opcode, payload) = (rt.opcode, rt.payload.clone());
        self.send_frame(Bits::plain(opcode, true), &payload, Chop::Whole, false);
    }

    /// A whole message arrived: checked against the case's echo rule, or recorded.
    pub(super) fn on_message(&mut self, data: Vec<u8>, binary: bool) {
        let case = self.case;
        match &case.expect.rule {
            VerdictRule::CompressedEchoes => self.on_compressed_echo(data, binary),
            VerdictRule::Echo {
                binary: want_binary,
                payload,
            } => self.on_echo(*want_binary, payload, data, binary),
            VerdictRule::RoundTrips => self.on_round_trip(data, binary),
            VerdictRule::Measured(m) => self.on_measured_message(m, data, binary),
            _ => {
                self.record(Event::Message {
                    payload: data,
                    binary,
                });
                self.finish_when_done();
            }
        }
    }

    /// Autobahn 12.x/13.x: the echo of the last compressed message sent.
    fn on_compressed_echo(&mut self, data: Vec<u8>, binary: bool) {
        let Some(e) = self.echoes.as_ref() else {
            return;
        };
        let want_binary = e.data.binary();
        let mismatch = if binary != want_binary {
            Some(format!(
                "Echo'ed message type differs from what I sent (got {}, expected {}).",
                kind(binary),
                kind(want_binary)
            ))
        } else if data.len() != e.expected.len() {
            Some(format!(
                "Echo'ed message length differs from what I sent (got length {}, expected length {}).",
                data.len(),
                e.expected.len()
            ))
        } else if data != e.expected {
            let at = data
                .iter()
                .zip(&e.expected)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            Some(format!(
                "Echo'ed message contents differ from what I sent (message {}, first difference at offset {at}).",
                e.sent
            ))
        } else {
            None
        };
        self.timers.stop(Timer::Stalled);
        if let Some(why) = mismatch {
            self.wirelog.on = true;
            self.obs.perf = Some((false, why));
            self.send_close(Some(close::codes::NORMAL), b"");
        } else if e.sent < e.count {
            self.send_next_echo();
        } else {
            self.wirelog.on = true;
            self.obs.perf = Some((true, "Ok, received all echo'ed messages in time.".into()));
            self.send_close(Some(close::codes::NORMAL), b"");
        }
    }

    /// The stall timer fired: no byte from the peer for the stall timeout while the
    /// echo of a compression case was owed. The case fails now instead of at its time
    /// limit; the echoes that came back say whether the peer was making progress.
    pub(super) fn on_stalled(&mut self) {
        let Some(e) = self.echoes.as_ref() else {
            return;
        };
        if self.state != State::Open || self.obs.perf.is_some() {
            return;
        }
        let echoed = e.sent.saturating_sub(1) as u64;
        self.obs.stalled_after_echoes = Some(echoed);
        self.wirelog.on = true;
        self.obs.perf = Some((
            false,
            format!(
                "The peer stopped answering: no byte for {} s while the echo of message {} of {} was owed.",
                self.config.stall_timeout.as_secs_f64(),
                e.sent,
                e.count
            ),
        ));
        self.send_close(Some(close::codes::NORMAL), b"");
    }

    /// The single echo a case checks.
    pub(super) fn on_echo(
        &mut self,
        want_binary: bool,
        payload: &Payload,
        data: Vec<u8>,
        binary: bool,
    ) {
        self.wirelog.on = true;
        let verdict = if binary != want_binary {
            (
                false,
                format!(
                    "Expected {} message, but got {}.",
                    kind(want_binary),
                    kind(binary)
                ),
            )
        } else if data.len() != payload.len() {
            (
                false,
                format!(
                    "Expected {} message with payload of length {}, but got {}.",
                    kind(want_binary),
                    payload.len(),
                    data.len()
                ),
            )
        } else if let Some(at) = payload.first_difference(&data) {
            (
                false,
                format!(
                    "Received {} message of the right length, but its bytes differ from what was sent at offset {at}.",
                    kind(binary)
                ),
            )
        } else {
            (
                true,
                format!(
                    "Received {} message of length {}.",
                    kind(binary),
                    data.len()
                ),
            )
        };
        if self.obs.perf.is_none() {
            self.obs.perf = Some(verdict);
        }
        self.send_close(Some(close::codes::NORMAL), b"");
    }

    /// Autobahn 9.7/9.8: the echo of the last round trip's message.
    fn on_round_trip(&mut self, data: Vec<u8>, binary: bool) {
        let Some(rt) = self.round_trip.as_ref() else {
            return;
        };
        let want_binary = rt.opcode == Opcode::Binary;
        if binary != want_binary || data != rt.payload {
            self.wirelog.on = true;
            self.obs.perf = Some((
                false,
                format!(
                    "Echoed message differs from what was sent (binary = {binary}, length = {}).",
                    data.len()
                ),
            ));
            self.send_close(Some(close::codes::NORMAL), b"");
        } else if rt.sent < rt.count {
            self.send_next_round_trip();
        } else {
            self.wirelog.on = true;
            self.obs.perf = Some((
                true,
                format!("All {} echoed messages received in time.", rt.count),
            ));
            self.send_close(Some(close::codes::NORMAL), b"");
        }
    }
}

/// Progress of a `CompressedEchoes` step.
#[derive(Debug)]
pub(super) struct Echoes {
    pub(super) data: DataSet,
    pub(super) len: usize,
    pub(super) count: usize,
    pub(super) fragment: Option<usize>,
    pub(super) sent: usize,
    pub(super) expected: Vec<u8>,
}

#[derive(Debug)]
pub(super) struct RoundTrip {
    pub(super) opcode: Opcode,
    pub(super) payload: Vec<u8>,
    pub(super) count: usize,
    pub(super) sent: usize,
}

pub(super) fn kind(binary: bool) -> &'static str {
    if binary {
        "binary"
    } else {
        "text"
    }
}
