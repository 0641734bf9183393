//! wss://: TLS for the runner (client side) and the built-in servers (server side).
//!
//! TLS sits below the WebSocket layer and above TCP: the runner hands the TLS
//! stream to the same byte mover as a TCP stream, so case timing and the wire
//! log (written from the WebSocket octets, before encryption) are the same.
//!
//! The client verifies certificates against Mozilla's roots (webpki-roots)
//! plus any `--ca` file, unless `--insecure` says not to. A server presents a
//! PEM certificate and key, or a certificate made on the spot and signed by a
//! CA made on the spot, whose certificate is written to a file so a client can
//! trust it with `--ca`.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::{client, server, TlsAcceptor, TlsConnector};

use crate::error::{HarnessError, TlsHandshakeProblem, TlsSetupProblem, UrlProblem};
use crate::target::Target;

/// The one application protocol a WebSocket opening handshake runs on (RFC 6455 §4.1).
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The ALPN protocol id of HTTP/2 over TLS (RFC 9113 §3.2).
pub const ALPN_H2: &[u8] = b"h2";

/// How long a peer may take to finish the TLS handshake on a server.
pub const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Validity of a generated certificate: long enough for any test session, short
/// enough that a leaked one soon stops mattering.
const GENERATED_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);

/// ring, chosen explicitly: if another crate in the build enabled aws-lc-rs too,
/// rustls could not pick a process-wide default and would panic.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn setup_error(what: impl Into<String>, problem: TlsSetupProblem) -> HarnessError {
    HarnessError::TlsSetup {
        what: what.into(),
        problem,
    }
}

// ---------------------------------------------------------------- client side

/// How the runner checks the certificates of wss:// servers.
#[derive(Clone, Debug)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    insecure: bool,
}

impl Default for ClientTls {
    /// Verification against the built-in roots only.
    fn default() -> Self {
        ClientTls::with_roots(RootCertStore::from_iter(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
        ))
    }
}

impl ClientTls {
    /// Verifies against the built-in roots plus every CA certificate in the PEM
    /// `ca_files`; with `insecure`, verifies nothing (the files are still read, so a
    /// wrong path is reported either way).
    pub fn new(ca_files: &[PathBuf], insecure: bool) -> Result<Self, HarnessError> {
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for path in ca_files {
            let what = || format!("--ca {}", path.display());
            let certs = read_certs(path).map_err(|why| setup_error(what(), why))?;
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| setup_error(what(), TlsSetupProblem::BadCa(e)))?;
            }
        }
        if insecure {
            Ok(ClientTls::insecure())
        } else {
            Ok(ClientTls::with_roots(roots))
        }
    }

    fn with_roots(roots: RootCertStore) -> Self {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports rustls's default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        ClientTls {
            config: Arc::new(config),
            insecure: false,
        }
    }

    fn insecure() -> Self {
        let provider = provider();
        let mut config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports rustls's default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        ClientTls {
            config: Arc::new(config),
            insecure: true,
        }
    }

    /// Certificates are not verified (`--insecure`).
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The rustls configuration, for callers that drive tokio-rustls themselves.
    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// The same trust, offering only HTTP/2 (`h2`) over ALPN (RFC 7301), for
    /// WebSockets over HTTP/2 (RFC 8441).
    pub fn for_h2(&self) -> ClientTls {
        let mut config = (*self.config).clone();
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        ClientTls {
            config: Arc::new(config),
            insecure: self.insecure,
        }
    }

    /// Runs the TLS handshake on a connected `stream` to `target`: SNI and the name
    /// checked against the certificate come from the URL's host. A refused
    /// certificate is [`HarnessError::TlsCertificate`]; any other failure is
    /// [`HarnessError::TlsHandshake`].
    pub async fn connect<S>(
        &self,
        stream: S,
        target: &Target,
    ) -> Result<client::TlsStream<S>, HarnessError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let addr = target.socket_addr();
        let name = ServerName::try_from(target.host.clone()).map_err(|e| HarnessError::BadUrl {
            url: target.url.clone(),
            problem: UrlProblem::ServerName(e),
        })?;
        TlsConnector::from(self.config.clone())
            .connect(name, stream)
            .await
            .map_err(|e| handshake_error(&addr, &target.host, e))
    }
}

