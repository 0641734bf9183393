//! Test peers: a deliberately flawed echo server, each flaw breaking one RFC rule.
//!
//! Its correct baseline follows RFC 6455 on its own code path (not the
//! reference endpoint's), so tests can show that the suite passes a correct
//! server it did not write, and fails exactly the cases a flaw breaks.

#![allow(dead_code)]

pub mod broken_deflate;
pub mod hostile;
pub mod play;

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_spec::close;
use ws_spec::frame::{DecodeEvent, DecoderConfig, Frame, FrameDecoder, FrameHeader, Opcode};
use ws_spec::handshake::{self, ServerConfig, ServerDecision};
use ws_spec::utf8::Utf8Validator;

/// Which rules the server breaks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flaws {
    /// Never checks UTF-8 in text messages (RFC 6455 §8.1).
    pub skip_utf8: bool,
    /// Accepts RSV bits with no extension (§5.2).
    pub accept_rsv: bool,
    /// Never answers pings (§5.5.2).
    pub no_pong: bool,
    /// Answers every close with code 1001 instead of echoing (§5.5.1).
    pub close_reply_1001: bool,
    /// Treats a fragmented ping/pong as complete (§5.5).
    pub accept_fragmented_control: bool,
    /// Silently ignores frames with reserved opcodes (§5.2).
    pub ignore_reserved_opcodes: bool,
    /// Accepts any close code (§7.4.1).
    pub accept_any_close_code: bool,
    /// Accepts any Sec-WebSocket-Version, or none (§4.2.1, §4.4).
    pub ignore_version: bool,
    /// Accepts HTTP/1.0 requests (§4.2.1).
    pub accept_http10: bool,
    /// Drops bytes that arrive with the opening request (§4.2.2: they are the first frame).
    pub lose_early_frame: bool,
    /// Echoes large messages (64 KiB and up) with one byte changed: the length is
    /// right, which is all Autobahn's 9.x cases check.
    pub corrupt_large_echo: bool,
    /// Accepts unmasked frames from the client (§5.1).
    pub accept_unmasked: bool,
    /// After a closing handshake (or failing the connection) waits this long for
    /// the client to close TCP before closing it (§7.1.1: the server closes first).
    pub linger_after_close: Option<std::time::Duration>,
    /// Keeps echoing data frames that arrive after it answered a close (§5.5.1).
    pub echo_after_close: bool,
    /// Reads on before answering a close; when the client's write side is shut
    /// (end-of-stream behind the close frame), closes TCP without answering (§5.5.1).
    pub silent_on_half_close: bool,
    /// Reads a 64-bit length without its most significant bit (§5.2 says it MUST
    /// be 0), as a parser that masks it off would; applied to the first frame.
    pub ignore_length_top_bit: bool,
    /// Serves one connection at a time and trusts announced lengths (no frame size
    /// limit): a frame that never ends blocks every other client (§10.4).
    pub serve_one_at_a_time: bool,
    /// Serves every connection from one thread (an event loop, as Python's asyncio
    /// or Twisted servers do): work on one connection holds up all the others.
    pub single_threaded: bool,
    /// Blocks its thread this long for every data frame it takes in, as an
    /// interpreted server spends CPU on each frame.
    pub cost_per_frame: std::time::Duration,
    /// Blocks its thread this long per MiB of payload it takes in.
    pub cost_per_mib: std::time::Duration,
    /// Checks UTF-8 once a whole text frame is in, not octet by octet as it
    /// arrives: correct (§8.1), only not fail-fast.
    pub utf8_per_frame: bool,
    /// Fails the connection by closing TCP without a close frame (§7.1.7 allows
    /// it), as autobahn-python's `failByDrop` does.
    pub fail_by_drop: bool,
    /// Masks the frames it sends, which a server MUST NOT do (§5.1).
    pub mask_own_frames: bool,
    /// Takes at most this many frames in one message, then closes with 1008 and
    /// the reason "too many fragments", as node ws does with 9.3.1 (a policy the
    /// RFC allows, §7.4.1).
    pub max_fragments: Option<usize>,
}

