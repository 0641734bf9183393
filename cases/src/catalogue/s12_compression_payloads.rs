//! Section 12 of the catalogue: permessage-deflate with different payloads
//! (RFC 7692), as Autobahn's 12.1–12.5.

use ws_spec::deflate::{DeflateOffer, ServerPolicy};

use crate::build::{case, NORMAL};
use crate::model::{Case, DataSet, DeflateSetup, Level, Step, VerdictRule};

const SECTION: &str = "WebSocket Compression (different payloads)";

/// One row of Autobahn's message table: message length, message count,
/// seconds before the case times out, auto-fragment size (0: none).
struct Sizes {
    pub len: usize,
    pub count: usize,
    pub wait_secs: u64,
    pub fragment: usize,
}

const fn row(len: usize, count: usize, wait_secs: u64, fragment: usize) -> Sizes {
    Sizes {
        len,
        count,
        wait_secs,
        fragment,
    }
}

/// Autobahn's 18 message sizes, shared by sections 12 and 13.
const MESSAGE_SIZES: [Sizes; 18] = [
    row(16, 1000, 60, 0),
    row(64, 1000, 60, 0),
    row(256, 1000, 120, 0),
    row(1024, 1000, 240, 0),
    row(4096, 1000, 480, 0),
    row(8192, 1000, 480, 0),
    row(16384, 1000, 480, 0),
    row(32768, 1000, 480, 0),
    row(65536, 1000, 480, 0),
    row(131072, 1000, 480, 0),
    row(8192, 1000, 480, 256),
    row(16384, 1000, 480, 256),
    row(32768, 1000, 480, 256),
    row(65536, 1000, 480, 256),
    row(131072, 1000, 480, 256),
    row(131072, 1000, 480, 1024),
    row(131072, 1000, 480, 4096),
    row(131072, 1000, 480, 32768),
];

/// Autobahn's subsection title prefix: its file's description, kind and size.
pub(super) fn data_title(data: DataSet) -> String {
    format!(
        "{} ({}, {} bytes)",
        data.autobahn_title(),
        if data.binary() { "binary" } else { "utf8" },
        data.len()
    )
}

/// Subsection `{prefix}.x` of sections 12 and 13: one compressed-echo case per row of
/// [`MESSAGE_SIZES`], all negotiated as `setup` says.
pub(super) fn compression_cases(
    prefix: &str,
    section: &'static str,
    subsection: &str,
    data: DataSet,
    setup: DeflateSetup,
    offer_text: &str,
) -> Vec<Case> {
    (1..)
        .zip(&MESSAGE_SIZES)
        .map(|(n, sizes)| {
            let id = format!("{prefix}.{n}");
            compression_case(
                &id,
                section,
                subsection,
                data,
                sizes,
                setup.clone(),
                offer_text,
            )
        })
        .collect()
}

/// One compressed-echo case.
fn compression_case(
    id: &str,
    section: &'static str,
    subsection: &str,
    data: DataSet,
    sizes: &Sizes,
    setup: DeflateSetup,
    offer_text: &str,
) -> Case {
    case(id, section, subsection)
        .desc(format!(
            "Send {} compressed messages each of payload size {}, auto-fragment to {} octets, \
             cut one after another from {} of {} bytes (a stand-in of the same kind and size \
             as Autobahn's data file), each after the echo of the previous one. Use {offer_text}.",
            sizes.count,
            sizes.len,
            sizes.fragment,
            data.what(),
            data.len()
        ))
        .expectation(format!(
            "Receive echo'ed messages (with payload as sent; compared byte for byte). Timeout \
             case after {} secs. UNIMPLEMENTED when the peer does not negotiate \
             permessage-deflate.",
            sizes.wait_secs
        ))
        .rfc_of(7692, "7", Level::Must)
        .rfc_of(7692, "7.2", Level::Must)
        .step(Step::CompressedEchoes {
            data,
            len: sizes.len,
            count: sizes.count,
            fragment: (sizes.fragment > 0).then_some(sizes.fragment),
        })
        .close_after(sizes.wait_secs * 1000)
        .closed_by_me(&[NORMAL], true)
        .rule(VerdictRule::CompressedEchoes)
        .performance()
        .shared()
        .deflate(setup)
        .build()
}

/// The cases of section 12.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (j, data) in (1..).zip(DataSet::ALL) {
        // Autobahn's default offer, and a server accepting it as offered.
        let setup = DeflateSetup {
            offers: vec![DeflateOffer::autobahn(false, 0)],
            accept: vec![ServerPolicy::autobahn(false, 0)],
            ..DeflateSetup::default()
        };
        cases.extend(compression_cases(
            &format!("12.{j}"),
            SECTION,
            &data_title(data),
            data,
            setup,
            "default permessage-deflate offer",
        ));
    }
    cases
}
