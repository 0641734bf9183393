//! Hostile peers: servers that each do one nasty thing to the suite, after a
//! valid opening handshake or instead of one.
//!
//! Every peer listens on loopback only and stops by itself: floods are capped
//! in bytes, stalls end when the suite drops the connection or after
//! [`PEER_LIFETIME`], so a broken suite makes a test fail, not the machine suffer.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use ws_spec::frame::{Frame, FrameHeader, LengthForm, Opcode};
use ws_spec::handshake::{self, ServerConfig, ServerDecision};

use super::Flaws;

/// Longest time any hostile connection is kept open.
pub const PEER_LIFETIME: Duration = Duration::from_secs(60);

/// Size of each flooded frame's payload.
pub const FLOOD_FRAME: usize = 64 * 1024;

/// The one nasty thing a peer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostility {
    /// Valid handshake, then an abortive close (RST: `SO_LINGER` 0, then drop).
    Reset,
    /// Valid handshake, then reads and discards everything, never writes.
    Stall,
    /// Valid handshake, then neither reads nor writes: the suite's writes back up.
    StallNoRead,
    /// Accepts TCP and reads, but never answers the opening handshake.
    Mute,
    /// Valid handshake, then an endless stream of complete unmasked binary
    /// messages of [`FLOOD_FRAME`] bytes, at most `cap` bytes in all.
    FloodMessages {
        /// Bytes written at most on one connection.
        cap: u64,
    },
    /// Valid handshake, then one endless fragmented binary message (a first
    /// frame and continuations of [`FLOOD_FRAME`] bytes, never FIN), at most
    /// `cap` bytes in all.
    FloodFragments {
        /// Bytes written at most on one connection.
        cap: u64,
    },
    /// Bytes that are not HTTP instead of the handshake response, then close.
    Garbage,
    /// An HTTP status line, then header lines without end (at most 1 MiB).
    EndlessHeaders,
    /// Valid handshake, then a binary frame header announcing 2^63-1 bytes,
    /// a few payload bytes, and silence (reading, not writing).
    HugeLength,
    /// As [`Hostility::HugeLength`] with the length 2^63: its top bit set.
    TopBitLength,
    /// `HTTP/1.1 200 OK` instead of `101 Switching Protocols`.
    Http200,
    /// A 101 response whose `Sec-WebSocket-Accept` is wrong.
    WrongAccept,
    /// `101 Switching Protocols`, then header bytes one every [`TRICKLE_EVERY`], never
    /// ending the head: each read gets a byte, so only an overall deadline ends a wait.
    TrickleHeaders,
    /// As [`Hostility::HugeLength`], then bytes without end, never reading: the suite's
    /// own 16 MiB message (9.1.6) backs up, and its close frame with it.
    HugeLengthFloodNoRead,
    /// Valid handshake accepting permessage-deflate, then reads everything and writes
    /// nothing: every compression case waits on echoes that never come.
    SilentDeflate,
    /// Valid handshake, then small complete binary messages ([`SMALL_FRAME`] bytes of
    /// payload) without end, at most `cap` bytes in all: many wire-log rows per read.
    FloodSmall {
        /// Bytes written at most on one connection.
        cap: u64,
    },
}

/// Time between two bytes of [`Hostility::TrickleHeaders`].
pub const TRICKLE_EVERY: Duration = Duration::from_millis(100);

/// Payload size of [`Hostility::FloodSmall`]'s messages.
pub const SMALL_FRAME: usize = 100;

/// Starts a hostile peer on a free loopback port; it runs until the test ends.
pub async fn start_hostile(hostility: Hostility) -> SocketAddr {
    super::listen(move |stream| async move {
        let _ = tokio::time::timeout(PEER_LIFETIME, misbehave(stream, hostility)).await;
    })
    .await
}

