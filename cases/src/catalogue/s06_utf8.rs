//! Section 6 of the catalogue: UTF-8 handling of text messages.
//!
//! A text message must be valid UTF-8 as a whole (RFC 6455 §5.6), and an endpoint that finds
//! it is not must fail the connection (§8.1, §7.1.7), with 1007 (§7.4.1). Fragments may split
//! code points, so validity is a property of the message, not of each frame.

// The table lives beside this file, not in a `s06_utf8/` directory.
#[path = "utf8_vectors.rs"]
mod utf8_vectors;

use ws_spec::frame::Opcode;

use crate::build::{
    case, continuation, ev_text, ev_timeout, text, CaseBuilder, INVALID_PAYLOAD, NORMAL,
};
use crate::model::{Case, Level, Payload, Step};

use utf8_vectors::KUHN;

/// Section title, as Autobahn names it.
const SECTION: &str = "UTF-8 Handling";

const SUB_EMPTY: &str = "Valid UTF-8 with zero payload fragments";
const SUB_VALID: &str =
    "Valid UTF-8 unfragmented, fragmented on code-points and within code-points";
const SUB_INVALID: &str = "Invalid UTF-8 differently fragmented";
const SUB_FAIL_FAST: &str = "Fail-fast on invalid UTF-8";

/// Latin-1 letters in UTF-8, 2 octets each, between ASCII.
const HELLO: &str = "Hello-µ@ßöäüàá-UTF-8!!";
/// `HELLO` cut between two code points.
const HELLO_HEAD: &str = "Hello-µ@ßöä";
const HELLO_TAIL: &str = "üàá-UTF-8!!";
/// "κόσμε": Greek, with a 3-octet code point among 2-octet ones.
const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
/// The UTF-8 form of U+D800, a surrogate, which UTF-8 must not encode.
const SURROGATE: &[u8] = b"\xed\xa0\x80";
/// The 4-octet UTF-8 pattern for 0x110000, one past the last code point: its second octet
/// (0x90) is where a validator must stop.
const BEYOND_MAX: &[u8] = b"\xf4\x90\x80\x80";
const EDITED: &[u8] = b"edited";

/// Autobahn's 6.1–6.3 end 1 s after the last send; its 6.5–6.23 after 0.5 s.
const SETTLE_MS: u64 = 1000;
const KUHN_SETTLE_MS: u64 = 500;
/// The pauses of 6.4.x, after which a fail-fast peer has already closed.
const PAUSE_MS: u64 = 1000;

/// The cases of section 6.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::with_capacity(145);
    cases.extend(empty_fragments());
    cases.extend(valid_fragmented());
    cases.extend(invalid_fragmented());
    cases.extend(fail_fast());
    cases.extend(kuhn_cases());
    cases
}

/// Lower-case hex, as the descriptions show payloads.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One text message, auto-fragmented when `fragment` is set.
fn text_message(payload: &[u8], fragment: Option<usize>) -> Step {
    Step::Message {
        opcode: Opcode::Text,
        payload: Payload::Bytes(payload.to_vec()),
        fragment,
    }
}

/// A valid text message must come back unchanged, and the suite then closes normally.
fn expect_echo(b: CaseBuilder, payload: &[u8]) -> CaseBuilder {
    b.rfc("5.6", Level::Must)
        .expectation("The peer echoes the text message unchanged.")
        .ok(vec![ev_text(payload)])
        .closed_by_me(&[NORMAL], true)
}

/// An invalid text message must never be delivered, and the peer must fail the connection.
/// The outcomes are left to the caller: 6.4.x expects timeouts before the failure.
fn expect_1007(b: CaseBuilder) -> CaseBuilder {
    b.rfc("8.1", Level::Must)
        .rfc("7.1.7", Level::Must)
        .closed_by_peer(&[INVALID_PAYLOAD], false)
        .wrong_endpoint_is_fatal()
}

