//! Answering questions: `/ask`, the "Find answer" message menu, help-channel
//! messages, and the 👍/👎 feedback on every answer.

use std::time::Instant;

use anyhow::Result;
use serenity::all::{
    ActionRowComponent, ButtonKind, CommandInteraction, ComponentInteraction, Context, Message,
    ResolvedTarget, UserId,
};

use super::format::{self, Reply};
use super::{Handler, blocking, compute, option, retrying};
use crate::knowledge::Asked;
use crate::store::VoteOutcome;

/// Where a question came from, for logs, metrics and the stores.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Ask,
    /// "Find answer" on a message; `own`: the member who asked wrote it.
    /// Another member's text is never stored (it was not meant for the bot).
    FindAnswer {
        own: bool,
    },
    /// A help-channel message: answered only above the channel's bar, and
    /// never logged as unanswered (most chat is not meant for the bot).
    HelpChannel {
        min_confidence: f32,
    },
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Via::Ask => "ask",
            Via::FindAnswer { .. } => "find-answer",
            Via::HelpChannel { .. } => "help-channel",
        }
    }
}

/// Asks the engine and records the outcome: the entry served, or the
/// question as unanswered.
async fn answer_question(h: &Handler, via: Via, question: String) -> Result<Asked> {
    let started = Instant::now();
    let (k, store) = (h.data.knowledge(), h.data.store.clone());
    let q = question.clone();
    let resp = compute(move || {
        let mut r = k.ask(&q);
        if let (Via::HelpChannel { min_confidence }, Some(a)) = (via, &r.response.answer)
            && a.score < min_confidence
        {
            r.response.abstained = true;
            r.response.answer = None;
            r.facts = None;
        }
        r
    })
    .await?;
    // Waiting for a core included: the answer's time as the member sees it.
    let latency = started.elapsed();
    let answered = resp.response.answer.as_ref().map(|a| a.id.clone());
    let recorded = blocking(move || match (answered, via) {
        (Some(id), _) => store.record_answered(via.name(), &id),
        (None, Via::Ask | Via::FindAnswer { own: true }) => {
            store.record_unanswered(via.name(), &question)
        }
        (None, Via::FindAnswer { own: false }) => store.record_abstained(via.name()),
        (None, Via::HelpChannel { .. }) => Ok(()),
    })
    .await?;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the question");
    }
    h.data
        .metrics
        .answered(via.name(), resp.response.abstained, latency);
    tracing::info!(
        command = via.name(),
        abstained = resp.response.abstained,
        entry = resp.response.answer.as_ref().map(|a| a.id.as_str()),
        engine_ms = latency.as_secs_f64() * 1e3,
        "question answered"
    );
    Ok(resp)
}

/// `/ask question:`.
pub async fn ask(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let q = option(cmd, "question").unwrap_or("").to_string();
    ask_as(h, cmd.user.id, q).await
}

/// Answers `q` for `user`: in the channel when there is an answer; an
/// "I don't know" privately, with a button to share it; during the
/// cooldown, the question kept behind an "Ask it now" button.
async fn ask_as(h: &Handler, user: UserId, q: String) -> Result<Reply> {
    if let Some(left) = h.cooldown_left(user) {
        let n = h.data.keep(user, q);
        return Ok(format::cooldown(left, Some(n)));
    }
    let asked = answer_question(h, Via::Ask, q.clone()).await?;
    let share = asked
        .response
        .answer
        .is_none()
        .then(|| h.data.keep(user, q));
    Ok(format::response(&asked, share))
}

/// "Ask it now" under a cooldown reply: the kept question, asked.
pub async fn ask_again(h: &Handler, c: &ComponentInteraction, n: u64) -> Result<Reply> {
    match h.data.take_kept(n, c.user.id) {
        Some(q) => ask_as(h, c.user.id, q).await,
        None => Ok(Reply::text(NO_SUCH_BUTTON, true)),
    }
}

/// "Share in channel" under a private "I don't know": the question and
/// the reply, posted for everyone (once).
pub async fn share(h: &Handler, c: &ComponentInteraction, n: u64) -> Result<Reply> {
    let Some(q) = h.data.take_kept(n, c.user.id) else {
        return Ok(Reply::text(NO_SUCH_BUTTON, true));
    };
    let k = h.data.knowledge();
    let q2 = q.clone();
    let r = compute(move || k.ask(&q2).response).await?;
    Ok(format::shared_abstain(
        &q,
        r.gap.as_ref().map(|g| g.message.as_str()),
        &r.related,
    ))
}

/// "Find answer" on a message: the answer is posted as a reply to that
/// message; "I don't know" goes only to the member who asked. It shares
/// `/ask`'s cooldown, and each message is answered at most once (whoever
/// asks), so that nobody can make the bot post in a channel again and again.
pub async fn find_answer(h: &Handler, ctx: &Context, cmd: &CommandInteraction) -> Result<Reply> {
    let Some(ResolvedTarget::Message(msg)) = cmd.data.target() else {
        return Ok(Reply::text("Pick a message to answer.", true));
    };
    let text = msg.content.trim();
    if text.is_empty() {
        return Ok(Reply::text(
            "That message has no text I can answer (embeds and attachments are not read).",
            true,
        ));
    }
    if let Some(left) = h.cooldown_left(cmd.user.id) {
        return Ok(format::cooldown(left, None));
    }
    if !h.data.claim_target(msg.id) {
        return Ok(Reply::text(
            "I have already looked at that message (an answer, if I had one, is in a reply under it). Ask with `/ask` for more.",
            true,
        ));
    }
    let via = Via::FindAnswer {
        own: msg.author.id == cmd.user.id,
    };
    let resp = answer_question(h, via, text.to_string()).await?;
    let reply = format::response(&resp, None);
    if resp.response.answer.is_none() {
        return Ok(reply);
    }
    let post = reply.clone().into_message(Some((msg.channel_id, msg.id)));
    let posted = retrying("reply to message", || {
        msg.channel_id.send_message(&ctx.http, post.clone())
    })
    .await;
    Ok(match posted {
        Ok(_) => Reply::text("Answered the message, as a reply under it.", true),
        Err(e) => {
            // No permission to post in that channel: answer here instead.
            tracing::warn!(error = %e, "could not reply to the message; answering the interaction");
            reply
        }
    })
}

