//! A third-party echo server to test: fastwebsockets behind hyper 1's upgrade, as
//! fastwebsockets' own echo server example runs it: a `FragmentCollector` (whole
//! messages, automatic pongs and close replies) echoing every text and binary message.
//!
//! `cargo run --release -p wsconform --example fastwebsockets_echo -- PORT`
//! listens on 127.0.0.1:PORT (default 9003) until killed.

mod fastwebsockets_peer;
mod listen;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    listen::serve_forever("fastwebsockets", 9003, fastwebsockets_peer::serve_http1).await
}
