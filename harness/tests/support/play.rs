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

/// The ids `list` names, as the sets the tests compare.
pub fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Each case that is not a clean OK, with its verdicts and reason, one a line: what
/// an assertion message shows.
pub fn reasons(records: &[CaseRecord]) -> String {
    records
        .iter()
        .filter(|r| r.outcome.verdict.behavior != Behavior::Ok)
        .map(|r| {
            format!(
                "{}: {}/{} {}",
                r.case.id,
                r.outcome.verdict.behavior.as_str(),
                r.outcome.verdict.behavior_close.as_str(),
                r.outcome.verdict.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A peer that breaks one rule (one flaw set on its conforming default), the cases
/// played against it, and exactly those of them that must fail.
pub struct OneRuleBroken<F: 'static> {
    /// The rule broken, as a failure names it.
    pub rule: &'static str,
    /// Sets the flaw that breaks it.
    pub flaw: fn(&mut F),
    /// The cases played.
    pub cases: &'static str,
    /// Exactly the cases that must fail: no more, no fewer.
    pub fail: &'static [&'static str],
}

/// A peer's flaws: its conforming default with the one `flaw` sets.
pub fn flawed<F: Default>(flaw: fn(&mut F)) -> F {
    let mut flaws = F::default();
    flaw(&mut flaws);
    flaws
}

/// Plays each row's cases against its flawed peer, one row after the other (`play`
/// starts a peer with the flaw given and runs the cases), and fails naming every row
/// whose FAILED cases are not exactly the ones it lists.
pub async fn assert_each_fails_exactly<F, Fut>(
    rows: &[OneRuleBroken<F>],
    play: impl Fn(fn(&mut F), &'static str) -> Fut,
) where
    Fut: std::future::Future<Output = Vec<CaseRecord>>,
{
    let mut wrong = Vec::new();
    for row in rows {
        let records = play(row.flaw, row.cases).await;
        let got = failed(&records);
        if got != ids(row.fail) {
            wrong.push(format!(
                "{} ({}): {got:?} failed, not exactly {:?}\n{}",
                row.rule,
                row.cases,
                row.fail,
                reasons(&records)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
