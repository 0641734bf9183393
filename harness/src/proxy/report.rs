//! A proxy case's result in the report model shared with `run`.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use ws_cases::judge::Verdict;
use ws_cases::proxy::{ProxyCase, ProxyObservation, SideTrace};
use ws_reports::CaseResult;
use ws_spec::handshake::{Request, Response};
use ws_spec::intermediary::RelayedFrame;

use crate::report::iso8601;

/// One finished proxy case.
pub(super) struct ProxyRecord {
    /// 1-based position in the proxy catalogue.
    pub index: usize,
    /// The case.
    pub case: ProxyCase,
    /// What both sides saw.
    pub observation: ProxyObservation,
    /// The verdicts.
    pub verdict: Verdict,
    /// When it started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
}

fn request_text(r: &Request) -> String {
    let mut s = format!("{} {} {}\r\n", r.method, r.target, r.version);
    for (n, v) in &r.headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s + "\r\n"
}

fn response_text(r: &Response) -> String {
    let mut s = format!("{} {} {}\r\n", r.version, r.status, r.reason);
    for (n, v) in &r.headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s + "\r\n"
}

/// A frame as the report's event lists show it: type, length and the first bytes.
fn frame_value(f: &RelayedFrame) -> Value {
    let head = &f.payload[..f.payload.len().min(64)];
    let shown = match std::str::from_utf8(head) {
        Ok(t) => t.to_string(),
        Err(_) => format!("0x{}", ws_reports::wirelog::bin_log_data(head)),
    };
    json!({
        "opcode": f.opcode.as_u4(),
        "fin": f.fin,
        "rsv": f.rsv,
        "masked": f.masked,
        "length": f.payload.len(),
        "payload": shown,
    })
}

fn side_value(t: &SideTrace) -> Value {
    json!({
        "sent": t.sent.iter().map(frame_value).collect::<Vec<_>>(),
        "received": t.received.iter().map(frame_value).collect::<Vec<_>>(),
        "ended": t.ended,
        "error": t.error,
    })
}

/// The result of one proxy case, in the shape `run` writes (Autobahn's keys plus ours).
pub(super) fn case_result(r: &ProxyRecord, agent: &str) -> CaseResult {
    let (case, obs, v) = (&r.case, &r.observation, &r.verdict);
    let hs = &obs.handshake;
    // The request as the backend received it (what the proxy made of the client's),
    // and the response as the client received it.
    let http_request = hs
        .backend_request
        .as_ref()
        .map(request_text)
        .unwrap_or_default();
    let http_response = hs
        .client_response
        .as_ref()
        .map(response_text)
        .unwrap_or_default();
    let close = obs.final_close.as_ref();
    CaseResult {
        case_index: r.index,
        id: case.id.clone(),
        description: case.description.clone(),
        expectation: case.expectation_text.clone(),
        agent: agent.to_string(),
        started: iso8601(r.started),
        duration_ms: r.duration.as_millis() as u64,
        behavior: v.behavior,
        behavior_close: v.behavior_close,
        result: v.result.clone(),
        result_close: v.result_close.clone(),
        expected: json!({}),
        expected_close: json!({}),
        received: json!({"client": side_value(&obs.client), "backend": side_value(&obs.backend)}),
        wirelog: Vec::new(),
        closed_by_me: true,
        failed_by_me: false,
        dropped_by_me: false,
        was_clean: close.is_some_and(|c| c.client_ended && c.client_got.is_some()),
        was_not_clean_reason: None,
        was_server_connection_drop_timeout: false,
        was_open_handshake_timeout: false,
        was_close_handshake_timeout: false,
        local_close_code: close.map(|_| 1000),
        local_close_reason: None,
        remote_close_code: close.and_then(|c| c.client_got.flatten()),
        remote_close_reason: None,
        is_server: false,
        http_request,
        http_response,
        rx_octet_stats: Default::default(),
        tx_octet_stats: Default::default(),
        rx_frame_stats: Default::default(),
        tx_frame_stats: Default::default(),
        traffic_stats: None,
        report_time: false,
        report_compression_ratio: false,
        rfc: case.rfc_requirements(),
        reason: v.reason.clone(),
        section_title: ws_cases::proxy::SECTION.to_string(),
        subsection_title: case.subsection.to_string(),
        protocol: "HTTP/1.1".into(),
    }
}
