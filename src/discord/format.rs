//! Discord formatting: engine and lookup results as embeds, buttons and
//! choices, within Discord's length limits. No ranking or lookup logic here.

use serenity::all::{
    ActionRow, ActionRowComponent, ButtonKind, ButtonStyle, CreateActionRow, CreateAllowedMentions,
    CreateAutocompleteResponse, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, MessageId,
};

use crate::corpus::Level;
use crate::engine::{Citation, FullDoc, Related};
use crate::knowledge::Asked;
use crate::lookup::{CertAnswer, Choice, Facts, FigureAnswer, NotFound, SalaryAnswer, Wanted};
pub use crate::present::clip;
use crate::present::{self, level_name, region_label};

pub const EMBED_TITLE: usize = 256;
pub const EMBED_DESCRIPTION: usize = 4096;
pub const EMBED_FOOTER: usize = 2048;
pub const EMBED_FIELD_NAME: usize = 256;
pub const EMBED_FIELD_VALUE: usize = 1024;
pub const EMBED_FIELDS: usize = 25;
/// All text of one embed together.
pub const EMBED_TOTAL: usize = 6000;
pub const BUTTON_LABEL: usize = 80;
pub const CUSTOM_ID: usize = 100;
pub const MESSAGE_CONTENT: usize = 2000;
/// Action rows per message, and buttons per row.
pub const ACTION_ROWS: usize = 5;
pub const ROW_BUTTONS: usize = 5;
/// Autocomplete choices per response, and characters per choice name or value.
pub const AUTOCOMPLETE_CHOICES: usize = 25;
pub const CHOICE_CHARS: usize = 100;
/// Related entries offered as buttons.
pub const RELATED_BUTTONS: usize = 3;
/// Suggestions offered as buttons when a name matches nothing.
pub const SUGGESTION_BUTTONS: usize = 5;

/// Room for an answer's citations in its footer: every cited section,
/// short enough to read at a glance.
pub const CITATION_FOOTER: usize = 300;

/// Embed colour: a calm teal.
const COLOUR: u32 = 0x1F8A70;

/// What a button does, written into (and read back from) its `custom_id`.
/// Every id comes back from the member's client: [`Button::parse`] is the
/// only reader, and whatever it returns is looked up again, never trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// A related FAQ entry, shown whole to the member who clicked.
    Entry(String),
    /// 👍 (`up`) or 👎 on the answer from an entry.
    Vote { entry: String, up: bool },
    /// The full titles, dates and sections behind a reply's citations.
    Sources(Cited),
    /// A credential's card (a suggestion for an unknown name).
    Cert(String),
    /// The full pay card: role id, then optional region id and level.
    Pay {
        role: String,
        region: Option<String>,
        level: Option<Level>,
    },
    /// Posts a private "I don't know" in the channel.
    Share(u64),
    /// Asks a question kept during a cooldown.
    AskAgain(u64),
}

/// Whose citations a [`Button::Sources`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cited {
    Entry(String),
    Cert(String),
    Pay(String),
}

impl Button {
    pub fn id(&self) -> String {
        match self {
            Button::Entry(e) => format!("faq:{e}"),
            Button::Vote { entry, up: true } => format!("vote:up:{entry}"),
            Button::Vote { entry, up: false } => format!("vote:down:{entry}"),
            Button::Sources(Cited::Entry(e)) => format!("src:faq:{e}"),
            Button::Sources(Cited::Cert(c)) => format!("src:cert:{c}"),
            Button::Sources(Cited::Pay(r)) => format!("src:pay:{r}"),
            Button::Cert(c) => format!("cert:{c}"),
            Button::Pay {
                role,
                region,
                level,
            } => format!(
                "pay:{role}|{}|{}",
                region.as_deref().unwrap_or(""),
                level.map_or("", Level::as_str)
            ),
            Button::Share(n) => format!("share:{n}"),
            Button::AskAgain(n) => format!("again:{n}"),
        }
    }

    pub fn parse(id: &str) -> Option<Button> {
        let (kind, rest) = id.split_once(':')?;
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Some(match kind {
            "faq" => Button::Entry(some(rest)?),
            "vote" => match rest.split_once(':')? {
                ("up", e) => Button::Vote {
                    entry: some(e)?,
                    up: true,
                },
                ("down", e) => Button::Vote {
                    entry: some(e)?,
                    up: false,
                },
                _ => return None,
            },
            "src" => match rest.split_once(':')? {
                ("faq", e) => Button::Sources(Cited::Entry(some(e)?)),
                ("cert", c) => Button::Sources(Cited::Cert(some(c)?)),
                ("pay", r) => Button::Sources(Cited::Pay(some(r)?)),
                _ => return None,
            },
            "cert" => Button::Cert(some(rest)?),
            "pay" => {
                let mut p = rest.split('|');
                let role = some(p.next()?)?;
                let region = p.next().and_then(some);
                let level = match p.next() {
                    Some("") | None => None,
                    Some(l) => Some(Level::parse(l)?),
                };
                Button::Pay {
                    role,
                    region,
                    level,
                }
            }
            "share" => Button::Share(rest.parse().ok()?),
            "again" => Button::AskAgain(rest.parse().ok()?),
            _ => return None,
        })
    }

