//! The seed corpus, built from ws-spec's own encoders so each seed is the
//! exact bytes it claims to be. `corpus/<target>/seed-<name>` holds them; the
//! tests check that the files match, and rewrite them when
//! `WS_FUZZ_WRITE_SEEDS=1` is set.

use ws_spec::close::encode_close_payload;
use ws_spec::frame::{Frame, LengthForm};

use crate::endpoint::CONFIG_LEN;
use crate::split::{SplitInput, BYTE_BY_BYTE};

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
