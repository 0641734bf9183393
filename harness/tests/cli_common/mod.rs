//! Helpers of the CLI tests: run the built `wsconform` binary, scratch directories, and
//! servers on loopback for it to test.

// Each cli_* test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use wsconform::echo::{self, EchoSettings};

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

/// Runs `wsconform ARGS` in the current directory.
pub fn wsconform<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Outcome {
    wsconform_in(Path::new("."), args)
}

/// Runs `wsconform ARGS` in `dir`.
pub fn wsconform_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the wsconform binary runs");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

/// Starts a server that answers a text message by closing the connection (normal
/// closure) instead of echoing it: each case that expects a text echo (1.1.x, for one)
/// FAILS against it, and at once, since nothing can come after the close.
pub fn closes_on_text_server(rt: &Runtime) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
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
            });
        }
    });
    format!("ws://{addr}/")
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
