//! wss:// (issue 9): the runner over TLS against the built-in echo server with a
//! generated CA and against a third-party TLS server (tokio-tungstenite behind
//! tokio-rustls); refused certificates (wrong host name, expired, unknown issuer)
//! as one-line errors with exit code 2 from the binary; `--insecure` recorded in
//! the report; `wsconform echo --tls` tested by `wsconform run --ca`.

mod cli_common;
mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cli_common::{arg, run_cli, runtime, scratch, wsconform};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use support::play::{not_clean, run_cases};
use tokio::runtime::Runtime;
use ws_cases::run::WireEvent;
use wsconform::echo::{self, EchoSettings};
use wsconform::runner::{probe, CaseRecord, RunSettings};
use wsconform::target::Target;
use wsconform::tls::{sha256_fingerprint, CertProblem, ClientTls, GeneratedCert, ServerTls};
use wsconform::HarnessError;

/// Sections 1–7 and 10: everything but the slow performance cases.
const CASES: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*";

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Plays `patterns` against `url`, verifying its certificate with `tls`.
async fn run(url: &str, patterns: &str, tls: ClientTls) -> Vec<CaseRecord> {
    let settings = RunSettings {
        jobs: 16,
        case_timeout: Duration::from_secs(20),
        tls,
        ..RunSettings::default()
    };
    run_cases(url, patterns, settings).await
}

/// The built-in echo server over TLS with `tls`, on a free loopback port.
async fn start_echo_tls(tls: ServerTls) -> SocketAddr {
    let listener = echo::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(echo::serve_tls(listener, EchoSettings::default(), tls));
    addr
}

