//! Time formatting and parsing at the export boundary.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-05-04T14:00:25.340Z` for milliseconds since the epoch. Times outside chrono's range
/// (years beyond ±262143) fall back to the number itself rather than failing an export.
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// Parse a time given to `--since`/`--until` (or an API's `since`/`until`) into milliseconds:
/// RFC 3339 (`2026-05-04T14:00:00Z`, any offset) or a bare date (`2026-05-04`), read as that
/// day's midnight UTC. `what` names the flag or parameter in the error.
pub fn parse_rfc3339(what: &str, s: &str) -> Result<i64, String> {
    parse_instant(s).map(|t| t.timestamp_millis()).map_err(|e| {
        format!(
            "{what} {s:?} is not an RFC 3339 time or a date ({e}); examples: \
             2026-05-04T14:00:00Z, 2026-05-04"
        )
    })
}

/// [`parse_rfc3339`] as a UTC time, with the parser's own complaint as the error.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    let s = s.trim();
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(rfc3339) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or(rfc3339),
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_date_is_midnight_utc() {
        assert_eq!(
            parse_rfc3339("--since", "2026-05-04"),
            parse_rfc3339("--since", "2026-05-04T00:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("--since", " 2026-05-04T16:00:00+02:00 "),
            Ok(1_777_903_200_000)
        );
        let e = parse_rfc3339("--until", "2026-13-01").unwrap_err();
        assert!(
            e.starts_with("--until \"2026-13-01\" is not an RFC 3339 time or a date"),
            "{e}"
        );
    }

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(rfc3339_ms(1_777_903_225_340), "2026-05-04T14:00:25.340Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            parse_rfc3339("--since", "2026-05-04T14:00:25.340Z"),
            Ok(1_777_903_225_340)
        );
        assert_eq!(
            parse_rfc3339("--since", "2026-05-04T16:00:25.340+02:00"),
            Ok(1_777_903_225_340)
        );
        assert!(
            parse_rfc3339("--since", "yesterday")
                .unwrap_err()
                .contains("--since")
        );
    }
}