    /// A grey button with this id, or `None` when the id would be too long.
    fn make(&self, label: &str) -> Option<CreateButton> {
        let id = self.id();
        (id.chars().count() <= CUSTOM_ID).then(|| {
            CreateButton::new(id)
                .label(clip(label, BUTTON_LABEL))
                .style(ButtonStyle::Secondary)
        })
    }
}

/// Buttons in rows of [`ROW_BUTTONS`], at most [`ACTION_ROWS`] rows.
fn rows(buttons: Vec<CreateButton>) -> Vec<CreateActionRow> {
    buttons
        .chunks(ROW_BUTTONS)
        .take(ACTION_ROWS)
        .map(|c| CreateActionRow::Buttons(c.to_vec()))
        .collect()
}

/// FAQ Markdown as the text `/ask` shows: link targets, emphasis and code
/// marks go (`[text](url)` becomes `text`, so no masked link is ever
/// clickable), headings and list items keep their lines, and whatever
/// Discord would still read as Markdown is escaped.
pub fn plain(md: &str) -> String {
    let lines: Vec<String> = md
        .lines()
        .map(|line| {
            let t = line.trim();
            if let Some(h) = t.strip_prefix('#') {
                let h = strip_inline(h.trim_start_matches('#').trim());
                return if h.is_empty() {
                    String::new()
                } else {
                    format!("**{}**", escape_markdown(&h))
                };
            }
            for marker in ["- ", "* ", "+ "] {
                if let Some(item) = t.strip_prefix(marker) {
                    return format!("• {}", escape_markdown(&strip_inline(item.trim())));
                }
            }
            escape_markdown(&strip_inline(t))
        })
        .collect();
    let mut out = lines.join("\n");
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.trim().to_string()
}

/// Removes emphasis markers, inline code ticks and link syntax (keeping a
/// link's text, dropping its target).
fn strip_inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' | '`' => {}
            '_' if (i == 0 || !chars[i - 1].is_alphanumeric())
                || (i + 1 == chars.len() || !chars[i + 1].is_alphanumeric()) => {}
            ']' if chars.get(i + 1) == Some(&'(') => {
                // Skip "(target)"; an unclosed one runs to the end of the line.
                i += chars[i..]
                    .iter()
                    .position(|&c| c == ')')
                    .unwrap_or(chars.len() - i);
            }
            '[' => {}
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Backslash before every character Discord would read as Markdown (or as
/// a mention, a masked link or a heading).
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' | '\\' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text shown inside inline code: no backticks, one line, short.
pub fn code(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c == '`' || c.is_control() { ' ' } else { c })
        .collect();
    format!("`{}`", clip(clean.trim(), 100))
}

/// Mentions off, including the ping a message reply gives its author.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// What the bot says, before it is shaped into an interaction response, a
/// deferred-reply edit or a channel message. Mentions are always off.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub content: Option<String>,
    pub embeds: Vec<CreateEmbed>,
    pub components: Vec<CreateActionRow>,
    /// Seen only by the member who asked (interaction replies only).
    pub ephemeral: bool,
    /// Replaces the message whose button was clicked (a component
    /// interaction's UPDATE_MESSAGE) instead of sending a new one.
    pub update: bool,
}

impl Reply {
    /// A plain-text reply.
    pub fn text(content: &str, ephemeral: bool) -> Reply {
        Reply {
            content: Some(clip(content, MESSAGE_CONTENT)),
            ephemeral,
            ..Reply::default()
        }
    }

    pub fn into_response(self) -> CreateInteractionResponse {
        let update = self.update;
        let mut m = CreateInteractionResponseMessage::new()
            .components(self.components)
            .allowed_mentions(no_mentions());
        if !update {
            // An update keeps the message's text and embeds: only what is set changes.
            m = m.ephemeral(self.ephemeral).embeds(self.embeds);
        }
        if let Some(c) = self.content {
            m = m.content(c);
        }
        if update {
            CreateInteractionResponse::UpdateMessage(m)
        } else {
            CreateInteractionResponse::Message(m)
        }
    }

    /// The edit that completes a deferred response.
    pub fn into_edit(self) -> EditInteractionResponse {
        let e = EditInteractionResponse::new()
            .components(self.components)
            .allowed_mentions(no_mentions());
        if self.update {
            return e; // the clicked message keeps its text and embeds
        }
        e.content(self.content.unwrap_or_default())
            .embeds(self.embeds)
    }

    /// A channel message, optionally replying to `reply_to` (without pinging
    /// its author).
    pub fn into_message(
        self,
        reply_to: Option<(serenity::all::ChannelId, MessageId)>,
    ) -> CreateMessage {
        let mut m = CreateMessage::new()
            .embeds(self.embeds)
            .components(self.components)
            .allowed_mentions(no_mentions());
        if let Some(c) = self.content {
            m = m.content(c);
        }
        if let Some(r) = reply_to {
            m = m.reference_message(r);
        }
        m
    }
}

