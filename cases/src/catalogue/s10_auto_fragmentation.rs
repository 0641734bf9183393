//! Section 10 of the catalogue: miscellaneous (auto-fragmentation).

use ws_spec::frame::Opcode;

use crate::build::{case, ev_text, repeat, NORMAL};
use crate::model::{Case, Level, Step, VerdictRule};

const SECTION: &str = "Misc";

/// 10.1.1: message length and the largest frame payload the suite's own sender uses.
const LEN: usize = 65_536;
const FRAGMENT: usize = 1300;

/// The cases of section 10.
pub fn cases() -> Vec<Case> {
    vec![case("10.1.1", SECTION, "Auto-Fragmentation")
        .desc(format!(
            "One text message of {LEN} '*' bytes, which the suite's sender splits by itself \
             into frames of at most {FRAGMENT} bytes (a text frame and continuations)."
        ))
        .expectation(format!(
            "The peer reassembles the frames and echoes the whole {LEN}-byte message; the suite \
             also checks that its own sender put out what the fragment size implies: one text \
             frame and {} continuation frames, the last one shorter. Then a clean close with 1000.",
            LEN / FRAGMENT
        ))
        .rfc("5.4", Level::Must)
        .step(Step::Message {
            opcode: Opcode::Text,
            payload: repeat(b"*", LEN),
            fragment: Some(FRAGMENT),
        })
        .kill_after(10_000)
        .ok(vec![ev_text(vec![b'*'; LEN])])
        .closed_by_me(&[NORMAL], true)
        .rule(VerdictRule::AutoFragment {
            fragment: FRAGMENT,
            len: LEN,
        })
        .build()]
}
