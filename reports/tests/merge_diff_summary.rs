//! Shard merging, run diffs and the terminal / machine summaries.

mod common;

use ws_reports::{
    diff, merge, render_diff, summary_json, summary_table, Behavior as B, CloseBehavior as C,
    DiffKind, ReportError,
};

#[test]
fn shards_of_one_agent_merge_into_one_sorted_run() {
    let mut s1 = common::run("srv", &[("1.1.10", B::Ok, C::Ok), ("2.1", B::Ok, C::Ok)]);
    s1.started = "2025-01-31T12:00:05.000Z".into();
    let s2 = common::run("srv", &[("1.1.9", B::Failed, C::Ok)]);
    let other = common::run("other", &[("1.1.1", B::Ok, C::Ok)]);
    let merged = merge(vec![vec![s1, other], vec![s2]]).unwrap();
    assert_eq!(merged.len(), 2);
    assert_eq!(merged[0].agent, "other");
    let srv = &merged[1];
    assert_eq!(
        srv.results
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["1.1.9", "1.1.10", "2.1"]
    );
    assert_eq!(
        srv.started, "2025-01-31T12:00:00.000Z",
        "earliest shard start"
    );
}

#[test]
fn the_same_case_in_two_shards_is_an_error_naming_it() {
    let s1 = common::run("srv", &[("1.1.1", B::Ok, C::Ok), ("6.4.1", B::Ok, C::Ok)]);
    let s2 = common::run("srv", &[("6.4.1", B::NonStrict, C::Ok)]);
    let err = merge(vec![vec![s1], vec![s2]]).unwrap_err();
    match &err {
        ReportError::DuplicateCase { agent, case } => {
            assert_eq!((agent.as_str(), case.as_str()), ("srv", "6.4.1"));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("6.4.1"));
}

#[test]
fn shards_from_different_tool_versions_do_not_merge() {
    let s1 = common::run("srv", &[("1.1.1", B::Ok, C::Ok)]);
    let mut s2 = common::run("srv", &[("1.1.2", B::Ok, C::Ok)]);
    s2.tool_version = "0.2.0".into();
    let err = merge(vec![vec![s1], vec![s2]]).unwrap_err();
    assert!(
        matches!(
            err,
            ReportError::MergeMismatch {
                field: "toolVersion",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn merged_shards_written_and_read_back_equal_the_merge() {
    let ids = common::catalogue_ids(40);
    let whole = common::varied_run("srv", &ids, 1);
    let (a, b): (Vec<_>, Vec<_>) = whole
        .results
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let shard = |part: Vec<(usize, ws_reports::CaseResult)>| ws_reports::RunReport {
        results: part.into_iter().map(|(_, c)| c).collect(),
        ..whole.clone()
    };
    let base = std::env::temp_dir().join(format!("ws-reports-{}-shards", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    ws_reports::write_autobahn_dir(&base.join("s1"), &[shard(a)]).unwrap();
    ws_reports::write_autobahn_dir(&base.join("s2"), &[shard(b)]).unwrap();
    let merged = merge(vec![
        ws_reports::read_autobahn_dir(&base.join("s1")).unwrap(),
        ws_reports::read_autobahn_dir(&base.join("s2")).unwrap(),
    ])
    .unwrap();
    assert_eq!(merged, vec![whole]);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn diff_lists_only_changed_cases_with_their_kind() {
    let before = vec![
        common::run(
            "a",
            &[
                ("1.1", B::Ok, C::Ok),
                ("1.2", B::Failed, C::Ok),
                ("1.3", B::Ok, C::Ok),
                ("1.4", B::Ok, C::Ok),
            ],
        ),
        common::run("gone", &[("1.1", B::Ok, C::Ok)]),
    ];
    let after = vec![common::run(
        "a",
        &[
            ("1.1", B::Ok, C::Ok),
            ("1.2", B::Ok, C::Ok),
            ("1.3", B::NonStrict, C::Ok),
            ("1.5", B::Ok, C::Ok),
        ],
    )];
    let rows = diff(&before, &after);
    let summary: Vec<(&str, &str, DiffKind)> = rows
        .iter()
        .map(|r| (r.agent.as_str(), r.case_id.as_str(), r.kind))
        .collect();
    assert_eq!(
        summary,
        [
            ("a", "1.2", DiffKind::Improvement),
            ("a", "1.3", DiffKind::Regression),
            ("a", "1.4", DiffKind::Removed),
            ("a", "1.5", DiffKind::Added),
            ("gone", "1.1", DiffKind::Removed),
        ]
    );
    assert_eq!(rows[1].before, Some((B::Ok, C::Ok)));
    assert_eq!(rows[1].after, Some((B::NonStrict, C::Ok)));
    let text = render_diff(&rows);
    assert!(
        text.contains("OK / OK") && text.contains("NON-STRICT / OK") && text.contains("regression")
    );
    assert!(text
        .ends_with("1 regression(s), 1 improvement(s), 0 other change(s), 1 added, 2 removed\n"));
    assert_eq!(render_diff(&diff(&after, &after)), "no verdict changes\n");
}

#[test]
fn summary_table_counts_per_section_and_lists_failures() {
    let mut run = common::every_verdict("srv");
    run.results[1].reason = "no echo\nsecond line".into();
    let table = summary_table(&run);
    let line = |prefix: &str| {
        table
            .lines()
            .find(|l| l.trim_start_matches('│').trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no row {prefix:?} in\n{table}"))
            .split('│')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    // Columns: section, title, OK, INFORMATIONAL, NON-STRICT, UNIMPLEMENTED, FAILED,
    // close not OK, total.
    let rows = [
        ["1", "Framing", "1", "0", "0", "0", "1", "0", "2"],
        ["3", "Reserved Bits", "0", "0", "1", "0", "0", "0", "1"],
        ["5", "Fragmentation", "1", "0", "0", "0", "0", "1", "1"],
        ["7", "Close Handling", "2", "1", "0", "0", "0", "2", "3"],
        [
            "12",
            "WebSocket Compression (different payloads)",
            "0",
            "0",
            "0",
            "1",
            "0",
            "0",
            "1",
        ],
    ];
    for row in rows {
        assert_eq!(line(&format!("{} ", row[0])), row);
    }
    assert_eq!(line("all"), ["all", "4", "1", "1", "1", "1", "3", "8"]);
    // FAILED, FAILED close and UNCLEAN close fail; the reason is flattened to one line.
    assert!(table.contains("3 case(s) fail (fail-on failed)"));
    assert_eq!(
        line("1.1.2"),
        ["1.1.2", "FAILED", "OK", "no echo second line"]
    );
    assert_eq!(line("5.19"), ["5.19", "OK", "FAILED", "echo matched"]);
    assert_eq!(line("7.3.1"), ["7.3.1", "OK", "UNCLEAN", "echo matched"]);
}

#[test]
fn summary_json_is_a_machine_summary() {
    let run = common::every_verdict("srv");
    let v = summary_json(&run);
    assert_eq!(v["agent"], "srv");
    assert_eq!(v["total"], 8);
    assert_eq!(v["counts"]["OK"], 4);
    assert_eq!(v["counts"]["FAILED"], 1);
    assert_eq!(v["counts"]["UNIMPLEMENTED"], 1);
    assert_eq!(v["closeCounts"]["WRONG CODE"], 1);
    assert_eq!(v["closeCounts"]["UNCLEAN"], 1);
    assert_eq!(v["failing"], serde_json::json!(["1.1.2", "5.19", "7.3.1"]));
    assert_eq!(v["passed"], false);
    assert_eq!(v["sections"][1]["section"], "3");
    assert_eq!(v["sections"][1]["counts"]["NON-STRICT"], 1);
    assert_eq!(v["sections"][3]["section"], "7");
    assert_eq!(v["sections"][3]["total"], 3);
    let sum: u64 = run.results.iter().map(|c| c.duration_ms).sum();
    assert_eq!(v["caseDurationSumMs"], sum);
    // Starts at :01.001 to :08.008 with durations of a few ms: wall is end of the last
    // minus start of the first.
    let last = &run.results[7];
    assert_eq!(v["wallMs"], 7000 + 8 - 1 + last.duration_ms);
}
