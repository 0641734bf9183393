//! `wsconform serve --tls`: the fuzzing server over wss://, tested by tokio-tungstenite
//! behind tokio-rustls trusting the generated CA.

mod serve_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::ServerName;
use serve_support::{cases, scratch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use ws_reports::FailOn;
use wsconform::serve::{FuzzingServer, ServeSettings};
use wsconform::tls::{ClientTls, ServerTls};

/// A wss:// client trusting only the CA in `ca_file`.
struct Client {
    addr: SocketAddr,
    connector: TlsConnector,
}

impl Client {
    fn new(addr: SocketAddr, ca_file: &Path) -> Self {
        let config = ClientTls::new(&[ca_file.to_path_buf()], false)
            .unwrap()
            .config();
        Client {
            addr,
            connector: TlsConnector::from(config),
        }
    }

    async fn open(&self, path: &str) -> Option<WebSocketStream<TlsStream<TcpStream>>> {
        let tcp = TcpStream::connect(self.addr).await.ok()?;
        let name = ServerName::try_from("localhost").unwrap();
        let tls = self.connector.connect(name, tcp).await.ok()?;
        let url = format!("wss://localhost:{}{path}", self.addr.port());
        let (ws, _) = tokio_tungstenite::client_async(url, tls).await.ok()?;
        Some(ws)
    }

    /// A control request: the text message it answers with, read until the close.
    async fn control(&self, path: &str) -> Option<String> {
        let mut ws = self.open(path).await.expect("control connection");
        let mut text = None;
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                text = Some(t.to_string());
            }
        }
        text
    }

    /// One `/runCase`: echo every data message until the connection ends.
    async fn run_case(&self, n: usize, agent: &str) {
        let Some(mut ws) = self.open(&format!("/runCase?case={n}&agent={agent}")).await else {
            return;
        };
        while let Some(Ok(msg)) = ws.next().await {
            if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// The Autobahn client loop over wss:// (sections 1 and 2): every case gets a verdict in
/// the report /updateReports writes, none FAILED; a client that does not speak TLS
/// before it costs only its own connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tungstenite_over_rustls_passes_sections_1_and_2() {
    let dir = scratch("tls");
    let ca_file = dir.join("ca.pem");
    let tls = ServerTls::generate(&["localhost".to_string()], &ca_file).unwrap();
    let offered = cases("1.*,2.*");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(FuzzingServer::new(
        offered.clone(),
        ServeSettings {
            out: Some(dir.join("report")),
            ..ServeSettings::default()
        },
    ));
    let s = server.clone();
    let task = tokio::spawn(async move { s.serve_tls(listener, tls).await });

    // Plain HTTP where TLS is expected: the handshake fails and the connection closes.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /getCaseCount HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "a plain request got an HTTP answer over a TLS port"
    );

    let client = Client::new(addr, &ca_file);
    let count: usize = client
        .control("/getCaseCount")
        .await
        .expect("getCaseCount answers")
        .parse()
        .unwrap();
    assert_eq!(count, offered.len());
    let agent = "tungstenite-rustls";
    futures_util::stream::iter(1..=count)
        .for_each_concurrent(4, |n| client.run_case(n, agent))
        .await;
    client
        .control(&format!("/updateReports?agent={agent}"))
        .await;

    let runs = ws_reports::read_autobahn_dir(&dir.join("report")).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.agent, agent);
    assert_eq!(run.results.len(), offered.len(), "one verdict per case");
    let failing: Vec<String> = ws_reports::failing_cases(run, FailOn::Failed)
        .iter()
        .map(|c| format!("{} {} / {}", c.id, c.behavior, c.behavior_close))
        .collect();
    assert!(failing.is_empty(), "failing over wss://: {failing:#?}");

    server.stop();
    task.await.unwrap();
}
