//! The opening handshake in both roles: the request the suite sends (with a
//! handshake case's edits) and the response it checks, the response the suite
//! sends (with a client case's edits), and the permessage-deflate negotiation.

use super::*;

/// Largest opening-handshake head accepted.
const MAX_HEAD: usize = 64 * 1024;

impl CaseRun<'_> {
    /// Client role: the server's opening response, validated against the request sent.
    pub(super) fn on_response_bytes(&mut self) {
        match handshake::parse_response(&self.head_buf, MAX_HEAD) {
            Ok(None) => {}
            Ok(Some((response, consumed))) => {
                let now = self.now;
                self.http_response =
                    String::from_utf8_lossy(&self.head_buf[..consumed]).into_owned();
                let rest = self.head_buf.split_off(consumed);
                self.head_buf = Vec::new();
                self.obs.handshake_status = Some(response.status);
                self.obs.handshake_headers = response.headers.clone();
                self.obs.handshake_ms = Some(now.as_millis() as u64);
                let (protocols, extensions) = offered(&self.http_request);
                let checked =
                    handshake::validate_response(&response, &self.key, &protocols, &extensions);
                self.on_opening_answer(checked, &rest);
            }
            Err(e) => {
                self.http_response = String::from_utf8_lossy(&self.head_buf).into_owned();
                self.obs.handshake_error = Some(format!("invalid HTTP response: {e}"));
                self.obs.was_not_clean_reason =
                    Some(format!("invalid opening handshake response: {e}"));
                self.drop_connection();
            }
        }
    }

    /// Client role: the server's answer to the opening, checked (an HTTP/1.1 101 or
    /// an HTTP/2 2xx); `rest` is what arrived behind it on the connection.
    pub(super) fn on_opening_answer(
        &mut self,
        checked: Result<handshake::Accepted, handshake::HandshakeError>,
        rest: &[u8],
    ) {
        let now = self.now;
        match checked {
            Ok(accepted) => {
                if !self.client_deflate(&accepted.extensions) {
                    return;
                }
                self.state = State::Open;
                self.obs.connection_was_open = true;
                self.obs.measure.open_ms = Some(now.as_millis() as u64);
                self.timers.stop(Timer::OpenHandshake);
                if self
                    .case
                    .handshake
                    .as_ref()
                    .is_some_and(|h| !continues_after(&h.expect, &accepted.extensions))
                {
                    // Accepted where a refusal was due (or reported): leave politely.
                    self.script_done = true;
                    self.send_close(Some(close::codes::NORMAL), b"");
                    return;
                }
                self.advance_script();
                if !rest.is_empty() {
                    self.decoder.push(rest);
                    self.process_frames();
                }
            }
            Err(e) => {
                self.obs.handshake_error = Some(e.to_string());
                // An answer that takes the upgrade but breaks RFC 6455 §4.1 (or RFC 8441)
                // is an invalid handshake; a refusing status is one that failed.
                let what = if matches!(e, handshake::HandshakeError::Status(_)) {
                    "failed"
                } else {
                    "invalid"
                };
                self.obs.was_not_clean_reason = Some(format!("opening handshake {what}: {e}"));
                self.drop_connection();
            }
        }
    }

    /// Server role: the client's opening request, validated by the reference handshake.
    pub(super) fn on_request_bytes(&mut self) {
        match handshake::parse_request(&self.head_buf, MAX_HEAD) {
            Ok(None) => {}
            Ok(Some((request, consumed))) => {
                self.http_request =
                    String::from_utf8_lossy(&self.head_buf[..consumed]).into_owned();
                let rest = self.head_buf.split_off(consumed);
                self.head_buf = Vec::new();
                match handshake::server_respond(&request, &handshake::ServerConfig::default()) {
                    handshake::ServerDecision::Accept {
                        mut response,
                        subprotocol,
                        key,
                    } => {
                        let offers = request.header_all("Sec-WebSocket-Extensions");
                        if let Some(ext) = self.server_deflate(&offers) {
                            response =
                                handshake::accept_response(&key, subprotocol.as_deref(), &[ext]);
                        }
                        let (response, chop, with_script) = match &self.case.response {
                            Some(r) => (
                                edit_response(&response, &r.edits, &key),
                                r.chop,
                                r.script_with_response,
                            ),
                            None => (response, Chop::Whole, true),
                        };
                        self.http_response = String::from_utf8_lossy(&response).into_owned();
                        match chop {
                            Chop::Every(_) => self.write_chopped(response, chop, true),
                            // Unflushed, the script's first frames share the response's write.
                            _ => self.write(response, !with_script),
                        }
                        self.state = State::Open;
                        // A response the client must refuse opens nothing: the judge
                        // looks at what the client does with the frames behind it.
                        self.obs.connection_was_open = !self
                            .case
                            .response
                            .as_ref()
                            .is_some_and(|r| r.expect == ResponseExpect::Fail);
                        self.obs.measure.open_ms = Some(self.now.as_millis() as u64);
                        self.timers.stop(Timer::OpenHandshake);
                        self.advance_script();
                        if !rest.is_empty() {
                            self.decoder.push(&rest);
                            self.process_frames();
                        }
                    }
                    handshake::ServerDecision::Refuse {
                        response, error, ..
                    } => {
                        self.http_response = String::from_utf8_lossy(&response).into_owned();
                        self.write(response, false);
                        self.obs.was_not_clean_reason = Some(format!(
                            "the client's opening handshake was refused: {error}"
                        ));
                        self.drop_connection();
                    }
                }
            }
            Err(e) => {
                self.http_request = String::from_utf8_lossy(&self.head_buf).into_owned();
                let response = handshake::refusal_response(&e);
                self.http_response = String::from_utf8_lossy(&response).into_owned();
                self.write(response, false);
                self.obs.was_not_clean_reason = Some(format!("invalid opening request: {e}"));
                self.drop_connection();
            }
        }
    }

    /// Client role: takes the server's permessage-deflate answer (RFC 7692
    /// §7.1). No answer leaves the case unplayable (UNIMPLEMENTED); an
    /// invalid one fails the opening handshake. False when the connection
    /// was dropped.
    pub(super) fn client_deflate(&mut self, accepted: &[handshake::ExtensionOffer]) -> bool {
        let Some(setup) = &self.case.deflate else {
            return true;
        };
        match accepted.iter().find(|e| e.name == deflate::EXTENSION_NAME) {
            None => {
                self.obs.deflate = Some(Err(
                    "The server did not accept the permessage-deflate offer.".into(),
                ));
                true
            }
            Some(ext) => match deflate::client_accept(&setup.offers, ext) {
                Ok(params) => {
                    self.use_deflate(params);
                    true
                }
                Err(e) if self.case.expect.rule == VerdictRule::CompressedEchoes => {
                    // Autobahn's client in sections 12 and 13 takes any valid response,
                    // whether or not it answers the offer (a server that ignores a
                    // requested server_max_window_bits still passes there): so do these
                    // cases, saying so. Section 17 holds servers to the offer.
                    let any = DeflateOffer {
                        client_max_window_bits: Some(None),
                        ..DeflateOffer::default()
                    };
                    match deflate::client_accept(&[any], ext) {
                        Ok(params) => {
                            self.use_deflate(params);
                            self.obs.peer_violation = Some(format!(
                                "the permessage-deflate response does not answer the offer ({e}); \
                                 taken as it stands, as Autobahn does"
                            ));
                            true
                        }
                        Err(e) => self.refuse_deflate_response(e),
                    }
                }
                Err(e) => self.refuse_deflate_response(e),
            },
        }
    }

    /// Client role: a permessage-deflate response the suite cannot take fails
    /// the opening handshake (RFC 7692 §7). Always false: the connection is dropped.
    pub(super) fn refuse_deflate_response(&mut self, e: DeflateError) -> bool {
        let why = format!("invalid permessage-deflate response: {e}");
        self.obs.handshake_error = Some(why.clone());
        // Only a 101 carries a permessage-deflate response: the handshake is invalid.
        self.obs.was_not_clean_reason = Some(format!("opening handshake invalid: {why}"));
        self.drop_connection();
        false
    }

    /// Server role: answers the client's permessage-deflate offers (the values of its
    /// Sec-WebSocket-Extensions fields) with the case's policies; the extension for
    /// the response when one accepts.
    pub(super) fn server_deflate(&mut self, values: &[&str]) -> Option<handshake::ExtensionOffer> {
        let setup = self.case.deflate.as_ref()?;
        let offers = handshake::parse_extensions(values).unwrap_or_default();
        match deflate::server_negotiate_first(&offers, &setup.accept) {
            Ok(Some((ext, params))) => {
                self.use_deflate(params);
                Some(ext)
            }
            Ok(None) => {
                self.obs.deflate = Some(Err(
                    "The client offered no permessage-deflate the case accepts.".into(),
                ));
                None
            }
            Err(e) => {
                self.obs.deflate = Some(Err(format!("permessage-deflate not negotiated: {e}")));
                None
            }
        }
    }

    pub(super) fn use_deflate(&mut self, params: DeflateParams) {
        let role = self.config.role;
        let setup = self.case.deflate.clone().unwrap_or_default();
        let own_no_context_takeover = match self.config.role {
            Role::Client => params.client_no_context_takeover,
            Role::Server => params.server_no_context_takeover,
        };
        if setup.sends_with_context && own_no_context_takeover {
            self.obs.deflate = Some(Err(
                "The negotiation took context takeover away from the suite, and the case's \
                 messages refer back to earlier ones (RFC 7692 §7.2.3.2): not played."
                    .into(),
            ));
            return;
        }
        let limit = usize::try_from(self.config.max_message).unwrap_or(usize::MAX);
        let mut decompressor = params.decompressor(role, limit);
        if setup.check_window {
            decompressor = decompressor.with_window_check();
        }
        self.codec = Some(Codec {
            compressor: params.compressor(role),
            decompressor,
        });
        self.obs.deflate = Some(Ok(format!(
            "server_no_context_takeover={}, client_no_context_takeover={}, server_max_window_bits={}, client_max_window_bits={}",
            params.server_no_context_takeover,
            params.client_no_context_takeover,
            params.server_max_window_bits,
            params.client_max_window_bits
        )));
    }
}

