//! Report directories in Autobahn's layout: write, read back, accumulate, stay readable by
//! scripts written for Autobahn.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use ws_reports::autobahn_json::{
    case_report_filename, clean_for_filename, to_autobahn_json_string, HTML_FILE, INDEX_FILE,
};
use ws_reports::{
    read_autobahn_dir, render_html, rewrite_html, write_autobahn_dir, Behavior as B,
    CloseBehavior as C, ReportError,
};

/// A fresh directory under the system temp dir, unique per test, removed when dropped.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("ws-reports-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    Scratch(dir)
}

/// A scratch directory holding only `index` as its index file.
fn with_index(name: &str, index: &str) -> Scratch {
    let dir = scratch(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(INDEX_FILE), index).unwrap();
    dir
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn three_cases(agent: &str) -> ws_reports::RunReport {
    common::run(
        agent,
        &[
            ("1.1.1", B::Ok, C::Ok),
            ("1.1.10", B::NonStrict, C::WrongCode),
            ("1.1.9", B::Failed, C::Unclean),
        ],
    )
}

#[test]
fn write_then_read_gives_the_same_runs() {
    let dir = scratch("roundtrip");
    let mut run = three_cases("Server A/1.0");
    run.insecure_tls = true;
    run.results[1].traffic_stats = Some(serde_json::json!({"incomingCompressionRatio": 0.5}));
    run.results[2].remote_close_reason = Some("bye \u{1} <b>".into());
    write_autobahn_dir(&dir, std::slice::from_ref(&run)).unwrap();
    let back = read_autobahn_dir(&dir).unwrap();
    // Readers sort results by case id: 1.1.9 before 1.1.10.
    let mut expected = run.clone();
    expected.results.swap(1, 2);
    assert_eq!(back, vec![expected]);
}

#[test]
fn index_json_has_autobahns_exact_shape() {
    let dir = scratch("shape");
    write_autobahn_dir(&dir, &[three_cases("Server A/1.0")]).unwrap();
    let index = read_json(&dir.join(INDEX_FILE));
    let agents = index.as_object().unwrap();
    assert_eq!(agents.keys().collect::<Vec<_>>(), ["Server A/1.0"]);
    let cases = agents["Server A/1.0"].as_object().unwrap();
    assert_eq!(cases.len(), 3);
    for (id, entry) in cases {
        let entry = entry.as_object().unwrap();
        let mut keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "behavior",
                "behaviorClose",
                "duration",
                "remoteCloseCode",
                "reportfile"
            ]
        );
        assert!(entry["behavior"].is_string());
        assert!(entry["behaviorClose"].is_string());
        assert!(entry["duration"].is_u64());
        assert!(entry["remoteCloseCode"].is_u64() || entry["remoteCloseCode"].is_null());
        let file = entry["reportfile"].as_str().unwrap();
        assert_eq!(file, case_report_filename("Server A/1.0", id));
        assert!(
            file.starts_with("server_a_1_0-")
                && file.ends_with(&format!("_case_{}.json", id.replace('.', "_"))),
            "{file}"
        );
        assert!(dir.join(file).is_file());
    }
    assert_eq!(cases["1.1.9"]["behavior"], "FAILED");
    assert_eq!(cases["1.1.9"]["behaviorClose"], "UNCLEAN");
    assert_eq!(cases["1.1.9"]["remoteCloseCode"], Value::Null);
    assert_eq!(cases["1.1.10"]["behaviorClose"], "WRONG CODE");
    assert_eq!(cases["1.1.10"]["remoteCloseCode"], 1002);
}

#[test]
fn index_json_is_written_like_pythons_json_dumps() {
    let dir = scratch("format");
    write_autobahn_dir(&dir, &[three_cases("b"), three_cases("a")]).unwrap();
    let text = fs::read_to_string(dir.join(INDEX_FILE)).unwrap();
    // sort_keys=True: agents and case ids in plain string order (as Python sorts them).
    let a = text.find("\"a\": {").unwrap();
    let b = text.find("\"b\": {").unwrap();
    assert!(a < b);
    let first_agent = &text[a..b];
    let p10 = first_agent.find("\"1.1.10\"").unwrap();
    let p9 = first_agent.find("\"1.1.9\"").unwrap();
    assert!(p10 < p9, "Python's sort_keys puts 1.1.10 before 1.1.9");
    // indent=3 and separators (',', ': ').
    assert!(
        text.starts_with("{\n   \"a\": {\n      \"1.1.1\": {\n         \"behavior\": \"OK\",\n")
    );
    assert!(!text.contains(" ,") && !text.contains(",\n\n"));
}

