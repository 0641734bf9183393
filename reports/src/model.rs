//! The result model of a wsconform run: verdicts, one case's result, one agent's run.
//!
//! `CaseResult` serializes to exactly the keys of an Autobahn|Testsuite per-case report file,
//! plus four keys of ours (`rfc`, `reason`, `sectionTitle`, `subsectionTitle`) that never
//! replace Autobahn's. It deserializes from our files and from Autobahn's (which lack ours).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wirelog::WireLogEntry;

/// The verdicts, defined once for the judge and the reports.
pub use ws_verdict::{Behavior, CloseBehavior};

/// The result of one case against one agent: Autobahn's per-case record plus ours.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    /// 1-based index of the case in the catalogue (Autobahn key `case`).
    #[serde(rename = "case")]
    pub case_index: usize,
    /// Case id such as `1.1.1`.
    pub id: String,
    /// What the case does.
    pub description: String,
    /// What a conforming peer does.
    pub expectation: String,
    /// The agent (implementation under test) this result belongs to.
    pub agent: String,
    /// When the case started, ISO 8601 UTC (`2025-01-31T12:00:00.123Z`).
    pub started: String,
    /// How long the case ran, in milliseconds (Autobahn key `duration`).
    #[serde(rename = "duration")]
    pub duration_ms: u64,
    /// Message-level verdict.
    pub behavior: Behavior,
    /// Closing-handshake verdict.
    pub behavior_close: CloseBehavior,
    /// Human-readable outcome of the message-level check.
    pub result: String,
    /// Human-readable outcome of the closing-handshake check.
    pub result_close: String,
    /// Expected events per outcome label, in Autobahn's shape.
    pub expected: serde_json::Value,
    /// Expected closing behaviour, in Autobahn's shape.
    #[serde(default)]
    pub expected_close: serde_json::Value,
    /// Observed events, in Autobahn's shape.
    pub received: serde_json::Value,
    /// The wire log.
    #[serde(default)]
    pub wirelog: Vec<WireLogEntry>,
    /// The suite sent the first close frame.
    pub closed_by_me: bool,
    /// The suite failed the connection because of a protocol error.
    pub failed_by_me: bool,
    /// The suite closed the TCP connection.
    pub dropped_by_me: bool,
    /// A full closing handshake happened and the server dropped TCP.
    pub was_clean: bool,
    /// Why the close was not clean, when it was not.
    #[serde(default)]
    pub was_not_clean_reason: Option<String>,
    /// The server did not drop TCP in time after the closing handshake.
    #[serde(default)]
    pub was_server_connection_drop_timeout: bool,
    /// The opening handshake timed out.
    #[serde(default)]
    pub was_open_handshake_timeout: bool,
    /// The closing handshake timed out.
    #[serde(default)]
    pub was_close_handshake_timeout: bool,
    /// Close code the suite sent, if any.
    #[serde(default)]
    pub local_close_code: Option<u16>,
    /// Close reason the suite sent, if any.
    #[serde(default)]
    pub local_close_reason: Option<String>,
    /// Close code the peer sent, if any.
    #[serde(default)]
    pub remote_close_code: Option<u16>,
    /// Close reason the peer sent, if any.
    #[serde(default)]
    pub remote_close_reason: Option<String>,
    /// The suite was the server (testing a client).
    pub is_server: bool,
    /// Raw opening-handshake request.
    #[serde(default)]
    pub http_request: String,
    /// Raw opening-handshake response.
    #[serde(default)]
    pub http_response: String,
    /// Received TCP reads by size: size (as a string, like Autobahn's JSON) → count.
    #[serde(default)]
    pub rx_octet_stats: BTreeMap<String, u64>,
    /// Sent TCP writes by size.
    #[serde(default)]
    pub tx_octet_stats: BTreeMap<String, u64>,
    /// Received frames by opcode (as a string) → count.
    #[serde(default)]
    pub rx_frame_stats: BTreeMap<String, u64>,
    /// Sent frames by opcode.
    #[serde(default)]
    pub tx_frame_stats: BTreeMap<String, u64>,
    /// Compression counters (12.x/13.x), in Autobahn's shape.
    #[serde(default)]
    pub traffic_stats: Option<serde_json::Value>,
    /// The report shows the duration next to the verdict (timed cases).
    #[serde(default)]
    pub report_time: bool,
    /// The report shows compression ratios next to the verdict.
    #[serde(default)]
    pub report_compression_ratio: bool,
    /// Ours: the RFC rule the case checks, e.g. `RFC 6455 §5.5.2 (MUST)`.
    #[serde(default)]
    pub rfc: String,
    /// Ours: why the verdict is what it is, in one line.
    #[serde(default)]
    pub reason: String,
    /// Ours: title of the case's section (`Framing` for 1.x).
    #[serde(default)]
    pub section_title: String,
    /// Ours: title of the case's subsection (`Text Messages` for 1.1.x).
    #[serde(default)]
    pub subsection_title: String,
    /// Ours: how the case reached the peer (`HTTP/1.1`, or HTTP/2 with the stream and
    /// the flow-control windows used); empty in reports written before it existed.
    #[serde(default)]
    pub protocol: String,
}

