//! Small reverse proxies for the proxy tests: one correct, and one per flaw, each
//! breaking exactly one rule of section 19.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder, Opcode};
use ws_spec::handshake::{parse_request, parse_response};
use ws_spec::intermediary::hop_by_hop_fields;

/// What a proxy gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Nothing: removes hop-by-hop fields, regenerates the upgrade, relays bytes.
    None,
    /// Removes Upgrade and Connection (hop-by-hop) both ways and never regenerates them.
    DropsHopByHop,
    /// Forwards every header field as it came, hop-by-hop ones included.
    ForwardsHopByHop,
    /// Removes Sec-WebSocket-Extensions from the 101 only.
    StripsResponseExtensions,
    /// Joins the fragments of every data message into one frame, compressed or not.
    Refragments,
    /// Rewrites the code of every close frame to 1000.
    RewritesCloseCodes,
    /// Closes both connections after this long without a byte either way.
    IdleTimeout(Duration),
    /// Reads from the backend as fast as it can, queueing without bound for the client.
    Unbounded,
    /// Relays at most this many connections at once; the next ones are closed at once.
    MaxConnections(usize),
}

/// Starts a proxy with `flaw` on a free loopback port, forwarding to `backend`.
pub async fn start(flaw: Flaw, backend: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let addr = listener.local_addr().expect("proxy address");
    let limit = match flaw {
        Flaw::MaxConnections(n) => n,
        _ => usize::MAX >> 4,
    };
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limit));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            // Over the limit the connection is dropped unanswered.
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                continue;
            };
            tokio::spawn(async move {
                let _ = relay(flaw, client, backend).await;
                drop(slot);
            });
        }
    });
    addr
}

async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(at + 4);
            return Ok((buf, rest));
        }
    }
}

/// The header fields to forward, as this proxy treats hop-by-hop ones.
fn forward_fields(
    flaw: Flaw,
    headers: &[(String, String)],
    upgrade: bool,
) -> Vec<(String, String)> {
    if flaw == Flaw::ForwardsHopByHop {
        return headers.to_vec();
    }
    let hop = hop_by_hop_fields(headers);
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !hop.contains(&n.to_ascii_lowercase()))
        .cloned()
        .collect();
    if upgrade && flaw != Flaw::DropsHopByHop {
        out.push(("Upgrade".into(), "websocket".into()));
        out.push(("Connection".into(), "Upgrade".into()));
    }
    out
}

/// Sends a head (its `first` line and `fields`), then `rest`: what came behind the
/// head it stands for.
async fn send_head(
    to: &mut TcpStream,
    first: String,
    fields: &[(String, String)],
    rest: &[u8],
) -> std::io::Result<()> {
    let mut s = first + "\r\n";
    for (n, v) in fields {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    to.write_all((s + "\r\n").as_bytes()).await?;
    to.write_all(rest).await
}

async fn relay(flaw: Flaw, mut client: TcpStream, backend: SocketAddr) -> std::io::Result<()> {
    let (raw, client_rest) = read_head(&mut client).await?;
    let (req, _) = parse_request(&raw, 64 * 1024)
        .ok()
        .flatten()
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut upstream = TcpStream::connect(backend).await?;
    let fields = forward_fields(flaw, &req.headers, true);
    let first = format!("{} {} {}", req.method, req.target, req.version);
    send_head(&mut upstream, first, &fields, &client_rest).await?;
    let (raw, backend_rest) = read_head(&mut upstream).await?;
    let (resp, _) = parse_response(&raw, 64 * 1024)
        .ok()
        .flatten()
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut fields = forward_fields(flaw, &resp.headers, resp.status == 101);
    if flaw == Flaw::StripsResponseExtensions {
        fields.retain(|(n, _)| !n.eq_ignore_ascii_case("Sec-WebSocket-Extensions"));
    }
    let first = format!("{} {} {}", resp.version, resp.status, resp.reason);
    send_head(&mut client, first, &fields, &backend_rest).await?;
    let (cr, cw) = client.into_split();
    let (ur, uw) = upstream.into_split();
    match flaw {
        Flaw::Refragments | Flaw::RewritesCloseCodes => {
            let up = tokio::spawn(frames(flaw, cr, uw, true));
            frames(flaw, ur, cw, false).await;
            up.abort();
        }
        Flaw::IdleTimeout(limit) => idle_pipe(cr, cw, ur, uw, limit).await,
        Flaw::Unbounded => {
            let up = tokio::spawn(pipe(cr, uw));
            unbounded(ur, cw).await;
            up.abort();
        }
        _ => {
            let up = tokio::spawn(pipe(cr, uw));
            pipe(ur, cw).await;
            up.abort();
        }
    }
    Ok(())
}

/// Copies bytes until either side ends; then ends the write side.
async fn pipe<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(mut r: R, mut w: W) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if w.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = w.shutdown().await;
}

