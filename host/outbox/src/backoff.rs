//! When to try again: how Bold's answers are classified, exponential
//! backoff with equal jitter, and `Retry-After`.

use std::time::{Duration, SystemTime};

use super::{OutboxSettings, Timestamp};

/// What an HTTP status means for a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 2xx: delivered.
    Delivered,
    /// 408, 429, 5xx: try again later.
    Retry,
    /// 401, 403: Bold refused the shop's credentials (a rotated or revoked
    /// token). Not the notification's fault: it waits for the credentials
    /// (`credentials_retry_ms`), without counting the attempt.
    Unauthorized,
    /// Any other status (other 4xx, unexpected 1xx/3xx; redirects are not
    /// followed): a dead letter at once.
    Permanent,
}

/// Classifies a response status.
pub fn classify(status: u16) -> Class {
    match status {
        200..=299 => Class::Delivered,
        408 | 429 | 500..=599 => Class::Retry,
        401 | 403 => Class::Unauthorized,
        _ => Class::Permanent,
    }
}

/// The nominal wait after failed attempt `attempt` (from 1):
/// `initial_backoff × 2^(attempt − 1)`, capped at `max_backoff`.
pub fn nominal(settings: &OutboxSettings, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(63);
    let factor = 1u64 << exponent;
    let millis = settings.initial_backoff_ms.saturating_mul(factor);
    Duration::from_millis(millis.min(settings.max_backoff_ms))
}

/// The wait after failed attempt `attempt`, with equal jitter: half the
/// nominal wait plus a uniformly random part of the other half, so waits
/// stay spread out and at least half the nominal.
pub fn jittered(settings: &OutboxSettings, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
    let nominal = nominal(settings, attempt).as_micros() as u64;
    let half = nominal / 2;
    Duration::from_micros(half + rng.u64(0..=nominal - half))
}

/// When to try again after failed attempt `attempt` at `now`: the jittered
/// backoff, or the server's `Retry-After` if that is longer. `Retry-After`
/// is capped at `max_backoff` (one hour by default): a longer one costs one
/// early request that is answered 429 again, and a misbehaving server cannot
/// park notifications for days.
pub fn next_attempt_at(
    settings: &OutboxSettings,
    attempt: u32,
    retry_after: Option<Duration>,
    now: Timestamp,
    rng: &mut fastrand::Rng,
) -> Timestamp {
    let backoff = jittered(settings, attempt, rng);
    let wait = match retry_after {
        Some(after) => backoff.max(after.min(settings.max_backoff())),
        None => backoff,
    };
    now.saturating_add(wait)
}

/// When a notification held back because its shop's credentials were
/// refused is tried again: `blocked_until` (when the shop's next probe is
/// due) plus a random part of a quarter of `credentials_retry`, so the held
/// back notifications come after the probe, spread out.
pub fn after_credentials_wait(
    settings: &OutboxSettings,
    blocked_until: Timestamp,
    rng: &mut fastrand::Rng,
) -> Timestamp {
    let spread = settings.credentials_retry().as_micros() as u64 / 4;
    blocked_until.saturating_add(Duration::from_micros(rng.u64(0..=spread)))
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date (a date in
/// the past means no wait). `None` if it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Huge numbers saturate; the caller caps the wait anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The shortest and longest total wait of a notification that fails every
/// one of its `max_attempts` attempts (the sum of the waits between them),
/// ignoring `Retry-After`; the average is halfway.
pub fn schedule_bounds(settings: &OutboxSettings) -> (Duration, Duration) {
    let max: Duration = (1..settings.max_attempts)
        .map(|attempt| nominal(settings, attempt))
        .sum();
    (max / 2, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        for s in [200, 201, 202, 204, 299] {
            assert_eq!(classify(s), Class::Delivered, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify(s), Class::Retry, "{s}");
        }
        for s in [401, 403] {
            assert_eq!(classify(s), Class::Unauthorized, "{s}");
        }
        for s in [100, 301, 302, 400, 402, 404, 407, 409, 410, 422] {
            assert_eq!(classify(s), Class::Permanent, "{s}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_equal_jitter() {
        let s = OutboxSettings::default();
        assert_eq!(nominal(&s, 1), Duration::from_secs(1));
        assert_eq!(nominal(&s, 2), Duration::from_secs(2));
        assert_eq!(nominal(&s, 12), Duration::from_secs(2048));
        assert_eq!(nominal(&s, 13), Duration::from_secs(3600));
        assert_eq!(nominal(&s, 200), Duration::from_secs(3600));
        let mut rng = fastrand::Rng::with_seed(7);
        for attempt in 1..=50 {
            let n = nominal(&s, attempt);
            let mut seen = Vec::new();
            for _ in 0..200 {
                let d = jittered(&s, attempt, &mut rng);
                assert!(d >= n / 2 && d <= n, "attempt {attempt}: {d:?} vs {n:?}");
                seen.push(d);
            }
            seen.sort();
            seen.dedup();
            assert!(seen.len() > 100, "jitter spreads the waits");
        }
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_max_backoff() {
        let s = OutboxSettings::default();
        let now = Timestamp::from_micros(1_000_000_000_000);
        let mut rng = fastrand::Rng::with_seed(1);
        // Attempt 1 backs off 0.5–1 s; Retry-After 30 s wins.
        let at = next_attempt_at(&s, 1, Some(Duration::from_secs(30)), now, &mut rng);
        assert_eq!(at.duration_since(now), Duration::from_secs(30));
        // A shorter Retry-After does not shorten the backoff.
        let at = next_attempt_at(&s, 13, Some(Duration::from_secs(1)), now, &mut rng);
        assert!(at.duration_since(now) >= Duration::from_secs(1800));
        // A day is capped at max_backoff.
        let at = next_attempt_at(&s, 1, Some(Duration::from_secs(86_400)), now, &mut rng);
        assert_eq!(at.duration_since(now), Duration::from_secs(3600));
    }

    #[test]
    fn parses_retry_after() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_384_340);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        // Sun, 22 Nov 2026 21:52:20 GMT is `now`.
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 21:53:00 GMT", now),
            Some(Duration::from_secs(40))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 21:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn the_default_schedule_lasts_about_a_day() {
        let s = OutboxSettings::default();
        let (min, max) = schedule_bounds(&s);
        let mean = (min + max) / 2;
        // 1 + 2 + … + 2048 s, then 31 waits of an hour: 115,695 s at most.
        assert_eq!(max, Duration::from_secs(115_695));
        assert_eq!(min, Duration::from_millis(57_847_500));
        assert!(
            mean > Duration::from_secs(23 * 3600) && mean < Duration::from_secs(25 * 3600),
            "{mean:?}"
        );
    }
}
