//! Sample results shared by the integration tests and the `sample_report` example.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::json;
use ws_reports::{Behavior, CaseResult, CloseBehavior, RunReport, WireLogEntry};

// The no-silent-skips rule, written once for every crate's tests.
#[path = "../../../harness/tests/skip/mod.rs"]
mod skip;
#[allow(unused_imports)]
pub use skip::missing_dependency;

/// Section titles of the Autobahn catalogue, enough for realistic headers.
pub fn section_title(section: &str) -> &'static str {
    match section {
        "1" => "Framing",
        "2" => "Pings/Pongs",
        "3" => "Reserved Bits",
        "4" => "Opcodes",
        "5" => "Fragmentation",
        "6" => "UTF-8 Handling",
        "7" => "Close Handling",
        "9" => "Limits/Performance",
        "10" => "Misc",
        "12" => "WebSocket Compression (different payloads)",
        "13" => "WebSocket Compression (different parameters)",
        _ => "Misc",
    }
}

/// A statistics map (octets or opcode -> how many) from `(key, count)` pairs.
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

/// A plausible result of one case, with a short but complete wire log.
pub fn case(agent: &str, index: usize, id: &str, b: Behavior, c: CloseBehavior) -> CaseResult {
    let section = id.split('.').next().unwrap().to_owned();
    CaseResult {
        case_index: index,
        id: id.to_owned(),
        description: format!("Send a text message with a payload of {index} bytes."),
        expectation:
            "Receive echo'ed text message (with payload as sent). Clean close with normal code."
                .to_owned(),
        agent: agent.to_owned(),
        started: format!("2025-01-31T12:00:{:02}.{:03}Z", index % 60, index % 1000),
        duration_ms: 3 + (index as u64 % 7),
        behavior: b,
        behavior_close: c,
        result: "Actual events match at least one expected.".to_owned(),
        result_close: "Connection was properly closed".to_owned(),
        expected: json!({"OK": [["message", "Hello", false]]}),
        expected_close: json!({"closeCode": [1000], "closedByMe": true, "requireClean": true}),
        received: json!([["message", "Hello", false]]),
        wirelog: vec![
            WireLogEntry::tx_octets(
                b"GET /runCase HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n",
                false,
            ),
            WireLogEntry::rx_octets(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"),
            WireLogEntry::TxFrame {
                payload_len: 5,
                payload: "Hello".into(),
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some("1b6b4e7e".into()),
                repeat_length: None,
                chopsize: None,
                sync: false,
            },
            WireLogEntry::Timer {
                delay: 1.0,
                tag: None,
            },
            WireLogEntry::RxFrame {
                payload_len: 5,
                payload: "Hello".into(),
                opcode: 1,
                fin: true,
                rsv: 0,
                masked: false,
                mask: None,
            },
            WireLogEntry::KillAfter { delay: 1.0 },
        ],
        closed_by_me: true,
        failed_by_me: false,
        dropped_by_me: false,
        was_clean: c != CloseBehavior::Unclean,
        was_not_clean_reason: (c == CloseBehavior::Unclean).then(|| {
            "peer dropped the TCP connection without previous WebSocket closing handshake"
                .to_owned()
        }),
        was_server_connection_drop_timeout: false,
        was_open_handshake_timeout: false,
        was_close_handshake_timeout: false,
        local_close_code: Some(1000),
        local_close_reason: None,
        remote_close_code: match c {
            CloseBehavior::WrongCode => Some(1002),
            CloseBehavior::Unclean => None,
            _ => Some(1000),
        },
        remote_close_reason: None,
        is_server: false,
        http_request: "GET /runCase HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n\r\n"
            .to_owned(),
        http_response: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_owned(),
        rx_octet_stats: counts(&[("129", 1), ("8", 2)]),
        tx_octet_stats: counts(&[("240", 1), ("14", 2)]),
        rx_frame_stats: counts(&[("1", 1), ("8", 1)]),
        tx_frame_stats: counts(&[("1", 1), ("8", 1)]),
        traffic_stats: None,
        report_time: section == "9",
        report_compression_ratio: false,
        rfc: "RFC 6455 §5.6 (MUST)".to_owned(),
        reason: match b {
            Behavior::Ok => "echo matched".to_owned(),
            Behavior::Failed => {
                "expected an echo of the text message, got a close with 1002".to_owned()
            }
            other => format!("verdict {other} because the peer took another allowed path"),
        },
        section_title: section_title(&section).to_owned(),
        subsection_title: format!("Subsection {}", id.rsplit_once('.').map_or(id, |x| x.0)),
        protocol: String::new(),
    }
}

/// A run with the given `(id, behavior, behaviorClose)` triples.
pub fn run(agent: &str, cases: &[(&str, Behavior, CloseBehavior)]) -> RunReport {
    RunReport {
        agent: agent.to_owned(),
        results: cases
            .iter()
            .enumerate()
            .map(|(i, (id, b, c))| case(agent, i + 1, id, *b, *c))
            .collect(),
        started: "2025-01-31T12:00:00.000Z".to_owned(),
        insecure_tls: false,
        tool_version: "0.1.0".to_owned(),
        url: Some(format!("ws://127.0.0.1:9001/{agent}")),
    }
}

/// A run with one case of each verdict a report tells apart: every behavior (with an
/// OK close, INFORMATIONAL with an INFORMATIONAL one), then every close other than OK
/// or FAILED BY CLIENT after an OK behavior; sections 1, 3, 5, 7 and 12.
pub fn every_verdict(agent: &str) -> RunReport {
    use Behavior as B;
    use CloseBehavior as C;
    run(
        agent,
        &[
            ("1.1.1", B::Ok, C::Ok),
            ("1.1.2", B::Failed, C::Ok),
            ("3.2", B::NonStrict, C::Ok),
            ("5.19", B::Ok, C::Failed),
            ("7.1.6", B::Informational, C::Informational),
            ("7.3.1", B::Ok, C::Unclean),
            ("7.9.1", B::Ok, C::WrongCode),
            ("12.1.1", B::Unimplemented, C::Ok),
        ],
    )
}

/// About `n` case ids spread over the Autobahn sections, in catalogue order.
pub fn catalogue_ids(n: usize) -> Vec<String> {
    let sections = ["1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13"];
    let per_section = n.div_ceil(sections.len());
    let mut ids = Vec::new();
    for s in sections {
        for i in 0..per_section {
            if ids.len() == n {
                break;
            }
            ids.push(format!("{s}.{}.{}", i / 12 + 1, i % 12 + 1));
        }
    }
    ids
}

/// A run over `ids` whose verdicts vary with `seed`, so agents differ.
pub fn varied_run(agent: &str, ids: &[String], seed: usize) -> RunReport {
    let triples: Vec<(&str, Behavior, CloseBehavior)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let k = (i * 7 + seed * 13) % 23;
            let b = match k {
                0 => Behavior::Failed,
                1 => Behavior::NonStrict,
                2 => Behavior::Informational,
                3 if id.starts_with("12.") || id.starts_with("13.") => Behavior::Unimplemented,
                _ => Behavior::Ok,
            };
            let c = match k {
                0 => CloseBehavior::Unclean,
                4 => CloseBehavior::WrongCode,
                2 => CloseBehavior::Informational,
                _ => CloseBehavior::Ok,
            };
            (id.as_str(), b, c)
        })
        .collect();
    run(agent, &triples)
}
