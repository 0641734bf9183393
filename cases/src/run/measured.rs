//! The measured cases (sections 15 and 16): for each [`Measure`], what the
//! player does for it and how its outcome is judged, side by side.

use super::*;

impl<'c> CaseRun<'c> {
    /// `Step::Pings`: the burst in one write, each ping's payload its index.
    pub(super) fn send_pings(&mut self, count: u32) {
        let mut bytes = Vec::with_capacity(count as usize * 10);
        for i in 0..count {
            let mask = self.frame_mask();
            let frame = Frame::new(Opcode::Ping, i.to_be_bytes().to_vec()).with_mask(mask);
            if i == 0 {
                self.log(WireEvent::TxFrame {
                    at: self.now,
                    header: frame.header.clone(),
                    head: frame.payload.clone(),
                    chop: None,
                    sync: false,
                });
            }
            frame.encode_into(&mut bytes);
        }
        *self
            .stats
            .tx_frames
            .entry(Opcode::Ping.as_u4())
            .or_default() += u64::from(count);
        self.pings_sent = count;
        self.write(bytes, false);
    }

    /// `Step::AbovePeerLimit`: the header now, the payload streamed by
    /// [`CaseRun::poll_output`]; without a declared limit the case ends here.
    pub(super) fn send_above_peer_limit(&mut self, opcode: Opcode) {
        let Some(limit) = self.config.peer_max_message else {
            self.obs.measure.skipped = Some(
                "Not played: no --peer-max-message was given. The RFC sets no size limit, so \
                 only the user can say which message is too big for this server."
                    .into(),
            );
            self.script_done = true;
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        };
        self.obs.measure.declared_limit = Some(limit);
        let len = limit.saturating_add(1);
        self.send_frame_header(opcode, true, len, false);
        self.stream_left = len;
    }

    /// A pong of the case's ping burst (`Step::Pings`): it must answer a later
    /// ping than the pong before it (RFC 6455 §5.5.3 lets a peer skip to the
    /// latest), with that ping's payload. The pong of the last ping ends the case.
    pub(super) fn on_burst_pong(&mut self, payload: &[u8], count: u32) {
        if self.obs.measure.pong_mismatch.is_some() {
            return;
        }
        let index = <[u8; 4]>::try_from(payload)
            .ok()
            .map(u32::from_be_bytes)
            .filter(|i| *i >= self.pong_next && *i < self.pings_sent);
        let Some(index) = index else {
            self.obs.measure.pong_mismatch = Some(format!(
                "Pong {} carries {} bytes ({:02x?}), which answer no later ping of the burst",
                self.obs.measure.pongs + 1,
                payload.len(),
                &payload[..payload.len().min(8)]
            ));
            self.send_close(Some(close::codes::NORMAL), b"");
            return;
        };
        self.obs.measure.pongs += 1;
        self.pong_next = index + 1;
        if index + 1 == count {
            self.obs.measure.last_pong_ms = Some(self.now.as_millis() as u64);
            self.send_close(Some(close::codes::NORMAL), b"");
        }
    }