/// The permessage-deflate codec of the connection, once negotiated.
#[derive(Debug)]
pub(super) struct Codec {
    pub(super) compressor: Compressor,
    pub(super) decompressor: Decompressor,
}

/// The opening request the suite sends as client: the standard request with
/// `--header` extras, the case's permessage-deflate offers and a handshake
/// case's edits, cut short where the case says.
pub(super) fn request(case: &Case, config: &RunConfig, key: &str) -> Vec<u8> {
    let mut request = request_builder(case, config, key).encode();
    if let Some(cut) = case.handshake.as_ref().and_then(|h| h.truncate_at) {
        request.truncate(cut);
    }
    request
}

/// The opening request before it is encoded: the standard request with `--header`
/// extras, the case's permessage-deflate offers and a handshake case's edits.
pub(super) fn request_builder(case: &Case, config: &RunConfig, key: &str) -> RequestBuilder {
    let mut builder = RequestBuilder::new(&config.host, &config.target, key);
    for (name, value) in &config.extra_headers {
        builder = builder.set(name, value);
    }
    if let (Role::Client, Some(setup)) = (config.role, &case.deflate) {
        builder = builder.deflate_offers(&setup.offers);
    }
    if let Some(h) = &case.handshake {
        builder = apply_edits(builder, &h.edits);
    }
    builder
}

