//! Section 17 (permessage-deflate negotiation and limits) is able to fail:
//! a small echo server with permessage-deflate, written here apart from the
//! reference endpoint, passes every 17.x case; each flaw breaks one rule of
//! RFC 7692 (or RFC 6455 on compressed messages), and exactly the cases that
//! check that rule must fail. The built-in echo server passes them all.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use support::play::{
    assert_each_fails_exactly, failed, flawed, ids, not_clean, reasons, OneRuleBroken,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_cases::model::{Behavior, CloseBehavior};
use ws_spec::close;
use ws_spec::deflate::{Compressor, Decompressor, DeflateError};
use ws_spec::frame::{DecoderConfig, Frame, FrameDecoder, Opcode};
use ws_spec::handshake;
use wsconform::runner::{run_all, CaseRecord, RunSettings};
use wsconform::target::Target;

/// Which rules the server breaks.
#[derive(Clone, Copy, Debug, Default)]
struct Flaws {
    /// Skips parameters it does not know (RFC 7692 §7: must decline).
    accept_unknown_params: bool,
    /// Reads any window-bits value as a number clamped to 8..=15, and a
    /// missing or non-numeric one as 15 (§7.1.2: must decline).
    lenient_window_bits: bool,
    /// Takes a value on a flag parameter (§7.1.1: must decline).
    accept_flag_values: bool,
    /// Lets a repeated parameter override the first (§7: must decline).
    accept_duplicates: bool,
    /// Compresses its echoes (RSV1) even when nothing was negotiated
    /// (RFC 6455 §5.2).
    compress_unnegotiated: bool,
    /// Takes RSV1 on control frames as if clear (RFC 7692 §6).
    accept_rsv1_control: bool,
    /// Takes RSV1 on continuation frames as if clear (§6).
    accept_rsv1_continuation: bool,
    /// Agrees to server_no_context_takeover but keeps its context (§7.1.1.1).
    keep_own_context: bool,
    /// Agrees to server_max_window_bits but compresses with 15 (§7.1.2.1).
    ignore_window_limit: bool,
    /// Skips the UTF-8 check of text messages that arrived compressed
    /// (RFC 6455 §8.1).
    skip_utf8_after_inflate: bool,
    /// Resets its inflater after every message, though the client keeps
    /// its context (§7.1.1.2).
    reset_peer_context: bool,
    /// Accepts an offer with server_max_window_bits but leaves the parameter
    /// out of its response and compresses with 15 bits, as gorilla does
    /// (§7.1.2.1: accepting means answering it).
    unanswered_window_bits: bool,
    /// Refuses the whole handshake (400) when an offer limits its window,
    /// instead of declining the offer, as nhooyr does (§7.1.2.1).
    refuse_window_bits: bool,
    /// Takes 50 ms over each echo, one echo at a time across all its
    /// connections: a single-threaded server as slow as a busy Python one.
    one_at_a_time_slow: bool,
}

/// Largest message the server inflates; above it, 1009.
const INFLATE_LIMIT: usize = 16 << 20;

/// What the negotiation settled on, from the server's side.
#[derive(Clone, Copy, Debug)]
struct Agreed {
    server_no_context_takeover: bool,
    server_bits: u8,
}

/// Reads one offer as this server would, flaws included; `None` declines it.
fn read_offer(ext: &handshake::ExtensionOffer, f: Flaws) -> Option<Agreed> {
    let mut agreed = Agreed {
        server_no_context_takeover: false,
        server_bits: 15,
    };
    let mut seen = Vec::new();
    let bits = |value: &Option<String>, required: bool| -> Option<Option<u8>> {
        let Some(v) = value else {
            return if required && !f.lenient_window_bits {
                None
            } else {
                Some(None)
            };
        };
        let strict = !v.starts_with('0') && v.len() <= 2 && v.bytes().all(|b| b.is_ascii_digit());
        match v.parse::<u32>() {
            Ok(n) if strict && (8..=15).contains(&n) => Some(Some(n as u8)),
            Ok(n) if f.lenient_window_bits => Some(Some(n.clamp(8, 15) as u8)),
            Err(_) if f.lenient_window_bits => Some(Some(15)),
            _ => None,
        }
    };
    for (name, value) in &ext.params {
        if seen.contains(name) && !f.accept_duplicates {
            return None;
        }
        seen.push(name.clone());
        let flag_ok = value.is_none() || f.accept_flag_values;
        match name.as_str() {
            "server_no_context_takeover" if flag_ok => agreed.server_no_context_takeover = true,
            "client_no_context_takeover" if flag_ok => {}
            "server_max_window_bits" => {
                agreed.server_bits = bits(value, true)?.unwrap_or(15);
            }
            "client_max_window_bits" => {
                bits(value, false)?;
            }
            "server_no_context_takeover" | "client_no_context_takeover" => return None,
            _ if f.accept_unknown_params => {}
            _ => return None,
        }
    }
    Some(agreed)
}

