//! `wsconform run --spec FILE` with Autobahn|Testsuite fuzzingclient spec files.

mod cli_common;

use std::collections::BTreeSet;
use std::path::Path;

use cli_common::*;
use serde_json::{json, Value};

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn write_spec(dir: &Path, spec: &Value) -> String {
    let path = dir.join("fuzzingclient.json");
    std::fs::write(&path, serde_json::to_string_pretty(spec).unwrap()).unwrap();
    arg(&path)
}

#[test]
fn two_servers_go_into_one_report() {
    let rt = runtime();
    let (first, second) = (echo_server(&rt), echo_server(&rt));
    let dir = scratch("spec-two-servers");
    // Shaped like Autobahn's own examples, options and all; outdir is relative to the
    // working directory, as it is for wstest.
    let spec = write_spec(
        &dir,
        &json!({
            "options": {"failByDrop": false},
            "outdir": "./reports/servers",
            "webport": 8080,
            "servers": [
                {"agent": "First", "url": first, "options": {"version": 18}},
                {"agent": "Second/2.0", "url": second, "protocols": ["chat"]}
            ],
            "cases": ["1.1.*", "2.*"],
            "exclude-cases": ["2.1*", "12.*", "13.*"],
            "exclude-agent-cases": {"Second*": ["1.1.2", "2.9"]}
        }),
    );
    let junit = arg(&dir.join("junit.xml"));
    let r = wsconform_in(&dir, &["run", "--spec", &spec, "--junit", &junit]);
    assert_eq!(r.code, 0, "{r}");

    let out = dir.join("reports").join("servers");
    assert_eq!(agents(&out), ids(&["First", "Second/2.0"]));
    // 2.1* is a glob: it leaves out 2.1, 2.10 and 2.11.
    let first_cases: BTreeSet<String> = (1..=8)
        .map(|i| format!("1.1.{i}"))
        .chain((2..=9).map(|i| format!("2.{i}")))
        .collect();
    assert_eq!(case_ids(&out, "First"), first_cases);
    let mut second_cases = first_cases.clone();
    second_cases.remove("1.1.2");
    second_cases.remove("2.9");
    assert_eq!(case_ids(&out, "Second/2.0"), second_cases);

    // Settings the suite does not use are named once; so are patterns for sections the
    // catalogue lacks (if it lacks them).
    let ignored: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("ignoring settings"))
        .collect();
    assert_eq!(ignored.len(), 1, "{r}");
    for name in [
        "options.failByDrop",
        "servers[].options.version",
        "servers[].protocols",
        "webport",
    ] {
        assert!(ignored[0].contains(name), "{name}: {r}");
    }
    assert!(
        r.stderr
            .contains("Second/2.0: 2 case(s) skipped by exclude-agent-cases"),
        "{r}"
    );

    // One JUnit document holds both servers, their suites told apart by agent.
    let text = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    let testcases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(testcases, first_cases.len() + second_cases.len());
    assert_eq!(
        root.attribute("tests"),
        Some(testcases.to_string().as_str())
    );
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(suites.len(), 4, "{suites:?}");
    assert!(suites[0].starts_with("First: section 1"), "{suites:?}");
    assert!(suites[3].starts_with("Second/2.0: section 2"), "{suites:?}");

    // --out wins over the spec's outdir; JSON lists one summary per server.
    let elsewhere = dir.join("elsewhere");
    let r = wsconform_in(
        &dir,
        &[
            "run".to_string(),
            "--spec".into(),
            spec.clone(),
            "--out".into(),
            arg(&elsewhere),
            "--format".into(),
            "json".into(),
        ],
    );
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(agents(&elsewhere), ids(&["First", "Second/2.0"]));
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["agent"], "First");
    assert_eq!(runs[0]["total"], first_cases.len());
    assert_eq!(runs[1]["total"], second_cases.len());
    assert_eq!(v["exitCode"], 0);
}

#[test]
fn bad_spec_files_exit_2_with_a_one_line_error_naming_the_file() {
    let dir = scratch("spec-bad");
    let server = json!([{"agent": "a", "url": "ws://127.0.0.1:1"}]);
    let cases: Vec<(String, &str)> = vec![
        ("{\"servers\": [".into(), "not valid JSON"),
        (
            json!({"cases": ["*"]}).to_string(),
            "missing field \"servers\"",
        ),
        (
            json!({"servers": [{"agent": "a"}], "cases": ["*"]}).to_string(),
            "servers[0]: missing field \"url\"",
        ),
        (
            json!({"servers": server, "cases": ["*"], "exclude_cases": ["9.*"]}).to_string(),
            "unknown key \"exclude_cases\"",
        ),
        (
            json!({"servers": server, "cases": "1.*"}).to_string(),
            "cases: must be a list",
        ),
        (
            json!({"servers": [{"url": "http://x"}], "cases": ["*"]}).to_string(),
            "bad URL",
        ),
        (
            json!({"servers": server, "cases": ["99.*"]}).to_string(),
            "selects no case",
        ),
        (
            json!({"url": "ws://127.0.0.1:9001", "cases": ["*"]}).to_string(),
            "fuzzingserver spec",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("spec{i}.json"));
        std::fs::write(&path, text).unwrap();
        eprintln!("{text}");
        let r = wsconform(&["run".into(), "--spec".into(), arg(&path)]);
        r.assert_bad_input(expected);
        assert!(
            r.stderr
                .starts_with(&format!("wsconform: spec file {}: ", path.display())),
            "{r}"
        );
    }

    let r = wsconform(&["run".into(), "--spec".into(), arg(&dir.join("absent.json"))]);
    r.assert_stderr(2, "absent.json: cannot read it");

    // A valid spec whose server is down: exit 2, naming the server.
    let path = write_spec(&dir, &json!({"servers": server, "cases": ["1.1.1"]}));
    let r = wsconform(&["run", "--spec", &path]);
    r.assert_stderr(2, "server \"a\": cannot connect to 127.0.0.1:1");

    // Options that only make sense for one URL clash with a spec.
    let r = wsconform(&["run", "ws://127.0.0.1:1", "--spec", &path]);
    assert_eq!(r.code, 2, "{r}");
    let r = wsconform(&["run", "--cases", "1.*", "--spec", &path]);
    assert_eq!(r.code, 2, "{r}");
}

#[test]
fn one_baseline_cannot_gate_several_servers() {
    let dir = scratch("spec-baseline");
    let baseline = dir.join("baseline.txt");
    std::fs::write(&baseline, "# wsconform baseline v1\n1.1.1\tOK\tOK\n").unwrap();
    let path = write_spec(
        &dir,
        &json!({
            "servers": [{"agent": "a", "url": "ws://127.0.0.1:1"}, {"agent": "b", "url": "ws://127.0.0.1:2"}],
            "cases": ["1.1.1"]
        }),
    );
    let r = wsconform(&[
        "run".into(),
        "--spec".into(),
        path,
        "--baseline".into(),
        arg(&baseline),
    ]);
    r.assert_stderr(2, "--baseline gates one server");
}
