//! Small HTML helpers shared by the pages: escaping, URL encoding, times and the page layout.
//!
//! Every value that comes from an event (names, ids, queue names, raw bodies) is untrusted: it
//! reaches the page only through [`Esc`] (element text and double-quoted attribute values) or
//! [`Url`] (a path segment or a query value, then escaped as an attribute like anything else).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Text escaped for HTML element content and double- or single-quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// [`Esc`] into a new `String`.
pub fn esc(s: &str) -> String {
    Esc(s).to_string()
}

/// Percent-encoding of everything but RFC 3986's unreserved characters: safe as a path segment
/// and as a query value. The result still goes through [`Esc`] inside an attribute (it is
/// plain ASCII without `&<>"'`, so that changes nothing, but the habit is cheap).
pub struct Url<'a>(pub &'a str);

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "%{b:02X}")?;
            }
        }
        Ok(())
    }
}

/// A query string (`?a=1&b=x`) from the pairs whose value is not empty; `""` when none is.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&format!("{}={}", Url(k), Url(v)));
    }
    out
}

fn utc(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// `2026-05-04 14:00:25.340`: a full UTC time with milliseconds.
pub fn fmt_time(ms: i64) -> String {
    utc(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    )
}

/// `14:00:25`: the clock time (UTC), for axis ticks and compact tables.
pub fn fmt_clock(ms: i64) -> String {
    utc(ms).map_or_else(|| ms.to_string(), |t| t.format("%H:%M:%S").to_string())
}

/// `2026-05-04T14:00:25.340Z`: RFC 3339, for `<time datetime>`.
pub fn fmt_rfc3339(ms: i64) -> String {
    utc(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

/// `2026-05-04T14:00` (with `:SS` when the seconds are not zero): the value a
/// `datetime-local` input shows.
pub fn fmt_input(ms: i64) -> String {
    utc(ms).map_or_else(String::new, |t| {
        let f = if ms.rem_euclid(60_000) == 0 {
            "%Y-%m-%dT%H:%M"
        } else {
            "%Y-%m-%dT%H:%M:%S"
        };
        t.format(f).to_string()
    })
}

/// A duration in words: `850 ms`, `42 s`, `4 min 05 s`, `1 h 02 min`.
pub fn fmt_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// A time typed into the search form, read as UTC: `2026-05-04T14:00` (what `datetime-local`
/// sends), with seconds, RFC 3339 with an offset, or a bare date (midnight).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// `<time>` element with the full time as its text.
pub fn time_el(ms: i64) -> String {
    format!(
        r#"<time datetime="{}">{}</time>"#,
        fmt_rfc3339(ms),
        fmt_time(ms)
    )
}

/// The whole document around `body`. `signed_in` adds the sign-out button (only when a token
/// is configured and the visitor used the cookie or the header).
pub fn page(title: &str, signed_in: bool, body: &str) -> String {
    let signout = if signed_in {
        r#"<form class="signout" method="post" action="/signout"><button type="submit">Sign out</button></form>"#
    } else {
        ""
    };
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · zcc-ledger</title>
<link rel="stylesheet" href="/assets/web.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">zcc-ledger</a><nav aria-label="Site"><a href="/">Calls</a></nav>{signout}</header>
<main id="main">
{body}
</main>
</body>
</html>
"##,
        title = Esc(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            esc(r#"<script>alert("x&y's")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;y&#39;s&quot;)&lt;/script&gt;"
        );
        assert_eq!(esc("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn url_encodes_all_but_unreserved() {
        assert_eq!(Url("a b/c?d=&é").to_string(), "a%20b%2Fc%3Fd%3D%26%C3%A9");
        assert_eq!(
            query(&[("a", "1"), ("b", ""), ("c", "x y")]),
            "?a=1&c=x%20y"
        );
        assert_eq!(query(&[("a", "")]), "");
    }

    #[test]
    fn times_format_and_parse_as_utc() {
        let ms = 1_777_903_225_340; // 2026-05-04T14:00:25.340Z
        assert_eq!(fmt_time(ms), "2026-05-04 14:00:25.340");
        assert_eq!(fmt_clock(ms), "14:00:25");
        assert_eq!(fmt_rfc3339(ms), "2026-05-04T14:00:25.340Z");
        assert_eq!(fmt_input(ms), "2026-05-04T14:00:25");
        assert_eq!(fmt_input(1_777_903_200_000), "2026-05-04T14:00");
        assert_eq!(parse_time("2026-05-04T14:00"), Some(1_777_903_200_000));
        assert_eq!(parse_time("2026-05-04T14:00:25"), Some(1_777_903_225_000));
        assert_eq!(parse_time("2026-05-04T16:00:25.340+02:00"), Some(ms));
        assert_eq!(parse_time("2026-05-04"), Some(1_777_852_800_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(850), "850 ms");
        assert_eq!(fmt_duration(42_000), "42 s");
        assert_eq!(fmt_duration(245_000), "4 min 05 s");
        assert_eq!(fmt_duration(3_720_000), "1 h 02 min");
    }
}
