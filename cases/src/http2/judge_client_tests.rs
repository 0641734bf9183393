//! Every outcome of the client-side judges (20.4.x in `serve --http2`, and over
//! HTTP/1.1), each with its verdicts and the reason a report shows.

use super::{
    client_side_over_http1, judge_client, AfterReset, ClientObservation, H2Case, H2Check, StreamEnd,
};
use crate::model::{Behavior, CloseBehavior};

fn case(id: &str) -> H2Case {
    crate::catalogue::http2_cases()
        .into_iter()
        .find(|c| c.case.id == id)
        .unwrap()
}

/// Judges `obs` for case `id`; asserts both verdicts and that the reason says `says`.
fn expect(id: &str, obs: ClientObservation, behavior: Behavior, says: &str) {
    let v = judge_client(&case(id), &obs);
    let close = match behavior {
        Behavior::Ok => CloseBehavior::Ok,
        Behavior::Failed => CloseBehavior::Failed,
        _ => CloseBehavior::Informational,
    };
    assert_eq!(
        (v.behavior, v.behavior_close),
        (behavior, close),
        "{id}: {v:?}"
    );
    assert!(
        v.reason.contains(says),
        "{id}: {:?} lacks {says:?}",
        v.reason
    );
    assert_eq!(v.result, v.reason, "{id}");
}

fn after_reset(after: Option<AfterReset>) -> ClientObservation {
    ClientObservation {
        after_reset: after,
        ..ClientObservation::default()
    }
}

#[test]
fn a_reset_stream_then_a_connection_that_stays_open_is_ok() {
    expect(
        "20.4.2",
        after_reset(Some(AfterReset::StillOpen)),
        Behavior::Ok,
        "The client's HTTP/2 connection stayed open after the reset (no next request came within the wait).",
    );
    // The serving side always fills it in; an observation without it reads the same.
    expect("20.4.2", after_reset(None), Behavior::Ok, "stayed open");
}

#[test]
fn a_reset_stream_then_a_next_stream_is_ok_and_the_end_of_the_connection_fails() {
    expect(
        "20.4.2",
        after_reset(Some(AfterReset::NextStream(3))),
        Behavior::Ok,
        "the client's next request came on stream 3 of the same connection",
    );
    expect(
        "20.4.2",
        after_reset(Some(AfterReset::ConnectionEnded("GOAWAY CANCEL".into()))),
        Behavior::Failed,
        "The client's HTTP/2 connection ended after one of its streams was reset (GOAWAY CANCEL).",
    );
}

#[test]
fn a_refused_stream_left_unused_is_ok_however_the_client_ends_it() {
    let ends = [
        (Some(StreamEnd::EndStream), "ended the stream (END_STREAM)"),
        (
            Some(StreamEnd::Reset("CANCEL".into())),
            "reset the stream (CANCEL)",
        ),
        (
            Some(StreamEnd::ConnectionClosed("closed".into())),
            "ended the connection (closed)",
        ),
        (Some(StreamEnd::StillOpen), "left the stream open"),
        (None, "left the stream open"),
    ];
    for (end, text) in ends {
        let obs = ClientObservation {
            end,
            ..ClientObservation::default()
        };
        let says = format!("No frame on the refused stream: the client {text}.");
        expect("20.4.1", obs, Behavior::Ok, &says);
    }
}

#[test]
fn bytes_on_a_refused_stream_fail() {
    let obs = ClientObservation {
        sent: 30,
        end: Some(StreamEnd::EndStream),
        ..ClientObservation::default()
    };
    expect(
        "20.4.1",
        obs,
        Behavior::Failed,
        "The client sent 30 bytes on a stream refused with 403: it took the refusal's body as a WebSocket; then it ended the stream (END_STREAM).",
    );
}

#[test]
fn an_extended_connect_without_the_setting_fails_and_with_it_is_not_judged() {
    expect(
        "20.4.3",
        ClientObservation::default(),
        Behavior::Failed,
        "The client sent an extended CONNECT (:protocol) though the server's SETTINGS did not carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.",
    );
    let advertised = ClientObservation {
        advertised: true,
        ..ClientObservation::default()
    };
    expect(
        "20.4.3",
        advertised,
        Behavior::Informational,
        "Not applicable: the setting was advertised; run serve with --http2-without-setting",
    );
}

#[test]
fn an_answer_that_could_not_be_sent_fails_whatever_the_case() {
    for id in ["20.4.1", "20.4.2", "20.4.3"] {
        let obs = ClientObservation {
            failure: Some("the peer reset the stream (CANCEL)".into()),
            advertised: true,
            ..ClientObservation::default()
        };
        expect(
            id,
            obs,
            Behavior::Failed,
            "the case could not run: the peer reset the stream (CANCEL)",
        );
    }
}

#[test]
fn a_case_about_servers_is_not_judged_on_a_client() {
    expect(
        "20.1.1",
        ClientObservation::default(),
        Behavior::Informational,
        "Not applicable in `serve`: the case is about HTTP/2 servers.",
    );
}

#[test]
fn over_http1_only_the_missing_setting_case_is_judged() {
    let v = client_side_over_http1(&case("20.4.3"), false);
    assert_eq!(v.behavior, Behavior::Ok, "{v:?}");
    assert!(
        v.reason.contains("opened its WebSocket over HTTP/1.1"),
        "{v:?}"
    );
    let v = client_side_over_http1(&case("20.4.3"), true);
    assert_eq!(v.behavior, Behavior::Informational, "{v:?}");
    assert!(v.reason.contains("--http2-without-setting"), "{v:?}");
    for id in ["20.4.1", "20.4.2"] {
        for advertised in [false, true] {
            let v = client_side_over_http1(&case(id), advertised);
            assert_eq!(v.behavior, Behavior::Informational, "{id}: {v:?}");
            assert!(
                v.reason.starts_with("Not applicable over HTTP/1.1"),
                "{v:?}"
            );
        }
    }
}

#[test]
fn the_client_side_cases_are_exactly_the_three_of_20_4() {
    let client: Vec<(String, H2Check)> = crate::catalogue::http2_cases()
        .into_iter()
        .filter(|c| c.check.client_side())
        .map(|c| (c.case.id, c.check))
        .collect();
    assert_eq!(
        client,
        [
            ("20.4.1".to_string(), H2Check::RefusalUnused),
            ("20.4.2".to_string(), H2Check::ResetByServer),
            ("20.4.3".to_string(), H2Check::SettingHonoured),
        ]
    );
}
