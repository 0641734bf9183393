//! Section 17: permessage-deflate negotiation and limits (RFC 7692), which
//! Autobahn|Testsuite's sections 12 and 13 leave out.
//!
//! Sections 12 and 13 only check that well-formed compressed messages come
//! back. This section checks the rules around them: offers a server must
//! decline, RSV1 where it must not be, the RFC's own example payloads,
//! context takeover and window sizes once agreed, and what a peer does with a
//! decompression bomb. Every payload is built here, from the RFC's examples
//! or with the reference compressor, so the cases are data like any other.

use ws_spec::deflate::{Compressor, DeflateOffer, ServerPolicy};
use ws_spec::frame::Opcode;

use crate::build::{
    binary, case, continuation, ev_text, ping, pong, repeat, text, CaseBuilder, INVALID_PAYLOAD,
    NORMAL, PROTOCOL_ERROR,
};
use crate::model::{
    Case, DeflateSetup, FrameSpec, HandshakeCase, HandshakeExpect, Level, RequestEdit, VerdictRule,
};

const SECTION: &str = "permessage-deflate negotiation and limits";
const DECLINE: &str = "Offers the server must decline (suite as client)";
const NOT_AGREED: &str = "RSV1 without the extension";
const NO_RSV1: &str = "Frames that must not carry RSV1 (extension agreed)";
const INFLATE: &str = "Compressed messages a peer must inflate (extension agreed)";
const AGREED: &str = "Context takeover and window size, once agreed";
const BOMB: &str = "Decompression bomb";

/// "Hello" compressed in one DEFLATE block, tail removed (RFC 7692 §7.2.3.1).
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
/// A second "Hello" that refers back to the first message (RFC 7692 §7.2.3.2).
const HELLO_AGAIN: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];
/// "Hello" in a DEFLATE block with no compression (RFC 7692 §7.2.3.3).
const HELLO_STORED: [u8; 11] = [
    0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
];
/// "Hello" in a block with BFINAL set, then the header of the empty stored
/// block the sender appends (RFC 7692 §7.2.3.4, and §7.2.1 step 2).
const HELLO_BFINAL: [u8; 8] = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
/// "Hello" in two DEFLATE blocks, "He" and "llo" (RFC 7692 §7.2.3.5).
const HELLO_TWO_BLOCKS: [u8; 13] = [
    0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
];

/// Zero bytes in the middle frame of the bomb: each is four 258-byte
/// back-references, so 1 MiB of them inflates to just over 1 GiB.
pub const BOMB_ZERO_BYTES: usize = 1 << 20;

/// A message compressed on its own, as a fresh 32 KiB-window compressor
/// sends it (RFC 7692 §7.2.1): valid whatever context the receiver keeps.
fn deflated(message: &[u8]) -> Vec<u8> {
    Compressor::new(15, true).compress(message)
}

/// Text that compresses well: a phrase repeated to `len` bytes.
fn compressible(len: usize) -> Vec<u8> {
    repeat(b"permessage-deflate conformance, ", len).to_bytes()
}

/// Lower-case words from a fixed linear congruential sequence: text with no
/// repetition of its own longer than a few letters, so that any long match
/// a compressor finds is a deliberate repeat of the whole block.
fn words(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let c = (x >> 24) % 27;
        out.push(if c == 26 { b' ' } else { b'a' + c as u8 });
    }
    out
}

/// The extension agreed with no parameter asked by either side.
fn plain() -> DeflateSetup {
    DeflateSetup {
        offers: vec![DeflateOffer::default()],
        accept: vec![ServerPolicy::default()],
        ..DeflateSetup::default()
    }
}

/// A frame with RSV1 (the "Per-Message Compressed" bit, RFC 7692 §6).
fn rsv1(frame: FrameSpec) -> FrameSpec {
    frame.rsv(0b100)
}

/// Writes bits least significant first, as DEFLATE packs them (RFC 1951 §3.1.1).
struct Bits {
    out: Vec<u8>,
    bit: u32,
}

