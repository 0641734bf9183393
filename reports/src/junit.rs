//! JUnit XML in the common schema read by GitHub Actions and GitLab test-report parsers:
//! `testsuites > testsuite[name,tests,failures,errors,skipped,time] >
//! testcase[name,classname,time] > failure | skipped`.
//!
//! Mapping: one `testsuite` per section (`section 6: UTF-8 Handling`), one `testcase` per
//! case. A case that fails the run's [`Gate`] (`--fail-on`, `--baseline`) gets a
//! `<failure>` whose message is the one-line reason, so the XML fails exactly when the exit
//! code does; a case the baseline accepts is `<skipped>` ("accepted by baseline: FAILED");
//! UNIMPLEMENTED becomes `<skipped>` unless it fails the gate; other verdicts pass, with
//! `<properties>` naming them when they are not OK.

use std::fmt::Write as _;

use crate::autobahn_json::clean_for_filename;
use crate::case_id::{compare_case_ids, section_of};
use crate::gating::{CaseGate, Gate};
use crate::html::escape_markup;
use crate::model::{Behavior, CaseResult, CloseBehavior, RunReport};
use crate::table::parse_utc_millis;

/// Escapes text for XML 1.0 content and attribute values. Characters XML 1.0 forbids
/// (C0 controls other than tab, newline, carriage return; U+FFFE; U+FFFF) cannot be escaped
/// at all, so they are written as the text `\u{XXXX}`; tab, newline and carriage return are
/// written as character references so attribute values keep them.
pub fn escape_xml(s: &str) -> String {
    escape_markup(s, |out, c| match c {
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&apos;"),
        '\t' => out.push_str("&#9;"),
        '\n' => out.push_str("&#10;"),
        '\r' => out.push_str("&#13;"),
        c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        }
        c => out.push(c),
    })
}

/// ` timestamp="YYYY-MM-DDTHH:MM:SS"` (the schema's zone-less form without fractions) when
/// the run's start parses, else nothing.
fn timestamp_attr(started: &str) -> String {
    match (parse_utc_millis(started), started.get(..19)) {
        (Some(_), Some(whole_seconds)) => format!(" timestamp=\"{whole_seconds}\""),
        _ => String::new(),
    }
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

enum Outcome {
    Failure,
    Skipped(String),
    Passed,
}

fn outcome(case: &CaseResult, gate: &Gate) -> Outcome {
    match gate.judge(case) {
        CaseGate::Fails => Outcome::Failure,
        CaseGate::Accepted((b, c)) => Outcome::Skipped(format!(
            "accepted by baseline: {}",
            if c == CloseBehavior::Ok {
                b.to_string()
            } else {
                format!("{b} / {c}")
            }
        )),
        CaseGate::Passes if case.behavior == Behavior::Unimplemented => {
            Outcome::Skipped(format!("UNIMPLEMENTED: {}", case.reason))
        }
        CaseGate::Passes => Outcome::Passed,
    }
}

fn failure_details(case: &CaseResult) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "behavior: {}\nbehaviorClose: {}",
        case.behavior, case.behavior_close
    );
    if !case.rfc.is_empty() {
        let _ = writeln!(d, "rfc: {}", case.rfc);
    }
    let _ = writeln!(d, "description: {}", case.description);
    let _ = writeln!(d, "expectation: {}", case.expectation);
    let _ = writeln!(d, "result: {}", case.result);
    let _ = writeln!(d, "resultClose: {}", case.result_close);
    let _ = writeln!(d, "received: {}", case.received);
    d
}

/// Renders one run as a JUnit XML document, failing what [`crate::FailOn::Failed`] fails.
pub fn render_junit(run: &RunReport) -> String {
    render_junit_gated(std::slice::from_ref(run), &Gate::default())
}

