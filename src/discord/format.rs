//! Discord formatting: engine and lookup results as embeds, buttons and
//! choices, within Discord's length limits. No ranking or lookup logic here.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAutocompleteResponse, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, MessageId,
};

use crate::corpus::Level;
use crate::engine::{Citation, FullDoc, Related};
use crate::knowledge::Asked;
use crate::lookup::{
    CertAnswer, Choice, Facts, FigureAnswer, NotFound, SalaryAnswer, format_money,
};

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
/// Related entries offered as buttons.
pub const RELATED_BUTTONS: usize = 3;
/// Prefix of a related-entry button's custom id.
pub const FAQ_BUTTON: &str = "faq:";
/// Prefixes of the feedback buttons' custom ids (followed by the entry id).
pub const VOTE_UP: &str = "vote:up:";
pub const VOTE_DOWN: &str = "vote:down:";

/// Room for an answer's citations in its footer: every cited section,
/// short enough to read at a glance.
pub const CITATION_FOOTER: usize = 512;
/// Section names are never cut shorter than this to make citations fit.
const MIN_SECTION: usize = 12;

/// Embed colour: a calm teal.
const COLOUR: u32 = 0x1F8A70;

/// At most `max` characters; a cut string ends with "…".
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
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
        let mut m = CreateInteractionResponseMessage::new()
            .embeds(self.embeds)
            .components(self.components)
            .ephemeral(self.ephemeral)
            .allowed_mentions(no_mentions());
        if let Some(c) = self.content {
            m = m.content(c);
        }
        CreateInteractionResponse::Message(m)
    }

    /// The edit that completes a deferred response.
    pub fn into_edit(self) -> EditInteractionResponse {
        EditInteractionResponse::new()
            .content(self.content.unwrap_or_default())
            .embeds(self.embeds)
            .components(self.components)
            .allowed_mentions(no_mentions())
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

/// Up to three related entries as buttons (`faq:<id>`).
pub fn related_buttons(related: &[Related]) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = related
        .iter()
        .filter(|r| FAQ_BUTTON.len() + r.id.len() <= CUSTOM_ID)
        .take(RELATED_BUTTONS)
        .map(|r| {
            CreateButton::new(format!("{FAQ_BUTTON}{}", r.id))
                .label(clip(&r.title, BUTTON_LABEL))
                .style(ButtonStyle::Secondary)
        })
        .collect();
    if buttons.is_empty() {
        Vec::new()
    } else {
        vec![CreateActionRow::Buttons(buttons)]
    }
}

/// `text` whole when it fits in `max` characters; otherwise cut after the
/// last sentence that fits (a word boundary if none does), then `note`.
/// Never leaves a `**bold**` span open.
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
    if out.matches("**").count() % 2 == 1 {
        out.push_str("**");
    }
    out.push(' ');
    out.push_str(note);
    out
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

