//! The suite is able to fail: each deliberately flawed server breaks one RFC
//! rule, and exactly the cases that check that rule must fail. A correct
//! server written apart from the reference, and a third-party library
//! (tokio-tungstenite), must pass.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use support::play::{assert_each_fails_exactly, failed, flawed, ids, run_cases, OneRuleBroken};
use support::{start, Flaws};
use ws_cases::model::{Behavior, CloseBehavior};
use wsconform::runner::{CaseRecord, RunSettings};

/// Sections 1–7 and 10: everything but the slow performance cases.
const CASES: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*";

async fn run(addr: SocketAddr, patterns: &str) -> Vec<CaseRecord> {
    let settings = RunSettings {
        jobs: 16,
        case_timeout: Duration::from_secs(20),
        ..RunSettings::default()
    };
    run_cases(&format!("ws://{addr}/"), patterns, settings).await
}

/// Plays `patterns` against a server with the flaw `flaw` sets.
async fn run_flawed(flaw: fn(&mut Flaws), patterns: &str) -> Vec<CaseRecord> {
    run(start(flawed(flaw)).await, patterns).await
}

fn bad_close(records: &[CaseRecord]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| {
            !matches!(
                r.outcome.verdict.behavior_close,
                CloseBehavior::Ok | CloseBehavior::Informational
            )
        })
        .map(|r| r.case.id.clone())
        .collect()
}

fn range(prefix: &str, n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_independent_server_passes_everything() {
    let addr = start(Flaws::default()).await;
    let records = run(addr, CASES).await;
    assert_eq!(records.len(), 247);
    assert_eq!(failed(&records), BTreeSet::new());
    assert_eq!(bad_close(&records), BTreeSet::new());
}

/// Section 0 without its slow informational case (0.4.2 waits 3 s on a half request).
const HANDSHAKE: &str = "0.1.*,0.2.*,0.3.*,0.4.1,0.4.3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_server_passes_the_handshake_cases() {
    let addr = start(Flaws::default()).await;
    let records = run(addr, HANDSHAKE).await;
    assert_eq!(failed(&records), BTreeSet::new());
    let not_ok: Vec<_> = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::NonStrict)
        .map(|r| r.case.id.clone())
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:?}");
}

