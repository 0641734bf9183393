//! permessage-deflate (RFC 7692): negotiation and the per-message codec, sans-IO.
//!
//! Negotiation (§5, §7.1) works on the [`ExtensionOffer`]s of the §9.1 grammar
//! ([`crate::extension`]): a client describes what it offers with
//! [`DeflateOffer`], a server picks one of the client's offers with
//! [`server_negotiate`] under a [`ServerPolicy`], and the client checks the
//! server's answer with [`client_accept`]. Both ends come out with the same
//! [`DeflateParams`].
//!
//! The codec compresses and decompresses whole messages (§7.2): a
//! [`Compressor`] turns one message into the payload to send with RSV1 set
//! (the `00 00 ff ff` tail of the sync flush removed, §7.2.1), a
//! [`Decompressor`] takes the payload of one received message, frame by frame,
//! and inflates it with the tail put back (§7.2.2), under a size limit so that
//! a decompression bomb fails instead of exhausting memory. Context takeover
//! and window bits are honoured in both directions.
//!
//! Which frames may carry RSV1 (§6) is the endpoint's business; [`rsv1_allowed`]
//! states the rule.
//!
//! # Window bits 8
//!
//! zlib (and zlib-rs, which flate2 uses here) refuses 8 for raw deflate. The
//! [`Compressor`] compresses with 9 instead, which stays decodable by a peer
//! that allocated only a 256-byte window: zlib never emits a match further back
//! than the window size minus 262 bytes (its `MAX_DIST`), so a 9-bit compressor
//! references at most 250 bytes back, within the 8-bit window. The tests check
//! this on the wire with an independent scan of the back-reference distances.
//! The [`Decompressor`] inflates an 8-bit stream with a 9-bit window, which
//! decodes every valid 8-bit stream.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::endpoint::Role;
use crate::extension::ExtensionOffer;
use crate::frame::Opcode;

pub use crate::error::DeflateError;

/// The registered extension name (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The four octets a sync flush ends with, removed by the sender (§7.2.1) and
/// put back by the receiver (§7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// What a negotiation settled on (RFC 7692 §7.1), the same on both ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compression context after every message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after every message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server compresses with, 8..=15 (§7.1.2.1).
    pub server_max_window_bits: u8,
    /// The largest LZ77 window the client compresses with, 8..=15 (§7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// No parameter: both ends keep their context and may use 32 KiB windows.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The compressor for messages that `role` sends.
    pub fn compressor(&self, role: Role) -> Compressor {
        match role {
            Role::Server => {
                Compressor::fast(self.server_max_window_bits, self.server_no_context_takeover)
            }
            Role::Client => {
                Compressor::fast(self.client_max_window_bits, self.client_no_context_takeover)
            }
        }
    }

    /// The decompressor for messages that `role` receives (from the other
    /// side), failing any message that inflates above `max_output` bytes.
    pub fn decompressor(&self, role: Role, max_output: usize) -> Decompressor {
        match role {
            Role::Server => Decompressor::new(
                self.client_max_window_bits,
                self.client_no_context_takeover,
                max_output,
            ),
            Role::Client => Decompressor::new(
                self.server_max_window_bits,
                self.server_no_context_takeover,
                max_output,
            ),
        }
    }
}

/// The parameters of one permessage-deflate offer, as a client sends them
/// (RFC 7692 §7.1).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeflateOffer {
    /// Ask the server to reset its context after every message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// Hint that the client will not take over context (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Limit the server's window to this many bits, 8..=15 (§7.1.2.1).
    pub server_max_window_bits: Option<u8>,
    /// Tell the server it may limit the client's window (§7.1.2.2):
    /// `Some(None)` is the parameter without value, `Some(Some(n))` adds the
    /// hint that the client will not use more than `n` bits anyway.
    pub client_max_window_bits: Option<Option<u8>>,
}

impl DeflateOffer {
    /// The offer Autobahn|Testsuite's client sends in sections 12 and 13:
    /// always `client_no_context_takeover; client_max_window_bits` (its
    /// "accept" flags), plus `server_no_context_takeover` when
    /// `request_no_context_takeover` and `server_max_window_bits=N` when
    /// `request_max_window_bits` is not 0.
    pub fn autobahn(request_no_context_takeover: bool, request_max_window_bits: u8) -> Self {
        DeflateOffer {
            server_no_context_takeover: request_no_context_takeover,
            client_no_context_takeover: true,
            server_max_window_bits: (request_max_window_bits != 0)
                .then_some(request_max_window_bits),
            client_max_window_bits: Some(None),
        }
    }

