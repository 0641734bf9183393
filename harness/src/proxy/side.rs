//! One end of a relayed connection, played by the suite: a reader task that records
//! every frame as it arrives, and the write half the steps write on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use ws_cases::proxy::{Side, SideTrace};
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder};
use ws_spec::intermediary::RelayedFrame;

/// What the reader has seen so far.
#[derive(Default)]
struct Seen {
    trace: SideTrace,
    ended_at: Option<Instant>,
}

/// One end: its write half, and what its reader task saw.
pub(super) struct End {
    side: Side,
    write: Option<OwnedWriteHalf>,
    seen: Arc<Mutex<Seen>>,
    changed: Arc<Notify>,
    paused: watch::Sender<bool>,
    reader: JoinHandle<()>,
    mask_seed: u32,
}

impl End {
    /// Starts reading `stream` (after `leftover`, bytes read past the handshake).
    pub(super) fn start(side: Side, stream: TcpStream, leftover: Vec<u8>, max_frame: u64) -> End {
        let (mut read, write) = stream.into_split();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let changed = Arc::new(Notify::new());
        let (paused, mut paused_rx) = watch::channel(false);
        let reader = {
            let (seen, changed) = (seen.clone(), changed.clone());
            tokio::spawn(async move {
                let mut decoder = FrameDecoder::new(DecoderConfig {
                    max_frame_payload: max_frame,
                });
                decoder.push(&leftover);
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    if record(&mut decoder, &seen) {
                        changed.notify_waiters();
                        return;
                    }
                    changed.notify_waiters();
                    // A paused reader leaves the bytes in the kernel, so the proxy sees
                    // a client that does not read (the flood case).
                    while *paused_rx.borrow_and_update() {
                        if paused_rx.changed().await.is_err() {
                            return;
                        }
                    }
                    let n = read.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        let mut s = seen.lock().expect("reader state");
                        s.trace.ended = true;
                        s.ended_at = Some(Instant::now());
                        drop(s);
                        changed.notify_waiters();
                        return;
                    }
                    decoder.push(&buf[..n]);
                }
            })
        };
        End {
            side,
            write: Some(write),
            seen,
            changed,
            paused,
            reader,
            mask_seed: 0x5eed_0001,
        }
    }

    /// Writes `frames`, masked with fresh keys when this end is the client; records them
    /// as sent. Write errors end the writing (the trace shows what arrived).
    pub(super) async fn send(&mut self, frames: Vec<Frame>) -> bool {
        let mut bytes = Vec::new();
        for mut f in frames {
            self.seen
                .lock()
                .expect("reader state")
                .trace
                .sent
                .push(RelayedFrame {
                    opcode: f.header.opcode,
                    fin: f.header.fin,
                    rsv: f.header.rsv,
                    masked: self.side == Side::Client,
                    payload: f.payload.clone(),
                });
            if self.side == Side::Client {
                self.mask_seed = self
                    .mask_seed
                    .wrapping_mul(1_664_525)
                    .wrapping_add(1_013_904_223);
                f = f.with_mask(Some(self.mask_seed.to_be_bytes()));
            }
            f.encode_into(&mut bytes);
        }
        self.write_raw(&bytes).await
    }

    /// Writes bytes as they are.
    pub(super) async fn write_raw(&mut self, bytes: &[u8]) -> bool {
        match &mut self.write {
            Some(w) => w.write_all(bytes).await.is_ok() && w.flush().await.is_ok(),
            None => false,
        }
    }

    /// The write half, for writes the caller times itself (the flood).
    pub(super) fn writer(&mut self) -> Option<&mut OwnedWriteHalf> {
        self.write.as_mut()
    }

    /// Stops (or resumes) reading.
    pub(super) fn pause(&self, paused: bool) {
        let _ = self.paused.send(paused);
    }

    /// Closes the TCP connection: no more writes, no more reads.
    pub(super) fn drop_tcp(&mut self) {
        self.write = None;
        self.reader.abort();
    }

    /// Shuts the write side (the server closing TCP first after the closing handshake).
    pub(super) async fn shutdown(&mut self) {
        if let Some(mut w) = self.write.take() {
            let _ = w.shutdown().await;
        }
    }

    /// Waits until `done` holds for what this end has seen, or `timeout` passes.
    pub(super) async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&SideTrace) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let s = self.seen.lock().expect("reader state");
                if done(&s.trace) {
                    return true;
                }
                if s.trace.ended || s.trace.error.is_some() {
                    return done(&s.trace);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done(&self.seen.lock().expect("reader state").trace);
            }
        }
    }

    /// When the connection ended, if it did.
    pub(super) fn ended_at(&self) -> Option<Instant> {
        self.seen.lock().expect("reader state").ended_at
    }

    /// A copy of what this end saw.
    pub(super) fn trace(&self) -> SideTrace {
        self.seen.lock().expect("reader state").trace.clone()
    }

    /// Bytes of payload received in data frames so far.
    pub(super) fn data_received(&self) -> u64 {
        self.seen
            .lock()
            .expect("reader state")
            .trace
            .received
            .iter()
            .filter(|f| !f.opcode.is_control())
            .map(|f| f.payload.len() as u64)
            .sum()
    }
}

impl Drop for End {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Moves every complete frame from the decoder into the trace; true when the stream
/// cannot be decoded any further.
fn record(decoder: &mut FrameDecoder, seen: &Mutex<Seen>) -> bool {
    loop {
        match decoder.next_frame() {
            Ok(Some(f)) => seen
                .lock()
                .expect("reader state")
                .trace
                .received
                .push(RelayedFrame {
                    opcode: f.header.opcode,
                    fin: f.header.fin,
                    rsv: f.header.rsv,
                    masked: f.header.mask.is_some(),
                    payload: f.payload,
                }),
            Ok(None) => return false,
            Err(e) => {
                seen.lock().expect("reader state").trace.error = Some(e.to_string());
                return true;
            }
        }
    }
}
