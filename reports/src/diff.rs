//! Per-case verdict changes between two sets of runs (`wsconform report diff A B`).

use std::collections::{BTreeMap, BTreeSet};

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::baseline::{classify_change, Change};
use crate::case_id::compare_case_ids;
use crate::model::{Behavior, CloseBehavior, RunReport};

/// What happened to one case of one agent between the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiffKind {
    /// Worse on the right side (see [`crate::classify_change`]).
    Regression,
    /// Better on the right side.
    Improvement,
    /// Different, neither better nor worse.
    Changed,
    /// Only on the right side.
    Added,
    /// Only on the left side.
    Removed,
}

impl DiffKind {
    /// Short label used in the text rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Regression => "regression",
            DiffKind::Improvement => "improvement",
            DiffKind::Changed => "changed",
            DiffKind::Added => "added",
            DiffKind::Removed => "removed",
        }
    }
}

/// One case of one agent whose verdicts differ between the two sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRow {
    /// The agent.
    pub agent: String,
    /// The case id.
    pub case_id: String,
    /// Verdicts on the left side, if it ran the case.
    pub before: Option<(Behavior, CloseBehavior)>,
    /// Verdicts on the right side, if it ran the case.
    pub after: Option<(Behavior, CloseBehavior)>,
    /// The kind of change.
    pub kind: DiffKind,
}

type Verdicts<'a> = BTreeMap<(&'a str, &'a str), (Behavior, CloseBehavior)>;

fn verdicts(runs: &[RunReport]) -> Verdicts<'_> {
    runs.iter()
        .flat_map(|r| {
            r.results
                .iter()
                .map(move |c| ((r.agent.as_str(), c.id.as_str()), c.verdict()))
        })
        .collect()
}

/// The cases whose verdicts differ between `a` (before) and `b` (after), sorted by agent and
/// case id. Unchanged cases are left out.
pub fn diff(a: &[RunReport], b: &[RunReport]) -> Vec<DiffRow> {
    let left = verdicts(a);
    let right = verdicts(b);
    let keys: BTreeSet<&(&str, &str)> = left.keys().chain(right.keys()).collect();
    let mut rows: Vec<DiffRow> = keys
        .into_iter()
        .filter_map(|key| {
            let before = left.get(key).copied();
            let after = right.get(key).copied();
            let kind = match (before, after) {
                (Some(x), Some(y)) => match classify_change(x, y)? {
                    Change::Regression => DiffKind::Regression,
                    Change::Improvement => DiffKind::Improvement,
                    Change::Other => DiffKind::Changed,
                },
                (None, Some(_)) => DiffKind::Added,
                (Some(_), None) => DiffKind::Removed,
                (None, None) => return None,
            };
            Some(DiffRow {
                agent: key.0.to_owned(),
                case_id: key.1.to_owned(),
                before,
                after,
                kind,
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        x.agent
            .cmp(&y.agent)
            .then_with(|| compare_case_ids(&x.case_id, &y.case_id))
    });
    rows
}

fn verdict_text(v: Option<(Behavior, CloseBehavior)>) -> String {
    v.map_or_else(|| "-".to_owned(), |(b, c)| format!("{b} / {c}"))
}

/// A text table of the rows with a closing count line; `"no verdict changes\n"` when empty.
pub fn render_diff(rows: &[DiffRow]) -> String {
    if rows.is_empty() {
        return "no verdict changes\n".to_owned();
    }
    let mut builder = Builder::new();
    builder.push_record(["agent", "case", "before", "after", "change"]);
    for row in rows {
        builder.push_record([
            row.agent.clone(),
            row.case_id.clone(),
            verdict_text(row.before),
            verdict_text(row.after),
            row.kind.as_str().to_owned(),
        ]);
    }
    let mut table = builder.build();
    table.with(Style::sharp());
    let count = |k: DiffKind| rows.iter().filter(|r| r.kind == k).count();
    format!(
        "{table}\n{} regression(s), {} improvement(s), {} other change(s), {} added, {} removed\n",
        count(DiffKind::Regression),
        count(DiffKind::Improvement),
        count(DiffKind::Changed),
        count(DiffKind::Added),
        count(DiffKind::Removed),
    )
}

/// The rows as JSON for machines (`report diff --format json`):
/// `{"changes": [{"agent", "case", "before", "after", "change"}], "counts": {"regression":
/// n, …}}`, where `before`/`after` are `{"behavior", "behaviorClose"}` or `null`.
pub fn diff_json(rows: &[DiffRow]) -> serde_json::Value {
    let verdict = |v: Option<(Behavior, CloseBehavior)>| match v {
        Some((b, c)) => serde_json::json!({"behavior": b.as_str(), "behaviorClose": c.as_str()}),
        None => serde_json::Value::Null,
    };
    let changes: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "agent": r.agent,
                "case": r.case_id,
                "before": verdict(r.before),
                "after": verdict(r.after),
                "change": r.kind.as_str(),
            })
        })
        .collect();
    let kinds = [
        DiffKind::Regression,
        DiffKind::Improvement,
        DiffKind::Changed,
        DiffKind::Added,
        DiffKind::Removed,
    ];
    let counts: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .map(|k| {
            let n = rows.iter().filter(|r| r.kind == *k).count();
            (k.as_str().to_owned(), n.into())
        })
        .collect();
    serde_json::json!({"changes": changes, "counts": counts})
}
