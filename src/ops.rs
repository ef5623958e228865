//! Operator view of a running bot: Prometheus metrics and the `[http] listen`
//! endpoint serving `GET /healthz` and `GET /metrics`.
//!
//! [`Metrics`] is shared as an `Arc` and updated by the adapters; it knows no
//! Discord types. [`serve`] runs a tiny HTTP/1 server (hyper) over it, one
//! request per connection, with limits that slow clients cannot exhaust. The
//! endpoints are unauthenticated: keep them on loopback (the default when
//! enabled) or behind a firewall.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Content type of [`Metrics::render`]'s output.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Answer latency buckets, in seconds: 0.5 ms to 2.5 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How the `[http]` endpoint stays responsive with slow or many clients.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Connections served at once; one more is answered 503 at once.
    connections: usize,
    /// Time a client has to send its request headers.
    header_timeout: Duration,
    /// Time one connection may take, accept to close, whatever it does.
    deadline: Duration,
}

/// Far more connections than probes and scrapers need (each costs a
/// socket and a small task), far fewer than the file descriptors a process has.
const LIMITS: Limits = Limits {
    connections: 256,
    header_timeout: Duration::from_secs(2),
    deadline: Duration::from_secs(10),
};

/// At most this many "busy" answers are being written at once; beyond, a
/// connection is closed unanswered.
const MAX_REFUSALS: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabel {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VoteLabel {
    vote: &'static str,
}

/// Whether the bot can serve, for `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Connected to the gateway and an index with entries is loaded.
    pub ok: bool,
    /// Why not, when not ok; empty when ok.
    pub reason: &'static str,
}

/// The bot's metrics, all named `careerbot_*`. Cheap to update from any
/// thread; share it as `Arc<Metrics>`.
///
/// `command` labels must come from a small fixed set (the command names, or
/// e.g. `"auto"` for auto-answers), never from user input.
pub struct Metrics {
    registry: Registry,
    answers: Family<CommandLabel, Counter>,
    abstentions: Family<CommandLabel, Counter>,
    latency: Histogram,
    reloads: Family<OutcomeLabel, Counter>,
    entries: Gauge,
    generation: Gauge,
    reconnects: Counter,
    connected: Gauge,
    votes: Family<VoteLabel, Counter>,
    /// (connected now, ever connected): transitions are judged under one lock.
    gateway: Mutex<(bool, bool)>,
    index_loaded: AtomicBool,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("careerbot");
        let answers = Family::<CommandLabel, Counter>::default();
        let abstentions = Family::<CommandLabel, Counter>::default();
        let latency = Histogram::new(LATENCY_BUCKETS);
        let reloads = Family::<OutcomeLabel, Counter>::default();
        let entries = Gauge::default();
        let generation = Gauge::default();
        let reconnects = Counter::default();
        let connected = Gauge::default();
        let votes = Family::<VoteLabel, Counter>::default();
        // Known label values exist from the start, at 0.
        for outcome in ["ok", "failed"] {
            drop(reloads.get_or_create(&OutcomeLabel { outcome }));
        }
        for vote in ["up", "down"] {
            drop(votes.get_or_create(&VoteLabel { vote }));
        }
        registry.register("answers", "Questions answered, by command", answers.clone());
        registry.register(
            "abstentions",
            "Questions the bot did not answer (no confident match), by command",
            abstentions.clone(),
        );
        registry.register_with_unit(
            "answer_latency",
            "Time from question to answer or abstention",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register("reloads", "Knowledge reloads, by outcome", reloads.clone());
        registry.register(
            "entries",
            "FAQ entries in the knowledge serving now",
            entries.clone(),
        );
        registry.register(
            "index_generation",
            "Generation of the knowledge serving now (grows on each good reload)",
            generation.clone(),
        );
        registry.register(
            "gateway_reconnects",
            "Times the Discord gateway connection came back after the first connect",
            reconnects.clone(),
        );
        registry.register(
            "gateway_connected",
            "1 while connected to the Discord gateway, else 0",
            connected.clone(),
        );
        registry.register(
            "votes",
            "Feedback votes on answers, by direction (a changed vote counts again)",
            votes.clone(),
        );
        Metrics {
            registry,
            answers,
            abstentions,
            latency,
            reloads,
            entries,
            generation,
            reconnects,
            connected,
            votes,
            gateway: Mutex::new((false, false)),
            index_loaded: AtomicBool::new(false),
        }
    }

