//! A WebSocket client over HTTP/2 (RFC 8441) on the `h2` crate, for the tests of
//! `serve --http2`: it opens each case as an extended CONNECT on a stream of one
//! shared connection (as browsers do) and echoes what the suite sends, with the
//! reference endpoint of ws-spec as its WebSocket. [`Flaws`] breaks one rule each.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use ws_spec::endpoint::{Endpoint, EndpointConfig, State};
use ws_spec::extended_connect;
use wsconform::http2::H2Io;
use wsconform::tls::ClientTls;

/// One rule the client breaks, or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flaws {
    /// A conforming client.
    #[default]
    None,
    /// Sends extended CONNECTs whether or not the server's SETTINGS enabled them
    /// (RFC 8441 §3 forbids it); a conforming client opens its WebSocket over HTTP/1.1
    /// instead.
    IgnoresSetting,
    /// Takes any answer to its CONNECT as an open WebSocket, a refusal too (RFC 8441
    /// §5: only a 2xx opens one).
    UsesRefusedStream,
    /// Ends the whole HTTP/2 connection when one of its streams is reset (RFC 8441
    /// §5.1: a reset ends the WebSocket on that stream only).
    DropsConnectionOnReset,
}

/// How the client got to a case: over HTTP/2, or over HTTP/1.1 after finding the
/// extended CONNECT not enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// An extended CONNECT on stream `id`, answered `status`.
    Http2 { status: u16 },
    /// The server did not enable the extended CONNECT: the client fell back.
    Http1,
    /// The stream or the connection failed before an answer.
    Failed(String),
}

/// The receive windows the client grants the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Windows {
    /// What Chromium grants: 6 MiB per stream, 15 MiB for the connection. The h2
    /// crate's budget for small DATA frames held unread is half the connection window
    /// (7.5 MiB here), so no case's octet-wise writes come near it.
    #[default]
    Browser,
    /// The h2 crate's defaults, HTTP/2's initial 65,535 bytes for both: its budget for
    /// small DATA frames held unread is then 32,767 bytes of framing overhead, about
    /// 128 one-byte frames (docs/results/http2.md, "serve over HTTP/2").
    H2Default,
}

/// An HTTP/2 connection to the fuzzing server, with its settings known.
pub struct H2Client {
    send: SendRequest<Bytes>,
    /// `https` or `http`.
    scheme: &'static str,
    authority: String,
    addr: std::net::SocketAddr,
    flaws: Flaws,
    /// Ends the connection on demand, and why it ended.
    driver: Driver,
}

impl H2Client {
    /// Connects to `addr` over TLS with ALPN `h2` (trusting `ca`), or over h2c with
    /// prior knowledge when `ca` is `None`, and waits for the server's SETTINGS.
    pub async fn connect(
        addr: std::net::SocketAddr,
        ca: Option<&Path>,
        flaws: Flaws,
    ) -> Result<H2Client, String> {
        Self::connect_with(addr, ca, flaws, Windows::Browser).await
    }

