//! `wsconform run` as CI uses it: exit codes, JSON summary, JUnit, --fail-on, baselines
//! and shards, each checked on the built binary against servers on loopback.

mod cli_common;

use std::collections::BTreeSet;
use std::path::Path;

use cli_common::*;
use serde_json::Value;

#[test]
fn all_ok_exits_0_with_a_summary_table() {
    let r = wsconform(&["run", "--cases", "1.*,2.*", "--no-report"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("agent: wsconform-reference"), "{r}");
    assert!(r.stdout.contains("27 cases against ws://127.0.0.1:"), "{r}");
    assert!(r.stdout.contains("no case fails (fail-on failed)"), "{r}");
}

#[test]
fn bad_input_exits_2_with_a_one_line_error() {
    let cases: [(&[&str], &str); 6] = [
        (&["run", "http://x"], "bad URL"),
        (
            &["run", "ws://127.0.0.1:1", "--cases", "1.1.1"],
            "cannot connect to 127.0.0.1:1",
        ),
        (&["run", "--cases", "99.*"], "\"99.*\" matches no case"),
        (&["run", "--cases", "1.a"], "bad case pattern"),
        (&["run", "--case-timeout", "0"], "--case-timeout"),
        (
            &["run", "--baseline", "/nonexistent/wsconform/base.txt"],
            "--baseline /nonexistent/wsconform/base.txt",
        ),
    ];
    for (args, expected) in cases {
        eprintln!("{args:?}");
        wsconform(args).assert_bad_input(expected);
    }
}

#[test]
fn bad_shard_is_rejected_with_exit_2() {
    for shard in ["3/2", "0/2", "1/0", "2", "x/2"] {
        let r = wsconform(&["run", "--no-report", "--shard", shard]);
        assert_eq!(r.code, 2, "{shard}: {r}");
        assert!(
            r.stderr.contains(&format!("bad --shard {shard:?}")),
            "{shard}: {r}"
        );
    }
    let r = wsconform(&["run", "--no-report", "--shard", "3/2"]);
    assert!(r.stderr.contains("K must be between 1 and N (2)"), "{r}");
}

#[test]
fn format_json_prints_one_valid_summary() {
    let r = run_cli(None, "1.1.*,7.13.*", &["--no-report", "--format", "json"]);
    assert_eq!(r.code, 0, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r}"));
    assert_eq!(v["agent"], "wsconform-reference");
    assert_eq!(v["total"], 10);
    assert_eq!(v["counts"]["OK"], 8);
    // 7.13.1 and 7.13.2 close with codes the RFC leaves undefined (§7.4.2): informational.
    assert_eq!(v["counts"]["INFORMATIONAL"], 2);
    assert_eq!(v["failing"], Value::Array(vec![]));
    assert_eq!(v["exitCode"], 0);
    assert_eq!(v["interrupted"], false);
    assert!(v["url"].as_str().unwrap().starts_with("ws://127.0.0.1:"));
    // Nothing worse than OK (INFORMATIONAL is by design): nothing to confirm.
    assert_eq!(v["confirmation"]["confirmedAlone"], 0);
    assert_eq!(v["confirmation"]["notConfirmed"], 0);
}

#[test]
fn fail_on_decides_what_fails() {
    let run = |level: &str| {
        run_cli(
            None,
            "1.1.1,7.13.*",
            &["--no-report", "--format", "json", "--fail-on", level],
        )
    };
    for (level, code, failing) in [
        ("failed", 0, vec![]),
        ("non-strict", 0, vec![]),
        ("informational", 1, vec!["7.13.1", "7.13.2"]),
    ] {
        let r = run(level);
        assert_eq!(r.code, code, "{level}: {r}");
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["failOn"], level);
        assert_eq!(v["failing"], serde_json::json!(failing), "{level}");
    }
    // The table's failing list follows --fail-on too.
    let r = run_cli(
        None,
        "1.1.1,7.13.*",
        &["--no-report", "--fail-on", "informational"],
    );
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("2 case(s) fail (fail-on informational)"),
        "{r}"
    );
    assert!(
        r.stdout.contains("7.13.1") && r.stdout.contains("7.13.2"),
        "{r}"
    );
    let r = wsconform(&["run", "--fail-on", "sometimes"]);
    assert_eq!(r.code, 2, "{r}");
}

