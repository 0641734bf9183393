//! HTTP/2 test peers for WebSockets over HTTP/2 (RFC 8441).
//!
//! `start_hyper` is the third-party reference: hyper 1 (HTTP/1.1 and h2c with
//! prior knowledge on one port, through hyper-util's auto builder, the extended
//! CONNECT enabled) with fastwebsockets echoing on the upgraded stream, over either
//! protocol. Only the request check of the extended CONNECT is ours (ws-spec's
//! rule); hyper checks HTTP/2's own rules.

#![allow(dead_code)]

use std::net::SocketAddr;

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use ws_spec::extended_connect::{validate_request, ConnectRequest};

async fn echo<S>(mut ws: FragmentCollector<S>) -> Result<(), WebSocketError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

/// The request's pseudo-headers and fields as ws-spec's rule reads them.
fn as_connect(req: &Request<Incoming>) -> ConnectRequest {
    ConnectRequest {
        method: req.method().to_string(),
        protocol: req
            .extensions()
            .get::<hyper::ext::Protocol>()
            .map(|p| p.as_str().to_string()),
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
    if req.version() == hyper::Version::HTTP_2 {
        if req.method() != Method::CONNECT {
            return Ok(status(404));
        }
        if let Err(e) = validate_request(&as_connect(&req)) {
            return Ok(status(e.status().unwrap_or(400)));
        }
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(upgraded) = upgrade.await {
                let ws = WebSocket::after_handshake(TokioIo::new(upgraded), Role::Server);
                let _ = echo(FragmentCollector::new(ws)).await;
            }
        });
        return Ok(status(200));
    }
    let (response, fut) = fastwebsockets::upgrade::upgrade(&mut req)?;
    tokio::spawn(async move {
        if let Ok(ws) = fut.await {
            let _ = echo(FragmentCollector::new(ws)).await;
        }
    });
    Ok(response)
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
