//! Terminal summary tables and the machine-readable summary of a run.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::case_id::{compare_case_ids, section_of};
use crate::gating::{FailOn, Gate};
use crate::model::{Behavior, CaseResult, CloseBehavior, RunReport};

/// Longest reason shown in a terminal table cell.
const REASON_WIDTH: usize = 100;

/// Per-section tallies, in section order.
struct Section<'a> {
    id: &'a str,
    title: &'a str,
    counts: BTreeMap<Behavior, usize>,
    close_not_ok: usize,
    total: usize,
}

fn sections(run: &RunReport) -> Vec<Section<'_>> {
    let mut map: BTreeMap<&str, Section<'_>> = BTreeMap::new();
    for case in &run.results {
        let id = section_of(&case.id);
        let s = map.entry(id).or_insert_with(|| Section {
            id,
            title: &case.section_title,
            counts: BTreeMap::new(),
            close_not_ok: 0,
            total: 0,
        });
        if s.title.is_empty() {
            s.title = &case.section_title;
        }
        *s.counts.entry(case.behavior).or_default() += 1;
        s.close_not_ok += usize::from(!case.behavior_close.is_acceptable());
        s.total += 1;
    }
    let mut out: Vec<Section<'_>> = map.into_values().collect();
    out.sort_by(|a, b| compare_case_ids(a.id, b.id));
    out
}

fn one_line(s: &str, width: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(width) {
        Some((pos, _)) => format!("{}…", &flat[..pos]),
        None => flat,
    }
}

/// [`summary_table_with`] with the default [`FailOn::Failed`].
pub fn summary_table(run: &RunReport) -> String {
    summary_table_with(run, FailOn::Failed)
}

/// The terminal summary: a heading, one row per section with the count of each behavior
/// (and of close verdicts other than OK/INFORMATIONAL), a total row, then the cases failing
/// under `fail_on` with their verdicts and one-line reason.
pub fn summary_table_with(run: &RunReport, fail_on: FailOn) -> String {
    summary_table_gated(
        run,
        &Gate {
            fail_on,
            baseline: None,
        },
    )
}

/// [`summary_table_with`] for a run gated by `gate`: the failing list is exactly the cases
/// that fail the gate, and the cases its baseline accepts are named after it.
pub fn summary_table_gated(run: &RunReport, gate: &Gate) -> String {
    let fail_on = gate.fail_on;
    let mut builder = Builder::new();
    let mut header = vec!["section".to_owned(), "title".to_owned()];
    header.extend(Behavior::ALL.iter().map(|b| b.to_string()));
    header.extend(["close not OK".to_owned(), "total".to_owned()]);
    builder.push_record(header);
    for s in sections(run) {
        let mut row = vec![s.id.to_owned(), s.title.to_owned()];
        row.extend(
            Behavior::ALL
                .iter()
                .map(|b| s.counts.get(b).copied().unwrap_or(0).to_string()),
        );
        row.extend([s.close_not_ok.to_string(), s.total.to_string()]);
        builder.push_record(row);
    }
    let mut total = vec!["all".to_owned(), String::new()];
    total.extend(Behavior::ALL.iter().map(|b| {
        run.results
            .iter()
            .filter(|c| c.behavior == *b)
            .count()
            .to_string()
    }));
    total.extend([
        run.results
            .iter()
            .filter(|c| !c.behavior_close.is_acceptable())
            .count()
            .to_string(),
        run.results.len().to_string(),
    ]);
    builder.push_record(total);
    let mut table = builder.build();
    table.with(Style::sharp());

    let mut out = format!("agent: {}\n{table}\n", run.agent);
    let mut failing = gate.failing(run);
    failing.sort_by(|a, b| compare_case_ids(&a.id, &b.id));
    if failing.is_empty() {
        out.push_str(&format!("no case fails (fail-on {fail_on})\n"));
    } else {
        let mut builder = Builder::new();
        builder.push_record(["case", "behavior", "behaviorClose", "reason"]);
        for c in &failing {
            builder.push_record([
                c.id.clone(),
                c.behavior.to_string(),
                c.behavior_close.to_string(),
                one_line(&c.reason, REASON_WIDTH),
            ]);
        }
        let mut table = builder.build();
        table.with(Style::sharp());
        out.push_str(&format!(
            "{} case(s) fail (fail-on {fail_on}):\n{table}\n",
            failing.len()
        ));
    }
    let accepted = sorted_ids(gate.accepted(run));
    if !accepted.is_empty() {
        out.push_str(&format!(
            "{} failing case(s) accepted by the baseline: {}\n",
            accepted.len(),
            accepted.join(", ")
        ));
    }
    out
}