fn response_extension(a: Agreed, f: Flaws) -> handshake::ExtensionOffer {
    let mut ext = handshake::ExtensionOffer::new("permessage-deflate");
    if a.server_no_context_takeover {
        ext = ext.with_param("server_no_context_takeover", None);
    }
    if a.server_bits < 15 && !f.unanswered_window_bits {
        ext = ext.with_param("server_max_window_bits", Some(&a.server_bits.to_string()));
    }
    ext
}

async fn start(flaws: Flaws) -> SocketAddr {
    let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
    support::listen(move |stream| {
        let one_at_a_time = one_at_a_time.clone();
        async move {
            let _ = serve(stream, flaws, one_at_a_time).await;
        }
    })
    .await
}

/// One connection's frame handling; `out` collects what to write.
struct Conn {
    f: Flaws,
    agreed: Option<Agreed>,
    compressor: Option<Compressor>,
    inflater: Option<Decompressor>,
    /// The message being assembled: opcode, payload, came compressed.
    msg: Option<(Opcode, Vec<u8>, bool)>,
    out: Vec<u8>,
    done: bool,
}

impl Conn {
    fn fail(&mut self, code: u16) {
        Frame::close(Some(code), b"").encode_into(&mut self.out);
        self.done = true;
    }

    fn echo(&mut self, opcode: Opcode, data: Vec<u8>) {
        let compressor = match (&mut self.compressor, self.f.compress_unnegotiated) {
            (Some(c), _) => Some(c),
            (None, true) => Some(self.compressor.insert(Compressor::new(15, true))),
            (None, false) => None,
        };
        let frame = match compressor {
            Some(c) => Frame::new(opcode, c.compress(&data)).with_rsv(0b100),
            None => Frame::new(opcode, data),
        };
        frame.encode_into(&mut self.out);
    }

    fn on_frame(&mut self, frame: Frame) {
        let h = &frame.header;
        let rsv1 = h.rsv & 0b100 != 0;
        let rsv1_allowed = self.agreed.is_some()
            && match h.opcode {
                Opcode::Text | Opcode::Binary => true,
                Opcode::Continuation => self.f.accept_rsv1_continuation,
                _ => self.f.accept_rsv1_control,
            };
        if h.mask.is_none()
            || h.rsv & 0b011 != 0
            || (rsv1 && !rsv1_allowed)
            || h.opcode.is_reserved()
            || (h.opcode.is_control() && (!h.fin || frame.payload.len() > 125))
        {
            return self.fail(close::codes::PROTOCOL_ERROR);
        }
        match h.opcode {
            Opcode::Ping => Frame::pong(frame.payload).encode_into(&mut self.out),
            Opcode::Pong => {}
            Opcode::Close => {
                let reply = match close::parse_close_payload(&frame.payload) {
                    Ok(body) => body.map(|b| b.code),
                    Err(e) => Some(e.close_code()),
                };
                Frame::close(reply, b"").encode_into(&mut self.out);
                self.done = true;
            }
            Opcode::Text | Opcode::Binary if self.msg.is_some() => {
                self.fail(close::codes::PROTOCOL_ERROR)
            }
            Opcode::Continuation if self.msg.is_none() => self.fail(close::codes::PROTOCOL_ERROR),
            op => {
                if op != Opcode::Continuation {
                    self.msg = Some((op, Vec::new(), rsv1));
                }
                let (_, buf, compressed) = self.msg.as_mut().expect("a message is open");
                if *compressed {
                    if let Some(inflater) = self.inflater.as_mut() {
                        if let Err(e) = inflater.push(&frame.payload) {
                            return self.inflate_failed(e);
                        }
                    }
                } else {
                    buf.extend_from_slice(&frame.payload);
                }
                if frame.header.fin {
                    self.on_message();
                }
            }
        }
    }

