//! Writing a report directory case by case, so that what a run holds in memory does not
//! grow with what its peers sent.
//!
//! A [`ReportWriter`] writes each case's file as soon as the case's result is settled
//! ([`ReportWriter::write_case`]); the caller keeps only the case's
//! [`CaseResult::into_summary`]. At the end, [`ReportWriter::finish`] writes the run
//! sidecar, `index.json` and `index.html` from those summaries; the HTML reads the full
//! results it shows back from their files, one case at a time. [`write_autobahn_dir`]
//! does all three for runs already in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::atomic_file::write_atomic;
use crate::autobahn_json::{
    agent_file_prefix, case_json, case_report_filename, index_json, parse_json,
    read_autobahn_dir_with, to_autobahn_json_string, RunMeta, INDEX_FILE, RUNS_FILE,
};
use crate::case_id::compare_case_ids;
use crate::error::ReportError;
use crate::html::{write_html, CaseFiles};
use crate::model::{CaseResult, RunReport};

/// Checks that no two of `agents` share a file-name prefix (nor a name).
fn check_agents<'a>(agents: impl IntoIterator<Item = &'a str>) -> Result<(), ReportError> {
    let mut prefixes: HashMap<String, &str> = HashMap::new();
    for agent in agents {
        let prefix = agent_file_prefix(agent);
        if let Some(other) = prefixes.insert(prefix.clone(), agent) {
            if other == agent {
                return Err(ReportError::DuplicateAgent {
                    agent: agent.to_owned(),
                });
            }
            return Err(ReportError::FilenameCollision {
                first: other.to_owned(),
                second: agent.to_owned(),
                prefix,
            });
        }
    }
    Ok(())
}

