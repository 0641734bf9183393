//! Sections 15 (limits) and 16 (closing handshake timing and order) can fail:
//! servers and clients that break one rule each fail exactly the cases that
//! check it, and the figures the informational cases report are the ones the
//! peers produced.

mod serve_support;
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{start, Flaws};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_cases::model::{Behavior, CloseBehavior};
use ws_cases::run::Role;
use ws_cases::select::{parse_list, select};
use ws_reports::{Behavior as RB, CloseBehavior as RC};
use ws_spec::endpoint::{Endpoint, EndpointConfig, State};
use ws_spec::handshake;
use wsconform::runner::{run_all, CaseRecord, RunSettings};
use wsconform::serve::ServeSettings;
use wsconform::target::Target;

/// Runs the client-role cases matching `patterns` against `addr`.
async fn run_with(addr: SocketAddr, patterns: &str, settings: RunSettings) -> Vec<CaseRecord> {
    let all = ws_cases::cases_for(Role::Client);
    let cases: Vec<_> = select(&all, &parse_list(patterns).unwrap(), &[])
        .unwrap()
        .into_iter()
        .cloned()
        .collect();
    let target = Target::parse(&format!("ws://{addr}/")).unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    run_all(cases, target, settings, |_| {}, rx).await
}

async fn run(addr: SocketAddr, patterns: &str) -> Vec<CaseRecord> {
    let settings = RunSettings {
        jobs: 8,
        case_timeout: Duration::from_secs(60),
        ..RunSettings::default()
    };
    run_with(addr, patterns, settings).await
}

/// Case id -> (behavior, close behavior, result sentence).
fn verdicts(records: &[CaseRecord]) -> BTreeMap<String, (Behavior, CloseBehavior, String)> {
    records
        .iter()
        .map(|r| {
            let v = &r.outcome.verdict;
            (
                r.case.id.clone(),
                (v.behavior, v.behavior_close, v.result.clone()),
            )
        })
        .collect()
}

fn get<'a>(
    v: &'a BTreeMap<String, (Behavior, CloseBehavior, String)>,
    id: &str,
) -> &'a (Behavior, CloseBehavior, String) {
    v.get(id).unwrap_or_else(|| panic!("{id} not run: {v:#?}"))
}

const CLOSING_AS_CLIENT: &str = "16.1.*";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_server_passes_section_16_1() {
    let addr = start(Flaws::default()).await;
    let v = verdicts(&run(addr, CLOSING_AS_CLIENT).await);
    for id in ["16.1.1", "16.1.2", "16.1.3"] {
        let (b, c, why) = get(&v, id);
        assert_eq!((*b, *c), (Behavior::Ok, CloseBehavior::Ok), "{id}: {why}");
    }
    let (b, _, why) = get(&v, "16.1.4");
    assert_eq!(*b, Behavior::Informational, "{why}");
    assert!(why.contains("close 1002"), "{why}");
}

/// RFC 6455 §7.1.1: a server that waits for the client to close TCP first is
/// NON-STRICT in 16.1.1, and 16.1.4 reports how long it waited (its linger).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_7_1_1_server_lingering_after_close_is_non_strict() {
    let addr = start(Flaws {
        linger_after_close: Some(Duration::from_secs(3)),
        ..Flaws::default()
    })
    .await;
    let records = run(addr, CLOSING_AS_CLIENT).await;
    let v = verdicts(&records);
    let (b, c, why) = get(&v, "16.1.1");
    assert_eq!(
        (*b, *c),
        (Behavior::NonStrict, CloseBehavior::FailedByClient),
        "{why}"
    );
    assert!(why.contains("2000 ms"), "{why}");
    // 16.1.4: the server failed the connection and gave the suite 3 s to answer.
    let r = records.iter().find(|r| r.case.id == "16.1.4").unwrap();
    let obs = &r.outcome.observation;
    let waited = obs.peer_dropped_ms.unwrap() - obs.peer_close_ms.unwrap();
    assert!((2900..4000).contains(&waited), "waited {waited} ms");
    assert_eq!(r.outcome.verdict.behavior, Behavior::Informational);
    assert!(
        r.outcome.verdict.result.contains(&format!("{waited} ms")),
        "{}",
        r.outcome.verdict.result
    );
    for id in ["16.1.2", "16.1.3"] {
        let (b, _, why) = get(&v, id);
        assert_eq!(*b, Behavior::Ok, "{id}: {why}");
    }
}

/// RFC 6455 §5.5.1: data frames that follow the client's close must not be echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_5_5_1_echo_after_close_fails_16_1_2() {
    let addr = start(Flaws {
        echo_after_close: true,
        ..Flaws::default()
    })
    .await;
    let v = verdicts(&run(addr, "16.1.2").await);
    let (b, _, why) = get(&v, "16.1.2");
    assert_eq!(*b, Behavior::Failed, "{why}");
}

/// RFC 6455 §5.5.1: a close frame followed by end-of-stream is still a close to answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_5_5_1_silence_on_half_close_fails_16_1_3_only() {
    let addr = start(Flaws {
        silent_on_half_close: true,
        ..Flaws::default()
    })
    .await;
    let v = verdicts(&run(addr, CLOSING_AS_CLIENT).await);
    let (b, c, why) = get(&v, "16.1.3");
    assert_eq!(
        (*b, *c),
        (Behavior::Failed, CloseBehavior::Unclean),
        "{why}"
    );
    assert!(why.contains("sent no close frame"), "{why}");
    for id in ["16.1.1", "16.1.2"] {
        let (b, c, why) = get(&v, id);
        assert_eq!((*b, *c), (Behavior::Ok, CloseBehavior::Ok), "{id}: {why}");
    }
}

