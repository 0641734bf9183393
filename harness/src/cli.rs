//! The command line: `run`, `echo`, `list`, `report`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use ws_cases::select::{parse_list, select};
use ws_cases::Case;
use ws_reports::junit::escape_xml;
use ws_reports::{
    compare, failing_cases, render_junit, Baseline, Behavior, CaseChange, CloseBehavior,
    Comparison, FailOn, RunReport,
};

use crate::echo::{self, EchoSettings};
use crate::error::HarnessError;
use crate::report::run_report;
use crate::runner::{self, default_jobs, RunSettings};
use crate::shard::Shard;
use crate::spec::Spec;
use crate::target::Target;
use crate::tls::{ClientTlsArgs, ServerTlsArgs};

const RUN_EXIT_CODES: &str = "\
Exit codes:
  0    no case fails under --fail-on (with --baseline: no regression, no failing new case)
  1    some case fails under --fail-on (with --baseline: some case is worse than its
       baseline, or a case the baseline does not list fails under --fail-on)
  2    bad input: an option, URL, case pattern, --shard, spec or baseline file; a server
       that cannot be reached or does not speak WebSocket; a wss:// server whose
       certificate is refused (wrong host name, expired, unknown issuer) or whose TLS
       handshake fails; a --ca file that cannot be used
  130  interrupted by Ctrl-C: the report holds the cases that finished";

const ECHO_EXIT_CODES: &str = "\
Exit codes:
  0    stopped by Ctrl-C
  2    the address cannot be bound; --cert/--key cannot be used";

const LIST_EXIT_CODES: &str = "\
Exit codes:
  0    listed
  2    a bad pattern, or one that matches no case";

const REPORT_EXIT_CODES: &str = "\
Exit codes:
  0    done (`report diff` exits 0 whatever changed: read its table)
  2    a directory or file cannot be read or written, or is not a report";

