//! Section 20 (RFC 8441 on the HTTP/2 layer): a correct server passes every case,
//! and each flawed server fails exactly the cases of the rule it breaks.

mod h2_peer;

use std::collections::BTreeMap;
use std::sync::Arc;

use ws_cases::model::Behavior;
use wsconform::http2::{Http2Settings, Pool};
use wsconform::runner::{CaseRecord, RunSettings};

fn over_http2() -> RunSettings {
    RunSettings {
        http2: Some(Arc::new(Pool::new(Http2Settings::default()))),
        ..RunSettings::default()
    }
}

fn by_id(records: &[CaseRecord]) -> BTreeMap<String, (Behavior, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.case.id.clone(),
                (r.outcome.verdict.behavior, r.outcome.verdict.reason.clone()),
            )
        })
        .collect()
}

async fn section20(addr: std::net::SocketAddr) -> BTreeMap<String, (Behavior, String)> {
    let url = format!("ws://{addr}/");
    let all = ws_cases::catalogue::http2_cases();
    // 14 about servers, 3 about clients (20.4.x, played by serve --http2).
    assert_eq!(all.len(), 17);
    let records = run_cases_h2(&url).await;
    assert_eq!(records.len(), all.len());
    let mut got = by_id(&records);
    // The client-side cases are not applicable in `run`, never failed: taken out
    // here so the rest is judged on the server-side cases alone.
    for id in ["20.4.1", "20.4.2", "20.4.3"] {
        let (b, why) = got.remove(id).unwrap();
        assert_eq!(b, Behavior::Informational, "{id}: {why}");
        assert!(why.starts_with("Not applicable in `run`"), "{id}: {why}");
    }
    got
}

async fn run_cases_h2(url: &str) -> Vec<CaseRecord> {
    let cases: Vec<_> = ws_cases::catalogue::http2_cases()
        .into_iter()
        .map(|c| c.case)
        .collect();
    let target = wsconform::target::Target::parse(url).unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    wsconform::runner::run_all(cases, target, over_http2(), |_| {}, rx).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_with_the_extended_connect_passes_section_20() {
    let addr = h2_peer::start_hyper().await;
    let got = section20(addr).await;
    for (id, (b, why)) in &got {
        eprintln!("{id}: {b} {why}");
    }
    let not_ok: Vec<_> = got
        .iter()
        .filter(|(_, (b, _))| *b != Behavior::Ok)
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
}

/// The cases not OK against a peer with `flaw`, with their verdicts.
async fn not_ok(flaw: h2_peer::Flaw) -> BTreeMap<String, Behavior> {
    let got = section20(h2_peer::start_flawed(flaw).await).await;
    for (id, (b, why)) in &got {
        eprintln!("{flaw:?} {id}: {b} {why}");
    }
    got.into_iter()
        .filter(|(_, (b, _))| *b != Behavior::Ok)
        .map(|(id, (b, _))| (id, b))
        .collect()
}

fn ids(list: &[(&str, Behavior)]) -> BTreeMap<String, Behavior> {
    list.iter().map(|(id, b)| (id.to_string(), *b)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flawed_server_fails_exactly_the_cases_of_its_flaw() {
    use h2_peer::Flaw;
    use Behavior::{Failed, NonStrict, Unimplemented};
    assert_eq!(not_ok(Flaw::None).await, ids(&[]));
    let mut no_setting: Vec<(&str, Behavior)> = vec![("20.1.1", Failed)];
    let others = [
        "20.1.2", "20.1.3", "20.2.1", "20.2.2", "20.2.3", "20.2.4", "20.2.5", "20.2.6", "20.2.7",
        "20.3.1", "20.3.2", "20.3.3", "20.3.4",
    ];
    no_setting.extend(others.iter().map(|id| (*id, Unimplemented)));
    assert_eq!(not_ok(Flaw::NoSetting).await, ids(&no_setting));
    // 20.1.3 is a SHOULD: NON-STRICT; the MUSTs that need an open WebSocket fail.
    let mut acceptance = vec![("20.1.3", NonStrict)];
    acceptance.extend(["20.1.2", "20.3.1", "20.3.2", "20.3.3", "20.3.4"].map(|id| (id, Failed)));
    assert_eq!(not_ok(Flaw::Answers101).await, ids(&acceptance));
    assert_eq!(
        not_ok(Flaw::AcceptsKey).await,
        ids(&[("20.2.6", NonStrict)])
    );
    assert_eq!(
        not_ok(Flaw::ResetsConnection).await,
        ids(&[("20.3.4", Failed)])
    );
    assert_eq!(
        not_ok(Flaw::IgnoresFlowControl).await,
        ids(&[("20.3.3", Failed)])
    );
}
