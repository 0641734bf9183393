//! The library face of the suite: a Rust WebSocket library or service runs a selection
//! of cases from its own tests, against a URL or in process over any
//! `AsyncRead + AsyncWrite` (a [`tokio::io::duplex`] pair needs no port), and asserts
//! that its implementation conforms.
//!
//! ```no_run
//! # async fn t() -> Result<(), wsconform::HarnessError> {
//! let report = wsconform::Suite::new()
//!     .cases("1.*,2.*,5.*")
//!     .run("ws://127.0.0.1:9001/")
//!     .await?;
//! report.assert_conforms();
//! # Ok(()) }
//! ```
//!
//! The same runner plays the cases as `wsconform run` does (several at once, the 9.x
//! performance cases alone, a case worse than OK confirmed alone), and the report is the
//! same model the command line renders ([`ws_reports::RunReport`]).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncRead, AsyncWrite};
use ws_cases::run::Role;
use ws_reports::{CaseResult, FailOn, RunReport};

use crate::error::HarnessError;
use crate::runner::{self, Probe, RunSettings};
use crate::target::{OpenStream, PeerStream, StreamSource, Target};

/// A selection of cases and how to play them; [`Suite::run`] and its in-process twins
/// play it against one peer.
#[derive(Clone, Debug)]
pub struct Suite {
    cases: String,
    exclude: String,
    all: bool,
    quick: bool,
    agent: Option<String>,
    fail_on: FailOn,
    settings: RunSettings,
}

impl Default for Suite {
    fn default() -> Self {
        Suite {
            cases: "*".to_owned(),
            exclude: String::new(),
            all: false,
            quick: false,
            agent: None,
            fail_on: FailOn::Failed,
            settings: RunSettings::default(),
        }
    }
}

impl Suite {
    /// Every case of the default catalogue (section 15 is opt-in), failing on FAILED.
    pub fn new() -> Self {
        Suite::default()
    }

    /// The cases to play: comma-separated ids or patterns, as `run --cases` takes them
    /// (`"1.*,2.*,5.*"`, `"6.4.*"`, `"1.1.1"`); a pattern that matches no case makes the
    /// run an error.
    pub fn cases(mut self, patterns: &str) -> Self {
        self.cases = patterns.to_owned();
        self
    }

    /// Cases to leave out, same syntax as [`Suite::cases`].
    pub fn exclude(mut self, patterns: &str) -> Self {
        self.exclude = patterns.to_owned();
        self
    }

    /// Also the opt-in cases a wildcard matches (section 15, aggressive by design).
    pub fn all(mut self) -> Self {
        self.all = true;
        self
    }

    /// Only the first case of each selected subsection (`run --quick`).
    pub fn quick(mut self) -> Self {
        self.quick = true;
        self
    }

    /// The name of the implementation under test, as the report shows it.
    pub fn agent(mut self, name: &str) -> Self {
        self.agent = Some(name.to_owned());
        self
    }

    /// What [`SuiteReport::assert_conforms`] counts as a failure (default: FAILED, or a
    /// close verdict UNCLEAN or FAILED).
    pub fn fail_on(mut self, level: FailOn) -> Self {
        self.fail_on = level;
        self
    }

