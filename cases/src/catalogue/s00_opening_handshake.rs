//! Section 0: the opening handshake (RFC 6455 §4), which Autobahn|Testsuite never shipped.
//!
//! Each case sends one variation of the opening request. Valid variations must
//! be accepted and then echo a message; invalid ones must be refused with an
//! HTTP client error; where the RFC leaves the choice open, what the server did
//! is reported. The requirement level a case cites sets its verdict: MUST →
//! FAILED, SHOULD → NON-STRICT, MAY → INFORMATIONAL.

use crate::build::{case, ev_text, text, CaseBuilder, NORMAL};
use crate::model::{
    Case, Chop, HandshakeCase, HandshakeExpect, Level, RequestEdit as E, ResponseCase,
    ResponseEdit as R, ResponseExpect,
};
use crate::run::Role;

const SECTION: &str = "Opening Handshake";
const MESSAGE: &str = "Hello, wsconform!";

/// A valid variation: accepted, then one message echoed and a normal close.
fn accepted(id: &str, sub: &str, desc: &str, edits: Vec<E>) -> CaseBuilder {
    accepted_with(id, sub, desc, edits, Chop::Whole, false)
}

fn accepted_with(
    id: &str,
    sub: &str,
    desc: &str,
    edits: Vec<E>,
    chop: Chop,
    script_with_request: bool,
) -> CaseBuilder {
    case(id, SECTION, sub)
        .desc(desc)
        .expectation(
            "The server accepts the request with a valid 101 response, echoes the text message, \
             and completes a clean close with 1000.",
        )
        .handshake(HandshakeCase {
            chop,
            script_with_request,
            ..HandshakeCase::new(edits, HandshakeExpect::Accept)
        })
        .frame(text(MESSAGE))
        .ok(vec![ev_text(MESSAGE)])
        .closed_by_me(&[NORMAL], true)
        .kill_after(1000)
}

/// An invalid request: no 101, an HTTP client error instead.
fn refused(id: &str, desc: &str, edits: Vec<E>, status: Option<u16>) -> CaseBuilder {
    refused_with(id, desc, edits, status, None)
}

/// A request that is not a WebSocket handshake at all: anything but 101 is right.
fn not_upgraded(id: &str, desc: &str, edits: Vec<E>) -> CaseBuilder {
    case(id, SECTION, "Invalid requests must be refused")
        .desc(desc)
        .expectation(
            "The server does not upgrade the connection: any answer but 101 (a plain HTTP page \
             is fine, since the request is not a WebSocket handshake).",
        )
        .handshake(HandshakeCase::new(edits, HandshakeExpect::NotUpgraded))
        .closed_by_me(&[NORMAL], false)
        .kill_after(1000)
}

fn refused_with(
    id: &str,
    desc: &str,
    edits: Vec<E>,
    status: Option<u16>,
    header: Option<(&'static str, &'static str)>,
) -> CaseBuilder {
    // 505 (HTTP Version Not Supported) fits a request in an old HTTP version as well as 400.
    let edits_http10 = edits.iter().any(|e| matches!(e, E::Version(_)));
    case(id, SECTION, "Invalid requests must be refused")
        .desc(desc)
        .expectation(match status {
            Some(s) => format!("The server refuses the request with {s}, never with 101."),
            None => {
                "The server refuses the request with an HTTP client error (4xx), never with 101."
                    .to_string()
            }
        })
        .handshake(HandshakeCase::new(
            edits,
            HandshakeExpect::Refuse {
                status,
                also: if edits_http10 { &[505] } else { &[] },
                header,
            },
        ))
        .closed_by_me(&[NORMAL], false)
        .kill_after(1000)
}

/// Left open by the RFC: reported.
fn reported(id: &str, desc: &str, expectation: &str, hs: HandshakeCase) -> CaseBuilder {
    case(id, SECTION, "Robustness and policy (informational)")
        .desc(desc)
        .expectation(expectation)
        .handshake(hs)
        .closed_by_me(&[NORMAL], false)
        .kill_after(3000)
}