    /// One question handled by `command`: counted as an answer or, when
    /// `abstained`, as an abstention; its latency is observed either way.
    pub fn answered(&self, command: &str, abstained: bool, latency: Duration) {
        let label = CommandLabel {
            command: command.to_string(),
        };
        let family = if abstained {
            &self.abstentions
        } else {
            &self.answers
        };
        family.get_or_create(&label).inc();
        self.latency.observe(latency.as_secs_f64());
    }

    /// One knowledge reload, good or rejected.
    pub fn reload(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// The knowledge now serving: its entry count and generation. Health
    /// needs this called once with `entries > 0`.
    pub fn knowledge(&self, entries: u64, generation: u64) {
        self.entries.set(i64::try_from(entries).unwrap_or(i64::MAX));
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
        self.index_loaded.store(entries > 0, Ordering::SeqCst);
    }

    /// Whether the gateway connection is up now (health and the
    /// `gateway_connected` gauge); counts nothing.
    pub fn gateway_connected(&self, up: bool) {
        let mut g = self.gateway.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = up;
        self.connected.set(i64::from(up));
    }

    /// A gateway session began (IDENTIFY or RESUME answered): the first is
    /// the connection, every later one a reconnect. Marks the gateway up.
    pub fn gateway_session(&self) {
        let mut g = self.gateway.lock().unwrap_or_else(|p| p.into_inner());
        if g.1 {
            self.reconnects.inc();
        }
        *g = (true, true);
        self.connected.set(1);
    }

    /// One feedback vote that the store recorded or changed (not an
    /// unchanged repeat).
    pub fn vote(&self, up: bool) {
        let vote = if up { "up" } else { "down" };
        self.votes.get_or_create(&VoteLabel { vote }).inc();
    }

    /// All metrics in the OpenMetrics text format ([`METRICS_CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Ok when connected to the gateway and an index with entries is loaded.
    pub fn health(&self) -> Health {
        let connected = self.gateway.lock().unwrap_or_else(|p| p.into_inner()).0;
        let loaded = self.index_loaded.load(Ordering::SeqCst);
        let reason = match (connected, loaded) {
            (true, true) => "",
            (false, true) => "not connected to the Discord gateway",
            (true, false) => "no index loaded",
            (false, false) => "not connected to the Discord gateway; no index loaded",
        };
        Health {
            ok: connected && loaded,
            reason,
        }
    }
}

/// Serves `GET /healthz` and `GET /metrics` on `listen` until the returned
/// task is aborted. Returns the bound address (bind port 0 in tests).
///
/// Slow clients cannot starve it: headers must arrive within 2 s, a
/// connection lasts at most 10 s and serves one request (no keep-alive), and
/// when 256 connections are open the next one is answered 503 at once
/// instead of waiting.
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_with(listen, metrics, LIMITS).await
}

async fn serve_with(
    listen: SocketAddr,
    metrics: Arc<Metrics>,
    limits: Limits,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!(
            "cannot listen on {listen} for /healthz and /metrics (hint: is another process using that port? change [http] listen in config.toml, or remove it to turn the endpoint off)"
        )
    })?;
    let addr = listener
        .local_addr()
        .context("bound listener has no address")?;
    if !listen.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "/healthz and /metrics are unauthenticated and listening beyond loopback; keep the port firewalled"
        );
    }
    tracing::info!(%addr, "serving /healthz and /metrics");
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let refusals = Arc::new(tokio::sync::Semaphore::new(MAX_REFUSALS));
    let handle = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // e.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!("http accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                    tokio::spawn(async move {
                        let _permit = permit;
                        refuse(stream).await;
                    });
                }
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let response = respond(&metrics, req.method(), req.uri().path());
                        async move { Ok::<_, Infallible>(response) }
                    });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .keep_alive(false)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                match tokio::time::timeout(limits.deadline, connection).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!("http connection ended with an error: {e}"),
                    Err(_) => tracing::debug!("http connection closed at its deadline"),
                }
            });
        }
    });
    Ok((addr, handle))
}