#[test]
fn per_case_file_has_every_autobahn_key_and_ours() {
    let dir = scratch("casekeys");
    write_autobahn_dir(&dir, &[three_cases("agent")]).unwrap();
    let doc = read_json(&dir.join(case_report_filename("agent", "1.1.1")));
    let autobahn_keys = [
        "id",
        "description",
        "expectation",
        "agent",
        "case",
        "started",
        "duration",
        "reportTime",
        "reportCompressionRatio",
        "behavior",
        "behaviorClose",
        "expected",
        "expectedClose",
        "received",
        "result",
        "resultClose",
        "wirelog",
        "createWirelog",
        "closedByMe",
        "failedByMe",
        "droppedByMe",
        "wasClean",
        "wasNotCleanReason",
        "wasServerConnectionDropTimeout",
        "wasOpenHandshakeTimeout",
        "wasCloseHandshakeTimeout",
        "localCloseCode",
        "localCloseReason",
        "remoteCloseCode",
        "remoteCloseReason",
        "isServer",
        "createStats",
        "rxOctetStats",
        "rxFrameStats",
        "txOctetStats",
        "txFrameStats",
        "httpRequest",
        "httpResponse",
        "trafficStats",
    ];
    let ours = [
        "rfc",
        "reason",
        "sectionTitle",
        "subsectionTitle",
        "protocol",
    ];
    let obj = doc.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    let mut want: Vec<&str> = autobahn_keys.iter().chain(ours.iter()).copied().collect();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(obj["case"], 1);
    assert_eq!(
        obj["duration"].as_u64(),
        Some(common::case("agent", 1, "1.1.1", B::Ok, C::Ok).duration_ms)
    );
    assert_eq!(obj["createWirelog"], true);
    assert_eq!(obj["createStats"], true);
    assert_eq!(obj["wasNotCleanReason"], Value::Null);
    assert_eq!(obj["rxFrameStats"]["8"], 1);
    assert_eq!(obj["wirelog"][2][0], "TF");
    assert_eq!(obj["rfc"], "RFC 6455 §5.6 (MUST)");
}

#[test]
fn a_second_agent_accumulates_and_a_rerun_keeps_the_cases_it_did_not_play() {
    let dir = scratch("accumulate");
    write_autobahn_dir(&dir, &[three_cases("Alpha")]).unwrap();
    write_autobahn_dir(&dir, &[three_cases("Beta")]).unwrap();
    let index = read_json(&dir.join(INDEX_FILE));
    assert_eq!(index.as_object().unwrap().len(), 2, "{index}");
    let runs = read_autobahn_dir(&dir).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.agent.as_str()).collect::<Vec<_>>(),
        ["Alpha", "Beta"]
    );
    let html = fs::read_to_string(dir.join(HTML_FILE)).unwrap();
    assert!(html.contains("Alpha") && html.contains("Beta"));

    // Alpha runs 1.1.1 again (now FAILED) and a new case 2.1: its other two cases stay,
    // 1.1.1 takes the new result, Beta stays as it was.
    let mut rerun = common::run(
        "Alpha",
        &[("1.1.1", B::Failed, C::Ok), ("2.1", B::Ok, C::Ok)],
    );
    rerun.started = "2030-01-01T00:00:00.000Z".into();
    write_autobahn_dir(&dir, &[rerun]).unwrap();
    let runs = read_autobahn_dir(&dir).unwrap();
    assert_eq!(runs.len(), 2);
    let alpha: Vec<(&str, B)> = runs[0]
        .results
        .iter()
        .map(|c| (c.id.as_str(), c.behavior))
        .collect();
    assert_eq!(
        alpha,
        [
            ("1.1.1", B::Failed),
            ("1.1.9", B::Failed),
            ("1.1.10", B::NonStrict),
            ("2.1", B::Ok)
        ]
    );
    assert_eq!(runs[0].started, "2030-01-01T00:00:00.000Z");
    assert_eq!(runs[1].results.len(), 3);
    assert!(dir.join(case_report_filename("Alpha", "1.1.10")).exists());
    assert!(dir.join(case_report_filename("Beta", "1.1.1")).exists());
    // No temporary files are left behind.
    for entry in fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains(".tmp-"), "leftover {name}");
    }
}