/// A correct echo server that dies after accepting `connections` connections:
/// its listener is closed, and every connection it still has open is dropped
/// at once. Returns its address and a counter of the connections accepted.
pub async fn start_dying(connections: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut open = JoinSet::new();
        while counter.load(Ordering::SeqCst) < connections {
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_nodelay(true);
            open.spawn(async move {
                let _ = super::serve(stream, Flaws::default()).await;
            });
        }
        // Dying: later connects are refused, open ones see their socket vanish.
        drop(listener);
        open.abort_all();
    });
    (addr, accepted)
}

/// Starts a hostile peer that speaks TLS with `tls` first; only the behaviours that
/// need no TCP socket options are offered ([`Hostility::TrickleHeaders`]).
pub async fn start_hostile_tls(hostility: Hostility, tls: wsconform::tls::ServerTls) -> SocketAddr {
    assert_eq!(hostility, Hostility::TrickleHeaders, "not offered over TLS");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let Ok(stream) = tls.accept(stream).await else {
                    return;
                };
                let _ = tokio::time::timeout(PEER_LIFETIME, trickle(stream)).await;
            });
        }
    });
    addr
}

/// [`Hostility::TrickleHeaders`] on any stream.
async fn trickle<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    if read_request(&mut stream).await.is_none() {
        return;
    }
    if stream
        .write_all(b"HTTP/1.1 101 Switching Protocols\r\n")
        .await
        .is_err()
    {
        return;
    }
    for b in b"X-Slow: ".iter().chain(std::iter::repeat(&b'a')) {
        if stream.write_all(&[*b]).await.is_err() || stream.flush().await.is_err() {
            return;
        }
        tokio::time::sleep(TRICKLE_EVERY).await;
    }
}

/// Reads the opening request; `None` when the client left first.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some((req, _)) = handshake::parse_request(&head, 16 * 1024).ok().flatten() {
            return match handshake::server_respond(&req, &ServerConfig::default()) {
                ServerDecision::Accept { response, .. } => Some(response),
                _ => None,
            };
        }
        if head.len() > 16 * 1024 {
            return None;
        }
    }
}

