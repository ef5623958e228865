//! `/faqadmin reload | stats | unanswered`, the moderator check, and reload
//! failures posted to the moderator log channel.

use std::sync::atomic::Ordering;

use anyhow::Result;
use serenity::all::{ChannelId, CommandInteraction, Context, CreateEmbed, GuildId, Http, Member};

use super::format::{self, Reply};
use super::{Handler, Settings, blocking};
use crate::live::ReloadOutcome;

/// Room for error text inside one message, with its heading and code fence.
const ERRORS_ROOM: usize = 1700;

/// Moderators: members of the home server (`home_guild_id`) with a
/// configured moderator role, or with the Manage Server (or Administrator)
/// permission there. Nobody anywhere else: the owner of another server the
/// bot was added to manages *that* server, not this community. Checked on
/// every call, because server admins can show `/faqadmin` to anyone in
/// Discord's settings.
pub fn is_moderator(settings: &Settings, guild: Option<GuildId>, member: Option<&Member>) -> bool {
    let (Some(home), Some(guild)) = (settings.home_guild_id, guild) else {
        return false; // no home server configured, or a DM
    };
    if guild.get() != home {
        return false;
    }
    let Some(m) = member else {
        return false;
    };
    let by_permission = m
        .permissions
        .is_some_and(|p| p.contains(super::commands::MODERATOR_PERMISSION) || p.administrator());
    by_permission
        || m.roles
            .iter()
            .any(|r| settings.moderator_role_ids.contains(&r.get()))
}

pub async fn faqadmin(h: &Handler, ctx: &Context, cmd: &CommandInteraction) -> Result<Reply> {
    let home = h.settings.home_guild_id;
    if home.is_none() || cmd.guild_id.map(GuildId::get) != home {
        tracing::warn!(
            guild = cmd.guild_id.map(GuildId::get),
            "/faqadmin refused: not the home server"
        );
        return Ok(Reply::text(
            "`/faqadmin` works only in this bot's home server.\nhint: its operator sets `home_guild_id` in the bot's config.",
            true,
        ));
    }
    if !is_moderator(&h.settings, cmd.guild_id, cmd.member.as_deref()) {
        tracing::warn!(
            user = cmd.user.id.get(),
            "/faqadmin refused: not a moderator"
        );
        return Ok(Reply::text(
            "Only moderators can use `/faqadmin`.\nhint: ask a server admin to add your role to `moderator_role_ids`.",
            true,
        ));
    }
    let sub = cmd.data.options().first().map(|o| o.name).unwrap_or("");
    let mut reply = match sub {
        "reload" => reload(h, ctx).await?,
        "stats" => stats(h).await?,
        "unanswered" => unanswered(h).await?,
        other => Reply::text(
            &format!("Unknown subcommand {}.", format::code(other)),
            true,
        ),
    };
    reply.ephemeral = true;
    Ok(reply)
}

async fn reload(h: &Handler, ctx: &Context) -> Result<Reply> {
    Ok(match h.data.reload().await? {
        ReloadOutcome::Reloaded {
            documents,
            entries,
            took,
            ..
        } => Reply::text(
            &format!(
                "Reloaded `faq/`: {entries} entries and {documents} guide sections and entries are now searchable ({} ms).",
                took.as_millis()
            ),
            true,
        ),
        ReloadOutcome::Failed { errors } => {
            post_failure(&ctx.http, h.settings.mod_log_channel, &errors).await;
            Reply::text(&failure_text(&errors, "the FAQ as it was"), true)
        }
    })
}

/// "Reload rejected" with the `path:line` errors in a code block, within
/// one message.
fn failure_text(errors: &str, serving: &str) -> String {
    let errors = format::clip(&errors.replace("```", "'''"), ERRORS_ROOM);
    format!(
        "Reload rejected: {serving} keeps serving. Fix these, then save again or run `/faqadmin reload`:\n```\n{errors}\n```"
    )
}

/// Tells the moderators a reload failed (when a log channel is configured).
pub async fn post_failure(http: &Http, channel: Option<ChannelId>, errors: &str) {
    let Some(channel) = channel else { return };
    let text = format!(
        "⚠️ FAQ edit: {}",
        failure_text(errors, "the previous version")
    );
    let msg = Reply::text(&text, false).into_message(None);
    if let Err(e) = channel.send_message(http, msg).await {
        tracing::warn!(error = %e, channel = channel.get(), "could not post to the moderator log channel");
    }
}

async fn stats(h: &Handler) -> Result<Reply> {
    let (store, k) = (h.data.store.clone(), h.data.knowledge());
    let s = blocking(move || store.stats()).await?;
    let title = |id: &str| entry_label(id, k.engine.document(id).map(|d| d.title));
    let top: Vec<String> = s
        .top_entries
        .iter()
        .map(|(id, n)| format!("{n} × {}", title(id)))
        .collect();
    let votes: Vec<String> = s
        .votes
        .iter()
        .take(10)
        .map(|v| format!("👍 {} · 👎 {} · {}", v.up, v.down, title(&v.entry)))
        .collect();
    let live = &h.data.live;
    // One line each, or "none yet", within a field's limit.
    let lines = |l: &[String]| {
        let text = if l.is_empty() {
            "none yet".to_string()
        } else {
            l.join("\n")
        };
        format::clip(&text, format::EMBED_FIELD_VALUE)
    };
    let embed = CreateEmbed::new()
        .title("FAQ usage")
        .description(format!(
            "Answered **{}** · not answered **{}** · {} entries live · reloads ok {} / failed {}",
            s.answered,
            s.unanswered,
            k.entries,
            live.reloads_ok.load(Ordering::Relaxed),
            live.reloads_failed.load(Ordering::Relaxed),
        ))
        .field("Most served entries", lines(&top), false)
        .field("Feedback per entry", lines(&votes), false);
    Ok(Reply {
        embeds: vec![embed],
        ephemeral: true,
        ..Reply::default()
    })
}

/// How `/faqadmin stats` names an entry: its title, or, for an id no longer
/// in the FAQ, the id through [`format::code`] (the one escaping of ids
/// shown to moderators: no backtick can end it, so nothing in it renders).
fn entry_label(id: &str, title: Option<String>) -> String {
    match title {
        Some(t) => format::clip(&t, 80),
        None => format!("{} (no longer in the FAQ)", format::code(id)),
    }
}

async fn unanswered(h: &Handler) -> Result<Reply> {
    let store = h.data.store.clone();
    let list = blocking(move || store.unanswered(15)).await?;
    if list.is_empty() {
        return Ok(Reply::text("No unanswered questions recorded.", true));
    }
    let lines: Vec<String> = list
        .iter()
        .map(|u| {
            let times = if u.count > 1 {
                format!(" (×{})", u.count)
            } else {
                String::new()
            };
            format!("<t:{}:R>{times} {}", u.at, format::code(&u.question))
        })
        .collect();
    let embed = CreateEmbed::new()
        .title("Recent questions I could not answer")
        .description(format::clip(&lines.join("\n"), format::EMBED_DESCRIPTION))
        .footer(serenity::all::CreateEmbedFooter::new(
            "Add an entry or an alias to faq/ to cover them (see faq/README.md).",
        ));
    Ok(Reply {
        embeds: vec![embed],
        ephemeral: true,
        ..Reply::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_id_is_shown_as_inert_code() {
        let label = entry_label("x`[click](https://phish.example)`\n", None);
        assert_eq!(
            label,
            "`x [click](https://phish.example)` (no longer in the FAQ)"
        );
        assert_eq!(entry_label("a", Some("Title".into())), "Title");
    }
}
