//! ws-spec and ws-cases are sans-IO: no sockets, no files, no clocks, no
//! async runtime. Time comes in as a value and bytes go out as values, so the
//! whole catalogue can play in virtual time. This test reads their sources and
//! fails on any use of what would break that.

mod sources;

use std::path::Path;

use sources::{repo_root, rust_files};

/// What a sans-IO crate must not name, with why.
const FORBIDDEN: [(&str, &str); 6] = [
    ("tokio", "an async runtime"),
    ("std::net", "sockets"),
    ("std::fs", "files"),
    ("Instant", "a clock (std::time::Instant)"),
    ("SystemTime", "a clock (std::time::SystemTime)"),
    ("std::process", "processes"),
];

/// Paths in a grouped `use std::{...}` that are forbidden as well.
const FORBIDDEN_IN_STD_GROUP: [&str; 3] = ["net", "fs", "process"];

/// The source without comments (line comments and doc comments), so prose
/// may name what the code must not use.
fn code_only(source: &str) -> String {
    source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each forbidden use in `source`, as "line N: what (why)".
fn violations(source: &str) -> Vec<String> {
    let code = code_only(source);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for (name, why) in FORBIDDEN {
            let hit = line.match_indices(name).any(|(i, _)| {
                // Whole identifiers only: `Instant` but not `InstantReplay`.
                let before = line[..i].chars().next_back();
                let after = line[i + name.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push(format!("line {}: {name} ({why})", n + 1));
            }
        }
    }
    // `use std::{fs, net::TcpStream}` names them without the `std::` prefix.
    let mut rest = code.as_str();
    while let Some(i) = rest.find("std::{") {
        let group = &rest[i + "std::{".len()..];
        let end = group.find('}').unwrap_or(group.len());
        for item in group[..end].split(',') {
            let head = item.trim().split("::").next().unwrap_or("");
            if FORBIDDEN_IN_STD_GROUP.contains(&head) {
                found.push(format!("std::{{{head}}} in a grouped use"));
            }
        }
        rest = &group[end..];
    }
    found
}

fn check_crate(src: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for v in violations(&text) {
            all.push(format!("{}: {v}", file.display()));
        }
    }
    all
}

#[test]
fn ws_spec_and_ws_cases_do_no_io_and_read_no_clock() {
    let cases = repo_root().join("cases");
    let spec = repo_root().join("ws-spec");
    let mut all = check_crate(&cases.join("src"));
    all.extend(check_crate(&spec.join("src")));
    assert!(
        all.is_empty(),
        "sans-IO crates use I/O or clocks:\n{}",
        all.join("\n")
    );
    for manifest in [cases.join("Cargo.toml"), spec.join("Cargo.toml")] {
        let text = std::fs::read_to_string(&manifest).expect("readable manifest");
        assert!(
            !text.contains("tokio"),
            "{} depends on tokio",
            manifest.display()
        );
    }
}

#[test]
fn the_check_catches_each_forbidden_use() {
    for bad in [
        "use tokio::net::TcpStream;",
        "let s = std::net::TcpStream::connect(a);",
        "let t = std::fs::read(p);",
        "use std::time::{Duration, Instant};",
        "let now = SystemTime::now();",
        "use std::{fs, io};",
        "use std::{collections::VecDeque, net::TcpListener};",
        "std::process::exit(1);",
    ] {
        assert!(!violations(bad).is_empty(), "not caught: {bad}");
    }
    for fine in [
        "use std::time::Duration;",
        "// a comment may say tokio or Instant",
        "/// so may a doc comment: std::fs",
        "let instant_replay = 1;",
        "use std::{collections::BTreeMap, fmt};",
    ] {
        assert!(violations(fine).is_empty(), "wrongly caught: {fine}");
    }
}
