//! Section 5 of the catalogue: fragmentation.

use crate::build::{
    case, continuation, ev_pong, ev_text, ping, pong, text, CaseBuilder, Delivery, NORMAL,
    PROTOCOL_ERROR,
};
use crate::model::{Case, Event, FrameSpec, Level};

const SECTION: &str = "Fragmentation";

fn start(id: &str) -> CaseBuilder {
    case(id, SECTION, "")
}

fn send_all(mut b: CaseBuilder, frames: Vec<FrameSpec>, how: Delivery) -> CaseBuilder {
    for f in frames {
        b = b.frame_delivered(f, how);
    }
    b
}

/// The legal endings of 5.3–5.8 and 5.19/5.20: the last `frames`, the peer's `answers`
/// within a second, then a clean close from the suite with 1000.
fn answered(b: CaseBuilder, frames: Vec<FrameSpec>, how: Delivery, answers: Vec<Event>) -> Case {
    send_all(b, frames, how)
        .close_after(1_000)
        .ok(answers)
        .closed_by_me(&[NORMAL], true)
        .build()
}

/// The peer must fail the connection with 1002 (or drop TCP) and send nothing.
fn must_fail(b: CaseBuilder) -> CaseBuilder {
    b.kill_after(1_000).closed_by_peer(&[PROTOCOL_ERROR], false)
}

fn f(n: u8) -> Vec<u8> {
    format!("fragment{n}").into_bytes()
}

/// 5.1, 5.2: a control frame split in two.
fn fragmented_control(id: &str, kind: &str, first: FrameSpec) -> Case {
    must_fail(start(id))
        .desc(format!(
            "A {kind} split into two frames: a {kind} frame with FIN clear carrying \
             \"fragment1\", then a continuation frame with FIN set carrying \"fragment2\"."
        ))
        .expectation(
            "Control frames may never be fragmented, so the peer fails the connection at once \
             (1002 or TCP drop).",
        )
        .rfc("5.4", Level::Must)
        .rfc("5.5", Level::Must)
        .frame(first)
        .frame(continuation(f(2)))
        .ok(vec![])
        .build()
}

/// 5.3–5.5: a text message in two fragments.
fn two_fragments(id: &str, how: Delivery) -> Case {
    let b = start(id)
        .desc(format!(
            "A text message in two frames: text with FIN clear (\"fragment1\"), then a \
             continuation with FIN set (\"fragment2\").{}",
            how.sentence()
        ))
        .expectation(
            "The peer reassembles the fragments and echoes one text message \
             \"fragment1fragment2\"; the suite then closes cleanly with 1000.",
        )
        .rfc("5.4", Level::Must);
    answered(
        b,
        vec![text(f(1)).fin(false), continuation(f(2))],
        how,
        vec![ev_text(b"fragment1fragment2")],
    )
}

/// 5.6–5.8: a ping between the two fragments of a text message.
fn ping_between(id: &str, how: Delivery) -> Case {
    let b = start(id)
        .desc(format!(
            "A text message in two frames (\"fragment1\" with FIN clear, then a continuation \
             \"fragment2\"), with a ping carrying \"ping payload\" between them.{}",
            how.sentence()
        ))
        .expectation(
            "The peer handles the ping in the middle of the message: first a pong with \
             \"ping payload\", then the echo \"fragment1fragment2\"; then a clean close with 1000.",
        )
        .rfc("5.4", Level::Must)
        .rfc("5.5.2", Level::Must);
    answered(
        b,
        vec![
            text(f(1)).fin(false),
            ping(b"ping payload".as_slice()),
            continuation(f(2)),
        ],
        how,
        vec![ev_pong(b"ping payload"), ev_text(b"fragment1fragment2")],
    )
}

/// 5.9–5.14: a continuation frame that continues nothing, then a valid text message.
fn orphan_continuation(id: &str, fin: bool, how: Delivery) -> Case {
    let b = must_fail(start(id))
        .desc(format!(
            "A continuation frame with FIN {} carrying \"non-continuation payload\" while no \
             message is in progress, then an unfragmented text message \"Hello, world!\".{}",
            if fin { "set" } else { "clear" },
            how.sentence()
        ))
        .expectation(
            "There is no message to continue, so the peer fails the connection on the first \
             frame (1002 or TCP drop) and echoes nothing.",
        )
        .rfc("5.4", Level::Must);
    send_all(
        b,
        vec![
            continuation(b"non-continuation payload".as_slice()).fin(fin),
            text(b"Hello, world!".as_slice()),
        ],
        how,
    )
    .ok(vec![])
    .build()
}

