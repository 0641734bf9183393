//! The errors of the harness; the CLI prints each as one line and exits with 2.

use std::path::PathBuf;

/// What stops a run before any verdict can be given.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The URL cannot be tested.
    #[error("bad URL {url:?}: {why}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A `--header` is not `Name: value`.
    #[error("bad header {header:?}: {why}")]
    BadHeader {
        /// The header as given.
        header: String,
        /// What is wrong with it.
        why: String,
    },
    /// The host cannot be reached at all.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// host:port.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The port answers, but not with a WebSocket handshake.
    #[error("{url} does not speak WebSocket: {why}")]
    NotWebSocket {
        /// The URL.
        url: String,
        /// What it answered.
        why: String,
    },
    /// A case pattern or list is wrong.
    #[error(transparent)]
    Cases(#[from] ws_cases::CasesError),
    /// A report could not be written or read.
    #[error(transparent)]
    Report(#[from] ws_reports::ReportError),
    /// A spec file could not be used.
    #[error("spec file {path}: {why}")]
    Spec {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A `--shard K/N` value is malformed or out of range.
    #[error("bad --shard {text:?}: {why}")]
    BadShard {
        /// The value as given.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// The agent to use from a report directory is missing or ambiguous.
    #[error("report {dir}: {why}")]
    Agent {
        /// The report directory.
        dir: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Binding a listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server's certificate was refused: wrong host name, expired, unknown issuer...
    #[error("TLS: the certificate of {addr} is refused: {problem}")]
    TlsCertificate {
        /// host:port.
        addr: String,
        /// Why it was refused.
        problem: crate::tls::CertProblem,
    },
    /// The TLS handshake failed for a reason other than the certificate.
    #[error("TLS handshake with {addr} failed: {why}")]
    TlsHandshake {
        /// host:port.
        addr: String,
        /// What went wrong.
        why: String,
    },
    /// A certificate, key or CA file cannot be used, or a certificate cannot be made.
    #[error("TLS setup: {what}: {why}")]
    TlsSetup {
        /// The file or step.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// An output path (`--out`, `--junit`) cannot be written.
    #[error("{option} {}{why}", path.display())]
    Output {
        /// The option naming the path.
        option: String,
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it, from ": …" or " is …" on.
        why: String,
    },
    /// `wsconform proxy`: the front URL's requests never reach `--backend`.
    #[error("{front} does not forward to --backend {backend}: {what}")]
    NotProxied {
        /// The front URL.
        front: String,
        /// The backend address.
        backend: String,
        /// What arrived where.
        what: String,
    },
    /// The selection of cases is empty, or a pattern matches no case.
    #[error("{0}")]
    Selection(String),
    /// Another I/O failure, with what was being done.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
}
