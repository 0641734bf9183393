//! The wire log: what went over the connection, row by row, as Autobahn's
//! report shows it, bounded so that a flood cannot exhaust memory.

use super::*;

/// Payload bytes kept in wire-log rows.
pub(super) const LOG_HEAD: usize = 64;
/// Rows kept from the start of a case's log.
const FIRST_ROWS: usize = 1000;
/// Bytes (previews plus a fixed cost per row) kept from the start of a case's log.
const FIRST_BYTES: usize = 8 * 1024;
/// Rows kept from the end of a case's log, once the start is full.
const LAST_ROWS: usize = 100;
/// Bytes kept from the end of a case's log.
const LAST_BYTES: usize = 3 * 1024;
/// What a row costs beside its preview bytes (its kind, length, time, flags).
const ROW_COST: usize = 32;

/// The rows recorded so far, and whether recording is on (bulk cases turn it
/// off while their messages stream).
///
/// Bounded in rows and in bytes, so a flood cannot grow it: the first rows are
/// kept until [`FIRST_ROWS`] or [`FIRST_BYTES`], then a window of the last
/// rows (the peer's close and what led to it); what falls out of that window
/// is counted, not kept.
#[derive(Debug)]
pub(super) struct WireLog {
    pub(super) rows: Vec<WireEvent>,
    first_bytes: usize,
    /// The last rows once `rows` is full, oldest first.
    last: VecDeque<WireEvent>,
    last_bytes: usize,
    pub(super) on: bool,
    /// Rows dropped between the first and the last ones.
    cut: LogCut,
}

/// What was cut out of a bounded wire log, between its first and its last rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCut {
    /// Rows of the log kept before the cut (the cut sits after them).
    pub at: usize,
    /// Rows left out.
    pub rows: u64,
    /// Octets those rows stood for (payload or read/write lengths).
    pub octets: u64,
}

impl Default for WireLog {
    fn default() -> Self {
        WireLog {
            rows: Vec::new(),
            first_bytes: 0,
            last: VecDeque::new(),
            last_bytes: 0,
            on: true,
            cut: LogCut::default(),
        }
    }
}

impl WireLog {
    /// The rows kept, first ones then last ones, and what was cut between them
    /// (`None` when nothing was).
    pub(super) fn into_rows(mut self) -> (Vec<WireEvent>, Option<LogCut>) {
        let cut = (self.cut.rows > 0).then_some(LogCut {
            at: self.rows.len(),
            ..self.cut
        });
        self.rows.extend(self.last);
        (self.rows, cut)
    }

    fn push(&mut self, event: WireEvent) {
        let cost = event.cost();
        if self.last.is_empty()
            && self.rows.len() < FIRST_ROWS
            && self.first_bytes + cost <= FIRST_BYTES
        {
            self.first_bytes += cost;
            self.rows.push(event);
            return;
        }
        self.last_bytes += cost;
        self.last.push_back(event);
        while self.last.len() > LAST_ROWS || self.last_bytes > LAST_BYTES {
            let Some(old) = self.last.pop_front() else {
                break;
            };
            self.last_bytes -= old.cost();
            self.cut.rows += 1;
            self.cut.octets += old.octets();
        }
    }
}

impl CaseRun<'_> {
    /// Records a row, unless recording is off; a full log keeps the latest rows.
    pub(super) fn log(&mut self, event: WireEvent) {
        if self.wirelog.on {
            self.wirelog.push(event);
        }
    }
}

impl WireEvent {
    /// What the row costs in the bounded log.
    fn cost(&self) -> usize {
        ROW_COST
            + match self {
                WireEvent::TxOctets { head, .. }
                | WireEvent::RxOctets { head, .. }
                | WireEvent::TxFrame { head, .. }
                | WireEvent::RxFrame { head, .. } => head.len(),
                _ => 0,
            }
    }

    /// Octets on the wire the row stands for.
    fn octets(&self) -> u64 {
        match self {
            WireEvent::TxOctets { len, .. } | WireEvent::RxOctets { len, .. } => *len as u64,
            WireEvent::TxFrame { header, .. } | WireEvent::RxFrame { header, .. } => {
                header.payload_len
            }
            _ => 0,
        }
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
