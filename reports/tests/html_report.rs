//! The HTML report: self-contained, escaped, bounded in size, and rendered by a real browser.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ws_reports::html::WIRELOG_ROW_LIMIT;
use ws_reports::{render_html, Behavior as B, CloseBehavior as C, WireLogEntry};

const XSS: &str = "<script>alert('x')</script>";

fn hostile_runs() -> Vec<ws_reports::RunReport> {
    let mut a = common::run(
        "Agent <A> & \"co\"",
        &[("1.1.1", B::Ok, C::Ok), ("5.2", B::Failed, C::WrongCode)],
    );
    let c = &mut a.results[1];
    c.description = format!("payload {XSS}");
    c.reason = format!("peer echoed {XSS}\u{1}");
    c.received = serde_json::json!([["message", XSS, false]]);
    c.wirelog.push(WireLogEntry::RxFrame {
        payload_len: 27,
        payload: XSS.into(),
        opcode: 1,
        fin: true,
        rsv: 0,
        masked: false,
        mask: None,
    });
    c.http_response = format!("HTTP/1.1 101 OK\r\nX-Evil: {XSS}\r\n\r\n");
    let b = common::run(
        "Agent B",
        &[
            ("1.1.1", B::NonStrict, C::Ok),
            ("12.1.1", B::Unimplemented, C::Ok),
        ],
    );
    vec![a, b]
}

#[test]
fn text_from_the_peer_is_escaped_everywhere() {
    let html = render_html(&hostile_runs());
    // Our own inline script is the only script element.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "unescaped script element"
    );
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert("));
    assert!(html.contains("Agent &lt;A&gt; &amp; &quot;co&quot;"));
    assert!(
        html.contains("\\x01"),
        "control character shown, not emitted raw"
    );
    assert!(!html.contains('\u{1}'));
}

#[test]
fn the_page_fetches_nothing() {
    let html = render_html(&hostile_runs());
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(
        !html.contains("src="),
        "no external (or any) src attributes"
    );
    assert!(!html.contains("url(") && !html.contains("@import"));
    for (pos, _) in html.match_indices("href=\"") {
        let target = &html[pos + 6..];
        assert!(
            target.starts_with('#'),
            "non-local link: {}",
            &target[..40.min(target.len())]
        );
    }
}

#[test]
fn matrix_and_case_blocks_show_verdicts_sections_and_missing_cells() {
    let html = render_html(&hostile_runs());
    // Section and subsection headers with titles.
    assert!(html.contains("<tr class=\"sec\"><th colspan=\"5\">1 Framing</th></tr>"));
    assert!(html.contains("<tr class=\"sub\"><th colspan=\"5\">1.1 Subsection 1.1</th></tr>"));
    assert!(html.contains("12 WebSocket Compression (different payloads)"));
    // Agent B did not run 5.2, agent A did not run 12.1.1.
    assert_eq!(
        html.matches("<td class=\"missing\" colspan=\"2\">Missing</td>")
            .count(),
        2
    );
    assert!(html.contains("<td class=\"b-fail\""));
    assert!(html.contains("<td class=\"b-ns\""));
    assert!(html.contains("<td class=\"b-unimpl\""));
    assert!(
        html.contains("<td class=\"c-ns\" title=\"WRONG CODE: peer closed with 1002\">1002</td>")
    );
    // Case blocks: description, expectation, RFC, and a collapsed wire log per result.
    assert!(html.contains("<article class=\"case\" id=\"case-5.2\">"));
    assert!(html.contains("<dt>RFC</dt><dd>RFC 6455 §5.6 (MUST)</dd>"));
    assert_eq!(html.matches("<summary>Wire log (").count(), 4);
    assert!(
        !html.contains("<details open"),
        "everything starts collapsed"
    );
    // Case order is numeric: 5.2 before 12.1.1.
    assert!(html.find("id=\"case-5.2\"").unwrap() < html.find("id=\"case-12.1.1\"").unwrap());
}

