//! `wsconform run`: test servers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use ws_cases::Case;
use ws_reports::{
    compare, render_junit_gated, Baseline, CaseResult, FailOn, Gate, ReportWriter, RunReport,
};

use super::gate::BaselineGate;
use super::progress::Progress;
use super::selected;
use crate::console::{paint_verdicts, ColorChoice};
use crate::echo::{self, EchoSettings};
use crate::error::{HarnessError, HeaderProblem};
use crate::report::{case_result, run_report};
use crate::runner::{self, default_jobs, Probe, RunSettings};
use crate::shard::Shard;
use crate::spec::Spec;
use crate::target::Target;
use crate::tls::ClientTlsArgs;

pub(super) const RUN_EXIT_CODES: &str = "\
Exit codes:
  0    no case fails under --fail-on (with --baseline: no regression, no failing new case)
  1    some case fails under --fail-on (with --baseline: some case is worse than its
       baseline, or a case the baseline does not list fails under --fail-on)
  2    bad input: an option, URL, case pattern, an empty selection, --shard, spec or
       baseline file, an --out or --junit path that cannot be written; a server that
       cannot be reached or answers a valid opening handshake with anything but 101 (a
       101 that breaks RFC 6455 §4.1 is a finding: every case runs and fails, exit 1,
       with the report written); a wss:// server whose
       certificate is refused (wrong host name, expired, unknown issuer) or whose TLS
       handshake fails; a --ca file that cannot be used
  130  interrupted by Ctrl-C: the report holds the cases that finished

