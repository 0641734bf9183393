//! Playing a case against a peer held in memory, in virtual time: no socket and no
//! clock. Time moves only when nothing else does, and then straight to the run's next
//! deadline, so pauses and kill timers cost nothing and a case that only passes by
//! waiting out a timer still plays as it would on the wire. For references (the
//! fuzzer's oracle) and for tests of the catalogue.

use std::time::Duration;

use super::{CaseRun, Output};

/// A peer in memory: its side of the connection as bytes in and bytes out.
pub trait MemoryPeer {
    /// Bytes it writes before reading anything (a client's opening request).
    fn initial(&mut self) -> Vec<u8> {
        Vec::new()
    }
    /// Takes bytes from the suite at `now`; returns the bytes it writes back.
    fn receive(&mut self, bytes: &[u8], now: Duration) -> Vec<u8>;
    /// The suite closed the connection.
    fn eof(&mut self);
    /// The peer has closed the connection.
    fn closed(&self) -> bool;
}

/// How [`play_in_memory`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryEnd {
    /// The run is finished.
    Finished,
    /// Nothing moves and the run waits on no deadline.
    Stalled,
    /// The bound on rounds was reached first.
    OutOfRounds,
}

/// Plays `run` against `peer` until the run is finished, stalls, or `rounds` rounds
/// pass (a round: everything the run writes is answered; when nothing moved, time
/// jumps to the next deadline). The run is left to the caller to finish.
pub fn play_in_memory(run: &mut CaseRun, peer: &mut dyn MemoryPeer, rounds: usize) -> MemoryEnd {
    let mut now = Duration::ZERO;
    let first = peer.initial();
    if !first.is_empty() {
        run.on_bytes(&first, now);
    }
    let mut eof_sent = false;
    for _ in 0..rounds {
        let mut moved = false;
        while let Some(out) = run.poll_output() {
            moved = true;
            match out {
                Output::Write { bytes, .. } => {
                    if peer.closed() {
                        continue;
                    }
                    let reply = peer.receive(&bytes, now);
                    if !reply.is_empty() {
                        run.on_bytes(&reply, now);
                    }
                }
                Output::Drop => peer.eof(),
            }
        }
        if peer.closed() && !eof_sent {
            eof_sent = true;
            run.on_eof(now);
            moved = true;
        }
        if run.is_finished() {
            return MemoryEnd::Finished;
        }
        if !moved {
            let Some(t) = run.next_deadline() else {
                return MemoryEnd::Stalled;
            };
            now = now.max(t);
            run.on_timer(now);
        }
    }
    MemoryEnd::OutOfRounds
}
