//! `wsconform echo`: the reference echo server.

use anyhow::Context;
use clap::Args;

use crate::echo::{self, EchoSettings};
use crate::tls::ServerTlsArgs;

pub(super) const ECHO_EXIT_CODES: &str = "\
Exit codes:
  0    stopped by Ctrl-C
  2    the address cannot be bound; --cert/--key cannot be used";

/// Arguments of `echo`.
#[derive(Debug, Args)]
pub struct EchoArgs {
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, short = 'p', default_value_t = 9001)]
    pub port: u16,
    /// Address to bind; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: String,
    /// Largest message echoed, in bytes; larger ones fail the connection with 1009.
    #[arg(long, default_value_t = 64 << 20)]
    pub max_message_size: u64,
    /// wss:// instead of ws://.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

pub(super) async fn cmd_echo(args: EchoArgs) -> anyhow::Result<i32> {
    let addr = if args.listen.contains(':') {
        format!("[{}]:{}", args.listen, args.port)
    } else {
        format!("{}:{}", args.listen, args.port)
    };
    let listener = echo::bind(&addr).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    let tls = args.tls.load(&args.listen, local.port())?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    crate::outln!("wsconform echo server listening on {scheme}://{local}/");
    for line in tls.iter().flat_map(|t| t.describe()) {
        crate::outln!("{line}");
    }
    let settings = EchoSettings {
        max_message: args.max_message_size,
    };
    match tls {
        Some(tls) => tokio::select! {
            _ = echo::serve_tls(listener, settings, tls) => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        None => tokio::select! {
            _ = echo::serve(listener, settings) => {}
            _ = tokio::signal::ctrl_c() => {}
        },
    }
    Ok(0)
}
