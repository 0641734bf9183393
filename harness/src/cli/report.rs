//! `wsconform report …`: baselines, merges, diffs, HTML of report directories.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ws_reports::{Baseline, RunReport};

use crate::error::HarnessError;

pub(super) const REPORT_EXIT_CODES: &str = "\
Exit codes:
  0    done (`report diff` exits 0 whatever changed: read its table)
  2    a directory or file cannot be read or written, or is not a report";

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
        ReportCommand::Diff(a) => {
            let before = ws_reports::read_autobahn_dir(&a.a)?;
            let after = ws_reports::read_autobahn_dir(&a.b)?;
            crate::out!(
                "{}",
                ws_reports::render_diff(&ws_reports::diff(&before, &after))
            );
        }
        ReportCommand::Html(a) => {
            ws_reports::rewrite_html(&a.dir)?;
            crate::outln!("wrote {}", a.dir.join("index.html").display());
        }
    }
    Ok(0)
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
    let err = |why: String| HarnessError::Agent {
        dir: dir.to_path_buf(),
        why,
    };
    match (agent, runs) {
        (_, []) => Err(err("index.json lists no agent".into())),
        (Some(name), _) => runs
            .iter()
            .find(|r| r.agent == name)
            .ok_or_else(|| err(format!("no agent {name:?} (it has {})", names()))),
        (None, [run]) => Ok(run),
        (None, _) => Err(err(format!(
            "it holds several agents ({}): choose one with --agent",
            names()
        ))),
    }
}
