//! `wsconform run --http2` against real HTTP/2 servers that speak RFC 8441, the rows of
//! docs/results/http2.md: HAProxy 2.6 (an `h2` front to an HTTP/1.1 backend: node's ws
//! 8.23.0, and fastwebsockets in process), Apache httpd 2.4 (mod_http2 with
//! `H2WebSockets on`, mod_proxy to node's ws) and Hypercorn 0.18 (an ASGI echo of ours,
//! scripts/http2/asgi_echo.py), each started in the foreground on loopback ports with a
//! configuration this test writes.
//!
//! HAProxy and Apache come from `scripts/proxies/install.sh apt` (Debian, pinned), ws and
//! Hypercorn from `scripts/parity/install-peers.sh node hypercorn`. Under `CI=true` a
//! missing one fails its test naming that; elsewhere the test is skipped with a note.
//!
//! What each front must give is what the doc says, and only what does not hang on which
//! of two timers fires first: message verdicts are compared with the same server over
//! HTTP/1.1, section 20 case by case; close verdicts where a server's stream end races
//! the suite's 1 s timer are checked against the set the doc explains, not pinned.

mod browser_support;
#[path = "../examples/fastwebsockets_peer/mod.rs"]
mod fastwebsockets_peer;
mod proxy_support;
mod skip;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use browser_support::{require, scratch, Launched};
use proxy_support::free_port;
use ws_reports::{Behavior, CaseResult, CloseBehavior};

/// What both protocols play (section 20 exists over HTTP/2 only): framing, pings,
/// fragmentation, two invalid-UTF-8 cases and the closing handshake, ~90 cases.
const CASES: &str = "1.*,2.*,5.*,6.3.*,7.*";
/// How a case's protocol line starts over h2c (prior knowledge, `ws://`).
const H2C: &str = "HTTP/2 (h2c)";
const APT: &str = "run scripts/proxies/install.sh apt";
const PEERS: &str = "run scripts/parity/install-peers.sh node hypercorn";

/// Where install-peers.sh puts its peers.
fn peers_dir() -> PathBuf {
    match std::env::var_os("WSCONFORM_PEERS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
            .join(".cache/wsconform-peers"),
    }
}

/// `path` when it exists; else `None` after the no-silent-skip rule (fails under CI).
fn installed(path: PathBuf, install: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    skip::missing_dependency(&path.display().to_string(), install);
    None
}

/// node's ws 8.23.0 echo (the parity peer) on a free port, over HTTP/1.1.
fn start_node_ws(dir: &Path) -> Option<(Launched, SocketAddr)> {
    let modules = installed(peers_dir().join("node/node_modules/ws"), PEERS)?;
    let node = require("node", &[], "apt-get install nodejs")?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/parity/peers/node/ws_peer.js"
    );
    let addr = free_port();
    let port = addr.port().to_string();
    let args = [script.into(), "server".into(), port];
    let env = [("NODE_PATH", modules.parent().unwrap())];
    Some((launch(&node, &args, &env, dir, &[addr]), addr))
}

/// Starts `program` (its output in DIR/NAME.log) and waits until it listens on `ports`.
fn launch(
    program: &Path,
    args: &[String],
    env: &[(&str, &Path)],
    dir: &Path,
    ports: &[SocketAddr],
) -> Launched {
    let name = program.file_name().unwrap().to_string_lossy().into_owned();
    let mut launched = Launched::start(program, args, env, dir.join(format!("{name}.log")));
    for port in ports {
        launched.wait_listening(*port, &name);
    }
    launched
}

/// fastwebsockets' echo example in process (on the caller's runtime), over HTTP/1.1.
async fn start_fastwebsockets() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(fastwebsockets_peer::serve_http1(stream));
        }
    });
    addr
}

/// `wsconform run URL --cases CASES` with `extra`, the report into `out`.
fn wsconform(url: &str, cases: &str, extra: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsconform"))
        .args(["run", url, "--cases", cases, "-q", "--format", "json", "-o"])
        .arg(out)
        .args(extra)
        .output()
        .expect("run wsconform")
}

/// [`wsconform`], its report read back by case id.
fn run(url: &str, cases: &str, extra: &[&str], out: &Path) -> BTreeMap<String, CaseResult> {
    let status = wsconform(url, cases, extra, out);
    // 0 or 1 (some case failed); 2 and up are errors of the run itself.
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "{url}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let runs = ws_reports::read_autobahn_dir(out).expect("report");
    assert_eq!(runs.len(), 1, "{}", out.display());
    let results = runs.into_iter().next().unwrap().results;
    results.into_iter().map(|r| (r.id.clone(), r)).collect()
}

