//! `cargo bench --bench bot`: the Discord bot under load on loopback.
//!
//! The real serenity client, started through `careerbot::discord::{load,
//! client}` exactly as `careerbot serve` does, connects to the fake Discord
//! of the integration tests (`tests/it/fake_discord.rs`: HTTP API + gateway
//! WebSocket on 127.0.0.1). The fake then pushes `/ask` INTERACTION_CREATE
//! events, questions from the seeded load generator
//! (`synth::load_questions`, seed 42), and each latency is the time
//! from just before the fake builds the event to the bot's callback POST
//! arriving back at the fake, matched by interaction token.
//!
//! Two runs per corpus (the shipped `faq/`, then a synthetic one 100× its
//! size, `synth::generate`, seed 42):
//! - closed loop: a fixed count of `/ask` with N in flight (a new one as each
//!   callback arrives): the throughput the bot sustains;
//! - paced: the target rate (500/s), open loop: callback latency at that rate.
//!
//! Each corpus runs in its own child process (this binary again), so its
//! resident memory (VmRSS, peak VmHWM from /proc/self/status) is the bot's
//! alone plus the fake and the load generator that share the process; the
//! index is built beforehand by the parent, as a deployed bot finds it.
//! Figures only; nothing is asserted (timing belongs here, never in a test).

mod common;
// Shared with the binary (its tests are the binary's to run).
#[allow(dead_code, unused_imports)]
#[path = "../tests/it/fake_discord.rs"]
mod fake_discord;
#[allow(dead_code)]
#[path = "../src/synth.rs"]
mod synth;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use careerbot::config::{Config, Token};
use careerbot::discord;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use common::{pct, status};
use fake_discord::{FakeDiscord, Request};

/// The fake's default log path is relative to this (the bench sends its log
/// to a temp file instead, see `main`).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SEED: u64 = 42;
const WARMUP: usize = 200;
const COUNT: usize = 5_000;
const IN_FLIGHT: usize = 64;
const PACED_RATE: f64 = 500.0;
const PACED_SECONDS: f64 = 5.0;
const SCALE: usize = 100;
/// A run gives up when no callback arrives for this long.
const STALL: Duration = Duration::from_secs(10);

const TARGET_RATE: f64 = 500.0;
const TARGET_P99: Duration = Duration::from_millis(50);
const TARGET_RSS_MB: f64 = 150.0;

const PHASE_ENV: &str = "CAREERBOT_BOT_BENCH_PHASE";

