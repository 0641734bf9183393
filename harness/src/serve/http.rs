//! Plain HTTP on the fuzzing server's port: the driver page that makes a browser the
//! client under test, the same driver as a script for JavaScript runtimes, and what the
//! driver reads while it runs.
//!
//! | path | answer |
//! |---|---|
//! | `GET /` | the driver page: one self-contained HTML page (no fetch beyond this server) carrying its case list and [`DRIVER_JS`] |
//! | `GET /driver.js` | the driver as a script for Node ≥ 22, Deno and Bun |
//! | `GET /cases.json?cases=PATTERNS` | the selected cases: number, id, whether it runs alone; and those beyond the standard WebSocket API |
//! | `GET /caseStatus?case=N&agent=A` | `{"id", "behavior", "behaviorClose"}` of a finished case (waits briefly for one being judged) |
//! | `GET /report?agent=A` | the HTML report of agent A (every agent without `agent`), rendered from memory |
//!
//! A request carrying `Upgrade: websocket` never comes here: those are the fuzzingserver
//! protocol's. Each answer closes the connection, as every connection of the server
//! serves one request.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use ws_cases::api_limits::beyond_standard_api;
use ws_cases::run::Role;
use ws_spec::handshake::Request;

use super::{query_params, FuzzingServer};

/// The driver, shared by the page and the runtimes.
pub const DRIVER_JS: &str = include_str!("driver.js");
/// The page around it; `/*CASES*/` and `/*DRIVER*/` are filled in per request.
const DRIVER_HTML: &str = include_str!("driver.html");
/// How long `/caseStatus` waits for a case still being judged: the client may see its
/// connection end a moment before the server has recorded the verdict.
const STATUS_WAIT: Duration = Duration::from_secs(10);
/// The page may reach this server only: scripts and styles are inline, connections go
/// to its own origin (`'self'` covers ws:// and wss:// of the same host).
const PAGE_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

/// True when `request` is plain HTTP rather than a WebSocket opening request.
pub(super) fn is_plain_http(request: &Request) -> bool {
    !request
        .header_all("Upgrade")
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
}

/// One HTTP answer.
struct Answer {
    status: u16,
    content_type: &'static str,
    policy: Option<&'static str>,
    body: Vec<u8>,
}

impl Answer {
    fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Answer {
            status: 200,
            content_type,
            policy: None,
            body: body.into(),
        }
    }

    fn error(status: u16, message: &str) -> Self {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            policy: None,
            body: format!("{message}\n").into_bytes(),
        }
    }

    /// The header fields both protocols carry, names lower-case.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("content-type", self.content_type.to_string()),
            ("content-length", self.body.len().to_string()),
            ("cache-control", "no-store".to_string()),
        ];
        if let Some(policy) = self.policy {
            fields.push(("content-security-policy", policy.to_string()));
        }
        if self.status == 405 {
            fields.push(("allow", "GET, HEAD".to_string()));
        }
        fields
    }

    fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Service Unavailable",
        };
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in self.fields() {
            // HTTP/1.1 names in their customary spelling (Content-Type); HTTP/2 lower-cases them.
            let name: Vec<String> = name
                .split('-')
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                .collect();
            out.push_str(&format!("{}: {value}\r\n", name.join("-")));
        }
        out.push_str("Connection: close\r\n");
        out.push_str("\r\n");
        let mut out = out.into_bytes();
        if !head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// The answer to a plain HTTP request, as bytes to write before closing.
pub(super) async fn answer(server: &Arc<FuzzingServer>, request: &Request) -> Vec<u8> {
    answer_of(server, request)
        .await
        .to_bytes(request.method == "HEAD")
}

/// The answer to a plain HTTP/2 request: status, header fields (lower-case names)
/// and body (empty for HEAD).
pub(super) async fn answer_h2(
    server: &Arc<FuzzingServer>,
    request: &Request,
) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
    let answer = answer_of(server, request).await;
    let fields = answer.fields();
    let body = if request.method == "HEAD" {
        Vec::new()
    } else {
        answer.body
    };
    (answer.status, fields, body)
}

