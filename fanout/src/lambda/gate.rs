//! The client's share of a function's concurrency: Lambda answers an invocation past the
//! function's reserved (or the account's) concurrency with 429, and a client with more
//! invocations in flight than that room would spend its time being throttled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How many invocations this client keeps in flight once Lambda has throttled it: at a
/// throttle, as many as were in flight then (the room the function had); then one more after
/// each `limit` invocations that were not throttled, probing for room freed by others. So a
/// run larger than the function's concurrency keeps it full without a storm of 429s.
#[derive(Default)]
pub struct Gate {
    state: Mutex<GateState>,
    opened: Condvar,
}

#[derive(Default)]
struct GateState {
    in_flight: usize,
    /// None until the first throttle.
    limit: Option<usize>,
    /// Invocations not throttled since the limit last changed.
    since: usize,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until an invocation may start; false when interrupted.
    pub fn enter(&self, interrupted: &AtomicBool) -> bool {
        let mut state = self.lock();
        while state.limit.is_some_and(|limit| state.in_flight >= limit) {
            if interrupted.load(Ordering::Relaxed) {
                return false;
            }
            state = self
                .opened
                .wait_timeout(state, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state.in_flight += 1;
        true
    }

    /// An invocation ended, throttled or not.
    pub fn leave(&self, throttled: bool) {
        let mut state = self.lock();
        state.in_flight -= 1;
        if throttled {
            state.limit = Some(state.in_flight.max(1));
            state.since = 0;
        } else if let Some(limit) = state.limit {
            state.since += 1;
            if state.since >= limit {
                state.limit = Some(limit + 1);
                state.since = 0;
            }
        }
        drop(state);
        self.opened.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_sets_the_limit_and_successes_raise_it() {
        let gate = Gate::default();
        let never = AtomicBool::new(false);
        for _ in 0..4 {
            assert!(gate.enter(&never));
        }
        gate.leave(true);
        assert_eq!(
            gate.lock().limit,
            Some(3),
            "the room: what was in flight then"
        );
        gate.leave(false);
        gate.leave(false);
        gate.leave(false);
        assert_eq!(gate.lock().limit, Some(4), "one more after 3 unthrottled");
        assert_eq!(gate.lock().in_flight, 0);
        let interrupted = AtomicBool::new(true);
        for _ in 0..4 {
            assert!(gate.enter(&never));
        }
        assert!(
            !gate.enter(&interrupted),
            "full: waits, and gives up when interrupted"
        );
    }
}
