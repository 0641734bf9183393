//! What counts as a failing case when no baseline is given (`--fail-on`).

use std::fmt;
use std::str::FromStr;

use crate::model::{Behavior, CaseResult, RunReport};

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
