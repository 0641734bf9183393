//! The command line: `run`, `echo`, `list`, `report`, `fuzz`, `serve`; one module per command.

mod echo;
mod gate;
mod list;
mod outputs;
mod progress;
mod proxy;
mod report;
mod run;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use ws_cases::select::{parse_list, select, Pattern};
use ws_cases::{Case, CasesError};

use crate::error::{HarnessError, SelectionProblem};

pub use echo::EchoArgs;
pub use list::ListArgs;
pub use outputs::{FailOnArg, Format, OutputArgs};
pub use proxy::ProxyArgs;
pub use report::{
    BaselineArgs, DiffArgs, HtmlArgs, JunitArgs, MergeArgs, ReportArgs, ReportCommand, ShowArgs,
};
pub(crate) use run::parse_jobs;
pub use run::RunArgs;

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
    /// case, several cases at once, the 9.x performance cases alone, and a case that comes
    /// out worse than OK played again alone to confirm it (see --no-confirm). Without URL the
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
    #[command(after_help = run::RUN_EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Run the built-in reference echo server (for other tools to test).
    ///
    /// It echoes every message back and answers every ping, as RFC 6455 requires, and
    /// fails connections exactly where the reference endpoint says a conforming server
    /// must. Runs until Ctrl-C.
    #[command(after_help = echo::ECHO_EXIT_CODES)]
    Echo(EchoArgs),
    /// List the cases of the catalogue: id, the peer it tests, the RFC clauses it checks
    /// with their level and requirement, what it sends and what a conforming peer does.
    #[command(after_help = list::LIST_EXIT_CODES)]
    List(ListArgs),
    /// Work with report directories: baselines for CI gating, shard merges, diffs, HTML.
    ///
    /// A report directory is what `run --out DIR` writes (or Autobahn|Testsuite's
    /// fuzzingclient writes): index.json plus one JSON file per agent and case.
    #[command(after_help = report::REPORT_EXIT_CODES)]
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
    /// Test a reverse proxy: the suite as the client at FRONT_URL and as the upstream
    /// server at --backend, judging what went in on one side against what came out.
    ///
    /// Configure the proxy to forward FRONT_URL to --backend (--print-config nginx|haproxy|
    /// apache|caddy prints a known-good minimal configuration), then run this. Every case
    /// of section 19 is played through the proxy: the opening handshake on both hops
    /// (Upgrade and Connection regenerated, hop-by-hop fields removed, end-to-end fields
    /// intact, subprotocol and permessage-deflate agreed), frames both ways, masking,
    /// fragmentation, closes with every code from either side, and dropped connections;
    /// with --all also the idle timeout, backpressure and concurrent connections, bounded. Reports, JUnit,
    /// baselines and exit codes work as for `run`.
    #[command(after_help = proxy::PROXY_EXIT_CODES)]
    Proxy(Box<ProxyArgs>),
    /// Print a shell completion script (e.g. `wsconform completions bash >
    /// /etc/bash_completion.d/wsconform`).
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `wsconform man > wsconform.1`.
    Man,
}

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `--version` texts: `-V` gives the version, commit and case count; `--version` adds
/// the count per section of the catalogue built in.
fn versions() -> (String, String) {
    use ws_cases::run::Role;
    let commit = env!("WSCONFORM_GIT_COMMIT");
    // `run` plays the client side against servers, `serve` the server side against clients.
    let run_cases = ws_cases::cases_for(Role::Client);
    let serve_cases = ws_cases::cases_for(Role::Server);
    let opt_in = run_cases.iter().filter(|c| c.opt_in).count();
    let mut sections: Vec<(u32, usize)> = Vec::new();
    for case in &run_cases {
        let section = case
            .id
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, n)) => *n += 1,
            None => sections.push((section, 1)),
        }
    }
    sections.sort();
    let short = format!(
        "{} (git {commit}, {} server cases, {} client cases)",
        env!("CARGO_PKG_VERSION"),
        run_cases.len(),
        serve_cases.len()
    );
    let per_section: Vec<String> = sections.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let long = format!(
        "{}\ngit commit: {commit}\ncatalogue: run (servers) {} cases, {} by default and {opt_in} opt-in; serve (clients) {} cases\nrun cases per section: {}",
        env!("CARGO_PKG_VERSION"),
        run_cases.len(),
        run_cases.len() - opt_in,
        serve_cases.len(),
        per_section.join(", ")
    );
    (short, long)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let (short, long) = versions();
    // Leaked once per process: clap takes the version text for the life of the command.
    let command = Cli::command()
        .version(&*Box::leak(short.into_boxed_str()))
        .long_version(&*Box::leak(long.into_boxed_str()));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
            Command::Run(args) => run::cmd_run(*args).await,
            Command::Echo(args) => echo::cmd_echo(args).await,
            Command::Proxy(args) => proxy::cmd_proxy(*args).await,
            Command::List(args) => list::cmd_list(args),
            Command::Report(args) => report::cmd_report(args),
            Command::Fuzz(args) => crate::fuzz::cmd_fuzz(args).await,
            Command::Serve(args) => crate::serve::cmd_serve(args).await,
            Command::Completions(args) => {
                let mut command = Cli::command();
                let mut out = Vec::new();
                clap_complete::generate(args.shell, &mut command, "wsconform", &mut out);
                crate::out!("{}", String::from_utf8_lossy(&out));
                Ok(0)
            }
            Command::Man => {
                let mut out = Vec::new();
                clap_mangen::Man::new(Cli::command()).render(&mut out)?;
                crate::out!("{}", String::from_utf8_lossy(&out));
                Ok(0)
            }
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
/// where a pattern names their section, or with `all`. An empty selection is an error,
/// so an empty CI variable cannot pass a run that tested nothing.
pub(crate) fn selected(
    catalogue: &[Case],
    cases: &str,
    exclude: &str,
    all: bool,
) -> Result<Vec<Case>, HarnessError> {
    let include = parse_list(cases)?;
    if include.is_empty() {
        return Err(SelectionProblem::EmptyList(cases.to_string()).into());
    }
    let exclude_list = parse_list(exclude)?;
    let chosen: Vec<Case> = match select(catalogue, &include, &exclude_list) {
        Err(CasesError::NoMatch(p)) => return Err(no_match(catalogue, &p)),
        other => other?,
    }
    .into_iter()
    .filter(|c| ws_cases::select::opt_in_allowed(c, &include, all))
    .cloned()
    .collect();
    non_empty(chosen, cases, exclude)
}

