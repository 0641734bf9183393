//! The wsconform case catalogue: every conformance case as data.
//!
//! A [`Case`] names the RFC clause it checks, a script of steps to put on the
//! wire and the outcomes a conforming peer may produce. [`run::CaseRun`] plays a
//! case sans-IO (bytes and time in, bytes out) and [`judge`] turns what was
//! observed into Autobahn's verdicts, so the same code drives the tokio harness
//! and the in-memory tests against the reference endpoint.

pub mod api_limits;
pub mod build;
pub mod catalogue;
pub mod deflate_data;
pub mod error;
pub mod http2;
pub mod judge;
pub mod model;
pub mod proxy;
pub mod run;
pub mod select;

pub use catalogue::{all_cases, cases_for, proxy_cases};
pub use error::CasesError;
pub use model::{Behavior, Case, CloseBehavior, Event, Level};
