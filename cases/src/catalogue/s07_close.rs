//! Section 7 of the catalogue: close handling (the suite starts the closing handshake).

use crate::build::{
    case, continuation, ev_text, opcode_frame, ping, repeat, text, CaseBuilder, INVALID_PAYLOAD,
    NORMAL, PROTOCOL_ERROR,
};
use crate::model::{Case, Level, VerdictRule};

const SECTION: &str = "Close Handling";

const BASIC: &str = "Basic close behavior (fuzzer initiated)";
const LENGTH: &str = "Close frame structure: payload length (fuzzer initiated)";
const VALUE: &str = "Close frame structure: payload value (fuzzer initiated)";
const VALID_CODES: &str = "Close frame structure: valid close codes (fuzzer initiated)";
const INVALID_CODES: &str = "Close frame structure: invalid close codes (fuzzer initiated)";
const UNDEFINED_CODES: &str = "Informational close information (fuzzer initiated)";

const HELLO: &[u8] = b"Hello World!";

/// Close codes a peer must accept, each with the RFC 6455 clause that defines it (7.7.x).
const VALID: [(u16, &str); 13] = [
    (1000, "7.4.1"),
    (1001, "7.4.1"),
    (1002, "7.4.1"),
    (1003, "7.4.1"),
    (1007, "7.4.1"),
    (1008, "7.4.1"),
    (1009, "7.4.1"),
    (1010, "7.4.1"),
    (1011, "7.4.1"),
    (3000, "7.4.2"),
    (3999, "7.4.2"),
    (4000, "7.4.2"),
    (4999, "7.4.2"),
];

/// Close codes that may not appear in a close frame, each with the clause that rules
/// them out (7.9.x): 0–999 are unused, 1004 is reserved, 1005/1006 must never be sent,
/// and the rest of 1000–2999 is held back for the protocol itself.
const INVALID: [(u16, &str); 9] = [
    (0, "7.4.2"),
    (999, "7.4.2"),
    (1004, "7.4.1"),
    (1005, "7.4.1"),
    (1006, "7.4.1"),
    (1016, "7.4.2"),
    (1100, "7.4.2"),
    (2000, "7.4.2"),
    (2999, "7.4.2"),
];

/// Codes beyond the range the RFC assigns at all (7.13.x).
const UNDEFINED: [u16; 2] = [5000, 65535];

/// A close reason that is not UTF-8: "κόσμε", an encoded UTF-16 surrogate (ED A0 80), "edited".
const BAD_REASON: &[u8] =
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";

/// Every case here ends with `killAfter(1)` and, except 7.1.6 and 7.13.x, turns a wrong
/// close code into a FAILED message verdict.
fn start(id: &str, subsection: &str) -> CaseBuilder {
    case(id, SECTION, subsection)
        .kill_after(1_000)
        .rule(VerdictRule::WrongCodeIsFatal)
}

/// The suite closes and a clean handshake with 1000 must follow.
fn clean_normal(b: CaseBuilder) -> CaseBuilder {
    b.ok(vec![]).closed_by_me(&[NORMAL], true)
}