/// WebSocket conformance suite: tests servers against RFC 6455, case by case,
/// with Autobahn|Testsuite's case ids and verdicts.
#[derive(Debug, Parser)]
#[command(name = "wsconform", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test WebSocket echo servers (default: the built-in reference server).
    ///
    /// Plays the case catalogue against URL, a server that echoes every text and binary
    /// message back unchanged (as Autobahn|Testsuite's testees do): one connection per
    /// case, several cases at once, the 9.x performance cases alone. Without URL the
    /// built-in reference echo server is started on a free loopback port and tested; every
    /// case comes out OK. With --spec, every server of an Autobahn fuzzingclient spec file
    /// is tested, one after the other, into one report directory.
    ///
    /// Output: a summary table on stdout (per section, then the failing cases with their
    /// reasons), or with --format json a machine summary; the report directory (--out)
    /// with Autobahn-compatible index.json, one JSON file per case and index.html; JUnit
    /// XML with --junit. Without --baseline a case fails when its verdict is at least
    /// --fail-on; with --baseline only regressions against the accepted verdicts fail the
    /// run, and improvements are listed (accept them by regenerating the baseline with
    /// `wsconform report baseline`).
    #[command(after_help = RUN_EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Run the built-in reference echo server (for other tools to test).
    ///
    /// It echoes every message back and answers every ping, as RFC 6455 requires, and
    /// fails connections exactly where the reference endpoint says a conforming server
    /// must. Runs until Ctrl-C.
    #[command(after_help = ECHO_EXIT_CODES)]
    Echo(EchoArgs),
    /// List the cases of the catalogue: id, title and the RFC clause each checks.
    #[command(after_help = LIST_EXIT_CODES)]
    List(ListArgs),
    /// Work with report directories: baselines for CI gating, shard merges, diffs, HTML.
    ///
    /// A report directory is what `run --out DIR` writes (or Autobahn|Testsuite's
    /// fuzzingclient writes): index.json plus one JSON file per agent and case.
    #[command(after_help = REPORT_EXIT_CODES)]
    Report(ReportArgs),
    /// Fuzz an echo server live: random conversations judged by the reference endpoint.
    ///
    /// Plays conversations generated from --seed (valid and invalid frames, random
    /// fragmentation and chop sizes, pings between fragments, UTF-8 split anywhere,
    /// close codes and reasons; most conversations offer permessage-deflate with random
    /// parameters and, where the server accepts, send compressed messages, some broken
    /// on purpose) and compares what the server does with what the ws-spec
    /// reference endpoint says a conforming echo server does. The first mismatch is
    /// shrunk to a minimal conversation and written as a case file that `wsconform run
    /// --case-file FILE URL` replays. Exit code 0: no mismatch; 1: a mismatch (the
    /// reproducer was written); 2: the run could not be done.
    Fuzz(crate::fuzz::FuzzArgs),
    /// Test WebSocket clients: serve the cases, speaking Autobahn's fuzzingserver protocol.
    ///
    /// Existing Autobahn client drivers work unchanged: the client asks GET /getCaseCount,
    /// then /runCase?case=N&agent=NAME for N in 1..=count (the suite plays the server side
    /// of case N; the client echoes every text and binary message until the connection
    /// closes), then /updateReports?agent=NAME, which writes NAME's report into --out.
    /// Also /getCaseInfo?case=N, /getCaseStatus?case=N&agent=NAME, /stopServer, and
    /// /updateReports?agent=NAME&shutdownOnComplete=true to stop after the report. Several
    /// clients may connect at once. Runs until stopped; then every agent's report is
    /// written and summarized.
    #[command(after_help = crate::serve::SERVE_EXIT_CODES)]
    Serve(crate::serve::ServeArgs),
}

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
    #[arg(long, default_value = "*", conflicts_with = "spec")]
    pub cases: String,
    /// Cases to leave out, same syntax as --cases.
    #[arg(long, default_value = "", conflicts_with = "spec")]
    pub exclude: String,
    /// Cases running at once; the 9.x performance cases always run alone.
    #[arg(long, short = 'j', default_value_t = default_jobs())]
    pub jobs: usize,
    /// Name of the implementation under test, as the report shows it [default: the URL;
    /// "wsconform-reference" for the built-in server].
    #[arg(long, conflicts_with = "spec")]
    pub agent: Option<String>,
    /// Extra header for the opening handshake, as 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Directory of the report (Autobahn-compatible index.json, per-case JSON, index.html).
    /// Agents already in it that this run does not test are kept [default:
    /// wsconform-report; with --spec, the spec's outdir, else ./reports/servers].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no report directory.
    #[arg(long)]
    pub no_report: bool,
    /// Hard deadline of one case, in seconds; past it the case is FAILED ("timed out").
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub case_timeout: f64,
    /// Largest message accepted from the server, in bytes; larger ones fail the case (1009).
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_message_size: u64,
    /// What to print on stdout at the end. The JSON summary is one object per run
    /// (verdict counts, failing case ids, baseline comparison, exitCode); with --spec it
    /// is {"spec", "runs": [...], "interrupted", "exitCode"}.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write JUnit XML to FILE: one testsuite per section, one testcase per case;
    /// FAILED cases are failures, UNIMPLEMENTED ones skipped, other verdicts pass with
    /// their verdicts as properties.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Gate on FILE, the accepted verdict of each case (written by `wsconform report
    /// baseline DIR > FILE`): exit 1 only when a case is worse than its baseline or a
    /// case the baseline does not list fails under --fail-on. Regressions and
    /// improvements are printed; baseline cases this run did not execute are only counted.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// What counts as failing (exit code and the table's failing list): "failed" = behavior
    /// FAILED or close UNCLEAN/FAILED; "non-strict" adds NON-STRICT, UNIMPLEMENTED, WRONG
    /// CODE and FAILED BY CLIENT; "informational" fails everything but OK.
    #[arg(long, value_enum, default_value_t = FailOnArg::Failed, value_name = "LEVEL")]
    pub fail_on: FailOnArg,
    /// Run shard K of N (K in 1..=N): case i of the selection (0-based, catalogue order)
    /// goes to shard i mod N + 1, so the N shards of a CI matrix together run every case
    /// once. Join their report directories with `wsconform report merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Test the servers of an Autobahn|Testsuite fuzzingclient spec file (servers with
    /// agent, url and options; cases; exclude-cases; exclude-agent-cases; outdir) into
    /// one report directory. Patterns for sections this catalogue lacks are skipped with
    /// a note; Autobahn's protocol options are listed once as ignored.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Certificate verification for wss:// URLs.
    #[command(flatten)]
    pub tls: ClientTlsArgs,
    /// Replay one case file (a reproducer `wsconform fuzz` writes) against URL instead of
    /// the catalogue: prints its verdict; exit code 1 when the server fails it.
    #[arg(long, value_name = "FILE", conflicts_with = "spec", requires = "url")]
    pub case_file: Option<PathBuf>,
    /// Also run the opt-in cases where a wildcard such as `*` matches them: section 15
    /// (limits and resource protection), aggressive by design (2^62-byte frames, floods,
    /// slow handshakes). Naming the section (`--cases '15.*'`) selects it without --all.
    #[arg(long)]
    pub all: bool,
    /// The largest message, in bytes, the server under test accepts (its documented
    /// limit): case 15.1.3 sends one byte more and expects close code 1009. Without it
    /// that case is not played and is reported as INFORMATIONAL.
    #[arg(long, value_name = "BYTES")]
    pub peer_max_message: Option<u64>,
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

