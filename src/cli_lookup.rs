//! `careerbot salary` and `careerbot cert`: plain-text tables (or `--json`)
//! over [`careerbot::lookup`].

use std::process::ExitCode;

use serde::Serialize;

use careerbot::corpus::{Corpus, Level};
use careerbot::lookup::{
    CertAnswer, Facts, FigureAnswer, Lookup, NotFound, Overview, SalaryAnswer, Wanted, parse_level,
};
use careerbot::present;

/// `careerbot salary [ROLE] [--level L] [--region R] [--json]`.
pub fn salary_cmd(
    corpus: &Corpus,
    role: Option<&str>,
    level: Option<&str>,
    region: Option<&str>,
    json: bool,
) -> ExitCode {
    let lookup = Lookup::new(corpus);
    let level = match level.map(parse_level).transpose() {
        Ok(l) => l,
        Err(e) => return not_found(&e),
    };
    let Some(role) = role else {
        if let Some(r) = region {
            eprintln!("note: the overview covers the national figures; name a role to see `{r}`");
        }
        let mut o = lookup.overview();
        if let Some(l) = level {
            o.levels.retain(|x| *x == l);
            for row in &mut o.rows {
                row.cells.retain(|c| c.level == l);
            }
        }
        if json {
            return print_json(&o);
        }
        print!("{}", render_overview(&o));
        return ExitCode::SUCCESS;
    };
    match lookup.salary(role, level, region) {
        Ok(a) if json => print_json(&a),
        Ok(a) => {
            print!("{}", render_salary(&a));
            ExitCode::SUCCESS
        }
        Err(e) => not_found(&e),
    }
}

/// `careerbot cert [NAME] [--json]`.
pub fn cert_cmd(corpus: &Corpus, name: Option<&str>, json: bool) -> ExitCode {
    let lookup = Lookup::new(corpus);
    let Some(name) = name else {
        if json {
            return print_json(lookup.certs());
        }
        let rows: Vec<Vec<String>> = lookup
            .certs()
            .iter()
            .map(|c| vec![c.abbr.clone(), c.name.clone(), c.issuer.clone()])
            .collect();
        let mut out = table(&["ABBR", "NAME", "ISSUER"], &rows, "");
        out.push_str("\nRun `careerbot cert <name>` for requirements and sources.\n");
        print!("{out}");
        return ExitCode::SUCCESS;
    };
    match lookup.cert(name) {
        Ok(a) if json => print_json(&a),
        Ok(a) => {
            print!("{}", render_cert(&a));
            ExitCode::SUCCESS
        }
        Err(e) => not_found(&e),
    }
}

fn not_found(e: &NotFound) -> ExitCode {
    eprintln!("error: {e}");
    if e.what == Wanted::Level {
        eprintln!(
            "hint: levels are entry, mid, senior, all (also junior, mid-career, experienced)"
        );
    } else if !e.suggestions.is_empty() {
        eprintln!("hint: did you mean: {}", e.suggestions.join(", "));
    }
    ExitCode::from(1)
}

fn print_json<T: Serialize + ?Sized>(v: &T) -> ExitCode {
    match serde_json::to_string(v) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write JSON: {e}");
            ExitCode::from(2)
        }
    }
}

/// Columns padded to their widest cell (in characters); the last is not padded.
fn table(header: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::from(indent);
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            if i + 1 < widths.len() {
                s.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

fn level_heading(l: Level) -> String {
    present::level_name(l).to_uppercase()
}

/// "National medians: $40,350 (May 2018, HIT Career Info 2019) · ..." or nothing.
fn national_line(medians: &[FigureAnswer]) -> String {
    if medians.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = medians.iter().map(present::median_line).collect();
    format!("National medians: {}\n", parts.join(" · "))
}

/// The figures or credential `ask` found, as `salary` or `cert` prints them.
pub fn render_facts(f: &Facts) -> String {
    match f {
        Facts::Salary(a) => render_salary(a),
        Facts::Cert(a) => render_cert(a),
    }
}

fn render_salary(a: &SalaryAnswer) -> String {
    let level = a.level.map_or("every level".to_string(), |l| {
        format!("level {}", l.as_str())
    });
    let region = a
        .region
        .as_ref()
        .map_or("every region".to_string(), |r| r.name.clone());
    let mut out = format!("{} — salaries, {level}, {region}\n", a.role.name);
    if a.figures.is_empty() {
        out.push_str(&format!("\n{}\n", present::no_figures_at_level(&a.levels)));
    }
    let mut rest = a.figures.as_slice();
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|f| f.figure.region == first.figure.region)
            .count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        out.push_str(&format!("\n{}\n", first.region_name));
        let rows: Vec<Vec<String>> = group
            .iter()
            .map(|f| {
                let details: Vec<&str> = [
                    f.figure.label.as_deref(),
                    f.figure.years.as_deref(),
                    f.figure.year.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                vec![
                    f.figure.level.as_str().to_string(),
                    f.display.clone(),
                    details.join(", "),
                ]
            })
            .collect();
        let body = table(&["LEVEL", "FIGURE", "AS THE GUIDE PUTS IT"], &rows, "  ");
        let mut lines = body.lines();
        if let Some(h) = lines.next() {
            out.push_str(h);
            out.push('\n');
        }
        for (line, f) in lines.zip(group) {
            out.push_str(line);
            out.push('\n');
            out.push_str(&format!(
                "          source: {} ({}), {}\n",
                f.cited.title, f.cited.date, f.figure.section
            ));
            if let Some(note) = &f.figure.note {
                out.push_str(&format!("          note: {note}\n"));
            }
        }
    }
    if !a.geography.is_empty() {
        out.push_str("\nHow pay shifts by place\n");
        for g in &a.geography {
            let what = g
                .display
                .clone()
                .or_else(|| g.geography.note.clone())
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}: {} — {}\n          source: {} ({}), {}\n",
                g.region_name,
                g.geography.places,
                what,
                g.cited.title,
                g.cited.date,
                g.geography.section
            ));
        }
    }
    if !a.national_medians.is_empty() {
        out.push('\n');
        out.push_str(&national_line(&a.national_medians));
    }
    out
}

