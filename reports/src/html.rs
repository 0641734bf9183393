//! The self-contained HTML report: one page, inline CSS, no external resources.
//!
//! Layout: a legend, a per-agent summary (with each agent's URL), the failing cases, the
//! agent × case matrix (grouped by section and subsection, colored by verdict, the peer's
//! close code in the close cell, a sticky header), then one block for each case that is
//! not a clean pass for every agent, with its description, expectation and RFC citation,
//! and per agent a collapsed `<details>` with the observation and the wire log (close
//! payloads decoded). Cases every agent passed cleanly are in the matrix only: a page of
//! 587 cases × 5 agents stays light enough to open in a browser in well under 2 s, and
//! each case's JSON file holds everything. Everything works without JavaScript; a tiny
//! inline script only adds "expand all / collapse all" buttons and opens the block a link
//! points to. Wire logs, event lists and handshakes are cut with a note pointing at the
//! per-case JSON file.
//!
//! The page renders from summaries ([`CaseResult::into_summary`]) and reads the full
//! result of each case it shows in detail when it gets there: [`write_html`] streams it
//! into a file case by case, reading the results back from their files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::autobahn_json::{case_report_filename, parse_json, HTML_FILE};
use crate::case_id::{compare_case_ids, section_of, subsection_of};
use crate::error::ReportError;
use crate::gating::FailOn;
use crate::model::{Behavior, CaseResult, CloseBehavior, RunReport};
use crate::wirelog::WireLogEntry;

/// Wire-log rows shown per case and agent; the rest is left to the per-case JSON file.
pub const WIRELOG_ROW_LIMIT: usize = 120;
/// Characters of one wire-log payload or hex preview shown.
const WIRELOG_TEXT_LIMIT: usize = 200;
/// Characters of the expected / received event lists shown (Autobahn cuts at 1000 too).
const EVENTS_LIMIT: usize = 1000;
/// Characters of each opening-handshake message shown.
const HTTP_LIMIT: usize = 4000;

/// Escapes text for HTML element content and (double- or single-quoted) attribute values.
/// C0 control characters other than tab, newline and carriage return are shown as `\xNN`,
/// since HTML treats them as parse errors and browsers render them inconsistently.
pub fn escape_html(s: &str) -> String {
    escape(s, true)
}

/// Like [`escape_html`] but leaves quotes alone: enough for element content, and much
/// shorter for JSON-heavy text.
fn escape_text(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, quotes: bool) -> String {
    escape_markup(s, |out, c| match c {
        '"' if quotes => out.push_str("&quot;"),
        '\'' if quotes => out.push_str("&#39;"),
        '\t' | '\n' | '\r' => out.push(c),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => out.push(c),
    })
}

/// Escapes the three characters every markup language reserves (`&`, `<`, `>`) and hands
/// every other character to `other`, which writes it or its escape: HTML and XML differ
/// in quotes and in control characters.
pub(crate) fn escape_markup(s: &str, mut other: impl FnMut(&mut String, char)) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => other(&mut out, c),
        }
    }
    out
}

/// Cuts `s` to at most `limit` characters, saying how much was left out.
fn cut(s: &str, limit: usize) -> String {
    match s.char_indices().nth(limit) {
        None => s.to_owned(),
        Some((pos, _)) => format!(
            "{} … [{} more characters]",
            &s[..pos],
            s[pos..].chars().count()
        ),
    }
}

/// A string usable in an `id` attribute and a URL fragment without escaping.
fn anchor_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn case_anchor(case_id: &str) -> String {
    format!("case-{}", anchor_part(case_id))
}

fn result_anchor(agent_index: usize, case_id: &str) -> String {
    format!("r{agent_index}-{}", anchor_part(case_id))
}

fn behavior_cell(b: Behavior) -> (&'static str, &'static str) {
    match b {
        Behavior::Ok => ("Pass", "b-ok"),
        Behavior::NonStrict => ("Non-Strict", "b-ns"),
        Behavior::Informational => ("Info", "b-info"),
        Behavior::Unimplemented => ("Unimplemented", "b-unimpl"),
        Behavior::Failed => ("Fail", "b-fail"),
    }
}

fn close_class(c: CloseBehavior) -> &'static str {
    match c {
        CloseBehavior::Ok => "c-ok",
        CloseBehavior::Informational => "c-info",
        CloseBehavior::FailedByClient => "c-almost",
        CloseBehavior::WrongCode => "c-ns",
        CloseBehavior::Unclean | CloseBehavior::Failed => "c-fail",
    }
}

