//! Autobahn|Testsuite fuzzingclient spec files, for `wsconform run --spec FILE`.
//!
//! A project that tested its server with `wstest -m fuzzingclient -s fuzzingclient.json`
//! keeps that file: its `servers` (agent, url, options), `cases`, `exclude-cases`,
//! `exclude-agent-cases` and `outdir` mean here what they mean to Autobahn. Every other
//! problem (not JSON, a missing or mistyped field, an unknown key) is an error naming the
//! file, because a typo such as `exclude_cases` silently ignored would run cases the user
//! meant to leave out.
//!
//! Autobahn's protocol `options` tune its own client (fail by drop, timeouts, masking);
//! wsconform always behaves as a conforming client with Autobahn's conformance settings,
//! so those options are reported as ignored rather than honoured.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use ws_cases::select::{select, Pattern};
use ws_cases::Case;

use crate::error::{HarnessError, SpecProblem};
use crate::target::Target;

/// Top-level keys of a fuzzingclient spec that wsconform reads.
const TOP_KEYS: &[&str] = &[
    "servers",
    "cases",
    "exclude-cases",
    "exclude-agent-cases",
    "options",
    "outdir",
];
/// Top-level keys Autobahn's own examples carry that have no meaning here.
const TOP_IGNORED: &[&str] = &["webport"];
/// Keys of one `servers[]` entry that wsconform reads.
const SERVER_KEYS: &[&str] = &["agent", "url", "origin", "options"];
/// Keys of one `servers[]` entry that wsconform accepts but does not use: subprotocol
/// offers would change what a conforming handshake is, and SNI needs TLS.
const SERVER_IGNORED: &[&str] = &["protocols", "hostname"];

/// One server to test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecServer {
    /// Name in the report; Autobahn's `agent`, defaulting to the URL.
    pub agent: String,
    /// ws:// URL (already checked to parse).
    pub url: String,
    /// Value for an `Origin` request header, when the spec gives one.
    pub origin: Option<String>,
}

/// One `exclude-agent-cases` entry: cases skipped for the agents matching a glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentExclusion {
    /// Agent glob (`*` matches any run of characters, everything else is literal).
    pub agent: String,
    /// Case patterns skipped for those agents.
    pub cases: Vec<Pattern>,
}

/// A parsed fuzzingclient spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// The servers, in file order.
    pub servers: Vec<SpecServer>,
    /// `cases`: patterns of the cases to run.
    pub cases: Vec<Pattern>,
    /// `exclude-cases`: patterns of the cases to leave out.
    pub exclude_cases: Vec<Pattern>,
    /// `exclude-agent-cases`, in file order.
    pub exclude_agent_cases: Vec<AgentExclusion>,
    /// `outdir`, when given.
    pub outdir: Option<PathBuf>,
    /// Settings present in the file that wsconform does not use, sorted and without
    /// repeats (`options.failByDrop`, `servers[].options.version`, `webport`, …).
    pub ignored: Vec<String>,
}

/// The cases a spec selects from a catalogue.
#[derive(Clone, Debug)]
pub struct SpecSelection {
    /// `cases` minus `exclude-cases`, in catalogue order.
    pub cases: Vec<Case>,
    /// Patterns that match no case of the catalogue, as `"<key> <pattern>"` (e.g.
    /// `"exclude-cases 12.*"`): Autobahn's compression sections are commonly listed in
    /// exclusions and must not stop a migrated spec from working.
    pub unmatched: Vec<String>,
}

/// Agent globs use the same matcher as case patterns: `*` is the only wildcard,
/// anchored at both ends, as Autobahn anchors them.
pub use ws_cases::select::glob_match;

struct Ctx<'a> {
    path: &'a Path,
}

