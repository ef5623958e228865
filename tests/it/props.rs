//! Property tests: no input makes the parsers or the query path panic.

use std::path::Path;

use careerbot::corpus::{Diagnostics, data, markdown};
use careerbot::knowledge::Knowledge;
use proptest::prelude::*;

const VALID_ENTRY: &str = "+++\nid = \"cs-degree\"\nquestion = \"Do I need a CS degree?\"\naliases = [\"cs degree?\"]\ntags = [\"education\"]\nsource = \"guide-a\"\nsection = \"FAQ\"\n+++\nNo. Programs teach what you need.\n";
const VALID_GUIDE: &str =
    "+++\nsource = \"guide-a\"\n+++\n# Guide\n\n## Salary\n\nPay text.\n\n### Level\n\nMore.\n";

/// A valid file with one mutation: truncated, a slice duplicated, bytes spliced in.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    prop_oneof![
        (0..=len).prop_map(move |n| base.as_bytes()[..n].to_vec()),
        (0..len, 0..len).prop_map(move |(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            let mut v = base.as_bytes()[..b].to_vec();
            v.extend_from_slice(&base.as_bytes()[a..]);
            v
        }),
        (0..=len, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(move |(at, junk)| {
            let mut v = base.as_bytes()[..at].to_vec();
            v.extend(junk);
            v.extend_from_slice(&base.as_bytes()[at..]);
            v
        }),
        (0..=len, "[a-z=\\[\\]\"+#\n ]{0,40}").prop_map(move |(at, s)| {
            let mut v = base.as_bytes()[..at].to_vec();
            v.extend(s.bytes());
            v.extend_from_slice(&base.as_bytes()[at..]);
            v
        }),
    ]
}

fn parse_all(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let p = Path::new("f");
    let mut d = Diagnostics::default();
    let _ = markdown::parse_entry(p, &text, &mut d);
    let _ = markdown::parse_guide(p, &text, &mut d);
    let _ = data::parse_sources(p, &text, &mut d);
    let _ = data::parse_synonyms(p, &text, &mut d);
    let _ = data::parse_salaries(p, &text, &mut d);
    let _ = data::parse_certs(p, &text, &mut d);
    for x in &d.0 {
        assert!(x.line >= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_mutated_entries(bytes in mutated(VALID_ENTRY)) {
        parse_all(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_mutated_guides(bytes in mutated(VALID_GUIDE)) {
        parse_all(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_all(&bytes);
    }

    #[test]
    fn a_huge_line_is_parsed_without_panic(n in 0usize..200_000) {
        let text = format!("{}{}\n", VALID_ENTRY, "y".repeat(n));
        parse_all(text.as_bytes());
    }
}

#[test]
fn the_query_path_never_panics_on_arbitrary_text() {
    let tmp = tempfile::tempdir().unwrap();
    let k = Knowledge::load(&crate::fixture(), tmp.path()).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 1024,
        ..ProptestConfig::default()
    });
    let strategy = prop_oneof![
        any::<String>(),
        "\\PC{0,5000}",
        "[ -~]{0,300}",
        "[a-z:()\"^~*?\\[\\]{}+\\-!&|\\\\/ ]{0,200}",
        "(remote|cs|wfh|AND|OR|NOT|title:|\"|\\(|\\)| ){0,60}",
    ];
    runner
        .run(&strategy, |q| {
            let r = k.ask(&q).response;
            prop_assert_eq!(r.abstained, r.answer.is_none());
            prop_assert!(r.related.len() <= 3);
            Ok(())
        })
        .unwrap();
}