/// Text of the close cell: the peer's close code whenever it sent one (the cell's colour
/// carries the verdict), else the verdict or "no code".
fn close_text(case: &CaseResult) -> String {
    match (case.remote_close_code, case.behavior_close) {
        (Some(code), _) => code.to_string(),
        (None, CloseBehavior::Unclean) => "Unclean".into(),
        (None, CloseBehavior::Failed) => "Fail".into(),
        (None, _) => "no code".into(),
    }
}

/// Hover text of the close cell: the verdict and the peer's close code and reason.
fn close_title(case: &CaseResult) -> String {
    let mut title = case.behavior_close.to_string();
    match (case.remote_close_code, case.remote_close_reason.as_deref()) {
        (Some(code), Some(reason)) if !reason.is_empty() => {
            let _ = write!(title, ": peer closed with {code} {reason:?}");
        }
        (Some(code), _) => {
            let _ = write!(title, ": peer closed with {code}");
        }
        (None, _) => title.push_str(": no close code from the peer"),
    }
    title
}

/// A list of every case that fails (behavior FAILED, close UNCLEAN or FAILED), per agent,
/// linked to its result, so a reader of a large report starts where the problems are.
fn render_failing(out: &mut String, runs: &[&RunReport]) {
    let failing: Vec<(usize, &CaseResult)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let mut cases: Vec<&CaseResult> = r
                .results
                .iter()
                .filter(|c| FailOn::Failed.fails(c))
                .collect();
            cases.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
            cases.into_iter().map(move |c| (i, c))
        })
        .collect();
    let _ = writeln!(
        out,
        "<h2 id=\"failing\">Failing cases ({})</h2>",
        failing.len()
    );
    if failing.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str("<table class=\"failing\"><tr><th>Agent</th><th>Case</th><th>Close</th><th>Reason</th></tr>\n");
    for (i, case) in failing {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><a href=\"#{}\">{}</a></td><td title=\"{}\">{}</td><td>{}</td></tr>",
            escape_html(&runs[i].agent),
            result_anchor(i, &case.id),
            escape_html(&case.id),
            escape_html(&close_title(case)),
            escape_html(&close_text(case)),
            escape_html(&cut(&case.reason, 300)),
        );
    }
    out.push_str("</table>\n");
}

/// Duration and compression-ratio annotations Autobahn shows under the verdict.
fn cell_detail(case: &CaseResult) -> String {
    let mut detail = String::new();
    if case.report_time {
        let _ = write!(detail, "{} ms", case.duration_ms);
    }
    if case.report_compression_ratio {
        if let Some(stats) = &case.traffic_stats {
            let ratio = |key: &str| {
                stats
                    .get(key)
                    .and_then(serde_json::Value::as_f64)
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.3}"))
            };
            let _ = write!(
                detail,
                " [{}/{}]",
                ratio("incomingCompressionRatio"),
                ratio("outgoingCompressionRatio")
            );
        }
    }
    detail.trim().to_owned()
}

fn is_all_ok(cases: &[Option<&CaseResult>]) -> bool {
    cases
        .iter()
        .all(|c| c.is_some_and(|c| c.behavior == Behavior::Ok && c.behavior_close.is_acceptable()))
}

fn opcode_name(op: u8) -> &'static str {
    match op {
        0 => "continuation",
        1 => "text",
        2 => "binary",
        8 => "close",
        9 => "ping",
        10 => "pong",
        _ => "reserved",
    }
}

/// What a close frame's payload preview says: `close code 1008 "too many fragments"`, or
/// `close without a code` (RFC 6455 §5.5.1); `None` when the preview cannot be read.
fn close_payload_note(preview: &str) -> Option<String> {
    let preview = preview.trim_end_matches(" ...");
    let bytes: Vec<u8> = match preview.strip_prefix("0x") {
        Some(hex) => {
            let digits: Vec<u8> = hex.bytes().take_while(u8::is_ascii_hexdigit).collect();
            digits
                .chunks_exact(2)
                .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
                .collect::<Option<Vec<u8>>>()?
        }
        None => preview.as_bytes().to_vec(),
    };
    match bytes.as_slice() {
        [] => Some("close without a code".into()),
        [_] => None,
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            Some(match std::str::from_utf8(reason) {
                Ok("") => format!("close code {code}"),
                Ok(text) => format!("close code {code} {text:?}"),
                Err(_) => format!("close code {code}, reason not UTF-8"),
            })
        }
    }
}