/// A valid variation of the response (suite as server): the client must open the
/// connection, echo a message and close cleanly.
fn client_accepts(id: &str, desc: &str, edits: Vec<R>, chop: Chop, with_script: bool) -> Case {
    let mut b = case(id, SECTION, "Valid responses must be accepted (client)");
    if !with_script {
        // The message follows the response apart, so that only 0.5.5 tests a client
        // that loses the bytes behind the handshake.
        b = b.pause(100, None);
    }
    b.desc(desc)
        .expectation(
            "The client accepts the response, echoes the text message, and completes a clean \
             close with 1000.",
        )
        .only_role(Role::Server)
        .response(ResponseCase {
            edits,
            chop,
            script_with_response: with_script,
            expect: ResponseExpect::Accept,
        })
        .frame(text(MESSAGE))
        .ok(vec![ev_text(MESSAGE)])
        .closed_by_me(&[NORMAL], true)
        .kill_after(1000)
        .rfc("4.1", Level::Must)
        .build()
}

/// An invalid response (suite as server): the client must fail the connection
/// (RFC 6455 §4.1) and never echo the message written behind the response.
fn client_fails(id: &str, desc: &str, edits: Vec<R>) -> CaseBuilder {
    case(
        id,
        SECTION,
        "Invalid responses must fail the connection (client)",
    )
    .desc(format!(
        "{desc} The suite writes a text message right behind the response."
    ))
    .expectation(
        "The client fails the WebSocket connection: it closes TCP (a Close frame first is \
             tolerated) without echoing the message, within 5 s.",
    )
    .only_role(Role::Server)
    .response(ResponseCase {
        edits,
        chop: Chop::Whole,
        script_with_response: true,
        expect: ResponseExpect::Fail,
    })
    .frame(text(MESSAGE))
    // Nothing may come back: the connection never opened.
    .ok(Vec::new())
    .closed_by_me(&[NORMAL], false)
    .kill_after(5000)
    .rfc("4.1", Level::Must)
}

/// Section 0's client-side cases: the suite as server varies its 101 response.
fn client_cases() -> Vec<Case> {
    let mut cases = responses_to_accept();
    cases.extend(responses_to_fail());
    cases
}

/// 0.5: valid responses, written in ways a client must still accept: id, what the
/// response is, how it differs from the reference 101, how it is written, whether the
/// first frame shares its write.
const RESPONSES_TO_ACCEPT: &[(&str, &str, &[R], Chop, bool)] = &[
    (
        "0.5.1",
        "Answer with every header name in lower case.",
        &[
            R::Rename("Upgrade", "upgrade"),
            R::Rename("Connection", "connection"),
            R::Rename("Sec-WebSocket-Accept", "sec-websocket-accept"),
        ],
        Chop::Whole,
        false,
    ),
    (
        "0.5.2",
        "Answer `Upgrade: WEBSOCKET` and `Connection: UPGRADE` (values are case-insensitive).",
        &[
            R::Set("Upgrade", "WEBSOCKET"),
            R::Set("Connection", "UPGRADE"),
        ],
        Chop::Whole,
        false,
    ),
    (
        "0.5.3",
        "Answer `Connection: keep-alive, Upgrade` (the token list contains Upgrade).",
        &[R::Set("Connection", "keep-alive, Upgrade")],
        Chop::Whole,
        false,
    ),
    (
        "0.5.4",
        "Answer with unknown extra headers and another reason phrase.",
        &[
            R::StatusLine("HTTP/1.1 101 Web Socket Protocol Handshake"),
            R::Set("Server", "wsconform"),
            R::Set("X-Wsconform-Extra", "ignore me"),
            R::Set("Cache-Control", "no-cache"),
        ],
        Chop::Whole,
        false,
    ),
    (
        "0.5.5",
        "Answer with the response and the first text frame in one TCP write: the frame \
         must not be lost with the handshake's buffer.",
        &[],
        Chop::Whole,
        true,
    ),
    (
        "0.5.6",
        "Answer one byte per write (the response dribbled).",
        &[],
        Chop::Every(1),
        false,
    ),
];