/// Serves each connection accepted on a free loopback port with `serve`, on a task
/// of its own (TCP_NODELAY set); returns the address. It runs until the test ends.
pub async fn listen<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream));
        }
    });
    addr
}

/// Reads a client's opening request (a head of at most 16 KiB): the request, the
/// bytes read (the head and whatever followed it) and the head's length; `None`
/// when the client closes first.
pub async fn read_request(
    stream: &mut TcpStream,
) -> std::io::Result<Option<(handshake::Request, Vec<u8>, usize)>> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
        if let Some((req, consumed)) = handshake::parse_request(&head, 16 * 1024).ok().flatten() {
            return Ok(Some((req, head, consumed)));
        }
    }
}

/// Answers `req` as a conforming server would: `Some((response, key))`, the 101
/// response and the client's key, when it accepts (the caller sends the response,
/// or one of its own); `None` once it sent the refusal and closed.
pub async fn accept_or_refuse(
    stream: &mut TcpStream,
    req: &handshake::Request,
) -> std::io::Result<Option<(Vec<u8>, String)>> {
    match handshake::server_respond(req, &ServerConfig::default()) {
        ServerDecision::Accept { response, key, .. } => Ok(Some((response, key))),
        ServerDecision::Refuse { response, .. } => {
            stream.write_all(&response).await?;
            stream.shutdown().await?;
            Ok(None)
        }
    }
}

/// Resident set size of this process, in bytes.
pub fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Starts the built-in echo server (`wsconform::echo`) on a free loopback port; it
/// runs until the test ends.
pub async fn start_echo(settings: wsconform::echo::EchoSettings) -> SocketAddr {
    let listener = wsconform::echo::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(wsconform::echo::serve(listener, settings));
    addr
}

/// Starts the server on a free loopback port; it runs until the test ends.
pub async fn start(flaws: Flaws) -> SocketAddr {
    if flaws.single_threaded {
        return start_single_threaded(flaws);
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(accept_loop(listener, flaws));
    addr
}

/// The server on a thread of its own with a single-threaded runtime.
fn start_single_threaded(flaws: Flaws) -> SocketAddr {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            accept_loop(listener, flaws).await;
        });
    });
    addr
}

async fn accept_loop(listener: TcpListener, flaws: Flaws) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        if flaws.serve_one_at_a_time {
            let _ = serve(stream, flaws).await;
            continue;
        }
        tokio::spawn(async move {
            let _ = serve(stream, flaws).await;
        });
    }
}

struct Conn {
    flaws: Flaws,
    out: Vec<u8>,
    msg: Option<Opcode>,
    msg_buf: Vec<u8>,
    utf8: Utf8Validator,
    header: Option<FrameHeader>,
    control: Vec<u8>,
    done: bool,
    /// The client sent the first close frame.
    client_closed: bool,
    /// A close frame went out (with `echo_after_close` the connection goes on).
    close_sent: bool,
    /// Where the current frame's payload starts in `msg_buf`.
    frame_start: usize,
    /// Frames of the current message so far.
    fragments: usize,
}

impl Conn {
    fn send(&mut self, frame: Frame) {
        let frame = if self.flaws.mask_own_frames {
            frame.with_mask(Some([0x5a, 0xa5, 0x3c, 0xc3]))
        } else {
            frame
        };
        frame.encode_into(&mut self.out);
    }

    fn fail(&mut self, code: u16) {
        if !self.flaws.fail_by_drop {
            self.send(Frame::close(Some(code), b""));
        }
        self.done = true;
    }

    /// The CPU an interpreted server would spend on a data frame, spent by
    /// blocking the thread: other connections on it wait.
    fn spend(&self, len: usize) {
        let f = &self.flaws;
        let cost = f.cost_per_frame + f.cost_per_mib.mul_f64(len as f64 / (1 << 20) as f64);
        if !cost.is_zero() {
            std::thread::sleep(cost);
        }
    }