/// 5.16, 5.17: twice over, an orphan continuation then a two-frame text message.
fn repeated_orphan(id: &str, fin: bool) -> Case {
    let mut b = must_fail(start(id))
        .desc(format!(
            "Twice in a row: a continuation frame with FIN {} (\"fragment1\") while no message \
             is in progress, then a text message in two frames (\"fragment2\" with FIN clear, \
             continuation \"fragment3\").",
            if fin { "set" } else { "clear" }
        ))
        .expectation(
            "The very first frame continues nothing, so the peer fails the connection there \
             (1002 or TCP drop) and echoes nothing.",
        )
        .rfc("5.4", Level::Must);
    for _ in 0..2 {
        b = b
            .frame(continuation(f(1)).fin(fin))
            .frame(text(f(2)).fin(false))
            .frame(continuation(f(3)));
    }
    b.ok(vec![]).build()
}

/// 5.19, 5.20: pings inside a fragmented message, with a pause in the middle.
fn pings_with_pause(id: &str, how: Delivery) -> Case {
    debug_assert!(how != Delivery::OctetWise);
    let mut desc = String::from(
        "A text message in five frames (\"fragment1\"..\"fragment5\"). After the first two \
         fragments comes a ping \"pongme 1!\"; the suite then waits one second before sending \
         fragments 3 and 4, a second ping \"pongme 2!\" and the final fragment. Every frame \
         is legal.",
    );
    if how == Delivery::FrameWise {
        desc.push_str(
            " Each frame is flushed to TCP on its own; the bytes are the same as in 5.19.",
        );
    }
    let b = start(id)
        .desc(desc)
        .expectation(
            "The peer answers the first ping during the pause, before the message is \
             complete, then the second ping, each pong echoing its ping exactly; then it \
             echoes the reassembled message \"fragment1fragment2fragment3fragment4fragment5\". \
             The suite then closes cleanly with 1000.",
        )
        .rfc("5.4", Level::Must)
        .rfc("5.5.2", Level::Must);
    let b = send_all(
        b,
        vec![
            text(f(1)).fin(false),
            continuation(f(2)).fin(false),
            ping(b"pongme 1!".as_slice()),
        ],
        how,
    )
    .pause(1_000, None);
    answered(
        b,
        vec![
            continuation(f(3)).fin(false),
            continuation(f(4)).fin(false),
            ping(b"pongme 2!".as_slice()),
            continuation(f(5)),
        ],
        how,
        vec![
            ev_pong(b"pongme 1!"),
            ev_pong(b"pongme 2!"),
            ev_text(b"fragment1fragment2fragment3fragment4fragment5"),
        ],
    )
}

/// The cases of section 5.
pub fn cases() -> Vec<Case> {
    use Delivery::{FrameWise, OctetWise, Together};
    vec![
        fragmented_control("5.1", "ping", ping(f(1)).fin(false)),
        fragmented_control("5.2", "pong", pong(f(1)).fin(false)),
        two_fragments("5.3", Together),
        two_fragments("5.4", FrameWise),
        two_fragments("5.5", OctetWise),
        ping_between("5.6", Together),
        ping_between("5.7", FrameWise),
        ping_between("5.8", OctetWise),
        orphan_continuation("5.9", true, Together),
        orphan_continuation("5.10", true, FrameWise),
        orphan_continuation("5.11", true, OctetWise),
        orphan_continuation("5.12", false, Together),
        orphan_continuation("5.13", false, FrameWise),
        orphan_continuation("5.14", false, OctetWise),
        must_fail(start("5.15"))
            .desc(
                "A text message in two frames (\"fragment1\", continuation \"fragment2\" with FIN \
                 set), then a continuation frame with FIN clear (\"fragment3\") while no message \
                 is in progress, then a text frame \"fragment4\". The frames are written back to back.",
            )
            .expectation(
                "The peer echoes \"fragment1fragment2\", then fails the connection (1002 or TCP \
                 drop) on the continuation that continues nothing. Failing before the echo went \
                 out is NON-STRICT.",
            )
            .rfc("5.4", Level::Must)
            .frame(text(f(1)).fin(false))
            .frame(continuation(f(2)))
            .frame(continuation(f(3)).fin(false))
            .frame(text(f(4)))
            .ok(vec![ev_text(b"fragment1fragment2")])
            .non_strict(vec![])
            .build(),
        repeated_orphan("5.16", false),
        repeated_orphan("5.17", true),
        must_fail(start("5.18"))
            .desc(
                "A text message in two frames where the second frame wrongly carries the text \
                 opcode instead of continuation: text \"fragment1\" with FIN clear, then text \
                 \"fragment2\" with FIN set. The frames are written back to back.",
            )
            .expectation(
                "A new data frame may not start while a message is still open (later fragments \
                 must have opcode 0), so the peer fails the connection (1002 or TCP drop) and \
                 echoes nothing.",
            )
            .rfc("5.4", Level::Must)
            .frame(text(f(1)).fin(false))
            .frame(text(f(2)))
            .ok(vec![])
            .build(),
        pings_with_pause("5.19", Together),
        pings_with_pause("5.20", FrameWise),
    ]
}
