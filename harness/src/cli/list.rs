//! `wsconform list`: the catalogue.

use clap::Args;

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
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also list the opt-in cases (section 15) where a wildcard such as `*` matches
    /// them; naming the section (`--cases '15.*'`) lists it without --all.
    #[arg(long)]
    pub all: bool,
}

pub(super) fn cmd_list(args: ListArgs) -> anyhow::Result<i32> {
    for case in selected(&ws_cases::all_cases(), &args.cases, &args.exclude, args.all)? {
        if args.json {
            let line = serde_json::json!({
                "id": case.id,
                "section": case.section,
                "subsection": case.subsection,
                "description": case.description,
                "rfc": case.rfc_line(),
            });
            crate::outln!("{line}");
        } else {
            let title = if case.subsection.is_empty() {
                case.section.to_string()
            } else {
                format!("{}: {}", case.section, case.subsection)
            };
            crate::outln!("{:<9} {:<60} {}", case.id, title, case.rfc_line());
        }
    }
    Ok(0)
}
