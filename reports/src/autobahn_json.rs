//! Autobahn-compatible report directories: `index.json`, one JSON file per agent and case,
//! and `index.html`.
//!
//! `index.json` has Autobahn's shape, `{agent: {case_id: {behavior, behaviorClose, duration,
//! remoteCloseCode, reportfile}}}`, written like Python's `json.dumps(sort_keys=True,
//! indent=3)`, so scripts written for Autobahn read it unchanged. Each per-case file is the
//! full [`CaseResult`]. Run-level data that Autobahn has no place for (start time, tool
//! version, TLS opt-out, the URL tested) lives in a sidecar, [`RUNS_FILE`], keyed by agent,
//! so readers of Autobahn's format never meet it; directories
//! written by Autobahn itself, which lack it, are still readable.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::atomic_file::read_to_string;
use crate::case_id::compare_case_ids;
use crate::error::ReportError;
use crate::model::{CaseResult, RunReport};

/// Name of the master index in a report directory.
pub const INDEX_FILE: &str = "index.json";
/// Name of the HTML report in a report directory.
pub const HTML_FILE: &str = "index.html";
/// Name of the sidecar with run-level metadata per agent (ours; Autobahn has none).
pub const RUNS_FILE: &str = "wsconform-runs.json";

/// Autobahn's `cleanForFilename`: lower-case, every character outside `[a-z0-9]` becomes a
/// space, spaces at both ends are dropped and the rest become `_` (one per character).
pub fn clean_for_filename(s: &str) -> String {
    let spaced: String = s
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.trim().replace(' ', "_")
}

/// Longest agent part of a per-case file name kept as Autobahn writes it.
const AGENT_PREFIX_MAX: usize = 64;
/// Characters of the cleaned agent name kept before the hash, when one is needed.
const HASHED_PREFIX_MAX: usize = 40;

/// The agent part of the per-case file names: Autobahn's [`clean_for_filename`] when that
/// is the agent name itself and short (`my_server`), else a short cleaned prefix, `-`
/// and a hash of the whole name (`autobahnpython_0_6_0-1f0c…`). File names stay bounded
/// (a 300-character agent name still fits a file system's 255-byte limit), and two agents
/// never share files: a clean name maps to itself, and only hashed names contain `-`.
pub fn agent_file_prefix(agent: &str) -> String {
    let clean = clean_for_filename(agent);
    if clean == agent && !clean.is_empty() && clean.len() <= AGENT_PREFIX_MAX {
        return clean;
    }
    // clean_for_filename keeps ASCII only, so byte and character counts agree.
    let short = &clean[..clean.len().min(HASHED_PREFIX_MAX)];
    format!(
        "{}-{:016x}",
        short.trim_end_matches('_'),
        fnv1a64(agent.as_bytes())
    )
}

/// FNV-1a, 64 bits: a stable hash that needs no dependency; collisions between the agents
/// of one directory are still refused when it is written.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The per-case report file name: `<agent prefix>_case_<id with _>.json`, with the agent
/// prefix of [`agent_file_prefix`]. For an agent named like `my_server` this is the name
/// Autobahn uses. Readers follow each case's `reportfile` in `index.json`, so directories
/// written with Autobahn's names (or older wsconform ones) stay readable.
pub fn case_report_filename(agent: &str, case_id: &str) -> String {
    format!(
        "{}_case_{}.json",
        agent_file_prefix(agent),
        case_id.replace('.', "_")
    )
}

