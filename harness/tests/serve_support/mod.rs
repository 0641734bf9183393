//! Helpers of the `wsconform serve` tests: an in-process fuzzing server, the usual
//! Autobahn client loop on tokio-tungstenite (from `autobahn_client`), and a raw client
//! that can break rules.

// Each serve_* test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_cases::run::Role;
use ws_cases::select::{parse_list, select};
use ws_cases::Case;
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder, Opcode};
use ws_spec::handshake;
use wsconform::serve::{FuzzingServer, ServeSettings};

#[path = "../autobahn_client/mod.rs"]
mod autobahn_client;
// Not every test crate that includes this module drives a client.
#[allow(unused_imports)]
pub use autobahn_client::*;
#[path = "../scratch/mod.rs"]
mod scratch;
#[path = "../skip/mod.rs"]
mod skip;
// Not every test crate that includes this module skips anything.
#[allow(unused_imports)]
pub use skip::missing_dependency;

/// The cases the server offers for `patterns` (comma-separated), as `serve --cases` picks them.
pub fn cases(patterns: &str) -> Vec<Case> {
    let catalogue = ws_cases::cases_for(Role::Server);
    select(&catalogue, &parse_list(patterns).unwrap(), &[])
        .unwrap()
        .into_iter()
        .cloned()
        .collect()
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    scratch::fresh("serve-tests", name)
}

/// A fuzzing server on a free loopback port, serving until stopped.
pub struct Running {
    /// The server.
    pub server: Arc<FuzzingServer>,
    /// ws://127.0.0.1:PORT
    pub base: String,
    /// Its address.
    pub addr: SocketAddr,
    /// The accept loop; it ends after a stop.
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts a fuzzing server for `cases`.
pub async fn start(cases: Vec<Case>, settings: ServeSettings) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(FuzzingServer::new(cases, settings));
    let s = server.clone();
    let task = tokio::spawn(async move { s.serve(listener).await });
    Running {
        server,
        base: format!("ws://{addr}"),
        addr,
        task,
    }
}

/// How the raw client misbehaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawFlaws {
    /// Sends its frames unmasked (RFC 6455 §5.1 says a client MUST mask).
    pub unmasked: bool,
    /// Never echoes data messages (it still answers pings and closes).
    pub no_echo: bool,
    /// Skips one of the checks RFC 6455 §4.1 requires of the server's response.
    pub skips_check: Option<ResponseCheck>,
    /// Throws away whatever arrived behind the response in the same read, as a client
    /// that reads the handshake into a buffer of its own and forgets the rest.
    pub drops_bytes_after_response: bool,
}

impl RawFlaws {
    /// A client whose one flaw is skipping `check`.
    pub fn skipping(check: ResponseCheck) -> Self {
        RawFlaws {
            skips_check: Some(check),
            ..RawFlaws::default()
        }
    }
}

/// One of the response checks a client MUST make (RFC 6455 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseCheck {
    /// The status is 101.
    Status,
    /// Sec-WebSocket-Accept matches the key.
    Accept,
    /// Upgrade is websocket.
    Upgrade,
    /// Connection has the Upgrade token.
    Connection,
    /// No subprotocol that was not offered.
    Protocol,
    /// No extension that was not offered.
    Extensions,
}

/// The response as a client that skips `check` sees it: the field it never looks at
/// is made to pass.
fn overlook(mut resp: handshake::Response, check: ResponseCheck, key: &str) -> handshake::Response {
    let (name, value) = match check {
        ResponseCheck::Status => {
            resp.status = 101;
            return resp;
        }
        ResponseCheck::Accept => ("Sec-WebSocket-Accept", Some(handshake::accept_key(key))),
        ResponseCheck::Upgrade => ("Upgrade", Some("websocket".to_string())),
        ResponseCheck::Connection => ("Connection", Some("Upgrade".to_string())),
        ResponseCheck::Protocol => ("Sec-WebSocket-Protocol", None),
        ResponseCheck::Extensions => ("Sec-WebSocket-Extensions", None),
    };
    resp.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if let Some(value) = value {
        resp.headers.push((name.to_string(), value));
    }
    resp
}

