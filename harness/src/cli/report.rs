//! `wsconform report …`: baselines, merges, diffs, JUnit, one case, HTML of report
//! directories.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ws_reports::{Baseline, RunReport};

use crate::error::{AgentProblem, HarnessError};

pub(super) const REPORT_EXIT_CODES: &str = "\
Exit codes:
  0    done (`report diff` without --fail-on-regression exits 0 whatever changed)
  1    `report diff --fail-on-regression`: some case regressed
  2    a directory or file cannot be read or written, or is not a report; no such case";

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do with reports.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// The `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Print the baseline of one agent of a report directory (redirect it to a file).
    ///
    /// A baseline is the accepted verdict of every case, one tab-separated line per case
    /// (`id  behavior  behaviorClose`), sorted, so it diffs well in version control.
    /// Commit it, then gate CI with `wsconform run URL --baseline FILE`: the run fails
    /// only on regressions. To accept improvements, regenerate it from a newer report.
    #[command(after_help = REPORT_EXIT_CODES)]
    Baseline(BaselineArgs),
    /// Join the report directories of shards (`run --shard K/N`) into one.
    ///
    /// Runs of the same agent become one run with the union of their cases; a case found
    /// in two directories is an error. Writes index.json, the per-case files and
    /// index.html into --out (agents already there and not in the inputs are kept).
    #[command(after_help = REPORT_EXIT_CODES)]
    Merge(MergeArgs),
    /// Show per-case verdict changes from report directory A (before) to B (after).
    ///
    /// Prints a table of every agent and case whose verdicts differ: regression,
    /// improvement, changed (neither), added (only in B) or removed (only in A), then a
    /// count line; "no verdict changes" when there are none.
    #[command(after_help = REPORT_EXIT_CODES)]
    Diff(DiffArgs),
    /// Write JUnit XML from a report directory (after `report merge` of CI shards).
    ///
    /// The same document as `run --junit`: one testsuite per section (per agent and
    /// section when DIR holds several agents), and a <failure> exactly for each case that
    /// fails under --fail-on, or against --baseline.
    #[command(after_help = REPORT_EXIT_CODES)]
    Junit(JunitArgs),
    /// Print one case of a report directory: verdicts, reason, expectation, RFC clause,
    /// close codes and the wire log.
    #[command(after_help = REPORT_EXIT_CODES)]
    Show(ShowArgs),
    /// Re-render DIR/index.html from the JSON files in DIR alone.
    ///
    /// Useful after merging or editing reports by hand, or to refresh the HTML of a report
    /// written by an older version or by Autobahn|Testsuite.
    #[command(after_help = REPORT_EXIT_CODES)]
    Html(HtmlArgs),
}

/// Arguments of `report baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Report directory (holding index.json).
    pub dir: PathBuf,
    /// Agent whose baseline to print; required when DIR holds several agents.
    #[arg(long)]
    pub agent: Option<String>,
}

/// Arguments of `report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Report directories to join.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory to write the merged report to (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
}

/// Arguments of `report diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report directory.
    pub a: PathBuf,
    /// The later report directory.
    pub b: PathBuf,
    /// Exit 1 when some case regressed (is worse in B than in A).
    #[arg(long)]
    pub fail_on_regression: bool,
    /// A table for people, or JSON ({"changes": [...], "counts": {...}}) for machines.
    #[arg(long, value_enum, default_value_t = super::Format::Table)]
    pub format: super::Format,
    /// Compare agent OLD of A with agent NEW of B, as if they had the same name
    /// (repeatable), e.g. when the agent name carries a version.
    #[arg(long = "agent-map", value_name = "OLD=NEW", value_parser = parse_agent_map)]
    pub agent_map: Vec<(String, String)>,
}

fn parse_agent_map(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((old, new)) if !old.is_empty() && !new.is_empty() => {
            Ok((old.to_owned(), new.to_owned()))
        }
        _ => Err(format!("expected OLD=NEW, got {text:?}")),
    }
}

/// Arguments of `report junit`.
#[derive(Debug, Args)]
pub struct JunitArgs {
    /// Report directory (holding index.json).
    pub dir: PathBuf,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What counts as failing, as for `run --fail-on`.
    #[arg(long, value_enum, default_value_t = super::FailOnArg::Failed, value_name = "LEVEL")]
    pub fail_on: super::FailOnArg,
    /// Gate on FILE, as for `run --baseline` (DIR must then hold one agent, or use --agent).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Only this agent of DIR.
    #[arg(long)]
    pub agent: Option<String>,
}

/// Arguments of `report show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Report directory (holding index.json).
    pub dir: PathBuf,
    /// Case id, e.g. 6.4.1.
    pub case: String,
    /// Agent of DIR; required when DIR holds several agents.
    #[arg(long)]
    pub agent: Option<String>,
}

