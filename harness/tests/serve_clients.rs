//! `wsconform serve`: real and deliberately broken clients against the fuzzing server,
//! driven through Autobahn's fuzzingserver protocol.

mod serve_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serve_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_reports::{Behavior, CloseBehavior, FailOn, RunReport};
use wsconform::serve::ServeSettings;

fn settings(out: Option<std::path::PathBuf>) -> ServeSettings {
    ServeSettings {
        out,
        ..ServeSettings::default()
    }
}

fn verdicts(report: &RunReport) -> BTreeMap<String, (Behavior, CloseBehavior)> {
    report
        .results
        .iter()
        .map(|c| (c.id.clone(), (c.behavior, c.behavior_close)))
        .collect()
}

/// Checks that `agent`'s report has a verdict for each of the `offered` cases, that
/// exactly the cases in `want` FAILED, and that every other case is OK/OK.
fn assert_fails_exactly(report: &RunReport, offered: usize, want: &[&str], agent: &str) {
    let got = verdicts(report);
    assert_eq!(got.len(), offered, "{agent}");
    let failed: Vec<&str> = got
        .iter()
        .filter(|(_, (b, _))| *b == Behavior::Failed)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(failed, want, "{agent}: {got:#?}");
    for (id, v) in &got {
        if !want.contains(&id.as_str()) {
            assert_eq!(*v, (Behavior::Ok, CloseBehavior::Ok), "{agent} {id}");
        }
    }
}

/// The usual Autobahn client loop on tokio-tungstenite: every case of sections 1-7, 10
/// and 14 (and the smaller 9.x) gets a verdict in the report /updateReports writes, and
/// none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tungstenite_client_passes_and_update_reports_writes_every_case() {
    let out = scratch("tungstenite");
    let offered =
        cases("1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.1.1,9.1.2,9.1.3,9.2.1,9.2.2,9.7.1,10.*,14.*");
    let srv = start(offered.clone(), settings(Some(out.clone()))).await;
    let count = tungstenite_client(&srv.base, "tokio-tungstenite", 8).await;
    assert_eq!(count, offered.len());

    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.agent, "tokio-tungstenite");
    assert_eq!(run.results.len(), offered.len(), "one verdict per case");
    let failing: Vec<String> = ws_reports::failing_cases(run, FailOn::Failed)
        .iter()
        .map(|c| {
            format!(
                "{} {} / {}: {:?}",
                c.id, c.behavior, c.behavior_close, c.reason
            )
        })
        .collect();
    assert!(failing.is_empty(), "tungstenite fails: {failing:#?}");
    for c in &run.results {
        assert!(c.is_server, "{}: the suite played the server", c.id);
        let n = offered.iter().position(|o| o.id == c.id).unwrap() + 1;
        assert_eq!(c.case_index, n, "{}: numbered as the client asked", c.id);
    }
    // RFC 6455 §5.1: the suite as server never masks, and every client frame was masked.
    let detail = std::fs::read_to_string(out.join(
        ws_reports::autobahn_json::case_report_filename(&run.agent, "1.1.1"),
    ))
    .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["isServer"], true);
    let wirelog = detail["wirelog"].as_array().unwrap();
    let tx_masks: Vec<&serde_json::Value> = wirelog
        .iter()
        .filter(|e| e[0] == "TF")
        .map(|e| &e[1][3])
        .collect();
    assert!(!tx_masks.is_empty());
    assert!(tx_masks.iter().all(|m| m.is_null()), "{tx_masks:?}");
    assert!(out.join("index.html").exists());
    srv.server.stop();
    srv.task.await.unwrap();
}

/// Section 9 in full (messages up to 16 MiB, 1000 round trips): tungstenite passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    debug_assertions,
    ignore = "about 30 s in a debug build; runs in release builds (CI), or with --ignored"
)]
async fn tungstenite_client_passes_section_9() {
    let offered = cases("9.*");
    let srv = start(offered.clone(), settings(None)).await;
    // One case at a time, as the 9.x timings are only meaningful alone.
    tungstenite_client(&srv.base, "tokio-tungstenite", 1).await;
    let report = srv.server.report("tokio-tungstenite").unwrap();
    assert_eq!(report.results.len(), offered.len());
    let failing: Vec<&str> = ws_reports::failing_cases(&report, FailOn::Failed)
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
}

