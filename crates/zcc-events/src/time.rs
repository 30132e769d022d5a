//! Event time (SPEC I7): reading ZCC times, and choosing which one is an event's time.

use crate::kind::{EventKind, FamilyKind};

/// Milliseconds since the Unix epoch from a ZCC time string.
///
/// Accepted, in order: ISO-8601 / RFC 3339 (`2022-02-15T09:27:15.987Z`; `T` or a space between
/// date and time; any number of fraction digits, truncated to milliseconds; `Z`, `+hh:mm`,
/// `+hhmm` or no offset, which is taken as UTC); a bare date (`2022-02-15`, midnight UTC); a
/// string of digits with an optional `-`, read as epoch milliseconds.
pub fn parse_time_str(text: &str) -> Option<i64> {
    let s = text.trim();
    if let Some(ms) = fast_iso(s.as_bytes()) {
        return Some(ms);
    }
    if let Some(ms) = numeric_ms(s) {
        return Some(ms);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    None
}

/// The range an event time must fall in to be believed: from 2000-01-01T00:00:00Z (inclusive)
/// to 2100-01-01T00:00:00Z (exclusive), in milliseconds since the Unix epoch.
///
/// Zoom Contact Center did not exist before the first bound, and a call a lifetime ahead is a
/// wrong clock or a wrong unit. Outside it a time is not a time: epoch *seconds* read as
/// milliseconds land in January 1970, microseconds and nanoseconds thousands of years ahead,
/// and `i64::MAX` nowhere any clock or drawing can reach. Every time the model reads goes
/// through [`plausible_ms`], so every time it holds is inside this range, and any difference
/// of two such times fits in an `i64` many times over.
pub const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

/// What a time field holds when it is outside [`PLAUSIBLE_MS`], for warnings.
pub const PLAUSIBLE_TEXT: &str = "a time from 2000-01-01 to 2100-01-01 (UTC)";

/// `ms` when it lies in [`PLAUSIBLE_MS`], else `None`.
pub fn plausible_ms(ms: i64) -> Option<i64> {
    PLAUSIBLE_MS.contains(&ms).then_some(ms)
}

/// Milliseconds since the Unix epoch from a JSON number: epoch milliseconds. Floats are
/// truncated; values outside the `i64` range give `None`.
pub fn ms_from_f64(f: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, so compare with a strict bound.
    if f.is_finite() && f > -9.2e18 && f < 9.2e18 {
        Some(f as i64)
    } else {
        None
    }
}

fn numeric_ms(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    let (a, c) = (*b.get(i)?, *b.get(i + 1)?);
    if a.is_ascii_digit() && c.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
    } else {
        None
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The common shape, without chrono: `YYYY-MM-DD[(T| )HH:MM:SS[.f+]][Z|±HH[:]MM]`.
fn fast_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i64::from(two(b, 0)? * 100 + two(b, 2)?);
    let (month, day) = (two(b, 5)?, two(b, 8)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (two(b, 11)?, two(b, 14)?, two(b, 17)?);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + u32::from(c - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_s: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = two(b, i + 1)?;
            let rest = &b[i + 3..];
            let om = match rest {
                [b':', ..] if rest.len() == 3 => two(rest, 1)?,
                [_, _] => two(rest, 0)?,
                [] => 0,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            if sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_s;
    Some(secs * 1000 + i64::from(millis))
}

/// The object times an event may carry, each already read (`None` when absent or unreadable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeFields {
    pub date_time_ms: Option<i64>,
    pub last_modified_time_ms: Option<i64>,
    pub last_modified_time: Option<i64>,
    pub created_time_ms: Option<i64>,
    pub created_time: Option<i64>,
    pub recording_start_time_ms: Option<i64>,
    pub recording_end_time_ms: Option<i64>,
    pub start_time: Option<i64>,
}

/// The object keys [`TimeFields`] reads.
pub(crate) const TIME_KEYS: [&str; 8] = [
    "date_time_ms",
    "last_modified_time_ms",
    "last_modified_time",
    "created_time_ms",
    "created_time",
    "recording_start_time_ms",
    "recording_end_time_ms",
    "start_time",
];

impl TimeFields {
    pub(crate) fn set(&mut self, key: &str, ms: Option<i64>) {
        let slot = match key {
            "date_time_ms" => &mut self.date_time_ms,
            "last_modified_time_ms" => &mut self.last_modified_time_ms,
            "last_modified_time" => &mut self.last_modified_time,
            "created_time_ms" => &mut self.created_time_ms,
            "created_time" => &mut self.created_time,
            "recording_start_time_ms" => &mut self.recording_start_time_ms,
            "recording_end_time_ms" => &mut self.recording_end_time_ms,
            "start_time" => &mut self.start_time,
            _ => return,
        };
        *slot = ms;
    }
}

/// An event's time (SPEC I7), given its kind, its object's times and the envelope `event_ts`:
///
/// - task and reservation events: `last_modified_time_ms`, else `last_modified_time`, else
///   `date_time_ms`; `task_created` and `task_reservation_created` then fall back to
///   `created_time_ms` / `created_time` (for them creation is the change);
/// - every other event: `date_time_ms`, else the family's own field: for recordings
///   `recording_end_time_ms` on stopped/completed/deleted and `recording_start_time_ms`
///   otherwise (then the other one), for engagement events `start_time`;
/// - else `event_ts`.
pub fn select_event_time(kind: &EventKind, t: &TimeFields, event_ts: Option<i64>) -> Option<i64> {
    let object_time = match kind.family() {
        FamilyKind::Task | FamilyKind::Reservation => {
            let creation = matches!(
                kind,
                EventKind::TaskCreated | EventKind::TaskReservationCreated
            );
            t.last_modified_time_ms
                .or(t.last_modified_time)
                .or(t.date_time_ms)
                .or(if creation {
                    t.created_time_ms.or(t.created_time)
                } else {
                    None
                })
        }
        FamilyKind::Recording => {
            let ends = matches!(
                kind,
                EventKind::RecordingStopped
                    | EventKind::RecordingCompleted
                    | EventKind::RecordingDeleted
                    | EventKind::RecordingPermanentlyDeleted
            );
            let (first, second) = if ends {
                (t.recording_end_time_ms, t.recording_start_time_ms)
            } else {
                (t.recording_start_time_ms, t.recording_end_time_ms)
            };
            t.date_time_ms.or(first).or(second)
        }
        FamilyKind::Engagement => t.date_time_ms.or(t.start_time),
        _ => t.date_time_ms,
    };
    object_time.or(event_ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_parse_to_epoch_ms() {
        let want = 1_644_917_235_987; // 2022-02-15T09:27:15.987Z
        for s in [
            "2022-02-15T09:27:15.987Z",
            "2022-02-15T09:27:15.987",
            "2022-02-15 09:27:15.987Z",
            "2022-02-15T09:27:15.987654Z",
            "2022-02-15T10:27:15.987+01:00",
            "2022-02-15T04:27:15.987-0500",
            " 2022-02-15T09:27:15.987Z ",
            "1644917235987",
        ] {
            assert_eq!(parse_time_str(s), Some(want), "parsing {s:?}");
        }
        assert_eq!(
            parse_time_str("2022-02-15T09:27:15Z"),
            Some(1_644_917_235_000)
        );
        assert_eq!(
            parse_time_str("2022-02-15T09:27:15.9Z"),
            Some(1_644_917_235_900)
        );
        assert_eq!(parse_time_str("1970-01-01"), Some(0));
        assert_eq!(parse_time_str("1969-12-31T23:59:59.999Z"), Some(-1));
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2000-02-29T00:00:00.000Z",
            "2024-12-31T23:59:59.999Z",
            "1999-01-01T12:00:00.5+05:30",
            "2100-03-01T00:00:00Z",
        ] {
            let chrono_ms = chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_millis();
            assert_eq!(fast_iso(s.as_bytes()), Some(chrono_ms), "{s}");
        }
    }

    #[test]
    fn nonsense_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2022-13-01T00:00:00Z",
            "2022-02-30T00:00:00Z",
            "2022-02-15T25:00:00Z",
            "2022-02-15T09:27:15.Z",
            "2022-02-15T09:27:15ZZ",
            "12.5",
        ] {
            assert_eq!(parse_time_str(s), None, "{s:?} should not parse");
        }
    }

    #[test]
    fn event_time_follows_the_family_rule() {
        let t = TimeFields {
            date_time_ms: Some(10),
            last_modified_time_ms: Some(20),
            created_time_ms: Some(5),
            recording_start_time_ms: Some(1),
            recording_end_time_ms: Some(2),
            start_time: Some(3),
            ..TimeFields::default()
        };
        let ts = Some(99);
        assert_eq!(
            select_event_time(&EventKind::EngagementUserHold, &t, ts),
            Some(10)
        );
        assert_eq!(select_event_time(&EventKind::TaskUpdated, &t, ts), Some(20));
        assert_eq!(
            select_event_time(&EventKind::TaskReservationAccepted, &t, ts),
            Some(20)
        );
        let only_created = TimeFields {
            created_time_ms: Some(5),
            ..TimeFields::default()
        };
        assert_eq!(
            select_event_time(&EventKind::TaskCreated, &only_created, ts),
            Some(5)
        );
        assert_eq!(
            select_event_time(&EventKind::TaskCompleted, &only_created, ts),
            Some(99)
        );
        let rec = TimeFields {
            recording_start_time_ms: Some(1),
            recording_end_time_ms: Some(2),
            ..TimeFields::default()
        };
        assert_eq!(
            select_event_time(&EventKind::RecordingCompleted, &rec, ts),
            Some(2)
        );
        assert_eq!(
            select_event_time(&EventKind::RecordingPaused, &rec, ts),
            Some(1)
        );
        let ready = TimeFields {
            start_time: Some(3),
            ..TimeFields::default()
        };
        assert_eq!(
            select_event_time(&EventKind::CxEngagementEndDataReady, &ready, ts),
            Some(3)
        );
        assert_eq!(
            select_event_time(&EventKind::UserLogin, &ready, ts),
            Some(99)
        );
        assert_eq!(select_event_time(&EventKind::UserLogin, &ready, None), None);
    }
}
