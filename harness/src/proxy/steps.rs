//! The steps of a proxy case, played on both ends.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use ws_cases::proxy::{FloodOutcome, IdleOutcome, ProxyFrame, ProxyObservation, ProxyStep, Side};
use ws_spec::frame::{Frame, Opcode};
use ws_spec::intermediary::messages;

use super::play::{close_code, compressed, has_close, since, to_frame, Ends, PlayConfig};

/// Plays one step; false when the connection is over afterwards (closed or dropped).
pub(super) async fn run(
    step: &ProxyStep,
    ends: &mut Ends,
    cfg: &PlayConfig,
    obs: &mut ProxyObservation,
) -> bool {
    match step {
        ProxyStep::Send { from, frames } => {
            let large = frames.iter().any(|f| f.payload.len() > 1 << 20);
            send(
                ends,
                *from,
                frames.iter().map(to_frame).collect(),
                cfg,
                large,
            )
            .await;
            true
        }
        ProxyStep::SendCompressed {
            from,
            payload,
            fragments,
        } => {
            let agreed = match from {
                Side::Client => ends.deflate.0,
                Side::Backend => ends.deflate.1,
            };
            if agreed {
                send(
                    ends,
                    *from,
                    compressed(&payload.to_bytes(), *fragments),
                    cfg,
                    false,
                )
                .await;
            }
            true
        }
        ProxyStep::Close { from, code, reason } => {
            close(ends, *from, *code, reason, cfg).await;
            false
        }
        ProxyStep::Drop { from } => {
            ends.get(*from).drop_tcp();
            let start = Instant::now();
            let other = ends.get(from.other());
            other.wait_for(cfg.drop_wait, |t| t.ended).await;
            obs.drop_seen_after = since(start, other.ended_at());
            false
        }
        ProxyStep::Idle { keepalive } => idle(ends, *keepalive, cfg, obs).await,
        ProxyStep::Flood => flood(ends, cfg, obs).await,
        // Played on connections of its own (many::hold), never on a case's pair.
        ProxyStep::Concurrent => true,
    }
}

/// Counts what a side must have received once `sent` went through: data messages and
/// control frames.
fn counts(frames: &[ws_spec::intermediary::RelayedFrame]) -> (usize, usize) {
    let control = frames
        .iter()
        .filter(|f| matches!(f.opcode, Opcode::Ping | Opcode::Pong))
        .count();
    (messages(frames).len(), control)
}

async fn send(ends: &mut Ends, from: Side, frames: Vec<Frame>, cfg: &PlayConfig, large: bool) {
    let before = counts(&ends.get(from).trace().sent);
    // Counted before writing: a small message may arrive before the write returns.
    let base = counts(&ends.get(from.other()).trace().received);
    // The other side reads while this one writes, so a 16 MiB write cannot stall.
    ends.get(from).send(frames).await;
    let after = counts(&ends.get(from).trace().sent);
    let want = (after.0 - before.0, after.1 - before.1);
    let other = ends.get(from.other());
    let timeout = if large {
        cfg.step_timeout * 10
    } else {
        cfg.step_timeout
    };
    other
        .wait_for(timeout, |t| {
            let got = counts(&t.received);
            got.0 >= base.0 + want.0 && got.1 >= base.1 + want.1
        })
        .await;
}

async fn close(ends: &mut Ends, from: Side, code: Option<u16>, reason: &str, cfg: &PlayConfig) {
    ends.get(from)
        .send(vec![Frame::close(code, reason.as_bytes())])
        .await;
    let other = ends.get(from.other());
    other
        .wait_for(cfg.step_timeout, |t| has_close(&t.received))
        .await;
    // The other side answers with the code it received, as an endpoint does.
    if let Some(got) = close_code(&other.trace().received) {
        other.send(vec![Frame::close(got, b"")]).await;
    }
    ends.get(from)
        .wait_for(cfg.step_timeout, |t| has_close(&t.received))
        .await;
    ends.backend.shutdown().await;
    ends.client.wait_for(cfg.step_timeout, |t| t.ended).await;
}

async fn idle(
    ends: &mut Ends,
    keepalive: Option<Side>,
    cfg: &PlayConfig,
    obs: &mut ProxyObservation,
) -> bool {
    let start = Instant::now();
    let bound = cfg.idle_bound;
    let tick = bound / 4;
    let mut dropped = None;
    while start.elapsed() < bound {
        let left = bound.saturating_sub(start.elapsed()).min(tick);
        let ended = tokio::select! {
            _ = ends.client.wait_for(left, |t| t.ended) => ends.client.ended_at(),
            _ = ends.backend.wait_for(left, |t| t.ended) => ends.backend.ended_at(),
        };
        let ended = ended.or(ends.client.ended_at()).or(ends.backend.ended_at());
        if let Some(at) = ended {
            dropped = Some(at.saturating_duration_since(start));
            break;
        }
        if let (Some(side), true) = (keepalive, start.elapsed() < bound) {
            ends.get(side)
                .send(vec![Frame::ping(b"keepalive".to_vec())])
                .await;
        }
    }
    let mut through = false;
    if dropped.is_none() {
        send(
            ends,
            Side::Client,
            vec![to_frame(&ProxyFrame::new(
                Opcode::Text,
                "after the quiet time",
            ))],
            cfg,
            false,
        )
        .await;
        let want = ends
            .client
            .trace()
            .sent
            .iter()
            .filter(|f| f.opcode == Opcode::Text)
            .count();
        through = messages(&ends.backend.trace().received).len() >= want;
    }
    obs.idle = Some(IdleOutcome {
        bound,
        dropped_after: dropped,
        message_through: through,
    });
    dropped.is_none()
}

async fn flood(ends: &mut Ends, cfg: &PlayConfig, obs: &mut ProxyObservation) -> bool {
    ends.client.pause(true);
    let chunk = Frame::binary(vec![0x5a; 64 * 1024]).encode();
    let payload_per_frame = 64 * 1024u64;
    let mut written = 0u64;
    // A write that makes no progress for this long means the path pushes back.
    let stall = Duration::from_secs(1);
    while written < cfg.flood_bound {
        let Some(w) = ends.backend.writer() else {
            break;
        };
        match tokio::time::timeout(stall, w.write_all(&chunk)).await {
            Ok(Ok(())) => written += payload_per_frame,
            _ => break,
        }
    }
    ends.client.pause(false);
    // What is in flight drains at loopback speed once the client reads.
    let drain = cfg.step_timeout * 10;
    let deadline = Instant::now() + drain;
    while ends.client.data_received() < written && Instant::now() < deadline {
        ends.client
            .wait_for(Duration::from_millis(200), |_| false)
            .await;
    }
    // A write cut by the stall timeout may have left part of a frame behind.
    let delivered = ends.client.data_received().min(written);
    obs.flood = Some(FloodOutcome {
        bound: cfg.flood_bound,
        written,
        delivered,
    });
    // The backend's stream may hold half a frame now; the case ends here.
    ends.backend.drop_tcp();
    ends.client.drop_tcp();
    false
}
