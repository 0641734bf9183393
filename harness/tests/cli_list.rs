//! `wsconform list` shows every case the suite has, the proxy section (19) and the
//! HTTP/2 section (20) included, each with the command that plays it.

mod cli_common;

use cli_common::*;
use serde_json::Value;

fn listed(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    let r = wsconform(&all);
    assert_eq!(r.code, 0, "{r}");
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(cases: &[Value]) -> Vec<String> {
    cases
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn plays_in(case: &Value) -> Vec<&str> {
    case["playsIn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
}

#[test]
fn section_20_is_listed_with_the_command_that_plays_each_case() {
    let cases = listed(&["--cases", "20.*"]);
    let catalogue: Vec<String> = ws_cases::catalogue::http2_cases()
        .into_iter()
        .map(|c| c.case.id)
        .collect();
    assert_eq!(ids(&cases), catalogue);
    assert_eq!(cases.len(), 17);
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        let (role, command) = match id {
            "20.4.1" | "20.4.2" => ("client", "serve --http2"),
            "20.4.3" => ("client", "serve --http2 --http2-without-setting"),
            _ => ("server", "run --http2"),
        };
        assert_eq!(c["role"], role, "{c}");
        assert_eq!(plays_in(c), [command], "{c}");
        assert_eq!(c["optIn"], true, "{c}");
        assert!(
            c["title"]
                .as_str()
                .unwrap()
                .starts_with("WebSockets over HTTP/2 (RFC 8441): "),
            "{c}"
        );
        // Each clause with its sentence, as for every other case.
        let reqs = c["requirements"].as_array().unwrap();
        assert!(!reqs.is_empty(), "{c}");
        for q in reqs {
            assert!(q["requirement"].as_str().unwrap().len() > 20, "{c}");
        }
    }
    // Text: the command is on its own line under the case.
    let r = wsconform(&["list", "--cases", "20.4.3"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout.contains("\n20.4.3    client RFC 8441 §3 (MUST)"),
        "{r}"
    );
    assert!(
        r.stdout
            .contains("\n          plays in: serve --http2 --http2-without-setting\n"),
        "{r}"
    );
}

#[test]
fn section_19_is_listed_as_played_by_proxy() {
    let cases = listed(&["--cases", "19.*"]);
    let catalogue = ws_cases::proxy_cases();
    assert_eq!(
        ids(&cases),
        catalogue.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    );
    for (c, p) in cases.iter().zip(&catalogue) {
        assert_eq!(c["role"], "proxy", "{c}");
        assert_eq!(plays_in(c), ["proxy"], "{c}");
        assert_eq!(c["optIn"], p.opt_in, "{c}");
        assert_eq!(c["sends"], p.description.as_str(), "{c}");
        assert_eq!(c["rfc"].as_str().unwrap(), {
            let refs: Vec<String> = p.rfc.iter().map(|r| r.to_string()).collect();
            refs.join("; ")
        });
    }
    assert!(cases.iter().any(|c| c["optIn"] == true), "19.8 is opt-in");
}

#[test]
fn every_case_once_and_the_opt_in_sections_only_when_asked_for() {
    let default = ids(&listed(&[]));
    let all = ids(&listed(&["--all"]));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "an id listed twice");
    let expected = ws_cases::all_cases().len()
        + ws_cases::proxy_cases().len()
        + ws_cases::catalogue::http2_cases().len();
    assert_eq!(all.len(), expected);
    let has = |ids: &[String], prefix: &str| ids.iter().any(|id| id.starts_with(prefix));
    assert!(has(&default, "19.1.") && !has(&default, "19.8."));
    assert!(!has(&default, "20.") && !has(&default, "15."));
    assert!(has(&all, "19.8.") && has(&all, "20.4.") && has(&all, "15."));
    // The main catalogue keeps its roles: `run`, `serve` or both.
    for c in listed(&["--cases", "0.*,14.*"]) {
        let expected: &[&str] = match c["role"].as_str().unwrap() {
            "both" => &["run", "serve"],
            "server" => &["run"],
            "client" => &["serve"],
            other => panic!("{other}: {c}"),
        };
        assert_eq!(plays_in(&c), expected, "{c}");
    }
}
