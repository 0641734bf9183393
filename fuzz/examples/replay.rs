//! Replays inputs through a target's checks on stable, with an ordinary panic
//! message and backtrace, and times them:
//!
//! ```text
//! cargo run --release --manifest-path fuzz/Cargo.toml --example replay -- TARGET FILE...
//! ```
//!
//! Useful for a crash artifact from `fuzz/artifacts/TARGET/` and for finding
//! the corpus entries that slow a target down.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((target, files)) = args.split_first() else {
        eprintln!("usage: replay TARGET FILE...");
        std::process::exit(2);
    };
    let Some((_, run)) = ws_spec_fuzz::TARGETS.iter().find(|t| t.0 == target) else {
        let names: Vec<&str> = ws_spec_fuzz::TARGETS.iter().map(|t| t.0).collect();
        eprintln!("unknown target {target}; targets: {}", names.join(", "));
        std::process::exit(2);
    };
    for file in files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let start = Instant::now();
        run(&data);
        println!(
            "{file}: {} bytes, passed in {} us",
            data.len(),
            start.elapsed().as_micros()
        );
    }
}