#[test]
fn autobahn_users_python_one_liner_reads_our_index() {
    let Ok(probe) = Command::new("python3").arg("--version").output() else {
        common::missing_dependency(
            "python3 (the Python compatibility check)",
            "apt-get install python3",
        );
        return;
    };
    assert!(probe.status.success());
    let dir = scratch("python");
    write_autobahn_dir(&dir, &[common::every_verdict("srv")]).unwrap();
    // The filter Autobahn users put in CI, and a read of every per-case file it names.
    let script = "import json,os,sys; d=json.load(open(os.path.join(sys.argv[1],'index.json'))); \
        bad=sorted(c for a in d for c in d[a] if d[a][c]['behavior'] not in ('OK','INFORMATIONAL','NON-STRICT')); \
        files=[json.load(open(os.path.join(sys.argv[1],d[a][c]['reportfile']))) for a in d for c in d[a]]; \
        assert all(f['id'] in d[f['agent']] and isinstance(f['wirelog'],list) for f in files); \
        print(' '.join(bad))";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Behavior only: the FAILED and UNIMPLEMENTED cases, not the ones with a bad close.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "1.1.2 12.1.1"
    );
}

#[test]
fn an_autobahn_written_case_file_is_readable() {
    // Shaped like Autobahn 25.10.1's output: none of our keys, Python-style values.
    let dir = with_index(
        "foreign",
        r#"{"AutobahnServer/0.7": {"2.3": {"behavior": "OK", "behaviorClose": "OK", "duration": 2,
            "remoteCloseCode": 1000, "reportfile": "autobahnserver_0_7_case_2_3.json"}}}"#,
    );
    fs::write(
        dir.join("autobahnserver_0_7_case_2_3.json"),
        r#"{"agent": "AutobahnServer/0.7", "behavior": "OK", "behaviorClose": "OK", "case": 21,
            "closedByMe": true, "createStats": true, "createWirelog": true,
            "description": "Send ping with binary payload 0x00ff", "droppedByMe": false, "duration": 2,
            "expectation": "Pong with payload echo'ed is sent in reply to Ping.",
            "expected": {"OK": [["pong", "0x00ff"]]},
            "expectedClose": {"closeCode": [1000], "closedByMe": true, "requireClean": true},
            "failedByMe": false, "httpRequest": "GET / HTTP/1.1\r\n\r\n", "httpResponse": "HTTP/1.1 101\r\n\r\n",
            "id": "2.3", "isServer": false, "localCloseCode": 1000, "localCloseReason": null,
            "received": [["pong", "0x00ff"]], "remoteCloseCode": 1000, "remoteCloseReason": null,
            "reportCompressionRatio": false, "reportTime": false, "result": "Actual events match at least one expected.",
            "resultClose": "Connection was properly closed", "rxFrameStats": {"10": 1, "8": 1},
            "rxOctetStats": {"206": 1, "4": 2}, "started": "2013-08-23T13:40:39.046Z",
            "trafficStats": null, "txFrameStats": {"8": 1, "9": 1}, "txOctetStats": {"240": 1, "8": 2},
            "wasClean": true, "wasCloseHandshakeTimeout": false, "wasNotCleanReason": null,
            "wasOpenHandshakeTimeout": false, "wasServerConnectionDropTimeout": false,
            "wirelog": [["TO", [240, "474554"], false], ["RO", [206, "485454"]],
                        ["TF", [2, "0x00ff"], 9, true, 0, "2d1b9fe8", null, null, false],
                        ["RF", [2, "0x00ff"], 10, true, 0, false, null], ["KL", 1],
                        ["TF", [2, "0x03e8"], 8, true, 0, "4b3fd3a4", null, null, false],
                        ["RF", [2, "0x03e8"], 8, true, 0, false, null]]}"#,
    )
    .unwrap();
    let runs = read_autobahn_dir(&dir).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.agent, "AutobahnServer/0.7");
    assert_eq!(
        run.started, "2013-08-23T13:40:39.046Z",
        "start taken from the cases"
    );
    assert_eq!(run.tool_version, "");
    let case = &run.results[0];
    assert_eq!(case.case_index, 21);
    assert_eq!(case.wirelog.len(), 7);
    assert_eq!(case.rfc, "");
    assert_eq!(case.rx_frame_stats["10"], 1);
    // Adding our own agent keeps Autobahn's in the accumulated index.
    write_autobahn_dir(&dir, &[three_cases("wsconform-agent")]).unwrap();
    let index = read_json(&dir.join(INDEX_FILE));
    assert!(index.get("AutobahnServer/0.7").is_some());
    assert!(index.get("wsconform-agent").is_some());
}

