//! Report commands as a CI job uses them (issue 16 item 5): baselines that say which agent
//! they belong to, re-runs that keep earlier cases, `report diff` as a gate, `report
//! junit` after `report merge`, `report show` for one case.

mod cli_common;

use std::collections::BTreeSet;
use std::path::Path;

use cli_common::*;
use serde_json::Value;

fn run_into(url: Option<&str>, cases: &str, agent: &str, out: &Path, extra: &[&str]) -> Outcome {
    let out = arg(out);
    let mut args = vec!["--agent", agent, "--out", &out];
    args.extend(extra);
    run_cli(url, cases, &args)
}

#[test]
fn a_baseline_of_another_agent_warns() {
    let dir = scratch("report-ci-baseline-agent");
    let report = dir.join("report");
    assert_eq!(run_into(None, "1.1.*", "server-a", &report, &[]).code, 0);
    let file = dir.join("base.txt");
    std::fs::write(&file, baseline_of(&report)).unwrap();
    let gated = |agent: &str| {
        run_cli(
            None,
            "1.1.*",
            &["--no-report", "--agent", agent, "--baseline", &arg(&file)],
        )
    };
    let r = gated("server-b");
    r.assert_stderr(
        0,
        "was recorded for agent \"server-a\", and this run's agent is \"server-b\"",
    );
    let r = gated("server-a");
    assert_eq!(r.code, 0, "{r}");
    assert!(!r.stderr.contains("recorded for agent"), "{r}");
}

#[test]
fn a_rerun_into_the_same_out_keeps_earlier_cases() {
    let dir = scratch("report-ci-rerun");
    let report = dir.join("report");
    assert_eq!(run_into(None, "1.1.*,2.1", "srv", &report, &[]).code, 0);
    assert_eq!(case_ids(&report, "srv").len(), 9);
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    // 1.1.1 again, now against a server that fails it: it alone changes.
    assert_eq!(
        run_into(Some(&broken), "1.1.1", "srv", &report, &[]).code,
        1
    );
    assert_eq!(case_ids(&report, "srv").len(), 9);
    let lines = baseline_lines(&baseline_of(&report));
    let failed: Vec<&str> = lines
        .iter()
        .filter(|(_, b, _)| b == "FAILED")
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(failed, ["1.1.1"]);
}

#[test]
fn diff_gates_on_regressions_across_renamed_agents() {
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    let dir = scratch("report-ci-diff");
    let (a, b) = (dir.join("a"), dir.join("b"));
    assert_eq!(
        run_into(None, "1.1.1,1.1.2,2.1", "srv 1.0", &a, &[]).code,
        0
    );
    assert_eq!(
        run_into(Some(&broken), "1.1.1,1.1.2,2.1", "srv 1.1", &b, &[]).code,
        1
    );
    let diff = |extra: &[&str]| {
        let mut args = vec!["report".to_string(), "diff".into(), arg(&a), arg(&b)];
        args.extend(extra.iter().map(|s| s.to_string()));
        wsconform(&args)
    };
    // Different agent names: every case is removed on one side and added on the other,
    // which is no regression.
    let r = diff(&["--fail-on-regression", "--format", "json"]);
    assert_eq!(r.code, 0, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["counts"]["added"], 3, "{r}");
    assert_eq!(v["counts"]["removed"], 3, "{r}");
    assert_eq!(v["counts"]["regression"], 0, "{r}");
    // Mapped: the two text echoes regressed.
    let r = diff(&[
        "--fail-on-regression",
        "--format",
        "json",
        "--agent-map",
        "srv 1.0=srv 1.1",
    ]);
    assert_eq!(r.code, 1, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["counts"]["regression"], 2, "{r}");
    let cases: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    assert_eq!(cases, ["1.1.1", "1.1.2"]);
    assert_eq!(v["changes"][0]["before"]["behavior"], "OK");
    assert_eq!(v["changes"][0]["after"]["behavior"], "FAILED");
    assert_eq!(v["changes"][0]["agent"], "srv 1.1");
    // Without the flag the table is printed and the exit code stays 0.
    let r = diff(&["--agent-map", "srv 1.0=srv 1.1"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("regression"), "{r}");
    let r = diff(&["--agent-map", "nobody=x"]);
    r.assert_stderr(2, "no agent \"nobody\"");
}

#[test]
fn junit_from_merged_shards_and_show_one_case() {
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    let dir = scratch("report-ci-junit");
    let shards = [dir.join("s1"), dir.join("s2")];
    for (i, out) in shards.iter().enumerate() {
        let shard = format!("{}/2", i + 1);
        let r = run_into(Some(&broken), "1.1.*,2.*", "srv", out, &["--shard", &shard]);
        assert_eq!(r.code, 1, "{r}");
    }
    let merged = dir.join("merged");
    let r = wsconform(&[
        "report".into(),
        "merge".into(),
        arg(&shards[0]),
        arg(&shards[1]),
        "--out".into(),
        arg(&merged),
    ]);
    assert_eq!(r.code, 0, "{r}");
    let file = dir.join("junit.xml");
    let r = wsconform(&[
        "report".into(),
        "junit".into(),
        arg(&merged),
        "--out".into(),
        arg(&file),
    ]);
    assert_eq!(r.code, 0, "{r}");
    let Junit {
        failures, tests, ..
    } = junit(&file);
    assert_eq!(tests, 8 + 11);
    let expected: BTreeSet<String> = (1..=8).map(|i| format!("1.1.{i}")).collect();
    assert_eq!(failures, expected);
    // Gated on a baseline that accepts them: none fail.
    let base = dir.join("base.txt");
    std::fs::write(&base, baseline_of(&merged)).unwrap();
    let r = wsconform(&[
        "report".into(),
        "junit".into(),
        arg(&merged),
        "--baseline".into(),
        arg(&base),
        "--out".into(),
        arg(&file),
    ]);
    assert_eq!(r.code, 0, "{r}");
    assert!(junit(&file).failures.is_empty());
    // To stdout by default.
    let r = wsconform(&["report".into(), "junit".into(), arg(&merged)]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.starts_with("<?xml"), "{r}");

    let r = wsconform(&["report".into(), "show".into(), arg(&merged), "1.1.1".into()]);
    assert_eq!(r.code, 0, "{r}");
    for needle in [
        "case 1.1.1 (srv)",
        "verdict: FAILED",
        "reason: ",
        "expectation: ",
        "rfc: RFC 6455",
        "close sent: 1000; close received: none",
        "wire log (",
        "TX FRAME",
        "RX FRAME   opcode=8 (close)",
    ] {
        assert!(r.stdout.contains(needle), "{needle}: {r}");
    }
    let r = wsconform(&["report".into(), "show".into(), arg(&merged), "9.9.9".into()]);
    r.assert_stderr(2, "has no case 9.9.9");
}

/// The `wsconform` commands of the GitHub Actions recipe (docs/ci/github-actions.yml), in
/// order, with folded (`>`) lines joined.
fn recipe_ci_commands() -> Vec<String> {
    let block = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/ci/github-actions.yml"
    ))
    .unwrap();
    let mut commands = Vec::new();
    let mut lines = block.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(run) = line.trim_start().strip_prefix("- run: ") else {
            continue;
        };
        let command = if run.trim() == ">" {
            let indent = line.len() - line.trim_start().len();
            let mut parts = Vec::new();
            while let Some(next) = lines.peek() {
                if next.len() - next.trim_start().len() <= indent + 2 {
                    break;
                }
                parts.push(next.trim().to_owned());
                lines.next();
            }
            parts.join(" ")
        } else {
            run.trim().to_owned()
        };
        if command.starts_with("wsconform ") {
            commands.push(command);
        }
    }
    commands
}