/// The HTTP/2 run's cases outside section 20, checked against the HTTP/1.1 run: the same
/// cases, every one played `over` (how its protocol line starts, e.g. [`H2C`]), the same
/// message verdict unless `message` lists the case's HTTP/2 verdict, and a close verdict
/// equal to HTTP/1.1's or in `close_also` (by the HTTP/1.1 close verdict it replaces).
fn compare(
    name: &str,
    over: &str,
    http1: &BTreeMap<String, CaseResult>,
    http2: &BTreeMap<String, CaseResult>,
    message: &[(&str, Behavior)],
    close_also: &[(CloseBehavior, &[CloseBehavior])],
) -> Vec<String> {
    let mut wrong = Vec::new();
    let played: Vec<_> = http2.keys().filter(|id| !id.starts_with("20.")).collect();
    assert_eq!(
        played,
        http1.keys().collect::<Vec<_>>(),
        "{name}: the cases"
    );
    for (id, one) in http1 {
        let two = &http2[id];
        assert_eq!(one.protocol, "HTTP/1.1", "{name} {id}");
        if !two.protocol.starts_with(over) {
            wrong.push(format!("{id}: protocol {:?}", two.protocol));
        }
        let want = message
            .iter()
            .find(|(m, _)| m == id)
            .map_or(one.behavior, |(_, b)| *b);
        let also = close_also
            .iter()
            .find(|(c, _)| *c == one.behavior_close)
            .map_or(&[][..], |(_, a)| *a);
        let close_ok =
            two.behavior_close == one.behavior_close || also.contains(&two.behavior_close);
        if two.behavior != want || !close_ok {
            wrong.push(format!(
                "{id}: HTTP/1.1 {}/{}, HTTP/2 {}/{} ({})",
                one.behavior, one.behavior_close, two.behavior, two.behavior_close, two.reason
            ));
        }
    }
    wrong
}

/// Section 20's verdicts in the HTTP/2 run: `not_ok` lists the cases the doc's table has
/// worse than OK, the client-side 20.4.x (played only by serve) are INFORMATIONAL, every
/// other case must be OK.
fn section20(http2: &BTreeMap<String, CaseResult>, not_ok: &[(&str, Behavior)]) -> Vec<String> {
    let got: Vec<_> = http2.values().filter(|r| r.id.starts_with("20.")).collect();
    assert_eq!(got.len(), 17, "section 20 has 17 cases");
    got.iter()
        .filter_map(|r| {
            let want = if r.id.starts_with("20.4.") {
                Behavior::Informational
            } else {
                not_ok
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map_or(Behavior::Ok, |(_, b)| *b)
            };
            (r.behavior != want)
                .then(|| format!("{}: {} ({}), doc: {want}", r.id, r.behavior, r.reason))
        })
        .collect()
}

/// Fails with what is wrong and the server's log, if anything is.
fn none_wrong(what: &str, wrong: &[String], server: &Launched) {
    assert!(
        wrong.is_empty(),
        "{what}:\n{}\nlog:\n{}",
        wrong.join("\n"),
        server.log_tail()
    );
}

fn ids(cases: &str) -> String {
    format!("{CASES},{cases}")
}

