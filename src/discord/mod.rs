//! The Discord adapter: serenity glue over the engine and the lookups.
//!
//! One file per command group, each a thin layer over plain functions:
//! [`answer`] (`/ask`, "Find answer", help-channel answers, 👍/👎),
//! [`lookups`] (`/salary`, `/cert`, `/faq` and autocomplete) and [`admin`]
//! (`/faqadmin`, the moderator check, the moderator log). [`commands`]
//! declares what is registered; [`format`] shapes every reply. No ranking
//! logic here: answers come from [`crate::engine`] and [`crate::lookup`]
//! unchanged.

pub mod admin;
pub mod answer;
pub mod commands;
pub mod format;
pub mod lookups;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serenity::all::{
    ActivityData, ChannelId, Client, ClientBuilder, CommandInteraction, ComponentInteraction,
    ConnectionStage, Context, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder, HttpError,
    Interaction, Message, MessageId, Ready, ResolvedValue, ResumedEvent, ShardManager,
    ShardStageUpdateEvent, UserId,
};

use crate::config::{Config, Token};
use crate::knowledge::Knowledge;
use crate::live::{Live, ReloadOutcome};
use crate::ops::Metrics;
use crate::store::Store;
use format::Reply;

/// State shared by every interaction.
pub struct Data {
    /// The knowledge serving now, swapped on reload (see [`crate::live`]).
    pub live: Arc<Live>,
    /// Unanswered questions and feedback, kept across restarts.
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    /// Last question per member (`/ask`, help channels), for the cooldown.
    last_ask: Mutex<HashMap<UserId, Instant>>,
    /// Autocomplete requests per member: plenty for typing, not for a flood.
    autocompletes: RateLimit,
    /// Messages "Find answer" was run on (the most recent ones): each is
    /// answered once.
    targets: Mutex<Targets>,
    /// Questions kept for a button ("Share", "Ask it now"), by number.
    kept: Mutex<Kept>,
}

/// Questions kept for the member who asked them: the most recent
/// [`Kept::MAX`], each used at most once.
#[derive(Default)]
struct Kept {
    next: u64,
    map: HashMap<u64, (UserId, String)>,
    order: std::collections::VecDeque<u64>,
}

impl Kept {
    const MAX: usize = 10_000;

    fn keep(&mut self, user: UserId, question: String) -> u64 {
        self.next += 1;
        let n = self.next;
        self.map.insert(n, (user, question));
        self.order.push_back(n);
        if self.order.len() > Self::MAX
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        n
    }

    /// The question kept as `n`, when `user` asked it (once).
    fn take(&mut self, n: u64, user: UserId) -> Option<String> {
        match self.map.get(&n) {
            Some((u, _)) if *u == user => self.map.remove(&n).map(|(_, q)| q),
            _ => None,
        }
    }
}

/// The last [`Targets::MAX`] messages "Find answer" looked at.
#[derive(Default)]
struct Targets {
    seen: std::collections::HashSet<MessageId>,
    order: std::collections::VecDeque<MessageId>,
}

impl Targets {
    const MAX: usize = 10_000;

    /// True the first time `id` is claimed.
    fn claim(&mut self, id: MessageId) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::MAX
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

/// Autocomplete requests a member may send within [`AUTOCOMPLETE_WINDOW`].
const AUTOCOMPLETE_BURST: u32 = 20;
const AUTOCOMPLETE_WINDOW: Duration = Duration::from_secs(5);

impl Data {
    pub fn new(live: Arc<Live>, store: Arc<Store>, metrics: Arc<Metrics>) -> Data {
        let k = live.get();
        metrics.knowledge(
            k.entries as u64,
            live.generation.load(std::sync::atomic::Ordering::SeqCst),
        );
        Data {
            live,
            store,
            metrics,
            last_ask: Mutex::new(HashMap::new()),
            autocompletes: RateLimit::new(AUTOCOMPLETE_BURST, AUTOCOMPLETE_WINDOW),
            targets: Mutex::new(Targets::default()),
            kept: Mutex::new(Kept::default()),
        }
    }

    /// True the first time "Find answer" is run on message `id` (of the
    /// last 10,000 such messages).
    pub(crate) fn claim_target(&self, id: MessageId) -> bool {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .claim(id)
    }

