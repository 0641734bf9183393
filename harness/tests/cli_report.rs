//! `wsconform report …` on real report directories, and every subcommand's --help.

mod cli_common;

use cli_common::*;
use serde_json::Value;

/// Runs the reference server on `cases` into `dir` under `agent`.
fn report(dir: &std::path::Path, cases: &str, agent: &str) {
    let r = wsconform(&[
        "run".into(),
        "--cases".into(),
        cases.into(),
        "--agent".into(),
        agent.into(),
        "--out".into(),
        arg(dir),
    ]);
    assert_eq!(r.code, 0, "{r}");
}

/// Sets the behavior of one case, in the per-case file and the index, as a run that
/// failed it would have written them.
fn mark_failed(dir: &std::path::Path, agent: &str, id: &str) {
    let path = case_file(dir, agent, id);
    let mut case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    case["behavior"] = "FAILED".into();
    std::fs::write(&path, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    let mut idx = index(dir);
    idx[agent][id]["behavior"] = "FAILED".into();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_string_pretty(&idx).unwrap(),
    )
    .unwrap();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn diff_lists_the_case_whose_verdict_changed() {
    let dir = scratch("diff");
    let (a, b) = (dir.join("a"), dir.join("b"));
    report(&a, "1.1.*", "srv");
    copy_dir(&a, &b);
    mark_failed(&b, "srv", "1.1.3");

    let diff = |x: &std::path::Path, y: &std::path::Path| {
        let r = wsconform(&["report".into(), "diff".into(), arg(x), arg(y)]);
        assert_eq!(r.code, 0, "report diff exits 0 whatever changed: {r}");
        r.stdout
    };
    let out = diff(&a, &b);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("1.1.")).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].contains("1.1.3") && rows[0].contains("FAILED") && rows[0].contains("regression"),
        "{out}"
    );
    assert!(out.contains("1 regression(s), 0 improvement(s)"), "{out}");
    assert!(diff(&b, &a).contains("0 regression(s), 1 improvement(s)"));
    assert_eq!(diff(&a, &a), "no verdict changes\n");
}

#[test]
fn html_is_rerendered_from_the_json_alone() {
    let dir = scratch("html").join("r");
    report(&dir, "1.1.*", "html-agent");
    let html = dir.join("index.html");
    std::fs::remove_file(&html).unwrap();
    let r = wsconform(&["report".into(), "html".into(), arg(&dir)]);
    assert_eq!(r.code, 0, "{r}");
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("html-agent") && text.contains("1.1.8"));
    assert!(r.stdout.contains("index.html"), "{r}");
}

#[test]
fn baseline_of_a_directory_with_several_agents_needs_agent() {
    let dir = scratch("baseline-agents").join("r");
    report(&dir, "1.1.*", "one");
    report(&dir, "2.*", "two");
    assert_eq!(
        agents(&dir),
        ["one", "two"].map(String::from).into_iter().collect()
    );

    let r = wsconform(&["report".into(), "baseline".into(), arg(&dir)]);
    assert_eq!(r.code, 2, "{r}");
    assert_eq!(r.stderr.trim().lines().count(), 1, "{r}");
    assert!(
        r.stderr.contains("\"one\", \"two\"") && r.stderr.contains("--agent"),
        "{r}"
    );

    let r = wsconform(&[
        "report".into(),
        "baseline".into(),
        arg(&dir),
        "--agent".into(),
        "two".into(),
    ]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("# agent: two\n"));
    let ids: Vec<String> = baseline_lines(&r.stdout)
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let expected: Vec<String> = (1..=11).map(|i| format!("2.{i}")).collect();
    assert_eq!(ids, expected, "sorted by case number, not as text");

    let r = wsconform(&[
        "report".into(),
        "baseline".into(),
        arg(&dir),
        "--agent".into(),
        "three".into(),
    ]);
    r.assert_stderr(2, "no agent \"three\"");
}

#[test]
fn reports_that_cannot_be_read_exit_2() {
    let missing = scratch("missing").join("nothing-here");
    let missing = arg(&missing);
    let here = ".".to_string();
    for sub in [
        vec!["baseline", &missing],
        vec!["html", &missing],
        vec!["diff", &missing, &here],
    ] {
        let mut args = vec!["report".to_string()];
        args.extend(sub.iter().map(|s| s.to_string()));
        eprintln!("{args:?}");
        wsconform(&args).assert_bad_input("nothing-here");
    }
}

#[test]
fn every_subcommand_help_explains_itself() {
    let subcommands: [&[&str]; 8] = [
        &["run"],
        &["echo"],
        &["list"],
        &["report"],
        &["report", "baseline"],
        &["report", "merge"],
        &["report", "diff"],
        &["report", "html"],
    ];
    for sub in subcommands {
        let mut args: Vec<&str> = sub.to_vec();
        args.push("--help");
        let r = wsconform(&args);
        assert_eq!(r.code, 0, "{sub:?}: {r}");
        assert!(r.stdout.contains("Usage: wsconform"), "{sub:?}: {r}");
        assert!(r.stdout.contains("Exit codes:"), "{sub:?}: {r}");
    }
    let r = wsconform(&["run", "--help"]);
    for needle in [
        "--junit <FILE>",
        "--baseline <FILE>",
        "--fail-on <LEVEL>",
        "[default: failed]",
        "--shard <K/N>",
        "--spec <FILE>",
        "130",
    ] {
        assert!(r.stdout.contains(needle), "run --help lacks {needle:?}");
    }
}

/// The options a help page defines: the `--name` that starts an option's line.
fn defined_options(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|line| {
            let mut words = line.split([' ', ',']).filter(|w| !w.is_empty());
            let first = words.next()?;
            let long = match first.len() == 2 && first.starts_with('-') {
                true => words.next()?,
                false => first,
            };
            long.starts_with("--").then(|| long.to_owned())
        })
        .collect()
}

/// `proxy` shares its output options with `run` but not `run`'s other options, so its
/// help must name none of those (it once told of --spec's report directory).
#[test]
fn proxy_help_names_no_option_only_run_has() {
    let run = wsconform(&["run", "--help"]);
    let proxy = wsconform(&["proxy", "--help"]);
    assert_eq!((run.code, proxy.code), (0, 0), "{run}\n{proxy}");
    let run_options = defined_options(&run.stdout);
    let proxy_options = defined_options(&proxy.stdout);
    assert!(run_options.iter().any(|o| o == "--spec"), "{run_options:?}");
    assert!(
        proxy_options.iter().any(|o| o == "--junit"),
        "{proxy_options:?}"
    );
    for only_run in run_options.iter().filter(|o| !proxy_options.contains(o)) {
        let mentioned = proxy
            .stdout
            .match_indices(only_run.as_str())
            .any(|(at, _)| {
                let next = proxy.stdout[at + only_run.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        assert!(
            !mentioned,
            "proxy --help names {only_run}, an option of run only"
        );
    }
}
