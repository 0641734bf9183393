//! wsconform result model and its renderings.
//!
//! The harness fills a [`RunReport`] per agent; this crate turns runs into Autobahn-compatible
//! JSON report directories, a self-contained HTML page, JUnit XML, terminal tables and machine
//! summaries, and compares runs with baselines and with each other.

pub mod case_id;
pub mod error;
pub mod model;
pub mod wirelog;

pub use case_id::compare_case_ids;
pub use error::ReportError;
pub use model::{Behavior, CaseResult, CloseBehavior, RunReport};
pub use wirelog::WireLogEntry;
pub mod autobahn_json;
mod fsutil;
pub mod html;

pub use autobahn_json::{read_autobahn_dir, rewrite_html, write_autobahn_dir};
pub use html::render_html;
pub mod baseline;
pub mod gating;

pub use baseline::{compare, Baseline, CaseChange, Change, Comparison};
pub use gating::{failing_cases, FailOn};
pub mod diff;
pub mod merge;

pub use baseline::classify_change;
pub use diff::{diff, render_diff, DiffKind, DiffRow};
pub use merge::merge;
pub mod table;

pub use table::{summary_json, summary_json_with, summary_table, summary_table_with};
pub mod junit;

pub use junit::render_junit;