async fn answer_of(server: &Arc<FuzzingServer>, request: &Request) -> Answer {
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        return Answer::error(405, "only GET and HEAD are served");
    }
    let target = origin_form(&request.target);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params = query_params(query);
    let param = |name: &str| params.get(name).and_then(|v| v.first()).map(String::as_str);
    let answer = match path {
        "/" | "/index.html" => match case_list(server, param("cases").unwrap_or("")) {
            Ok(list) => page(&list),
            Err(e) => Answer::error(400, &e),
        },
        "/driver.js" => Answer::ok("text/javascript; charset=utf-8", DRIVER_JS),
        "/cases.json" => match case_list(server, param("cases").unwrap_or("")) {
            Ok(list) => Answer::ok("application/json", list.to_string()),
            Err(e) => Answer::error(400, &e),
        },
        "/caseStatus" => case_status(server, param("case"), param("agent")).await,
        "/report" => report(server, param("agent")),
        other => Answer::error(
            404,
            &format!(
                "no such page {other:?}: plain HTTP serves / (the driver page), /driver.js, \
                 /cases.json, /caseStatus and /report"
            ),
        ),
    };
    answer
}

impl FuzzingServer {
    /// Both verdicts of case `index` for `agent`, once it has finished.
    async fn wait_for_verdict(
        &self,
        agent: &str,
        index: usize,
    ) -> (ws_cases::Behavior, ws_cases::CloseBehavior) {
        loop {
            // Registered before the check, so a case ending in between still wakes us.
            let notified = self.finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let verdict = self
                .lock_results()
                .get(agent)
                .and_then(|r| r.results.get(&index))
                .map(|r| (r.behavior, r.behavior_close));
            if let Some(v) = verdict {
                return v;
            }
            notified.await;
        }
    }
}

/// The path and query of a target, also of an absolute-form one (RFC 9112 §3.2.2).
fn origin_form(target: &str) -> &str {
    match target.find("://") {
        Some(i) => target[i + 3..]
            .find('/')
            .map_or("/", |j| &target[i + 3 + j..]),
        None => target,
    }
}

/// The driver page with its case list and the driver written in.
fn page(list: &serde_json::Value) -> Answer {
    // Inside <script>, "</" would end the element early: JSON allows "<\/" instead.
    let cases = list.to_string().replace("</", "<\\/");
    let html = DRIVER_HTML
        .replace("/*CASES*/", &cases)
        .replace("/*DRIVER*/", DRIVER_JS);
    Answer {
        policy: Some(PAGE_POLICY),
        ..Answer::ok("text/html; charset=utf-8", html)
    }
}

/// The cases of the server's selection that `patterns` pick (all for an empty one), by
/// the number `/runCase?case=N` takes; those a client on the standard WebSocket API
/// cannot take part in are listed apart, with why, and not among those to run.
fn case_list(server: &FuzzingServer, patterns: &str) -> Result<serde_json::Value, String> {
    let include = ws_cases::select::parse_list(patterns).map_err(|e| e.to_string())?;
    let mut run = Vec::new();
    let mut beyond = Vec::new();
    for (i, case) in server.cases().iter().enumerate() {
        if !include.is_empty() && !include.iter().any(|p| p.matches(&case.id)) {
            continue;
        }
        let limits = beyond_standard_api(case, Role::Server);
        if limits.is_empty() {
            run.push(json!({"number": i + 1, "id": case.id, "exclusive": case.exclusive}));
        } else {
            let needs: Vec<String> = limits.iter().map(ToString::to_string).collect();
            beyond.push(json!({"number": i + 1, "id": case.id, "needs": needs}));
        }
    }
    if run.is_empty() && beyond.is_empty() {
        return Err(format!(
            "cases={patterns:?} matches none of the {} cases this server offers",
            server.cases().len()
        ));
    }
    Ok(json!({"offered": server.cases().len(), "cases": run, "beyondApi": beyond}))
}