/// Renders runs as one JUnit XML document whose `<failure>`s are exactly the cases that
/// fail `gate`; cases the gate's baseline accepts are `<skipped>` with the accepted
/// verdict as message, UNIMPLEMENTED ones that pass the gate are `<skipped>` too. With
/// several runs each suite name starts with its agent, so CI test views keep them apart.
pub fn render_junit_gated(runs: &[RunReport], gate: &Gate) -> String {
    let all: Vec<&CaseResult> = runs.iter().flat_map(|r| &r.results).collect();
    let outcomes: Vec<Outcome> = all.iter().map(|c| outcome(c, gate)).collect();
    let failures = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Failure))
        .count();
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Skipped(_)))
        .count();
    let root = match runs {
        [run] => format!("wsconform: {}", run.agent),
        _ => "wsconform".to_owned(),
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
        escape_xml(&root),
        all.len(),
        seconds(all.iter().map(|c| c.duration_ms).sum()),
    );
    for run in runs {
        let prefix = match runs {
            [_] => String::new(),
            _ => format!("{}: ", run.agent),
        };
        write_run(&mut out, run, gate, &prefix);
    }
    out.push_str("</testsuites>\n");
    out
}

/// Groups a run's cases by section, in case-id order.
fn sections(run: &RunReport) -> Vec<(&str, Vec<&CaseResult>)> {
    let mut cases: Vec<&CaseResult> = run.results.iter().collect();
    cases.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
    let mut groups: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    for case in cases {
        let section = section_of(&case.id);
        match groups.last_mut() {
            Some((s, list)) if *s == section => list.push(case),
            _ => groups.push((section, vec![case])),
        }
    }
    groups
}

/// One `testsuite` per section of `run`, suite names starting with `prefix`.
fn write_run(out: &mut String, run: &RunReport, gate: &Gate, prefix: &str) {
    let agent_class = match clean_for_filename(&run.agent) {
        a if a.is_empty() => "agent".to_owned(),
        a => a,
    };
    for (section, list) in sections(run) {
        let outcomes: Vec<Outcome> = list.iter().map(|c| outcome(c, gate)).collect();
        let title = list
            .iter()
            .map(|c| c.section_title.as_str())
            .find(|t| !t.is_empty())
            .unwrap_or("");
        let name = if title.is_empty() {
            format!("{prefix}section {section}")
        } else {
            format!("{prefix}section {section}: {title}")
        };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\"{}>",
            escape_xml(&name),
            list.len(),
            outcomes.iter().filter(|o| matches!(o, Outcome::Failure)).count(),
            outcomes.iter().filter(|o| matches!(o, Outcome::Skipped(_))).count(),
            seconds(list.iter().map(|c| c.duration_ms).sum()),
            timestamp_attr(&run.started),
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"agent\" value=\"{}\"/><property name=\"toolVersion\" value=\"{}\"/></properties>",
            escape_xml(&run.agent),
            escape_xml(&run.tool_version)
        );
        let classname = format!("{agent_class}.section_{}", clean_for_filename(section));
        for (case, outcome) in list.iter().zip(outcomes) {
            write_case(out, case, outcome, &classname);
        }
        out.push_str("  </testsuite>\n");
    }
}

fn write_case(out: &mut String, case: &CaseResult, outcome: Outcome, classname: &str) {
    let name = if case.subsection_title.is_empty() {
        case.id.clone()
    } else {
        format!("{} {}", case.id, case.subsection_title)
    };
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        escape_xml(&name),
        escape_xml(classname),
        seconds(case.duration_ms)
    );
    match outcome {
        Outcome::Failure => {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                escape_xml(&case.reason),
                escape_xml(&format!("{}/{}", case.behavior, case.behavior_close)),
                escape_xml(&failure_details(case)),
            );
        }
        Outcome::Skipped(message) => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape_xml(&message),
            );
        }
        Outcome::Passed
            if case.behavior != Behavior::Ok || !case.behavior_close.is_acceptable() =>
        {
            let _ = writeln!(
                out,
                ">\n      <properties><property name=\"behavior\" value=\"{}\"/><property name=\"behaviorClose\" value=\"{}\"/><property name=\"reason\" value=\"{}\"/></properties>\n    </testcase>",
                case.behavior,
                escape_xml(case.behavior_close.as_str()),
                escape_xml(&case.reason),
            );
        }
        Outcome::Passed => out.push_str("/>\n"),
    }
}
