//! A third-party echo server to test: fastwebsockets behind hyper 1's upgrade, as
//! fastwebsockets' own echo server example runs it: a `FragmentCollector` (whole
//! messages, automatic pongs and close replies) echoing every text and binary message.
//!
//! `cargo run --release -p wsconform --example fastwebsockets_echo -- PORT`
//! listens on 127.0.0.1:PORT (default 9003) until killed.

mod listen;

use fastwebsockets::{upgrade, FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

async fn echo(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

async fn upgrade(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    // Errors end the connection quietly: the suite's cases provoke them on purpose.
    tokio::spawn(async move {
        let _ = echo(fut).await;
    });
    Ok(response)
}

/// hyper's HTTP/1 server on one connection, with upgrades.
async fn serve(stream: TcpStream) {
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service_fn(upgrade))
        .with_upgrades();
    let _ = conn.await;
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    listen::serve_forever("fastwebsockets", 9003, serve).await
}
