//! `wsconform proxy`: test a reverse proxy with the suite on both ends.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;
use ws_cases::proxy::ProxyCase;
use ws_cases::select::{parse_list, Pattern};
use ws_reports::RunReport;

use super::outputs::{Done, OutputArgs, Outputs};
use super::run::{self, Job, Plan};
use crate::error::{HarnessError, SelectionProblem};
use crate::proxy::configs::{config, Hops, ProxyKind};
use crate::proxy::{PlayConfig, Proxied};
use crate::runner::{default_jobs, RunSettings};
use crate::target::Target;

pub(super) const PROXY_EXIT_CODES: &str = "\
Exit codes:
  0    no case fails under --fail-on (with --baseline: no regression)
  1    some case fails under --fail-on (with --baseline: a regression)
  2    bad input: an option, URL or case pattern; --backend cannot be listened on; the front
       cannot be reached, or a request sent to it never arrives at --backend (the
       message says what arrived where); an --out or --junit path that cannot be written";

/// Arguments of `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// ws://host:port/path of the proxy's front, configured to forward to --backend.
    #[arg(required_unless_present = "print_config", value_name = "FRONT_URL")]
    pub front: Option<String>,
    /// Address the suite listens on as the upstream server, where the proxy forwards.
    #[arg(long, default_value = "127.0.0.1:9002", value_name = "HOST:PORT")]
    pub backend: String,
    /// Print a known-good minimal configuration of this proxy (listening on FRONT's
    /// port, default 127.0.0.1:8080, forwarding to --backend) and exit.
    #[arg(long, value_enum, value_name = "PROXY")]
    pub print_config: Option<ProxyKind>,
    /// With --print-config: the directory the configuration names for the proxy's pid
    /// and temporary files.
    #[arg(
        long,
        default_value = "/tmp/wsconform-proxy",
        value_name = "DIR",
        requires = "print_config"
    )]
    pub config_dir: PathBuf,
    /// Cases to run: comma-separated ids or patterns ("*", "19.5.*").
    #[arg(help_heading = "Selection", long, default_value = "*")]
    pub cases: String,
    /// Cases to leave out, same syntax as --cases (e.g. the 16 MiB ones: 19.2.10,19.3.10).
    #[arg(help_heading = "Selection", long, default_value = "")]
    pub exclude: String,
    /// Also run the opt-in cases (19.8.*: idle timeout, backpressure and concurrent
    /// connections, bounded by --idle-bound, --flood-bound and --connections). Naming them (--cases '19.8.*') selects them too.
    #[arg(help_heading = "Selection", long)]
    pub all: bool,
    /// Seconds both sides stay quiet in the idle cases (19.8.1-3).
    #[arg(
        help_heading = "Selection",
        long,
        default_value_t = 10.0,
        value_name = "SECONDS"
    )]
    pub idle_bound: f64,
    /// Bytes the backend writes at most, while the client reads nothing, in 19.8.4.
    #[arg(help_heading = "Selection", long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub flood_bound: u64,
    /// WebSockets 19.8.5 holds open through the proxy at once, at most. Each takes two
    /// file descriptors of wsconform (client and backend side) and two of the proxy:
    /// `ulimit -n` must allow it.
    #[arg(
        help_heading = "Selection",
        long,
        default_value_t = 1000,
        value_name = "N"
    )]
    pub connections: usize,
    /// Cases running at once (the 16 MiB and opt-in cases run alone).
    #[arg(help_heading = "Connection", long, short = 'j', default_value_t = default_jobs(), value_parser = run::parse_jobs)]
    pub jobs: usize,
    /// Name of the proxy under test, as the report shows it [default: the front URL].
    #[arg(help_heading = "Connection", long)]
    pub agent: Option<String>,
    /// Reports, JUnit, baseline gating and what is printed, as for `run`.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The proxy cases `cases` selects minus `exclude`; the opt-in ones only with `all` or
/// a pattern that names their subsection.
fn select(
    catalogue: Vec<ProxyCase>,
    cases: &str,
    exclude: &str,
    all: bool,
) -> Result<Vec<(usize, ProxyCase)>, HarnessError> {
    let include = parse_list(cases)?;
    let exclude_text = exclude;
    let exclude = parse_list(exclude)?;
    if let Some(p) = include
        .iter()
        .find(|p| !catalogue.iter().any(|c| p.matches(&c.id)))
    {
        return Err(SelectionProblem::NoProxyMatch(p.as_str().to_string()).into());
    }
    let named = |c: &ProxyCase, p: &Pattern| p.matches(&c.id) && p.as_str().starts_with("19.8");
    let chosen: Vec<(usize, ProxyCase)> = catalogue
        .into_iter()
        .enumerate()
        .filter(|(_, c)| {
            include.iter().any(|p| p.matches(&c.id)) && !exclude.iter().any(|p| p.matches(&c.id))
        })
        .filter(|(_, c)| !c.opt_in || all || include.iter().any(|p| named(c, p)))
        .map(|(i, c)| (i + 1, c))
        .collect();
    super::non_empty(chosen, cases, exclude_text)
}

pub(super) async fn cmd_proxy(args: ProxyArgs) -> anyhow::Result<i32> {
    if let Some(kind) = args.print_config {
        let listen = match &args.front {
            Some(f) => Target::parse(f)?.socket_addr(),
            None => "127.0.0.1:8080".to_string(),
        };
        let hops = Hops {
            listen,
            backend: args.backend.clone(),
            run_dir: args.config_dir.display().to_string(),
        };
        crate::out!("{}", config(kind, &hops));
        return Ok(0);
    }
    let front = args.front.clone().context("FRONT_URL is required")?;
    let target = Target::parse(&front)?;
    for (name, v) in [("--idle-bound", args.idle_bound)] {
        if !(v > 0.0 && v.is_finite()) {
            anyhow::bail!("{name} must be a positive number of seconds");
        }
    }
    let baseline = args.output.read_baseline()?;
    let cases = select(
        ws_cases::proxy_cases(),
        &args.cases,
        &args.exclude,
        args.all,
    )?;
    let agent = args.agent.clone().unwrap_or_else(|| target.url.clone());
    let plan = Plan {
        jobs: vec![Job {
            agent: agent.clone(),
            target: target.clone(),
            cases: Vec::new(),
            settings: RunSettings::default(),
        }],
        out: args.output.out_dir(),
        spec: None,
        _server: None,
    };
    let mut outputs = Outputs::open(&args.output, &plan, baseline)?;
    let play = PlayConfig {
        idle_bound: Duration::from_secs_f64(args.idle_bound),
        flood_bound: args.flood_bound,
        connections: args.connections.max(1),
        ..PlayConfig::default()
    };
    let proxied = Proxied::start(target.clone(), &args.backend, play).await?;
    proxied.check_path(Duration::from_secs(3)).await?;

    let planned = cases.len();
    let started = SystemTime::now();
    let t0 = Instant::now();
    let quiet = args.output.quiet;
    let results = proxied
        .run(cases, args.jobs, &agent, |r| {
            if !quiet {
                eprintln!("{} {} {}", r.id, r.behavior, r.behavior_close);
            }
        })
        .await;
    if let Some(dir) = outputs.report_dir.as_mut() {
        results.iter().for_each(|c| dir.write_case(c));
    }
    let report = RunReport {
        agent: agent.clone(),
        results,
        started: crate::report::iso8601(started),
        insecure_tls: false,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        url: Some(target.url.clone()),
    };
    let done = [Done {
        report,
        url: target.url.clone(),
        planned,
        wall: t0.elapsed(),
        confirmed: Default::default(),
    }];
    outputs.finish(&done, false, None)
}
