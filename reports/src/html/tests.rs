//! Unit tests of [`super`]: they reach its private items.

use super::{close_payload_note, payload_text, Headings};

#[test]
fn close_payloads_are_decoded() {
    assert_eq!(
        close_payload_note("0x03e8").as_deref(),
        Some("close code 1000")
    );
    // 1008 "too many"
    assert_eq!(
        close_payload_note("0x03f0746f6f206d616e79").as_deref(),
        Some("close code 1008 \"too many\"")
    );
    assert_eq!(
        close_payload_note("").as_deref(),
        Some("close without a code")
    );
    assert_eq!(payload_text(1, "0x03e8"), "0x03e8");
    assert_eq!(payload_text(8, "0x03e8"), "0x03e8 (close code 1000)");
}

#[test]
fn headings_open_once_per_section_and_subsection() {
    let mut h = Headings::default();
    let seen: Vec<_> = ["1.1.1", "1.1.2", "1.2.1", "2.1", "2.2", "10.1.1"]
        .into_iter()
        .map(|id| h.enter(id))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("1"), Some("1.1")),
            (None, None),
            (None, Some("1.2")),
            // Two-level ids are their own subsection: no subsection heading.
            (Some("2"), None),
            (None, None),
            (Some("10"), Some("10.1")),
        ]
    );
}