/// The payload preview of a frame, with a close frame's code and reason decoded.
fn payload_text(opcode: u8, payload: &str) -> String {
    let shown = cut(payload, WIRELOG_TEXT_LIMIT);
    match (opcode, close_payload_note(payload)) {
        (8, Some(note)) => format!("{shown} ({note})"),
        _ => shown,
    }
}

/// One wire-log row as a line of text (without its index) and its CSS class.
pub(crate) fn wirelog_line(entry: &WireLogEntry) -> (String, &'static str) {
    let opt = |o: &Option<u64>| o.map_or_else(|| "-".to_owned(), |v| v.to_string());
    match entry {
        WireLogEntry::RxOctets { len, hex } => (
            format!("RX OCTETS  {len} bytes: {}", cut(hex, WIRELOG_TEXT_LIMIT)),
            "wl-rx",
        ),
        WireLogEntry::TxOctets { len, hex, sync } => (
            format!(
                "TX OCTETS  {len} bytes{}: {}",
                if *sync { " (sync)" } else { "" },
                cut(hex, WIRELOG_TEXT_LIMIT)
            ),
            "wl-tx",
        ),
        WireLogEntry::RxFrame {
            payload_len,
            payload,
            opcode,
            fin,
            rsv,
            masked,
            mask,
        } => (
            format!(
                "RX FRAME   opcode={opcode} ({}) fin={fin} rsv={rsv} len={payload_len} masked={masked} mask={}\n           payload: {}",
                opcode_name(*opcode),
                mask.as_deref().unwrap_or("-"),
                payload_text(*opcode, payload)
            ),
            "wl-rx",
        ),
        WireLogEntry::TxFrame {
            payload_len,
            payload,
            opcode,
            fin,
            rsv,
            mask,
            repeat_length,
            chopsize,
            sync,
        } => (
            format!(
                "TX FRAME   opcode={opcode} ({}) fin={fin} rsv={rsv} len={payload_len} mask={} repeat-to={} chop={} sync={sync}\n           payload: {}",
                opcode_name(*opcode),
                mask.as_deref().unwrap_or("-"),
                opt(repeat_length),
                opt(chopsize),
                payload_text(*opcode, payload)
            ),
            "wl-tx",
        ),
        WireLogEntry::Timer { delay, tag } => (
            format!("DELAY {delay} s for tag {}", tag.as_deref().unwrap_or("-")),
            "wl-timer",
        ),
        WireLogEntry::TimerFired { tag } => (
            format!("DELAY ELAPSED for tag {}", tag.as_deref().unwrap_or("-")),
            "wl-timer",
        ),
        WireLogEntry::KillAfter { delay } => {
            (format!("FAIL CONNECTION AFTER {delay} s"), "wl-kill")
        }
        WireLogEntry::KillFired => ("FAILING CONNECTION".into(), "wl-kill"),
        WireLogEntry::CloseAfter { delay } => {
            (format!("CLOSE CONNECTION AFTER {delay} s"), "wl-kill")
        }
        WireLogEntry::CloseFired => ("CLOSING CONNECTION".into(), "wl-kill"),
        WireLogEntry::WirelogMode { enabled } => (
            format!("WIRE LOG {}", if *enabled { "ENABLED" } else { "DISABLED" }),
            "wl-timer",
        ),
        WireLogEntry::Cut { rows, octets } => (
            format!("… {rows} ROWS CUT ({octets} octets): the log keeps the first and the last rows"),
            "wl-note",
        ),
    }
}

