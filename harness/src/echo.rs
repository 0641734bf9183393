//! The reference echo server, built on the `ws-spec` endpoint.
//!
//! It is what `wsconform run` tests when no URL is given, and what
//! `wsconform echo` serves to other tools. Every decision (handshake
//! validation, frame rules, closing handshake) is the reference's; this module
//! only moves bytes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use ws_spec::connection::{ServerConnection, ServerConnectionConfig};

use crate::error::HarnessError;
use crate::tls::ServerTls;

/// Largest opening request accepted.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its opening request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay silent before the server gives up on it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Settings of the echo server.
#[derive(Clone, Debug)]
pub struct EchoSettings {
    /// Largest message echoed; above it the connection is failed with 1009.
    pub max_message: u64,
}

impl Default for EchoSettings {
    fn default() -> Self {
        EchoSettings {
            max_message: 64 << 20,
        }
    }
}

/// Binds a listener; an error names the address.
pub async fn bind(addr: &str) -> Result<TcpListener, HarnessError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| HarnessError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Accepts connections until the task is dropped, each served on its own task.
pub async fn serve(listener: TcpListener, settings: EchoSettings) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let settings = settings.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let _ = serve_connection(stream, &settings).await;
        });
    }
}

/// As [`serve`], over TLS (wss://): each connection's TLS handshake runs on its own
/// task, so a slow or failing client holds up nobody.
pub async fn serve_tls(listener: TcpListener, settings: EchoSettings, tls: ServerTls) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (settings, tls) = (settings.clone(), tls.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            if let Ok(stream) = tls.accept(stream).await {
                let _ = serve_connection(stream, &settings).await;
            }
        });
    }
}

/// Serves one connection (TCP, or TLS over TCP): the reference server
/// connection (opening handshake, permessage-deflate, endpoint) as an echo peer.
pub async fn serve_connection<S>(mut stream: S, settings: &EchoSettings) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 64 * 1024];
    let mut config = ServerConnectionConfig::echo();
    config.endpoint.max_message_size = settings.max_message;
    config.max_head = MAX_HEAD;
    let mut conn = ServerConnection::new(config);
    let t0 = Instant::now();
    let handshake_deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    loop {
        while conn.poll_event().is_some() {}
        let out = conn.take_output();
        if !out.is_empty() {
            stream.write_all(&out).await?;
            // Over TLS, encrypted bytes the socket did not take yet wait in the
            // session until a flush; over TCP this does nothing.
            stream.flush().await?;
        }
        if conn.wants_tcp_close() {
            return stream.shutdown().await;
        }
        let read = if conn.endpoint().is_some() {
            tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buf)).await
        } else {
            tokio::time::timeout_at(handshake_deadline, stream.read(&mut buf)).await
        };
        let n = match read {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => return Ok(()),
        };
        if n == 0 {
            conn.receive_eof();
            let out = conn.take_output();
            if !out.is_empty() {
                let _ = stream.write_all(&out).await;
                let _ = stream.flush().await;
            }
            return Ok(());
        }
        conn.receive(&buf[..n], t0.elapsed());
    }
}
