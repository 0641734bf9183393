//! `endpoint`: the reference endpoint, fed arbitrary bytes in either role and
//! in arbitrary pieces, never panics and keeps its promises: the same events
//! and output however the input is cut; output that a peer of the other role
//! accepts, masked exactly in the client role; nothing after its own close;
//! only close codes valid on the wire; output and allocations bounded by the
//! input.
//!
//! Input: [`crate::split`] layout with [`CONFIG_LEN`] configuration bytes.
//!
//! ```text
//! target flags   bit 0: client role; bit 1: echo; bit 2: peer closes TCP at the end
//! config[0]      max_message_size: 0 = default (64 MiB), n = 8 * (n - 1)
//! config[1]      max_frame_size, likewise
//! config[2]      bit 0: UTF-8 checked only at message end; bit 1: reject
//!                non-minimal lengths; bit 2: the application calls close()
//! config[3..5]   close code for that call (u16 little-endian)
//! config[5..7]   stream offset of that call (u16 little-endian, modulo len + 1)
//! ```

use std::time::Duration;

use ws_spec::close::{is_valid_on_wire, parse_close_payload};
use ws_spec::endpoint::{Endpoint, EndpointConfig, EndpointEvent, Role, State};
use ws_spec::frame::{decode_stream, Frame, LengthForm, Opcode};

use crate::alloc_track::tracked;
use crate::split::{pieces_at, SplitInput};

/// Configuration bytes of this target's layout.
pub const CONFIG_LEN: usize = 7;
/// Reason the application's close carries.
const APP_REASON: &str = "bye";
/// Largest close frame the endpoint can write: 125-byte payload, masked.
const MAX_CLOSE_FRAME: usize = 2 + 4 + 125;

/// How one run was set up.
#[derive(Clone, Debug)]
struct Setup {
    config: EndpointConfig,
    eof: bool,
    app_close: Option<(usize, u16)>,
}

/// Everything observable about one run.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    events: Vec<EndpointEvent>,
    output: Vec<u8>,
    failure: Option<(u16, String)>,
    close_sent: Option<Option<u16>>,
    /// How many events preceded the application's close, when that call
    /// is what sent the endpoint's close frame.
    app_closed_after: Option<usize>,
    closing_started: bool,
    state: State,
    handshake_completed: bool,
    wants_tcp_close: bool,
}

fn limit(selector: u8) -> u64 {
    match selector {
        0 => 64 * 1024 * 1024,
        n => 8 * u64::from(n - 1),
    }
}

fn setup(input: &SplitInput<'_>) -> Setup {
    let flags = input.target_flags();
    let c = &input.config;
    let role = if flags & 1 != 0 {
        Role::Client
    } else {
        Role::Server
    };
    let config = EndpointConfig {
        max_message_size: limit(c[0]),
        max_frame_size: limit(c[1]),
        echo: flags & 2 != 0,
        mask_seed: 0x5EED,
        fail_fast_utf8: c[2] & 1 == 0,
        reject_non_minimal_length: c[2] & 2 != 0,
        ..EndpointConfig::new(role)
    };
    let app_close = (c[2] & 4 != 0).then(|| {
        let code = u16::from_le_bytes([c[3], c[4]]);
        let at = usize::from(u16::from_le_bytes([c[5], c[6]])) % (input.stream.len() + 1);
        (at, code)
    });
    Setup {
        config,
        eof: flags & 4 != 0,
        app_close,
    }
}

/// Feeds `stream` cut at `boundaries`, calling `close()` at the chosen offset.
fn drive(setup: &Setup, stream: &[u8], boundaries: &[usize], peak: &mut usize) -> Run {
    let mut ep = tracked(peak, || Endpoint::new(setup.config.clone()));
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut called_close = false;
    let mut app_closed_after = None;
    let drain = |ep: &mut Endpoint, events: &mut Vec<_>, output: &mut Vec<u8>, peak: &mut usize| {
        output.extend(tracked(peak, || ep.take_output()));
        while let Some(e) = ep.poll_event() {
            events.push(e);
        }
    };
    let mut app_close = |ep: &mut Endpoint, at: usize, events_so_far: usize, peak: &mut usize| {
        if let Some((pos, code)) = setup.app_close {
            if pos == at && !called_close {
                called_close = true;
                let before = ep.close_sent();
                tracked(peak, || ep.close(code, APP_REASON));
                if before.is_none() && ep.close_sent().is_some() {
                    app_closed_after = Some(events_so_far);
                }
            }
        }
    };
    for (i, piece) in pieces_at(stream, boundaries).into_iter().enumerate() {
        let start = boundaries.get(i).copied().unwrap_or(0);
        app_close(&mut ep, start, events.len(), peak);
        tracked(peak, || {
            ep.receive(piece, Duration::from_millis(start as u64))
        });
        drain(&mut ep, &mut events, &mut output, peak);
    }
    app_close(&mut ep, stream.len(), events.len(), peak);
    if setup.eof {
        tracked(peak, || ep.receive_eof());
    }
    drain(&mut ep, &mut events, &mut output, peak);
    Run {
        events,
        output,
        app_closed_after,
        failure: ep
            .failure()
            .map(|(code, reason)| (code, reason.to_string())),
        close_sent: ep.close_sent(),
        closing_started: ep.closing_since().is_some(),
        state: ep.state(),
        handshake_completed: ep.handshake_completed(),
        wants_tcp_close: ep.wants_tcp_close(),
    }
}