#[test]
fn junit_is_written_and_parses() {
    let dir = scratch("junit");
    let file = dir.join("junit.xml");
    let r = run_cli(None, "1.*,2.*", &["--no-report", "--junit", &arg(&file)]);
    assert_eq!(r.code, 0, "{r}");
    let text = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("27"));
    assert_eq!(root.attribute("failures"), Some("0"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 2, "one testsuite per section");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 27);
}

#[test]
fn failing_server_exits_1_and_junit_records_the_failures() {
    let rt = runtime();
    let url = closes_on_text_server(&rt);
    let dir = scratch("junit-failing");
    let file = dir.join("junit.xml");
    let r = run_cli(
        Some(&url),
        "1.1.*,2.1",
        &["--no-report", "--junit", &arg(&file)],
    );
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("8 case(s) fail (fail-on failed)"), "{r}");
    let failed = junit(&file).failures;
    let expected: BTreeSet<String> = (1..=8).map(|i| format!("1.1.{i}")).collect();
    assert_eq!(
        failed, expected,
        "the ping case 2.1 passes, every text echo fails"
    );
    // Each failure was played again alone and failed the same way.
    assert!(
        r.stdout.contains("8 verdicts confirmed alone, 0 changed"),
        "{r}"
    );
    let r = run_cli(
        Some(&closes_on_text_server(&rt)),
        "1.1.*,2.1",
        &["--no-report", "--no-confirm"],
    );
    assert_eq!(r.code, 1, "{r}");
    assert!(!r.stdout.contains("confirmed alone"), "{r}");
}

/// The baseline of a run of `cases` against the built-in server, reported into
/// `dir`/report; the run must pass.
fn reference_baseline(dir: &Path, cases: &str) -> String {
    let report = dir.join("report");
    let r = run_cli(None, cases, &["--out", &arg(&report)]);
    assert_eq!(r.code, 0, "{r}");
    baseline_of(&report)
}

#[test]
fn baseline_round_trip_passes() {
    let dir = scratch("baseline-round-trip");
    let text = reference_baseline(&dir, "1.*,2.*");
    assert!(text.starts_with("# wsconform baseline v1\n# agent: wsconform-reference\n"));
    let lines = baseline_lines(&text);
    assert_eq!(lines.len(), 27);
    assert!(lines.iter().all(|(_, b, c)| b == "OK" && c == "OK"));
    let file = dir.join("baseline.txt");
    std::fs::write(&file, &text).unwrap();

    let r = run_cli(None, "1.*,2.*", &["--no-report", "--baseline", &arg(&file)]);
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout.contains("0 regression(s), 0 improvement(s)"),
        "{r}"
    );
}

#[test]
fn baseline_that_recorded_a_failure_reports_an_improvement() {
    let dir = scratch("baseline-improvement");
    let text = reference_baseline(&dir, "1.1.*").replace("1.1.3\tOK\tOK", "1.1.3\tFAILED\tOK");
    let file = dir.join("baseline.txt");
    std::fs::write(&file, &text).unwrap();

    let args = |format: &str| {
        vec![
            "run".to_string(),
            "--cases".into(),
            "1.1.*".into(),
            "--no-report".into(),
            "--baseline".into(),
            arg(&file),
            "--format".into(),
            format.into(),
        ]
    };
    let r = wsconform(&args("table"));
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout.contains("0 regression(s), 1 improvement(s)"),
        "{r}"
    );
    let listed = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("improvements"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        listed.contains("1.1.3") && listed.contains("FAILED / OK") && listed.contains("OK / OK"),
        "{r}"
    );

    let r = wsconform(&args("json"));
    assert_eq!(r.code, 0, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let improvements = v["baseline"]["improvements"].as_array().unwrap();
    assert_eq!(improvements.len(), 1);
    assert_eq!(improvements[0]["id"], "1.1.3");
    assert_eq!(improvements[0]["baseline"]["behavior"], "FAILED");
    assert_eq!(improvements[0]["current"]["behavior"], "OK");
}

