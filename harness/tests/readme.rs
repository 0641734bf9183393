//! README.md's commands as a user types them. Every line of its `sh` blocks either runs
//! here or is named in [`ELSEWHERE`] with the place that exercises it; a line that is
//! neither fails the test, so the README cannot grow an untested command.
//!
//! The lines run in README order, in one scratch directory (files one section writes,
//! later sections read), through `sh -c`, with the built `wsconform` first on the PATH;
//! `cargo run --release --` stands for it. Ports 9001, 9002 and 9443 become free ones;
//! 9004, the HTTP/2 server, is hyper with fastwebsockets (tests/h2_peer) in this process.
//! Two changes keep it short, and are the only ones: a `run` that names no cases gets
//! `--quick` (the whole catalogue takes minutes; `cases/tests/reference.rs` plays every
//! case against the reference endpoint), and `--spec fuzzingclient.json` reads a spec this
//! test writes. A line ending in `&` is a server: it starts in the background and is
//! stopped at the end; `serve` is driven through Autobahn's client loop by a
//! tokio-tungstenite client until it writes its report and exits.
//!
//! Also here: `run --quick` (the README's first look).

mod autobahn_client;
mod cli_common;
mod h2_peer;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli_common::*;
use serde_json::Value;

/// README lines that do not run here, and where they are exercised.
const ELSEWHERE: &[(&str, Exercised)] = &[
    ("cargo test --workspace --release", Exercised::CiRun),
    ("cargo install --path harness", Exercised::ByHand),
    (
        "wsconform proxy ws://127.0.0.1:8080/ --backend 127.0.0.1:9003",
        Exercised::ProxyTests,
    ),
    (
        "cargo install --locked --git https://github.com/wsconform/wsconform wsconform",
        Exercised::NeedsNetwork,
    ),
];

#[derive(Clone, Copy, Debug)]
enum Exercised {
    /// `.ci/run` runs the same command (it must contain it).
    CiRun,
    /// Needs a reverse proxy in front: `proxy_real.rs` runs `wsconform proxy FRONT
    /// --backend ADDR` through nginx, HAProxy, Apache and Caddy configured as
    /// `--print-config` prints, and `proxy_flawed.rs` through flawed proxies.
    ProxyTests,
    /// A release build of its own (`cargo install` resolves features without the
    /// dev-dependencies `cargo test` builds with, so `target/` is not reused): two minutes
    /// of CI for what the tests' build of the same binary shows. Installed by hand, then
    /// `wsconform run --quick` passed (2026-12-07).
    ByHand,
    /// Fetches from a git host, which tests may not reach; checked only in that the URL is
    /// the workspace's `repository`, the same install as `--path` otherwise.
    NeedsNetwork,
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The command lines of the README's `sh` blocks, comments and blank lines removed.
fn shell_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if in_sh {
            let command = without_comment(line).trim();
            if !command.is_empty() {
                lines.push(command.to_owned());
            }
        }
    }
    lines
}

/// `line` up to a `#` that starts a shell comment (after a blank, outside quotes).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The background servers the README starts, stopped when the test ends however it ends.
struct Servers(Vec<(String, Child)>);

