//! The Discord adapter end to end: the real serenity client, started through
//! careerbot's library entry point, against a fake Discord on 127.0.0.1
//! (HTTP API + gateway). Every wait is bounded (see `fake_discord::TIMEOUT`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serenity::all::ShardManager;

use careerbot::config::{Config, Token};
use careerbot::discord;

use crate::fake_discord::{FakeDiscord, Request};
use crate::{copy_tree, fixture};

const GUILD: u64 = 700000000000000001;

const SALARIES: &str = r#"
[[role]]
id = "hit-technician"
name = "HIT Technician"
aliases = ["hit tech", "health information technician"]

[[region]]
id = "us"
name = "United States (national)"
aliases = ["usa"]

[[region]]
id = "uk"
name = "United Kingdom"
aliases = ["england"]

[[figure]]
role = "hit-technician"
level = "entry"
stat = "range"
low = 38000
high = 45000
currency = "USD"
region = "us"
year = "2024"
source = "guide-a"
section = "Salary"

[[figure]]
role = "hit-technician"
level = "entry"
stat = "range"
low = 30000
high = 36000
currency = "USD"
region = "us"
year = "2018"
source = "guide-b"
section = "Salary"

[[figure]]
role = "hit-technician"
level = "all"
stat = "median"
value = 47160
currency = "USD"
region = "us"
year = "May 2023"
source = "guide-a"
section = "Salary"
"#;

const CERTS: &str = r#"
[[cert]]
abbr = "RHIT"
name = "Registered Health Information Technician"
aliases = ["rhit cert"]
issuer = "AHIMA"
level = "entry"
requirements = ["An associate degree", "Passing the exam"]
suits = "Technicians starting out."
leads_to = "Entry-level technician jobs"
source = ["guide-a", "guide-b"]
section = "Certifications"
"#;