/// What the run saw of the WebSocket conversation, without times or read sizes
/// (TCP may split the server's bytes differently from one run to the next), with
/// the server's `port` (in the Host header) written as PORT.
fn conversation(record: &CaseRecord, port: u16) -> Vec<String> {
    let port = format!(":{port}");
    let text = |head: &[u8]| String::from_utf8_lossy(head).replace(&port, ":PORT");
    record
        .outcome
        .wirelog
        .iter()
        .filter_map(|e| match e {
            WireEvent::TxOctets {
                len, head, flush, ..
            } => Some(format!("tx {len} {:?} {flush}", text(head))),
            WireEvent::TxFrame {
                header, head, chop, ..
            } => Some(format!("tx-frame {header:?} {head:?} {chop:?}")),
            WireEvent::RxFrame { header, head, .. } => {
                Some(format!("rx-frame {header:?} {head:?}"))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_over_wss_matches_ws_against_the_builtin_server() {
    let dir = scratch("tls-builtin");
    let ca_file = dir.join("ca.pem");
    let server = ServerTls::generate(&names(&["localhost", "127.0.0.1"]), &ca_file).unwrap();
    let tls_addr = start_echo_tls(server).await;
    let plain_addr = support::start_echo(EchoSettings::default()).await;

    let client = ClientTls::new(&[ca_file], false).unwrap();
    let over_tls = run(&format!("wss://{tls_addr}/"), CASES, client).await;
    assert_eq!(over_tls.len(), 247);
    assert_eq!(not_clean(&over_tls), BTreeSet::new());

    // TLS must change nothing a case can see: same verdicts, and the wire log shows
    // the same WebSocket octets and frames (plaintext, not TLS records).
    let over_tcp = run(&format!("ws://{plain_addr}/"), CASES, ClientTls::default()).await;
    assert_eq!(over_tcp.len(), over_tls.len());
    for (t, p) in over_tls.iter().zip(&over_tcp) {
        assert_eq!(t.case.id, p.case.id);
        assert_eq!(t.outcome.verdict, p.outcome.verdict, "{}", t.case.id);
        assert_eq!(
            conversation(t, tls_addr.port()),
            conversation(p, plain_addr.port()),
            "{}",
            t.case.id
        );
    }
    let first_write = over_tls[0]
        .outcome
        .wirelog
        .iter()
        .find_map(|e| match e {
            WireEvent::TxOctets { head, .. } => Some(head.clone()),
            _ => None,
        })
        .unwrap();
    assert!(first_write.starts_with(b"GET / HTTP/1.1\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn performance_cases_over_wss_pass() {
    // 9.x moves up to 16 MiB per message: the TLS stream's buffering must not stall.
    let dir = scratch("tls-perf");
    let ca_file = dir.join("ca.pem");
    let server = ServerTls::generate(&names(&["localhost"]), &ca_file).unwrap();
    let addr = start_echo_tls(server).await;
    let client = ClientTls::new(&[ca_file], false).unwrap();
    let records = run(
        &format!("wss://localhost:{}/", addr.port()),
        "9.1.6,9.2.6,9.3.1,9.4.1,9.5.1,9.6.1",
        client,
    )
    .await;
    assert_eq!(records.len(), 6);
    assert_eq!(not_clean(&records), BTreeSet::new());
}

/// tokio-tungstenite's echo server behind a tokio-rustls acceptor: TLS done by a
/// stack the suite did not write.
async fn start_tungstenite_tls(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A rustls server configuration built here, not by the harness.
fn third_party_config(g: &GeneratedCert) -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![g.cert.clone()], g.key.clone_key())
    .unwrap();
    Arc::new(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_tungstenite_behind_tokio_rustls_passes() {
    let g = GeneratedCert::new(&names(&["localhost", "127.0.0.1"])).unwrap();
    let ca_file = scratch("tls-tungstenite").join("ca.pem");
    std::fs::write(&ca_file, &g.ca_pem).unwrap();
    let addr = start_tungstenite_tls(third_party_config(&g)).await;
    let client = ClientTls::new(&[ca_file], false).unwrap();
    let records = run(&format!("wss://{addr}/"), CASES, client).await;
    assert_eq!(records.len(), 247);
    // As over ws:// (broken_servers.rs), tungstenite fails nothing.
    assert_eq!(not_clean(&records), BTreeSet::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reports_each_refusal_as_its_own_error() {
    let g = GeneratedCert::new(&names(&["localhost"])).unwrap();
    let ca_file = scratch("tls-probe").join("ca.pem");
    std::fs::write(&ca_file, &g.ca_pem).unwrap();
    let addr =
        start_echo_tls(ServerTls::from_der(vec![g.cert], g.key, vec![], None).unwrap()).await;
    let trusting = RunSettings {
        tls: ClientTls::new(&[ca_file], false).unwrap(),
        ..RunSettings::default()
    };
    let by_name = Target::parse(&format!("wss://localhost:{}/", addr.port())).unwrap();
    probe(&by_name, &trusting).await.unwrap();
    let by_ip = Target::parse(&format!("wss://{addr}/")).unwrap();
    match probe(&by_ip, &trusting).await {
        Err(HarnessError::TlsCertificate {
            problem: CertProblem::WrongName { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match probe(&by_name, &RunSettings::default()).await {
        Err(HarnessError::TlsCertificate {
            problem: CertProblem::UnknownIssuer,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A ws:// server on a wss:// URL: no TLS at all.
    let plain_addr = support::start_echo(EchoSettings::default()).await;
    match probe(
        &Target::parse(&format!("wss://{plain_addr}/")).unwrap(),
        &RunSettings::default(),
    )
    .await
    {
        Err(e @ HarnessError::TlsHandshake { .. }) => {
            assert!(e.to_string().contains("does not speak TLS"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------ the binary: exit codes and messages

/// Serves the reference echo over TLS with `g`'s certificate on `rt`; returns the port.
fn serve_cert(rt: &Runtime, g: &GeneratedCert) -> u16 {
    let tls = ServerTls::from_der(vec![g.cert.clone()], g.key.clone_key(), vec![], None).unwrap();
    rt.block_on(start_echo_tls(tls)).port()
}

fn write_ca(dir: &Path, g: &GeneratedCert) -> String {
    let path = dir.join("ca.pem");
    std::fs::write(&path, &g.ca_pem).unwrap();
    arg(&path)
}

/// `wsconform run URL --cases 1.1.1 --no-report EXTRA…` must exit 2 with one line naming `reason`.
fn assert_refused(url: &str, extra: &[&str], reason: &str) {
    let mut args = vec!["run", url, "--cases", "1.1.1", "--no-report"];
    args.extend_from_slice(extra);
    let r = wsconform(&args);
    r.assert_bad_input(reason);
    assert!(
        r.stderr.starts_with("wsconform: TLS: the certificate of "),
        "{r}"
    );
}

/// Serves `g` and runs the suite at wss://127.0.0.1 trusting `g`'s CA (written to the
/// scratch directory `name`): the certificate is refused for `reason`. Returns the
/// port and the CA file.
fn refused_at_127_0_0_1(
    rt: &Runtime,
    g: &GeneratedCert,
    name: &str,
    reason: &str,
) -> (u16, String) {
    let port = serve_cert(rt, g);
    let ca = write_ca(&scratch(name), g);
    assert_refused(&format!("wss://127.0.0.1:{port}/"), &["--ca", &ca], reason);
    (port, ca)
}

#[test]
fn wrong_host_name_exits_2() {
    let rt = runtime();
    let g = GeneratedCert::new(&names(&["localhost"])).unwrap();
    let (port, ca) = refused_at_127_0_0_1(
        &rt,
        &g,
        "tls-wrong-name",
        "wrong host name: the certificate is not valid for 127.0.0.1, only for localhost",
    );
    // The same server by the name it has passes.
    let r = wsconform(&[
        "run",
        &format!("wss://localhost:{port}/"),
        "--cases",
        "1.1.1",
        "--no-report",
        "--ca",
        &ca,
    ]);
    assert_eq!(r.code, 0, "{r}");
}

#[test]
fn expired_certificate_exits_2() {
    let rt = runtime();
    let year = Duration::from_secs(365 * 24 * 3600);
    let not_after = SystemTime::now() - year;
    let g =
        GeneratedCert::with_validity(&names(&["127.0.0.1"]), not_after - year, not_after).unwrap();
    refused_at_127_0_0_1(
        &rt,
        &g,
        "tls-expired",
        "expired certificate: not valid after ",
    );
}

#[test]
fn untrusted_ca_exits_2_and_insecure_connects_anyway() {
    let rt = runtime();
    let g = GeneratedCert::new(&names(&["127.0.0.1"])).unwrap();
    let port = serve_cert(&rt, &g);
    let url = format!("wss://127.0.0.1:{port}/");
    let dir = scratch("tls-untrusted");
    // Neither the built-in roots nor another CA vouch for it.
    assert_refused(&url, &[], "unknown issuer");
    let other = GeneratedCert::new(&names(&["127.0.0.1"])).unwrap();
    let other_ca = write_ca(&dir, &other);
    assert_refused(&url, &["--ca", &other_ca], "unknown issuer");

    let out = dir.join("report");
    let r = run_cli(
        Some(&url),
        "1.*,2.*",
        &["--insecure", "--format", "json", "--out", &arg(&out)],
    );
    r.assert_stderr(0, "--insecure: the certificate of 127.0.0.1:");
    let summary: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(summary["insecureTls"], Value::Bool(true), "{r}");
    assert_eq!(summary["total"], 27, "{r}");
    let runs = ws_reports::read_autobahn_dir(&out).unwrap();
    assert!(runs[0].insecure_tls);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("TLS certificate verification was turned off"));

    // Verified, the same report field says so.
    let r = run_cli(
        Some(&url),
        "1.1.1",
        &[
            "--no-report",
            "--format",
            "json",
            "--ca",
            &write_ca(&dir, &g),
        ],
    );
    assert_eq!(r.code, 0, "{r}");
    let summary: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(summary["insecureTls"], Value::Bool(false), "{r}");
}

#[test]
fn unusable_ca_file_exits_2() {
    let dir = scratch("tls-bad-ca");
    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let r = wsconform(&[
        "run",
        "wss://127.0.0.1:1/",
        "--ca",
        &arg(&bad),
        "--no-report",
    ]);
    r.assert_bad_input("no PEM CERTIFICATE block");
}

/// `wsconform echo ARGS`, killed when dropped.
struct EchoProcess {
    child: Child,
    lines: Vec<String>,
}

impl EchoProcess {
    /// Starts it and reads its banner: up to `banner` lines of stdout.
    fn start(args: &[&str], banner: usize) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsconform"))
            .arg("echo")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..banner {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            lines.push(line.trim_end().to_string());
        }
        EchoProcess { child, lines }
    }

    /// The value after `prefix` on a banner line.
    fn field(&self, prefix: &str) -> &str {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {:?}", self.lines))
    }
}

impl Drop for EchoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn echo_tls_with_a_generated_ca_passes_run_with_that_ca() {
    let dir = scratch("tls-echo-generated");
    let ca_out = dir.join("echo-ca.pem");
    let echo = EchoProcess::start(&["--tls", "--port", "0", "--ca-out", &arg(&ca_out)], 4);
    let url = echo
        .field("wsconform echo server listening on ")
        .to_string();
    assert!(url.starts_with("wss://127.0.0.1:"), "{:?}", echo.lines);
    assert_eq!(echo.field("CA certificate (for run --ca): "), arg(&ca_out));
    let fingerprint = echo.field("certificate SHA-256 fingerprint: ");
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{fingerprint}");

    let r = wsconform(&[
        "run",
        &url,
        "--ca",
        &arg(&ca_out),
        "--cases",
        "1.*,2.*,5.*",
        "--no-report",
    ]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("no case fails (fail-on failed)"), "{r}");
    // Without the CA the same server is refused.
    assert_refused(&url, &[], "unknown issuer");
}

/// `echo` options serving TLS on a free port with `cert_pem` and `key_pem`, written
/// to files in `dir`.
fn tls_file_args(dir: &Path, cert_pem: &str, key_pem: &str) -> Vec<String> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    [
        "--tls",
        "--port",
        "0",
        "--cert",
        &arg(&cert),
        "--key",
        &arg(&key),
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn echo_tls_with_cert_and_key_files_prints_their_fingerprint() {
    let dir = scratch("tls-echo-files");
    let g = GeneratedCert::new(&names(&["localhost"])).unwrap();
    let args = tls_file_args(&dir, &g.cert_pem, &g.key_pem);
    let echo = EchoProcess::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), 2);
    assert_eq!(
        echo.field("certificate SHA-256 fingerprint: "),
        sha256_fingerprint(&g.cert)
    );
    let port = echo
        .field("wsconform echo server listening on wss://127.0.0.1:")
        .trim_end_matches('/')
        .to_string();
    let r = wsconform(&[
        "run",
        &format!("wss://localhost:{port}/"),
        "--ca",
        &write_ca(&dir, &g),
        "--cases",
        "1.1.*",
        "--no-report",
    ]);
    assert_eq!(r.code, 0, "{r}");
}

#[test]
fn echo_tls_rejects_a_key_of_another_certificate() {
    let dir = scratch("tls-echo-mismatch");
    let (a, b) = (
        GeneratedCert::new(&names(&["localhost"])).unwrap(),
        GeneratedCert::new(&names(&["localhost"])).unwrap(),
    );
    let mut args = vec!["echo".to_string()];
    args.extend(tls_file_args(&dir, &a.cert_pem, &b.key_pem));
    let r = wsconform(&args);
    r.assert_stderr(2, "the private key does not belong to the certificate");
}