fn basic() -> Vec<Case> {
    vec![
        start("7.1.1", BASIC)
            .desc("A text message \"Hello World!\"; once it is echoed the suite closes with 1000.")
            .expectation(
                "The peer echoes the message, answers the close with 1000 and the connection \
                 ends cleanly.",
            )
            .rfc("5.5.1", Level::Must)
            .frame(text(HELLO))
            .ok(vec![ev_text(HELLO)])
            .closed_by_me(&[NORMAL], true)
            .build(),
        clean_normal(start("7.1.2", BASIC))
            .desc("A close frame with 1000, immediately followed by a second, empty close frame.")
            .expectation(
                "The peer answers the first close with 1000, disregards the second one and the \
                 connection ends cleanly.",
            )
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .frame(opcode_frame(8, Vec::new()))
            .build(),
        clean_normal(start("7.1.3", BASIC))
            .desc("A close frame with 1000, immediately followed by an empty ping.")
            .expectation(
                "A ping that arrives after a close frame gets no pong; the peer answers the \
                 close with 1000 and the connection ends cleanly.",
            )
            .rfc("5.5.2", Level::Must)
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .frame(ping(Vec::new()))
            .build(),
        clean_normal(start("7.1.4", BASIC))
            .desc(
                "A close frame with 1000, immediately followed by a text message \"Hello World!\".",
            )
            .expectation(
                "The text that arrives after the close is not echoed; the peer answers the \
                 close with 1000 and the connection ends cleanly.",
            )
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .frame(text(HELLO))
            .build(),
        clean_normal(start("7.1.5", BASIC))
            .desc(
                "The first fragment of a text message (\"fragment1\", FIN clear), then a close \
                 frame with 1000, then the final continuation fragment (\"fragment2\").",
            )
            .expectation(
                "The message is never completed before the close, so nothing is echoed; the \
                 peer answers the close with 1000 and the connection ends cleanly.",
            )
            .rfc("5.5.1", Level::Must)
            .frame(text(b"fragment1".as_slice()).fin(false))
            .close(Some(NORMAL), b"")
            .frame(continuation(b"fragment2".as_slice()))
            .build(),
        start("7.1.6", BASIC)
            .rule(VerdictRule::Informational)
            .desc(
                "A 256 KiB text message (the pattern \"BAsd7&jh23\" repeated), a short text \
                 message \"Hello World!\", a close frame with 1000 and an empty ping, all back \
                 to back.",
            )
            .expectation(
                "The RFC leaves the order of these events to the peer, so both verdicts are \
                 INFORMATIONAL whatever happens. The outcome is labelled OK when exactly the \
                 short message comes back and NON-STRICT when nothing comes back (the close was \
                 handled before the messages, as an asynchronous design may do); as in \
                 Autobahn, neither list includes an echo of the 256 KiB message.",
            )
            .rfc("5.5.1", Level::May)
            .frame(text(repeat(b"BAsd7&jh23", 256 * 1024)))
            .frame(text(HELLO))
            .close(Some(NORMAL), b"")
            .frame(ping(Vec::new()))
            .ok(vec![ev_text(HELLO)])
            .non_strict(vec![])
            .closed_by_me(&[NORMAL], true)
            .build(),
    ]
}

fn payload_length() -> Vec<Case> {
    vec![
        clean_normal(start("7.3.1", LENGTH))
            .desc("A close frame with an empty body: no status code, no reason.")
            .expectation(
                "An empty close body is allowed; the peer answers the close and the connection \
                 ends cleanly (with 1000 if it sends a code at all).",
            )
            .rfc("5.5.1", Level::Must)
            .close(None, b"")
            .build(),
        start("7.3.2", LENGTH)
            .desc("A close frame whose body is the single byte \"a\": too short to hold a status code.")
            .expectation(
                "A non-empty close body must start with a two-byte code, so the peer answers \
                 with 1002 (protocol error) or drops TCP.",
            )
            .rfc("5.5.1", Level::Must)
            .close(None, b"a")
            .ok(vec![])
            .closed_by_me(&[PROTOCOL_ERROR], false)
            .build(),
        clean_normal(start("7.3.3", LENGTH))
            .desc("A close frame whose body is just the status code 1000 (two bytes).")
            .expectation("The peer answers with 1000 and the connection ends cleanly.")
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), b"")
            .build(),
        clean_normal(start("7.3.4", LENGTH))
            .desc("A close frame with status code 1000 and the reason \"Hello World!\".")
            .expectation("The peer answers with 1000 and the connection ends cleanly.")
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), HELLO)
            .build(),
        clean_normal(start("7.3.5", LENGTH))
            .desc(
                "A close frame with status code 1000 and a 123-byte reason of '*': a 125-byte \
                 body, the largest a control frame may carry.",
            )
            .expectation("The peer answers with 1000 and the connection ends cleanly.")
            .rfc("5.5", Level::Must)
            .rfc("5.5.1", Level::Must)
            .close(Some(NORMAL), &[b'*'; 123])
            .build(),
        start("7.3.6", LENGTH)
            .desc(
                "A close frame with status code 1000 and a 124-byte reason of '*': a 126-byte \
                 body, one byte over the control-frame limit.",
            )
            .expectation(
                "The frame is oversized, so the peer answers with 1002 (protocol error) or \
                 drops TCP.",
            )
            .rfc("5.5", Level::Must)
            .close(Some(NORMAL), &[b'*'; 124])
            .ok(vec![])
            .closed_by_me(&[PROTOCOL_ERROR], false)
            .build(),
    ]
}