impl Bits {
    fn new() -> Self {
        Bits {
            out: Vec::new(),
            bit: 0,
        }
    }

    /// A header field or extra bits: `n` bits of `value`, low bit first.
    fn field(&mut self, value: u32, n: u32) {
        for i in 0..n {
            if self.bit % 8 == 0 {
                self.out.push(0);
            }
            if value >> i & 1 == 1 {
                *self.out.last_mut().expect("a byte was pushed") |= 1 << (self.bit % 8);
            }
            self.bit += 1;
        }
    }

    /// A Huffman code of `len` bits: high bit first (RFC 1951 §3.1.1).
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.field(code >> i & 1, 1);
        }
    }
}

/// The three frame payloads of the bomb: one dynamic-Huffman DEFLATE block
/// (RFC 1951 §3.2.7) whose codes make a 258-byte copy at distance 1 cost
/// two zero bits, the most any DEFLATE stream can inflate per bit (1032 to
/// 1). The first payload is the block header, one literal 0 and two copies
/// (517 bytes out, 14 bytes in); the middle one is `zero_bytes` zeros (1032
/// bytes out each); the last ends the block and starts an empty stored block
/// whose `00 00 ff ff` the receiver appends (§7.2.2).
pub fn bomb_parts(zero_bytes: usize) -> (Vec<u8>, usize, Vec<u8>) {
    let mut w = Bits::new();
    w.field(0, 1); // BFINAL
    w.field(2, 2); // BTYPE: dynamic Huffman codes
    w.field(286 - 257, 5); // HLIT: literal/length codes 0..=285
    w.field(0, 5); // HDIST: one distance code
                   // Code-length code lengths in the RFC's order (16, 17, 18, 0, 8, 7, 9, 6,
                   // 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15): symbol 18 gets 1 bit, symbols 1
                   // and 2 get 2 bits. Writing all 19 keeps the header at an even bit
                   // count, so the two-bit copies that follow end on a byte boundary.
    let order = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    w.field(order.len() as u32 - 4, 4); // HCLEN
    for sym in order {
        let len = match sym {
            18 => 1,
            1 | 2 => 2,
            _ => 0,
        };
        w.field(len, 3);
    }
    // Canonical codes of that code-length code: 18 -> 0, 1 -> 10, 2 -> 11.
    let len1 = |w: &mut Bits| w.code(0b10, 2);
    let len2 = |w: &mut Bits| w.code(0b11, 2);
    let zeros = |w: &mut Bits, n: u32| {
        w.code(0, 1);
        w.field(n - 11, 7);
    };
    // Literal/length code lengths: 0 -> 2, 1..=255 -> none, 256 -> 2,
    // 257..=284 -> none, 285 (length 258) -> 1. Distance code 0 (distance 1) -> 1.
    len2(&mut w);
    zeros(&mut w, 138);
    zeros(&mut w, 117);
    len2(&mut w);
    zeros(&mut w, 28);
    len1(&mut w);
    len1(&mut w);
    // Canonical codes: 285 -> 0, literal 0 -> 10, end of block (256) -> 11;
    // distance 1 -> 0. One literal zero, then copies, each "0" "0".
    w.code(0b10, 2);
    while w.bit % 8 != 0 {
        w.code(0, 1);
    }
    let head = w.out;
    // End of block, then the three header bits of an empty stored block
    // (BFINAL 0, BTYPE 00), padded with zeros.
    let tail = vec![0b0000_0011];
    (head, zero_bytes, tail)
}

/// How many bytes [`bomb_parts`] inflates to.
pub fn bomb_inflated_len(zero_bytes: usize) -> usize {
    1 + 2 * 258 + zero_bytes * 4 * 258
}