/// 6.1: empty payloads, alone and as fragments around a non-empty one.
fn empty_fragments() -> Vec<Case> {
    let sub = |n: u32| case(&format!("6.1.{n}"), SECTION, SUB_EMPTY);
    vec![
        expect_echo(sub(1), b"")
            .desc("Send a text message with an empty payload, in one frame.")
            .expectation("The peer echoes a text message with an empty payload.")
            .frame(text(""))
            .close_after(SETTLE_MS)
            .build(),
        three_frames(
            sub(2),
            "",
            "Send a text message as three frames (text, continuation, continuation), \
             all three with an empty payload.",
            "The peer echoes one text message with an empty payload.",
        ),
        three_frames(
            sub(3),
            "middle frame payload",
            "Send a text message as three frames: an empty text frame, a continuation \
             frame carrying \"middle frame payload\", and an empty final continuation frame.",
            "The peer echoes one text message whose payload is that of the middle frame.",
        ),
    ]
}

/// 6.1.2, 6.1.3: a text message in three frames, empty but for the middle one's
/// `middle`, which is what comes back.
fn three_frames(b: CaseBuilder, middle: &str, desc: &str, expectation: &str) -> Case {
    expect_echo(b, middle.as_bytes())
        .rfc("5.4", Level::Must)
        .desc(desc)
        .expectation(expectation)
        .frame(text("").fin(false))
        .frame(continuation(middle).fin(false))
        .frame(continuation(""))
        .close_after(SETTLE_MS)
        .build()
}

/// 6.2: valid text whole, split between code points, and split inside them.
fn valid_fragmented() -> Vec<Case> {
    let sub = |n: u32| case(&format!("6.2.{n}"), SECTION, SUB_VALID);
    let hello = HELLO.as_bytes();
    vec![
        expect_echo(sub(1), hello)
            .desc(format!(
                "Send a valid UTF-8 text message in one frame. Payload: \"{HELLO}\" (0x{}).",
                hex(hello)
            ))
            .step(text_message(hello, None))
            .close_after(SETTLE_MS)
            .build(),
        expect_echo(sub(2), hello)
            .rfc("5.4", Level::Must)
            .desc(format!(
                "Send a valid UTF-8 text message as two frames split between two code points. \
                 Frame 1: \"{HELLO_HEAD}\" (0x{}). Frame 2: \"{HELLO_TAIL}\" (0x{}).",
                hex(HELLO_HEAD.as_bytes()),
                hex(HELLO_TAIL.as_bytes())
            ))
            .frame(text(HELLO_HEAD).fin(false))
            .frame(continuation(HELLO_TAIL))
            .close_after(SETTLE_MS)
            .build(),
        expect_echo(sub(3), hello)
            .rfc("5.4", Level::Must)
            .desc(format!(
                "Send a valid UTF-8 text message in frames of one octet each, so every \
                 2-octet code point is split across two frames. Payload: \"{HELLO}\" (0x{}).",
                hex(hello)
            ))
            .step(text_message(hello, Some(1)))
            .close_after(SETTLE_MS)
            .build(),
        expect_echo(sub(4), KOSME)
            .rfc("5.4", Level::Must)
            .desc(format!(
                "Send a valid UTF-8 text message in frames of one octet each, so every code \
                 point, one of them 3 octets long, is split across frames. \
                 Payload: \"κόσμε\" (0x{}).",
                hex(KOSME)
            ))
            .step(text_message(KOSME, Some(1)))
            .close_after(SETTLE_MS)
            .build(),
    ]
}

/// 6.3: a payload made invalid by an encoded surrogate, whole and in 1-octet frames.
fn invalid_fragmented() -> Vec<Case> {
    let sub = |n: u32| case(&format!("6.3.{n}"), SECTION, SUB_INVALID);
    let payload = [KOSME, SURROGATE, EDITED].concat();
    let expectation = "The peer fails the connection with close code 1007, because the \
                       payload is not valid UTF-8, and delivers no message.";
    vec![
        expect_1007(sub(1))
            .ok(vec![])
            .desc(format!(
                "Send a text message in one frame whose payload is not valid UTF-8: valid \
                 text, then the UTF-8 form of the surrogate U+D800, then more valid text. \
                 Payload: 0x{}.",
                hex(&payload)
            ))
            .expectation(expectation)
            .step(text_message(&payload, None))
            .kill_after(SETTLE_MS)
            .build(),
        expect_1007(sub(2))
            .ok(vec![])
            .rfc("5.4", Level::Must)
            .desc(format!(
                "Send the same invalid text message as 6.3.1 in frames of one octet each. \
                 Payload: 0x{}.",
                hex(&payload)
            ))
            .expectation(expectation)
            .step(text_message(&payload, Some(1)))
            .kill_after(SETTLE_MS)
            .build(),
    ]
}

