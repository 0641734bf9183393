//! `wsconform fuzz` against live servers: it finds each deliberate flaw within a
//! bounded number of conversations, shrinks it to a handful of frames, and the
//! reproducer replays to FAILED through `wsconform run --case-file`; correct servers
//! (the built-in one and tokio-tungstenite) give no mismatch.
//!
//! With permessage-deflate (RFC 7692): against the built-in server, which
//! negotiates it, conversations carry compressed messages and agree; servers with
//! a deliberate deflate flaw are caught and shrunk to a few frames.

mod support;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::broken_deflate::{self, DeflateFlaw};
use support::{start, Flaws};
use wsconform::echo::EchoSettings;
use wsconform::fuzz::{fuzz, FrameStep, FuzzOptions, FuzzOutcome, FuzzStep, Mismatch};
use wsconform::runner::RunSettings;
use wsconform::target::Target;

/// Conversations within which each flaw must be found.
const FIND_WITHIN: u64 = 300;
/// Conversations played against correct servers.
const CLEAN_RUNS: u64 = 200;

/// A mismatch in a few lines (payloads can be 64 KiB).
fn describe(outcome: &FuzzOutcome) -> String {
    match &outcome.mismatch {
        None => "none".into(),
        Some(m) => {
            let mut text = format!("conversation {}: {}", m.conversation, m.reason);
            for step in &m.repro.steps {
                let line = serde_json::to_string(step).unwrap();
                text.push_str(&format!("\n  {}", &line[..line.len().min(200)]));
            }
            text
        }
    }
}

fn options(seed: u64, iterations: u64) -> FuzzOptions {
    FuzzOptions {
        seed,
        iterations,
        jobs: 8,
        settings: RunSettings {
            case_timeout: Duration::from_secs(5),
            ..RunSettings::default()
        },
        ..FuzzOptions::default()
    }
}

async fn fuzz_addr(addr: SocketAddr, seed: u64, iterations: u64) -> FuzzOutcome {
    let target = Target::parse(&format!("ws://{addr}/")).unwrap();
    fuzz(&target, &options(seed, iterations), |_, _| {}).await
}

/// Runs the built binary with `args` off the runtime's threads; returns its exit code
/// and stdout.
async fn wsconform(args: Vec<OsString>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_wsconform"))
            .args(args)
            .output()
            .expect("the wsconform binary runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// Replays `file` with the built binary; returns its exit code and stdout.
async fn replay(file: PathBuf, addr: SocketAddr) -> (i32, String) {
    let url = format!("ws://{addr}/");
    wsconform(vec![
        "run".into(),
        "--case-file".into(),
        file.into(),
        url.into(),
    ])
    .await
}

/// Finds the flaw of the server at `addr`, checks the shrunk reproducer and replays
/// it there (it fails) and against the correct server at `good` (it passes).
async fn finds_at(name: &str, addr: SocketAddr, good: SocketAddr) -> Mismatch {
    let outcome = fuzz_addr(addr, 1, FIND_WITHIN).await;
    let described = describe(&outcome);
    let m = outcome
        .mismatch
        .unwrap_or_else(|| panic!("{name}: no mismatch in {FIND_WITHIN} conversations"));
    assert!(m.conversation < FIND_WITHIN);
    assert!(m.repro.steps.len() <= 5, "{name}: {described}");
    assert!(m.repro.steps.len() <= m.original.len());
    assert_eq!(m.repro.seed, Some(1));

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-live");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(&m.repro).unwrap()).unwrap();
    let (code, stdout) = replay(file.clone(), addr).await;
    assert_eq!(code, 1, "{name}: replay should fail: {stdout}\n{described}");
    assert!(
        stdout.contains("FAILED") || stdout.contains("WRONG CODE"),
        "{name}: {stdout}"
    );

    // The same reproducer passes against a correct server: it is the flaw that fails it.
    let (code, stdout) = replay(file, good).await;
    assert_eq!(code, 0, "{name}: correct server should pass: {stdout}");
    m
}

/// A server with one flaw, set by `flaw`.
fn only(flaw: impl FnOnce(&mut Flaws)) -> Flaws {
    let mut flaws = Flaws::default();
    flaw(&mut flaws);
    flaws
}

/// [`finds_at`] for the flawed server of `support`; returns the reproducer's steps.
async fn finds(name: &str, flaws: Flaws) -> Vec<FuzzStep> {
    let addr = start(flaws).await;
    let good = start(Flaws::default()).await;
    finds_at(name, addr, good).await.repro.steps
}

/// The built-in echo server, which negotiates permessage-deflate.
async fn built_in() -> SocketAddr {
    support::start_echo(EchoSettings::default()).await
}

/// [`finds_at`] for a server with a deflate flaw, checked against the built-in one.
/// The reproducer needs the extension: it offers permessage-deflate.
async fn finds_deflate(name: &str, flaw: DeflateFlaw) -> Mismatch {
    let addr = broken_deflate::start(flaw).await;
    let m = finds_at(name, addr, built_in().await).await;
    assert!(m.repro.deflate.is_some(), "{name}: {:?}", m.repro);
    assert_eq!(m.repro.format, "wsconform-case/2");
    m
}

/// Messages in `steps` that go compressed: first frames of data messages with RSV1.
fn compressed_messages(steps: &[FuzzStep]) -> usize {
    steps
        .iter()
        .filter(|s| {
            matches!(
                s,
                FuzzStep::Frame(FrameStep {
                    opcode: 1 | 2,
                    rsv: 4,
                    ..
                })
            )
        })
        .count()
}

/// RFC 6455 §5.5.2: a server that never answers pings is caught by a ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_never_pongs() {
    let steps = finds("no_pong", only(|f| f.no_pong = true)).await;
    assert!(steps
        .iter()
        .any(|s| matches!(s, FuzzStep::Frame(FrameStep { opcode: 0x9, .. }))));
}

/// RFC 6455 §8.1: a server that echoes invalid UTF-8 is caught by a text message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_skips_utf8_validation() {
    let steps = finds("skip_utf8", only(|f| f.skip_utf8 = true)).await;
    assert!(steps.iter().any(|s| matches!(
        s,
        FuzzStep::Frame(FrameStep { opcode: 0x1, payload, .. }) if std::str::from_utf8(payload).is_err()
    ) || matches!(s, FuzzStep::Close { .. })
        || matches!(s, FuzzStep::Frame(FrameStep { opcode: 0x0, .. }))));
}

