//! `/salary`, `/cert`, `/faq`, the buttons that open entries, cards and
//! sources, and autocomplete.

use anyhow::Result;
use serenity::all::CommandInteraction;

use super::commands::{Cmd, MAX_NAME_CHARS};
use super::format::{self, Button, Cited, Reply};
use super::{Handler, compute, cut, option};
use crate::corpus::Level;
use crate::engine::{DocKind, Hints};
use crate::lookup::{Choice, CompleteKind};

pub async fn salary(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let role = option(cmd, "role").unwrap_or("").to_string();
    let level = option(cmd, "level").and_then(Level::parse);
    let region = option(cmd, "region").map(str::to_string);
    pay(h, role, region, level, false).await
}

/// The pay card for a role (a `/salary` command, or privately from a
/// button): an unknown role or region is refused with the closest names.
async fn pay(
    h: &Handler,
    role: String,
    region: Option<String>,
    level: Option<Level>,
    ephemeral: bool,
) -> Result<Reply> {
    let k = h.data.knowledge();
    let (r, role_id) = compute(move || {
        let role_id = k.lookup.salary(&role, None, None).ok().map(|a| a.role.id);
        (k.lookup.salary(&role, level, region.as_deref()), role_id)
    })
    .await?;
    Ok(match r {
        Ok(a) if ephemeral => Reply {
            ephemeral,
            ..format::salary(&a)
        },
        Ok(a) => format::salary_in_channel(&a),
        Err(e) => format::not_found(&e, |c| {
            let (role, region) = match &role_id {
                // The role was found: the suggestions are regions.
                Some(r) => (r.clone(), Some(c.value.clone())),
                None => (c.value.clone(), None),
            };
            Some(Button::Pay {
                role,
                region,
                level,
            })
        }),
    })
}

pub async fn cert(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let name = option(cmd, "name").unwrap_or("").to_string();
    cert_card(h, name, false).await
}

async fn cert_card(h: &Handler, name: String, ephemeral: bool) -> Result<Reply> {
    let k = h.data.knowledge();
    let r = compute(move || k.lookup.cert(&name)).await?;
    Ok(match r {
        Ok(a) => Reply {
            ephemeral,
            ..format::cert(&a)
        },
        Err(e) => format::not_found(&e, |c| Some(Button::Cert(c.value.clone()))),
    })
}

/// `/faq topic:`: autocomplete sends an entry id; typed text falls back to
/// the best title match. Related entries, sources and 👍/👎 come with it.
pub async fn faq(h: &Handler, cmd: &CommandInteraction) -> Result<Reply> {
    let topic = cut(option(cmd, "topic").unwrap_or(""), MAX_NAME_CHARS.into()).to_string();
    let k = h.data.knowledge();
    let found = compute(move || {
        let e = &k.engine;
        let doc = e.document(&topic).or_else(|| {
            let hits = e.titles_matching(&topic, 1);
            hits.first().and_then(|h| e.document(&h.id))
        })?;
        // What /ask would offer beside this entry, then the engine's next
        // candidates for its question.
        let mut related = e.ask(&doc.title).related;
        for r in e.ranked(&doc.title, &Hints::default()) {
            if r.answer.kind == DocKind::Entry
                && r.answer.id != doc.id
                && !related.iter().any(|x| x.id == r.answer.id)
            {
                related.push(crate::engine::Related {
                    id: r.answer.id,
                    title: r.answer.title,
                });
            }
        }
        related.retain(|r| r.id != doc.id);
        Some((doc, related))
    })
    .await?;
    Ok(match found {
        Some((d, related)) => format::document(&d, false, Some(&related)),
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
        Some(d) => format::document(&d, true, None),
        None => Reply::text("That entry is no longer in the FAQ.", true),
    })
}

/// A button that opens a card or a list of sources, privately.
pub async fn open(h: &Handler, b: Button) -> Result<Reply> {
    match b {
        Button::Cert(abbr) => cert_card(h, abbr, true).await,
        Button::Pay {
            role,
            region,
            level,
        } => pay(h, role, region, level, true).await,
        Button::Sources(cited) => sources(h, cited).await,
        _ => Ok(Reply::text(super::answer::NO_SUCH_BUTTON, true)),
    }
}

/// The full titles, dates and sections behind an entry, a credential or
/// a pay card.
async fn sources(h: &Handler, cited: Cited) -> Result<Reply> {
    let k = h.data.knowledge();
    let found = compute(move || match cited {
        Cited::Entry(id) => k.engine.document(&id).map(|d| (d.title, d.citations)),
        Cited::Cert(abbr) => k.lookup.cert(&abbr).ok().map(|a| {
            let c = crate::present::cite_sections(&a.cert.section, &a.cited);
            (a.cert.name, c)
        }),
        Cited::Pay(q) => match Button::parse(&format!("pay:{q}")) {
            Some(Button::Pay {
                role,
                region,
                level,
            }) => k
                .lookup
                .salary(&role, level, region.as_deref())
                .ok()
                .map(|a| {
                    let c = crate::present::salary_citations(&a);
                    (format!("Pay: {}", a.role.name), c)
                }),
            _ => None,
        },
    })
    .await?;
    Ok(match found {
        Some((title, citations)) => format::sources(&title, &citations),
        None => Reply::text(super::answer::NO_SUCH_BUTTON, true),
    })
}

/// Choices for the focused option (the adapter caps them, see
/// [`format::choices`]).
pub async fn autocomplete(h: &Handler, cmd: &CommandInteraction) -> Result<Vec<Choice>> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(Vec::new());
    };
    // Cut before any matching: never trust typed text to respect max_length.
    let partial = cut(focused.value, MAX_NAME_CHARS.into()).to_string();
    let kind = match (Cmd::from_name(&cmd.data.name), focused.name) {
        (Some(Cmd::Salary), "role") => Some(CompleteKind::Role),
        (Some(Cmd::Salary), "region") => Some(CompleteKind::Region),
        (Some(Cmd::Cert), "name") => Some(CompleteKind::Cert),
        (Some(Cmd::Faq), "topic") => None,
        _ => return Ok(Vec::new()),
    };
    let k = h.data.knowledge();
    compute(move || match kind {
        Some(kind) => k.lookup.complete(kind, &partial),
        None => faq_choices(&k.engine, &partial),
    })
    .await
}

/// `/faq` choices: the entries the engine ranks first for what is typed
/// ("remote" offers "Can I work from home?"), then title matches.
pub fn faq_choices(e: &crate::engine::Engine, partial: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    let mut add = |id: &str, title: &str| {
        if !out.iter().any(|c| c.value == id) {
            out.push(Choice {
                name: title.to_string(),
                value: id.to_string(),
            });
        }
    };
    if partial.trim().chars().count() >= 3 {
        for r in e.ranked(partial, &Hints::default()) {
            if r.answer.kind == DocKind::Entry {
                add(&r.answer.id, &r.answer.title);
            }
        }
    }
    for r in e.titles_matching(partial, format::AUTOCOMPLETE_CHOICES) {
        add(&r.id, &r.title);
    }
    out
}