/// The frames in the endpoint's output; it must end on a frame boundary.
fn decode_output(output: &[u8]) -> Vec<Frame> {
    decode_stream(output).expect("endpoint output decodes as whole frames")
}

/// What a conforming endpoint writes in reply to `events`, before any close:
/// a pong per ping, and with echo each message back.
fn replies(events: &[EndpointEvent], echo: bool) -> Vec<(Opcode, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            EndpointEvent::Ping(p) => Some((Opcode::Pong, p.clone())),
            EndpointEvent::Text(t) if echo => Some((Opcode::Text, t.as_bytes().to_vec())),
            EndpointEvent::Binary(b) if echo => Some((Opcode::Binary, b.clone())),
            _ => None,
        })
        .collect()
}

fn check_run(setup: &Setup, run: &Run, input_len: usize) {
    let role = setup.config.role;
    let frames = decode_output(&run.output);

    let mut close_code: Option<Option<u16>> = None;
    let mut sent = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let h = &f.header;
        assert!(close_code.is_none(), "frame {i} written after the close");
        assert!(h.fin && h.rsv == 0, "frame {i}: FIN/RSV {h:?}");
        assert_eq!(h.mask.is_some(), role == Role::Client, "frame {i}: masking");
        assert_eq!(h.length_form, LengthForm::Minimal, "frame {i}: length");
        match h.opcode {
            Opcode::Close => {
                let body = parse_close_payload(&f.payload).expect("a valid close body");
                let code = body.map(|b| b.code);
                if let Some(code) = code {
                    assert!(is_valid_on_wire(code), "sent close code {code}");
                }
                close_code = Some(code);
            }
            Opcode::Pong | Opcode::Text | Opcode::Binary => {
                sent.push((h.opcode, f.payload.clone()));
            }
            other => panic!("frame {i}: the endpoint never sends {other:?} on its own"),
        }
    }
    assert_eq!(run.close_sent, close_code, "close_sent() vs the output");
    assert_eq!(run.closing_started, close_code.is_some());

    // Every event before the endpoint's close is answered, in order; after
    // it nothing is (RFC 6455 §5.5.1). Only the application's close can be
    // followed by more events: a failure or the peer's close ends them.
    let answered = run.app_closed_after.unwrap_or(run.events.len());
    let expected = replies(&run.events[..answered], setup.config.echo);
    assert_eq!(sent, expected, "missing or extra replies");
    if run.app_closed_after.is_some() {
        assert_eq!(
            close_code,
            Some(
                setup
                    .app_close
                    .map(|(_, c)| c)
                    .filter(|&c| is_valid_on_wire(c))
            )
        );
    }

    // A failure is the last event and carries its reason's code.
    let failed: Vec<usize> = (0..run.events.len())
        .filter(|&i| matches!(run.events[i], EndpointEvent::Failed { .. }))
        .collect();
    match &run.failure {
        Some((code, _)) => {
            assert!(matches!(code, 1002 | 1007 | 1009), "fails with {code}");
            assert_eq!(
                failed,
                vec![run.events.len() - 1],
                "Failed is the last event"
            );
            let EndpointEvent::Failed { code: c, reason } = &run.events[failed[0]] else {
                unreachable!()
            };
            assert_eq!(c, code);
            assert_eq!(reason.close_code(), *code);
            if setup.app_close.is_none() {
                // No one else closed first, so the failure's close went out.
                let peer_closed_first = run
                    .events
                    .iter()
                    .any(|e| matches!(e, EndpointEvent::CloseReceived { .. }));
                if !peer_closed_first {
                    assert_eq!(close_code, Some(Some(*code)));
                }
            }
            assert_eq!(run.state, State::Closed);
        }
        None => assert!(failed.is_empty()),
    }
    let closed: Vec<usize> = (0..run.events.len())
        .filter(|&i| run.events[i] == EndpointEvent::Closed)
        .collect();
    assert_eq!(run.handshake_completed, !closed.is_empty());
    assert!(closed.len() <= 1 && closed.iter().all(|&i| i + 1 == run.events.len()));
    if run.wants_tcp_close && !setup.eof {
        assert_eq!(
            role,
            Role::Server,
            "a client waits for the server's TCP close"
        );
        assert_eq!(run.state, State::Closed);
    }

    // Each input frame takes at least 2 bytes and gets at most one reply of
    // the same payload with at most 4 more header bytes (the client's mask),
    // so 3x the input, plus the one close frame.
    assert!(
        run.output.len() <= 3 * input_len + MAX_CLOSE_FRAME,
        "{} output bytes for {input_len} input bytes",
        run.output.len()
    );

    // A conforming peer of the other role accepts everything written.
    let peer_role = match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let mut peer = Endpoint::new(EndpointConfig::new(peer_role));
    peer.receive(&run.output, Duration::ZERO);
    if let Some((code, reason)) = peer.failure() {
        panic!("a {peer_role:?} peer fails the output with {code}: {reason}");
    }
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let input = SplitInput::parse(data, CONFIG_LEN);
    let setup = setup(&input);
    let stream = input.stream;
    let extra: Vec<usize> = setup.app_close.iter().map(|&(at, _)| at).collect();
    let mut peak = 0;

    let mut whole_bounds = vec![0, stream.len()];
    whole_bounds.extend(&extra);
    whole_bounds.sort_unstable();
    whole_bounds.dedup();
    let whole = drive(&setup, stream, &whole_bounds, &mut peak);
    let split = drive(&setup, stream, &input.boundaries(&extra), &mut peak);
    assert_eq!(
        whole, split,
        "the endpoint depends on how its input was cut"
    );
    check_run(&setup, &whole, stream.len());

    // No buffer sized by an announced length: the output, the message being
    // assembled and the queued events are all proportional to the input.
    let bound =
        8 * stream.len() + 2 * std::mem::size_of::<EndpointEvent>() * (stream.len() + 1) + 4096;
    assert!(
        peak <= bound,
        "endpoint made a {peak}-byte allocation for a {}-byte input",
        stream.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    fn seed_run(name: &str) -> (Setup, Run) {
        let bytes = seeds::named("endpoint", name);
        let input = SplitInput::parse(&bytes, CONFIG_LEN);
        let setup = setup(&input);
        let extra: Vec<usize> = setup.app_close.iter().map(|&(at, _)| at).collect();
        let run = drive(&setup, input.stream, &input.boundaries(&extra), &mut 0);
        (setup, run)
    }

    fn opcodes(run: &Run) -> Vec<Opcode> {
        decode_output(&run.output)
            .iter()
            .map(|f| f.header.opcode)
            .collect()
    }

    /// The seeds reach the paths they are named after.
    #[test]
    fn seeds_reach_their_paths() {
        // RFC 6455 §10.4: 20 bytes against a 16-byte message limit.
        let (_, run) = seed_run("server-message-limit");
        assert_eq!(run.failure.as_ref().map(|f| f.0), Some(1009));

        // RFC 6455 §8.1, checked at the end of the message.
        let (setup, run) = seed_run("server-invalid-utf8");
        assert!(!setup.config.fail_fast_utf8);
        assert_eq!(run.failure.as_ref().map(|f| f.0), Some(1007));

        // RFC 6455 §5.5.1: after the application's close, the ping gets no pong.
        let (_, run) = seed_run("server-app-close");
        assert_eq!(opcodes(&run), vec![Opcode::Text, Opcode::Close]);
        assert_eq!(run.close_sent, Some(Some(1000)));
        assert!(run.handshake_completed);
        assert!(run.events.contains(&EndpointEvent::Ping(b"after".to_vec())));

        // RFC 6455 §5.4: a ping between fragments is answered first.
        let (setup, run) = seed_run("client-echo-fragmented-ping");
        assert_eq!(setup.config.role, Role::Client);
        assert_eq!(
            opcodes(&run),
            vec![Opcode::Pong, Opcode::Text, Opcode::Close]
        );
    }

    fn server_echo() -> Setup {
        Setup {
            config: EndpointConfig::echo_server(),
            eof: false,
            app_close: None,
        }
    }

    /// The checks catch what they claim to: RFC 6455 §5.5.1, nothing after
    /// the close.
    #[test]
    #[should_panic(expected = "written after the close")]
    fn check_catches_a_frame_after_the_close() {
        let (_, mut run) = seed_run("server-echo-masked-text");
        run.output.extend(Frame::pong("late").encode());
        check_run(&server_echo(), &run, 100);
    }

    /// RFC 6455 §5.1: a server never masks.
    #[test]
    #[should_panic(expected = "masking")]
    fn check_catches_a_masked_server_frame() {
        let (_, mut run) = seed_run("server-echo-masked-text");
        run.output = Frame::text("Hello").with_mask(Some([1, 2, 3, 4])).encode();
        check_run(&server_echo(), &run, 100);
    }

    /// RFC 6455 §7.4: 1005 never goes on the wire.
    #[test]
    #[should_panic(expected = "a valid close body")]
    fn check_catches_an_invalid_close_code() {
        let (_, mut run) = seed_run("server-echo-masked-text");
        run.output = Frame::close(Some(1005), b"").encode();
        check_run(&server_echo(), &run, 100);
    }
}