#[test]
fn huge_wire_logs_are_cut_with_a_note() {
    let mut run = common::run("a", &[("9.1.6", B::Failed, C::Ok)]);
    let big = vec![0x41u8; 100_000];
    run.results[0].wirelog = (0..20_000).map(|_| WireLogEntry::rx_octets(&big)).collect();
    let html = render_html(&[run]);
    assert!(html.contains(&format!(
        "{} more rows not shown",
        20_000 - WIRELOG_ROW_LIMIT
    )));
    assert!(html.contains("a_case_9_1_6.json"));
    assert!(html.len() < 200_000, "page is {} bytes", html.len());
}

#[test]
fn page_size_stays_sane_for_600_cases_and_four_agents() {
    let ids = common::catalogue_ids(600);
    let runs: Vec<_> = (0..4)
        .map(|i| common::varied_run(&format!("agent {i}"), &ids, i))
        .collect();
    let html = render_html(&runs);
    // A block for each case that is not a clean pass for every agent, and none for the rest.
    let clean =
        |c: &ws_reports::CaseResult| c.behavior == B::Ok && c.behavior_close.is_acceptable();
    let detailed = ids
        .iter()
        .filter(|id| runs.iter().any(|r| !clean(r.case(id).unwrap())))
        .count();
    assert!(detailed > 100 && detailed < 500, "{detailed} of 600");
    assert_eq!(html.matches("<article class=\"case").count(), detailed);
    assert_eq!(
        html.matches("<details class=\"result\"").count(),
        4 * detailed
    );
    assert!(html.contains(&format!(
        "The {} case(s) every agent passed cleanly are in the matrix only",
        600 - detailed
    )));
    // The matrix links only to blocks that exist.
    for (pos, _) in html.match_indices("href=\"#") {
        let anchor = &html[pos + 7..];
        let anchor = &anchor[..anchor.find('"').unwrap()];
        assert!(
            html.contains(&format!("id=\"{anchor}\"")),
            "link to a missing #{anchor}"
        );
    }
    assert!(html.len() < 9_000_000, "page is {} bytes", html.len());
}

#[test]
fn only_problems_filter_marks_clean_rows() {
    let run = common::run(
        "a",
        &[("1.1.1", B::Ok, C::Ok), ("1.1.2", B::Ok, C::WrongCode)],
    );
    let html = render_html(&[run]);
    assert_eq!(html.matches("<tr class=\"all-ok\">").count(), 1);
    assert!(html.contains("#only-problems:checked~#matrix tr.all-ok"));
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs chromium with a deadline; returns (success, stdout, stderr).
fn run_chromium(
    chromium: &Path,
    profile: &Path,
    extra: &[&str],
    url: &str,
) -> (bool, String, String) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Drain both pipes while waiting: a full pipe would block chromium forever.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status.success(),
        stdout.join().unwrap(),
        stderr.join().unwrap(),
    )
}