/// Reads and discards until the client leaves.
async fn drain(stream: &mut TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// Writes `frame` again and again until `cap` bytes are written or the client leaves;
/// `next` gives the frame after the first.
async fn flood(stream: TcpStream, first: Vec<u8>, next: Vec<u8>, cap: u64) {
    let (mut rd, mut wr) = stream.into_split();
    // The client's frames are read and dropped so its writes never block.
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    let mut sent = 0u64;
    let mut frame = &first;
    while sent < cap {
        if wr.write_all(frame).await.is_err() {
            break;
        }
        sent += frame.len() as u64;
        frame = &next;
    }
    reader.abort();
}

/// A binary frame header with a 64-bit length and nothing after it.
fn huge_header(len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    FrameHeader {
        fin: true,
        rsv: 0,
        opcode: Opcode::Binary,
        mask: None,
        payload_len: 0,
        length_form: LengthForm::Extended64,
    }
    .encode_into(&mut out);
    // The encoder writes a 64-bit zero length; the announced length is patched in
    // so that lengths no encoder would produce (top bit set) can be sent too.
    assert_eq!(out.len(), 10, "2-byte header + 8-byte length");
    out[2..10].copy_from_slice(&len.to_be_bytes());
    out
}

/// What a canned answer's server does once it sent it.
enum Then {
    /// Closes the connection.
    Leave,
    /// Reads and discards until the client leaves.
    Drain,
}

/// Reads the opening request, then sends what `reply` makes of the 101 response the
/// reference server would give it.
async fn answer(mut stream: TcpStream, reply: impl FnOnce(Vec<u8>) -> Vec<u8>, then: Then) {
    if let Some(valid) = read_request(&mut stream).await {
        let _ = stream.write_all(&reply(valid)).await;
        if matches!(then, Then::Drain) {
            drain(&mut stream).await;
        }
    }
}

async fn misbehave(mut stream: TcpStream, hostility: Hostility) {
    match hostility {
        Hostility::Mute => return drain(&mut stream).await,
        Hostility::TrickleHeaders => return trickle(stream).await,
        Hostility::SilentDeflate => {
            // The 101 as the reference server makes it, plus the extension accepted
            // with no parameters: valid for any offer the suite makes (RFC 7692 §7).
            let with_deflate = |valid: Vec<u8>| {
                let head = String::from_utf8_lossy(&valid);
                let head = head.trim_end_matches("\r\n");
                format!("{head}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
                    .into_bytes()
            };
            return answer(stream, with_deflate, Then::Drain).await;
        }
        Hostility::Garbage => {
            let garbage = b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02\xff\xfe garbage\r\n\r\n";
            return answer(stream, |_| garbage.to_vec(), Then::Leave).await;
        }
        Hostility::EndlessHeaders => {
            // A status line, then a MiB of header lines and never the blank line.
            let endless = |_| {
                let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
                let mut head = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
                head.extend(line.repeat((1 << 20) / line.len()));
                head
            };
            return answer(stream, endless, Then::Drain).await;
        }
        Hostility::Http200 => {
            let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
            return answer(stream, |_| ok.to_vec(), Then::Drain).await;
        }
        Hostility::WrongAccept => {
            let wrong = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                          Connection: Upgrade\r\n\
                          Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
            return answer(stream, |_| wrong.to_vec(), Then::Drain).await;
        }
        _ => {}
    }
    // Everything below starts with a valid handshake.
    let Some(response) = read_request(&mut stream).await else {
        return;
    };
    if stream.write_all(&response).await.is_err() {
        return;
    }
    match hostility {
        Hostility::Reset => {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Hostility::Stall => drain(&mut stream).await,
        Hostility::StallNoRead => {
            // Keep the socket open and unread until the client gives up.
            let started = Instant::now();
            while started.elapsed() < PEER_LIFETIME {
                let mut probe = [0u8; 1];
                // A zero-length peek tells when the client is gone without reading its data.
                match tokio::time::timeout(Duration::from_millis(200), stream.peek(&mut probe))
                    .await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => return,
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Hostility::FloodMessages { cap } => {
            let frame = Frame::new(Opcode::Binary, vec![0xAB; FLOOD_FRAME]).encode();
            flood(stream, frame.clone(), frame, cap).await;
        }
        Hostility::FloodFragments { cap } => {
            let first = Frame::new(Opcode::Binary, vec![0xCD; FLOOD_FRAME])
                .with_fin(false)
                .encode();
            let next = Frame::new(Opcode::Continuation, vec![0xCD; FLOOD_FRAME])
                .with_fin(false)
                .encode();
            flood(stream, first, next, cap).await;
        }
        Hostility::FloodSmall { cap } => {
            let frame = Frame::new(Opcode::Binary, vec![0x5A; SMALL_FRAME]).encode();
            // Many frames per write, so the flood is fast enough to matter.
            let burst = burst_of(&frame);
            flood(stream, burst.clone(), burst, cap).await;
        }
        Hostility::HugeLengthFloodNoRead => {
            let mut bytes = huge_header((1u64 << 63) - 1);
            bytes.extend_from_slice(&[0x42; 64 * 1024]);
            if stream.write_all(&bytes).await.is_err() {
                return;
            }
            // Never reads: what the suite writes backs up in the socket buffers.
            let junk = vec![0x42u8; 64 * 1024];
            while stream.write_all(&junk).await.is_ok() {}
        }
        Hostility::HugeLength | Hostility::TopBitLength => {
            let len = if hostility == Hostility::HugeLength {
                (1u64 << 63) - 1
            } else {
                1u64 << 63
            };
            let mut bytes = huge_header(len);
            bytes.extend_from_slice(b"some payload");
            if stream.write_all(&bytes).await.is_ok() {
                drain(&mut stream).await;
            }
        }
        _ => {}
    }
}

/// 600 copies of `frame` back to back: many frames per write, so that a flood of small
/// frames is fast enough to matter.
pub fn burst_of(frame: &[u8]) -> Vec<u8> {
    frame
        .iter()
        .copied()
        .cycle()
        .take(frame.len() * 600)
        .collect()
}