    /// This offer as a `permessage-deflate` extension with its parameters,
    /// in the order Autobahn writes them.
    pub fn to_extension(&self) -> ExtensionOffer {
        let mut ext = ExtensionOffer::new(EXTENSION_NAME);
        if self.client_no_context_takeover {
            ext = ext.with_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.client_max_window_bits {
            ext = ext.with_param(
                CLIENT_MAX_WINDOW_BITS,
                bits.map(|b| b.to_string()).as_deref(),
            );
        }
        if self.server_no_context_takeover {
            ext = ext.with_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.server_max_window_bits {
            ext = ext.with_param(SERVER_MAX_WINDOW_BITS, Some(&bits.to_string()));
        }
        ext
    }

    /// Reads a client's offer, failing on anything RFC 7692 §7 says makes a
    /// server decline it: another extension, an unknown or repeated
    /// parameter, a value on a flag, a missing or invalid window size.
    pub fn from_extension(ext: &ExtensionOffer) -> Result<Self, DeflateError> {
        let p = parse_params(ext)?;
        Ok(DeflateOffer {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: with_value(SERVER_MAX_WINDOW_BITS, p.server_max_window_bits)?,
            client_max_window_bits: p.client_max_window_bits,
        })
    }
}

/// The four parameters as found, each value already checked for range.
struct RawParams {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<Option<u8>>,
    client_max_window_bits: Option<Option<u8>>,
}

/// A window-bits parameter where it must carry a value (§7.1.2.1 always; §7.1.2.2 in a
/// response): absent stays absent, present without a value is an error.
fn with_value(name: &str, found: Option<Option<u8>>) -> Result<Option<u8>, DeflateError> {
    match found {
        None => Ok(None),
        Some(None) => Err(DeflateError::MissingValue { name: name.into() }),
        Some(Some(bits)) => Ok(Some(bits)),
    }
}

/// `8`..`15` written as a decimal integer without leading zeroes (§7.1.2).
fn parse_window_bits(name: &str, value: &str) -> Result<u8, DeflateError> {
    let bits = match value {
        "8" => 8,
        "9" => 9,
        "10" => 10,
        "11" => 11,
        "12" => 12,
        "13" => 13,
        "14" => 14,
        "15" => 15,
        _ => {
            return Err(DeflateError::BadWindowBits {
                name: name.into(),
                value: value.into(),
            })
        }
    };
    Ok(bits)
}

fn parse_params(ext: &ExtensionOffer) -> Result<RawParams, DeflateError> {
    if ext.name != EXTENSION_NAME {
        return Err(DeflateError::NotPermessageDeflate {
            name: ext.name.clone(),
        });
    }
    let mut p = RawParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: None,
        client_max_window_bits: None,
    };
    let mut seen: Vec<&str> = Vec::with_capacity(4);
    for (name, value) in &ext.params {
        let name = name.as_str();
        if seen.contains(&name) {
            return Err(DeflateError::DuplicateParameter { name: name.into() });
        }
        let flag = || match value {
            None => Ok(true),
            Some(v) => Err(DeflateError::UnexpectedValue {
                name: name.into(),
                value: v.clone(),
            }),
        };
        let bits = || {
            value
                .as_deref()
                .map(|v| parse_window_bits(name, v))
                .transpose()
        };
        match name {
            SERVER_NO_CONTEXT_TAKEOVER => p.server_no_context_takeover = flag()?,
            CLIENT_NO_CONTEXT_TAKEOVER => p.client_no_context_takeover = flag()?,
            SERVER_MAX_WINDOW_BITS => p.server_max_window_bits = Some(bits()?),
            CLIENT_MAX_WINDOW_BITS => p.client_max_window_bits = Some(bits()?),
            _ => return Err(DeflateError::UnknownParameter { name: name.into() }),
        }
        seen.push(name);
    }
    Ok(p)
}

/// How a server answers permessage-deflate offers.
///
/// Autobahn|Testsuite's section 13 servers are
/// [`ServerPolicy::autobahn`]`(request_no_context_takeover, request_max_window_bits)`;
/// its case 13.7 server tries three of them in turn
/// ([`server_negotiate_first`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPolicy {
    /// Accept offers that ask for `server_no_context_takeover` (and honour
    /// it); when false such offers are declined (§7.1.1.1).
    pub accept_no_context_takeover: bool,
    /// Accept offers that limit the server's window with
    /// `server_max_window_bits`; when false such offers are declined (§7.1.2.1).
    pub accept_max_window_bits: bool,
    /// Ask the client to reset its context after every message:
    /// `client_no_context_takeover` in the response (§7.1.1.2).
    pub request_no_context_takeover: bool,
    /// Ask the client to use at most this many window bits:
    /// `client_max_window_bits=N` in the response (§7.1.2.2); 0 asks nothing.
    /// Only possible for an offer that has `client_max_window_bits`; when the
    /// offer's hint is smaller, the hint is answered instead.
    pub request_max_window_bits: u8,
    /// With `request_max_window_bits` set, decline offers without
    /// `client_max_window_bits` (Autobahn's servers) instead of accepting them
    /// without the request.
    pub require_client_max_window_bits: bool,
    /// Reset the server's own context after every message even when not
    /// asked (`server_no_context_takeover` in the response, §7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The largest window the server compresses with, 8..=15; below 15 it is
    /// announced with `server_max_window_bits` even when not asked (§7.1.2.1).
    pub server_max_window_bits: u8,
}