#[test]
fn regressions_against_a_baseline_exit_1_and_accepted_failures_exit_0() {
    let rt = runtime();
    let broken = closes_on_text_server(&rt);
    let dir = scratch("baseline-regression");
    let run = |url: Option<&str>, extra: &[String]| {
        let mut args = vec!["run".to_string()];
        args.extend(url.map(str::to_owned));
        args.extend(["--cases".into(), "1.1.*".into()]);
        args.extend(extra.iter().cloned());
        wsconform(&args)
    };

    // Accepted: everything OK, as the reference server does it.
    let good = dir.join("good");
    assert_eq!(run(None, &["--out".into(), arg(&good)]).code, 0);
    let all_ok = dir.join("all-ok.txt");
    std::fs::write(&all_ok, baseline_of(&good)).unwrap();
    let r = run(
        Some(&broken),
        &["--no-report".into(), "--baseline".into(), arg(&all_ok)],
    );
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("8 regression(s), 0 improvement(s)"),
        "{r}"
    );
    let regressions: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("regressions"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(regressions.len(), 8, "{r}");
    assert!(regressions[0].contains("1.1.1") && regressions[0].contains("-> FAILED"));

    // Accepted: the broken server's own failures. Nothing got worse: exit 0, even
    // though every case FAILS (without a baseline the same run exits 1).
    let bad = dir.join("bad");
    assert_eq!(run(Some(&broken), &["--out".into(), arg(&bad)]).code, 1);
    let known = baseline_of(&bad);
    assert!(baseline_lines(&known).iter().all(|(_, b, _)| b == "FAILED"));
    let accepted = dir.join("accepted.txt");
    std::fs::write(&accepted, &known).unwrap();
    let r = run(
        Some(&broken),
        &["--no-report".into(), "--baseline".into(), arg(&accepted)],
    );
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("0 regression(s)"), "{r}");

    // A failing case the baseline does not list was never accepted: exit 1.
    let partial = dir.join("partial.txt");
    std::fs::write(&partial, baseline_without(&known, "1.1.8")).unwrap();
    let r = run(
        Some(&broken),
        &["--no-report".into(), "--baseline".into(), arg(&partial)],
    );
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .contains("new cases failing (not in the baseline): 1.1.8"),
        "{r}"
    );
}

#[test]
fn shards_split_the_selection_and_merge_back_to_it() {
    let dir = scratch("shards");
    let selection = "1.*,2.*";
    let run = |out: &str, shard: Option<&str>| {
        let mut args = vec![
            "run".to_string(),
            "--cases".into(),
            selection.into(),
            "--out".into(),
            arg(&dir.join(out)),
        ];
        if let Some(s) = shard {
            args.extend(["--shard".into(), s.into()]);
        }
        let r = wsconform(&args);
        assert_eq!(r.code, 0, "{r}");
    };
    run("full", None);
    run("s1", Some("1/2"));
    run("s2", Some("2/2"));
    let agent = "wsconform-reference";
    let (full, s1, s2) = (
        case_ids(&dir.join("full"), agent),
        case_ids(&dir.join("s1"), agent),
        case_ids(&dir.join("s2"), agent),
    );
    assert_eq!((full.len(), s1.len(), s2.len()), (27, 14, 13));
    assert!(s1.is_disjoint(&s2));

    // Case i of the selection goes to shard i mod N + 1.
    let listed = wsconform(&["list", "--cases", selection, "--json"]);
    let order: Vec<String> = listed
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let even: BTreeSet<String> = order.iter().step_by(2).cloned().collect();
    assert_eq!(s1, even);

    // `report merge` of two reports in `dir` into a third.
    let merge = |a: &str, b: &str, out: &str| {
        wsconform(&[
            "report".into(),
            "merge".into(),
            arg(&dir.join(a)),
            arg(&dir.join(b)),
            "--out".into(),
            arg(&dir.join(out)),
        ])
    };
    let merged = dir.join("merged");
    let r = merge("s1", "s2", "merged");
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(case_ids(&merged, agent), full);
    // Case numbers are the catalogue's, so shards agree with the unsharded run.
    for id in &full {
        let number = |d: &std::path::Path| -> Value {
            let text = std::fs::read_to_string(case_file(d, agent, id)).unwrap();
            serde_json::from_str::<Value>(&text).unwrap()["case"].clone()
        };
        assert_eq!(number(&merged), number(&dir.join("full")), "case {id}");
    }

    // The same case twice is refused, naming it.
    merge("s1", "full", "twice").assert_stderr(2, "appears more than once");
}
