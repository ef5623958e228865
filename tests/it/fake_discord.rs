//! A fake Discord on 127.0.0.1: the HTTP API routes the bot uses and a
//! gateway WebSocket. Every HTTP request is recorded (method, path, JSON body)
//! in memory and appended to a JSON-lines log (`CAREERBOT_FAKE_DISCORD_LOG`,
//! default `target/fake-discord-requests.jsonl`) that CI checks against
//! Discord's OpenAPI spec.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub const APP_ID: &str = "900000000000000001";
pub const BOT_ID: &str = "900000000000000002";
/// Every wait in the tests gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub at: Instant,
}

enum GatewayCmd {
    Dispatch(&'static str, Value),
    /// A raw gateway payload (e.g. op 9, invalid session).
    Raw(Value),
    Close(u16),
}

/// A canned error for the next request matching `method` and `suffix`.
struct Failure {
    method: String,
    suffix: String,
    status: &'static str,
    body: Value,
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Request>>,
    /// Gateway opcodes the bot sent, in order.
    ops: Mutex<Vec<u64>>,
    /// The live gateway connection.
    conn: Mutex<Option<mpsc::UnboundedSender<GatewayCmd>>>,
    seq: AtomicU64,
    changed: Notify,
    /// Events dispatched while no session was up, replayed on RESUME (as
    /// Discord replays what a resuming client missed).
    missed: Mutex<Vec<(&'static str, Value)>>,
    /// Canned errors, each used once (see [`FakeDiscord::fail_next`]).
    failures: Mutex<Vec<Failure>>,
    /// Load runs: requests go to the taps only (not kept, not logged).
    quiet: AtomicBool,
    /// Receivers of every request as it arrives (see [`FakeDiscord::tap`]).
    taps: Mutex<Vec<mpsc::UnboundedSender<Request>>>,
}

pub struct FakeDiscord {
    state: Arc<State>,
    pub http_base: String,
    next_id: AtomicU64,
    /// The message id given to each reply the bot sent (by request path),
    /// so that clicks on one reply all name one message.
    reply_ids: Mutex<std::collections::HashMap<String, String>>,
}

fn log_path() -> PathBuf {
    std::env::var_os("CAREERBOT_FAKE_DISCORD_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target/fake-discord-requests.jsonl"))
}

static LOG: Mutex<()> = Mutex::new(());

fn append_log(r: &Request) {
    let _guard = LOG.lock().unwrap_or_else(|e| e.into_inner());
    let path = log_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let line = json!({"method": r.method, "path": r.path, "body": r.body}).to_string() + "\n";
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("fake Discord log opens");
    f.write_all(line.as_bytes()).unwrap();
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_base = format!("http://{}", http.local_addr().unwrap());
        let ws_url = format!("ws://{}", ws.local_addr().unwrap());
        let state = Arc::new(State::default());
        let (s, url) = (Arc::clone(&state), ws_url.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = http.accept().await {
                tokio::spawn(serve_http(sock, Arc::clone(&s), url.clone()));
            }
        });
        let s = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((sock, _)) = ws.accept().await {
                tokio::spawn(serve_gateway(sock, Arc::clone(&s)));
            }
        });
        FakeDiscord {
            state,
            http_base,
            next_id: AtomicU64::new(1),
            reply_ids: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn ops(&self) -> Vec<u64> {
        self.state.ops.lock().unwrap().clone()
    }

    /// Every HTTP request from now on, as it arrives: a load run waits on
    /// this instead of rescanning [`FakeDiscord::requests`].
    #[allow(dead_code)] // used by benches/bot.rs
    pub fn tap(&self) -> mpsc::UnboundedReceiver<Request> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state.taps.lock().unwrap().push(tx);
        rx
    }

    /// Quiet: requests reach the taps only, neither kept in memory nor
    /// appended to the log, so a long load run stays flat in memory.
    #[allow(dead_code)] // used by benches/bot.rs
    pub fn set_quiet(&self, quiet: bool) {
        self.state.quiet.store(quiet, Ordering::Relaxed);
    }

    /// Waits (at most [`TIMEOUT`]) until `f` finds something in the state.
    pub async fn wait_for<T>(&self, what: &str, mut f: impl FnMut(&FakeDiscord) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let changed = self.state.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(v) = f(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!(
                    "timed out waiting for {what}; requests: {:#?}; gateway ops: {:?}",
                    self.requests()
                        .iter()
                        .map(|r| format!("{} {}", r.method, r.path))
                        .collect::<Vec<_>>(),
                    self.ops()
                );
            }
        }
    }

    /// The first request matching `method` and a path ending with `suffix`.
    pub async fn wait_request(&self, method: &str, suffix: &str) -> Request {
        self.wait_for(&format!("{method} …{suffix}"), |f| {
            f.requests()
                .into_iter()
                .find(|r| r.method == method && r.path.ends_with(suffix))
        })
        .await
    }

    /// Waits for the gateway session (after IDENTIFY or RESUME) to be up.
    pub async fn wait_op(&self, op: u64, count: usize) {
        self.wait_for(&format!("gateway op {op} ×{count}"), |f| {
            (f.ops().iter().filter(|&&o| o == op).count() >= count).then_some(())
        })
        .await;
    }

    /// Dispatches an event now, or, with no session up, when the bot resumes.
    fn dispatch(&self, t: &'static str, d: Value) {
        let conn = self.state.conn.lock().unwrap();
        match conn.as_ref() {
            Some(c) => c
                .send(GatewayCmd::Dispatch(t, d))
                .expect("gateway connection alive"),
            None => self.state.missed.lock().unwrap().push((t, d)),
        }
    }

    /// Sends op 9 (invalid session; `resumable: false` makes the bot identify
    /// anew) and takes the session down.
    #[allow(dead_code)]
    pub fn invalidate_session(&self, resumable: bool) {
        self.end_session(GatewayCmd::Raw(
            json!({"op": 9, "d": resumable, "s": null, "t": null}),
        ));
    }

    /// The next request matching `method` and path `suffix` gets `status`
    /// and `body` instead of its normal answer (once).
    #[allow(dead_code)]
    pub fn fail_next(&self, method: &str, suffix: &str, status: &'static str, body: Value) {
        self.state.failures.lock().unwrap().push(Failure {
            method: method.into(),
            suffix: suffix.into(),
            status,
            body,
        });
    }

    /// Closes the gateway connection with a resumable close code.
    pub fn drop_gateway(&self) {
        self.end_session(GatewayCmd::Close(4000));
    }

    /// Takes the session down with `last` as its final frame, in one step:
    /// the bot may be back on a new connection before this returns.
    fn end_session(&self, last: GatewayCmd) {
        let conn = self.state.conn.lock().unwrap().take();
        conn.expect("a gateway connection")
            .send(last)
            .expect("gateway connection alive");
    }

    fn id(&self) -> String {
        (800000000000000000 + self.next_id.fetch_add(1, Ordering::SeqCst)).to_string()
    }

    /// Pushes an INTERACTION_CREATE; returns the interaction token.
    pub fn interaction(&self, kind: u8, data: Value, extra: Value) -> String {
        let id = self.id();
        let token = format!("itoken{id}");
        let mut d = json!({
            "id": id,
            "application_id": APP_ID,
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": "700000000000000001",
            "channel_id": "700000000000000002",
            "channel": {"id": "700000000000000002", "type": 0, "name": "careers", "guild_id": "700000000000000001", "permissions": "0"},
            "member": {
                "user": {"id": "600000000000000001", "username": "member", "discriminator": "0", "global_name": "Member", "avatar": null},
                "roles": [],
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
                "permissions": "2248473465835073",
                "pending": false
            },
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": "700000000000000001"},
            "context": 0,
            "attachment_size_limit": 10485760,
            "app_permissions": "2248473465835073",
            "data": data,
        });
        if let (Some(d), Some(extra)) = (d.as_object_mut(), extra.as_object()) {
            d.extend(extra.clone());
        }
        // A payload serenity cannot read is dropped silently: fail loudly here.
        if let Err(e) = serde_json::from_value::<serenity::all::Interaction>(d.clone()) {
            panic!("payload has a shape serenity cannot read: {e}\n{d:#}");
        }
        self.dispatch("INTERACTION_CREATE", d);
        token
    }

    /// A member (not the bot) posting `content` in `channel_id`.
    #[allow(dead_code)]
    pub fn message(&self, channel_id: &str, content: &str) -> String {
        let id = self.id();
        let mut m = message_json(&id, channel_id, content);
        m["author"] = member_user();
        m["guild_id"] = json!("700000000000000001");
        if let Err(e) = serde_json::from_value::<serenity::all::Message>(m.clone()) {
            panic!("payload has a shape serenity cannot read: {e}\n{m:#}");
        }
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// The message context-menu command `name` run on a member's message.
    #[allow(dead_code)]
    pub fn message_command(&self, name: &str, content: &str) -> String {
        let target = self.id();
        self.message_command_on(name, &target, content, member_user(), json!({}))
    }

    /// The message context-menu command `name` run by the member in `extra`
    /// (see [`FakeDiscord::interaction`]; `{}`: the usual member) on message
    /// `target`, written by `author`.
    #[allow(dead_code)]
    pub fn message_command_on(
        &self,
        name: &str,
        target: &str,
        content: &str,
        author: Value,
        extra: Value,
    ) -> String {
        let mut m = message_json(target, "700000000000000002", content);
        m["author"] = author;
        self.interaction(
            2,
            json!({"id": "500000000000000009", "name": name, "type": 3, "target_id": target,
                   "resolved": {"messages": {target: m}}}),
            extra,
        )
    }

    /// A slash command (type 2) with string options.
    pub fn command(&self, name: &str, options: &[(&str, &str)]) -> String {
        let opts: Vec<Value> = options
            .iter()
            .map(|(n, v)| json!({"name": n, "type": 3, "value": v}))
            .collect();
        self.interaction(
            2,
            json!({"id": "500000000000000001", "name": name, "type": 1, "options": opts}),
            json!({}),
        )
    }

    /// An autocomplete request (type 4) with `focused` being typed.
    pub fn autocomplete(&self, name: &str, focused: (&str, &str)) -> String {
        self.interaction(
            4,
            json!({"id": "500000000000000001", "name": name, "type": 1,
                   "options": [{"name": focused.0, "type": 3, "value": focused.1, "focused": true}]}),
            json!({}),
        )
    }

    /// A click on the button `custom_id` of the message the bot sent as
    /// `reply` (an interaction callback, a deferred reply's edit or a channel
    /// message): as Discord does, the interaction carries that message with
    /// its components. A `custom_id` that is not among them is a forgery.
    pub fn click(&self, reply: &Request, custom_id: &str) -> String {
        let components = [&reply.body["data"]["components"], &reply.body["components"]]
            .into_iter()
            .find(|c| c.is_array())
            .cloned()
            .unwrap_or(json!([]));
        let id = self
            .reply_ids
            .lock()
            .unwrap()
            .entry(reply.path.clone())
            .or_insert_with(|| self.id())
            .clone();
        self.click_on(&id, components, custom_id)
    }

    /// A button click (type 3) with `custom_id` on a bot message that has no
    /// buttons: what a forged click (or a stale client) sends.
    pub fn button(&self, custom_id: &str) -> String {
        self.click_on("400000000000000001", json!([]), custom_id)
    }

    fn click_on(&self, message_id: &str, components: Value, custom_id: &str) -> String {
        let message = json!({
            "id": message_id,
            "channel_id": "700000000000000002",
            "author": {"id": BOT_ID, "username": "careerbot", "discriminator": "0", "avatar": null, "bot": true},
            "content": "",
            "timestamp": "2024-01-01T00:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 20,
            "flags": 0,
            "components": components,
        });
        self.interaction(
            3,
            json!({"custom_id": custom_id, "component_type": 2}),
            json!({"message": message}),
        )
    }

    /// The callback the bot sent for the interaction with `token`.
    pub async fn callback(&self, token: &str) -> Request {
        self.wait_request("POST", &format!("/{token}/callback"))
            .await
    }
}

