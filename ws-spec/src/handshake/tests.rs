//! Unit tests of [`super`]: they reach its private items.

use super::*;

#[test]
fn list_elements_drops_empty_elements_rfc9110_5_6_1() {
    assert_eq!(list_elements(&[" , a ,, b", "c,"]), vec!["a", "b", "c"]);
}

#[test]
fn version_ordering() {
    assert!(version_at_least_1_1("HTTP/1.1"));
    assert!(version_at_least_1_1("HTTP/2.0"));
    assert!(!version_at_least_1_1("HTTP/1.0"));
    assert!(!version_at_least_1_1("HTTP/1.10"));
    assert!(!version_at_least_1_1("http/1.1"));
}

#[test]
fn host_syntax_rfc3986_3_2_2() {
    for ok in [
        "example.com",
        "example.com:9001",
        "127.0.0.1:80",
        "[::1]",
        "[::1]:9001",
        "h:",
    ] {
        assert!(check_host(ok).is_ok(), "{ok}");
    }
    for bad in [
        "", ":80", "exa mple", "host:8a", "[::1", "[::1]x", "a/b", "[]",
    ] {
        assert_eq!(
            check_host(bad),
            Err(HandshakeError::BadHost(bad.into())),
            "{bad}"
        );
    }
}

#[test]
fn random_key_is_deterministic_and_decodes_to_16_bytes() {
    assert_eq!(random_key(7), random_key(7));
    assert_ne!(random_key(7), random_key(8));
    assert_eq!(STANDARD.decode(random_key(7)).unwrap().len(), 16);
}
