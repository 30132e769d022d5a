//! Identifiers shaped like Zoom's (SPEC and research notes: 22-character base64url-like ids for
//! engagements, users, queues and consumers; `ZWT`/`ZWR`/`ZWW`/`ZTC` + 32 upper-case hex digits
//! for tasks, reservations, flows and channels), and time formatting.

use rand::Rng;

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 22 base64url characters: what 16 random bytes encode to without padding.
pub(crate) fn b64_id(rng: &mut impl Rng) -> String {
    (0..22)
        .map(|_| B64URL[rng.random_range(0..64)] as char)
        .collect()
}

/// `prefix` followed by 32 upper-case hex digits (35 characters for a 3-letter prefix).
pub(crate) fn hex_id(rng: &mut impl Rng, prefix: &str) -> String {
    let n: u128 = rng.random();
    format!("{prefix}{n:032X}")
}

/// A North American E.164 number such as `+14155550123`.
pub(crate) fn e164(rng: &mut impl Rng) -> String {
    let area = rng.random_range(201..990);
    let line = rng.random_range(0..10_000);
    format!("+1{area}555{line:04}")
}

/// A phone number as Zoom's documented conference events sometimes carry it: not valid E.164
/// (a `+1` number with 13 digits instead of 11, like the documented sample's
/// `+1479235161723`). Already in the form phone-number normalisation keeps unchanged: `+` and
/// digits only.
pub(crate) fn odd_phone(rng: &mut impl Rng) -> String {
    let area = rng.random_range(201..990);
    let rest: u64 = rng.random_range(0..1_000_000_000);
    format!("+1{area}{rest:09}")
}

/// A random (version 4) UUID in its hyphenated lower-case form, as Zoom writes `conference_id`.
pub(crate) fn uuid_v4(rng: &mut impl Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// RFC 3339 UTC with milliseconds, as Zoom writes `date_time_ms`: `2026-05-04T14:00:25.340Z`.
pub fn iso_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => format!("invalid-time-{ms}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_have_zoom_shapes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let e = b64_id(&mut rng);
        assert_eq!(e.len(), 22);
        assert!(e.bytes().all(|b| B64URL.contains(&b)));
        let t = hex_id(&mut rng, "ZWT");
        assert_eq!(t.len(), 35);
        assert!(t.starts_with("ZWT"));
        assert!(e164(&mut rng).starts_with("+1"));
        let odd = odd_phone(&mut rng);
        assert_eq!(odd.len(), 14, "{odd}: two digits more than a +1 number has");
        assert!(odd[1..].bytes().all(|b| b.is_ascii_digit()));
        let id = uuid_v4(&mut rng);
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.hyphenated().to_string(), id);
        assert_ne!(uuid_v4(&mut rng), id);
    }

    #[test]
    fn iso_ms_matches_zoom_format() {
        assert_eq!(iso_ms(1_777_903_225_340), "2026-05-04T14:00:25.340Z");
        assert_eq!(iso_ms(1_777_903_200_000), "2026-05-04T14:00:00.000Z");
    }
}
