//! How long to wait before trying again: one policy for every retry loop in the toolkit
//! (ranged reads over HTTP and S3, Lambda invocations, `fanout --retries`).
//!
//! The wait doubles after each failure from `first`, up to `max`, optionally with random
//! jitter so that many clients throttled at once do not come back at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// An exponential backoff policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// No wait is longer.
    pub max: Duration,
    /// Up to this fraction of the wait is added at random (0: none).
    pub jitter: f64,
}

impl Backoff {
    /// Doubling from `first`, at most `max`, without jitter.
    pub const fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            jitter: 0.0,
        }
    }

    /// The same, with up to `fraction` of each wait added at random.
    pub const fn with_jitter(self, fraction: f64) -> Backoff {
        Backoff {
            jitter: fraction,
            ..self
        }
    }

    /// The wait after the `failures`-th failure in a row (counted from 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let base = self
            .first
            .saturating_mul(1 << failures.saturating_sub(1).min(20))
            .min(self.max);
        if self.jitter <= 0.0 {
            return base;
        }
        // Sub-second clock noise, mixed with the process id, is random enough to spread
        // clients apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |now| now.subsec_nanos())
            ^ std::process::id();
        base + base.mul_f64(self.jitter * f64::from(nanos % 1000) / 1000.0)
    }

    /// Sleeps for [`Backoff::delay`]; true when `stop` was set before the wait was over.
    pub fn sleep(&self, failures: u32, stop: &AtomicBool) -> bool {
        sleep_unless(stop, self.delay(failures))
    }
}

/// Sleeps for `duration` or until `stop` is set; true when it was set.
pub fn sleep_unless(stop: &AtomicBool, duration: Duration) -> bool {
    sleep_until(duration, || stop.load(Ordering::Relaxed))
}

/// Sleeps for `duration` or until `stop()` holds (asked every 20 ms); true when it held.
pub fn sleep_until(duration: Duration, stop: impl Fn() -> bool) -> bool {
    let until = Instant::now() + duration;
    while Instant::now() < until {
        if stop() {
            return true;
        }
        thread::sleep((until - Instant::now()).min(Duration::from_millis(20)));
    }
    stop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_first_wait_up_to_the_cap() {
        let backoff = Backoff::new(Duration::from_millis(400), Duration::from_secs(2));
        let waits: Vec<u128> = (1..=5).map(|n| backoff.delay(n).as_millis()).collect();
        assert_eq!(waits, [400, 800, 1600, 2000, 2000]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn jitter_adds_at_most_its_fraction() {
        let backoff =
            Backoff::new(Duration::from_millis(100), Duration::from_secs(20)).with_jitter(0.25);
        for failures in 1..8 {
            let base = Backoff::new(backoff.first, backoff.max).delay(failures);
            let wait = backoff.delay(failures);
            assert!(
                base <= wait && wait <= base.mul_f64(1.25),
                "{failures}: {wait:?}"
            );
        }
    }

    #[test]
    fn a_stop_ends_the_wait() {
        let stop = AtomicBool::new(true);
        let started = Instant::now();
        assert!(sleep_unless(&stop, Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
