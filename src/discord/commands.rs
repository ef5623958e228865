//! What the bot registers with Discord: every command and option described.

use crate::corpus::Level;
use crate::present::level_name;
use serenity::all::{
    CommandOptionType, CommandType, CreateCommand, CreateCommandOption, Permissions,
};

/// Every command the bot has, each named once: registration, dispatch and
/// autocomplete all go through [`Cmd::name`] and [`Cmd::from_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Ask,
    Salary,
    Cert,
    Faq,
    /// The message context-menu command ("Apps › Find answer").
    FindAnswer,
    FaqAdmin,
}

impl Cmd {
    pub const ALL: [Cmd; 6] = [
        Cmd::Ask,
        Cmd::Salary,
        Cmd::Cert,
        Cmd::Faq,
        Cmd::FindAnswer,
        Cmd::FaqAdmin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cmd::Ask => "ask",
            Cmd::Salary => "salary",
            Cmd::Cert => "cert",
            Cmd::Faq => "faq",
            Cmd::FindAnswer => "Find answer",
            Cmd::FaqAdmin => "faqadmin",
        }
    }

    pub fn from_name(name: &str) -> Option<Cmd> {
        Cmd::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Longest value of a name or topic option (a role, region, credential or
/// FAQ question): Discord refuses longer ones, and the bot cuts them anyway.
pub const MAX_NAME_CHARS: u16 = 100;
/// Longest `/ask` question.
pub const MAX_QUESTION_CHARS: u16 = 300;

/// Permission that shows `/faqadmin` by default (server admins may widen it;
/// the handler checks again, see [`super::admin`]).
pub const MODERATOR_PERMISSION: Permissions = Permissions::MANAGE_GUILD;

fn string(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, name, description)
}

fn subcommand(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::SubCommand, name, description)
}

/// Every command, in registration order: [`member_commands`], then
/// [`moderator_commands`].
pub fn all() -> Vec<CreateCommand> {
    let mut all = member_commands();
    all.extend(moderator_commands());
    all
}

/// Where commands are registered: `None` globally, `Some(id)` in that guild.
pub type Scope = Option<u64>;

/// What to register where, one bulk overwrite per scope. Member commands go
/// to `guild_id` (globally when unset); moderator commands only to
/// `home_guild_id` (with the member commands when the two are the same
/// server), and nowhere without one. An overwrite also removes what an
/// earlier version registered in that scope (a global `/faqadmin` included).
pub fn registrations(guild_id: Scope, home_guild_id: Scope) -> Vec<(Scope, Vec<CreateCommand>)> {
    let mut out = vec![(guild_id, member_commands())];
    match home_guild_id {
        Some(home) if guild_id == Some(home) => out[0].1.extend(moderator_commands()),
        Some(home) => out.push((Some(home), moderator_commands())),
        None => {}
    }
    out
}

/// The commands any member may use, wherever the bot is.
pub fn member_commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(Cmd::Ask.name())
            .description("Ask a Health IT career question; the answer cites its guide")
            .add_option(
                string(
                    "question",
                    "Your question in plain words, e.g. do I need a CS degree?",
                )
                .required(true)
                .max_length(MAX_QUESTION_CHARS),
            ),
        CreateCommand::new(Cmd::Salary.name())
            .description("Pay figures for a Health IT role, each with its year and source")
            .add_option(
                string("role", "The role, e.g. HIT technician")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            )
            .add_option(
                string("level", "Career level (default: every level)")
                    .add_string_choice(level_name(Level::Entry), Level::Entry.as_str())
                    .add_string_choice(level_name(Level::Mid), Level::Mid.as_str())
                    .add_string_choice(level_name(Level::Senior), Level::Senior.as_str())
                    .add_string_choice(level_name(Level::All), Level::All.as_str()),
            )
            .add_option(
                string("region", "Country or region (default: every region)")
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new(Cmd::Cert.name())
            .description("A Health IT certification: issuer, requirements, who it suits")
            .add_option(
                string("name", "Abbreviation or name, e.g. RHIT")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new(Cmd::Faq.name())
            .description("Show one FAQ entry in full")
            .add_option(
                string("topic", "Start typing a question to pick an entry")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new(Cmd::FindAnswer.name()).kind(CommandType::Message),
    ]
}

/// The moderator commands: registered in the home server only.
pub fn moderator_commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(Cmd::FaqAdmin.name())
            .description("Moderators: reload the FAQ, see usage and unanswered questions")
            .default_member_permissions(MODERATOR_PERMISSION)
            .dm_permission(false)
            .add_option(subcommand(
                "reload",
                "Rebuild from faq/ now; errors are shown and the old index keeps serving",
            ))
            .add_option(subcommand(
                "stats",
                "Answers, abstentions, most-served entries and feedback per entry",
            ))
            .add_option(subcommand(
                "unanswered",
                "Recent questions the bot could not answer",
            )),
    ]
}

/// The registration body for `commands` as JSON, with
/// `default_member_permissions` as the integer Discord's OpenAPI contract
/// specifies (serenity's builder writes it as a string).
pub fn payload(commands: Vec<CreateCommand>) -> Vec<serde_json::Value> {
    commands
        .into_iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).expect("commands serialize");
            if let Some(p) = v.get_mut("default_member_permissions")
                && let Some(bits) = p.as_str().and_then(|s| s.parse::<u64>().ok())
            {
                *p = bits.into();
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_free_text_option_has_a_length_limit() {
        let mut seen = 0;
        for c in payload(all()) {
            for o in c["options"].as_array().into_iter().flatten() {
                let choices = o["choices"].as_array().is_some_and(|c| !c.is_empty());
                if o["type"] == 3 && !choices {
                    seen += 1;
                    let max = o["max_length"].as_u64().unwrap_or(u64::MAX);
                    let limit = if o["name"] == "question" {
                        MAX_QUESTION_CHARS
                    } else {
                        MAX_NAME_CHARS
                    };
                    assert_eq!(max, u64::from(limit), "/{} {}", c["name"], o["name"]);
                }
            }
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn payload_gives_permissions_as_an_integer() {
        let admin = payload(all())
            .into_iter()
            .find(|c| c["name"] == "faqadmin")
            .unwrap();
        assert_eq!(admin["default_member_permissions"], 32);
        assert!(payload(all()).iter().all(|c| c["name"].is_string()));
    }

    #[test]
    fn moderator_commands_go_to_the_home_server_only() {
        let names = |cmds: &[CreateCommand]| -> Vec<String> {
            payload(cmds.to_vec())
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect()
        };
        let plan = |g, h| -> Vec<(Scope, Vec<String>)> {
            registrations(g, h)
                .iter()
                .map(|(s, c)| (*s, names(c)))
                .collect()
        };
        let members: Vec<String> = names(&member_commands());
        assert!(!members.contains(&"faqadmin".to_string()));
        let mut everything = members.clone();
        everything.push("faqadmin".into());
        let admin = vec!["faqadmin".to_string()];
        assert_eq!(
            plan(None, Some(7)),
            vec![(None, members.clone()), (Some(7), admin.clone())]
        );
        assert_eq!(plan(Some(7), Some(7)), vec![(Some(7), everything)]);
        assert_eq!(
            plan(Some(5), Some(7)),
            vec![(Some(5), members.clone()), (Some(7), admin)]
        );
        assert_eq!(plan(None, None), vec![(None, members.clone())]);
        assert_eq!(plan(Some(5), None), vec![(Some(5), members)]);
    }
}