Deadlines:
  first check   before any case, one connection checks the URL speaks WebSocket: TCP
                connect, TLS and the whole opening handshake response within 10 s in
                all (a server trickling its answer cannot stretch it)
  every case    opening handshake within 5 s; the closing handshake within 1 s of the
                suite's close; the case ends by --case-timeout (default 60 s)
  sections      Autobahn's own limits (60-480 s, plus 5 s) where longer than
  12, 13        --case-timeout; a case also fails after --stall-timeout (default 20 s)
                with no byte from the server while an echo is owed, and is rerun alone
                only if echoes had come back before (a busy server, not a silent one)
  a close       once a case's outcome is decided, bytes still owed to a server that
                stopped reading get 2 s; then TCP is dropped (RFC 6455 §7.1.7)
  the run       --max-run-time caps everything above";

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// ws://host:port/path or wss://host:port/path of the server under test. Without it
    /// (and without --spec), the built-in reference echo server is started on a free
    /// loopback port and tested.
    #[arg(conflicts_with = "spec")]
    pub url: Option<String>,
    /// Cases to run: comma-separated ids or patterns ("*", "6.*", "9.7.*", "1.1.1"). A
    /// pattern that matches no case is an error.
    #[arg(
        help_heading = "Selection",
        long,
        default_value = "*",
        conflicts_with = "spec"
    )]
    pub cases: String,
    /// Cases to leave out, same syntax as --cases.
    #[arg(
        help_heading = "Selection",
        long,
        default_value = "",
        conflicts_with = "spec"
    )]
    pub exclude: String,
    /// Cases running at once; the 9.x performance cases always run alone.
    #[arg(help_heading = "Connection", long, short = 'j', default_value_t = default_jobs(), value_parser = parse_jobs)]
    pub jobs: usize,
    /// Name of the implementation under test, as the report shows it [default: the URL;
    /// "wsconform-reference" for the built-in server].
    #[arg(help_heading = "Connection", long, conflicts_with = "spec")]
    pub agent: Option<String>,
    /// Extra header for the opening handshake, as 'Name: value' (repeatable).
    #[arg(
        help_heading = "Connection",
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE"
    )]
    pub headers: Vec<String>,
    /// Directory of the report (Autobahn-compatible index.json, per-case JSON, index.html).
    /// Agents already in it that this run does not test are kept [default:
    /// wsconform-report; with --spec, the spec's outdir, else ./reports/servers].
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
    /// Hard deadline of one case, in seconds; past it the case is FAILED ("timed out").
    /// Sections 12 and 13 keep Autobahn's own limits (60-480 s) where those are longer
    /// (see "Deadlines" below).
    #[arg(
        help_heading = "Connection",
        long,
        default_value_t = 60.0,
        value_name = "SECONDS"
    )]
    pub case_timeout: f64,
    /// Sections 12 and 13: a case fails as soon as the server sends no byte for this
    /// many seconds while an echo is owed ("stopped answering"), instead of waiting out
    /// Autobahn's 60-480 s limit.
    #[arg(
        help_heading = "Connection",
        long,
        default_value_t = ws_cases::run::DEFAULT_STALL_TIMEOUT.as_secs_f64(),
        value_name = "SECONDS"
    )]
    pub stall_timeout: f64,
    /// Cap on the whole run, in seconds: cases still going then are FAILED ("timed out"),
    /// cases not started are FAILED without a connection, and the report is written.
    #[arg(help_heading = "Connection", long, value_name = "SECONDS")]
    pub max_run_time: Option<f64>,
    /// Largest message accepted from the server, in bytes; larger ones fail the case (1009).
    #[arg(help_heading = "Connection", long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_message_size: u64,
    /// What to print on stdout at the end. The JSON summary is one object per run
    /// (verdict counts, failing case ids, baseline comparison, exitCode); with --spec it
    /// is {"spec", "runs": [...], "interrupted", "exitCode"}.
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
    /// Run shard K of N (K in 1..=N): case i of the selection (0-based, catalogue order)
    /// goes to shard i mod N + 1, so the N shards of a CI matrix together run every case
    /// once. Join their report directories with `wsconform report merge`.
    #[arg(help_heading = "Selection", long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Test the servers of an Autobahn|Testsuite fuzzingclient spec file (servers with
    /// agent, url and options; cases; exclude-cases; exclude-agent-cases; outdir) into
    /// one report directory. Patterns for sections this catalogue lacks are skipped with
    /// a note; Autobahn's protocol options are listed once as ignored.
    #[arg(help_heading = "Selection", long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Certificate verification for wss:// URLs.
    #[command(flatten)]
    pub tls: ClientTlsArgs,
    /// Replay one case file (a reproducer `wsconform fuzz` writes) against URL instead of
    /// the catalogue: prints its verdict; exit code 1 when the server fails it.
    #[arg(
        help_heading = "Selection",
        long,
        value_name = "FILE",
        conflicts_with = "spec",
        requires = "url"
    )]
    pub case_file: Option<PathBuf>,
    /// A first look: of the selected cases, play only the first of each subsection (1.1.1,
    /// 1.2.1, 2.1, ..., 74 of the default catalogue), a few seconds against a quick server.
    #[arg(help_heading = "Selection", long)]
    pub quick: bool,
    /// Also run the opt-in cases where a wildcard such as `*` matches them: section 15
    /// (limits and resource protection), aggressive by design (2^62-byte frames, floods,
    /// slow handshakes). Naming the section (`--cases '15.*'`) selects it without --all.
    #[arg(help_heading = "Selection", long)]
    pub all: bool,
    /// The largest message, in bytes, the server under test accepts (its documented
    /// limit): case 15.1.3 sends one byte more and expects close code 1009. Without it
    /// that case is not played and is reported as INFORMATIONAL.
    #[arg(help_heading = "Connection", long, value_name = "BYTES")]
    pub peer_max_message: Option<u64>,
    /// Report each verdict as made beside other cases. By default a case that comes out
    /// worse than OK (NON-STRICT, FAILED, or a close verdict other than OK) is played
    /// again alone, after the rest, and that verdict is reported: a busy server can miss
    /// a timer beside other cases that it keeps alone. Where the two differ, the case's
    /// result says so and the summary counts it. No rerun starts once the reruns have
    /// taken half as long as the run before them (or 10 s, whichever is more); cases
    /// left keep their first verdict, with a note.
    #[arg(help_heading = "Connection", long)]
    pub no_confirm: bool,
    /// Open each case's WebSocket over HTTP/2 with an extended CONNECT (RFC 8441):
    /// h2c with prior knowledge for ws://, TLS with ALPN h2 for wss://. Cases about the
    /// bytes of the HTTP/1.1 request are reported as not applicable (INFORMATIONAL).
    #[arg(help_heading = "HTTP/2", long)]
    pub http2: bool,
    /// With --http2: every case on one shared connection, as concurrent streams (by
    /// default each case opens a connection of its own, as over HTTP/1.1).
    #[arg(help_heading = "HTTP/2", long, requires = "http2")]
    pub http2_shared: bool,
    /// With --http2: the receive window the suite grants each stream and the
    /// connection (SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE); the report shows it.
    #[arg(help_heading = "HTTP/2", long, requires = "http2", default_value_t = 65_535, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..=2_147_483_647))]
    pub http2_window: u32,
}

