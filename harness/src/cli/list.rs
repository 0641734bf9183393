//! `wsconform list`: every case the suite has, each with the command that plays it.

use std::collections::HashSet;

use clap::Args;
use ws_cases::http2::{H2Case, H2Check};
use ws_cases::proxy::ProxyCase;
use ws_cases::run::Role;
use ws_cases::Case;

use super::selected;

pub(super) const LIST_EXIT_CODES: &str = "\
Exit codes:
  0    listed
  2    a bad pattern, or one that matches no case";

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Cases to list (same patterns as `run --cases`).
    #[arg(long, default_value = "*")]
    pub cases: String,
    /// Cases to leave out.
    #[arg(long, default_value = "")]
    pub exclude: String,
    /// One JSON object per line instead of text: id, role (the peer the case tests:
    /// server, client, both or proxy), playsIn (the commands that play it: run, serve,
    /// run --http2, serve --http2, proxy), title, sends, expects, rfc, requirements
    /// (clause, level, requirement), optIn.
    #[arg(long)]
    pub json: bool,
    /// Also list the opt-in cases (sections 15, 19.8 and 20) where a wildcard such as
    /// `*` matches them; naming the section (`--cases '20.*'`) lists it without --all.
    #[arg(long)]
    pub all: bool,
}

/// A case as `list` shows it.
struct Listed {
    /// The catalogue entry: id, texts, clauses, opt-in.
    case: Case,
    /// The peer the case tests: "server", "client", "both" or "proxy".
    tests: &'static str,
    /// The commands that play it.
    plays_in: &'static [&'static str],
}

/// The peer a case of the main catalogue tests, and the commands that play it:
/// "server" (`run`), "client" (`serve`) or "both".
fn role(case: &Case) -> (&'static str, &'static [&'static str]) {
    match (case.plays_in(Role::Client), case.plays_in(Role::Server)) {
        (true, true) => ("both", &["run", "serve"]),
        (true, false) => ("server", &["run"]),
        (false, true) => ("client", &["serve"]),
        (false, false) => ("none", &[]),
    }
}

fn from_catalogue(case: Case) -> Listed {
    let (tests, plays_in) = role(&case);
    Listed {
        case,
        tests,
        plays_in,
    }
}

/// Section 20 lives on the HTTP/2 layer: `run --http2` plays the cases about servers,
/// `serve --http2` those about clients (20.4.3 on a server that leaves the setting out).
fn from_http2(h2: H2Case) -> Listed {
    let plays_in: &'static [&'static str] = match h2.check {
        H2Check::SettingHonoured => &["serve --http2 --http2-without-setting"],
        ref c if c.client_side() => &["serve --http2"],
        _ => &["run --http2"],
    };
    Listed {
        tests: role(&h2.case).0,
        case: h2.case,
        plays_in,
    }
}

/// Section 19 has a model of its own (the suite at both ends of a proxy); `list` needs
/// only its identity, texts and clauses.
fn from_proxy(p: ProxyCase) -> Listed {
    let mut entry = ws_cases::build::case(&p.id, ws_cases::proxy::SECTION, p.subsection)
        .desc(p.description)
        .expectation(p.expectation_text);
    for r in p.rfc {
        entry = entry.rfc_of(r.rfc, r.section, r.level);
    }
    if p.opt_in {
        entry = entry.opt_in();
    }
    Listed {
        case: entry.build(),
        tests: "proxy",
        plays_in: &["proxy"],
    }
}

/// Every case the suite has, in id order: the catalogue `run` and `serve` play, then
/// the proxy section (19) and the HTTP/2 section (20).
fn every_case() -> Vec<Listed> {
    let mut all: Vec<Listed> = ws_cases::all_cases()
        .into_iter()
        .map(from_catalogue)
        .collect();
    all.extend(ws_cases::proxy_cases().into_iter().map(from_proxy));
    all.extend(
        ws_cases::catalogue::http2_cases()
            .into_iter()
            .map(from_http2),
    );
    all
}

fn requirements(case: &Case) -> Vec<serde_json::Value> {
    case.rfc
        .iter()
        .map(|r| {
            serde_json::json!({
                "clause": format!("RFC {} §{}", r.rfc, r.section),
                "level": r.level.keyword(),
                "requirement": r.requirement().unwrap_or(""),
            })
        })
        .collect()
}

pub(super) fn cmd_list(args: ListArgs) -> anyhow::Result<i32> {
    let mut every = every_case();
    let catalogue: Vec<Case> = every.iter().map(|l| l.case.clone()).collect();
    let chosen: HashSet<String> = selected(&catalogue, &args.cases, &args.exclude, args.all)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    every.retain(|l| chosen.contains(&l.case.id));
    if !args.json {
        crate::outln!("{:<9} {:<6} {:<40} title", "case", "tests", "clauses");
    }
    for Listed {
        case,
        tests,
        plays_in,
    } in every
    {
        let title = if case.subsection.is_empty() {
            case.section.to_string()
        } else {
            format!("{}: {}", case.section, case.subsection)
        };
        if args.json {
            let line = serde_json::json!({
                "id": case.id,
                "role": tests,
                "playsIn": plays_in,
                "section": case.section,
                "subsection": case.subsection,
                "title": title,
                "sends": case.description,
                "expects": case.expectation_text,
                "rfc": case.rfc_line(),
                "requirements": requirements(&case),
                "optIn": case.opt_in,
            });
            crate::outln!("{line}");
            continue;
        }
        // The title comes last, so a long one never pushes the other columns.
        crate::outln!(
            "{:<9} {:<6} {:<40} {title}",
            case.id,
            tests,
            case.rfc_line()
        );
        crate::outln!("          plays in: {}", plays_in.join(", "));
        crate::outln!("          sends:    {}", case.description);
        crate::outln!("          expects:  {}", case.expectation_text);
        for r in &case.rfc {
            let text = r.requirement().unwrap_or("");
            crate::outln!(
                "          {} §{} {}: {text}",
                r.rfc,
                r.section,
                r.level.keyword()
            );
        }
    }
    Ok(0)
}
