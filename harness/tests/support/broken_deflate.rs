//! Echo servers with permessage-deflate (RFC 7692) and one deliberate flaw each.
//!
//! Each is the ws-spec reference endpoint behind a handshake that negotiates as
//! ws-spec's server does, with the flaw put into the parameters the endpoint
//! really uses or into the frames it writes. So everything but the flaw is
//! right, and a fuzzer that finds a disagreement has found the flaw.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_spec::deflate::{server_negotiate, ServerPolicy};
use ws_spec::endpoint::{Endpoint, EndpointConfig};
use ws_spec::frame::{FrameHeader, LengthForm, Opcode};
use ws_spec::handshake;

/// The rule a server breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeflateFlaw {
    /// Inflates every message on its own, as if the client could not take over
    /// context, though the response did not say `client_no_context_takeover`
    /// (RFC 7692 §7.1.1.2): a message that refers back to an earlier one fails.
    ForgetsClientContext,
    /// Keeps its compression context across messages though it answered
    /// `server_no_context_takeover` (RFC 7692 §7.1.1.1).
    KeepsServerContext,
    /// Writes each compressed echo as two frames with RSV1 on both (RFC 7692 §6.1:
    /// only the first frame of a message carries it).
    Rsv1OnContinuation,
}

/// Starts the server on a free loopback port; it runs until the test ends.
pub async fn start(flaw: DeflateFlaw) -> SocketAddr {
    super::listen(move |stream| async move {
        let _ = serve(stream, flaw).await;
    })
    .await
}

async fn serve(mut stream: TcpStream, flaw: DeflateFlaw) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (request, consumed) = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        match handshake::parse_request(&head, 64 * 1024) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) => continue,
            Err(e) => {
                stream.write_all(&handshake::refusal_response(&e)).await?;
                return stream.shutdown().await;
            }
        }
    };
    let Some((mut response, key)) = super::accept_or_refuse(&mut stream, &request).await? else {
        return Ok(());
    };
    let offers = handshake::parse_extensions(&request.header_all("Sec-WebSocket-Extensions"))
        .unwrap_or_default();
    let mut deflate = None;
    if let Ok(Some((ext, mut params))) = server_negotiate(&offers, &ServerPolicy::default()) {
        response = handshake::accept_response(&key, None, &[ext]);
        match flaw {
            DeflateFlaw::ForgetsClientContext => params.client_no_context_takeover = true,
            DeflateFlaw::KeepsServerContext => params.server_no_context_takeover = false,
            DeflateFlaw::Rsv1OnContinuation => {}
        }
        deflate = Some(params);
    }
    stream.write_all(&response).await?;
    let t0 = Instant::now();
    let mut endpoint = Endpoint::new(EndpointConfig {
        deflate,
        ..EndpointConfig::echo_server()
    });
    endpoint.receive(&head[consumed..], Duration::ZERO);
    loop {
        while endpoint.poll_event().is_some() {}
        let mut out = endpoint.take_output();
        if flaw == DeflateFlaw::Rsv1OnContinuation {
            out = split_compressed(&out);
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
        }
        if endpoint.wants_tcp_close() {
            return stream.shutdown().await;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            endpoint.receive_eof();
            return Ok(());
        }
        endpoint.receive(&buf[..n], t0.elapsed());
    }
}

/// The server's frames in `out` (unmasked, whole), each compressed one written
/// as two frames that both carry RSV1.
fn split_compressed(mut out: &[u8]) -> Vec<u8> {
    let mut written = Vec::with_capacity(out.len() + 16);
    while out.len() >= 2 {
        let (len, header_len) = match out[1] & 0x7f {
            126 => (u64::from(u16::from_be_bytes([out[2], out[3]])), 4),
            127 => (u64::from_be_bytes(out[2..10].try_into().unwrap()), 10),
            n => (u64::from(n), 2),
        };
        let end = header_len + len as usize;
        let (frame, rest) = out.split_at(end);
        out = rest;
        let opcode = Opcode::from_u4(frame[0] & 0x0f);
        let compressed = frame[0] & 0x40 != 0;
        if !compressed || !matches!(opcode, Opcode::Text | Opcode::Binary) {
            written.extend_from_slice(frame);
            continue;
        }
        let payload = &frame[header_len..];
        let (first, second) = payload.split_at(payload.len() / 2);
        for (fin, opcode, part) in [(false, opcode, first), (true, Opcode::Continuation, second)] {
            FrameHeader {
                fin,
                rsv: 0b100,
                opcode,
                mask: None,
                payload_len: part.len() as u64,
                length_form: LengthForm::Minimal,
            }
            .encode_into(&mut written);
            written.extend_from_slice(part);
        }
    }
    written
}