/// Checks what the file layout relies on: agents are unique, case ids are unique per agent,
/// every case names its run's agent, and no two agents share a file-name prefix.
fn validate(runs: &[RunReport]) -> Result<(), ReportError> {
    check_agents(runs.iter().map(|r| r.agent.as_str()))?;
    for run in runs {
        let mut seen = BTreeSet::new();
        for case in &run.results {
            if case.agent != run.agent {
                return Err(ReportError::AgentMismatch {
                    run_agent: run.agent.clone(),
                    case_agent: case.agent.clone(),
                    case: case.id.clone(),
                });
            }
            if !seen.insert(case.id.as_str()) {
                return Err(ReportError::DuplicateCase {
                    agent: run.agent.clone(),
                    case: case.id.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A report directory being written: case files as results settle, the index at the end.
#[derive(Debug)]
pub struct ReportWriter {
    dir: PathBuf,
}

impl ReportWriter {
    /// Opens `dir` (created if missing) for runs of `agents`. An `index.json` already there
    /// must be readable, and none of its agents may share file names with a new one (a
    /// collision found only at the end would cost the run its report).
    pub fn open(dir: &Path, agents: &[&str]) -> Result<Self, ReportError> {
        check_agents(agents.iter().copied())?;
        fs::create_dir_all(dir).map_err(|source| ReportError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let index_path = dir.join(INDEX_FILE);
        if index_path.exists() {
            let index: BTreeMap<String, Value> = parse_json(&index_path)?;
            let kept = index
                .keys()
                .map(String::as_str)
                .filter(|a| !agents.contains(a));
            check_agents(agents.iter().copied().chain(kept))?;
        }
        Ok(ReportWriter {
            dir: dir.to_path_buf(),
        })
    }

    /// Writes the file of one case (through a temporary file and a rename). A case written
    /// again replaces its file; `index.json` names it only once [`finish`](Self::finish) ran.
    pub fn write_case(&self, case: &CaseResult) -> Result<(), ReportError> {
        let path = self.dir.join(case_report_filename(&case.agent, &case.id));
        let text = to_autobahn_json_string(&case_json(case));
        write_atomic(&path, text.as_bytes(), false)
    }

    /// Writes the run sidecar, `index.json` and `index.html` for `runs`, whose cases were
    /// written with [`write_case`](Self::write_case) (`runs` may hold their summaries).
    ///
    /// Agents accumulate as in Autobahn's index: agents already in the directory that are
    /// not in `runs` are kept. An agent in `runs` that is already there keeps its earlier
    /// cases that the new run did not play (so a re-run of a few cases does not lose the
    /// rest); the cases it played replace their earlier results, and the run's metadata
    /// (start time, tool version) is the new run's. The index goes last, so an interrupted
    /// write leaves the previous index (or none) in place, never half of one.
    pub fn finish(&self, runs: &[RunReport]) -> Result<(), ReportError> {
        validate(runs)?;
        let existing = if self.dir.join(INDEX_FILE).exists() {
            read_autobahn_dir_with(&self.dir, |path, case| self.keep_old(path, case))?
        } else {
            Vec::new()
        };
        let mut all: Vec<RunReport> = runs.to_vec();
        for old in existing {
            match all.iter_mut().find(|r| r.agent == old.agent) {
                Some(new) => {
                    let played: BTreeSet<&str> =
                        new.results.iter().map(|c| c.id.as_str()).collect();
                    let kept: Vec<CaseResult> = old
                        .results
                        .into_iter()
                        .filter(|c| !played.contains(c.id.as_str()))
                        .collect();
                    new.results.extend(kept);
                    new.results.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
                }
                None => all.push(old),
            }
        }
        all.sort_by(|a, b| a.agent.cmp(&b.agent));
        // Kept agents must not collide with new ones either.
        validate(&all)?;

        let meta: BTreeMap<&str, RunMeta> = all
            .iter()
            .map(|r| {
                (
                    r.agent.as_str(),
                    RunMeta {
                        started: r.started.clone(),
                        insecure_tls: r.insecure_tls,
                        tool_version: r.tool_version.clone(),
                        url: r.url.clone(),
                    },
                )
            })
            .collect();
        let meta = serde_json::to_value(meta).expect("run metadata always serializes");
        write_atomic(
            &self.dir.join(RUNS_FILE),
            to_autobahn_json_string(&meta).as_bytes(),
            true,
        )?;
        write_atomic(
            &self.dir.join(INDEX_FILE),
            to_autobahn_json_string(&index_json(&all)).as_bytes(),
            true,
        )?;
        write_html(&self.dir, &all, &CaseFiles::new())
    }

    /// What the directory keeps of a case read back from `path`: its summary, after giving
    /// it a file under the name the new index gives it when it was read from a file named
    /// otherwise (by Autobahn, or by an older wsconform whose names were not bounded).
    fn keep_old(&self, path: &Path, case: CaseResult) -> Result<CaseResult, ReportError> {
        let named = self.dir.join(case_report_filename(&case.agent, &case.id));
        if named != path && !named.exists() {
            self.write_case(&case)?;
        }
        Ok(case.into_summary())
    }
}

/// Writes `runs` into the report directory `dir` (created if missing): one JSON file per
/// agent and case, `index.json`, the run sidecar and `index.html`, accumulating with what
/// `dir` holds as [`ReportWriter::finish`] says. Nothing is written when `runs` break the
/// file layout (a repeated agent or case, a file-name collision).
pub fn write_autobahn_dir(dir: &Path, runs: &[RunReport]) -> Result<(), ReportError> {
    validate(runs)?;
    let agents: Vec<&str> = runs.iter().map(|r| r.agent.as_str()).collect();
    let writer = ReportWriter::open(dir, &agents)?;
    for case in runs.iter().flat_map(|r| &r.results) {
        writer.write_case(case)?;
    }
    let summaries: Vec<RunReport> = runs.iter().map(RunReport::summary).collect();
    writer.finish(&summaries)
}

/// Re-renders `dir/index.html` from the JSON files in `dir` alone, following the file
/// names `index.json` gives (a directory written by Autobahn names them its own way).
pub fn rewrite_html(dir: &Path) -> Result<(), ReportError> {
    let mut files = CaseFiles::new();
    let runs = read_autobahn_dir_with(dir, |path, case| {
        files.insert((case.agent.clone(), case.id.clone()), path.to_path_buf());
        Ok(case.into_summary())
    })?;
    write_html(dir, &runs, &files)
}
