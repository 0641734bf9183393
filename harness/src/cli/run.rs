//! `wsconform run`: test servers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;
use ws_cases::Case;
use ws_reports::FailOn;

use super::outputs::{Done, OutputArgs, Outputs, ReportDir};
use super::progress::Progress;
use super::selected;
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
    /// Reports, JUnit, baseline gating and what is printed.
    #[command(flatten)]
    pub output: OutputArgs,
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
    /// Run shard K of N (K in 1..=N): case i of the selection (0-based, catalogue order)
    /// goes to shard i mod N + 1, so the N shards of a CI matrix together run every case
    /// once. Join their report directories with `wsconform report merge`.
    #[arg(help_heading = "Selection", long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Test the servers of an Autobahn|Testsuite fuzzingclient spec file (servers with
    /// agent, url and options; cases; exclude-cases; exclude-agent-cases; outdir) into
    /// one report directory: --out, else the spec's outdir, else ./reports/servers. The
    /// JSON summary is then {"spec", "runs": [one object per server], "interrupted",
    /// "exitCode"}. Patterns for sections this catalogue lacks are skipped with a note;
    /// Autobahn's protocol options are listed once as ignored.
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
            .output
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
        out: args.output.out_dir(),
        spec: None,
        _server: server,
    })
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
    let baseline = args.output.read_baseline()?;
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
    let mut outputs = Outputs::open(&args.output, &plan, baseline)?;
    probe_all(&plan).await?;
    let fail_on = FailOn::from(args.output.fail_on);
    let (done, interrupted) = execute(
        &plan,
        &catalogue,
        fail_on,
        args.output.quiet,
        outputs.report_dir.as_mut(),
    )
    .await;
    outputs.finish(&done, interrupted, args.shard)
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
