//! What counts as a failing case: `--fail-on` alone, or with a baseline ([`Gate`]).

use std::fmt;
use std::str::FromStr;

use crate::baseline::{classify_change, Baseline, Change};
use crate::model::{Behavior, CaseResult, CloseBehavior, RunReport};

/// The lowest verdict that fails a run.
///
/// A case fails when its [`CaseResult::severity`] (the worse of `behavior` and the close
/// verdict mapped by [`crate::CloseBehavior::severity`]) is at or above the threshold on the
/// scale `OK < INFORMATIONAL < NON-STRICT < UNIMPLEMENTED < FAILED`. So `Failed` fails on
/// `behavior` FAILED and on a close verdict of UNCLEAN or FAILED; `NonStrict` also fails on
/// NON-STRICT, UNIMPLEMENTED, WRONG CODE and FAILED BY CLIENT; `Informational` fails on
/// everything but a clean pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FailOn {
    /// Only failures (the default).
    #[default]
    Failed,
    /// Failures and anything non-strict or unimplemented.
    NonStrict,
    /// Everything that is not a clean pass.
    Informational,
}

impl FailOn {
    /// The lowest severity that fails.
    pub fn threshold(self) -> Behavior {
        match self {
            FailOn::Failed => Behavior::Failed,
            FailOn::NonStrict => Behavior::NonStrict,
            FailOn::Informational => Behavior::Informational,
        }
    }

    /// Whether `case` fails under this setting.
    pub fn fails(self, case: &CaseResult) -> bool {
        case.severity() >= self.threshold()
    }

    /// The command-line spelling: `failed`, `non-strict` or `informational`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Failed => "failed",
            FailOn::NonStrict => "non-strict",
            FailOn::Informational => "informational",
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "failed" => Ok(FailOn::Failed),
            "non-strict" | "nonstrict" => Ok(FailOn::NonStrict),
            "informational" | "info" => Ok(FailOn::Informational),
            _ => Err(format!(
                "unknown --fail-on value {s:?} (expected failed, non-strict or informational)"
            )),
        }
    }
}

/// The cases of `run` that fail under `fail_on`, in the run's order.
pub fn failing_cases(run: &RunReport, fail_on: FailOn) -> Vec<&CaseResult> {
    run.results.iter().filter(|c| fail_on.fails(c)).collect()
}

/// Where one case stands against a run's gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseGate {
    /// The case fails the run.
    Fails,
    /// The case would fail under `--fail-on`, but the baseline accepts its verdicts as they
    /// are (or accepts worse ones); it does not fail the run.
    Accepted((Behavior, CloseBehavior)),
    /// The case does not fail the run.
    Passes,
}

/// The one rule deciding which cases fail a run, shared by the exit code, the summary and
/// JUnit so they cannot disagree.
///
/// Without a baseline a case fails when [`FailOn::fails`] says so. With one, a case the
/// baseline lists fails only when its verdicts are worse than the accepted ones (a
/// [`Change::Regression`]); a case the baseline does not list fails under `fail_on`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gate<'a> {
    /// The lowest verdict that fails a case nobody accepted.
    pub fail_on: FailOn,
    /// The accepted verdicts, if the run is gated on a baseline.
    pub baseline: Option<&'a Baseline>,
}

impl Gate<'_> {
    /// Where `case` stands.
    pub fn judge(&self, case: &CaseResult) -> CaseGate {
        let accepted = self.baseline.and_then(|b| b.cases.get(&case.id));
        match accepted {
            None if self.fail_on.fails(case) => CaseGate::Fails,
            None => CaseGate::Passes,
            Some(&accepted) => match classify_change(accepted, case.verdict()) {
                Some(Change::Regression) => CaseGate::Fails,
                _ if self.fail_on.fails(case) => CaseGate::Accepted(accepted),
                _ => CaseGate::Passes,
            },
        }
    }

    /// The cases of `run` that fail it, in the run's order.
    pub fn failing<'r>(&self, run: &'r RunReport) -> Vec<&'r CaseResult> {
        run.results
            .iter()
            .filter(|c| self.judge(c) == CaseGate::Fails)
            .collect()
    }

    /// The cases of `run` that would fail under `fail_on` but the baseline accepts.
    pub fn accepted<'r>(&self, run: &'r RunReport) -> Vec<&'r CaseResult> {
        run.results
            .iter()
            .filter(|c| matches!(self.judge(c), CaseGate::Accepted(_)))
            .collect()
    }
}