impl Default for ServerPolicy {
    /// Accept any valid offer, ask nothing of the client, 32 KiB window.
    fn default() -> Self {
        ServerPolicy {
            accept_no_context_takeover: true,
            accept_max_window_bits: true,
            request_no_context_takeover: false,
            request_max_window_bits: 0,
            require_client_max_window_bits: false,
            server_no_context_takeover: false,
            server_max_window_bits: 15,
        }
    }
}

impl ServerPolicy {
    /// Autobahn|Testsuite's section 13 server "accept" with
    /// (requestNoContextTakeover, requestMaxWindowBits): honours whatever the
    /// client asks for the server side, adds `client_no_context_takeover`
    /// and/or `client_max_window_bits=N` to the response, and declines offers
    /// that do not allow the latter.
    pub fn autobahn(request_no_context_takeover: bool, request_max_window_bits: u8) -> Self {
        ServerPolicy {
            request_no_context_takeover,
            request_max_window_bits,
            require_client_max_window_bits: true,
            ..ServerPolicy::default()
        }
    }

    fn check(&self) -> Result<(), DeflateError> {
        let bad = |what: String| Err(DeflateError::BadPolicy { what });
        if !(8..=15).contains(&self.server_max_window_bits) {
            return bad(format!(
                "server_max_window_bits {} outside 8..=15",
                self.server_max_window_bits
            ));
        }
        if self.request_max_window_bits != 0 && !(8..=15).contains(&self.request_max_window_bits) {
            return bad(format!(
                "request_max_window_bits {} neither 0 nor 8..=15",
                self.request_max_window_bits
            ));
        }
        Ok(())
    }

