//! The usual Autobahn client loop on tokio-tungstenite, as a client driver plays a
//! fuzzing server: getCaseCount, each runCase echoed, the control requests.

// Each test crate that includes this module uses a different subset of it.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// `/getCaseCount` with tokio-tungstenite.
pub async fn case_count(base: &str) -> usize {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base}/getCaseCount"))
        .await
        .unwrap();
    let count = match ws.next().await {
        Some(Ok(Message::Text(t))) => t.parse().unwrap(),
        other => panic!("getCaseCount answered {other:?}"),
    };
    while let Some(Ok(_)) = ws.next().await {}
    count
}

/// One `/runCase` as tokio-tungstenite's own autobahn-client example plays it: echo
/// every text and binary message until the connection ends; errors end the case.
pub async fn tungstenite_case(base: &str, n: usize, agent: &str) {
    let url = format!("{base}/runCase?case={n}&agent={agent}");
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else {
        return;
    };
    while let Some(msg) = ws.next().await {
        let Ok(msg) = msg else { return };
        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            return;
        }
    }
}

/// A control request whose answer is one text message (or none), read until the close.
pub async fn control(base: &str, path: &str) -> Option<String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base}{path}"))
        .await
        .unwrap();
    let mut text = None;
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg {
            text = Some(t.to_string());
        }
    }
    text
}

/// The whole Autobahn client loop: getCaseCount, every case with up to `parallel` at
/// once, then updateReports.
pub async fn tungstenite_client(base: &str, agent: &str, parallel: usize) -> usize {
    let count = case_count(base).await;
    futures_util::stream::iter(1..=count)
        .for_each_concurrent(parallel, |n| async move {
            tungstenite_case(base, n, agent).await
        })
        .await;
    control(base, &format!("/updateReports?agent={agent}")).await;
    count
}