    /// Keeps `question` for a button of `user`'s; returns its number.
    pub(crate) fn keep(&self, user: UserId, question: String) -> u64 {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep(user, question)
    }

    /// The question kept as `n` for `user` (each is used once).
    pub(crate) fn take_kept(&self, n: u64, user: UserId) -> Option<String> {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(n, user)
    }

    /// What to answer from right now (an `Arc` clone: a reply never mixes
    /// two generations).
    pub fn knowledge(&self) -> Arc<Knowledge> {
        self.live.get()
    }

    /// Reloads `faq/` off the async threads and updates the metrics.
    pub async fn reload(self: &Arc<Self>) -> Result<ReloadOutcome> {
        let live = Arc::clone(&self.live);
        let outcome = blocking(move || live.reload()).await?;
        self.observe_reload(&outcome);
        Ok(outcome)
    }

    fn observe_reload(&self, outcome: &ReloadOutcome) {
        match outcome {
            ReloadOutcome::Reloaded {
                entries,
                generation,
                ..
            } => {
                self.metrics.reload(true);
                self.metrics.knowledge(*entries as u64, *generation);
            }
            ReloadOutcome::Failed { .. } => self.metrics.reload(false),
        }
    }
}

/// Settings the handlers need from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub guild_id: Option<u64>,
    /// The only server where moderator commands exist and are accepted.
    pub home_guild_id: Option<u64>,
    pub ask_cooldown: Duration,
    pub moderator_role_ids: Vec<u64>,
    pub mod_log_channel: Option<ChannelId>,
    pub help_channels: Vec<u64>,
    pub help_min_confidence: f32,
    /// How long a reply may take before Discord is told "thinking…".
    pub defer_after: Duration,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            guild_id: c.discord.guild_id,
            home_guild_id: c.discord.home_guild_id,
            ask_cooldown: Duration::from_secs(c.cooldown.ask_seconds),
            moderator_role_ids: c.discord.moderator_role_ids.clone(),
            mod_log_channel: c.discord.mod_log_channel_id.map(ChannelId::new),
            help_channels: c.auto_answer.channel_ids.clone(),
            help_min_confidence: c.auto_answer.min_confidence,
            defer_after: Duration::from_millis(c.discord.defer_after_ms),
        }
    }
}

/// How a reply that is not ready in time is announced: a "thinking…"
/// message (seen by everyone or by the asker only), or, for a button that
/// changes its own message, a silent acknowledgement.
#[derive(Debug, Clone, Copy)]
enum Defer {
    Message { ephemeral: bool },
    Update,
}

pub struct Handler {
    pub data: Arc<Data>,
    pub settings: Settings,
}

/// Runs `f` on the blocking pool: work that waits (a store write, a reload)
/// must not stall the gateway.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("background task failed")
}

/// Runs CPU-bound engine work `f` on the engine's own threads, one per
/// core: a burst of questions waits in their queue, in order, rather than
/// as blocking-pool threads taking turns on the cores. Engine allocations
/// then stay on those few threads' allocator arenas, instead of spreading
/// over every thread the blocking pool grows (store writes included).
pub(crate) async fn compute<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUE: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("careerbot-engine-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panic drops the job's reply sender: the caller
                            // gets an error, and the thread lives on.
                            Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
                            Err(_) => return,
                        }
                    }
                })
                .expect("the engine threads start");
        }
        tx
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    QUEUE
        .send(Box::new(move || drop(reply.send(f()))))
        .map_err(|_| anyhow::anyhow!("the engine threads stopped"))?;
    answer.await.context("engine task failed")
}

/// A string option of a command (or of its subcommand), cut to the longest
/// any option accepts ([`commands::MAX_QUESTION_CHARS`]): Discord enforces
/// the registered lengths, but a value is never trusted to respect them.
pub(crate) fn option<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::String(s) => Some(cut(s, commands::MAX_QUESTION_CHARS.into())),
            _ => None,
        })
}