async fn serve_gateway(sock: TcpStream, state: Arc<State>) {
    let _ = sock.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}, "s": null, "t": null});
    if ws.send(Message::Text(hello.to_string())).await.is_err() {
        return;
    }
    let mut registered = Some(tx);
    loop {
        tokio::select! {
            msg = ws.next() => {
                let Some(Ok(msg)) = msg else { return };
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let op = v["op"].as_u64().unwrap_or(u64::MAX);
                let reply = match op {
                    2 => Some(("READY", json!({
                        "v": 10,
                        "user": {"id": BOT_ID, "username": "careerbot", "discriminator": "0", "global_name": null, "avatar": null, "bot": true, "verified": true, "flags": 0, "mfa_enabled": false},
                        "guilds": [],
                        "session_id": "fake-session",
                        "resume_gateway_url": "ws://127.0.0.1:1",
                        "shard": [0, 1],
                        "application": {"id": APP_ID, "flags": 0},
                    }))),
                    6 => Some(("RESUMED", json!({}))),
                    1 => {
                        let ack = json!({"op": 11, "d": null, "s": null, "t": null});
                        if ws.send(Message::Text(ack.to_string())).await.is_err() { return; }
                        None
                    }
                    _ => None,
                };
                // The session is usable once answered: publish the connection
                // (queueing what a resumed session missed) before READY or
                // RESUMED goes out. Whatever is dispatched from then on waits
                // in the queue, which this loop serves only after the reply:
                // published after it, an event sent while the bot was already
                // acting on READY could find no connection and be lost.
                if matches!(op, 2 | 6) && let Some(tx) = registered.take() {
                    let missed = std::mem::take(&mut *state.missed.lock().unwrap());
                    if op == 6 {
                        for (t, d) in missed {
                            let _ = tx.send(GatewayCmd::Dispatch(t, d));
                        }
                    }
                    *state.conn.lock().unwrap() = Some(tx);
                }
                if let Some((t, d)) = reply {
                    let s = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
                    let ev = json!({"op": 0, "t": t, "s": s, "d": d});
                    if ws.send(Message::Text(ev.to_string())).await.is_err() { return; }
                }
                state.ops.lock().unwrap().push(op);
                state.changed.notify_waiters();
            }
            cmd = rx.recv() => {
                match cmd {
                    Some(GatewayCmd::Dispatch(t, d)) => {
                        let s = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
                        let ev = json!({"op": 0, "t": t, "s": s, "d": d});
                        if ws.send(Message::Text(ev.to_string())).await.is_err() { return; }
                    }
                    Some(GatewayCmd::Raw(v)) => {
                        if ws.send(Message::Text(v.to_string())).await.is_err() { return; }
                    }
                    Some(GatewayCmd::Close(code)) => {
                        let frame = CloseFrame { code: CloseCode::from(code), reason: "fake drop".into() };
                        let _ = ws.close(Some(frame)).await;
                        // Drain until the client closes too.
                        while let Some(Ok(_)) = ws.next().await {}
                        return;
                    }
                    None => return,
                }
            }
        }
    }
}