/// Relays frame by frame, changing what the flaw changes; `masked` for the client's
/// direction, which the proxy masks again toward the backend.
async fn frames<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    flaw: Flaw,
    mut r: R,
    mut w: W,
    masked: bool,
) {
    let mut decoder = FrameDecoder::new(DecoderConfig::default());
    let mut pending: Option<Frame> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        let mut out = Vec::new();
        while let Ok(Some(mut f)) = decoder.next_frame() {
            f.header.mask = None;
            if flaw == Flaw::RewritesCloseCodes
                && f.header.opcode == Opcode::Close
                && f.payload.len() >= 2
            {
                f.payload[..2].copy_from_slice(&1000u16.to_be_bytes());
            }
            let emit = if flaw == Flaw::Refragments && !f.header.opcode.is_control() {
                match pending.take() {
                    None if f.header.fin => Some(f),
                    None => {
                        pending = Some(f);
                        None
                    }
                    Some(mut first) => {
                        first.payload.extend_from_slice(&f.payload);
                        if f.header.fin {
                            Some(
                                Frame::new(first.header.opcode, first.payload)
                                    .with_rsv(first.header.rsv),
                            )
                        } else {
                            pending = Some(first);
                            None
                        }
                    }
                }
            } else {
                Some(f)
            };
            if let Some(f) = emit {
                let key = masked.then_some([0x0f, 0x1e, 0x2d, 0x3c]);
                Frame::new(f.header.opcode, f.payload)
                    .with_fin(f.header.fin)
                    .with_rsv(f.header.rsv)
                    .with_mask(key)
                    .encode_into(&mut out);
            }
        }
        if w.write_all(&out).await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Relays bytes both ways and closes both after `limit` without traffic.
async fn idle_pipe<A, B, C, D>(mut cr: A, mut cw: B, mut ur: C, mut uw: D, limit: Duration)
where
    A: AsyncRead + Unpin,
    B: AsyncWrite + Unpin,
    C: AsyncRead + Unpin,
    D: AsyncWrite + Unpin,
{
    let (mut a, mut b) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        tokio::select! {
            r = cr.read(&mut a) => match r {
                Ok(n) if n > 0 => if uw.write_all(&a[..n]).await.is_err() { break },
                _ => break,
            },
            r = ur.read(&mut b) => match r {
                Ok(n) if n > 0 => if cw.write_all(&b[..n]).await.is_err() { break },
                _ => break,
            },
            _ = tokio::time::sleep(limit) => break,
        }
    }
    let _ = cw.shutdown().await;
    let _ = uw.shutdown().await;
}

/// Reads the backend into a queue without bound while the client is written at its pace.
async fn unbounded<R, W>(mut r: R, mut w: W)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf).await {
                Ok(n) if n > 0 => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
                _ => break,
            }
        }
    });
    while let Some(chunk) = rx.recv().await {
        if w.write_all(&chunk).await.is_err() {
            break;
        }
    }
    reader.abort();
    let _ = w.shutdown().await;
}