    /// Cases played at once (the performance cases always run alone).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.settings.jobs = jobs.max(1);
        self
    }

    /// Hard deadline of one case (default 60 s).
    pub fn case_timeout(mut self, timeout: Duration) -> Self {
        self.settings.case_timeout = timeout;
        self
    }

    /// Whether a case that comes out worse than OK beside others is played again alone
    /// and that verdict reported (default: yes, as `wsconform run` does).
    pub fn confirm(mut self, confirm: bool) -> Self {
        self.settings.confirm = confirm;
        self
    }

    /// Every setting of the runner at once (headers, TLS trust, message limits, ...).
    pub fn settings(mut self, settings: RunSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Tests the server at `url` (ws:// or wss://), one connection per case. An
    /// unreachable server, or one that answers the opening handshake with anything but
    /// 101, is an error; a 101 that breaks RFC 6455 §4.1 is a finding (every case fails).
    pub async fn run(&self, url: &str) -> Result<SuiteReport, HarnessError> {
        let target = Target::parse(url)?;
        if let Probe::BrokenHandshake(_) = runner::probe(&target, &self.settings).await? {
            // Played all the same: each case's result says what is wrong.
        }
        self.play(target).await
    }

    /// Tests a server in process: `connect` is called once per case and returns the
    /// suite's end of a new connection to the server (for instance one half of
    /// [`tokio::io::duplex`], the other half handed to the server). The suite plays the
    /// client, opening handshake included.
    pub async fn run_server_with<F, Fut, S>(&self, connect: F) -> Result<SuiteReport, HarnessError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::io::Result<S>> + Send + 'static,
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let source = StreamSource::new(Role::Client, boxed(connect));
        self.play(Target::in_process("in-process server", source))
            .await
    }

    /// Tests a client in process: `accept` is called once per case and returns the
    /// suite's end of a new connection from the client (for instance one half of
    /// [`tokio::io::duplex`], the client started on the other half, where it opens the
    /// WebSocket and echoes every text and binary message until the connection closes,
    /// as an Autobahn client driver does). The suite plays the server.
    pub async fn run_client_with<F, Fut, S>(&self, accept: F) -> Result<SuiteReport, HarnessError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::io::Result<S>> + Send + 'static,
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let source = StreamSource::new(Role::Server, boxed(accept));
        self.play(Target::in_process("in-process client", source))
            .await
    }

    async fn play(&self, target: Target) -> Result<SuiteReport, HarnessError> {
        let catalogue = ws_cases::cases_for(target.suite_role());
        let mut cases = crate::cli::selected(&catalogue, &self.cases, &self.exclude, self.all)?;
        if self.quick {
            cases = ws_cases::select::first_of_each_subsection(cases);
        }
        let agent = self.agent.clone().unwrap_or_else(|| target.url.clone());
        let insecure = target.tls && self.settings.tls.is_insecure();
        // The report names the URL of a server over the network, not an in-process peer.
        let url = target.source().is_none().then(|| target.url.clone());
        // Nothing stops a library run early: the sender lives as long as the run.
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let started = SystemTime::now();
        let records = runner::run_all(cases, target, self.settings.clone(), |_| {}, stop_rx).await;
        let results = records
            .iter()
            .map(|r| crate::report::case_result(r, &agent))
            .collect();
        let mut report =
            crate::report::run_report(results, &agent, url.as_deref(), started, insecure);
        for case in &mut report.results {
            if let Some(n) = catalogue.iter().position(|c| c.id == case.id) {
                case.case_index = n + 1;
            }
        }
        Ok(SuiteReport {
            report,
            fail_on: self.fail_on,
        })
    }
}

fn boxed<F, Fut, S>(open: F) -> Arc<dyn Fn() -> OpenStream + Send + Sync>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::io::Result<S>> + Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Arc::new(move || {
        let opening = open();
        Box::pin(async move { opening.await.map(|s| Box::new(s) as Box<dyn PeerStream>) })
    })
}

/// What a [`Suite`] run found: every case's verdicts, reasons and RFC clauses.
#[derive(Clone, Debug)]
pub struct SuiteReport {
    report: RunReport,
    fail_on: FailOn,
}

impl SuiteReport {
    /// The full result model, as `wsconform run` writes and renders it.
    pub fn run_report(&self) -> &RunReport {
        &self.report
    }

    /// The result of one case, by id.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.report.results.iter().find(|c| c.id == id)
    }

    /// The cases that fail at the suite's [`Suite::fail_on`] level, in catalogue order.
    pub fn failures(&self) -> Vec<&CaseResult> {
        self.report
            .results
            .iter()
            .filter(|c| self.fail_on.fails(c))
            .collect()
    }

    /// True when no case fails.
    pub fn conforms(&self) -> bool {
        self.failures().is_empty()
    }

    /// Panics unless every case passed, with one line per failing case: its id, its
    /// verdicts, why, and the RFC clauses it checks.
    #[track_caller]
    pub fn assert_conforms(&self) {
        let failures = self.failures();
        if failures.is_empty() {
            return;
        }
        let mut text = format!(
            "{} of {} cases failed against {} (fail-on {}):",
            failures.len(),
            self.report.results.len(),
            self.report.agent,
            self.fail_on
        );
        for c in failures {
            text.push_str(&format!(
                "\n  {} {} / {}: {} [{}]",
                c.id, c.behavior, c.behavior_close, c.reason, c.rfc
            ));
        }
        panic!("{text}");
    }

    /// Writes the report directory as `wsconform run --out DIR` does (Autobahn-compatible
    /// `index.json`, one JSON file per case, `index.html`).
    pub fn write_to(&self, dir: &Path) -> Result<(), ws_reports::ReportError> {
        ws_reports::write_autobahn_dir(dir, std::slice::from_ref(&self.report))
    }
}