fn parse_shard(text: &str) -> Result<Shard, HarnessError> {
    text.parse()
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

fn parse_header(h: &str) -> Result<(String, String), HarnessError> {
    let bad = |problem: HeaderProblem| HarnessError::BadHeader {
        header: h.to_string(),
        problem,
    };
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| bad(HeaderProblem::NoColon))?;
    let name = name.trim();
    // RFC 9110 §5.1: a field name is a token.
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(bad(HeaderProblem::BadName));
    }
    if value.contains(['\r', '\n']) {
        return Err(bad(HeaderProblem::MultiLine));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

pub(crate) fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (the number of cases running at once)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// One server to test, with the cases it gets.
pub(super) struct Job {
    pub(super) agent: String,
    pub(super) target: Target,
    pub(super) cases: Vec<Case>,
    pub(super) settings: RunSettings,
}

/// Everything `run` will do, decided before any connection is made.
pub(super) struct Plan {
    pub(super) jobs: Vec<Job>,
    pub(super) out: PathBuf,
    pub(super) spec: Option<PathBuf>,
    /// The built-in server, when it is the one under test; it lives as long as the plan.
    pub(super) _server: Option<tokio::task::JoinHandle<()>>,
}

async fn plan(args: &RunArgs, base: &RunSettings, catalogue: &[Case]) -> anyhow::Result<Plan> {
    let shard = |cases: Vec<Case>| {
        let cases = match args.quick {
            true => ws_cases::select::first_of_each_subsection(cases),
            false => cases,
        };
        match args.shard {
            Some(s) => s.pick(cases),
            None => cases,
        }
    };
    if let Some(path) = &args.spec {
        let spec = Spec::read(path)?;
        if !spec.ignored.is_empty() {
            eprintln!(
                "wsconform: spec {}: ignoring settings wsconform does not use: {}",
                path.display(),
                spec.ignored.join(", ")
            );
        }
        let mut selection = spec.select(catalogue)?;
        selection
            .cases
            .retain(|c| ws_cases::select::opt_in_allowed(c, &spec.cases, args.all));
        if !selection.unmatched.is_empty() {
            eprintln!(
                "wsconform: spec {}: skipping patterns that match no case of this catalogue: {}",
                path.display(),
                selection.unmatched.join(", ")
            );
        }
        let cases = shard(selection.cases);
        let mut jobs = Vec::with_capacity(spec.servers.len());
        for server in &spec.servers {
            let (kept, skipped): (Vec<Case>, Vec<Case>) = cases
                .iter()
                .cloned()
                .partition(|c| !spec.excludes(&server.agent, &c.id));
            if !skipped.is_empty() {
                eprintln!(
                    "wsconform: {}: {} case(s) skipped by exclude-agent-cases",
                    server.agent,
                    skipped.len()
                );
            }
            let mut settings = base.clone();
            if let Some(origin) = &server.origin {
                // An explicit --header Origin wins over the spec.
                if !settings
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("origin"))
                {
                    settings.headers.push(("Origin".into(), origin.clone()));
                }
            }
            jobs.push(Job {
                agent: server.agent.clone(),
                target: Target::parse(&server.url)?,
                cases: kept,
                settings,
            });
        }
        let out = args
            .out
            .clone()
            .or(spec.outdir)
            .unwrap_or_else(|| PathBuf::from("./reports/servers"));
        return Ok(Plan {
            jobs,
            out,
            spec: Some(path.clone()),
            _server: None,
        });
    }

    let cases = shard(selected(catalogue, &args.cases, &args.exclude, args.all)?);
    // Without a URL, test the built-in reference server on a free loopback port.
    let mut server = None;
    let (target, default_agent) = match &args.url {
        Some(url) => (Target::parse(url)?, None),
        None => {
            let listener = echo::bind("127.0.0.1:0").await?;
            let local = listener.local_addr()?;
            server = Some(tokio::spawn(echo::serve(
                listener,
                EchoSettings {
                    max_message: args.max_message_size,
                },
            )));
            (
                Target::parse(&format!("ws://{local}/"))?,
                Some("wsconform-reference".to_string()),
            )
        }
    };
    let agent = args
        .agent
        .clone()
        .or(default_agent)
        .unwrap_or_else(|| target.url.clone());
    Ok(Plan {
        jobs: vec![Job {
            agent,
            target,
            cases,
            settings: base.clone(),
        }],
        out: args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("wsconform-report")),
        spec: None,
        _server: server,
    })
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
pub(super) struct Verdict<'a> {
    pub(super) gate: Gate<'a>,
    comparison: Option<BaselineGate>,
    interrupted: bool,
    pub(super) code: i32,
}