fn decline(id: &str, offer: &'static str, what: &str, section: &'static str) -> Case {
    let message = compressible(4096);
    case(id, SECTION, DECLINE)
        .desc(format!(
            "Offer `Sec-WebSocket-Extensions: {offer}` ({what}), then send a 4096-byte text \
             message that compresses well, uncompressed."
        ))
        .expectation(
            "The server declines the offer: a 101 response without permessage-deflate (or an \
             HTTP error refusing the handshake). It then echoes the message uncompressed (RSV1 \
             clear) and the connection closes cleanly with 1000.",
        )
        .rfc_of(7692, "7", Level::Must)
        .rfc_of(7692, section, Level::Must)
        .handshake(HandshakeCase::new(
            vec![RequestEdit::Set("Sec-WebSocket-Extensions", offer)],
            HandshakeExpect::Decline(ws_spec::deflate::EXTENSION_NAME),
        ))
        .frame(text(message.clone()))
        .ok(vec![ev_text(message)])
        .closed_by_me(&[NORMAL], true)
        .kill_after(2000)
        .build()
}

/// A frame the peer must fail the connection on with 1002 (RFC 7692 §6).
fn must_fail(id: &str, desc: &str, why: &str) -> CaseBuilder {
    case(id, SECTION, NO_RSV1)
        .desc(desc)
        .expectation(format!(
            "The peer fails the connection with 1002 (or drops TCP) and sends nothing back: {why}"
        ))
        .rfc_of(7692, "6", Level::Must)
        .ok(vec![])
        .closed_by_peer(&[PROTOCOL_ERROR], false)
        .wrong_endpoint_is_fatal()
        .kill_after(1000)
        .deflate(plain())
}

/// A compressed message (or several) the peer must inflate and echo.
fn inflates(id: &str, section: &'static str, desc: &str, echoes: usize) -> CaseBuilder {
    case(id, SECTION, INFLATE)
        .desc(desc)
        .expectation(format!(
            "The peer inflates {} and echoes \"Hello\"{}; the connection closes cleanly with 1000.",
            if echoes == 1 {
                "the message"
            } else {
                "each message"
            },
            if echoes == 1 { "" } else { " for each" }
        ))
        .rfc_of(7692, "7.2.2", Level::Must)
        .rfc_of(7692, section, Level::Must)
        .ok(vec![ev_text("Hello"); echoes])
        .closed_by_me(&[NORMAL], true)
        .kill_after(1000)
        .deflate(plain())
}

/// The cases of section 17.
pub fn cases() -> Vec<Case> {
    let mut cases = declined_offers();
    cases.extend(without_agreement());
    cases.extend(misplaced_rsv1());
    cases.extend(inflating());
    cases.extend(agreed_cases());
    cases.push(bomb_case());
    cases
}

/// 17.1: offers a server must decline (RFC 7692 §7).
fn declined_offers() -> Vec<Case> {
    vec![
        decline(
            "17.1.1",
            "permessage-deflate; x_wsconform_unknown",
            "a parameter RFC 7692 does not define",
            "7",
        ),
        decline(
            "17.1.2",
            "permessage-deflate; server_max_window_bits=7",
            "server_max_window_bits below 8",
            "7.1.2.1",
        ),
        decline(
            "17.1.3",
            "permessage-deflate; server_max_window_bits=16",
            "server_max_window_bits above 15",
            "7.1.2.1",
        ),
        decline(
            "17.1.4",
            "permessage-deflate; server_max_window_bits=abc",
            "server_max_window_bits that is not a number",
            "7.1.2.1",
        ),
        decline(
            "17.1.5",
            "permessage-deflate; server_max_window_bits",
            "server_max_window_bits without its value, which an offer must have",
            "7.1.2.1",
        ),
        decline(
            "17.1.6",
            "permessage-deflate; server_max_window_bits=09",
            "server_max_window_bits with a leading zero",
            "7.1.2.1",
        ),
        decline(
            "17.1.7",
            "permessage-deflate; client_max_window_bits=7",
            "client_max_window_bits below 8",
            "7.1.2.2",
        ),
        decline(
            "17.1.8",
            "permessage-deflate; server_no_context_takeover=true",
            "a value on server_no_context_takeover, which has none",
            "7.1.1.1",
        ),
        decline(
            "17.1.9",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "server_no_context_takeover twice",
            "7",
        ),
        decline(
            "17.1.10",
            "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
            "server_max_window_bits twice, with the same value",
            "7",
        ),
        decline(
            "17.1.11",
            "permessage-deflate; client_max_window_bits; client_max_window_bits",
            "client_max_window_bits twice",
            "7",
        ),
    ]
}

