//! Time windows, split to the longest span one Zoom query may cover.

use chrono::{DateTime, Duration, Utc};

/// The longest span of one webhook-log query: Zoom keeps the logs for 7 days.
pub const WEBHOOK_LOG_SPAN: Duration = Duration::days(7);
/// The longest span of one dataset query: Zoom takes at most one month. 28 days is within a
/// month whatever the month.
pub const DATASET_SPAN: Duration = Duration::days(28);

/// A half-open span of time `[from, to)`, to the second (Zoom's query times have seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// A window; `None` when `to` is not after `from`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Window> {
        (to > from).then_some(Window { from, to })
    }

    /// Consecutive windows of at most `span` that cover this one, oldest first.
    pub fn split(self, span: Duration) -> Vec<Window> {
        let mut out = Vec::new();
        let mut from = self.from;
        while from < self.to {
            let to = (from + span).min(self.to);
            out.push(Window { from, to });
            from = to;
        }
        out
    }
}

/// Zoom's query time format, `yyyy-MM-dd'T'HH:mm:ss'Z'`.
pub fn zoom_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Read a time Zoom wrote (`2026-05-04T14:00:00Z`, with or without fractions or an offset).
pub fn parse_zoom_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_zoom_time(s).unwrap()
    }

    #[test]
    fn a_long_window_is_split_into_spans_that_cover_it_exactly() {
        let w = Window::new(t("2026-05-01T00:00:00Z"), t("2026-05-16T12:00:00Z")).unwrap();
        let parts = w.split(WEBHOOK_LOG_SPAN);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].from, w.from);
        assert_eq!(parts[0].to, t("2026-05-08T00:00:00Z"));
        assert_eq!(parts[1].to, t("2026-05-15T00:00:00Z"));
        assert_eq!(parts[2].to, w.to);
        assert!(Window::new(w.to, w.from).is_none());
        assert_eq!(zoom_time(w.from), "2026-05-01T00:00:00Z");
    }
}
