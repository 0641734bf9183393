//! wsconform: the runner behind the `wsconform` command.
//!
//! It plays the `ws-cases` catalogue against real servers over TCP, many cases
//! at once, serves the reference echo server, and hands results to
//! `ws-reports`. Every protocol decision lives in `ws-spec` and `ws-cases`;
//! this crate moves bytes and keeps time.

pub mod cli;
pub mod confirm;
pub mod console;
pub mod echo;
pub mod error;
pub mod fuzz;
pub mod http2;
pub mod output;
pub mod proxy;
pub mod report;
pub mod runner;
pub mod serve;
pub mod shard;
pub mod spec;
pub mod target;
pub mod tls;

pub use error::HarnessError;
