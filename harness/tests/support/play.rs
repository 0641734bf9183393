//! Playing a selection of the catalogue against a peer from a test, and the
//! ids the tests compare: what every suite-as-client test file needs.

use std::collections::{BTreeMap, BTreeSet};

use ws_cases::model::{Behavior, CloseBehavior};
use ws_cases::run::Role;
use ws_cases::select::{parse_list, select};
use wsconform::runner::{run_all, CaseRecord, RunSettings};
use wsconform::target::Target;

/// Plays the client-role cases that `patterns` selects against `url`.
pub async fn run_cases(url: &str, patterns: &str, settings: RunSettings) -> Vec<CaseRecord> {
    let all = ws_cases::cases_for(Role::Client);
    let cases: Vec<_> = select(&all, &parse_list(patterns).unwrap(), &[])
        .unwrap()
        .into_iter()
        .cloned()
        .collect();
    let target = Target::parse(url).unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    run_all(cases, target, settings, |_| {}, rx).await
}

/// Ids of the cases whose message verdict is FAILED.
pub fn failed(records: &[CaseRecord]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::Failed)
        .map(|r| r.case.id.clone())
        .collect()
}

/// The cases whose message verdict is FAILED or whose closing handshake is not OK,
/// each with its verdict, for an assertion message that says why.
pub fn not_clean(records: &[CaseRecord]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| {
            r.outcome.verdict.behavior == Behavior::Failed
                || !matches!(
                    r.outcome.verdict.behavior_close,
                    CloseBehavior::Ok | CloseBehavior::Informational
                )
        })
        .map(|r| format!("{}: {:?}", r.case.id, r.outcome.verdict))
        .collect()
}

/// Each case's verdicts (message, close), by case id.
pub fn verdicts(records: &[CaseRecord]) -> BTreeMap<String, (Behavior, CloseBehavior)> {
    records
        .iter()
        .map(|r| {
            let v = &r.outcome.verdict;
            (r.case.id.clone(), (v.behavior, v.behavior_close))
        })
        .collect()
}
