//! The suite survives hostile servers: a peer that resets, stalls, floods,
//! answers garbage, announces a 2^63-byte frame, refuses the handshake or dies
//! in the middle of the run fails the cases it affects, and the run still
//! ends, within a bounded wall time, without a panic and with bounded memory.
//!
//! The tests take a lock and run one at a time: they measure wall time and
//! the process's resident memory, which tests running beside them would blur.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::hostile::{start_dying, start_hostile, Hostility, FLOOD_FRAME};
use support::rss;
use ws_cases::model::{Behavior, CloseBehavior, VerdictRule};
use ws_cases::run::WireEvent;
use ws_cases::select::{parse_list, select};
use ws_spec::error::HandshakeError;
use wsconform::error::ProbeProblem;
use wsconform::runner::{probe, run_all, CaseRecord, Probe, RunSettings};
use wsconform::target::Target;
use wsconform::HarnessError;

/// Hard deadline of one case in these tests.
const CASE_TIMEOUT: Duration = Duration::from_secs(3);

/// Wall time a whole run may take: a liveness bound, not a speed goal.
const WALL_BOUND: Duration = Duration::from_secs(20);

/// A spread of cases: echoes of several sizes, pings, RSV and opcode errors,
/// fragmentation with pauses, UTF-8, the closing handshake, auto-fragmentation.
const SELECTION: &str =
    "1.1.1,1.1.6,1.2.8,2.1,2.3,2.10,3.1,3.7,4.1.1,5.1,5.6,5.19,6.1.1,6.4.1,7.1.1,7.1.6,7.3.1,7.5.1,7.9.1,10.1.1";

/// One hostile test at a time (see the module comment).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A loopback address nothing listens on: a port just bound and let go.
async fn closed_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn cases(patterns: &str) -> Vec<ws_cases::Case> {
    let all = ws_cases::all_cases();
    select(&all, &parse_list(patterns).unwrap(), &[])
        .unwrap()
        .into_iter()
        .cloned()
        .collect()
}

/// These tests pin what one play of each case observes and how long it may take;
/// playing failures again alone (tests/confirmation.rs) would replace the first
/// observation, and against a server that dies, by "cannot connect".
fn settings(jobs: usize, case_timeout: Duration) -> RunSettings {
    RunSettings {
        jobs,
        case_timeout,
        confirm: false,
        ..RunSettings::default()
    }
}

/// Runs `patterns` against `addr`; fails the test (instead of hanging) when
/// the run outlives [`WALL_BOUND`]. Returns the records and the wall time.
async fn run_bounded(
    addr: SocketAddr,
    patterns: &str,
    settings: RunSettings,
) -> (Vec<CaseRecord>, Duration) {
    let cases = cases(patterns);
    let n = cases.len();
    let target = Target::parse(&format!("ws://{addr}/")).unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let t0 = Instant::now();
    let records = tokio::time::timeout(WALL_BOUND, run_all(cases, target, settings, |_| {}, rx))
        .await
        .unwrap_or_else(|_| {
            panic!("run against {addr} ({patterns}) still going after {WALL_BOUND:?}")
        });
    let wall = t0.elapsed();
    assert_eq!(records.len(), n, "every selected case has a record");
    (records, wall)
}