/// The selection, unless nothing is left of it: a run that would test nothing is an
/// error, so an empty CI variable cannot pass it.
pub(crate) fn non_empty<T>(
    chosen: Vec<T>,
    cases: &str,
    exclude: &str,
) -> Result<Vec<T>, HarnessError> {
    if chosen.is_empty() {
        return Err(SelectionProblem::NothingLeft {
            cases: cases.to_string(),
            exclude: exclude.to_string(),
        }
        .into());
    }
    Ok(chosen)
}

/// "PATTERN matches no case", with a close pattern that does match one when there is
/// one: the same ids one level down (`6.1` → `6.1.*`) or one level up (`1.1.99` → `1.1.*`).
fn no_match(catalogue: &[Case], pattern: &str) -> HarnessError {
    let trimmed = pattern.trim_end_matches(['*', '.']);
    let mut candidates = vec![format!("{trimmed}.*"), format!("{trimmed}*")];
    if let Some((parent, _)) = trimmed.rsplit_once('.') {
        candidates.push(format!("{parent}.*"));
    }
    let hit = candidates.into_iter().find(|c| {
        c != pattern
            && Pattern::new(c).is_ok_and(|p| catalogue.iter().any(|case| p.matches(&case.id)))
    });
    SelectionProblem::NoMatch {
        pattern: pattern.to_string(),
        close: hit,
    }
    .into()
}
