//! What the echo server examples share: the port from the command line, and a
//! loopback accept loop that hands each connection to the library under test.

use std::future::Future;

use tokio::net::{TcpListener, TcpStream};

/// Listens on 127.0.0.1:PORT (the first argument, else `default_port`), says so on
/// stderr naming `library`, and serves each connection with `serve` on a task of its
/// own, until killed.
pub async fn serve_forever<F, Fut>(
    library: &str,
    default_port: u16,
    serve: F,
) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("bad port {arg:?}: {e}"),
            )
        })?,
        None => default_port,
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("{library} echo server on ws://{}/", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(stream));
    }
}
