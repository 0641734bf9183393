//! Timers, as a table: each deadline a run can wait on is a [`Timer`], kept in
//! one [`TimerTable`] and fired by one function, in a fixed order (the shape of
//! quinn-proto's `connection/timer.rs`).

use super::*;

/// A deadline a run can be waiting on. The order of [`Timer::VALUES`] is the
/// order in which timers due at the same instant fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// The opening handshake must be done by now.
    OpenHandshake,
    /// The peer must have answered the suite's close by now.
    CloseHandshake,
    /// The next piece of a paced write (`Chop::Paced`) is due.
    Paced,
    /// After the closing handshake: the server must have closed TCP (suite as
    /// client), or the suite closes it (suite as server).
    TcpDrop,
    /// A `Step::Pause` ends.
    Pause,
    /// An echo of a compression case is owed and the peer has sent nothing for
    /// [`RunConfig::stall_timeout`]: it stopped answering.
    Stalled,
    /// The case's ending: its kill or close timer.
    Ending,
}

impl Timer {
    /// Every timer, in firing order.
    const VALUES: [Timer; 7] = [
        Timer::OpenHandshake,
        Timer::CloseHandshake,
        Timer::Paced,
        Timer::TcpDrop,
        Timer::Pause,
        Timer::Stalled,
        Timer::Ending,
    ];
}

/// When each [`Timer`] is due, if it is set.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TimerTable {
    due: [Option<Duration>; Timer::VALUES.len()],
}

impl TimerTable {
    /// Sets `timer` to fire at `at`.
    pub(super) fn set(&mut self, timer: Timer, at: Duration) {
        self.due[timer as usize] = Some(at);
    }

    /// When `timer` is due, if set.
    pub(super) fn get(&self, timer: Timer) -> Option<Duration> {
        self.due[timer as usize]
    }

    /// True when `timer` is set.
    pub(super) fn is_set(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// Stops `timer`.
    pub(super) fn stop(&mut self, timer: Timer) {
        self.due[timer as usize] = None;
    }

    /// Stops every timer.
    pub(super) fn stop_all(&mut self) {
        self.due = Default::default();
    }

    /// The earliest deadline of all.
    pub(super) fn next(&self) -> Option<Duration> {
        self.due.iter().flatten().min().copied()
    }

    /// True when `timer` is set and due at `now`.
    fn expired(&self, timer: Timer, now: Duration) -> bool {
        self.get(timer).is_some_and(|t| now >= t)
    }
}

impl CaseRun<'_> {
    /// Time passed: fires whatever timer is due, in [`Timer::VALUES`] order.
    pub fn on_timer(&mut self, now: Duration) {
        self.now = now;
        for timer in Timer::VALUES {
            if self.state == State::Closed {
                return;
            }
            if self.timers.expired(timer, now) {
                self.fire(timer);
            }
        }
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::OpenHandshake => {
                if self.state != State::Connecting {
                    return;
                }
                self.timers.stop(timer);
                self.obs.was_open_handshake_timeout = true;
                self.obs.was_not_clean_reason =
                    Some("peer did not finish (in time) the opening handshake".into());
                self.drop_connection();
            }
            Timer::CloseHandshake => {
                self.timers.stop(timer);
                self.obs.was_clean = false;
                self.obs.was_close_handshake_timeout = true;
                self.obs.was_not_clean_reason =
                    Some("peer did not respond (in time) in closing handshake".into());
                self.drop_connection();
            }
            Timer::Paced => {
                match self.paced.pop_front() {
                    Some(piece) => {
                        self.write(piece, true);
                        self.timers.set(timer, self.now + self.paced_interval);
                    }
                    None => self.timers.stop(timer),
                }
                if self.paced.is_empty() {
                    self.timers.stop(timer);
                }
            }
            Timer::TcpDrop => {
                self.timers.stop(timer);
                if self.config.role == Role::Client {
                    self.obs.was_clean = false;
                    self.obs.was_server_connection_drop_timeout = true;
                    self.obs.was_not_clean_reason =
                        Some("server did not drop TCP connection (in time)".into());
                }
                // As server, the suite held TCP open after the closing handshake
                // (Measure::ClientWaits, ClientLeaves): now it closes it, as a server should.
                self.drop_connection();
            }
            Timer::Pause => {
                self.timers.stop(timer);
                let tag = self.pause_tag.take();
                self.log(WireEvent::TimerFired {
                    at: self.now,
                    kind: "CTE",
                    tag,
                });
                if self.state == State::Open {
                    if let Some(tag) = tag {
                        self.record(Event::Timeout(tag));
                    }
                    self.advance_script();
                } else {
                    // Autobahn's continuations do nothing once the connection left OPEN.
                    self.script_done = true;
                }
            }
            Timer::Stalled => {
                self.timers.stop(timer);
                self.on_stalled();
            }
            Timer::Ending => {
                self.timers.stop(timer);
                let kind = match self.case.ending {
                    Ending::KillAfter(_) => "KLE",
                    Ending::CloseAfter(_) => "TIE",
                };
                self.log(WireEvent::TimerFired {
                    at: self.now,
                    kind,
                    tag: None,
                });
                match self.case.ending {
                    Ending::KillAfter(_) => {
                        self.fail_connection(close::codes::GOING_AWAY, b"Going Away")
                    }
                    Ending::CloseAfter(_) => self.send_close(None, b""),
                }
            }
        }
    }

    /// Stops every timer. Writes still waiting on the clock (or on the caller)
    /// die with the connection.
    pub(super) fn clear_timers(&mut self) {
        self.timers.stop_all();
        self.paced.clear();
        self.stream_left = 0;
        self.pause_tag = None;
    }
}
