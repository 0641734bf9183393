//! `wsconform proxy` against small proxies written here, one flaw each: exactly the
//! cases of the broken rule fail, and a correct proxy fails none. Plus the bad input
//! of a front that does not forward to --backend.

mod proxy_support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proxy_support::flawed::{start, Flaw};

/// A loopback port free right now, for --backend (the binary binds it): below the
/// ephemeral range, so no outgoing connection of a parallel test takes it meanwhile.
fn free_port() -> SocketAddr {
    proxy_support::free_port()
}

struct Run {
    code: i32,
    failing: BTreeSet<String>,
    stdout: String,
    stderr: String,
}

/// Runs `wsconform proxy` through a proxy with `flaw`; the failing case ids.
fn proxy_run(flaw: Flaw, extra: &[&str]) -> Run {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let backend = free_port();
    let front = rt.block_on(start(flaw, backend));
    let out = proxy_support::proxy_command(front, backend)
        .args(["--format", "json", "--no-report", "-q"])
        .args(extra)
        .output()
        .expect("run wsconform");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let failing = serde_json::from_str::<serde_json::Value>(&stdout)
        .ok()
        .and_then(|v| v["failing"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    Run {
        code: out.status.code().unwrap_or(-1),
        failing,
        stdout,
        stderr,
    }
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The 16 MiB cases take the frame-level proxies a while; one test keeps them.
const SMALL: [&str; 2] = ["--exclude", "19.2.10,19.3.10"];

fn assert_fails(flaw: Flaw, extra: &[&str], want: BTreeSet<String>) {
    let run = proxy_run(flaw, extra);
    assert_eq!(
        run.failing, want,
        "{flaw:?}: failing cases\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let code = if want.is_empty() { 0 } else { 1 };
    assert_eq!(
        run.code, code,
        "{flaw:?}: exit code\nstderr: {}",
        run.stderr
    );
}

#[test]
fn a_correct_proxy_passes_every_default_case_ok() {
    // Everything but OK fails here, 16 MiB both ways included.
    assert_fails(Flaw::None, &["--fail-on", "informational"], BTreeSet::new());
}

#[test]
fn dropping_upgrade_and_connection_fails_the_upgrade_cases_only() {
    assert_fails(
        Flaw::DropsHopByHop,
        &SMALL,
        ids(&["19.1.1", "19.1.2", "19.1.3"]),
    );
}

#[test]
fn forwarding_hop_by_hop_fields_fails_the_hop_by_hop_cases_only() {
    assert_fails(
        Flaw::ForwardsHopByHop,
        &SMALL,
        ids(&["19.1.4", "19.1.5", "19.1.6", "19.1.7"]),
    );
}

#[test]
fn stripping_extensions_from_the_response_fails_the_agreement_case_only() {
    assert_fails(Flaw::StripsResponseExtensions, &SMALL, ids(&["19.1.14"]));
}

#[test]
fn refragmenting_compressed_messages_fails_the_fragmentation_cases_only() {
    // Joining uncompressed fragments is allowed (19.2.8, 19.2.9 stay OK).
    assert_fails(Flaw::Refragments, &SMALL, ids(&["19.4.3", "19.4.4"]));
}

#[test]
fn rewriting_close_codes_fails_the_close_cases_with_other_codes_only() {
    let mut want = BTreeSet::new();
    for side in [5, 6] {
        // Cases 2..=15 carry codes other than 1000; 1 and 17 close with 1000, 16 with none.
        for n in 2..=15 {
            want.insert(format!("19.{side}.{n}"));
        }
    }
    assert_fails(Flaw::RewritesCloseCodes, &SMALL, want);
}

#[test]
fn an_idle_timeout_of_2_s_fails_the_quiet_idle_case_only() {
    let idle = Flaw::IdleTimeout(Duration::from_secs(2));
    assert_fails(idle, &SMALL, BTreeSet::new());
    assert_fails(
        idle,
        &[
            "--cases",
            "19.8.1,19.8.2,19.8.3",
            "--idle-bound",
            "3",
            "--fail-on",
            "non-strict",
        ],
        ids(&["19.8.1"]),
    );
}

#[test]
fn unbounded_buffering_fails_the_backpressure_case_only() {
    let flood = [
        "--cases",
        "19.8.*",
        "--idle-bound",
        "1",
        "--flood-bound",
        "48000000",
    ];
    let strict = ["--fail-on", "non-strict"];
    let args: Vec<&str> = flood.iter().chain(&strict).copied().collect();
    assert_fails(Flaw::Unbounded, &args, ids(&["19.8.4"]));
    assert_fails(Flaw::None, &args, BTreeSet::new());
}

#[test]
fn a_connection_limit_fails_the_concurrency_case_only() {
    let many = [
        "--cases",
        "19.8.5",
        "--connections",
        "40",
        "--fail-on",
        "non-strict",
    ];
    // One connection of the limit goes to the check that the front reaches the backend.
    assert_fails(Flaw::MaxConnections(21), &many, ids(&["19.8.5"]));
    assert_fails(Flaw::None, &many, BTreeSet::new());
}

#[test]
fn a_front_that_does_not_reach_the_backend_is_one_line_and_exit_2() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // A plain HTTP server at the front: it answers every request itself.
    let front = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = l.local_addr().expect("addr");
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        });
        addr
    });
    let backend = free_port();
    let t0 = Instant::now();
    let out = proxy_support::proxy_command(front, backend)
        .arg("--no-report")
        .output()
        .expect("run wsconform");
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for part in [
        "does not forward to --backend",
        &backend.to_string(),
        "404 Not Found",
        "nothing arrived at the backend",
    ] {
        assert!(stderr.contains(part), "{part:?} missing from: {stderr}");
    }
    assert!(out.stdout.is_empty(), "no report on stdout");
}
