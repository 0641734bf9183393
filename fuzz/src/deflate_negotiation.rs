//! `deflate_negotiation`: permessage-deflate negotiation over arbitrary
//! Sec-WebSocket-Extensions values never panics, and whatever response
//! [`server_negotiate`] builds, [`client_accept`] accepts with the same
//! parameters for the offer it answered (RFC 7692 §5, §7.1).
//!
//! Input: two policy bytes (see [`policy`]), then text (lossily decoded):
//! the client's offer header values (`\n`-separated) up to the first NUL,
//! then response header values checked by [`client_accept`] against the
//! valid offers.

use ws_spec::deflate::{
    client_accept, server_negotiate, DeflateOffer, DeflateParams, ServerPolicy, EXTENSION_NAME,
};
use ws_spec::extension::{format_extensions, parse_extensions, ExtensionOffer};

/// Bytes of policy before the text.
pub const CONFIG_LEN: usize = 2;

/// A valid server policy from two bytes: byte 0's bits 0-4 are the flags
/// (accept no context takeover, accept max window bits, request no context
/// takeover, require client_max_window_bits, server no context takeover),
/// byte 1's low nibble the requested client window (`0` or `8..=15`), its
/// high nibble the server's window (`8 + n % 8`).
pub fn policy(config: [u8; CONFIG_LEN]) -> ServerPolicy {
    let [f, w] = config;
    let request = w & 0x0F;
    ServerPolicy {
        accept_no_context_takeover: f & 1 != 0,
        accept_max_window_bits: f & 2 != 0,
        request_no_context_takeover: f & 4 != 0,
        require_client_max_window_bits: f & 8 != 0,
        server_no_context_takeover: f & 16 != 0,
        request_max_window_bits: if request < 8 { 0 } else { request },
        server_max_window_bits: 8 + (w >> 4) % 8,
    }
}

fn assert_valid(p: &DeflateParams) {
    assert!((8..=15).contains(&p.server_max_window_bits), "{p:?}");
    assert!((8..=15).contains(&p.client_max_window_bits), "{p:?}");
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let mut config = [0u8; CONFIG_LEN];
    let n = data.len().min(CONFIG_LEN);
    config[..n].copy_from_slice(&data[..n]);
    let policy = policy(config);
    let text = String::from_utf8_lossy(&data[n..]);
    let (offer_text, response_text) = text.split_once('\0').unwrap_or((&text, ""));

    let offer_values: Vec<&str> = offer_text.split('\n').collect();
    let offers: Vec<ExtensionOffer> = parse_extensions(&offer_values).unwrap_or_default();
    let valid: Vec<DeflateOffer> = offers
        .iter()
        .filter_map(|o| DeflateOffer::from_extension(o).ok())
        .collect();
    for o in &valid {
        // What a client offers reads back as the same offer.
        assert_eq!(
            DeflateOffer::from_extension(&o.to_extension()).as_ref(),
            Ok(o)
        );
    }

    let negotiated = server_negotiate(&offers, &policy)
        .unwrap_or_else(|e| panic!("valid policy {policy:?} refused: {e}"));
    if let Some((response, params)) = negotiated {
        assert_eq!(response.name, EXTENSION_NAME);
        assert_valid(&params);
        // The answered offer is the first valid one the policy accepts alone.
        let answered = valid
            .iter()
            .find(|o| matches!(server_negotiate(&[o.to_extension()], &policy), Ok(Some(_))))
            .expect("the server answered some valid offer");
        assert_eq!(
            client_accept(std::slice::from_ref(answered), &response).as_ref(),
            Ok(&params),
            "client refuses the response {response:?} to {answered:?}"
        );
        assert_eq!(client_accept(&valid, &response).as_ref(), Ok(&params));
        // The response survives the wire.
        let wire = format_extensions(std::slice::from_ref(&response));
        let reparsed = parse_extensions(&[&wire]).expect("response reparses");
        assert_eq!(reparsed, vec![response]);
    } else {
        assert!(
            !valid
                .iter()
                .any(|o| matches!(server_negotiate(&[o.to_extension()], &policy), Ok(Some(_)))),
            "a valid offer is accepted alone but not in the list"
        );
    }

    if let Ok(responses) = parse_extensions(&response_text.split('\n').collect::<Vec<_>>()) {
        for r in &responses {
            if let Ok(p) = client_accept(&valid, r) {
                assert_valid(&p);
                assert_eq!(r.name, EXTENSION_NAME);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    fn seed(name: &str) -> Vec<u8> {
        seeds::named("deflate_negotiation", name)
    }

    fn negotiated(name: &str) -> Option<DeflateParams> {
        let data = seed(name);
        let text = String::from_utf8_lossy(&data[CONFIG_LEN..]);
        let offers_text = text.split('\0').next().unwrap();
        let offers = parse_extensions(&offers_text.split('\n').collect::<Vec<_>>()).unwrap();
        server_negotiate(&offers, &policy([data[0], data[1]]))
            .unwrap()
            .map(|(_, p)| p)
    }

    /// RFC 7692 §7.1: the seeds reach both an acceptance and a decline.
    #[test]
    fn seeds_reach_their_paths() {
        let p = negotiated("autobahn-offer").expect("accepted");
        assert!(p.server_no_context_takeover && p.server_max_window_bits == 9);
        assert_eq!(p.client_max_window_bits, 9);
        // §7: invalid offers are declined, not a failed handshake.
        assert_eq!(negotiated("invalid-offers"), None);
    }
}
