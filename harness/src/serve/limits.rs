//! What `serve` keeps, bounded: each case's result is kept in its report form (the wire
//! log bounded in rows and bytes, event payloads cut at 64 KiB), one result per case
//! and agent, and at most [`ServeSettings::max_agents`](super::ServeSettings) agents,
//! each named in at most [`MAX_AGENT_NAME`] bytes. A `/runCase` past a bound is
//! refused over plain HTTP before anything is kept.

use std::collections::BTreeMap;
use std::time::SystemTime;

use ws_reports::CaseResult;

/// Longest agent name accepted, in bytes (a `/runCase` with a longer one gets HTTP 400).
pub const MAX_AGENT_NAME: usize = 1024;

/// Default number of agents one `serve` keeps results for.
pub const DEFAULT_MAX_AGENTS: usize = 100;

/// One client's results.
#[derive(Debug)]
pub(super) struct AgentRun {
    pub(super) started: SystemTime,
    /// By selection index; a case run again replaces its earlier result, as in Autobahn.
    pub(super) results: BTreeMap<usize, CaseResult>,
}

/// Why a `/runCase` is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The agent name is longer than [`MAX_AGENT_NAME`]: HTTP 400.
    #[error("agent name of {0} bytes: at most {MAX_AGENT_NAME} are accepted")]
    NameTooLong(usize),
    /// The server already keeps results for its maximum of agents: HTTP 429.
    #[error("this server already keeps results for {0} agents (serve --max-agents); finish with one of them, or restart the server")]
    TooManyAgents(usize),
}

impl Refusal {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NameTooLong(_) => 400,
            Refusal::TooManyAgents(_) => 429,
        }
    }
}

/// Lets `agent` run a case: a known agent always, a new one while fewer than
/// `max_agents` are kept (its place is taken at once, so clients racing for the last
/// place cannot both get it).
pub(super) fn admit(
    results: &mut BTreeMap<String, AgentRun>,
    agent: &str,
    max_agents: usize,
) -> Result<(), Refusal> {
    if agent.len() > MAX_AGENT_NAME {
        return Err(Refusal::NameTooLong(agent.len()));
    }
    if results.contains_key(agent) {
        return Ok(());
    }
    if results.len() >= max_agents {
        return Err(Refusal::TooManyAgents(max_agents));
    }
    results.insert(
        agent.to_string(),
        AgentRun {
            started: SystemTime::now(),
            results: BTreeMap::new(),
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_agents_pass_new_ones_until_the_cap_and_long_names_never() {
        let mut kept = BTreeMap::new();
        assert_eq!(admit(&mut kept, "a", 2), Ok(()));
        assert_eq!(admit(&mut kept, "b", 2), Ok(()));
        assert_eq!(admit(&mut kept, "a", 2), Ok(()));
        assert_eq!(admit(&mut kept, "c", 2), Err(Refusal::TooManyAgents(2)));
        let long = "n".repeat(MAX_AGENT_NAME + 1);
        assert_eq!(
            admit(&mut kept, &long, 10),
            Err(Refusal::NameTooLong(MAX_AGENT_NAME + 1))
        );
        assert_eq!(admit(&mut kept, &"n".repeat(MAX_AGENT_NAME), 10), Ok(()));
        assert_eq!(Refusal::TooManyAgents(1).status(), 429);
        assert_eq!(Refusal::NameTooLong(1).status(), 400);
    }
}
