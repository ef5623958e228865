//! What the bot registers with Discord: every command and option described.

use serenity::all::{
    CommandOptionType, CommandType, CreateCommand, CreateCommandOption, Permissions,
};

/// The message context-menu command ("Apps › Find answer").
pub const FIND_ANSWER: &str = "Find answer";

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

/// Every command, in registration order.
pub fn all() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new("ask")
            .description("Ask a Health IT career question; the answer cites its guide")
            .add_option(
                string(
                    "question",
                    "Your question in plain words, e.g. do I need a CS degree?",
                )
                .required(true)
                .max_length(MAX_QUESTION_CHARS),
            ),
        CreateCommand::new("salary")
            .description("Pay figures for a Health IT role, each with its year and source")
            .add_option(
                string("role", "The role, e.g. HIT technician")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
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
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new("cert")
            .description("A Health IT certification: issuer, requirements, who it suits")
            .add_option(
                string("name", "Abbreviation or name, e.g. RHIT")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new("faq")
            .description("Show one FAQ entry in full")
            .add_option(
                string("topic", "Start typing a question to pick an entry")
                    .required(true)
                    .max_length(MAX_NAME_CHARS)
                    .set_autocomplete(true),
            ),
        CreateCommand::new(FIND_ANSWER).kind(CommandType::Message),
        CreateCommand::new("faqadmin")
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

/// The registration body: [`all`] as JSON, with `default_member_permissions`
/// as the integer Discord's OpenAPI contract specifies (serenity's builder
/// writes it as a string).
pub fn payload() -> Vec<serde_json::Value> {
    all()
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
        for c in payload() {
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
        let admin = payload()
            .into_iter()
            .find(|c| c["name"] == "faqadmin")
            .unwrap();
        assert_eq!(admin["default_member_permissions"], 32);
        assert!(payload().iter().all(|c| c["name"].is_string()));
    }
}
