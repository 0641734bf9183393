//! Baselines: the accepted verdict of every case, for "fail only on regressions" gating.
//!
//! File format (text, UTF-8, one case per line, sorted by case id, stable under re-writing
//! so it diffs well in version control):
//!
//! ```text
//! # wsconform baseline v1
//! # agent: MyServer/1.0
//! 1.1.1<TAB>OK<TAB>OK
//! 6.4.1<TAB>NON-STRICT<TAB>OK
//! 7.1.6<TAB>INFORMATIONAL<TAB>INFORMATIONAL
//! ```
//!
//! (`<TAB>` stands for one tab character.) Each data line is `<case id> TAB <behavior> TAB <behaviorClose>` with Autobahn's verdict
//! strings (which may contain spaces, hence tabs). Lines starting with `#` and blank lines are
//! ignored, so the header lines are informative only.

use std::collections::BTreeMap;
use std::path::Path;

use crate::atomic_file::{read_to_string, write_atomic};
use crate::case_id::compare_case_ids;
use crate::error::ReportError;
use crate::model::{Behavior, CloseBehavior, RunReport};

/// First line of a baseline file written by this crate.
pub const BASELINE_HEADER: &str = "# wsconform baseline v1";

/// The accepted `(behavior, behaviorClose)` per case id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Case id → accepted verdicts.
    pub cases: BTreeMap<String, (Behavior, CloseBehavior)>,
}

impl Baseline {
    /// The verdicts of `run`, accepted as they are.
    pub fn from_run(run: &RunReport) -> Self {
        Baseline {
            cases: run
                .results
                .iter()
                .map(|c| (c.id.clone(), c.verdict()))
                .collect(),
        }
    }

    /// The file text; `agent`, when given, is recorded in a comment.
    pub fn to_text(&self, agent: Option<&str>) -> String {
        let mut ids: Vec<&String> = self.cases.keys().collect();
        ids.sort_by(|a, b| compare_case_ids(a, b));
        let mut out = String::from(BASELINE_HEADER);
        out.push('\n');
        if let Some(agent) = agent {
            // A newline in the name would end the comment and start a bogus data line.
            out.push_str(&format!("# agent: {}\n", agent.replace(['\n', '\r'], " ")));
        }
        for id in ids {
            let (b, c) = self.cases[id];
            out.push_str(&format!("{id}\t{b}\t{c}\n"));
        }
        out
    }

    /// Parses the file text.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let mut cases = BTreeMap::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let err = |message: String| ReportError::BaselineSyntax { line, message };
            let fields: Vec<&str> = trimmed.split('\t').map(str::trim).collect();
            let [id, behavior, close] = fields[..] else {
                return Err(err(format!(
                    "expected 3 tab-separated fields (case id, behavior, behaviorClose), found {}",
                    fields.len()
                )));
            };
            if id.is_empty() {
                return Err(err("empty case id".into()));
            }
            let behavior: Behavior = behavior.parse().map_err(|e| err(format!("{e}")))?;
            let close: CloseBehavior = close.parse().map_err(|e| err(format!("{e}")))?;
            if cases.insert(id.to_owned(), (behavior, close)).is_some() {
                return Err(err(format!("case {id} is listed twice")));
            }
        }
        Ok(Baseline { cases })
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path, agent: Option<&str>) -> Result<(), ReportError> {
        write_atomic(path, self.to_text(agent).as_bytes(), true)
    }

    /// Reads a file written by [`Baseline::write`] (or by hand in the same format).
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        Self::parse(&read_to_string(path)?)
    }
}

/// The agent a baseline file was recorded for (its `# agent: NAME` comment), if it says.
pub fn recorded_agent(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .find_map(|l| l.trim().strip_prefix("# agent:"))
        .map(|a| a.trim().to_owned())
}

/// How a verdict pair changed from one run (or baseline) to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Worse: a more severe `behavior`, or `behaviorClose` left OK/INFORMATIONAL.
    Regression,
    /// Better, and not worse in any way.
    Improvement,
    /// Different, but neither worse nor better (e.g. WRONG CODE → UNCLEAN, OK → INFORMATIONAL
    /// close).
    Other,
}

/// Classifies the move from `before` to `after`; `None` when they are equal.
///
/// Worse means a higher [`Behavior`] severity, or a close verdict going from acceptable
/// (OK/INFORMATIONAL) to anything else. Better means a lower severity or a close verdict
/// becoming acceptable, with nothing worse.
pub fn classify_change(
    before: (Behavior, CloseBehavior),
    after: (Behavior, CloseBehavior),
) -> Option<Change> {
    if before == after {
        return None;
    }
    let worse = after.0 > before.0 || (before.1.is_acceptable() && !after.1.is_acceptable());
    let better = after.0 < before.0 || (!before.1.is_acceptable() && after.1.is_acceptable());
    Some(if worse {
        Change::Regression
    } else if better {
        Change::Improvement
    } else {
        Change::Other
    })
}

/// One case whose verdict differs from the baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseChange {
    /// Case id.
    pub id: String,
    /// The accepted verdicts.
    pub baseline: (Behavior, CloseBehavior),
    /// The verdicts of the run.
    pub current: (Behavior, CloseBehavior),
}

/// A run compared with a baseline. Every list is sorted by case id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Cases worse than their baseline: these fail a gated run.
    pub regressions: Vec<CaseChange>,
    /// Cases better than their baseline: worth accepting into a new baseline.
    pub improvements: Vec<CaseChange>,
    /// Cases whose verdict changed without getting better or worse.
    pub other_changes: Vec<CaseChange>,
    /// Cases in the run but not in the baseline (the caller decides how to gate them,
    /// e.g. with [`crate::FailOn`]).
    pub new_cases: Vec<String>,
    /// Cases in the baseline that the run did not execute.
    pub missing_cases: Vec<String>,
}

impl Comparison {
    /// Whether any case regressed.
    pub fn has_regressions(&self) -> bool {
        !self.regressions.is_empty()
    }
}

/// Compares `run` with `baseline`.
pub fn compare(baseline: &Baseline, run: &RunReport) -> Comparison {
    let mut cmp = Comparison::default();
    let mut seen = std::collections::BTreeSet::new();
    for case in &run.results {
        seen.insert(case.id.as_str());
        let Some(&accepted) = baseline.cases.get(&case.id) else {
            cmp.new_cases.push(case.id.clone());
            continue;
        };
        let change = CaseChange {
            id: case.id.clone(),
            baseline: accepted,
            current: case.verdict(),
        };
        match classify_change(accepted, case.verdict()) {
            None => {}
            Some(Change::Regression) => cmp.regressions.push(change),
            Some(Change::Improvement) => cmp.improvements.push(change),
            Some(Change::Other) => cmp.other_changes.push(change),
        }
    }
    cmp.missing_cases = baseline
        .cases
        .keys()
        .filter(|id| !seen.contains(id.as_str()))
        .cloned()
        .collect();
    let by_id = |a: &CaseChange, b: &CaseChange| compare_case_ids(&a.id, &b.id);
    cmp.regressions.sort_by(by_id);
    cmp.improvements.sort_by(by_id);
    cmp.other_changes.sort_by(by_id);
    cmp.new_cases.sort_by(|a, b| compare_case_ids(a, b));
    cmp.missing_cases.sort_by(|a, b| compare_case_ids(a, b));
    cmp
}