/// The serialized form of [`CaseResult`]: every Autobahn key (including `createWirelog` and
/// `createStats`, which are derived rather than stored) and ours.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseResultRepr<'a> {
    #[serde(rename = "case")]
    case_index: usize,
    id: &'a str,
    description: &'a str,
    expectation: &'a str,
    agent: &'a str,
    started: &'a str,
    duration: u64,
    report_time: bool,
    report_compression_ratio: bool,
    behavior: Behavior,
    behavior_close: CloseBehavior,
    expected: &'a serde_json::Value,
    expected_close: &'a serde_json::Value,
    received: &'a serde_json::Value,
    result: &'a str,
    result_close: &'a str,
    wirelog: &'a [WireLogEntry],
    create_wirelog: bool,
    closed_by_me: bool,
    failed_by_me: bool,
    dropped_by_me: bool,
    was_clean: bool,
    was_not_clean_reason: &'a Option<String>,
    was_server_connection_drop_timeout: bool,
    was_open_handshake_timeout: bool,
    was_close_handshake_timeout: bool,
    local_close_code: Option<u16>,
    local_close_reason: &'a Option<String>,
    remote_close_code: Option<u16>,
    remote_close_reason: &'a Option<String>,
    is_server: bool,
    create_stats: bool,
    rx_octet_stats: &'a BTreeMap<String, u64>,
    rx_frame_stats: &'a BTreeMap<String, u64>,
    tx_octet_stats: &'a BTreeMap<String, u64>,
    tx_frame_stats: &'a BTreeMap<String, u64>,
    http_request: &'a str,
    http_response: &'a str,
    traffic_stats: &'a Option<serde_json::Value>,
    rfc: &'a str,
    reason: &'a str,
    section_title: &'a str,
    subsection_title: &'a str,
    protocol: &'a str,
}

impl Serialize for CaseResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CaseResultRepr {
            case_index: self.case_index,
            id: &self.id,
            description: &self.description,
            expectation: &self.expectation,
            agent: &self.agent,
            started: &self.started,
            duration: self.duration_ms,
            report_time: self.report_time,
            report_compression_ratio: self.report_compression_ratio,
            behavior: self.behavior,
            behavior_close: self.behavior_close,
            expected: &self.expected,
            expected_close: &self.expected_close,
            received: &self.received,
            result: &self.result,
            result_close: &self.result_close,
            wirelog: &self.wirelog,
            create_wirelog: self.wirelog_enabled_at_end(),
            closed_by_me: self.closed_by_me,
            failed_by_me: self.failed_by_me,
            dropped_by_me: self.dropped_by_me,
            was_clean: self.was_clean,
            was_not_clean_reason: &self.was_not_clean_reason,
            was_server_connection_drop_timeout: self.was_server_connection_drop_timeout,
            was_open_handshake_timeout: self.was_open_handshake_timeout,
            was_close_handshake_timeout: self.was_close_handshake_timeout,
            local_close_code: self.local_close_code,
            local_close_reason: &self.local_close_reason,
            remote_close_code: self.remote_close_code,
            remote_close_reason: &self.remote_close_reason,
            is_server: self.is_server,
            // Statistics are always collected by wsconform.
            create_stats: true,
            rx_octet_stats: &self.rx_octet_stats,
            rx_frame_stats: &self.rx_frame_stats,
            tx_octet_stats: &self.tx_octet_stats,
            tx_frame_stats: &self.tx_frame_stats,
            http_request: &self.http_request,
            http_response: &self.http_response,
            traffic_stats: &self.traffic_stats,
            rfc: &self.rfc,
            reason: &self.reason,
            section_title: &self.section_title,
            subsection_title: &self.subsection_title,
            protocol: &self.protocol,
        }
        .serialize(serializer)
    }
}