/// 17.2: permessage-deflate not agreed.
fn without_agreement() -> Vec<Case> {
    let mut cases = Vec::new();
    let echo_plain = compressible(16 * 1024);
    cases.push(
        case("17.2.1", SECTION, NOT_AGREED)
            .desc(
                "Negotiate no extension (offer none; as server, accept none), then send a \
                 16 KiB text message that compresses well.",
            )
            .expectation(
                "The peer echoes the message uncompressed: RSV1 MUST be 0 when no extension \
                 defines it. The connection closes cleanly with 1000.",
            )
            .rfc("5.2", Level::Must)
            .frame(text(echo_plain.clone()))
            .ok(vec![ev_text(echo_plain)])
            .closed_by_me(&[NORMAL], true)
            .kill_after(2000)
            .build(),
    );
    cases.push(
        case("17.2.2", SECTION, NOT_AGREED)
            .desc(
                "Negotiate no extension, then send \"Hello\" compressed (RFC 7692 §7.2.3.1's \
                 payload f2 48 cd c9 c9 07 00) with RSV1 set.",
            )
            .expectation(
                "The peer fails the connection with 1002 (or drops TCP) and echoes nothing: a \
                 non-zero RSV bit no negotiated extension defines MUST fail the connection.",
            )
            .rfc("5.2", Level::Must)
            .frame(rsv1(text(HELLO.to_vec())))
            .ok(vec![])
            .closed_by_peer(&[PROTOCOL_ERROR], false)
            .wrong_endpoint_is_fatal()
            .kill_after(1000)
            .build(),
    );
    cases
}

/// 17.3: RSV1 where RFC 7692 §6 does not allow it.
fn misplaced_rsv1() -> Vec<Case> {
    let mut cases = Vec::new();
    let control = "an endpoint MUST NOT set RSV1 on control frames, and MUST fail the \
                   connection on receiving one.";
    let non_first = "an endpoint MUST NOT set RSV1 on a non-first fragment of a data message, \
                     and MUST fail the connection on receiving one.";
    let hello = deflated(b"Hello, fragmented world!");
    let (h1, h2) = hello.split_at(hello.len() / 2);
    cases.extend([
        must_fail(
            "17.3.1",
            "With permessage-deflate agreed, send a ping with RSV1 set whose payload is \
             \"ping\" compressed.",
            control,
        )
        .frame(rsv1(ping(deflated(b"ping"))))
        .build(),
        must_fail(
            "17.3.2",
            "With permessage-deflate agreed, send an unsolicited pong with RSV1 set whose \
             payload is \"pong\" compressed.",
            control,
        )
        .frame(rsv1(pong(deflated(b"pong"))))
        .build(),
        must_fail(
            "17.3.3",
            "With permessage-deflate agreed, send a close frame (code 1000, uncompressed) \
             with RSV1 set.",
            control,
        )
        .frame(rsv1(FrameSpec::new(Opcode::Close, vec![0x03, 0xe8])))
        .rule(VerdictRule::WrongCodeIsFatal)
        .build(),
        must_fail(
            "17.3.4",
            "With permessage-deflate agreed, send a compressed text message in two frames \
             with RSV1 set on both.",
            non_first,
        )
        .frame(rsv1(text(h1.to_vec()).fin(false)))
        .frame(rsv1(continuation(h2.to_vec())))
        .build(),
        must_fail(
            "17.3.5",
            "With permessage-deflate agreed, send an uncompressed text message in two \
             frames, RSV1 clear on the first and set on the continuation.",
            non_first,
        )
        .frame(text("Hello, ").fin(false))
        .frame(rsv1(continuation("world!")))
        .build(),
        must_fail(
            "17.3.6",
            "With permessage-deflate agreed, send \"Hello\" compressed with RSV1 and RSV2 set.",
            "permessage-deflate defines RSV1 only; a non-zero RSV2 that no negotiated \
             extension defines MUST fail the connection (RFC 6455 §5.2).",
        )
        .rfc("5.2", Level::Must)
        .frame(text(HELLO.to_vec()).rsv(0b110))
        .build(),
    ]);
    cases
}

