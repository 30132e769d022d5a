//! What the pages share: the layout, URL encoding, times, and the template engine's escaping.
//!
//! The markup is written with [`maud`]'s `html!` macro, which checks it at compile time and
//! escapes every spliced value (element text and attribute values) unless it is wrapped in
//! `PreEscaped`. Every value that comes from an event (names, ids, queue names, raw bodies)
//! is untrusted and reaches the page only as such a splice; the only pre-escaped markup is
//! what this module's templates made. A value inside a URL goes through [`Url`] first (a path
//! segment or a query value), then is escaped as an attribute like anything else.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use maud::{DOCTYPE, Markup, Render, html};

/// `s` escaped as the pages escape text: what a spliced value becomes in element text or in
/// a (double-quoted) attribute value.
pub fn esc(s: &str) -> String {
    html! { (s) }.into_string()
}

/// Percent-encoding of everything but RFC 3986's unreserved characters: safe as a path segment
/// and as a query value. Spliced into a template it is still escaped as an attribute like any
/// other value (it is plain ASCII without `&<>"`, so that changes nothing, but the habit is
/// cheap).
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

impl Render for Url<'_> {
    fn render_to(&self, buffer: &mut String) {
        maud::display(self).render_to(buffer);
    }
}

/// A coordinate in the timeline's drawing, written with one decimal (`190.0`, `412.7`).
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl Render for Num {
    fn render_to(&self, buffer: &mut String) {
        format_args!("{:.1}", self.0).render_to(buffer);
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
pub fn time_el(ms: i64) -> Markup {
    html! { time datetime=(fmt_rfc3339(ms)) { (fmt_time(ms)) } }
}

/// The whole document around `body`. `signed_in` adds the sign-out button (only when a token
/// is configured and the visitor used the cookie or the header).
pub fn page(title: &str, signed_in: bool, body: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · zcc-ledger" }
                link rel="stylesheet" href="/assets/web.css";
                script src="/assets/local-time.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "zcc-ledger" }
                    nav aria-label="Site" {
                        a href="/" { "Calls" }
                        a href="/subscriptions" { "Subscriptions" }
                    }
                    @if signed_in {
                        form class="signout" method="post" action="/signout" {
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
    .into_string()
}

/// The page shown instead of one that cannot be: the status as its title, what went wrong,
/// and the way back.
pub fn error_page(title: &str, message: &str) -> String {
    page(
        title,
        false,
        &html! {
            h1 { (title) }
            p class="error" role="alert" { (message) }
            p { a href="/" { "Back to the call list" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            esc(r#"<script>alert("x&y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"
        );
        assert_eq!(esc("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn the_layout_escapes_the_title_and_offers_sign_out_only_when_signed_in() {
        let body = html! { p { "<b>" } };
        let open = page("a <title> & \"more\"", false, &body);
        assert!(open.starts_with("<!DOCTYPE html><html lang=\"en\">"));
        assert!(
            open.contains("<title>a &lt;title&gt; &amp; &quot;more&quot; · zcc-ledger</title>")
        );
        assert!(open.contains("<main id=\"main\"><p>&lt;b&gt;</p></main>"));
        assert!(!open.contains("Sign out"));
        let signed_in = page("Calls", true, &body);
        assert!(signed_in.contains(
            r#"<form class="signout" method="post" action="/signout"><button type="submit">Sign out</button></form>"#
        ));
        let error = error_page("Not Found", "No call <x>.");
        assert!(error.contains(r#"<p class="error" role="alert">No call &lt;x&gt;.</p>"#));
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
