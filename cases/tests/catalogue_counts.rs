//! The catalogue's shape matches Autobahn|Testsuite 25.10.1 case for case, so a wsconform
//! report lines up with an Autobahn one: same ids, same order, same count per subsection,
//! same titles, and a few exact byte-level spot checks.

use std::collections::HashSet;
use std::time::Duration;

use ws_cases::all_cases;
use ws_cases::model::{id_components, Case, Chop, Ending, Event, Payload, Step, VerdictRule};
use ws_spec::frame::Opcode;

/// Cases per subsection in Autobahn|Testsuite 25.10.1, from the `Cases` list of
/// `autobahntestsuite/case/__init__.py` with the generated families (`case6_x_x.py`,
/// `case7_7_X.py`, `case7_9_X.py`, `case9_7_X.py`) expanded; tabulated in
/// `/work/shared/research/autobahn-and-peers.md` §1.2. Sections 2, 3 and 5 have no
/// subsections, so their whole count sits under the section number.
const AUTOBAHN_COUNTS: &[(&str, usize)] = &[
    ("1.1", 8),
    ("1.2", 8),
    ("2", 11),
    ("3", 7),
    ("4.1", 5),
    ("4.2", 5),
    ("5", 20),
    ("6.1", 3),
    ("6.2", 4),
    ("6.3", 2),
    ("6.4", 4),
    ("6.5", 5),
    ("6.6", 11),
    ("6.7", 4),
    ("6.8", 2),
    ("6.9", 4),
    ("6.10", 3),
    ("6.11", 5),
    ("6.12", 8),
    ("6.13", 5),
    ("6.14", 10),
    ("6.15", 1),
    ("6.16", 3),
    ("6.17", 5),
    ("6.18", 5),
    ("6.19", 5),
    ("6.20", 7),
    ("6.21", 8),
    ("6.22", 34),
    ("6.23", 7),
    ("7.1", 6),
    ("7.3", 6),
    ("7.5", 1),
    ("7.7", 13),
    ("7.9", 9),
    ("7.13", 2),
    ("9.1", 6),
    ("9.2", 6),
    ("9.3", 9),
    ("9.4", 9),
    ("9.5", 6),
    ("9.6", 6),
    ("9.7", 6),
    ("9.8", 6),
    ("10.1", 1),
];

/// Section titles, from `CaseCategories` in the same file.
const SECTION_TITLES: &[(u32, &str)] = &[
    (1, "Framing"),
    (2, "Pings/Pongs"),
    (3, "Reserved Bits"),
    (4, "Opcodes"),
    (5, "Fragmentation"),
    (6, "UTF-8 Handling"),
    (7, "Close Handling"),
    (9, "Limits/Performance"),
    (10, "Misc"),
];

/// Subsection titles of the sections written from `CaseSubCategories` (section 6's are
/// checked by its own tests); "" where Autobahn has none.
const SUBSECTION_TITLES: &[(&str, &str)] = &[
    ("1.1", "Text Messages"),
    ("1.2", "Binary Messages"),
    ("2", ""),
    ("3", ""),
    ("4.1", "Non-control Opcodes"),
    ("4.2", "Control Opcodes"),
    ("5", ""),
    ("7.1", "Basic close behavior (fuzzer initiated)"),
    (
        "7.3",
        "Close frame structure: payload length (fuzzer initiated)",
    ),
    (
        "7.5",
        "Close frame structure: payload value (fuzzer initiated)",
    ),
    (
        "7.7",
        "Close frame structure: valid close codes (fuzzer initiated)",
    ),
    (
        "7.9",
        "Close frame structure: invalid close codes (fuzzer initiated)",
    ),
    ("7.13", "Informational close information (fuzzer initiated)"),
    ("9.1", "Text Message (increasing size)"),
    ("9.2", "Binary Message (increasing size)"),
    (
        "9.3",
        "Fragmented Text Message (fixed size, increasing fragment size)",
    ),
    (
        "9.4",
        "Fragmented Binary Message (fixed size, increasing fragment size)",
    ),
    ("9.5", "Text Message (fixed size, increasing chop size)"),
    (
        "9.6",
        "Binary Text Message (fixed size, increasing chop size)",
    ),
    (
        "9.7",
        "Text Message Roundtrip Time (fixed number, increasing size)",
    ),
    (
        "9.8",
        "Binary Message Roundtrip Time (fixed number, increasing size)",
    ),
    ("10.1", "Auto-Fragmentation"),
];