fn render_wirelog(out: &mut String, case: &CaseResult) {
    let rows = &case.wirelog;
    let _ = write!(
        out,
        "<details class=\"sub\"><summary>Wire log ({} rows)</summary><pre class=\"wirelog\">",
        rows.len()
    );
    // The first rows and the last ones: how the case began, and how the peer ended it.
    let (head, tail) = if rows.len() > WIRELOG_ROW_LIMIT {
        (
            WIRELOG_ROW_LIMIT / 2,
            WIRELOG_ROW_LIMIT - WIRELOG_ROW_LIMIT / 2,
        )
    } else {
        (rows.len(), 0)
    };
    let line = |out: &mut String, i: usize, entry: &WireLogEntry| {
        let (line, class) = wirelog_line(entry);
        let _ = writeln!(
            out,
            "<span class=\"{class}\">{i:03} {}</span>",
            escape_text(&line)
        );
    };
    for (i, entry) in rows.iter().enumerate().take(head) {
        line(out, i, entry);
    }
    if tail > 0 {
        let _ = writeln!(
            out,
            "<span class=\"wl-note\">… {} more rows not shown here (rows {head} to {}); the full log is in {}</span>",
            rows.len() - head - tail,
            rows.len() - tail - 1,
            escape_html(&case_report_filename(&case.agent, &case.id))
        );
        for (i, entry) in rows.iter().enumerate().skip(rows.len() - tail) {
            line(out, i, entry);
        }
    }
    let _ = writeln!(
        out,
        "<span class=\"wl-kill\">{:03} TCP DROPPED BY {}</span></pre></details>",
        rows.len(),
        if case.dropped_by_me { "ME" } else { "PEER" }
    );
}

fn stats_line(stats: &std::collections::BTreeMap<String, u64>) -> String {
    if stats.is_empty() {
        return "none".into();
    }
    let mut items: Vec<(&String, &u64)> = stats.iter().collect();
    items.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), k.as_str()));
    items
        .iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt_display<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".into(), T::to_string)
}

/// Bytes of events, flags, handshakes and wire logs one page holds at most, so that a
/// report where every case of several agents fails (each with a long wire log) still
/// opens quickly: results shown in detail past it keep their verdicts, reason,
/// observation and close, and name their file.
pub const PAGE_DETAIL_BUDGET: usize = 2_000_000;

/// One agent's result in a case block; its events, flags, handshake and wire log only
/// while the page's `budget` lasts (once a result does not fit, none after it does).
fn render_result(out: &mut String, agent_index: usize, case: &CaseResult, budget: &mut usize) {
    let (label, class) = behavior_cell(case.behavior);
    let _ = write!(
        out,
        "<details class=\"result\" id=\"{}\"><summary><span class=\"agent\">{}</span> \
         <span class=\"badge {class}\">{label}</span> \
         <span class=\"badge {}\">close: {}{}</span> <span class=\"reason\">{}</span></summary>",
        result_anchor(agent_index, &case.id),
        escape_html(&case.agent),
        close_class(case.behavior_close),
        escape_html(case.behavior_close.as_str()),
        case.remote_close_code
            .map_or_else(String::new, |code| format!(" ({code})")),
        escape_html(&case.reason),
    );
    let _ = write!(
        out,
        "<dl class=\"obs\"><dt>Observation</dt><dd>{}</dd><dt>Closing</dt><dd>{}</dd>\
         <dt>Started</dt><dd>{} ({} ms)</dd><dt>Report file</dt><dd><code>{}</code></dd></dl>",
        escape_html(&case.result),
        escape_html(&case.result_close),
        escape_html(&case.started),
        case.duration_ms,
        escape_html(&case_report_filename(&case.agent, &case.id)),
    );
    let mut detail = String::new();
    render_detail(&mut detail, case);
    if detail.len() <= *budget {
        *budget -= detail.len();
        out.push_str(&detail);
    } else {
        *budget = 0;
        let _ = write!(
            out,
            "<p class=\"wl-note\">Events, handshake and wire log are left out here: the page \
             holds {} MB of them at most. The report file named above has them, and \
             <code>wsconform report show DIR {} --agent …</code> prints them.</p>",
            PAGE_DETAIL_BUDGET / 1_000_000,
            escape_html(&case.id),
        );
    }
    out.push_str("</details>\n");
}