impl CaseResult {
    /// Autobahn's `createWirelog`: whether the wire log was still being recorded when the case
    /// ended (it starts on, and each `WLM` row switches it).
    pub fn wirelog_enabled_at_end(&self) -> bool {
        self.wirelog
            .iter()
            .rev()
            .find_map(|e| match e {
                WireLogEntry::WirelogMode { enabled } => Some(*enabled),
                _ => None,
            })
            .unwrap_or(true)
    }

    /// The worse of the message and close verdicts on the [`Behavior`] severity scale.
    pub fn severity(&self) -> Behavior {
        self.behavior.max(self.behavior_close.severity())
    }

    /// `(behavior, behaviorClose)`, the pair baselines and diffs compare.
    pub fn verdict(&self) -> (Behavior, CloseBehavior) {
        (self.behavior, self.behavior_close)
    }

    /// The result without what only its own file needs: no wire log, no expected events,
    /// no opening handshake, no statistics, and the received events only when short
    /// (else a note of their size). What stays is what `index.json`, the summaries, the
    /// gates, JUnit and the HTML matrix read: verdicts, texts, close codes and reasons.
    /// A run keeps this of each case once the case's file is written, so what a run
    /// holds in memory does not grow with what its peers sent.
    pub fn into_summary(mut self) -> CaseResult {
        let received = self.received.to_string().len();
        if received > SUMMARY_RECEIVED_MAX {
            self.received = serde_json::Value::String(format!(
                "({received} bytes of events: see the case's report file)"
            ));
        }
        self.expected = serde_json::Value::Null;
        self.wirelog = Vec::new();
        self.http_request = String::new();
        self.http_response = String::new();
        for stats in [
            &mut self.rx_octet_stats,
            &mut self.tx_octet_stats,
            &mut self.rx_frame_stats,
            &mut self.tx_frame_stats,
        ] {
            stats.clear();
        }
        self
    }
}

/// Bytes of received events (as JSON) a [`CaseResult::summary`] keeps.
pub const SUMMARY_RECEIVED_MAX: usize = 2048;

/// All results of one agent (one implementation under test) in one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The agent name; it is the top-level key of `index.json`.
    pub agent: String,
    /// The case results (readers return them sorted by case id).
    pub results: Vec<CaseResult>,
    /// When the run started, ISO 8601 UTC.
    pub started: String,
    /// TLS certificate verification was turned off for this run.
    pub insecure_tls: bool,
    /// Version of the tool that produced the run.
    pub tool_version: String,
    /// The URL the suite tested, when it tested a server (`None` for clients, and for
    /// reports written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl RunReport {
    /// The run with the [`CaseResult::into_summary`] of each case.
    pub fn summary(&self) -> RunReport {
        RunReport {
            agent: self.agent.clone(),
            results: self
                .results
                .iter()
                .map(|c| c.clone().into_summary())
                .collect(),
            started: self.started.clone(),
            insecure_tls: self.insecure_tls,
            tool_version: self.tool_version.clone(),
            url: self.url.clone(),
        }
    }

    /// The result of one case, if the run has it.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.results.iter().find(|c| c.id == id)
    }
}
