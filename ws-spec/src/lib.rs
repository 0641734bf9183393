//! Sans-IO reference of RFC 6455 (WebSocket) and RFC 7692 (permessage-deflate).
//!
//! Bytes in, events and bytes out; time is passed in as a value. Nothing here
//! touches sockets, files or clocks, so every rule can be checked in isolation
//! and the same code is the oracle for the case catalogue and the fuzzer.

pub mod close;
pub mod connection;
pub mod deflate;
pub mod endpoint;
pub mod error;
pub mod extended_connect;
pub mod extension;
pub mod frame;
pub mod handshake;
pub mod intermediary;
pub mod mask;
pub mod rfc;
pub mod rng;
pub mod rules;
pub mod utf8;

pub use endpoint::Role;
