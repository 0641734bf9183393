//! Rewriting the frames the `h2` crate writes, on their way to the socket: a
//! [`Rewrite`] hands each whole outgoing frame to an edit that may replace its payload.
//!
//! The client side uses it to send header blocks h2 would refuse to write (no `:path`,
//! an `upgrade` field): h2 encodes a standard request, and [`header_blocks`] replaces
//! the block of each HEADERS frame with one the case made. Every request on such a
//! connection goes through here, so h2's HPACK encoder state never reaches the wire:
//! the replacement blocks use literals without indexing only (RFC 7541 §6.2.2), which
//! leave the server's dynamic table alone. `serve` uses it to take a setting out of
//! the server's first SETTINGS frame.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ws_spec::extended_connect::ConnectRequest;

/// Header blocks waiting for the next HEADERS frames, in order.
pub type Blocks = Arc<Mutex<VecDeque<Vec<u8>>>>;

/// The client connection preface (RFC 9113 §3.4), passed through untouched.
const PREFACE_LEN: usize = 24;
/// HEADERS (RFC 9113 §6.2).
const HEADERS: u8 = 0x1;
/// Output held before the wrapper stops taking more from h2.
const HIGH_WATER: usize = 64 * 1024;

/// An HPACK integer with an `n`-bit prefix, first byte's high bits `flags` (RFC 7541 §5.1).
fn integer(out: &mut Vec<u8>, flags: u8, n: u32, mut value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    integer(out, 0, 7, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// `request` as an HPACK block: pseudo-headers first, every field a literal without
/// indexing with a literal name, no Huffman coding.
pub fn encode(request: &ConnectRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in request.fields() {
        out.push(0x00);
        string(&mut out, name);
        string(&mut out, value);
    }
    out
}

/// What a [`Rewrite`] does with each whole outgoing frame: given its 9-byte header and
/// its payload, the payload to send instead, or `None` to send the frame as it is.
pub trait Edit: FnMut(&[u8], &[u8]) -> Option<Vec<u8>> {}

impl<F: FnMut(&[u8], &[u8]) -> Option<Vec<u8>>> Edit for F {}

/// A transport whose whole outgoing frames go through an [`Edit`] first (a replaced
/// payload gets a header with its length).
pub struct Rewrite<S, F> {
    inner: S,
    edit: F,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Bytes still to pass untouched before the first frame (a client's preface).
    preface_left: usize,
}

/// A client transport (`inner`) whose outgoing HEADERS blocks are replaced from
/// `blocks`, in order; a HEADERS frame with none waiting goes out as h2 wrote it.
pub fn header_blocks<S>(inner: S, blocks: Blocks) -> Rewrite<S, impl Edit> {
    Rewrite::new(inner, PREFACE_LEN, move |header: &[u8], _: &[u8]| {
        if header[3] == HEADERS {
            blocks.lock().ok().and_then(|mut b| b.pop_front())
        } else {
            None
        }
    })
}

impl<S, F: Edit> Rewrite<S, F> {
    /// Wraps `inner`: its first `preface` bytes pass untouched, then each frame goes
    /// through `edit`.
    pub fn new(inner: S, preface: usize, edit: F) -> Self {
        Rewrite {
            inner,
            edit,
            input: Vec::new(),
            output: Vec::new(),
            preface_left: preface,
        }
    }

    /// Moves whole frames from `input` to `output`, through `edit`.
    fn process(&mut self) {
        let take = self.preface_left.min(self.input.len());
        self.output.extend(self.input.drain(..take));
        self.preface_left -= take;
        while self.input.len() >= 9 {
            let len = u32::from_be_bytes([0, self.input[0], self.input[1], self.input[2]]) as usize;
            if self.input.len() < 9 + len {
                break;
            }
            let frame: Vec<u8> = self.input.drain(..9 + len).collect();
            match (self.edit)(&frame[..9], &frame[9..]) {
                Some(block) => {
                    let n = (block.len() as u32).to_be_bytes();
                    self.output.extend_from_slice(&n[1..]);
                    self.output.extend_from_slice(&frame[3..9]);
                    self.output.extend_from_slice(&block);
                }
                None => self.output.extend_from_slice(&frame),
            }
        }
    }
}

impl<S: AsyncWrite + Unpin, F> Rewrite<S, F> {
    /// Writes held output; `Ready` once all of it is gone.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.output.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.output) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => {
                    self.output.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin, F: Unpin> AsyncRead for Rewrite<S, F> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S, F> AsyncWrite for Rewrite<S, F>
where
    S: AsyncWrite + Unpin,
    F: Edit + Unpin,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if let Poll::Ready(Err(e)) = this.drain(cx) {
            return Poll::Ready(Err(e));
        }
        if this.output.len() >= HIGH_WATER {
            return Poll::Pending;
        }
        this.input.extend_from_slice(buf);
        this.process();
        if let Poll::Ready(Err(e)) = this.drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_rfc7541_c1() {
        let mut out = Vec::new();
        integer(&mut out, 0, 5, 10);
        assert_eq!(out, [10]);
        out.clear();
        integer(&mut out, 0, 5, 1337);
        assert_eq!(out, [31, 154, 10]);
    }

    #[test]
    fn headers_blocks_are_swapped_and_other_frames_pass() {
        let blocks: Blocks = Arc::default();
        blocks.lock().unwrap().push_back(vec![0xAA; 3]);
        let mut w = header_blocks(Vec::<u8>::new(), blocks);
        let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        wire.extend_from_slice(&[0, 0, 2, 0x4, 0, 0, 0, 0, 0, 1, 2]); // SETTINGS-ish
        wire.extend_from_slice(&[0, 0, 1, HEADERS, 0x4, 0, 0, 0, 1, 0x82]);
        w.input = wire;
        w.process();
        assert_eq!(&w.output[..24], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assert_eq!(&w.output[24..35], &[0, 0, 2, 0x4, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(
            &w.output[35..],
            &[0, 0, 3, HEADERS, 0x4, 0, 0, 0, 1, 0xAA, 0xAA, 0xAA]
        );
    }
}
