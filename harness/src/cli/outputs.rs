//! What `run` and `proxy` share around the cases they play: the output and gating
//! options, the report directory and JUnit file, the baseline gate, the summary printed
//! and the exit code.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use ws_reports::{
    compare, render_junit_gated, Baseline, CaseResult, FailOn, Gate, ReportWriter, RunReport,
};

use super::gate::BaselineGate;
use super::run::Plan;
use crate::console::{paint_verdicts, ColorChoice};
use crate::shard::Shard;

/// The output and gating options of `run` and `proxy`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Directory of the report (Autobahn-compatible index.json, per-case JSON, index.html).
    /// Agents already in it that this run does not test are kept [default:
    /// wsconform-report].
    #[arg(help_heading = "Output", long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no report directory.
    #[arg(help_heading = "Output", long)]
    pub no_report: bool,
    /// Print only the summary line of each server (and errors); no progress.
    #[arg(help_heading = "Output", long, short = 'q')]
    pub quiet: bool,
    /// Colour the verdicts: auto = on a terminal unless NO_COLOR is set.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// What to print on stdout at the end. The JSON summary is one object (verdict
    /// counts, failing case ids, baseline comparison, exitCode).
    #[arg(help_heading = "Output", long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write JUnit XML to FILE: one testsuite per section, one testcase per case. A
    /// case is a <failure> exactly when it fails the run (under --fail-on, or against
    /// --baseline), so the XML fails when the exit code does; failing cases the baseline
    /// accepts are <skipped> ("accepted by baseline: FAILED"), UNIMPLEMENTED ones too unless
    /// they fail the run; other verdicts pass with their verdicts as properties. FILE and
    /// --out are checked before the first case; if writing still fails at the end, the
    /// summary is printed first and the exit code is 2.
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Gate on FILE, the accepted verdict of each case (written by `wsconform report
    /// baseline DIR > FILE`): exit 1 only when a case is worse than its baseline or a
    /// case the baseline does not list fails under --fail-on. Regressions and
    /// improvements are printed; baseline cases this run did not execute are only counted.
    #[arg(help_heading = "Gating", long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// What counts as failing (exit code and the table's failing list): "failed" = behavior
    /// FAILED or close UNCLEAN/FAILED; "non-strict" adds NON-STRICT, UNIMPLEMENTED, WRONG
    /// CODE and FAILED BY CLIENT; "informational" fails everything but OK.
    #[arg(help_heading = "Gating", long, value_enum, default_value_t = FailOnArg::Failed, value_name = "LEVEL")]
    pub fail_on: FailOnArg,
}

impl OutputArgs {
    /// The report directory: --out, else `wsconform-report`.
    pub(super) fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("wsconform-report"))
    }

    /// The baseline named by --baseline, read before any case runs.
    pub(super) fn read_baseline(&self) -> anyhow::Result<Option<Baseline>> {
        self.baseline
            .as_ref()
            .map(|path| {
                Baseline::read(path).with_context(|| format!("--baseline {}", path.display()))
            })
            .transpose()
    }
}

/// Output format of the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Table,
    /// A JSON summary for machines.
    Json,
}

/// `--fail-on`: the command-line face of [`FailOn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Only failures (the default).
    Failed,
    /// Failures and anything non-strict or unimplemented.
    NonStrict,
    /// Everything that is not a clean pass.
    Informational,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::Failed => FailOn::Failed,
            FailOnArg::NonStrict => FailOn::NonStrict,
            FailOnArg::Informational => FailOn::Informational,
        }
    }
}

/// One server's finished (or interrupted) run.
pub(super) struct Done {
    pub(super) report: RunReport,
    pub(super) url: String,
    pub(super) planned: usize,
    pub(super) wall: Duration,
    pub(super) confirmed: crate::confirm::Counts,
}

/// What the run comes to: the gate, the baseline comparison and the exit code.
struct Verdict<'a> {
    gate: Gate<'a>,
    comparison: Option<BaselineGate>,
    interrupted: bool,
    code: i32,
}

/// A baseline says which agent it was recorded for; gating another one on it is allowed
/// (a renamed agent, a new version) but rarely meant, so it is said.
fn warn_on_other_agent(path: &std::path::Path, agent: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if let Some(recorded) = ws_reports::baseline::recorded_agent(&text) {
        if recorded != agent {
            eprintln!(
                "wsconform: warning: --baseline {} was recorded for agent {recorded:?}, and this run's agent is {agent:?}",
                path.display()
            );
        }
    }
}

