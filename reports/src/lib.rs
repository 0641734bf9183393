//! wsconform result model and its renderings.
//!
//! The harness fills a [`RunReport`] per agent (implementation under test); this crate
//! depends on no other workspace crate and turns runs into:
//!
//! | output | entry point |
//! |---|---|
//! | Autobahn-compatible report directory (`index.json`, per-case JSON, `index.html`) | [`write_autobahn_dir`], or case by case with a [`ReportWriter`]; [`read_autobahn_dir`], [`read_autobahn_dir_summary`], [`rewrite_html`] |
//! | one self-contained HTML page | [`render_html`] |
//! | terminal tables / machine summary | [`summary_table`], [`summary_json`] (and `_with` a [`FailOn`]) |
//! | JUnit XML | [`render_junit`] |
//! | gating | [`failing_cases`] with [`FailOn`]; [`Baseline`] and [`compare`] |
//! | shards and run comparison | [`merge()`], [`diff()`], [`render_diff`], [`diff_json`] |
//! | one case as text | [`render_case_text`] |
//!
//! Verdict severity, used by every gate: `OK < INFORMATIONAL < NON-STRICT < UNIMPLEMENTED <
//! FAILED` (the derived `Ord` of [`Behavior`]); close verdicts map onto it through
//! [`CloseBehavior::severity`]. Case ids order numerically by component
//! ([`compare_case_ids`]) wherever order is shown.

mod atomic_file;
pub mod autobahn_json;
pub mod baseline;
pub mod case_id;
pub mod diff;
pub mod error;
pub mod gating;
pub mod html;
pub mod junit;
pub mod merge;
pub mod model;
pub mod report_dir;
pub mod show;
pub mod table;
pub mod wirelog;

pub use autobahn_json::{read_autobahn_dir, read_autobahn_dir_summary};
pub use baseline::{classify_change, compare, Baseline, CaseChange, Change, Comparison};
pub use case_id::compare_case_ids;
pub use diff::{diff, diff_json, render_diff, DiffKind, DiffRow};
pub use error::ReportError;
pub use gating::{failing_cases, CaseGate, FailOn, Gate};
pub use html::render_html;
pub use junit::{render_junit, render_junit_gated};
pub use merge::merge;
pub use model::{Behavior, CaseResult, CloseBehavior, RunReport};
pub use report_dir::{rewrite_html, write_autobahn_dir, ReportWriter};
pub use show::render_case_text;
pub use table::{
    summary_json, summary_json_gated, summary_json_with, summary_table, summary_table_gated,
    summary_table_with,
};
pub use wirelog::WireLogEntry;
