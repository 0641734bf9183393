//! The script: a case's steps played in order, and the end of a case (the
//! kill or close timer, and closing as soon as the verdict is decided).

use super::*;

impl CaseRun<'_> {
    /// Plays the script's steps until a pause, the end of the script, or the
    /// end of the connection.
    pub(super) fn advance_script(&mut self) {
        if self.state == State::Open
            && !self.script_done
            && self.case.deflate.is_some()
            && self.codec.is_none()
        {
            // Autobahn: without the extension the case is not played at all.
            self.script_done = true;
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        }
        let case = self.case;
        while !self.script_done && !self.timers.is_set(Timer::Pause) && self.state != State::Closed
        {
            let Some(step) = case.steps.get(self.step) else {
                self.script_done = true;
                self.arm_ending();
                self.finish_when_done();
                break;
            };
            self.step += 1;
            self.play_step(step);
        }
    }

    /// One step of the script.
    fn play_step(&mut self, step: &Step) {
        match step {
            Step::Frame { frame, chop, sync } => {
                let payload = frame.payload.to_bytes();
                let bits = Bits {
                    opcode: frame.opcode,
                    fin: frame.fin,
                    rsv: frame.rsv,
                    length_form: frame.length_form,
                    mask: frame.mask,
                };
                self.send_frame(bits, &payload, *chop, *sync);
            }
            Step::Message {
                opcode,
                payload,
                fragment,
            } => self.send_message(*opcode, payload, *fragment),
            Step::FrameHeader { opcode, fin, len } => {
                self.send_frame_header(*opcode, *fin, *len, true);
            }
            Step::FrameData(data) => self.send_frame_data(data.clone()),
            Step::Close { code, reason } => self.send_close(*code, reason),
            Step::ShutdownWrite => self.write_shut = true,
            Step::Pings { count } => self.send_pings(*count),
            Step::AbovePeerLimit { opcode } => self.send_above_peer_limit(*opcode),
            Step::Raw { bytes, chop } => self.write_chopped(bytes.clone(), *chop, true),
            Step::Pause { duration, marker } => {
                self.log(WireEvent::TimerSet {
                    at: self.now,
                    kind: "CT",
                    delay: *duration,
                    tag: *marker,
                });
                self.pause_tag = *marker;
                self.timers.set(Timer::Pause, self.now + *duration);
            }
            Step::RoundTrips {
                opcode,
                payload,
                count,
            } => self.start_round_trips(*opcode, payload, *count),
            Step::CompressedEchoes {
                data,
                len,
                count,
                fragment,
            } => self.start_compressed_echoes(*data, *len, *count, *fragment),
        }
    }

    pub(super) fn send_message(
        &mut self,
        opcode: Opcode,
        payload: &Payload,
        fragment: Option<usize>,
    ) {
        if self.case.quiet_wirelog {
            self.wirelog.on = false;
        }
        let bytes = payload.to_bytes();
        self.send_fragmented(opcode, 0, &bytes, fragment);
    }

    pub(super) fn arm_ending(&mut self) {
        if self.state == State::Closed || self.timers.is_set(Timer::Ending) {
            return;
        }
        let (kind, delay) = match self.case.ending {
            Ending::KillAfter(d) => ("KL", d),
            Ending::CloseAfter(d) => ("TI", d),
        };
        self.log(WireEvent::TimerSet {
            at: self.now,
            kind,
            delay,
            tag: None,
        });
        self.timers.set(Timer::Ending, self.now + delay);
        if self.case.quiet_wirelog
            && !matches!(
                self.case.expect.rule,
                VerdictRule::Echo { .. } | VerdictRule::RoundTrips | VerdictRule::CompressedEchoes
            )
        {
            self.wirelog.on = true;
        }
    }

    /// Closes as soon as no further event could change the verdict: the script is
    /// done, the suite is the side expected to close, and what was received is
    /// an expected outcome that no other (longer) outcome extends.
    pub(super) fn finish_when_done(&mut self) {
        if self.state != State::Open {
            return;
        }
        if self
            .case
            .response
            .as_ref()
            .is_some_and(|r| r.expect == ResponseExpect::Fail)
        {
            // A client that answers at all took the invalid response: the verdict is
            // decided, so the suite closes instead of sitting out the kill timer.
            if !self.obs.received.is_empty() && !self.obs.sent_close {
                self.send_close(Some(close::codes::NORMAL), b"");
            }
            return;
        }
        if !self.script_done {
            return;
        }
        let expect = &self.case.expect;
        if !expect.close.closed_by_me || expect.outcomes.is_empty() {
            return;
        }
        let received = &self.obs.received;
        let matched = expect.outcomes.iter().any(|(_, ev)| ev == received);
        let extendable = expect
            .outcomes
            .iter()
            .any(|(_, ev)| ev.len() > received.len() && ev.starts_with(received));
        if matched && !extendable {
            let code = expect.close.codes.first().copied();
            self.send_close(code, b"");
        }
    }
}
