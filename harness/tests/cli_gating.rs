//! Gating a CI can trust (issue 16): nothing a run measured is lost to a bad output path,
//! JUnit fails exactly the cases that fail the run, an empty selection is an error. Each
//! checked on the built binary against servers on loopback.

mod cli_common;

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use cli_common::*;

/// A port that takes connections but is never answered; `connections()` says whether
/// anything connected to it.
struct Untouched(TcpListener);

impl Untouched {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Untouched(l)
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.0.local_addr().unwrap())
    }

    fn was_connected(&self) -> bool {
        match self.0.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

#[test]
fn bad_output_paths_fail_before_the_first_case() {
    let dir = scratch("gating-bad-outputs");
    std::fs::write(dir.join("afile"), "not a directory").unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--out", "afile"],
            "--out afile is a file, not a directory",
        ),
        (
            &["--no-report", "--junit", "afile/x.xml"],
            "--junit afile/x.xml: afile is a file, not a directory",
        ),
        (
            &["--out", "afile/deeper"],
            "--out afile/deeper: afile is a file, not a directory",
        ),
    ];
    for (extra, expected) in cases {
        let server = Untouched::new();
        let mut args = vec![
            "run".to_string(),
            server.url(),
            "--cases".into(),
            "1.1.1".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let r = wsconform_in(&dir, &args);
        assert_eq!(r.code, 2, "{extra:?}: {r}");
        assert_eq!(
            r.stderr.trim(),
            format!("wsconform: {expected}"),
            "{extra:?}: {r}"
        );
        assert!(
            !server.was_connected(),
            "{extra:?}: the server was contacted: {r}"
        );
    }
    // A report directory whose index.json is not a report would fail the final merge.
    let broken = dir.join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("index.json"), "{ not json").unwrap();
    let server = Untouched::new();
    let r = wsconform_in(
        &dir,
        &["run", &server.url(), "--cases", "1.1.1", "--out", "broken"],
    );
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.starts_with("wsconform: --out broken"), "{r}");
    assert!(!server.was_connected(), "{r}");
}

