//! The suite as the upstream server: one listener on `--backend` for the whole run,
//! handing each connection to the case whose request it carries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use ws_spec::handshake::{parse_request, Request};

use crate::error::HarnessError;

/// The field that tells the backend which case a request belongs to; a proxy forwards
/// it like any end-to-end field. Requests without it are matched by their key.
pub(super) const CASE_FIELD: &str = "X-Wsconform-Case";

/// A request that reached the backend, with its connection.
pub(super) struct Arrival {
    /// The connection, right after the request head.
    pub stream: TcpStream,
    /// The request head.
    pub request: Request,
    /// Bytes read past the head.
    pub rest: Vec<u8>,
}

/// Cases waiting for their request: token → sender, and key → token for requests
/// whose case field a proxy dropped.
#[derive(Default)]
struct Waiting {
    by_token: HashMap<String, oneshot::Sender<Arrival>>,
    keys: HashMap<String, String>,
}

/// The backend listener and the cases waiting for their request.
pub(super) struct Backend {
    /// The address it listens on.
    pub addr: SocketAddr,
    waiting: Arc<Mutex<Waiting>>,
    strays: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Backend {
    /// Listens on `addr`.
    pub(super) async fn bind(addr: &str) -> Result<Backend, HarnessError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| HarnessError::Listen {
                addr: addr.to_string(),
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| HarnessError::Listen {
                addr: addr.to_string(),
                source,
            })?;
        let waiting: Arc<Mutex<Waiting>> = Arc::default();
        let strays: Arc<Mutex<Vec<String>>> = Arc::default();
        let task = {
            let (waiting, strays) = (waiting.clone(), strays.clone());
            tokio::spawn(async move {
                while let Ok((stream, peer)) = listener.accept().await {
                    let (waiting, strays) = (waiting.clone(), strays.clone());
                    tokio::spawn(route(stream, peer, waiting, strays));
                }
            })
        };
        Ok(Backend {
            addr,
            waiting,
            strays,
            task,
        })
    }

    /// Registers a case: the connection whose request carries `token` (or, failing
    /// that, `key`) is sent to the receiver.
    pub(super) fn expect(&self, token: &str, key: &str) -> oneshot::Receiver<Arrival> {
        let (tx, rx) = oneshot::channel();
        let mut w = self.waiting.lock().expect("backend state");
        w.by_token.insert(token.to_string(), tx);
        w.keys.insert(key.to_string(), token.to_string());
        rx
    }

    /// Forgets a case that is over.
    pub(super) fn forget(&self, token: &str, key: &str) {
        let mut w = self.waiting.lock().expect("backend state");
        w.by_token.remove(token);
        w.keys.remove(key);
    }

    /// What arrived that belonged to no case, one line each.
    pub(super) fn strays(&self) -> Vec<String> {
        self.strays.lock().expect("backend state").clone()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request head and hands the connection to its case, or records a stray.
async fn route(
    mut stream: TcpStream,
    peer: SocketAddr,
    waiting: Arc<Mutex<Waiting>>,
    strays: Arc<Mutex<Vec<String>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let stray = |what: String| strays.lock().expect("backend state").push(what);
    let parsed = loop {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => {
                stray(format!(
                    "a connection from {peer} that sent {} bytes and no request",
                    buf.len()
                ));
                return;
            }
        }
        match parse_request(&buf, 64 * 1024) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) => continue,
            Err(e) => {
                let head = String::from_utf8_lossy(&buf[..buf.len().min(40)]).into_owned();
                stray(format!(
                    "{} bytes from {peer} that are not an HTTP request ({e}): {head:?}",
                    buf.len()
                ));
                return;
            }
        }
    };
    let (request, consumed) = parsed;
    let sender = {
        let mut w = waiting.lock().expect("backend state");
        let token = request.header(CASE_FIELD).map(str::to_string).or_else(|| {
            let key = request.header("Sec-WebSocket-Key")?;
            w.keys.get(key).cloned()
        });
        token.and_then(|t| w.by_token.remove(&t))
    };
    match sender {
        Some(tx) => {
            let rest = buf[consumed..].to_vec();
            let _ = tx.send(Arrival {
                stream,
                request,
                rest,
            });
        }
        None => {
            stray(format!(
                "{} {} from {peer} that belongs to no case of this run",
                request.method, request.target
            ));
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
    }
}