/// Answers a connection over the limit with a 503 without reading it, then
/// lets the client's request drain briefly so that closing does not reset
/// the connection before the answer is read. One second at most.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BODY: &str = "{\"status\":\"unavailable\",\"reason\":\"too many connections\"}\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncache-control: no-store\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// The response for one request.
fn respond(metrics: &Metrics, method: &Method, path: &str) -> Response<Full<Bytes>> {
    if path != "/healthz" && path != "/metrics" {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found\n",
        );
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "method not allowed\n",
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    if path == "/metrics" {
        return reply(StatusCode::OK, METRICS_CONTENT_TYPE, metrics.render());
    }
    let health = metrics.health();
    let (status, body) = if health.ok {
        (StatusCode::OK, serde_json::json!({ "status": "ok" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "unavailable", "reason": health.reason }),
        )
    };
    reply(status, "application/json", format!("{body}\n"))
}

fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// The bot's tasks and the HTTP server share one `Metrics`: a compile error, not a failing test, if it
// stops being shareable across threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Metrics>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn render_names_every_metric() {
        let m = Metrics::new();
        m.answered("ask", false, Duration::from_millis(3));
        m.answered("ask", true, Duration::from_millis(1));
        m.answered("faq", false, Duration::from_micros(200));
        m.reload(true);
        m.reload(false);
        m.reload(true);
        m.knowledge(42, 3);
        m.gateway_connected(true);
        m.vote(true);
        m.vote(false);
        m.vote(true);
        let text = m.render();
        for line in [
            "careerbot_answers_total{command=\"ask\"} 1",
            "careerbot_answers_total{command=\"faq\"} 1",
            "careerbot_abstentions_total{command=\"ask\"} 1",
            "careerbot_answer_latency_seconds_count 3",
            "careerbot_answer_latency_seconds_bucket{le=\"0.0005\"} 1",
            "careerbot_answer_latency_seconds_bucket{le=\"2.5\"} 3",
            "careerbot_reloads_total{outcome=\"ok\"} 2",
            "careerbot_reloads_total{outcome=\"failed\"} 1",
            "careerbot_entries 42",
            "careerbot_index_generation 3",
            "careerbot_gateway_reconnects_total 0",
            "careerbot_gateway_connected 1",
            "careerbot_votes_total{vote=\"up\"} 2",
            "careerbot_votes_total{vote=\"down\"} 1",
            "# UNIT careerbot_answer_latency_seconds seconds",
            "# EOF",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn fixed_labels_exist_before_any_event() {
        let text = Metrics::new().render();
        for line in [
            "careerbot_reloads_total{outcome=\"failed\"} 0",
            "careerbot_votes_total{vote=\"down\"} 0",
            "careerbot_gateway_connected 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn reconnects_count_sessions_after_the_first() {
        let m = Metrics::new();
        let reconnects = |m: &Metrics| m.reconnects.get();
        m.gateway_session();
        m.gateway_connected(true);
        assert_eq!(reconnects(&m), 0);
        m.gateway_connected(false);
        m.gateway_session();
        assert_eq!(reconnects(&m), 1);
        // A session replaced without a "down" seen in between still counts.
        m.gateway_session();
        assert_eq!(reconnects(&m), 2);
        assert!(m.health().ok || !m.index_loaded.load(Ordering::SeqCst));
        assert!(
            m.render()
                .contains("careerbot_gateway_reconnects_total 2\n")
        );
    }

    #[test]
    fn health_needs_gateway_and_index() {
        let m = Metrics::new();
        let h = m.health();
        assert!(!h.ok);
        assert!(h.reason.contains("gateway") && h.reason.contains("index"));
        m.gateway_connected(true);
        assert_eq!(m.health().reason, "no index loaded");
        m.knowledge(0, 1);
        assert!(!m.health().ok, "an empty index is not an index");
        m.knowledge(10, 1);
        assert_eq!(
            m.health(),
            Health {
                ok: true,
                reason: ""
            }
        );
        m.gateway_connected(false);
        assert_eq!(m.health().reason, "not connected to the Discord gateway");
    }

    #[test]
    fn wrong_method_and_path() {
        let m = Metrics::new();
        let r = respond(&m, &Method::POST, "/metrics");
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()[ALLOW], "GET, HEAD");
        assert_eq!(
            respond(&m, &Method::GET, "/").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            respond(&m, &Method::HEAD, "/healthz").status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    /// A raw HTTP/1.1 GET; returns (status, whole response text).
    async fn get(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut buf = String::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut buf))
            .await
            .expect("response within 10 s")
            .unwrap();
        let status = buf
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {buf:?}"));
        (status, buf)
    }

    #[tokio::test]
    async fn serves_healthz_and_metrics_over_http() {
        let m = Arc::new(Metrics::new());
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), m.clone())
            .await
            .unwrap();
        assert_ne!(addr.port(), 0);

        let (status, text) = get(addr, "GET", "/healthz").await;
        assert_eq!(status, 503, "{text}");
        assert!(
            text.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{text}"
        );
        assert!(text.contains("\"status\":\"unavailable\""), "{text}");
        assert!(text.contains("\"reason\":\""), "{text}");

        m.gateway_connected(true);
        m.knowledge(5, 1);
        let (status, text) = get(addr, "GET", "/healthz").await;
        assert_eq!(status, 200, "{text}");
        assert!(text.ends_with("{\"status\":\"ok\"}\n"), "{text}");

        m.answered("ask", false, Duration::from_millis(2));
        let (status, text) = get(addr, "GET", "/metrics").await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains(METRICS_CONTENT_TYPE), "{text}");
        assert!(
            text.contains("careerbot_answers_total{command=\"ask\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("careerbot_entries 5\n"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");

        assert_eq!(get(addr, "GET", "/nope").await.0, 404);
        assert_eq!(get(addr, "DELETE", "/healthz").await.0, 405);

        task.abort();
    }

    /// A client that sent half a request and then says nothing.
    async fn slow_client(addr: SocketAddr) -> tokio::net::TcpStream {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        s
    }

    #[tokio::test]
    async fn healthz_is_answered_while_64_slow_clients_hold_connections() {
        let m = Arc::new(Metrics::new());
        m.gateway_connected(true);
        m.knowledge(5, 1);
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), m).await.unwrap();
        let mut slow = Vec::new();
        for _ in 0..64 {
            slow.push(slow_client(addr).await);
        }
        // Before: 32 slots, each held for 10 s, so the probe waited ~20 s.
        let (status, text) = get(addr, "GET", "/healthz").await;
        assert_eq!(status, 200, "{text}");
        drop(slow);
        task.abort();
    }

    #[tokio::test]
    async fn a_full_server_answers_503_at_once_instead_of_queueing() {
        let limits = Limits {
            connections: 2,
            header_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(60),
        };
        let m = Arc::new(Metrics::new());
        m.gateway_connected(true);
        m.knowledge(5, 1);
        let (addr, task) = serve_with("127.0.0.1:0".parse().unwrap(), m, limits)
            .await
            .unwrap();
        // Accepted in order: these two hold both slots when the probe comes.
        let slow = [slow_client(addr).await, slow_client(addr).await];
        let (status, text) = get(addr, "GET", "/healthz").await;
        assert_eq!(status, 503, "{text}");
        assert!(text.contains("too many connections"), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("retry-after: 1"),
            "{text}"
        );
        drop(slow);
        task.abort();
    }

    #[tokio::test]
    async fn a_connection_is_closed_at_its_deadline_whatever_the_client_does() {
        let limits = Limits {
            connections: 4,
            header_timeout: Duration::from_secs(60),
            deadline: Duration::from_millis(200),
        };
        let (addr, task) = serve_with(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(Metrics::new()),
            limits,
        )
        .await
        .unwrap();
        let mut s = slow_client(addr).await;
        let mut buf = [0u8; 64];
        // The server hangs up (EOF or reset); the client never finished.
        let read = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("closed by the server within 10 s");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        task.abort();
    }

    #[tokio::test]
    async fn bind_failure_says_what_to_do() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let e = serve(addr, Arc::new(Metrics::new())).await.err().unwrap();
        let msg = format!("{e:#}");
        assert!(msg.contains(&addr.to_string()), "{msg}");
        assert!(msg.contains("hint:"), "{msg}");
    }
}
