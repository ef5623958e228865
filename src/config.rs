//! `config.toml` for `careerbot serve`, and the bot token read from the
//! environment. The token never reaches a log line: [`Token`] prints as
//! `Token(<redacted>)` and has no `Display`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything `careerbot serve` reads from its config file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder holding the knowledge base.
    pub faq_dir: PathBuf,
    /// Folder where the search index is kept.
    pub index_dir: PathBuf,
    /// Folder for the bot's own state: the unanswered-question and feedback
    /// logs (created on demand).
    pub data_dir: PathBuf,
    pub discord: DiscordConfig,
    pub cooldown: CooldownConfig,
    pub auto_answer: AutoAnswerConfig,
    pub http: HttpConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Name of the environment variable holding the bot token.
    pub token_env: String,
    /// Register the member commands in this guild only (instant); `None`:
    /// globally.
    pub guild_id: Option<u64>,
    /// The community's own server: the only one where moderator commands
    /// (`/faqadmin`) are registered and accepted. `None`: there are none.
    pub home_guild_id: Option<u64>,
    /// Base URL that replaces `https://discord.com` for HTTP API calls (a
    /// rate-limiting proxy, or a fake Discord in tests). When set, the proxy
    /// is trusted to handle rate limits.
    pub api_proxy: Option<String>,
    /// Roles allowed to run moderator commands (members with the Manage
    /// Server permission always may).
    pub moderator_role_ids: Vec<u64>,
    /// Channel where reload failures are posted for moderators; `None`: logs only.
    pub mod_log_channel_id: Option<u64>,
    /// Milliseconds a reply may take before Discord is told "thinking…"
    /// (Discord drops interactions not acknowledged within 3 seconds).
    pub defer_after_ms: u64,
}

/// Answering plain messages (not commands) in chosen help channels.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AutoAnswerConfig {
    /// Channels where question-like messages get an answer; empty: off.
    pub channel_ids: Vec<u64>,
    /// Minimum engine confidence (0..1) to answer there; below it the bot stays silent.
    pub min_confidence: f32,
}

/// The operator endpoints (`/healthz`, `/metrics`).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to serve them on, e.g. `127.0.0.1:9100`; `None`: off.
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CooldownConfig {
    /// Seconds a member waits between two `/ask` commands (0: no cooldown).
    pub ask_seconds: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            faq_dir: "faq".into(),
            index_dir: "index".into(),
            data_dir: "data".into(),
            discord: DiscordConfig::default(),
            cooldown: CooldownConfig::default(),
            auto_answer: AutoAnswerConfig::default(),
            http: HttpConfig::default(),
        }
    }
}

impl Default for AutoAnswerConfig {
    fn default() -> AutoAnswerConfig {
        AutoAnswerConfig {
            channel_ids: Vec::new(),
            min_confidence: 0.75,
        }
    }
}

impl Default for DiscordConfig {
    fn default() -> DiscordConfig {
        DiscordConfig {
            token_env: "DISCORD_TOKEN".into(),
            guild_id: None,
            home_guild_id: None,
            api_proxy: None,
            moderator_role_ids: Vec::new(),
            mod_log_channel_id: None,
            defer_after_ms: 1500,
        }
    }
}

impl Default for CooldownConfig {
    fn default() -> CooldownConfig {
        CooldownConfig { ask_seconds: 5 }
    }
}

impl Config {
    /// Parses a config file's text; errors are one line with the line number.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = e.message().trim().replace('\n', " ");
            match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            }
        })
    }

    /// Reads and parses `path`; the error is one line naming the file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config `{}`: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("invalid config `{}`: {e}", path.display()))
    }

    /// The bot token from the environment variable the config names.
    pub fn token(&self) -> Result<Token, String> {
        let var = &self.discord.token_env;
        match std::env::var(var) {
            Ok(t) if !t.trim().is_empty() => Ok(Token(t.trim().to_string())),
            Ok(_) => Err(format!(
                "environment variable {var} is empty (it must hold the bot token)"
            )),
            Err(_) => Err(format!(
                "environment variable {var} is not set (it must hold the bot token; see README, \"Run it on your server\")"
            )),
        }
    }
}

/// A bot token. Debug output is redacted; read it with [`Token::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// The secret itself: only for handing to the Discord client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_to_the_defaults_it_documents() {
        let text = include_str!("../config.example.toml");
        assert_eq!(Config::parse(text).unwrap(), Config::default());
    }

    #[test]
    fn every_key_parses() {
        let c = Config::parse(
            "faq_dir = \"f\"\nindex_dir = \"i\"\ndata_dir = \"d\"\n[discord]\ntoken_env = \"T\"\nguild_id = 123\nhome_guild_id = 456\napi_proxy = \"http://127.0.0.1:1\"\nmoderator_role_ids = [1, 2]\nmod_log_channel_id = 7\n[cooldown]\nask_seconds = 0\n[auto_answer]\nchannel_ids = [5]\nmin_confidence = 0.9\n[http]\nlisten = \"127.0.0.1:9100\"\n",
        )
        .unwrap();
        assert_eq!(c.discord.guild_id, Some(123));
        assert_eq!(c.discord.home_guild_id, Some(456));
        assert_eq!(c.discord.moderator_role_ids, vec![1, 2]);
        assert_eq!(c.cooldown.ask_seconds, 0);
        assert_eq!(c.discord.mod_log_channel_id, Some(7));
        assert_eq!(c.auto_answer.channel_ids, vec![5]);
        assert_eq!(c.auto_answer.min_confidence, 0.9);
        assert_eq!(c.http.listen, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(c.faq_dir, PathBuf::from("f"));
    }

    #[test]
    fn errors_are_one_line_with_the_line_number() {
        let e = Config::parse("faq_dir = \"f\"\n[discord]\ntoken_enw = \"X\"\n").unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.starts_with("line 3:"), "{e}");
        assert!(e.contains("token_enw"), "{e}");
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::new("abc.def.secret");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(!format!("{:?}", Some(&t)).contains("secret"));
    }
}
