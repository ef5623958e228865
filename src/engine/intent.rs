//! What kind of answer a question wants, and what kinds of facts a text
//! holds: a question asking "how much does X cost" is not answered by a
//! passage without a figure, however many words they share.

use serde::Serialize;

/// The kind of fact a question asks for, when it asks for a specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Want {
    /// Pay: a salary, a wage, what a job earns.
    Pay,
    /// A price: fees, tuition, what something costs.
    Cost,
    /// A length of time: how long, how many years.
    Duration,
    /// A number of things: how many.
    Count,
    /// A share: a percentage, a rate.
    Rate,
}

impl Want {
    /// Whether a text holding `facts` can answer this: pay may be given as
    /// figures or as a share more or less than elsewhere.
    pub fn answered_by(self, facts: Facts) -> bool {
        match self {
            Want::Pay => facts.holds(Facts::MONEY) || facts.holds(Facts::PERCENT),
            Want::Cost => facts.holds(Facts::MONEY),
            Want::Duration => facts.holds(Facts::DURATION),
            Want::Count => facts.holds(Facts::NUMBER),
            Want::Rate => facts.holds(Facts::PERCENT),
        }
    }

    /// What the guides do not give, as a member reads it: "The guides
    /// don't give {this} for …".
    pub fn missing(self) -> &'static str {
        match self {
            Want::Pay => "pay figures",
            Want::Cost => "a cost",
            Want::Duration => "a time frame",
            Want::Count => "a number",
            Want::Rate => "a percentage",
        }
    }
}

/// Kinds of facts found in a text, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts(pub u8);

impl Facts {
    pub const MONEY: Facts = Facts(1);
    pub const DURATION: Facts = Facts(2);
    pub const NUMBER: Facts = Facts(4);
    pub const PERCENT: Facts = Facts(8);