/// The verifier behind `--insecure`: any certificate for any name is accepted, but
/// the handshake signatures are still checked, so the connection is at least
/// encrypted to whoever holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Why a server's certificate was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertProblem {
    /// The certificate does not name the host of the URL.
    WrongName {
        /// The host of the URL.
        expected: String,
        /// The names the certificate carries (its subjectAltName entries).
        presented: Vec<String>,
    },
    /// The certificate's validity ended.
    Expired {
        /// Its notAfter time, when known.
        not_after: Option<SystemTime>,
    },
    /// The certificate's validity has not begun.
    NotYetValid {
        /// Its notBefore time, when known.
        not_before: Option<SystemTime>,
    },
    /// No trusted CA issued the certificate (self-signed, or a private CA not given with `--ca`).
    UnknownIssuer,
    /// Anything else the verifier refused, in rustls's words.
    Other(String),
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = |t: &Option<SystemTime>| match t {
            Some(t) => crate::report::iso8601(*t),
            None => "an unknown time".into(),
        };
        match self {
            CertProblem::WrongName {
                expected,
                presented,
            } if presented.is_empty() => write!(
                f,
                "wrong host name: the certificate is not valid for {expected}"
            ),
            CertProblem::WrongName {
                expected,
                presented,
            } => write!(
                f,
                "wrong host name: the certificate is not valid for {expected}, only for {}",
                presented.join(", ")
            ),
            CertProblem::Expired { not_after } => {
                write!(f, "expired certificate: not valid after {}", when(not_after))
            }
            CertProblem::NotYetValid { not_before } => write!(
                f,
                "certificate not yet valid: not valid before {}",
                when(not_before)
            ),
            CertProblem::UnknownIssuer => write!(
                f,
                "unknown issuer: no trusted CA signed the certificate (trust its CA with --ca FILE, or skip verification with --insecure)"
            ),
            CertProblem::Other(why) => f.write_str(why),
        }
    }
}

impl CertProblem {
    /// Classifies a certificate error of rustls; `host` is the name that was checked.
    pub fn from_rustls(e: &CertificateError, host: &str) -> Self {
        let at = |t: &UnixTime| Some(UNIX_EPOCH + Duration::from_secs(t.as_secs()));
        match e {
            CertificateError::NotValidForName => CertProblem::WrongName {
                expected: host.to_string(),
                presented: Vec::new(),
            },
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => CertProblem::WrongName {
                expected: expected.to_str().into_owned(),
                presented: presented.iter().map(|n| plain_name(n)).collect(),
            },
            CertificateError::Expired => CertProblem::Expired { not_after: None },
            CertificateError::ExpiredContext { not_after, .. } => CertProblem::Expired {
                not_after: at(not_after),
            },
            CertificateError::NotValidYet => CertProblem::NotYetValid { not_before: None },
            CertificateError::NotValidYetContext { not_before, .. } => CertProblem::NotYetValid {
                not_before: at(not_before),
            },
            CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
            CertificateError::BadSignature => CertProblem::Other(
                "bad signature: a trusted CA has the issuer's name, but did not sign this certificate"
                    .into(),
            ),
            other => CertProblem::Other(other.to_string()),
        }
    }
}

/// webpki shows a subjectAltName as `DnsName("localhost")` or `IpAddress(127.0.0.1)`;
/// people know it as the bare name.
fn plain_name(shown: &str) -> String {
    for (prefix, suffix) in [("DnsName(\"", "\")"), ("IpAddress(", ")")] {
        if let Some(inner) = shown
            .strip_prefix(prefix)
            .and_then(|s| s.strip_suffix(suffix))
        {
            return inner.to_string();
        }
    }
    shown.to_string()
}