fn embed() -> CreateEmbed {
    CreateEmbed::new().colour(COLOUR)
}

/// A related entry's button label: its question, or for a guide section
/// (a breadcrumb "Guide › Part › Section") the guide and the section only.
pub fn related_label(title: &str) -> String {
    let parts: Vec<&str> = title.split(" › ").map(str::trim).collect();
    let label = match parts[..] {
        [first, .., last] => {
            // "Long Title (Qualora, 2026)" reads as "Qualora 2026".
            let guide = first
                .strip_suffix(')')
                .and_then(|f| f.rsplit_once('('))
                .map_or(first.to_string(), |(_, short)| short.replace(", ", " "));
            format!("{guide} › {last}")
        }
        _ => title.to_string(),
    };
    clip(&label, BUTTON_LABEL)
}

/// A reply's title: an entry's question as written; a guide section's
/// breadcrumb as "Qualora 2026 › Section" (the heading, not the path).
pub fn short_title(title: &str) -> String {
    if title.contains(" › ") {
        related_label(title)
    } else {
        title.to_string()
    }
}

/// Up to three related entries as buttons.
fn related(related: &[Related]) -> Vec<CreateButton> {
    related
        .iter()
        .filter_map(|r| Button::Entry(r.id.clone()).make(&related_label(&r.title)))
        .take(RELATED_BUTTONS)
        .collect()
}

/// Related entries as one row of buttons (none when there are none).
pub fn related_buttons(list: &[Related]) -> Vec<CreateActionRow> {
    rows(related(list))
}

/// "Sources · 2 guides": opens the full titles, dates and sections.
fn sources_button(cited: Cited, citations: &[Citation]) -> Option<CreateButton> {
    let guides = present::full_citations(citations).len();
    let label = match guides {
        0 => return None,
        1 => "Source · 1 guide".to_string(),
        n => format!("Sources · {n} guides"),
    };
    Some(Button::Sources(cited).make(&label)?.emoji('📚'))
}

/// 👍/👎 for the answer from `entry`.
fn vote_pair(entry: &str) -> Vec<CreateButton> {
    let up = Button::Vote {
        entry: entry.to_string(),
        up: true,
    };
    let down = Button::Vote {
        entry: entry.to_string(),
        up: false,
    };
    [(up, '👍', "Helpful"), (down, '👎', "Not helpful")]
        .into_iter()
        .filter_map(|(b, e, l)| Some(b.make(l)?.emoji(e)))
        .collect()
}

/// 👍/👎 for the answer from `entry`, as a row.
pub fn vote_buttons(entry: &str) -> Option<CreateActionRow> {
    let pair = vote_pair(entry);
    (pair.len() == 2).then_some(CreateActionRow::Buttons(pair))
}

/// The message's buttons again, with the vote `chosen` marked (and the
/// other vote unmarked): what a click on 👍/👎 turns the answer into.
/// Other members can still vote; each member's vote is stored apart.
pub fn mark_vote(message: &[ActionRow], chosen: &str) -> Vec<CreateActionRow> {
    let mut out = Vec::new();
    for row in message.iter().take(ACTION_ROWS) {
        let mut buttons = Vec::new();
        for c in row.components.iter().take(ROW_BUTTONS) {
            let ActionRowComponent::Button(b) = c else {
                continue;
            };
            let ButtonKind::NonLink { custom_id, style } = &b.data else {
                continue;
            };
            let vote = matches!(Button::parse(custom_id), Some(Button::Vote { .. }));
            let mut nb = CreateButton::new(custom_id.clone()).disabled(b.disabled);
            let mut label = b.label.clone().unwrap_or_default();
            label = label.trim_end_matches(" ✓").to_string();
            nb = match (vote, custom_id == chosen) {
                (true, true) => nb
                    .style(ButtonStyle::Primary)
                    .label(clip(&format!("{label} ✓"), BUTTON_LABEL)),
                (true, false) => nb.style(ButtonStyle::Secondary).label(label),
                _ => nb.style(*style).label(label),
            };
            if let Some(e) = &b.emoji {
                nb = nb.emoji(e.clone());
            }
            buttons.push(nb);
        }
        if !buttons.is_empty() {
            out.push(CreateActionRow::Buttons(buttons));
        }
    }
    out
}

/// `text` whole when it fits in `max` characters; otherwise cut after the
/// last sentence that fits (a word boundary if none does), then `note`.
pub fn clip_sentences(text: &str, max: usize, note: &str) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(note.chars().count() + 3);
    let head: String = text.chars().take(room).collect();
    let cut = head
        .char_indices()
        .rev()
        .find(|&(i, c)| c.is_whitespace() && head[..i].ends_with(['.', '?', '!']))
        .map(|(i, _)| i)
        .or_else(|| head.rfind(char::is_whitespace))
        .unwrap_or(head.len());
    let mut out = head[..cut].trim_end().to_string();
    out.push(' ');
    out.push_str(note);
    out
}

