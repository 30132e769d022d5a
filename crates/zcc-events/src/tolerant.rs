//! Valid JSON that serde_json's reader refuses (SPEC I6: only the envelope is required).
//!
//! RFC 8259 sets no limit on a number's size or a document's depth and lets a `\u` escape
//! name a lone surrogate; serde_json refuses all three (a number beyond `f64`, nesting over 128
//! levels, `\ud800` alone), and a leading byte-order mark. The readers' fast path is serde_json
//! itself, unchanged; only a body it refuses comes here:
//!
//! - [`strip_bom`]: a leading UTF-8 byte-order mark is skipped by the reader (the stored
//!   bytes keep it);
//! - [`readable_copy`]: when the text is valid JSON all the same, a copy serde_json can read, in
//!   which a number beyond `f64` is `null`, a lone surrogate escape is `\ufffd` (U+FFFD) and
//!   an array or object nested deeper than [`MAX_DEPTH`] is `null`. The copy is only read,
//!   never stored.

use serde::de::IgnoredAny;

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &str = "\u{feff}";

/// The deepest nesting of arrays and objects the readers see; deeper values read as `null`.
/// Below serde_json's own limit (128), with room for the readers' own nesting.
pub(crate) const MAX_DEPTH: usize = 100;

/// `text` without a leading byte-order mark, and whether it had one.
pub(crate) fn strip_bom(text: &str) -> (&str, bool) {
    match text.strip_prefix(BOM) {
        Some(rest) => (rest, true),
        None => (text, false),
    }
}

/// For a text serde_json refused: `None` when it is not valid JSON (RFC 8259) either, else a
/// copy that serde_json reads (see the module's documentation).
pub(crate) fn readable_copy(text: &str) -> Option<String> {
    // serde_json's skipping reader checks the grammar (strings, escapes, numbers, nesting,
    // trailing characters) without building anything, iteratively, and with none of the limits
    // of its value reader: a number's size, a surrogate's partner, the depth.
    serde_json::from_str::<IgnoredAny>(text).ok()?;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    if b[i] != b'\\' {
                        i += 1;
                    } else if b[i + 1] != b'u' {
                        i += 2;
                    } else {
                        let unit = hex4(&b[i + 2..i + 6]);
                        let paired = (0xD800..0xDC00).contains(&unit)
                            && b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                            && b.len() >= i + 12
                            && (0xDC00..0xE000).contains(&hex4(&b[i + 8..i + 12]));
                        if paired {
                            i += 12;
                        } else if (0xD800..0xE000).contains(&unit) {
                            out.push_str(&text[copied..i]);
                            out.push_str("\\ufffd");
                            i += 6;
                            copied = i;
                        } else {
                            i += 6;
                        }
                    }
                }
                i += 1;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let end = container_end(b, i);
                    out.push_str(&text[copied..i]);
                    out.push_str("null");
                    i = end;
                    copied = end;
                    depth -= 1;
                } else {
                    i += 1;
                }
            }
            b']' | b'}' => {
                depth -= 1;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if !token.parse::<f64>().is_ok_and(f64::is_finite) {
                    out.push_str(&text[copied..start]);
                    out.push_str("null");
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The value of four hex digits (already checked by the grammar).
fn hex4(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |acc, d| {
        acc * 16 + char::from(*d).to_digit(16).unwrap_or(0)
    })
}

/// The index just after the array or object opening at `start` (valid JSON).
fn container_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        match b[i] {
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_read_what_serde_json_refuses() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let deep_objects = format!(r#"{{"d":{}1{}}}"#, "{\"a\":".repeat(200), "}".repeat(200));
        for (text, want) in [
            (
                r#"{"a":1e400,"b":-1e999}"#,
                r#"{"a":null,"b":null}"#.to_owned(),
            ),
            (r#"{"a":1e-400,"b":2}"#, r#"{"a":1e-400,"b":2}"#.to_owned()),
            (
                &deep_objects,
                format!(
                    r#"{{"d":{}null{}}}"#,
                    "{\"a\":".repeat(MAX_DEPTH - 1),
                    "}".repeat(MAX_DEPTH - 1)
                ),
            ),
            (r#"{"s":"x\ud800y"}"#, r#"{"s":"x\ufffdy"}"#.to_owned()),
            (
                r#"{"s":"\udc00\ud83d\ude00"}"#,
                r#"{"s":"\ufffd\ud83d\ude00"}"#.to_owned(),
            ),
            (r#"{"s":"\\ud800"}"#, r#"{"s":"\\ud800"}"#.to_owned()),
            (
                &format!(r#"{{"d":{deep}}}"#),
                format!(
                    r#"{{"d":{}null{}}}"#,
                    "[".repeat(MAX_DEPTH - 1),
                    "]".repeat(MAX_DEPTH - 1)
                ),
            ),
        ] {
            let copy = readable_copy(text).unwrap_or_else(|| panic!("{text} is valid JSON"));
            assert_eq!(copy, want, "{text}");
            serde_json::from_str::<serde_json::Value>(&copy)
                .unwrap_or_else(|e| panic!("the copy of {text} reads: {e}"));
        }
    }

    #[test]
    fn invalid_json_has_no_copy() {
        for text in [
            r#"{"a":1e400"#,
            r#"{"a":01}"#,
            r#"{"s":"\u12"}"#,
            "[1,]",
            "{} x",
        ] {
            assert_eq!(readable_copy(text), None, "{text}");
        }
    }
}