/// Turns a failed client handshake into the harness's error, naming the reason.
fn handshake_error(addr: &str, host: &str, e: io::Error) -> HarnessError {
    let handshake = |problem: TlsHandshakeProblem| HarnessError::TlsHandshake {
        addr: addr.to_string(),
        problem,
    };
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof => handshake(TlsHandshakeProblem::Closed),
            _ => handshake(TlsHandshakeProblem::Io(e)),
        };
    };
    match tls {
        rustls::Error::InvalidCertificate(cert) => HarnessError::TlsCertificate {
            addr: addr.to_string(),
            problem: CertProblem::from_rustls(cert, host),
        },
        // A plain ws:// server answers a ClientHello with an HTTP 400, which is no
        // TLS record at all.
        rustls::Error::InvalidMessage(_) => handshake(TlsHandshakeProblem::NotTls(tls.clone())),
        other => handshake(TlsHandshakeProblem::Rustls(other.clone())),
    }
}

/// `--ca` and `--insecure`: how `run` verifies wss:// servers.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "TLS (wss:// URLs)")]
pub struct ClientTlsArgs {
    /// Also trust the CA certificates in this PEM file (repeatable); the built-in roots
    /// (Mozilla's, from webpki-roots) are always trusted.
    #[arg(long = "ca", value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// Do not verify server certificates at all. The report and the JSON summary
    /// record that verification was off.
    #[arg(long)]
    pub insecure: bool,
}

impl ClientTlsArgs {
    /// Builds the verification these flags ask for.
    pub fn client(&self) -> Result<ClientTls, HarnessError> {
        ClientTls::new(&self.ca, self.insecure)
    }
}

// ---------------------------------------------------------------- server side

/// What a wss:// server presents, ready to accept connections.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    fingerprint: String,
    names: Vec<String>,
    ca_file: Option<PathBuf>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config holds the private key: show only what identifies the certificate.
        f.debug_struct("ServerTls")
            .field("fingerprint", &self.fingerprint)
            .field("names", &self.names)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Presents the certificate chain in the PEM file `cert` (leaf first) with the
    /// private key in the PEM file `key` (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, HarnessError> {
        let chain = read_certs(cert)
            .map_err(|problem| setup_error(format!("--cert {}", cert.display()), problem))?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            setup_error(
                format!("--key {}", key.display()),
                TlsSetupProblem::from_pem(e, "PRIVATE KEY"),
            )
        })?;
        let what = format!("--cert {} with --key {}", cert.display(), key.display());
        ServerTls::from_der(chain, key_der, Vec::new(), None)
            .map_err(|problem| setup_error(what, problem))
    }

    /// Presents a new certificate for `names` (host names or IP addresses), signed by a
    /// new CA whose certificate is written to `ca_file` as PEM for clients' `--ca`.
    pub fn generate(names: &[String], ca_file: &Path) -> Result<Self, HarnessError> {
        let generated = GeneratedCert::new(names)?;
        std::fs::write(ca_file, &generated.ca_pem).map_err(|source| HarnessError::Io {
            what: format!("writing the CA certificate to {}", ca_file.display()),
            source,
        })?;
        ServerTls::from_der(
            vec![generated.cert],
            generated.key,
            names.to_vec(),
            Some(ca_file.to_path_buf()),
        )
        .map_err(|problem| setup_error("the generated certificate", problem))
    }

    /// Presents `chain` (leaf first) with `key`.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        names: Vec<String>,
        ca_file: Option<PathBuf>,
    ) -> Result<Self, TlsSetupProblem> {
        let leaf = chain.first().ok_or(TlsSetupProblem::NoCertificate)?;
        let fingerprint = sha256_fingerprint(leaf);
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsSetupProblem::Rustls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => TlsSetupProblem::KeyMismatch(e),
                other => TlsSetupProblem::Rustls(other),
            })?;
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
            fingerprint,
            names,
            ca_file,
        })
    }

    /// The same identity offering HTTP/2 (`h2`) first and HTTP/1.1 second over ALPN
    /// (RFC 7301), as a server taking WebSockets over both does (`serve --http2`).
    pub fn offering_h2(&self) -> ServerTls {
        let mut config = (*self.config).clone();
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        ServerTls {
            config: Arc::new(config),
            ..self.clone()
        }
    }

    /// The rustls configuration, for servers that drive tokio-rustls themselves.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    /// SHA-256 of the presented (leaf) certificate, as `AB:CD:…`, the form `openssl x509
    /// -fingerprint -sha256` prints.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The file holding the generated CA certificate; `None` for `--cert/--key`.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Runs the server side of the TLS handshake on an accepted connection, within
    /// [`ACCEPT_TIMEOUT`].
    pub async fn accept<S>(&self, stream: S) -> io::Result<server::TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        accept(stream, &self.config).await
    }

    /// What a server prints after its URL so a client can trust it: the fingerprint,
    /// and for a generated certificate its names and the CA file.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "certificate SHA-256 fingerprint: {}",
            self.fingerprint
        )];
        if let Some(ca) = &self.ca_file {
            lines.push(format!(
                "certificate generated for {}, signed by a new CA",
                self.names.join(", ")
            ));
            lines.push(format!("CA certificate (for run --ca): {}", ca.display()));
        }
        lines
    }
}