/// The report directory of a run, opened before its first case: each case's file is
/// written as the case settles, the index and the HTML at the end.
pub(super) struct ReportDir {
    out: PathBuf,
    writer: ReportWriter,
    /// Cases whose file could not be written (agent, case id), left out of the index,
    /// and the first such error.
    unwritten: Vec<(String, String)>,
    first_error: Option<String>,
}

impl ReportDir {
    /// Writes one case's file; a failure is remembered for the end of the run.
    pub(super) fn write_case(&mut self, case: &CaseResult) {
        if let Err(e) = self.writer.write_case(case) {
            self.unwritten.push((case.agent.clone(), case.id.clone()));
            self.first_error.get_or_insert_with(|| e.to_string());
        }
    }

    /// Writes the index, the run sidecar and the HTML for `reports` (summaries will do).
    fn finish(&self, reports: &[RunReport]) -> Result<(), String> {
        let at = |e: &dyn std::fmt::Display| {
            format!("writing the report to {}: {e}", self.out.display())
        };
        let mut written = reports.to_vec();
        for run in &mut written {
            run.results
                .retain(|c| !self.unwritten.contains(&(c.agent.clone(), c.id.clone())));
        }
        self.writer.finish(&written).map_err(|e| at(&e))?;
        match &self.first_error {
            Some(e) => Err(at(&format!(
                "{} case file(s) could not be written and are left out of the index: {e}",
                self.unwritten.len()
            ))),
            None => Ok(()),
        }
    }
}

/// Checks the report directory and the JUnit file can be written, before any case runs,
/// and opens the report directory (none with --no-report).
fn check_outputs(args: &OutputArgs, plan: &Plan) -> anyhow::Result<Option<ReportDir>> {
    if let Some(path) = &args.junit {
        crate::output::check_file("--junit", path)?;
    }
    if args.no_report {
        return Ok(None);
    }
    crate::output::check_dir("--out", &plan.out)?;
    // The new run is merged into what is there at the end; a broken directory, or an
    // agent whose files would collide with one there, would fail only then.
    if plan.out.join("index.json").exists() {
        ws_reports::read_autobahn_dir_summary(&plan.out)
            .with_context(|| format!("--out {}", plan.out.display()))?;
    }
    let agents: Vec<&str> = plan.jobs.iter().map(|j| j.agent.as_str()).collect();
    let writer = ReportWriter::open(&plan.out, &agents)
        .with_context(|| format!("--out {}", plan.out.display()))?;
    Ok(Some(ReportDir {
        out: plan.out.clone(),
        writer,
        unwritten: Vec::new(),
        first_error: None,
    }))
}

/// Writes the report directory's index and the JUnit file; tries both even when one
/// fails.
fn write_outputs(
    args: &OutputArgs,
    report_dir: Option<&ReportDir>,
    reports: &[RunReport],
    gate: &Gate,
) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    if let Some(dir) = report_dir {
        if let Err(e) = dir.finish(reports) {
            errors.push(e);
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, render_junit_gated(reports, gate)) {
            errors.push(format!("writing JUnit XML to {}: {e}", path.display()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} (the summary above is complete)", errors.join("; "))
    }
}

/// The exit code of the run: 130 when interrupted, 1 when a case fails the gate, else 0.
fn judge<'a>(
    args: &OutputArgs,
    baseline: Option<&'a Baseline>,
    reports: &[RunReport],
    interrupted: bool,
) -> Verdict<'a> {
    let gate = Gate {
        fail_on: FailOn::from(args.fail_on),
        baseline,
    };
    let comparison = match (baseline, reports.first()) {
        (Some(b), Some(run)) => Some(BaselineGate::new(compare(b, run), run, gate.fail_on)),
        _ => None,
    };
    let failing: usize = reports.iter().map(|r| gate.failing(r).len()).sum();
    let code = if interrupted {
        130
    } else if failing > 0 {
        1
    } else {
        0
    };
    Verdict {
        gate,
        comparison,
        interrupted,
        code,
    }
}