#[test]
fn file_names_follow_clean_for_filename() {
    assert_eq!(
        clean_for_filename("AutobahnPython/0.6.0"),
        "autobahnpython_0_6_0"
    );
    assert_eq!(clean_for_filename("  My Server! "), "my_server");
    assert_eq!(clean_for_filename("a--b"), "a__b");
    assert_eq!(clean_for_filename("Ünïcode 1"), "n_code_1");
    // An agent named as Autobahn would clean it keeps Autobahn's file name.
    assert_eq!(
        case_report_filename("tokio_tungstenite", "12.1.10"),
        "tokio_tungstenite_case_12_1_10.json"
    );
    // Any other name gets its cleaned prefix and a hash of the whole name.
    let hashed = case_report_filename("tokio-tungstenite", "12.1.10");
    assert!(hashed.starts_with("tokio_tungstenite-"), "{hashed}");
    assert!(hashed.ends_with("_case_12_1_10.json"), "{hashed}");
}

#[test]
fn file_names_are_bounded_and_unique_per_agent() {
    let long = "x".repeat(300);
    let long2 = format!("{}y", "x".repeat(299));
    let names = [
        "a/b",
        "a b",
        "A B",
        "a_b",
        "_a_b",
        long.as_str(),
        long2.as_str(),
        "é",
        "ü",
    ];
    let files: Vec<String> = names
        .iter()
        .map(|a| case_report_filename(a, "12.1.10"))
        .collect();
    for (name, file) in names.iter().zip(&files) {
        // 255 bytes is the usual limit of one path component (ext4, xfs, APFS, NTFS).
        assert!(
            file.len() <= 120,
            "{name:?}: {file} is {} bytes",
            file.len()
        );
        assert!(
            file.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)),
            "{file}"
        );
    }
    let unique: std::collections::BTreeSet<&String> = files.iter().collect();
    assert_eq!(unique.len(), files.len(), "{files:#?}");
    // And a directory holds them side by side, each agent with its own cases.
    let dir = scratch("agents-apart");
    let runs: Vec<_> = names.iter().map(|a| three_cases(a)).collect();
    write_autobahn_dir(&dir, &runs).unwrap();
    let back = read_autobahn_dir(&dir).unwrap();
    assert_eq!(back.len(), names.len());
    for run in &back {
        assert_eq!(run.results.len(), 3, "{}", run.agent);
        assert!(run.results.iter().all(|c| c.agent == run.agent));
    }
}

#[test]
fn a_directory_with_autobahn_names_is_updated_under_the_new_names() {
    let dir = scratch("old-names");
    // As written before file names were bounded: Autobahn's name for "My Server".
    write_autobahn_dir(&dir, &[three_cases("My Server")]).unwrap();
    let index: Value =
        serde_json::from_str(&fs::read_to_string(dir.join(INDEX_FILE)).unwrap()).unwrap();
    let mut index = index;
    for (id, entry) in index["My Server"].as_object_mut().unwrap() {
        let old = format!("my_server_case_{}.json", id.replace('.', "_"));
        let new = entry["reportfile"].as_str().unwrap().to_owned();
        fs::rename(dir.join(&new), dir.join(&old)).unwrap();
        entry["reportfile"] = Value::String(old);
    }
    fs::write(dir.join(INDEX_FILE), to_autobahn_json_string(&index)).unwrap();
    // Still readable, and a run of another agent keeps it, under names that exist.
    assert_eq!(read_autobahn_dir(&dir).unwrap()[0].results.len(), 3);
    write_autobahn_dir(&dir, &[three_cases("other")]).unwrap();
    let back = read_autobahn_dir(&dir).unwrap();
    assert_eq!(back.len(), 2);
    assert!(back.iter().all(|r| r.results.len() == 3));
}