/// 6.4: the payload turns invalid in the second of three parts, with a pause before and after
/// it. A fail-fast peer closes within the second pause; one that waits for the whole message
/// still conforms to the MUST of §8.1, and Autobahn grades it NON-STRICT.
fn fail_fast() -> Vec<Case> {
    let whole = [KOSME, BEYOND_MAX, EDITED].concat();
    // 6.4.1/6.4.3 cut around the out-of-range sequence; 6.4.2/6.4.4 cut so that the middle
    // part is only the octet that makes the payload invalid.
    let by_sequence = [KOSME.to_vec(), BEYOND_MAX.to_vec(), EDITED.to_vec()];
    let at = KOSME.len() + 1;
    let by_octet = [
        whole[..at].to_vec(),
        whole[at..at + 1].to_vec(),
        whole[at + 1..].to_vec(),
    ];
    let parts_text = |p: &[Vec<u8>; 3]| {
        format!(
            "Part 1: 0x{}. Part 2: 0x{}. Part 3: 0x{}.",
            hex(&p[0]),
            hex(&p[1]),
            hex(&p[2])
        )
    };
    let sub = |n: u32| {
        expect_1007(case(&format!("6.4.{n}"), SECTION, SUB_FAIL_FAST))
            .rfc("8.1", Level::Should)
            .ok(vec![ev_timeout("A")])
            .non_strict(vec![ev_timeout("A"), ev_timeout("B")])
            .kill_after(SETTLE_MS)
    };
    let in_frames = |b: CaseBuilder, p: &[Vec<u8>; 3]| {
        b.rfc("5.4", Level::Must)
            .expectation(
                "The peer accepts the first frame and is still open after the first pause. \
                 It should fail the connection with 1007 as soon as the second frame \
                 arrives, before the second pause ends; failing only after the whole message \
                 is NON-STRICT. It never delivers the message.",
            )
            .frame(text(p[0].clone()).fin(false))
            .pause(PAUSE_MS, Some("A"))
            .frame(continuation(p[1].clone()).fin(false))
            .pause(PAUSE_MS, Some("B"))
            .frame(continuation(p[2].clone()))
    };
    // As `like`, but one text frame written in three pieces.
    let in_pieces = |b: CaseBuilder, p: &[Vec<u8>; 3], like: &str| {
        b.desc(format!(
            "As {like}, but the three parts are the payload of one text frame of {} \
             octets, written in three pieces with the 1 s pauses between them. {}",
            whole.len(),
            parts_text(p)
        ))
        .expectation(
            "The peer accepts the first piece and is still open after the first pause. It \
             should fail the connection with 1007 as soon as the second piece arrives, before \
             the second pause ends, without waiting for the end of the frame; failing only \
             after the whole frame is NON-STRICT. It never delivers the message.",
        )
        .step(Step::FrameHeader {
            opcode: Opcode::Text,
            fin: true,
            len: p.iter().map(|part| part.len() as u64).sum(),
        })
        .step(Step::FrameData(p[0].clone()))
        .pause(PAUSE_MS, Some("A"))
        .step(Step::FrameData(p[1].clone()))
        .pause(PAUSE_MS, Some("B"))
        .step(Step::FrameData(p[2].clone()))
    };
    vec![
        in_frames(sub(1), &by_sequence)
            .desc(format!(
                "Send an invalid text message as three frames, pausing 1 s after the first \
                 and after the second. Parts 1 and 3 are valid UTF-8 by themselves; part 2 is \
                 the 4-octet UTF-8 pattern for 0x110000, past the last Unicode code point, so \
                 the message turns invalid at the second octet of part 2. {}",
                parts_text(&by_sequence)
            ))
            .build(),
        in_frames(sub(2), &by_octet)
            .desc(format!(
                "As 6.4.1, but the frames are cut so that part 2 is exactly the one octet that \
                 makes the message invalid (part 1 ends with the lead octet 0xf4). {}",
                parts_text(&by_octet)
            ))
            .build(),
        in_pieces(sub(3), &by_sequence, "6.4.1").build(),
        in_pieces(sub(4), &by_octet, "6.4.2").build(),
    ]
}

