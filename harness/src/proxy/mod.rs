//! `wsconform proxy`: the suite at both ends of a reverse proxy. It listens on
//! `--backend` as the upstream server, connects to the proxy's front as the client,
//! plays the proxy cases of section 19 and judges what went in on one side against
//! what came out on the other.

mod backend;
pub mod configs;
mod many;
mod play;
mod report;
mod side;
mod steps;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use ws_cases::proxy::ProxyCase;
use ws_reports::CaseResult;
use ws_spec::handshake::{accept_key, random_key, RequestBuilder};

use crate::error::HarnessError;
use crate::target::Target;

pub use play::PlayConfig;

/// A proxy under test: its front, and the backend the suite plays behind it.
pub struct Proxied {
    inner: Arc<Route>,
}

/// Where a case goes: the proxy's front, the backend behind it, how cases are played.
struct Route {
    front: Target,
    backend: backend::Backend,
    config: PlayConfig,
}

impl Proxied {
    /// Starts the backend on `backend_addr` (e.g. `127.0.0.1:9002`).
    pub async fn start(
        front: Target,
        backend_addr: &str,
        config: PlayConfig,
    ) -> Result<Self, HarnessError> {
        if front.tls {
            return Err(HarnessError::BadUrl {
                url: front.url.clone(),
                problem: crate::error::UrlProblem::WssFront,
            });
        }
        let inner = Route {
            backend: backend::Backend::bind(backend_addr).await?,
            front,
            config,
        };
        Ok(Proxied {
            inner: Arc::new(inner),
        })
    }

    /// The address the backend listens on.
    pub fn backend_addr(&self) -> std::net::SocketAddr {
        self.inner.backend.addr
    }

    /// Checks that a request sent to the front reaches the backend, within `wait`; the
    /// error says what arrived where.
    pub async fn check_path(&self, wait: Duration) -> Result<(), HarnessError> {
        let this = &self.inner;
        let token = "probe#0";
        let key = random_key(0x0bad_cafe);
        let arrival = this.backend.expect(token, &key);
        let addr = this.front.socket_addr();
        let not_proxied = |what: String| HarnessError::NotProxied {
            front: this.front.url.clone(),
            backend: this.backend.addr.to_string(),
            what,
        };
        let deadline = tokio::time::Instant::now() + wait;
        let mut client = crate::runner::connect_by(&addr, deadline).await?;
        let req = RequestBuilder::new(&this.front.host_header(), &this.front.path, &key)
            .set(backend::CASE_FIELD, token);
        client
            .write_all(&req.encode())
            .await
            .map_err(|e| not_proxied(format!("writing the request to the front failed: {e}")))?;
        let started = Instant::now();
        let arrived = play::await_arrival(arrival, &client, wait).await;
        this.backend.forget(token, &key);
        let Some(mut arrival) = arrived else {
            let left = wait
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(300));
            let front_said = match tokio::time::timeout(left, read_head(&mut client)).await {
                Ok(Some(line)) => format!("the front answered {line:?}"),
                Ok(None) => "the front closed the connection without an answer".into(),
                Err(_) => "the front sent nothing back".into(),
            };
            let strays = this.backend.strays();
            let backend_got = match strays.as_slice() {
                [] => "and nothing arrived at the backend".to_string(),
                s => format!("and the backend received only {}", s.join("; ")),
            };
            return Err(not_proxied(format!(
                "a WebSocket request sent to the front did not reach the backend (waited {:.1} s): {front_said}, {backend_got}",
                started.elapsed().as_secs_f64()
            )));
        };
        let key = arrival
            .request
            .header("Sec-WebSocket-Key")
            .unwrap_or_default()
            .to_string();
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(&key)
        );
        let _ = arrival.stream.write_all(answer.as_bytes()).await;
        Ok(())
    }

    /// Plays `cases` (up to `jobs` at once; large and opt-in cases alone) and judges
    /// each; `done` is called as each finishes.
    pub async fn run(
        &self,
        cases: Vec<(usize, ProxyCase)>,
        jobs: usize,
        agent: &str,
        done: impl Fn(&CaseResult),
    ) -> Vec<CaseResult> {
        let (alone, together): (Vec<_>, Vec<_>) =
            cases.into_iter().partition(|(_, c)| c.large || c.opt_in);
        let mut results = Vec::new();
        let gate = Arc::new(Semaphore::new(jobs.max(1)));
        let mut set = JoinSet::new();
        let this = self.inner.clone();
        for (index, case) in together {
            let (gate, this) = (gate.clone(), this.clone());
            set.spawn(async move {
                let _slot = gate.acquire_owned().await;
                this.play_one(index, case).await
            });
        }
        while let Some(r) = set.join_next().await {
            if let Ok(record) = r {
                let result = report::case_result(&record, agent);
                done(&result);
                results.push(result);
            }
        }
        for (index, case) in alone {
            let record = this.play_one(index, case).await;
            let result = report::case_result(&record, agent);
            done(&result);
            results.push(result);
        }
        results.sort_by(|a, b| ws_reports::compare_case_ids(&a.id, &b.id));
        results
    }
}

impl Route {
    async fn play_one(&self, index: usize, case: ProxyCase) -> report::ProxyRecord {
        let started = SystemTime::now();
        let t0 = Instant::now();
        let observation = match case.check {
            ws_cases::proxy::ProxyCheck::Concurrency => many::hold(&case, self).await,
            _ => play::play(&case, self).await,
        };
        let verdict = ws_cases::proxy::judge::judge(&case, &observation);
        report::ProxyRecord {
            index,
            case,
            observation,
            verdict,
            started,
            duration: t0.elapsed(),
        }
    }
}

/// The status line of whatever the front sent back, if it sent a head.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return (!buf.is_empty()).then(|| first_line(&buf));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(2).any(|w| w == b"\r\n") || buf.len() > 4096 {
            return Some(first_line(&buf));
        }
    }
}

fn first_line(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
}
