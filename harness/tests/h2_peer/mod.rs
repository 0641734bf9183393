//! HTTP/2 test peers for WebSockets over HTTP/2 (RFC 8441).
//!
//! `start_hyper` is the third-party reference: hyper 1 (HTTP/1.1 and h2c with
//! prior knowledge on one port, through hyper-util's auto builder, the extended
//! CONNECT enabled) with fastwebsockets echoing on the upgraded stream, over either
//! protocol. Only the request check of the extended CONNECT is ours (ws-spec's
//! rule); hyper checks HTTP/2's own rules.

#![allow(dead_code)]

use std::net::SocketAddr;

use fastwebsockets::{FragmentCollector, Role, WebSocket, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use ws_spec::extended_connect::{validate_request, ConnectRequest};

#[path = "../../examples/fastwebsockets_peer/mod.rs"]
mod fastwebsockets_peer;
use fastwebsockets_peer::{echo_frames, upgrade_and_echo};

/// The request's pseudo-headers and fields as ws-spec's rule reads them; `protocol`
/// is `:protocol`, which hyper and h2 each keep in an extension of their own.
fn as_connect<B>(req: &Request<B>, protocol: Option<&str>) -> ConnectRequest {
    ConnectRequest {
        method: req.method().to_string(),
        protocol: protocol.map(str::to_string),
        scheme: req.uri().scheme_str().map(str::to_string),
        authority: req.uri().authority().map(|a| a.to_string()),
        path: req.uri().path_and_query().map(|p| p.to_string()),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

fn status(code: u16) -> Response<Empty<Bytes>> {
    let mut r = Response::new(Empty::new());
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    r
}

async fn serve(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    if req.version() != hyper::Version::HTTP_2 {
        return upgrade_and_echo(req).await;
    }
    if req.method() != Method::CONNECT {
        return Ok(status(404));
    }
    let protocol = req.extensions().get::<hyper::ext::Protocol>();
    if let Err(e) = validate_request(&as_connect(&req, protocol.map(|p| p.as_str()))) {
        return Ok(status(e.status().unwrap_or(400)));
    }
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let ws = WebSocket::after_handshake(TokioIo::new(upgraded), Role::Server);
            let _ = echo_frames(&mut FragmentCollector::new(ws)).await;
        }
    });
    Ok(status(200))
}

/// Starts the hyper + fastwebsockets echo on a free loopback port: HTTP/1.1
/// upgrades and h2c extended CONNECTs on the same port.
pub async fn start_hyper() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http2().enable_connect_protocol();
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service_fn(serve))
                    .await;
            });
        }
    });
    addr
}

/// One flaw of a WebSocket-over-HTTP/2 server (section 20's flawed peers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// None: a correct server, for the control run.
    None,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL is never advertised.
    NoSetting,
    /// A well-formed extended CONNECT is answered 101, as an HTTP/1.1 upgrade is.
    Answers101,
    /// An extended CONNECT carrying Sec-WebSocket-Key is accepted.
    AcceptsKey,
    /// A refused stream takes the whole connection down (GOAWAY).
    ResetsConnection,
    /// Sends beyond the suite's flow-control windows.
    IgnoresFlowControl,
}

/// Answers one extended CONNECT on the h2 server; `true` asks for the connection to go.
async fn h2_handle(
    req: hyper::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    flaw: Flaw,
) -> bool {
    let protocol = req.extensions().get::<h2::ext::Protocol>();
    let checked = match validate_request(&as_connect(&req, protocol.map(|p| p.as_str()))) {
        Err(ws_spec::extended_connect::ConnectError::HandshakeKey) if flaw == Flaw::AcceptsKey => {
            Ok(())
        }
        other => other,
    };
    if let Err(e) = checked {
        match e.status() {
            Some(code) => {
                let _ = respond.send_response(status(code).map(|_| ()), true);
            }
            None => respond.send_reset(h2::Reason::PROTOCOL_ERROR),
        }
        return flaw == Flaw::ResetsConnection;
    }
    if flaw == Flaw::Answers101 {
        let mut r = Response::new(());
        *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let _ = respond.send_informational(r);
        return false;
    }
    let Ok(send) = respond.send_response(Response::new(()), false) else {
        return false;
    };
    let io = wsconform::http2::H2Io::new(send, req.into_body());
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(io, Role::Server));
    let _ = echo_frames(&mut ws).await;
    // The server's TCP close after the closing handshake is END_STREAM (RFC 8441 §5.1).
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut ws.into_inner()).await;
    false
}

