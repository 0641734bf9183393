//! Helpers of the CLI tests: run the built `wsconform` binary, scratch directories, and
//! servers on loopback for it to test.

// Each cli_* test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wsconform::echo::{self, EchoSettings};

#[path = "../scratch/mod.rs"]
mod scratch;
#[path = "../skip/mod.rs"]
mod skip;
// Not every test crate that includes this module skips anything.
#[allow(unused_imports)]
pub use skip::missing_dependency;

/// What one invocation of the binary did.
pub struct Outcome {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Outcome {
    /// Asserts the exit code and that standard error says `text`; shows the whole
    /// outcome when either does not hold.
    pub fn assert_stderr(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "{self}");
        assert!(self.stderr.contains(text), "{self}");
    }
}

impl Outcome {
    /// Asserts bad input as the CLI reports it: exit 2, one line on standard error
    /// that names `text`, nothing on standard output.
    pub fn assert_bad_input(&self, text: &str) {
        assert_eq!(self.code, 2, "{self}");
        assert_eq!(self.stderr.trim().lines().count(), 1, "{self}");
        assert!(self.stderr.starts_with("wsconform: "), "{self}");
        assert!(self.stderr.contains(text), "{self}");
        assert!(self.stdout.is_empty(), "{self}");
    }
}

impl From<std::process::Output> for Outcome {
    fn from(out: std::process::Output) -> Self {
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `wsconform ARGS` in the current directory.
pub fn wsconform<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Outcome {
    wsconform_in(Path::new("."), args)
}

/// Runs `wsconform run [URL] --cases CASES EXTRA...`: without a URL, against the
/// built-in reference server.
pub fn run_cli(url: Option<&str>, cases: &str, extra: &[&str]) -> Outcome {
    let mut args: Vec<&str> = vec!["run"];
    args.extend(url);
    args.extend(["--cases", cases]);
    args.extend(extra);
    wsconform(&args)
}

/// Runs `wsconform ARGS` in `dir`.
pub fn wsconform_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Outcome {
    Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the wsconform binary runs")
        .into()
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    scratch::fresh("cli-tests", name)
}

/// Path as an argument.
pub fn arg(path: &Path) -> String {
    path.to_str().expect("scratch paths are UTF-8").to_owned()
}

/// A runtime whose worker threads serve test servers while the test thread waits on the
/// binary.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts the reference echo server on a free loopback port; returns its URL.
pub fn echo_server(rt: &Runtime) -> String {
    let listener = rt.block_on(echo::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(echo::serve(listener, EchoSettings::default()));
    format!("ws://{addr}/")
}

/// Starts a tokio-tungstenite server on a free loopback port, each connection played
/// by `serve` once its opening handshake is done; returns its URL.
pub fn tungstenite_server<F, Fut>(rt: &Runtime, serve: F) -> String
where
    F: Fn(WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = std::sync::Arc::new(serve);
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let serve = serve.clone();
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    serve(ws).await;
                }
            });
        }
    });
    format!("ws://{addr}/")
}

/// Starts a server that answers a text message by closing the connection (normal
/// closure) instead of echoing it: each case that expects a text echo (1.1.x, for one)
/// FAILS against it, and at once, since nothing can come after the close.
pub fn closes_on_text_server(rt: &Runtime) -> String {
    tungstenite_server(rt, |mut ws| async move {
        while let Some(Ok(msg)) = ws.next().await {
            let sent = match msg {
                Message::Text(_) => ws.close(None).await,
                Message::Binary(_) => ws.send(msg).await,
                // tungstenite answers pings and closes by itself.
                _ => continue,
            };
            if sent.is_err() {
                break;
            }
        }
    })
}

/// Starts a server that echoes each message `delay` after it arrived (keep it well
/// under the 1 s close timer of the 1.1.x cases), saying on `seen`, if given, when a
/// message has arrived.
pub fn slow_echo_server(rt: &Runtime, delay: Duration, seen: Option<mpsc::Sender<()>>) -> String {
    tungstenite_server(rt, move |mut ws| {
        let seen = seen.clone();
        async move {
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_text() || msg.is_binary() {
                    if let Some(seen) = &seen {
                        let _ = seen.send(());
                    }
                    tokio::time::sleep(delay).await;
                    if ws.send(msg).await.is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// What a JUnit file says, its counts checked against its elements.
pub struct Junit {
    /// Ids of the failing cases.
    pub failures: BTreeSet<String>,
    /// Skipped cases: (id, message).
    pub skipped: Vec<(String, String)>,
    /// Test cases in all.
    pub tests: usize,
}

/// Reads the JUnit file at `path`; panics when its `failures` or `skipped` attribute
/// disagrees with the elements it holds.
pub fn junit(path: &Path) -> Junit {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let id = |n: roxmltree::Node| {
        n.attribute("name")
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let cases = || doc.descendants().filter(|n| n.has_tag_name("testcase"));
    let failures: BTreeSet<String> = cases()
        .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
        .map(id)
        .collect();
    let skipped: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .map(|s| {
            let case = s.parent().unwrap();
            (id(case), s.attribute("message").unwrap_or("").to_owned())
        })
        .collect();
    let root = doc.root_element();
    for (attribute, count) in [("failures", failures.len()), ("skipped", skipped.len())] {
        assert_eq!(
            root.attribute(attribute).unwrap_or("0"),
            count.to_string(),
            "{attribute}: {text}"
        );
    }
    Junit {
        failures,
        skipped,
        tests: cases().count(),
    }
}

/// `DIR/index.json`.
pub fn index(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("index.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The agents of a report directory.
pub fn agents(dir: &Path) -> BTreeSet<String> {
    index(dir).as_object().unwrap().keys().cloned().collect()
}

/// The case ids of one agent in a report directory.
pub fn case_ids(dir: &Path, agent: &str) -> BTreeSet<String> {
    index(dir)[agent]
        .as_object()
        .unwrap_or_else(|| panic!("no agent {agent:?} in {}", dir.display()))
        .keys()
        .cloned()
        .collect()
}

/// The per-case JSON file of one case.
pub fn case_file(dir: &Path, agent: &str, id: &str) -> PathBuf {
    let name = index(dir)[agent][id]["reportfile"]
        .as_str()
        .unwrap()
        .to_owned();
    dir.join(name)
}

/// The baseline of the single agent of `dir`, via `report baseline`.
pub fn baseline_of(dir: &Path) -> String {
    let r = wsconform(&["report".to_string(), "baseline".to_string(), arg(dir)]);
    assert_eq!(r.code, 0, "{r}");
    r.stdout
}

/// Data lines of a baseline: `(id, behavior, behaviorClose)`.
pub fn baseline_lines(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "baseline line {l:?}");
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect()
}

/// `baseline` without the line of case `id`.
pub fn baseline_without(baseline: &str, id: &str) -> String {
    let prefix = format!("{id}\t");
    baseline
        .lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(|l| format!("{l}\n"))
        .collect()
}
