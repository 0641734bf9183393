//! Property tests of the frame codec (RFC 6455 §5.2): decoding does not
//! depend on how the stream is cut, and encoding then decoding keeps every
//! header field.

mod split;

use proptest::prelude::*;
use split::{chunks, cuts};
use ws_spec::frame::{
    DecodeEvent, DecoderConfig, Frame, FrameDecoder, FrameError, FrameErrorKind, LengthForm, Opcode,
};

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        20 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => (65_530usize..65_545).prop_map(|n| vec![0xA5; n]),
    ]
}

fn length_form() -> impl Strategy<Value = LengthForm> {
    prop_oneof![
        Just(LengthForm::Minimal),
        Just(LengthForm::Extended16),
        Just(LengthForm::Extended64),
    ]
}

/// A frame whose declared length matches its payload, any header bits.
fn honest_frame() -> impl Strategy<Value = Frame> {
    (
        any::<bool>(),
        0u8..8,
        0u8..16,
        proptest::option::of(any::<[u8; 4]>()),
        length_form(),
        payload(),
    )
        .prop_map(|(fin, rsv, op, mask, form, payload)| {
            Frame::new(Opcode::from_u4(op), payload)
                .with_fin(fin)
                .with_rsv(rsv)
                .with_mask(mask)
                .with_length_form(form)
        })
}

/// Pieces of a byte stream: honest frames, frames that lie about their
/// length (including 64-bit lengths with the top bit set), and raw junk.
fn stream_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => honest_frame().prop_map(|f| f.encode()),
        2 => (honest_frame(), prop_oneof![0u64..300, any::<u64>()])
            .prop_map(|(f, len)| f.with_payload_len(len).encode()),
        1 => proptest::collection::vec(any::<u8>(), 0..20),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(stream_piece(), 0..8).prop_map(|v| v.concat())
}

fn max_payload() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(u64::MAX),
        Just(DecoderConfig::default().max_frame_payload),
        0u64..300,
    ]
}

/// What a decoder said about a whole stream: frames, then at most one error,
/// the final offset and the end-of-stream verdict.
#[derive(Debug, PartialEq)]
struct FrameLog {
    frames: Vec<Frame>,
    error: Option<FrameError>,
    offset: u64,
    finish: Result<(), FrameError>,
}

fn frames_in_pieces(pieces: &[&[u8]], max: u64) -> FrameLog {
    let mut d = FrameDecoder::new(DecoderConfig {
        max_frame_payload: max,
    });
    let mut frames = Vec::new();
    let mut error = None;
    'outer: for piece in pieces {
        d.push(piece);
        loop {
            match d.next_frame() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'outer;
                }
            }
        }
    }
    if let Some(e) = &error {
        // Sticky: the same error again, even after more input.
        d.push(b"\x81\x00");
        assert_eq!(d.next_frame().as_ref(), Err(e));
        assert_eq!(d.next_event().as_ref(), Err(e));
    }
    FrameLog {
        frames,
        error,
        offset: d.offset(),
        finish: d.finish(),
    }
}

/// Events with adjacent payload pieces merged (piece boundaries follow the
/// pushes; everything else must not).
fn events_in_pieces(pieces: &[&[u8]], max: u64) -> (Vec<DecodeEvent>, Option<FrameError>) {
    let mut d = FrameDecoder::new(DecoderConfig {
        max_frame_payload: max,
    });
    let mut events: Vec<DecodeEvent> = Vec::new();
    for piece in pieces {
        d.push(piece);
        loop {
            match d.next_event() {
                Ok(Some(DecodeEvent::Payload(p))) => {
                    assert!(!p.is_empty(), "payload events are never empty");
                    if let Some(DecodeEvent::Payload(prev)) = events.last_mut() {
                        prev.extend_from_slice(&p);
                    } else {
                        events.push(DecodeEvent::Payload(p));
                    }
                }
                Ok(Some(ev)) => events.push(ev),
                Ok(None) => break,
                Err(e) => return (events, Some(e)),
            }
        }
    }
    (events, None)
}

/// What the decoder must report for a frame encoded with `form`: the form
/// on the wire, called `Minimal` when it is the smallest that fits.
fn expected_decoded_form(form: LengthForm, len: u64) -> LengthForm {
    match form {
        LengthForm::Minimal => LengthForm::Minimal,
        LengthForm::Extended16 if len <= 125 => LengthForm::Extended16,
        LengthForm::Extended16 => LengthForm::Minimal,
        LengthForm::Extended64 if len <= 65535 => LengthForm::Extended64,
        LengthForm::Extended64 => LengthForm::Minimal,
    }
}

