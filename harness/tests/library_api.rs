//! The library API as a Rust WebSocket library uses it from its own tests, through the
//! public API only (`wsconform::Suite`): third-party servers and a client tested in
//! process over `tokio::io::duplex`, no port, and flawed peers whose failures
//! `assert_conforms` reports case by case with reasons and RFC clauses.

use std::collections::BTreeSet;

use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio_tungstenite::tungstenite::Message;
use wsconform::{Suite, SuiteReport};

/// fastwebsockets behind hyper 1's upgrade, as its echo example runs it.
#[path = "../examples/fastwebsockets_peer/mod.rs"]
mod fastwebsockets_peer;

/// The selection the issue names: framing, pings, fragmentation.
const CASES: &str = "1.*,2.*,5.*";

/// Room for the suite's writes before the peer reads them; any size works.
const PIPE: usize = 64 * 1024;

/// tokio-tungstenite's server, echoing text and binary messages; with `text_closes` it
/// answers a text message by closing instead (a flaw).
async fn tungstenite_server(stream: DuplexStream, text_closes: bool) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.next().await {
        let sent = match msg {
            Message::Text(_) if text_closes => ws.close(None).await,
            Message::Text(_) | Message::Binary(_) => ws.send(msg).await,
            _ => continue,
        };
        if sent.is_err() {
            return;
        }
    }
}

/// tokio-tungstenite's client as an Autobahn client driver runs it: echo every text and
/// binary message until the connection ends; with `echoes` false it only answers pings
/// and closes (a flaw).
async fn tungstenite_client(stream: DuplexStream, echoes: bool) {
    let Ok((mut ws, _)) = tokio_tungstenite::client_async("ws://localhost/", stream).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.next().await {
        if echoes && (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            return;
        }
    }
}

/// The in-process connection `run_server_with` and `run_client_with` take: each call
/// pipes a fresh duplex stream to a new `peer` task and gives the suite the other end.
fn piped<P, F>(peer: P) -> impl Fn() -> std::future::Ready<std::io::Result<DuplexStream>>
where
    P: Fn(DuplexStream) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    move || {
        let (suite_end, peer_end) = tokio::io::duplex(PIPE);
        tokio::spawn(peer(peer_end));
        std::future::ready(Ok(suite_end))
    }
}

/// CASES against `peer` as the server, in process, with the builder's defaults.
async fn against_server<P, F>(peer: P) -> SuiteReport
where
    P: Fn(DuplexStream) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    Suite::new()
        .cases(CASES)
        .run_server_with(piped(peer))
        .await
        .unwrap()
}

/// The peer passed every one of CASES: 16 of section 1, 11 of section 2, 20 of section 5.
fn assert_conforms_on_every_case(report: &SuiteReport) {
    report.assert_conforms();
    assert_eq!(ids(report).len(), 16 + 11 + 20);
}

fn ids(report: &SuiteReport) -> BTreeSet<String> {
    report
        .run_report()
        .results
        .iter()
        .map(|c| c.id.clone())
        .collect()
}

fn failing(report: &SuiteReport) -> BTreeSet<String> {
    report.failures().iter().map(|c| c.id.clone()).collect()
}

/// The panic message of `assert_conforms`.
fn assertion_message(report: &SuiteReport) -> String {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        report.assert_conforms();
    }))
    .expect_err("assert_conforms should panic");
    caught
        .downcast_ref::<String>()
        .cloned()
        .expect("a formatted message")
}

#[tokio::test]
async fn tokio_tungstenite_server_conforms_in_process() {
    let report = Suite::new()
        .cases(CASES)
        .agent("tokio-tungstenite")
        .run_server_with(piped(|end| tungstenite_server(end, false)))
        .await
        .unwrap();
    assert_conforms_on_every_case(&report);
    assert_eq!(report.run_report().agent, "tokio-tungstenite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastwebsockets_server_conforms_in_process() {
    let report = against_server(fastwebsockets_peer::serve_http1).await;
    assert_conforms_on_every_case(&report);
}

#[tokio::test]
async fn tokio_tungstenite_client_conforms_in_process() {
    let report = Suite::new()
        .cases(CASES)
        .run_client_with(piped(|end| tungstenite_client(end, true)))
        .await
        .unwrap();
    assert_conforms_on_every_case(&report);
    assert!(report.run_report().results.iter().all(|c| c.is_server));
}

#[tokio::test]
async fn a_server_that_closes_on_text_fails_exactly_the_text_echoes() {
    let report = against_server(|end| tungstenite_server(end, true)).await;
    assert!(!report.conforms());
    // Every case that sends a text message and needs its echo: 1.1.x (each length),
    // 5.3-5.8 (a fragmented text message, with pings between), 5.19 and 5.20 (five
    // fragments and pings). Not 5.15, where a protocol error follows the message and
    // failing the connection before the echo is allowed.
    let expected: BTreeSet<String> = (1..=8)
        .map(|i| format!("1.1.{i}"))
        .chain((3..=8).map(|i| format!("5.{i}")))
        .chain(["5.19".to_owned(), "5.20".to_owned()])
        .collect();
    assert_eq!(failing(&report), expected);
    let message = assertion_message(&report);
    assert!(
        message.starts_with(&format!(
            "{} of 47 cases failed against in-process server",
            expected.len()
        )),
        "{message}"
    );
    // One line per failing case: id, verdicts, reason, RFC clause.
    let line = message
        .lines()
        .find(|l| l.trim_start().starts_with("1.1.1 "))
        .unwrap_or_else(|| panic!("{message}"));
    let case = report.case("1.1.1").unwrap();
    assert!(line.contains("FAILED"), "{line}");
    assert!(
        line.contains(&case.reason) && !case.reason.is_empty(),
        "{line}"
    );
    assert!(line.contains("[RFC 6455 §"), "{line}");
    assert_eq!(message.lines().count(), 1 + expected.len(), "{message}");
}

#[tokio::test]
async fn a_client_that_never_echoes_fails_the_echo_cases() {
    // A client that never echoes keeps each echo case open until the case's deadline:
    // a short one, and no second run alone, keep the test short.
    let report = Suite::new()
        .cases("1.1.*,2.1")
        .case_timeout(std::time::Duration::from_secs(2))
        .confirm(false)
        .run_client_with(piped(|end| tungstenite_client(end, false)))
        .await
        .unwrap();
    let expected: BTreeSet<String> = (1..=8).map(|i| format!("1.1.{i}")).collect();
    assert_eq!(failing(&report), expected);
    let message = assertion_message(&report);
    assert!(message.contains("in-process client"), "{message}");
    assert_eq!(report.case("2.1").unwrap().behavior.to_string(), "OK");
}

#[tokio::test]
async fn a_selection_that_matches_nothing_is_an_error() {
    let err = Suite::new()
        .cases("99.*")
        .run_server_with(|| async { Ok(tokio::io::duplex(PIPE).0) })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("99.*"), "{err}");
}