pub(super) async fn cmd_run(args: RunArgs) -> anyhow::Result<i32> {
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    for (name, value) in [
        ("--case-timeout", Some(args.case_timeout)),
        ("--stall-timeout", Some(args.stall_timeout)),
        ("--max-run-time", args.max_run_time),
    ] {
        if value.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
            anyhow::bail!("{name} must be a positive number of seconds");
        }
    }
    let baseline = match &args.baseline {
        Some(path) => {
            Some(Baseline::read(path).with_context(|| format!("--baseline {}", path.display()))?)
        }
        None => None,
    };
    let base = RunSettings {
        jobs: args.jobs,
        case_timeout: Duration::from_secs_f64(args.case_timeout),
        max_message: args.max_message_size,
        headers,
        tls: args.tls.client()?,
        peer_max_message: args.peer_max_message,
        confirm: !args.no_confirm,
        http2: args.http2.then(|| {
            Arc::new(crate::http2::Pool::new(crate::http2::Http2Settings {
                share: args.http2_shared,
                stream_window: args.http2_window,
                connection_window: args.http2_window,
            }))
        }),
        stall_timeout: Duration::from_secs_f64(args.stall_timeout),
        // Counted from here: the first check of each URL is part of the run.
        run_deadline: args
            .max_run_time
            .map(|s| Instant::now() + Duration::from_secs_f64(s)),
    };
    if let (Some(file), Some(url)) = (&args.case_file, &args.url) {
        return crate::fuzz::cmd_replay(file, url, base).await;
    }
    let mut catalogue = ws_cases::cases_for(ws_cases::run::Role::Client);
    if args.http2 {
        // Section 20 (RFC 8441 on the HTTP/2 layer) exists only over HTTP/2; opt-in,
        // like section 15: `--cases '20.*'` or `--all`.
        catalogue.extend(
            ws_cases::catalogue::http2_cases()
                .into_iter()
                .map(|c| c.case),
        );
    }
    let plan = plan(&args, &base, &catalogue).await?;
    if baseline.is_some() && plan.jobs.len() != 1 {
        anyhow::bail!(
            "--baseline gates one server, but the spec names {} servers: run each with its own baseline",
            plan.jobs.len()
        );
    }
    if let (Some(path), [job]) = (&args.baseline, plan.jobs.as_slice()) {
        warn_on_other_agent(path, &job.agent);
    }
    let mut report_dir = check_outputs(&args, &plan)?;
    probe_all(&plan).await?;
    let fail_on = FailOn::from(args.fail_on);
    let (done, interrupted) =
        execute(&plan, &catalogue, fail_on, args.quiet, report_dir.as_mut()).await;
    let reports: Vec<RunReport> = done.iter().map(|d| d.report.clone()).collect();

    let verdict = judge(&args, baseline.as_ref(), &reports, interrupted);
    // What the run measured is never lost to an output that fails: the summary is printed
    // first, then the write errors, and the exit code says the outputs are incomplete.
    let written = write_outputs(&args, report_dir.as_ref(), &reports, &verdict.gate);
    match args.format {
        Format::Table => print_table(&args, &plan, &done, &verdict),
        Format::Json => print_json(&args, &plan, &done, &verdict),
    }
    written?;
    Ok(verdict.code)
}