/// RFC 6455 §5.2 lengths at the form boundaries, in every form.
#[test]
fn rfc6455_5_2_length_forms_round_trip() {
    for len in [0u64, 1, 125, 126, 127, 65535, 65536] {
        for form in [
            LengthForm::Minimal,
            LengthForm::Extended16,
            LengthForm::Extended64,
        ] {
            let f = Frame::binary(vec![7u8; len as usize]).with_length_form(form);
            let wire = f.encode();
            let expected_form = expected_decoded_form(form, len);
            let header_len = match (form, len) {
                (LengthForm::Minimal, 0..=125) => 2,
                (LengthForm::Minimal | LengthForm::Extended16, 0..=65535) => 4,
                _ => 10,
            };
            assert_eq!(wire.len() as u64, header_len + len, "{form:?} {len}");
            let log = frames_in_pieces(&[&wire], 1 << 20);
            assert_eq!(log.error, None);
            let frames = log.frames;
            assert_eq!(
                frames[0].header.length_form, expected_form,
                "{form:?} {len}"
            );
            assert_eq!(frames[0].payload.len() as u64, len);
        }
    }
}

/// The frames a run of decode events describes: each a header, its payload pieces,
/// then its end.
fn frames_of_events(events: Vec<DecodeEvent>) -> Result<Vec<Frame>, TestCaseError> {
    let mut frames = Vec::new();
    let mut current: Option<Frame> = None;
    for ev in events {
        match ev {
            DecodeEvent::Header(h) => {
                prop_assert!(current.is_none());
                current = Some(Frame {
                    header: h,
                    payload: Vec::new(),
                });
            }
            DecodeEvent::Payload(p) => current.as_mut().unwrap().payload.extend(p),
            DecodeEvent::FrameEnd => frames.push(current.take().unwrap()),
        }
    }
    Ok(frames)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any split of a stream of random (valid and invalid) frames, down to
    /// one byte at a time, gives exactly the frames and error of one whole read,
    /// and exactly its events, which describe the same frames and error.
    #[test]
    fn any_split_gives_same_frames_events_and_errors(
        bytes in stream(),
        cuts in cuts(),
        max in max_payload(),
    ) {
        let pieces = chunks(&bytes, &cuts);
        let whole = frames_in_pieces(&[&bytes], max);
        prop_assert_eq!(&whole, &frames_in_pieces(&pieces, max));
        for f in &whole.frames {
            prop_assert!(f.header.payload_len <= max);
            prop_assert_eq!(f.payload.len() as u64, f.header.payload_len);
        }
        match &whole.error {
            Some(FrameError { kind: FrameErrorKind::PayloadTooLarge { len, max: m }, .. }) => {
                prop_assert!(*len > max && *m == max);
            }
            Some(FrameError { kind: FrameErrorKind::LengthTopBitSet, offset }) => {
                // RFC 6455 §5.2: the offset points at the offending byte.
                prop_assert!(bytes[*offset as usize] & 0x80 != 0);
                prop_assert_eq!(bytes[*offset as usize - 1] & 0x7F, 127);
            }
            _ => {}
        }
        if whole.error.is_none() && whole.finish.is_ok() {
            prop_assert_eq!(whole.offset, bytes.len() as u64);
        }

        let events = events_in_pieces(&[&bytes], max);
        prop_assert_eq!(&events, &events_in_pieces(&pieces, max));
        let (events, error) = events;
        prop_assert_eq!(frames_of_events(events)?, whole.frames);
        prop_assert_eq!(error, whole.error);
    }

    /// RFC 6455 §5.2: encode then decode keeps fin, rsv, opcode, mask,
    /// payload length (and payload) and reports the length form on the wire.
    #[test]
    fn encode_decode_round_trip(frames in proptest::collection::vec(honest_frame(), 0..6), cuts in cuts()) {
        let bytes: Vec<u8> = frames.iter().flat_map(|f| f.encode()).collect();
        let log = frames_in_pieces(&chunks(&bytes, &cuts), u64::MAX);
        let expected: Vec<Frame> = frames
            .into_iter()
            .map(|mut f| {
                f.header.length_form = expected_decoded_form(f.header.length_form, f.header.payload_len);
                f
            })
            .collect();
        prop_assert_eq!(log.frames, expected);
        prop_assert_eq!(log.error, None);
        prop_assert_eq!(log.finish, Ok(()));
        prop_assert_eq!(log.offset, bytes.len() as u64);
    }

    /// encoded_len is what encode_into writes, for any header values.
    #[test]
    fn encoded_len_matches(f in honest_frame(), len in any::<u64>()) {
        let f = f.with_payload_len(len);
        let mut out = Vec::new();
        f.header.encode_into(&mut out);
        prop_assert_eq!(out.len(), f.header.encoded_len());
    }
}