#[test]
fn the_summary_is_printed_when_the_report_cannot_be_written_at_the_end() {
    let rt = runtime();
    let (tx, rx) = mpsc::channel();
    // Within 1.1.1's 1 s close timer: time for the test to spoil the output path mid-run.
    let url = slow_echo_server(&rt, Duration::from_millis(300), Some(tx));
    let dir = scratch("gating-late-write-failure");
    let out = dir.join("report");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(["run", &url, "--cases", "1.1.1", "--out", &arg(&out)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the case reaches the server");
    // The directory passed the check at the start; now it turns into a file.
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::write(&out, "in the way").unwrap();
    let done = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    let shown = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(done.status.code(), Some(2), "{shown}");
    assert!(
        stdout.contains("1 cases against ws://127.0.0.1:"),
        "{shown}"
    );
    assert!(stdout.contains("no case fails (fail-on failed)"), "{shown}");
    assert!(stderr.contains("writing the report to"), "{shown}");
    assert!(stderr.contains("the summary above is complete"), "{shown}");
}

#[test]
fn junit_failures_follow_fail_on() {
    let dir = scratch("gating-junit-fail-on");
    let file = dir.join("j.xml");
    // Against the reference server 7.13.1 and 7.13.2 are INFORMATIONAL: they fail the
    // run under --fail-on informational, so they are JUnit failures too.
    let r = run_cli(
        None,
        "1.1.1,7.13.*",
        &[
            "--no-report",
            "--fail-on",
            "informational",
            "--junit",
            &arg(&file),
        ],
    );
    assert_eq!(r.code, 1, "{r}");
    let Junit {
        failures, skipped, ..
    } = junit(&file);
    assert_eq!(
        failures,
        BTreeSet::from(["7.13.1".into(), "7.13.2".into()]),
        "{r}"
    );
    assert!(skipped.is_empty());
    // The default gate: they pass, and so does the XML.
    let r = run_cli(
        None,
        "1.1.1,7.13.*",
        &["--no-report", "--junit", &arg(&file)],
    );
    assert_eq!(r.code, 0, "{r}");
    assert!(junit(&file).failures.is_empty());
}

#[test]
fn junit_skips_the_failures_a_baseline_accepts_and_fails_the_rest() {
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    let dir = scratch("gating-junit-baseline");
    let bad = dir.join("bad");
    let r = run_cli(Some(&broken), "1.1.*", &["--out", &arg(&bad)]);
    assert_eq!(r.code, 1, "{r}");
    let known = baseline_of(&bad);
    let file = dir.join("j.xml");
    let gated = |baseline: &Path| {
        run_cli(
            Some(&broken),
            "1.1.*",
            &[
                "--no-report",
                "--baseline",
                &arg(baseline),
                "--junit",
                &arg(&file),
            ],
        )
    };

    // Every failure accepted: exit 0, no <failure>, eight skipped with the verdict.
    let all = dir.join("all.txt");
    std::fs::write(&all, &known).unwrap();
    let r = gated(&all);
    assert_eq!(r.code, 0, "{r}");
    let Junit {
        failures, skipped, ..
    } = junit(&file);
    assert!(failures.is_empty(), "{r}");
    assert_eq!(skipped.len(), 8);
    for (id, message) in &skipped {
        assert!(
            message.starts_with("accepted by baseline: FAILED"),
            "{id}: {message}"
        );
    }
    assert!(
        r.stdout.contains("0 case(s) fail") || r.stdout.contains("no case fails"),
        "{r}"
    );
    assert!(
        r.stdout
            .contains("8 failing case(s) accepted by the baseline"),
        "{r}"
    );

    // 1.1.8 not in the baseline: it alone fails, in the exit code and in the XML.
    let partial = dir.join("partial.txt");
    std::fs::write(&partial, baseline_without(&known, "1.1.8")).unwrap();
    let r = gated(&partial);
    assert_eq!(r.code, 1, "{r}");
    let Junit {
        failures, skipped, ..
    } = junit(&file);
    assert_eq!(failures, BTreeSet::from(["1.1.8".to_string()]), "{r}");
    assert_eq!(skipped.len(), 7);
    assert!(r.stdout.contains("1 case(s) fail (fail-on failed)"), "{r}");
}

#[test]
fn an_empty_selection_is_an_error() {
    let cases: [(&[&str], &str); 5] = [
        (&["run", "--cases", ""], "--cases \"\" names no case"),
        (&["run", "--cases", " , "], "names no case"),
        (
            &["run", "--cases", "1.*", "--exclude", "1.*"],
            "no case left to run: --cases \"1.*\" minus --exclude \"1.*\" selects nothing",
        ),
        (
            &["run", "--cases", "6.1"],
            "case pattern \"6.1\" matches no case; did you mean 6.1.*?",
        ),
        (
            &["list", "--cases", "1.1.99"],
            "case pattern \"1.1.99\" matches no case; did you mean 1.1.*?",
        ),
    ];
    for (args, expected) in cases {
        eprintln!("{args:?}");
        wsconform(args).assert_bad_input(expected);
    }
}

/// A server that answers every opening handshake with `response`, then reads until the
/// client goes.
fn fixed_answer_server(rt: &tokio::runtime::Runtime, response: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    format!("ws://{addr}/")
}

#[test]
fn a_101_that_breaks_the_handshake_is_a_finding() {
    let rt = runtime();
    let servers = [
        (
            "wrong accept",
            fixed_answer_server(
                &rt,
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
            ),
            "Sec-WebSocket-Accept",
        ),
        (
            "no Upgrade",
            fixed_answer_server(
                &rt,
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
            ),
            "Upgrade",
        ),
    ];
    for (name, url, why) in servers {
        let dir = scratch(&format!(
            "gating-broken-handshake-{}",
            name.replace(' ', "-")
        ));
        let out = dir.join("report");
        let junit_file = dir.join("j.xml");
        let r = run_cli(
            Some(&url),
            "0.1.1,1.1.1,2.1",
            &[
                "--agent",
                "broken",
                "--out",
                &arg(&out),
                "--junit",
                &arg(&junit_file),
            ],
        );
        assert_eq!(r.code, 1, "{name}: {r}");
        assert!(
            r.stderr
                .contains("opening handshake is invalid (RFC 6455 §4.1)"),
            "{name}: {r}"
        );
        assert!(r.stdout.contains("3 case(s) fail"), "{name}: {r}");
        let ids = case_ids(&out, "broken");
        assert_eq!(ids.len(), 3, "{name}: the report is written");
        for id in ["0.1.1", "1.1.1", "2.1"] {
            let text = std::fs::read_to_string(case_file(&out, "broken", id)).unwrap();
            let case: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(case["behavior"], "FAILED", "{name} {id}");
            let reason = case["reason"].as_str().unwrap();
            assert!(reason.contains(why), "{name} {id}: {reason}");
            if id == "0.1.1" {
                // The case of the rule names it.
                assert!(
                    reason.contains("answered 101 with an invalid response"),
                    "{name} {id}: {reason}"
                );
            } else {
                // Every other case: a conforming client fails such a connection.
                assert!(
                    reason.starts_with("opening handshake invalid: "),
                    "{name} {id}: {reason}"
                );
                assert!(
                    !reason.contains("handshake failed"),
                    "{name} {id}: {reason}"
                );
            }
        }
        assert_eq!(junit(&junit_file).failures.len(), 3, "{name}");
    }

    // Not a WebSocket endpoint at all: bad input, exit 2, nothing run.
    let url = fixed_answer_server(&rt, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let r = wsconform(&["run", &url, "--cases", "1.1.1", "--no-report"]);
    r.assert_stderr(2, "does not speak WebSocket");
    assert!(r.stderr.contains("200 OK"), "{r}");
    assert!(r.stdout.is_empty(), "{r}");
}