    fn inflate_failed(&mut self, e: DeflateError) {
        let code = match e {
            DeflateError::TooLarge { .. } => close::codes::TOO_BIG,
            _ => close::codes::INVALID_PAYLOAD,
        };
        self.fail(code);
    }

    fn on_message(&mut self) {
        let Some((opcode, mut data, compressed)) = self.msg.take() else {
            return;
        };
        if compressed {
            let Some(inflater) = self.inflater.as_mut() else {
                return self.fail(close::codes::PROTOCOL_ERROR);
            };
            data = match inflater.finish_message() {
                Ok(d) => d,
                Err(e) => return self.inflate_failed(e),
            };
            if self.f.reset_peer_context {
                self.inflater = Some(Decompressor::new(15, true, INFLATE_LIMIT));
            }
        }
        let check_utf8 = !(compressed && self.f.skip_utf8_after_inflate);
        if opcode == Opcode::Text && check_utf8 && std::str::from_utf8(&data).is_err() {
            return self.fail(close::codes::INVALID_PAYLOAD);
        }
        self.echo(opcode, data);
    }
}

async fn serve(
    mut stream: TcpStream,
    f: Flaws,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
) -> std::io::Result<()> {
    let Some((req, head, consumed)) = support::read_request(&mut stream).await? else {
        return Ok(());
    };
    let mut buf = vec![0u8; 64 * 1024];
    let Some((response, key)) = support::accept_or_refuse(&mut stream, &req).await? else {
        return Ok(());
    };
    let offers = handshake::parse_extensions(&req.header_all("Sec-WebSocket-Extensions"))
        .unwrap_or_default();
    let limits_window =
        |o: &handshake::ExtensionOffer| o.params.iter().any(|(n, _)| n == "server_max_window_bits");
    if f.refuse_window_bits && offers.iter().any(limits_window) {
        stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return stream.shutdown().await;
    }
    let agreed = offers
        .iter()
        .filter(|o| o.name == "permessage-deflate")
        .find_map(|o| read_offer(o, f));
    let response = match agreed {
        Some(a) => handshake::accept_response(&key, None, &[response_extension(a, f)]),
        None => response,
    };
    stream.write_all(&response).await?;
    let mut conn = Conn {
        f,
        agreed,
        compressor: agreed.map(|a| {
            let bits = if f.ignore_window_limit || f.unanswered_window_bits {
                15
            } else {
                a.server_bits
            };
            Compressor::new(bits, a.server_no_context_takeover && !f.keep_own_context)
        }),
        inflater: agreed.map(|_| Decompressor::new(15, false, INFLATE_LIMIT)),
        msg: None,
        out: Vec::new(),
        done: false,
    };
    let mut decoder = FrameDecoder::new(DecoderConfig::default());
    decoder.push(&head[consumed..]);
    loop {
        while !conn.done {
            match decoder.next_frame() {
                Ok(Some(frame)) => conn.on_frame(frame),
                Ok(None) => break,
                Err(_) => conn.fail(close::codes::PROTOCOL_ERROR),
            }
        }
        if !conn.out.is_empty() {
            let _turn = if f.one_at_a_time_slow {
                let turn = one_at_a_time.lock().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some(turn)
            } else {
                None
            };
            stream.write_all(&std::mem::take(&mut conn.out)).await?;
        }
        if conn.done {
            // The server closes TCP first after the closing handshake (RFC 6455 §7.1.1).
            return stream.shutdown().await;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        decoder.push(&buf[..n]);
    }
}

async fn run(addr: SocketAddr, patterns: &str) -> Vec<CaseRecord> {
    let settings = RunSettings {
        jobs: 8,
        case_timeout: Duration::from_secs(30),
        ..RunSettings::default()
    };
    support::play::run_cases(&format!("ws://{addr}/"), patterns, settings).await
}

/// Every 17.x case but the bomb, which only reports.
const JUDGED: &str = "17.1.*,17.2.*,17.3.*,17.4.*,17.5.*";

/// Plays `patterns` against a server with the flaw `flaw` sets.
async fn run_flawed(flaw: fn(&mut Flaws), patterns: &str) -> Vec<CaseRecord> {
    run(start(flawed(flaw)).await, patterns).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_deflate_server_passes_section_17() {
    let records = run(start(Flaws::default()).await, "17.*").await;
    assert_eq!(records.len(), 34);
    assert_eq!(not_clean(&records), BTreeSet::new());
    let informational: Vec<_> = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::Informational)
        .map(|r| r.case.id.as_str())
        .collect();
    assert_eq!(informational, ["17.6.1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_echo_server_passes_section_17() {
    let records = run(support::start_echo(Default::default()).await, "17.*").await;
    assert_eq!(not_clean(&records), BTreeSet::new());
    let ok = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::Ok)
        .count();
    assert_eq!(ok, records.len() - 1, "{}", reasons(&records));
}

/// Servers that break one rule each, and exactly the 17.x cases that must fail
/// against them.
const ONE_RULE_BROKEN: &[OneRuleBroken<Flaws>] = &[
    OneRuleBroken {
        rule: "RFC 7692 §7: unknown parameters accepted",
        flaw: |f| f.accept_unknown_params = true,
        cases: JUDGED,
        fail: &["17.1.1"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7.1.2: invalid window bits read leniently",
        flaw: |f| f.lenient_window_bits = true,
        cases: JUDGED,
        fail: &["17.1.2", "17.1.3", "17.1.4", "17.1.5", "17.1.6", "17.1.7"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7.1.1: a value on a flag parameter taken",
        flaw: |f| f.accept_flag_values = true,
        cases: JUDGED,
        fail: &["17.1.8"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7: duplicate parameters taken",
        flaw: |f| f.accept_duplicates = true,
        cases: JUDGED,
        fail: &["17.1.9", "17.1.10", "17.1.11"],
    },
    // After declining (17.1.x) or without any offer (17.2.1), an echo with RSV1
    // breaks RFC 6455 §5.2.
    OneRuleBroken {
        rule: "RFC 6455 §5.2: compressing without agreement",
        flaw: |f| f.compress_unnegotiated = true,
        cases: JUDGED,
        fail: &[
            "17.1.1", "17.1.2", "17.1.3", "17.1.4", "17.1.5", "17.1.6", "17.1.7", "17.1.8",
            "17.1.9", "17.1.10", "17.1.11", "17.2.1",
        ],
    },
    OneRuleBroken {
        rule: "RFC 7692 §6: RSV1 on control frames taken",
        flaw: |f| f.accept_rsv1_control = true,
        cases: JUDGED,
        fail: &["17.3.1", "17.3.2", "17.3.3"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §6: RSV1 on continuation frames taken",
        flaw: |f| f.accept_rsv1_continuation = true,
        cases: JUDGED,
        fail: &["17.3.4", "17.3.5"],
    },
    OneRuleBroken {
        rule: "RFC 6455 §8.1: no UTF-8 check after inflating",
        flaw: |f| f.skip_utf8_after_inflate = true,
        cases: JUDGED,
        fail: &["17.4.10"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7.1.1.2: the client's context reset",
        flaw: |f| f.reset_peer_context = true,
        cases: JUDGED,
        fail: &["17.4.3"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7.1.1.1: context kept when agreed not to",
        flaw: |f| f.keep_own_context = true,
        cases: JUDGED,
        fail: &["17.5.1"],
    },
    OneRuleBroken {
        rule: "RFC 7692 §7.1.2.1: the window limit ignored",
        flaw: |f| f.ignore_window_limit = true,
        cases: JUDGED,
        fail: &["17.5.3", "17.5.4"],
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_rule_fails_exactly_its_17_x_cases() {
    assert_each_fails_exactly(ONE_RULE_BROKEN, run_flawed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_10_4_bomb_report_says_the_server_closed_with_1009() {
    let records = run(start(Flaws::default()).await, "17.6.1").await;
    let v = &records[0].outcome.verdict;
    assert_eq!(v.behavior, Behavior::Informational);
    assert_eq!(v.behavior_close, CloseBehavior::Informational);
    assert!(
        v.result
            .starts_with("The peer closed with code 1009 after "),
        "{}",
        v.result
    );
    assert_eq!(records[0].outcome.observation.remote_close_code, Some(1009));
}

/// Autobahn's client takes a response that leaves out a requested
/// server_max_window_bits, so 13.3.x pass as in wstest (the report says what
/// was wrong); section 17 holds the server to RFC 7692 §7.1.2.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7692_7_1_2_1_unanswered_window_bits_pass_13_3_1_as_in_autobahn_but_fail_17_5() {
    let records = run_flawed(|f| f.unanswered_window_bits = true, "13.3.1,17.5.*").await;
    assert_eq!(
        failed(&records),
        ids(&["17.5.3", "17.5.4"]),
        "{}",
        reasons(&records)
    );
    let autobahns = records.iter().find(|r| r.case.id == "13.3.1").unwrap();
    let v = &autobahns.outcome.verdict;
    assert_eq!(
        (v.behavior, v.behavior_close),
        (Behavior::Ok, CloseBehavior::Ok)
    );
    assert!(
        v.reason.contains("does not answer the offer"),
        "{}",
        v.reason
    );
}

/// RFC 7692 §7.1.2.1: a server that does not support a window limit declines
/// the offer; refusing the handshake instead is NON-STRICT in 17.5 (and a fine
/// way to decline the invalid offers of 17.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7692_7_1_2_1_refusing_the_handshake_on_window_bits_is_non_strict_in_17_5() {
    let records = run_flawed(|f| f.refuse_window_bits = true, JUDGED).await;
    assert_eq!(not_clean(&records), BTreeSet::new());
    let non_strict: BTreeSet<String> = records
        .iter()
        .filter(|r| r.outcome.verdict.behavior == Behavior::NonStrict)
        .map(|r| r.case.id.clone())
        .collect();
    assert_eq!(
        non_strict,
        ids(&["17.5.3", "17.5.4"]),
        "{}",
        reasons(&records)
    );
}

/// Autobahn times each compression case alone on the server. Two short
/// versions of 12.1.1 (40 echoes, a 3 s limit) against a server that takes
/// 50 ms per echo, one echo at a time: side by side, each needs 4 s and runs
/// out of time; run again alone, each needs 2 s and passes. Each is reported
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_case_out_of_time_beside_another_runs_again_alone() {
    use ws_cases::model::{Ending, Step};
    let addr = start(flawed(|f| f.one_at_a_time_slow = true)).await;
    let base = ws_cases::all_cases()
        .into_iter()
        .find(|c| c.id == "12.1.1")
        .unwrap();
    let short = |id: &str| {
        let mut c = base.clone();
        c.id = id.into();
        c.ending = Ending::CloseAfter(Duration::from_secs(3));
        if let Step::CompressedEchoes { count, .. } = &mut c.steps[0] {
            *count = 40;
        }
        c
    };
    let target = Target::parse(&format!("ws://{addr}/")).unwrap();
    let settings = RunSettings {
        jobs: 4,
        case_timeout: Duration::from_secs(30),
        ..RunSettings::default()
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut reported = Vec::new();
    let records = run_all(
        vec![short("12.1.1"), short("12.1.2")],
        target,
        settings,
        |r| reported.push(r.case.id.clone()),
        rx,
    )
    .await;
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert_eq!(records.len(), 2);
    for r in &records {
        let v = &r.outcome.verdict;
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Ok, CloseBehavior::Ok),
            "{}: {}",
            r.case.id,
            v.reason
        );
    }
}