/// RFC 6455 §5.1: a client MUST mask its frames. The same raw client passes when it
/// masks and fails every case when it does not: the suite fails the connection with 1002
/// at its first frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmasked_client_frames_fail_rfc6455_5_1() {
    let offered = cases("1.1.1,1.2.1,2.2,2.3");
    let srv = start(offered.clone(), settings(None)).await;
    for n in 1..=offered.len() {
        raw_case(srv.addr, n, "masked", RawFlaws::default()).await;
        let flaws = RawFlaws {
            unmasked: true,
            ..RawFlaws::default()
        };
        raw_case(srv.addr, n, "unmasked", flaws).await;
    }
    let good = srv.server.report("masked").unwrap();
    assert_fails_exactly(&good, offered.len(), &[], "masked client");
    let bad = srv.server.report("unmasked").unwrap();
    assert_eq!(bad.results.len(), offered.len());
    assert_eq!(
        ws_reports::failing_cases(&bad, FailOn::Failed).len(),
        offered.len(),
        "{:#?}",
        verdicts(&bad)
    );
    for c in &bad.results {
        assert_eq!(c.local_close_code, Some(1002), "{}: failed with 1002", c.id);
        assert!(
            c.reason.contains("unmasked frame from a client"),
            "{}: {}",
            c.id,
            c.reason
        );
    }
}

/// RFC 6455 §5.1 as Autobahn judges it: once the suite has failed the connection on an
/// unmasked frame, that frame is not a message the client echoed, so `behavior` is
/// FAILED (not only the close).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmasked_echo_is_not_a_message_rfc6455_5_1() {
    let offered = cases("1.1.1,1.1.2,2.2");
    let srv = start(offered.clone(), settings(None)).await;
    let flaws = RawFlaws {
        unmasked: true,
        ..RawFlaws::default()
    };
    for n in 1..=offered.len() {
        raw_case(srv.addr, n, "unmasked", flaws).await;
    }
    for (id, (b, _)) in verdicts(&srv.server.report("unmasked").unwrap()) {
        assert_eq!(b, Behavior::Failed, "{id}");
    }
}

/// A client that never echoes fails the echo cases and nothing else: it answers pings
/// (RFC 6455 §5.5.2) and closes properly (§5.5.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_that_never_echoes_fails_the_echo_cases_only() {
    let offered = cases("1.1.1,1.1.2,1.1.3,1.1.4,1.1.5,2.1,2.2,2.3,2.4");
    let srv = start(offered.clone(), settings(None)).await;
    let flaws = RawFlaws {
        no_echo: true,
        ..RawFlaws::default()
    };
    let mut set = tokio::task::JoinSet::new();
    for n in 1..=offered.len() {
        let addr = srv.addr;
        set.spawn(async move { raw_case(addr, n, "mute", flaws).await });
    }
    while set.join_next().await.is_some() {}
    let got = verdicts(&srv.server.report("mute").unwrap());
    assert_eq!(got.len(), offered.len());
    for (id, v) in &got {
        if id.starts_with("1.1.") {
            // Nothing echoed; the kill timer closes with 1001 (as Autobahn's killAfter
            // does), which the client echoes where 1000 was due.
            assert_eq!(*v, (Behavior::Failed, CloseBehavior::WrongCode), "{id}");
        } else {
            assert_eq!(*v, (Behavior::Ok, CloseBehavior::Ok), "{id}");
        }
    }
}

/// Control paths answer as Autobahn's fuzzingserver does; unknown paths get HTTP 404 and
/// bad parameters HTTP 400; /stopServer ends the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_paths_answer_like_autobahn() {
    let offered = cases("1.1.1,1.1.2,2.*");
    let out = scratch("control");
    let srv = start(offered.clone(), settings(Some(out.clone()))).await;
    let base = &srv.base;

    assert_eq!(case_count(base).await, offered.len());
    let info = control(base, "/getCaseInfo?case=2").await.unwrap();
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["id"], "1.1.2");
    assert_eq!(info["description"], offered[1].description);

    // getCaseStatus waits for the case to finish, then answers its behavior.
    let status = tokio::spawn({
        let base = base.clone();
        async move { control(&base, "/getCaseStatus?case=1&agent=a%20b").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!status.is_finished(), "no result yet: the status waits");
    tungstenite_case(base, 1, "a%20b").await;
    let status = tokio::time::timeout(Duration::from_secs(5), status)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(status, r#"{"behavior":"OK"}"#);

    // casetuple names the case by id.
    tungstenite_case(base, 0, "x").await; // case=0 is refused: no result
    let url = format!("{base}/runCase?casetuple=2.2&agent=a%20b");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    while let Some(Ok(m)) = ws.next().await {
        if m.is_text() || m.is_binary() {
            let _ = ws.send(m).await;
        }
    }
    let report = srv.server.report("a b").unwrap();
    let ids: Vec<&str> = report.results.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["1.1.1", "2.2"]);
    assert!(srv.server.report("x").is_none());

    for (path, status) in [
        ("/", "404"),
        ("/nothing?case=1", "404"),
        ("/runCase?case=99&agent=a", "400"),
        ("/runCase?case=1", "400"),
        ("/getCaseStatus?agent=a", "400"),
    ] {
        let head = raw_http(srv.addr, path).await;
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status} ")),
            "{path}: {head}"
        );
    }

    control(base, "/updateReports?agent=a%20b").await;
    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].agent, "a b");
    assert_eq!(runs[0].results.len(), 2);

    control(base, "/stopServer").await;
    tokio::time::timeout(Duration::from_secs(5), srv.task)
        .await
        .expect("/stopServer ends the server")
        .unwrap();
    assert!(
        TcpStream::connect(srv.addr).await.is_err(),
        "no longer listening"
    );
}

