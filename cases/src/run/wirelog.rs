//! The wire log: what went over the connection, row by row, as Autobahn's
//! report shows it, bounded so that a flood cannot exhaust memory.

use super::*;

/// Payload bytes kept in wire-log rows.
pub(super) const LOG_HEAD: usize = 64;
/// Wire-log rows kept before the log is cut (a flood must not exhaust memory).
const LOG_MAX_ROWS: usize = 4000;

/// The rows recorded so far, and whether recording is on (bulk cases turn it
/// off while their messages stream).
#[derive(Debug)]
pub(super) struct WireLog {
    pub(super) rows: Vec<WireEvent>,
    pub(super) on: bool,
    /// Rows were dropped past [`LOG_MAX_ROWS`].
    pub(super) cut: bool,
}

impl Default for WireLog {
    fn default() -> Self {
        WireLog {
            rows: Vec::new(),
            on: true,
            cut: false,
        }
    }
}

impl CaseRun<'_> {
    /// Records a row, unless recording is off or the log is full.
    pub(super) fn log(&mut self, event: WireEvent) {
        if !self.wirelog.on {
            return;
        }
        if self.wirelog.rows.len() >= LOG_MAX_ROWS {
            self.wirelog.cut = true;
            return;
        }
        self.wirelog.rows.push(event);
    }
}

/// One row of the wire log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireEvent {
    /// Octets written.
    TxOctets {
        /// Time since the case started.
        at: Duration,
        /// How many.
        len: usize,
        /// The first bytes.
        head: Vec<u8>,
        /// Written as a chop of its own.
        flush: bool,
    },
    /// Octets read.
    RxOctets {
        /// Time since the case started.
        at: Duration,
        /// How many.
        len: usize,
        /// The first bytes.
        head: Vec<u8>,
    },
    /// A frame written.
    TxFrame {
        /// Time since the case started.
        at: Duration,
        /// The header as written.
        header: FrameHeader,
        /// The first payload bytes (unmasked).
        head: Vec<u8>,
        /// Chop size, if chopped.
        chop: Option<usize>,
        /// Flushed on its own.
        sync: bool,
    },
    /// A frame read.
    RxFrame {
        /// Time since the case started.
        at: Duration,
        /// The header as read.
        header: FrameHeader,
        /// The first payload bytes (unmasked).
        head: Vec<u8>,
    },
    /// A timer was set (Autobahn's CT/KL/TI rows).
    TimerSet {
        /// Time since the case started.
        at: Duration,
        /// "CT" (pause), "KL" (kill), "TI" (close).
        kind: &'static str,
        /// Delay.
        delay: Duration,
        /// Pause marker.
        tag: Option<&'static str>,
    },
    /// A timer fired (Autobahn's CTE/KLE/TIE rows).
    TimerFired {
        /// Time since the case started.
        at: Duration,
        /// "CTE", "KLE", "TIE".
        kind: &'static str,
        /// Pause marker.
        tag: Option<&'static str>,
    },
    /// The suite dropped TCP.
    DroppedByMe {
        /// Time since the case started.
        at: Duration,
    },
    /// The peer dropped TCP.
    DroppedByPeer {
        /// Time since the case started.
        at: Duration,
    },
}