/// The heavy part of a result: events, closing flags and statistics, the opening
/// handshake and the wire log, each in a collapsed `<details>`.
fn render_detail(out: &mut String, case: &CaseResult) {
    let events = |v: &serde_json::Value| escape_text(&cut(&v.to_string(), EVENTS_LIMIT));
    let _ = write!(
        out,
        "<details class=\"sub\"><summary>Expected and observed events</summary>\
         <p>Expected:</p><pre>{}</pre><p>Expected close:</p><pre>{}</pre><p>Observed:</p><pre>{}</pre></details>",
        events(&case.expected),
        events(&case.expected_close),
        events(&case.received),
    );
    // One compact line per group keeps the page small with thousands of results.
    let _ = write!(
        out,
        "<details class=\"sub\"><summary>Closing flags and statistics</summary><pre>\
         isServer={} closedByMe={} failedByMe={} droppedByMe={} wasClean={}\n\
         wasNotCleanReason={}\n\
         wasServerConnectionDropTimeout={} wasOpenHandshakeTimeout={} wasCloseHandshakeTimeout={}\n\
         local close: code={} reason={}\nremote close: code={} reason={}\n\
         rx octets by size: {}\ntx octets by size: {}\n\
         rx frames by opcode: {}\ntx frames by opcode: {}</pre></details>",
        case.is_server,
        case.closed_by_me,
        case.failed_by_me,
        case.dropped_by_me,
        case.was_clean,
        escape_html(&opt_display(&case.was_not_clean_reason)),
        case.was_server_connection_drop_timeout,
        case.was_open_handshake_timeout,
        case.was_close_handshake_timeout,
        opt_display(&case.local_close_code),
        escape_html(&opt_display(&case.local_close_reason)),
        opt_display(&case.remote_close_code),
        escape_html(&opt_display(&case.remote_close_reason)),
        escape_html(&stats_line(&case.rx_octet_stats)),
        escape_html(&stats_line(&case.tx_octet_stats)),
        escape_html(&stats_line(&case.rx_frame_stats)),
        escape_html(&stats_line(&case.tx_frame_stats)),
    );
    let _ = write!(
        out,
        "<details class=\"sub\"><summary>Opening handshake</summary><pre>{}</pre><pre>{}</pre></details>",
        escape_text(&cut(case.http_request.trim_end(), HTTP_LIMIT)),
        escape_text(&cut(case.http_response.trim_end(), HTTP_LIMIT)),
    );
    render_wirelog(out, case);
}

// The page's style sheet and its optional script live beside this file.
const CSS: &str = include_str!("report.css");

// Optional: the page is complete without it.
const SCRIPT: &str = include_str!("report.js");

/// Where a page goes, and where the full results its case blocks show come from: the
/// page's runs may hold only summaries ([`CaseResult::into_summary`]).
trait Sink {
    /// Takes the text rendered so far (a file sink writes it out and empties `text`).
    fn flush(&mut self, text: &mut String) -> Result<(), ReportError>;
    /// The full result of which `case` is (or may be) the summary.
    fn full<'c>(&mut self, case: &'c CaseResult) -> Result<Cow<'c, CaseResult>, ReportError>;
}

/// The whole page in memory, from runs that hold full results.
struct InMemory;

impl Sink for InMemory {
    fn flush(&mut self, _: &mut String) -> Result<(), ReportError> {
        Ok(())
    }

    fn full<'c>(&mut self, case: &'c CaseResult) -> Result<Cow<'c, CaseResult>, ReportError> {
        Ok(Cow::Borrowed(case))
    }
}

/// Where the file of each case is, by agent and case id, when some are not where
/// [`case_report_filename`] puts them (a directory written by Autobahn).
pub(crate) type CaseFiles = HashMap<(String, String), PathBuf>;

/// The page written to a file as it is rendered, full results read from the case files
/// of the report directory one at a time.
struct ToFile<'d> {
    dir: &'d Path,
    files: &'d CaseFiles,
    file: std::io::BufWriter<fs::File>,
    path: PathBuf,
}

impl Sink for ToFile<'_> {
    fn flush(&mut self, text: &mut String) -> Result<(), ReportError> {
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| ReportError::Write {
                path: self.path.clone(),
                source,
            })?;
        text.clear();
        Ok(())
    }

    fn full<'c>(&mut self, case: &'c CaseResult) -> Result<Cow<'c, CaseResult>, ReportError> {
        let key = (case.agent.clone(), case.id.clone());
        let path = match self.files.get(&key) {
            Some(path) => path.clone(),
            None => self.dir.join(case_report_filename(&case.agent, &case.id)),
        };
        parse_json(&path).map(Cow::Owned)
    }
}

/// Renders all runs as one self-contained HTML page.
pub fn render_html(runs: &[RunReport]) -> String {
    let mut out = String::new();
    render(runs, &mut out, &mut InMemory).expect("rendering into memory cannot fail");
    out
}

