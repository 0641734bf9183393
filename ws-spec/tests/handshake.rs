//! Opening handshake (RFC 6455 §4) and extension header grammar (RFC 6455 §9.1).

use proptest::prelude::*;
use ws_spec::handshake::*;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const MAX: usize = 8192;

fn builder() -> RequestBuilder {
    RequestBuilder::new("example.com:9001", "/chat", KEY)
}

fn parse_req(bytes: &[u8]) -> Result<Option<(Request, usize)>, HandshakeError> {
    parse_request(bytes, MAX)
}

fn parsed(b: &RequestBuilder) -> Request {
    let bytes = b.encode();
    let (req, consumed) = parse_req(&bytes).unwrap().expect("complete head");
    assert_eq!(consumed, bytes.len());
    req
}

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// Accept key
// ---------------------------------------------------------------------------

#[test]
fn rfc6455_1_3_accept_vector() {
    assert_eq!(accept_key(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn rfc6455_4_1_random_key_is_a_valid_nonce() {
    for seed in 0..50 {
        let key = random_key(seed);
        let req = parsed(&RequestBuilder::new("h", "/", &key));
        assert_eq!(validate_request(&req).unwrap().key, key);
    }
}

// ---------------------------------------------------------------------------
// Builder knobs round-trip through parse_request
// ---------------------------------------------------------------------------

#[test]
fn rfc6455_4_1_standard_request_layout() {
    let req = parsed(&builder());
    assert_eq!(req.method, "GET");
    assert_eq!(req.target, "/chat");
    assert_eq!(req.version, "HTTP/1.1");
    assert_eq!(
        req.headers,
        owned(&[
            ("Host", "example.com:9001"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ])
    );
}

#[test]
fn builder_start_line_knobs_round_trip() {
    let req = parsed(
        &builder()
            .method("POST")
            .target("/a/b?x=1&y=%20")
            .http_version("HTTP/1.0"),
    );
    assert_eq!(
        (
            req.method.as_str(),
            req.target.as_str(),
            req.version.as_str()
        ),
        ("POST", "/a/b?x=1&y=%20", "HTTP/1.0")
    );
}

#[test]
fn builder_set_replaces_all_at_first_position() {
    let b = builder()
        .add("Sec-WebSocket-Key", "second")
        .set("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA==");
    let req = parsed(&b);
    assert_eq!(
        req.headers[3],
        (
            "sec-websocket-key".into(),
            "AAAAAAAAAAAAAAAAAAAAAA==".into()
        )
    );
    assert_eq!(
        req.header_all("Sec-WebSocket-Key"),
        vec!["AAAAAAAAAAAAAAAAAAAAAA=="]
    );
    assert_eq!(req.headers.len(), 5);
    // A name not present is appended.
    let req = parsed(&builder().set("Origin", "http://example.com"));
    assert_eq!(
        req.headers.last().unwrap(),
        &("Origin".into(), "http://example.com".into())
    );
}

#[test]
fn builder_add_duplicates() {
    let req = parsed(&builder().add("Sec-WebSocket-Version", "8"));
    assert_eq!(req.header_all("sec-websocket-version"), vec!["13", "8"]);
}

#[test]
fn builder_remove_is_case_insensitive() {
    let req = parsed(&builder().add("HOST", "other").remove("host"));
    assert_eq!(req.header("Host"), None);
    assert_eq!(req.headers.len(), 4);
}

#[test]
fn builder_rename_keeps_value_and_position() {
    let req = parsed(&builder().rename("upgrade", "UPGRADE"));
    assert_eq!(req.headers[1], ("UPGRADE".into(), "websocket".into()));
}

#[test]
fn builder_raw_line_is_verbatim() {
    let req = parsed(&builder().raw_header_line("X-Raw:no-space-here"));
    assert_eq!(
        req.headers.last().unwrap(),
        &("X-Raw".into(), "no-space-here".into())
    );
    let bytes = builder().raw_header_line("junk line").encode();
    assert!(bytes.windows(11).any(|w| w == b"junk line\r\n"));
}

#[test]
fn builder_reorder_moves_listed_first() {
    let req = parsed(
        &builder()
            .add("X-A", "1")
            .reorder(&["sec-websocket-version", "X-A", "Host"]),
    );
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Sec-WebSocket-Version",
            "X-A",
            "Host",
            "Upgrade",
            "Connection",
            "Sec-WebSocket-Key"
        ]
    );
}

#[test]
fn builder_line_ending_knob_with_lenient_parse_rfc9112_2_2() {
    let b = builder().line_ending("\n");
    let bytes = b.encode();
    let opts = ParseOptions {
        max_head: MAX,
        allow_bare_lf: true,
    };
    let (req, consumed) = parse_request_with(&bytes, &opts).unwrap().unwrap();
    assert_eq!(consumed, bytes.len());
    assert_eq!(req, parsed(&builder()));
}

// ---------------------------------------------------------------------------
// Head parsing
// ---------------------------------------------------------------------------

#[test]
fn rfc9112_2_2_bare_lf_rejected_by_default_with_offset() {
    let bytes = builder().line_ending("\n").encode();
    let first_lf = bytes.iter().position(|&b| b == b'\n').unwrap();
    match parse_req(&bytes) {
        Err(HandshakeError::Malformed { offset, .. }) => assert_eq!(offset, first_lf),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc9112_2_2_bare_cr_rejected() {
    let bytes = b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n";
    assert!(matches!(
        parse_req(bytes),
        Err(HandshakeError::Malformed { offset: 23, .. })
    ));
}

#[test]
fn rfc9112_5_2_obs_fold_joined_with_one_space() {
    let b = builder()
        .remove("Connection")
        .raw_header_line("Connection: keep-alive,")
        .raw_header_line(" \t Upgrade  ")
        .raw_header_line("X-Other: a")
        .raw_header_line("\t")
        .raw_header_line("\tb");
    let req = parsed(&b);
    assert_eq!(req.header("Connection"), Some("keep-alive, Upgrade"));
    assert_eq!(req.header("X-Other"), Some("a b"));
    assert!(validate_request(&req).is_ok());
}

#[test]
fn rfc9112_2_2_fold_before_first_header_rejected() {
    let bytes = b"GET / HTTP/1.1\r\n Host: a\r\n\r\n";
    assert!(matches!(
        parse_req(bytes),
        Err(HandshakeError::Malformed { offset: 16, .. })
    ));
}

#[test]
fn rfc9112_5_1_space_before_colon_rejected() {
    let bytes = builder().raw_header_line("X-Bad : v").encode();
    let at = bytes.windows(6).position(|w| w == b"X-Bad ").unwrap() + 5;
    match parse_req(&bytes) {
        Err(HandshakeError::Malformed { offset, what }) => {
            assert_eq!(offset, at);
            assert!(what.contains("whitespace"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc9112_5_header_without_colon_and_bad_bytes_rejected() {
    for (line, what) in [
        ("no colon here", "no ':'"),
        (": empty name", "empty field name"),
        ("X(y): v", "field name"),
        ("X-Ctl: a\u{1}b", "field value"),
    ] {
        let err = parse_req(&builder().raw_header_line(line).encode()).unwrap_err();
        match err {
            HandshakeError::Malformed { what: w, .. } => assert!(w.contains(what), "{line}: {w}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(err_status(line), 400);
    }
}

fn err_status(line: &str) -> u16 {
    parse_req(&builder().raw_header_line(line).encode())
        .unwrap_err()
        .status()
}

#[test]
fn rfc9112_3_request_line_errors() {
    for (bytes, offset) in [
        (&b"GET  / HTTP/1.1\r\n\r\n"[..], 4),
        (b"GET /\r\n\r\n", 5),
        (b"G(T / HTTP/1.1\r\n\r\n", 1),
        (b"GET / HTTP/1.1 \r\n\r\n", 6),
        (b"GET / http/1.1\r\n\r\n", 6),
        (b"GET / HTTP/11\r\n\r\n", 6),
        (b"GET /\x7f HTTP/1.1\r\n\r\n", 5),
    ] {
        match parse_req(bytes) {
            Err(HandshakeError::Malformed { offset: o, .. }) => {
                assert_eq!(o, offset, "{:?}", String::from_utf8_lossy(bytes))
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bytes)),
        }
    }
}

#[test]
fn rfc9112_2_2_leading_empty_lines_before_request_skipped() {
    let mut bytes = b"\r\n\r\n".to_vec();
    bytes.extend(builder().encode());
    let (req, consumed) = parse_req(&bytes).unwrap().unwrap();
    assert_eq!(consumed, bytes.len());
    assert_eq!(req, parsed(&builder()));
    // Not before a status line.
    assert!(matches!(
        parse_response(b"\r\nHTTP/1.1 101 OK\r\n\r\n", MAX),
        Err(HandshakeError::Malformed { offset: 0, .. })
    ));
}

#[test]
fn head_too_large_is_reported_with_the_limit() {
    let bytes = builder().add("X-Pad", &"a".repeat(300)).encode();
    assert_eq!(
        parse_request(&bytes, 200),
        Err(HandshakeError::HeadTooLarge(200))
    );
    assert_eq!(HandshakeError::HeadTooLarge(200).status(), 431);
    // Exactly fitting is fine; one byte short is not.
    assert!(parse_request(&bytes, bytes.len()).unwrap().is_some());
    assert_eq!(
        parse_request(&bytes, bytes.len() - 1),
        Err(HandshakeError::HeadTooLarge(bytes.len() - 1))
    );
    // A partial head below the limit just needs more bytes.
    assert_eq!(parse_request(&bytes[..100], 1000), Ok(None));
}

#[test]
fn non_utf8_value_decoded_as_latin1() {
    let mut bytes = b"GET / HTTP/1.1\r\nX-L: caf\xe9\r\nX-U: caf\xc3\xa9\r\n\r\n".to_vec();
    let (req, _) = parse_req(&bytes).unwrap().unwrap();
    assert_eq!(req.header("x-l"), Some("caf\u{e9}"));
    assert_eq!(req.header("x-u"), Some("caf\u{e9}"));
    bytes.truncate(10);
    assert_eq!(parse_req(&bytes), Ok(None));
}

fn feed_byte_by_byte<T: std::fmt::Debug + PartialEq>(
    bytes: &[u8],
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, HandshakeError>,
) -> Result<Option<(T, usize)>, HandshakeError> {
    for len in 0..=bytes.len() {
        match parse(&bytes[..len]) {
            Ok(None) => continue,
            decided => return decided,
        }
    }
    Ok(None)
}

#[test]
fn incremental_request_parsing_equals_whole_and_keeps_frame_bytes() {
    let head = builder()
        .raw_header_line("X-Folded: a")
        .raw_header_line("  b")
        .add("Sec-WebSocket-Protocol", "chat, superchat")
        .encode();
    let frame = [
        0x81u8, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut bytes = head.clone();
    bytes.extend_from_slice(&frame);
    let whole = parse_req(&bytes).unwrap().unwrap();
    let incremental = feed_byte_by_byte(&bytes, parse_req).unwrap().unwrap();
    assert_eq!(whole, incremental);
    assert_eq!(whole.1, head.len());
    assert_eq!(&bytes[whole.1..], &frame);
    for len in 0..head.len() {
        assert_eq!(parse_req(&bytes[..len]), Ok(None), "prefix {len}");
    }
}

#[test]
fn incremental_response_parsing_equals_whole() {
    let mut bytes = accept_response(KEY, Some("chat"), &[]);
    let head_len = bytes.len();
    bytes.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    let parse = |b: &[u8]| parse_response(b, MAX);
    let whole = parse(&bytes).unwrap().unwrap();
    assert_eq!(feed_byte_by_byte(&bytes, parse).unwrap().unwrap(), whole);
    assert_eq!(whole.1, head_len);
    assert_eq!(whole.0.status, 101);
    assert_eq!(whole.0.reason, "Switching Protocols");
}

#[test]
fn rfc9112_4_status_line_forms() {
    let (resp, _) = parse_response(b"HTTP/1.1 101\r\n\r\n", MAX)
        .unwrap()
        .unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (101, ""));
    let (resp, _) = parse_response(b"HTTP/1.1 404 \r\n\r\n", MAX)
        .unwrap()
        .unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (404, ""));
    for (bytes, offset) in [
        (&b"HTTP/1.1 1x1 OK\r\n\r\n"[..], 9),
        (b"HTTP/1.1 1010 OK\r\n\r\n", 12),
        (b"HTTP/1.1 099 OK\r\n\r\n", 9),
        (b"HTTP/1.1\r\n\r\n", 8),
        (b"HTTP/1 101 OK\r\n\r\n", 0),
    ] {
        match parse_response(bytes, MAX) {
            Err(HandshakeError::Malformed { offset: o, .. }) => assert_eq!(o, offset),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bytes)),
        }
    }
}

// ---------------------------------------------------------------------------
// Server validation (RFC 6455 §4.2.1, §4.2.2, §4.4)
// ---------------------------------------------------------------------------

fn refuse(b: RequestBuilder) -> (u16, Vec<u8>, HandshakeError) {
    let req = parsed(&b);
    let direct = validate_request(&req).unwrap_err();
    match server_respond(&req, &ServerConfig::default()) {
        ServerDecision::Refuse {
            status,
            response,
            error,
        } => {
            assert_eq!(error, direct);
            assert_eq!(status, error.status());
            (status, response, error)
        }
        accept => panic!("accepted: {accept:?}"),
    }
}

fn response_of(bytes: &[u8]) -> Response {
    let (resp, consumed) = parse_response(bytes, MAX).unwrap().unwrap();
    let body = &bytes[consumed..];
    let declared: usize = resp
        .header("Content-Length")
        .unwrap_or("0")
        .parse()
        .unwrap();
    assert_eq!(declared, body.len());
    resp
}

#[test]
fn rfc6455_4_2_1_each_invalid_request_kind() {
    let cases: Vec<(RequestBuilder, HandshakeError, u16)> = vec![
        (
            builder().method("POST"),
            HandshakeError::NotGet("POST".into()),
            405,
        ),
        (
            builder().method("get"),
            HandshakeError::NotGet("get".into()),
            405,
        ),
        (
            builder().http_version("HTTP/1.0"),
            HandshakeError::HttpVersion("HTTP/1.0".into()),
            400,
        ),
        (
            builder().remove("Host"),
            HandshakeError::MissingHeader("Host"),
            400,
        ),
        (
            builder().add("Host", "b"),
            HandshakeError::DuplicateHeader("Host"),
            400,
        ),
        (
            builder().set("Host", "a b"),
            HandshakeError::BadHost("a b".into()),
            400,
        ),
        (
            builder().remove("Upgrade"),
            HandshakeError::MissingHeader("Upgrade"),
            400,
        ),
        (
            builder().set("Upgrade", "h2c"),
            HandshakeError::UpgradeNotWebsocket("h2c".into()),
            400,
        ),
        (
            builder().set("Upgrade", "websocket/13"),
            HandshakeError::UpgradeNotWebsocket("websocket/13".into()),
            400,
        ),
        (
            builder().remove("Connection"),
            HandshakeError::MissingHeader("Connection"),
            400,
        ),
        (
            builder().set("Connection", "keep-alive, Upgraded"),
            HandshakeError::ConnectionNoUpgrade("keep-alive, Upgraded".into()),
            400,
        ),
        (
            builder().remove("Sec-WebSocket-Key"),
            HandshakeError::MissingHeader("Sec-WebSocket-Key"),
            400,
        ),
        (
            builder().add("Sec-WebSocket-Key", KEY),
            HandshakeError::DuplicateHeader("Sec-WebSocket-Key"),
            400,
        ),
        (
            builder().set("Sec-WebSocket-Key", "abc"),
            HandshakeError::BadKey("abc".into()),
            400,
        ),
        // 15 bytes, and 17 bytes, are not a 16-byte nonce.
        (
            builder().set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"),
            HandshakeError::BadKey("AAAAAAAAAAAAAAAAAAAA".into()),
            400,
        ),
        (
            builder().set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA="),
            HandshakeError::BadKey("AAAAAAAAAAAAAAAAAAAAAAA=".into()),
            400,
        ),
        // Non-canonical trailing bits.
        (
            builder().set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAB=="),
            HandshakeError::BadKey("AAAAAAAAAAAAAAAAAAAAAB==".into()),
            400,
        ),
        (
            builder().remove("Sec-WebSocket-Version"),
            HandshakeError::MissingHeader("Sec-WebSocket-Version"),
            400,
        ),
        (
            builder().add("Sec-WebSocket-Version", "13"),
            HandshakeError::DuplicateHeader("Sec-WebSocket-Version"),
            400,
        ),
        (
            builder().set("Sec-WebSocket-Version", "8"),
            HandshakeError::UnsupportedVersion("8".into()),
            426,
        ),
        (
            builder().set("Sec-WebSocket-Version", "14"),
            HandshakeError::UnsupportedVersion("14".into()),
            426,
        ),
        (
            builder().set("Sec-WebSocket-Protocol", "chat, chat"),
            HandshakeError::BadSubprotocolList("chat, chat".into()),
            400,
        ),
        (
            builder().set("Sec-WebSocket-Protocol", "a b"),
            HandshakeError::BadSubprotocolList("a b".into()),
            400,
        ),
        (
            builder().set("Sec-WebSocket-Protocol", ""),
            HandshakeError::BadSubprotocolList("".into()),
            400,
        ),
    ];
    for (b, expected, status) in cases {
        let (got_status, response, error) = refuse(b.clone());
        assert_eq!(error, expected, "{b:?}");
        assert_eq!(got_status, status, "{b:?}");
        let resp = response_of(&response);
        assert_eq!(resp.status, status);
    }
}

#[test]
fn rfc6455_4_4_version_mismatch_answers_426_with_version_header() {
    let (status, response, _) = refuse(builder().set("Sec-WebSocket-Version", "8"));
    assert_eq!(status, 426);
    let resp = response_of(&response);
    assert_eq!(resp.header("Sec-WebSocket-Version"), Some("13"));
    // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
    assert_eq!(resp.header("Upgrade"), Some("websocket"));
}

#[test]
fn rfc9110_15_5_6_method_refusal_has_allow() {
    let (_, response, _) = refuse(builder().method("PUT"));
    assert_eq!(response_of(&response).header("Allow"), Some("GET"));
}

#[test]
fn rfc6455_9_1_extension_syntax_refused_only_when_extensions_are_read() {
    let req = parsed(&builder().set("Sec-WebSocket-Extensions", "permessage-deflate;"));
    assert!(matches!(
        validate_request(&req),
        Err(HandshakeError::BadExtensionSyntax { offset: 19, .. })
    ));
    let strict = ServerConfig {
        extensions_supported: true,
        ..ServerConfig::default()
    };
    assert!(matches!(
        server_respond(&req, &strict),
        ServerDecision::Refuse { status: 400, .. }
    ));
    assert!(matches!(
        server_respond(&req, &ServerConfig::default()),
        ServerDecision::Accept { .. }
    ));
}

#[test]
fn rfc6455_4_2_1_valid_variations_accepted() {
    let variations = vec![
        builder(),
        builder()
            .rename("Host", "HOST")
            .rename("Sec-WebSocket-Key", "sec-websocket-key"),
        builder()
            .rename("Upgrade", "uPgRaDe")
            .rename("Connection", "CONNECTION"),
        builder().set("Upgrade", "WebSocket"),
        builder().set("Upgrade", "h2c, websocket"),
        builder().set("Connection", "keep-alive, Upgrade"),
        builder().set("Connection", "upgrade"),
        builder()
            .remove("Connection")
            .add("Connection", "keep-alive")
            .add("Connection", "Upgrade"),
        builder()
            .remove("Connection")
            .raw_header_line("Connection: keep-alive,")
            .raw_header_line("  Upgrade"),
        builder()
            .add("X-Unknown", "whatever")
            .add("User-Agent", "test/1.0"),
        builder().target("/chat?room=1&user=a%20b"),
        builder().set("Host", "example.com"),
        builder().set("Host", "[::1]:9001"),
        builder().set("Host", "127.0.0.1"),
        builder().http_version("HTTP/1.2"),
        builder().set("Sec-WebSocket-Key", "  dGhlIHNhbXBsZSBub25jZQ==  "),
        builder().reorder(&[
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Key",
            "Connection",
            "Upgrade",
            "Host",
        ]),
        builder().add("Origin", "http://example.com"),
    ];
    for b in variations {
        let req = parsed(&b);
        let v = validate_request(&req).unwrap_or_else(|e| panic!("{b:?}: {e}"));
        assert_eq!(v.key, KEY);
        match server_respond(&req, &ServerConfig::default()) {
            ServerDecision::Accept {
                response,
                subprotocol,
                key,
            } => {
                assert_eq!(key, KEY);
                assert_eq!(subprotocol, None);
                let resp = response_of(&response);
                assert_eq!(
                    validate_response(&resp, KEY, &[], &[]),
                    Ok(Accepted {
                        subprotocol: None,
                        extensions: vec![]
                    })
                );
            }
            refuse => panic!("{b:?}: {refuse:?}"),
        }
    }
}

#[test]
fn rfc6455_4_2_2_accept_response_layout() {
    let req = parsed(&builder());
    let ServerDecision::Accept { response, .. } = server_respond(&req, &ServerConfig::default())
    else {
        panic!()
    };
    assert_eq!(
        response,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    );
}

#[test]
fn rfc6455_4_2_2_subprotocol_chosen_by_server_preference() {
    let req = parsed(
        &builder()
            .add("Sec-WebSocket-Protocol", "chat")
            .add("sec-websocket-protocol", "superchat, x"),
    );
    let v = validate_request(&req).unwrap();
    assert_eq!(v.subprotocols, strings(&["chat", "superchat", "x"]));
    let config = ServerConfig {
        subprotocols: strings(&["y", "superchat", "chat"]),
        extensions_supported: false,
    };
    match server_respond(&req, &config) {
        ServerDecision::Accept {
            response,
            subprotocol,
            ..
        } => {
            assert_eq!(subprotocol.as_deref(), Some("superchat"));
            let resp = response_of(&response);
            assert_eq!(resp.header_all("Sec-WebSocket-Protocol"), vec!["superchat"]);
            let offered = v.subprotocols.clone();
            assert_eq!(
                validate_response(&resp, KEY, &offered, &[])
                    .unwrap()
                    .subprotocol
                    .as_deref(),
                Some("superchat")
            );
        }
        r => panic!("{r:?}"),
    }
    // No common subprotocol: accepted without one (RFC 6455 §4.2.2 item 5.4 allows null).
    let none = ServerConfig {
        subprotocols: strings(&["other"]),
        extensions_supported: false,
    };
    let ServerDecision::Accept {
        response,
        subprotocol,
        ..
    } = server_respond(&req, &none)
    else {
        panic!()
    };
    assert_eq!(subprotocol, None);
    assert_eq!(
        response_of(&response).header("Sec-WebSocket-Protocol"),
        None
    );
}

#[test]
fn rfc6455_4_2_1_optional_fields_reported() {
    let req = parsed(
        &builder()
            .add("Origin", "http://a.example")
            .add("Origin", "http://b.example")
            .add(
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_max_window_bits",
            )
            .add("Sec-WebSocket-Extensions", "x-foo"),
    );
    let v = validate_request(&req).unwrap();
    assert_eq!(v.origin.as_deref(), Some("http://a.example"));
    assert_eq!(
        v.extensions,
        vec![
            ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", None),
            ExtensionOffer::new("x-foo"),
        ]
    );
}

// ---------------------------------------------------------------------------
// Client validation (RFC 6455 §4.1)
// ---------------------------------------------------------------------------

fn good_response() -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(KEY)
    )
}

fn check(extra_and_edit: impl Fn(String) -> String) -> Result<Accepted, HandshakeError> {
    let text = extra_and_edit(good_response()) + "\r\n";
    let (resp, _) = parse_response(text.as_bytes(), MAX).unwrap().unwrap();
    validate_response(
        &resp,
        KEY,
        &strings(&["chat", "superchat"]),
        &strings(&["permessage-deflate"]),
    )
}

#[test]
fn rfc6455_4_1_valid_responses_accepted() {
    assert_eq!(
        check(|s| s),
        Ok(Accepted {
            subprotocol: None,
            extensions: vec![]
        })
    );
    assert!(check(|s| s.replace("Upgrade: websocket", "UPGRADE: WebSocket")).is_ok());
    assert!(check(|s| s.replace("Connection: Upgrade", "Connection: keep-alive, upgrade")).is_ok());
    assert!(check(|s| s.replace("101 Switching Protocols", "101 OK")).is_ok());
    let accepted = check(|s| {
        s + "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
    })
    .unwrap();
    assert_eq!(accepted.subprotocol.as_deref(), Some("chat"));
    assert_eq!(
        accepted.extensions,
        vec![ExtensionOffer::new("permessage-deflate")
            .with_param("server_no_context_takeover", None)]
    );
}

/// An edit of the good response text.
type Edit = dyn Fn(String) -> String;

#[test]
fn rfc6455_4_1_each_response_failure() {
    let expected_accept = accept_key(KEY);
    let cases: Vec<(Box<Edit>, HandshakeError)> = vec![
        (
            Box::new(|s| s.replace("101 Switching Protocols", "200 OK")),
            HandshakeError::Status(200),
        ),
        (
            Box::new(|s| s.replace("HTTP/1.1", "HTTP/1.0")),
            HandshakeError::HttpVersion("HTTP/1.0".into()),
        ),
        (
            Box::new(|s| s.replace("Upgrade: websocket\r\n", "")),
            HandshakeError::MissingHeader("Upgrade"),
        ),
        (
            Box::new(|s| s.replace("Upgrade: websocket", "Upgrade: websocket, h2c")),
            HandshakeError::UpgradeNotWebsocket("websocket, h2c".into()),
        ),
        (
            Box::new(|s| s.replace("Upgrade: websocket", "Upgrade: websockets")),
            HandshakeError::UpgradeNotWebsocket("websockets".into()),
        ),
        (
            Box::new(|s| s.replace("Connection: Upgrade\r\n", "")),
            HandshakeError::MissingHeader("Connection"),
        ),
        (
            Box::new(|s| s.replace("Connection: Upgrade", "Connection: close")),
            HandshakeError::ConnectionNoUpgrade("close".into()),
        ),
        (
            Box::new(|s| {
                s.replace(
                    &format!("Sec-WebSocket-Accept: {}\r\n", accept_key(KEY)),
                    "",
                )
            }),
            HandshakeError::MissingHeader("Sec-WebSocket-Accept"),
        ),
        (
            Box::new(|s| s.clone() + &format!("Sec-WebSocket-Accept: {}\r\n", accept_key(KEY))),
            HandshakeError::DuplicateHeader("Sec-WebSocket-Accept"),
        ),
        (
            Box::new(|s| s.replace(&accept_key(KEY), &accept_key("AAAAAAAAAAAAAAAAAAAAAA=="))),
            HandshakeError::WrongAccept {
                expected: expected_accept.clone(),
                got: accept_key("AAAAAAAAAAAAAAAAAAAAAA=="),
            },
        ),
        (
            // The accept value is case-sensitive base64.
            Box::new(|s| s.replace(&accept_key(KEY), &accept_key(KEY).to_lowercase())),
            HandshakeError::WrongAccept {
                expected: expected_accept.clone(),
                got: expected_accept.to_lowercase(),
            },
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
            HandshakeError::UnofferedExtension("x-webkit-deflate-frame".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Extensions: permessage-deflate, x\r\n"),
            HandshakeError::UnofferedExtension("x".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Protocol: mqtt\r\n"),
            HandshakeError::UnofferedSubprotocol("mqtt".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Protocol: Chat\r\n"),
            HandshakeError::UnofferedSubprotocol("Chat".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Protocol: chat, superchat\r\n"),
            HandshakeError::MultipleSubprotocols("chat, superchat".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
            HandshakeError::MultipleSubprotocols("chat, chat".into()),
        ),
        (
            Box::new(|s| s + "Sec-WebSocket-Protocol: \r\n"),
            HandshakeError::BadSubprotocolList("".into()),
        ),
    ];
    for (edit, expected) in cases {
        assert_eq!(check(edit), Err(expected.clone()), "{expected}");
    }
    assert!(matches!(
        check(|s| s + "Sec-WebSocket-Extensions: permessage-deflate;=\r\n"),
        Err(HandshakeError::BadExtensionSyntax { offset: 19, .. })
    ));
}

// ---------------------------------------------------------------------------
// Extension grammar (RFC 6455 §9.1)
// ---------------------------------------------------------------------------

#[test]
fn rfc6455_9_1_several_offers_params_and_quoted_values() {
    let offers = parse_extensions(&[
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate",
        " x-foo ; a = \"b\\c\" ;d=\"12\",, ",
    ])
    .unwrap();
    assert_eq!(
        offers,
        vec![
            ExtensionOffer::new("permessage-deflate")
                .with_param("client_max_window_bits", None)
                .with_param("server_max_window_bits", Some("10")),
            ExtensionOffer::new("permessage-deflate"),
            ExtensionOffer::new("x-foo")
                .with_param("a", Some("bc"))
                .with_param("d", Some("12")),
        ]
    );
}

#[test]
fn rfc6455_9_1_no_header_is_no_offer() {
    assert_eq!(parse_extensions(&[]), Ok(vec![]));
}

#[test]
fn rfc6455_9_1_format_round_trips() {
    let offers = vec![
        ExtensionOffer::new("permessage-deflate")
            .with_param("client_max_window_bits", None)
            .with_param("server_max_window_bits", Some("15")),
        ExtensionOffer::new("x"),
    ];
    let text = format_extensions(&offers);
    assert_eq!(
        text,
        "permessage-deflate; client_max_window_bits; server_max_window_bits=15, x"
    );
    assert_eq!(parse_extensions(&[&text]), Ok(offers));
    // A value that is not a token is quoted and escaped, and then refused on reading.
    let odd = vec![ExtensionOffer::new("x").with_param("p", Some("a \"b"))];
    let text = format_extensions(&odd);
    assert_eq!(text, r#"x; p="a \"b""#);
    assert!(parse_extensions(&[&text]).is_err());
}

#[test]
fn rfc6455_9_1_syntax_errors_with_offsets() {
    for (value, offset, what) in [
        ("", 0, "no extension"),
        (" , ,", 0, "no extension"),
        (";a", 0, "extension name"),
        ("a;", 2, "parameter name"),
        ("a; =1", 3, "parameter name"),
        ("a; b=", 5, "parameter value"),
        ("a; b=,", 5, "parameter value"),
        ("a; b=\"\"", 5, "not a token"),
        ("a; b=\"x y\"", 5, "not a token"),
        ("a; b=\"12", 5, "unterminated"),
        ("a; b=\"1\\", 7, "backslash"),
        ("a b", 2, "expected ','"),
        ("a; b=1 2", 7, "expected ','"),
        ("a; b=1=2", 6, "expected ','"),
        ("a/b", 1, "expected ','"),
        ("a; b=\"1\u{1}\"", 7, "control"),
    ] {
        match parse_extensions(&["ok", value]) {
            Err(HandshakeError::BadExtensionSyntax {
                value: v,
                offset: o,
                what: w,
            }) => {
                assert_eq!(v, value);
                assert_eq!(o, offset, "{value:?}: {w}");
                assert!(w.contains(what), "{value:?}: {w}");
            }
            other => panic!("{value:?}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn incremental_agrees(bytes: &[u8], max: usize) {
    let whole = parse_request(bytes, max);
    let stepped = feed_byte_by_byte(bytes, |b| parse_request(b, max));
    assert_eq!(whole, stepped);
    if let Ok(Some((_, consumed))) = whole {
        assert!(consumed <= bytes.len() && consumed <= max);
    }
}

fn mutated_request() -> impl Strategy<Value = Vec<u8>> {
    let base = builder()
        .raw_header_line("X-Fold: a")
        .raw_header_line(" b")
        .add("Sec-WebSocket-Extensions", "permessage-deflate; x=\"1\"")
        .encode();
    (
        Just(base),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4),
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(mut bytes, edits, tail)| {
            for (at, byte, kind) in edits {
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            bytes.extend(tail);
            bytes
        })
}

proptest! {
    #[test]
    fn parse_request_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), max in 0usize..600) {
        let _ = parse_request(&bytes, max);
        let _ = parse_response(&bytes, max);
        let opts = ParseOptions { max_head: max, allow_bare_lf: true };
        let _ = parse_request_with(&bytes, &opts);
    }

    #[test]
    fn arbitrary_bytes_parse_the_same_whole_or_byte_by_byte(bytes in prop::collection::vec(any::<u8>(), 0..200), max in 0usize..300) {
        incremental_agrees(&bytes, max);
    }

    #[test]
    fn mutated_requests_parse_the_same_whole_or_byte_by_byte(bytes in mutated_request(), max in 100usize..400) {
        incremental_agrees(&bytes, max);
        if let Ok(Some((req, _))) = parse_request(&bytes, max) {
            // Validation never panics either, and its refusal always has a response.
            if let ServerDecision::Refuse { response, status, .. } = server_respond(&req, &ServerConfig::default()) {
                let prefix = format!("HTTP/1.1 {} ", status);
                prop_assert!(response.starts_with(prefix.as_bytes()));
            }
        }
    }

    #[test]
    fn extension_format_parse_round_trip(
        offers in prop::collection::vec(
            ("[a-z][a-z0-9_-]{0,8}", prop::collection::vec(("[a-z_]{1,8}", prop::option::of("[A-Za-z0-9.!#]{1,5}")), 0..4)),
            1..4,
        )
    ) {
        let offers: Vec<ExtensionOffer> = offers
            .into_iter()
            .map(|(name, params)| ExtensionOffer { name, params })
            .collect();
        let text = format_extensions(&offers);
        prop_assert_eq!(parse_extensions(&[&text]), Ok(offers));
    }

    #[test]
    fn extension_parse_never_panics(s in "[ -~\t]{0,40}") {
        let _ = parse_extensions(&[&s]);
    }
}