/// VmRSS and VmHWM (peak) of this process, in bytes.
fn memory() -> (u64, u64) {
    (status("VmRSS"), status("VmHWM"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What a request from the bot is to an interaction (by its token): the
/// callback (`POST …/interactions/{id}/{token}/callback`) or the edit that
/// completes a deferred one (`PATCH …/webhooks/{app}/{token}/messages/@original`).
fn classify(r: &Request) -> Option<(&str, bool)> {
    let path = r.path.split('?').next()?;
    let seg: Vec<&str> = path.split('/').collect();
    match (r.method.as_str(), seg.as_slice()) {
        ("POST", [.., "interactions", _, token, "callback"]) => Some((token, true)),
        ("PATCH", [.., "webhooks", _, token, "messages", "@original"]) => Some((token, false)),
        _ => None,
    }
}

#[derive(Default)]
struct Run {
    sent: usize,
    /// Pushed → callback received (Discord's 3-second acknowledgement).
    callbacks: Vec<Duration>,
    /// Pushed → the answer itself received (the callback, or the edit of a
    /// deferred one).
    answers: Vec<Duration>,
    deferred: usize,
    answered: usize,
    abstained: usize,
    errors: usize,
    /// Requests that were neither callback nor edit of a pending interaction.
    other: usize,
    elapsed: Duration,
}

/// Interactions in flight: when pushed, and whether the callback came.
type Pending = HashMap<String, (Instant, bool)>;

fn sorted(v: &[Duration]) -> Vec<Duration> {
    let mut v = v.to_vec();
    v.sort();
    v
}

impl Run {
    fn unanswered(&self) -> usize {
        self.sent - self.answers.len()
    }
    fn rate(&self) -> f64 {
        self.answers.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn push(&mut self, pending: &mut Pending, token: String, at: Instant) {
        pending.insert(token, (at, false));
        self.sent += 1;
    }
    fn record(&mut self, r: &Request, pending: &mut Pending) {
        let Some((token, is_callback)) = classify(r) else {
            self.other += 1;
            return;
        };
        let Some(&(sent_at, called_back)) = pending.get(token) else {
            self.other += 1;
            return;
        };
        if is_callback == called_back {
            self.other += 1; // a second callback, or an edit before the callback
            return;
        }
        let latency = r.at.duration_since(sent_at);
        let reply = if is_callback {
            self.callbacks.push(latency);
            if r.body["type"] == 5 {
                self.deferred += 1;
                pending.insert(token.to_string(), (sent_at, true));
                return;
            }
            if r.body["type"] != 4 {
                self.errors += 1;
            }
            &r.body["data"]
        } else {
            &r.body
        };
        pending.remove(token);
        self.answers.push(latency);
        if reply["content"]
            .as_str()
            .is_some_and(|c| c.starts_with("Something went wrong"))
        {
            self.errors += 1;
        } else if reply["embeds"].as_array().is_some_and(|e| !e.is_empty()) {
            self.answered += 1;
        } else {
            self.abstained += 1;
        }
    }
    fn summary(&self) -> String {
        let (c, a) = (sorted(&self.callbacks), sorted(&self.answers));
        format!(
            "{:.0} answers/s; callback p50 {:.2} ms p99 {:.2} ms max {:.2} ms; \
             answer p99 {:.2} ms; answered {} abstained {} deferred {} errors {} unanswered {} (sent {})",
            self.rate(),
            ms(pct(&c, 0.5)),
            ms(pct(&c, 0.99)),
            ms(c.last().copied().unwrap_or_default()),
            ms(pct(&a, 0.99)),
            self.answered,
            self.abstained,
            self.deferred,
            self.errors,
            self.unanswered(),
            self.sent,
        )
    }
    fn json(&self) -> Value {
        let (c, a) = (sorted(&self.callbacks), sorted(&self.answers));
        json!({
            "sent": self.sent,
            "unanswered": self.unanswered(),
            "errors": self.errors,
            "deferred": self.deferred,
            "rate": self.rate(),
            "p50_ms": ms(pct(&c, 0.5)),
            "p99_ms": ms(pct(&c, 0.99)),
            "max_ms": ms(c.last().copied().unwrap_or_default()),
            "answer_p99_ms": ms(pct(&a, 0.99)),
        })
    }
}

/// Pushes `/ask` with `q`; returns its token and when it was pushed.
fn ask(fake: &FakeDiscord, q: &str) -> (String, Instant) {
    let at = Instant::now();
    (fake.command("ask", &[("question", q)]), at)
}

/// Takes one request off the tap; false when the run stalled.
async fn receive(
    tap: &mut UnboundedReceiver<Request>,
    pending: &mut Pending,
    run: &mut Run,
) -> bool {
    match tokio::time::timeout(STALL, tap.recv()).await {
        Ok(Some(r)) => {
            run.record(&r, pending);
            true
        }
        _ => false,
    }
}

/// Closed loop: every question, `in_flight` at a time.
async fn closed_loop(
    fake: &FakeDiscord,
    tap: &mut UnboundedReceiver<Request>,
    questions: &[String],
    in_flight: usize,
) -> Run {
    let mut run = Run::default();
    let mut pending = HashMap::new();
    let mut next = questions.iter();
    let start = Instant::now();
    loop {
        while pending.len() < in_flight {
            let Some(q) = next.next() else { break };
            let (token, at) = ask(fake, q);
            run.push(&mut pending, token, at);
        }
        if pending.is_empty() || !receive(tap, &mut pending, &mut run).await {
            break;
        }
    }
    run.elapsed = start.elapsed();
    run
}

/// Open loop: one question every 1/`rate` s, whatever is still in flight.
async fn paced(
    fake: &FakeDiscord,
    tap: &mut UnboundedReceiver<Request>,
    questions: &[String],
    rate: f64,
) -> Run {
    let mut run = Run::default();
    let mut pending = HashMap::new();
    let mut next = questions.iter();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut done_sending = false;
    loop {
        if done_sending && pending.is_empty() {
            break;
        }
        tokio::select! {
            _ = tick.tick(), if !done_sending => match next.next() {
                Some(q) => {
                    let (token, at) = ask(fake, q);
                    run.push(&mut pending, token, at);
                }
                None => done_sending = true,
            },
            ok = receive(tap, &mut pending, &mut run) => if !ok { break },
        }
    }
    run.elapsed = start.elapsed();
    run
}

/// One corpus, in this (child) process: start the bot against the fake,
/// load it, print its lines and write its figures as JSON to `out`.
async fn phase(label: &str, faq: &Path, index: &Path, out: &Path) {
    // The bot logs every interaction, with `careerbot serve`'s default
    // filter (src/cli.rs); formatted, then dropped, so the cost is in the
    // figures. (Plain `info` would also format serenity's per-request span,
    // a Debug dump of every request body: ~12% of the CPU under load.)
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn,careerbot=info"))
        .with_writer(std::io::sink)
        .try_init();
    let fake = FakeDiscord::start().await;
    let (before_bot, _) = memory();
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        faq_dir: faq.to_path_buf(),
        index_dir: index.to_path_buf(),
        data_dir: data_dir.path().to_path_buf(),
        ..Config::default()
    };
    config.discord.guild_id = Some(700000000000000001);
    config.discord.api_proxy = Some(fake.http_base.clone());
    config.cooldown.ask_seconds = 0;
    let t = Instant::now();
    let data = Arc::new(discord::load(&config).await.expect("faq/ loads"));
    let loaded = t.elapsed();
    let documents = data.live.get().engine.documents;
    let mut client = discord::client(&config, &Token::new("fake.bot.token"), data)
        .await
        .unwrap();
    let shards = Arc::clone(&client.shard_manager);
    tokio::spawn(async move { client.start().await });
    fake.wait_request("PUT", "/commands").await;
    let ready = t.elapsed();
    let (at_ready, _) = memory();
    println!(
        "[{label}] {documents} documents: knowledge loaded in {:.0} ms, connected and commands registered at {:.0} ms",
        ms(loaded),
        ms(ready)
    );

    // From here on the fake keeps nothing per request: memory is the bot's.
    fake.set_quiet(true);
    let mut tap = fake.tap();
    let paced_count = (PACED_RATE * PACED_SECONDS) as usize;
    let questions = synth::load_questions(SEED, WARMUP + COUNT + paced_count);
    let (warm, rest) = questions.split_at(WARMUP);
    let (load, paced_qs) = rest.split_at(COUNT);

    let w = closed_loop(&fake, &mut tap, warm, IN_FLIGHT).await;
    if w.unanswered() > 0 {
        println!("[{label}] warm-up: {}", w.summary());
    }
    let closed = closed_loop(&fake, &mut tap, load, IN_FLIGHT).await;
    println!(
        "[{label}] closed loop, {COUNT} /ask, {IN_FLIGHT} in flight: {}",
        closed.summary()
    );
    let (after_closed, _) = memory();
    // The same load again: memory that keeps growing here would be a leak,
    // not the allocator's working set settling.
    let again = closed_loop(&fake, &mut tap, load, IN_FLIGHT).await;
    let (after_again, _) = memory();
    println!(
        "[{label}] the closed loop again: {:.0} answers/s; resident memory {:.1} MiB after the first, {:.1} MiB after the second",
        again.rate(),
        mib(after_closed),
        mib(after_again)
    );
    let open = paced(&fake, &mut tap, paced_qs, PACED_RATE).await;
    println!(
        "[{label}] paced at {PACED_RATE:.0}/s, {paced_count} /ask: {}",
        open.summary()
    );
    let (after, peak) = memory();
    println!(
        "[{label}] resident memory of the process (bot + fake Discord + load generator): \
         {:.1} MiB before the bot, {:.1} MiB ready, {:.1} MiB after the runs \
         ({:.1} MiB heap and stacks + {:.1} MiB mapped files: binary, index), peak {:.1} MiB ({:.1} MB)",
        mib(before_bot),
        mib(at_ready),
        mib(after),
        mib(status("RssAnon")),
        mib(status("RssFile")),
        mib(peak),
        peak as f64 / 1e6
    );
    let other = w.other + closed.other + again.other + open.other;
    if other > 0 {
        println!(
            "[{label}] {other} other requests during the runs (not callbacks of a pending /ask)"
        );
    }
    let result = json!({
        "label": label,
        "documents": documents,
        "ready_ms": ms(ready),
        "closed": closed.json(),
        "again": again.json(),
        "paced": open.json(),
        "rss_before_bot": before_bot,
        "rss_ready": at_ready,
        "rss_after": after,
        "peak": peak,
    });
    std::fs::write(out, result.to_string()).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), shards.shutdown_all()).await;
}

/// Runs one phase in a child process; returns its figures.
fn child(label: &str, faq: &Path, index: &Path, log: &Path) -> Value {
    // The index is built here, so the child measures serving, not building.
    careerbot::knowledge::Knowledge::load(faq, index).expect("faq/ loads");
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .env(PHASE_ENV, label)
        .env("CAREERBOT_BOT_BENCH_FAQ", faq)
        .env("CAREERBOT_BOT_BENCH_INDEX", index)
        .env("CAREERBOT_BOT_BENCH_OUT", out.path())
        .env("CAREERBOT_FAKE_DISCORD_LOG", log)
        .env_remove("RUST_LOG")
        .status()
        .unwrap();
    assert!(status.success(), "the {label} run failed: {status}");
    serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap()
}

fn main() {
    if let Ok(label) = std::env::var(PHASE_ENV) {
        let path = |k: &str| PathBuf::from(std::env::var_os(k).expect(k));
        let rt = tokio::runtime::Runtime::new().unwrap(); // as `careerbot serve`
        rt.block_on(phase(
            &label,
            &path("CAREERBOT_BOT_BENCH_FAQ"),
            &path("CAREERBOT_BOT_BENCH_INDEX"),
            &path("CAREERBOT_BOT_BENCH_OUT"),
        ));
        // Blocking-pool threads idle out on their own; don't wait for them.
        std::process::exit(0);
    }

    let root = root();
    let faq = root.join("faq");
    let tmp = tempfile::tempdir().unwrap();
    // The fake's request log (for CI's OpenAPI check) stays out of target/.
    let log = tmp.path().join("fake-discord-requests.jsonl");
    println!(
        "machine: {} cores; release build; bot, fake Discord (loopback) and load generator in one process per corpus",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "load: synth::load_questions(seed {SEED}); {WARMUP} warm-up /ask first; \
         latency = event pushed by the fake → callback POST received by the fake"
    );
    // Other work on the machine skews every figure: show how busy it was.
    let loadavg = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", loadavg().trim());
    let shipped = child("shipped", &faq, &tmp.path().join("index-shipped"), &log);

    let big = tmp.path().join(format!("faq-{SCALE}x"));
    let (corpus, _) = careerbot::corpus::load(&faq);
    synth::write(&faq, &corpus, SCALE, SEED, &big).unwrap();
    drop(corpus);
    // Flush the 20,000 files just written, or the disk's writeback lands on
    // the run (the bot fsyncs its event log on every answer).
    // SAFETY: `sync` takes no arguments and only schedules writeback.
    unsafe { libc::sync() };
    let scaled = child(
        &format!("{SCALE}x"),
        &big,
        &tmp.path().join(format!("index-{SCALE}x")),
        &log,
    );

    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let row = |what: &str, value: String, target: &str, verdict: String| {
        println!("  {what:<38} {value:>11}   {target:<16} {verdict}");
    };
    println!("load average at end: {}", loadavg().trim());
    println!("\nbot figures against the targets (issue 7; 2-core machine, loopback):");
    let (c, p) = (&shipped["closed"], &shipped["paced"]);
    row(
        &format!("[shipped] throughput, {IN_FLIGHT} in flight"),
        format!("{:.0} /s", f(&c["rate"])),
        &format!("≥ {TARGET_RATE:.0} /s"),
        mark(f(&c["rate"]) >= TARGET_RATE).into(),
    );
    row(
        &format!("[shipped] callback p99 at {PACED_RATE:.0}/s"),
        format!("{:.2} ms", f(&p["p99_ms"])),
        &format!("< {} ms", TARGET_P99.as_millis()),
        format!(
            "{} (p50 {:.2} ms, max {:.2} ms; {:.0}/s sustained)",
            mark(f(&p["p99_ms"]) < ms(TARGET_P99) && f(&p["rate"]) >= TARGET_RATE * 0.98),
            f(&p["p50_ms"]),
            f(&p["max_ms"]),
            f(&p["rate"]),
        ),
    );
    row(
        &format!("[shipped] callback p99, {IN_FLIGHT} in flight"),
        format!("{:.2} ms", f(&c["p99_ms"])),
        "no target",
        format!(
            "(a closed loop queues: mean ≈ {IN_FLIGHT} / throughput = {:.1} ms)",
            IN_FLIGHT as f64 * 1000.0 / f(&c["rate"])
        ),
    );
    row(
        "[shipped] resident memory, peak",
        format!("{:.1} MB", f(&shipped["peak"]) / 1e6),
        &format!("< {TARGET_RSS_MB:.0} MB at {SCALE}×"),
        "(includes the fake and the load generator)".into(),
    );
    let (c, p) = (&scaled["closed"], &scaled["paced"]);
    row(
        &format!("[{SCALE}x] throughput, {IN_FLIGHT} in flight"),
        format!("{:.0} /s", f(&c["rate"])),
        "no target",
        format!("(callback p99 {:.2} ms)", f(&c["p99_ms"])),
    );
    row(
        &format!("[{SCALE}x] callback p99 at {PACED_RATE:.0}/s"),
        format!("{:.2} ms", f(&p["p99_ms"])),
        "no target",
        format!(
            "({:.0}/s sustained; {} deferred, answer p99 {:.2} ms)",
            f(&p["rate"]),
            p["deferred"],
            f(&p["answer_p99_ms"])
        ),
    );
    for (what, key) in [("ready", "rss_ready"), ("peak", "peak")] {
        row(
            &format!("[{SCALE}x] resident memory, {what}"),
            format!("{:.1} MB", f(&scaled[key]) / 1e6),
            &format!("< {TARGET_RSS_MB:.0} MB"),
            format!(
                "{} (includes the fake and the load generator)",
                mark(f(&scaled[key]) / 1e6 < TARGET_RSS_MB)
            ),
        );
    }
    let lost: u64 = [&shipped, &scaled]
        .iter()
        .flat_map(|r| [&r["closed"], &r["again"], &r["paced"]])
        .map(|x| x["unanswered"].as_u64().unwrap_or(0) + x["errors"].as_u64().unwrap_or(0))
        .sum();
    row(
        "[both] /ask unanswered or failed",
        lost.to_string(),
        "0",
        mark(lost == 0).into(),
    );
}