/// Writes `dir/index.html` for `runs` (which may hold summaries only) as it is rendered,
/// reading the full result of each case shown in detail from its file in `dir` (named
/// in `files`, else as [`case_report_filename`] names it): the same page as
/// [`render_html`] of the full runs, in the memory of one case row.
pub(crate) fn write_html(
    dir: &Path,
    runs: &[RunReport],
    files: &CaseFiles,
) -> Result<(), ReportError> {
    let path = dir.join(HTML_FILE);
    let tmp = dir.join(format!(".{HTML_FILE}.tmp-{}", std::process::id()));
    let werr = |source| ReportError::Write {
        path: tmp.clone(),
        source,
    };
    let file = fs::File::create(&tmp).map_err(werr)?;
    let mut sink = ToFile {
        dir,
        files,
        file: std::io::BufWriter::new(file),
        path: tmp.clone(),
    };
    let mut out = String::new();
    let written = render(runs, &mut out, &mut sink)
        .and_then(|()| sink.flush(&mut out))
        .and_then(|()| sink.file.flush().map_err(werr))
        .and_then(|()| {
            fs::rename(&tmp, &path).map_err(|source| ReportError::Write {
                path: path.clone(),
                source,
            })
        });
    if written.is_err() {
        // Best effort: the temporary file is ours and useless once the write failed.
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// The agents of a page (sorted by name) and its cases, each with its result per agent.
struct Page<'r> {
    runs: Vec<&'r RunReport>,
    by_case: Vec<HashMap<&'r str, &'r CaseResult>>,
    case_ids: Vec<&'r str>,
}

impl<'r> Page<'r> {
    fn new(runs: &'r [RunReport]) -> Self {
        let mut runs: Vec<&RunReport> = runs.iter().collect();
        runs.sort_by(|a, b| a.agent.cmp(&b.agent));
        let by_case: Vec<HashMap<&str, &CaseResult>> = runs
            .iter()
            .map(|r| r.results.iter().map(|c| (c.id.as_str(), c)).collect())
            .collect();
        let mut case_ids: Vec<&str> = by_case.iter().flat_map(|m| m.keys().copied()).collect();
        case_ids.sort_by(|a, b| compare_case_ids(a, b));
        case_ids.dedup();
        Page {
            runs,
            by_case,
            case_ids,
        }
    }

    fn row(&self, id: &str) -> Vec<Option<&'r CaseResult>> {
        self.by_case.iter().map(|m| m.get(id).copied()).collect()
    }

    /// Titles and texts of a case come from the first agent that ran it.
    fn first(&self, id: &str) -> &'r CaseResult {
        self.by_case
            .iter()
            .find_map(|m| m.get(id).copied())
            .expect("every listed case id comes from some run")
    }
}

fn render(runs: &[RunReport], out: &mut String, sink: &mut dyn Sink) -> Result<(), ReportError> {
    let page = Page::new(runs);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>WebSocket conformance report</title>\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str("<h1>WebSocket conformance report</h1>\n");
    render_header(out, &page);
    out.push_str(LEGEND);
    render_summary(out, &page.runs);
    render_failing(out, &page.runs);
    out.push_str(
        "<h2>Results</h2>\n<div id=\"tools\" class=\"tools\" hidden>\
<button type=\"button\" id=\"expand-all\">Expand all details</button>\
<button type=\"button\" id=\"collapse-all\">Collapse all details</button></div>\n\
<input type=\"checkbox\" id=\"only-problems\"><label for=\"only-problems\"> Hide cases where every agent passed cleanly</label>\n",
    );
    render_matrix(out, &page);
    sink.flush(out)?;
    render_blocks(out, &page, sink)?;
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    Ok(())
}

/// How many agents and cases, the tool versions, and a warning per agent tested without
/// TLS verification.
fn render_header(out: &mut String, page: &Page) {
    let mut versions: Vec<&str> = page
        .runs
        .iter()
        .map(|r| r.tool_version.as_str())
        .filter(|v| !v.is_empty())
        .collect();
    versions.sort_unstable();
    versions.dedup();
    let _ = writeln!(
        out,
        "<p>{} agent(s), {} case(s){}.</p>",
        page.runs.len(),
        page.case_ids.len(),
        if versions.is_empty() {
            String::new()
        } else {
            format!(
                ", produced by wsconform {}",
                escape_html(&versions.join(", "))
            )
        }
    );
    for run in page.runs.iter().filter(|r| r.insecure_tls) {
        let _ = writeln!(
            out,
            "<p class=\"warn\">TLS certificate verification was turned off for agent <b>{}</b>.</p>",
            escape_html(&run.agent)
        );
    }
}