/// One HTTP/1.1 connection, served by hyper.
async fn serve_http(sock: TcpStream, state: Arc<State>, ws_url: String) {
    let _ = sock.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| {
        let (state, ws_url) = (Arc::clone(&state), ws_url.clone());
        async move { Ok::<_, std::convert::Infallible>(answer(req, &state, &ws_url).await) }
    });
    // A connection the bot drops mid-request just ends.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(sock), service)
        .await;
}

/// Records one request (see [`Request`]) and answers it: a canned failure
/// if one matches, else what [`route`] says.
async fn answer(
    req: hyper::Request<hyper::body::Incoming>,
    state: &State,
    ws_url: &str,
) -> hyper::Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!({"unparsed": String::from_utf8_lossy(&body)}))
    };
    let failure = {
        let mut failures = state.failures.lock().unwrap();
        let i = failures
            .iter()
            .position(|f| f.method == method && path.ends_with(&f.suffix));
        i.map(|i| failures.remove(i))
    };
    let (status, reply) = match failure {
        Some(f) => (f.status, Some(f.body)),
        None => route(&method, &path, &body, ws_url),
    };
    let req = Request {
        method,
        path,
        body,
        at: Instant::now(),
    };
    {
        let mut taps = state.taps.lock().unwrap();
        taps.retain(|t| t.send(req.clone()).is_ok());
    }
    if !state.quiet.load(Ordering::Relaxed) {
        append_log(&req);
        state.requests.lock().unwrap().push(req);
    }
    state.changed.notify_waiters();
    let text = reply.map(|v| v.to_string()).unwrap_or_default();
    let code = status
        .split_whitespace()
        .next()
        .and_then(|c| c.parse::<u16>().ok())
        .expect("a status line starts with its code");
    hyper::Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text)))
        .expect("a valid response")
}

