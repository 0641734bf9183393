//! Confirmed verdicts: a case that came out worse than OK beside other cases is
//! played again with nothing else running, and the verdict it gets alone is the
//! one reported.
//!
//! Beside other cases the server under test is busy with the suite's own
//! traffic, so a verdict that hangs on a timer (the 1 s close wait, the kill
//! timer, the pauses of 6.4.x) can flip: a single-threaded server that answers
//! a 6.4.x frame behind a 16 MiB echo misses the suite's timers. Autobahn plays
//! every case alone; the solo rerun gives the verdict Autobahn would measure,
//! and only the cases that need it pay for it.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use ws_cases::judge::Verdict;
use ws_cases::model::{Behavior, CloseBehavior};

use crate::runner::CaseRecord;

/// How the reported verdict of a case played beside others was confirmed.
#[derive(Clone, Debug)]
pub enum Confirmation {
    /// Played again alone; this is what it got beside the other cases (the
    /// record itself holds the solo run).
    Alone {
        /// The verdict beside other cases.
        beside: Verdict,
        /// How long the case took beside other cases.
        beside_duration: Duration,
    },
    /// It needed confirming but was not played again; the record is the one
    /// made beside other cases.
    NotConfirmed {
        /// Why not (time budget spent, run interrupted).
        why: &'static str,
    },
}

/// Whether a verdict made beside other cases must be confirmed alone: anything
/// worse than OK, except verdicts no timer can produce (UNIMPLEMENTED comes
/// from the handshake response; INFORMATIONAL is what the case reports by design).
pub fn needs_confirmation(record: &CaseRecord) -> bool {
    let v = &record.outcome.verdict;
    let behavior = matches!(v.behavior, Behavior::NonStrict | Behavior::Failed);
    let close = !matches!(
        v.behavior_close,
        CloseBehavior::Ok | CloseBehavior::Informational
    );
    behavior || close
}

/// The record to report: the solo run, carrying what the case got beside others.
pub fn confirmed(beside: CaseRecord, mut alone: CaseRecord) -> CaseRecord {
    alone.index = beside.index;
    alone.confirmation = Some(Confirmation::Alone {
        beside: beside.outcome.verdict,
        beside_duration: beside.duration,
    });
    alone
}

/// The record to report when the solo run did not happen.
pub fn unconfirmed(mut beside: CaseRecord, why: &'static str) -> CaseRecord {
    beside.confirmation = Some(Confirmation::NotConfirmed { why });
    beside
}

/// Time the solo reruns may take: half as long as the run before them, and
/// never less than this, so a short run still confirms its few failures. A
/// server that fails hundreds of cases on timers would otherwise take a second
/// or more per case, one after the other (a server that never answers: 66 s
/// beside each other, 230 cases to confirm at up to 60 s each).
pub const BUDGET_FLOOR: Duration = Duration::from_secs(10);

/// The time budget of the solo reruns after a run that took `elapsed`.
pub fn budget(elapsed: Duration) -> Duration {
    (elapsed / 2).max(BUDGET_FLOOR)
}

fn verdict_text(behavior: Behavior, close: CloseBehavior) -> String {
    format!("{} / {}", behavior.as_str(), close.as_str())
}

/// What the case's result text says about its confirmation, if anything: only a
/// verdict that changed alone, or one that could not be confirmed, is noted.
pub fn note(record: &CaseRecord) -> Option<String> {
    let now = &record.outcome.verdict;
    match record.confirmation.as_ref()? {
        Confirmation::Alone { beside, .. } if changed(beside, now) => Some(format!(
            "Verdict confirmed alone: beside other cases this case was {} ({}); played again \
             alone it is {}.",
            verdict_text(beside.behavior, beside.behavior_close),
            beside.reason,
            verdict_text(now.behavior, now.behavior_close),
        )),
        Confirmation::Alone { .. } => None,
        Confirmation::NotConfirmed { why } => Some(format!(
            "Verdict made beside other cases, not confirmed alone ({why})."
        )),
    }
}

fn changed(beside: &Verdict, now: &Verdict) -> bool {
    (beside.behavior, beside.behavior_close) != (now.behavior, now.behavior_close)
}

/// What confirmation did in one run, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases played again alone.
    pub confirmed: usize,
    /// Of those, cases whose verdict alone differs from the one beside others.
    pub changed: usize,
    /// Cases that needed confirming but were not played again.
    pub not_confirmed: usize,
    /// Wall time of the solo reruns, first start to last end.
    pub time: Duration,
    // First start and last end of the solo reruns counted so far.
    span: Option<(SystemTime, SystemTime)>,
}

impl Counts {
    /// Counts the confirmations of a run's records.
    pub fn of(records: &[CaseRecord]) -> Self {
        let mut c = Counts::default();
        for r in records {
            c.add(r);
        }
        c
    }

    /// Counts the confirmation of one more record, as records settle.
    pub fn add(&mut self, r: &CaseRecord) {
        match &r.confirmation {
            Some(Confirmation::Alone { beside, .. }) => {
                self.confirmed += 1;
                if changed(beside, &r.outcome.verdict) {
                    self.changed += 1;
                }
                let end = r.started + r.duration;
                let (first, last) = self.span.unwrap_or((r.started, end));
                let (first, last) = (first.min(r.started), last.max(end));
                self.span = Some((first, last));
                // The sleeping cases rerun side by side: the cost is the span, not the sum.
                self.time = last.duration_since(first).unwrap_or_default();
            }
            Some(Confirmation::NotConfirmed { .. }) => self.not_confirmed += 1,
            None => {}
        }
    }

    /// One line for the terminal summary ("3 verdicts confirmed alone, 1
    /// changed"), or `None` when nothing needed confirming.
    pub fn line(&self) -> Option<String> {
        if self.confirmed == 0 && self.not_confirmed == 0 {
            return None;
        }
        let mut line = format!(
            "{} verdict{} confirmed alone, {} changed ({:.2} s)",
            self.confirmed,
            if self.confirmed == 1 { "" } else { "s" },
            self.changed,
            self.time.as_secs_f64()
        );
        if self.not_confirmed > 0 {
            line.push_str(&format!(
                "; {} not confirmed (time budget spent or interrupted)",
                self.not_confirmed
            ));
        }
        Some(line)
    }

    /// The same for the JSON summary.
    pub fn to_json(&self) -> Value {
        json!({
            "confirmedAlone": self.confirmed,
            "changed": self.changed,
            "notConfirmed": self.not_confirmed,
            "seconds": self.time.as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_half_the_run_and_at_least_the_floor() {
        assert_eq!(budget(Duration::from_secs(2)), BUDGET_FLOOR);
        assert_eq!(budget(Duration::from_secs(66)), Duration::from_secs(33));
    }

    #[test]
    fn the_summary_line_counts_what_was_confirmed() {
        assert_eq!(Counts::default().line(), None);
        let c = Counts {
            confirmed: 3,
            changed: 1,
            not_confirmed: 0,
            time: Duration::from_millis(2500),
            ..Counts::default()
        };
        assert_eq!(
            c.line().unwrap(),
            "3 verdicts confirmed alone, 1 changed (2.50 s)"
        );
        let c = Counts {
            confirmed: 1,
            not_confirmed: 4,
            ..c
        };
        assert_eq!(
            c.line().unwrap(),
            "1 verdict confirmed alone, 1 changed (2.50 s); 4 not confirmed (time budget \
             spent or interrupted)"
        );
        assert_eq!(c.to_json()["notConfirmed"], 4);
    }
}
