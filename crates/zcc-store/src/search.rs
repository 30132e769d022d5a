//! Free-text search over projections (`q` of the API and of the call list): what is stored
//! beside each document and how a query is read. Both halves live here so they cannot drift
//! apart; each backend matches terms against the stored text with its own SQL, by the rules of
//! [`SearchTerm`], never with `LIKE` (so `%` and `_` are plain characters).
//!
//! The stored search text is lower-case lines: the engagement id first, then each name and each
//! phone number's digits, sorted and unique:
//!
//! ```text
//! kgyggzs9qxwjt7l7yl2oxq
//! 15550100199
//! maria garcia
//! sam agent
//! ```
//!
//! The id line comes first so that a term matches the id by its beginning only, and names and
//! numbers anywhere (a part of a name, the last digits of a number).

use serde::{Deserialize, Serialize};

/// Separates the lines of a search text. Never part of a term (terms are split on whitespace).
pub const LINE: char = '\n';

/// The search text of one engagement: `engagement_id`, `names` (agents', supervisors', the
/// customer's) and `numbers` (the customer's phone number, as Zoom wrote it), as the backends
/// store it. Pure: the same inputs give the same text, whoever computes it.
pub fn search_text<'a>(
    engagement_id: &str,
    names: impl IntoIterator<Item = &'a str>,
    numbers: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut lines: Vec<String> = names
        .into_iter()
        .map(one_line)
        .chain(numbers.into_iter().map(digits))
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines.dedup();
    let mut text = one_line(engagement_id);
    // The id line always ends with a line break, so "after the id" is well defined.
    text.push(LINE);
    text.push_str(&lines.join("\n"));
    text
}

/// Lower case, whitespace runs as one space, trimmed.
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The ASCII digits of `s`, in order.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// One term of a query. A document matches a term when any of these holds:
///
/// 1. its engagement id begins with [`SearchTerm::exact`] (case as typed: the id column itself,
///    so this holds even for a document whose search text is not computed yet);
/// 2. its search text begins with [`SearchTerm::text`] (the id line, any case);
/// 3. [`SearchTerm::text`] occurs after the id line (in a name or a number);
/// 4. [`SearchTerm::digits`] is given and occurs after the id line (in a number).
///
/// A document matches a query when it matches every term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchTerm {
    /// The word as typed.
    pub exact: String,
    /// The word in lower case.
    pub text: String,
    /// For a word that is a phone number (digits with `+`, `-`, `.`, `(`, `)`), its digits.
    pub digits: Option<String>,
}

/// The terms of a query: its words, split on whitespace. Consecutive words that each look like
/// a piece of a phone number are one number (`+1 555 010 0199`). Empty for an empty query.
pub fn parse_query(q: &str) -> Vec<SearchTerm> {
    let mut terms: Vec<SearchTerm> = Vec::new();
    let mut in_number = false;
    for word in q.split_whitespace() {
        let number = is_number_piece(word);
        match terms.last_mut() {
            Some(last) if number && in_number => {
                last.exact.push(' ');
                last.exact.push_str(word);
                last.text.push(' ');
                last.text.push_str(&word.to_lowercase());
                if let Some(d) = &mut last.digits {
                    d.push_str(&digits(word));
                }
            }
            _ => terms.push(SearchTerm {
                exact: word.to_owned(),
                text: word.to_lowercase(),
                digits: number.then(|| digits(word)),
            }),
        }
        in_number = number;
    }
    terms
}

/// Digits, possibly with the punctuation phone numbers are written with, and at least one digit.
fn is_number_piece(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')'))
}

/// Whether a document with `engagement_id` and `search` text matches every term: the rules of
/// [`SearchTerm`], for tests and for callers without a database. The backends' SQL does the
/// same.
pub fn matches(terms: &[SearchTerm], engagement_id: &str, search: Option<&str>) -> bool {
    let search = search.unwrap_or("");
    let after_id = search.find(LINE).map_or("", |i| &search[i..]);
    terms.iter().all(|t| {
        engagement_id.starts_with(&t.exact)
            || search.starts_with(&t.text)
            || after_id.contains(&t.text)
            || t.digits.as_deref().is_some_and(|d| after_id.contains(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_id_then_sorted_lower_case_names_and_digits() {
        let text = search_text(
            "EngAbc",
            ["Maria  Garcia", "sam agent", "Maria Garcia", ""],
            ["+1 (555) 010-0199"],
        );
        assert_eq!(text, "engabc\n15550100199\nmaria garcia\nsam agent");
        assert_eq!(search_text("EngAbc", [], []), "engabc\n");
    }

    #[test]
    fn number_pieces_are_one_term_and_words_are_lower_case() {
        let terms = parse_query("  Maria +1 555-010 0199 GAR ");
        assert_eq!(
            terms,
            [
                SearchTerm {
                    exact: "Maria".into(),
                    text: "maria".into(),
                    digits: None
                },
                SearchTerm {
                    exact: "+1 555-010 0199".into(),
                    text: "+1 555-010 0199".into(),
                    digits: Some("15550100199".into())
                },
                SearchTerm {
                    exact: "GAR".into(),
                    text: "gar".into(),
                    digits: None
                },
            ]
        );
        assert!(parse_query(" \t ").is_empty());
        assert_eq!(parse_query("-").len(), 1, "punctuation alone is a word");
        assert_eq!(parse_query("-")[0].digits, None);
    }

    #[test]
    fn names_numbers_and_id_beginnings_match() {
        let text = search_text("EngAbc123", ["Maria Garcia", "Sam Agent"], ["+15550100199"]);
        let m = |q: &str| matches(&parse_query(q), "EngAbc123", Some(&text));
        for q in [
            "maria",
            "GARC",
            "maria agent",
            "+1 555 010 0199",
            "15550100199",
            "0199",
            "555-010",
            "EngAbc",
            "engabc1",
        ] {
            assert!(m(q), "{q:?} matches");
        }
        for q in ["bc123", "maria zed", "%", "_", "nobody", "+1 555 999"] {
            assert!(!m(q), "{q:?} does not match");
        }
        // Without a search text only the id as typed matches.
        assert!(matches(&parse_query("EngAbc"), "EngAbc123", None));
        assert!(!matches(&parse_query("maria"), "EngAbc123", None));
    }
}