fn client_frame(f: Frame, flaws: RawFlaws, n: &mut u32) -> Vec<u8> {
    *n = n.wrapping_mul(0x9E37_79B9).wrapping_add(0x7F4A_7C15);
    let key = if flaws.unmasked {
        None
    } else {
        Some(n.to_be_bytes())
    };
    f.with_mask(key).encode()
}

/// A test client's connection to `/runCase` once the server answered its request.
pub struct Opened {
    /// The connection.
    pub stream: TcpStream,
    /// The Sec-WebSocket-Key the request sent.
    pub key: String,
    /// The server's response, as parsed (not validated).
    pub response: handshake::Response,
    /// What came after the response: the start of the first frames.
    pub rest: Vec<u8>,
}

/// Connects to the fuzzing server at `addr` and asks for case `n` as `agent`;
/// `None` when the connection fails or ends before a whole response came.
pub async fn open_run_case(addr: SocketAddr, n: usize, agent: &str) -> Option<Opened> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let key = handshake::random_key(n as u64);
    let target = format!("/runCase?case={n}&agent={agent}");
    let request = handshake::RequestBuilder::new(&addr.to_string(), &target, &key).encode();
    stream.write_all(&request).await.ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    loop {
        match stream.read(&mut buf).await {
            Ok(got) if got > 0 => head.extend_from_slice(&buf[..got]),
            _ => return None,
        }
        let parsed = handshake::parse_response(&head, 64 * 1024).expect("a response to parse");
        if let Some((response, used)) = parsed {
            let rest = head.split_off(used);
            return Some(Opened {
                stream,
                key,
                response,
                rest,
            });
        }
    }
}

/// A client written on ws-spec frames over a bare TcpStream, for one `/runCase`. It
/// echoes whole messages as one frame, answers pings and echoes the close code.
pub async fn raw_case(addr: SocketAddr, n: usize, agent: &str, flaws: RawFlaws) {
    let Some(Opened {
        mut stream,
        key,
        response,
        rest,
    }) = open_run_case(addr, n, agent).await
    else {
        return;
    };
    let response = match flaws.skips_check {
        Some(check) => overlook(response, check, &key),
        None => response,
    };
    // RFC 6455 §4.1: an invalid response fails the connection.
    if handshake::validate_response(&response, &key, &[], &[]).is_err() {
        return;
    }
    let rest = if flaws.drops_bytes_after_response {
        Vec::new()
    } else {
        rest
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut decoder = FrameDecoder::new(DecoderConfig {
        max_frame_payload: 64 << 20,
    });
    decoder.push(&rest);
    let mut rng = n as u32;
    let mut message: Option<(Opcode, Vec<u8>)> = None;
    loop {
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return,
            };
            let out = match frame.header.opcode {
                Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                    let (op, mut data) =
                        message.take().unwrap_or((frame.header.opcode, Vec::new()));
                    data.extend_from_slice(&frame.payload);
                    if !frame.header.fin {
                        message = Some((op, data));
                        continue;
                    }
                    if flaws.no_echo {
                        continue;
                    }
                    client_frame(Frame::new(op, data), flaws, &mut rng)
                }
                Opcode::Ping => client_frame(Frame::pong(frame.payload), flaws, &mut rng),
                Opcode::Close => {
                    let echo = Frame::new(Opcode::Close, frame.payload.get(..2).unwrap_or(&[]));
                    let _ = stream.write_all(&client_frame(echo, flaws, &mut rng)).await;
                    // A client waits for the server to close TCP (RFC 6455 §7.1.1).
                    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                    return;
                }
                _ => continue,
            };
            if stream.write_all(&out).await.is_err() {
                return;
            }
        }
        match stream.read(&mut buf).await {
            Ok(got) if got > 0 => decoder.push(&buf[..got]),
            _ => return,
        }
    }
}
