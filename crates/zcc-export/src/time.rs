//! Time formatting and parsing at the export boundary.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-05-04T14:00:25.340Z` for milliseconds since the epoch. Times outside chrono's range
/// (years beyond ±262143) fall back to the number itself rather than failing an export.
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// Parse an RFC 3339 time (as given to `--since`/`--until`) into milliseconds.
pub fn parse_rfc3339(flag: &str, s: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!("{flag} {s:?} is not an RFC 3339 time ({e}); example: 2026-05-04T14:00:00Z")
        })
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

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
