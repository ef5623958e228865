//! The answer engine through its library API on the small fixture corpus.

use careerbot::knowledge::Knowledge;

use crate::fixture;

fn knowledge() -> (Knowledge, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let k = Knowledge::load(&fixture(), tmp.path()).unwrap();
    (k, tmp)
}

/// The knowledge base as shipped, indexed afresh.
fn shipped() -> (Knowledge, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let faq = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let k = Knowledge::load(&faq, tmp.path()).unwrap();
    (k, tmp)
}

fn top(k: &Knowledge, q: &str) -> Option<String> {
    k.engine.ask(q).answer.map(|a| a.id)
}

#[test]
fn synonyms_match_chat_words_and_phrases() {
    let (k, _t) = knowledge();
    assert_eq!(top(&k, "can i wfh").as_deref(), Some("remote-work"));
    assert_eq!(
        top(&k, "do i need a cs degree").as_deref(),
        Some("cs-degree")
    );
    assert_eq!(top(&k, "median wage?").as_deref(), Some("median-salary"));
}

#[test]
fn chat_filler_around_a_question_neither_hides_the_answer_nor_answers_off_topic() {
    let (k, _t) = knowledge();
    for q in [
        "honestly tho can i wfh? never heard of anyone doing it",
        "ok so can u wfh n stuff, or nah",
        "wtf can u wfh or what the heck",
    ] {
        assert_eq!(top(&k, q).as_deref(), Some("remote-work"), "{q}");
    }
    // Filler says nothing: with nothing else it is no question, and it
    // does not pull an off-topic one onto an entry.
    for q in [
        "honestly tho, whats the point lol",
        "honestly how do i become a pilot tho",
    ] {
        assert_eq!(top(&k, q), None, "{q}");
    }
}

#[test]
fn typos_in_long_words_still_match_but_never_outrank_a_real_match() {
    let (k, _t) = knowledge();
    assert_eq!(
        top(&k, "how long is a certifcate program").as_deref(),
        Some("certificate-program")
    );
    let r = k.ask_explained("certifcate").response;
    let x = r.explain.unwrap();
    assert!(x.slots[0].contains("typo for certif"), "{:?}", x.slots);
    // The same question spelled right scores at least as high.
    let right = k
        .engine
        .ask("how long is a certificate program")
        .answer
        .unwrap()
        .score;
    let typo = k
        .engine
        .ask("how long is a certifcate program")
        .answer
        .unwrap()
        .score;
    assert!(right >= typo, "{right} < {typo}");
}

/// A word the knowledge base lacks but English has is what the member
/// asks about, not a misspelling of a neighbour ("blocking" is not "look").
#[test]
fn english_words_are_not_taken_for_typos() {
    let (k, _t) = shipped();
    let x = k
        .ask_explained("what is information blocking")
        .response
        .explain
        .unwrap();
    assert!(x.slots.iter().all(|s| !s.contains("typo")), "{:?}", x.slots);
    let x = k.ask_explained("hosptial jobs").response.explain.unwrap();
    assert!(x.slots[0].contains("typo for hospit"), "{:?}", x.slots);
}

#[test]
fn unanswerable_questions_abstain_with_related_suggestions() {
    let (k, _t) = knowledge();
    for q in [
        "how do i become a pilot",
        "whats ur favorite movie",
        "",
        "???",
        "asdfghjkl",
    ] {
        let r = k.engine.ask(q);
        assert!(
            r.abstained && r.answer.is_none(),
            "{q:?} answered {:?}",
            r.answer
        );
    }
    let r = k.engine.ask("nurse practitioner salary");
    assert!(r.abstained);
    assert!(
        r.related.iter().any(|x| x.id == "median-salary"),
        "{:?}",
        r.related
    );
}

#[test]
fn query_syntax_in_user_text_is_just_words() {
    let (k, _t) = knowledge();
    let junk = "x".repeat(4000);
    for q in [
        "title:(",
        "\"",
        "AND OR NOT",
        "remote AND",
        "body:remote^10",
        "*",
        "a~2",
        "[1 TO 5]",
        "-remote +cs",
        &junk,
    ] {
        let _ = k.engine.ask(q); // must not panic or error
    }
    assert_eq!(
        top(&k, "\"remote\" AND (work) OR NOT").as_deref(),
        Some("remote-work")
    );
}

#[test]
fn answers_cite_every_source_in_plain_text() {
    let (k, _t) = knowledge();
    let a = k.engine.ask("median salary").answer.unwrap();
    let cited: Vec<String> = a.citations.iter().map(|c| c.short()).collect();
    assert_eq!(cited, ["Guide A 2024 › Salary", "Guide B 2019 › Salary"]);
    assert_eq!(a.citations[1].title, "Fixture Guide B");
    assert_eq!(a.citations[1].date, "2019");
    assert!(
        a.snippet.contains("$47,160") && a.snippet.contains("$40,350"),
        "{}",
        a.snippet
    );
    let s = k
        .engine
        .ask("job outlook: how many openings a year")
        .answer
        .unwrap();
    assert_eq!(s.title, "Fixture Guide A › Outlook");
    // A guide section cites itself.
    let cited: Vec<String> = s.citations.iter().map(|c| c.short()).collect();
    assert_eq!(cited, ["Guide A 2024 › Outlook"]);
    assert!(
        s.snippet.contains("openings") && !s.snippet.contains('*'),
        "{}",
        s.snippet
    );
}

/// The salary records name the role a pay question is about; its entry
/// answers, which words alone do not find.
#[test]
fn a_pay_question_naming_a_role_is_answered_by_that_roles_entry() {
    let (k, _t) = shipped();
    let q = "what do senior hit managers make";
    assert_ne!(
        k.engine.ask(q).answer.map(|a| a.id).as_deref(),
        Some("salary-hit-manager-director"),
        "words alone do not find the manager's pay"
    );
    let a = k.ask(q).response.answer.unwrap();
    assert_eq!(a.id, "salary-hit-manager-director");
    assert!(a.snippet.contains("$110,000"), "{}", a.snippet);
    let x = k.ask_explained(q).response.explain.unwrap();
    assert_eq!(x.hinted.as_deref(), Some("salary-hit-manager-director"));
}

/// Sharing a word is not enough: a greeting that shares "up" with an entry
/// on moving up is far from it in meaning, and is not answered.
#[test]
fn a_question_far_in_meaning_from_every_entry_is_not_answered() {
    let (k, _t) = shipped();
    let r = k.ask_explained("hey whats up").response;
    assert!(r.abstained && r.answer.is_none(), "{:?}", r.answer);
    let x = r.explain.unwrap();
    let top = &x.candidates[0].features;
    assert!(top.coverage > 0.9 && top.semantic < x.scoring.min_semantic);
    assert!(!k.ask("can i wfh").response.abstained);
}

/// A sentence or two about the member, then the question: when the whole
/// message matches nothing well enough, its last sentence is asked alone.
#[test]
fn a_long_message_is_answered_by_its_last_sentence() {
    let (k, _t) = shipped();
    let context = "i have chronic pain and can't commute much.";
    let question = "can hit work actually be done from home or is that a myth";
    let r = k.ask(&format!("{context} {question}")).response;
    let a = r.answer.expect("answered");
    assert_eq!(Some(a.id), k.ask(question).response.answer.map(|a| a.id));
    assert_eq!(r.question, format!("{context} {question}"));
}
