//! 19.8.5: how many WebSockets a proxy holds open at once, up to the run's bound.

use ws_cases::proxy::{ConcurrencyOutcome, ProxyCase, ProxyObservation};
use ws_spec::frame::Frame;
use ws_spec::intermediary::messages;

use super::play::{handshake, Ends};
use super::Route;

/// Opens WebSockets through the proxy one after the other, keeping each, until the
/// bound or the first that does not open; then a message on each.
pub(super) async fn hold(
    case: &ProxyCase,
    route @ Route { config: cfg, .. }: &Route,
) -> ProxyObservation {
    let mut obs = ProxyObservation::default();
    let mut held: Vec<Ends> = Vec::with_capacity(cfg.connections);
    let mut stopped = None;
    for i in 0..cfg.connections {
        let mut one = ProxyObservation::default();
        let opened = handshake(case, route, &mut one).await;
        // The first handshake stands for all in the report.
        if i == 0 {
            obs.handshake = one.handshake.clone();
        }
        match opened {
            Some(ends) => held.push(ends),
            None => {
                stopped = Some(
                    one.failure
                        .unwrap_or_else(|| "the handshake did not complete".into()),
                );
                break;
            }
        }
    }
    for ends in &mut held {
        ends.client
            .send(vec![Frame::text(b"still here".to_vec())])
            .await;
    }
    let mut carried = 0;
    for ends in &held {
        let arrived = ends
            .backend
            .wait_for(cfg.step_timeout, |t| !messages(&t.received).is_empty())
            .await;
        carried += usize::from(arrived);
    }
    obs.concurrency = Some(ConcurrencyOutcome {
        bound: cfg.connections,
        held: held.len(),
        carried,
        stopped,
    });
    obs
}
