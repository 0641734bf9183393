//! The fuzzingserver protocol: what a request path and query ask for
//! (`/getCaseCount`, `/runCase?case=N&agent=A`, ...), parsed into a [`Command`].

use std::collections::BTreeMap;

use ws_cases::Case;

/// What a request path asks for, parsed from its path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/getCaseCount`.
    CaseCount,
    /// `/runCase`: play case `index` (0-based in the selection) for `agent`.
    RunCase {
        /// Position in the selection, 0-based.
        index: usize,
        /// Name of the client under test.
        agent: String,
    },
    /// `/getCaseInfo`: id and description of case `index`.
    CaseInfo {
        /// Position in the selection, 0-based.
        index: usize,
    },
    /// `/getCaseStatus`: the behavior `agent` earned in case `index`, once known.
    CaseStatus {
        /// Position in the selection, 0-based.
        index: usize,
        /// Name of the client under test.
        agent: String,
    },
    /// `/updateReports`: write `agent`'s report; stop the server afterwards if asked.
    UpdateReports {
        /// Name of the client under test.
        agent: String,
        /// `shutdownOnComplete=true`.
        shutdown: bool,
    },
    /// `/stopServer`.
    StopServer,
}

/// Why a request path cannot be served; each is answered over plain HTTP.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Not a path of the fuzzingserver protocol: HTTP 404.
    #[error("no such resource {0:?}: this server speaks Autobahn's fuzzingserver protocol (/getCaseCount, /runCase, /getCaseInfo, /getCaseStatus, /updateReports, /stopServer)")]
    UnknownPath(String),
    /// A known path with missing or malformed parameters: HTTP 400.
    #[error("{0}")]
    BadParameter(String),
}

impl CommandError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            CommandError::UnknownPath(_) => 404,
            CommandError::BadParameter(_) => 400,
        }
    }
}

/// Decodes `%XX` escapes and `+` (space), as Python's `parse_qs`, which Autobahn uses,
/// does; a malformed escape is kept as written.
pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's parameters; as with `parse_qs`, blank values count as absent.
pub(super) fn query_params(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        if !v.is_empty() {
            params.entry(percent_decode(k)).or_default().push(v);
        }
    }
    params
}