/// Wraps an accepted connection in TLS with `config`: the server side of the
/// handshake, within [`ACCEPT_TIMEOUT`]. This is the hook for any wss:// server of
/// the harness: accept TCP, call this, then serve WebSocket on the result.
pub async fn accept<S>(stream: S, config: &Arc<ServerConfig>) -> io::Result<server::TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tokio::time::timeout(
        ACCEPT_TIMEOUT,
        TlsAcceptor::from(config.clone()).accept(stream),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no TLS handshake within the time allowed",
        )),
    }
}

/// A certificate signed by a CA, both made on the spot.
pub struct GeneratedCert {
    /// The CA's certificate, PEM: what a client trusts.
    pub ca_pem: String,
    /// The CA's certificate, DER.
    pub ca: CertificateDer<'static>,
    /// The server's certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The server's certificate, PEM.
    pub cert_pem: String,
    /// The server's private key.
    pub key: PrivateKeyDer<'static>,
    /// The server's private key, PEM (PKCS#8).
    pub key_pem: String,
}

impl GeneratedCert {
    /// ECDSA P-256 keys; the certificate names `names` and is valid from a day ago for 90 days.
    pub fn new(names: &[String]) -> Result<Self, HarnessError> {
        let now = SystemTime::now();
        let from = now - Duration::from_secs(24 * 3600);
        GeneratedCert::with_validity(names, from, now + GENERATED_VALIDITY)
    }

    /// As [`GeneratedCert::new`], with the server certificate valid from `not_before`
    /// to `not_after` (tests make expired ones); the CA is valid around both.
    pub fn with_validity(
        names: &[String],
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<Self, HarnessError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let err =
            |e: rcgen::Error| setup_error("generating a certificate", TlsSetupProblem::Generate(e));
        let day = Duration::from_secs(24 * 3600);

        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        // Each CA gets a name of its own: a client that trusts another generated CA
        // would otherwise take it for the issuer and report a bad signature instead
        // of an unknown issuer.
        let tag: String = sha256_fingerprint(ca_key.public_key_raw())
            .split(':')
            .take(4)
            .collect();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("wsconform test CA {tag}"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = (not_before.min(SystemTime::now()) - day).into();
        ca_params.not_after = (not_after.max(SystemTime::now()) + day).into();
        let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate().map_err(err)?;
        let mut params = CertificateParams::new(names.to_vec()).map_err(err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().map(String::as_str).unwrap_or("wsconform"),
        );
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = not_before.into();
        params.not_after = not_after.into();
        let cert = params.signed_by(&key, &issuer).map_err(err)?;

        Ok(GeneratedCert {
            ca_pem: ca_cert.pem(),
            ca: ca_cert.der().clone(),
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key: PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| {
                setup_error("generating a certificate", TlsSetupProblem::UnusableKey(e))
            })?,
        })
    }
}