/// `/caseStatus`: the verdicts of one finished case.
async fn case_status(server: &FuzzingServer, case: Option<&str>, agent: Option<&str>) -> Answer {
    let (Some(case), Some(agent)) = (case, agent) else {
        return Answer::error(400, "/caseStatus needs case=N and agent=NAME");
    };
    let index = match case.trim().parse::<usize>() {
        Ok(n) if (1..=server.cases().len()).contains(&n) => n - 1,
        _ => return Answer::error(400, &format!("case={case:?} is not a served case number")),
    };
    let Ok(verdict) =
        tokio::time::timeout(STATUS_WAIT, server.wait_for_verdict(agent, index)).await
    else {
        return Answer::error(503, &format!("{agent} has no verdict for case {case} yet"));
    };
    let (behavior, close) = verdict;
    let body = json!({
        "id": server.cases()[index].id,
        "behavior": behavior.as_str(),
        "behaviorClose": close.as_str(),
    });
    Answer::ok("application/json", body.to_string())
}

/// `/report`: one agent's report (or every agent's) as the HTML report renders it.
fn report(server: &FuzzingServer, agent: Option<&str>) -> Answer {
    let runs = match agent {
        Some(a) => match server.report(a) {
            Some(r) => vec![r],
            None => return Answer::error(404, &format!("no case has run for agent {a:?}")),
        },
        None => server.reports(),
    };
    if runs.is_empty() {
        return Answer::error(404, "no client has run a case yet");
    }
    let html = ws_reports::render_html(&runs).replacen(
        "<body>\n",
        &format!("<body>\n{}", api_note(server)),
        1,
    );
    Answer::ok("text/html; charset=utf-8", html.into_bytes())
}