/// Serves WebSockets over h2c with the `h2` crate's server, with one `flaw`.
async fn h2_connection(stream: tokio::net::TcpStream, flaw: Flaw) {
    let mut builder = h2::server::Builder::new();
    if flaw != Flaw::NoSetting {
        builder.enable_connect_protocol();
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(stream).await else {
        return;
    };
    let (bad_tx, mut bad_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    loop {
        tokio::select! {
            accepted = conn.accept() => {
                let Some(Ok((req, respond))) = accepted else { return };
                let bad = bad_tx.clone();
                tokio::spawn(async move {
                    if h2_handle(req, respond, flaw).await {
                        let _ = bad.send(());
                    }
                });
            }
            Some(()) = bad_rx.recv() => conn.abrupt_shutdown(h2::Reason::PROTOCOL_ERROR),
        }
    }
}

/// Starts an h2c WebSocket echo built on the `h2` crate's server with `flaw`.
/// `Flaw::IgnoresFlowControl` puts a relay in front of a correct server that tells
/// it the suite's windows are 2^31-1 bytes: on the wire the server then sends more
/// than the suite allowed, as a server that ignores flow control does.
pub async fn start_flawed(flaw: Flaw) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_flaw = if flaw == Flaw::IgnoresFlowControl {
        Flaw::None
    } else {
        flaw
    };
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(h2_connection(stream, server_flaw));
        }
    });
    if flaw != Flaw::IgnoresFlowControl {
        return addr;
    }
    let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = relay.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = relay.accept().await {
            tokio::spawn(widen_windows(client, addr));
        }
    });
    front
}

/// SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 §6.5.2).
const INITIAL_WINDOW_SIZE: u16 = 0x4;
const WIDEST: u32 = 0x7fff_ffff;

/// Relays one connection to `server`, rewriting the client's SETTINGS so the server
/// believes every stream window is 2^31-1, and granting the connection as much.
async fn widen_windows(client: tokio::net::TcpStream, server: SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(upstream) = tokio::net::TcpStream::connect(server).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut ur, &mut cw).await;
        let _ = cw.shutdown().await;
    });
    let mut input = Vec::new();
    let mut preface = 24usize;
    let mut widened = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        input.extend_from_slice(&buf[..n]);
        let mut out = Vec::new();
        let take = preface.min(input.len());
        out.extend(input.drain(..take));
        preface -= take;
        while preface == 0 && input.len() >= 9 {
            let len = u32::from_be_bytes([0, input[0], input[1], input[2]]) as usize;
            if input.len() < 9 + len {
                break;
            }
            let mut frame: Vec<u8> = input.drain(..9 + len).collect();
            let is_settings = frame[3] == 0x4 && frame[4] & 0x1 == 0;
            if is_settings {
                for p in frame[9..].chunks_mut(6) {
                    if p.len() == 6 && u16::from_be_bytes([p[0], p[1]]) == INITIAL_WINDOW_SIZE {
                        p[2..].copy_from_slice(&WIDEST.to_be_bytes());
                    }
                }
                // A SETTINGS without the parameter: add it.
                if !frame[9..]
                    .chunks(6)
                    .any(|p| u16::from_be_bytes([p[0], p[1]]) == INITIAL_WINDOW_SIZE)
                {
                    frame.extend_from_slice(&INITIAL_WINDOW_SIZE.to_be_bytes());
                    frame.extend_from_slice(&WIDEST.to_be_bytes());
                    let l = ((frame.len() - 9) as u32).to_be_bytes();
                    frame[..3].copy_from_slice(&l[1..]);
                }
            }
            out.extend_from_slice(&frame);
            if is_settings && !widened {
                widened = true;
                // WINDOW_UPDATE on the connection up to 2^31-1 (RFC 9113 §6.9).
                out.extend_from_slice(&[0, 0, 4, 0x8, 0, 0, 0, 0, 0]);
                out.extend_from_slice(&(WIDEST - 65_535).to_be_bytes());
            }
        }
        if uw.write_all(&out).await.is_err() {
            break;
        }
    }
}