    /// The case's measure, when it is a measured case.
    pub(super) fn measure(&self) -> Option<&'c Measure> {
        match &self.case.expect.rule {
            VerdictRule::Measured(m) => Some(m),
            _ => None,
        }
    }

    /// A whole message arrived in a measured case.
    pub(super) fn on_measured_message(&mut self, m: &Measure, data: Vec<u8>, binary: bool) {
        match m {
            // Checked as an echo; the judge reports it with the time it took.
            Measure::EchoOrLimit {
                binary: want,
                payload,
            } => {
                self.obs.measure.echo_ms = Some(self.now.as_millis() as u64);
                self.on_echo(*want, payload, data, binary);
            }
            Measure::PeerLimit => {
                // Echoed above the declared limit: nothing more can change the verdict.
                self.record(Event::Message {
                    payload: data,
                    binary,
                });
                self.send_close(Some(close::codes::NORMAL), b"");
            }
            _ => {
                self.record(Event::Message {
                    payload: data,
                    binary,
                });
                self.finish_when_done();
            }
        }
    }

    /// How long the suite leaves the peer's close unanswered, waiting for it
    /// to close TCP (`Measure::DropWithoutAnswer`), instead of answering it.
    pub(super) fn unanswered_close_wait(&self) -> Option<Duration> {
        match self.measure()? {
            Measure::DropWithoutAnswer { within } => Some(*within),
            _ => None,
        }
    }

    /// How long TCP stays open after the closing handshake when that is what
    /// the case measures: the server's drop (suite as client), or the
    /// client's patience (suite as server).
    pub(super) fn measured_drop_wait(&self) -> Option<Duration> {
        match (self.config.role, self.measure()?) {
            (Role::Client, Measure::ServerDropsFirst { within }) => Some(*within),
            (Role::Server, Measure::ClientWaits { hold: wait })
            | (Role::Server, Measure::ClientLeaves { within: wait }) => Some(*wait),
            _ => None,
        }
    }
}

/// A close verdict replacing the generic one, with its sentence.
type CloseOverride = Option<(CloseBehavior, String)>;

/// The verdict of a measured case: behavior, result sentence, and the close
/// verdict where the measure decides it.
type Measured = (Behavior, String, CloseOverride);

/// Sections 15 and 16: the measured fact, graded by the level of the clause the
/// case cites first (a missing close reply is always FAILED: RFC 6455 §5.5.1 MUST).
pub(crate) fn judge_measured(case: &Case, m: &Measure, obs: &Observation) -> Measured {
    let f = Facts::new(case, obs);
    match m {
        Measure::ServerDropsFirst { within } => judge_server_drops_first(&f, *within),
        Measure::CloseAnswered => judge_close_answered(&f),
        Measure::DropWithoutAnswer { within } => judge_drop_without_answer(&f, *within),
        Measure::ClientWaits { hold } => judge_client_waits(&f, *hold),
        Measure::ClientLeaves { within } => judge_client_leaves(&f, *within),
        Measure::StillServes { after, deadline } => judge_still_serves(&f, *after, *deadline),
        Measure::PeerLimit => judge_peer_limit(&f),
        Measure::EchoOrLimit { .. } => judge_echo_or_limit(&f),
        Measure::Pongs { count } => judge_pongs(&f, *count),
    }
}

/// What every measured verdict looks at.
struct Facts<'a> {
    case: &'a Case,
    obs: &'a Observation,
    mo: &'a Measurements,
    /// "client" or "server": the peer under test.
    peer: &'static str,
    /// The peer closed TCP before the suite did.
    dropped_first: bool,
    /// The peer started the close (a limit, a failure), as opposed to answering the
    /// suite's own close (its kill timer).
    peer_closed: bool,
    /// The peer closed TCP before the suite started any close of its own.
    peer_left: bool,
}

impl<'a> Facts<'a> {
    fn new(case: &'a Case, obs: &'a Observation) -> Self {
        let dropped_first = obs.peer_dropped_ms.is_some() && !obs.dropped_by_me;
        Facts {
            case,
            obs,
            mo: &obs.measure,
            peer: if obs.is_server { "client" } else { "server" },
            dropped_first,
            peer_closed: obs.received_close && !obs.closed_by_me,
            peer_left: dropped_first && !obs.closed_by_me,
        }
    }

    /// Left open by the RFC: INFORMATIONAL on both counts.
    fn info(&self, text: String) -> Measured {
        (
            Behavior::Informational,
            text,
            Some((
                CloseBehavior::Informational,
                "Left open by the RFC: reported, not judged".to_string(),
            )),
        )
    }

    /// The peer never answered the suite's close: FAILED.
    fn no_close_reply(&self) -> Measured {
        let after = match self.obs.peer_dropped_ms {
            Some(ms) => format!("it closed TCP {} into the case", span(ms)),
            None => "it kept TCP open until the suite closed it".to_string(),
        };
        let text = format!(
            "The {} sent no close frame in answer to the suite's close (RFC 6455 §5.5.1 \
             MUST): {after}.",
            self.peer
        );
        (Behavior::Failed, text, None)
    }

