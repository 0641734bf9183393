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
        r.assert_bad_input(why);
        assert!(
            r.stderr.starts_with(&format!("wsconform: bad URL {url:?}")),
            "{url}: {r}"
        );
    }
}

#[test]
fn ipv6_literals_work() {
    let rt = runtime();
    let listener = match rt.block_on(wsconform::echo::bind("[::1]:0")) {
        Ok(listener) => listener,
        Err(e) => {
            missing_dependency(
                &format!("the IPv6 loopback address ::1 ({e})"),
                "enable IPv6 on lo: sysctl -w net.ipv6.conf.lo.disable_ipv6=0, or run the \
                 container with IPv6",
            );
            return;
        }
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
    r.assert_stderr(2, "bad header");

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

fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
        .into()
}

#[test]
fn long_runs_print_progress_lines_when_stderr_is_not_a_terminal() {
    let rt = runtime();
    let url = slow_echo_server(&rt, std::time::Duration::from_millis(400), None);
    let fast = [("WSCONFORM_PROGRESS_SECONDS", "0.1")];
    let args = [
        "run",
        &url,
        "--cases",
        "1.1.1,1.1.2,1.1.3",
        "-j",
        "1",
        "--no-report",
    ];
    let r = run_with_env(&args, &fast);
    assert_eq!(r.code, 0, "{r}");
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("cases done"))
        .collect();
    assert!(lines.len() >= 3, "{r}");
    assert!(
        lines[0].starts_with(
            "wsconform: 0/3 cases done, 0 failing so far (fail-on failed), waiting on 1.1.1"
        ),
        "{r}"
    );
    // One at a time, the next case is the one waited on; but on a loaded machine 1.1.1
    // (a 400 ms echo) can come out worse than OK beside its timers, and is then played
    // again alone after the others (confirmation), waited on once more (seen once).
    assert!(
        lines.iter().any(|l| l.contains("1/3 cases done")
            && (l.contains("waiting on 1.1.2") || l.contains("waiting on 1.1.1"))),
        "{r}"
    );
    // -q: the summary line alone, no progress.
    let mut quiet = args.to_vec();
    quiet.push("-q");
    let r = run_with_env(&quiet, &fast);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stderr.is_empty(), "{r}");
    assert_eq!(r.stdout.lines().count(), 1, "{r}");
    assert!(
        r.stdout.starts_with("3 cases against ws://127.0.0.1:"),
        "{r}"
    );
}

#[test]
fn verdicts_are_coloured_on_a_terminal_only() {
    let rt = runtime();
    let url = closes_on_text_server(&rt);
    let args = ["run", &url, "--cases", "1.1.1,2.1", "--no-report"];
    let piped = run_with_env(&args, &[]);
    assert_eq!(piped.code, 1, "{piped}");
    assert!(!piped.stdout.contains('\x1b'), "{piped}");
    let mut always = args.to_vec();
    always.extend(["--color", "always"]);
    let r = run_with_env(&always, &[("NO_COLOR", "1")]);
    assert!(r.stdout.contains("\x1b[31mFAILED\x1b[0m"), "{r}");
    assert!(r.stdout.contains("\x1b[32mOK\x1b[0m"), "{r}");

    // A terminal, through util-linux `script`.
    if Command::new("script").arg("--version").output().is_err() {
        missing_dependency(
            "`script`, for the terminal half of verdicts_are_coloured_on_a_terminal_only",
            "apt-get install util-linux",
        );
        return;
    }
    let line = format!("{} {}", env!("CARGO_BIN_EXE_wsconform"), args.join(" "));
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let tty = on_tty(None);
    assert!(tty.contains("\x1b[31mFAILED\x1b[0m"), "{tty}");
    let tty = on_tty(Some("1"));
    assert!(tty.contains("FAILED") && !tty.contains("\x1b[31m"), "{tty}");
}

