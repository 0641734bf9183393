//! `wsconform proxy` against real reverse proxies: nginx (with the configuration
//! `--print-config nginx` prints, and with the usual broken one that forgets the
//! Upgrade and Connection lines), HAProxy 2.6, Apache httpd 2.4 with
//! mod_proxy_wstunnel, Caddy 2.6 and node's http-proxy, each started in the
//! foreground on loopback ports with a configuration in a temporary directory.
//!
//! They come from `scripts/proxies/install.sh` (Debian packages and npm, pinned);
//! under `CI=true` a missing one fails its test, elsewhere the test is skipped with a
//! note. Each proxy's findings are listed here and explained in docs/results/proxies.md:
//! a change in any of them fails the test.

mod browser_support;
mod proxy_support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use browser_support::{require, scratch, Launched};
use proxy_support::free_port;

const INSTALL: &str = "run scripts/proxies/install.sh";

/// `wsconform proxy --print-config KIND` for these addresses.
fn printed_config(kind: &str, front: SocketAddr, backend: SocketAddr, dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(["proxy", "--print-config", kind, &format!("ws://{front}/")])
        .args(["--backend", &backend.to_string(), "--config-dir"])
        .arg(dir)
        .output()
        .expect("run wsconform");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 config")
}

/// What one `wsconform proxy` run through a real proxy came to.
struct Outcome {
    code: i32,
    failing: BTreeSet<String>,
    report: PathBuf,
    took: Duration,
}

fn run_through(
    name: &str,
    front: SocketAddr,
    backend: SocketAddr,
    dir: &Path,
    extra: &[&str],
) -> Outcome {
    let report = dir.join("report");
    let t0 = Instant::now();
    let out = proxy_support::proxy_command(front, backend)
        .args([
            "--format",
            "json",
            "-q",
            "--fail-on",
            "non-strict",
            "--agent",
            name,
            "-o",
        ])
        .arg(&report)
        .args(extra)
        .output()
        .expect("run wsconform");
    let took = t0.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: no JSON summary ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let failing = summary["failing"]
        .as_array()
        .expect("failing list")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    eprintln!(
        "{name}: {} cases in {:.2} s",
        summary["total"],
        took.as_secs_f64()
    );
    Outcome {
        code: out.status.code().unwrap_or(-1),
        failing,
        report,
        took,
    }
}

/// The reason of case `id` in a report directory.
fn reason(report: &Path, id: &str) -> String {
    let suffix = format!("_case_{}.json", id.replace('.', "_"));
    let file = std::fs::read_dir(report)
        .expect("report dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(&suffix))
        .unwrap_or_else(|| panic!("no result file for {id}"));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
    v["reason"].as_str().unwrap_or_default().to_string()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The 16 MiB cases run through nginx only (they cost each proxy about as much).
const NO_16_MIB: [&str; 2] = ["--exclude", "19.2.10,19.3.10"];

/// Starts `program args` (after writing `config` into `file` in the scratch dir),
/// waits for its front, runs the cases, checks the failing set and the exit code.
struct Real<'a> {
    name: &'a str,
    kind: Option<&'a str>,
    file: &'a str,
    program: &'a str,
    args: fn(&Path, SocketAddr, SocketAddr) -> Vec<String>,
    edit: fn(String) -> String,
    extra: &'a [&'a str],
    failing: &'a [&'a str],
}