/// The member every interaction comes from unless told otherwise.
pub fn member_user() -> Value {
    json!({"id": "600000000000000001", "username": "member", "discriminator": "0", "global_name": "Member", "avatar": null})
}

/// A message as Discord sends it, authored by the bot.
fn message_json(id: &str, channel_id: &str, content: &str) -> Value {
    json!({"id": id, "channel_id": channel_id, "author": user(),
        "content": content, "timestamp": "2024-01-01T00:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": false, "type": 0, "flags": 0, "components": []})
}

fn user() -> Value {
    json!({"id": BOT_ID, "username": "careerbot", "discriminator": "0", "global_name": null, "avatar": null, "bot": true})
}

/// Status line and JSON answer for one request.
fn route(method: &str, path: &str, body: &Value, ws_url: &str) -> (&'static str, Option<Value>) {
    let path = path.split('?').next().unwrap_or("");
    let seg: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method, seg.as_slice()) {
        ("GET", ["gateway"]) => ("200 OK", Some(json!({"url": ws_url}))),
        ("GET", ["gateway", "bot"]) => (
            "200 OK",
            Some(json!({"url": ws_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})),
        ),
        ("PUT", ["applications", app, "commands"])
        | ("PUT", ["applications", app, "guilds", _, "commands"]) => {
            let guild = seg.get(3).filter(|_| seg.len() == 5).copied();
            let echoed: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    let o = c.as_object_mut().unwrap();
                    o.insert("id".into(), json!(format!("5000000000000000{i:02}")));
                    o.insert("application_id".into(), json!(app));
                    o.insert("version".into(), json!("1"));
                    o.entry("type").or_insert(json!(1));
                    // Discord echoes context-menu commands with an empty description.
                    o.entry("description").or_insert(json!(""));
                    o.entry("default_member_permissions").or_insert(Value::Null);
                    if let Some(g) = guild {
                        o.insert("guild_id".into(), json!(g));
                    }
                    c
                })
                .collect();
            ("200 OK", Some(Value::Array(echoed)))
        }
        ("POST", ["interactions", _, _, "callback"]) => ("204 No Content", None),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => (
            "200 OK",
            Some(
                json!({"id": "400000000000000009", "channel_id": "700000000000000002", "author": user(),
                "content": "", "timestamp": "2024-01-01T00:00:00.000000+00:00", "edited_timestamp": null,
                "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": false, "type": 0}),
            ),
        ),
        ("POST", ["channels", channel, "messages"]) => {
            let mut m = message_json("400000000000000010", channel, "");
            for k in ["content", "embeds", "components"] {
                if let Some(v) = body.get(k) {
                    m[k] = v.clone();
                }
            }
            ("200 OK", Some(m))
        }
        ("GET", ["oauth2", "applications", "@me"]) => (
            "200 OK",
            Some(
                json!({"id": APP_ID, "name": "careerbot", "icon": null, "description": "", "bot_public": true,
                "bot_require_code_grant": false, "verify_key": "00", "flags": 0, "owner": user(), "team": null}),
            ),
        ),
        ("GET", ["users", "@me"]) => ("200 OK", Some(user())),
        _ => (
            "404 Not Found",
            Some(json!({"message": "404: Not Found (fake Discord)", "code": 0})),
        ),
    }
}
