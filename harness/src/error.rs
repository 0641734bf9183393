//! The errors of the harness; the CLI prints each as one line and exits with 2.
//!
//! Every variant says what was being checked and carries what went wrong as a typed
//! value: the OS error, rustls's, the URL parser's, serde_json's or ws-spec's, or one
//! of the problem enums below, so a caller can match on the cause, not on text.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use ws_spec::error::HandshakeError;

/// What stops a run before any verdict can be given.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The URL cannot be tested.
    #[error("bad URL {url:?}: {problem}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        #[source]
        problem: UrlProblem,
    },
    /// A `--header` is not `Name: value`.
    #[error("bad header {header:?}: {problem}")]
    BadHeader {
        /// The header as given.
        header: String,
        /// What is wrong with it.
        problem: HeaderProblem,
    },
    /// The host cannot be reached at all.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// host:port.
        addr: String,
        /// The OS error.
        source: io::Error,
    },
    /// The port answers, but not with a WebSocket handshake.
    #[error("{url} does not speak WebSocket: {problem}")]
    NotWebSocket {
        /// The URL.
        url: String,
        /// What it answered, or failed to.
        #[source]
        problem: ProbeProblem,
    },
    /// A case pattern or list is wrong.
    #[error(transparent)]
    Cases(#[from] ws_cases::CasesError),
    /// A report could not be written or read.
    #[error(transparent)]
    Report(#[from] ws_reports::ReportError),
    /// A spec file could not be used.
    #[error("spec file {path}: {problem}")]
    Spec {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        problem: SpecProblem,
    },
    /// A `--shard K/N` value is malformed or out of range.
    #[error("bad --shard {text:?}: {problem}")]
    BadShard {
        /// The value as given.
        text: String,
        /// What is wrong with it.
        problem: ShardProblem,
    },
    /// The agent to use from a report directory is missing or ambiguous.
    #[error("report {dir}: {problem}")]
    Agent {
        /// The report directory.
        dir: PathBuf,
        /// What is wrong.
        problem: AgentProblem,
    },
    /// Binding a listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The OS error.
        source: io::Error,
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
    #[error("TLS handshake with {addr} failed: {problem}")]
    TlsHandshake {
        /// host:port.
        addr: String,
        /// What went wrong.
        #[source]
        problem: TlsHandshakeProblem,
    },
    /// A certificate, key or CA file cannot be used, or a certificate cannot be made.
    #[error("TLS setup: {what}: {problem}")]
    TlsSetup {
        /// The file or step.
        what: String,
        /// What is wrong.
        #[source]
        problem: TlsSetupProblem,
    },
    /// An output path (`--out`, `--junit`) cannot be written.
    #[error("{option} {}{problem}", path.display())]
    Output {
        /// The option naming the path.
        option: String,
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        problem: OutputProblem,
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
    #[error(transparent)]
    Selection(#[from] SelectionProblem),
    /// Another I/O failure, with what was being done.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: io::Error,
    },
}

/// What is wrong with a URL given to test.
#[derive(Debug, thiserror::Error)]
pub enum UrlProblem {
    /// No `scheme://` at all.
    #[error("expected ws://host:port/path or wss://host:port/path")]
    NoScheme,
    /// The URL parser refused it.
    #[error("{0}")]
    Parse(#[from] url::ParseError),
    /// A scheme other than ws or wss.
    #[error("the scheme must be ws:// or wss://, not {0}://")]
    Scheme(String),
    /// A `#fragment` (RFC 6455 §3).
    #[error("a WebSocket URL has no fragment (RFC 6455 §3)")]
    Fragment,
    /// `user:password@`.
    #[error("user information (user:password@) in a WebSocket URL is not supported")]
    UserInfo,
    /// No host.
    #[error("missing host")]
    NoHost,
    /// No port and none known for the scheme.
    #[error("missing port")]
    NoPort,
    /// Port 0.
    #[error("invalid port 0")]
    PortZero,
    /// A wss:// front given to `proxy`, which tests ws:// fronts only.
    #[error("wsconform proxy tests ws:// fronts (a wss:// front is not supported yet)")]
    WssFront,
    /// A wss:// host that cannot be a TLS server name.
    #[error("the host is not a valid TLS server name: {0}")]
    ServerName(#[source] rustls::pki_types::InvalidDnsNameError),
}

/// What is wrong with a `--header`.
#[derive(Debug, thiserror::Error)]
pub enum HeaderProblem {
    /// No colon.
    #[error("a --header must look like 'Name: value'")]
    NoColon,
    /// The name is empty or not a token (RFC 9110 §5.1).
    #[error("the name before ':' must be a token such as X-Api-Key")]
    BadName,
    /// The value spans lines.
    #[error("the value must be one line")]
    MultiLine,
}

/// What is wrong with a `--shard K/N`.
#[derive(Debug, thiserror::Error)]
pub enum ShardProblem {
    /// Not `K/N`.
    #[error("expected K/N, e.g. 1/4")]
    Form,
    /// K or N is not a whole number.
    #[error("{which} is not a whole number")]
    NotANumber {
        /// "K" or "N".
        which: &'static str,
        /// The parser's error.
        #[source]
        source: std::num::ParseIntError,
    },
    /// N is 0.
    #[error("N must be at least 1")]
    NoShards,
    /// K outside 1..=N.
    #[error("K must be between 1 and N ({count})")]
    OutOfRange {
        /// N.
        count: usize,
    },
}

/// Why a URL that was reached is not a WebSocket endpoint.
#[derive(Debug, thiserror::Error)]
pub enum ProbeProblem {
    /// Sending the opening request failed.
    #[error("write failed: {0}")]
    Write(#[source] io::Error),
    /// Reading the response failed.
    #[error("read failed: {0}")]
    Read(#[source] io::Error),
    /// No response in time.
    #[error("no handshake response within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The server closed before answering.
    #[error("connection closed before a handshake response")]
    Closed,
    /// The answer is not HTTP.
    #[error("not an HTTP response: {0}")]
    NotHttp(#[source] HandshakeError),
    /// A status other than 101 to a valid request.
    #[error("it answered {status} {reason} to a valid opening handshake, not 101")]
    Status {
        /// The status code.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// A 101 that breaks RFC 6455 §4.1, where a valid handshake is required.
    #[error("handshake refused: {0}")]
    InvalidHandshake(#[source] HandshakeError),
    /// An HTTP/2 peer that does not enable the extended CONNECT.
    #[error(
        "its HTTP/2 SETTINGS ({settings}) do not enable the extended CONNECT \
         (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3)"
    )]
    NoExtendedConnect {
        /// What its SETTINGS were, as the HTTP/2 layer describes them.
        settings: String,
    },
    /// A status other than 2xx to a valid extended CONNECT (RFC 8441 §5).
    #[error("it answered {0} to a valid extended CONNECT, not 2xx")]
    Http2Status(u16),
    /// No HTTP/2 answer in time.
    #[error("no HTTP/2 answer within {} s", .0.as_secs_f64())]
    Http2Timeout(Duration),
    /// The HTTP/2 connection or stream failed, as the HTTP/2 layer says it.
    #[error("{0}")]
    Http2(String),
}

/// Why a TLS handshake with a server failed (other than its certificate).
#[derive(Debug, thiserror::Error)]
pub enum TlsHandshakeProblem {
    /// No handshake in time.
    #[error("no TLS handshake within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The server closed the connection mid-handshake.
    #[error("the server closed the connection during the TLS handshake")]
    Closed,
    /// A plain ws:// server answered the ClientHello (with HTTP, no TLS record).
    #[error("{0}: the server does not speak TLS on this port (is it ws:// rather than wss://?)")]
    NotTls(#[source] rustls::Error),
    /// rustls refused the handshake.
    #[error("{0}")]
    Rustls(#[source] rustls::Error),
    /// The socket failed.
    #[error("{0}")]
    Io(#[source] io::Error),
}

/// Why a certificate, key or CA file cannot be used, or a certificate cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupProblem {
    /// The file cannot be read.
    #[error("{0}")]
    Read(#[source] io::Error),
    /// It has no PEM block of the kind wanted.
    #[error("no PEM {0} block in it")]
    NoPem(&'static str),
    /// Its PEM is malformed.
    #[error("malformed PEM: {0}")]
    Pem(#[source] rustls::pki_types::pem::Error),
    /// The chain is empty.
    #[error("no certificate")]
    NoCertificate,
    /// A CA certificate rustls cannot use as a root.
    #[error("not a usable CA certificate: {0}")]
    BadCa(#[source] rustls::Error),
    /// The key is not the certificate's.
    #[error("the private key does not belong to the certificate")]
    KeyMismatch(#[source] rustls::Error),
    /// rustls refused the certificate or key otherwise.
    #[error("{0}")]
    Rustls(#[source] rustls::Error),
    /// A generated key that rustls cannot take.
    #[error("unusable key: {0}")]
    UnusableKey(&'static str),
    /// Making the certificate failed.
    #[error("{0}")]
    Generate(#[source] rcgen::Error),
}

impl TlsSetupProblem {
    /// A PEM reading error, named for the kind of block wanted ("CERTIFICATE", "PRIVATE KEY").
    pub fn from_pem(e: rustls::pki_types::pem::Error, wanted: &'static str) -> Self {
        use rustls::pki_types::pem::Error;
        match e {
            Error::Io(io) => TlsSetupProblem::Read(io),
            Error::NoItemsFound => TlsSetupProblem::NoPem(wanted),
            other => TlsSetupProblem::Pem(other),
        }
    }
}

/// Why an output path cannot be written. Each message goes right after the path, so
/// it starts with " is …" or ": …".
#[derive(Debug, thiserror::Error)]
pub enum OutputProblem {
    /// The path itself is a file where a directory is needed.
    #[error(" is a file, not a directory")]
    IsFile,
    /// The path is a directory where a file is needed.
    #[error(" is a directory, not a file")]
    IsDirectory,
    /// A file stands where a parent directory is needed.
    #[error(": {} is a file, not a directory", .0.display())]
    FileInTheWay(PathBuf),
    /// The directory cannot be created.
    #[error(": cannot create it: {0}")]
    CreateIt(#[source] io::Error),
    /// The file's directory cannot be created.
    #[error(": cannot create {}: {source}", dir.display())]
    CreateParent {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Nothing can be written into the directory.
    #[error(": cannot write into it: {0}")]
    WriteInto(#[source] io::Error),
    /// The file cannot be opened for writing.
    #[error(": cannot write it: {0}")]
    Write(#[source] io::Error),
}

/// What is wrong with a fuzzingclient spec file.
#[derive(Debug, thiserror::Error)]
pub enum SpecProblem {
    /// The file cannot be read.
    #[error("cannot read it: {0}")]
    Read(#[source] io::Error),
    /// It is not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A server's URL cannot be tested.
    #[error("servers[{server}]: bad URL {url:?}: {problem}")]
    Url {
        /// Index in `servers`.
        server: usize,
        /// The URL.
        url: String,
        /// What is wrong with it.
        #[source]
        problem: UrlProblem,
    },
    /// A case pattern in the file is wrong.
    #[error("{at}: {source}")]
    Pattern {
        /// Where in the file (`cases[2]`).
        at: String,
        /// The catalogue's error.
        source: ws_cases::CasesError,
    },
    /// Selecting the cases fails.
    #[error("{0}")]
    Select(#[source] ws_cases::CasesError),
    /// `cases` minus `exclude-cases` selects nothing.
    #[error("\"cases\" minus \"exclude-cases\" selects no case of this catalogue")]
    NothingSelected,
    /// A field is missing, of the wrong type or unknown: the file's shape is wrong.
    #[error("{0}")]
    Shape(String),
}

/// Why no agent of a report directory can be used.
#[derive(Debug, thiserror::Error)]
pub enum AgentProblem {
    /// `index.json` lists none.
    #[error("index.json lists no agent")]
    NoAgent,
    /// The agent asked for is not there.
    #[error("no agent {name:?} (it has {have})")]
    Unknown {
        /// The agent asked for.
        name: String,
        /// The agents there are, quoted and comma-separated.
        have: String,
    },
    /// Several agents and none chosen.
    #[error("it holds several agents ({have}): choose one with --agent")]
    Ambiguous {
        /// The agents there are, quoted and comma-separated.
        have: String,
    },
    /// The agent has no such case.
    #[error("agent {agent:?} has no case {case}")]
    NoCase {
        /// The agent.
        agent: String,
        /// The case asked for.
        case: String,
    },
    /// `--agent-map old=new` names an agent the report lacks.
    #[error("--agent-map {old}={new}: no agent {old:?}")]
    MapUnknown {
        /// The agent to rename.
        old: String,
        /// Its new name.
        new: String,
    },
}

/// Why a selection of cases cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SelectionProblem {
    /// `--cases` names nothing.
    #[error("--cases {0:?} names no case: give ids or patterns (\"*\" selects every case)")]
    EmptyList(String),
    /// Everything selected is excluded.
    #[error("no case left to run: --cases {cases:?} minus --exclude {exclude:?} selects nothing")]
    NothingLeft {
        /// `--cases`.
        cases: String,
        /// `--exclude`.
        exclude: String,
    },
    /// A pattern matches no case of section 19 (`proxy`).
    #[error("case pattern {0:?} matches no proxy case (they are 19.1.* to 19.8.*)")]
    NoProxyMatch(String),
    /// A pattern matches no case.
    #[error("case pattern {pattern:?} matches no case{}", .close.as_ref().map(|c| format!("; did you mean {c}?")).unwrap_or_default())]
    NoMatch {
        /// The pattern.
        pattern: String,
        /// A close pattern that does match, if there is one.
        close: Option<String>,
    },
}
