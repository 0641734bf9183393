//! The CI recipes users copy, run as written on loopback: the composite action
//! (`action.yml`) with the inputs of docs/ci/github-composite.yml, and the `script` of
//! docs/ci/gitlab-ci.yml. (docs/ci/github-actions.yml is played by
//! `cli_report_ci.rs::the_github_actions_recipe_works_as_written`; scripts/ci-recipes/lint.sh
//! lints all of them in `.ci/run`.)
//!
//! The built `wsconform` is first on the PATH, so the action's install step takes its
//! "already installed" branch (`.ci/run` runs `cargo install --path harness`, the same
//! install from a checkout). Each recipe runs the whole catalogue against its server; here
//! `--cases '1.*'` is appended to keep the test short, and the server is the reference
//! echo server (every case passes) or one that closes on text (1.1.x fail).

mod cli_common;

use std::path::Path;
use std::process::Command;

use cli_common::*;

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The value of `key:` at the first line that has it: inline, or a block scalar (`|`
/// keeps lines, `>` and `>-` fold them with spaces) of the lines indented deeper.
fn yaml_value(text: &str, key: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:"))
        })
        .unwrap_or_else(|| panic!("no {key}: in\n{text}"));
    let line = lines[at];
    let value = line.split_once(':').unwrap().1.trim();
    let style = match value {
        "|" | "|-" => "\n",
        ">" | ">-" => " ",
        inline => return inline.to_owned(),
    };
    lines[at + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(style)
        .trim()
        .to_owned()
}

/// The `run:` scripts of action.yml's steps, in order.
fn action_steps(action: &str) -> Vec<String> {
    let mut steps = Vec::new();
    let mut rest = action;
    while let Some(i) = rest.find("\n      run: ") {
        let from = &rest[i + 1..];
        steps.push(yaml_value(from, "run"));
        rest = &from[5..];
    }
    steps
}

fn bash(dir: &Path, script: &str, env: &[(&str, &str)]) -> Outcome {
    let bin = Path::new(env!("CARGO_BIN_EXE_wsconform")).parent().unwrap();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Command::new("bash")
        .arg("-eo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .envs(env.iter().copied())
        .output()
        .unwrap()
        .into()
}

/// A checkout with a wsconform.baseline recorded (section 1) from the reference server.
fn checkout_with_baseline(name: &str, good: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let r = wsconform_in(
        &dir,
        &[
            "run",
            good,
            "--agent",
            "my-server",
            "--cases",
            "1.*",
            "--out",
            "base",
        ],
    );
    assert_eq!(r.code, 0, "{r}");
    let r = wsconform_in(&dir, &["report", "baseline", "base"]);
    assert_eq!(r.code, 0, "{r}");
    std::fs::write(dir.join("wsconform.baseline"), r.stdout).unwrap();
    dir
}

fn junit_failures(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count()
}

#[test]
fn the_composite_action_runs_as_the_recipe_uses_it() {
    let action = repo_file("action.yml");
    let recipe = repo_file("docs/ci/github-composite.yml");
    assert!(recipe.contains("uses: wsconform/wsconform@"), "{recipe}");
    let steps = action_steps(&action);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        action.contains("WSCONFORM_ARGS: ${{ inputs.args }}"),
        "the run step takes the args input through WSCONFORM_ARGS"
    );
    let args = yaml_value(&recipe, "args");
    assert!(args.starts_with("run ws://127.0.0.1:9001/ "), "{args}");
    let rt = runtime();
    let good = echo_server(&rt);
    let broken = closes_on_text_server(&rt);
    let repo_root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for (url, expected_code, failures) in [(&good, 0, 0), (&broken, 1, 8)] {
        let dir = checkout_with_baseline("ci-action", &good);
        let args = format!(
            "{} --cases '1.*'",
            args.replace("ws://127.0.0.1:9001/", url)
        );
        let env = [
            ("GITHUB_ACTION_PATH", repo_root),
            ("WSCONFORM_ARGS", args.as_str()),
        ];
        let install = bash(&dir, &steps[0], &env);
        assert_eq!(install.code, 0, "{install}");
        assert!(
            install
                .stdout
                .contains("wsconform already installed: wsconform "),
            "{install}"
        );
        let run = bash(&dir, &steps[1], &env);
        assert_eq!(run.code, expected_code, "{url}: {run}");
        assert_eq!(junit_failures(&dir.join("junit.xml")), failures, "{run}");
        assert!(dir.join("report/index.html").is_file());
    }
}

#[test]
fn the_gitlab_job_runs_as_written() {
    let job = repo_file("docs/ci/gitlab-ci.yml");
    let script: Vec<String> = job
        .lines()
        .skip_while(|l| l.trim() != "script:")
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| l.trim_start()[2..].to_owned())
        .collect();
    assert_eq!(script.len(), 2, "{script:?}");
    // The install is the README's git install (not run: tests reach no git host).
    assert!(
        repo_file("README.md").contains(&script[0]),
        "{} is not the README's install",
        script[0]
    );
    assert!(yaml_value(&job, "WSCONFORM_URL").starts_with("ws://"));
    let rt = runtime();
    let good = echo_server(&rt);
    let broken = closes_on_text_server(&rt);
    for (url, expected_code, failures) in [(&good, 0, 0), (&broken, 1, 8)] {
        let dir = checkout_with_baseline("ci-gitlab", &good);
        let line = format!("{} --cases '1.*'", script[1]);
        let r = bash(&dir, &line, &[("WSCONFORM_URL", url.as_str())]);
        assert_eq!(r.code, expected_code, "{url}: {r}");
        assert_eq!(junit_failures(&dir.join("junit.xml")), failures, "{r}");
        assert!(dir.join("report/index.json").is_file());
    }
}
