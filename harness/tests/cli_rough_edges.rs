//! The command line's rough edges (issue 16 items 7-9): URLs, option errors, a closed
//! stdout, progress and colour, completions, the man page, --version, `list`.

mod cli_common;

use std::process::{Command, Stdio};

use cli_common::*;

#[test]
fn urls_are_parsed_as_urls() {
    let rt = runtime();
    let url = echo_server(&rt);
    let port = url
        .trim_start_matches("ws://127.0.0.1:")
        .trim_end_matches('/');
    // Schemes are case-insensitive (RFC 3986 §3.1).
    let upper = format!("WS://127.0.0.1:{port}/");
    let r = wsconform(&["run", &upper, "--cases", "1.1.1", "--no-report"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("1 cases against WS://127.0.0.1:"), "{r}");

    for (url, why) in [
        ("ws://user:pw@127.0.0.1:9/", "user information"),
        ("ws://127.0.0.1:9/#top", "no fragment"),
        ("ws://127.0.0.1:99999/", "bad URL"),
    ] {
        let r = wsconform(&["run", url, "--cases", "1.1.1", "--no-report"]);
        assert_eq!(r.code, 2, "{url}: {r}");
        assert!(
            r.stderr.starts_with(&format!("wsconform: bad URL {url:?}")),
            "{url}: {r}"
        );
        assert!(r.stderr.contains(why), "{url}: {r}");
        assert_eq!(r.stderr.trim().lines().count(), 1, "{url}: {r}");
    }
}

#[test]
fn ipv6_literals_work() {
    let rt = runtime();
    let Ok(listener) = rt.block_on(wsconform::echo::bind("[::1]:0")) else {
        eprintln!("skipped ipv6_literals_work: this machine has no ::1");
        return;
    };
    let addr = listener.local_addr().unwrap();
    rt.spawn(wsconform::echo::serve(listener, Default::default()));
    let url = format!("ws://[::1]:{}/", addr.port());
    let r = wsconform(&["run", &url, "--cases", "1.1.1", "--no-report"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("no case fails"), "{r}");
}

#[test]
fn option_errors_name_the_option() {
    let r = wsconform(&["run", "-H", "NoColon", "--cases", "1.1.1", "--no-report"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.starts_with("wsconform: bad header \"NoColon\""),
        "{r}"
    );
    assert!(!r.stderr.contains("URL"), "{r}");
    let r = wsconform(&[
        "run",
        "-H",
        "Two Words: x",
        "--cases",
        "1.1.1",
        "--no-report",
    ]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("bad header"), "{r}");

    for cmd in [
        &["run", "--jobs", "0"][..],
        &["fuzz", "ws://127.0.0.1:9/", "--jobs", "0"],
    ] {
        let r = wsconform(cmd);
        assert_eq!(r.code, 2, "{cmd:?}: {r}");
        assert!(r.stderr.contains("--jobs"), "{cmd:?}: {r}");
        assert!(r.stderr.contains("at least 1"), "{cmd:?}: {r}");
    }
}

/// Runs `wsconform ARGS` with a stdout whose reader is already gone.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let (code, stderr) = with_closed_stdout(&["list"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // `run` still does its work and gates: the report is written, the exit code is its own.
    let dir = scratch("closed-stdout-run");
    let out = dir.join("report");
    let (code, stderr) =
        with_closed_stdout(&["run", "--cases", "1.1.*", "--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(case_ids(&out, "wsconform-reference").len(), 8);
}