const LEGEND: &str = "<h2>Legend</h2>\n<table class=\"legend\">\
<tr><td class=\"b-ok\">Pass</td><td>Executed and passed.</td></tr>\
<tr><td class=\"b-ns\">Non-Strict</td><td>Passed, but not with the canonical behaviour: a SHOULD of the RFC, or a well-defined behaviour the RFC leaves open, was not followed. Still conformant.</td></tr>\
<tr><td class=\"b-fail\">Fail</td><td>A MUST of the RFC was broken (except for performance and limit cases).</td></tr>\
<tr><td class=\"b-info\">Info</td><td>Behaviour the RFC leaves unspecified, recorded for information.</td></tr>\
<tr><td class=\"b-unimpl\">Unimplemented</td><td>The agent does not offer the tested feature.</td></tr>\
<tr><td class=\"missing\">Missing</td><td>The case was not run for this agent.</td></tr>\
</table>\n<p>The second cell of each agent is the closing handshake: the peer's close code, colored \
<span class=\"badge c-ok\">OK</span> <span class=\"badge c-almost\">failed by client</span> \
<span class=\"badge c-ns\">wrong code</span> <span class=\"badge c-info\">informational</span> \
<span class=\"badge c-fail\">unclean / failed</span>.</p>\n";

/// One row per agent: verdict counts, the URL tested, start time and tool version.
fn render_summary(out: &mut String, runs: &[&RunReport]) {
    out.push_str("<h2>Summary</h2>\n<table class=\"summary\"><tr><th>Agent</th><th>Cases</th>");
    for b in Behavior::ALL {
        let _ = write!(out, "<th>{b}</th>");
    }
    out.push_str("<th>Close not OK</th><th>URL</th><th>Started</th><th>Tool</th></tr>\n");
    for run in runs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            escape_html(&run.agent),
            run.results.len()
        );
        for b in Behavior::ALL {
            let n = run.results.iter().filter(|c| c.behavior == b).count();
            let class = if n > 0 { behavior_cell(b).1 } else { "" };
            let _ = write!(out, "<td class=\"{class}\">{n}</td>");
        }
        let bad_close = run
            .results
            .iter()
            .filter(|c| !c.behavior_close.is_acceptable())
            .count();
        let _ = writeln!(
            out,
            "<td>{bad_close}</td><td class=\"url\">{}</td><td>{}</td><td>{}</td></tr>",
            // Clients under test connect to the suite: they have no URL.
            escape_html(run.url.as_deref().unwrap_or("")),
            escape_html(&run.started),
            escape_html(&run.tool_version)
        );
    }
    out.push_str("</table>\n");
}

