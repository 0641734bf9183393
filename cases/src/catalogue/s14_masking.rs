//! Section 14: masking (RFC 6455 §5.1, §5.3), which Autobahn|Testsuite never checks.
//!
//! A client MUST mask every frame it sends and a server MUST fail the
//! connection on an unmasked one. Each case sends an unmasked frame where a
//! masked one is due; the last sends frames masked with the all-zero key,
//! which is legal (the key is random, zero included) and must be echoed.

use crate::build::{
    binary, case, continuation, ev_text, opcode_frame, ping, text, CaseBuilder, NORMAL,
    PROTOCOL_ERROR,
};
use crate::model::{Case, FrameSpec, Level, MaskMode};
use crate::run::Role;

const SECTION: &str = "Masking";
const SUB: &str = "Client frames must be masked (suite as client)";

fn unmasked(f: FrameSpec) -> FrameSpec {
    f.mask(MaskMode::Unmasked)
}

/// A case of `role` whose peer must fail the connection with 1002 (RFC 6455 §5.1)
/// and echo nothing.
fn must_fail(case: CaseBuilder, expectation: &str, role: Role) -> CaseBuilder {
    case.expectation(expectation)
        .rfc("5.1", Level::Must)
        .ok(vec![])
        .closed_by_peer(&[PROTOCOL_ERROR], false)
        .kill_after(1000)
        .only_role(role)
}

/// The cases of section 14.
pub fn cases() -> Vec<Case> {
    let fail = |id: &str, desc: &str| {
        must_fail(
            case(id, SECTION, SUB).desc(desc),
            "The server fails the connection with 1002 (or drops TCP) and echoes nothing: \
             a server MUST close the connection on an unmasked frame.",
            Role::Client,
        )
    };
    let masked_from_server = |id: &str, desc: &str| {
        let sub = "Server frames must not be masked (suite as server)";
        must_fail(
            case(id, SECTION, sub).desc(desc),
            "The client fails the connection with 1002 (or drops TCP) and echoes nothing: \
             a client MUST close the connection on a masked frame.",
            Role::Server,
        )
    };
    vec![
        fail("14.1.1", "Send an unmasked text frame as the first frame.")
            .frame(unmasked(text("Hello, unmasked!")))
            .build(),
        fail(
            "14.1.2",
            "Send an unmasked binary frame as the first frame.",
        )
        .frame(unmasked(binary(vec![0xfe_u8; 16])))
        .build(),
        fail("14.1.3", "Send an unmasked ping; no pong may come back.")
            .frame(unmasked(ping("unmasked ping")))
            .build(),
        fail("14.1.4", "Send an unmasked close frame with code 1000.")
            .frame(unmasked(opcode_frame(8, vec![0x03, 0xe8])))
            .build(),
        fail(
            "14.1.5",
            "Send the first fragment of a text message masked, then the final fragment unmasked.",
        )
        .frame(text("fragment1").fin(false))
        .frame(unmasked(continuation("fragment2")))
        .build(),
        case("14.1.6", SECTION, SUB)
            .desc("Send a text message whose frame is masked with the all-zero key 00 00 00 00.")
            .expectation(
                "The all-zero key is a valid masking key: the server echoes the message and \
                 the connection closes cleanly with 1000.",
            )
            .rfc("5.3", Level::Must)
            .frame(text("Masked with zeros").mask(MaskMode::Key([0, 0, 0, 0])))
            .ok(vec![ev_text("Masked with zeros")])
            .closed_by_me(&[NORMAL], true)
            .kill_after(1000)
            .only_role(Role::Client)
            .build(),
        masked_from_server("14.2.1", "Send a masked text frame to the client.")
            .frame(text("Hello, masked!").mask(MaskMode::Key([0x37, 0xfa, 0x21, 0x3d])))
            .build(),
        masked_from_server(
            "14.2.2",
            "Send a masked ping to the client; no pong may come back.",
        )
        .frame(ping("masked ping").mask(MaskMode::Key([1, 2, 3, 4])))
        .build(),
        masked_from_server(
            "14.2.3",
            "Send the first fragment of a text message unmasked, then the final fragment masked.",
        )
        .frame(text("fragment1").fin(false))
        .frame(continuation("fragment2").mask(MaskMode::Key([9, 8, 7, 6])))
        .build(),
    ]
}
