//! `/salary`, `/cert`, `/faq`, the related-entry buttons and autocomplete.

use anyhow::Result;
use serenity::all::CommandInteraction;

use super::commands::MAX_NAME_CHARS;
use super::format::{self, Reply};
use super::{Handler, compute, cut, option};
use crate::lookup::{Choice, CompleteKind, MAX_CHOICE_CHARS, MAX_CHOICES};

pub async fn salary(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let role = option(cmd, "role").unwrap_or("").to_string();
    let level = option(cmd, "level").and_then(crate::corpus::Level::parse);
    let region = option(cmd, "region").map(str::to_string);
    let k = h.data.knowledge();
    let r = compute(move || k.lookup.salary(&role, level, region.as_deref())).await?;
    Ok(match r {
        Ok(a) => format::salary(&a),
        Err(e) => format::not_found(&e),
    })
}

pub async fn cert(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let name = option(cmd, "name").unwrap_or("").to_string();
    let k = h.data.knowledge();
    let r = compute(move || k.lookup.cert(&name)).await?;
    Ok(match r {
        Ok(a) => format::cert(&a),
        Err(e) => format::not_found(&e),
    })
}

/// `/faq topic:`: autocomplete sends an entry id; typed text falls back to
/// the best title match.
pub async fn faq(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let topic = cut(option(cmd, "topic").unwrap_or(""), MAX_NAME_CHARS.into()).to_string();
    let k = h.data.knowledge();
    let doc = compute(move || {
        let e = &k.engine;
        e.document(&topic).or_else(|| {
            let hits = e.titles_matching(&topic, 1);
            hits.first().and_then(|h| e.document(&h.id))
        })
    })
    .await?;
    Ok(match doc {
        Some(d) => format::document(&d, false),
        None => Reply::text(
            "No FAQ entry matches that topic: start typing and pick one from the list.",
            true,
        ),
    })
}

/// A related-entry button: the entry in full, for the member who clicked.
pub async fn open_entry(h: &Handler, id: &str) -> Result<Reply> {
    let (k, id) = (h.data.knowledge(), id.to_string());
    let doc = compute(move || k.engine.document(&id)).await?;
    Ok(match doc {
        Some(d) => format::document(&d, true),
        None => Reply::text("That entry is no longer in the FAQ.", true),
    })
}

/// Choices for the focused option (at most 25, names and values ≤ 100 chars).
pub async fn autocomplete(h: &Handler, cmd: &CommandInteraction) -> Result<Vec<Choice>> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(Vec::new());
    };
    // Cut before any matching: never trust typed text to respect max_length.
    let partial = cut(focused.value, MAX_NAME_CHARS.into()).to_string();
    let kind = match (cmd.data.name.as_str(), focused.name) {
        ("salary", "role") => Some(CompleteKind::Role),
        ("salary", "region") => Some(CompleteKind::Region),
        ("salary", "level") => Some(CompleteKind::Level),
        ("cert", "name") => Some(CompleteKind::Cert),
        ("faq", "topic") => None,
        _ => return Ok(Vec::new()),
    };
    let k = h.data.knowledge();
    compute(move || match kind {
        Some(kind) => k.lookup.complete(kind, &partial),
        None => k
            .engine
            .titles_matching(&partial, MAX_CHOICES)
            .into_iter()
            .filter(|r| r.id.chars().count() <= MAX_CHOICE_CHARS)
            .map(|r| Choice {
                name: format::clip(&r.title, MAX_CHOICE_CHARS),
                value: r.id,
            })
            .collect(),
    })
    .await
}