    pub fn holds(self, other: Facts) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Words of a question that ask for a price.
const COST: &[&str] = &[
    "price",
    "prices",
    "priced",
    "fee",
    "fees",
    "tuition",
    "expensive",
    "cheap",
    "cheapest",
    "afford",
    "affordable",
];
/// Places a cost word may describe ("a cheap state"): the cost of living.
const PLACES: &[&str] = &[
    "state",
    "states",
    "city",
    "cities",
    "area",
    "areas",
    "place",
    "places",
    "country",
    "countries",
    "region",
    "regions",
    "town",
    "towns",
];
/// Words that ask for a price when asked as one: "how much does it cost",
/// "what's the cost" (not "cut costs").
const COST_ASKED: &[&str] = &["cost", "costs"];
/// Words of a question that ask for pay.
const PAY: &[&str] = &[
    "salary",
    "salaries",
    "salery",
    "pay",
    "paid",
    "paying",
    "earn",
    "earns",
    "earning",
    "earnings",
    "wage",
    "wages",
    "income",
    "compensation",
    "comp",
    "paycheck",
];
const TIME_UNITS: &[&str] = &[
    "year", "years", "yrs", "yr", "month", "months", "week", "weeks", "day", "days", "hour",
    "hours", "hrs",
];

/// The kind of fact `question` asks for, if it asks for one of [`Want`].
pub fn want(question: &str) -> Option<Want> {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '$'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    let after = |a: &str, b: &[&str]| words.windows(2).any(|p| p[0] == a && b.contains(&p[1]));
    let how_much = after("how", &["much"]);
    // "what" (or "whats") a few words before a cost word.
    let what_cost = words.iter().enumerate().any(|(i, w)| {
        matches!(*w, "what" | "whats")
            && words[i + 1..]
                .iter()
                .take(5)
                .any(|w| COST_ASKED.contains(w))
    });
    // "a cheap state", "expensive cities": the cost of living, not a price.
    let priced = words.iter().enumerate().any(|(i, w)| {
        COST.contains(w) && !matches!(words.get(i + 1), Some(w) if PLACES.contains(w))
    });
    if priced || (has(COST_ASKED) && (how_much || what_cost)) {
        return Some(Want::Cost);
    }
    let growth = has(&["grow", "growing", "growth"]);
    if after("how", &["long", "soon"])
        || (after("how", &["fast", "quickly"]) && !growth)
        || words
            .windows(3)
            .any(|p| p[0] == "how" && p[1] == "many" && TIME_UNITS.contains(&p[2]))
    {
        return Some(Want::Duration);
    }
    if asks_pay(&words, how_much) {
        return Some(Want::Pay);
    }
    if after("how", &["many"]) {
        return Some(Want::Count);
    }
    if has(&["percent", "percentage"]) || (has(&["rate"]) && !wage_rate(&words)) {
        return Some(Want::Rate);
    }
    None
}

/// Whether a question asks what a job pays, as a figure: "how much do
/// coders make", "rhit salary", not who pays for something ("does my
/// employer pay for ceus"), nor a yes-or-no or a comparison about pay
/// ("does the rhit raise pay", "do remote jobs pay less"), which the
/// guides answer in words.
fn asks_pay(words: &[&str], how_much: bool) -> bool {
    let pay_word = words
        .iter()
        .enumerate()
        .any(|(i, w)| PAY.contains(w) && !pay_word_means_else(words, i));
    let makes = words.iter().enumerate().any(|(i, w)| {
        matches!(*w, "make" | "makes" | "making") && (how_much || what_do_make(words, i))
    });
    // "$$", "$$$": chat for money, not a figure.
    let dollars = words
        .iter()
        .any(|w| w.len() > 1 && w.bytes().all(|b| b == b'$'));
    if !(pay_word || makes || dollars || wage_rate(words)) {
        return false;
    }
    if how_much {
        return true;
    }
    const YES_NO: &[&str] = &[
        "do", "does", "did", "is", "are", "can", "could", "will", "would", "should", "was", "were",
        "has", "have",
    ];
    const COMPARED: &[&str] = &[
        "more",
        "less",
        "higher",
        "lower",
        "increase",
        "increases",
        "raise",
        "raises",
        "boost",
        "bump",
        "besides",
        "depend",
        "depends",
        "affect",
        "affects",
        "cut",
    ];
    let yes_no = words.first().is_some_and(|w| YES_NO.contains(w));
    !yes_no && !words.iter().any(|w| COMPARED.contains(w))
}

/// "the going rate", "hourly rates": a wage, not a percentage.
fn wage_rate(words: &[&str]) -> bool {
    words.windows(2).any(|p| {
        matches!(p[0], "going" | "hourly" | "daily" | "day") && matches!(p[1], "rate" | "rates")
    })
}

/// Whether the pay word at `i` is about something else: who pays for or
/// by ("pay for ceus", "paid by the employer", "pay off"), "comp sci",
/// or earning a credential or while learning ("earn the rhit", "earn
/// while you learn"; not "earn a year").
fn pay_word_means_else(words: &[&str], i: usize) -> bool {
    let next = words.get(i + 1).copied();
    match words[i] {
        "comp" => matches!(next, Some("sci" | "science")),
        "earn" | "earns" | "earning" => match next {
            Some("a") => !matches!(
                words.get(i + 2),
                Some(&("year" | "month" | "week" | "hour"))
            ),
            Some(w) => matches!(
                w,
                "while" | "an" | "the" | "my" | "your" | "their" | "his" | "her" | "it"
            ),
            None => false,
        },
        _ => matches!(next, Some("for" | "by" | "off")),
    }
}

/// "what do managers make", "what does a tech make a year": "make" at
/// `i` is pay after "what do/does/did/would/will/could" and not followed by
/// what "make" would then do ("what does it take to make it", "what do I
/// need to make the switch").
fn what_do_make(words: &[&str], i: usize) -> bool {
    const DO: &[&str] = &[
        "do", "does", "did", "would", "will", "could", "can", "might",
    ];
    let asked = words[..i]
        .windows(2)
        .any(|p| matches!(p[0], "what" | "whats") && DO.contains(&p[1]));
    let object = match words.get(i + 1) {
        None => false,
        Some(&("a" | "an")) => !matches!(
            words.get(i + 2),
            Some(&("year" | "yr" | "month" | "week" | "hour"))
        ),
        Some(next) => matches!(
            *next,
            "it" | "the"
                | "of"
                | "sure"
                | "sense"
                | "up"
                | "this"
                | "that"
                | "your"
                | "my"
                | "me"
                | "you"
                | "someone"
                | "people"
                | "them"
                | "their"
                | "any"
        ),
    };
    asked && !object
}

/// The kinds of facts `text` holds.
pub fn facts(text: &str) -> Facts {
    let mut f = 0;
    let lower = text.to_lowercase();
    let b = lower.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let next_digit = b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if c == b'$' && next_digit {
            f |= Facts::MONEY.0;
        }
        if c.is_ascii_digit() {
            f |= Facts::NUMBER.0;
            if b.get(i + 1) == Some(&b'%') {
                f |= Facts::PERCENT.0;
            }
        }
    }
    // Pound, euro, rupee and yen signs are more than one byte.
    if lower.contains(['£', '€', '₹', '¥']) {
        f |= Facts::MONEY.0;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // A currency written as a word beside a figure: "CAD 40,000", "60,000 dirhams".
    const CURRENCIES: &[&str] = &[
        "usd", "cad", "aud", "nzd", "sgd", "gbp", "eur", "inr", "aed", "chf", "jpy", "rs",
        "dollars", "pounds", "euros", "rupees", "dirhams", "lakh", "lakhs",
    ];
    let figure = |w: &str| w.bytes().all(|c| c.is_ascii_digit());
    if words.windows(2).any(|p| {
        CURRENCIES.contains(&p[0]) && figure(p[1]) || figure(p[0]) && CURRENCIES.contains(&p[1])
    }) {
        f |= Facts::MONEY.0;
    }
    const AMOUNTS: &[&str] = &[
        "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "fifteen", "eighteen", "twenty", "thirty", "few", "several", "couple",
        "many",
    ];
    if words.iter().any(|w| matches!(*w, "percent" | "percentage")) {
        f |= Facts::PERCENT.0;
    }
    for p in words.windows(2) {
        let amount = p[0].bytes().all(|c| c.is_ascii_digit()) || AMOUNTS.contains(&p[0]);
        if amount && TIME_UNITS.contains(&p[1]) {
            f |= Facts::DURATION.0;
        }
    }
    Facts(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_asking_for_a_specific_kind_of_fact() {
        let cases = [
            ("how much does the rhit exam cost", Some(Want::Cost)),
            ("What are the fees for CPHIMS?", Some(Want::Cost)),
            (
                "how long should i study for the cphims",
                Some(Want::Duration),
            ),
            ("How many years until I'm a manager?", Some(Want::Duration)),
            ("how much do hit techs make", Some(Want::Pay)),
            ("senior hit technician salery?", Some(Want::Pay)),
            ("how many questions are on the rhit exam", Some(Want::Count)),
            ("what percent of people pass the cahims", Some(Want::Rate)),
            (
                "what is all this work supposed to achieve for patients and costs",
                None,
            ),
            ("how fast is the field growing", None),
            ("who pays for epic certs", None),
            ("does my employer pay for ceus", None),
            ("are ceus paid by the employer", None),
            ("does rhit increase pay", None),
            ("do remote hit jobs pay less", None),
            ("how much more do certified techs make", Some(Want::Pay)),
            (
                "Health Information Technician Salary in Canada",
                Some(Want::Pay),
            ),
            ("do i need a cs degree?", None),
            ("rhit vs rhia", None),
            ("what do senior hit managers make", Some(Want::Pay)),
            ("what does an hit tech make a year", Some(Want::Pay)),
            ("mid career hit manager $$ range?", Some(Want::Pay)),
            ("what makes a good hit tech", None),
            ("what does it take to make it in hit", None),
            ("what do i need to make the switch", None),
            ("what do you make of remote work", None),
            ("no comp sci background, can i still get in", None),
            ("hit comp for seniors?", Some(Want::Pay)),
            ("can i work remote from a cheap state", None),
            ("cheapest rhit program?", Some(Want::Cost)),
            ("are there earn while you learn programs", None),
            ("how do i earn the rhit", None),
            ("how much can i earn a year as a coder", Some(Want::Pay)),
            ("earning potential of hit techs", Some(Want::Pay)),
            (
                "whats the going rate for rhit techs in australia",
                Some(Want::Pay),
            ),
            ("is the going rate higher in perth", None),
            ("what's the rhit pass rate", Some(Want::Rate)),
        ];
        for (q, w) in cases {
            assert_eq!(want(q), w, "{q}");
        }
    }

    #[test]
    fn facts_a_text_holds() {
        let f = facts("Technicians earn $48,640 a year; it takes 2 years.");
        assert!(f.holds(Facts::MONEY) && f.holds(Facts::DURATION) && f.holds(Facts::NUMBER));
        assert!(facts("Salaries run €30,000-€45,000.").holds(Facts::MONEY));
        assert!(facts("CAD 40,000 to CAD 55,000 a year.").holds(Facts::MONEY));
        assert!(facts("About 60,000 dirhams.").holds(Facts::MONEY));
        assert!(!facts("Rs and 40 other things.").holds(Facts::MONEY));
        assert!(facts("Most people study for a few weeks.").holds(Facts::DURATION));
        assert!(facts("Nine to twelve months.").holds(Facts::DURATION));
        let none = facts("The guides do not say.");
        assert!(!none.holds(Facts::MONEY) && !none.holds(Facts::NUMBER));
    }
}