    /// The response and parameters for one valid offer, or None to decline it.
    fn answer(&self, offer: &DeflateOffer) -> Option<(ExtensionOffer, DeflateParams)> {
        if offer.server_no_context_takeover && !self.accept_no_context_takeover {
            return None;
        }
        if offer.server_max_window_bits.is_some() && !self.accept_max_window_bits {
            return None;
        }
        let server_no_context_takeover =
            offer.server_no_context_takeover || self.server_no_context_takeover;
        let server_max_window_bits = offer
            .server_max_window_bits
            .map_or(self.server_max_window_bits, |b| {
                b.min(self.server_max_window_bits)
            });
        // §7.1.2.1: must answer a limit that was asked, may announce one that was not.
        let announce_server_bits =
            offer.server_max_window_bits.is_some() || server_max_window_bits < 15;
        let client_max_window_bits = if self.request_max_window_bits == 0 {
            None
        } else {
            match offer.client_max_window_bits {
                None if self.require_client_max_window_bits => return None,
                None => None,
                Some(hint) => Some(hint.map_or(self.request_max_window_bits, |h| {
                    h.min(self.request_max_window_bits)
                })),
            }
        };
        let mut response = ExtensionOffer::new(EXTENSION_NAME);
        if server_no_context_takeover {
            response = response.with_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if announce_server_bits {
            response = response.with_param(
                SERVER_MAX_WINDOW_BITS,
                Some(&server_max_window_bits.to_string()),
            );
        }
        if self.request_no_context_takeover {
            response = response.with_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = client_max_window_bits {
            response = response.with_param(CLIENT_MAX_WINDOW_BITS, Some(&bits.to_string()));
        }
        let params = DeflateParams {
            server_no_context_takeover,
            client_no_context_takeover: self.request_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits: client_max_window_bits.unwrap_or(15),
        };
        Some((response, params))
    }
}

/// Server side (RFC 7692 §5, §7): the response to the first of the client's
/// offers, in order, that is a valid permessage-deflate offer the policy
/// accepts, with the parameters both ends will use; `Ok(None)` declines
/// (no permessage-deflate in the response).
///
/// Offers of other extensions are skipped, and so are invalid
/// permessage-deflate offers: §7 makes the server decline them, which is
/// not a failure of the handshake. The only error is a policy that cannot
/// be expressed on the wire.
pub fn server_negotiate(
    offers: &[ExtensionOffer],
    policy: &ServerPolicy,
) -> Result<Option<(ExtensionOffer, DeflateParams)>, DeflateError> {
    policy.check()?;
    Ok(offers
        .iter()
        .filter(|o| o.name == EXTENSION_NAME)
        .filter_map(|o| DeflateOffer::from_extension(o).ok())
        .find_map(|o| policy.answer(&o)))
}

/// [`server_negotiate`] with each policy in turn, all offers per policy,
/// until one accepts: the shape of Autobahn's case 13.7 server, which
/// prefers (no context takeover, 9 bits), then (no context takeover), then
/// the plain acceptance.
pub fn server_negotiate_first(
    offers: &[ExtensionOffer],
    policies: &[ServerPolicy],
) -> Result<Option<(ExtensionOffer, DeflateParams)>, DeflateError> {
    for policy in policies {
        if let Some(found) = server_negotiate(offers, policy)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Client side (RFC 7692 §7.1): checks that the server's response is a
/// valid acceptance of one of the offers sent, and returns the parameters
/// both ends will use. Any error means the client must fail the WebSocket
/// connection (§7).
///
/// A response may add `server_no_context_takeover`, `server_max_window_bits`
/// and `client_no_context_takeover` on its own and may answer a smaller
/// `server_max_window_bits` than offered (§7.1.1.1, §7.1.1.2, §7.1.2.1), but
/// must keep what the offer asked of the server and may only send
/// `client_max_window_bits` when it was offered (§7.1.2.2). The offer's own
/// hints (`client_no_context_takeover`, a `client_max_window_bits` value) do
/// not enter the result: a decoder that keeps context or uses a larger
/// window decodes a peer that does neither, so the response alone binds.
pub fn client_accept(
    offered: &[DeflateOffer],
    response: &ExtensionOffer,
) -> Result<DeflateParams, DeflateError> {
    let r = parse_params(response)?;
    let server_max_window_bits = with_value(SERVER_MAX_WINDOW_BITS, r.server_max_window_bits)?;
    let client_max_window_bits = with_value(CLIENT_MAX_WINDOW_BITS, r.client_max_window_bits)?;
    let matches = |offer: &DeflateOffer| -> Result<(), DeflateError> {
        if offer.server_no_context_takeover && !r.server_no_context_takeover {
            return Err(DeflateError::ServerNoContextTakeoverMissing);
        }
        if let Some(offered) = offer.server_max_window_bits {
            match server_max_window_bits {
                None => return Err(DeflateError::ServerMaxWindowBitsMissing { offered }),
                Some(got) if got > offered => {
                    return Err(DeflateError::ServerMaxWindowBitsTooLarge { offered, got })
                }
                Some(_) => {}
            }
        }
        if let (Some(got), None) = (client_max_window_bits, offer.client_max_window_bits) {
            return Err(DeflateError::ClientMaxWindowBitsNotOffered { got });
        }
        Ok(())
    };
    let mut errors = Vec::new();
    for offer in offered {
        match matches(offer) {
            Ok(()) => {
                return Ok(DeflateParams {
                    server_no_context_takeover: r.server_no_context_takeover,
                    client_no_context_takeover: r.client_no_context_takeover,
                    server_max_window_bits: server_max_window_bits.unwrap_or(15),
                    client_max_window_bits: client_max_window_bits.unwrap_or(15),
                })
            }
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Err(DeflateError::NothingOffered),
        1 => Err(errors.remove(0)),
        _ => Err(DeflateError::NoOfferMatches(errors)),
    }
}

/// RFC 7692 §6: whether a frame may have RSV1 set when permessage-deflate
/// is in use. Only the first frame of a data message carries the
/// "Per-Message Compressed" bit; continuation frames and control frames
/// never do (§6: PMCEs apply to data messages only).
pub fn rsv1_allowed(opcode: Opcode, first_frame: bool) -> bool {
    matches!(opcode, Opcode::Text | Opcode::Binary) && first_frame
}

/// zlib's raw deflate does not take 8 window bits (see the module docs).
fn zlib_window_bits(window_bits: u8) -> u8 {
    assert!(
        (8..=15).contains(&window_bits),
        "permessage-deflate window bits must be 8..=15, got {window_bits}"
    );
    window_bits.max(9)
}

/// Compresses messages one at a time for one direction of a connection
/// (RFC 7692 §7.2.1).
pub struct Compressor {
    inner: Compress,
    no_context_takeover: bool,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .field("total_in", &self.inner.total_in())
            .finish()
    }
}

impl Compressor {
    /// A compressor whose back-references reach at most `2^window_bits`
    /// bytes (8..=15) and, unless `no_context_takeover`, reach into earlier
    /// messages.
    ///
    /// # Panics
    /// If `window_bits` is outside 8..=15.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self::with_level(window_bits, no_context_takeover, Compression::default())
    }

    /// The same at zlib's fastest level: any level is valid permessage-deflate,
    /// and the endpoints of a conformance run compress gigabytes (sections 12
    /// and 13), where the default level costs 2.6 times the CPU.
    pub fn fast(window_bits: u8, no_context_takeover: bool) -> Self {
        Self::with_level(window_bits, no_context_takeover, Compression::fast())
    }

    fn with_level(window_bits: u8, no_context_takeover: bool, level: Compression) -> Self {
        Compressor {
            inner: Compress::new_with_window_bits(level, false, zlib_window_bits(window_bits)),
            no_context_takeover,
        }
    }

    /// Compresses one whole message into the payload to send with RSV1: the
    /// message's DEFLATE blocks, sync-flushed, without the final
    /// `00 00 ff ff` (§7.2.1). An empty message gives `[0x00]`.
    pub fn compress(&mut self, message: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(message.len() / 2 + 64);
        let mut input = message;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(64));
            }
            let before_in = self.inner.total_in();
            let before_out = out.len();
            let status = self
                .inner
                .compress_vec(input, &mut out, FlushCompress::Sync)
                // zlib only fails on a misused stream, which this type rules out.
                .expect("deflate on a well-formed stream cannot fail");
            let consumed = (self.inner.total_in() - before_in) as usize;
            input = &input[consumed..];
            let flushed = input.is_empty() && out.len() < out.capacity();
            let stuck =
                matches!(status, Status::BufError) && consumed == 0 && out.len() == before_out;
            if flushed || stuck {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        } else {
            // zlib refuses a second flush with no new input, so an empty
            // message after another one yields nothing. An empty payload
            // would leave the peer's inflater inside the stored block that
            // `00 00 ff ff` starts; `00` makes that block complete and empty.
            debug_assert!(out.is_empty(), "a sync flush ends with 00 00 ff ff");
            out.push(0x00);
        }
        if self.no_context_takeover {
            self.inner.reset();
        }
        out
    }
}

/// Decompresses the messages of one direction of a connection
/// (RFC 7692 §7.2.2), each bounded in size.
pub struct Decompressor {
    inner: Decompress,
    window_bits: u8,
    no_context_takeover: bool,
    max_output: usize,
    out: Vec<u8>,
    /// The current message's DEFLATE stream ended with a BFINAL block.
    ended: bool,
    /// The octet after the final block, the rest of the empty stored block
    /// the sender appended (§7.2.1 step 2), was taken.
    took_stored_header: bool,
    /// Some byte of the current message's payload was pushed.
    fed: bool,
    /// The last `2^window_bits` bytes of output, kept (with context
    /// takeover only) to restore the window after a BFINAL block ended the
    /// DEFLATE stream, which zlib can only continue by starting anew.
    history: Vec<u8>,
    /// The current message's compressed payload, kept only when checking
    /// back-reference distances.
    compressed: Option<Vec<u8>>,
}

impl std::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decompressor")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("max_output", &self.max_output)
            .field("pending_output", &self.out.len())
            .finish()
    }
}

