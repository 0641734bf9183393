//! `run --http2` (RFC 8441): the catalogue over extended-CONNECT streams gives a
//! server the verdicts it gets over HTTP/1.1, whether each case has a connection
//! of its own or all share one; cases about the HTTP/1.1 request are reported as
//! not applicable, never FAILED; the report says which protocol each case used.

mod h2_peer;
mod support;

use std::sync::Arc;

use support::play::{run_cases, verdicts};
use ws_cases::model::Behavior;
use wsconform::http2::{Http2Settings, Pool};
use wsconform::runner::{CaseRecord, RunSettings};

const SECTIONS: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*";

fn over_http2(share: bool) -> RunSettings {
    RunSettings {
        http2: Some(Arc::new(Pool::new(Http2Settings {
            share,
            ..Http2Settings::default()
        }))),
        ..RunSettings::default()
    }
}

/// Where two runs disagree, case by case, with the reasons.
fn differences(a: &[CaseRecord], b: &[CaseRecord]) -> Vec<String> {
    let (va, vb) = (verdicts(a), verdicts(b));
    let reason = |rs: &[CaseRecord], id: &str| {
        rs.iter()
            .find(|r| r.case.id == id)
            .map(|r| r.outcome.verdict.reason.clone())
            .unwrap_or_default()
    };
    va.iter()
        .filter(|(id, v)| vb.get(*id) != Some(v))
        .map(|(id, v)| {
            format!(
                "{id}: HTTP/1.1 {v:?} ({}) / HTTP/2 {:?} ({})",
                reason(a, id),
                vb.get(id),
                reason(b, id)
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sections_1_to_7_and_10_come_out_the_same_over_http2_as_over_http11() {
    let addr = h2_peer::start_hyper().await;
    let url = format!("ws://{addr}/");
    let http1 = run_cases(&url, SECTIONS, RunSettings::default()).await;
    let own = run_cases(&url, SECTIONS, over_http2(false)).await;
    let shared = run_cases(&url, SECTIONS, over_http2(true)).await;
    assert!(http1.len() > 200, "{} cases", http1.len());
    assert_eq!(http1.len(), own.len());
    let d = differences(&http1, &own);
    assert!(d.is_empty(), "connection per case:\n{}", d.join("\n"));
    let d = differences(&http1, &shared);
    assert!(d.is_empty(), "one shared connection:\n{}", d.join("\n"));
    // Not all OK by accident of an empty run: the peer fails some cases over both.
    assert!(own
        .iter()
        .any(|r| r.outcome.verdict.behavior == Behavior::Ok));
    for r in &own {
        assert!(
            r.protocol.starts_with("HTTP/2 (h2c") && r.protocol.contains("stream "),
            "{}: {}",
            r.case.id,
            r.protocol
        );
        assert!(r
            .protocol
            .contains("receive windows granted: stream 65535 B"));
    }
    assert!(shared
        .iter()
        .all(|r| r.protocol.contains("shared connection")));
    assert!(http1.iter().all(|r| r.protocol == "HTTP/1.1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http11_request_variants_are_not_applicable_over_http2_and_shared_headers_carry_over() {
    let addr = h2_peer::start_hyper().await;
    let records = run_cases(&format!("ws://{addr}/"), "0.*", over_http2(false)).await;
    let na: Vec<_> = records
        .iter()
        .filter(|r| {
            r.outcome
                .verdict
                .reason
                .starts_with("Not applicable over HTTP/2")
        })
        .collect();
    assert!(!na.is_empty());
    for r in &na {
        assert_eq!(
            r.outcome.verdict.behavior,
            Behavior::Informational,
            "{}",
            r.case.id
        );
        assert_eq!(r.protocol, "HTTP/2 (not played)");
    }
    // The cases whose edits HTTP/2 carries (version, subprotocols) were played.
    let played: Vec<_> = records
        .iter()
        .filter(|r| !r.outcome.verdict.reason.starts_with("Not applicable"))
        .collect();
    assert!(!played.is_empty(), "every section-0 case was left out");
    assert!(played.iter().all(|r| r.protocol.starts_with("HTTP/2 (h2c")));
}