#[test]
fn a_case_repeated_within_a_run_is_refused() {
    let dir = scratch("dupcase");
    let run = common::run("x", &[("1.1.1", B::Ok, C::Ok), ("1.1.1", B::Failed, C::Ok)]);
    let err = write_autobahn_dir(&dir, &[run]).unwrap_err();
    match err {
        ReportError::DuplicateCase { agent, case } => {
            assert_eq!((agent.as_str(), case.as_str()), ("x", "1.1.1"));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(
        !dir.join(INDEX_FILE).exists(),
        "nothing written on a refused run"
    );
}

#[test]
fn a_corrupt_index_is_reported_not_overwritten() {
    let dir = with_index("corrupt", "{ half an index");
    let err = write_autobahn_dir(&dir, &[three_cases("a")]).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err}");
    assert_eq!(
        fs::read_to_string(dir.join(INDEX_FILE)).unwrap(),
        "{ half an index"
    );
}

#[test]
fn an_index_pointing_outside_the_directory_is_refused() {
    let dir = with_index(
        "escape",
        r#"{"a": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 1,
            "remoteCloseCode": null, "reportfile": "../../etc/passwd"}}}"#,
    );
    let err = read_autobahn_dir(&dir).unwrap_err();
    assert!(matches!(err, ReportError::Malformed { .. }), "{err}");
}

#[test]
fn json_string_sorts_nested_keys() {
    let v = serde_json::json!({"b": {"z": 1, "a": [ {"y": 1, "x": 2} ]}, "a": null});
    assert_eq!(
        to_autobahn_json_string(&v),
        "{\n   \"a\": null,\n   \"b\": {\n      \"a\": [\n         {\n            \"x\": 2,\n            \"y\": 1\n         }\n      ],\n      \"z\": 1\n   }\n}"
    );
}

#[test]
fn html_is_rerendered_from_the_json_alone() {
    let dir = scratch("rerender");
    write_autobahn_dir(&dir, &[three_cases("one")]).unwrap();
    write_autobahn_dir(&dir, &[three_cases("two")]).unwrap();
    let written = fs::read_to_string(dir.join(HTML_FILE)).unwrap();
    fs::remove_file(dir.join(HTML_FILE)).unwrap();
    rewrite_html(&dir).unwrap();
    let rewritten = fs::read_to_string(dir.join(HTML_FILE)).unwrap();
    assert_eq!(rewritten, written);
    assert_eq!(rewritten, render_html(&read_autobahn_dir(&dir).unwrap()));
    assert!(rewritten.contains("<th colspan=\"2\">one</th><th colspan=\"2\">two</th>"));
}

/// The URL tested is run metadata: it goes to the sidecar, so `index.json` and the
/// per-case files keep Autobahn's shape, and a sidecar written before it reads as none.
#[test]
fn the_url_tested_lives_in_the_sidecar() {
    let dir = scratch("url");
    let run = three_cases("srv");
    assert_eq!(run.url.as_deref(), Some("ws://127.0.0.1:9001/srv"));
    write_autobahn_dir(&dir, std::slice::from_ref(&run)).unwrap();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let holds = text.contains("ws://127.0.0.1:9001/srv");
        let expected = name == ws_reports::autobahn_json::RUNS_FILE || name.ends_with(".html");
        assert_eq!(holds, expected, "{name}");
    }
    let sidecar = read_json(&dir.join(ws_reports::autobahn_json::RUNS_FILE));
    assert_eq!(sidecar["srv"]["url"], "ws://127.0.0.1:9001/srv");
    assert_eq!(read_autobahn_dir(&dir).unwrap()[0].url, run.url);

    let mut old = sidecar.clone();
    old["srv"].as_object_mut().unwrap().remove("url");
    fs::write(
        dir.join(ws_reports::autobahn_json::RUNS_FILE),
        old.to_string(),
    )
    .unwrap();
    assert_eq!(read_autobahn_dir(&dir).unwrap()[0].url, None);
}