impl Decompressor {
    /// A decompressor for a peer compressing with at most `2^window_bits`
    /// bytes of window (8..=15) and, unless `no_context_takeover`, keeping
    /// its context across messages. A message inflating above `max_output`
    /// bytes fails with [`DeflateError::TooLarge`].
    ///
    /// # Panics
    /// If `window_bits` is outside 8..=15.
    pub fn new(window_bits: u8, no_context_takeover: bool, max_output: usize) -> Self {
        Decompressor {
            inner: Decompress::new_with_window_bits(false, zlib_window_bits(window_bits)),
            window_bits,
            no_context_takeover,
            max_output,
            out: Vec::new(),
            ended: false,
            took_stored_header: false,
            fed: false,
            history: Vec::new(),
            compressed: None,
        }
    }

    /// This decompressor, also failing any message with a back-reference
    /// beyond `2^window_bits` bytes ([`DeflateError::WindowExceeded`]): a
    /// peer that ignores a negotiated `*_max_window_bits`. zlib alone does
    /// not catch it reliably, as it accepts distances into the output it
    /// still holds. Costs a copy and a second decoding of each message's
    /// compressed payload.
    pub fn with_window_check(mut self) -> Self {
        self.compressed = Some(Vec::new());
        self
    }

    /// Inflates the next piece of the current message's compressed payload
    /// (a frame's payload, or any part of it). Output is bounded as it is
    /// produced, so a bomb fails here, having allocated at most
    /// `max_output + 1` bytes of output.
    pub fn push(&mut self, data: &[u8]) -> Result<(), DeflateError> {
        if let Some(compressed) = &mut self.compressed {
            compressed.extend_from_slice(data);
        }
        self.fed |= !data.is_empty();
        self.inflate(data)
    }

