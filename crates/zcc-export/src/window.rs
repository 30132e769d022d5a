//! The `--since`/`--until` window.

/// A time window in milliseconds since the epoch; `None` bounds are open. `since` is inclusive,
/// `until` exclusive. The `events` table filters on event time; the model tables on the start of
/// each row's interval ([`zcc_model::Table::time_column`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

impl Window {
    /// The window with no bounds: every row.
    pub const ALL: Window = Window {
        since_ms: None,
        until_ms: None,
    };

    pub fn contains(&self, t: i64) -> bool {
        self.since_ms.is_none_or(|s| t >= s) && self.until_ms.is_none_or(|u| t < u)
    }

    /// Whether a row whose filter time is `t` (null when unknown) is kept. A row without a time
    /// is kept only when the window is unbounded: it cannot be placed inside any bound.
    pub fn keeps(&self, t: Option<i64>) -> bool {
        match t {
            Some(t) => self.contains(t),
            None => self.is_unbounded(),
        }
    }

    pub fn is_unbounded(&self) -> bool {
        self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// Parse the command line's `--since`/`--until` (RFC 3339), naming the flag on error.
    pub fn parse(since: Option<&str>, until: Option<&str>) -> Result<Window, crate::ExportError> {
        let parse = |flag: &str, v: Option<&str>| {
            v.map(|s| crate::time::parse_rfc3339(flag, s))
                .transpose()
                .map_err(crate::ExportError::Invalid)
        };
        let w = Window {
            since_ms: parse("--since", since)?,
            until_ms: parse("--until", until)?,
        };
        if let (Some(s), Some(u)) = (w.since_ms, w.until_ms)
            && s >= u
        {
            return Err(crate::ExportError::Invalid(format!(
                "--since {} is not before --until {}: the window is empty",
                crate::time::rfc3339_ms(s),
                crate::time::rfc3339_ms(u)
            )));
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_inclusive_and_until_exclusive() {
        let w = Window {
            since_ms: Some(10),
            until_ms: Some(20),
        };
        assert!(!w.contains(9));
        assert!(w.contains(10));
        assert!(w.contains(19));
        assert!(!w.contains(20));
        assert!(!w.keeps(None));
        assert!(Window::ALL.keeps(None));
        assert!(Window::ALL.contains(i64::MIN));
    }

    #[test]
    fn parse_names_the_flag_and_refuses_an_empty_window() {
        let w = Window::parse(
            Some("2026-05-04T14:00:00Z"),
            Some("2026-05-04T15:00:00+01:00"),
        );
        let e = w.unwrap_err().to_string();
        assert!(
            e.contains("--since 2026-05-04T14:00:00.000Z is not before --until"),
            "{e}"
        );
        let e = Window::parse(None, Some("tomorrow"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--until \"tomorrow\""), "{e}");
        let w = Window::parse(Some("2026-05-04T14:00:00.5Z"), None).unwrap();
        assert_eq!(w.since_ms, Some(1_777_903_200_500));
    }
}
