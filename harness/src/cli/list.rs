//! `wsconform list`: the catalogue.

use clap::Args;
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
    /// server, client or both), title, sends, expects, rfc, requirements (clause, level,
    /// requirement), optIn.
    #[arg(long)]
    pub json: bool,
    /// Also list the opt-in cases (section 15) where a wildcard such as `*` matches
    /// them; naming the section (`--cases '15.*'`) lists it without --all.
    #[arg(long)]
    pub all: bool,
}

/// The peer a case tests: "server" (`run`), "client" (`serve`) or "both".
fn role(case: &Case) -> &'static str {
    match (case.plays_in(Role::Client), case.plays_in(Role::Server)) {
        (true, true) => "both",
        (true, false) => "server",
        (false, true) => "client",
        (false, false) => "none",
    }
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
    let cases = selected(&ws_cases::all_cases(), &args.cases, &args.exclude, args.all)?;
    if !args.json {
        crate::outln!("{:<9} {:<6} {:<40} title", "case", "tests", "clauses");
    }
    for case in cases {
        let title = if case.subsection.is_empty() {
            case.section.to_string()
        } else {
            format!("{}: {}", case.section, case.subsection)
        };
        if args.json {
            let line = serde_json::json!({
                "id": case.id,
                "role": role(&case),
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
            role(&case),
            case.rfc_line()
        );
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