/// `--tls`, `--cert`, `--key`, `--ca-out`: how a built-in server serves wss://.
/// Flatten it into a subcommand's arguments and call [`ServerTlsArgs::load`].
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "TLS (wss://)")]
pub struct ServerTlsArgs {
    /// Serve wss:// instead of ws://. Without --cert/--key, a certificate for
    /// localhost, 127.0.0.1 and ::1 (and the --listen address) is generated, signed by
    /// a new CA whose certificate is written to a file for clients' --ca; its path and
    /// the certificate's SHA-256 fingerprint are printed.
    #[arg(long)]
    pub tls: bool,
    /// PEM certificate chain to present, leaf first (needs --key).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// PEM private key of --cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
    /// Where to write the generated CA certificate [default: wsconform-ca-PORT.pem in
    /// the temporary directory].
    #[arg(long, value_name = "FILE", requires = "tls", conflicts_with = "cert")]
    pub ca_out: Option<PathBuf>,
}

impl ServerTlsArgs {
    /// The TLS identity to serve with, or `None` without `--tls`. `listen` is the bound
    /// address (a generated certificate names it too) and `port` the bound port (it
    /// names the default CA file).
    pub fn load(&self, listen: &str, port: u16) -> Result<Option<ServerTls>, HarnessError> {
        if !self.tls {
            return Ok(None);
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            return ServerTls::from_pem_files(cert, key).map(Some);
        }
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let listen = listen.trim_start_matches('[').trim_end_matches(']');
        let unspecified = listen.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        if !listen.is_empty() && !unspecified && !names.iter().any(|n| n == listen) {
            names.push(listen.to_string());
        }
        let ca_file = self
            .ca_out
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join(format!("wsconform-ca-{port}.pem")));
        ServerTls::generate(&names, &ca_file).map(Some)
    }
}

// ---------------------------------------------------------------- PEM and digests

/// Every certificate in a PEM file; at least one.
fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupProblem> {
    let pem = |e| TlsSetupProblem::from_pem(e, "CERTIFICATE");
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    if certs.is_empty() {
        return Err(TlsSetupProblem::NoPem("CERTIFICATE"));
    }
    Ok(certs)
}

