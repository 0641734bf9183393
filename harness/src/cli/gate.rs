//! A run compared with its baseline, as the summary prints it.

use std::path::Path;

use serde_json::{json, Value};
use ws_reports::{Behavior, CaseChange, CloseBehavior, Comparison, FailOn, RunReport};

/// A run compared with its baseline, and what that means for the exit code.
pub(super) struct BaselineGate {
    cmp: Comparison,
    /// Cases the baseline does not list that fail under --fail-on: nobody accepted them.
    new_failing: Vec<String>,
}

impl BaselineGate {
    pub(super) fn new(cmp: Comparison, run: &RunReport, fail_on: FailOn) -> Self {
        let new_failing = cmp
            .new_cases
            .iter()
            .filter(|id| run.case(id).is_some_and(|c| fail_on.fails(c)))
            .cloned()
            .collect();
        BaselineGate { cmp, new_failing }
    }

    pub(super) fn render(&self, path: &Path) -> String {
        let c = &self.cmp;
        let mut out = format!(
            "baseline {}: {} regression(s), {} improvement(s), {} other change(s), {} new case(s) ({} failing), {} not run\n",
            path.display(),
            c.regressions.len(),
            c.improvements.len(),
            c.other_changes.len(),
            c.new_cases.len(),
            self.new_failing.len(),
            c.missing_cases.len(),
        );
        let list = |out: &mut String, title: &str, changes: &[CaseChange]| {
            if changes.is_empty() {
                return;
            }
            out.push_str(title);
            out.push('\n');
            for ch in changes {
                out.push_str(&format!(
                    "  {:<9} {:<30} -> {}\n",
                    ch.id,
                    verdict_text(ch.baseline),
                    verdict_text(ch.current)
                ));
            }
        };
        list(
            &mut out,
            "regressions (worse than the baseline):",
            &c.regressions,
        );
        list(
            &mut out,
            "improvements (better than the baseline; accept them with `wsconform report baseline`):",
            &c.improvements,
        );
        list(&mut out, "other changes:", &c.other_changes);
        if !self.new_failing.is_empty() {
            out.push_str(&format!(
                "new cases failing (not in the baseline): {}\n",
                self.new_failing.join(", ")
            ));
        }
        out
    }

    pub(super) fn to_json(&self, path: &Path) -> Value {
        let changes = |list: &[CaseChange]| -> Value {
            list.iter()
                .map(|ch| {
                    json!({
                        "id": ch.id,
                        "baseline": verdict_json(ch.baseline),
                        "current": verdict_json(ch.current),
                    })
                })
                .collect::<Vec<_>>()
                .into()
        };
        json!({
            "file": path.display().to_string(),
            "regressions": changes(&self.cmp.regressions),
            "improvements": changes(&self.cmp.improvements),
            "otherChanges": changes(&self.cmp.other_changes),
            "newCases": self.cmp.new_cases,
            "newFailing": self.new_failing,
            "notRun": self.cmp.missing_cases,
        })
    }
}

fn verdict_text((b, c): (Behavior, CloseBehavior)) -> String {
    format!("{b} / {c}")
}

fn verdict_json((b, c): (Behavior, CloseBehavior)) -> Value {
    json!({"behavior": b.as_str(), "behaviorClose": c.as_str()})
}