#[test]
fn completions_man_page_and_version() {
    for (shell, needle) in [
        ("bash", "_wsconform()"),
        ("zsh", "#compdef wsconform"),
        ("fish", "complete -c wsconform"),
    ] {
        let r = wsconform(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {r}");
        assert!(r.stdout.contains(needle), "{shell}: {r}");
        assert!(
            r.stdout.contains("baseline"),
            "{shell}: the report subcommands are in it"
        );
    }
    let r = wsconform(&["man"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains(".TH wsconform 1"), "{r}");
    for sub in ["run", "serve", "report", "completions"] {
        assert!(
            r.stdout.contains(&format!("wsconform\\-{sub}")),
            "{sub}: {r}"
        );
    }

    let r = wsconform(&["--version"]);
    assert_eq!(r.code, 0, "{r}");
    let commit = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("git commit: "))
        .unwrap_or_else(|| panic!("{r}"));
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(head) => assert_eq!(commit, head, "{r}"),
        None => assert_eq!(commit, "unknown", "{r}"),
    }
    let per_section = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("run cases per section: "))
        .unwrap_or_else(|| panic!("{r}"));
    let sum: usize = per_section
        .split(", ")
        .map(|s| s.split_once(": ").unwrap().1.parse::<usize>().unwrap())
        .sum();
    let listed = wsconform(&["list", "--all", "--json"])
        .stdout
        .lines()
        // The cases `run` plays; section 20 tests servers too, but under `run --http2`.
        .filter(|l| l.contains("\"playsIn\":[\"run\""))
        .count();
    assert_eq!(sum, listed, "{r}");
    assert!(
        r.stdout.contains(&format!("run (servers) {listed} cases")),
        "{r}"
    );
}

#[test]
fn list_says_what_each_case_checks() {
    let r = wsconform(&["list", "--cases", "0.*,5.1,6.4.1", "--json"]);
    assert_eq!(r.code, 0, "{r}");
    let cases: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let roles: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["role"].as_str().unwrap()).collect();
    // Section 0 has cases for servers (suite as client) and for clients (suite as server).
    assert_eq!(
        roles,
        ["both", "client", "server"].into_iter().collect(),
        "{r}"
    );
    for c in &cases {
        for key in ["id", "title", "sends", "expects"] {
            assert!(!c[key].as_str().unwrap().is_empty(), "{key}: {c}");
        }
        let reqs = c["requirements"].as_array().unwrap();
        assert!(!reqs.is_empty(), "{c}");
        for q in reqs {
            assert!(q["clause"].as_str().unwrap().starts_with("RFC "), "{c}");
            assert!(
                ["MUST", "SHOULD", "MAY", "MUST NOT", "SHOULD NOT"]
                    .contains(&q["level"].as_str().unwrap()),
                "{c}"
            );
            assert!(q["requirement"].as_str().unwrap().len() > 20, "{c}");
        }
    }
    // Text: the title is the last column, so ids, roles and clauses line up whatever its length.
    let r = wsconform(&["list", "--cases", "6.4.1,9.1.1"]);
    assert_eq!(r.code, 0, "{r}");
    let heads: Vec<&str> = r.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(heads.len(), 3, "header and two cases: {r}");
    let col = |l: &str| l.find("RFC ").unwrap_or(usize::MAX);
    assert_eq!(col(heads[1]), col(heads[2]), "{r}");
    assert!(heads[1].starts_with("6.4.1     both   RFC 6455"), "{r}");
    assert!(r.stdout.contains("          sends:    "), "{r}");
    assert!(r.stdout.contains("          expects:  "), "{r}");
}

/// Each `--option` of `HELP` with the heading it is listed under.
fn headings(help: &str) -> Vec<(String, String)> {
    let mut heading = String::new();
    let mut out = Vec::new();
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            heading = line.trim_end_matches(':').to_owned();
        } else if let Some(opt) = line.split_whitespace().find(|w| w.starts_with("--")) {
            if line.starts_with("  -") || line.starts_with("      --") {
                out.push((opt.trim_end_matches(',').to_owned(), heading.clone()));
            }
        }
    }
    out
}

#[test]
fn run_help_puts_every_option_under_its_heading() {
    let r = wsconform(&["run", "--help"]);
    assert_eq!(r.code, 0, "{r}");
    let found = headings(&r.stdout);
    for (opt, heading) in [
        ("--cases", "Selection"),
        ("--case-file", "Selection"),
        ("--all", "Selection"),
        ("--shard", "Selection"),
        ("--jobs", "Connection"),
        ("--header", "Connection"),
        ("--peer-max-message", "Connection"),
        ("--out", "Output"),
        ("--junit", "Output"),
        ("--quiet", "Output"),
        ("--color", "Output"),
        ("--baseline", "Gating"),
        ("--fail-on", "Gating"),
        ("--ca", "TLS (wss:// URLs)"),
        ("--insecure", "TLS (wss:// URLs)"),
    ] {
        let at = found
            .iter()
            .find(|(o, _)| o == opt)
            .map(|(_, h)| h.as_str());
        assert_eq!(at, Some(heading), "{opt}: {found:?}");
    }
    let tls: Vec<&str> = found
        .iter()
        .filter(|(_, h)| h.starts_with("TLS"))
        .map(|(o, _)| o.as_str())
        .collect();
    assert_eq!(tls, ["--ca", "--insecure"]);
}