/// A WebSocket upgrade request for `path`; returns the response head.
async fn raw_http(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let key = ws_spec::handshake::random_key(1);
    let req = ws_spec::handshake::RequestBuilder::new(&addr.to_string(), path, &key).encode();
    s.write_all(&req).await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut got)).await;
    String::from_utf8_lossy(&got).into_owned()
}

/// Several clients at once: one stalls in its case (never reads, never writes) and the
/// others finish meanwhile; the stalled case ends on its own timers, FAILED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_holds_up_only_its_own_case() {
    let offered = cases("1.1.*,1.2.*");
    let srv = start(
        offered.clone(),
        ServeSettings {
            case_timeout: Duration::from_secs(4),
            ..ServeSettings::default()
        },
    )
    .await;
    // The stalled client: sends its request, then nothing, and keeps the socket open.
    let mut stalled = TcpStream::connect(srv.addr).await.unwrap();
    let key = ws_spec::handshake::random_key(9);
    let req = ws_spec::handshake::RequestBuilder::new("x", "/runCase?case=1&agent=stalled", &key)
        .encode();
    stalled.write_all(&req).await.unwrap();

    let t0 = Instant::now();
    let base = srv.base.clone();
    let quick = tokio::spawn(async move {
        for n in 1..=offered.len() {
            tungstenite_case(&base, n, "quick").await;
        }
    });
    quick.await.unwrap();
    let quick_done = t0.elapsed();
    assert!(
        srv.server.report("stalled").is_none(),
        "the stalled case was still open when the others finished ({quick_done:?})"
    );
    let quick_report = srv.server.report("quick").unwrap();
    assert_eq!(quick_report.results.len(), 16);
    assert!(ws_reports::failing_cases(&quick_report, FailOn::Failed).is_empty());

    let status = tokio::time::timeout(
        Duration::from_secs(10),
        control(&srv.base, "/getCaseStatus?case=1&agent=stalled"),
    )
    .await
    .expect("the stalled case ends within its deadline");
    assert_eq!(status.as_deref(), Some(r#"{"behavior":"FAILED"}"#));
    drop(stalled);
}

/// The binary: `serve` prints its address, stops on
/// `/updateReports?shutdownOnComplete=true`, writes the report and exits 1 when a case
/// FAILED (here: a client that never echoes).
#[test]
fn serve_binary_reports_and_exits_by_verdict() {
    use std::io::BufRead;
    let out = scratch("binary");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cases",
            "1.1.1,2.2",
            "-o",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr: std::net::SocketAddr = first
        .split("ws://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .parse()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let base = format!("ws://{addr}");
        assert_eq!(case_count(&base).await, 2);
        let mute = RawFlaws {
            no_echo: true,
            ..RawFlaws::default()
        };
        raw_case(addr, 1, "mute", mute).await;
        raw_case(addr, 2, "mute", mute).await;
        control(&base, "/updateReports?agent=mute&shutdownOnComplete=true").await;
    });
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let stdout = rest.join("\n");
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("mute: case 1.1.1 (1/2) FAILED / WRONG CODE"),
        "{stdout}"
    );
    assert!(stdout.contains("mute: case 2.2 (2/2) OK / OK"), "{stdout}");
    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    assert_eq!(runs[0].results.len(), 2);
}