fn payload_value() -> Case {
    start("7.5.1", VALUE)
        .desc(
            "A close frame with status code 1000 and a reason that is not UTF-8 (it contains \
             the encoded surrogate ED A0 80).",
        )
        .expectation(
            "The reason must be UTF-8, so the peer answers with 1002 (protocol error) or 1007 \
             (invalid payload), or drops TCP.",
        )
        .rfc("8.1", Level::Must)
        .rfc("5.5.1", Level::Must)
        .close(Some(NORMAL), BAD_REASON)
        .ok(vec![])
        .closed_by_me(&[PROTOCOL_ERROR, INVALID_PAYLOAD], false)
        .build()
}

/// Case `{prefix}.{n}` of a close-code family: a close frame whose body is only `code`;
/// no message comes back.
fn code_only(prefix: &str, n: usize, subsection: &str, code: u16) -> CaseBuilder {
    start(&format!("{prefix}.{n}"), subsection)
        .close(Some(code), b"")
        .ok(vec![])
}

fn valid_codes() -> impl Iterator<Item = Case> {
    VALID.iter().enumerate().map(|(i, &(code, clause))| {
        code_only("7.7", i + 1, VALID_CODES, code)
            .desc(format!(
                "A close frame whose body is only the valid status code {code}."
            ))
            .expectation(format!(
                "The peer accepts the code and answers with 1000 or with {code} echoed; the \
                 connection ends cleanly."
            ))
            .rfc(clause, Level::Must)
            .rfc("5.5.1", Level::Must)
            .closed_by_me(&[NORMAL, code], true)
            .build()
    })
}

fn invalid_codes() -> impl Iterator<Item = Case> {
    INVALID.iter().enumerate().map(|(i, &(code, clause))| {
        code_only("7.9", i + 1, INVALID_CODES, code)
            .desc(format!(
                "A close frame whose body is only the status code {code}, which may not be used \
                 in a close frame."
            ))
            .expectation(
                "The peer rejects the code: it answers with 1002 (protocol error) or drops TCP.",
            )
            .rfc(clause, Level::Must)
            .closed_by_me(&[PROTOCOL_ERROR], false)
            .build()
    })
}

fn undefined_codes() -> impl Iterator<Item = Case> {
    UNDEFINED.iter().enumerate().map(|(i, &code)| {
        code_only("7.13", i + 1, UNDEFINED_CODES, code)
            .rule(VerdictRule::Informational)
            .desc(format!(
                "A close frame whose body is only the status code {code}, outside every range \
                 the RFC assigns."
            ))
            .expectation(format!(
                "The RFC says nothing about such a code, so whatever the peer does is reported \
                 for information only (answers of 1000, {code} or 1002 are the usual ones)."
            ))
            .rfc("7.4.2", Level::May)
            .closed_by_me(&[NORMAL, code, PROTOCOL_ERROR], false)
            .build()
    })
}

/// The cases of section 7.
pub fn cases() -> Vec<Case> {
    let mut cases = basic();
    cases.extend(payload_length());
    cases.push(payload_value());
    cases.extend(valid_codes());
    cases.extend(invalid_codes());
    cases.extend(undefined_codes());
    cases
}
