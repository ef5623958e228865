//! The Discord adapter: slash commands, buttons and autocomplete over the
//! engine and the lookups. Formatting lives in [`format`]; everything here is
//! serenity glue. No ranking logic: answers come from [`crate::engine`] and
//! [`crate::lookup`] unchanged.

pub mod format;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serenity::all::{
    ActivityData, Client, ClientBuilder, Command, CommandInteraction, CommandOptionType,
    ComponentInteraction, Context, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    EventHandler, GatewayIntents, GuildId, HttpBuilder, Interaction, Ready, ResolvedValue, UserId,
};

use crate::config::{Config, Token};
use crate::engine::Knowledge;
use crate::live::Live;
use crate::lookup::{CompleteKind, Lookup, MAX_CHOICES};

/// Knowledge and lookups of the same generation: a reply never mixes two.
#[derive(Clone)]
pub struct Snapshot {
    pub knowledge: Arc<Knowledge>,
    pub lookup: Arc<Lookup>,
}

/// State shared by every interaction.
pub struct Data {
    /// The knowledge serving now, swapped on reload (see [`crate::live`]).
    pub live: Arc<Live>,
    /// Lookups built from the serving knowledge's corpus, rebuilt after a swap.
    lookup: Mutex<Option<Snapshot>>,
    /// Last `/ask` per member, for the cooldown.
    last_ask: Mutex<HashMap<UserId, Instant>>,
}

impl Data {
    pub fn new(live: Arc<Live>) -> Data {
        Data {
            live,
            lookup: Mutex::new(None),
            last_ask: Mutex::new(HashMap::new()),
        }
    }

    /// What to answer from right now (cheap: `Arc` clones, except once
    /// after each reload when the lookups are rebuilt).
    pub fn snapshot(&self) -> Snapshot {
        let knowledge = self.live.get();
        let mut cached = self.lookup.lock().unwrap_or_else(|e| e.into_inner());
        match &*cached {
            Some(s) if Arc::ptr_eq(&s.knowledge, &knowledge) => s.clone(),
            _ => {
                let s = Snapshot {
                    lookup: Arc::new(Lookup::new(&knowledge.corpus)),
                    knowledge,
                };
                *cached = Some(s.clone());
                s
            }
        }
    }
}

/// Settings the handler needs from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub guild_id: Option<u64>,
    pub ask_cooldown: Duration,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            guild_id: c.discord.guild_id,
            ask_cooldown: Duration::from_secs(c.cooldown.ask_seconds),
        }
    }
}

pub struct Handler {
    pub data: Arc<Data>,
    pub settings: Settings,
}

/// The slash commands, with every option described.
pub fn commands() -> Vec<CreateCommand> {
    let string = |name: &str, description: &str| {
        CreateCommandOption::new(CommandOptionType::String, name, description)
    };
    vec![
        CreateCommand::new("ask")
            .description("Ask a Health IT career question; the answer cites its guide")
            .add_option(
                string(
                    "question",
                    "Your question in plain words, e.g. do I need a CS degree?",
                )
                .required(true)
                .max_length(300),
            ),
        CreateCommand::new("salary")
            .description("Pay figures for a Health IT role, each with its year and source")
            .add_option(
                string("role", "The role, e.g. HIT technician")
                    .required(true)
                    .set_autocomplete(true),
            )
            .add_option(
                string("level", "Career level (default: every level)")
                    .add_string_choice("Entry level", "entry")
                    .add_string_choice("Mid-career", "mid")
                    .add_string_choice("Senior", "senior")
                    .add_string_choice("All levels / whole occupation", "all"),
            )
            .add_option(
                string("region", "Country or region (default: every region)")
                    .set_autocomplete(true),
            ),
        CreateCommand::new("cert")
            .description("A Health IT certification: issuer, requirements, who it suits")
            .add_option(
                string("name", "Abbreviation or name, e.g. RHIT")
                    .required(true)
                    .set_autocomplete(true),
            ),
        CreateCommand::new("faq")
            .description("Show one FAQ entry in full")
            .add_option(
                string("topic", "Start typing a question to pick an entry")
                    .required(true)
                    .set_autocomplete(true),
            ),
    ]
}

