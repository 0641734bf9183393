//! fastwebsockets' echo as its own echo server example runs it: hyper 1's HTTP/1.1
//! upgrade, then a `FragmentCollector` (whole messages, automatic pongs and close
//! replies) echoing every text and binary message. One copy for the
//! `fastwebsockets_echo` example and the tests that serve it in process
//! (`tests/library_api.rs`, `tests/h2_peer`, which include this file by path).

use fastwebsockets::{upgrade, FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// Echoes text and binary messages until the peer's close frame (answered by the
/// collector) or an error.
pub async fn echo_frames<S>(ws: &mut FragmentCollector<S>) -> Result<(), WebSocketError>
where
    S: AsyncRead + AsyncWrite + Unpin,
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

/// hyper's service for one request: answers the upgrade and echoes on the upgraded
/// connection, on a task of its own.
pub async fn upgrade_and_echo(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    // Errors end the connection quietly: the suite's cases provoke them on purpose.
    tokio::spawn(async move {
        if let Ok(ws) = fut.await {
            let _ = echo_frames(&mut FragmentCollector::new(ws)).await;
        }
    });
    Ok(response)
}

/// hyper's HTTP/1 server with upgrades on one connection.
pub async fn serve_http1<I>(io: I)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service_fn(upgrade_and_echo))
        .with_upgrades();
    let _ = conn.await;
}