#[test]
fn haproxy_h2_front_gives_each_backend_its_http11_verdicts() {
    let Some(haproxy) = require("haproxy", &[PathBuf::from("/usr/sbin")], APT) else {
        return;
    };
    let dir = scratch("h2-haproxy");
    let Some((_node, node)) = start_node_ws(&dir) else {
        return;
    };
    // fastwebsockets (hyper 1, HTTP/1.1 upgrades), which refuses versions other than 13.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fws = rt.block_on(start_fastwebsockets());
    let (front_node, front_fws, front_tls) = (free_port(), free_port(), free_port());
    // A TLS front offering only h2 over ALPN, with a certificate made here.
    let cert = wsconform::tls::GeneratedCert::new(&["127.0.0.1".into()]).unwrap();
    let pem = dir.join("haproxy.pem");
    std::fs::write(&pem, format!("{}{}", cert.cert_pem, cert.key_pem)).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &cert.ca_pem).unwrap();
    let (pem, ca) = (pem.display(), ca.display().to_string());
    let config = format!(
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 60s\n\
         frontend node\n  bind {front_node} proto h2\n  default_backend node\n\
         backend node\n  server echo {node}\n\
         frontend fws\n  bind {front_fws} proto h2\n  default_backend fws\n\
         backend fws\n  server echo {fws}\n\
         frontend tls\n  bind {front_tls} ssl crt {pem} alpn h2\n  default_backend node\n"
    );
    std::fs::write(dir.join("haproxy.cfg"), config).unwrap();
    let cfg = dir.join("haproxy.cfg").display().to_string();
    let args = ["-db".into(), "-f".into(), cfg];
    let fronts = [front_node, front_fws, front_tls];
    let proxy = launch(&haproxy, &args, &[], &dir, &fronts);

    let http1 = run(
        &format!("ws://{node}/"),
        CASES,
        &[],
        &dir.join("node-http1"),
    );
    let http2 = run(
        &format!("ws://{front_node}/"),
        &ids("20.*"),
        &["--http2"],
        &dir.join("node-http2"),
    );
    let wrong = compare("haproxy -> node ws", H2C, &http1, &http2, &[], &[]);
    none_wrong("haproxy -> node ws", &wrong, &proxy);
    // HAProxy makes its own HTTP/1.1 upgrade to the backend, so the client's
    // Sec-WebSocket-Key is unused (a SHOULD: NON-STRICT) and sec-websocket-version 8 goes
    // through to node's ws, which accepts 8 as well as 13 (FAILED).
    let node20 = [
        ("20.2.6", Behavior::NonStrict),
        ("20.2.7", Behavior::Failed),
    ];
    let wrong = section20(&http2, &node20);
    none_wrong("haproxy -> node ws, section 20", &wrong, &proxy);

    // Behind the same HAProxy, fastwebsockets refuses version 8 and HAProxy resets the
    // stream: 20.2.7 is the backend's verdict, not HAProxy's.
    let fws20 = run(
        &format!("ws://{front_fws}/"),
        "20.*",
        &["--http2"],
        &dir.join("fws-http2"),
    );
    let wrong = section20(&fws20, &[("20.2.6", Behavior::NonStrict)]);
    none_wrong("haproxy -> fastwebsockets, section 20", &wrong, &proxy);

    // wss:// with ALPN h2: the framing cases as over h2c, each case on TLS and h2.
    let tls = run(
        &format!("wss://{front_tls}/"),
        "1.*",
        &["--http2", "--ca", &ca],
        &dir.join("tls-http2"),
    );
    let one: BTreeMap<_, _> = http1
        .into_iter()
        .filter(|(id, _)| id.starts_with("1."))
        .collect();
    let wrong = compare(
        "haproxy tls -> node ws",
        "HTTP/2 (h2)",
        &one,
        &tls,
        &[],
        &[],
    );
    none_wrong("haproxy tls -> node ws", &wrong, &proxy);
}

/// Close verdicts a front that does not end the HTTP/2 stream when the WebSocket ends
/// gets instead of a clean close: the suite's 1 s wait for the end runs out, and which
/// of its two timers (drop or close) comes first decides between the two.
const LATE_END: &[CloseBehavior] = &[CloseBehavior::Unclean, CloseBehavior::FailedByClient];

/// Where the suite starts the closing handshake (so says the HTTP/1.1 run), the close
/// verdict over HTTP/2 must be a late one: neither Apache nor Hypercorn ends the stream
/// after answering the close (probed: Apache not within 15 s, Hypercorn only when it
/// closes the idle connection 5 s later). Cases where the server drops the connection
/// itself may close cleanly.
fn all_late(
    name: &str,
    http1: &BTreeMap<String, CaseResult>,
    http2: &BTreeMap<String, CaseResult>,
) {
    let early: Vec<_> = http1
        .values()
        .filter(|r| r.closed_by_me && http2[&r.id].behavior_close == CloseBehavior::Ok)
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        early.is_empty(),
        "{name}: closed cleanly over HTTP/2: {early:?}"
    );
}

