//! `handshake_request`: `parse_request`, `validate_request` and
//! `server_respond` never panic; prefixes of the input parse to "need more"
//! or to the verdict on the whole (as if it arrived byte by byte; which
//! prefixes are checked: [`check_prefixes`]); and
//! what the server answers is itself a well-formed response, an accepting one
//! passing the client's own checks.
//!
//! Input: the raw bytes a client sent.

use std::fmt::Debug;

use ws_spec::handshake::{
    accept_key, parse_extensions, parse_request, parse_response, server_respond, validate_request,
    validate_response, HandshakeError, ServerConfig, ServerDecision,
};

/// Head limit used by the handshake targets: below the 4096-byte inputs
/// libFuzzer generates by default, so the limit is reached too.
pub const MAX_HEAD: usize = 2048;

/// Prefixes up to this length are all checked; past it, see [`check_prefixes`].
const ALL_PREFIXES_UP_TO: usize = 32;

/// Checks that feeding `data` byte by byte gives the whole input's verdict:
/// each prefix parses to `Ok(None)` until one parses to exactly `whole`, and
/// longer prefixes keep that verdict. Returns the length of the first
/// deciding prefix found (`None` if the whole is still undecided).
///
/// Re-parsing every prefix is quadratic, which would cut the target's speed
/// tenfold on long inputs. So past [`ALL_PREFIXES_UP_TO`] bytes the prefixes
/// checked are those ending in a CR or LF or one byte after a CR (where a
/// line, and so a verdict, can complete), the head limit, and every 61st.
pub(crate) fn check_prefixes<T: PartialEq + Debug>(
    data: &[u8],
    max_head: usize,
    whole: &Result<Option<T>, HandshakeError>,
    parse: impl Fn(&[u8]) -> Result<Option<T>, HandshakeError>,
) -> Option<usize> {
    let worth_checking = |k: usize| {
        k <= ALL_PREFIXES_UP_TO
            || k == data.len()
            || k == max_head
            || k.is_multiple_of(61)
            || matches!(data[k - 1], b'\r' | b'\n')
            || data[k - 2] == b'\r'
    };
    let mut decided = None;
    for k in (0..=data.len()).filter(|&k| worth_checking(k)) {
        let r = parse(&data[..k]);
        if matches!(r, Ok(None)) {
            continue;
        }
        assert_eq!(&r, whole, "prefix of {k} bytes disagrees with the whole");
        decided = Some(k);
        // Longer prefixes keep the verdict (the whole was checked above).
        for longer in [k + 1, k + 2, data.len().saturating_sub(1)] {
            if longer > k && longer <= data.len() {
                assert_eq!(&parse(&data[..longer]), whole, "prefix {longer} after {k}");
            }
        }
        break;
    }
    if decided.is_none() {
        assert!(matches!(whole, Ok(None)));
    }
    decided
}

/// Parses `data` with `parse` (named `name` in messages) as a whole and
/// prefix by prefix ([`check_prefixes`]), and checks what any head parser
/// must give: a head ends at its blank line, within the limit, and an
/// error is the limit or a malformed byte inside the input. Returns the
/// verdict on the whole.
pub(crate) fn parse_head_checked<T: PartialEq + Debug>(
    data: &[u8],
    name: &str,
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, HandshakeError>,
) -> Result<Option<(T, usize)>, HandshakeError> {
    let whole = parse(data);
    let decided = check_prefixes(data, MAX_HEAD, &whole, parse);
    match &whole {
        Ok(Some((_, consumed))) => {
            assert_eq!(Some(*consumed), decided, "head decided before its end");
            assert!(*consumed <= MAX_HEAD);
            assert!(data[..*consumed].ends_with(b"\r\n\r\n"));
        }
        Ok(None) => assert!(data.len() < MAX_HEAD),
        Err(HandshakeError::HeadTooLarge(n)) => assert_eq!(*n, MAX_HEAD),
        Err(HandshakeError::Malformed { offset, .. }) => assert!(*offset < data.len()),
        Err(other) => panic!("{name} returned {other:?}"),
    }
    whole
}

/// The server configurations each accepted request is answered with.
fn configs() -> [ServerConfig; 2] {
    [
        ServerConfig {
            subprotocols: vec!["superchat".into(), "chat".into()],
            extensions_supported: true,
        },
        ServerConfig::default(),
    ]
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let whole = parse_head_checked(data, "parse_request", |p| parse_request(p, MAX_HEAD));
    let Ok(Some((req, _))) = whole else {
        return;
    };

    let validated = validate_request(&req);
    if let Ok(v) = &validated {
        assert_eq!(req.header("Sec-WebSocket-Key"), Some(v.key.as_str()));
        for (i, p) in v.subprotocols.iter().enumerate() {
            assert!(
                !v.subprotocols[..i].contains(p),
                "duplicate subprotocol {p}"
            );
        }
        let ext = parse_extensions(&req.header_all("Sec-WebSocket-Extensions"));
        assert_eq!(ext.as_ref(), Ok(&v.extensions));
    }

    for config in configs() {
        match server_respond(&req, &config) {
            ServerDecision::Accept {
                response,
                subprotocol,
                key,
            } => {
                if config.extensions_supported {
                    assert!(validated.is_ok(), "accepted what validate_request refuses");
                }
                if let Ok(v) = &validated {
                    assert_eq!(key, v.key);
                    if let Some(p) = &subprotocol {
                        assert!(v.subprotocols.contains(p), "chose unoffered {p}");
                    }
                }
                if let Some(p) = &subprotocol {
                    assert!(config.subprotocols.contains(p));
                }
                let (resp, n) = parse_response(&response, response.len())
                    .expect("the 101 parses")
                    .expect("the 101 is complete");
                assert_eq!(n, response.len());
                assert_eq!(
                    resp.header("Sec-WebSocket-Accept"),
                    Some(accept_key(&key).as_str())
                );
                let offered = subprotocol.clone().into_iter().collect::<Vec<_>>();
                let accepted = validate_response(&resp, &key, &offered, &[])
                    .expect("a client accepts the server's own 101");
                assert_eq!(accepted.subprotocol, subprotocol);
                assert!(accepted.extensions.is_empty());
            }
            ServerDecision::Refuse {
                status,
                response,
                error,
            } => {
                assert_eq!(status, error.status());
                assert!(matches!(status, 400 | 405 | 426 | 431), "status {status}");
                if config.extensions_supported {
                    assert_eq!(validated.as_ref().err(), Some(&error));
                } else {
                    assert!(validated.is_err(), "refused what validate_request accepts");
                }
                let (resp, n) = parse_response(&response, response.len())
                    .expect("the refusal parses")
                    .expect("the refusal head is complete");
                assert_eq!(resp.status, status);
                let length: usize = resp
                    .header("Content-Length")
                    .and_then(|v| v.parse().ok())
                    .expect("refusal has a Content-Length");
                assert_eq!(n + length, response.len(), "body length");
            }
        }
    }
}