/// `s` cut to at most `max` characters (no marker: this is input).
pub(crate) fn cut(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

/// At most `max` events per member within `per` (a fixed window per member).
pub(crate) struct RateLimit {
    max: u32,
    per: Duration,
    seen: Mutex<HashMap<UserId, (Instant, u32)>>,
}

impl RateLimit {
    pub(crate) fn new(max: u32, per: Duration) -> RateLimit {
        RateLimit {
            max,
            per,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user` may go on at `now` (and counts it).
    pub(crate) fn allow(&self, user: UserId, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.saturating_duration_since(*start) < self.per);
        }
        let (start, n) = seen.entry(user).or_insert((now, 0));
        if now.saturating_duration_since(*start) >= self.per {
            (*start, *n) = (now, 0);
        }
        *n = n.saturating_add(1);
        *n <= self.max
    }
}

impl Handler {
    /// Seconds left before this member may ask again (and records the ask).
    pub(crate) fn cooldown_left(&self, user: UserId) -> Option<u64> {
        if self.settings.ask_cooldown.is_zero() {
            return None;
        }
        let mut last = self.data.last_ask.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(t) = last.get(&user) {
            let since = now.duration_since(*t);
            if since < self.settings.ask_cooldown {
                return Some((self.settings.ask_cooldown - since).as_secs().max(1));
            }
        }
        last.retain(|_, t| now.duration_since(*t) < self.settings.ask_cooldown);
        last.insert(user, now);
        None
    }

    async fn command(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<Reply> {
        use commands::Cmd;
        match Cmd::from_name(&cmd.data.name) {
            Some(Cmd::Ask) => answer::ask(self, cmd).await,
            Some(Cmd::FindAnswer) => answer::find_answer(self, ctx, cmd).await,
            Some(Cmd::Salary) => lookups::salary(self, cmd).await,
            Some(Cmd::Cert) => lookups::cert(self, cmd).await,
            Some(Cmd::Faq) => lookups::faq(self, cmd).await,
            Some(Cmd::FaqAdmin) => admin::faqadmin(self, ctx, cmd).await,
            None => Ok(Reply::text(
                &format!("Unknown command {}.", format::code(&cmd.data.name)),
                true,
            )),
        }
    }

    async fn component(&self, c: &ComponentInteraction) -> Result<Reply> {
        use format::Button;
        match Button::parse(&c.data.custom_id) {
            Some(Button::Entry(entry)) => lookups::open_entry(self, &entry).await,
            Some(Button::Vote { entry, up }) => answer::vote(self, c, &entry, up).await,
            Some(Button::Share(n)) => answer::share(self, c, n).await,
            Some(Button::AskAgain(n)) => answer::ask_again(self, c, n).await,
            Some(b) => lookups::open(self, b).await,
            None => Ok(Reply::text(answer::NO_SUCH_BUTTON, true)),
        }
    }

    /// Registers the commands (see [`commands::registrations`]).
    async fn register(&self, ctx: &Context) {
        if self.settings.home_guild_id.is_none() {
            tracing::warn!(
                "moderator commands (/faqadmin) not registered: [discord] home_guild_id is not set \
                 (set it to your community's server id; /faqadmin then exists there only)"
            );
        }
        let plan = commands::registrations(self.settings.guild_id, self.settings.home_guild_id);
        for (scope, list) in plan {
            let started = Instant::now();
            let body = commands::payload(list);
            let result = match scope {
                Some(g) => ctx.http.create_guild_commands(GuildId::new(g), &body).await,
                None => ctx.http.create_global_commands(&body).await,
            };
            match result {
                Ok(list) => tracing::info!(
                    commands = list.len(),
                    guild = ?scope,
                    latency_ms = started.elapsed().as_millis() as u64,
                    "slash commands registered"
                ),
                Err(e) => {
                    tracing::error!(guild = ?scope, error = %e, "registering slash commands failed")
                }
            }
        }
    }

    /// Replies to an interaction with what `work` produces. If it is not
    /// ready within `defer_after`, Discord is told "thinking…" first (so the
    /// 3-second window is never missed) and the reply edits that message.
    async fn respond<F>(&self, ctx: &Context, interaction: &Interaction, work: F, defer: Defer)
    where
        F: std::future::Future<Output = Result<Reply>>,
    {
        // Both come from the member's client: logged with `?` (quoted and
        // escaped), so that no newline or terminal escape reaches the log raw.
        let (kind, name) = match interaction {
            Interaction::Command(c) => ("command", c.data.name.as_str()),
            Interaction::Component(c) => ("button", c.data.custom_id.as_str()),
            _ => return,
        };
        let started = Instant::now();
        let failed = |e: anyhow::Error| {
            tracing::error!(kind, command = ?name, error = %format!("{e:#}"), "interaction failed");
            Reply::text("Something went wrong on my side; please try again.", true)
        };
        tokio::pin!(work);
        let early = if self.settings.defer_after.is_zero() {
            None // 0: always defer
        } else {
            tokio::select! {
                r = &mut work => Some(r),
                _ = tokio::time::sleep(self.settings.defer_after) => None,
            }
        };
        let deferred = early.is_none();
        let sent = match early {
            Some(reply) => {
                let r = reply.unwrap_or_else(failed).into_response();
                retrying("reply", || create(ctx, interaction, r.clone())).await
            }
            None => {
                let ack = match defer {
                    Defer::Update => CreateInteractionResponse::Acknowledge,
                    Defer::Message { ephemeral } => CreateInteractionResponse::Defer(
                        CreateInteractionResponseMessage::new().ephemeral(ephemeral),
                    ),
                };
                if let Err(e) = retrying("defer", || create(ctx, interaction, ack.clone())).await {
                    tracing::warn!(kind, command = ?name, error = %e, "deferring failed");
                }
                let reply = work.await.unwrap_or_else(failed);
                if matches!(defer, Defer::Update) && !reply.update {
                    // Editing "the original" would now overwrite the message
                    // whose button was clicked: a refusal or an error after a
                    // silent acknowledgement is logged, never written there.
                    tracing::warn!(kind, command = ?name, "a deferred update produced no update");
                    Ok(())
                } else {
                    let r = reply.into_edit();
                    retrying("edit", || edit(ctx, interaction, r.clone())).await
                }
            }
        };
        let latency = started.elapsed();
        match sent {
            Ok(()) => tracing::info!(
                kind,
                command = ?name,
                latency_ms = latency.as_millis() as u64,
                deferred,
                "interaction answered"
            ),
            Err(e) => tracing::warn!(
                kind,
                command = ?name,
                latency_ms = latency.as_millis() as u64,
                error = %e,
                "reply failed"
            ),
        }
    }
}

async fn create(
    ctx: &Context,
    interaction: &Interaction,
    r: CreateInteractionResponse,
) -> serenity::Result<()> {
    match interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => {
            c.create_response(&ctx.http, r).await
        }
        Interaction::Component(c) => c.create_response(&ctx.http, r).await,
        _ => Ok(()),
    }
}

async fn edit(
    ctx: &Context,
    interaction: &Interaction,
    r: EditInteractionResponse,
) -> serenity::Result<()> {
    match interaction {
        Interaction::Command(c) => c.edit_response(&ctx.http, r).await.map(drop),
        Interaction::Component(c) => c.edit_response(&ctx.http, r).await.map(drop),
        _ => Ok(()),
    }
}

/// Backoffs between attempts: together well inside Discord's 3-second window.
const RETRY_DELAYS_MS: [u64; 4] = [100, 200, 400, 800];

/// Runs a Discord call again when it was rate limited (429) or hit a server
/// or proxy error (5xx). With `api_proxy` set, serenity's own rate limiter
/// is off, so it neither retries nor exposes `retry_after`: short growing
/// backoffs stand in for it.
pub(crate) async fn retrying<T, Fut>(
    what: &str,
    mut call: impl FnMut() -> Fut,
) -> serenity::Result<T>
where
    Fut: std::future::Future<Output = serenity::Result<T>>,
{
    for delay in RETRY_DELAYS_MS {
        match call().await {
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(e)))
                if e.status_code.as_u16() == 429 || e.status_code.is_server_error() =>
            {
                tracing::warn!(
                    what,
                    status = e.status_code.as_u16(),
                    retry_in_ms = delay,
                    "Discord refused the call; retrying"
                );
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            r => return r,
        }
    }
    call().await
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(user = ?ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        ctx.set_activity(Some(ActivityData::listening("/ask")));
        self.register(&ctx).await;
    }

    async fn resume(&self, _ctx: Context, _: ResumedEvent) {
        tracing::info!("gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, ev: ShardStageUpdateEvent) {
        tracing::debug!(old = ?ev.old, new = ?ev.new, "gateway stage");
        // serenity reports arrivals at Connected (after IDENTIFY or RESUME);
        // going down is seen by `watch_gateway`.
        if ev.new == ConnectionStage::Connected {
            self.data.metrics.gateway_session();
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        answer::help_channel(self, &ctx, &msg).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match &interaction {
            Interaction::Autocomplete(cmd) => {
                let choices = if self.data.autocompletes.allow(cmd.user.id, Instant::now()) {
                    lookups::autocomplete(self, cmd).await.unwrap_or_else(|e| {
                        tracing::error!(error = %format!("{e:#}"), "autocomplete failed");
                        Vec::new()
                    })
                } else {
                    Vec::new() // a flood: no engine work, no choices
                };
                let r = format::choices(&choices);
                if let Err(e) =
                    retrying("autocomplete", || create(&ctx, &interaction, r.clone())).await
                {
                    tracing::warn!(command = ?cmd.data.name, error = %e, "autocomplete reply failed");
                }
            }
            Interaction::Command(cmd) => {
                let ephemeral = cmd.data.name == commands::Cmd::FaqAdmin.name();
                let defer = Defer::Message { ephemeral };
                self.respond(&ctx, &interaction, self.command(&ctx, cmd), defer)
                    .await
            }
            Interaction::Component(c) => {
                // A vote updates the clicked message; "Ask it now" answers
                // in the channel; every other button answers privately.
                let defer = match format::Button::parse(&c.data.custom_id) {
                    Some(format::Button::Vote { .. }) => Defer::Update,
                    Some(format::Button::AskAgain(_)) => Defer::Message { ephemeral: false },
                    _ => Defer::Message { ephemeral: true },
                };
                self.respond(&ctx, &interaction, self.component(c), defer)
                    .await
            }
            _ => {}
        }
    }
}

/// Loads the knowledge base (building the index if needed) and the bot's
/// own state, off the async threads.
pub async fn load(config: &Config) -> Result<Data> {
    let (faq, index) = (config.faq_dir.clone(), config.index_dir.clone());
    let live = tokio::task::spawn_blocking(move || Live::open(&faq, &index))
        .await
        .context("loading task failed")?
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}\nhint: run `careerbot check --faq {}` for details",
                config.faq_dir.display()
            )
        })?;
    let store = Store::open(&config.data_dir).map_err(anyhow::Error::from)?;
    Ok(Data::new(
        Arc::new(live),
        Arc::new(store),
        Arc::new(Metrics::new()),
    ))
}

/// The HTTP client: through `api_proxy` when set, mentions always off.
fn http(config: &Config, token: &Token) -> Http {
    let mut http = HttpBuilder::new(token.expose()).default_allowed_mentions(format::no_mentions());
    if let Some(base) = &config.discord.api_proxy {
        // serenity sends to the proxy only with its own rate limiter off.
        http = http
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    http.build()
}

/// A ready-to-start serenity client (no connection made yet).
pub async fn client(config: &Config, token: &Token, data: Arc<Data>) -> Result<Client> {
    let mut intents = GatewayIntents::GUILDS;
    if !config.auto_answer.channel_ids.is_empty() {
        // Reading help-channel messages needs the privileged Message Content intent.
        intents |= GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    }
    let metrics = Arc::clone(&data.metrics);
    let handler = Handler {
        data,
        settings: Settings::from_config(config),
    };
    let client = ClientBuilder::new_with_http(http(config, token), intents)
        .event_handler(handler)
        .await
        .context("cannot set up the Discord client")?;
    tokio::spawn(watch_gateway(
        Arc::downgrade(&client.shard_manager),
        metrics,
    ));
    Ok(client)
}

/// Marks the gateway down in the metrics (and `/healthz`) while no shard is
/// connected; serenity reports arrivals but not departures. Ends with the client.
async fn watch_gateway(shards: std::sync::Weak<ShardManager>, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Some(shards) = shards.upgrade() else {
            return;
        };
        let runners = shards.runners.lock().await;
        let up = !runners.is_empty()
            && runners
                .values()
                .all(|r| r.stage == ConnectionStage::Connected);
        drop(runners);
        if !up {
            metrics.gateway_connected(false);
        }
    }
}

/// `careerbot serve`: load, connect, answer until Ctrl-C.
pub async fn serve(config: Config, token: Token) -> Result<()> {
    let data = Arc::new(load(&config).await?);
    tracing::info!(
        documents = data.live.get().engine.documents,
        "knowledge base loaded"
    );
    if let Some(listen) = config.http.listen {
        let (addr, _) = crate::ops::serve(listen, Arc::clone(&data.metrics)).await?;
        tracing::info!(%addr, "serving /healthz and /metrics");
    }
    // faq/ edits go live without a restart; a broken edit keeps the old
    // knowledge and is reported to the moderators.
    let watch_http = Arc::new(http(&config, &token));
    let (settings, runtime) = (
        Settings::from_config(&config),
        tokio::runtime::Handle::current(),
    );
    let watched = Arc::clone(&data);
    let _watcher = data
        .live
        .watch(Duration::from_millis(500), move |outcome| {
            watched.observe_reload(outcome);
            if let ReloadOutcome::Failed { errors } = outcome {
                let (http, channel) = (Arc::clone(&watch_http), settings.mod_log_channel);
                let errors = errors.clone();
                runtime.spawn(async move { admin::post_failure(&http, channel, &errors).await });
            }
        })
        .map_err(|e| tracing::warn!(error = %e, "not watching faq/ for changes"))
        .ok();
    let mut client = client(&config, &token, data).await?;
    let shards = Arc::clone(&client.shard_manager);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("shutting down");
            shards.shutdown_all().await;
        }
    });
    client.start().await.context("Discord connection failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_allows_a_burst_per_member_per_window() {
        let limit = RateLimit::new(3, Duration::from_secs(5));
        let (a, b) = (UserId::new(1), UserId::new(2));
        let t = Instant::now();
        assert!((0..3).all(|_| limit.allow(a, t)));
        assert!(!limit.allow(a, t + Duration::from_secs(4)));
        assert!(limit.allow(b, t), "members are counted apart");
        assert!(limit.allow(a, t + Duration::from_secs(5)), "a new window");
    }

    #[test]
    fn each_target_message_is_claimed_once_and_old_ones_are_forgotten() {
        let mut t = Targets::default();
        assert!(t.claim(MessageId::new(1)));
        assert!(!t.claim(MessageId::new(1)));
        for i in 2..=Targets::MAX as u64 + 1 {
            assert!(t.claim(MessageId::new(i)));
        }
        assert_eq!(t.seen.len(), Targets::MAX);
        assert!(t.claim(MessageId::new(1)), "the oldest was forgotten");
    }

    #[test]
    fn a_kept_question_is_given_back_once_to_its_asker_only() {
        let mut k = Kept::default();
        let (a, b) = (UserId::new(1), UserId::new(2));
        let n = k.keep(a, "can i wfh?".into());
        assert_eq!(k.take(n, b), None, "another member's click");
        assert_eq!(k.take(n, a).as_deref(), Some("can i wfh?"));
        assert_eq!(k.take(n, a), None, "used once");
        for i in 0..Kept::MAX + 5 {
            k.keep(a, i.to_string());
        }
        assert_eq!(k.map.len(), Kept::MAX, "bounded");
    }

    #[test]
    fn input_is_cut_by_characters() {
        assert_eq!(cut("héllo", 2), "hé");
        assert_eq!(cut("hé", 5), "hé");
    }

    #[tokio::test]
    async fn a_panicking_engine_task_fails_alone_and_the_engine_threads_keep_serving() {
        let failed = compute(|| -> u32 { panic!("a bug in the engine") }).await;
        assert!(failed.is_err());
        // More tasks than threads, all answered, each with its own result.
        let all = futures::future::join_all((0..32u32).map(|i| compute(move || i * 2))).await;
        let doubled: Vec<u32> = all.into_iter().map(Result::unwrap).collect();
        assert_eq!(doubled, (0..32).map(|i| i * 2).collect::<Vec<_>>());
    }
}
