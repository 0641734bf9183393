//! Writes a report directory with synthetic results for several agents, to look at the
//! renderings (`cargo run -p ws-reports --example sample_report -- /tmp/sample [CASES]`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ws-reports-sample"));
    let count = match std::env::args().nth(2) {
        Some(n) => n.parse()?,
        None => 600,
    };
    let ids = common::catalogue_ids(count);
    let runs: Vec<_> = [
        "tokio-tungstenite 0.30",
        "fastwebsockets 0.10",
        "MyServer/1.0",
    ]
    .iter()
    .enumerate()
    .map(|(seed, agent)| common::varied_run(agent, &ids, seed))
    .collect();
    ws_reports::write_autobahn_dir(&dir, &runs)?;
    print!("{}", ws_reports::summary_table(&runs[0]));
    println!("report written to {}", dir.display());
    Ok(())
}
