//! The seed corpus, built from ws-spec's own encoders so each seed is the
//! exact bytes it claims to be. `corpus/<target>/seed-<name>` holds them; the
//! tests check that the files match, and rewrite them when
//! `WS_FUZZ_WRITE_SEEDS=1` is set.

use ws_spec::close::encode_close_payload;
use ws_spec::deflate::Compressor;
use ws_spec::frame::{Frame, LengthForm};

use crate::endpoint::CONFIG_LEN;
use crate::split::{SplitInput, BYTE_BY_BYTE};
use crate::{deflate_inflate, deflate_roundtrip};

/// One seed file.
#[derive(Clone, Debug)]
pub struct Seed {
    /// Fuzz target (and corpus directory) name.
    pub target: &'static str,
    /// File name, always starting with `seed-` (the only corpus files git keeps).
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The masking key of the RFC 6455 §5.7 examples.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn masked(f: Frame) -> Vec<u8> {
    f.with_mask(Some(KEY)).encode()
}

fn concat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// The RFC 6455 §1.2 opening request.
pub const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

/// The RFC 6455 §1.2 opening response.
pub const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\r\n";

/// Client frames (masked): a fragmented text with a ping between its fragments.
fn fragmented_with_ping(m: fn(Frame) -> Vec<u8>) -> Vec<u8> {
    concat(&[
        m(Frame::text("Hel").with_fin(false)),
        m(Frame::ping("ping")),
        m(Frame::continuation("lo")),
    ])
}

fn unmasked(f: Frame) -> Vec<u8> {
    f.encode()
}

/// A seed in the [`crate::split`] layout: name, flags, config, cuts, stream.
type StreamSeed = (&'static str, u8, Vec<u8>, Vec<u16>, Vec<u8>);

fn frame_seeds() -> Vec<(&'static str, u8, Vec<u16>, Vec<u8>)> {
    vec![
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        ("masked-text", 0, vec![], masked(Frame::text("Hello"))),
        (
            "fragmented-ping",
            0,
            vec![3, 9, 14],
            fragmented_with_ping(masked),
        ),
        (
            "close-code",
            BYTE_BY_BYTE,
            vec![],
            masked(Frame::close(Some(1000), b"bye")),
        ),
        (
            "len64",
            0,
            vec![12],
            concat(&[
                // A 64-bit length where 7 bits would do, then a minimal
                // 64-bit length (65536) whose payload is cut short.
                masked(Frame::binary("abcde").with_length_form(LengthForm::Extended64)),
                Frame::binary(vec![0x55; 16])
                    .with_payload_len(65536)
                    .encode(),
            ]),
        ),
        (
            "len64-top-bit",
            0,
            vec![],
            Frame::binary(Vec::new()).with_payload_len(1 << 63).encode(),
        ),
        (
            "unmasked-small-limit",
            1,
            vec![7],
            concat(&[
                unmasked(Frame::text("Hello")),
                unmasked(Frame::pong("")),
                unmasked(Frame::binary(vec![0xAB; 200])),
            ]),
        ),
    ]
}

fn endpoint_config(max_message: u8, bits: u8, close_code: u16, close_at: u16) -> Vec<u8> {
    let mut c = vec![max_message, 0, bits];
    c.extend_from_slice(&close_code.to_le_bytes());
    c.extend_from_slice(&close_at.to_le_bytes());
    assert_eq!(c.len(), CONFIG_LEN);
    c
}

fn endpoint_seeds() -> Vec<StreamSeed> {
    const CLIENT: u8 = 1;
    const ECHO: u8 = 2;
    const EOF: u8 = 4;
    let plain = endpoint_config(0, 0, 0, 0);
    vec![
        (
            "server-echo-masked-text",
            ECHO,
            plain.clone(),
            vec![],
            concat(&[
                masked(Frame::text("Hello")),
                masked(Frame::close(Some(1000), b"bye")),
            ]),
        ),
        (
            "server-fragmented-ping",
            ECHO,
            plain.clone(),
            vec![3, 9, 14],
            concat(&[
                fragmented_with_ping(masked),
                masked(Frame::close(Some(1001), b"")),
            ]),
        ),
        (
            "client-echo-fragmented-ping",
            CLIENT | ECHO,
            plain.clone(),
            vec![5],
            concat(&[
                fragmented_with_ping(unmasked),
                unmasked(Frame::close(Some(1000), b"")),
            ]),
        ),
        (
            "server-len64",
            ECHO | EOF,
            plain.clone(),
            vec![20],
            concat(&[
                masked(Frame::binary(vec![7; 10]).with_length_form(LengthForm::Extended64)),
                masked(Frame::binary(vec![9; 300])),
            ]),
        ),
        (
            "server-invalid-utf8",
            ECHO | BYTE_BY_BYTE,
            endpoint_config(0, 1, 0, 0),
            vec![],
            masked(Frame::text(b"\xce\xba\xed\xa0\x80".to_vec())),
        ),
        (
            "server-app-close",
            ECHO,
            endpoint_config(0, 4, 1000, 11),
            vec![],
            concat(&[
                masked(Frame::text("Hello")),
                masked(Frame::ping("after")),
                masked(Frame::close(Some(1000), b"")),
            ]),
        ),
        (
            "server-message-limit",
            ECHO,
            endpoint_config(3, 0, 0, 0),
            vec![],
            concat(&[
                masked(Frame::text("0123456789").with_fin(false)),
                masked(Frame::continuation("0123456789")),
            ]),
        ),
    ]
}

/// Compressed payloads of `messages` from one compressor, concatenated, with
/// the offsets where each message's payload ends.
fn compressed(
    window_bits: u8,
    no_context_takeover: bool,
    messages: &[&[u8]],
) -> (Vec<u8>, Vec<u16>) {
    let mut c = Compressor::new(window_bits, no_context_takeover);
    let mut stream = Vec::new();
    let mut ends = Vec::new();
    for m in messages {
        stream.extend_from_slice(&c.compress(m));
        ends.push(stream.len() as u16);
    }
    (stream, ends)
}

fn deflate_inflate_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use deflate_inflate::{NO_CONTEXT_TAKEOVER, WINDOW_CHECK};
    let mut out = Vec::new();
    // RFC 7692 §7.2.3.2: "Hello" twice with context takeover; the second
    // payload is a back-reference into the first. Pieces: each payload cut
    // in two, messages end at pieces 1 and 3.
    let (stream, ends) = compressed(15, false, &[b"Hello", b"Hello"]);
    let cuts = [2, ends[0], ends[0] + 2];
    out.push((
        "rfc7692-hello-twice",
        SplitInput::encode(WINDOW_CHECK, &[7, 0b0010, 0], &cuts, &stream),
    ));
    let text: &[u8] = b"permessage-deflate permessage-deflate, window of 256 bytes";
    let (stream, ends) = compressed(8, true, &[text, b"", text]);
    out.push((
        "window-8-no-takeover",
        SplitInput::encode(NO_CONTEXT_TAKEOVER, &[0, 0b0011, 0], &ends[..2], &stream),
    ));
    // One MiB of zeroes: a bomb far over the 64 KiB limit.
    let (stream, _) = compressed(15, false, &[&vec![0u8; 1 << 20]]);
    out.push(("bomb", SplitInput::encode(0, &[7, 0, 0], &[], &stream)));
    // A BFINAL fixed block followed by more data in the same message: RFC 7692
    // §7.2.3.4's "Hello" (f3 48 cd c9 c9 07 00 00, valid as it is: the last octet
    // holds the header bits of the empty stored block §7.2.1 appends) and two
    // octets beyond it.
    out.push((
        "data-after-final",
        SplitInput::encode(
            0,
            &[7, 0, 0],
            &[],
            &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0xab, 0xcd],
        ),
    ));
    // Stored block whose LEN and NLEN disagree.
    out.push((
        "bad-stored",
        SplitInput::encode(
            BYTE_BY_BYTE,
            &[7, 0, 0],
            &[],
            &[0x00, 0x05, 0x00, 0x00, 0x00, b'x'],
        ),
    ));
    out
}