/// The ids of `cases`, in case id order.
fn sorted_ids(cases: Vec<&CaseResult>) -> Vec<&str> {
    let mut ids: Vec<&str> = cases.into_iter().map(|c| c.id.as_str()).collect();
    ids.sort_by(|a, b| compare_case_ids(a, b));
    ids
}

/// Milliseconds since the Unix epoch of an ISO 8601 UTC timestamp as Autobahn and the harness
/// write it (`YYYY-MM-DDTHH:MM:SS[.fff…]Z`); `None` for anything else.
pub fn parse_utc_millis(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let (y, mo, da): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, frac),
        None => (time, ""),
    };
    let mut t = hms.split(':');
    let (h, mi, se): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if t.next().is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    // Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + millis)
}

/// Wall-clock span of the run: from the earliest case start to the latest case end, when
/// every start time parses.
fn wall_millis(results: &[CaseResult]) -> Option<i64> {
    let mut first: Option<i64> = None;
    let mut last: Option<i64> = None;
    for c in results {
        let start = parse_utc_millis(&c.started)?;
        let end = start + i64::try_from(c.duration_ms).ok()?;
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    Some(last? - first?)
}

/// [`summary_json_with`] with the default [`FailOn::Failed`].
pub fn summary_json(run: &RunReport) -> Value {
    summary_json_with(run, FailOn::Failed)
}

/// The machine summary of a run (`--format json`):
///
/// ```json
/// { "agent": "…", "toolVersion": "…", "started": "…", "insecureTls": false,
///   "total": 517, "counts": {"OK": 500, "INFORMATIONAL": 3, …all five…},
///   "closeCounts": {"OK": 510, …all six…},
///   "failOn": "failed", "failing": ["5.2", …], "passed": false,
///   "wallMs": 12345, "caseDurationSumMs": 60000,
///   "sections": [{"section": "1", "title": "Framing", "total": 16, "counts": {…}}, …] }
/// ```
///
/// `wallMs` (earliest case start to latest case end) is `null` when a start time does not
/// parse; `caseDurationSumMs` adds up case durations, which overlap when cases run
/// concurrently.
pub fn summary_json_with(run: &RunReport, fail_on: FailOn) -> Value {
    summary_json_gated(
        run,
        &Gate {
            fail_on,
            baseline: None,
        },
    )
}

/// [`summary_json_with`] for a run gated by `gate`: `failing` lists the cases that fail the
/// gate, `accepted` those its baseline accepts.
pub fn summary_json_gated(run: &RunReport, gate: &Gate) -> Value {
    let fail_on = gate.fail_on;
    let counts = |filter: &dyn Fn(&CaseResult) -> bool| -> Value {
        Behavior::ALL
            .iter()
            .map(|b| {
                let n = run
                    .results
                    .iter()
                    .filter(|c| c.behavior == *b && filter(c))
                    .count();
                (b.to_string(), json!(n))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let close_counts: serde_json::Map<String, Value> = CloseBehavior::ALL
        .iter()
        .map(|b| {
            let n = run
                .results
                .iter()
                .filter(|c| c.behavior_close == *b)
                .count();
            (b.to_string(), json!(n))
        })
        .collect();
    let failing = sorted_ids(gate.failing(run));
    let sections: Vec<Value> = sections(run)
        .into_iter()
        .map(|s| {
            let id = s.id;
            json!({
                "section": id,
                "title": s.title,
                "total": s.total,
                "counts": counts(&|c: &CaseResult| section_of(&c.id) == id),
            })
        })
        .collect();
    json!({
        "agent": run.agent,
        "toolVersion": run.tool_version,
        "started": run.started,
        "insecureTls": run.insecure_tls,
        "url": run.url,
        "total": run.results.len(),
        "counts": counts(&|_| true),
        "closeCounts": close_counts,
        "failOn": fail_on.as_str(),
        "failing": failing,
        "accepted": sorted_ids(gate.accepted(run)),
        "passed": failing.is_empty(),
        "wallMs": wall_millis(&run.results),
        "caseDurationSumMs": run.results.iter().map(|c| c.duration_ms).sum::<u64>(),
        "sections": sections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps_parse_to_epoch_millis() {
        assert_eq!(parse_utc_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc_millis("1970-01-01T00:00:01.5Z"), Some(1500));
        // 2000-03-01 is day 11017 after the epoch (leap-year February included).
        assert_eq!(
            parse_utc_millis("2000-03-01T00:00:00.000Z"),
            Some(11_017 * 86_400_000)
        );
        assert_eq!(
            parse_utc_millis("2025-01-31T12:34:56.789Z"),
            Some(1_738_326_896_789)
        );
        assert_eq!(parse_utc_millis("2025-01-31 12:34:56Z"), None);
        assert_eq!(parse_utc_millis("2025-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc_millis("2025-01-31T12:34:56"), None);
    }
}