/// Servers that break one rule each, and exactly the cases that must fail against
/// them.
const ONE_RULE_BROKEN: &[OneRuleBroken<Flaws>] = &[
    OneRuleBroken {
        rule: "RFC 6455 §4.2.1, §4.4: any Sec-WebSocket-Version taken",
        flaw: |f| f.ignore_version = true,
        cases: HANDSHAKE,
        fail: &["0.2.8", "0.2.9"],
    },
    OneRuleBroken {
        rule: "RFC 6455 §4.2.1: HTTP/1.0 accepted",
        flaw: |f| f.accept_http10 = true,
        cases: HANDSHAKE,
        fail: &["0.2.7"],
    },
    OneRuleBroken {
        rule: "RFC 6455 §4.2.2: the frame sent with the request lost",
        flaw: |f| f.lose_early_frame = true,
        cases: HANDSHAKE,
        fail: &["0.1.9"],
    },
    OneRuleBroken {
        rule: "RFC 6455 §5.5.2: no pong",
        flaw: |f| f.no_pong = true,
        cases: CASES,
        fail: &[
            "2.1", "2.2", "2.3", "2.4", "2.6", "2.9", "2.10", "2.11", "5.6", "5.7", "5.8", "5.19",
            "5.20",
        ],
    },
    // 5.2 (fragmented pong) cannot tell: the pong is ignored either way and the
    // continuation that follows fails the connection as it should.
    OneRuleBroken {
        rule: "RFC 6455 §5.5: a fragmented ping taken whole",
        flaw: |f| f.accept_fragmented_control = true,
        cases: CASES,
        fail: &["5.1"],
    },
    OneRuleBroken {
        rule: "RFC 6455 §7.4.1: any close code accepted",
        flaw: |f| f.accept_any_close_code = true,
        cases: "7.*",
        fail: &[
            "7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6", "7.9.7", "7.9.8", "7.9.9",
        ],
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_rule_fails_exactly_its_cases() {
    assert_each_fails_exactly(ONE_RULE_BROKEN, run_flawed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_utf8_check_fails_exactly_the_invalid_utf8_cases() {
    let records = run_flawed(|f| f.skip_utf8 = true, "6.*,7.5.1").await;
    // The cases that send invalid UTF-8 in a text message are those that expect
    // the peer to fail with 1007 alone; 7.5.1 (invalid close reason) is another
    // rule and must still pass.
    let want: BTreeSet<String> = records
        .iter()
        .filter(|r| !r.case.expect.close.closed_by_me && r.case.expect.close.codes == [1007])
        .map(|r| r.case.id.clone())
        .collect();
    assert_eq!(
        want.len(),
        2 + 4 + 69,
        "6.3 + 6.4 + the 69 invalid Kuhn vectors"
    );
    assert_eq!(failed(&records), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_rsv_bits_fails_section_3() {
    let records = run_flawed(|f| f.accept_rsv = true, CASES).await;
    let want: BTreeSet<String> = range("3.", 6).into_iter().collect();
    assert_eq!(failed(&records), want);
    // 3.7 puts the RSV bits on an empty close frame: a server that ignores them
    // answers with an empty close, which Autobahn's rules cannot tell from failing
    // the connection ("1002 or no code"). The same blind spot is kept on purpose.
    let r37 = records.iter().find(|r| r.case.id == "3.7").unwrap();
    assert_eq!(r37.outcome.verdict.behavior, Behavior::Ok);
    assert_eq!(r37.outcome.observation.remote_close_code, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_close_reply_fails_the_close_cases() {
    let records = run_flawed(|f| f.close_reply_1001 = true, CASES).await;
    let mut want = ids(&[
        "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.3.1", "7.3.3", "7.3.4", "7.3.5",
    ]);
    // 7.7.2 sends 1001 itself, so a 1001 reply is an echo there.
    want.extend(range("7.7.", 13).into_iter().filter(|id| id != "7.7.2"));
    assert_eq!(failed(&records), want);
    // Everywhere else the message verdict holds but the close is WRONG CODE.
    let wrong_code: Vec<_> = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior_close == CloseBehavior::WrongCode)
        .map(|r| r.case.id.as_str())
        .collect();
    assert!(wrong_code.contains(&"1.1.1") && wrong_code.contains(&"6.2.1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_reserved_opcodes_fails_section_4() {
    let records = run_flawed(|f| f.ignore_reserved_opcodes = true, "4.*").await;
    // With a ping after the bad frame, the pong betrays the server.
    assert_eq!(
        failed(&records),
        ids(&["4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5"])
    );
    // Without one, the server never closes, so the suite must: wrong endpoint.
    let all4: BTreeSet<String> = range("4.1.", 5)
        .into_iter()
        .chain(range("4.2.", 5))
        .collect();
    assert_eq!(bad_close(&records), all4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_tungstenite_passes() {
    let addr = support::start_tungstenite().await;
    let records = run(addr, CASES).await;
    assert_eq!(records.len(), 247);
    // tungstenite validates UTF-8 per frame, not within a frame: 6.4.3 and 6.4.4
    // (one frame written in three pieces) come out NON-STRICT, as in Autobahn.
    assert_eq!(failed(&records), BTreeSet::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_unmasked_frames_fails_section_14() {
    let correct = start(Flaws::default()).await;
    let records = run(correct, "14.*").await;
    assert_eq!(records.len(), 6, "14.2.x are for the suite as server only");
    assert_eq!(failed(&records), BTreeSet::new());
    assert_eq!(bad_close(&records), BTreeSet::new());

    let records = run_flawed(|f| f.accept_unmasked = true, "14.*").await;
    assert_eq!(
        failed(&records),
        ids(&["14.1.1", "14.1.2", "14.1.3", "14.1.5"])
    );
    // An unmasked close taken at face value is answered with 1000: WRONG CODE.
    assert_eq!(
        bad_close(&records),
        ids(&["14.1.1", "14.1.2", "14.1.3", "14.1.4", "14.1.5"])
    );
}

/// The deliberate correction of Autobahn's 9.x cases: the echo's bytes are
/// compared, not only its length, so a corrupting server fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_large_echo_fails_9_1_and_9_2() {
    let records = run_flawed(|f| f.corrupt_large_echo = true, "9.1.1,9.1.2,9.2.1,9.2.2").await;
    assert_eq!(failed(&records), ids(&["9.1.1", "9.1.2", "9.2.1", "9.2.2"]));
    for r in &records {
        assert!(
            r.outcome.verdict.result.contains("bytes differ"),
            "{}: {}",
            r.case.id,
            r.outcome.verdict.result
        );
    }
    let correct = start(Flaws::default()).await;
    assert_eq!(failed(&run(correct, "9.1.1,9.2.1").await), BTreeSet::new());
}

/// A server that gives up on a message of many fragments (node ws closes 9.3.1 with
/// 1008 "too many fragments" at once): the reason names that close first, with its
/// code, its reason and when it came, not a wait for an echo that never happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_mid_message_is_what_the_reason_names_first() {
    let records = run_flawed(|f| f.max_fragments = Some(100), "9.3.1").await;
    assert_eq!(failed(&records), ids(&["9.3.1"]));
    let v = &records[0].outcome.verdict;
    let obs = &records[0].outcome.observation;
    assert_eq!(obs.remote_close_code, Some(1008));
    assert!(
        v.reason
            .starts_with("the peer closed first, with 1008 \"too many fragments\", after "),
        "{}",
        v.reason
    );
    for wrong in [
        "received nothing where nothing expected",
        "within 100 seconds",
    ] {
        assert!(!v.reason.contains(wrong), "{}", v.reason);
        assert!(!v.result.contains(wrong), "{}", v.result);
    }
    assert!(v.result.contains("before the echo"), "{}", v.result);
}
