//! One case as text for a terminal (`wsconform report show DIR CASE`): verdicts, reason,
//! expectation, the RFC clause, close codes and the wire log.

use std::fmt::Write as _;

use crate::html::wirelog_line;
use crate::model::CaseResult;

fn close_text(code: Option<u16>, reason: Option<&str>) -> String {
    match (code, reason) {
        (None, _) => "none".to_owned(),
        (Some(c), Some(r)) if !r.is_empty() => format!("{c} {r:?}"),
        (Some(c), _) => c.to_string(),
    }
}

/// The text of one case.
pub fn render_case_text(case: &CaseResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case {} ({})", case.id, case.agent);
    if !case.subsection_title.is_empty() || !case.section_title.is_empty() {
        let _ = writeln!(
            out,
            "section: {} / {}",
            case.section_title, case.subsection_title
        );
    }
    if !case.protocol.is_empty() {
        let _ = writeln!(out, "protocol: {}", case.protocol);
    }
    let _ = writeln!(out, "description: {}", case.description);
    let _ = writeln!(out, "expectation: {}", case.expectation);
    if !case.rfc.is_empty() {
        let _ = writeln!(out, "rfc: {}", case.rfc);
    }
    let _ = writeln!(
        out,
        "verdict: {} / close {} ({} ms)",
        case.behavior, case.behavior_close, case.duration_ms
    );
    let _ = writeln!(out, "reason: {}", case.reason);
    let _ = writeln!(out, "result: {}", case.result);
    let _ = writeln!(out, "resultClose: {}", case.result_close);
    let _ = writeln!(
        out,
        "close sent: {}; close received: {}; clean: {}",
        close_text(case.local_close_code, case.local_close_reason.as_deref()),
        close_text(case.remote_close_code, case.remote_close_reason.as_deref()),
        case.was_clean
    );
    let _ = writeln!(out, "wire log ({} rows):", case.wirelog.len());
    for (i, entry) in case.wirelog.iter().enumerate() {
        let (line, _) = wirelog_line(entry);
        let _ = writeln!(out, "  {i:03} {line}");
    }
    out
}