    /// Ends the current message: inflates the `00 00 ff ff` tail (§7.2.2)
    /// and returns the message. The decompressor is then ready for the next
    /// message, with the window kept or reset as negotiated. After an error
    /// the connection is to be failed; the decompressor is not reusable.
    pub fn finish_message(&mut self) -> Result<Vec<u8>, DeflateError> {
        // An empty payload can only mean an empty message, but inflating the
        // bare tail would leave the inflater inside a stored block and break
        // the next message, so it is taken as empty without inflating.
        if !self.ended && self.fed {
            // A final block may end inside the tail the receiver appends itself:
            // the rest of the tail is then not data the peer sent (zlib-based
            // receivers ignore it too).
            match self.inflate(&TAIL) {
                Err(DeflateError::DataAfterFinalBlock { .. }) => {}
                other => other?,
            }
        }
        if let Some(compressed) = self.compressed.as_mut().filter(|c| !c.is_empty()) {
            let distance = max_back_reference(compressed)?;
            compressed.clear();
            if distance > 1usize << self.window_bits {
                return Err(DeflateError::WindowExceeded {
                    distance,
                    window_bits: self.window_bits,
                });
            }
        }
        let message = std::mem::take(&mut self.out);
        if self.no_context_takeover {
            self.inner.reset(false);
        } else {
            let window = 1usize << self.window_bits;
            if message.len() >= window {
                self.history.clear();
                self.history
                    .extend_from_slice(&message[message.len() - window..]);
            } else {
                let keep = window - message.len();
                if self.history.len() > keep {
                    self.history.drain(..self.history.len() - keep);
                }
                self.history.extend_from_slice(&message);
            }
            if self.ended {
                self.inner.reset(false);
                self.inner
                    .set_dictionary(&self.history)
                    .map_err(|e| DeflateError::Inflate {
                        message: e.to_string(),
                    })?;
            }
        }
        self.ended = false;
        self.took_stored_header = false;
        self.fed = false;
        Ok(message)
    }