/// A running bot wired to a fake Discord.
struct Bot {
    fake: FakeDiscord,
    shards: Arc<ShardManager>,
    data: Arc<discord::Data>,
    faq: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Bot {
    async fn start(guild_id: Option<u64>) -> Bot {
        Bot::start_with(guild_id, |_| {}).await
    }

    /// Starts with the test config, adjusted by `configure`.
    async fn start_with(guild_id: Option<u64>, configure: impl FnOnce(&mut Config)) -> Bot {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let faq = dir.path().join("faq");
        copy_tree(&fixture(), &faq);
        std::fs::write(faq.join("salaries.toml"), SALARIES).unwrap();
        std::fs::write(faq.join("certifications.toml"), CERTS).unwrap();
        let mut config = Config {
            faq_dir: faq,
            index_dir: dir.path().join("index"),
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        config.discord.guild_id = guild_id;
        // The fake's interactions come from this server.
        config.discord.home_guild_id = Some(GUILD);
        config.discord.api_proxy = Some(fake.http_base.clone());
        config.cooldown.ask_seconds = 0;
        configure(&mut config);
        let data = Arc::new(discord::load(&config).await.expect("fixture loads"));
        let token = Token::new("fake.bot.token");
        let mut client = discord::client(&config, &token, Arc::clone(&data))
            .await
            .unwrap();
        let shards = Arc::clone(&client.shard_manager);
        tokio::spawn(async move { client.start().await });
        // Connected and commands registered: ready for interactions.
        fake.wait_request("PUT", "/commands").await;
        Bot {
            fake,
            shards,
            data,
            faq: config.faq_dir,
            _dir: dir,
        }
    }

    async fn stop(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.shards.shutdown_all()).await;
    }
}

fn embed(r: &Request) -> &Value {
    &r.body["data"]["embeds"][0]
}

fn assert_no_mentions(r: &Request) {
    let am = &r.body["data"]["allowed_mentions"];
    assert_eq!(am["parse"], json!([]), "{:#}", r.body);
    assert!(
        am["users"].as_array().is_none_or(|a| a.is_empty())
            && am["roles"].as_array().is_none_or(|a| a.is_empty()),
        "{:#}",
        r.body
    );
}

/// The custom ids of a reply's buttons, row by row.
fn button_ids(r: &Request) -> Vec<String> {
    r.body["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().unwrap().clone())
        .map(|b| b["custom_id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The custom id of a reply's first button whose id starts with `prefix`.
fn button_id(r: &Request, prefix: &str) -> Option<String> {
    button_ids(r).into_iter().find(|i| i.starts_with(prefix))
}

/// The vote button a vote update marks (style 1, "✓").
fn marked_vote(r: &Request) -> Option<String> {
    r.body["data"]["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().unwrap().clone())
        .find(|b| {
            b["style"] == 1
                && b["custom_id"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("vote:"))
        })
        .map(|b| {
            assert!(b["label"].as_str().unwrap().ends_with('✓'), "{b}");
            b["custom_id"].as_str().unwrap().to_string()
        })
}

fn is_ephemeral(r: &Request) -> bool {
    r.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_every_command_with_described_options_and_autocomplete() {
    let bot = Bot::start(Some(GUILD)).await;
    let put = bot
        .fake
        .wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    assert_eq!(
        put.path,
        format!(
            "/api/v10/applications/{}/guilds/{GUILD}/commands",
            crate::fake_discord::APP_ID
        )
    );
    let cmds = put.body.as_array().expect("an array of commands");
    let names: Vec<&str> = cmds.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["ask", "salary", "cert", "faq", "Find answer", "faqadmin"]
    );
    let opt = |cmd: &str, name: &str| -> Value {
        let c = cmds.iter().find(|c| c["name"] == cmd).unwrap();
        c["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("/{cmd} has no option {name}"))
            .clone()
    };
    for c in cmds.iter().filter(|c| c["type"] == 1) {
        assert!(!c["description"].as_str().unwrap().is_empty(), "{c}");
        for o in c["options"].as_array().unwrap() {
            assert!(!o["description"].as_str().unwrap().is_empty(), "{o}");
        }
    }
    // The message context menu: type 3, no description, no options.
    let menu = cmds.iter().find(|c| c["name"] == "Find answer").unwrap();
    assert_eq!(menu["type"], 3, "{menu}");
    assert!(
        menu["description"].as_str().is_none_or(str::is_empty),
        "{menu}"
    );
    // Moderator commands: hidden by default (Manage Server), not in DMs.
    let admin = cmds.iter().find(|c| c["name"] == "faqadmin").unwrap();
    assert_eq!(admin["default_member_permissions"], 32, "{admin}");
    assert_eq!(admin["dm_permission"], false, "{admin}");
    let subs: Vec<(&str, u64)> = admin["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["type"].as_u64().unwrap()))
        .collect();
    assert_eq!(subs, [("reload", 1), ("stats", 1), ("unanswered", 1)]);
    assert_eq!(opt("ask", "question")["required"], true);
    assert_ne!(opt("ask", "question")["autocomplete"], true);
    assert_eq!(opt("salary", "role")["autocomplete"], true);
    assert_eq!(opt("salary", "role")["required"], true);
    assert_eq!(opt("salary", "region")["autocomplete"], true);
    assert_ne!(opt("salary", "region")["required"], true);
    let level = opt("salary", "level");
    let levels: Vec<&str> = level["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["entry", "mid", "senior", "all"]);
    assert_eq!(opt("cert", "name")["autocomplete"], true);
    assert_eq!(opt("faq", "topic")["autocomplete"], true);
    // Guild commands only: nothing registered globally.
    assert!(
        !bot.fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!(
                "/applications/{}/commands",
                crate::fake_discord::APP_ID
            )))
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_replies_with_a_cited_embed_and_mentions_nobody() {
    // No guild: commands are registered globally.
    let bot = Bot::start(None).await;
    bot.fake
        .wait_request(
            "PUT",
            &format!("/applications/{}/commands", crate::fake_discord::APP_ID),
        )
        .await;
    let mut samples = Vec::new();
    for _ in 0..5 {
        let pushed = Instant::now();
        let token = bot
            .fake
            .command("ask", &[("question", "can I work remotely?")]);
        let r = bot.fake.callback(&token).await;
        samples.push(r.at.duration_since(pushed));
        assert_eq!(r.body["type"], 4, "{:#}", r.body);
        let e = embed(&r);
        assert_eq!(e["title"], "Can I work remotely?");
        // The snippet as plain text: no word is bolded for matching.
        assert_eq!(
            e["description"],
            "Yes, increasingly. Coding and auditing jobs are often remote.",
        );
        assert_eq!(e["footer"]["text"], "Guide A 2024 › FAQ");
        assert!(!is_ephemeral(&r));
        assert_no_mentions(&r);
    }
    eprintln!("/ask round trips (INTERACTION_CREATE pushed → callback received): {samples:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i_dont_know_is_private_with_related_entries_and_a_share_button() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot
        .fake
        .command("ask", &[("question", "nurse practitioner salary")]);
    let r = bot.fake.callback(&token).await;
    let data = &r.body["data"];
    assert!(
        data["content"]
            .as_str()
            .unwrap()
            .starts_with("I don't know that one"),
        "{data:#}"
    );
    assert!(data["embeds"].is_null() || data["embeds"] == json!([]));
    assert!(is_ephemeral(&r), "only the asker needs an abstention");
    let ids = button_ids(&r);
    assert!(ids.contains(&"faq:median-salary".to_string()), "{ids:?}");
    let share = ids
        .iter()
        .find(|i| i.starts_with("share:"))
        .expect("a Share button");
    assert_no_mentions(&r);
    // Share: the question and the reply, posted for everyone, once.
    let shared = bot.fake.callback(&bot.fake.click(&r, share)).await;
    assert!(!is_ephemeral(&shared), "{:#}", shared.body);
    let text = content(&shared);
    assert!(
        text.starts_with("A member asked: “nurse practitioner salary”")
            && text.contains("I don't know that one"),
        "{text}"
    );
    assert!(!button_ids(&shared).iter().any(|i| i.starts_with("share:")));
    assert_no_mentions(&shared);
    let again = bot.fake.callback(&bot.fake.click(&r, share)).await;
    assert!(is_ephemeral(&again) && content(&again) == "That button is no longer in use.");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salary_autocomplete_and_embed_show_every_source() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot.fake.autocomplete("salary", ("role", "hit"));
    let r = bot.fake.callback(&token).await;
    assert_eq!(r.body["type"], 8, "{:#}", r.body);
    let choices = r.body["data"]["choices"].as_array().unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25, "{choices:?}");
    assert_eq!(choices[0]["value"], "hit-technician");

    let token = bot.fake.autocomplete("salary", ("region", ""));
    let r = bot.fake.callback(&token).await;
    let values: Vec<&str> = r.body["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["us", "uk"]);

    let token = bot
        .fake
        .command("salary", &[("role", "hit-technician"), ("level", "entry")]);
    let r = bot.fake.callback(&token).await;
    let fields = embed(&r)["fields"].as_array().unwrap();
    let text = serde_json::to_string(fields).unwrap();
    // Two guides disagree: both figures, each with year and source.
    assert!(
        text.contains("$38,000–$45,000")
            && text.contains("2024")
            && text.contains("Guide A 2024 › Salary"),
        "{text}"
    );
    assert!(
        text.contains("$30,000–$36,000")
            && text.contains("2018")
            && text.contains("Guide B 2019 › Salary"),
        "{text}"
    );
    assert!(
        !text.contains("guide-a") && !text.contains("(national)"),
        "{text}"
    );
    assert_eq!(embed(&r)["title"], "Pay: HIT Technician");
    assert_no_mentions(&r);
    // Full titles are one click away, for the member who clicked.
    let src = button_id(&r, "src:").unwrap();
    let s = bot.fake.callback(&bot.fake.click(&r, &src)).await;
    assert!(is_ephemeral(&s));
    let d = embed(&s)["description"].as_str().unwrap();
    assert!(d.contains("Fixture Guide A (2024-01-02) — Salary"), "{d}");
    assert!(d.contains("Fixture Guide B (2019) — Salary"), "{d}");

    let token = bot.fake.command("salary", &[("role", "astronaut")]);
    let r = bot.fake.callback(&token).await;
    assert!(is_ephemeral(&r));
    assert!(
        content(&r).starts_with("No role by that name"),
        "{:#}",
        r.body
    );
    assert_eq!(button_ids(&r), ["pay:hit-technician||"]);
    assert_no_mentions(&r);
    let token = bot
        .fake
        .command("salary", &[("role", "hit tech"), ("region", "zzland")]);
    let r = bot.fake.callback(&token).await;
    assert!(
        content(&r).starts_with("No region by that name"),
        "{:#}",
        r.body
    );
    assert!(button_ids(&r).contains(&"pay:hit-technician|uk|".to_string()));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cert_replies_with_an_embed_and_its_sources() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot.fake.autocomplete("cert", ("name", "rh"));
    let r = bot.fake.callback(&token).await;
    assert_eq!(r.body["data"]["choices"][0]["value"], "RHIT");

    let token = bot.fake.command("cert", &[("name", "rhit")]);
    let r = bot.fake.callback(&token).await;
    let e = embed(&r);
    assert_eq!(
        e["title"],
        "RHIT — Registered Health Information Technician"
    );
    let fields = serde_json::to_string(&e["fields"]).unwrap();
    assert!(
        fields.contains("AHIMA") && fields.contains("Passing the exam"),
        "{fields}"
    );
    assert!(
        fields.contains("Who it suits"),
        "the suits line has its label: {fields}"
    );
    // Short citations with guide labels; no internal key, no publisher note.
    assert_eq!(
        e["footer"]["text"],
        "Guide A 2024 › Certifications · Guide B 2019 › Certifications"
    );
    assert!(!is_ephemeral(&r));
    assert_no_mentions(&r);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_cert_names_are_refused_with_suggestions() {
    let bot = Bot::start(Some(GUILD)).await;
    for name in ["zzcert", "mycert", "cert", "cert cert"] {
        let r = bot
            .fake
            .callback(&bot.fake.command("cert", &[("name", name)]))
            .await;
        assert!(is_ephemeral(&r), "{name}: {:#}", r.body);
        assert!(
            content(&r).starts_with("No credential by that name"),
            "{name}: {:#}",
            r.body
        );
        assert!(r.body["data"]["embeds"].is_null() || r.body["data"]["embeds"] == json!([]));
        assert_eq!(button_ids(&r), ["cert:RHIT"], "{name}");
        assert_no_mentions(&r);
        // A suggestion opens the real card, privately.
        let card = bot.fake.callback(&bot.fake.click(&r, "cert:RHIT")).await;
        assert!(is_ephemeral(&card));
        assert_eq!(
            embed(&card)["title"],
            "RHIT — Registered Health Information Technician"
        );
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_button_and_faq_show_the_whole_entry() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot.fake.button("faq:median-salary");
    let r = bot.fake.callback(&token).await;
    assert_eq!(r.body["type"], 4, "{:#}", r.body);
    assert!(is_ephemeral(&r), "flags: {}", r.body["data"]["flags"]);
    let e = embed(&r);
    assert_eq!(e["title"], "What is the median salary?");
    assert!(
        e["description"]
            .as_str()
            .unwrap()
            .contains("$40,350 in May 2018")
    );
    assert_no_mentions(&r);

    let token = bot.fake.autocomplete("faq", ("topic", "remote"));
    let r = bot.fake.callback(&token).await;
    assert_eq!(
        r.body["data"]["choices"][0],
        json!({"name": "Can I work remotely?", "value": "remote-work"})
    );
    let token = bot.fake.command("faq", &[("topic", "remote-work")]);
    let r = bot.fake.callback(&token).await;
    assert_eq!(embed(&r)["title"], "Can I work remotely?");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_gateway_drop_and_keeps_answering() {
    let bot = Bot::start(Some(GUILD)).await;
    bot.fake.wait_op(2, 1).await;
    bot.fake.drop_gateway();
    bot.fake.wait_op(6, 1).await;
    assert_eq!(
        bot.fake.ops().iter().filter(|&&o| o == 2).count(),
        1,
        "resumed, not re-identified"
    );
    let token = bot.fake.command(
        "ask",
        &[("question", "do i need a computer science degree")],
    );
    let r = bot.fake.callback(&token).await;
    assert_eq!(embed(&r)["title"], "Do I need a computer science degree?");
    bot.stop().await;
}

/// `careerbot serve` with `config` as its config file and `token` (if any) in
/// `CB_TEST_TOKEN`; it must exit before connecting anywhere.
fn serve(config: &str, token: Option<&str>) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_careerbot"));
    cmd.args(["serve", "--config", path.to_str().unwrap()])
        .env("RUST_LOG", "trace")
        .env_remove("CB_TEST_TOKEN")
        .stdin(std::process::Stdio::null());
    if let Some(t) = token {
        cmd.env("CB_TEST_TOKEN", t);
    }
    let o = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.code(), out)
}

#[test]
fn serve_refuses_to_start_without_a_token_or_a_readable_config() {
    let config = "[discord]\ntoken_env = \"CB_TEST_TOKEN\"\n";
    let (code, out) = serve(config, None);
    assert_eq!(code, Some(2), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("error: environment variable CB_TEST_TOKEN is not set"),
        "{out}"
    );

    let (code, out) = serve("[discord]\ntoken_enw = \"X\"\n", Some("t"));
    assert_eq!(code, Some(2), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("line 2") && out.contains("token_enw"), "{out}");

    let o = std::process::Command::new(env!("CARGO_BIN_EXE_careerbot"))
        .args(["serve", "--config", "/nonexistent/config.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot read config `/nonexistent/config.toml`"),
        "{err}"
    );
}

#[test]
fn serve_never_prints_the_token() {
    // A broken knowledge folder stops it after the token is read, before any connection.
    let config = "faq_dir = \"/nonexistent/faq\"\n[discord]\ntoken_env = \"CB_TEST_TOKEN\"\n";
    let (code, out) = serve(config, Some("MTIz.secret-token-value"));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("knowledge folder not found"), "{out}");
    assert!(!out.contains("secret-token-value"), "{out}");
}

const MOD_ROLE: u64 = 700000000000000077;
const HELP_CHANNEL: &str = "700000000000000005";
const MOD_LOG: &str = "700000000000000006";

/// A member with the moderator role, for `FakeDiscord::interaction`'s `extra`.
fn moderator() -> Value {
    json!({"member": {
        "user": {"id": "600000000000000009", "username": "mod", "discriminator": "0", "global_name": "Mod", "avatar": null},
        "roles": [MOD_ROLE.to_string()],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "deaf": false, "mute": false, "flags": 0, "pending": false,
        "permissions": "2248473465835073"
    }})
}

/// `/faqadmin <sub>` from the member in `extra` (`json!({})`: a plain member).
fn faqadmin(fake: &FakeDiscord, sub: &str, extra: Value) -> String {
    fake.interaction(
        2,
        json!({"id": "500000000000000008", "name": "faqadmin", "type": 1,
               "options": [{"name": sub, "type": 1, "options": []}]}),
        extra,
    )
}

/// The text of an ephemeral reply, whether sent at once or deferred and then
/// edited in (a slow machine may defer).
async fn reply_text(bot: &Bot, token: &str) -> String {
    let r = bot.fake.callback(token).await;
    assert!(is_ephemeral(&r), "{:#}", r.body);
    if r.body["type"] == 5 {
        let edit = bot
            .fake
            .wait_request("PATCH", &format!("{token}/messages/@original"))
            .await;
        return edit.body["content"].as_str().unwrap_or("").to_string();
    }
    content(&r).to_string()
}

fn assert_metric(bot: &Bot, line: &str) {
    let metrics = bot.data.metrics.render();
    assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
}

fn content(r: &Request) -> &str {
    r.body["data"]["content"].as_str().unwrap_or("")
}

/// Bot with moderators, a moderator log channel and a help channel.
async fn staffed_bot() -> Bot {
    Bot::start_with(Some(GUILD), |c| {
        c.discord.moderator_role_ids = vec![MOD_ROLE];
        c.discord.mod_log_channel_id = Some(MOD_LOG.parse().unwrap());
        c.auto_answer.channel_ids = vec![HELP_CHANNEL.parse().unwrap()];
        c.auto_answer.min_confidence = 0.9;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_mark_the_chosen_button_on_the_answer_and_count_once_per_member() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot.fake.command("ask", &[("question", "can i wfh?")]);
    let r = bot.fake.callback(&token).await;
    let rows = r.body["data"]["components"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .flat_map(|row| row["components"].as_array().unwrap())
        .map(|b| b["custom_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"vote:up:remote-work"), "{ids:?}");
    assert!(ids.contains(&"vote:down:remote-work"), "{ids:?}");

    let answer = r;
    let r = bot
        .fake
        .callback(&bot.fake.click(&answer, "vote:up:remote-work"))
        .await;
    // No new "Thanks" message: the answer's own buttons show the vote.
    assert_eq!(r.body["type"], 7, "an UPDATE_MESSAGE: {:#}", r.body);
    assert!(
        r.body["data"]["embeds"].is_null(),
        "the answer itself is kept"
    );
    assert_eq!(marked_vote(&r).as_deref(), Some("vote:up:remote-work"));
    assert_eq!(
        button_ids(&r),
        button_ids(&answer),
        "every other button kept"
    );
    let r = bot
        .fake
        .callback(&bot.fake.click(&answer, "vote:up:remote-work"))
        .await;
    assert_eq!(marked_vote(&r).as_deref(), Some("vote:up:remote-work"));
    let r = bot
        .fake
        .callback(&bot.fake.click(&answer, "vote:down:remote-work"))
        .await;
    assert_eq!(marked_vote(&r).as_deref(), Some("vote:down:remote-work"));

    let stats = bot.data.store.stats();
    let v = stats
        .votes
        .iter()
        .find(|v| v.entry == "remote-work")
        .unwrap();
    assert_eq!((v.up, v.down), (0, 1), "one vote per member per message");
    assert_eq!(stats.answered, 1);
    assert_metric(&bot, "careerbot_answers_total{command=\"ask\"} 1");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_vote_buttons_are_neither_stored_nor_counted() {
    let bot = Bot::start(Some(GUILD)).await;
    let answer = bot
        .fake
        .callback(&bot.fake.command("ask", &[("question", "can i wfh?")]))
        .await;
    let refused = |r: &Request| {
        assert!(is_ephemeral(r));
        assert_eq!(
            content(r),
            "That button is no longer in use.",
            "{:#}",
            r.body
        );
    };
    // An id the answer never carried, with a link for the moderators' view.
    let forged = "vote:up:x`[Verify your account](https://phish.example)`";
    refused(&bot.fake.callback(&bot.fake.click(&answer, forged)).await);
    // A real entry, but not a button of the clicked message.
    refused(
        &bot.fake
            .callback(&bot.fake.button("vote:down:median-salary"))
            .await,
    );
    // A message that has the button, for an entry not in the FAQ.
    let ghost = Request {
        body: json!({"data": {"components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "Helpful", "custom_id": "vote:up:ghost"}]}]}}),
        ..answer.clone()
    };
    refused(
        &bot.fake
            .callback(&bot.fake.click(&ghost, "vote:up:ghost"))
            .await,
    );
    // The real button still counts.
    let r = bot
        .fake
        .callback(&bot.fake.click(&answer, "vote:up:remote-work"))
        .await;
    assert_eq!(marked_vote(&r).as_deref(), Some("vote:up:remote-work"));
    let votes: Vec<(String, u64, u64)> = bot
        .data
        .store
        .stats()
        .votes
        .into_iter()
        .map(|v| (v.entry, v.up, v.down))
        .collect();
    assert_eq!(votes, [("remote-work".to_string(), 1, 0)]);
    assert_metric(&bot, "careerbot_votes_total{vote=\"up\"} 1");
    assert_metric(&bot, "careerbot_votes_total{vote=\"down\"} 0");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_show_an_id_no_longer_in_the_faq_as_inert_code() {
    let bot = staffed_bot().await;
    // A vote recorded before the entry went (or before forged ids were refused).
    bot.data
        .store
        .record_vote(
            1,
            2,
            "x`[Verify your account](https://phish.example)`",
            true,
        )
        .unwrap();
    let r = bot
        .fake
        .callback(&faqadmin(&bot.fake, "stats", moderator()))
        .await;
    let fields = serde_json::to_string(&embed(&r)["fields"]).unwrap();
    assert!(
        fields.contains("`x [Verify your account](https://phish.example)` (no longer in the FAQ)"),
        "{fields}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faqadmin_refuses_members_and_shows_moderators_the_unanswered() {
    let bot = staffed_bot().await;
    let r = bot
        .fake
        .callback(
            &bot.fake
                .command("ask", &[("question", "how do i become a pilot")]),
        )
        .await;
    assert!(content(&r).starts_with("I don't know"), "{:#}", r.body);

    // A plain member (no role, no Manage Server) is refused, privately.
    let r = bot
        .fake
        .callback(&faqadmin(&bot.fake, "unanswered", json!({})))
        .await;
    assert!(is_ephemeral(&r));
    assert!(content(&r).starts_with("Only moderators"), "{:#}", r.body);
    assert!(!serde_json::to_string(&r.body).unwrap().contains("pilot"));

    let r = bot
        .fake
        .callback(&faqadmin(&bot.fake, "unanswered", moderator()))
        .await;
    assert!(is_ephemeral(&r));
    let text = serde_json::to_string(&embed(&r)).unwrap();
    assert!(text.contains("how do i become a pilot"), "{text}");
    assert_no_mentions(&r);

    let r = bot
        .fake
        .callback(&faqadmin(&bot.fake, "stats", moderator()))
        .await;
    let text = serde_json::to_string(&embed(&r)).unwrap();
    assert!(text.contains("not answered **1**"), "{text}");
    bot.stop().await;
}

/// A member who owns another server the bot was added to: every permission there.
fn other_server_owner() -> Value {
    json!({
        "guild_id": OTHER_GUILD,
        "channel_id": "710000000000000002",
        "channel": {"id": "710000000000000002", "type": 0, "name": "general", "guild_id": OTHER_GUILD, "permissions": "2251799813685247"},
        "authorizing_integration_owners": {"0": OTHER_GUILD},
        "member": {
            "user": {"id": "610000000000000001", "username": "owner", "discriminator": "0", "global_name": "Owner", "avatar": null},
            "roles": [MOD_ROLE.to_string()],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": false, "mute": false, "flags": 0, "pending": false,
            "permissions": "2251799813685247"
        }
    })
}

const OTHER_GUILD: &str = "710000000000000001";

/// The names in a command registration request.
fn names(r: &Request) -> Vec<String> {
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faqadmin_is_registered_in_the_home_server_only() {
    // Member commands global (production), the home server set.
    let bot = Bot::start(None).await;
    let global = bot
        .fake
        .wait_request(
            "PUT",
            &format!("/applications/{}/commands", crate::fake_discord::APP_ID),
        )
        .await;
    assert_eq!(
        names(&global),
        ["ask", "salary", "cert", "faq", "Find answer"]
    );
    let home = bot
        .fake
        .wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    assert_eq!(names(&home), ["faqadmin"]);
    assert_eq!(home.body[0]["default_member_permissions"], 32);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faqadmin_is_refused_outside_the_home_server_even_to_that_servers_owner() {
    let bot = staffed_bot().await;
    bot.fake
        .callback(
            &bot.fake
                .command("ask", &[("question", "how do i become a pilot")]),
        )
        .await;
    for sub in ["unanswered", "stats", "reload"] {
        let r = bot
            .fake
            .callback(&faqadmin(&bot.fake, sub, other_server_owner()))
            .await;
        assert!(is_ephemeral(&r));
        assert!(
            content(&r).starts_with("`/faqadmin` works only in this bot's home server"),
            "{:#}",
            r.body
        );
        let body = serde_json::to_string(&r.body).unwrap();
        assert!(
            !body.contains("pilot") && !body.contains("Answered"),
            "{body}"
        );
    }
    assert_metric(&bot, "careerbot_reloads_total{outcome=\"ok\"} 0");
    // The same member in the home server, with the moderator role: served.
    let mut home = other_server_owner();
    for k in [
        "guild_id",
        "channel_id",
        "channel",
        "authorizing_integration_owners",
    ] {
        home.as_object_mut().unwrap().remove(k);
    }
    let r = bot
        .fake
        .callback(&faqadmin(&bot.fake, "unanswered", home))
        .await;
    let text = serde_json::to_string(&embed(&r)).unwrap();
    assert!(text.contains("how do i become a pilot"), "{text}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faqadmin_reload_reports_errors_keeps_serving_and_tells_the_mod_log() {
    let bot = staffed_bot().await;
    let broken = bot.faq.join("entries/broken.md");
    std::fs::write(&broken, "+++\nid = \"broken\"\nquestion = \n+++\nBody.\n").unwrap();
    let text = reply_text(&bot, &faqadmin(&bot.fake, "reload", moderator())).await;
    assert!(text.starts_with("Reload rejected"), "{text}");
    assert!(text.contains("broken.md:3"), "path:line in {text}");
    // No internal words for moderators either.
    assert!(!text.contains("generation"), "{text}");
    let posted = bot
        .fake
        .wait_request("POST", &format!("/channels/{MOD_LOG}/messages"))
        .await;
    assert!(
        posted.body["content"]
            .as_str()
            .unwrap()
            .contains("broken.md:3")
    );
    assert_eq!(posted.body["allowed_mentions"]["parse"], json!([]));

    // Still serving the old knowledge.
    let r = bot
        .fake
        .callback(
            &bot.fake
                .command("ask", &[("question", "can i work from home")]),
        )
        .await;
    assert_eq!(embed(&r)["title"], "Can I work remotely?");

    std::fs::remove_file(&broken).unwrap();
    let text = reply_text(&bot, &faqadmin(&bot.fake, "reload", moderator())).await;
    assert!(text.starts_with("Reloaded `faq/`: 4 entries"), "{text}");
    assert!(!text.contains("generation"), "{text}");
    let stats = bot
        .fake
        .callback(&faqadmin(&bot.fake, "stats", moderator()))
        .await;
    let stats = embed(&stats)["description"].as_str().unwrap().to_string();
    assert!(
        stats.contains("entries live") && !stats.contains("generation"),
        "{stats}"
    );
    assert_metric(&bot, "careerbot_reloads_total{outcome=\"failed\"} 1");
    assert_metric(&bot, "careerbot_reloads_total{outcome=\"ok\"} 1");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_answer_replies_under_the_message_without_pinging_its_author() {
    let bot = Bot::start(Some(GUILD)).await;
    let token = bot.fake.message_command(
        "Find answer",
        "hey does anyone know if i need a CS degree for this?",
    );
    let r = bot.fake.callback(&token).await;
    assert!(is_ephemeral(&r), "the acknowledgement is private");
    let posted = bot
        .fake
        .wait_request("POST", "/channels/700000000000000002/messages")
        .await;
    assert_eq!(
        posted.body["embeds"][0]["title"],
        "Do I need a computer science degree?"
    );
    assert!(
        posted.body["message_reference"]["message_id"].is_string(),
        "{:#}",
        posted.body
    );
    assert_eq!(posted.body["allowed_mentions"]["replied_user"], false);
    assert_eq!(posted.body["allowed_mentions"]["parse"], json!([]));

    // Nothing to go on: "I don't know", only to the member who asked.
    let token = bot
        .fake
        .message_command("Find answer", "how do i become a pilot");
    let r = bot.fake.callback(&token).await;
    assert!(is_ephemeral(&r));
    assert!(content(&r).starts_with("I don't know"), "{:#}", r.body);
    bot.stop().await;
}

/// Another member of the server, as the author of a message or (wrapped
/// in `{"member": …}`) as the one running a command.
fn other_member() -> Value {
    json!({"id": "600000000000000042", "username": "other", "discriminator": "0", "global_name": "Other", "avatar": null})
}

fn as_member(user: Value) -> Value {
    json!({"member": {
        "user": user, "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "deaf": false, "mute": false, "flags": 0, "pending": false, "permissions": "0"
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_answer_keeps_the_cooldown_and_answers_each_message_once() {
    let bot = Bot::start_with(Some(GUILD), |c| c.cooldown.ask_seconds = 60).await;
    let question = "hey does anyone know if i need a CS degree for this?";
    let posts = |bot: &Bot| {
        bot.fake
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .count()
    };
    let author = crate::fake_discord::member_user();
    let a = "300000000000000001";
    let r = bot
        .fake
        .callback(
            &bot.fake
                .message_command_on(FIND, a, question, author.clone(), json!({})),
        )
        .await;
    assert!(
        content(&r).starts_with("Answered the message"),
        "{:#}",
        r.body
    );
    assert_eq!(posts(&bot), 1);
    // Same member, another message, within the cooldown: refused.
    let r = bot
        .fake
        .callback(&bot.fake.message_command_on(
            FIND,
            "300000000000000002",
            question,
            author.clone(),
            json!({}),
        ))
        .await;
    assert!(is_ephemeral(&r));
    assert!(
        content(&r).starts_with("One question at a time"),
        "{:#}",
        r.body
    );
    // Another member, the message already answered: refused, nothing posted.
    let r = bot
        .fake
        .callback(&bot.fake.message_command_on(
            FIND,
            a,
            question,
            author,
            as_member(other_member()),
        ))
        .await;
    assert!(is_ephemeral(&r));
    assert!(
        content(&r).starts_with("I have already looked at that message"),
        "{:#}",
        r.body
    );
    assert_eq!(posts(&bot), 1, "one public reply per message");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_answer_never_stores_another_members_text() {
    let bot = Bot::start(Some(GUILD)).await;
    let theirs = "how do i become a pilot, asks my friend";
    let r = bot
        .fake
        .callback(&bot.fake.message_command_on(
            FIND,
            "300000000000000011",
            theirs,
            other_member(),
            json!({}),
        ))
        .await;
    assert!(is_ephemeral(&r));
    assert!(content(&r).starts_with("I don't know"), "{:#}", r.body);
    // Counted, but no word of it kept.
    assert_eq!(bot.data.store.stats().unanswered, 1);
    assert!(bot.data.store.unanswered(10).is_empty());
    let log = std::fs::read_to_string(bot.data.store.path()).unwrap();
    assert!(!log.contains("pilot"), "{log}");
    // Their own message is theirs to share.
    let mine = "how do i become an astronaut";
    bot.fake
        .callback(&bot.fake.message_command_on(
            FIND,
            "300000000000000012",
            mine,
            crate::fake_discord::member_user(),
            json!({}),
        ))
        .await;
    let kept: Vec<String> = bot
        .data
        .store
        .unanswered(10)
        .into_iter()
        .map(|q| q.question)
        .collect();
    assert_eq!(kept, [mine]);
    bot.stop().await;
}

const FIND: &str = "Find answer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_channel_answers_confident_questions_and_stays_silent_otherwise() {
    let bot = staffed_bot().await;
    // Chat, a question it cannot answer, one it answers with less than the
    // channel's 0.9 confidence (/ask answers it at 0.78), and a question in
    // another channel: silence.
    bot.fake.message(HELP_CHANNEL, "good morning everyone");
    bot.fake.message(HELP_CHANNEL, "how do i become a pilot?");
    bot.fake
        .message(HELP_CHANNEL, "how common is working from home?");
    bot.fake
        .message("700000000000000002", "can i work remotely?");
    bot.fake.message(HELP_CHANNEL, "can i work remotely?");
    let posted = bot
        .fake
        .wait_request("POST", &format!("/channels/{HELP_CHANNEL}/messages"))
        .await;
    assert_eq!(posted.body["embeds"][0]["title"], "Can I work remotely?");
    assert_eq!(posted.body["allowed_mentions"]["replied_user"], false);
    // Every question handled (one answered, two under the bar) before
    // counting: a stray reply would be posted by then.
    eventually("the three help-channel questions handled", || async {
        let m = bot.data.metrics.render();
        (m.contains("careerbot_answers_total{command=\"help-channel\"} 1")
            && m.contains("careerbot_abstentions_total{command=\"help-channel\"} 2"))
        .then_some(())
    })
    .await;
    let posts: Vec<Request> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.contains("/channels/"))
        .collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_replies_are_deferred_then_edited_in() {
    // Defer at once: the "thinking…" path every slow reply takes.
    let bot = Bot::start_with(Some(GUILD), |c| c.discord.defer_after_ms = 0).await;
    let token = bot
        .fake
        .command("ask", &[("question", "can i work remotely?")]);
    let r = bot.fake.callback(&token).await;
    assert_eq!(r.body["type"], 5, "{:#}", r.body);
    let edit = bot
        .fake
        .wait_request("PATCH", &format!("/{token}/messages/@original"))
        .await;
    assert_eq!(edit.body["embeds"][0]["title"], "Can I work remotely?");
    assert_eq!(edit.body["allowed_mentions"]["parse"], json!([]));

    // A slow vote: acknowledged silently (type 6), then only the answer's
    // buttons are edited; its text and embeds are left as they are.
    let answer = Request {
        body: json!({"data": {"components": edit.body["components"].clone()}}),
        ..edit.clone()
    };
    let vote = bot.fake.click(&answer, "vote:up:remote-work");
    let r = bot.fake.callback(&vote).await;
    assert_eq!(r.body["type"], 6, "{:#}", r.body);
    let update = bot
        .fake
        .wait_request("PATCH", &format!("/{vote}/messages/@original"))
        .await;
    assert!(update.body.get("embeds").is_none(), "{:#}", update.body);
    assert!(update.body.get("content").is_none(), "{:#}", update.body);
    let marked = Request {
        body: json!({"data": {"components": update.body["components"].clone()}}),
        ..update.clone()
    };
    assert_eq!(marked_vote(&marked).as_deref(), Some("vote:up:remote-work"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_callback_is_retried_and_answered() {
    let bot = Bot::start(Some(GUILD)).await;
    bot.fake.fail_next(
        "POST",
        "/callback",
        "429 Too Many Requests",
        json!({"message": "You are being rate limited.", "retry_after": 0.05, "global": false}),
    );
    let token = bot
        .fake
        .command("ask", &[("question", "can i work remotely?")]);
    let suffix = format!("/{token}/callback");
    let attempts = bot
        .fake
        .wait_for("a second callback", |f| {
            let n: Vec<Request> = f
                .requests()
                .into_iter()
                .filter(|r| r.path.ends_with(&suffix))
                .collect();
            (n.len() >= 2).then_some(n)
        })
        .await;
    assert_eq!(attempts.len(), 2, "one refused, one accepted");
    assert_eq!(
        attempts[1].body["data"]["embeds"][0]["title"],
        "Can I work remotely?"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_interaction_is_lost_across_a_drop_or_an_invalid_session() {
    let bot = Bot::start(Some(GUILD)).await;
    bot.fake.wait_op(2, 1).await;
    // Dropped: an interaction sent meanwhile is replayed on RESUME and answered.
    bot.fake.drop_gateway();
    let token = bot
        .fake
        .command("ask", &[("question", "can i work remotely?")]);
    bot.fake.wait_op(6, 1).await;
    let r = bot.fake.callback(&token).await;
    assert_eq!(embed(&r)["title"], "Can I work remotely?");

    // Invalid session (op 9, not resumable): a fresh IDENTIFY, then answers.
    bot.fake.invalidate_session(false);
    bot.fake.wait_op(2, 2).await;
    let token = bot.fake.command(
        "ask",
        &[("question", "do i need a computer science degree")],
    );
    let r = bot.fake.callback(&token).await;
    assert_eq!(embed(&r)["title"], "Do I need a computer science degree?");
    assert_metric(&bot, "careerbot_gateway_connected 1");
    assert_metric(&bot, "careerbot_gateway_reconnects_total 2");
    bot.stop().await;
}

/// `GET path` on 127.0.0.1:`port`: (status, body), or `None` if nothing listens yet.
async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    sock.write_all(req.as_bytes()).await.ok()?;
    let mut out = String::new();
    sock.read_to_string(&mut out).await.ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    ))
}

/// Polls `f` every 50 ms until it returns `Some`, for at most the fake's TIMEOUT.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + crate::fake_discord::TIMEOUT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_binary_reports_health_and_posts_a_broken_edit_to_the_mod_log() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let faq = dir.path().join("faq");
    copy_tree(&fixture(), &faq);
    // A free loopback port for /healthz and /metrics.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "faq_dir = {faq:?}\nindex_dir = {index:?}\ndata_dir = {data:?}\n\
         [discord]\ntoken_env = \"CB_SERVE_TOKEN\"\nguild_id = {GUILD}\napi_proxy = {base:?}\n\
         mod_log_channel_id = {MOD_LOG}\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
        faq = faq.display().to_string(),
        index = dir.path().join("index").display().to_string(),
        data = dir.path().join("data").display().to_string(),
        base = fake.http_base,
    );
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_careerbot"))
        .args(["serve", "--config", path.to_str().unwrap()])
        .env("CB_SERVE_TOKEN", "serve.test.secret")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    fake.wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    let (status, body) = eventually("healthz 200", || async {
        http_get(port, "/healthz").await.filter(|(s, _)| *s == 200)
    })
    .await;
    assert_eq!((status, body.trim()), (200, "{\"status\":\"ok\"}"));
    let (_, metrics) = http_get(port, "/metrics").await.unwrap();
    assert!(metrics.contains("careerbot_entries 4"), "{metrics}");

    // A broken edit: the watcher rejects it, tells the mod log, keeps serving.
    std::fs::write(
        faq.join("entries/broken.md"),
        "+++\nid = \"broken\"\nquestion = \n+++\nBody.\n",
    )
    .unwrap();
    let posted = fake
        .wait_request("POST", &format!("/channels/{MOD_LOG}/messages"))
        .await;
    assert!(
        posted.body["content"]
            .as_str()
            .unwrap()
            .contains("broken.md:3"),
        "{:#}",
        posted.body
    );
    eventually("the failed reload in /metrics", || async {
        let (_, m) = http_get(port, "/metrics").await?;
        m.contains("careerbot_reloads_total{outcome=\"failed\"} 1")
            .then_some(())
    })
    .await;
    let token = fake.command("ask", &[("question", "can i work remotely?")]);
    assert_eq!(
        embed(&fake.callback(&token).await)["title"],
        "Can I work remotely?"
    );

    // Fixed: it recovers by itself.
    std::fs::remove_file(faq.join("entries/broken.md")).unwrap();
    eventually("the recovery in /metrics", || async {
        let (_, m) = http_get(port, "/metrics").await?;
        m.contains("careerbot_reloads_total{outcome=\"ok\"} 1")
            .then_some(())
    })
    .await;

    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains("serve.test.secret"), "{log}");
}

/// `careerbot serve` (the real binary) against `fake`, with the fixture
/// knowledge base, `token` in `CB_RUN_TOKEN`, `RUST_LOG=rust_log` and
/// `discord_extra` added to `[discord]`. Its stderr is collected as it
/// comes (a full pipe would stall it); [`Served::log`] stops it and returns it.
struct Served {
    child: tokio::process::Child,
    /// Ends with stderr; `written` holds what it has read so far.
    stderr: tokio::task::JoinHandle<()>,
    written: Arc<Mutex<Vec<u8>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(fake: &FakeDiscord, token: &str, rust_log: &str, discord_extra: &str) -> Served {
        use tokio::io::AsyncReadExt;
        let dir = tempfile::tempdir().unwrap();
        let faq = dir.path().join("faq");
        copy_tree(&fixture(), &faq);
        let config = format!(
            "faq_dir = {faq:?}\nindex_dir = {index:?}\ndata_dir = {data:?}\n\
             [discord]\ntoken_env = \"CB_RUN_TOKEN\"\nguild_id = {GUILD}\napi_proxy = {base:?}\n{discord_extra}\n",
            faq = faq.display().to_string(),
            index = dir.path().join("index").display().to_string(),
            data = dir.path().join("data").display().to_string(),
            base = fake.http_base,
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_careerbot"))
            .args(["serve", "--config", path.to_str().unwrap()])
            .env("CB_RUN_TOKEN", token)
            .env("RUST_LOG", rust_log)
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&written);
        let stderr = tokio::spawn(async move {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf).await
                && n > 0
            {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Served {
            child,
            stderr,
            written,
            _dir: dir,
        }
    }

    /// Waits until the bot has logged `line` `times` times: what it logs
    /// after a reply reached Discord comes after the fake saw the request.
    async fn wait_logged(&self, line: &str, times: usize) {
        eventually(&format!("{line:?} logged {times} times"), || async {
            let text = String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned();
            (text.matches(line).count() >= times).then_some(())
        })
        .await;
    }

    /// Stops the bot; everything it wrote to stderr.
    async fn log(mut self) -> Vec<u8> {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
        self.stderr.await.unwrap();
        std::mem::take(&mut *self.written.lock().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_in_no_log_line_at_any_level() {
    const TOKEN: &str = "MTk4NjIyNDgz.Canary.tok3n-Zq9x4c1e7dWv";
    let fake = FakeDiscord::start().await;
    // Trace everywhere, websocket frames included: what an operator
    // debugging a connection would set.
    let bot = Served::start(
        &fake,
        TOKEN,
        "trace,tungstenite=trace,tokio_tungstenite=trace",
        "",
    );
    // IDENTIFY (the token in a gateway frame), then HTTP calls (the token
    // in a header) for the registration and an answer.
    fake.wait_op(2, 1).await;
    fake.wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    let token = fake.command("ask", &[("question", "can i work remotely?")]);
    fake.callback(&token).await;
    let log = bot.log().await;
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("TRACE"), "trace logging is on:\n{text}");
    let bytes = TOKEN.as_bytes();
    let decimal = |sep: &str| {
        bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(sep)
    };
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    for form in [
        TOKEN.to_string(),
        decimal(", "),
        decimal(","),
        hex.clone(),
        hex.to_uppercase(),
    ] {
        assert!(
            !text.contains(&form),
            "the token, as {form:?}, is in the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_custom_ids_write_no_lines_or_escapes_into_the_log() {
    let fake = FakeDiscord::start().await;
    let bot = Served::start(&fake, "forged.ids.token", "info", "");
    fake.wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    for forged in [
        "vote:up:x\n1999-01-01T00:00:00.000000Z  INFO careerbot: FORGED admin granted",
        "faq:\u{1b}[2J\u{1b}[31mFORGED red\r",
    ] {
        let token = fake.button(forged);
        fake.callback(&token).await;
    }
    bot.wait_logged("interaction answered", 2).await;
    let log = bot.log().await;
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("interaction answered"), "{text}");
    assert!(!text.contains('\u{1b}'), "a terminal escape in:\n{text}");
    assert!(!text.contains('\r'), "a carriage return in:\n{text}");
    // Each forged id stays inside a quoted field of the line that logs it.
    assert!(!text.lines().any(|l| l.starts_with("1999-")), "{text}");
    for line in text.lines().filter(|l| l.contains("FORGED")) {
        let field = line.find("=\"").unwrap_or(usize::MAX);
        assert!(field < line.find("FORGED").unwrap(), "{line:?} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_home_server_no_moderator_command_exists_and_the_log_says_why() {
    let fake = FakeDiscord::start().await;
    // No home_guild_id; a moderator role configured all the same.
    let bot = Served::start(
        &fake,
        "no.home.token",
        "info",
        &format!("moderator_role_ids = [{MOD_ROLE}]"),
    );
    let put = fake
        .wait_request("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    assert!(!names(&put).contains(&"faqadmin".to_string()), "{put:?}");
    // An old registration answered anyway: refused, for a moderator too.
    let r = fake
        .callback(&faqadmin(&fake, "unanswered", moderator()))
        .await;
    assert!(
        content(&r).starts_with("`/faqadmin` works only in this bot's home server"),
        "{:#}",
        r.body
    );
    bot.wait_logged("moderator commands (/faqadmin) not registered", 1)
        .await;
    let log = bot.log().await;
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains(
            "moderator commands (/faqadmin) not registered: [discord] home_guild_id is not set"
        ),
        "{text}"
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
            .count(),
        1
    );
}

/// Every way `body` (an interaction callback or a message) breaks one of
/// Discord's limits; empty when it breaks none.
fn limit_problems(body: &Value) -> Vec<String> {
    let data = if body["data"].is_object() {
        &body["data"]
    } else {
        body
    };
    let n = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let mut out = Vec::new();
    let mut check = |what: String, len: usize, max: usize| {
        if len > max {
            out.push(format!("{what}: {len} > {max}"));
        }
    };
    check("content".into(), n(&data["content"]), 2000);
    let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
    check("embeds".into(), embeds.len(), 10);
    for (i, e) in embeds.iter().enumerate() {
        check(format!("embed {i} title"), n(&e["title"]), 256);
        check(format!("embed {i} description"), n(&e["description"]), 4096);
        check(format!("embed {i} footer"), n(&e["footer"]["text"]), 2048);
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        check(format!("embed {i} fields"), fields.len(), 25);
        let mut total = n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]);
        for f in &fields {
            check(format!("embed {i} field name"), n(&f["name"]), 256);
            check(format!("embed {i} field value"), n(&f["value"]), 1024);
            total += n(&f["name"]) + n(&f["value"]);
        }
        check(format!("embed {i} total"), total, 6000);
    }
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    check("action rows".into(), rows.len(), 5);
    for row in &rows {
        let buttons = row["components"].as_array().cloned().unwrap_or_default();
        check("buttons in a row".into(), buttons.len(), 5);
        for b in &buttons {
            check(format!("label {}", b["label"]), n(&b["label"]), 80);
            check(
                format!("custom_id {}", b["custom_id"]),
                n(&b["custom_id"]),
                100,
            );
        }
    }
    let choices = data["choices"].as_array().cloned().unwrap_or_default();
    check("choices".into(), choices.len(), 25);
    for c in &choices {
        check("choice name".into(), n(&c["name"]), 100);
        check("choice value".into(), n(&c["value"]), 100);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salary_answers_show_medians_a_range_and_a_private_full_card_button() {
    let bot = Bot::start(Some(GUILD)).await;
    let r = bot
        .fake
        .callback(
            &bot.fake
                .command("ask", &[("question", "how much does a hit tech make")]),
        )
        .await;
    let embeds = r.body["data"]["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 2, "{:#}", r.body);
    let pay = &embeds[1];
    assert_eq!(pay["title"], "Pay: HIT Technician");
    assert!(
        pay["fields"].is_null() || pay["fields"] == json!([]),
        "no wall of fields"
    );
    let d = pay["description"].as_str().unwrap();
    assert!(d.contains("$47,160 (May 2023, Guide A 2024)"), "{d}");
    assert!(
        d.contains("Entry level (United States): $30,000–$45,000"),
        "{d}"
    );
    assert!(d.chars().count() < 600, "{d}");
    assert!(!d.contains("(national)"), "{d}");
    let card = button_id(&r, "pay:").expect("a full-card button");
    assert_eq!(card, "pay:hit-technician||");
    let full = bot.fake.callback(&bot.fake.click(&r, &card)).await;
    assert!(
        is_ephemeral(&full),
        "the full card is for the member who asked"
    );
    let fields = embed(&full)["fields"].as_array().unwrap();
    assert!(fields.len() >= 3, "{fields:#?}");
    assert!(limit_problems(&full.body).is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_answer_renders_identically_every_time_with_no_bold_words() {
    let bot = Bot::start(Some(GUILD)).await;
    let mut seen: Vec<Value> = Vec::new();
    for _ in 0..3 {
        let r = bot
            .fake
            .callback(
                &bot.fake
                    .command("ask", &[("question", "can i work from home")]),
            )
            .await;
        let e = embed(&r);
        // The title is always the entry's question: no first line reads as
        // an answer to another question.
        assert_eq!(e["title"], "Can I work remotely?");
        assert!(!e["description"].as_str().unwrap().contains("**"), "{e}");
        seen.push(r.body["data"].clone());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_keeps_the_question_behind_an_ask_it_now_button() {
    let bot = Bot::start_with(Some(GUILD), |c| c.cooldown.ask_seconds = 1).await;
    let ask = || {
        bot.fake
            .command("ask", &[("question", "can i work remotely?")])
    };
    let first = bot.fake.callback(&ask()).await;
    assert_eq!(embed(&first)["title"], "Can I work remotely?");
    let r = bot.fake.callback(&ask()).await;
    assert!(is_ephemeral(&r));
    assert!(content(&r).contains("ask again in 1 s"), "{:#}", r.body);
    let again = button_ids(&r);
    assert!(
        again.len() == 1 && again[0].starts_with("again:"),
        "{again:?}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answered = bot.fake.callback(&bot.fake.click(&r, &again[0])).await;
    assert_eq!(
        embed(&answered)["title"],
        "Can I work remotely?",
        "{:#}",
        answered.body
    );
    assert!(!is_ephemeral(&answered));
    assert_no_mentions(&answered);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faq_replies_carry_related_and_vote_buttons_and_autocomplete_ranks_by_the_engine() {
    let bot = Bot::start(Some(GUILD)).await;
    // "from home" is in no title: the engine still finds the entry.
    let r = bot
        .fake
        .callback(&bot.fake.autocomplete("faq", ("topic", "work from home")))
        .await;
    assert_eq!(
        r.body["data"]["choices"][0]["value"], "remote-work",
        "{:#}",
        r.body
    );
    let r = bot
        .fake
        .callback(&bot.fake.command("faq", &[("topic", "remote-work")]))
        .await;
    let ids = button_ids(&r);
    for id in [
        "vote:up:remote-work",
        "vote:down:remote-work",
        "src:faq:remote-work",
    ] {
        assert!(ids.contains(&id.to_string()), "{ids:?}");
    }
    assert!(
        !ids.contains(&"faq:remote-work".to_string()),
        "not itself: {ids:?}"
    );
    // The same related entries as /ask offers for that question.
    let related = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .filter(|i| i.starts_with("faq:") && *i != "faq:median-salary")
            .cloned()
            .collect()
    };
    let asked = bot
        .fake
        .callback(
            &bot.fake
                .command("ask", &[("question", "What is the median salary?")]),
        )
        .await;
    let faq = bot
        .fake
        .callback(&bot.fake.command("faq", &[("topic", "median-salary")]))
        .await;
    let (a, b) = (related(&button_ids(&asked)), related(&button_ids(&faq)));
    assert!(a.iter().all(|i| b.contains(i)), "{a:?} {b:?}");
    assert!(button_ids(&faq).contains(&"vote:up:median-salary".to_string()));
    let src = bot
        .fake
        .callback(&bot.fake.click(&r, "src:faq:remote-work"))
        .await;
    assert!(is_ephemeral(&src));
    assert_eq!(
        embed(&src)["description"],
        "**Guide A 2024**\nFixture Guide A (2024-01-02) — FAQ"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reply_kind_fits_discords_limits() {
    let bot = Bot::start_with(Some(GUILD), |c| {
        c.discord.moderator_role_ids = vec![MOD_ROLE];
    })
    .await;
    let f = &bot.fake;
    let mut replies: Vec<(&str, Request)> = Vec::new();
    let answer = f
        .callback(&f.command("ask", &[("question", "can i wfh?")]))
        .await;
    replies.push(("answer", answer.clone()));
    let salary_answer = f
        .callback(&f.command("ask", &[("question", "how much does a hit tech make")]))
        .await;
    replies.push(("salary answer", salary_answer.clone()));
    let abstain = f
        .callback(&f.command("ask", &[("question", "nurse practitioner salary")]))
        .await;
    replies.push(("abstain", abstain.clone()));
    let share = button_id(&abstain, "share:").unwrap();
    replies.push(("shared", f.callback(&f.click(&abstain, &share)).await));
    replies.push((
        "cert",
        f.callback(&f.command("cert", &[("name", "rhit")])).await,
    ));
    replies.push((
        "unknown cert",
        f.callback(&f.command("cert", &[("name", "zzcert")])).await,
    ));
    let salary = f
        .callback(&f.command("salary", &[("role", "hit tech")]))
        .await;
    replies.push(("salary", salary.clone()));
    let src = button_id(&salary, "src:").unwrap();
    replies.push(("sources", f.callback(&f.click(&salary, &src)).await));
    replies.push((
        "unknown role",
        f.callback(&f.command("salary", &[("role", "pilot")])).await,
    ));
    replies.push((
        "faq",
        f.callback(&f.command("faq", &[("topic", "remote-work")]))
            .await,
    ));
    replies.push((
        "vote",
        f.callback(&f.click(&answer, "vote:up:remote-work")).await,
    ));
    replies.push(("related", f.callback(&f.button("faq:median-salary")).await));
    replies.push((
        "autocomplete",
        f.callback(&f.autocomplete("faq", ("topic", "e"))).await,
    ));
    replies.push((
        "admin stats",
        f.callback(&faqadmin(f, "stats", moderator())).await,
    ));
    replies.push((
        "admin unanswered",
        f.callback(&faqadmin(f, "unanswered", moderator())).await,
    ));
    for (kind, r) in &replies {
        let problems = limit_problems(&r.body);
        assert!(problems.is_empty(), "{kind}: {problems:?}\n{:#}", r.body);
        if r.body["type"] != 8 {
            assert_no_mentions(r);
        }
    }
    bot.stop().await;
    // The cooldown reply needs a cooldown.
    let bot = Bot::start_with(Some(GUILD), |c| c.cooldown.ask_seconds = 60).await;
    let f = &bot.fake;
    f.callback(&f.command("ask", &[("question", "can i wfh?")]))
        .await;
    let r = f
        .callback(&f.command("ask", &[("question", "can i wfh?")]))
        .await;
    assert!(
        content(&r).starts_with("One question at a time"),
        "{:#}",
        r.body
    );
    assert!(limit_problems(&r.body).is_empty());
    bot.stop().await;
}

/// The replies the shipped FAQ gives to the questions members ask most,
/// shaped as the bot sends them: each within Discord's limits, and written
/// to `target/real-faq-replies.jsonl` (a fake-Discord log) for
/// `discord-render` (see README, "What members see").
#[test]
fn real_faq_replies_fit_discords_limits() {
    use careerbot::discord::format;
    let tmp = tempfile::tempdir().unwrap();
    let k = careerbot::knowledge::Knowledge::load(&crate::root().join("faq"), tmp.path())
        .expect("the shipped FAQ loads");
    let mut log = String::new();
    let mut record = |what: &str, body: Value| {
        let problems = limit_problems(&body);
        assert!(problems.is_empty(), "{what}: {problems:?}\n{body:#}");
        let line = json!({"method": "POST", "path": format!("/api/v10/interactions/1/{what}/callback"), "body": body});
        log.push_str(&format!("{line}\n"));
    };
    for q in [
        "can i work from home",
        "how much does a health information technician make",
        "do I need a computer science degree?",
        "what does a hit manager earn",
        "what is cphims",
        "nurse practitioner salary",
    ] {
        let asked = k.ask(q);
        let body = serde_json::to_value(format::response(&asked, Some(1)).into_response()).unwrap();
        let text = body.to_string();
        assert!(
            !text.contains("(national)") && !text.contains("no publisher"),
            "{q}: {text}"
        );
        if let Some(a) = &asked.response.answer {
            // The entry's question, or the guide section's heading.
            assert_eq!(
                body["data"]["embeds"][0]["title"],
                format::short_title(&a.title).as_str()
            );
            assert!(
                a.title.ends_with(
                    body["data"]["embeds"][0]["title"]
                        .as_str()
                        .unwrap()
                        .rsplit(" › ")
                        .next()
                        .unwrap()
                )
            );
        }
        if let Some(careerbot::lookup::Facts::Salary(s)) = &asked.facts {
            // The short pay facts, then the whole card privately.
            let full = serde_json::to_value(
                careerbot::discord::format::Reply {
                    ephemeral: true,
                    ..format::salary(s)
                }
                .into_response(),
            )
            .unwrap();
            record("salary-card", full);
        }
        record("ask", body);
    }
    for name in ["rhit", "zzcert", "cert", "mycert"] {
        let body = match k.lookup.cert(name) {
            Ok(a) => serde_json::to_value(format::cert(&a).into_response()).unwrap(),
            Err(e) => {
                assert_ne!(name, "rhit");
                serde_json::to_value(
                    format::not_found(&e, |c| Some(format::Button::Cert(c.value.clone())))
                        .into_response(),
                )
                .unwrap()
            }
        };
        let text = body.to_string();
        assert!(
            !text.contains("qualora-2026") && !text.contains("no publisher"),
            "{text}"
        );
        record("cert", body);
    }
    // /faq autocomplete ranks by the engine: "remote" offers the entry
    // whose title says "from home".
    let offered: Vec<String> = careerbot::discord::lookups::faq_choices(&k.engine, "remote")
        .into_iter()
        .take(3)
        .map(|c| c.name)
        .collect();
    assert!(
        offered.iter().any(|n| n == "Can I work from home in HIT?"),
        "{offered:?}"
    );
    // /salary for a role with many figures, nothing narrowed: the medians
    // and the range in the channel, the whole card a private click away.
    let s = k.lookup.salary("hit technician", None, None).unwrap();
    let body = serde_json::to_value(format::salary_in_channel(&s).into_response()).unwrap();
    let embeds = body["data"]["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 1, "{body:#}");
    assert!(
        embeds[0]["fields"].as_array().is_none_or(Vec::is_empty),
        "{body:#}"
    );
    let description = embeds[0]["description"].as_str().unwrap();
    assert!(description.lines().count() <= 8, "{description}");
    assert!(description.contains("$47,160"), "{description}");
    assert!(body.to_string().contains("Full pay card"), "{body:#}");
    record("salary", body);
    // Narrowed by level, the card itself.
    let senior = k
        .lookup
        .salary(
            "hit technician",
            Some(careerbot::corpus::Level::Senior),
            None,
        )
        .unwrap();
    let body = serde_json::to_value(format::salary_in_channel(&senior).into_response()).unwrap();
    assert!(
        body["data"]["embeds"][0]["fields"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "{body:#}"
    );
    record("salary", body);
    std::fs::write(crate::root().join("target/real-faq-replies.jsonl"), log).unwrap();
}