impl Ctx<'_> {
    fn fail(&self, problem: SpecProblem) -> HarnessError {
        HarnessError::Spec {
            path: self.path.to_path_buf(),
            problem,
        }
    }

    /// The file's shape is wrong: a field missing, mistyped or unknown.
    fn err(&self, why: impl Into<String>) -> HarnessError {
        self.fail(SpecProblem::Shape(why.into()))
    }

    fn patterns(&self, value: &Value, key: &str) -> Result<Vec<Pattern>, HarnessError> {
        let list = value
            .as_array()
            .ok_or_else(|| self.err(format!("{key}: must be a list of case patterns")))?;
        list.iter()
            .enumerate()
            .map(|(i, v)| {
                let text = v.as_str().ok_or_else(|| {
                    self.err(format!("{key}[{i}]: must be a string such as \"1.*\""))
                })?;
                Pattern::new(text).map_err(|source| {
                    self.fail(SpecProblem::Pattern {
                        at: format!("{key}[{i}]"),
                        source,
                    })
                })
            })
            .collect()
    }

    fn options(
        &self,
        value: &Value,
        key: &str,
        ignored: &mut BTreeSet<String>,
    ) -> Result<(), HarnessError> {
        let map = value
            .as_object()
            .ok_or_else(|| self.err(format!("{key:?} must be an object")))?;
        let prefix = if key == "options" {
            "options".to_string()
        } else {
            "servers[].options".to_string()
        };
        ignored.extend(map.keys().map(|k| format!("{prefix}.{k}")));
        Ok(())
    }

    fn server(
        &self,
        i: usize,
        value: &Value,
        ignored: &mut BTreeSet<String>,
    ) -> Result<SpecServer, HarnessError> {
        let obj = value
            .as_object()
            .ok_or_else(|| self.err(format!("servers[{i}] must be an object")))?;
        for key in obj.keys() {
            if SERVER_IGNORED.contains(&key.as_str()) {
                ignored.insert(format!("servers[].{key}"));
            } else if !SERVER_KEYS.contains(&key.as_str()) {
                return Err(self.err(format!(
                    "servers[{i}]: unknown key {key:?} (a server has {})",
                    [SERVER_KEYS, SERVER_IGNORED].concat().join(", ")
                )));
            }
        }
        let string = |key: &str| -> Result<Option<String>, HarnessError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(self.err(format!("servers[{i}].{key} must be a string"))),
            }
        };
        let url = string("url")?
            .ok_or_else(|| self.err(format!("servers[{i}]: missing field \"url\"")))?;
        let target = Target::parse(&url).map_err(|e| match e {
            HarnessError::BadUrl { url, problem } => self.fail(SpecProblem::Url {
                server: i,
                url,
                problem,
            }),
            other => other,
        })?;
        if target.tls {
            return Err(self.err(format!(
                "servers[{i}]: wss:// is not supported yet: test the server over ws://"
            )));
        }
        let agent = string("agent")?.unwrap_or_else(|| url.clone());
        if agent.trim().is_empty() {
            return Err(self.err(format!("servers[{i}].agent is empty")));
        }
        let origin = string("origin")?;
        if let Some(options) = obj.get("options") {
            self.options(options, "servers[].options", ignored)?;
        }
        Ok(SpecServer { agent, url, origin })
    }
}

impl Spec {
    /// Reads and checks a spec file.
    pub fn read(path: &Path) -> Result<Spec, HarnessError> {
        let text = std::fs::read_to_string(path).map_err(|e| HarnessError::Spec {
            path: path.to_path_buf(),
            problem: SpecProblem::Read(e),
        })?;
        Spec::parse(&text, path)
    }

    /// Parses and checks spec text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Spec, HarnessError> {
        let ctx = Ctx { path };
        let value: Value =
            serde_json::from_str(text).map_err(|e| ctx.fail(SpecProblem::Json(e)))?;
        let obj: &Map<String, Value> = value
            .as_object()
            .ok_or_else(|| ctx.err("the top level must be a JSON object"))?;
        let mut ignored = BTreeSet::new();
        for key in obj.keys() {
            if TOP_IGNORED.contains(&key.as_str()) {
                ignored.insert(key.clone());
            } else if !TOP_KEYS.contains(&key.as_str()) {
                if key == "url" && !obj.contains_key("servers") {
                    return Err(ctx.err(
                        "this looks like a fuzzingserver spec (it tests clients); \
                         run --spec needs a fuzzingclient spec with \"servers\"",
                    ));
                }
                return Err(ctx.err(format!(
                    "unknown key {key:?} (a fuzzingclient spec has {})",
                    [TOP_KEYS, TOP_IGNORED].concat().join(", ")
                )));
            }
        }

        let servers = obj
            .get("servers")
            .ok_or_else(|| ctx.err("missing field \"servers\""))?
            .as_array()
            .ok_or_else(|| ctx.err("\"servers\" must be a list of {agent, url} objects"))?;
        if servers.is_empty() {
            return Err(ctx.err("\"servers\" is empty: there is nothing to test"));
        }
        let servers = servers
            .iter()
            .enumerate()
            .map(|(i, s)| ctx.server(i, s, &mut ignored))
            .collect::<Result<Vec<_>, _>>()?;
        let mut agents = BTreeSet::new();
        for s in &servers {
            if !agents.insert(s.agent.as_str()) {
                return Err(ctx.err(format!(
                    "agent {:?} is named by two servers; each needs its own name in the report",
                    s.agent
                )));
            }
        }

