//! `wsconform serve` against a non-Rust client: Python `websockets`, driven by the
//! same Autobahn client loop its project runs against `wstest -m fuzzingserver`
//! (`tests/serve_python/websockets_client.py`). Uses the parity peers' venv
//! (`scripts/parity/install-peers.sh python`, which `.ci/run` runs first); where no such
//! Python is installed it fails under `CI=true` and is skipped with a note elsewhere.

mod serve_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serve_support::*;
use ws_reports::{Behavior, CloseBehavior};
use wsconform::serve::ServeSettings;

/// A Python that can `import websockets`: $WSCONFORM_PYTHON, else the parity peers'
/// venv ($WSCONFORM_PEERS or ~/.cache/wsconform-peers), else the panel's venv.
fn python() -> Option<PathBuf> {
    let peers = std::env::var_os("WSCONFORM_PEERS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/wsconform-peers"))
        });
    let candidates = std::env::var_os("WSCONFORM_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(peers.map(|p| p.join("venv/bin/python")))
        .chain(
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/ws-panel/venv/bin/python")),
        )
        .chain([PathBuf::from("/root/.cache/ws-panel/venv/bin/python")]);
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import websockets.asyncio.client"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    None
}

/// Python `websockets` echoes every case of sections 1-7 and gets the verdicts
/// `wstest -m fuzzingserver` gives it (compared by hand, see docs/results/clients.md): everything
/// passes except 7.1.5, where it takes a close frame between two fragments of a message
/// for a protocol error (RFC 6455 §5.4 allows control frames there) and answers 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets_client_through_its_autobahn_driver() {
    let Some(py) = python() else {
        missing_dependency(
            "a Python with `websockets`",
            "run scripts/parity/install-peers.sh python, or set WSCONFORM_PYTHON",
        );
        return;
    };
    let out = scratch("python-websockets");
    let offered = cases("1.*,2.*,3.*,4.*,5.*,6.*,7.*");
    let srv = start(
        offered.clone(),
        ServeSettings {
            out: Some(out.clone()),
            ..ServeSettings::default()
        },
    )
    .await;
    let driver =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve_python/websockets_client.py");
    let base = srv.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(driver)
            .args([base.as_str(), "python-websockets"])
            .output()
            .unwrap()
    });
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the driver finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("ran {} cases", offered.len())),
        "{stdout}"
    );

    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.agent, "python-websockets");
    assert_eq!(run.results.len(), offered.len(), "a verdict per case");
    let failing: Vec<(&str, Behavior, CloseBehavior)> =
        ws_reports::failing_cases(run, ws_reports::FailOn::Failed)
            .iter()
            .map(|c| (c.id.as_str(), c.behavior, c.behavior_close))
            .collect();
    assert_eq!(
        failing,
        [("7.1.5", Behavior::Failed, CloseBehavior::WrongCode)],
        "websockets fails 7.1.5 only"
    );
    let c = run.case("7.1.5").unwrap();
    assert_eq!(c.remote_close_code, Some(1002));
    srv.server.stop();
    srv.task.await.unwrap();
}