/// A snippet that never ends on a dangling fragment: when it does not end
/// as a sentence ends (a list item, table cells run together), it ends
/// after its last whole sentence, or says "…" where the text goes on.
pub fn whole_sentences(snippet: &str) -> String {
    let t = snippet.trim();
    let ends = |s: &str| s.trim_end().ends_with(['.', '?', '!', '…']);
    if t.is_empty() || ends(t) {
        return t.to_string();
    }
    let last = t
        .char_indices()
        .rev()
        .find(|&(i, c)| {
            matches!(c, '.' | '?' | '!') && t[i + c.len_utf8()..].starts_with(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8());
    match last {
        // At least a third of the snippet survives: cut there.
        Some(i) if i * 3 >= t.len() => format!("{} …", &t[..i]),
        _ => format!("{t}…"),
    }
}

/// Title, description and footer within their limits and, together, within
/// [`EMBED_TOTAL`]; a description that must give way is cut at a sentence
/// and ends with `more` (where to read the rest).
fn text_embed(title: &str, description: &str, footer: &str, more: &str) -> CreateEmbed {
    let title = clip(title, EMBED_TITLE);
    let footer = clip(footer, EMBED_FOOTER);
    let room = EMBED_TOTAL
        .saturating_sub(title.chars().count() + footer.chars().count())
        .min(EMBED_DESCRIPTION);
    let mut e = embed()
        .title(title)
        .description(clip_sentences(description, room, more));
    if !footer.is_empty() {
        e = e.footer(CreateEmbedFooter::new(footer));
    }
    e
}

/// Every citation, short: "Qualora 2026 › FAQ · Himalayas 2025 › Skills".
pub fn citation_footer(citations: &[Citation], max: usize) -> String {
    present::short_citations(citations, max)
}

/// An answer to a question (`/ask`, "Find answer", a help channel): the
/// entry's question as the title, the cited snippet, short pay or
/// credential facts, related entries, sources and 👍/👎; or, when the
/// engine abstained, [`abstain`] (for the asker only).
pub fn response(asked: &Asked, share: Option<u64>) -> Reply {
    let r = &asked.response;
    let Some(a) = &r.answer else {
        return abstain(
            r.gap.as_ref().map(|g| g.message.as_str()),
            &r.related,
            share,
        );
    };
    let more = format!("… More: {}", code(&format!("/faq topic: {}", a.id)));
    let mut embeds = vec![text_embed(
        &short_title(&a.title),
        &escape_markdown(&whole_sentences(&a.snippet)),
        &citation_footer(&a.citations, CITATION_FOOTER),
        &more,
    )];
    let mut tools = Vec::new();
    tools.extend(sources_button(Cited::Entry(a.id.clone()), &a.citations));
    match &asked.facts {
        Some(Facts::Salary(s)) => {
            embeds.push(pay_summary_embed(s));
            tools.extend(pay_button(s, "Full pay card"));
        }
        Some(Facts::Cert(c)) => {
            embeds.push(cert_embed(c));
        }
        None => {}
    }
    tools.extend(vote_pair(&a.id));
    let mut components = related_buttons(&r.related);
    components.extend(rows(tools));
    Reply {
        embeds,
        components,
        ..Reply::default()
    }
}

/// Abstained: said plainly to the asker only, with related entries and,
/// when `share` is given, a button that posts it in the channel; `gap`
/// says what the guides don't give, when the engine knows.
pub fn abstain(gap: Option<&str>, list: &[Related], share: Option<u64>) -> Reply {
    let lead = gap.unwrap_or(present::ABSTAIN);
    let content = if list.is_empty() {
        format!("{lead} Try `/faq` to browse the questions it does answer.")
    } else {
        format!("{lead} These entries may be close:")
    };
    let mut buttons = related(list);
    if let Some(n) = share
        && let Some(b) = Button::Share(n).make("Share in channel")
    {
        buttons.push(b.emoji('📣'));
    }
    Reply {
        content: Some(clip(&content, MESSAGE_CONTENT)),
        components: rows(buttons),
        ephemeral: true,
        ..Reply::default()
    }
}

/// A shared "I don't know": the question, then what the asker saw.
pub fn shared_abstain(question: &str, gap: Option<&str>, list: &[Related]) -> Reply {
    let mut r = abstain(gap, list, None);
    let q = clip(&question.replace(['\n', '\r'], " "), 300);
    r.content = Some(clip(
        &format!(
            "A member asked: “{}”\n{}",
            escape_markdown(&q),
            r.content.unwrap_or_default()
        ),
        MESSAGE_CONTENT,
    ));
    r.ephemeral = false;
    r
}

/// The cooldown, keeping the question: "ask again in 4 s" and a button
/// that asks it then.
pub fn cooldown(left: u64, again: Option<u64>) -> Reply {
    let mut r = Reply::text(
        &format!("One question at a time: ask again in {left} s (your question is kept)."),
        true,
    );
    if let Some(n) = again
        && let Some(b) = Button::AskAgain(n).make("Ask it now")
    {
        r.components = rows(vec![b.emoji('🔁')]);
    }
    r
}

/// A whole FAQ entry or guide section, its Markdown shown as plain text
/// (see [`plain`]), as `/ask` shows its snippets; `/faq` adds related
/// entries, sources and 👍/👎 (`buttons`), as `/ask` does.
pub fn document(d: &FullDoc, ephemeral: bool, more: Option<&[Related]>) -> Reply {
    let mut components = Vec::new();
    if let Some(list) = more {
        let list: Vec<Related> = list.iter().filter(|r| r.id != d.id).cloned().collect();
        components = related_buttons(&list);
        let mut tools = Vec::new();
        tools.extend(sources_button(Cited::Entry(d.id.clone()), &d.citations));
        tools.extend(vote_pair(&d.id));
        components.extend(rows(tools));
    }
    Reply {
        embeds: vec![text_embed(
            &short_title(&d.title),
            &plain(&d.body),
            &citation_footer(&d.citations, CITATION_FOOTER),
            "… (cut to fit Discord: the guide cited below has the rest)",
        )],
        components,
        ephemeral,
        ..Reply::default()
    }
}

/// The full titles, dates and sections behind `citations`, for the member
/// who asked (publishers and moderators' notes stay in `sources.toml`).
pub fn sources(title: &str, citations: &[Citation]) -> Reply {
    let lines: Vec<String> = present::full_citations(citations)
        .iter()
        .map(|f| {
            format!(
                "**{}**\n{}",
                escape_markdown(&f.guide),
                escape_markdown(&f.line())
            )
        })
        .collect();
    let description = if lines.is_empty() {
        "No guide is cited here.".to_string()
    } else {
        lines.join("\n\n")
    };
    Reply {
        embeds: vec![
            embed()
                .title(clip(&format!("Sources: {title}"), EMBED_TITLE))
                .description(clip(&description, EMBED_DESCRIPTION)),
        ],
        ephemeral: true,
        ..Reply::default()
    }
}

/// "No credential by that name" with the closest real ones as buttons,
/// for the member only: never a guessed card.
pub fn not_found(e: &NotFound, button: impl Fn(&Choice) -> Option<Button>) -> Reply {
    let what = match e.what {
        Wanted::Certification => "credential",
        w => w.as_str(),
    };
    let mut msg = format!("No {what} by that name: {}.", code(&e.query));
    if e.what == Wanted::Level {
        msg.push_str(" Levels are entry, mid, senior and all.");
    } else if !e.choices.is_empty() {
        msg.push_str(" The closest ones:");
    }
    let buttons: Vec<CreateButton> = e
        .choices
        .iter()
        .filter_map(|c| button(c)?.make(&c.name))
        .take(SUGGESTION_BUTTONS)
        .collect();
    Reply {
        components: rows(buttons),
        ..Reply::text(&msg, true)
    }
}

/// Autocomplete choices: at most [`AUTOCOMPLETE_CHOICES`], names cut to
/// [`CHOICE_CHARS`], values that would not fit left out (a cut value
/// would look up something else).
pub fn choices(list: &[Choice]) -> CreateInteractionResponse {
    let mut r = CreateAutocompleteResponse::new();
    for c in list
        .iter()
        .filter(|c| c.value.chars().count() <= CHOICE_CHARS)
        .take(AUTOCOMPLETE_CHOICES)
    {
        r = r.add_string_choice(clip(&c.name, CHOICE_CHARS), c.value.clone());
    }
    CreateInteractionResponse::Autocomplete(r)
}

/// An embed's fields, kept within the field count and the total size.
struct Fields {
    list: Vec<(String, String, bool)>,
    used: usize,
    left_out: usize,
}

impl Fields {
    fn new(used: usize) -> Fields {
        Fields {
            list: Vec::new(),
            used,
            left_out: 0,
        }
    }

    /// Adds a field unless it would break a limit (one slot stays free for a note).
    fn push(&mut self, name: &str, value: &str, inline: bool) {
        let name = clip(name, EMBED_FIELD_NAME);
        let value = clip(value, EMBED_FIELD_VALUE);
        let size = name.chars().count() + value.chars().count();
        if self.list.len() + 1 >= EMBED_FIELDS || self.used + size + 200 > EMBED_TOTAL {
            self.left_out += 1;
            return;
        }
        self.used += size;
        self.list.push((name, value, inline));
    }

    fn into_embed(mut self, e: CreateEmbed, what: &str) -> CreateEmbed {
        if self.left_out > 0 {
            self.list.push((
                "More".into(),
                format!(
                    "{} more {what} not shown: narrow the question (level or region).",
                    self.left_out
                ),
                false,
            ));
        }
        e.fields(self.list)
    }
}

/// "$38,000–$45,000\n0-2 years · May 2023 · Qualora 2026 › Salary".
fn figure_value(f: &FigureAnswer) -> String {
    let mut line2: Vec<String> = Vec::new();
    if let Some(l) = &f.figure.label
        && !l.eq_ignore_ascii_case(level_name(f.figure.level))
        && !l.eq_ignore_ascii_case(f.figure.level.as_str())
        && !l.eq_ignore_ascii_case(region_label(&f.region_name))
        && !l.eq_ignore_ascii_case(&f.region_name)
    {
        line2.push(format!("“{l}”"));
    }
    if let Some(y) = &f.figure.years {
        line2.push(y.clone());
    }
    line2.push(match &f.figure.year {
        Some(y) => y.clone(),
        None => "year not given".into(),
    });
    line2.push(citation_footer(
        &present::cite_sections(&f.figure.section, std::slice::from_ref(&f.cited)),
        EMBED_FIELD_VALUE / 2,
    ));
    format!("{}\n{}", f.display, line2.join(" · "))
}

/// `/salary`: every figure with its year and source, sources one click away.
pub fn salary(a: &SalaryAnswer) -> Reply {
    Reply {
        embeds: vec![salary_embed(a)],
        components: rows(
            sources_button(Cited::Pay(pay_id(a)), &present::salary_citations(a))
                .into_iter()
                .collect(),
        ),
        ..Reply::default()
    }
}

/// More figures than this, for a role asked about at no particular level
/// or place, and `/salary` shows the summary with the card a button away.
const SALARY_SUMMARY_ABOVE: usize = 6;

/// `/salary` in the channel: the card when it is short (few figures, or
/// narrowed by level or region); else the medians and the range, every
/// figure privately through "Full pay card".
pub fn salary_in_channel(a: &SalaryAnswer) -> Reply {
    if a.level.is_some() || a.region.is_some() || a.figures.len() <= SALARY_SUMMARY_ABOVE {
        return salary(a);
    }
    let mut tools: Vec<CreateButton> = pay_button(a, "Full pay card").into_iter().collect();
    tools.extend(sources_button(
        Cited::Pay(pay_id(a)),
        &present::salary_citations(a),
    ));
    Reply {
        embeds: vec![pay_summary_embed(a)],
        components: rows(tools),
        ..Reply::default()
    }
}

/// The pay query `a` answers, as a [`Button::Pay`] id's payload.
fn pay_id(a: &SalaryAnswer) -> String {
    Button::Pay {
        role: a.role.id.clone(),
        region: a.region.as_ref().map(|r| r.id.clone()),
        level: a.level,
    }
    .id()
    .trim_start_matches("pay:")
    .to_string()
}

/// The button that opens `a`'s full pay card, privately.
fn pay_button(a: &SalaryAnswer, label: &str) -> Option<CreateButton> {
    Some(
        Button::Pay {
            role: a.role.id.clone(),
            region: a.region.as_ref().map(|r| r.id.clone()),
            level: a.level,
        }
        .make(label)?
        .emoji('💵'),
    )
}

/// `/cert`: the credential with its issuer, requirements and sources.
pub fn cert(a: &CertAnswer) -> Reply {
    let citations = present::cite_sections(&a.cert.section, &a.cited);
    Reply {
        embeds: vec![cert_embed(a)],
        components: rows(
            sources_button(Cited::Cert(a.cert.abbr.clone()), &citations)
                .into_iter()
                .collect(),
        ),
        ..Reply::default()
    }
}

/// The short pay facts under an answer: the national medians with their
/// years and guides, and one line on the range; the rest is a button away.
fn pay_summary_embed(a: &SalaryAnswer) -> CreateEmbed {
    let mut lines: Vec<String> = Vec::new();
    if !a.national_medians.is_empty() {
        lines.push("Median pay, whole occupation:".into());
        for m in &a.national_medians {
            lines.push(format!("• {}", present::median_line(m)));
        }
    }
    match present::range_line(a) {
        Some(r) => lines.push(r),
        None if a.figures.is_empty() => lines.push(present::no_figures_at_level(&a.levels)),
        None => {}
    }
    lines.push("Every figure with its source: “Full pay card” below.".into());
    embed()
        .title(clip(&format!("Pay: {}", a.role.name), EMBED_TITLE))
        .description(clip(&lines.join("\n"), EMBED_DESCRIPTION))
}

/// Every figure with its year and source; several sources for one level
/// sit side by side (inline fields), never merged.
fn salary_embed(a: &SalaryAnswer) -> CreateEmbed {
    let title = clip(&format!("Pay: {}", a.role.name), EMBED_TITLE);
    let scope = format!(
        "{} · {}",
        a.level.map_or("Every level", level_name),
        a.region
            .as_ref()
            .map_or("every region", |r| region_label(&r.name))
    );
    let mut description = scope;
    if a.figures.is_empty() {
        description.push('\n');
        description.push_str(&present::no_figures_at_level(&a.levels));
    }
    let footer =
        "Figures as each guide states them, with its year; where guides differ, all are shown.";
    let mut fields =
        Fields::new(title.chars().count() + description.chars().count() + footer.len());
    for f in &a.figures {
        let name = format!(
            "{} · {}",
            level_name(f.figure.level),
            region_label(&f.region_name)
        );
        fields.push(&name, &figure_value(f), true);
    }
    if !a.national_medians.is_empty() {
        let lines: Vec<String> = a
            .national_medians
            .iter()
            .map(present::median_line)
            .collect();
        fields.push("Median pay, whole occupation", &lines.join("\n"), false);
    }
    for g in &a.geography {
        let cite = citation_footer(
            &present::cite_sections(&g.geography.section, std::slice::from_ref(&g.cited)),
            EMBED_FIELD_VALUE / 2,
        );
        let value = match &g.display {
            Some(d) => format!("{}: {d}\n{cite}", g.geography.places),
            None => format!("{}\n{cite}", g.geography.places),
        };
        fields.push(
            &format!("Where pay differs · {}", region_label(&g.region_name)),
            &value,
            false,
        );
    }
    fields
        .into_embed(embed().title(title).description(description), "figures")
        .footer(CreateEmbedFooter::new(footer))
}

fn cert_embed(a: &CertAnswer) -> CreateEmbed {
    let c = &a.cert;
    let title = if c.abbr.eq_ignore_ascii_case(&c.name) {
        clip(&c.name, EMBED_TITLE)
    } else {
        clip(&format!("{} — {}", c.abbr, c.name), EMBED_TITLE)
    };
    let citations = present::cite_sections(&c.section, &a.cited);
    let footer = citation_footer(&citations, CITATION_FOOTER);
    let mut fields = Fields::new(title.chars().count() + footer.chars().count());
    fields.push("Issuer", &c.issuer, true);
    if let Some(l) = &c.level {
        fields.push("Level", l, true);
    }
    if let Some(s) = &c.suits {
        fields.push("Who it suits", s, false);
    }
    if !c.requirements.is_empty() {
        let reqs: Vec<String> = c.requirements.iter().map(|r| format!("• {r}")).collect();
        fields.push("Requirements", &reqs.join("\n"), false);
    }
    if let Some(l) = &c.leads_to {
        fields.push("Leads to", l, false);
    }
    fields
        .into_embed(embed().title(title), "details")
        .footer(CreateEmbedFooter::new(footer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_entries_show_no_clickable_masked_link_and_no_raw_markdown() {
        let d = FullDoc {
            id: "e".into(),
            title: "T".into(),
            body: "Start at [the official site](https://evil.example/login) or [here]( https://x.example ).\n\n\
                   ## Next **steps**\n- Study `SQL` and _Excel_\n* a <@123> mention, a > quote, [broken](https://y.example\n"
                .into(),
            citations: Vec::new(),
        };
        let v = serde_json::to_value(document(&d, true, None).into_response()).unwrap();
        let text = v["data"]["embeds"][0]["description"].as_str().unwrap();
        assert_eq!(
            text,
            "Start at the official site or here.\n\n**Next steps**\n• Study SQL and Excel\n• a \\<@123\\> mention, a \\> quote, broken"
        );
        assert!(!text.contains("example"), "{text}");
    }

    #[test]
    fn clip_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo world", 6), "héllo…");
        assert_eq!(clip("héllo world", 6).chars().count(), 6);
    }

    #[test]
    fn long_text_is_cut_at_a_sentence_with_a_pointer() {
        let text = "First sentence here. Second one is longer than the rest. Third.";
        let cut = clip_sentences(text, 50, "… More: `/faq`");
        assert_eq!(cut, "First sentence here. … More: `/faq`");
        assert!(cut.chars().count() <= 50);
        assert_eq!(clip_sentences(text, 500, "x"), text);
    }

    #[test]
    fn snippets_never_end_on_a_dangling_fragment() {
        assert_eq!(whole_sentences("Yes. It pays."), "Yes. It pays.");
        assert_eq!(
            whole_sentences(
                "The guides quote three medians (2026). $40,350 — May 2018 — 2019 guide"
            ),
            "The guides quote three medians (2026). …"
        );
        assert_eq!(
            whole_sentences("$40,350 — May 2018 — 2019 HIT career info guide"),
            "$40,350 — May 2018 — 2019 HIT career info guide…"
        );
    }

    #[test]
    fn every_button_id_reads_back_as_the_same_button() {
        for b in [
            Button::Entry("remote-work".into()),
            Button::Vote {
                entry: "e".into(),
                up: true,
            },
            Button::Vote {
                entry: "e".into(),
                up: false,
            },
            Button::Sources(Cited::Entry("e".into())),
            Button::Sources(Cited::Cert("RHIT".into())),
            Button::Sources(Cited::Pay("hit-technician|us|entry".into())),
            Button::Cert("RHIT".into()),
            Button::Pay {
                role: "r".into(),
                region: Some("us".into()),
                level: Some(Level::Senior),
            },
            Button::Pay {
                role: "r".into(),
                region: None,
                level: None,
            },
            Button::Share(7),
            Button::AskAgain(9),
        ] {
            assert_eq!(Button::parse(&b.id()), Some(b.clone()), "{}", b.id());
        }
        for forged in [
            "",
            "faq:",
            "vote:sideways:e",
            "pay:|us|",
            "pay:r||chief",
            "share:x",
            "nope:1",
        ] {
            assert_eq!(Button::parse(forged), None, "{forged}");
        }
    }

    #[test]
    fn guide_section_buttons_name_the_guide_and_section_not_a_cut_breadcrumb() {
        assert_eq!(
            related_label(
                "Qualora 2026 › Training, Salary, and Pathways › Frequently Asked Questions"
            ),
            "Qualora 2026 › Frequently Asked Questions"
        );
        assert_eq!(
            related_label("Can I work remotely?"),
            "Can I work remotely?"
        );
    }

    #[test]
    fn autocomplete_choices_are_capped_by_discords_choice_limit_not_the_field_limit() {
        let list: Vec<Choice> = (0..40)
            .map(|i| Choice {
                name: format!("{i} {}", "é".repeat(150)),
                value: format!("v{i}"),
            })
            .chain(std::iter::once(Choice {
                name: "long".into(),
                value: "x".repeat(101),
            }))
            .collect();
        let v = serde_json::to_value(choices(&list)).unwrap();
        let c = v["data"]["choices"].as_array().unwrap();
        assert_eq!(c.len(), AUTOCOMPLETE_CHOICES);
        assert!(
            c.iter()
                .all(|c| c["name"].as_str().unwrap().chars().count() <= CHOICE_CHARS)
        );
        assert!(
            c.iter()
                .all(|c| c["value"].as_str().unwrap().len() <= CHOICE_CHARS)
        );
    }

    use crate::engine::Answer;

    fn cite(guide: &str, section: &str) -> Citation {
        Citation {
            source: "key-2026".into(),
            guide: guide.into(),
            title: "A long guide title".into(),
            date: "2026-05-10".into(),
            section: section.into(),
        }
    }

    #[test]
    fn the_footer_names_every_cited_section_by_its_short_guide_label() {
        let list = [
            cite("Qualora 2026", "Frequently Asked Questions"),
            cite("Himalayas 2025", "Skills & qualifications"),
        ];
        assert_eq!(
            citation_footer(&list, CITATION_FOOTER),
            "Qualora 2026 › Frequently Asked Questions · Himalayas 2025 › Skills & qualifications"
        );
    }

    #[test]
    fn a_footer_too_long_shortens_section_names_and_keeps_every_citation() {
        let list: Vec<Citation> = (0..8)
            .map(|i| {
                cite(
                    "Himalayas 2025",
                    &format!("Section {i} {}", "word ".repeat(30)),
                )
            })
            .collect();
        let f = citation_footer(&list, CITATION_FOOTER);
        assert!(f.chars().count() <= CITATION_FOOTER, "{f}");
        assert_eq!(f.matches("Himalayas 2025 › ").count(), 1, "{f}");
        assert_eq!(f.matches("Section ").count(), 8, "{f}");
        assert_eq!(f.matches('…').count(), 8, "{f}");
        // Cut no shorter than needed: most of the room is used.
        assert!(f.chars().count() > CITATION_FOOTER - 8 * 8, "{f}");
        assert!(!f.contains("key-2026") && !f.contains("A long guide title"));
    }

    #[test]
    fn long_answers_fit_every_embed_limit() {
        let a = Answer {
            id: "x".into(),
            title: "t".repeat(400),
            snippet: "w *b* ".repeat(2000),
            citations: vec![
                Citation {
                    source: "s".into(),
                    guide: "G".into(),
                    title: "T".into(),
                    date: "2024".into(),
                    section: "c".repeat(3000),
                };
                3
            ],
            source: "s".into(),
            score: 1.0,

            kind: crate::engine::DocKind::Entry,
        };
        let related = vec![
            Related {
                id: "r".into(),
                title: "l".repeat(200),
            };
            5
        ];
        let r = Asked {
            response: crate::engine::Response {
                question: "q".into(),
                abstained: false,
                answer: Some(a),
                gap: None,
                related,
                explain: None,
            },
            facts: None,
        };
        let v = serde_json::to_value(response(&r, None).into_response()).unwrap();
        let e = &v["data"]["embeds"][0];
        let n = |p: &serde_json::Value| p.as_str().unwrap().chars().count();
        assert!(n(&e["title"]) <= EMBED_TITLE);
        assert!(n(&e["description"]) <= EMBED_DESCRIPTION);
        assert!(n(&e["footer"]["text"]) <= EMBED_FOOTER);
        assert!(n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]) <= EMBED_TOTAL);
        let buttons = v["data"]["components"][0]["components"].as_array().unwrap();
        assert_eq!(buttons.len(), RELATED_BUTTONS);
        assert!(n(&buttons[0]["label"]) <= BUTTON_LABEL);
        let tools = v["data"]["components"][1]["components"].as_array().unwrap();
        assert_eq!(tools[0]["custom_id"], "src:faq:x");
        assert_eq!(tools[1]["custom_id"], "vote:up:x");
        assert_eq!(tools[2]["custom_id"], "vote:down:x");
        assert_eq!(
            v["data"]["allowed_mentions"]["parse"],
            serde_json::json!([])
        );
    }
}
