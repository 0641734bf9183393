//! Helpers of the proxy tests.

// proxy_real.rs uses the free ports only, proxy_flawed.rs the proxies too.
#![allow(dead_code)]

pub mod flawed;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};

/// A loopback port free right now, for a listener another process binds: below the
/// ephemeral range (32768 and up on Linux), so no outgoing connection of a test running
/// beside takes it in the meantime.
pub fn free_port() -> SocketAddr {
    // Spread by process id: test binaries run one after the other, tests in threads.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 50) as u16 * 200;
    for _ in 0..2_000 {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 2_000;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return l.local_addr().expect("addr");
        }
    }
    panic!("no free loopback port between 20000 and 32000");
}

/// `wsconform proxy ws://FRONT/ --backend BACKEND`, for a test to add its options to.
pub fn proxy_command(front: SocketAddr, backend: SocketAddr) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsconform"));
    cmd.args([
        "proxy",
        &format!("ws://{front}/"),
        "--backend",
        &backend.to_string(),
    ]);
    cmd
}