/// Arguments of `echo`.
#[derive(Debug, Args)]
pub struct EchoArgs {
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, short = 'p', default_value_t = 9001)]
    pub port: u16,
    /// Address to bind; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: String,
    /// Largest message echoed, in bytes; larger ones fail the connection with 1009.
    #[arg(long, default_value_t = 64 << 20)]
    pub max_message_size: u64,
    /// wss:// instead of ws://.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Cases to list (same patterns as `run --cases`).
    #[arg(long, default_value = "*")]
    pub cases: String,
    /// Cases to leave out.
    #[arg(long, default_value = "")]
    pub exclude: String,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also list the opt-in cases (section 15) where a wildcard such as `*` matches
    /// them; naming the section (`--cases '15.*'`) lists it without --all.
    #[arg(long)]
    pub all: bool,
}

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

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsconform: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => cmd_run(*args).await,
            Command::Echo(args) => cmd_echo(args).await,
            Command::List(args) => cmd_list(args),
            Command::Report(args) => cmd_report(args),
            Command::Fuzz(args) => crate::fuzz::cmd_fuzz(args).await,
            Command::Serve(args) => crate::serve::cmd_serve(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wsconform: {}", one_line(&e));
            2
        }
    }
}

/// The error and its causes on one line. Several error types quote their source in
/// their own message, so a cause already at the end of the text is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text.replace(['\n', '\r'], " ")
}

/// The cases `cases` selects minus `exclude`; opt-in cases (section 15) only
/// where a pattern names their section, or with `all`.
fn selected(
    catalogue: &[Case],
    cases: &str,
    exclude: &str,
    all: bool,
) -> Result<Vec<Case>, HarnessError> {
    let include = parse_list(cases)?;
    let exclude = parse_list(exclude)?;
    Ok(select(catalogue, &include, &exclude)?
        .into_iter()
        .filter(|c| ws_cases::select::opt_in_allowed(c, &include, all))
        .cloned()
        .collect())
}

fn cmd_list(args: ListArgs) -> anyhow::Result<i32> {
    for case in selected(&ws_cases::all_cases(), &args.cases, &args.exclude, args.all)? {
        if args.json {
            let line = serde_json::json!({
                "id": case.id,
                "section": case.section,
                "subsection": case.subsection,
                "description": case.description,
                "rfc": case.rfc_line(),
            });
            println!("{line}");
        } else {
            let title = if case.subsection.is_empty() {
                case.section.to_string()
            } else {
                format!("{}: {}", case.section, case.subsection)
            };
            println!("{:<9} {:<60} {}", case.id, title, case.rfc_line());
        }
    }
    Ok(0)
}

async fn cmd_echo(args: EchoArgs) -> anyhow::Result<i32> {
    let addr = if args.listen.contains(':') {
        format!("[{}]:{}", args.listen, args.port)
    } else {
        format!("{}:{}", args.listen, args.port)
    };
    let listener = echo::bind(&addr).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    let tls = args.tls.load(&args.listen, local.port())?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    println!("wsconform echo server listening on {scheme}://{local}/");
    for line in tls.iter().flat_map(|t| t.describe()) {
        println!("{line}");
    }
    let settings = EchoSettings {
        max_message: args.max_message_size,
    };
    match tls {
        Some(tls) => tokio::select! {
            _ = echo::serve_tls(listener, settings, tls) => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        None => tokio::select! {
            _ = echo::serve(listener, settings) => {}
            _ = tokio::signal::ctrl_c() => {}
        },
    }
    Ok(0)
}

fn parse_header(h: &str) -> Result<(String, String), HarnessError> {
    match h.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() && !k.contains(char::is_whitespace) => {
            Ok((k.trim().to_string(), v.trim().to_string()))
        }
        _ => Err(HarnessError::BadUrl {
            url: h.to_string(),
            why: "a --header must look like 'Name: value'".into(),
        }),
    }
}