/// The GitHub Actions recipe, played on loopback: the baseline recorded from the
/// reference server, then the job's shards against a server that fails the text echoes,
/// the merge and the JUnit. Each `run` is narrowed to section 1 to keep the test short.
#[test]
fn the_github_actions_recipe_works_as_written() {
    let commands = recipe_ci_commands();
    assert_eq!(commands.len(), 3, "{commands:?}");
    assert!(commands[0].starts_with("wsconform run "), "{commands:?}");
    assert!(
        commands[1].starts_with("wsconform report merge "),
        "{commands:?}"
    );
    assert!(
        commands[2].starts_with("wsconform report junit "),
        "{commands:?}"
    );
    let rt = runtime();
    let good = echo_server(&rt);
    let broken = closes_on_text_server(&rt);
    let dir = scratch("report-ci-readme");
    let words = |cmd: &str, url: &str, shard: usize| -> Vec<String> {
        let mut w: Vec<String> = cmd
            .replace("ws://127.0.0.1:9001/", url)
            .replace("${{ matrix.shard }}", &shard.to_string())
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect();
        if w[0] == "run" {
            w.extend(["--cases".into(), "1.*".into()]);
        }
        w
    };
    // The recipe's one-time step (its header says so): record the baseline.
    let record = wsconform_in(
        &dir,
        &words(
            "wsconform run ws://127.0.0.1:9001/ --agent my-server --out report",
            &good,
            0,
        ),
    );
    assert_eq!(record.code, 0, "{record}");
    let base = wsconform_in(&dir, &["report", "baseline", "report"]);
    assert_eq!(base.code, 0, "{base}");
    std::fs::write(dir.join("wsconform.baseline"), &base.stdout).unwrap();
    std::fs::remove_dir_all(dir.join("report")).unwrap();

    std::fs::create_dir(dir.join("shards")).unwrap();
    for k in 1..=3 {
        let job = dir.join(format!("job{k}"));
        std::fs::create_dir(&job).unwrap();
        std::fs::copy(
            dir.join("wsconform.baseline"),
            job.join("wsconform.baseline"),
        )
        .unwrap();
        let r = wsconform_in(&job, &words(&commands[0], &broken, k));
        // Text echoes regress against the baseline: the shard job fails.
        assert_eq!(r.code, 1, "shard {k}: {r}");
        std::fs::rename(
            job.join("shard"),
            dir.join("shards").join(format!("shard-{k}")),
        )
        .unwrap();
    }
    let r = wsconform_in(&dir, &words(&commands[1], &broken, 0));
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(case_ids(&dir.join("report"), "my-server").len(), 16);
    let r = wsconform_in(&dir, &words(&commands[2], &broken, 0));
    assert_eq!(r.code, 0, "{r}");
    let Junit {
        failures, tests, ..
    } = junit(&dir.join("junit.xml"));
    assert_eq!(tests, 16);
    let expected: BTreeSet<String> = (1..=8).map(|i| format!("1.1.{i}")).collect();
    assert_eq!(failures, expected);
}
