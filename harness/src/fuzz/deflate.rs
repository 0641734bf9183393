//! permessage-deflate in fuzzed conversations (RFC 7692): what the server answers
//! to an offer, and how compressed messages become the frames actually sent.
//!
//! The bytes of a compressed message depend on the parameters the server
//! negotiated and, with context takeover, on every compressed message before
//! it. So conversations keep compressed messages uncompressed
//! ([`FuzzStep::Compressed`]) and [`lower`] compresses them in order, once the
//! server's answer to the offer is known: removing a message while shrinking
//! then never leaves a later one referring to a context that was not sent.

use std::time::Duration;

use ws_cases::model::{DeflateSetup, Ending};
use ws_spec::deflate::{
    client_accept, server_negotiate, Compressor, DeflateOffer, DeflateParams, ServerPolicy,
    EXTENSION_NAME,
};
use ws_spec::handshake::{format_extensions, parse_extensions, ExtensionOffer};

use super::{CompressedMessage, DeflateFault, FrameStep, FuzzStep};
use crate::runner::{run_case, RunSettings};
use crate::target::Target;

const CONTINUATION: u8 = 0x0;
const PING: u8 = 0x9;
const RSV1: u8 = 0b100;

/// A conversation's permessage-deflate, as negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiation {
    /// The offer the opening request carries.
    pub offer: DeflateOffer,
    /// The acceptance the reference server answers with: the server's own when it
    /// is valid, else the one ws-spec's server would give (the real server then
    /// fails the opening handshake of the played conversation).
    pub response: ExtensionOffer,
    /// The parameters both ends use.
    pub params: DeflateParams,
}

impl Negotiation {
    /// The negotiation `response` concludes for `offer`, if it is a valid acceptance
    /// (RFC 7692 §7.1).
    pub fn from_response(offer: &DeflateOffer, response: &ExtensionOffer) -> Option<Self> {
        let params = client_accept(std::slice::from_ref(offer), response).ok()?;
        Some(Negotiation {
            offer: offer.clone(),
            response: response.clone(),
            params,
        })
    }

    /// What ws-spec's own server answers to `offer` (it accepts every valid offer).
    pub fn reference(offer: &DeflateOffer) -> Option<Self> {
        let (response, params) =
            server_negotiate(&[offer.to_extension()], &ServerPolicy::default())
                .ok()
                .flatten()?;
        Some(Negotiation {
            offer: offer.clone(),
            response,
            params,
        })
    }

    /// The compressor of the suite's messages, with the message size above which
    /// a message is sent uncompressed.
    ///
    /// It keeps the promises the offer made on top of what the server asked
    /// (§7.1.1.2, §7.1.2.2: the offer's `client_no_context_takeover` and
    /// `client_max_window_bits=N` are hints the client then honours). zlib cannot
    /// compress with an 8-bit window, so under one the suite compresses only
    /// messages of at most 256 bytes, each on its own: no back-reference can then
    /// reach further than the window.
    fn client_compressor(&self) -> (Compressor, usize) {
        let mut bits = self.params.client_max_window_bits;
        if let Some(Some(hint)) = self.offer.client_max_window_bits {
            bits = bits.min(hint);
        }
        let mut no_context_takeover =
            self.params.client_no_context_takeover || self.offer.client_no_context_takeover;
        let mut largest = usize::MAX;
        if bits <= 8 {
            no_context_takeover = true;
            largest = 256;
        }
        (
            Compressor::fast(bits.clamp(9, 15), no_context_takeover),
            largest,
        )
    }
}

/// The Sec-WebSocket-Extensions value of an offer.
pub fn offer_header(offer: &DeflateOffer) -> String {
    format_extensions(&[offer.to_extension()])
}

/// Reads the permessage-deflate offer or response in a Sec-WebSocket-Extensions value.
pub fn parse_header(value: &str) -> Result<ExtensionOffer, String> {
    parse_extensions(&[value])
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|e| e.name == EXTENSION_NAME)
        .ok_or_else(|| format!("no {EXTENSION_NAME} in {value:?}"))
}

