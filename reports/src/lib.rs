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