/// Every citation as "Qualora 2026 › FAQ", joined by " · ", within `max`
/// characters: when they do not fit, section names are shortened (all to
/// the same length, longest first), never dropped.
pub fn citation_footer(citations: &[Citation], max: usize) -> String {
    let render = |cap: usize| {
        citations
            .iter()
            .map(|c| format!("{} › {}", c.guide, clip(&c.section, cap)))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let longest = citations
        .iter()
        .map(|c| c.section.chars().count())
        .max()
        .unwrap_or(0);
    let full = render(longest);
    if full.chars().count() <= max {
        return full;
    }
    // The longest cap that fits: fewer characters per section, same citations.
    let (mut lo, mut hi) = (MIN_SECTION, longest);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if render(mid).chars().count() <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    clip(&render(lo), max)
}

/// 👍/👎 for the answer from `entry`; votes are recorded, never shown.
pub fn vote_buttons(entry: &str) -> Option<CreateActionRow> {
    (VOTE_DOWN.len() + entry.len() <= CUSTOM_ID).then(|| {
        CreateActionRow::Buttons(vec![
            CreateButton::new(format!("{VOTE_UP}{entry}"))
                .emoji('👍')
                .label("Helpful")
                .style(ButtonStyle::Secondary),
            CreateButton::new(format!("{VOTE_DOWN}{entry}"))
                .emoji('👎')
                .label("Not helpful")
                .style(ButtonStyle::Secondary),
        ])
    })
}

/// An answer to a question (`/ask`, "Find answer", a help channel): the
/// cited snippet, any lookup facts, related entries and 👍/👎; or, when the
/// engine abstained, a plain "I don't know" with the related entries.
pub fn response(asked: &Asked) -> Reply {
    let r = &asked.response;
    let Some(a) = &r.answer else {
        return abstain(r.gap.as_ref().map(|g| g.message.as_str()), &r.related);
    };
    let more = format!("… More: {}", code(&format!("/faq topic: {}", a.id)));
    let mut embeds = vec![text_embed(
        &a.title,
        &escape_markdown(&a.snippet),
        &citation_footer(&a.citations, CITATION_FOOTER),
        &more,
    )];
    match &asked.facts {
        Some(Facts::Salary(s)) => embeds.push(salary_embed(s)),
        Some(Facts::Cert(c)) => embeds.push(cert_embed(c)),
        None => {}
    }
    let mut components = related_buttons(&r.related);
    components.extend(vote_buttons(&a.id));
    Reply {
        embeds,
        components,
        ..Reply::default()
    }
}

pub const ABSTAIN: &str = "I don't know that one: nothing in the FAQ answers it well enough.";

/// Abstained: said plainly, in the channel, with related entries; `gap`
/// says what the guides don't give, when the engine knows.
pub fn abstain(gap: Option<&str>, related: &[Related]) -> Reply {
    let lead = gap.unwrap_or(ABSTAIN);
    let content = if related.is_empty() {
        format!("{lead} Try `/faq` to browse the questions it does answer.")
    } else {
        format!("{lead} These entries may be close:")
    };
    Reply {
        content: Some(content),
        components: related_buttons(related),
        ..Reply::default()
    }
}

/// A whole FAQ entry or guide section, its Markdown shown as plain text
/// (see [`plain`]), as `/ask` shows its snippets.
pub fn document(d: &FullDoc, ephemeral: bool) -> Reply {
    Reply {
        embeds: vec![text_embed(
            &d.title,
            &plain(&d.body),
            &citation_footer(&d.citations, CITATION_FOOTER),
            "… (cut to fit Discord: the guide cited below has the rest)",
        )],
        ephemeral,
        ..Reply::default()
    }
}

/// "No role matches `x`. Did you mean: …?", for the member only.
pub fn not_found(e: &NotFound) -> Reply {
    let mut msg = format!("No {} matches {}.", e.what, code(&e.query));
    if e.what == "level" {
        msg.push_str(" Levels are entry, mid, senior and all.");
    } else if !e.suggestions.is_empty() {
        msg.push_str(&format!(" Did you mean: {}?", e.suggestions.join(", ")));
    }
    Reply::text(&msg, true)
}

/// Autocomplete choices (already capped by the lookup: 25, 100 chars).
pub fn choices(list: &[Choice]) -> CreateInteractionResponse {
    let mut r = CreateAutocompleteResponse::new();
    for c in list.iter().take(EMBED_FIELDS) {
        r = r.add_string_choice(clip(&c.name, 100), clip(&c.value, 100));
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
        // Leave room for the closing note (field + text).
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

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Entry => "Entry level",
        Level::Mid => "Mid-career",
        Level::Senior => "Senior",
        Level::All => "All levels",
    }
}

/// "$38,000–$45,000\n0-2 years · May 2023 · Guide (Publisher, date)".
fn figure_value(f: &FigureAnswer) -> String {
    let mut line2: Vec<String> = Vec::new();
    if let Some(y) = &f.figure.years {
        line2.push(y.clone());
    }
    line2.push(match &f.figure.year {
        Some(y) => y.clone(),
        None => "year not given".into(),
    });
    line2.push(f.cited.cite());
    format!("**{}**\n{}", f.display, line2.join(" · "))
}

/// `/salary`: every figure with its year and source.
pub fn salary(a: &SalaryAnswer) -> Reply {
    Reply {
        embeds: vec![salary_embed(a)],
        ..Reply::default()
    }
}

/// `/cert`: the credential with its issuer, requirements and sources.
pub fn cert(a: &CertAnswer) -> Reply {
    Reply {
        embeds: vec![cert_embed(a)],
        ..Reply::default()
    }
}

/// Every figure with its year and source; several sources for one level
/// sit side by side (inline fields), never merged.
fn salary_embed(a: &SalaryAnswer) -> CreateEmbed {
    let title = clip(&format!("{} — pay", a.role.name), EMBED_TITLE);
    let scope = format!(
        "{} · {}",
        a.level.map_or("every level", level_name),
        a.region
            .as_ref()
            .map_or("every region", |r| r.name.as_str())
    );
    let mut description = scope.clone();
    if a.figures.is_empty() {
        let have: Vec<&str> = a.levels.iter().map(|l| l.as_str()).collect();
        description.push_str(&if have.is_empty() {
            "\nThe guides give no figures for this role here.".to_string()
        } else {
            format!(
                "\nThe guides give no figures at this level; they give: {}.",
                have.join(", ")
            )
        });
    }
    let footer = "Figures as each guide states them, with its year and source; where guides differ, all are shown.";
    let mut fields =
        Fields::new(title.chars().count() + description.chars().count() + footer.len());
    for f in &a.figures {
        let name = match &f.figure.label {
            Some(l) => format!("{} · {} ({l})", level_name(f.figure.level), f.region_name),
            None => format!("{} · {}", level_name(f.figure.level), f.region_name),
        };
        fields.push(&name, &figure_value(f), true);
    }
    if !a.national_medians.is_empty() {
        let lines: Vec<String> = a
            .national_medians
            .iter()
            .map(|m| {
                format!(
                    "{} ({}, {})",
                    format_money(m.figure.low, &m.figure.currency),
                    m.figure.year.as_deref().unwrap_or("year not given"),
                    m.cited.cite()
                )
            })
            .collect();
        fields.push(
            "National medians, whole occupation",
            &lines.join("\n"),
            false,
        );
    }
    for g in &a.geography {
        let value = match &g.display {
            Some(d) => format!("{}: {d}\n{}", g.geography.places, g.cited.cite()),
            None => format!("{}\n{}", g.geography.places, g.cited.cite()),
        };
        fields.push(&format!("By place · {}", g.region_name), &value, false);
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
    let description = clip(c.suits.as_deref().unwrap_or(""), EMBED_DESCRIPTION);
    let footer = clip(&format!("Guide sections: {}", c.section), EMBED_FOOTER);
    let mut fields =
        Fields::new(title.chars().count() + description.chars().count() + footer.chars().count());
    fields.push("Issuer", &c.issuer, true);
    if let Some(l) = &c.level {
        fields.push("Level", l, true);
    }
    if !c.requirements.is_empty() {
        let reqs: Vec<String> = c.requirements.iter().map(|r| format!("• {r}")).collect();
        fields.push("Requirements", &reqs.join("\n"), false);
    }
    if let Some(l) = &c.leads_to {
        fields.push("Leads to", l, false);
    }
    let sources: Vec<String> = a.cited.iter().map(|s| format!("• {}", s.cite())).collect();
    fields.push("Sources", &sources.join("\n"), false);
    let mut e = fields.into_embed(embed().title(title), "details");
    if !description.is_empty() {
        e = e.description(description);
    }
    e.footer(CreateEmbedFooter::new(footer))
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
        let v = serde_json::to_value(document(&d, true).into_response()).unwrap();
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
        let text = "First sentence here. Second **one** is longer than the rest. Third.";
        let cut = clip_sentences(text, 50, "… More: `/faq`");
        assert_eq!(cut, "First sentence here. … More: `/faq`");
        assert!(cut.chars().count() <= 50);
        assert_eq!(clip_sentences(text, 500, "x"), text);
        let bold = clip_sentences("A **very long bold run of words without end", 30, "…");
        assert_eq!(bold.matches("**").count() % 2, 0, "{bold}");
        assert!(bold.chars().count() <= 30, "{bold}");
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
        assert_eq!(f.matches("Himalayas 2025 › Section ").count(), 8, "{f}");
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
        let v = serde_json::to_value(response(&r).into_response()).unwrap();
        let e = &v["data"]["embeds"][0];
        let n = |p: &serde_json::Value| p.as_str().unwrap().chars().count();
        assert!(n(&e["title"]) <= EMBED_TITLE);
        assert!(n(&e["description"]) <= EMBED_DESCRIPTION);
        assert!(n(&e["footer"]["text"]) <= EMBED_FOOTER);
        assert!(n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]) <= EMBED_TOTAL);
        let buttons = v["data"]["components"][0]["components"].as_array().unwrap();
        assert_eq!(buttons.len(), RELATED_BUTTONS);
        assert!(n(&buttons[0]["label"]) <= BUTTON_LABEL);
        let votes = v["data"]["components"][1]["components"].as_array().unwrap();
        assert_eq!(votes[0]["custom_id"], "vote:up:x");
        assert_eq!(votes[1]["custom_id"], "vote:down:x");
        assert_eq!(
            v["data"]["allowed_mentions"]["parse"],
            serde_json::json!([])
        );
    }
}