fn deflate_roundtrip_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use deflate_roundtrip::{FAST, NO_CONTEXT_TAKEOVER, WINDOW_CHECK};
    let repeated: Vec<u8> = b"0123456789abcdef".repeat(40);
    vec![
        (
            "hello-takeover",
            SplitInput::encode(WINDOW_CHECK, &[7, 0], &[5, 10], b"HelloHelloHello"),
        ),
        (
            "window-8-fast",
            SplitInput::encode(FAST | WINDOW_CHECK, &[0, 3], &[300], &repeated),
        ),
        (
            "window-9-no-takeover",
            SplitInput::encode(NO_CONTEXT_TAKEOVER, &[1, 0], &[0, 320], &repeated),
        ),
        (
            "utf8-text",
            SplitInput::encode(0, &[4, 1], &[7], "Hello-µ@ßöäüàá-UTF-8!!".as_bytes()),
        ),
    ]
}

fn deflate_negotiation_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let seed = |flags: u8, windows: u8, text: &str| {
        let mut v = vec![flags, windows];
        v.extend_from_slice(text.as_bytes());
        v
    };
    vec![
        (
            "autobahn-offer",
            seed(
                0b0_1011,
                0x79,
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9\0permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
            ),
        ),
        (
            "fallback-offers",
            seed(
                0b0_0001,
                0x70,
                "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits=12\nx-webkit-deflate-frame\0permessage-deflate; client_max_window_bits=\"12\"",
            ),
        ),
        (
            "invalid-offers",
            seed(
                0b1_1111,
                0x08,
                "permessage-deflate; server_max_window_bits=08, permessage-deflate; foo, permessage-deflate; server_max_window_bits\0permessage-deflate; client_max_window_bits",
            ),
        ),
    ]
}