/// 17.4: messages to inflate (RFC 7692 §7.2).
fn inflating() -> Vec<Case> {
    let mut cases = rfc_examples();
    cases.extend(inflating_edges());
    cases
}

/// 17.4.1-17.4.8: the RFC's own example payloads, and messages around them.
fn rfc_examples() -> Vec<Case> {
    let mut cases = Vec::new();
    let split = HELLO.split_at(3);
    cases.extend([
        inflates(
            "17.4.1",
            "7.2.3.1",
            "With permessage-deflate agreed, send \"Hello\" compressed in one DEFLATE block \
             (f2 48 cd c9 c9 07 00, RFC 7692 §7.2.3.1).",
            1,
        )
        .frame(rsv1(text(HELLO.to_vec())))
        .build(),
        inflates(
            "17.4.2",
            "7.2.3.1",
            "With permessage-deflate agreed, send the same compressed \"Hello\" in two frames \
             (f2 48 cd with RSV1, then c9 c9 07 00 in a continuation frame without it).",
            1,
        )
        .frame(rsv1(text(split.0.to_vec()).fin(false)))
        .frame(continuation(split.1.to_vec()))
        .build(),
        inflates(
            "17.4.3",
            "7.2.3.2",
            "With permessage-deflate agreed and context takeover left to the suite, send \
             \"Hello\" compressed twice, the second message (f2 00 11 00 00) a back-reference \
             into the first (RFC 7692 §7.2.3.2). Not played when the negotiation takes \
             context takeover away from the suite.",
            2,
        )
        .rfc_of(7692, "7.1.1.2", Level::Must)
        .frame(rsv1(text(HELLO.to_vec())))
        .frame(rsv1(text(HELLO_AGAIN.to_vec())))
        .deflate(DeflateSetup {
            sends_with_context: true,
            ..plain()
        })
        .build(),
        inflates(
            "17.4.4",
            "7.2.3.3",
            "With permessage-deflate agreed, send \"Hello\" in a DEFLATE block with no \
             compression (00 05 00 fa ff 48 65 6c 6c 6f 00, RFC 7692 §7.2.3.3).",
            1,
        )
        .frame(rsv1(text(HELLO_STORED.to_vec())))
        .build(),
        inflates(
            "17.4.5",
            "7.2.3.4",
            "With permessage-deflate agreed, send \"Hello\" in a DEFLATE block with BFINAL \
             set, followed by the empty stored block's header (f3 48 cd c9 c9 07 00 00, RFC \
             7692 §7.2.3.4).",
            1,
        )
        .frame(rsv1(text(HELLO_BFINAL.to_vec())))
        .build(),
        inflates(
            "17.4.6",
            "7.2.3.4",
            "With permessage-deflate agreed, send the same BFINAL \"Hello\" twice, as a \
             sender that flushes every message with a final block does (RFC 7692 §7.2.3.4 \
             names it the way to flush where an empty stored block is not available): an \
             inflater that stops at the first final block must be ready for the next \
             message.",
            2,
        )
        .frame(rsv1(text(HELLO_BFINAL.to_vec())))
        .frame(rsv1(text(HELLO_BFINAL.to_vec())))
        .build(),
        inflates(
            "17.4.7",
            "7.2.3.5",
            "With permessage-deflate agreed, send \"Hello\" in two DEFLATE blocks, the \
             first ended by a sync flush (f2 48 05 00 00 00 ff ff ca c9 c9 07 00, RFC 7692 \
             §7.2.3.5).",
            1,
        )
        .frame(rsv1(text(HELLO_TWO_BLOCKS.to_vec())))
        .build(),
        inflates(
            "17.4.8",
            "6",
            "With permessage-deflate agreed, send \"Hello\" uncompressed (RSV1 clear): the \
             extension compresses per message, and an uncompressed message stays valid.",
            1,
        )
        .frame(text("Hello"))
        .build(),
    ]);
    cases
}