    fn on_header(&mut self, h: FrameHeader) -> bool {
        let f = self.flaws;
        if (h.mask.is_none() && !f.accept_unmasked)
            || (h.rsv != 0 && !f.accept_rsv)
            || (h.opcode.is_reserved() && !f.ignore_reserved_opcodes)
            || (h.opcode.is_control() && h.payload_len > 125)
            || (h.opcode.is_control() && !h.fin && !f.accept_fragmented_control)
        {
            self.fail(close::codes::PROTOCOL_ERROR);
            return false;
        }
        if h.opcode.is_reserved() {
            self.header = Some(h);
            return true;
        }
        if !h.opcode.is_control() {
            match (h.opcode, self.msg) {
                (Opcode::Continuation, None) => {
                    self.fail(close::codes::PROTOCOL_ERROR);
                    return false;
                }
                (Opcode::Continuation, Some(_)) => {
                    self.fragments += 1;
                    if self.flaws.max_fragments.is_some_and(|n| self.fragments > n) {
                        self.send(Frame::close(
                            Some(close::codes::POLICY),
                            b"too many fragments",
                        ));
                        self.done = true;
                        return false;
                    }
                }
                (_, Some(_)) => {
                    self.fail(close::codes::PROTOCOL_ERROR);
                    return false;
                }
                (op, None) => {
                    self.fragments = 1;
                    self.msg = Some(op);
                    self.msg_buf.clear();
                    self.utf8.reset();
                }
            }
        } else {
            self.control.clear();
        }
        self.frame_start = self.msg_buf.len();
        self.header = Some(h);
        true
    }

    fn on_payload(&mut self, chunk: &[u8]) -> bool {
        let Some(h) = &self.header else { return true };
        if h.opcode.is_reserved() {
            return true;
        }
        if h.opcode.is_control() {
            self.control.extend_from_slice(chunk);
            return true;
        }
        if self.msg == Some(Opcode::Text)
            && !self.flaws.skip_utf8
            && !self.flaws.utf8_per_frame
            && self.utf8.feed(chunk).is_err()
        {
            self.fail(close::codes::INVALID_PAYLOAD);
            return false;
        }
        self.msg_buf.extend_from_slice(chunk);
        true
    }

    fn on_end(&mut self) -> bool {
        let Some(h) = self.header.take() else {
            return true;
        };
        if h.opcode.is_reserved() {
            return true;
        }
        if !h.opcode.is_control() {
            self.spend(self.msg_buf.len() - self.frame_start);
            if self.msg == Some(Opcode::Text)
                && self.flaws.utf8_per_frame
                && self.utf8.feed(&self.msg_buf[self.frame_start..]).is_err()
            {
                self.fail(close::codes::INVALID_PAYLOAD);
                return false;
            }
        }
        match h.opcode {
            Opcode::Ping if !self.flaws.no_pong => {
                let p = std::mem::take(&mut self.control);
                self.send(Frame::pong(p));
            }
            Opcode::Ping | Opcode::Pong => {}
            Opcode::Close if self.close_sent => {}
            Opcode::Close => {
                self.client_closed = true;
                let payload = std::mem::take(&mut self.control);
                match close::parse_close_payload(&payload) {
                    Ok(body) => {
                        let code = body.map(|b| b.code);
                        let reply = if self.flaws.close_reply_1001 {
                            Some(close::codes::GOING_AWAY)
                        } else {
                            code
                        };
                        self.send(Frame::close(reply, b""));
                        self.close_sent = true;
                        self.done = !self.flaws.echo_after_close;
                        if !self.done {
                            return true;
                        }
                    }
                    Err(close::CloseError::InvalidCode(_)) if self.flaws.accept_any_close_code => {
                        self.send(Frame::close(Some(close::codes::NORMAL), b""));
                        self.done = true;
                    }
                    Err(e) => self.fail(e.close_code()),
                }
                return false;
            }
            _ if h.fin => {
                if self.msg == Some(Opcode::Text)
                    && !self.flaws.skip_utf8
                    && self.utf8.finish().is_err()
                {
                    self.fail(close::codes::INVALID_PAYLOAD);
                    return false;
                }
                let op = self.msg.take().unwrap_or(Opcode::Binary);
                let mut data = std::mem::take(&mut self.msg_buf);
                if self.flaws.corrupt_large_echo && data.len() >= 65536 {
                    // Flip a bit that keeps ASCII text valid UTF-8.
                    data[1000] ^= 0x01;
                }
                self.send(Frame::new(op, data));
            }
            _ => {}
        }
        true
    }
}