/// RFC 6455 §5.2: a server that ignores a reserved opcode never fails the
/// connection, so 16.1.4 has nothing to measure and FAILS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_5_2_ignoring_reserved_opcodes_fails_16_1_4() {
    let addr = start(Flaws {
        ignore_reserved_opcodes: true,
        ..Flaws::default()
    })
    .await;
    let v = verdicts(&run(addr, "16.1.4").await);
    let (b, _, why) = get(&v, "16.1.4");
    assert_eq!(*b, Behavior::Failed, "{why}");
}

// ---- suite as server (16.2, 16.3) ------------------------------------------------

/// What a test client does once the closing handshake is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaving {
    /// Waits up to this long for the server to close TCP, then closes it.
    WaitsFor(Duration),
    /// Closes TCP as soon as it answered the close.
    AtOnce,
    /// Never answers the server's close; leaves when the server closes TCP.
    NeverAnswers,
}

/// A client on the reference endpoint that echoes and leaves as `leaving` says.
async fn endpoint_client(addr: SocketAddr, n: usize, agent: &str, leaving: Leaving) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    let key = handshake::random_key(n as u64);
    let target = format!("/runCase?case={n}&agent={agent}");
    let request = handshake::RequestBuilder::new(&addr.to_string(), &target, &key).encode();
    if s.write_all(&request).await.is_err() {
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    let mut data = loop {
        match s.read(&mut buf).await {
            Ok(k) if k > 0 => head.extend_from_slice(&buf[..k]),
            _ => return,
        }
        if let Ok(Some((_, used))) = handshake::parse_response(&head, 64 * 1024) {
            break head.split_off(used);
        }
    };
    let mut ep = Endpoint::new(EndpointConfig::echo_client(n as u64));
    let t0 = Instant::now();
    loop {
        if !data.is_empty() {
            ep.receive(&data, t0.elapsed().as_millis() as u64);
        }
        while ep.poll_event().is_some() {}
        let out = ep.take_output();
        let silent = leaving == Leaving::NeverAnswers && ep.state() != State::Open;
        if !out.is_empty() && !silent && s.write_all(&out).await.is_err() {
            return;
        }
        if ep.handshake_completed() {
            match leaving {
                Leaving::AtOnce => return,
                Leaving::WaitsFor(d) => {
                    let _ = tokio::time::timeout(d, async {
                        while matches!(s.read(&mut buf).await, Ok(k) if k > 0) {}
                    })
                    .await;
                    return;
                }
                Leaving::NeverAnswers => {}
            }
        }
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await {
            Ok(Ok(k)) if k > 0 => data = buf[..k].to_vec(),
            _ => return,
        }
    }
}

/// Plays every offered case with the client, one after the other; returns the
/// verdicts the server recorded.
async fn serve_run(patterns: &str, leaving: Leaving) -> BTreeMap<String, (RB, RC, String)> {
    let offered = serve_support::cases(patterns);
    let srv = serve_support::start(offered.clone(), ServeSettings::default()).await;
    for n in 1..=offered.len() {
        endpoint_client(srv.addr, n, "t", leaving).await;
    }
    // A case is recorded as its connection ends on the server's side.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = srv.server.report("t").expect("a report");
    srv.server.stop();
    report
        .results
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                (c.behavior, c.behavior_close, c.result.clone()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_waiting_for_the_server_passes_16_2() {
    let v = serve_run(
        "16.2.1,16.2.9,16.2.13",
        Leaving::WaitsFor(Duration::from_secs(5)),
    )
    .await;
    assert_eq!(v.len(), 3);
    for (id, (b, c, why)) in &v {
        assert_eq!((*b, *c), (RB::Ok, RC::Ok), "{id}: {why}");
    }
}

/// RFC 6455 §7.1.1: a client SHOULD wait for the server to close TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_7_1_1_client_closing_tcp_first_is_non_strict_in_16_2() {
    let v = serve_run("16.2.1,16.2.10", Leaving::AtOnce).await;
    assert_eq!(v.len(), 2);
    for (id, (b, c, why)) in &v {
        assert_eq!((*b, *c), (RB::NonStrict, RC::FailedByClient), "{id}: {why}");
    }
}

/// RFC 6455 §5.5.1: a close MUST be answered with a close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_5_5_1_client_never_answering_close_fails_16_2() {
    let v = serve_run("16.2.2", Leaving::NeverAnswers).await;
    let (b, _, why) = &v["16.2.2"];
    assert_eq!(*b, RB::Failed, "{why}");
    assert!(why.contains("sent no close frame"), "{why}");
}

/// 16.3.1 reports after how long the client gave up on a server that kept TCP open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_leaving_after_2_s_is_reported_in_16_3_1() {
    let v = serve_run("16.3.1", Leaving::WaitsFor(Duration::from_secs(2))).await;
    let (b, c, why) = &v["16.3.1"];
    assert_eq!((*b, *c), (RB::Informational, RC::Informational), "{why}");
    let ms: u64 = why
        .split("closed TCP ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {why:?}"));
    assert!((1900..3000).contains(&ms), "{why}");
}