/// One server to test, with the cases it gets.
struct Job {
    agent: String,
    target: Target,
    cases: Vec<Case>,
    settings: RunSettings,
}

/// Everything `run` will do, decided before any connection is made.
struct Plan {
    jobs: Vec<Job>,
    out: PathBuf,
    spec: Option<PathBuf>,
    /// The built-in server, when it is the one under test; it lives as long as the plan.
    _server: Option<tokio::task::JoinHandle<()>>,
}

async fn plan(args: &RunArgs, base: &RunSettings, catalogue: &[Case]) -> anyhow::Result<Plan> {
    let shard = |cases: Vec<Case>| match args.shard {
        Some(s) => s.pick(cases),
        None => cases,
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
struct Done {
    report: RunReport,
    url: String,
    planned: usize,
    wall: Duration,
}

async fn cmd_run(args: RunArgs) -> anyhow::Result<i32> {
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if !(args.case_timeout > 0.0 && args.case_timeout.is_finite()) {
        anyhow::bail!("--case-timeout must be a positive number of seconds");
    }
    let baseline = match &args.baseline {
        Some(path) => {
            Some(Baseline::read(path).with_context(|| format!("--baseline {}", path.display()))?)
        }
        None => None,
    };
    let base = RunSettings {
        jobs: args.jobs.max(1),
        case_timeout: Duration::from_secs_f64(args.case_timeout),
        max_message: args.max_message_size,
        headers,
        tls: args.tls.client()?,
        peer_max_message: args.peer_max_message,
    };
    if let (Some(file), Some(url)) = (&args.case_file, &args.url) {
        return crate::fuzz::cmd_replay(file, url, base).await;
    }
    let catalogue = ws_cases::cases_for(ws_cases::run::Role::Client);
    let plan = plan(&args, &base, &catalogue).await?;
    if baseline.is_some() && plan.jobs.len() != 1 {
        anyhow::bail!(
            "--baseline gates one server, but the spec names {} servers: run each with its own baseline",
            plan.jobs.len()
        );
    }
    for job in &plan.jobs {
        if job.target.tls && job.settings.tls.is_insecure() {
            eprintln!(
                "wsconform: --insecure: the certificate of {} is not verified",
                job.target.socket_addr()
            );
        }
        let probed = runner::probe(&job.target, &job.settings).await;
        if plan.spec.is_some() {
            probed.with_context(|| format!("server {:?}", job.agent))?;
        } else {
            probed?;
        }
    }

    // Autobahn numbers a case by its place in the whole catalogue; doing the same keeps
    // the numbers of shards and of differently selected runs consistent.
    let catalogue_index: HashMap<&str, usize> = catalogue
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i + 1))
        .collect();

    let bar = progress_bar(plan.jobs.iter().map(|j| j.cases.len() as u64).sum());
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
        let started = SystemTime::now();
        let t0 = Instant::now();
        let bar_cb = bar.clone();
        let records = runner::run_all(
            job.cases.clone(),
            job.target.clone(),
            job.settings.clone(),
            move |r| {
                bar_cb.set_message(r.case.id.clone());
                bar_cb.inc(1);
            },
            stop_rx.clone(),
        )
        .await;
        let insecure_tls = job.target.tls && job.settings.tls.is_insecure();
        let mut report = run_report(&records, &job.agent, started, insecure_tls);
        for case in &mut report.results {
            if let Some(&n) = catalogue_index.get(case.id.as_str()) {
                case.case_index = n;
            }
        }
        done.push(Done {
            report,
            url: job.target.url.clone(),
            planned: job.cases.len(),
            wall: t0.elapsed(),
        });
    }
    bar.finish_and_clear();
    let interrupted = interrupted.load(Ordering::SeqCst);
    let reports: Vec<RunReport> = done.iter().map(|d| d.report.clone()).collect();

    if !args.no_report {
        ws_reports::write_autobahn_dir(&plan.out, &reports)
            .with_context(|| format!("writing the report to {}", plan.out.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_for(&reports))
            .with_context(|| format!("writing JUnit XML to {}", path.display()))?;
    }

    let fail_on = FailOn::from(args.fail_on);
    let gate = match (&baseline, reports.first()) {
        (Some(b), Some(run)) => Some(BaselineGate::new(compare(b, run), run, fail_on)),
        _ => None,
    };
    let failing: usize = reports
        .iter()
        .map(|r| failing_cases(r, fail_on).len())
        .sum();
    let gate_failed = match &gate {
        Some(g) => g.fails(),
        None => failing > 0,
    };
    let code = if interrupted {
        130
    } else if gate_failed {
        1
    } else {
        0
    };

    match args.format {
        Format::Table => {
            for d in &done {
                println!("{}", ws_reports::summary_table_with(&d.report, fail_on));
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
                println!(
                    "{} cases{shard_note} against {} in {:.2} s: {} fail (fail-on {fail_on}){interrupted_note}",
                    d.report.results.len(),
                    d.url,
                    d.wall.as_secs_f64(),
                    failing_cases(&d.report, fail_on).len(),
                );
            }
            if interrupted && done.len() < plan.jobs.len() {
                let skipped: Vec<&str> = plan.jobs[done.len()..]
                    .iter()
                    .map(|j| j.agent.as_str())
                    .collect();
                println!("interrupted before testing: {}", skipped.join(", "));
            }
            if let (Some(g), Some(path)) = (&gate, &args.baseline) {
                print!("{}", g.render(path));
            }
            if !args.no_report {
                println!("report: {}", plan.out.join("index.html").display());
            }
            if let Some(path) = &args.junit {
                println!("junit: {}", path.display());
            }
        }
        Format::Json => {
            let summary = |d: &Done| {
                let mut s = ws_reports::summary_json_with(&d.report, fail_on);
                if let Some(obj) = s.as_object_mut() {
                    obj.insert("url".into(), d.url.clone().into());
                    obj.insert("planned".into(), d.planned.into());
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
                obj.insert("interrupted".into(), interrupted.into());
                obj.insert("exitCode".into(), code.into());
                if let Some(s) = args.shard {
                    obj.insert("shard".into(), s.to_string().into());
                }
                if let (Some(g), Some(path)) = (&gate, &args.baseline) {
                    obj.insert("baseline".into(), g.to_json(path));
                }
                if !args.no_report {
                    obj.insert("reportDir".into(), plan.out.display().to_string().into());
                }
            }
            println!("{out}");
        }
    }
    Ok(code)
}

/// A run compared with its baseline, and what that means for the exit code.
struct BaselineGate {
    cmp: Comparison,
    /// Cases the baseline does not list that fail under --fail-on: nobody accepted them.
    new_failing: Vec<String>,
}

impl BaselineGate {
    fn new(cmp: Comparison, run: &RunReport, fail_on: FailOn) -> Self {
        let new_failing = cmp
            .new_cases
            .iter()
            .filter(|id| run.case(id).is_some_and(|c| fail_on.fails(c)))
            .cloned()
            .collect();
        BaselineGate { cmp, new_failing }
    }

    fn fails(&self) -> bool {
        self.cmp.has_regressions() || !self.new_failing.is_empty()
    }

    fn render(&self, path: &Path) -> String {
        let c = &self.cmp;
        let mut out = format!(
            "baseline {}: {} regression(s), {} improvement(s), {} other change(s), {} new case(s) ({} failing), {} not run\n",
            path.display(),
            c.regressions.len(),
            c.improvements.len(),
            c.other_changes.len(),
            c.new_cases.len(),
            self.new_failing.len(),
            c.missing_cases.len(),
        );
        let list = |out: &mut String, title: &str, changes: &[CaseChange]| {
            if changes.is_empty() {
                return;
            }
            out.push_str(title);
            out.push('\n');
            for ch in changes {
                out.push_str(&format!(
                    "  {:<9} {:<30} -> {}\n",
                    ch.id,
                    verdict_text(ch.baseline),
                    verdict_text(ch.current)
                ));
            }
        };
        list(
            &mut out,
            "regressions (worse than the baseline):",
            &c.regressions,
        );
        list(
            &mut out,
            "improvements (better than the baseline; accept them with `wsconform report baseline`):",
            &c.improvements,
        );
        list(&mut out, "other changes:", &c.other_changes);
        if !self.new_failing.is_empty() {
            out.push_str(&format!(
                "new cases failing (not in the baseline): {}\n",
                self.new_failing.join(", ")
            ));
        }
        out
    }

    fn to_json(&self, path: &Path) -> Value {
        let changes = |list: &[CaseChange]| -> Value {
            list.iter()
                .map(|ch| {
                    json!({
                        "id": ch.id,
                        "baseline": verdict_json(ch.baseline),
                        "current": verdict_json(ch.current),
                    })
                })
                .collect::<Vec<_>>()
                .into()
        };
        json!({
            "file": path.display().to_string(),
            "regressions": changes(&self.cmp.regressions),
            "improvements": changes(&self.cmp.improvements),
            "otherChanges": changes(&self.cmp.other_changes),
            "newCases": self.cmp.new_cases,
            "newFailing": self.new_failing,
            "notRun": self.cmp.missing_cases,
        })
    }
}

fn verdict_text((b, c): (Behavior, CloseBehavior)) -> String {
    format!("{b} / {c}")
}

fn verdict_json((b, c): (Behavior, CloseBehavior)) -> Value {
    json!({"behavior": b.as_str(), "behaviorClose": c.as_str()})
}

/// JUnit XML for the runs: the document of `render_junit` for one run; for several
/// agents, their testsuites under one root, each suite name prefixed with its agent so
/// CI test views keep the servers apart.
fn junit_for(runs: &[RunReport]) -> String {
    if let [run] = runs {
        return render_junit(run);
    }
    let (mut tests, mut failures, mut skipped, mut ms) = (0usize, 0usize, 0usize, 0u64);
    let mut body = String::new();
    for run in runs {
        tests += run.results.len();
        skipped += run
            .results
            .iter()
            .filter(|c| c.behavior == Behavior::Unimplemented)
            .count();
        failures += run
            .results
            .iter()
            .filter(|c| c.behavior != Behavior::Unimplemented && FailOn::Failed.fails(c))
            .count();
        ms += run.results.iter().map(|c| c.duration_ms).sum::<u64>();
        let agent = escape_xml(&run.agent);
        // Markup lines start with '<' after indentation; text inside elements is escaped,
        // so no line of a failure message can be mistaken for a tag here.
        for line in render_junit(run).lines() {
            let tag = line.trim_start();
            if tag.starts_with("<?xml") || tag.starts_with("<testsuites") || tag == "</testsuites>"
            {
                continue;
            }
            match line.strip_prefix("  <testsuite name=\"") {
                Some(rest) => body.push_str(&format!("  <testsuite name=\"{agent}: {rest}")),
                None => body.push_str(line),
            }
            body.push('\n');
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wsconform\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">\n{body}</testsuites>\n",
        ms as f64 / 1000.0
    )
}

fn cmd_report(args: ReportArgs) -> anyhow::Result<i32> {
    match args.command {
        ReportCommand::Baseline(a) => {
            let runs = ws_reports::read_autobahn_dir(&a.dir)?;
            let run = pick_agent(&a.dir, &runs, a.agent.as_deref())?;
            print!("{}", Baseline::from_run(run).to_text(Some(&run.agent)));
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
                println!("{}: {} cases", run.agent, run.results.len());
            }
            println!(
                "merged {} report(s) into {}",
                a.dirs.len(),
                a.out.join("index.json").display()
            );
        }
        ReportCommand::Diff(a) => {
            let before = ws_reports::read_autobahn_dir(&a.a)?;
            let after = ws_reports::read_autobahn_dir(&a.b)?;
            print!(
                "{}",
                ws_reports::render_diff(&ws_reports::diff(&before, &after))
            );
        }
        ReportCommand::Html(a) => {
            ws_reports::rewrite_html(&a.dir)?;
            println!("wrote {}", a.dir.join("index.html").display());
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

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} cases  {elapsed}  {msg}")
        {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}
