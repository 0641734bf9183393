//! Turning finished cases into the report model of `ws-reports`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use ws_cases::model::Event;
use ws_cases::run::WireEvent;
use ws_reports::{CaseResult, RunReport, WireLogEntry};

use crate::runner::CaseRecord;

/// Payload bytes kept in the `expected`/`received` lists; beyond that they are cut with a note.
const EVENT_PAYLOAD_MAX: usize = 64 * 1024;

/// ISO 8601 UTC with milliseconds, from a wall-clock time (no time-zone crate needed).
pub fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        d.subsec_millis()
    )
}

fn payload_value(p: &[u8]) -> Value {
    let (shown, cut) = if p.len() > EVENT_PAYLOAD_MAX {
        (&p[..EVENT_PAYLOAD_MAX], true)
    } else {
        (p, false)
    };
    let mut s = match std::str::from_utf8(shown) {
        Ok(t) => t.to_string(),
        Err(_) => format!("0x{}", ws_reports::wirelog::bin_log_data(shown)),
    };
    if cut {
        s.push_str(&format!(" ... ({} bytes in all)", p.len()));
    }
    Value::String(s)
}

fn event_value(e: &Event) -> Value {
    match e {
        Event::Message { payload, binary } => json!(["message", payload_value(payload), binary]),
        Event::Ping(p) => json!(["ping", payload_value(p)]),
        Event::Pong(p) => json!(["pong", payload_value(p)]),
        Event::Timeout(t) => json!(["timeout", t]),
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn wire_entry(e: &WireEvent) -> WireLogEntry {
    use ws_reports::wirelog::{ascii_log_data, bin_log_data};
    let hex_key = |k: Option<[u8; 4]>| k.map(|k| bin_log_data(&k));
    match e {
        WireEvent::TxOctets {
            len, head, flush, ..
        } => WireLogEntry::TxOctets {
            len: *len as u64,
            hex: bin_log_data(head),
            sync: *flush,
        },
        WireEvent::RxOctets { len, head, .. } => WireLogEntry::RxOctets {
            len: *len as u64,
            hex: bin_log_data(head),
        },
        WireEvent::TxFrame {
            header,
            head,
            chop,
            sync,
            ..
        } => WireLogEntry::TxFrame {
            payload_len: header.payload_len,
            payload: ascii_log_data(head),
            opcode: header.opcode.as_u4(),
            fin: header.fin,
            rsv: header.rsv,
            mask: hex_key(header.mask),
            repeat_length: None,
            chopsize: chop.map(|c| c as u64),
            sync: *sync,
        },
        WireEvent::RxFrame { header, head, .. } => WireLogEntry::RxFrame {
            payload_len: header.payload_len,
            payload: ascii_log_data(head),
            opcode: header.opcode.as_u4(),
            fin: header.fin,
            rsv: header.rsv,
            masked: header.mask.is_some(),
            mask: hex_key(header.mask),
        },
        WireEvent::TimerSet {
            kind, delay, tag, ..
        } => match *kind {
            "KL" => WireLogEntry::KillAfter {
                delay: secs(*delay),
            },
            "TI" => WireLogEntry::CloseAfter {
                delay: secs(*delay),
            },
            _ => WireLogEntry::Timer {
                delay: secs(*delay),
                tag: tag.map(str::to_string),
            },
        },
        WireEvent::TimerFired { kind, tag, .. } => match *kind {
            "KLE" => WireLogEntry::KillFired,
            "TIE" => WireLogEntry::CloseFired,
            _ => WireLogEntry::TimerFired {
                tag: tag.map(str::to_string),
            },
        },
        // Autobahn has no row for TCP teardown; its detail page ends with
        // "TCP DROPPED BY ME/PEER" from the flags, which the report carries too.
        WireEvent::DroppedByMe { .. } | WireEvent::DroppedByPeer { .. } => {
            WireLogEntry::WirelogMode { enabled: true }
        }
    }
}

/// The report's wire log: the rows kept, with a `CUT` row where a bounded log left
/// rows out.
fn wire_log(out: &ws_cases::run::RunOutcome) -> Vec<WireLogEntry> {
    let mut rows = Vec::with_capacity(out.wirelog.len() + 1);
    for (i, e) in out.wirelog.iter().enumerate() {
        if let Some(cut) = out.wirelog_cut.filter(|c| c.at == i) {
            rows.push(WireLogEntry::Cut {
                rows: cut.rows,
                octets: cut.octets,
            });
        }
        if !matches!(
            e,
            WireEvent::DroppedByMe { .. } | WireEvent::DroppedByPeer { .. }
        ) {
            rows.push(wire_entry(e));
        }
    }
    rows
}

fn stats<K: ToString>(m: &BTreeMap<K, u64>) -> BTreeMap<String, u64> {
    m.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// One case result in the report model.
pub fn case_result(record: &CaseRecord, agent: &str) -> CaseResult {
    let case = &record.case;
    let out = &record.outcome;
    let obs = &out.observation;
    let v = &out.verdict;
    let mut expected = serde_json::Map::new();
    for (label, events) in &case.expect.outcomes {
        expected.insert(
            label.as_str().to_string(),
            Value::Array(events.iter().map(event_value).collect()),
        );
    }
    let wirelog = wire_log(out);
    let note = crate::confirm::note(record);
    let with_note = |text: &str| match &note {
        Some(n) => format!("{text} {n}"),
        None => text.to_string(),
    };
    CaseResult {
        case_index: record.index + 1,
        id: case.id.clone(),
        description: case.description.clone(),
        expectation: case.expectation_text.clone(),
        agent: agent.to_string(),
        started: iso8601(record.started),
        duration_ms: record.duration.as_millis() as u64,
        behavior: v.behavior,
        behavior_close: v.behavior_close,
        result: with_note(&v.result),
        result_close: v.result_close.clone(),
        expected: Value::Object(expected),
        expected_close: json!({
            "closedByMe": case.expect.close.closed_by_me,
            "closeCode": case.expect.close.codes,
            "requireClean": case.expect.close.require_clean,
            "closedByWrongEndpointIsFatal": case.expect.close.wrong_endpoint_is_fatal,
        }),
        received: Value::Array(obs.received.iter().map(event_value).collect()),
        wirelog,
        closed_by_me: obs.closed_by_me,
        failed_by_me: obs.failed_by_me,
        dropped_by_me: obs.dropped_by_me,
        was_clean: obs.was_clean,
        was_not_clean_reason: obs.was_not_clean_reason.clone(),
        was_server_connection_drop_timeout: obs.was_server_connection_drop_timeout,
        was_open_handshake_timeout: obs.was_open_handshake_timeout,
        was_close_handshake_timeout: obs.was_close_handshake_timeout,
        local_close_code: obs.local_close_code,
        local_close_reason: obs.local_close_reason.clone(),
        remote_close_code: obs.remote_close_code,
        remote_close_reason: obs.remote_close_reason.clone(),
        is_server: obs.is_server,
        http_request: out.http_request.clone(),
        http_response: out.http_response.clone(),
        rx_octet_stats: stats(&out.rx_octet_stats),
        tx_octet_stats: stats(&out.tx_octet_stats),
        rx_frame_stats: stats(&out.rx_frame_stats),
        tx_frame_stats: stats(&out.tx_frame_stats),
        traffic_stats: None,
        report_time: case.report_time,
        report_compression_ratio: false,
        rfc: case.rfc_requirements(),
        reason: with_note(&v.reason),
        section_title: case.section.to_string(),
        subsection_title: case.subsection.clone(),
        protocol: record.protocol.clone(),
    }
}

/// The whole run in the report model; `url` is the server tested (none for clients).
pub fn run_report(
    results: Vec<CaseResult>,
    agent: &str,
    url: Option<&str>,
    started: SystemTime,
    insecure_tls: bool,
) -> RunReport {
    RunReport {
        agent: agent.to_string(),
        results,
        started: iso8601(started),
        insecure_tls,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        url: url.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_instants() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_395_420_123);
        assert_eq!(iso8601(t), "2026-11-23T00:57:00.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00.000Z");
    }
}