/// Whether the script plays once the server accepted a handshake case's
/// request: only where acceptance was expected, or where the extension the
/// server had to decline is indeed absent from its response.
fn continues_after(
    expect: &crate::model::HandshakeExpect,
    accepted: &[handshake::ExtensionOffer],
) -> bool {
    use crate::model::HandshakeExpect as H;
    match expect {
        H::Accept => true,
        H::Decline(name) => !accepted.iter().any(|e| e.name.eq_ignore_ascii_case(name)),
        _ => false,
    }
}

/// Applies a handshake case's edits to the standard request.
fn apply_edits(mut b: RequestBuilder, edits: &[crate::model::RequestEdit]) -> RequestBuilder {
    use crate::model::RequestEdit as E;
    for e in edits {
        b = match e {
            E::Set(k, v) => b.set(k, v),
            E::Add(k, v) => b.add(k, v),
            E::Remove(k) => b.remove(k),
            E::Rename(k, n) => b.rename(k, n),
            E::RawLine(l) => b.raw_header_line(l),
            E::Method(m) => b.method(m),
            E::Version(v) => b.http_version(v),
            E::Target(t) => b.target(t),
            E::Pad(n) => b.add("X-Wsconform-Padding", &"a".repeat(*n)),
        };
    }
    b
}

/// Applies a client-side handshake case's edits to the reference response.
fn edit_response(response: &[u8], edits: &[ResponseEdit], key: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let mut status = lines.next().unwrap_or_default().to_string();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    for edit in edits {
        match edit {
            ResponseEdit::StatusLine(line) => status = line.to_string(),
            ResponseEdit::Set(name, value) => handshake::set_header(&mut headers, name, value),
            ResponseEdit::Remove(name) => handshake::remove_header(&mut headers, name),
            ResponseEdit::Rename(from, to) => handshake::rename_header(&mut headers, from, to),
            ResponseEdit::WrongAccept => {
                // The accept value of a key one bit away: right shape, wrong value.
                let mut other = key.as_bytes().to_vec();
                other[0] ^= 1;
                let other = String::from_utf8_lossy(&other).into_owned();
                handshake::set_header(
                    &mut headers,
                    "Sec-WebSocket-Accept",
                    &handshake::accept_key(&other),
                );
            }
        }
    }
    let mut out = status;
    out.push_str("\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The subprotocols and extension names a request offers, so the response can
/// be held to them (RFC 6455 §4.1: nothing that was not offered).
pub(super) fn offered(request: &str) -> (Vec<String>, Vec<String>) {
    let mut protocols = Vec::new();
    let mut extensions = Vec::new();
    for line in request.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let list = value.split(',').map(|t| t.trim()).filter(|t| !t.is_empty());
        if name.trim().eq_ignore_ascii_case("sec-websocket-protocol") {
            protocols.extend(list.map(str::to_string));
        } else if name.trim().eq_ignore_ascii_case("sec-websocket-extensions") {
            extensions.extend(list.map(|t| t.split(';').next().unwrap_or("").trim().to_string()));
        }
    }
    (protocols, extensions)
}
