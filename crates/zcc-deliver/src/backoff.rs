//! When to try a message again: exponential back-off with jitter, and giving up.
//!
//! After attempt `n` (1, 2, ...) the delay is `base * 2^(n-1)`, at most `max`, and the next
//! attempt is at a uniformly random point in the second half of it ("equal jitter": never
//! sooner than half the delay, so a burst of failures does not come back as one burst).
//! A message queued longer than `give_up_after` ago fails on its next failed attempt; until
//! then it is retried, so with the defaults (5 s doubling to an hour, 24 hours) an endpoint
//! that is down for a day still gets every message.

use std::time::Duration;

use rand::Rng;

/// The retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl Backoff {
    /// The delay after the `attempts`-th failed attempt, before jitter.
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// After the `attempts`-th failed attempt at `now_ms` of a message queued at
    /// `queued_at_ms`: when to try again, or `None` to give up.
    pub fn next_attempt(
        &self,
        attempts: i64,
        queued_at_ms: i64,
        now_ms: i64,
        rng: &mut impl Rng,
    ) -> Option<i64> {
        let age = u64::try_from(now_ms.saturating_sub(queued_at_ms)).unwrap_or(0);
        if u128::from(age) >= self.give_up_after.as_millis() {
            return None;
        }
        let delay = i64::try_from(self.delay(attempts).as_millis()).unwrap_or(i64::MAX);
        let half = delay / 2;
        Some(now_ms.saturating_add(half + rng.random_range(0..=delay - half)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_with_jitter_in_the_second_half() {
        let b = Backoff::default();
        assert_eq!(b.delay(1), Duration::from_secs(5));
        assert_eq!(b.delay(2), Duration::from_secs(10));
        assert_eq!(b.delay(5), Duration::from_secs(80));
        assert_eq!(b.delay(100), Duration::from_secs(3600));
        let mut rng = rand::rng();
        for attempts in 1..20 {
            let at = b.next_attempt(attempts, 0, 1_000, &mut rng).unwrap();
            let d = i64::try_from(b.delay(attempts).as_millis()).unwrap();
            assert!(
                (1_000 + d / 2..=1_000 + d).contains(&at),
                "{attempts}: {at}"
            );
        }
    }

    #[test]
    fn retries_last_a_day_then_give_up() {
        let b = Backoff::default();
        let day = 24 * 3600 * 1000;
        let mut rng = rand::rng();
        assert!(b.next_attempt(40, 0, day - 1, &mut rng).is_some());
        assert_eq!(b.next_attempt(41, 0, day, &mut rng), None);
    }
}