#[test]
fn renders_in_headless_chromium_without_console_errors() {
    let Some(chromium) = find_chromium() else {
        common::missing_dependency(
            "chromium (the browser rendering check)",
            "apt-get install chromium",
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("ws-reports-{}-chromium", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let mut runs = hostile_runs();
    let ids = common::catalogue_ids(60);
    runs.push(common::varied_run("Agent C", &ids, 3));
    ws_reports::write_autobahn_dir(&dir, &runs).unwrap();
    let page = dir.join("index.html");
    let url = format!("file://{}#r0-5.2", page.display());
    let profile = dir.join("profile");

    // The DOM after scripts ran: our script un-hides the tools and opens the linked result.
    let (ok, dom, stderr) = run_chromium(&chromium, &profile, &["--dump-dom"], &url);
    assert!(ok, "chromium failed: {stderr}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(
        dom.contains("<div id=\"tools\" class=\"tools\">"),
        "script did not run"
    );
    assert!(
        dom.contains("<details class=\"result\" id=\"r0-5.2\" open=\"\">"),
        "linked result not opened"
    );
    assert!(
        dom.contains("&lt;script&gt;alert("),
        "escaped payload present as text"
    );

    let shot = dir.join("report.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let (ok, _, stderr) = run_chromium(
        &chromium,
        &profile,
        &[&shot_arg],
        &format!("file://{}", page.display()),
    );
    assert!(ok, "chromium screenshot failed: {stderr}");
    let png = fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A blank 1280x900 page compresses to a few KB; a rendered report is far larger.
    assert!(
        png.len() > 20_000,
        "screenshot suspiciously small: {} bytes",
        png.len()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn failing_cases_come_first_and_the_matrix_shows_close_codes() {
    let mut run = common::run(
        "srv",
        &[
            ("1.1.1", B::Ok, C::Ok),
            ("5.19", B::Failed, C::Failed),
            ("7.1.1", B::Ok, C::Unclean),
        ],
    );
    run.results[0].remote_close_code = Some(1000);
    run.results[1].remote_close_code = Some(1008);
    run.results[1].remote_close_reason = Some("too many fragments".into());
    run.results[1].reason = "closed with 1008 after the second fragment".into();
    run.results[2].remote_close_code = None;
    let html = render_html(&[run]);
    let failing = html
        .find("<h2 id=\"failing\">Failing cases (2)</h2>")
        .expect(&html);
    let matrix = html.find("id=\"matrix\"").unwrap();
    assert!(failing < matrix, "the failing list comes before the matrix");
    let list = &html[failing..matrix];
    assert!(
        list.contains(">5.19</a>") && list.contains(">7.1.1</a>"),
        "{list}"
    );
    assert!(!list.contains(">1.1.1</a>"), "{list}");
    assert!(
        list.contains("closed with 1008 after the second fragment"),
        "{list}"
    );
    // The matrix: the close code, not "Fail", with the reason on hover.
    let grid = &html[matrix..];
    assert!(
        grid.contains("<td class=\"c-fail\" title=\"FAILED: peer closed with 1008 &quot;too many fragments&quot;\">1008</td>"),
        "{grid}"
    );
    assert!(grid.contains(">1000</td>"), "{grid}");
    assert!(
        grid.contains(
            "<td class=\"c-fail\" title=\"UNCLEAN: no close code from the peer\">Unclean</td>"
        ),
        "{grid}"
    );
}

#[test]
fn each_agents_url_is_shown_escaped() {
    let mut runs = hostile_runs();
    runs[1].url = Some("wss://b.example:9443/echo?x=1&y=2".into());
    let html = render_html(&runs);
    assert!(
        html.contains(
            "<td class=\"url\">ws://127.0.0.1:9001/Agent &lt;A&gt; &amp; &quot;co&quot;</td>"
        ),
        "first agent's URL"
    );
    assert!(
        html.contains("<td class=\"url\">wss://b.example:9443/echo?x=1&amp;y=2</td>"),
        "second agent's URL"
    );
    // A client under test has none: the cell stays empty.
    runs[1].url = None;
    assert!(render_html(&runs).contains("<td class=\"url\"></td>"));
}

/// A report where every case of 5 agents fails with a long wire log (a flooding server)
/// keeps its page small: events, handshakes and wire logs only up to the page's budget,
/// every result still with its verdicts, reason and file.
#[test]
fn a_page_where_everything_fails_keeps_its_details_within_the_budget() {
    let ids = common::catalogue_ids(587);
    let flood: Vec<WireLogEntry> = (0..1100)
        .map(|_| WireLogEntry::RxFrame {
            payload_len: 100,
            payload: "x".repeat(100),
            opcode: 1,
            fin: true,
            rsv: 0,
            masked: false,
            mask: None,
        })
        .collect();
    let runs: Vec<_> = (0..5)
        .map(|i| {
            let triples: Vec<_> = ids
                .iter()
                .map(|id| (id.as_str(), B::Failed, C::Unclean))
                .collect();
            let mut run = common::run(&format!("agent {i}"), &triples);
            for c in &mut run.results {
                c.wirelog = flood.clone();
            }
            run
        })
        .collect();
    let html = render_html(&runs);
    assert_eq!(html.matches("<details class=\"result\"").count(), 5 * 587);
    let shown = html.matches("<summary>Wire log (").count();
    let left_out = html
        .matches("Events, handshake and wire log are left out here")
        .count();
    assert_eq!(shown + left_out, 5 * 587);
    assert!(
        shown > 50 && left_out > 2000,
        "{shown} shown, {left_out} left out"
    );
    // Details come first in page order: none after the first result left out.
    let first_left_out = html.find("are left out here").unwrap();
    assert!(!html[first_left_out..].contains("<summary>Wire log ("));
    assert!(
        html.len() < ws_reports::html::PAGE_DETAIL_BUDGET + 5 * 587 * 1500,
        "page is {} bytes",
        html.len()
    );
}
