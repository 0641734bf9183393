//! The catalogue: every case, section by section, in Autobahn's order.

use crate::model::Case;

pub use s15_resource_limits::probe_case;
mod s00_opening_handshake;
mod s01_framing;
mod s02_pings_and_pongs;
mod s03_reserved_bits;
mod s04_opcodes;
mod s05_fragmentation;
mod s06_utf8;
mod s07_close;
mod s09_limits_and_performance;
mod s10_auto_fragmentation;
mod s12_compression_payloads;
mod s13_compression_parameters;
mod s14_masking;
mod s15_resource_limits;
mod s16_closing_timing;
mod s17_deflate_negotiation;
mod s19_proxy;
mod s20_http2;

/// Every case of the catalogue, ordered as Autobahn orders them.
pub fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(s00_opening_handshake::cases());
    cases.extend(s01_framing::cases());
    cases.extend(s02_pings_and_pongs::cases());
    cases.extend(s03_reserved_bits::cases());
    cases.extend(s04_opcodes::cases());
    cases.extend(s05_fragmentation::cases());
    cases.extend(s06_utf8::cases());
    cases.extend(s07_close::cases());
    cases.extend(s09_limits_and_performance::cases());
    cases.extend(s10_auto_fragmentation::cases());
    cases.extend(s12_compression_payloads::cases());
    cases.extend(s13_compression_parameters::cases());
    cases.extend(s14_masking::cases());
    cases.extend(s15_resource_limits::cases());
    cases.extend(s16_closing_timing::cases());
    cases.extend(s17_deflate_negotiation::cases());
    cases
}

/// The proxy cases (section 19): played by `wsconform proxy` only, with the suite at
/// both ends of a proxy, so they are not part of [`all_cases`].
pub fn proxy_cases() -> Vec<crate::proxy::ProxyCase> {
    s19_proxy::cases()
}

/// The WebSockets-over-HTTP/2 cases (section 20): played by `run --http2` only, on
/// the HTTP/2 layer, so they are not part of [`all_cases`].
pub fn http2_cases() -> Vec<crate::http2::H2Case> {
    s20_http2::cases()
}

/// The cases the suite can play in `role`, in catalogue order.
pub fn cases_for(role: crate::run::Role) -> Vec<Case> {
    all_cases()
        .into_iter()
        .filter(|c| c.plays_in(role))
        .collect()
}