        let cases = ctx.patterns(
            obj.get("cases")
                .ok_or_else(|| ctx.err("missing field \"cases\" (e.g. [\"*\"])"))?,
            "cases",
        )?;
        let exclude_cases = match obj.get("exclude-cases") {
            Some(v) => ctx.patterns(v, "exclude-cases")?,
            None => Vec::new(),
        };
        let exclude_agent_cases = match obj.get("exclude-agent-cases") {
            None => Vec::new(),
            Some(v) => v
                .as_object()
                .ok_or_else(|| {
                    ctx.err(
                        "\"exclude-agent-cases\" must map agent globs to lists of case patterns",
                    )
                })?
                .iter()
                .map(|(agent, list)| {
                    Ok(AgentExclusion {
                        agent: agent.clone(),
                        cases: ctx.patterns(list, &format!("exclude-agent-cases[{agent:?}]"))?,
                    })
                })
                .collect::<Result<Vec<_>, HarnessError>>()?,
        };
        let outdir = match obj.get("outdir") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(PathBuf::from(s)),
            Some(_) => return Err(ctx.err("\"outdir\" must be a non-empty string")),
        };
        if let Some(options) = obj.get("options") {
            ctx.options(options, "options", &mut ignored)?;
        }
        Ok(Spec {
            path: path.to_path_buf(),
            servers,
            cases,
            exclude_cases,
            exclude_agent_cases,
            outdir,
            ignored: ignored.into_iter().collect(),
        })
    }

    /// Whether `exclude-agent-cases` skips case `case_id` for `agent`.
    pub fn excludes(&self, agent: &str, case_id: &str) -> bool {
        self.exclude_agent_cases
            .iter()
            .any(|e| glob_match(&e.agent, agent) && e.cases.iter().any(|p| p.matches(case_id)))
    }

    /// The cases of `catalogue` the spec selects (before per-agent exclusions).
    ///
    /// Unlike `--cases` on the command line, a pattern that matches nothing is reported
    /// in [`SpecSelection::unmatched`] instead of failing, so specs written for
    /// Autobahn's full catalogue keep working; selecting no case at all is an error.
    pub fn select(&self, catalogue: &[Case]) -> Result<SpecSelection, HarnessError> {
        let mut unmatched = Vec::new();
        let mut usable = |key: &str, patterns: &[Pattern]| -> Vec<Pattern> {
            patterns
                .iter()
                .filter(|p| {
                    let hit = catalogue.iter().any(|c| p.matches(&c.id));
                    if !hit {
                        unmatched.push(format!("{key} {}", p.as_str()));
                    }
                    hit
                })
                .cloned()
                .collect()
        };
        let include = usable("cases", &self.cases);
        let exclude = usable("exclude-cases", &self.exclude_cases);
        let cases: Vec<Case> = select(catalogue, &include, &exclude)
            .map_err(|e| HarnessError::Spec {
                path: self.path.clone(),
                problem: SpecProblem::Select(e),
            })?
            .into_iter()
            .cloned()
            .collect();
        if cases.is_empty() {
            return Err(HarnessError::Spec {
                path: self.path.clone(),
                problem: SpecProblem::NothingSelected,
            });
        }
        Ok(SpecSelection { cases, unmatched })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec, HarnessError> {
        Spec::parse(text, Path::new("fc.json"))
    }

    fn why(text: &str) -> String {
        match parse(text).unwrap_err() {
            HarnessError::Spec { path, problem } => {
                assert_eq!(path, Path::new("fc.json"));
                problem.to_string()
            }
            other => panic!("not a spec error: {other}"),
        }
    }

    const AUTOBAHN_EXAMPLE: &str = r#"{
        "options": {"failByDrop": false},
        "outdir": "./reports/servers",
        "webport": 8080,
        "servers": [
            {"agent": "AutobahnServer", "url": "ws://localhost:9001", "options": {"version": 18}},
            {"agent": "Other/1.0", "url": "ws://127.0.0.1:9002/chat", "origin": "http://example.invalid",
             "protocols": ["chat"]}
        ],
        "cases": ["*"],
        "exclude-cases": ["9.*", "12.*", "13.*"],
        "exclude-agent-cases": {"Other*": ["6.*", "7.1.1"]}
    }"#;

    #[test]
    fn reads_autobahns_example_shape() {
        let spec = parse(AUTOBAHN_EXAMPLE).unwrap();
        assert_eq!(spec.servers.len(), 2);
        assert_eq!(spec.servers[0].agent, "AutobahnServer");
        assert_eq!(spec.servers[1].url, "ws://127.0.0.1:9002/chat");
        assert_eq!(
            spec.servers[1].origin.as_deref(),
            Some("http://example.invalid")
        );
        assert_eq!(spec.outdir.as_deref(), Some(Path::new("./reports/servers")));
        assert_eq!(
            spec.ignored,
            [
                "options.failByDrop",
                "servers[].options.version",
                "servers[].protocols",
                "webport"
            ]
        );
        assert!(spec.excludes("Other/1.0", "6.4.1"));
        assert!(spec.excludes("Other/1.0", "7.1.1"));
        assert!(!spec.excludes("Other/1.0", "7.1.2"));
        assert!(!spec.excludes("AutobahnServer", "6.4.1"));
    }

    #[test]
    fn selection_skips_patterns_for_absent_sections() {
        let spec = parse(AUTOBAHN_EXAMPLE).unwrap();
        let catalogue = ws_cases::all_cases();
        let sel = spec.select(&catalogue).unwrap();
        // Whatever the catalogue holds, nothing of section 9 is selected and every other
        // case is.
        let expected: Vec<&str> = catalogue
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| !id.starts_with("9.") && !id.starts_with("12.") && !id.starts_with("13."))
            .collect();
        let got: Vec<&str> = sel.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(got, expected);
        for section in ["12", "13"] {
            let has = catalogue
                .iter()
                .any(|c| c.id.starts_with(&format!("{section}.")));
            assert_eq!(
                sel.unmatched
                    .contains(&format!("exclude-cases {section}.*")),
                !has
            );
        }
    }

    #[test]
    fn selecting_nothing_is_an_error() {
        let spec =
            parse(r#"{"servers": [{"url": "ws://127.0.0.1:1"}], "cases": ["99.*"]}"#).unwrap();
        let err = spec.select(&ws_cases::all_cases()).unwrap_err().to_string();
        assert!(err.contains("fc.json") && err.contains("no case"), "{err}");
    }

    #[test]
    fn agent_defaults_to_url() {
        let spec =
            parse(r#"{"servers": [{"url": "ws://127.0.0.1:9001"}], "cases": ["1.*"]}"#).unwrap();
        assert_eq!(spec.servers[0].agent, "ws://127.0.0.1:9001");
        assert!(spec.ignored.is_empty());
    }

    #[test]
    fn problems_name_the_field() {
        let cases = [
            ("{", "not valid JSON"),
            ("[]", "top level must be a JSON object"),
            (r#"{"cases": ["*"]}"#, "missing field \"servers\""),
            (r#"{"servers": [], "cases": ["*"]}"#, "\"servers\" is empty"),
            (
                r#"{"servers": [{"agent": "a"}], "cases": ["*"]}"#,
                "servers[0]: missing field \"url\"",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}]}"#,
                "missing field \"cases\"",
            ),
            (
                r#"{"servers": [{"url": "http://x"}], "cases": ["*"]}"#,
                "servers[0]: bad URL",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1", "agnet": "x"}], "cases": ["*"]}"#,
                "servers[0]: unknown key \"agnet\"",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}], "cases": ["*"], "exclude_cases": []}"#,
                "unknown key \"exclude_cases\"",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}], "cases": "*"}"#,
                "cases: must be a list",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}], "cases": ["1.a"]}"#,
                "cases[0]: bad case pattern",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1", "agent": "x"}, {"url": "ws://h:2", "agent": "x"}], "cases": ["*"]}"#,
                "agent \"x\" is named by two servers",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}], "cases": ["*"], "options": []}"#,
                "\"options\" must be an object",
            ),
            (
                r#"{"url": "ws://127.0.0.1:9001", "cases": ["*"]}"#,
                "fuzzingserver spec",
            ),
            (
                r#"{"servers": [{"url": "ws://h:1"}], "cases": ["*"], "exclude-agent-cases": {"a": "1.*"}}"#,
                "exclude-agent-cases[\"a\"]: must be a list",
            ),
        ];
        for (text, expected) in cases {
            let why = why(text);
            assert!(why.contains(expected), "{text}: {why}");
            assert!(!why.contains('\n'), "one line: {why}");
        }
    }

    #[test]
    fn glob_is_anchored_with_star_wildcards() {
        assert!(glob_match("*", ""));
        assert!(glob_match("Autobahn*", "AutobahnServer"));
        assert!(glob_match("*Server", "AutobahnServer"));
        assert!(glob_match("a*b*c", "aXbYbc"));
        assert!(!glob_match("Autobahn", "AutobahnServer"));
        assert!(!glob_match("a.b", "axb"), "a dot is literal");
        assert!(glob_match("a.b", "a.b"));
        assert!(!glob_match("x*", "yx"));
    }
}
