//! Helpers of the browser and JavaScript-runtime tests: finding the programs (failing
//! under `CI=true` when one is missing, skipping with a note elsewhere), launching them
//! against the driver page or driver.js, and judging the report they leave.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use ws_cases::model::{Level, VerdictRule};
use ws_cases::Case;
use ws_reports::{Behavior, CloseBehavior, RunReport};
use wsconform::serve::{FuzzingServer, Http2Serve, ServeSettings};

/// The client-testing server a browser or runtime runs `cases` against.
pub struct Served {
    /// Two worker threads: the client under test has the other cores' worth of time.
    pub rt: Runtime,
    /// Serves `cases`, writing each agent's report to `out`.
    pub server: Arc<FuzzingServer>,
    /// Bound on a free loopback port, not yet accepting.
    pub listener: TcpListener,
    /// The report directory: `dir/report`.
    pub out: PathBuf,
}

/// A fuzzing server for `cases` reporting into `dir/report`, on a free loopback port.
pub fn serve_cases(cases: Vec<Case>, dir: &Path) -> Served {
    serve_cases_over(cases, dir, Http2Serve::Off)
}

/// As [`serve_cases`], taking clients over HTTP/2 as `http2` says (`serve --http2`).
pub fn serve_cases_over(cases: Vec<Case>, dir: &Path, http2: Http2Serve) -> Served {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let out = dir.join("report");
    let server = Arc::new(FuzzingServer::new(
        cases,
        ServeSettings {
            out: Some(out.clone()),
            http2,
            ..ServeSettings::default()
        },
    ));
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    Served {
        rt,
        server,
        listener,
        out,
    }
}

/// Where the install script puts the JavaScript runtimes (`scripts/browsers/install.sh`).
pub fn runtimes_dir() -> PathBuf {
    match std::env::var_os("WSCONFORM_JS_RUNTIMES") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            Path::new(&home).join(".cache/wsconform-js")
        }
    }
}

/// `name` on PATH, or in `extra` directories first.
pub fn find_program(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    extra
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The program, or `None` after a note on stderr (outside CI). Under `CI=true` a
/// missing program fails the test, naming what installs it.
pub fn require(name: &str, extra: &[PathBuf], install: &str) -> Option<PathBuf> {
    if let Some(p) = find_program(name, extra) {
        return Some(p);
    }
    let what = format!("{name} is not installed: {install}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what}");
    }
    // Straight to stderr: the test harness captures eprintln!.
    let _ = writeln!(std::io::stderr(), "SKIPPED (not under CI=true): {what}");
    None
}

/// A scratch directory for one launched program's configuration, pid and temporary
/// files, empty, unique to this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsconform-proxy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A program started in its own process group, killed with its children on drop.
pub struct Launched {
    child: Child,
    /// What it wrote to stderr, for failure messages.
    pub log: PathBuf,
}

impl Launched {
    /// Starts `program` with `args` and `env`, stdout and stderr into `log`.
    pub fn start(program: &Path, args: &[String], env: &[(&str, &Path)], log: PathBuf) -> Self {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        Launched { child, log }
    }