/// 17.4.9-: edge cases of inflating (an empty message, text that is not UTF-8).
fn inflating_edges() -> Vec<Case> {
    let mut cases = Vec::new();
    let empty = deflated(b"");
    cases.push(
        case("17.4.9", SECTION, INFLATE)
            .desc(format!(
                "With permessage-deflate agreed, send an empty text message compressed ({}).",
                hex(&empty)
            ))
            .expectation(
                "The peer inflates it to an empty message and echoes an empty text message; \
                 the connection closes cleanly with 1000.",
            )
            .rfc_of(7692, "7.2.1", Level::Must)
            .rfc_of(7692, "7.2.2", Level::Must)
            .frame(rsv1(text(empty)))
            .ok(vec![ev_text("")])
            .closed_by_me(&[NORMAL], true)
            .kill_after(1000)
            .deflate(plain())
            .build(),
    );
    let mut bad_utf8 = b"Hello, ".to_vec();
    bad_utf8.extend_from_slice(&[0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce]);
    bad_utf8.extend_from_slice(&[0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]);
    cases.push(
        case("17.4.10", SECTION, INFLATE)
            .desc(
                "With permessage-deflate agreed, send a text message whose compressed payload \
                 is valid DEFLATE but inflates to invalid UTF-8 (a UTF-16 surrogate, ed a0 80, \
                 inside otherwise valid text).",
            )
            .expectation(
                "The peer fails the connection with 1007 (or drops TCP) and echoes nothing: \
                 the message's data is what inflates, and text that is not UTF-8 MUST fail \
                 the connection.",
            )
            .rfc("8.1", Level::Must)
            .rfc_of(7692, "6", Level::Must)
            .frame(rsv1(text(deflated(&bad_utf8))))
            .ok(vec![])
            .closed_by_peer(&[INVALID_PAYLOAD], false)
            .wrong_endpoint_is_fatal()
            .kill_after(1000)
            .deflate(plain())
            .build(),
    );
    cases
}