fn print_table(
    args: &OutputArgs,
    plan: &Plan,
    done: &[Done],
    verdict: &Verdict<'_>,
    shard: Option<Shard>,
) {
    let fail_on = verdict.gate.fail_on;
    let colour = args.color.enabled();
    for d in done {
        if !args.quiet {
            let table = ws_reports::summary_table_gated(&d.report, &verdict.gate);
            match colour {
                true => crate::outln!("{}", paint_verdicts(&table)),
                false => crate::outln!("{table}"),
            }
        }
        let shard_note = shard.map(|s| format!(" (shard {s})")).unwrap_or_default();
        let interrupted_note = if d.report.results.len() < d.planned {
            format!(
                " (interrupted: {} of {} cases ran)",
                d.report.results.len(),
                d.planned
            )
        } else {
            String::new()
        };
        let failing = verdict.gate.failing(&d.report).len();
        let fail_text = match (colour, failing) {
            (false, n) => format!("{n} fail"),
            (true, 0) => "\x1b[32m0 fail\x1b[0m".to_string(),
            (true, n) => format!("\x1b[31m{n} fail\x1b[0m"),
        };
        crate::outln!(
            "{} cases{shard_note} against {} in {:.2} s: {fail_text} (fail-on {fail_on}){interrupted_note}",
            d.report.results.len(),
            d.url,
            d.wall.as_secs_f64(),
        );
        if let Some(line) = d.confirmed.line() {
            println!("{line}");
        }
    }
    if args.quiet {
        return;
    }
    if verdict.interrupted && done.len() < plan.jobs.len() {
        let skipped: Vec<&str> = plan.jobs[done.len()..]
            .iter()
            .map(|j| j.agent.as_str())
            .collect();
        crate::outln!("interrupted before testing: {}", skipped.join(", "));
    }
    if let (Some(g), Some(path)) = (&verdict.comparison, &args.baseline) {
        crate::out!("{}", g.render(path));
    }
    if !args.no_report {
        crate::outln!("report: {}", plan.out.join("index.html").display());
    }
    if let Some(path) = &args.junit {
        crate::outln!("junit: {}", path.display());
    }
}

fn print_json(
    args: &OutputArgs,
    plan: &Plan,
    done: &[Done],
    verdict: &Verdict<'_>,
    shard: Option<Shard>,
) {
    let summary = |d: &Done| {
        let mut s = ws_reports::summary_json_gated(&d.report, &verdict.gate);
        if let Some(obj) = s.as_object_mut() {
            obj.insert("url".into(), d.url.clone().into());
            obj.insert("planned".into(), d.planned.into());
            obj.insert("confirmation".into(), d.confirmed.to_json());
        }
        s
    };
    let mut out = match &plan.spec {
        None => done.first().map(summary).unwrap_or_else(|| json!({})),
        Some(path) => json!({
            "spec": path.display().to_string(),
            "runs": done.iter().map(summary).collect::<Vec<_>>(),
        }),
    };
    if let Some(obj) = out.as_object_mut() {
        obj.insert("interrupted".into(), verdict.interrupted.into());
        obj.insert("exitCode".into(), verdict.code.into());
        if let Some(s) = shard {
            obj.insert("shard".into(), s.to_string().into());
        }
        if let (Some(g), Some(path)) = (&verdict.comparison, &args.baseline) {
            obj.insert("baseline".into(), g.to_json(path));
        }
        if !args.no_report {
            obj.insert("reportDir".into(), plan.out.display().to_string().into());
        }
    }
    crate::outln!("{out}");
}

/// The outputs of one `run` or `proxy`, from before its first case to its exit code:
/// the options, the plan, the baseline it is gated on and the report directory.
pub(super) struct Outputs<'a> {
    args: &'a OutputArgs,
    plan: &'a Plan,
    baseline: Option<Baseline>,
    /// Where each case's file is written as it settles (none with --no-report).
    pub(super) report_dir: Option<ReportDir>,
}

impl<'a> Outputs<'a> {
    /// Warns when a one-server plan is gated on another agent's baseline, then checks
    /// the report directory and the JUnit file can be written, before any case runs.
    pub(super) fn open(
        args: &'a OutputArgs,
        plan: &'a Plan,
        baseline: Option<Baseline>,
    ) -> anyhow::Result<Self> {
        if let (Some(path), [job]) = (&args.baseline, plan.jobs.as_slice()) {
            warn_on_other_agent(path, &job.agent);
        }
        Ok(Outputs {
            args,
            plan,
            baseline,
            report_dir: check_outputs(args, plan)?,
        })
    }

    /// Gates the finished runs, writes the report directory's index and the JUnit file
    /// and prints the summary; returns the exit code.
    pub(super) fn finish(
        &self,
        done: &[Done],
        interrupted: bool,
        shard: Option<Shard>,
    ) -> anyhow::Result<i32> {
        let (args, plan) = (self.args, self.plan);
        let reports: Vec<RunReport> = done.iter().map(|d| d.report.clone()).collect();
        let verdict = judge(args, self.baseline.as_ref(), &reports, interrupted);
        // What the run measured is never lost to an output that fails: the summary is
        // printed first, then the write errors, and the exit code says the outputs are
        // incomplete.
        let written = write_outputs(args, self.report_dir.as_ref(), &reports, &verdict.gate);
        match args.format {
            Format::Table => print_table(args, plan, done, &verdict, shard),
            Format::Json => print_json(args, plan, done, &verdict, shard),
        }
        written?;
        Ok(verdict.code)
    }
}
