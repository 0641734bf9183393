//! Section 13 of the catalogue: permessage-deflate with different parameters
//! (RFC 7692 §7.1), as Autobahn's 13.1–13.7.

use ws_spec::deflate::{DeflateOffer, ServerPolicy};

use super::s12_compression_payloads::{compression_cases, data_title};
use crate::model::{Case, DataSet, DeflateSetup};

const SECTION: &str = "WebSocket Compression (different parameters)";

/// (request no context takeover, request max window bits) pairs, Autobahn's notation.
type Params = &'static [(bool, u8)];

/// Client offers and server acceptances of 13.1–13.7, in Autobahn's order.
const PARAMETER_SETS: [(Params, Params); 7] = [
    (&[(false, 0)], &[(false, 0)]),
    (&[(true, 0)], &[(true, 0)]),
    (&[(false, 9)], &[(false, 9)]),
    (&[(false, 15)], &[(false, 15)]),
    (&[(true, 9)], &[(true, 9)]),
    (&[(true, 15)], &[(true, 15)]),
    (
        &[(true, 9), (true, 0), (false, 0)],
        &[(true, 9), (true, 0), (false, 0)],
    ),
];

fn python_list(params: Params) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|&(nct, bits)| format!("({}, {bits})", if nct { "True" } else { "False" }))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The cases of section 13.
pub fn cases() -> Vec<Case> {
    let data = DataSet::Json;
    let mut cases = Vec::new();
    for (j, (offers, accepts)) in (1..).zip(PARAMETER_SETS) {
        let offer_text = format!(
            "client offers (requestNoContextTakeover, requestMaxWindowBits): {}",
            python_list(offers)
        );
        let subsection = format!(
            "{} - {offer_text} / server accept (requestNoContextTakeover, requestMaxWindowBits): {}",
            data_title(data),
            python_list(accepts)
        );
        let setup = DeflateSetup {
            offers: offers
                .iter()
                .map(|&(nct, bits)| DeflateOffer::autobahn(nct, bits))
                .collect(),
            accept: accepts
                .iter()
                .map(|&(nct, bits)| ServerPolicy::autobahn(nct, bits))
                .collect(),
            ..DeflateSetup::default()
        };
        cases.extend(compression_cases(
            &format!("13.{j}"),
            SECTION,
            &subsection,
            data,
            setup,
            &format!("permessage-deflate {offer_text}"),
        ));
    }
    cases
}