#[test]
fn apache_h2websockets_keeps_message_verdicts_and_ends_streams_late() {
    let Some(apache) = require("apache2", &[PathBuf::from("/usr/sbin")], APT) else {
        return;
    };
    let modules = Path::new("/usr/lib/apache2/modules");
    let Some(_) = installed(modules.join("mod_http2.so"), APT) else {
        return;
    };
    let dir = scratch("h2-apache");
    let Some((_node, node)) = start_node_ws(&dir) else {
        return;
    };
    let (front, off) = (free_port(), free_port());
    let d = dir.display();
    let m = modules.display();
    let config = format!(
        "ServerRoot {d}\nListen {front}\nListen {off}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\nLogLevel warn\n\
         User nobody\nGroup nogroup\nServerName 127.0.0.1\n\
         LoadModule mpm_event_module {m}/mod_mpm_event.so\n\
         LoadModule authz_core_module {m}/mod_authz_core.so\n\
         LoadModule http2_module {m}/mod_http2.so\n\
         LoadModule proxy_module {m}/mod_proxy.so\n\
         LoadModule proxy_http_module {m}/mod_proxy_http.so\n\
         Protocols h2c http/1.1\nH2WebSockets on\n\
         ProxyPass / http://{node}/ upgrade=websocket\n\
         <VirtualHost {off}>\n  H2WebSockets off\n  ProxyPass / http://{node}/ upgrade=websocket\n</VirtualHost>\n"
    );
    std::fs::write(dir.join("httpd.conf"), config).unwrap();
    let conf = dir.join("httpd.conf").display().to_string();
    let args = ["-f".into(), conf, "-DFOREGROUND".into()];
    let httpd = launch(&apache, &args, &[], &dir, &[front, off]);

    // The same server with `H2WebSockets off` (its default) does not advertise the
    // extended CONNECT: the run stops at its first check, naming the setting.
    let out = wsconform(
        &format!("ws://{off}/"),
        "1.1.1",
        &["--http2"],
        &dir.join("off"),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "H2WebSockets off: {said}");
    assert!(
        said.contains("do not enable the extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL"),
        "H2WebSockets off: {said}"
    );

    let http1 = run(&format!("ws://{node}/"), CASES, &[], &dir.join("http1"));
    // Not confirmed alone: nearly every close verdict is a late one, and the solo reruns
    // (1 s each) would only pick between the two late verdicts.
    let http2 = run(
        &format!("ws://{front}/"),
        &ids("20.*"),
        &["--http2", "--no-confirm", "--jobs", "32"],
        &dir.join("http2"),
    );
    let late = [
        (CloseBehavior::Ok, LATE_END),
        (CloseBehavior::Informational, LATE_END),
    ];
    let wrong = compare("apache -> node ws", H2C, &http1, &http2, &[], &late);
    none_wrong("apache", &wrong, &httpd);
    all_late("apache", &http1, &http2);
    // As through HAProxy: Apache upgrades to the backend itself (20.2.6) and passes
    // version 8 on to node's ws (20.2.7). 20.3.1 is OK: once the suite ends its side,
    // Apache ends the stream at once.
    let wrong = section20(
        &http2,
        &[
            ("20.2.6", Behavior::NonStrict),
            ("20.2.7", Behavior::Failed),
        ],
    );
    none_wrong("apache, section 20", &wrong, &httpd);
}

#[test]
fn hypercorn_keeps_message_verdicts_but_invalid_utf8_and_malformed_connects_end_the_connection() {
    let Some(hypercorn) = installed(peers_dir().join("hypercorn/bin/hypercorn"), PEERS) else {
        return;
    };
    let dir = scratch("h2-hypercorn");
    let addr = free_port();
    let app = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/http2"));
    let args = ["--bind".into(), addr.to_string(), "asgi_echo:app".into()];
    let server = launch(&hypercorn, &args, &[("PYTHONPATH", app)], &dir, &[addr]);
    let url = format!("ws://{addr}/");
    let http1 = run(&url, CASES, &[], &dir.join("http1"));
    let http2 = run(
        &url,
        &ids("20.*"),
        &["--http2", "--no-confirm", "--jobs", "32"],
        &dir.join("http2"),
    );
    // Over HTTP/2 Hypercorn fails a WebSocket that breaks the protocol (invalid UTF-8,
    // 6.3.x; a bad frame, 2.5 and 5.x) by dropping the stream without a close frame, where
    // over HTTP/1.1 it sends 1007 or 1002: a FAILED message verdict for the UTF-8 cases,
    // whose expectation is that close; FAILED close verdicts for those and the others.
    let utf8 = [("6.3.1", Behavior::Failed), ("6.3.2", Behavior::Failed)];
    let late_or_dropped: &[CloseBehavior] = &[
        CloseBehavior::Unclean,
        CloseBehavior::FailedByClient,
        CloseBehavior::Failed,
    ];
    let late = [
        (CloseBehavior::Ok, late_or_dropped),
        (CloseBehavior::Informational, LATE_END),
    ];
    let wrong = compare("hypercorn", H2C, &http1, &http2, &utf8, &late);
    none_wrong("hypercorn", &wrong, &server);
    all_late("hypercorn", &http1, &http2);
    // Hypercorn takes the WebSocket from `:method CONNECT` alone (20.2.2 with :protocol
    // websockets is accepted); the h2 library raises a protocol error on a malformed
    // request and Hypercorn ends the whole connection on it (OK as a refusal in 20.2.1 and
    // 20.2.3-5, FAILED in 20.3.4, where other streams die with it); after the suite's close
    // and END_STREAM the connection goes without a close frame (20.3.1).
    let not_ok = [
        ("20.2.2", Behavior::Failed),
        ("20.2.6", Behavior::NonStrict),
        ("20.3.1", Behavior::Failed),
        ("20.3.4", Behavior::Failed),
    ];
    let wrong = section20(&http2, &not_ok);
    none_wrong("hypercorn, section 20", &wrong, &server);
}
