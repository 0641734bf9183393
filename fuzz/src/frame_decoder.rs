//! `frame_decoder`: the incremental decoder gives the same events, frames and
//! errors whether the stream arrives whole or in pieces, never panics, and
//! never allocates in proportion to a length a header announces.
//!
//! Input: [`crate::split`] layout, no configuration bytes; target flag bit 0
//! selects the 125-byte limit ([`SMALL_MAX`]) instead of [`LARGE_MAX`].

use ws_spec::frame::{
    DecodeEvent, DecoderConfig, Frame, FrameDecoder, FrameError, FrameErrorKind, FrameHeader,
};

use crate::alloc_track::tracked;
use crate::split::SplitInput;

/// The default limit of this target: 1 MiB, far above any fuzz input, so
/// announced lengths up to it are accepted and must not be preallocated.
pub const LARGE_MAX: u64 = 1 << 20;
/// The small limit, so that 7-bit and 16-bit lengths can exceed it too.
pub const SMALL_MAX: u64 = 125;

/// Allocation slack on top of twice the input (a `Vec` at most doubles).
const ALLOC_SLACK: usize = 256;

/// Decoder events with consecutive payload pieces joined, since how the
/// payload is cut follows the pushes (documented on `FrameDecoder`).
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Header(FrameHeader),
    Payload(Vec<u8>),
    End,
}

/// Everything observable after feeding a whole stream.
#[derive(Debug, PartialEq, Eq)]
struct Transcript<T> {
    items: Vec<T>,
    error: Option<FrameError>,
    finish: Result<(), FrameError>,
    offset: u64,
    buffered: usize,
}

/// Feeds `pieces`, draining with `step` after each push. After the first
/// error every further call must return it again (the decoder is sticky).
fn drive<T>(
    pieces: &[&[u8]],
    max: u64,
    peak: &mut usize,
    mut step: impl FnMut(&mut FrameDecoder, &mut usize) -> Result<Option<T>, FrameError>,
    mut keep: impl FnMut(&mut Vec<T>, T),
) -> Transcript<T> {
    let mut d = FrameDecoder::new(DecoderConfig {
        max_frame_payload: max,
    });
    let mut items = Vec::new();
    let mut error: Option<FrameError> = None;
    for piece in pieces {
        tracked(peak, || d.push(piece));
        loop {
            match step(&mut d, peak) {
                Ok(Some(item)) => {
                    assert!(error.is_none(), "decoder produced output after an error");
                    keep(&mut items, item);
                }
                Ok(None) => {
                    assert!(error.is_none(), "decoder forgot its error");
                    break;
                }
                Err(e) => {
                    if let Some(first) = &error {
                        assert_eq!(&e, first, "errors are sticky");
                    }
                    error = Some(e);
                    break;
                }
            }
        }
    }
    Transcript {
        items,
        error,
        finish: d.finish(),
        offset: d.offset(),
        buffered: d.buffered(),
    }
}

fn events(pieces: &[&[u8]], max: u64, peak: &mut usize) -> Transcript<Item> {
    drive(
        pieces,
        max,
        peak,
        |d, peak| {
            tracked(peak, || d.next_event()).map(|ev| {
                ev.map(|ev| match ev {
                    DecodeEvent::Header(h) => Item::Header(h),
                    DecodeEvent::Payload(p) => {
                        assert!(!p.is_empty(), "payload events are never empty");
                        Item::Payload(p)
                    }
                    DecodeEvent::FrameEnd => Item::End,
                })
            })
        },
        |items, item| match (items.last_mut(), item) {
            (Some(Item::Payload(prev)), Item::Payload(p)) => prev.extend_from_slice(&p),
            (_, item) => items.push(item),
        },
    )
}

fn frames(pieces: &[&[u8]], max: u64, peak: &mut usize) -> Transcript<Frame> {
    drive(
        pieces,
        max,
        peak,
        |d, peak| tracked(peak, || d.next_frame()),
        |items, f| items.push(f),
    )
}

/// The frames an event transcript describes (complete frames only).
fn frames_of(items: &[Item]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut current: Option<Frame> = None;
    for item in items {
        match item {
            Item::Header(h) => {
                assert!(current.is_none(), "header inside a frame");
                current = Some(Frame {
                    header: h.clone(),
                    payload: Vec::new(),
                });
            }
            Item::Payload(p) => current
                .as_mut()
                .expect("payload outside a frame")
                .payload
                .extend_from_slice(p),
            Item::End => {
                let f = current.take().expect("frame end outside a frame");
                assert_eq!(f.payload.len() as u64, f.header.payload_len);
                out.push(f);
            }
        }
    }
    if let Some(f) = current {
        assert!((f.payload.len() as u64) < f.header.payload_len);
    }
    out
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let input = SplitInput::parse(data, 0);
    let max = if input.target_flags() & 1 != 0 {
        SMALL_MAX
    } else {
        LARGE_MAX
    };
    let stream = input.stream;
    let whole_pieces = [stream];
    let split_pieces = input.pieces();
    let mut peak = 0;

    let whole = events(&whole_pieces, max, &mut peak);
    let split = events(&split_pieces, max, &mut peak);
    assert_eq!(whole, split, "events depend on how the stream was cut");
    let whole_frames = frames(&whole_pieces, max, &mut peak);
    let split_frames = frames(&split_pieces, max, &mut peak);
    assert_eq!(
        whole_frames, split_frames,
        "frames depend on how the stream was cut"
    );

    // Both APIs see the same frames, errors and stream position.
    assert_eq!(frames_of(&whole.items), whole_frames.items);
    assert_eq!(whole.error, whole_frames.error);
    assert_eq!(whole.finish, whole_frames.finish);
    assert_eq!(whole.offset, whole_frames.offset);
    assert_eq!(whole.offset + whole.buffered as u64, stream.len() as u64);

    // The header model keeps every bit: re-encoding the decoded frames gives
    // back the bytes they came from.
    let mut reencoded = Vec::new();
    for f in &whole_frames.items {
        f.encode_into(&mut reencoded);
    }
    assert_eq!(
        &stream[..reencoded.len()],
        &reencoded[..],
        "decode then encode changed the bytes"
    );

    match &whole.error {
        Some(e) => {
            assert_eq!(whole.finish.as_ref(), Err(e));
            let at = usize::try_from(e.offset).expect("offset within the input");
            assert!(at < stream.len());
            match e.kind {
                FrameErrorKind::LengthTopBitSet => assert!(stream[at] & 0x80 != 0),
                FrameErrorKind::PayloadTooLarge { len, max: m } => {
                    assert_eq!(m, max);
                    assert!(len > max);
                }
                FrameErrorKind::Truncated => panic!("Truncated is only for finish()"),
            }
        }
        None => {
            // finish() is clean exactly when the stream ends on a frame boundary.
            let clean = reencoded.len() == stream.len();
            match &whole.finish {
                Ok(()) => assert!(clean, "finish() accepted a partial frame"),
                Err(e) => {
                    assert!(!clean, "finish() refused a complete stream: {e}");
                    assert_eq!(e.kind, FrameErrorKind::Truncated);
                    assert_eq!(e.offset, stream.len() as u64);
                }
            }
        }
    }

    // Never sized by an announced length: at most about twice what came in
    // (so below LARGE_MAX for any input under 512 KiB).
    let bound = 2 * stream.len() + ALLOC_SLACK;
    assert!(
        peak <= bound,
        "decoder made a {peak}-byte allocation for a {}-byte stream",
        stream.len()
    );
}