/// 17.5: what a peer agreed to about context takeover and windows, it does.
fn agreed_cases() -> Vec<Case> {
    let block = words(2048, 7692);
    let four = || vec![ev_text(block.clone()); 4];
    let send_four = |b: CaseBuilder| {
        let payload = deflated(&block);
        (0..4).fold(b, |b, _| b.frame(rsv1(text(payload.clone()))))
    };
    let agreed = |id: &str| {
        case(id, SECTION, AGREED)
            .closed_by_me(&[NORMAL], true)
            .kill_after(2000)
    };
    // 17.5.1, 17.5.2: the peer (`by_peer`) or the suite compresses without context
    // takeover, as offered by the suite as client and answered by it as server; the
    // first clause cited is that side's.
    let no_context = |id: &str, by_peer: bool, desc: &str, expectation: &str| {
        let (first, second) = if by_peer {
            ("7.1.1.1", "7.1.1.2")
        } else {
            ("7.1.1.2", "7.1.1.1")
        };
        let b = agreed(id)
            .desc(desc)
            .expectation(expectation)
            .rfc_of(7692, first, Level::Must)
            .rfc_of(7692, second, Level::Must)
            .ok(four())
            .deflate(DeflateSetup {
                offers: vec![DeflateOffer {
                    server_no_context_takeover: by_peer,
                    client_no_context_takeover: !by_peer,
                    ..DeflateOffer::default()
                }],
                accept: vec![ServerPolicy {
                    request_no_context_takeover: by_peer,
                    server_no_context_takeover: !by_peer,
                    ..ServerPolicy::default()
                }],
                ..DeflateSetup::default()
            });
        send_four(b).build()
    };
    let no_context_for_peer = no_context(
        "17.5.1",
        true,
        "Agree that the peer compresses without context takeover: as client, offer \
         server_no_context_takeover (the server must accept it as asked or decline); as \
         server, answer client_no_context_takeover. Then send the same 2048-byte text \
         message four times, each compressed on its own.",
        "The peer echoes all four, and each echo inflates on its own: a peer that keeps \
         its context turns the second echo into references to the first, which the \
         suite, having reset its window as agreed, cannot resolve (it fails the \
         connection with 1007).",
    );
    let no_context_for_suite = no_context(
        "17.5.2",
        false,
        "Agree that the suite compresses without context takeover: as client, offer \
         client_no_context_takeover; as server, answer server_no_context_takeover. Then \
         send the same 2048-byte text message four times, each compressed on its own \
         (a fresh compressor per message).",
        "The peer inflates every message, whether or not it also resets its own \
         decompressor, and echoes all four; the connection closes cleanly with 1000.",
    );
    // A 1000-byte block three times: a 32 KiB-window compressor refers back
    // 1000 and 2000 bytes, beyond a 512-byte (9-bit) or 256-byte (8-bit) window.
    let repeated = words(1000, 6455).repeat(3);
    let window = |id: &str, bits: u8| {
        let payload = deflated(&repeated);
        agreed(id)
            .desc(format!(
                "Agree that the peer compresses with a window of at most {bits} bits: as \
                 client, offer server_max_window_bits={bits}; as server, answer \
                 client_max_window_bits={bits} (when the client offered \
                 client_max_window_bits). Then send two 3000-byte text messages, each a \
                 1000-byte block three times."
            ))
            .expectation(format!(
                "The peer echoes both, and no back-reference in its echoes reaches further \
                 than {} bytes; the suite checks every distance in the DEFLATE stream and \
                 fails the connection (1007) on one beyond the agreed window.",
                1u32 << bits
            ))
            .rfc_of(7692, "7.1.2.1", Level::Must)
            .rfc_of(7692, "7.1.2.2", Level::Must)
            .frame(rsv1(text(payload.clone())))
            .frame(rsv1(text(payload)))
            .ok(vec![ev_text(repeated.clone()); 2])
            .deflate(DeflateSetup {
                offers: vec![DeflateOffer {
                    server_max_window_bits: Some(bits),
                    ..DeflateOffer::default()
                }],
                accept: vec![ServerPolicy {
                    request_max_window_bits: bits,
                    ..ServerPolicy::default()
                }],
                check_window: true,
                ..DeflateSetup::default()
            })
            .build()
    };
    vec![
        no_context_for_peer,
        no_context_for_suite,
        window("17.5.3", 9),
        window("17.5.4", 8),
    ]
}

