//! A third-party echo server to test: tokio-tungstenite with its default
//! settings, echoing every text and binary message, as tokio-tungstenite's own
//! Autobahn server example does.
//!
//! `cargo run --release -p wsconform --example tungstenite_echo -- PORT`
//! listens on 127.0.0.1:PORT (default 9002) until killed.

mod listen;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

async fn serve(stream: TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    // Errors end the connection quietly: the suite's cases provoke them on purpose.
    while let Some(Ok(msg)) = ws.next().await {
        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            break;
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    listen::serve_forever("tokio-tungstenite", 9002, serve).await
}
