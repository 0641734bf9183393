//! The command line: `run`, `echo`, `list`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ws_cases::select::{parse_list, select};
use ws_cases::Case;

use crate::echo::{self, EchoSettings};
use crate::error::HarnessError;
use crate::report::run_report;
use crate::runner::{self, default_jobs, RunSettings};
use crate::target::Target;

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
    /// Test a WebSocket echo server (default: the built-in reference server).
    ///
    /// The server must echo every text and binary message back unchanged, as
    /// Autobahn|Testsuite's testees do. Exit code: 0 when no case FAILED, 1 when
    /// some did, 2 for bad input or an unreachable server.
    Run(RunArgs),
    /// Run the built-in reference echo server (for other tools to test).
    Echo(EchoArgs),
    /// List the cases of the catalogue: id, title and the RFC clause each checks.
    List(ListArgs),
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// ws://host:port/path of the server under test. Without it, the built-in
    /// reference echo server is started on a free loopback port and tested.
    pub url: Option<String>,
    /// Cases to run: comma-separated ids or patterns ("*", "6.*", "9.7.*", "1.1.1").
    #[arg(long, default_value = "*")]
    pub cases: String,
    /// Cases to leave out, same syntax as --cases.
    #[arg(long, default_value = "")]
    pub exclude: String,
    /// Cases running at once; the 9.x performance cases always run alone.
    #[arg(long, short = 'j', default_value_t = default_jobs())]
    pub jobs: usize,
    /// Name of the implementation under test, as the report shows it.
    #[arg(long)]
    pub agent: Option<String>,
    /// Extra header for the opening handshake, as 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Directory of the report (Autobahn-compatible index.json, per-case JSON, index.html).
    #[arg(long, short = 'o', default_value = "wsconform-report")]
    pub out: PathBuf,
    /// Write no report files.
    #[arg(long)]
    pub no_report: bool,
    /// Hard deadline of one case, in seconds; past it the case is FAILED ("timed out").
    #[arg(long, default_value_t = 60.0)]
    pub case_timeout: f64,
    /// Largest message accepted from the server, in bytes; larger ones fail the case (1009).
    #[arg(long, default_value_t = 64 << 20)]
    pub max_message_size: u64,
    /// What to print on stdout at the end.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output format of the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Table,
    /// A JSON summary for machines.
    Json,
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
            Command::Run(args) => cmd_run(args).await,
            Command::Echo(args) => cmd_echo(args).await,
            Command::List(args) => cmd_list(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wsconform: {e:#}");
            2
        }
    }
}

fn selected(cases: &str, exclude: &str) -> Result<Vec<Case>, HarnessError> {
    let all = ws_cases::all_cases();
    let include = parse_list(cases)?;
    let exclude = parse_list(exclude)?;
    Ok(select(&all, &include, &exclude)?
        .into_iter()
        .cloned()
        .collect())
}

fn cmd_list(args: ListArgs) -> anyhow::Result<i32> {
    for case in selected(&args.cases, &args.exclude)? {
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
    println!("wsconform echo server listening on ws://{local}/");
    let settings = EchoSettings {
        max_message: args.max_message_size,
    };
    tokio::select! {
        _ = echo::serve(listener, settings) => {}
        _ = tokio::signal::ctrl_c() => {}
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

async fn cmd_run(args: RunArgs) -> anyhow::Result<i32> {
    let cases = selected(&args.cases, &args.exclude)?;
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if !(args.case_timeout > 0.0 && args.case_timeout.is_finite()) {
        anyhow::bail!("--case-timeout must be a positive number of seconds");
    }
    let settings = RunSettings {
        jobs: args.jobs.max(1),
        case_timeout: Duration::from_secs_f64(args.case_timeout),
        max_message: args.max_message_size,
        headers,
    };

    // Without a URL, test the built-in reference server on a free loopback port.
    let mut _server = None;
    let (target, default_agent) = match &args.url {
        Some(url) => (Target::parse(url)?, None),
        None => {
            let listener = echo::bind("127.0.0.1:0").await?;
            let local = listener.local_addr()?;
            _server = Some(tokio::spawn(echo::serve(
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
    if target.tls {
        anyhow::bail!("wss:// is not supported yet: test the server over ws://");
    }
    let agent = args
        .agent
        .clone()
        .or(default_agent)
        .unwrap_or_else(|| target.url.clone());
    runner::probe(&target, &settings).await?;

    let started = SystemTime::now();
    let bar = progress_bar(cases.len() as u64);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = stop_tx.send(true);
            }
        });
    }
    let bar_cb = bar.clone();
    let records = runner::run_all(
        cases.clone(),
        target.clone(),
        settings,
        move |r| {
            bar_cb.set_message(r.case.id.clone());
            bar_cb.inc(1);
        },
        stop_rx,
    )
    .await;
    bar.finish_and_clear();
    let interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);

    let report = run_report(&records, &agent, started, false);
    if !args.no_report {
        ws_reports::autobahn_json::write_autobahn_dir(&args.out, std::slice::from_ref(&report))
            .with_context(|| format!("writing the report to {}", args.out.display()))?;
    }
    let failed = report
        .results
        .iter()
        .filter(|r| r.behavior == ws_reports::Behavior::Failed)
        .count();
    match args.format {
        Format::Table => {
            println!("{}", ws_reports::table::summary_table(&report));
            let wall = started.elapsed().unwrap_or_default();
            println!(
                "{} cases against {} in {:.2} s: {} failed{}",
                report.results.len(),
                target.url,
                wall.as_secs_f64(),
                failed,
                if interrupted {
                    format!(
                        " (interrupted: {} of {} cases ran)",
                        records.len(),
                        cases.len()
                    )
                } else {
                    String::new()
                }
            );
            if !args.no_report {
                println!("report: {}", args.out.join("index.html").display());
            }
        }
        Format::Json => {
            let mut summary = ws_reports::table::summary_json(&report);
            if let Some(obj) = summary.as_object_mut() {
                obj.insert("interrupted".into(), interrupted.into());
                obj.insert("url".into(), target.url.clone().into());
            }
            println!("{summary}");
        }
    }
    Ok(if interrupted {
        130
    } else if failed > 0 {
        1
    } else {
        0
    })
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