/// Reads an offer (RFC 7692 §7.1) from a Sec-WebSocket-Extensions value.
pub fn parse_offer(value: &str) -> Result<DeflateOffer, String> {
    DeflateOffer::from_extension(&parse_header(value)?).map_err(|e| e.to_string())
}

/// Asks the server once what it answers to `offer`: `None` when it declines (or
/// cannot be reached), so the conversation is played without the offer.
pub async fn negotiate(
    offer: &DeflateOffer,
    target: &Target,
    settings: &RunSettings,
) -> Option<Negotiation> {
    let mut case = ws_cases::build::case("fuzz-negotiation", "Fuzzing", "")
        .desc("The opening handshake of a fuzzed conversation that offers permessage-deflate.")
        .deflate(DeflateSetup {
            offers: vec![offer.clone()],
            ..DeflateSetup::default()
        })
        .build();
    case.ending = Ending::CloseAfter(Duration::ZERO);
    let record = run_case(&case, target, settings).await;
    let obs = &record.outcome.observation;
    if obs.handshake_status != Some(101) {
        return None;
    }
    let values: Vec<&str> = obs
        .handshake_headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| value.as_str())
        .collect();
    let answer = match parse_extensions(&values) {
        Ok(exts) => match exts.into_iter().find(|e| e.name == EXTENSION_NAME) {
            None => return None,
            Some(answer) => Some(answer),
        },
        Err(_) => None,
    };
    answer
        .and_then(|a| Negotiation::from_response(offer, &a))
        .or_else(|| Negotiation::reference(offer))
}

/// A conversation ready to send: frames only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lowered {
    /// The frames and closes, in order.
    pub steps: Vec<FuzzStep>,
    /// For each message sent compressed, the index in `steps` of its last frame.
    pub compressed_ends: Vec<usize>,
}

/// Position `thousandths` of the way through `len` bytes.
fn at(thousandths: u16, len: usize) -> usize {
    (usize::from(thousandths.min(1000)) * len) / 1000
}

/// `bytes` cut at `cuts` (thousandths of its length) into at least one piece.
fn pieces(bytes: &[u8], cuts: &[u16]) -> Vec<Vec<u8>> {
    let mut ends: Vec<usize> = cuts.iter().map(|&c| at(c, bytes.len())).collect();
    ends.push(bytes.len());
    ends.sort_unstable();
    ends.dedup();
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let piece = bytes[start..end].to_vec();
            start = end;
            piece
        })
        .collect()
}

/// The frames of `steps`: each [`FuzzStep::Compressed`] compressed in order with
/// the parameters of `deflate` (RSV1 on its first frame only, RFC 7692 §6.1),
/// cut into frames, with its fault applied; sent uncompressed and without fault
/// when no permessage-deflate was negotiated. Other steps pass unchanged.
pub fn lower(steps: &[FuzzStep], deflate: Option<&Negotiation>) -> Lowered {
    let mut compressor = deflate.map(Negotiation::client_compressor);
    let mut out = Vec::with_capacity(steps.len());
    let mut compressed_ends = Vec::new();
    for step in steps {
        let FuzzStep::Compressed(msg) = step else {
            out.push(step.clone());
            continue;
        };
        let compressed = match compressor.as_mut() {
            Some((c, largest)) if msg.message.len() <= *largest => Some(c.compress(&msg.message)),
            _ => None,
        };
        let Some(mut payload) = compressed else {
            // Not negotiated: the same message, plain, cut at the same places.
            let frames = pieces(&msg.message, &msg.cuts);
            let last = frames.len() - 1;
            for (i, piece) in frames.into_iter().enumerate() {
                out.push(piece_of(msg, i, last, 0, piece));
                if i < last {
                    if let Some(Some(p)) = msg.pings.get(i) {
                        out.push(ping(p.clone(), 0));
                    }
                }
            }
            continue;
        };
        if let Some(DeflateFault::Corrupt { at: pos, xor }) = msg.fault {
            let i = at(pos, payload.len()).min(payload.len() - 1);
            payload[i] ^= xor.max(1);
        }
        let mut frames = pieces(&payload, &msg.cuts);
        if msg.fault == Some(DeflateFault::Rsv1OnContinuation) && frames.len() < 2 {
            let whole = frames.pop().unwrap_or_default();
            let half = whole.len() / 2;
            frames.push(whole[..half].to_vec());
            frames.push(whole[half..].to_vec());
        }
        let ping_rsv = if msg.fault == Some(DeflateFault::Rsv1OnPing) {
            RSV1
        } else {
            0
        };
        let mut pinged = false;
        let last = frames.len() - 1;
        for (i, piece) in frames.into_iter().enumerate() {
            let rsv = if i == 0 || msg.fault == Some(DeflateFault::Rsv1OnContinuation) {
                RSV1
            } else {
                0
            };
            out.push(piece_of(msg, i, last, rsv, piece));
            if i == last {
                compressed_ends.push(out.len() - 1);
            }
            let p = msg.pings.get(i).cloned().flatten();
            let p = match p {
                None if ping_rsv != 0 && !pinged && i < last => Some(Vec::new()),
                p => p,
            };
            if let (true, Some(p)) = (i < last, p) {
                out.push(ping(p, ping_rsv));
                pinged = true;
            }
        }
        if ping_rsv != 0 && !pinged {
            out.push(ping(Vec::new(), ping_rsv));
        }
    }
    Lowered {
        steps: out,
        compressed_ends,
    }
}