impl Real<'_> {
    fn check(&self) -> Option<Outcome> {
        self.check_with(&[])
    }

    /// As `check`, with environment variables for the proxy.
    fn check_with(&self, env: &[(&str, &Path)]) -> Option<Outcome> {
        let program = require(self.program, &[PathBuf::from("/usr/sbin")], INSTALL)?;
        let dir = scratch(self.name);
        let (front, backend) = (free_port(), free_port());
        if let Some(kind) = self.kind {
            let config = (self.edit)(printed_config(kind, front, backend, &dir));
            std::fs::write(dir.join(self.file), config).expect("write config");
        }
        let mut proxy = Launched::start(
            &program,
            &(self.args)(&dir, front, backend),
            env,
            dir.join("proxy.log"),
        );
        proxy.wait_listening(front, self.name);
        let outcome = run_through(self.name, front, backend, &dir, self.extra);
        assert_eq!(
            outcome.failing,
            ids(self.failing),
            "{}: failing cases (report in {})\nproxy log:\n{}",
            self.name,
            outcome.report.display(),
            proxy.log_tail()
        );
        let code = if self.failing.is_empty() { 0 } else { 1 };
        assert_eq!(outcome.code, code, "{}: exit code", self.name);
        Some(outcome)
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn nginx_args(dir: &Path, _: SocketAddr, _: SocketAddr) -> Vec<String> {
    let d = dir.display().to_string();
    s(&["-e", "stderr", "-p", &d, "-c", &format!("{d}/nginx.conf")])
}

/// nginx forwards fields that Connection names, both ways (19.1.5, 19.1.7).
const NGINX_FINDINGS: &[&str] = &["19.1.5", "19.1.7"];

#[test]
fn nginx_with_the_printed_config() {
    let real = Real {
        name: "nginx",
        kind: Some("nginx"),
        file: "nginx.conf",
        program: "nginx",
        args: nginx_args,
        edit: |c| c,
        extra: &[],
        failing: NGINX_FINDINGS,
    };
    if let Some(o) = real.check() {
        assert!(o.took < Duration::from_secs(30), "{:?}", o.took);
    }
}

#[test]
fn nginx_without_the_upgrade_headers_fails_the_handshake_cases_naming_them() {
    let real = Real {
        name: "nginx-no-upgrade",
        kind: Some("nginx"),
        file: "nginx.conf",
        program: "nginx",
        args: nginx_args,
        // The usual mistake: proxy_pass alone, without the two proxy_set_header lines.
        edit: |c| {
            let broken: String = c
                .lines()
                .filter(|l| {
                    !l.contains("proxy_set_header Upgrade")
                        && !l.contains("proxy_set_header Connection")
                })
                .map(|l| format!("{l}\n"))
                .collect();
            assert_ne!(
                broken.len(),
                c.len(),
                "the printed config sets Upgrade and Connection"
            );
            broken
        },
        extra: &NO_16_MIB,
        failing: &["19.1.1", "19.1.2", "19.1.5", "19.1.7"],
    };
    let Some(o) = real.check() else { return };
    assert!(
        reason(&o.report, "19.1.1").contains("without an Upgrade header"),
        "{}",
        reason(&o.report, "19.1.1")
    );
    assert!(
        reason(&o.report, "19.1.2").contains("with Connection: close, which does not name upgrade"),
        "{}",
        reason(&o.report, "19.1.2")
    );
}

#[test]
fn haproxy_2_6() {
    Real {
        name: "haproxy",
        kind: Some("haproxy"),
        file: "haproxy.cfg",
        program: "haproxy",
        args: |d, _, _| s(&["-db", "-f", &format!("{}/haproxy.cfg", d.display())]),
        edit: |c| c,
        extra: &NO_16_MIB,
        // Hop-by-hop fields other than Connection and Upgrade pass both ways.
        failing: &["19.1.4", "19.1.5", "19.1.6", "19.1.7"],
    }
    .check();
}

#[test]
fn apache_2_4_mod_proxy_wstunnel() {
    Real {
        name: "apache",
        kind: Some("apache"),
        file: "httpd.conf",
        program: "apache2",
        args: |d, _, _| s(&["-f", &format!("{}/httpd.conf", d.display()), "-DFOREGROUND"]),
        edit: |c| c,
        extra: &NO_16_MIB,
        failing: &[],
    }
    .check();
}

#[test]
fn caddy_2_6() {
    Real {
        name: "caddy",
        kind: Some("caddy"),
        file: "Caddyfile",
        program: "caddy",
        args: |d, _, _| {
            let d = d.display();
            s(&[
                "run",
                "--config",
                &format!("{d}/Caddyfile"),
                "--adapter",
                "caddyfile",
            ])
        },
        edit: |c| c,
        extra: &NO_16_MIB,
        // The 101 goes back with the backend's own Connection and the fields it names.
        failing: &["19.1.6", "19.1.7"],
    }
    .check();
}

#[test]
fn node_http_proxy_1_18_1() {
    let cache = match std::env::var_os("WSCONFORM_PROXIES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
            .join(".cache/wsconform-proxies"),
    };
    let modules = cache.join("node/node_modules");
    if !modules.join("http-proxy/package.json").is_file() {
        let what = format!(
            "http-proxy is not installed in {}: {INSTALL}",
            modules.display()
        );
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{what}");
        eprintln!("SKIPPED (not under CI=true): {what}");
        return;
    }
    Real {
        name: "node-http-proxy",
        kind: None,
        file: "",
        program: "node",
        args: |_, front, backend| {
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../scripts/proxies/node/http-proxy.js"
            );
            s(&[script, &front.to_string(), &backend.to_string()])
        },
        edit: |c| c,
        extra: &NO_16_MIB,
        // Every request and response field passes as it came.
        failing: &["19.1.4", "19.1.5", "19.1.6", "19.1.7"],
    }
    // The script finds http-proxy through NODE_PATH.
    .check_with(&[("NODE_PATH", modules.as_path())]);
}