impl Drop for Servers {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Session {
    dir: PathBuf,
    path: std::ffi::OsString,
    ports: Vec<(&'static str, u16)>,
    servers: Servers,
}

impl Session {
    fn new(dir: PathBuf) -> Self {
        let bin = Path::new(env!("CARGO_BIN_EXE_wsconform")).parent().unwrap();
        let mut paths = vec![bin.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        Session {
            dir,
            path: std::env::join_paths(paths).unwrap(),
            ports: ["9001", "9002", "9443"]
                .into_iter()
                .map(|p| (p, free_port()))
                .collect(),
            servers: Servers(Vec::new()),
        }
    }

    fn port(&self, readme_port: &str) -> u16 {
        self.ports
            .iter()
            .find(|(p, _)| *p == readme_port)
            .unwrap()
            .1
    }

    /// The README line as it runs here.
    fn rewrite(&self, line: &str) -> String {
        let mut command = match line.strip_prefix("cargo run --release -- ") {
            Some(rest) => format!("wsconform {rest}"),
            None => line.to_owned(),
        };
        for (readme_port, port) in &self.ports {
            command = command.replace(readme_port, &port.to_string());
        }
        let picks_cases = ["--cases", "--quick", "--spec", "--case-file"]
            .iter()
            .any(|flag| command.contains(flag));
        if command.starts_with("wsconform run") && !picks_cases {
            command.push_str(" --quick");
        }
        command
    }

    fn shell(&self, command: &str) -> Command {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(command)
            .current_dir(&self.dir)
            .env("PATH", &self.path)
            .env_remove("NO_COLOR");
        sh
    }

    fn run(&self, line: &str, command: &str) {
        let t0 = Instant::now();
        let out = self.shell(command).output().unwrap();
        let outcome = Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(
            outcome.code, 0,
            "README line {line:?} ran as {command:?}: {outcome}"
        );
        eprintln!("ok {:.1} s: {command}", t0.elapsed().as_secs_f64());
    }

    /// Starts a server line (ending in `&`) and waits until it accepts connections.
    fn start(&mut self, line: &str, command: &str) {
        let port = self
            .ports
            .iter()
            .map(|(_, p)| *p)
            .find(|p| command.contains(&p.to_string()))
            .unwrap_or_else(|| panic!("server line {line:?} names none of the README's ports"));
        let log = std::fs::File::create(self.dir.join(format!("server-{port}.log"))).unwrap();
        let mut child = self
            .shell(&format!("exec {command}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "README line {line:?} exited ({status}) before listening: {}",
                    std::fs::read_to_string(self.dir.join(format!("server-{port}.log")))
                        .unwrap_or_default()
                );
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "{line:?} never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.servers.0.push((command.to_owned(), child));
    }

    /// Plays `serve`'s cases as an Autobahn client driver does, asks for the report with
    /// shutdownOnComplete, and checks that `serve` exits 0 having written it.
    fn drive_serve(&mut self, command: &str) {
        let base = format!("ws://127.0.0.1:{}", self.port("9002"));
        let agent = "readme-client";
        let count = runtime().block_on(autobahn_client_loop(&base, agent));
        assert!(count > 0, "{command}: no cases");
        let (_, mut child) = self.servers.0.pop().unwrap();
        let t0 = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "{command} did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{command}: {status}");
        let ids = case_ids(&self.dir.join("wsconform-report"), agent);
        assert_eq!(ids.len(), count, "{command}: {ids:?}");
    }
}

/// getCaseCount, every case echoing until the server closes, then updateReports with
/// shutdownOnComplete; the number of cases.
async fn autobahn_client_loop(base: &str, agent: &str) -> usize {
    let count = autobahn_client::case_count(base).await;
    for n in 1..=count {
        autobahn_client::tungstenite_case(base, n, agent).await;
    }
    let update = format!("/updateReports?agent={agent}&shutdownOnComplete=true");
    autobahn_client::control(base, &update).await;
    count
}

fn check_elsewhere(line: &str, how: Exercised) {
    match how {
        Exercised::CiRun => assert!(
            repo_file(".ci/run").contains(line),
            "README line {line:?} is said to run in .ci/run, which does not have it"
        ),
        Exercised::ByHand | Exercised::ProxyTests => {}
        Exercised::NeedsNetwork => {
            let manifest = repo_file("Cargo.toml");
            let repository = manifest
                .lines()
                .find_map(|l| l.strip_prefix("repository = "))
                .expect("the workspace has a repository")
                .trim_matches('"');
            assert!(line.contains(repository), "{line:?} is not {repository}");
        }
    }
}

#[test]
fn every_readme_command_works_as_written() {
    let readme = repo_file("README.md");
    let lines = shell_lines(&readme);
    assert!(lines.len() > 15, "{lines:?}");
    let dir = scratch("readme");
    // The README's HTTP/2 server on 9004: hyper with the extended CONNECT and
    // fastwebsockets echoing (a third-party RFC 8441 server), in this process.
    let rt = runtime();
    let h2 = rt.block_on(h2_peer::start_hyper());
    // The spec file the README's Autobahn migration reads: yours would name your servers.
    let mut session = Session::new(dir.clone());
    session.ports.push(("9004", h2.port()));
    let spec = serde_json::json!({
        "servers": [{"agent": "readme-spec", "url": format!("ws://127.0.0.1:{}/", session.port("9001"))}],
        "cases": ["1.1.*"],
        "exclude-cases": [],
        "outdir": "./reports/servers"
    });
    std::fs::write(dir.join("fuzzingclient.json"), spec.to_string()).unwrap();
    let mut ran = 0;
    for line in &lines {
        if let Some((_, how)) = ELSEWHERE.iter().find(|(l, _)| l == line) {
            check_elsewhere(line, *how);
            continue;
        }
        let command = session.rewrite(line);
        assert!(
            command.starts_with("wsconform "),
            "README line {line:?} neither runs here nor is listed in ELSEWHERE"
        );
        ran += 1;
        match command.strip_suffix('&') {
            Some(server) => {
                let server = server.trim().to_owned();
                session.start(line, &server);
                if server.starts_with("wsconform serve") {
                    session.drive_serve(&server);
                }
            }
            None => session.run(line, &command),
        }
    }
    assert!(ran >= 15, "{ran} lines ran");
    // What the lines left behind is what the README says they write.
    assert_eq!(
        case_ids(&dir.join("merged"), "my-server"),
        case_ids(&dir.join("report"), "my-server")
    );
    assert!(dir.join("merged/index.html").is_file());
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    let baseline = std::fs::read_to_string(dir.join("wsconform.baseline")).unwrap();
    assert!(baseline.contains("1.1.1\tOK\tOK"), "{baseline}");
    assert_eq!(
        case_ids(&dir.join("reports/servers"), "readme-spec").len(),
        8
    );
}

/// The ids of a `run --format json` summary's failing list.
fn failing(stdout: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(stdout).unwrap();
    v["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn quick_plays_the_first_case_of_each_subsection() {
    let dir = scratch("readme-quick");
    let r = wsconform(&["run", "--quick", "--out", &arg(&dir)]);
    r.assert_stderr(0, "69 cases against ws://127.0.0.1:");
    let played = case_ids(&dir, "wsconform-reference");
    // The first id of each subsection of the default selection, found here from `list`'s
    // order (catalogue order) by dropping each id's last component.
    // `list` shows the proxy section (19) too, which `run` does not play.
    let catalogue = wsconform(&["list", "--cases", "*", "--exclude", "19.*"]);
    let mut seen = BTreeSet::new();
    let expected: BTreeSet<String> = catalogue
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.starts_with(|c: char| c.is_ascii_digit()))
        .filter(|id| !id.starts_with("15.") && !id.starts_with("0.5.") && !id.starts_with("0.6."))
        .filter(|id| {
            !id.starts_with("14.2.") && !id.starts_with("16.2.") && !id.starts_with("16.3.")
        })
        .filter(|id| seen.insert(id.rsplit_once('.').unwrap().0.to_owned()))
        .map(str::to_owned)
        .collect();
    assert_eq!(played, expected);
    assert_eq!(played.len(), 69);
    for id in [
        "1.1.1", "1.2.1", "2.1", "6.4.1", "9.7.1", "12.1.1", "13.7.1", "17.6.1",
    ] {
        assert!(played.contains(id), "{id}: {played:?}");
    }
    assert!(!played.contains("1.1.2"), "{played:?}");

    // Quick still catches what it plays: a server that closes on text fails 1.1.1 and
    // nothing else of 1.*.
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    let r = wsconform(&[
        "run",
        &broken,
        "--quick",
        "--cases",
        "1.*",
        "--no-report",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{r}");
    assert_eq!(failing(&r.stdout), ["1.1.1"], "{r}");
}