    /// [`H2Client::connect`], granting `windows`.
    pub async fn connect_with(
        addr: std::net::SocketAddr,
        ca: Option<&Path>,
        flaws: Flaws,
        windows: Windows,
    ) -> Result<H2Client, String> {
        let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let (scheme, authority) = match ca {
            Some(_) => ("https", format!("localhost:{}", addr.port())),
            None => ("http", addr.to_string()),
        };
        let (send, driver) = match ca {
            Some(ca) => {
                let config = ClientTls::new(&[ca.to_path_buf()], false)
                    .map_err(|e| e.to_string())?
                    .for_h2()
                    .config();
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                let tls = TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| e.to_string())?;
                handshake(tls, windows).await?
            }
            None => handshake(tcp, windows).await?,
        };
        Ok(H2Client {
            send,
            scheme,
            authority,
            addr,
            flaws,
            driver,
        })
    }

    /// Waits at most `limit` for the connection to end with an error.
    pub async fn failed_within(&self, limit: Duration) -> Option<String> {
        let mut failed = self.driver.failed.clone();
        let ended = tokio::time::timeout(limit, failed.wait_for(Option::is_some)).await;
        match ended {
            Ok(Ok(e)) => e.as_ref().map(|e| format!("{:?}: {e}", e.reason())),
            _ => None,
        }
    }

    /// Opens case `n` for `agent` as an extended CONNECT and hands the stream over
    /// without reading it.
    pub async fn open_case(&self, n: usize, agent: &str) -> Result<(u16, H2Io), String> {
        let (status, _, io) = self
            .open(&format!("/runCase?case={n}&agent={agent}"))
            .await?;
        Ok((status, io))
    }

    /// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 came in the server's SETTINGS.
    pub fn connect_protocol(&self) -> bool {
        self.send.is_extended_connect_protocol_enabled()
    }

    /// Runs case `n` for `agent`: an extended CONNECT (or, without the setting, an
    /// HTTP/1.1 upgrade on a connection of its own), then echo until the end.
    pub async fn run_case(&self, n: usize, agent: &str) -> Opened {
        let path = format!("/runCase?case={n}&agent={agent}");
        if !self.connect_protocol() && self.flaws != Flaws::IgnoresSetting {
            http1_case(self.addr, &path).await;
            return Opened::Http1;
        }
        let (status, headers, mut io) = match self.open(&path).await {
            Ok(opened) => opened,
            Err(why) => {
                // h2 reports a stream reset right behind its answer as the failure of
                // the request itself.
                if self.flaws == Flaws::DropsConnectionOnReset {
                    self.driver.drop_connection().await;
                }
                return Opened::Failed(why);
            }
        };
        let offered: [String; 0] = [];
        let valid = extended_connect::validate_response(status, &headers, &offered, &offered);
        if valid.is_err() && self.flaws != Flaws::UsesRefusedStream {
            // Fail the WebSocket: the stream is reset (dropped unfinished).
            io.reset(h2::Reason::CANCEL);
            return Opened::Http2 { status };
        }
        let reset = echo(&mut io, n as u64).await;
        if reset && self.flaws == Flaws::DropsConnectionOnReset {
            self.driver.drop_connection().await;
        }
        Opened::Http2 { status }
    }

    /// A control command on an extended CONNECT: the text message it answers with.
    pub async fn control(&self, path: &str) -> Option<String> {
        let (status, _, mut io) = self.open(path).await.ok()?;
        if status != 200 {
            return None;
        }
        let mut ep = Endpoint::new(EndpointConfig::echo_client(7));
        let mut text = None;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            while let Some(event) = ep.poll_event() {
                if let ws_spec::endpoint::EndpointEvent::Text(t) = event {
                    text = Some(t);
                }
            }
            let out = ep.take_output();
            if !out.is_empty() && io.write_all(&out).await.is_err() {
                break;
            }
            match io.read(&mut buf).await {
                Ok(n) if n > 0 => ep.receive(&buf[..n], Duration::ZERO),
                _ => break,
            }
        }
        let _ = io.shutdown().await;
        text
    }

    /// A GET on a stream of its own: status and body.
    pub async fn get(&self, path: &str) -> Result<(u16, String), String> {
        let uri = format!("{}://{}{path}", self.scheme, self.authority);
        let req = http::Request::get(uri).body(()).unwrap();
        let mut send = self.send.clone().ready().await.map_err(|e| e.to_string())?;
        let (response, _) = send.send_request(req, true).map_err(|e| e.to_string())?;
        let response = response.await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut text = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| e.to_string())?;
            let _ = body.flow_control().release_capacity(chunk.len());
            text.extend_from_slice(&chunk);
        }
        Ok((status, String::from_utf8_lossy(&text).into_owned()))
    }

    async fn open(&self, path: &str) -> Result<(u16, Vec<(String, String)>, H2Io), String> {
        let uri = format!("{}://{}{path}", self.scheme, self.authority);
        let mut req = http::Request::builder()
            .method("CONNECT")
            .uri(uri)
            .version(http::Version::HTTP_2)
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        req.extensions_mut()
            .insert(h2::ext::Protocol::from("websocket"));
        let mut send = self.send.clone().ready().await.map_err(|e| e.to_string())?;
        let (response, stream) = send.send_request(req, false).map_err(|e| e.to_string())?;
        let response = response.await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_string(), v)
            })
            .collect();
        Ok((status, headers, H2Io::new(stream, response.into_body())))
    }
}

