//! A third-party client to test: tokio-tungstenite with its default settings,
//! driven by the usual Autobahn fuzzingserver loop (as tokio-tungstenite's own
//! Autobahn client example does): ask `/getCaseCount`, run each case echoing every
//! text and binary message until the server closes, then ask `/updateReports`.
//!
//! `cargo run --release -p wsconform --example tungstenite_client -- ws://127.0.0.1:9001 AGENT`

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Error, Message};

async fn case_count(base: &str) -> Result<u32, Error> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base}/getCaseCount")).await?;
    let mut count = 0;
    while let Some(msg) = ws.next().await {
        if let Message::Text(text) = msg? {
            count = text.trim().parse().unwrap_or(0);
        }
    }
    Ok(count)
}

async fn run_case(base: &str, agent: &str, case: u32) -> Result<(), Error> {
    let url = format!("{base}/runCase?case={case}&agent={agent}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

async fn update_reports(base: &str, agent: &str) -> Result<(), Error> {
    let url = format!("{base}/updateReports?agent={agent}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    while let Some(msg) = ws.next().await {
        msg?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(base), Some(agent)) = (args.next(), args.next()) else {
        eprintln!("usage: tungstenite_client ws://HOST:PORT AGENT");
        std::process::exit(2);
    };
    let count = match case_count(&base).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("getCaseCount: {e}");
            std::process::exit(1);
        }
    };
    for case in 1..=count {
        // Errors are what many cases provoke on purpose: note them and go on.
        if let Err(e) = run_case(&base, &agent, case).await {
            println!("case {case}: {e}");
        }
    }
    if let Err(e) = update_reports(&base, &agent).await {
        eprintln!("updateReports: {e}");
        std::process::exit(1);
    }
    println!("ran {count} cases");
}
