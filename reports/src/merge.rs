//! Joining the reports of shards (`--shard K/N`) into one.

use std::collections::{BTreeMap, BTreeSet};

use crate::case_id::compare_case_ids;
use crate::error::ReportError;
use crate::model::RunReport;

/// Merges shard reports: `shards` holds, per shard, the runs it read back (e.g. one
/// [`crate::read_autobahn_dir`] per shard directory). Runs of the same agent become one run
/// with the union of their cases, sorted by case id; the same case of one agent in two places
/// is an error naming it. Shards of one agent must agree on `tool_version` and
/// `insecure_tls`; the merged `started` is the earliest. Runs come back sorted by agent.
pub fn merge(shards: Vec<Vec<RunReport>>) -> Result<Vec<RunReport>, ReportError> {
    let mut merged: BTreeMap<String, RunReport> = BTreeMap::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for run in shards.into_iter().flatten() {
        let ids = seen.entry(run.agent.clone()).or_default();
        for case in &run.results {
            if !ids.insert(case.id.clone()) {
                return Err(ReportError::DuplicateCase {
                    agent: run.agent.clone(),
                    case: case.id.clone(),
                });
            }
        }
        match merged.get_mut(&run.agent) {
            None => {
                merged.insert(run.agent.clone(), run);
            }
            Some(acc) => {
                if acc.tool_version != run.tool_version {
                    return Err(ReportError::MergeMismatch {
                        agent: run.agent,
                        field: "toolVersion",
                        first: acc.tool_version.clone(),
                        second: run.tool_version,
                    });
                }
                if acc.insecure_tls != run.insecure_tls {
                    return Err(ReportError::MergeMismatch {
                        agent: run.agent,
                        field: "insecureTls",
                        first: acc.insecure_tls.to_string(),
                        second: run.insecure_tls.to_string(),
                    });
                }
                // ISO 8601 UTC strings of one format order like the instants they name;
                // an empty start (unknown) never wins.
                if acc.started.is_empty() || (!run.started.is_empty() && run.started < acc.started)
                {
                    acc.started = run.started;
                }
                // Shards may reach one server by different names; the first known is shown.
                if acc.url.is_none() {
                    acc.url = run.url;
                }
                acc.results.extend(run.results);
            }
        }
    }
    Ok(merged
        .into_values()
        .map(|mut run| {
            run.results.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
            run
        })
        .collect())
}