    /// The exit status once it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Waits for it to exit, up to `limit`.
    pub fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// Waits until `addr` accepts connections; panics with the log if the program
    /// exits first or does not listen within 15 s.
    pub fn wait_listening(&mut self, addr: std::net::SocketAddr, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.exited() {
                panic!(
                    "{name} exited ({status}) before listening:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{name} does not listen on {addr} after 15 s:\n{}",
            self.log_tail()
        );
    }

    /// The tail of what it printed.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[start..].to_string()
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        // The whole group: browsers leave renderer and helper processes behind.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// A browser the tests drive headless.
#[derive(Clone, Copy, Debug)]
pub struct Browser {
    /// Program name on PATH.
    pub program: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
    /// Agent name in the report.
    pub agent: &'static str,
}

/// Debian's Chromium.
pub const CHROMIUM: Browser = Browser {
    program: "chromium",
    package: "chromium",
    agent: "chromium",
};

/// Debian's Firefox ESR.
pub const FIREFOX: Browser = Browser {
    program: "firefox-esr",
    package: "firefox-esr",
    agent: "firefox",
};

impl Browser {
    /// The program, or `None` (outside CI) when it is missing.
    pub fn require(&self) -> Option<PathBuf> {
        require(
            self.program,
            &[],
            &format!(
                "run scripts/browsers/install.sh (apt-get install {})",
                self.package
            ),
        )
    }

    /// Opens `url` headless with a fresh profile in `dir`; `home` is the HOME the
    /// browser sees (Chromium reads its certificate store, `~/.pki/nssdb`, from there).
    pub fn open(&self, program: &Path, url: &str, dir: &Path) -> Launched {
        let profile = dir.join("profile");
        std::fs::create_dir_all(&profile).unwrap();
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let args: Vec<String> = if self.program == "chromium" {
            vec![
                "--headless".into(),
                "--no-sandbox".into(),
                "--disable-gpu".into(),
                "--no-first-run".into(),
                "--disable-background-networking".into(),
                format!("--user-data-dir={}", profile.display()),
                url.into(),
            ]
        } else {
            // Nothing that phones home or asks questions at first start; and no growing
            // pause before each connection after failed ones (RFC 6455 §7.2.3 backoff,
            // which Firefox applies per host): the 0.6 cases and a broken serve fail
            // connections on purpose, and the pause would only slow the run.
            let prefs: String = [
                "browser.shell.checkDefaultBrowser",
                "datareporting.policy.dataSubmissionEnabled",
                "toolkit.telemetry.enabled",
                "app.update.enabled",
                "browser.aboutwelcome.enabled",
                "network.captive-portal-service.enabled",
                "network.connectivity-service.enabled",
                "extensions.update.enabled",
                "browser.safebrowsing.update.enabled",
                "network.websocket.delay-failed-reconnects",
            ]
            .iter()
            .map(|p| format!("user_pref(\"{p}\", false);\n"))
            .collect();
            std::fs::write(
                profile.join("user.js"),
                prefs + "user_pref(\"browser.startup.homepage_override.mstone\", \"ignore\");\n",
            )
            .unwrap();
            vec![
                "--headless".into(),
                "--no-remote".into(),
                "--profile".into(),
                profile.display().to_string(),
                url.into(),
            ]
        };
        let no_crash_reports = Path::new("1");
        Launched::start(
            program,
            &args,
            &[
                ("HOME", &home),
                ("MOZ_CRASHREPORTER_DISABLE", no_crash_reports),
            ],
            dir.join(format!("{}.log", self.agent)),
        )
    }

    /// The NSS certificate database the browser reads for its trust, once opened in
    /// `dir` ([`Browser::open`]): Chromium's is per user, Firefox's per profile.
    pub fn nss_db(&self, dir: &Path) -> PathBuf {
        if self.program == "chromium" {
            dir.join("home/.pki/nssdb")
        } else {
            dir.join("profile")
        }
    }
}

/// Puts the CA in `ca_pem` into the NSS database `db` as trusted for TLS servers, as a
/// user does with `certutil`: the browser's own verification stays on.
pub fn trust_ca(db: &Path, ca_pem: &Path) -> Result<(), String> {
    std::fs::create_dir_all(db).unwrap();
    let Some(certutil) = require(
        "certutil",
        &[],
        "run scripts/browsers/install.sh (apt-get install libnss3-tools)",
    ) else {
        return Err("certutil missing".into());
    };
    let sql = format!("sql:{}", db.display());
    if !db.join("cert9.db").exists() {
        let out = Command::new(&certutil)
            .args(["-N", "--empty-password", "-d", &sql])
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    let out = Command::new(&certutil)
        .args([
            "-A",
            "-d",
            &sql,
            "-n",
            "wsconform test CA",
            "-t",
            "C,,",
            "-i",
        ])
        .arg(ca_pem)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Waits until the report directory `out` holds `agent`'s report with `count` results
/// (the driver asks for it with /updateReports once every case has run); panics with
/// the program's output when `launched` exits first or `limit` passes.
pub fn wait_for_report(
    out: &Path,
    agent: &str,
    count: usize,
    launched: &mut Launched,
    limit: Duration,
) -> RunReport {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(runs) = ws_reports::read_autobahn_dir(out) {
            if let Some(run) = runs.into_iter().find(|r| r.agent == agent) {
                if run.results.len() >= count {
                    return run;
                }
            }
        }
        if let Some(status) = launched.exited() {
            // A driver script exits right after /updateReports: look once more.
            if let Ok(runs) = ws_reports::read_autobahn_dir(out) {
                if let Some(run) = runs.into_iter().find(|r| r.agent == agent) {
                    return run;
                }
            }
            panic!(
                "{agent} exited ({status}) before its report was written:\n{}",
                launched.log_tail()
            );
        }
        if Instant::now() > deadline {
            panic!(
                "{agent}: no complete report in {} within {limit:?}:\n{}",
                out.display(),
                launched.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The verdicts a case allows every conforming client, read from its data, or `None`
/// when the case leaves room (a SHOULD, an INFORMATIONAL outcome, a close code the
/// client picks): the cases the server plays as valid conversations the client must
/// echo and close normally, at MUST level. Permessage-deflate is optional, so its
/// echo cases allow UNIMPLEMENTED as well as OK.
pub fn must_pass(case: &Case) -> Option<&'static [Behavior]> {
    let e = &case.expect;
    let must = !case.rfc.is_empty() && case.rfc.iter().all(|r| r.level == Level::Must);
    let only_ok = e.outcomes.iter().all(|(b, _)| *b == ws_cases::Behavior::Ok);
    let normal_close = e.close.closed_by_me && e.close.codes == [1000];
    if !(must && only_ok && normal_close) {
        return None;
    }
    match e.rule {
        VerdictRule::Events
        | VerdictRule::Echo { .. }
        | VerdictRule::RoundTrips
        | VerdictRule::AutoFragment { .. } => Some(&[Behavior::Ok]),
        VerdictRule::CompressedEchoes => Some(&[Behavior::Ok, Behavior::Unimplemented]),
        _ => None,
    }
}

/// What is wrong with `run` as the report of a client offered `cases`: cases without a
/// verdict, and must-pass cases ([`must_pass`]) that are not OK.
pub fn problems(run: &RunReport, cases: &[Case]) -> Vec<String> {
    let mut found = Vec::new();
    for case in cases {
        let Some(result) = run.case(&case.id) else {
            found.push(format!("{}: no verdict", case.id));
            continue;
        };
        if let Some(allowed) = must_pass(case) {
            let ok =
                allowed.contains(&result.behavior) && result.behavior_close == CloseBehavior::Ok;
            if !ok {
                found.push(format!(
                    "{}: {} / {} where every conforming client is OK ({})",
                    case.id, result.behavior, result.behavior_close, result.reason
                ));
            }
        }
    }
    found
}

/// One line per verdict other than OK / OK, for the test's output.
pub fn deviations(run: &RunReport) -> String {
    run.results
        .iter()
        .filter(|c| (c.behavior, c.behavior_close) != (Behavior::Ok, CloseBehavior::Ok))
        .map(|c| format!("  {} {} / {}\n", c.id, c.behavior, c.behavior_close))
        .collect()
}

/// Where a browser or runtime breaks a rule that every conforming client keeps: the test expects
/// these cases to fail (and fails when one stops failing, so the list cannot go
/// stale). docs/results/browsers.md explains each.
pub const KNOWN_DEVIATIONS: &[(&str, &str, &str)] = &[
    (
        "firefox",
        "0.6.9",
        "accepts a Sec-WebSocket-Protocol it did not offer (RFC 6455 §4.1: MUST fail)",
    ),
    (
        "node",
        "0.5.3",
        "refuses a valid 101 with `Connection: keep-alive, Upgrade` (RFC 6455 §4.1 asks for the token)",
    ),
    (
        "node",
        "0.6.11",
        "accepts permessage-deflate with a parameter RFC 7692 does not define (§5: MUST fail)",
    ),
    (
        "deno",
        "0.5.3",
        "refuses a valid 101 with `Connection: keep-alive, Upgrade` (RFC 6455 §4.1 asks for the token)",
    ),
    (
        "deno",
        "0.6.1",
        "accepts a wrong Sec-WebSocket-Accept (RFC 6455 §4.1: MUST fail)",
    ),
    (
        "deno",
        "0.6.2",
        "accepts a 101 without Sec-WebSocket-Accept (RFC 6455 §4.1: MUST fail)",
    ),
    (
        "deno",
        "0.6.9",
        "accepts a Sec-WebSocket-Protocol it did not offer (RFC 6455 §4.1: MUST fail)",
    ),
    (
        "deno",
        "0.6.10",
        "accepts an extension it did not offer (RFC 6455 §4.1: MUST fail)",
    ),
    (
        "deno",
        "0.6.11",
        "accepts permessage-deflate, which it did not offer, with an undefined parameter",
    ),
];

/// The must-pass problems of `run` less the known deviations of `agent`, which must
/// all be among them.
pub fn unexpected_problems(agent: &str, run: &RunReport, offered: &[Case]) -> Vec<String> {
    let found = problems(run, offered);
    let known: Vec<&str> = KNOWN_DEVIATIONS
        .iter()
        .filter(|(a, id, _)| *a == agent && offered.iter().any(|c| c.id == *id))
        .map(|(_, id, _)| *id)
        .collect();
    let case_of = |p: &String| p.split(':').next().unwrap().to_string();
    let mut unexpected: Vec<String> = found
        .iter()
        .filter(|p| !known.contains(&case_of(p).as_str()))
        .cloned()
        .collect();
    for id in known {
        if !found.iter().any(|p| case_of(p) == id) {
            unexpected.push(format!(
                "{id}: listed as a known deviation of {agent}, but passes"
            ));
        }
    }
    unexpected
}