/// One paragraph for the top of the report: which served cases a client on the
/// standard WebSocket API (a browser) cannot take part in, and why.
fn api_note(server: &FuzzingServer) -> String {
    let beyond: Vec<String> = server
        .cases()
        .iter()
        .filter_map(|c| {
            let limits = beyond_standard_api(c, Role::Server);
            (!limits.is_empty()).then(|| {
                let why: Vec<String> = limits.iter().map(ToString::to_string).collect();
                format!("{} ({})", c.id, why.join(", "))
            })
        })
        .collect();
    let text = if beyond.is_empty() {
        format!(
            "A client on the standard WebSocket API (a browser) can take part in all {} \
             cases served: none asks its application for a ping, an unsolicited pong or a \
             close code the API refuses.",
            server.cases().len()
        )
    } else {
        format!(
            "A client on the standard WebSocket API (a browser) cannot take part in these \
             cases, which the driver page does not run: {}.",
            beyond.join("; ")
        )
    };
    format!(
        "<p class=\"api-note\">{}</p>\n",
        ws_reports::html::escape_html(&text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::ServeSettings;

    fn server() -> Arc<FuzzingServer> {
        let cases = ws_cases::cases_for(Role::Server)
            .into_iter()
            .filter(|c| {
                c.id.starts_with("1.1.") || c.id.starts_with("9.1.") || c.id.starts_with("2.")
            })
            .collect();
        Arc::new(FuzzingServer::new(cases, ServeSettings::default()))
    }

    fn get(target: &str, upgrade: Option<&str>) -> Request {
        let mut headers = vec![("Host".to_string(), "127.0.0.1".to_string())];
        if let Some(u) = upgrade {
            headers.push(("Upgrade".to_string(), u.to_string()));
        }
        Request {
            method: "GET".into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            headers,
        }
    }

    /// The head and the body of the server's answer to `request`.
    async fn fetch(server: &Arc<FuzzingServer>, request: &Request) -> (String, String) {
        let bytes = answer(server, request).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    /// The status code of the server's answer to `request`.
    async fn status(server: &Arc<FuzzingServer>, request: &Request) -> u16 {
        let (head, _) = fetch(server, request).await;
        let code = head.split(' ').nth(1).and_then(|c| c.parse().ok());
        code.unwrap_or_else(|| panic!("no status in {head:?}"))
    }

    #[test]
    fn only_requests_without_a_websocket_upgrade_are_plain() {
        assert!(is_plain_http(&get("/", None)));
        assert!(is_plain_http(&get("/", Some("h2c"))));
        assert!(!is_plain_http(&get("/", Some("WebSocket"))));
        assert!(!is_plain_http(&get("/", Some("h2c, websocket"))));
    }

    #[tokio::test]
    async fn the_case_list_follows_the_patterns_and_numbers_as_runcase_does() {
        let server = server();
        let (head, list) = fetch(&server, &get("/cases.json?cases=2.*,9.1.1", None)).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let list: serde_json::Value = serde_json::from_str(&list).unwrap();
        assert_eq!(list["offered"], server.cases().len());
        let picked: Vec<(usize, String)> = list["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["number"].as_u64().unwrap() as usize,
                    c["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(usize, String)> = server
            .cases()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.id.starts_with("2.") || c.id == "9.1.1")
            .map(|(i, c)| (i + 1, c.id.clone()))
            .collect();
        assert_eq!(picked, want);
        let exclusive = list["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "9.1.1");
        assert_eq!(exclusive.unwrap()["exclusive"], true);
        assert_eq!(
            status(&server, &get("/cases.json?cases=8.*", None)).await,
            400
        );
    }

    #[tokio::test]
    async fn the_page_carries_its_cases_and_the_driver_and_fetches_nothing_else() {
        let server = server();
        let (head, page) = fetch(&server, &get("/?agent=x&cases=1.1.*", None)).await;
        assert!(head.contains("Content-Type: text/html"), "{head}");
        assert!(head.contains("connect-src 'self'"), "{head}");
        assert!(page.contains(DRIVER_JS), "the driver is inlined");
        assert!(page.contains("\"id\":\"1.1.1\"") && !page.contains("\"id\":\"2.1\""));
        assert!(!page.contains("/*CASES*/") && !page.contains("/*DRIVER*/"));
        for external in ["src=\"http", "href=\"http", "@import", "url("] {
            assert!(!page.contains(external), "{external}");
        }
        let (_, js) = fetch(&server, &get("/driver.js", None)).await;
        assert_eq!(js, DRIVER_JS);
        assert_eq!(status(&server, &get("/nothing", None)).await, 404);
        let mut post = get("/", None);
        post.method = "POST".into();
        assert_eq!(status(&server, &post).await, 405);
    }

    #[tokio::test]
    async fn status_and_report_of_an_agent_without_cases_are_errors() {
        let server = server();
        assert_eq!(
            status(&server, &get("/report?agent=nobody", None)).await,
            404
        );
        let case_status = get("/caseStatus?case=0&agent=a", None);
        assert_eq!(status(&server, &case_status).await, 400);
    }

    #[test]
    fn the_report_says_what_a_browser_cannot_take_part_in() {
        let note = api_note(&server());
        assert!(note.contains("can take part in all"), "{note}");
        // A case that needs the client to send a ping of its own is named, with why.
        let mut cases = ws_cases::cases_for(Role::Server);
        cases.truncate(2);
        cases[1].expect.outcomes = vec![(
            ws_cases::Behavior::Ok,
            vec![ws_cases::Event::Ping(b"mine".to_vec())],
        )];
        let id = cases[1].id.clone();
        let server = FuzzingServer::new(cases, ServeSettings::default());
        let note = api_note(&server);
        assert!(
            note.contains(&format!("{id} (the client must send a ping)")),
            "{note}"
        );
    }
}