fn render_overview(o: &Overview) -> String {
    let region = o
        .region
        .as_ref()
        .map_or("national figures", |r| r.name.as_str());
    let mut out = format!("Salaries by role and level — {region}, {}\n\n", o.currency);
    let mut header = vec!["ROLE"];
    let headings: Vec<String> = o.levels.iter().map(|l| level_heading(*l)).collect();
    header.extend(headings.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = o
        .rows
        .iter()
        .map(|r| {
            std::iter::once(r.role.name.clone())
                .chain(r.cells.iter().map(|c| c.display(&o.currency)))
                .collect()
        })
        .collect();
    out.push_str(&table(&header, &rows, ""));
    out.push_str(
        "\nEach cell spans every guide's figures (top-10% thresholds left out); guides disagree,\nso run `careerbot salary <role>` to see each figure with its source and year.\n",
    );
    let line = national_line(&o.national_medians);
    if !line.is_empty() {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

fn render_cert(a: &CertAnswer) -> String {
    let c = &a.cert;
    let mut out = if c.abbr.eq_ignore_ascii_case(&c.name) {
        format!("{}\n", c.name)
    } else {
        format!("{} — {}\n", c.abbr, c.name)
    };
    out.push_str(&format!("Issuer:       {}\n", c.issuer));
    if let Some(l) = &c.level {
        out.push_str(&format!("Level:        {l}\n"));
    }
    if c.requirements.is_empty() {
        out.push_str("Requirements: the guides do not list any\n");
    } else {
        out.push_str("Requirements:\n");
        for r in &c.requirements {
            out.push_str(&format!("  - {r}\n"));
        }
    }
    if let Some(s) = &c.suits {
        out.push_str(&format!("Who it suits: {s}\n"));
    }
    if let Some(s) = &c.leads_to {
        out.push_str(&format!("Leads to:     {s}\n"));
    }
    let citations = present::cite_sections(&c.section, &a.cited);
    out.push_str(&format!(
        "Cited:        {}\n",
        present::short_citations(&citations, usize::MAX)
    ));
    out.push_str("Sources:\n");
    for f in present::full_citations(&citations) {
        out.push_str(&format!("  - {}: {}\n", f.guide, f.line()));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn real() -> (Corpus, Lookup) {
        let (c, _) = careerbot::corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("faq"));
        let l = Lookup::new(&c);
        (c, l)
    }

    #[test]
    fn lookup_cli_salary_shows_a_source_line_per_figure_and_national_medians() {
        let (_, l) = real();
        let a = l
            .salary("hit tech", Some(Level::Entry), Some("us"))
            .unwrap();
        let s = render_salary(&a);
        let figures = s.split("How pay shifts by place").next().unwrap();
        assert_eq!(figures.matches("source: ").count(), a.figures.len(), "{s}");
        assert!(s.contains("25–35% above the national median"), "{s}");
        assert!(s.contains("$38,000–$45,000"), "{s}");
        assert!(
            s.contains("National medians: $40,350 (May 2018, HIT Career Info 2019)"),
            "{s}"
        );
        assert!(s.contains("$48,640 (year not given, Qualora 2026)"), "{s}");
    }

    #[test]
    fn lookup_cli_overview_has_a_row_per_role() {
        let (_, l) = real();
        let s = render_overview(&l.overview());
        for r in l.roles() {
            assert!(s.contains(&r.name), "{s}");
        }
        assert!(s.contains("ENTRY") && s.contains("ALL LEVELS"), "{s}");
    }

    #[test]
    fn lookup_cli_cert_lists_requirements_and_sources() {
        let (_, l) = real();
        let s = render_cert(&l.cert("rhit").unwrap());
        assert!(
            s.starts_with("RHIT — Registered Health Information Technician\n"),
            "{s}"
        );
        assert!(s.contains("Requirements:\n  - "), "{s}");
        assert!(
            s.contains("Qualora 2026: Health Information Technology Career Guide"),
            "{s}"
        );
        assert!(
            !s.contains("qualora-2026") && !s.contains("no publisher"),
            "{s}"
        );
        assert!(s.contains("Who it suits: "), "{s}");
    }

    #[test]
    fn lookup_cli_unknown_names_exit_1() {
        let (c, _) = real();
        assert_eq!(
            salary_cmd(&c, Some("pilot"), None, None, false),
            ExitCode::from(1)
        );
        assert_eq!(
            salary_cmd(&c, Some("hit tech"), Some("chief"), None, false),
            ExitCode::from(1)
        );
        assert_eq!(cert_cmd(&c, Some("pmp"), false), ExitCode::from(1));
    }
}