/// 6.5–6.23: one unfragmented text message per stress-test payload.
fn kuhn_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for &(sub, title, vectors) in KUHN {
        for (n, &(bytes, valid)) in (1..).zip(vectors) {
            let b = case(&format!("6.{sub}.{n}"), SECTION, title);
            let b = if valid {
                expect_echo(b, bytes).desc(format!(
                    "Send a text message whose payload is valid UTF-8, in one frame. \
                     Payload: 0x{}.",
                    hex(bytes)
                ))
            } else {
                expect_1007(b)
                    .ok(vec![])
                    .desc(format!(
                        "Send a text message whose payload is not valid UTF-8, in one frame. \
                         Payload: 0x{}.",
                        hex(bytes)
                    ))
                    .expectation(
                        "The peer fails the connection with close code 1007 and delivers \
                         no message.",
                    )
            };
            cases.push(
                b.step(text_message(bytes, None))
                    .kill_after(KUHN_SETTLE_MS)
                    .build(),
            );
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{Behavior, Ending, Event};

    /// The subsection of an id like "6.12.3": "6.12".
    fn subsection_of(id: &str) -> String {
        id.rsplit_once('.').expect("three-part id").0.to_string()
    }

    /// Every octet of text payload the script sends, in order.
    fn sent_text(case: &Case) -> Vec<u8> {
        let mut out = Vec::new();
        for step in &case.steps {
            match step {
                Step::Frame { frame, .. } => {
                    assert!(
                        matches!(frame.opcode, Opcode::Text | Opcode::Continuation),
                        "{}: section 6 sends only text data",
                        case.id
                    );
                    out.extend(frame.payload.to_bytes());
                }
                Step::Message {
                    opcode, payload, ..
                } => {
                    assert_eq!(*opcode, Opcode::Text, "{}", case.id);
                    out.extend(payload.to_bytes());
                }
                Step::FrameData(piece) => out.extend(piece),
                _ => {}
            }
        }
        out
    }

    fn markers(case: &Case) -> Vec<&'static str> {
        case.steps
            .iter()
            .filter_map(|s| match s {
                Step::Pause { marker, .. } => *marker,
                _ => None,
            })
            .collect()
    }

    #[test]
    fn section6_counts_per_subsection_match_autobahn() {
        let expected: [(u32, usize); 23] = [
            (1, 3),
            (2, 4),
            (3, 2),
            (4, 4),
            (5, 5),
            (6, 11),
            (7, 4),
            (8, 2),
            (9, 4),
            (10, 3),
            (11, 5),
            (12, 8),
            (13, 5),
            (14, 10),
            (15, 1),
            (16, 3),
            (17, 5),
            (18, 5),
            (19, 5),
            (20, 7),
            (21, 8),
            (22, 34),
            (23, 7),
        ];
        let all = cases();
        assert_eq!(all.len(), 145);
        let mut i = 0;
        for (sub, count) in expected {
            for n in 1..=count {
                assert_eq!(all[i].id, format!("6.{sub}.{n}"), "case order");
                i += 1;
            }
        }
        assert_eq!(i, all.len());
    }

    #[test]
    fn section6_titles_and_texts() {
        let all = cases();
        let title_of = |sub: &str| {
            all.iter()
                .find(|c| subsection_of(&c.id) == sub)
                .map(|c| c.subsection.clone())
                .unwrap()
        };
        assert_eq!(title_of("6.1"), SUB_EMPTY);
        assert_eq!(title_of("6.4"), SUB_FAIL_FAST);
        assert_eq!(title_of("6.13"), "Lonely start characters");
        assert_eq!(title_of("6.23"), "Unicode specials (i.e. replacement char)");
        for c in &all {
            assert_eq!(c.section, "UTF-8 Handling");
            assert_eq!(title_of(&subsection_of(&c.id)), c.subsection, "{}", c.id);
            assert!(!c.description.is_empty(), "{}", c.id);
            assert!(!c.expectation_text.is_empty(), "{}", c.id);
            assert!(!c.rfc.is_empty(), "{}", c.id);
        }
    }

    /// RFC 6455 §5.6 / §8.1, checked differentially: whatever the script sends, the case
    /// expects an echo exactly when `std::str::from_utf8` accepts the whole text payload, and
    /// a 1007 failure by the peer otherwise.
    #[test]
    fn rfc8_1_expectation_follows_from_utf8_for_every_case() {
        for c in cases() {
            let sent = sent_text(&c);
            let close = &c.expect.close;
            if std::str::from_utf8(&sent).is_ok() {
                assert_eq!(
                    c.expect.outcomes,
                    vec![(Behavior::Ok, vec![ev_text(&sent)])],
                    "{}",
                    c.id
                );
                assert!(close.closed_by_me && close.require_clean, "{}", c.id);
                assert_eq!(close.codes, vec![NORMAL], "{}", c.id);
                assert!(!close.wrong_endpoint_is_fatal, "{}", c.id);
                assert!(c.rfc.iter().any(|r| r.section == "5.6"), "{}", c.id);
            } else {
                assert_eq!(c.expect.outcomes[0].0, Behavior::Ok, "{}", c.id);
                assert!(
                    c.expect
                        .outcomes
                        .iter()
                        .all(|(_, evs)| evs.iter().all(|e| matches!(e, Event::Timeout(_)))),
                    "{}: an invalid message must never be expected back",
                    c.id
                );
                assert!(!close.closed_by_me && !close.require_clean, "{}", c.id);
                assert_eq!(close.codes, vec![INVALID_PAYLOAD], "{}", c.id);
                assert!(close.wrong_endpoint_is_fatal, "{}", c.id);
                assert!(
                    c.rfc
                        .iter()
                        .any(|r| r.section == "8.1" && r.level == Level::Must),
                    "{}",
                    c.id
                );
            }
        }
    }

    /// The table's flags agree with `std::str::from_utf8`, and each vector is sent as one
    /// unfragmented text message ending with Autobahn's 0.5 s kill.
    #[test]
    fn rfc8_1_kuhn_table_flags_agree_with_from_utf8() {
        let all = cases();
        let mut checked = 0;
        for &(sub, _, vectors) in KUHN {
            for (n, &(bytes, valid)) in (1..).zip(vectors) {
                assert_eq!(
                    std::str::from_utf8(bytes).is_ok(),
                    valid,
                    "6.{sub}.{n}: 0x{}",
                    hex(bytes)
                );
                let c = all.iter().find(|c| c.id == format!("6.{sub}.{n}")).unwrap();
                assert_eq!(c.steps, vec![text_message(bytes, None)]);
                assert_eq!(c.ending, Ending::KillAfter(Duration::from_millis(500)));
                assert!(c.description.ends_with(&format!("0x{}.", hex(bytes))));
                assert_eq!(c.expect.close.closed_by_me, valid);
                checked += 1;
            }
        }
        assert_eq!(checked, 145 - 13);
    }

    #[test]
    fn kuhn_prefixes_are_the_prefixes_of_kosme() {
        let (_, _, prefixes) = KUHN.iter().find(|s| s.0 == 6).unwrap();
        assert_eq!(prefixes.len(), KOSME.len());
        for (i, (bytes, _)) in prefixes.iter().enumerate() {
            assert_eq!(*bytes, &KOSME[..=i]);
        }
        let (_, _, some_valid) = KUHN.iter().find(|s| s.0 == 5).unwrap();
        assert_eq!(some_valid.last().unwrap().0, KOSME);
    }

    /// RFC 6455 §8.1 fail-fast: the first part alone can still begin valid text, and the
    /// message is provably broken once the second part is added, so a streaming validator can
    /// fail during the second pause.
    #[test]
    fn rfc8_1_fail_fast_cases_turn_invalid_in_part_two() {
        for c in cases().iter().filter(|c| subsection_of(&c.id) == "6.4") {
            assert_eq!(
                c.expect.outcomes,
                vec![
                    (Behavior::Ok, vec![ev_timeout("A")]),
                    (Behavior::NonStrict, vec![ev_timeout("A"), ev_timeout("B")]),
                ],
                "{}",
                c.id
            );
            assert_eq!(markers(c), vec!["A", "B"], "{}", c.id);
            assert_eq!(c.ending, Ending::KillAfter(Duration::from_secs(1)));
            assert!(c.rfc.iter().any(|r| r.level == Level::Should), "{}", c.id);

            // The parts, split at the pauses.
            let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
            for step in &c.steps {
                match step {
                    Step::Pause { duration, .. } => {
                        assert_eq!(*duration, Duration::from_secs(1));
                        parts.push(Vec::new());
                    }
                    Step::Frame { frame, .. } => {
                        parts.last_mut().unwrap().extend(frame.payload.to_bytes())
                    }
                    Step::FrameData(piece) => parts.last_mut().unwrap().extend(piece),
                    _ => {}
                }
            }
            assert_eq!(parts.len(), 3, "{}", c.id);
            let first = std::str::from_utf8(&parts[0]);
            assert!(
                first.is_ok() || first.unwrap_err().error_len().is_none(),
                "{}: part 1 must be a valid beginning",
                c.id
            );
            let two = [parts[0].clone(), parts[1].clone()].concat();
            assert!(
                std::str::from_utf8(&two).unwrap_err().error_len().is_some(),
                "{}: parts 1+2 must be definitely invalid",
                c.id
            );
            assert_eq!(sent_text(c), [KOSME, BEYOND_MAX, EDITED].concat());
        }
    }

    #[test]
    fn fail_fast_frames_and_pieces() {
        let all = cases();
        let get = |id: &str| all.iter().find(|c| c.id == id).unwrap();
        for id in ["6.4.1", "6.4.2"] {
            let frames: Vec<_> = get(id)
                .steps
                .iter()
                .filter_map(|s| match s {
                    Step::Frame { frame, .. } => Some((frame.opcode, frame.fin)),
                    _ => None,
                })
                .collect();
            assert_eq!(
                frames,
                vec![
                    (Opcode::Text, false),
                    (Opcode::Continuation, false),
                    (Opcode::Continuation, true)
                ],
                "{id}"
            );
        }
        // 6.4.2/6.4.4 put exactly the offending octet 0x90 alone in part 2.
        for id in ["6.4.2", "6.4.4"] {
            assert!(get(id).steps.iter().any(|s| matches!(
                s,
                Step::Frame { frame, .. } if frame.payload.to_bytes() == [0x90]
            ) || *s == Step::FrameData(vec![0x90])));
        }
        for id in ["6.4.3", "6.4.4"] {
            let c = get(id);
            let Step::FrameHeader { opcode, fin, len } = &c.steps[0] else {
                panic!("{id} starts with a frame header");
            };
            assert_eq!((*opcode, *fin), (Opcode::Text, true));
            let data: usize = c
                .steps
                .iter()
                .map(|s| match s {
                    Step::FrameData(p) => p.len(),
                    _ => 0,
                })
                .sum();
            assert_eq!(*len as usize, data, "{id}: announced length = pieces");
            assert!(!c.steps.iter().any(|s| matches!(s, Step::Frame { .. })));
        }
    }

    #[test]
    fn early_cases_fragment_and_end_as_autobahn() {
        let all = cases();
        let get = |id: &str| all.iter().find(|c| c.id == id).unwrap();
        for id in [
            "6.1.1", "6.1.2", "6.1.3", "6.2.1", "6.2.2", "6.2.3", "6.2.4",
        ] {
            assert_eq!(get(id).ending, Ending::CloseAfter(Duration::from_secs(1)));
        }
        for id in ["6.3.1", "6.3.2"] {
            assert_eq!(get(id).ending, Ending::KillAfter(Duration::from_secs(1)));
        }
        let fragment = |id: &str| match &get(id).steps[..] {
            [Step::Message { fragment, .. }] => *fragment,
            other => panic!("{id}: {other:?}"),
        };
        assert_eq!(fragment("6.2.1"), None);
        assert_eq!(fragment("6.2.3"), Some(1));
        assert_eq!(fragment("6.2.4"), Some(1));
        assert_eq!(fragment("6.3.1"), None);
        assert_eq!(fragment("6.3.2"), Some(1));
        assert_eq!(get("6.1.2").steps.len(), 3);
        assert_eq!(get("6.1.3").steps.len(), 3);
        assert_eq!(get("6.2.2").steps.len(), 2);
        // 6.2.2 splits on a code point boundary: each frame is valid by itself.
        for s in &get("6.2.2").steps {
            let Step::Frame { frame, .. } = s else {
                panic!("6.2.2 sends frames")
            };
            assert!(std::str::from_utf8(&frame.payload.to_bytes()).is_ok());
        }
    }
}