/// Parses a request target against the selected cases.
///
/// `case=N` is 1-based in selection order; `casetuple=ID` names a case by id, and
/// `case` wins when both are given (as in Autobahn). A parameter given twice is an error.
pub fn parse_command(target: &str, cases: &[Case]) -> Result<Command, CommandError> {
    // An absolute-form target (RFC 9112 §3.2.2) carries scheme and authority first.
    let origin_form = match target.find("://") {
        Some(i) => target[i + 3..]
            .find('/')
            .map_or("/", |j| &target[i + 3 + j..]),
        None => target,
    };
    let (path, query) = origin_form.split_once('?').unwrap_or((origin_form, ""));
    let params = query_params(query);
    let single = |name: &str| -> Result<Option<&str>, CommandError> {
        match params.get(name).map(Vec::as_slice) {
            None => Ok(None),
            Some([one]) => Ok(Some(one.as_str())),
            Some(_) => Err(CommandError::BadParameter(format!(
                "parameter {name:?} given more than once"
            ))),
        }
    };
    let agent = || -> Result<String, CommandError> {
        single("agent")?
            .map(str::to_string)
            .ok_or_else(|| CommandError::BadParameter(format!("{path} needs agent=NAME")))
    };
    let case = || -> Result<usize, CommandError> {
        if let Some(n) = single("case")? {
            let n: usize = n.trim().parse().map_err(|_| {
                CommandError::BadParameter(format!("case={n:?} is not a case number"))
            })?;
            if n == 0 || n > cases.len() {
                return Err(CommandError::BadParameter(format!(
                    "case={n} is out of range: the server runs cases 1 to {}",
                    cases.len()
                )));
            }
            return Ok(n - 1);
        }
        if let Some(id) = single("casetuple")? {
            let id = id.trim();
            return cases.iter().position(|c| c.id == id).ok_or_else(|| {
                CommandError::BadParameter(format!(
                    "casetuple={id} is not among the selected cases"
                ))
            });
        }
        Err(CommandError::BadParameter(format!(
            "{path} needs case=N or casetuple=ID"
        )))
    };
    match path {
        "/getCaseCount" => Ok(Command::CaseCount),
        "/runCase" => Ok(Command::RunCase {
            index: case()?,
            agent: agent()?,
        }),
        "/getCaseInfo" => Ok(Command::CaseInfo { index: case()? }),
        "/getCaseStatus" => Ok(Command::CaseStatus {
            index: case()?,
            agent: agent()?,
        }),
        "/updateReports" => Ok(Command::UpdateReports {
            agent: agent()?,
            shutdown: single("shutdownOnComplete")?
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes")),
        }),
        "/stopServer" => Ok(Command::StopServer),
        other => Err(CommandError::UnknownPath(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_cases::run::Role;
    use ws_cases::Case;

    fn cases() -> Vec<Case> {
        ws_cases::cases_for(Role::Server)
            .into_iter()
            .filter(|c| c.id.starts_with("1.1.") || c.id.starts_with("2."))
            .collect()
    }

    /// What `/runCase` of the case at `index` for `agent` parses to.
    fn run_case(index: usize, agent: &str) -> Result<Command, CommandError> {
        Ok(Command::RunCase {
            index,
            agent: agent.into(),
        })
    }

    #[test]
    fn run_case_numbers_are_one_based_in_selection_order() {
        let cases = cases();
        assert_eq!(
            parse_command("/runCase?case=1&agent=me", &cases),
            run_case(0, "me")
        );
        let last = cases.len();
        assert_eq!(
            parse_command(&format!("/runCase?agent=x&case={last}"), &cases),
            run_case(last - 1, "x")
        );
        for bad in ["0", &(last + 1).to_string(), "one", "-1"] {
            let got = parse_command(&format!("/runCase?case={bad}&agent=me"), &cases);
            assert!(
                matches!(got, Err(CommandError::BadParameter(_))),
                "{bad}: {got:?}"
            );
        }
    }

    #[test]
    fn casetuple_names_a_case_and_case_wins_over_it() {
        let cases = cases();
        let i = cases.iter().position(|c| c.id == "2.3").unwrap();
        assert_eq!(
            parse_command("/runCase?casetuple=2.3&agent=a", &cases),
            run_case(i, "a")
        );
        assert_eq!(
            parse_command("/getCaseInfo?casetuple=2.3&case=1", &cases),
            Ok(Command::CaseInfo { index: 0 })
        );
        assert!(parse_command("/runCase?casetuple=9.9.9&agent=a", &cases).is_err());
    }

    #[test]
    fn agent_is_percent_decoded_and_required() {
        let cases = cases();
        assert_eq!(
            parse_command("/updateReports?agent=my%20client+v2", &cases),
            Ok(Command::UpdateReports {
                agent: "my client v2".into(),
                shutdown: false
            })
        );
        assert_eq!(
            parse_command("/updateReports?agent=a&shutdownOnComplete=True", &cases),
            Ok(Command::UpdateReports {
                agent: "a".into(),
                shutdown: true
            })
        );
        for target in [
            "/runCase?case=1",
            "/runCase?case=1&agent=",
            "/getCaseStatus?case=1",
            "/updateReports",
            "/runCase?agent=a",
            "/runCase?case=1&case=2&agent=a",
        ] {
            assert!(
                matches!(
                    parse_command(target, &cases),
                    Err(CommandError::BadParameter(_))
                ),
                "{target}"
            );
        }
    }

    #[test]
    fn unknown_paths_are_404_and_absolute_targets_work() {
        let cases = cases();
        let e = parse_command("/", &cases).unwrap_err();
        assert_eq!(e.status(), 404);
        assert_eq!(
            parse_command("/getCaseCount/", &cases)
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            parse_command("http://127.0.0.1:9001/getCaseCount", &cases),
            Ok(Command::CaseCount)
        );
        assert_eq!(
            parse_command("/stopServer", &cases),
            Ok(Command::StopServer)
        );
    }

    #[test]
    fn malformed_escapes_stay_as_written() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz"), "a%zz");
        assert_eq!(percent_decode("%41%42"), "AB");
    }
}