/// 0.5: the cases of [`RESPONSES_TO_ACCEPT`].
fn responses_to_accept() -> Vec<Case> {
    RESPONSES_TO_ACCEPT
        .iter()
        .map(|&(id, desc, edits, chop, with_script)| {
            client_accepts(id, desc, edits.to_vec(), chop, with_script)
        })
        .collect()
}

/// 0.6: invalid responses a client must fail the connection on (RFC 6455 §4.1): id,
/// what the response is, how it differs from the reference 101.
const RESPONSES_TO_FAIL: &[(&str, &str, &[R])] = &[
    (
        "0.6.1",
        "Answer with a wrong Sec-WebSocket-Accept (computed from another key).",
        &[R::WrongAccept],
    ),
    (
        "0.6.2",
        "Answer without Sec-WebSocket-Accept.",
        &[R::Remove("Sec-WebSocket-Accept")],
    ),
    // Content-Length in 0.6.3 and 0.6.4: a non-101 response has a body, and without a
    // length it would last until the connection closes (RFC 7230 §3.3.3).
    (
        "0.6.3",
        "Answer `HTTP/1.1 200 OK` with otherwise valid upgrade headers.",
        &[
            R::StatusLine("HTTP/1.1 200 OK"),
            R::Set("Content-Length", "0"),
        ],
    ),
    (
        "0.6.4",
        "Answer `HTTP/1.1 403 Forbidden` with otherwise valid upgrade headers.",
        &[
            R::StatusLine("HTTP/1.1 403 Forbidden"),
            R::Set("Content-Length", "0"),
        ],
    ),
    (
        "0.6.5",
        "Answer without the Upgrade header.",
        &[R::Remove("Upgrade")],
    ),
    (
        "0.6.6",
        "Answer `Upgrade: h2c` instead of websocket.",
        &[R::Set("Upgrade", "h2c")],
    ),
    (
        "0.6.7",
        "Answer without the Connection header.",
        &[R::Remove("Connection")],
    ),
    (
        "0.6.8",
        "Answer `Connection: keep-alive` (no Upgrade token).",
        &[R::Set("Connection", "keep-alive")],
    ),
    (
        "0.6.9",
        "Answer `Sec-WebSocket-Protocol: x-wsconform-unoffered`, a subprotocol the client \
         did not offer.",
        &[R::Set("Sec-WebSocket-Protocol", "x-wsconform-unoffered")],
    ),
    (
        "0.6.10",
        "Answer `Sec-WebSocket-Extensions: x-wsconform-unknown`, an extension the client did \
         not offer.",
        &[R::Set("Sec-WebSocket-Extensions", "x-wsconform-unknown")],
    ),
    (
        "0.6.11",
        "Answer `Sec-WebSocket-Extensions: permessage-deflate; x-wsconform=1`: either not \
         offered, or with a parameter RFC 7692 does not define.",
        &[R::Set(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; x-wsconform=1",
        )],
    ),
];

/// 0.6: the cases of [`RESPONSES_TO_FAIL`].
fn responses_to_fail() -> Vec<Case> {
    RESPONSES_TO_FAIL
        .iter()
        .map(|&(id, desc, edits)| {
            let case = client_fails(id, desc, edits.to_vec());
            match id {
                // An extension parameter RFC 7692 does not define.
                "0.6.11" => case.rfc_of(7692, "5", Level::Must),
                _ => case,
            }
            .build()
        })
        .collect()
}

/// The cases of section 0.
pub fn cases() -> Vec<Case> {
    let mut all = request_cases();
    all.extend(client_cases());
    all
}

/// Section 0's server-side cases: the suite as client varies its request.
fn request_cases() -> Vec<Case> {
    let mut cases = valid_requests();
    cases.extend(invalid_requests());
    cases.extend(response_contents());
    cases.extend(left_open_requests());
    cases
}

