//! How often the keeper answers: anyone on the broker can send requests
//! under any name, and each answer may be 256 KiB, so both one name and all
//! of them together are held to a budget (token buckets).

use std::collections::HashMap;

/// Each requesting user: a burst of 20 (a client asks once per room when
/// it connects), then one more every 2 s (5 per 10 s).
pub(super) const PER_USER_BURST: u64 = 20;
const PER_USER_EVERY_MS: u64 = 2_000;
/// Everyone together: a burst of 40, then one more every 50 ms (20 per s).
pub(super) const OVERALL_BURST: u64 = 40;
const OVERALL_EVERY_MS: u64 = 50;
/// Most users whose budget is remembered. A user whose bucket has filled up
/// again is forgotten (the same as never seen, after 40 s), so this is
/// reached only by 10 000 names asking within 40 s, which the overall budget
/// already stops (at most 840 requests are let through in 40 s).
pub(super) const MAX_TRACKED_USERS: usize = 10_000;

/// Holds up to `burst` tokens, one more every `every_ms`; counted in
/// milliseconds of refill so that everything stays whole numbers.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    filled_ms: u64,
    at_ms: i64,
}

impl Bucket {
    fn full(burst: u64, every_ms: u64, now_ms: i64) -> Bucket {
        Bucket {
            filled_ms: burst * every_ms,
            at_ms: now_ms,
        }
    }

    /// A clock that went back refills nothing (and does not block either).
    fn refill(&mut self, burst: u64, every_ms: u64, now_ms: i64) {
        let elapsed = u64::try_from(now_ms.saturating_sub(self.at_ms)).unwrap_or(0);
        self.filled_ms = self.filled_ms.saturating_add(elapsed).min(burst * every_ms);
        self.at_ms = now_ms;
    }

    fn has_token(&self, every_ms: u64) -> bool {
        self.filled_ms >= every_ms
    }

    fn take(&mut self, every_ms: u64) {
        self.filled_ms = self.filled_ms.saturating_sub(every_ms);
    }

    fn is_full(&self, burst: u64, every_ms: u64) -> bool {
        self.filled_ms >= burst * every_ms
    }
}

/// The per-user and overall budgets.
#[derive(Debug)]
pub(super) struct Limits {
    users: HashMap<String, Bucket>,
    overall: Bucket,
    last_sweep_ms: i64,
}

impl Limits {
    pub(super) fn new(now_ms: i64) -> Limits {
        Limits {
            users: HashMap::new(),
            overall: Bucket::full(OVERALL_BURST, OVERALL_EVERY_MS, now_ms),
            last_sweep_ms: now_ms,
        }
    }

    /// True when `user` may be answered now (and the answer is counted).
    /// A request refused for its user costs the overall budget nothing, so
    /// one noisy name does not silence everyone else.
    pub(super) fn allow(&mut self, user: &str, now_ms: i64) -> bool {
        self.overall.refill(OVERALL_BURST, OVERALL_EVERY_MS, now_ms);
        if !self.overall.has_token(OVERALL_EVERY_MS) {
            return false;
        }
        let window_ms = (PER_USER_BURST * PER_USER_EVERY_MS) as i64;
        if now_ms.saturating_sub(self.last_sweep_ms) >= window_ms || now_ms < self.last_sweep_ms {
            self.sweep(now_ms);
        }
        if !self.users.contains_key(user) {
            if self.users.len() >= MAX_TRACKED_USERS {
                self.sweep(now_ms);
            }
            if self.users.len() >= MAX_TRACKED_USERS {
                return false;
            }
            self.users
                .insert(user.to_owned(), Bucket::full(PER_USER_BURST, PER_USER_EVERY_MS, now_ms));
        }
        let Some(bucket) = self.users.get_mut(user) else {
            return false;
        };
        bucket.refill(PER_USER_BURST, PER_USER_EVERY_MS, now_ms);
        if !bucket.has_token(PER_USER_EVERY_MS) {
            return false;
        }
        bucket.take(PER_USER_EVERY_MS);
        self.overall.take(OVERALL_EVERY_MS);
        true
    }

    /// Forgets the users whose budget is whole again.
    fn sweep(&mut self, now_ms: i64) {
        self.users.retain(|_, bucket| {
            bucket.refill(PER_USER_BURST, PER_USER_EVERY_MS, now_ms);
            !bucket.is_full(PER_USER_BURST, PER_USER_EVERY_MS)
        });
        self.last_sweep_ms = now_ms;
    }

    #[cfg(test)]
    pub(super) fn tracked(&self) -> usize {
        self.users.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_gets_a_burst_of_twenty_then_one_every_two_seconds() {
        let mut limits = Limits::new(0);
        let answered = (0..30).filter(|_| limits.allow("carol", 0)).count();
        assert_eq!(answered, 20);
        assert!(limits.allow("dave", 0), "others are not held back by carol");
        assert!(!limits.allow("carol", 1_999));
        assert!(limits.allow("carol", 2_000), "one more every 2 s");
        assert!(!limits.allow("carol", 2_000));
        let later = (0..30).filter(|_| limits.allow("carol", 60_000)).count();
        assert_eq!(later, 20, "the burst comes back, no more");
    }

    #[test]
    fn everyone_together_gets_a_burst_of_forty_then_twenty_per_second() {
        let mut limits = Limits::new(0);
        let answered = (0..100).filter(|n| limits.allow(&format!("u{n}"), 0)).count();
        assert_eq!(answered, 40);
        assert!(!limits.allow("late", 49));
        assert!(limits.allow("late", 50));
        let second = (0..100).filter(|n| limits.allow(&format!("v{n}"), 1_050)).count();
        assert_eq!(second, 20, "refilled at 20 a second");
    }

    #[test]
    fn refusals_for_one_user_cost_the_others_nothing() {
        let mut limits = Limits::new(0);
        for _ in 0..1_000 {
            limits.allow("noisy", 0);
        }
        let others = (0..20).filter(|n| limits.allow(&format!("u{n}"), 0)).count();
        assert_eq!(others, 20, "noisy took only its own 20 of the overall 40");
    }

    #[test]
    fn idle_users_are_forgotten_and_the_count_is_capped() {
        let mut limits = Limits::new(0);
        let mut now = 0;
        // A new name every 50 ms (as fast as the overall budget lets through).
        for n in 0..2_000 {
            now += 50;
            assert!(limits.allow(&format!("u{n}"), now));
        }
        // Names idle long enough have full buckets: forgotten on a sweep.
        // A bucket of 20 refills in 40 s: at most 800 names are that recent.
        assert!(limits.tracked() <= 2 * 800 + 1, "{}", limits.tracked());
        now += 80_000;
        limits.allow("x", now);
        assert_eq!(limits.tracked(), 1);
    }

    #[test]
    fn a_clock_going_back_neither_refills_nor_blocks_for_ever() {
        let mut limits = Limits::new(1_000_000);
        let answered = (0..30).filter(|_| limits.allow("carol", 1_000_000)).count();
        assert_eq!(answered, 20);
        assert!(!limits.allow("carol", 0), "back in time: nothing refilled");
        assert!(limits.allow("carol", 2_000), "counting goes on from the new time");
    }
}
