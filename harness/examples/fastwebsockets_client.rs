//! A third-party client to test: fastwebsockets' client handshake over hyper 1 and a
//! `FragmentCollector`, driven by the usual Autobahn fuzzingserver loop (as
//! fastwebsockets' own Autobahn client example does): ask `/getCaseCount`, run each
//! case echoing every text and binary message until the server closes, then ask
//! `/updateReports`.
//!
//! `cargo run --release -p wsconform --example fastwebsockets_client -- ws://127.0.0.1:9001 AGENT`

use std::future::Future;

use fastwebsockets::{FragmentCollector, Frame, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::header::{CONNECTION, HOST, UPGRADE};
use hyper::upgrade::Upgraded;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Runs hyper's connection task on tokio, as the handshake needs.
struct Spawn;

impl<F> hyper::rt::Executor<F> for Spawn
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        tokio::spawn(fut);
    }
}

type Ws = FragmentCollector<TokioIo<Upgraded>>;

async fn connect(host: &str, path: &str) -> Result<Ws, Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(host).await?;
    let _ = stream.set_nodelay(true);
    let req = Request::builder()
        .method("GET")
        .uri(format!("http://{host}{path}"))
        .header(HOST, host)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "upgrade")
        .header(
            "Sec-WebSocket-Key",
            fastwebsockets::handshake::generate_key(),
        )
        .header("Sec-WebSocket-Version", "13")
        .body(Empty::<Bytes>::new())?;
    let (ws, _) = fastwebsockets::handshake::client(&Spawn, req, stream).await?;
    Ok(FragmentCollector::new(ws))
}

/// Echoes text and binary messages until the connection closes; returns the texts read.
async fn echo(ws: &mut Ws, reply: bool) -> Result<Vec<String>, WebSocketError> {
    let mut texts = Vec::new();
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(texts),
            OpCode::Text | OpCode::Binary => {
                if frame.opcode == OpCode::Text {
                    texts.push(String::from_utf8_lossy(&frame.payload).into_owned());
                }
                if reply {
                    let echoed = Frame::new(true, frame.opcode, None, frame.payload);
                    ws.write_frame(echoed).await?;
                }
            }
            _ => {}
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(base), Some(agent)) = (args.next(), args.next()) else {
        eprintln!("usage: fastwebsockets_client ws://HOST:PORT AGENT");
        std::process::exit(2);
    };
    let host = base.trim_start_matches("ws://").trim_end_matches('/');
    let mut ws = connect(host, "/getCaseCount").await?;
    let count: u32 = match echo(&mut ws, false).await?.first() {
        Some(text) => text.trim().parse()?,
        None => return Err("getCaseCount sent no count".into()),
    };
    for case in 1..=count {
        // Errors are what many cases provoke on purpose: note them and go on.
        let path = format!("/runCase?case={case}&agent={agent}");
        match connect(host, &path).await {
            Ok(mut ws) => {
                if let Err(e) = echo(&mut ws, true).await {
                    println!("case {case}: {e}");
                }
            }
            Err(e) => println!("case {case}: {e}"),
        }
    }
    let mut ws = connect(host, &format!("/updateReports?agent={agent}")).await?;
    let _ = echo(&mut ws, false).await;
    println!("ran {count} cases");
    Ok(())
}