/// Samples the resident set every few milliseconds until dropped; `peak()` is
/// the largest sample above the level when sampling started.
struct RssWatch {
    base: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssWatch {
    fn start() -> Self {
        let base = rss();
        let peak = Arc::new(AtomicU64::new(base));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        RssWatch {
            base,
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// Growth of the resident set over the start, at its highest.
    fn growth(&self) -> u64 {
        self.peak
            .load(Ordering::Relaxed)
            .max(rss())
            .saturating_sub(self.base)
    }
}

impl Drop for RssWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const MIB: u64 = 1 << 20;

fn dump(records: &[CaseRecord]) -> String {
    records
        .iter()
        .map(|r| {
            format!(
                "{} {:?}/{:?} {} ms: {}\n",
                r.case.id,
                r.outcome.verdict.behavior,
                r.outcome.verdict.behavior_close,
                r.duration.as_millis(),
                r.outcome.verdict.reason
            )
        })
        .collect()
}

fn v_close(r: &CaseRecord) -> CloseBehavior {
    r.outcome.verdict.behavior_close
}

/// Neither verdict lets the case pass.
fn fails(r: &CaseRecord) -> bool {
    let v = &r.outcome.verdict;
    v.behavior == Behavior::Failed
        || matches!(
            v.behavior_close,
            CloseBehavior::Failed | CloseBehavior::Unclean
        )
}

/// Ended by the hard deadline (`--case-timeout`), as the runner words it.
fn hit_hard_deadline(r: &CaseRecord) -> bool {
    r.outcome
        .observation
        .aborted
        .as_deref()
        .is_some_and(|a| a.contains("case timeout"))
}

/// The case's own expectation accepts a server that drops TCP before anything
/// else happens (Autobahn: "closeCode [1002] or none", clean close not required).
/// Whether the suite closed first is fixed by the script, not by the race
/// between its writes and the reset.
fn accepts_silent_drop(case: &ws_cases::Case) -> bool {
    let e = &case.expect;
    e.outcomes.iter().any(|(_, ev)| ev.is_empty()) && !e.close.require_clean
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_after_handshake_fails_the_cases_it_affects() {
    let _serial = SERIAL.lock().await;
    let addr = start_hostile(Hostility::Reset).await;
    let (records, wall) = run_bounded(addr, SELECTION, settings(4, CASE_TIMEOUT)).await;
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    for r in &records {
        let obs = &r.outcome.observation;
        // A reset ends the case at once: no timer of the suite is needed.
        assert!(!hit_hard_deadline(r), "{}: {log}", r.case.id);
        assert!(r.duration < CASE_TIMEOUT, "{}: {log}", r.case.id);
        assert!(obs.connection_was_open, "{}: {log}", r.case.id);
        assert!(!obs.received_close, "{}: {log}", r.case.id);
        if r.case.expect.rule == VerdictRule::Informational {
            assert_eq!(v_close(r), CloseBehavior::Informational, "{log}");
        } else if accepts_silent_drop(&r.case) {
            // RFC 6455 §7.1.7: a server may fail the connection by dropping TCP,
            // and the case cannot tell whether it saw the bad frame first.
            assert!(!fails(r), "{}: {log}", r.case.id);
        } else {
            assert!(fails(r), "{}: {log}", r.case.id);
            // 6.4.x accept the drop as a close but not the missing pause marker.
            assert!(
                r.outcome.verdict.behavior_close == CloseBehavior::Ok
                    || r.outcome
                        .verdict
                        .reason
                        .contains("dropped the TCP connection"),
                "{}: {log}",
                r.case.id
            );
        }
    }
    assert!(records.iter().filter(|r| fails(r)).count() >= 12, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_after_handshake_ends_each_case_by_its_timers() {
    let _serial = SERIAL.lock().await;
    let addr = start_hostile(Hostility::Stall).await;
    // Against a silent peer the timers end cases at about 1, 2 or 3 s (ending
    // timer, then 1 s of closing handshake); a deadline between two of them
    // makes which one ends each case certain.
    let deadline = Duration::from_millis(2500);
    let (records, wall) = run_bounded(addr, SELECTION, settings(20, deadline)).await;
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    let mut by_timer = 0;
    let mut by_deadline = 0;
    for r in &records {
        let v = &r.outcome.verdict;
        // The peer never closes, so the suite always drops TCP: never a clean OK close.
        assert_ne!(v.behavior_close, CloseBehavior::Ok, "{}: {log}", r.case.id);
        assert!(r.outcome.observation.dropped_by_me, "{}: {log}", r.case.id);
        // "timed out" is said exactly when the hard deadline ended the case.
        let says_timed_out = v.reason.contains("timed out") || v.result.contains("timed out");
        assert_eq!(says_timed_out, hit_hard_deadline(r), "{}: {log}", r.case.id);
        if hit_hard_deadline(r) {
            assert_eq!(v.behavior, Behavior::Failed, "{}: {log}", r.case.id);
            assert!(r.duration >= deadline, "{}: {log}", r.case.id);
            by_deadline += 1;
        } else {
            // Ended by the case's own kill/close timer, then the close-handshake timer.
            let timers_fired = r.outcome.wirelog.iter().any(|e| {
                matches!(e, WireEvent::TimerFired { kind, .. } if *kind == "KLE" || *kind == "TIE")
            });
            assert!(
                timers_fired || r.outcome.observation.was_close_handshake_timeout,
                "{}: {log}",
                r.case.id
            );
            assert!(r.duration < deadline, "{}: {log}", r.case.id);
            by_timer += 1;
        }
    }
    // 10.1.1 waits 10 s for its echo, so only the hard deadline can end it here.
    assert!(by_timer >= 10 && by_deadline >= 1, "{log}");
    let r10 = records.iter().find(|r| r.case.id == "10.1.1").unwrap();
    assert!(hit_hard_deadline(r10), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_fails_by_the_opening_handshake_timer() {
    let _serial = SERIAL.lock().await;
    let addr = start_hostile(Hostility::Mute).await;
    // A case timeout above the 5 s opening-handshake timer lets that timer decide.
    let (records, _) = run_bounded(
        addr,
        "1.1.1,2.1,3.1,7.1.1",
        settings(4, Duration::from_secs(8)),
    )
    .await;
    let log = dump(&records);
    for r in &records {
        let obs = &r.outcome.observation;
        assert!(obs.was_open_handshake_timeout, "{}: {log}", r.case.id);
        assert!(!obs.connection_was_open, "{}: {log}", r.case.id);
        assert_eq!(
            r.outcome.verdict.behavior_close,
            CloseBehavior::Failed,
            "{log}"
        );
        assert!(!r.outcome.verdict.reason.contains("timed out"), "{log}");
        assert!(r.duration < Duration::from_secs(7), "{log}");
    }
    // With a shorter case timeout, the hard deadline comes first and says so.
    let (records, _) = run_bounded(addr, "1.1.1,2.1", settings(4, Duration::from_secs(1))).await;
    let log = dump(&records);
    for r in &records {
        assert!(hit_hard_deadline(r), "{log}");
        assert_eq!(r.outcome.verdict.behavior, Behavior::Failed, "{log}");
        assert!(r.outcome.verdict.reason.contains("timed out"), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_of_messages_keeps_memory_bounded() {
    let _serial = SERIAL.lock().await;
    // 512 MiB per connection is far more than the suite may keep.
    let cap = 512 * MIB;
    let addr = start_hostile(Hostility::FloodMessages { cap }).await;
    let watch = RssWatch::start();
    let (records, wall) = run_bounded(addr, "1.1.1,2.1,7.1.1", settings(3, CASE_TIMEOUT)).await;
    let growth = watch.growth();
    drop(watch);
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    for r in &records {
        assert!(fails(r), "{}: {log}", r.case.id);
        assert!(!hit_hard_deadline(r), "{}: {log}", r.case.id);
    }
    let received: usize = records
        .iter()
        .map(|r| r.outcome.observation.received.len())
        .sum();
    let flooded: u64 = records
        .iter()
        .flat_map(|r| r.outcome.rx_octet_stats.iter())
        .map(|(size, count)| *size as u64 * count)
        .sum();
    assert!(
        flooded > 64 * MIB,
        "the peer did flood: {flooded} bytes read\n{log}"
    );
    // Each message is small; a flood of many must not be kept whole.
    assert!(
        growth < 256 * MIB,
        "resident memory grew by {} MiB while {} MiB were flooded; {received} messages of {} KiB were recorded\n{log}",
        growth / MIB,
        flooded / MIB,
        FLOOD_FRAME / 1024,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_fragmented_message_fails_with_1009() {
    let _serial = SERIAL.lock().await;
    let addr = start_hostile(Hostility::FloodFragments { cap: 256 * MIB }).await;
    let watch = RssWatch::start();
    let settings = RunSettings {
        max_message: 4 * MIB,
        ..settings(4, CASE_TIMEOUT)
    };
    let (records, wall) = run_bounded(addr, "1.1.1,2.1,5.6,7.1.1", settings).await;
    let growth = watch.growth();
    drop(watch);
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    for r in &records {
        let obs = &r.outcome.observation;
        // RFC 6455 §7.4.1: 1009, a message too big to process.
        assert_eq!(obs.local_close_code, Some(1009), "{}: {log}", r.case.id);
        assert!(
            obs.peer_violation
                .as_deref()
                .is_some_and(|v| v.contains("exceeds")),
            "{}: {log}",
            r.case.id
        );
        assert!(fails(r), "{}: {log}", r.case.id);
    }
    assert!(growth < 128 * MIB, "grew by {} MiB\n{log}", growth / MIB);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_2_pow_63_length_fails_fast_without_allocating() {
    let _serial = SERIAL.lock().await;
    for (hostility, code, why) in [
        (Hostility::HugeLength, 1009, "exceeds the limit"),
        (Hostility::TopBitLength, 1002, "most significant bit"),
    ] {
        let addr = start_hostile(hostility).await;
        let watch = RssWatch::start();
        let (records, wall) =
            run_bounded(addr, "1.1.1,1.2.8,2.1,7.1.1", settings(4, CASE_TIMEOUT)).await;
        let growth = watch.growth();
        drop(watch);
        let log = dump(&records);
        assert!(wall < Duration::from_secs(5), "{hostility:?}: {log}");
        for r in &records {
            let obs = &r.outcome.observation;
            // RFC 6455 §5.2 (64-bit length, top bit 0) and §7.4.1 (1009).
            assert_eq!(
                obs.local_close_code,
                Some(code),
                "{hostility:?} {}: {log}",
                r.case.id
            );
            assert!(
                obs.peer_violation
                    .as_deref()
                    .is_some_and(|v| v.contains(why)),
                "{hostility:?} {}: {log}",
                r.case.id
            );
            assert!(fails(r), "{hostility:?} {}: {log}", r.case.id);
            assert!(!hit_hard_deadline(r), "{hostility:?} {}: {log}", r.case.id);
        }
        assert!(
            growth < 64 * MIB,
            "{hostility:?}: grew by {} MiB",
            growth / MIB
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_handshake_answers_fail_every_case_and_the_probe() {
    let _serial = SERIAL.lock().await;
    for (hostility, why) in [
        (Hostility::Garbage, "invalid opening handshake response"),
        (
            Hostility::EndlessHeaders,
            "invalid opening handshake response",
        ),
        (Hostility::Http200, "opening handshake failed"),
        (Hostility::WrongAccept, "opening handshake invalid"),
    ] {
        let addr = start_hostile(hostility).await;
        let (records, wall) = run_bounded(addr, SELECTION, settings(4, CASE_TIMEOUT)).await;
        let log = dump(&records);
        assert!(wall < Duration::from_secs(5), "{hostility:?}: {log}");
        for r in &records {
            let obs = &r.outcome.observation;
            assert!(!obs.connection_was_open, "{hostility:?}: {log}");
            if r.case.expect.rule == VerdictRule::Informational {
                // Autobahn's 7.1.6 and 7.13.x overwrite both verdicts with
                // INFORMATIONAL, even when the connection never opened; kept as is.
                assert_eq!(
                    r.outcome.verdict.behavior_close,
                    CloseBehavior::Informational
                );
                continue;
            }
            // A case that never got a WebSocket connection has shown nothing to pass
            // (5.1 expects no events, and used to come out OK on an empty list).
            assert_eq!(
                r.outcome.verdict.behavior,
                Behavior::Failed,
                "{hostility:?} {}: {log}",
                r.case.id
            );
            // RFC 6455 §4.1: the client must fail the connection on a bad response.
            assert_eq!(
                r.outcome.verdict.behavior_close,
                CloseBehavior::Failed,
                "{log}"
            );
            assert!(
                r.outcome.verdict.reason.contains(why),
                "{hostility:?} {}: {log}",
                r.case.id
            );
            assert!(!hit_hard_deadline(r), "{hostility:?}: {log}");
        }
        let target = Target::parse(&format!("ws://{addr}/")).unwrap();
        // A non-101 answer is no WebSocket endpoint; a 101 that breaks RFC 6455 §4.1
        // is one with a finding, which the run reports case by case.
        match (hostility, probe(&target, &RunSettings::default()).await) {
            (
                Hostility::WrongAccept,
                Ok(Probe::BrokenHandshake(HandshakeError::WrongAccept { .. })),
            ) => {}
            (
                Hostility::Http200,
                Err(HarnessError::NotWebSocket {
                    problem: ProbeProblem::Status { status: 200, .. },
                    ..
                }),
            ) => {}
            (
                Hostility::Garbage | Hostility::EndlessHeaders,
                Err(HarnessError::NotWebSocket {
                    problem: ProbeProblem::NotHttp(_),
                    ..
                }),
            ) => {}
            (_, other) => panic!("{hostility:?}: probe gave {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_of_a_closed_port_is_a_connect_error() {
    let _serial = SERIAL.lock().await;
    let addr = closed_port().await;
    let target = Target::parse(&format!("ws://{addr}/")).unwrap();
    match probe(&target, &RunSettings::default()).await {
        Err(HarnessError::Connect { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("probe gave {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dying_mid_run_fails_the_rest_and_the_run_completes() {
    let _serial = SERIAL.lock().await;
    let (addr, accepted) = start_dying(6).await;
    let patterns = "1.1.*,1.2.*,2.*";
    let (records, wall) = run_bounded(addr, patterns, settings(2, CASE_TIMEOUT)).await;
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    assert_eq!(accepted.load(Ordering::SeqCst), 6);
    // Every case whose connection never opened failed at once: refused; reset
    // when its connection sat in the dying listener's backlog (the kernel had
    // completed the TCP handshake, so the reset comes after connect); or the
    // sixth connection, accepted and then dropped unanswered.
    let unreached: Vec<_> = records
        .iter()
        .filter(|r| !r.outcome.observation.connection_was_open)
        .collect();
    assert!(unreached.len() >= records.len() - 6, "{log}");
    for r in &unreached {
        let reason = &r.outcome.verdict.reason;
        assert!(
            reason.contains("cannot connect") || reason.contains("dropped the TCP connection"),
            "{log}"
        );
    }
    let refused = unreached
        .iter()
        .filter(|r| r.outcome.verdict.reason.contains("Connection refused"))
        .count();
    assert!(refused + 3 >= unreached.len(), "{log}");
    for r in &unreached {
        assert!(!r.outcome.observation.connection_was_open, "{log}");
        assert_eq!(r.outcome.verdict.behavior, Behavior::Failed, "{log}");
        assert_eq!(v_close(r), CloseBehavior::Failed, "{log}");
        assert!(r.duration < Duration::from_secs(1), "{log}");
    }
    // Of the six connections, at most `jobs` were open when the server died:
    // the others ran whole against a correct server and pass.
    let passed = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::Ok && v_close(r) == CloseBehavior::Ok)
        .count();
    assert!((4..=6).contains(&passed), "{log}");
}

/// A refused connection is not a timeout, and its reason must not say so:
/// "timed out" is kept for the hard deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_not_reported_as_a_timeout() {
    let _serial = SERIAL.lock().await;
    let addr = closed_port().await;
    let (records, _) = run_bounded(addr, "1.1.1,2.1", settings(2, CASE_TIMEOUT)).await;
    let log = dump(&records);
    for r in &records {
        assert_eq!(r.outcome.verdict.behavior, Behavior::Failed, "{log}");
        assert!(r.outcome.verdict.reason.contains("refused"), "{log}");
        assert!(!r.outcome.verdict.reason.contains("timed out"), "{log}");
        assert!(!r.outcome.verdict.result.contains("timed out"), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_without_reading_while_the_suite_writes_megabytes() {
    let _serial = SERIAL.lock().await;
    let addr = start_hostile(Hostility::StallNoRead).await;
    // 9.1.6 and 9.2.6 write 16 MiB, more than loopback socket buffers hold.
    let (records, wall) = run_bounded(addr, "1.1.1,9.1.6,9.2.6", settings(4, CASE_TIMEOUT)).await;
    let log = dump(&records);
    assert!(wall < WALL_BOUND, "{log}");
    for r in &records {
        assert!(fails(r), "{}: {log}", r.case.id);
        assert!(
            r.duration < CASE_TIMEOUT + Duration::from_secs(2),
            "{}: {log}",
            r.case.id
        );
    }
}