/// The HTTP/2 handshake, the connection driven on a task of its own until it ends
/// or the returned sender is set; waits until the server's SETTINGS are in.
async fn handshake<S>(io: S, windows: Windows) -> Result<Handshaken, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::client::Builder::new();
    if windows == Windows::Browser {
        builder
            .initial_window_size(6 << 20)
            .initial_connection_window_size(15 << 20);
    }
    let (send, mut conn) = builder
        .handshake::<_, Bytes>(io)
        .await
        .map_err(|e| e.to_string())?;
    let mut ping = conn
        .ping_pong()
        .expect("a fresh connection has its PingPong");
    let (kill, mut killed) = tokio::sync::watch::channel(false);
    let (fail, failed) = tokio::sync::watch::channel(None);
    let (gone_tx, gone) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            ended = &mut conn => {
                if let Err(e) = ended {
                    eprintln!("h2 test client: the connection failed: {e} ({:?})", e.reason());
                    let _ = fail.send(Some(e));
                }
            }
            _ = killed.wait_for(|k| *k) => {}
        }
        // Dropping the connection closes its socket.
        drop(conn);
        let _ = gone_tx.send(true);
    });
    // The answer to a PING sent behind the preface comes after the server's SETTINGS.
    tokio::time::timeout(Duration::from_secs(10), ping.ping(h2::Ping::opaque()))
        .await
        .map_err(|_| "no PING answer within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    let driver = Driver { kill, failed, gone };
    Ok((send, driver))
}

/// The task driving a connection: the switch that ends it, and what became of it.
struct Driver {
    /// Set when the connection is to end (the `DropsConnectionOnReset` flaw).
    kill: tokio::sync::watch::Sender<bool>,
    /// Why the connection ended, once it did with an error.
    failed: tokio::sync::watch::Receiver<Option<h2::Error>>,
    /// Set once the connection is dropped and its socket closed.
    gone: tokio::sync::watch::Receiver<bool>,
}

impl Driver {
    /// Ends the connection and returns once its socket is closed, so that nothing the
    /// client does next can still go over it.
    async fn drop_connection(&self) {
        let _ = self.kill.send(true);
        let mut gone = self.gone.clone();
        let _ = gone.wait_for(|g| *g).await;
    }
}

/// What [`handshake`] hands back: the request sender and the connection's driver.
type Handshaken = (SendRequest<Bytes>, Driver);

/// Echoes every message with the reference client endpoint until the stream ends;
/// true when it ended with a reset.
pub async fn echo(io: &mut H2Io, seed: u64) -> bool {
    let mut ep = Endpoint::new(EndpointConfig::echo_client(seed));
    let mut buf = vec![0u8; 64 * 1024];
    let t0 = Instant::now();
    let mut ended = false;
    loop {
        while ep.poll_event().is_some() {}
        let out = ep.take_output();
        if !out.is_empty() && io.write_all(&out).await.is_err() {
            break;
        }
        if ep.state() == State::Closed && !ended {
            // The closing handshake is done: END_STREAM, the FIN of RFC 8441 §5.1.
            ended = true;
            let _ = io.shutdown().await;
        }
        match io.read(&mut buf).await {
            Ok(n) if n > 0 => ep.receive(&buf[..n], t0.elapsed()),
            Ok(_) => {
                ep.receive_eof();
                if !ended {
                    let _ = io.shutdown().await;
                }
                return false;
            }
            Err(_) => return true,
        }
    }
    matches!(io.ended, Some(ws_cases::http2::StreamEnd::Reset(_)))
}

/// One case over HTTP/1.1 with tokio-tungstenite, echoing every message.
async fn http1_case(addr: std::net::SocketAddr, path: &str) {
    use futures_util::{SinkExt, StreamExt};
    let url = format!("ws://{addr}{path}");
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.next().await {
        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            return;
        }
    }
}