/// Every file of a report directory, by name (temporary files would show up here too).
fn files_of(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A run writes each case's file as the case settles and keeps only its summary; the
/// directory it leaves is byte for byte the one written from the full runs at once.
#[test]
fn a_report_written_case_by_case_from_summaries_is_the_same_directory() {
    let runs = [three_cases("Alpha"), three_cases("beta two")];
    let at_once = scratch("at-once");
    write_autobahn_dir(&at_once, &runs).unwrap();

    let streamed = scratch("streamed");
    let writer = ws_reports::ReportWriter::open(&streamed, &["Alpha", "beta two"]).unwrap();
    let mut kept = Vec::new();
    for run in &runs {
        for case in &run.results {
            writer.write_case(case).unwrap();
        }
        kept.push(run.summary());
    }
    // What a run keeps of a case is small: no wire log, handshake or statistics.
    let full = &runs[0].results[2];
    let summary = &kept[0].results[2];
    assert!(!full.wirelog.is_empty() && summary.wirelog.is_empty());
    assert!(summary.http_response.is_empty() && summary.rx_octet_stats.is_empty());
    assert_eq!(
        (
            summary.verdict(),
            &summary.reason,
            summary.remote_close_code
        ),
        (full.verdict(), &full.reason, full.remote_close_code)
    );
    writer.finish(&kept).unwrap();

    let (a, b) = (files_of(&at_once), files_of(&streamed));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs");
    }
    // The HTML shows the wire logs, read back from the case files.
    let html = String::from_utf8(b[HTML_FILE].clone()).unwrap();
    assert!(
        html.contains("<summary>Wire log ("),
        "no wire log in the page"
    );
    assert_eq!(read_autobahn_dir(&streamed).unwrap(), {
        let mut runs = runs.to_vec();
        runs.iter_mut().for_each(|r| r.results.swap(1, 2));
        runs
    });
}

/// What would make the index fail at the end of a run is refused when the directory is
/// opened, before any case is played or written: agents sharing files, an unreadable index.
#[test]
fn opening_refuses_what_the_index_could_not_hold() {
    let dir = scratch("open-refused");
    write_autobahn_dir(&dir, &[three_cases("my server")]).unwrap();
    let before = files_of(&dir);
    let err = ws_reports::ReportWriter::open(&dir, &["x", "x"]).unwrap_err();
    assert!(matches!(err, ReportError::DuplicateAgent { .. }), "{err}");
    // The agent already there may run again: its earlier cases are merged at the end.
    ws_reports::ReportWriter::open(&dir, &["my server"]).unwrap();
    assert_eq!(files_of(&dir), before, "opening writes nothing");
    // A directory whose index cannot be read is refused at once.
    fs::write(dir.join(INDEX_FILE), "{ half").unwrap();
    let err = ws_reports::ReportWriter::open(&dir, &["other"]).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err}");
}

/// `report html` on a directory whose files are named as Autobahn names them reads each
/// case from the file `index.json` gives, not from the name wsconform would give it.
#[test]
fn html_is_rerendered_from_files_named_by_autobahn() {
    let dir = scratch("rerender-autobahn-names");
    write_autobahn_dir(&dir, &[three_cases("My Server")]).unwrap();
    let mut index = read_json(&dir.join(INDEX_FILE));
    for (id, entry) in index["My Server"].as_object_mut().unwrap() {
        let old = format!("my_server_case_{}.json", id.replace('.', "_"));
        fs::rename(
            dir.join(entry["reportfile"].as_str().unwrap()),
            dir.join(&old),
        )
        .unwrap();
        entry["reportfile"] = Value::String(old);
    }
    fs::write(dir.join(INDEX_FILE), to_autobahn_json_string(&index)).unwrap();
    rewrite_html(&dir).unwrap();
    let page = fs::read_to_string(dir.join(HTML_FILE)).unwrap();
    assert_eq!(page, render_html(&read_autobahn_dir(&dir).unwrap()));
    assert!(
        page.contains("<summary>Wire log ("),
        "the failing cases' details"
    );
}