    fn inflate(&mut self, mut input: &[u8]) -> Result<(), DeflateError> {
        loop {
            if self.ended {
                if input.is_empty() {
                    return Ok(());
                }
                // §7.2.1 step 2: a sender appends an empty stored block after a
                // final block and removes its last four octets, which leaves its
                // three header bits (BTYPE 00), padded with zeros: at most one
                // octet, as in §7.2.3.4's example (f3 48 cd c9 c9 07 00 00).
                if !self.took_stored_header && input.len() == 1 && input[0] & !0b001 == 0 {
                    self.took_stored_header = true;
                    return Ok(());
                }
                return Err(DeflateError::DataAfterFinalBlock { extra: input.len() });
            }
            if self.out.len() == self.out.capacity() {
                // Grow geometrically but never past the limit + 1, the one
                // byte that proves the limit is exceeded.
                let room = self
                    .max_output
                    .saturating_add(1)
                    .saturating_sub(self.out.len());
                if room == 0 {
                    return Err(DeflateError::TooLarge {
                        limit: self.max_output,
                    });
                }
                let grow = self.out.len().max(input.len().saturating_mul(2)).max(256);
                self.out.reserve_exact(grow.min(room));
            }
            let before_in = self.inner.total_in();
            let before_out = self.out.len();
            let status = self
                .inner
                .decompress_vec(input, &mut self.out, FlushDecompress::None)
                .map_err(|e| DeflateError::Inflate {
                    message: e.to_string(),
                })?;
            if self.out.len() > self.max_output {
                return Err(DeflateError::TooLarge {
                    limit: self.max_output,
                });
            }
            let consumed = (self.inner.total_in() - before_in) as usize;
            input = &input[consumed..];
            match status {
                Status::StreamEnd => self.ended = true,
                Status::Ok | Status::BufError => {
                    let has_room = self.out.len() < self.out.capacity();
                    if input.is_empty() && has_room {
                        return Ok(());
                    }
                    if has_room && consumed == 0 && self.out.len() == before_out {
                        return Err(DeflateError::Inflate {
                            message: "inflater made no progress".into(),
                        });
                    }
                }
            }
        }
    }
}

/// The longest back-reference distance in a raw DEFLATE stream (RFC 1951),
/// found by decoding its block structure without producing output: the
/// check that a peer kept within the window it negotiated (RFC 7692
/// §7.1.2), which zlib's inflater only enforces by accident of buffer
/// boundaries. `payload` is one message's compressed payload as sent (the
/// `00 00 ff ff` tail is appended here). 0 means no back-reference.
pub fn max_back_reference(payload: &[u8]) -> Result<usize, DeflateError> {
    let mut data = Vec::with_capacity(payload.len() + TAIL.len());
    data.extend_from_slice(payload);
    data.extend_from_slice(&TAIL);
    scan::max_distance(&data).map_err(|message| DeflateError::Inflate {
        message: message.into(),
    })
}