/// Runs `f` on the blocking pool (engine work must not stall the gateway).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("engine task failed")
}

fn option<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::String(s) => Some(s),
            _ => None,
        })
}

impl Handler {
    /// Seconds left before this member may `/ask` again (and records the ask).
    fn cooldown_left(&self, user: UserId) -> Option<u64> {
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

    /// The reply to a slash command, and whether `/ask` abstained.
    async fn command(
        &self,
        cmd: &CommandInteraction,
    ) -> Result<(CreateInteractionResponse, Option<bool>)> {
        let snap = self.data.snapshot();
        Ok(match cmd.data.name.as_str() {
            "ask" => {
                if let Some(left) = self.cooldown_left(cmd.user.id) {
                    let msg = format!("One question at a time: try again in {left} s.");
                    return Ok((format::text(&msg, true), None));
                }
                let q = option(cmd, "question").unwrap_or("").to_string();
                let resp = blocking(move || snap.knowledge.engine.ask(&q)).await?;
                let reply = match &resp.answer {
                    Some(a) => format::answer(a, &resp.related),
                    None => format::abstain(&resp.related),
                };
                (reply, Some(resp.abstained))
            }
            "salary" => {
                let role = option(cmd, "role").unwrap_or("").to_string();
                let level = option(cmd, "level").and_then(crate::corpus::Level::parse);
                let region = option(cmd, "region").map(str::to_string);
                let r =
                    blocking(move || snap.lookup.salary(&role, level, region.as_deref())).await?;
                (
                    match r {
                        Ok(a) => format::salary(&a),
                        Err(e) => format::not_found(&e),
                    },
                    None,
                )
            }
            "cert" => {
                let name = option(cmd, "name").unwrap_or("").to_string();
                let r = blocking(move || snap.lookup.cert(&name)).await?;
                (
                    match r {
                        Ok(a) => format::cert(&a),
                        Err(e) => format::not_found(&e),
                    },
                    None,
                )
            }
            "faq" => {
                let topic = option(cmd, "topic").unwrap_or("").to_string();
                let r = blocking(move || {
                    let e = &snap.knowledge.engine;
                    // Autocomplete sends the id; typed text falls back to titles.
                    e.document(&topic).ok_or(()).or_else(|_| {
                        let hits = e.titles_matching(&topic, 3);
                        match hits.first().and_then(|h| e.document(&h.id)) {
                            Some(d) => Ok(d),
                            None => Err(hits),
                        }
                    })
                })
                .await?;
                (
                    match r {
                        Ok(d) => format::document(&d, false),
                        Err(_) => format::text(
                            "No FAQ entry matches that topic: start typing and pick one from the list.",
                            true,
                        ),
                    },
                    None,
                )
            }
            other => (
                format::text(
                    &format!("Unknown command `{}`.", format::clip(other, 32)),
                    true,
                ),
                None,
            ),
        })
    }

    async fn autocomplete(&self, cmd: &CommandInteraction) -> Result<CreateInteractionResponse> {
        let Some(focused) = cmd.data.autocomplete() else {
            return Ok(format::choices(&[]));
        };
        let (name, partial) = (focused.name.to_string(), focused.value.to_string());
        let kind = match (cmd.data.name.as_str(), name.as_str()) {
            ("salary", "role") => Some(CompleteKind::Role),
            ("salary", "region") => Some(CompleteKind::Region),
            ("salary", "level") => Some(CompleteKind::Level),
            ("cert", "name") => Some(CompleteKind::Cert),
            _ => None,
        };
        let snap = self.data.snapshot();
        let choices = blocking(move || match kind {
            Some(k) => snap.lookup.complete(k, &partial),
            None => snap
                .knowledge
                .engine
                .titles_matching(&partial, MAX_CHOICES)
                .into_iter()
                .map(|r| crate::lookup::Choice {
                    name: format::clip(&r.title, 100),
                    value: r.id,
                })
                .filter(|c| c.value.chars().count() <= 100)
                .collect(),
        })
        .await?;
        Ok(format::choices(&choices))
    }

    async fn component(&self, c: &ComponentInteraction) -> Result<CreateInteractionResponse> {
        let Some(id) = c.data.custom_id.strip_prefix(format::FAQ_BUTTON) else {
            return Ok(format::text("That button is no longer in use.", true));
        };
        let (snap, id) = (self.data.snapshot(), id.to_string());
        let doc = blocking(move || snap.knowledge.engine.document(&id)).await?;
        Ok(match doc {
            Some(d) => format::document(&d, true),
            None => format::text("That entry is no longer in the FAQ.", true),
        })
    }

    async fn register(&self, ctx: &Context) {
        let started = Instant::now();
        let result = match self.settings.guild_id {
            Some(g) => GuildId::new(g).set_commands(&ctx.http, commands()).await,
            None => Command::set_global_commands(&ctx.http, commands()).await,
        };
        match result {
            Ok(list) => tracing::info!(
                commands = list.len(),
                guild = ?self.settings.guild_id,
                latency_ms = started.elapsed().as_millis() as u64,
                "slash commands registered"
            ),
            Err(e) => tracing::error!(error = %e, "registering slash commands failed"),
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        ctx.set_activity(Some(ActivityData::listening("/ask")));
        self.register(&ctx).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = Instant::now();
        let mut abstained = None;
        let (kind, name, reply) = match &interaction {
            Interaction::Command(cmd) => {
                let r = self.command(cmd).await.map(|(reply, a)| {
                    abstained = a;
                    reply
                });
                ("command", cmd.data.name.clone(), r)
            }
            Interaction::Autocomplete(cmd) => (
                "autocomplete",
                cmd.data.name.clone(),
                self.autocomplete(cmd).await,
            ),
            Interaction::Component(c) => {
                ("button", c.data.custom_id.clone(), self.component(c).await)
            }
            _ => return,
        };
        let reply = reply.unwrap_or_else(|e| {
            tracing::error!(error = %format!("{e:#}"), "interaction failed");
            format::text("Something went wrong on my side; please try again.", true)
        });
        let sent = match &interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => {
                c.create_response(&ctx.http, reply).await
            }
            Interaction::Component(c) => c.create_response(&ctx.http, reply).await,
            _ => return,
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        match sent {
            Ok(()) => {
                tracing::info!(kind, command = %name, latency_ms, abstained = ?abstained, "interaction answered")
            }
            Err(e) => {
                tracing::warn!(kind, command = %name, latency_ms, error = %e, "reply failed")
            }
        }
    }
}

/// Loads the knowledge base (building the index if needed) off the async threads.
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
    Ok(Data::new(Arc::new(live)))
}

/// A ready-to-start serenity client (no connection made yet).
pub async fn client(config: &Config, token: &Token, data: Arc<Data>) -> Result<Client> {
    let mut http = HttpBuilder::new(token.expose()).default_allowed_mentions(format::no_mentions());
    if let Some(base) = &config.discord.api_proxy {
        // serenity sends to the proxy only with its own rate limiter off.
        http = http
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let handler = Handler {
        data,
        settings: Settings::from_config(config),
    };
    ClientBuilder::new_with_http(http.build(), GatewayIntents::GUILDS)
        .event_handler(handler)
        .await
        .context("cannot set up the Discord client")
}

/// `careerbot serve`: load, connect, answer until Ctrl-C.
pub async fn serve(config: Config, token: Token) -> Result<()> {
    let data = Arc::new(load(&config).await?);
    tracing::info!(
        documents = data.live.get().engine.documents,
        "knowledge base loaded"
    );
    // faq/ edits go live without a restart; a broken edit keeps the old knowledge.
    let _watcher = data
        .live
        .watch(Duration::from_millis(500), |_| {})
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
