//! wsconform: a WebSocket (RFC 6455, RFC 7692) conformance suite, as a library and as
//! the `wsconform` command.
//!
//! From a Rust test, [`Suite`] plays a selection of the catalogue against a server at a
//! URL, or in process against a server or a client over any `AsyncRead + AsyncWrite`,
//! and [`SuiteReport::assert_conforms`] fails the test with each failing case, its
//! reason and its RFC clause:
//!
//! ```no_run
//! # async fn t() -> Result<(), wsconform::HarnessError> {
//! let report = wsconform::Suite::new().cases("1.*,2.*,5.*").run("ws://127.0.0.1:9001/").await?;
//! report.assert_conforms();
//! # Ok(()) }
//! ```
//!
//! An in-process server, no port: each case gets one half of a [`tokio::io::duplex`]
//! pair, the server the other (here the built-in reference server; yours would be your
//! library's accept loop on the stream):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wsconform::HarnessError> {
//! let report = wsconform::Suite::new()
//!     .cases("1.1.*,2.*")
//!     .run_server_with(|| async {
//!         let (suite_end, server_end) = tokio::io::duplex(64 * 1024);
//!         let settings = wsconform::echo::EchoSettings::default();
//!         tokio::spawn(async move { wsconform::echo::serve_connection(server_end, &settings).await });
//!         Ok(suite_end)
//!     })
//!     .await?;
//! report.assert_conforms();
//! assert_eq!(report.run_report().results.len(), 8 + 11);
//! # Ok(()) }
//! ```
//!
//! `harness/tests/library_api.rs` tests tokio-tungstenite and fastwebsockets this way, as
//! servers and as clients ([`Suite::run_client_with`]).
//!
//! The runner moves bytes and keeps time; every protocol decision lives in `ws-spec` and
//! `ws-cases`, and results are `ws-reports`' model.

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
pub mod suite;
pub mod target;
pub mod tls;

pub use error::HarnessError;
pub use suite::{Suite, SuiteReport};
pub use ws_reports::FailOn;

// README.md's Rust example compiles as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