/// A block-structure walker for raw DEFLATE (RFC 1951 §3.2), in the manner
/// of zlib's `puff`: canonical Huffman decoding by code-length counts.
mod scan {
    const LEN_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];
    /// RFC 1951 §3.2.7: the order code-length code lengths are sent in.
    const CL_ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];

    type R<T> = Result<T, &'static str>;

    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        bit: u32,
    }

    impl Bits<'_> {
        fn at_end(&self) -> bool {
            self.pos >= self.data.len()
        }

        fn bit(&mut self) -> R<u32> {
            let byte = *self.data.get(self.pos).ok_or("truncated DEFLATE stream")?;
            let b = (u32::from(byte) >> self.bit) & 1;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
            Ok(b)
        }

        /// `n` bits, least significant first (RFC 1951 §3.1.1).
        fn bits(&mut self, n: u8) -> R<u32> {
            let mut v = 0;
            for i in 0..n {
                v |= self.bit()? << i;
            }
            Ok(v)
        }

        fn align(&mut self) {
            if self.bit != 0 {
                self.bit = 0;
                self.pos += 1;
            }
        }
    }

    struct Huffman {
        count: [u16; 16],
        symbol: Vec<u16>,
    }

    impl Huffman {
        fn new(lengths: &[u8]) -> R<Self> {
            let mut count = [0u16; 16];
            for &l in lengths {
                count[usize::from(l)] += 1;
            }
            count[0] = 0;
            let mut left: i32 = 1;
            for &c in &count[1..] {
                left = (left << 1) - i32::from(c);
                if left < 0 {
                    return Err("over-subscribed Huffman code");
                }
            }
            let mut offs = [0u16; 16];
            for len in 1..15 {
                offs[len + 1] = offs[len] + count[len];
            }
            let mut symbol = vec![0u16; lengths.len()];
            for (sym, &l) in lengths.iter().enumerate() {
                if l != 0 {
                    symbol[usize::from(offs[usize::from(l)])] = sym as u16;
                    offs[usize::from(l)] += 1;
                }
            }
            Ok(Huffman { count, symbol })
        }

        fn decode(&self, bits: &mut Bits<'_>) -> R<u16> {
            let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
            for len in 1..16 {
                code |= bits.bit()? as i32;
                let count = i32::from(self.count[len]);
                if code - count < first {
                    return Ok(self.symbol[(index + code - first) as usize]);
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            Err("invalid Huffman code")
        }
    }

    fn fixed() -> (Huffman, Huffman) {
        let mut lengths = [0u8; 288];
        lengths[..144].fill(8);
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        lengths[280..].fill(8);
        let lit = Huffman::new(&lengths).expect("fixed code is complete");
        let dist = Huffman::new(&[5u8; 30]).expect("fixed code is complete");
        (lit, dist)
    }

    fn dynamic(bits: &mut Bits<'_>) -> R<(Huffman, Huffman)> {
        let nlen = bits.bits(5)? as usize + 257;
        let ndist = bits.bits(5)? as usize + 1;
        let ncode = bits.bits(4)? as usize + 4;
        if nlen > 286 || ndist > 30 {
            return Err("bad dynamic block counts");
        }
        let mut cl = [0u8; 19];
        for &i in &CL_ORDER[..ncode] {
            cl[i] = bits.bits(3)? as u8;
        }
        let clcode = Huffman::new(&cl)?;
        let mut lengths = vec![0u8; nlen + ndist];
        let mut i = 0;
        while i < nlen + ndist {
            let sym = clcode.decode(bits)?;
            let (value, repeat) = match sym {
                0..=15 => (sym as u8, 1),
                16 => {
                    let prev = *lengths[..i]
                        .last()
                        .ok_or("repeat with no previous length")?;
                    (prev, 3 + bits.bits(2)? as usize)
                }
                17 => (0, 3 + bits.bits(3)? as usize),
                _ => (0, 11 + bits.bits(7)? as usize),
            };
            if i + repeat > nlen + ndist {
                return Err("code lengths overflow");
            }
            lengths[i..i + repeat].fill(value);
            i += repeat;
        }
        if lengths[256] == 0 {
            return Err("no end-of-block code");
        }
        Ok((
            Huffman::new(&lengths[..nlen])?,
            Huffman::new(&lengths[nlen..])?,
        ))
    }

    pub(super) fn max_distance(data: &[u8]) -> R<usize> {
        let mut bits = Bits {
            data,
            pos: 0,
            bit: 0,
        };
        let mut max = 0usize;
        loop {
            let last = bits.bit()? == 1;
            match bits.bits(2)? {
                0 => {
                    bits.align();
                    let len = bits.bits(16)?;
                    let nlen = bits.bits(16)?;
                    if len != !nlen & 0xffff {
                        return Err("stored block length check failed");
                    }
                    bits.pos += len as usize;
                    if bits.pos > data.len() {
                        return Err("truncated stored block");
                    }
                }
                t @ (1 | 2) => {
                    let (lit, dist) = if t == 1 { fixed() } else { dynamic(&mut bits)? };
                    loop {
                        let sym = usize::from(lit.decode(&mut bits)?);
                        if sym < 256 {
                            continue;
                        }
                        if sym == 256 {
                            break;
                        }
                        let l = sym - 257;
                        if l >= 29 {
                            return Err("invalid length symbol");
                        }
                        bits.bits(LEN_EXTRA[l])?;
                        let d = usize::from(dist.decode(&mut bits)?);
                        if d >= 30 {
                            return Err("invalid distance symbol");
                        }
                        let distance =
                            usize::from(DIST_BASE[d]) + bits.bits(DIST_EXTRA[d])? as usize;
                        max = max.max(distance);
                    }
                }
                _ => return Err("reserved block type 11"),
            }
            // A message ends at a block boundary: its BFINAL block, or the
            // empty stored block of the sync flush at the very end.
            if last || bits.at_end() {
                return Ok(max);
            }
        }
    }
}