/// Frame `i` of `msg`, cut into frames `0..=last`: the message's opcode on the first,
/// continuations after it, FIN on the last.
fn piece_of(msg: &CompressedMessage, i: usize, last: usize, rsv: u8, piece: Vec<u8>) -> FuzzStep {
    let opcode = if i == 0 { msg.opcode } else { CONTINUATION };
    FuzzStep::Frame(FrameStep {
        rsv,
        chop: msg.chop,
        ..FrameStep::new(opcode, i == last, piece)
    })
}

fn ping(payload: Vec<u8>, rsv: u8) -> FuzzStep {
    FuzzStep::Frame(FrameStep {
        rsv,
        ..FrameStep::new(PING, true, payload)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_spec::deflate::Decompressor;

    fn compressed(message: &[u8], cuts: Vec<u16>, fault: Option<DeflateFault>) -> FuzzStep {
        FuzzStep::Compressed(CompressedMessage {
            opcode: 1,
            message: message.to_vec(),
            cuts,
            pings: Vec::new(),
            chop: None,
            fault,
        })
    }

    fn negotiated(offer: DeflateOffer) -> Negotiation {
        Negotiation::reference(&offer).unwrap()
    }

    /// (rsv, payload) of each frame.
    fn frames(l: &Lowered) -> Vec<(u8, u8, Vec<u8>)> {
        l.steps
            .iter()
            .map(|s| match s {
                FuzzStep::Frame(f) => (f.opcode, f.rsv, f.payload.clone()),
                other => panic!("not lowered: {other:?}"),
            })
            .collect()
    }

    /// RFC 7692 §6.1, §7.2.1: RSV1 on the first frame only, and the frames'
    /// payloads together inflate to the message, the second one through the
    /// context of the first (context takeover).
    #[test]
    fn rfc7692_6_1_compressed_messages_take_over_context_and_fragment() {
        let neg = negotiated(DeflateOffer::default());
        let text = b"hello deflate hello deflate hello".to_vec();
        let steps = [
            compressed(&text, vec![300, 700], None),
            compressed(&text, vec![], None),
        ];
        let l = lower(&steps, Some(&neg));
        let f = frames(&l);
        assert_eq!(f.len(), 4);
        assert_eq!(l.compressed_ends, vec![2, 3]);
        assert_eq!(
            f.iter().map(|(op, rsv, _)| (*op, *rsv)).collect::<Vec<_>>(),
            vec![(1, 4), (0, 0), (0, 0), (1, 4)]
        );
        let mut d = Decompressor::new(15, false, 1 << 20);
        for (_, _, p) in &f[..3] {
            d.push(p).unwrap();
        }
        assert_eq!(d.finish_message().unwrap(), text);
        d.push(&f[3].2).unwrap();
        assert_eq!(d.finish_message().unwrap(), text);
        assert!(f[3].2.len() < f[0].2.len() + f[1].2.len() + f[2].2.len());
    }

    /// RFC 7692 §7.1.1.2: once the server answers `client_no_context_takeover`,
    /// every message inflates on its own.
    #[test]
    fn rfc7692_7_1_1_2_no_context_takeover_resets_each_message() {
        let offer = DeflateOffer::default();
        let response =
            ExtensionOffer::new(EXTENSION_NAME).with_param("client_no_context_takeover", None);
        let neg = Negotiation::from_response(&offer, &response).unwrap();
        let text = b"the same words, the same words".to_vec();
        let l = lower(
            &[
                compressed(&text, vec![], None),
                compressed(&text, vec![], None),
            ],
            Some(&neg),
        );
        let f = frames(&l);
        assert_eq!(
            f[0].2, f[1].2,
            "the second message owes nothing to the first"
        );
    }

    /// Without negotiation the message goes plain, cut at the same places, no fault.
    #[test]
    fn without_negotiation_the_message_is_plain() {
        let l = lower(
            &[compressed(
                b"abcdefghij",
                vec![500],
                Some(DeflateFault::Rsv1OnContinuation),
            )],
            None,
        );
        assert_eq!(
            frames(&l),
            vec![(1, 0, b"abcde".to_vec()), (0, 0, b"fghij".to_vec())]
        );
        assert!(l.compressed_ends.is_empty());
    }

    /// RFC 7692 §6.1 and §6: the faults put RSV1 where it must not be.
    #[test]
    fn rfc7692_6_faults_set_rsv1_on_a_continuation_or_a_ping() {
        let neg = negotiated(DeflateOffer::default());
        let l = lower(
            &[compressed(
                b"abc",
                vec![],
                Some(DeflateFault::Rsv1OnContinuation),
            )],
            Some(&neg),
        );
        let f = frames(&l);
        assert_eq!(f.len(), 2);
        assert_eq!((f[1].0, f[1].1), (0, 4));
        let l = lower(
            &[compressed(b"abc", vec![], Some(DeflateFault::Rsv1OnPing))],
            Some(&neg),
        );
        let f = frames(&l);
        assert_eq!((f[1].0, f[1].1), (9, 4));
        let clean = lower(&[compressed(b"abc", vec![], None)], Some(&neg));
        let corrupt = lower(
            &[compressed(
                b"abc",
                vec![],
                Some(DeflateFault::Corrupt { at: 0, xor: 0x40 }),
            )],
            Some(&neg),
        );
        assert_eq!(frames(&clean)[0].2[0] ^ 0x40, frames(&corrupt)[0].2[0]);
    }

    /// RFC 7692 §7.1.2.2: under an 8-bit client window, long messages go plain.
    #[test]
    fn rfc7692_7_1_2_2_an_8_bit_window_sends_long_messages_plain() {
        let offer = DeflateOffer {
            client_max_window_bits: Some(None),
            ..DeflateOffer::default()
        };
        let response =
            ExtensionOffer::new(EXTENSION_NAME).with_param("client_max_window_bits", Some("8"));
        let neg = Negotiation::from_response(&offer, &response).unwrap();
        let l = lower(
            &[
                compressed(&[b'a'; 300], vec![], None),
                compressed(&[b'a'; 200], vec![], None),
            ],
            Some(&neg),
        );
        let f = frames(&l);
        assert_eq!(f[0].1, 0);
        assert_eq!(f[1].1, 4);
        assert_eq!(l.compressed_ends, vec![1]);
    }

    #[test]
    fn offers_round_trip_through_their_header() {
        let offer = DeflateOffer {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(Some(12)),
        };
        assert_eq!(parse_offer(&offer_header(&offer)).unwrap(), offer);
        assert!(parse_offer("x-other").is_err());
    }
}