/// The agent × case matrix. Rows where every agent passed cleanly have no case block
/// below, so their cells link nowhere.
fn render_matrix(out: &mut String, page: &Page) {
    out.push_str("<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th>Case</th>");
    for run in &page.runs {
        let _ = write!(out, "<th colspan=\"2\">{}</th>", escape_html(&run.agent));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let width = page.runs.len() * 2 + 1;
    let mut headings = Headings::default();
    for &id in &page.case_ids {
        headings.write(out, id, page.first(id), |out, level, text| {
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><th colspan=\"{width}\">{text}</th></tr>",
                ["sec", "sub"][level]
            );
        });
        let cells = page.row(id);
        let all_ok = is_all_ok(&cells);
        let link = |anchor: String, text: &str| {
            if all_ok {
                text.to_owned()
            } else {
                format!("<a href=\"#{anchor}\">{text}</a>")
            }
        };
        let _ = write!(
            out,
            "<tr{}><th class=\"case\">{}</th>",
            if all_ok { " class=\"all-ok\"" } else { "" },
            link(case_anchor(id), &escape_html(id))
        );
        for (i, cell) in cells.iter().enumerate() {
            match cell {
                None => out.push_str("<td class=\"missing\" colspan=\"2\">Missing</td>"),
                Some(c) => {
                    let (label, class) = behavior_cell(c.behavior);
                    let detail = cell_detail(c);
                    let _ = write!(
                        out,
                        "<td class=\"{class}\" title=\"{}\">{}{}</td><td class=\"{}\" title=\"{}\">{}</td>",
                        escape_html(&c.reason),
                        link(result_anchor(i, id), label),
                        if detail.is_empty() {
                            String::new()
                        } else {
                            format!("<span class=\"detail\">{}</span>", escape_html(&detail))
                        },
                        close_class(c.behavior_close),
                        escape_html(&close_title(c)),
                        escape_html(&close_text(c)),
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// One block per case that is not clean for every agent: its description, expectation,
/// RFC rule, and each agent's result with the observation and the wire log. Cases every
/// agent passed cleanly are in the matrix only (their files hold everything), which
/// keeps the page light enough to open quickly with hundreds of cases and several agents.
fn render_blocks(out: &mut String, page: &Page, sink: &mut dyn Sink) -> Result<(), ReportError> {
    let clean = page
        .case_ids
        .iter()
        .filter(|id| is_all_ok(&page.row(id)))
        .count();
    let _ = writeln!(
        out,
        "<div id=\"cases\">\n<h2>Cases</h2>\n<p>Every case that is not a clean pass for every \
         agent, in detail. The {clean} case(s) every agent passed cleanly are in the matrix \
         only; each case's file in the report directory (<code>&lt;agent&gt;_case_&lt;id&gt;.json</code>, \
         or <code>wsconform report show DIR CASE</code>) holds all of it.</p>"
    );
    let mut headings = Headings::default();
    let mut budget = PAGE_DETAIL_BUDGET;
    for &id in &page.case_ids {
        let cells = page.row(id);
        if is_all_ok(&cells) {
            continue;
        }
        let meta = page.first(id);
        headings.write(out, id, meta, |out, level, text| {
            let _ = match level {
                0 => writeln!(out, "<h3 class=\"sec\">{text}</h3>"),
                _ => writeln!(out, "<h4 class=\"subsec\">{text}</h4>"),
            };
        });
        let _ = writeln!(
            out,
            "<article class=\"case\" id=\"{}\"><h5>Case {} <a href=\"#matrix\" class=\"up\">↑ matrix</a></h5>\
             <dl><dt>Description</dt><dd>{}</dd><dt>Expectation</dt><dd>{}</dd><dt>RFC</dt><dd>{}</dd></dl>",
            case_anchor(id),
            escape_html(id),
            escape_html(&meta.description),
            escape_html(&meta.expectation),
            if meta.rfc.is_empty() {
                "-".to_owned()
            } else {
                escape_html(&meta.rfc)
            },
        );
        for (i, cell) in cells.iter().enumerate() {
            match cell {
                Some(c) => render_result(out, i, sink.full(c)?.as_ref(), &mut budget),
                None => {
                    let _ = writeln!(
                        out,
                        "<p><span class=\"agent\">{}</span> <span class=\"badge missing\">Missing</span></p>",
                        escape_html(&page.runs[i].agent)
                    );
                }
            }
        }
        out.push_str("</article>\n");
        sink.flush(out)?;
    }
    out.push_str("</div>\n");
    Ok(())
}

/// Tracks which section and subsection headings a list of cases has opened, so
/// the matrix and the case blocks each print a heading where a new one starts.
#[derive(Default)]
struct Headings<'a> {
    section: Option<&'a str>,
    subsection: Option<&'a str>,
}

impl<'a> Headings<'a> {
    /// The headings case `id` opens: its section when new, its subsection when new
    /// (none for a case that is its own subsection, as "2.1" in a 2-level id).
    fn enter(&mut self, id: &'a str) -> (Option<&'a str>, Option<&'a str>) {
        let (section, subsection) = (section_of(id), subsection_of(id));
        let new_section = (self.section != Some(section)).then_some(section);
        if new_section.is_some() {
            self.section = Some(section);
            self.subsection = None;
        }
        let new_subsection =
            (self.subsection != Some(subsection) && subsection != id).then_some(subsection);
        if new_subsection.is_some() {
            self.subsection = Some(subsection);
        }
        (new_section, new_subsection)
    }

    /// Writes the headings case `id` opens through `heading(out, level, text)`: level 0
    /// for a section, 1 for a subsection, with the escaped number and title as text.
    fn write(
        &mut self,
        out: &mut String,
        id: &'a str,
        meta: &CaseResult,
        heading: impl Fn(&mut String, usize, String),
    ) {
        let (section, subsection) = self.enter(id);
        let titles = [
            (section, &meta.section_title),
            (subsection, &meta.subsection_title),
        ];
        for (level, (number, title)) in titles.into_iter().enumerate() {
            if let Some(number) = number {
                heading(
                    out,
                    level,
                    format!("{} {}", escape_html(number), escape_html(title)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
