//! Section 20: WebSockets over HTTP/2 (RFC 8441), played by `run --http2`, and
//! 20.4.x (what clients do) by `serve --http2`.
//! Ids 20.x: section 19 is the proxy section.

use ws_spec::rfc::Level;

use crate::build::case;
use crate::http2::{ConnectEdit, H2Case, H2Check, SECTION};
use crate::run::Role;

const SETTINGS: &str = "The setting and accepting a WebSocket";
const REFUSALS: &str = "Malformed extended CONNECTs refused";
const STREAMS: &str = "Streams: ending, resetting, flow control, independence";
const CLIENTS: &str = "Clients: refusals, resets, the setting (played by serve --http2)";

/// Offered by 20.1.2, as section 19 offers them.
const SUBPROTOCOLS: &[&str] = &["chat.wsconform", "superchat"];

struct Entry {
    id: &'static str,
    subsection: &'static str,
    desc: &'static str,
    expect: &'static str,
    rfc: &'static [(u16, &'static str, Level)],
    check: H2Check,
    /// The suite's role: client (`run --http2`) or server (`serve --http2`).
    role: Role,
}

fn refusal(
    id: &'static str,
    desc: &'static str,
    rfc: &'static [(u16, &'static str, Level)],
    edit: ConnectEdit,
) -> Entry {
    Entry {
        id,
        subsection: REFUSALS,
        desc,
        expect: "The server refuses it: a status outside 2xx, or RST_STREAM; no WebSocket opens.",
        rfc,
        check: H2Check::Refuses(edit),
        role: Role::Client,
    }
}

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            id: "20.1.1",
            subsection: SETTINGS,
            desc: "Open an HTTP/2 connection and read the server's SETTINGS.",
            expect: "SETTINGS_ENABLE_CONNECT_PROTOCOL = 1: without it no client may send an extended CONNECT.",
            rfc: &[(8441, "3", Level::Must)],
            check: H2Check::AdvertisesSetting,
            role: Role::Client,
        },
        Entry {
            id: "20.1.2",
            subsection: SETTINGS,
            desc: "A well-formed extended CONNECT offering the subprotocols chat.wsconform and superchat and permessage-deflate.",
            expect: "A 2xx answer with no Sec-WebSocket-Accept needed, choosing at most one offered subprotocol and only offered extensions.",
            rfc: &[(8441, "5", Level::Must)],
            check: H2Check::Accepts { subprotocols: SUBPROTOCOLS },
            role: Role::Client,
        },
        Entry {
            id: "20.1.3",
            subsection: SETTINGS,
            desc: "Send the extended CONNECT right behind the connection preface, before the server's SETTINGS arrive.",
            expect: "The server advertised the setting in its own preface, so it takes the CONNECT like any other (2xx).",
            rfc: &[(8441, "3", Level::Should)],
            check: H2Check::BeforeSettings,
            role: Role::Client,
        },
        refusal("20.2.1", "A CONNECT without :protocol (a plain CONNECT for a tunnel to :authority).", &[(8441, "4", Level::Must)], ConnectEdit::NoProtocol),
        refusal("20.2.2", "An extended CONNECT with :protocol websockets instead of websocket.", &[(8441, "4", Level::Must)], ConnectEdit::Protocol("websockets")),
        refusal("20.2.3", "An extended CONNECT without :path.", &[(8441, "4", Level::Must)], ConnectEdit::NoPath),
        refusal("20.2.4", "An extended CONNECT without :scheme.", &[(8441, "4", Level::Must)], ConnectEdit::NoScheme),
        refusal("20.2.5", "An extended CONNECT carrying upgrade: websocket (a connection-specific field).", &[(9113, "8.2.2", Level::Must)], ConnectEdit::Add("upgrade", "websocket")),
        refusal("20.2.6", "An extended CONNECT carrying an HTTP/1.1 Sec-WebSocket-Key.", &[(8441, "5", Level::Should)], ConnectEdit::Add("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")),
        refusal("20.2.7", "An extended CONNECT with sec-websocket-version 8.", &[(6455, "4.4", Level::Must)], ConnectEdit::Version("8")),
        Entry {
            id: "20.3.1",
            subsection: STREAMS,
            desc: "Open a WebSocket, send a close frame (1000) and END_STREAM.",
            expect: "The server answers the close and ends its side of the stream with END_STREAM (not RST_STREAM) within 2 s.",
            rfc: &[(8441, "5.1", Level::Must)],
            check: H2Check::EndStreamAfterClose,
            role: Role::Client,
        },
        Entry {
            id: "20.3.2",
            subsection: STREAMS,
            desc: "Open a WebSocket, send the first fragment of a text message, then RST_STREAM (CANCEL); open a second WebSocket on the same connection and send a message.",
            expect: "The reset ends only its stream: the second WebSocket opens and echoes.",
            rfc: &[(8441, "5.1", Level::Must)],
            check: H2Check::ResetMidMessage,
            role: Role::Client,
        },
        Entry {
            id: "20.3.3",
            subsection: STREAMS,
            desc: "Open a WebSocket with a stream window of 65,535 bytes, send a 1 MiB binary message and read nothing for 1 s, then read.",
            expect: "The server sends no more than the window allows (no flow-control error) and, once the suite reads, the whole echo arrives.",
            rfc: &[(9113, "6.9", Level::Must)],
            check: H2Check::FlowControl { size: 1 << 20 },
            role: Role::Client,
        },
        Entry {
            id: "20.3.4",
            subsection: STREAMS,
            desc: "Open a WebSocket, then on other streams of the same connection an extended CONNECT without :path (malformed) and one with :protocol websockets, then send a message on the first.",
            expect: "Each bad stream is refused alone: the first WebSocket still echoes and a new one still opens.",
            rfc: &[(9113, "8.1.1", Level::Must)],
            check: H2Check::StreamsIndependent,
            role: Role::Client,
        },
        Entry {
            id: "20.4.1",
            subsection: CLIENTS,
            desc: "The client's extended CONNECT is answered 403, with a body that is an unmasked text frame.",
            expect: "Only a 2xx opens a WebSocket: the client sends no frame on the stream (it resets or ends it).",
            rfc: &[(8441, "5", Level::Must), (6455, "4.1", Level::Must)],
            check: H2Check::RefusalUnused,
            role: Role::Server,
        },
        Entry {
            id: "20.4.2",
            subsection: CLIENTS,
            desc: "Accept the client's extended CONNECT, send the first fragment of a text message, then RST_STREAM (CANCEL).",
            expect: "The reset ends that WebSocket only: the client's HTTP/2 connection stays up and its next request comes on a new stream of it.",
            rfc: &[(8441, "5.1", Level::Must)],
            check: H2Check::ResetByServer,
            role: Role::Server,
        },
        Entry {
            id: "20.4.3",
            subsection: CLIENTS,
            desc: "The server's SETTINGS leave SETTINGS_ENABLE_CONNECT_PROTOCOL out (serve --http2 --http2-without-setting).",
            expect: "A client MUST NOT send an extended CONNECT without the setting: it opens the WebSocket over HTTP/1.1 instead.",
            rfc: &[(8441, "3", Level::Must)],
            check: H2Check::SettingHonoured,
            role: Role::Server,
        },
    ]
}

/// The cases of section 20.
pub fn cases() -> Vec<H2Case> {
    entries()
        .into_iter()
        .map(|e| {
            let mut b = case(e.id, SECTION, e.subsection)
                .desc(e.desc)
                .expectation(e.expect)
                .only_role(e.role)
                .opt_in();
            for (rfc, section, level) in e.rfc {
                b = b.rfc_of(*rfc, section, *level);
            }
            H2Case {
                case: b.build(),
                check: e.check,
            }
        })
        .collect()
}