/// 0.1: valid requests, written in ways a server must still accept.
fn valid_requests() -> Vec<Case> {
    let valid = "Valid requests must be accepted";
    let lower = vec![
        E::Rename("Host", "host"),
        E::Rename("Upgrade", "upgrade"),
        E::Rename("Connection", "connection"),
        E::Rename("Sec-WebSocket-Key", "sec-websocket-key"),
        E::Rename("Sec-WebSocket-Version", "sec-websocket-version"),
    ];
    let upper = vec![
        E::Rename("Host", "HOST"),
        E::Rename("Upgrade", "UPGRADE"),
        E::Rename("Connection", "CONNECTION"),
        E::Rename("Sec-WebSocket-Key", "SEC-WEBSOCKET-KEY"),
        E::Rename("Sec-WebSocket-Version", "SEC-WEBSOCKET-VERSION"),
    ];
    let many_headers: Vec<E> = [
        ("X-Wsconform-One", "1"),
        ("X-Wsconform-Two", "two"),
        ("Accept-Language", "en"),
        ("Cache-Control", "no-cache"),
        ("Pragma", "no-cache"),
        ("User-Agent", "wsconform"),
    ]
    .into_iter()
    .map(|(k, v)| E::Add(k, v))
    .collect();
    vec![
        accepted("0.1.1", valid, "Send the opening request with every header name in lower case.", lower)
            .rfc("4.2.1", Level::Must)
            .rfc_of(7230, "3.2", Level::Must)
            .build(),
        accepted("0.1.2", valid, "Send the opening request with every header name in upper case.", upper)
            .rfc("4.2.1", Level::Must)
            .rfc_of(7230, "3.2", Level::Must)
            .build(),
        accepted(
            "0.1.3",
            valid,
            "Send `Upgrade: WebSocket` (mixed case): the token is compared case-insensitively.",
            vec![E::Set("Upgrade", "WebSocket")],
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        accepted(
            "0.1.4",
            valid,
            "Send `Connection: keep-alive, Upgrade`: the header is a token list that must include \"Upgrade\".",
            vec![E::Set("Connection", "keep-alive, Upgrade")],
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        accepted(
            "0.1.5",
            valid,
            "Send six unknown or unrelated extra headers in the opening request.",
            many_headers,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        accepted(
            "0.1.6",
            valid,
            "Send a request target with a query string: `/?wsconform=1&case=0.1.6`.",
            vec![E::Target("/?wsconform=1&case=0.1.6")],
        )
        .rfc("3", Level::Must)
        .rfc("4.1", Level::Must)
        .build(),
        accepted(
            "0.1.7",
            valid,
            "Send the Host header without a port.",
            vec![E::Set("Host", "127.0.0.1")],
        )
        .rfc("4.1", Level::Must)
        .build(),
        accepted(
            "0.1.8",
            valid,
            "Send header values with extra optional whitespace: `Upgrade:   websocket   `.",
            vec![E::Set("Upgrade", "  websocket   ")],
        )
        .rfc_of(7230, "3.2.3", Level::Must)
        .build(),
        accepted_with(
            "0.1.9",
            valid,
            "Send the opening request and the first (masked text) frame in one TCP write, \
             before the response: the frame must not be lost.",
            Vec::new(),
            Chop::Whole,
            true,
        )
        .rfc("4.1", Level::Must)
        .rfc("4.2.2", Level::Must)
        .build(),
        accepted_with(
            "0.1.10",
            valid,
            "Send the opening request one byte per write.",
            Vec::new(),
            Chop::Every(1),
            false,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
    ]
}

/// 0.2: invalid requests a server must refuse.
fn invalid_requests() -> Vec<Case> {
    vec![
        refused("0.2.1", "Send the opening request without Sec-WebSocket-Key.", vec![E::Remove("Sec-WebSocket-Key")], None)
            .rfc("4.2.1", Level::Must)
            .build(),
        refused("0.2.2", "Send an empty Sec-WebSocket-Key.", vec![E::Set("Sec-WebSocket-Key", "")], None)
            .rfc("4.2.1", Level::Must)
            .build(),
        refused(
            "0.2.3",
            "Send a Sec-WebSocket-Key that decodes to 14 bytes, not 16.",
            vec![E::Set("Sec-WebSocket-Key", "dGhpcyBpcyBub3QgMTY=")],
            None,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        not_upgraded(
            "0.2.4",
            "Send the opening request without an Upgrade header.",
            vec![E::Remove("Upgrade")],
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        refused(
            "0.2.5",
            "Send `Connection: keep-alive` without the Upgrade token.",
            vec![E::Set("Connection", "keep-alive")],
            None,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        refused("0.2.6", "Send the opening request with method POST.", vec![E::Method("POST")], None)
            .rfc("4.2.1", Level::Must)
            .build(),
        refused("0.2.7", "Send the opening request as HTTP/1.0.", vec![E::Version("HTTP/1.0")], None)
            .rfc("4.2.1", Level::Must)
            .build(),
        refused_with(
            "0.2.8",
            "Send `Sec-WebSocket-Version: 99`, a version no server speaks (7 and 8, the hybi drafts, may legitimately be understood).",
            vec![E::Set("Sec-WebSocket-Version", "99")],
            Some(426),
            Some(("Sec-WebSocket-Version", "13")),
        )
        .rfc("4.4", Level::Must)
        .build(),
        refused(
            "0.2.9",
            "Send the opening request without Sec-WebSocket-Version.",
            vec![E::Remove("Sec-WebSocket-Version")],
            None,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
        refused("0.2.10", "Send the opening request without a Host header.", vec![E::Remove("Host")], None)
            .rfc("4.2.1", Level::Must)
            .rfc_of(7230, "5.4", Level::Must)
            .build(),
        refused(
            "0.2.11",
            "Send `Upgrade: h2c`, an upgrade to another protocol.",
            vec![E::Set("Upgrade", "h2c")],
            None,
        )
        .rfc("4.2.1", Level::Must)
        .build(),
    ]
}

/// 0.3: what the response may contain for what the request offers.
fn response_contents() -> Vec<Case> {
    vec![
        accepted(
            "0.3.1",
            "The response",
            "Offer the subprotocol `x-wsconform-unknown`, which no server knows: the response \
             must not name a subprotocol that was not offered.",
            vec![E::Set("Sec-WebSocket-Protocol", "x-wsconform-unknown")],
        )
        .rfc("4.2.2", Level::Must)
        .rfc("4.1", Level::Must)
        .build(),
        accepted(
            "0.3.2",
            "The response",
            "Offer the extension `x-wsconform-unknown`, which no server knows: the response must \
             not accept an extension that was not offered.",
            vec![E::Set(
                "Sec-WebSocket-Extensions",
                "x-wsconform-unknown; p=1",
            )],
        )
        .rfc("4.2.2", Level::Must)
        .rfc("9.1", Level::Must)
        .build(),
    ]
}

/// 0.4: requests the RFC leaves open, reported rather than judged.
fn left_open_requests() -> Vec<Case> {
    vec![
        reported(
            "0.4.1",
            "Send an opening request with a 64 KiB header block (one padding header).",
            "Left open by the RFC: a server should refuse it (431 or 400) rather than fail; \
             reported is what it answered.",
            HandshakeCase::new(vec![E::Pad(64 * 1024)], HandshakeExpect::Report),
        )
        .rfc("10.4", Level::May)
        .build(),
        reported(
            "0.4.2",
            "Send the first 40 bytes of an opening request and nothing more.",
            "Left open by the RFC: a server should not hold the connection forever; reported is \
             whether it dropped it within 3 s and after how long.",
            HandshakeCase {
                truncate_at: Some(40),
                ..HandshakeCase::new(Vec::new(), HandshakeExpect::Report)
            },
        )
        .rfc("10.4", Level::May)
        .build(),
        reported(
            "0.4.3",
            "Send `Origin: http://attacker.example.invalid`, a cross-site origin.",
            "Left open by the RFC: a server that relies on cookies should refuse foreign origins \
             (cross-site WebSocket hijacking); reported is whether it accepted.",
            HandshakeCase::new(
                vec![E::Set("Origin", "http://attacker.example.invalid")],
                HandshakeExpect::Report,
            ),
        )
        .rfc("10.2", Level::May)
        .build(),
    ]
}