/// 17.6: a message of 1 MiB that inflates to 1 GiB of zeros.
fn bomb_case() -> Case {
    let (head, zeros, tail) = bomb_parts(BOMB_ZERO_BYTES);
    let inflated = bomb_inflated_len(BOMB_ZERO_BYTES);
    case("17.6.1", SECTION, BOMB)
        .desc(format!(
            "With permessage-deflate agreed, send one binary message whose compressed payload \
             is {} bytes (in three frames: {} bytes with RSV1, {zeros} zero bytes, {} byte) \
             and inflates to {inflated} zero bytes (just over 1 GiB): a DEFLATE block whose \
             codes make each 258-byte copy cost two bits.",
            head.len() + zeros + tail.len(),
            head.len(),
            tail.len()
        ))
        .expectation(
            "Left open by the RFCs, which only ask an endpoint to protect itself against \
             exceeding its limits (RFC 6455 §10.4). Best: the peer stops inflating at its \
             message limit and fails the connection with 1009. Reported: how the peer \
             closed and when, or what it sent back (the suite inflates at most 64 MiB of \
             it); the case gives up after 10 s.",
        )
        .rfc("10.4", Level::May)
        .rfc_of(7692, "7.2.2", Level::May)
        .frame(rsv1(binary(head)).fin(false))
        .frame(continuation(repeat(&[0], zeros)).fin(false))
        .frame(continuation(tail))
        .ok(vec![])
        .closed_by_peer(&[1009], false)
        .rule(VerdictRule::Report)
        .kill_after(10_000)
        .deflate(plain())
        .build()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_spec::deflate::{Decompressor, DeflateError};

    fn inflate_all(parts: &[&[u8]], limit: usize) -> Result<Vec<u8>, DeflateError> {
        let mut d = Decompressor::new(15, false, limit);
        for p in parts {
            d.push(p)?;
        }
        d.finish_message()
    }

    #[test]
    fn rfc7692_7_2_3_examples_inflate_to_hello() {
        for payload in [&HELLO[..], &HELLO_STORED, &HELLO_BFINAL, &HELLO_TWO_BLOCKS] {
            assert_eq!(inflate_all(&[payload], 100).unwrap(), b"Hello");
        }
        // §7.2.3.2: the second message only inflates with the first in the window.
        let mut d = Decompressor::new(15, false, 100);
        d.push(&HELLO).unwrap();
        assert_eq!(d.finish_message().unwrap(), b"Hello");
        d.push(&HELLO_AGAIN).unwrap();
        assert_eq!(d.finish_message().unwrap(), b"Hello");
        assert!(inflate_all(&[&HELLO_AGAIN], 100).is_err());
    }

    #[test]
    fn bomb_inflates_to_zeros_of_the_announced_length() {
        let (head, zeros, tail) = bomb_parts(10);
        let middle = vec![0u8; zeros];
        let out = inflate_all(&[&head, &middle, &tail], 1 << 20).unwrap();
        assert_eq!(out.len(), bomb_inflated_len(10));
        assert!(out.iter().all(|&b| b == 0));
    }

    #[test]
    fn bomb_is_stopped_by_the_limit_rfc6455_10_4() {
        let (head, zeros, tail) = bomb_parts(BOMB_ZERO_BYTES);
        let middle = vec![0u8; zeros];
        let err = inflate_all(&[&head, &middle, &tail], 1 << 20).unwrap_err();
        assert!(matches!(err, DeflateError::TooLarge { .. }), "{err:?}");
        assert!(bomb_inflated_len(BOMB_ZERO_BYTES) > 1 << 30);
        assert!(head.len() + zeros + tail.len() < (1 << 20) + 64);
    }

    #[test]
    fn window_case_data_needs_a_large_window_rfc7692_7_1_2() {
        // A 32 KiB-window compressor reaches back 1000 bytes in 17.5.3's
        // message: beyond 9 bits, so a peer ignoring the limit is caught.
        let repeated = words(1000, 6455).repeat(3);
        let payload = deflated(&repeated);
        let far = ws_spec::deflate::max_back_reference(&payload).unwrap();
        assert!(far > 512, "{far}");
        assert!(payload.len() < 1500, "{}", payload.len());
        // And the block itself has no long repeat a 9-bit window could use.
        let alone = Compressor::new(9, true).compress(&words(1000, 6455));
        assert!(alone.len() > 500, "{}", alone.len());
    }

    #[test]
    fn ids_are_in_order_and_unique() {
        let ids: Vec<Vec<u32>> = cases().iter().map(|c| c.id_components()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }
}