/// A baseline says which agent it was recorded for; gating another one on it is allowed
/// (a renamed agent, a new version) but rarely meant, so it is said.
pub(super) fn warn_on_other_agent(path: &std::path::Path, agent: &str) {
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
pub(super) fn check_outputs(args: &RunArgs, plan: &Plan) -> anyhow::Result<Option<ReportDir>> {
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
pub(super) fn write_outputs(
    args: &RunArgs,
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

/// Checks every server answers before any case runs, so a typo fails fast. A server that
/// answers 101 but breaks RFC 6455 §4.1 is tested all the same (every case fails, and
/// the report says why in each case).
async fn probe_all(plan: &Plan) -> anyhow::Result<()> {
    for job in &plan.jobs {
        if job.target.tls && job.settings.tls.is_insecure() {
            eprintln!(
                "wsconform: --insecure: the certificate of {} is not verified",
                job.target.socket_addr()
            );
        }
        let probed = runner::probe(&job.target, &job.settings).await;
        let probed = if plan.spec.is_some() {
            probed.with_context(|| format!("server {:?}", job.agent))?
        } else {
            probed?
        };
        if let Probe::BrokenHandshake(why) = probed {
            eprintln!(
                "wsconform: {} answers 101 but its opening handshake is invalid (RFC 6455 §4.1): {why}; every case will fail",
                job.target.url
            );
        }
    }
    Ok(())
}

/// Runs every job of the plan, one server after the other, until done or Ctrl-C.
async fn execute(
    plan: &Plan,
    catalogue: &[Case],
    fail_on: FailOn,
    quiet: bool,
    mut report_dir: Option<&mut ReportDir>,
) -> (Vec<Done>, bool) {
    // Autobahn numbers a case by its place in the whole catalogue; doing the same keeps
    // the numbers of shards and of differently selected runs consistent.
    let catalogue_index: HashMap<&str, usize> = catalogue
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i + 1))
        .collect();

    let several = plan.jobs.len() > 1;
    let key = move |agent: &str, id: &str| {
        if several {
            format!("{agent}: {id}")
        } else {
            id.to_string()
        }
    };
    let planned = plan
        .jobs
        .iter()
        .flat_map(|j| j.cases.iter().map(|c| key(&j.agent, &c.id)))
        .collect();
    let progress = Progress::start(planned, fail_on, quiet);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Ordering::SeqCst);
                let _ = stop_tx.send(true);
            }
        });
    }
    let mut done = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        if !quiet {
            eprintln!("wsconform: {}", start_line(job));
        }
        let started = SystemTime::now();
        let t0 = Instant::now();
        // Each case's file is written as the case settles; the run keeps its summary.
        let mut results = Vec::with_capacity(job.cases.len());
        let mut confirmed = crate::confirm::Counts::default();
        let settle = |record: runner::CaseRecord| {
            let mut result = case_result(&record, &job.agent);
            if let Some(&n) = catalogue_index.get(result.id.as_str()) {
                result.case_index = n;
            }
            progress.case_done(key(&job.agent, &result.id), &result);
            confirmed.add(&record);
            if let Some(dir) = report_dir.as_deref_mut() {
                dir.write_case(&result);
            }
            results.push((record.index, result.into_summary()));
        };
        runner::run_each(
            job.cases.clone(),
            job.target.clone(),
            job.settings.clone(),
            settle,
            stop_rx.clone(),
        )
        .await;
        results.sort_by_key(|(index, _)| *index);
        let insecure_tls = job.target.tls && job.settings.tls.is_insecure();
        let report = run_report(
            results.into_iter().map(|(_, r)| r).collect(),
            &job.agent,
            Some(&job.target.url),
            started,
            insecure_tls,
        );
        done.push(Done {
            report,
            url: job.target.url.clone(),
            planned: job.cases.len(),
            wall: t0.elapsed(),
            confirmed,
        });
    }
    progress.finish();
    (done, interrupted.load(Ordering::SeqCst))
}

/// What a run is about to do, said before its first case: how many cases, and when the
/// compression sections are among them, that they take minutes.
fn start_line(job: &Job) -> String {
    let compression = job
        .cases
        .iter()
        .filter(|c| c.id.starts_with("12.") || c.id.starts_with("13."))
        .count();
    let mut line = format!("{} cases against {}", job.cases.len(), job.target.url);
    if compression > 20 {
        line.push_str(&format!(
            "; the {compression} compression cases (12.*, 13.*) take most of the time, \
             minutes on 2 cores (--quick: one case per subsection, seconds)"
        ));
    }
    line
}

/// The exit code of the run: 130 when interrupted, 1 when a case fails the gate, else 0.
pub(super) fn judge<'a>(
    args: &RunArgs,
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

pub(super) fn print_table(args: &RunArgs, plan: &Plan, done: &[Done], verdict: &Verdict<'_>) {
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
        let shard_note = args
            .shard
            .map(|s| format!(" (shard {s})"))
            .unwrap_or_default();
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

pub(super) fn print_json(args: &RunArgs, plan: &Plan, done: &[Done], verdict: &Verdict<'_>) {
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
        if let Some(s) = args.shard {
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