/// The bytes of `target`'s seed `seed-<name>`, for the targets' own tests.
#[cfg(test)]
pub(crate) fn named(target: &str, name: &str) -> Vec<u8> {
    let file = format!("seed-{name}");
    all()
        .into_iter()
        .find(|s| s.target == target && s.name == file)
        .unwrap_or_else(|| panic!("no seed {file} for {target}"))
        .bytes
}

/// Every seed of every target.
pub fn all() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push(Seed {
            target,
            name: format!("seed-{name}"),
            bytes,
        })
    };
    for (name, flags, cuts, stream) in frame_seeds() {
        add(
            "frame_decoder",
            name,
            SplitInput::encode(flags, &[], &cuts, &stream),
        );
    }
    for (name, flags, config, cuts, stream) in endpoint_seeds() {
        add(
            "endpoint",
            name,
            SplitInput::encode(flags, &config, &cuts, &stream),
        );
    }

    add("handshake_request", "rfc6455-1.2", RFC_REQUEST.into());
    add(
        "handshake_request",
        "permessage-deflate",
        RFC_REQUEST
            .replace(
                "Sec-WebSocket-Version: 13\r\n",
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit-deflate-frame\r\n",
            )
            .into(),
    );
    add(
        "handshake_request",
        "version-8-folded",
        RFC_REQUEST
            .replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8")
            .replace("Upgrade: websocket", "Upgrade:\r\n websocket")
            .into(),
    );

    add("handshake_response", "rfc6455-1.2", RFC_RESPONSE.into());
    add(
        "handshake_response",
        "permessage-deflate",
        RFC_RESPONSE
            .replace(
                "Sec-WebSocket-Protocol: chat\r\n",
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"10\"\r\n",
            )
            .into(),
    );
    add(
        "handshake_response",
        "426",
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\nContent-Length: 0\r\n\r\n".to_vec(),
    );

    add(
        "extensions",
        "deflate-webkit",
        b"permessage-deflate; client_max_window_bits, x-webkit-deflate-frame".to_vec(),
    );
    add(
        "extensions",
        "quoted",
        b"permessage-deflate; server_max_window_bits=\"10\"; server_no_context_takeover".to_vec(),
    );
    add(
        "extensions",
        "two-values",
        b"permessage-deflate; client_max_window_bits=15\nx-webkit-deflate-frame; no_context_takeover"
            .to_vec(),
    );

    let utf8: [(&str, u8, Vec<u16>, &[u8]); 6] = [
        (
            "autobahn-6.2",
            0,
            vec![6, 7, 13],
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
        ),
        ("kosme", BYTE_BY_BYTE, vec![], "κόσμε".as_bytes()),
        ("surrogate", 0, vec![1], b"\xed\xa0\x80"),
        ("above-max", 0, vec![2], b"\xf4\x90\x80\x80"),
        ("incomplete", 0, vec![], b"\xce\xba\xe1"),
        ("4-byte-split", 0, vec![1, 2, 3], "a\u{1D11E}b".as_bytes()),
    ];
    for (name, flags, cuts, text) in utf8 {
        add("utf8", name, SplitInput::encode(flags, &[], &cuts, text));
    }

    add(
        "close_payload",
        "1000-bye",
        encode_close_payload(1000, b"bye"),
    );
    add("close_payload", "empty", Vec::new());
    add("close_payload", "one-byte", vec![0x03]);
    add("close_payload", "1005", encode_close_payload(1005, b""));
    add(
        "close_payload",
        "bad-reason",
        encode_close_payload(1000, b"\xc0\xaf"),
    );
    for (name, bytes) in deflate_inflate_seeds() {
        add("deflate_inflate", name, bytes);
    }
    for (name, bytes) in deflate_roundtrip_seeds() {
        add("deflate_roundtrip", name, bytes);
    }
    for (name, bytes) in deflate_negotiation_seeds() {
        add("deflate_negotiation", name, bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn corpus_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
    }

    /// The committed seed files are exactly what this module builds.
    #[test]
    fn seed_files_are_up_to_date() {
        let write = std::env::var_os("WS_FUZZ_WRITE_SEEDS").is_some();
        for seed in all() {
            let path = corpus_dir().join(seed.target).join(&seed.name);
            if write {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &seed.bytes).unwrap();
            }
            let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (WS_FUZZ_WRITE_SEEDS=1 writes it)", path.display())
            });
            assert_eq!(on_disk, seed.bytes, "{} is stale", path.display());
        }
    }

    /// Each target has seeds, and every seed passes its target's checks.
    #[test]
    fn every_seed_passes_its_target() {
        let seeds = all();
        for target in crate::TARGETS {
            assert!(
                seeds.iter().any(|s| s.target == target.0),
                "{} has no seed",
                target.0
            );
        }
        for seed in &seeds {
            let (_, run) = crate::TARGETS
                .iter()
                .find(|t| t.0 == seed.target)
                .expect("seed of a known target");
            run(&seed.bytes);
        }
    }
}