    /// The deviation graded by the level of the clause the case cites first.
    fn by_level(&self) -> Behavior {
        crate::judge::by_level(self.case)
    }

    /// The peer's close, in words: "close 1002", "a close frame without a code".
    fn peer_close_words(&self) -> String {
        match self.obs.remote_close_code {
            Some(c) => format!("close {c}"),
            None => "a close frame without a code".to_string(),
        }
    }
}

/// The close verdict of a client case where the TCP close came from the wrong side.
fn tcp_closed_by_client() -> CloseOverride {
    Some((
        CloseBehavior::FailedByClient,
        "It is preferred that the server close the TCP connection".to_string(),
    ))
}

/// `ms` as people read it: "850 ms", "2.3 s".
fn span(ms: u64) -> String {
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `d` as people read it.
fn span_of(d: Duration) -> String {
    span(d.as_millis() as u64)
}

/// Milliseconds from `from` to `to`, when both happened.
fn between(from: Option<u64>, to: Option<u64>) -> Option<u64> {
    Some(to?.saturating_sub(from?))
}

/// `Measure::ServerDropsFirst` (RFC 6455 §7.1.1).
fn judge_server_drops_first(f: &Facts, within: Duration) -> Measured {
    if !f.obs.received_close {
        return f.no_close_reply();
    }
    match between(f.mo.close_done_ms, f.obs.peer_dropped_ms).filter(|_| f.dropped_first) {
        Some(ms) => (
            Behavior::Ok,
            format!(
                "The server closed TCP first, {} after the closing handshake.",
                span(ms)
            ),
            None,
        ),
        None => (
            f.by_level(),
            format!(
                "The server had not closed TCP {} after the closing handshake, so the \
                 suite closed it (RFC 6455 §7.1.1: the server SHOULD close TCP first).",
                span_of(within)
            ),
            // Both close frames were exchanged: only the TCP close came from the
            // wrong side, which is what FAILED BY CLIENT says.
            tcp_closed_by_client(),
        ),
    }
}

/// `Measure::CloseAnswered` (RFC 6455 §5.5.1).
fn judge_close_answered(f: &Facts) -> Measured {
    if !f.obs.received_close {
        return f.no_close_reply();
    }
    let after = between(f.mo.open_ms, f.obs.peer_close_ms)
        .map(|ms| format!(" {} after the connection opened", span(ms)))
        .unwrap_or_default();
    let drop = match between(f.obs.peer_close_ms, f.obs.peer_dropped_ms).filter(|_| f.dropped_first)
    {
        Some(ms) => format!(", then closed TCP {} later", span(ms)),
        None => ", and did not close TCP".to_string(),
    };
    (
        Behavior::Ok,
        format!(
            "The {} answered with {}{after}{drop}.",
            f.peer,
            f.peer_close_words()
        ),
        None,
    )
}

/// `Measure::DropWithoutAnswer` (RFC 6455 §7.1.7).
fn judge_drop_without_answer(f: &Facts, within: Duration) -> Measured {
    let not_failed =
        "The server did not fail the connection on the invalid frame (RFC 6455 §5.2 MUST)";
    if f.obs.closed_by_me {
        return (
            Behavior::Failed,
            format!("{not_failed}: the suite had to close it."),
            None,
        );
    }
    match (f.obs.peer_close_ms, f.obs.peer_dropped_ms) {
        (Some(_), Some(_)) => f.info(format!(
            "The server failed the connection ({}) and closed TCP {} later, with no close \
             from the suite.",
            f.peer_close_words(),
            span(between(f.obs.peer_close_ms, f.obs.peer_dropped_ms).unwrap_or(0))
        )),
        (Some(_), None) => f.info(format!(
            "The server failed the connection ({}) and then kept TCP open for {} waiting \
             for the suite's close, until the suite closed it.",
            f.peer_close_words(),
            span_of(within)
        )),
        (None, Some(ms)) => f.info(format!(
            "The server closed TCP {} into the case without a close frame.",
            span(ms)
        )),
        (None, None) => (Behavior::Failed, format!("{not_failed}."), None),
    }
}

/// `Measure::ClientWaits` (RFC 6455 §7.1.1, suite as server).
fn judge_client_waits(f: &Facts, hold: Duration) -> Measured {
    if !f.obs.received_close {
        return f.no_close_reply();
    }
    match between(f.mo.close_done_ms, f.obs.peer_dropped_ms).filter(|_| f.dropped_first) {
        Some(ms) => (
            f.by_level(),
            format!(
                "The client closed TCP {} after the closing handshake, before the server \
                 did (RFC 6455 §7.1.1: the client SHOULD wait for the server to close it).",
                span(ms)
            ),
            tcp_closed_by_client(),
        ),
        None => (
            Behavior::Ok,
            format!(
                "The client kept TCP open for the {} the server waited after the closing \
                 handshake.",
                span_of(hold)
            ),
            None,
        ),
    }
}

/// `Measure::ClientLeaves` (suite as server; reported only).
fn judge_client_leaves(f: &Facts, within: Duration) -> Measured {
    let reply = if f.obs.received_close {
        ""
    } else {
        " (it never answered the suite's close)"
    };
    match between(f.mo.close_done_ms.or(f.mo.open_ms), f.obs.peer_dropped_ms)
        .filter(|_| f.dropped_first)
    {
        Some(ms) => f.info(format!(
            "The client closed TCP {} after the closing handshake, while the server kept \
             it open{reply}.",
            span(ms)
        )),
        None => f.info(format!(
            "The client kept TCP open for {} after the closing handshake, until the \
             server closed it{reply}.",
            span_of(within)
        )),
    }
}

/// `Measure::StillServes` (RFC 6455 §10.4).
fn judge_still_serves(f: &Facts, after: Duration, deadline: Duration) -> Measured {
    let first = match (
        f.obs.peer_close_ms.filter(|_| f.peer_closed),
        f.obs.peer_dropped_ms,
    ) {
        (Some(ms), _) => format!(
            "the first connection was failed by the server ({}) {} into the case",
            f.peer_close_words(),
            span(ms)
        ),
        (None, Some(ms)) if f.peer_left => format!(
            "the server closed the first connection {} into the case without a close frame",
            span(ms)
        ),
        _ => "the server kept waiting on the first connection for the rest \
                                 of the announced frame"
            .to_string(),
    };
    let close = Some((
        CloseBehavior::Ok,
        "The first connection may end either way: it was a probe".to_string(),
    ));
    match &f.mo.probe {
        Some(Ok(ms)) => (
            Behavior::Ok,
            format!(
                "A second connection opened {} into the case got its echo {} after it \
                 connected; {first}.",
                span_of(after),
                span(*ms)
            ),
            close,
        ),
        Some(Err(why)) => (
            f.by_level(),
            format!(
                "A second connection opened {} into the case got no echo within {}: \
                 {why}; {first} (RFC 6455 §10.4: limits SHOULD protect the server).",
                span_of(after),
                span_of(deadline)
            ),
            close,
        ),
        None => (
            Behavior::Failed,
            format!("No second connection was made, so the case could not be judged; {first}."),
            close,
        ),
    }
}

/// `Measure::PeerLimit` (RFC 6455 §7.4.1, §10.4).
fn judge_peer_limit(f: &Facts) -> Measured {
    if let Some(why) = &f.mo.skipped {
        return f.info(why.clone());
    }
    let limit = f.mo.declared_limit.unwrap_or(0);
    let size = limit.saturating_add(1);
    match f.obs.remote_close_code.filter(|_| f.peer_closed) {
        Some(1009) => (
            Behavior::Ok,
            format!(
                "The server refused the {size}-byte message with 1009 (declared limit \
                 {limit} bytes)."
            ),
            // The suite cannot answer a close in the middle of its own frame, so
            // who closed TCP says nothing here.
            Some((
                CloseBehavior::Ok,
                "The server refused the message; the suite could not answer inside \
                 its unfinished frame"
                    .to_string(),
            )),
        ),
        Some(c) => (
            f.by_level(),
            format!(
                "The server refused the {size}-byte message with {c}, not 1009 (message \
                 too big, RFC 6455 §7.4.1)."
            ),
            None,
        ),
        None if !f.obs.received.is_empty() || f.obs.received_unrecorded > 0 => (
            f.by_level(),
            format!(
                "The server echoed the {size}-byte message, above the limit of {limit} \
                 bytes declared for it."
            ),
            None,
        ),
        None => (
            f.by_level(),
            match f.obs.peer_dropped_ms.filter(|_| f.peer_left) {
                Some(ms) => format!(
                    "The server closed TCP {} into the case without a close frame \
                     instead of refusing the {size}-byte message with 1009.",
                    span(ms)
                ),
                None => format!(
                    "The server neither refused nor echoed the {size}-byte message \
                     (declared limit {limit} bytes)."
                ),
            },
            None,
        ),
    }
}

/// `Measure::EchoOrLimit` (no limit required; reported with the time taken).
fn judge_echo_or_limit(f: &Facts) -> Measured {
    let peer = f.peer;
    let t = |ms: Option<u64>| span(between(f.mo.open_ms, ms).unwrap_or(0));
    match &f.obs.perf {
        Some((false, why)) => (Behavior::Failed, why.clone(), None),
        Some((true, why)) => f.info(format!(
            "{why} It came back {} after the connection opened: the {peer} set no limit \
             that stopped it.",
            t(f.mo.echo_ms)
        )),
        None if f.peer_closed => f.info(format!(
            "The {peer} refused the message: it closed with {} {} after the \
             connection opened (a limit; the RFC sets none).",
            f.peer_close_words(),
            t(f.obs.peer_close_ms)
        )),
        None if f.peer_left => f.info(format!(
            "The {peer} closed TCP {} after the connection opened, without a close \
             frame and without echoing.",
            t(f.obs.peer_dropped_ms)
        )),
        None => f.info(format!(
            "The {peer} neither echoed the message nor closed the connection within \
             the case's bound."
        )),
    }
}

/// `Measure::Pongs` (RFC 6455 §5.5.2, §5.5.3).
fn judge_pongs(f: &Facts, count: u32) -> Measured {
    let peer = f.peer;
    if let Some(why) = &f.mo.pong_mismatch {
        return (
            Behavior::Failed,
            format!("{why} (RFC 6455 §5.5.3: a pong MUST carry its ping's data)."),
            None,
        );
    }
    let n = f.mo.pongs;
    let t = span(between(f.mo.open_ms, f.mo.last_pong_ms).unwrap_or(0));
    if n == u64::from(count) {
        (
            Behavior::Ok,
            format!(
                "All {count} pings were answered in order; the last pong came {t} after \
                 the connection opened."
            ),
            None,
        )
    } else if f.mo.last_pong_ms.is_some() {
        f.info(format!(
            "{n} of {count} pings were answered, the last one included, {t} after the \
             connection opened (RFC 6455 §5.5.3 lets a peer answer only the latest)."
        ))
    } else if f.peer_closed {
        f.info(format!(
            "The {peer} answered {n} of {count} pings, then closed the connection with \
             {} (a limit).",
            f.peer_close_words()
        ))
    } else if f.peer_left {
        f.info(format!(
            "The {peer} answered {n} of {count} pings, then closed TCP without a close \
             frame."
        ))
    } else {
        (
            f.by_level(),
            format!(
                "Only {n} of {count} pings were answered within the case's bound, and \
                 not the last one (RFC 6455 §5.5.2: a ping MUST be answered)."
            ),
            None,
        )
    }
}