/// Arguments of `report html`.
#[derive(Debug, Args)]
pub struct HtmlArgs {
    /// Report directory (holding index.json).
    pub dir: PathBuf,
}

pub(super) fn cmd_report(args: ReportArgs) -> anyhow::Result<i32> {
    match args.command {
        ReportCommand::Baseline(a) => {
            let runs = ws_reports::read_autobahn_dir(&a.dir)?;
            let run = pick_agent(&a.dir, &runs, a.agent.as_deref())?;
            crate::out!("{}", Baseline::from_run(run).to_text(Some(&run.agent)));
        }
        ReportCommand::Merge(a) => {
            let shards = a
                .dirs
                .iter()
                .map(|d| ws_reports::read_autobahn_dir(d))
                .collect::<Result<Vec<_>, _>>()?;
            let merged = ws_reports::merge(shards)?;
            ws_reports::write_autobahn_dir(&a.out, &merged)?;
            for run in &merged {
                crate::outln!("{}: {} cases", run.agent, run.results.len());
            }
            crate::outln!(
                "merged {} report(s) into {}",
                a.dirs.len(),
                a.out.join("index.json").display()
            );
        }
        ReportCommand::Diff(a) => return cmd_diff(a),
        ReportCommand::Junit(a) => cmd_junit(a)?,
        ReportCommand::Show(a) => {
            let runs = ws_reports::read_autobahn_dir(&a.dir)?;
            let run = pick_agent(&a.dir, &runs, a.agent.as_deref())?;
            let case = run.case(&a.case).ok_or_else(|| HarnessError::Agent {
                dir: a.dir.clone(),
                problem: AgentProblem::NoCase {
                    agent: run.agent.clone(),
                    case: a.case.clone(),
                },
            })?;
            crate::out!("{}", ws_reports::render_case_text(case));
        }
        ReportCommand::Html(a) => {
            ws_reports::rewrite_html(&a.dir)?;
            crate::outln!("wrote {}", a.dir.join("index.html").display());
        }
    }
    Ok(0)
}

fn cmd_diff(a: DiffArgs) -> anyhow::Result<i32> {
    let mut before = ws_reports::read_autobahn_dir(&a.a)?;
    let after = ws_reports::read_autobahn_dir(&a.b)?;
    for (old, new) in &a.agent_map {
        let run =
            before
                .iter_mut()
                .find(|r| &r.agent == old)
                .ok_or_else(|| HarnessError::Agent {
                    dir: a.a.clone(),
                    problem: AgentProblem::MapUnknown {
                        old: old.clone(),
                        new: new.clone(),
                    },
                })?;
        run.agent = new.clone();
        for case in &mut run.results {
            case.agent = new.clone();
        }
    }
    let rows = ws_reports::diff(&before, &after);
    match a.format {
        super::Format::Table => crate::out!("{}", ws_reports::render_diff(&rows)),
        super::Format::Json => crate::outln!("{}", ws_reports::diff_json(&rows)),
    }
    let regressed = rows
        .iter()
        .any(|r| r.kind == ws_reports::DiffKind::Regression);
    Ok(i32::from(a.fail_on_regression && regressed))
}

fn cmd_junit(a: JunitArgs) -> anyhow::Result<()> {
    let runs = ws_reports::read_autobahn_dir(&a.dir)?;
    let runs = match (&a.agent, &a.baseline) {
        (None, None) => runs,
        _ => vec![pick_agent(&a.dir, &runs, a.agent.as_deref())?.clone()],
    };
    let baseline = match &a.baseline {
        Some(path) => Some(
            Baseline::read(path)
                .map_err(|e| anyhow::anyhow!("--baseline {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let gate = ws_reports::Gate {
        fail_on: a.fail_on.into(),
        baseline: baseline.as_ref(),
    };
    let xml = ws_reports::render_junit_gated(&runs, &gate);
    match &a.out {
        Some(path) => {
            crate::output::check_file("--out", path)?;
            std::fs::write(path, xml).map_err(|source| HarnessError::Io {
                what: format!("writing {}", path.display()),
                source,
            })?;
        }
        None => crate::out!("{xml}"),
    }
    Ok(())
}

fn pick_agent<'a>(
    dir: &Path,
    runs: &'a [RunReport],
    agent: Option<&str>,
) -> Result<&'a RunReport, HarnessError> {
    let names = || {
        runs.iter()
            .map(|r| format!("{:?}", r.agent))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let err = |problem: AgentProblem| HarnessError::Agent {
        dir: dir.to_path_buf(),
        problem,
    };
    match (agent, runs) {
        (_, []) => Err(err(AgentProblem::NoAgent)),
        (Some(name), _) => runs.iter().find(|r| r.agent == name).ok_or_else(|| {
            err(AgentProblem::Unknown {
                name: name.to_string(),
                have: names(),
            })
        }),
        (None, [run]) => Ok(run),
        (None, _) => Err(err(AgentProblem::Ambiguous { have: names() })),
    }
}
