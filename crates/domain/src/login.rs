//! Slowing down and locking out password guessing (登录失败锁定).
//!
//! Failures are counted per user name, whether or not an account of that name exists, so the
//! answer never tells a guesser which names are real. The first failures cost nothing (people
//! mistype); from the third on, each failure makes the next attempt wait twice as long; the
//! fifth in a row locks the name for a quarter of an hour. A success clears the count.

use chrono::{DateTime, Duration, Utc};

/// Failures before attempts are slowed down.
pub const FREE_FAILURES: u32 = 2;
/// Failures in a row that lock the name.
pub const LOCK_AFTER: u32 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

/// What the store remembers about recent failures of one user name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    pub failures: u32,
    pub last_failure_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Whether an attempt may be made now; `Err(t)` means not before `t`.
pub fn may_attempt(throttle: Option<&Throttle>, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
    let Some(t) = throttle else {
        return Ok(());
    };
    if let Some(until) = t.locked_until
        && now < until
    {
        return Err(until);
    }
    if t.locked_until.is_some() {
        // The lock has run out: the next attempt is free, and a failure locks again at once.
        return Ok(());
    }
    if t.failures > FREE_FAILURES {
        let wait = Duration::seconds(1 << (t.failures - FREE_FAILURES - 1).min(10));
        let next = t.last_failure_at + wait;
        if now < next {
            return Err(next);
        }
    }
    Ok(())
}

/// The state after one more failure at `now`.
pub fn after_failure(throttle: Option<&Throttle>, now: DateTime<Utc>) -> Throttle {
    let failures = throttle.map_or(0, |t| t.failures).saturating_add(1);
    let locked_until = (failures >= LOCK_AFTER).then(|| now + Duration::minutes(LOCK_MINUTES));
    Throttle {
        failures,
        last_failure_at: now,
        locked_until,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn two_mistakes_cost_nothing_then_waits_double_then_a_lock() {
        let mut now = t0();
        let mut state: Option<Throttle> = None;
        for _ in 0..2 {
            assert!(may_attempt(state.as_ref(), now).is_ok());
            state = Some(after_failure(state.as_ref(), now));
        }
        assert!(may_attempt(state.as_ref(), now).is_ok());
        state = Some(after_failure(state.as_ref(), now)); // third
        assert_eq!(
            may_attempt(state.as_ref(), now),
            Err(now + Duration::seconds(1))
        );
        now += Duration::seconds(1);
        assert!(may_attempt(state.as_ref(), now).is_ok());
        state = Some(after_failure(state.as_ref(), now)); // fourth
        assert_eq!(
            may_attempt(state.as_ref(), now),
            Err(now + Duration::seconds(2))
        );
        now += Duration::seconds(2);
        state = Some(after_failure(state.as_ref(), now)); // fifth: locked
        let until = now + Duration::minutes(LOCK_MINUTES);
        assert_eq!(
            may_attempt(state.as_ref(), now + Duration::minutes(14)),
            Err(until)
        );
        assert!(may_attempt(state.as_ref(), until).is_ok());
        // A failure after the lock runs out locks again at once.
        let again = after_failure(state.as_ref(), until);
        assert!(again.locked_until.is_some());
    }
}