/// SHA-256 of a certificate as colon-separated upper-case hex.
pub fn sha256_fingerprint(cert: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, cert)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wsconform-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Client and server over an in-memory pipe; the client's result.
    async fn handshake(
        server: &ServerTls,
        client: &ClientTls,
        url: &str,
    ) -> Result<(), HarnessError> {
        let (c, s) = tokio::io::duplex(64 * 1024);
        let server = server.clone();
        let served = tokio::spawn(async move { server.accept(s).await.map(|_| ()) });
        let target = Target::parse(url).unwrap();
        let result = client.connect(c, &target).await.map(|_| ());
        let _ = served.await;
        result
    }

    #[test]
    fn fingerprint_is_sha256_in_openssl_form() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }

    #[test]
    fn presented_names_are_shown_bare() {
        assert_eq!(plain_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
    }

    #[test]
    fn generated_pem_round_trips() {
        let g = GeneratedCert::new(&names(&["localhost"])).unwrap();
        let cert = CertificateDer::from_pem_slice(g.cert_pem.as_bytes()).unwrap();
        assert_eq!(cert.as_ref(), g.cert.as_ref());
        let key = PrivateKeyDer::from_pem_slice(g.key_pem.as_bytes()).unwrap();
        assert_eq!(key.secret_der(), g.key.secret_der());
        let ca = CertificateDer::from_pem_slice(g.ca_pem.as_bytes()).unwrap();
        assert_eq!(ca.as_ref(), g.ca.as_ref());
    }

    #[tokio::test]
    async fn generated_ca_is_trusted_through_ca_file() {
        let ca_file = scratch("trusted-ca.pem");
        let server = ServerTls::generate(&names(&["localhost", "127.0.0.1"]), &ca_file).unwrap();
        assert_eq!(server.ca_file(), Some(ca_file.as_path()));
        let client = ClientTls::new(std::slice::from_ref(&ca_file), false).unwrap();
        handshake(&server, &client, "wss://127.0.0.1:1/")
            .await
            .unwrap();
        handshake(&server, &client, "wss://localhost:1/")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn refusals_name_their_reason() {
        let ca_file = scratch("refusals-ca.pem");
        let server = ServerTls::generate(&names(&["localhost"]), &ca_file).unwrap();
        let trusting = ClientTls::new(std::slice::from_ref(&ca_file), false).unwrap();
        match handshake(&server, &trusting, "wss://127.0.0.1:1/").await {
            Err(HarnessError::TlsCertificate {
                problem:
                    CertProblem::WrongName {
                        expected,
                        presented,
                    },
                ..
            }) => {
                assert_eq!(expected, "127.0.0.1");
                assert_eq!(presented, names(&["localhost"]));
            }
            other => panic!("{other:?}"),
        }
        match handshake(&server, &ClientTls::default(), "wss://localhost:1/").await {
            Err(HarnessError::TlsCertificate {
                problem: CertProblem::UnknownIssuer,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        let insecure = ClientTls::new(&[], true).unwrap();
        assert!(insecure.is_insecure());
        handshake(&server, &insecure, "wss://127.0.0.1:1/")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn expired_certificate_is_refused_with_its_date() {
        let day = Duration::from_secs(24 * 3600);
        let not_after = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let g =
            GeneratedCert::with_validity(&names(&["localhost"]), not_after - 30 * day, not_after)
                .unwrap();
        let ca_file = scratch("expired-ca.pem");
        std::fs::write(&ca_file, &g.ca_pem).unwrap();
        let server = ServerTls::from_der(vec![g.cert], g.key, Vec::new(), None).unwrap();
        let client = ClientTls::new(&[ca_file], false).unwrap();
        match handshake(&server, &client, "wss://localhost:1/").await {
            Err(
                e @ HarnessError::TlsCertificate {
                    problem: CertProblem::Expired { not_after: Some(t) },
                    ..
                },
            ) => {
                assert_eq!(t, not_after);
                assert!(e.to_string().contains("2020-09-13T12:26:40"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_files_are_named() {
        let missing = scratch("missing.pem");
        let err = ClientTls::new(std::slice::from_ref(&missing), false).unwrap_err();
        assert!(err.to_string().contains("--ca "), "{err}");
        let empty = scratch("empty.pem");
        std::fs::write(&empty, "not pem\n").unwrap();
        let err = ClientTls::new(std::slice::from_ref(&empty), false).unwrap_err();
        assert!(
            err.to_string().contains("no PEM CERTIFICATE block"),
            "{err}"
        );

        let a = GeneratedCert::new(&names(&["localhost"])).unwrap();
        let b = GeneratedCert::new(&names(&["localhost"])).unwrap();
        let (cert, key) = (scratch("a-cert.pem"), scratch("b-key.pem"));
        std::fs::write(&cert, a.cert_pem).unwrap();
        std::fs::write(&key, b.key_pem).unwrap();
        let err = ServerTls::from_pem_files(&cert, &key).unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
        let err = ServerTls::from_pem_files(&cert, &empty).unwrap_err();
        assert!(
            err.to_string().contains("no PEM PRIVATE KEY block"),
            "{err}"
        );
        std::fs::write(&key, a.key_pem).unwrap();
        let ok = ServerTls::from_pem_files(&cert, &key).unwrap();
        assert_eq!(ok.fingerprint(), sha256_fingerprint(&a.cert));
        assert_eq!(ok.ca_file(), None);
    }
}
