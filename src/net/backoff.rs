//! Reconnect delays.

use std::time::Duration;

/// Reconnect delays: doubling from `FIRST` up to `CAP`, each ±20 % so that
/// many clients cut off together do not come back in lock-step.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(500);
    pub const CAP: Duration = Duration::from_secs(15);

    pub fn new() -> Self {
        Backoff { attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn next_delay(&mut self) -> Duration {
        let base = Self::FIRST.saturating_mul(1 << self.attempt.min(10)).min(Self::CAP);
        self.attempt += 1;
        base.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff::new();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(400) && delays[0] <= Duration::from_millis(600));
        assert!(delays[1] >= Duration::from_millis(800) && delays[1] <= Duration::from_millis(1200));
        for d in &delays {
            assert!(*d <= Backoff::CAP.mul_f64(1.2));
        }
        assert!(delays[11] >= Backoff::CAP.mul_f64(0.8));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(600));
    }
}