/// Words that open a question ("how do i…", "anyone know…").
const QUESTION_OPENERS: &[&str] = &[
    "how", "what", "whats", "which", "where", "when", "why", "who", "can", "could", "do", "does",
    "did", "is", "are", "should", "would", "will", "any", "anyone", "anybody", "rhit", "rhia",
];

/// Whether a chat message reads like a question for the bot: 3 to 80
/// words, ending in `?` or opening with a question word; not a command,
/// quote or code.
pub fn looks_like_question(text: &str) -> bool {
    let t = text.trim();
    let words = t.split_whitespace().count();
    if !(3..=80).contains(&words) || t.starts_with(['/', '!', '>', '`', '$']) || t.contains("```") {
        return false;
    }
    let first: String = t
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    t.ends_with('?') || QUESTION_OPENERS.contains(&first.as_str())
}

/// A message in a configured help channel: answered only when the engine
/// is confident enough; otherwise the bot stays silent.
pub async fn help_channel(h: &Handler, ctx: &Context, msg: &Message) {
    if msg.author.bot
        || msg.webhook_id.is_some()
        || !h.settings.help_channels.contains(&msg.channel_id.get())
        || !looks_like_question(&msg.content)
        || h.cooldown_left(msg.author.id).is_some()
    {
        return;
    }
    let via = Via::HelpChannel {
        min_confidence: h.settings.help_min_confidence,
    };
    let resp = match answer_question(h, via, msg.content.clone()).await {
        Ok(r) if !r.response.abstained => r,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "help-channel answer failed");
            return;
        }
    };
    let reply = format::response(&resp, None).into_message(Some((msg.channel_id, msg.id)));
    let posted = retrying("help-channel answer", || {
        msg.channel_id.send_message(&ctx.http, reply.clone())
    })
    .await;
    if let Err(e) = posted {
        tracing::warn!(error = %e, "could not post the help-channel answer");
    }
}

/// Whether the message the member clicked carries a button `custom_id`:
/// Discord sends that message with the interaction, while the `custom_id`
/// itself is whatever the member's client says.
pub fn message_has_button(c: &ComponentInteraction, custom_id: &str) -> bool {
    c.message.components.iter().any(|row| {
        row.components.iter().any(|b| {
            matches!(b, ActionRowComponent::Button(b)
                if matches!(&b.data, ButtonKind::NonLink { custom_id: id, .. } if id == custom_id))
        })
    })
}

/// 👍/👎 on an answer: one vote per member per message (a new vote replaces
/// the old), acknowledged privately. Counted only when the clicked message
/// has that very button and its entry is in the FAQ: a forged id is
/// neither stored nor counted.
pub async fn vote(h: &Handler, c: &ComponentInteraction, entry: &str, up: bool) -> Result<Reply> {
    let known = {
        let (k, id) = (h.data.knowledge(), entry.to_string());
        message_has_button(c, &c.data.custom_id)
            && compute(move || k.engine.document(&id).is_some()).await?
    };
    if !known {
        tracing::info!(custom_id = ?c.data.custom_id, "vote refused: no such button or entry");
        return Ok(Reply::text(NO_SUCH_BUTTON, true));
    }
    let store = h.data.store.clone();
    let (message, user, entry) = (c.message.id.get(), c.user.id.get(), entry.to_string());
    let outcome = blocking(move || store.record_vote(message, user, &entry, up)).await??;
    if matches!(outcome, VoteOutcome::Recorded | VoteOutcome::Changed) {
        h.data.metrics.vote(up);
    }
    tracing::debug!(?outcome, "vote");
    // The answer's own buttons show the vote: the chosen one marked.
    Ok(Reply {
        components: format::mark_vote(&c.message.components, &c.data.custom_id),
        update: true,
        ..Reply::default()
    })
}

/// The answer to a button that is not (or no longer) there.
pub const NO_SUCH_BUTTON: &str = "That button is no longer in use.";

#[cfg(test)]
mod tests {
    use super::looks_like_question;

    #[test]
    fn questions_are_recognised_and_chat_is_not() {
        for q in [
            "do i need a cs degree?",
            "how long does the rhit take",
            "anyone know if you can wfh in HIT",
            "rhit vs rhia for a career changer",
            "is coding the same as HIT?",
        ] {
            assert!(looks_like_question(q), "{q}");
        }
        for s in [
            "thanks!",
            "lol?",
            "good morning everyone, hope you are well",
            "/ask do i need a degree",
            "> how do i become a pilot?",
            "```what is this?```",
            &"why ".repeat(100),
        ] {
            assert!(!looks_like_question(s), "{s}");
        }
    }
}