async fn serve(mut stream: TcpStream, flaws: Flaws) -> std::io::Result<()> {
    let Some((mut req, head, consumed)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let mut buf = vec![0u8; 64 * 1024];
    if flaws.ignore_version {
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("sec-websocket-version"));
        req.headers
            .push(("Sec-WebSocket-Version".into(), "13".into()));
    }
    if flaws.accept_http10 {
        req.version = "HTTP/1.1".into();
    }
    let Some((response, _)) = accept_or_refuse(&mut stream, &req).await? else {
        return Ok(());
    };
    stream.write_all(&response).await?;
    let mut decoder = FrameDecoder::new(if flaws.serve_one_at_a_time {
        DecoderConfig {
            max_frame_payload: u64::MAX,
        }
    } else {
        DecoderConfig::default()
    });
    let mut first_frame = true;
    let mut push = |decoder: &mut FrameDecoder, bytes: &[u8]| {
        let mut bytes = bytes.to_vec();
        if std::mem::take(&mut first_frame)
            && flaws.ignore_length_top_bit
            && bytes.len() > 2
            && bytes[1] & 0x7f == 127
        {
            bytes[2] &= 0x7f;
        }
        decoder.push(&bytes);
    };
    if !flaws.lose_early_frame && head.len() > consumed {
        push(&mut decoder, &head[consumed..]);
    }
    let mut conn = Conn {
        flaws,
        out: Vec::new(),
        msg: None,
        msg_buf: Vec::new(),
        utf8: Utf8Validator::new(),
        header: None,
        control: Vec::new(),
        done: false,
        client_closed: false,
        close_sent: false,
        frame_start: 0,
        fragments: 0,
    };
    loop {
        while !conn.done {
            let ok = match decoder.next_event() {
                Ok(Some(DecodeEvent::Header(h))) => conn.on_header(h),
                Ok(Some(DecodeEvent::Payload(p))) => conn.on_payload(&p),
                Ok(Some(DecodeEvent::FrameEnd)) => conn.on_end(),
                Ok(None) => break,
                Err(_) => {
                    conn.fail(close::codes::PROTOCOL_ERROR);
                    false
                }
            };
            if !ok {
                break;
            }
        }
        if conn.done && conn.client_closed && flaws.silent_on_half_close {
            let peek =
                tokio::time::timeout(std::time::Duration::from_millis(200), stream.read(&mut buf))
                    .await;
            if matches!(peek, Ok(Ok(0)) | Ok(Err(_))) {
                return Ok(());
            }
        }
        if !conn.out.is_empty() {
            stream.write_all(&std::mem::take(&mut conn.out)).await?;
        }
        if conn.done {
            if let Some(linger) = flaws.linger_after_close {
                let _ = tokio::time::timeout(linger, async {
                    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                })
                .await;
            }
            // The server closes TCP first after the closing handshake (RFC 6455 §7.1.1).
            return stream.shutdown().await;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        push(&mut decoder, &buf[..n]);
    }
}

/// tokio-tungstenite's echo server, as its own Autobahn server example writes it.
pub async fn start_tungstenite() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = futures_util::StreamExt::next(&mut ws).await {
                    if (msg.is_text() || msg.is_binary())
                        && futures_util::SinkExt::send(&mut ws, msg).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    addr
}