/// RFC 6455 §5.2: a server that accepts RSV bits with no extension is caught by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_accepts_rsv_bits() {
    let steps = finds("accept_rsv", only(|f| f.accept_rsv = true)).await;
    assert!(steps
        .iter()
        .any(|s| matches!(s, FuzzStep::Frame(FrameStep { rsv, .. }) if *rsv != 0)));
}

/// RFC 7692: the built-in server negotiates permessage-deflate, so most conversations
/// carry compressed messages (fragmented, with context takeover or not, some broken
/// on purpose), and it agrees with the reference on all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_echo_server_gives_no_mismatch_with_compressed_messages() {
    let addr = built_in().await;
    let outcome = fuzz_addr(addr, 7, CLEAN_RUNS).await;
    assert!(outcome.mismatch.is_none(), "{}", describe(&outcome));
    assert_eq!(outcome.conversations, CLEAN_RUNS);
    assert!(
        outcome.deflate_conversations > CLEAN_RUNS / 2,
        "{} conversations negotiated permessage-deflate",
        outcome.deflate_conversations
    );
    assert!(
        outcome.compressed_messages > CLEAN_RUNS / 4,
        "{} messages sent compressed",
        outcome.compressed_messages
    );
}

/// tokio-tungstenite has no permessage-deflate: it declines every offer, and the
/// conversations go uncompressed without a false mismatch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_tungstenite_gives_no_mismatch() {
    let addr = support::start_tungstenite().await;
    let outcome = fuzz_addr(addr, 11, CLEAN_RUNS).await;
    assert!(outcome.mismatch.is_none(), "{}", describe(&outcome));
    assert_eq!(outcome.conversations, CLEAN_RUNS);
    assert_eq!(outcome.deflate_conversations, 0);
    assert_eq!(outcome.compressed_messages, 0);
}

/// RFC 7692 §7.1.1.2: a server that inflates each message on its own, though the
/// client may refer back to earlier ones, is caught by two compressed messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_forgets_the_clients_compression_context() {
    let m = finds_deflate("forgets_client_context", DeflateFlaw::ForgetsClientContext).await;
    assert!(
        compressed_messages(&m.repro.steps) >= 2,
        "{:?}",
        m.repro.steps
    );
}

/// RFC 7692 §7.1.1.1: a server that keeps its compression context after answering
/// `server_no_context_takeover` is caught by an offer that asks for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_ignores_server_no_context_takeover() {
    let m = finds_deflate("keeps_server_context", DeflateFlaw::KeepsServerContext).await;
    let d = m.repro.deflate.as_ref().unwrap();
    assert!(d.response.contains("server_no_context_takeover"), "{d:?}");
}

/// RFC 7692 §6.1: a server whose compressed echoes carry RSV1 on a continuation
/// frame is caught by one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_a_server_that_sets_rsv1_on_continuation_frames() {
    let m = finds_deflate("rsv1_on_continuation", DeflateFlaw::Rsv1OnContinuation).await;
    assert!(m.repro.steps.len() <= 3, "{:?}", m.repro.steps);
}

/// The command line: `wsconform fuzz` exits 1 on a mismatch, names the seed, and writes
/// a reproducer that `run --case-file` replays to FAILED (RFC 6455 §5.5.2, no pong).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzz_command_writes_a_reproducer_that_replays() {
    let addr = start(only(|f| f.no_pong = true)).await;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-live");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cli-no-pong.json");
    let _ = std::fs::remove_file(&file);
    let url = format!("ws://{addr}/");
    let args = ["fuzz", &url, "--seed", "3", "--iterations", "300", "-o"];
    let mut args: Vec<OsString> = args.iter().map(OsString::from).collect();
    args.push(file.clone().into());
    let (code, stdout) = wsconform(args).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("mismatch: seed 3 conversation"), "{stdout}");
    assert!(stdout.contains("--case-file"), "{stdout}");
    assert!(stdout.contains("messages sent compressed"), "{stdout}");
    let (code, replayed) = replay(file, addr).await;
    assert_eq!(code, 1, "{replayed}");
    assert!(replayed.contains("FAILED"), "{replayed}");
}