/// Serializes like Python's `json.dumps(v, sort_keys=True, indent=3, separators=(',', ': '))`.
pub fn to_autobahn_json_string(value: &Value) -> String {
    let sorted = sort_keys(value);
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    sorted
        .serialize(&mut ser)
        .expect("serializing a serde_json::Value into memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

// Rebuilt by inserting in sorted order, so keys come out sorted whether or not serde_json's
// map keeps insertion order (its `preserve_order` feature may be on in the workspace).
fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sort_keys(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// One entry of `index.json`.
fn index_entry(case: &CaseResult) -> Value {
    serde_json::json!({
        "behavior": case.behavior,
        "behaviorClose": case.behavior_close,
        "duration": case.duration_ms,
        "remoteCloseCode": case.remote_close_code,
        "reportfile": case_report_filename(&case.agent, &case.id),
    })
}

/// The `index.json` value for the given runs.
pub fn index_json(runs: &[RunReport]) -> Value {
    let mut agents = Map::new();
    for run in runs {
        let cases: Map<String, Value> = run
            .results
            .iter()
            .map(|c| (c.id.clone(), index_entry(c)))
            .collect();
        agents.insert(run.agent.clone(), Value::Object(cases));
    }
    Value::Object(agents)
}

/// The full per-case JSON document (all Autobahn keys plus ours).
pub fn case_json(case: &CaseResult) -> Value {
    serde_json::to_value(case).expect("a CaseResult always serializes")
}

/// Run-level data of one agent in the sidecar [`RUNS_FILE`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunMeta {
    pub(crate) started: String,
    pub(crate) insecure_tls: bool,
    pub(crate) tool_version: String,
    // Sidecars written before the URL was recorded lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
}

fn malformed(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text = read_to_string(path)?;
    serde_json::from_str(&text).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a report directory written by [`write_autobahn_dir`] or by Autobahn|Testsuite:
/// `index.json` and the per-case files it names. Runs come back sorted by agent, results by
/// case id ([`compare_case_ids`]). Without our sidecar, a run's `started` is its earliest
/// case start, `tool_version` is empty and `insecure_tls` false.
pub fn read_autobahn_dir(dir: &Path) -> Result<Vec<RunReport>, ReportError> {
    read_autobahn_dir_with(dir, |_, case| Ok(case))
}

/// Like [`read_autobahn_dir`], but keeps of each case only its
/// [`CaseResult::into_summary`]: what the index, the summaries and the HTML matrix read.
/// One case file is in memory at a time, so a large directory reads in little memory.
pub fn read_autobahn_dir_summary(dir: &Path) -> Result<Vec<RunReport>, ReportError> {
    read_autobahn_dir_with(dir, |_, case| Ok(case.into_summary()))
}

/// Reads a report directory, handing each case (with the path of its file) to `keep`,
/// which returns what the runs hold of it.
pub(crate) fn read_autobahn_dir_with(
    dir: &Path,
    mut keep: impl FnMut(&Path, CaseResult) -> Result<CaseResult, ReportError>,
) -> Result<Vec<RunReport>, ReportError> {
    let index_path = dir.join(INDEX_FILE);
    let index: Value = parse_json(&index_path)?;
    let agents = index
        .as_object()
        .ok_or_else(|| malformed(&index_path, "top level is not an object of agents"))?;

    let runs_path = dir.join(RUNS_FILE);
    let mut meta: BTreeMap<String, RunMeta> = if runs_path.exists() {
        parse_json(&runs_path)?
    } else {
        BTreeMap::new()
    };

    let mut runs = Vec::with_capacity(agents.len());
    for (agent, cases) in agents {
        let cases = cases
            .as_object()
            .ok_or_else(|| malformed(&index_path, format!("agent {agent:?} is not an object")))?;
        let mut results = Vec::with_capacity(cases.len());
        for (case_id, entry) in cases {
            let file = entry
                .get("reportfile")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    malformed(
                        &index_path,
                        format!("case {case_id} of agent {agent:?} has no reportfile"),
                    )
                })?;
            // The index names files in this directory only; refuse anything that would
            // make a reader wander elsewhere.
            if file.contains(['/', '\\']) || file.starts_with('.') {
                return Err(malformed(
                    &index_path,
                    format!("reportfile {file:?} is not a plain file name"),
                ));
            }
            let case_path = dir.join(file);
            let case: CaseResult = parse_json(&case_path)?;
            if case.id != *case_id || case.agent != *agent {
                return Err(malformed(
                    &case_path,
                    format!(
                        "holds case {} of agent {:?}, but the index lists it for case {case_id} of agent {agent:?}",
                        case.id, case.agent
                    ),
                ));
            }
            results.push(keep(&case_path, case)?);
        }
        results.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
        let (started, insecure_tls, tool_version, url) = match meta.remove(agent) {
            Some(m) => (m.started, m.insecure_tls, m.tool_version, m.url),
            None => (
                results
                    .iter()
                    .map(|c| c.started.as_str())
                    .min()
                    .unwrap_or_default()
                    .to_owned(),
                false,
                String::new(),
                None,
            ),
        };
        runs.push(RunReport {
            agent: agent.clone(),
            results,
            started,
            insecure_tls,
            tool_version,
            url,
        });
    }
    runs.sort_by(|a, b| a.agent.cmp(&b.agent));
    Ok(runs)
}