/// Section 0's client-side cases (RFC 6455 §4.1): a raw client that checks the whole
/// response passes them all; one that skips one check fails exactly the cases that
/// break that check; one that loses the bytes behind the response fails 0.5.5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_handshake_cases_catch_each_skipped_check_rfc6455_4_1() {
    let offered = cases("0.*");
    assert!(
        offered
            .iter()
            .all(|c| c.id.starts_with("0.5.") || c.id.starts_with("0.6.")),
        "only the client-side handshake cases play with the suite as server"
    );
    let srv = start(offered.clone(), settings(None)).await;
    let plans: [(&str, RawFlaws, &[&str]); 8] = [
        ("strict", RawFlaws::default(), &[]),
        (
            "no-status-check",
            RawFlaws::skipping(ResponseCheck::Status),
            &["0.6.3", "0.6.4"],
        ),
        (
            "no-accept-check",
            RawFlaws::skipping(ResponseCheck::Accept),
            &["0.6.1", "0.6.2"],
        ),
        (
            "no-upgrade-check",
            RawFlaws::skipping(ResponseCheck::Upgrade),
            &["0.6.5", "0.6.6"],
        ),
        (
            "no-connection-check",
            RawFlaws::skipping(ResponseCheck::Connection),
            &["0.6.7", "0.6.8"],
        ),
        (
            "no-protocol-check",
            RawFlaws::skipping(ResponseCheck::Protocol),
            &["0.6.9"],
        ),
        (
            "no-extension-check",
            RawFlaws::skipping(ResponseCheck::Extensions),
            &["0.6.10", "0.6.11"],
        ),
        (
            "drops-after-response",
            RawFlaws {
                drops_bytes_after_response: true,
                ..RawFlaws::default()
            },
            &["0.5.5"],
        ),
    ];
    let mut set = tokio::task::JoinSet::new();
    for (agent, flaws, _) in plans {
        for n in 1..=offered.len() {
            let addr = srv.addr;
            set.spawn(async move { raw_case(addr, n, agent, flaws).await });
        }
    }
    while set.join_next().await.is_some() {}
    for (agent, _, want) in plans {
        let report = srv.server.report(agent).unwrap();
        assert_fails_exactly(&report, offered.len(), want, agent);
    }
}

/// tokio-tungstenite's client (tungstenite 0.30.0) against section 0's client-side
/// cases. It fails three, for reasons read in its source (src/handshake/client.rs,
/// `VerifyData::verify_response`): it compares the whole Connection value with
/// "Upgrade" instead of looking for the token (so `keep-alive, Upgrade` is refused,
/// 0.5.3), and its check of Sec-WebSocket-Extensions is a `// TODO` (so extensions it
/// never offered are accepted, 0.6.10 and 0.6.11). A tungstenite that fixes either
/// changes this test and the table in docs/results/clients.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tungstenite_client_on_client_handshake_cases() {
    let offered = cases("0.*");
    let srv = start(offered.clone(), settings(None)).await;
    tungstenite_client(&srv.base, "tokio-tungstenite", 4).await;
    let report = srv.server.report("tokio-tungstenite").unwrap();
    let want = ["0.5.3", "0.6.10", "0.6.11"];
    assert_fails_exactly(&report, offered.len(), &want, "tokio-tungstenite");
}

/// A client that asks for its report while its last case is still being played (here:
/// before it echoes 1.1.1's message) finds that case in the report: `/updateReports`
/// waits, a bounded time, for the agent's cases in play. Without the wait the report
/// is written at once and misses 1.1.1 (under load this happened to the usual client
/// loop, whose updateReports can overtake the judging of its last case).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_reports_waits_for_a_case_still_in_play() {
    use futures_util::{SinkExt, StreamExt};
    let out = scratch("late-case");
    let srv = start(cases("1.1.1"), settings(Some(out.clone()))).await;
    let url = format!("{}/runCase?case=1&agent=late", srv.base);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = ws.next().await.unwrap().unwrap();
    let echo = tokio::spawn(async move {
        // Long enough that a report written at once cannot contain the case.
        tokio::time::sleep(Duration::from_millis(500)).await;
        ws.send(first).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    });
    control(&srv.base, "/updateReports?agent=late").await;
    echo.await.unwrap();
    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    let late = runs.iter().find(|r| r.agent == "late");
    let ids: Vec<(&str, Behavior)> = late
        .map(|r| {
            r.results
                .iter()
                .map(|c| (c.id.as_str(), c.behavior))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids, vec![("1.1.1", Behavior::Ok)]);
}