/// Sections 1–7, 9 and 10 of Autobahn: 16 + 11 + 7 + 10 + 20 + 145 + 37 + 54 + 1.
const AUTOBAHN_TOTAL_1_TO_10: usize = 301;

/// The part of that total outside section 6 (written separately).
const AUTOBAHN_TOTAL_WITHOUT_6: usize = 156;

fn autobahn_sections() -> Vec<Case> {
    all_cases()
        .into_iter()
        .filter(|c| (1..=10).contains(&c.id_components()[0]))
        .collect()
}

/// The subsection key of a case: the id without its last component ("6.4.3" -> "6.4",
/// "5.19" -> "5").
fn group_of(case: &Case) -> String {
    let parts: Vec<&str> = case.id.split('.').collect();
    parts[..parts.len() - 1].join(".")
}

fn find(id: &str) -> Case {
    all_cases()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("case {id} missing"))
}

fn count_in(group: &str) -> usize {
    autobahn_sections()
        .iter()
        .filter(|c| group_of(c) == group)
        .count()
}

#[test]
fn counts_per_subsection_match_autobahn() {
    let mut wrong = Vec::new();
    for &(group, expected) in AUTOBAHN_COUNTS {
        let got = count_in(group);
        if got != expected {
            wrong.push(format!("{group}: {got} cases, Autobahn has {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_case_outside_autobahns_subsections() {
    let known: HashSet<&str> = AUTOBAHN_COUNTS.iter().map(|&(g, _)| g).collect();
    for case in autobahn_sections() {
        assert!(
            known.contains(group_of(&case).as_str()),
            "case {} is in a subsection Autobahn does not have",
            case.id
        );
    }
}

#[test]
fn total_of_sections_1_to_10_is_301() {
    let table_total: usize = AUTOBAHN_COUNTS.iter().map(|&(_, n)| n).sum();
    assert_eq!(table_total, AUTOBAHN_TOTAL_1_TO_10);
    assert_eq!(autobahn_sections().len(), AUTOBAHN_TOTAL_1_TO_10);
}

#[test]
fn total_outside_section_6_is_156() {
    let n = autobahn_sections()
        .iter()
        .filter(|c| c.id_components()[0] != 6)
        .count();
    assert_eq!(n, AUTOBAHN_TOTAL_WITHOUT_6);
}

#[test]
fn ids_are_unique() {
    let cases = all_cases();
    let mut seen = HashSet::new();
    for c in &cases {
        assert!(seen.insert(c.id.clone()), "duplicate id {}", c.id);
    }
}

#[test]
fn ids_are_in_autobahns_numeric_order() {
    let cases = all_cases();
    for pair in cases.windows(2) {
        assert!(
            id_components(&pair[0].id) < id_components(&pair[1].id),
            "{} comes before {}",
            pair[0].id,
            pair[1].id
        );
    }
}

#[test]
fn section_and_subsection_titles_match_autobahn() {
    for case in autobahn_sections() {
        let major = case.id_components()[0];
        let title = SECTION_TITLES
            .iter()
            .find(|&&(n, _)| n == major)
            .map(|&(_, t)| t)
            .unwrap_or_else(|| panic!("no section title for {}", case.id));
        assert_eq!(case.section, title, "section title of {}", case.id);
        if let Some(&(_, sub)) = SUBSECTION_TITLES
            .iter()
            .find(|&&(g, _)| g == group_of(&case))
        {
            assert_eq!(case.subsection, sub, "subsection title of {}", case.id);
        }
    }
}

#[test]
fn every_case_is_documented_and_has_an_expectation() {
    for case in all_cases() {
        assert!(
            !case.description.trim().is_empty(),
            "{}: no description",
            case.id
        );
        assert!(
            !case.expectation_text.trim().is_empty(),
            "{}: no expectation text",
            case.id
        );
        assert!(!case.rfc.is_empty(), "{}: no RFC reference", case.id);
        // A handshake case that expects a refusal (or reports) ends at the response.
        let ends_at_handshake = case
            .handshake
            .as_ref()
            .is_some_and(|h| h.expect != ws_cases::model::HandshakeExpect::Accept);
        assert!(
            ends_at_handshake || !case.steps.is_empty(),
            "{}: no steps",
            case.id
        );
        let judged_by_rule = ends_at_handshake
            || matches!(
                case.expect.rule,
                VerdictRule::Echo { .. }
                    | VerdictRule::RoundTrips
                    | VerdictRule::CompressedEchoes
                    | VerdictRule::Measured(_)
            );
        assert!(
            judged_by_rule || !case.expect.outcomes.is_empty(),
            "{}: no expected outcome",
            case.id
        );
    }
}

// ---- spot checks of exact wire content -------------------------------------------------

fn only_frame(case: &Case) -> (&ws_cases::model::FrameSpec, Chop, bool) {
    assert_eq!(case.steps.len(), 1, "{} should send one step", case.id);
    match &case.steps[0] {
        Step::Frame { frame, chop, sync } => (frame, *chop, *sync),
        other => panic!("{}: expected a frame step, got {other:?}", case.id),
    }
}

/// The frames of a case that sends only frames, each with its chop.
fn frames(case: &Case) -> Vec<(&ws_cases::model::FrameSpec, Chop)> {
    case.steps
        .iter()
        .map(|s| match s {
            Step::Frame { frame, chop, .. } => (frame, *chop),
            other => panic!("{}: expected a frame step, got {other:?}", case.id),
        })
        .collect()
}

/// 1.1.8: RFC 6455 §5.2 64-bit length, the frame written in 997-byte chops.
#[test]
fn case_1_1_8_is_65536_stars_in_997_byte_chops() {
    let case = find("1.1.8");
    let (frame, chop, _) = only_frame(&case);
    assert_eq!(frame.opcode, Opcode::Text);
    assert!(frame.fin);
    assert_eq!(frame.rsv, 0);
    assert_eq!(frame.payload.to_bytes(), vec![b'*'; 65_536]);
    assert_eq!(chop, Chop::Every(997));
    assert_eq!(case.ending, Ending::KillAfter(Duration::from_secs(10)));
    assert_eq!(
        case.expect.outcomes[0].1,
        vec![Event::Message {
            payload: vec![b'*'; 65_536],
            binary: false
        }]
    );
}

/// 1.2.1..1.2.8 mirror 1.1.x with 0xFE-filled binary frames.
#[test]
fn section_1_2_lengths_are_the_length_encoding_boundaries() {
    let lengths: Vec<usize> = (1..=8)
        .map(|n| {
            let case = find(&format!("1.2.{n}"));
            let (frame, _, _) = only_frame(&case);
            assert_eq!(frame.opcode, Opcode::Binary);
            assert!(frame.payload.to_bytes().iter().all(|&b| b == 0xFE));
            frame.payload.len()
        })
        .collect();
    assert_eq!(lengths, [0, 125, 126, 127, 128, 65_535, 65_536, 65_536]);
}

/// 2.5: a ping over the RFC 6455 §5.5 control-frame limit must be failed by the peer.
#[test]
fn case_2_5_is_a_126_byte_ping_the_peer_must_fail() {
    let case = find("2.5");
    let (frame, chop, sync) = only_frame(&case);
    assert_eq!(frame.opcode, Opcode::Ping);
    assert_eq!(frame.payload, Payload::Bytes(vec![0xFE; 126]));
    assert_eq!((chop, sync), (Chop::Whole, false));
    assert!(!case.expect.close.closed_by_me);
    assert_eq!(case.expect.close.codes, vec![1002]);
    assert!(!case.expect.close.require_clean);
}

/// 2.10: ten pings "payload-0".."payload-9", ten pongs expected in order (RFC 6455 §5.5.2).
#[test]
fn case_2_10_sends_ten_pings_and_expects_ten_pongs() {
    let case = find("2.10");
    let sent: Vec<Vec<u8>> = frames(&case)
        .into_iter()
        .map(|(frame, _)| {
            assert_eq!(frame.opcode, Opcode::Ping);
            frame.payload.to_bytes()
        })
        .collect();
    let want: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("payload-{i}").into_bytes())
        .collect();
    assert_eq!(sent, want);
    let pongs: Vec<Event> = want.into_iter().map(Event::Pong).collect();
    assert_eq!(case.expect.outcomes, vec![(ws_cases::Behavior::Ok, pongs)]);
    assert_eq!(case.ending, Ending::CloseAfter(Duration::from_secs(3)));
}

/// 3.6: Autobahn calls it a ping but sends a binary frame with RSV = 6 (RFC 6455 §5.2).
#[test]
fn case_3_6_is_a_binary_frame_with_rsv_6() {
    let case = find("3.6");
    let (frame, _, _) = only_frame(&case);
    assert_eq!(frame.opcode, Opcode::Binary);
    assert_eq!(frame.rsv, 6);
    assert_eq!(frame.payload.to_bytes(), b"Hello, world!");
}

/// 4.2.5: reserved control opcode 15 (RFC 6455 §5.2), all three frames octet-wise.
#[test]
fn case_4_2_5_uses_opcode_15_octet_wise() {
    let case = find("4.2.5");
    let opcodes: Vec<(Opcode, Chop)> = frames(&case)
        .into_iter()
        .map(|(frame, chop)| (frame.opcode, chop))
        .collect();
    assert_eq!(
        opcodes,
        vec![
            (Opcode::Text, Chop::Every(1)),
            (Opcode::from_u4(15), Chop::Every(1)),
            (Opcode::Ping, Chop::Every(1)),
        ]
    );
    assert_eq!(case.expect.outcomes.len(), 2, "OK and NON-STRICT");
}

/// 5.19: RFC 6455 §5.4 control frames inside a fragmented message, with a 1 s pause.
#[test]
fn case_5_19_pauses_one_second_between_the_two_halves() {
    let case = find("5.19");
    assert_eq!(case.steps.len(), 8);
    assert_eq!(
        case.steps[3],
        Step::Pause {
            duration: Duration::from_secs(1),
            marker: None
        }
    );
    assert_eq!(case.ending, Ending::CloseAfter(Duration::from_secs(1)));
    let twin = find("5.20");
    let sync_flags: Vec<bool> = twin
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Frame { sync, .. } => Some(*sync),
            _ => None,
        })
        .collect();
    assert_eq!(sync_flags, vec![true; 7]);
}

/// 7.3.2: a one-byte close body, no code (RFC 6455 §5.5.1).
#[test]
fn case_7_3_2_sends_a_one_byte_close_body() {
    let case = find("7.3.2");
    assert_eq!(
        case.steps,
        vec![Step::Close {
            code: None,
            reason: b"a".to_vec()
        }]
    );
    assert_eq!(case.expect.close.codes, vec![1002]);
    assert_eq!(case.expect.rule, VerdictRule::WrongCodeIsFatal);
}

/// 7.7.x and 7.9.x use Autobahn's code lists (RFC 6455 §7.4.1, §7.4.2).
#[test]
fn close_code_families_use_autobahns_codes() {
    let code_of = |id: String| match &find(&id).steps[0] {
        Step::Close { code, reason } => {
            assert!(reason.is_empty());
            code.expect("a close code")
        }
        other => panic!("unexpected step {other:?}"),
    };
    let valid: Vec<u16> = (1..=13).map(|i| code_of(format!("7.7.{i}"))).collect();
    assert_eq!(
        valid,
        [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
    );
    let invalid: Vec<u16> = (1..=9).map(|i| code_of(format!("7.9.{i}"))).collect();
    assert_eq!(invalid, [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]);
    assert_eq!(find("7.7.10").expect.close.codes, vec![1000, 3000]);
    assert_eq!(find("7.13.2").expect.close.codes, vec![1000, 65535, 1002]);
    assert_eq!(find("7.13.2").expect.rule, VerdictRule::Informational);
}

/// 9.3.1: 4 MiB of '*' as a text message in 64-byte fragments (RFC 6455 §5.4, §10.4).
#[test]
fn case_9_3_1_fragments_4_mib_into_64_byte_frames() {
    let case = find("9.3.1");
    match &case.steps[..] {
        [Step::Message {
            opcode,
            payload,
            fragment,
        }] => {
            assert_eq!(*opcode, Opcode::Text);
            assert_eq!(*fragment, Some(64));
            assert_eq!(payload.len(), 4 << 20);
            assert_eq!(
                *payload,
                Payload::Repeat {
                    pattern: b"*".to_vec(),
                    len: 4 << 20
                }
            );
        }
        other => panic!("unexpected steps {other:?}"),
    }
    assert!(case.exclusive && case.report_time && case.quiet_wirelog);
    assert_eq!(case.ending, Ending::CloseAfter(Duration::from_secs(100)));
    assert!(matches!(
        case.expect.rule,
        VerdictRule::Echo { binary: false, ref payload } if payload.len() == 4 << 20
    ));
}

/// 9.7.x / 9.8.x: 1000 round trips of Autobahn's sizes and time limits.
#[test]
fn round_trip_cases_use_autobahns_sizes_and_limits() {
    for (sub, opcode) in [(7, Opcode::Text), (8, Opcode::Binary)] {
        let got: Vec<(usize, Ending)> = (1..=6)
            .map(|i| {
                let case = find(&format!("9.{sub}.{i}"));
                assert_eq!(case.expect.rule, VerdictRule::RoundTrips);
                match &case.steps[..] {
                    [Step::RoundTrips {
                        opcode: o,
                        payload,
                        count: 1000,
                    }] => {
                        assert_eq!(*o, opcode);
                        (payload.len(), case.ending)
                    }
                    other => panic!("unexpected steps {other:?}"),
                }
            })
            .collect();
        let secs = |s| Ending::CloseAfter(Duration::from_secs(s));
        assert_eq!(
            got,
            vec![
                (0, secs(60)),
                (16, secs(60)),
                (64, secs(60)),
                (256, secs(120)),
                (1024, secs(240)),
                (4096, secs(480)),
            ]
        );
    }
}

/// 10.1.1: RFC 6455 §5.4, the suite's own auto-fragmentation at 1300 bytes.
#[test]
fn case_10_1_1_auto_fragments_at_1300() {
    let case = find("10.1.1");
    assert_eq!(
        case.steps,
        vec![Step::Message {
            opcode: Opcode::Text,
            payload: Payload::Repeat {
                pattern: b"*".to_vec(),
                len: 65_536
            },
            fragment: Some(1300),
        }]
    );
    assert_eq!(
        case.expect.rule,
        VerdictRule::AutoFragment {
            fragment: 1300,
            len: 65_536
        }
    );
}

// ---- sections 15 and 16 (wsconform's own) ------------------------------------------------

/// Cases per subsection of the sections wsconform adds for limits (15) and the
/// closing handshake (16).
const OWN_COUNTS: &[(&str, usize)] = &[
    ("15.1", 3),
    ("15.2", 2),
    ("15.3", 2),
    ("16.1", 4),
    ("16.2", 13),
    ("16.3", 1),
];

/// Each subsection of `counts` has its count of cases, and `sections` have no case
/// outside those subsections.
fn assert_counts(counts: &[(&str, usize)], sections: &[u32]) {
    let cases = all_cases();
    for &(group, expected) in counts {
        let got = cases.iter().filter(|c| group_of(c) == group).count();
        assert_eq!(got, expected, "{group}");
    }
    let total: usize = counts.iter().map(|&(_, n)| n).sum();
    let in_sections = cases
        .iter()
        .filter(|c| sections.contains(&c.id_components()[0]))
        .count();
    assert_eq!(in_sections, total, "{sections:?}");
}

#[test]
fn sections_15_and_16_have_their_cases() {
    assert_counts(OWN_COUNTS, &[15, 16]);
}

/// Section 15 is aggressive by design: opt-in, and nothing else is.
#[test]
fn only_section_15_is_opt_in() {
    for c in all_cases() {
        assert_eq!(c.opt_in, c.id_components()[0] == 15, "{}", c.id);
    }
}

/// Every case of sections 15 and 16 says how long it may wait, in its description
/// (the bounds the issue asks for); measured waits are within the hard case timeout.
#[test]
fn sections_15_and_16_state_their_bounds() {
    for c in all_cases()
        .into_iter()
        .filter(|c| matches!(c.id_components()[0], 15 | 16))
    {
        assert!(
            states_seconds(&c.description),
            "{}: no time bound in {:?}",
            c.id,
            c.description
        );
        if let VerdictRule::Measured(m) = &c.expect.rule {
            assert!(m.wait() < Duration::from_secs(60), "{}", c.id);
        }
    }
}

/// True when `text` names a number of seconds ("2 s", "30 s").
fn states_seconds(text: &str) -> bool {
    let b = text.as_bytes();
    (1..b.len().saturating_sub(1)).any(|i| {
        b[i - 1].is_ascii_digit()
            && &b[i..i + 2] == b" s"
            && b.get(i + 2).is_none_or(|c| !c.is_ascii_alphabetic())
    })
}

// ---- sections 12, 13 (Autobahn's compression) and 17 (wsconform's own) ------------------

/// Autobahn's 12.1–12.5 and 13.1–13.7 have 18 cases each (`case/__init__.py`: five
/// data sets, seven parameter sets, one row per message size), and section 17's
/// subsections their own counts.
const COMPRESSION_COUNTS: &[(&str, usize)] = &[
    ("12.1", 18),
    ("12.2", 18),
    ("12.3", 18),
    ("12.4", 18),
    ("12.5", 18),
    ("13.1", 18),
    ("13.2", 18),
    ("13.3", 18),
    ("13.4", 18),
    ("13.5", 18),
    ("13.6", 18),
    ("13.7", 18),
    ("17.1", 11),
    ("17.2", 2),
    ("17.3", 6),
    ("17.4", 10),
    ("17.5", 4),
    ("17.6", 1),
];

#[test]
fn compression_sections_have_their_cases() {
    assert_counts(COMPRESSION_COUNTS, &[12, 13, 17]);
}

/// RFC 7692 §7: every 17.1 case offers permessage-deflate in a form the server must
/// decline, and cites the requirement as a MUST.
#[test]
fn section_17_1_offers_must_be_declined() {
    use ws_cases::model::{HandshakeExpect, Level, RequestEdit};
    for c in all_cases().into_iter().filter(|c| group_of(c) == "17.1") {
        let h = c.handshake.as_ref().expect("a handshake case");
        assert_eq!(h.expect, HandshakeExpect::Decline("permessage-deflate"));
        assert!(matches!(
            h.edits[..],
            [RequestEdit::Set("Sec-WebSocket-Extensions", offer)] if offer.starts_with("permessage-deflate;")
        ));
        assert!(c
            .rfc
            .iter()
            .all(|r| r.rfc == 7692 && r.level == Level::Must));
    }
}

/// 17.6.1 (RFC 6455 §10.4): the bomb is about 1 MiB on the wire in three frames and
/// reports what the peer did rather than judging it.
#[test]
fn case_17_6_1_is_a_one_mib_bomb_that_reports() {
    let case = find("17.6.1");
    let sizes: Vec<(u8, usize)> = frames(&case)
        .into_iter()
        .map(|(frame, _)| (frame.rsv, frame.payload.len()))
        .collect();
    assert_eq!(sizes.len(), 3);
    assert_eq!(sizes[0].0, 0b100, "RSV1 on the first frame only");
    assert!(sizes[1..].iter().all(|&(rsv, _)| rsv == 0));
    let wire: usize = sizes.iter().map(|&(_, n)| n).sum();
    assert!((1 << 20..(1 << 20) + 64).contains(&wire), "{wire}");
    assert_eq!(case.expect.rule, VerdictRule::Report);
    assert!(case.deflate.is_some());
}

#[test]
fn every_cited_clause_says_what_it_requires() {
    // A report shows the sentence beside the verdict: no case may cite a
    // clause whose requirement ws-spec's table lacks.
    let mut missing: Vec<String> = ws_cases::all_cases()
        .iter()
        .flat_map(|c| c.rfc.iter().map(move |r| (c.id.clone(), r.clone())))
        .filter(|(_, r)| r.requirement().is_none())
        .map(|(id, r)| format!("{id}: {r}"))
        .collect();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "clauses without a requirement:\n{}",
        missing.join("\n")
    );
    let case = ws_cases::all_cases()
        .into_iter()
        .find(|c| c.id == "1.1.1")
        .expect("case 1.1.1");
    assert!(
        case.rfc_requirements().contains("): "),
        "{}",
        case.rfc_requirements()
    );
}
