//! Speculative backups of stragglers (`--speculate FACTOR`): the chunks in flight, how long
//! finished tasks took, and which running task deserves a second attempt.
//!
//! Once nothing is left to start, a free worker looks for a chunk whose current attempt has
//! run longer than FACTOR times the median successful task and starts one backup attempt of
//! it; the two race ([`Race`]): the first to succeed publishes the output, the other is
//! stopped and publishes nothing.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use partition_core::Chunk;

use crate::backend::Race;

/// One chunk being worked on: its attempts so far and the race between them.
pub struct Flight {
    pub chunk: Chunk,
    pub race: Race,
    state: Mutex<FlightState>,
}

#[derive(Default)]
struct FlightState {
    /// Attempts started so far (the next one is numbered one more).
    attempts: u32,
    /// When the primary's current attempt started; none while it waits to retry.
    running_since: Option<Instant>,
    backup: Backup,
    /// Attempts between their start and their judgement ([`Flight::attempt_judged`]).
    unjudged: u32,
    settled: bool,
}

#[derive(Default, PartialEq)]
enum Backup {
    #[default]
    None,
    Running,
    Done,
}

impl Flight {
    fn new(chunk: Chunk) -> Flight {
        Flight {
            chunk,
            race: Race::default(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, FlightState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers the primary's next attempt, starting its clock.
    pub fn primary_attempt(&self) -> u32 {
        let mut state = self.state();
        state.attempts += 1;
        state.running_since = Some(Instant::now());
        state.attempts
    }

    /// The primary waits to retry: not a straggler meanwhile.
    pub fn primary_waits(&self) {
        self.state().running_since = None;
    }

    /// Numbers the backup attempt, unless the chunk has one already or is settled.
    fn start_backup(&self, now: Instant, threshold: Duration) -> Option<u32> {
        let mut state = self.state();
        let straggles = state
            .running_since
            .is_some_and(|since| now.duration_since(since) > threshold);
        if !straggles || state.backup != Backup::None || state.settled {
            return None;
        }
        state.backup = Backup::Running;
        state.attempts += 1;
        Some(state.attempts)
    }

    pub fn backup_done(&self) {
        self.state().backup = Backup::Done;
    }

    pub fn backup_running(&self) -> bool {
        self.state().backup == Backup::Running
    }

    /// An attempt starts; judged later by [`Flight::attempt_judged`].
    pub fn attempt_starts(&self) {
        self.state().unjudged += 1;
    }

    /// An attempt is judged: it claimed the race, failed, or lost.
    pub fn attempt_judged(&self) {
        self.state().unjudged -= 1;
    }

    /// How many attempts are still unjudged.
    pub fn unjudged(&self) -> u32 {
        self.state().unjudged
    }

    /// Marks the chunk's fate decided; true for the one caller that decides it.
    pub fn settle(&self) -> bool {
        !std::mem::replace(&mut self.state().settled, true)
    }
}

/// The chunks in flight and the durations of finished tasks.
#[derive(Default)]
pub struct Flights {
    list: Mutex<Vec<Arc<Flight>>>,
    durations: Mutex<Durations>,
}

impl Flights {
    pub fn add(&self, chunk: Chunk) -> Arc<Flight> {
        let flight = Arc::new(Flight::new(chunk));
        self.lock().push(Arc::clone(&flight));
        flight
    }

    pub fn remove(&self, flight: &Arc<Flight>) {
        self.lock().retain(|other| !Arc::ptr_eq(other, flight));
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A successful task took `runtime`.
    pub fn finished(&self, runtime: Duration) {
        self.durations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(runtime);
    }

    /// The longest-running chunk whose current attempt has run past `factor` times the
    /// median successful task and has no backup yet, with its backup's attempt number.
    pub fn straggler(&self, factor: f64) -> Option<(Arc<Flight>, u32)> {
        let median = self
            .durations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .median()?;
        let threshold = median.mul_f64(factor);
        let now = Instant::now();
        let mut flights: Vec<Arc<Flight>> = self.lock().clone();
        flights.sort_by_key(|flight| flight.state().running_since);
        flights.into_iter().find_map(|flight| {
            let number = flight.start_backup(now, threshold)?;
            Some((flight, number))
        })
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Flight>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Task durations as a histogram of buckets 2 % apart from 1 ms to a day: the median
/// within 2 %, in constant memory however many tasks a run has.
struct Durations {
    counts: Vec<u64>,
    total: u64,
}

/// Each bucket is this much wider than the one before.
const GROWTH: f64 = 1.02;
/// Buckets from 1 ms: 1.02^921 ms is just over a day; longer tasks share the last one.
const BUCKETS: usize = 922;

impl Default for Durations {
    fn default() -> Durations {
        Durations {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

impl Durations {
    fn add(&mut self, duration: Duration) {
        let ms = (duration.as_secs_f64() * 1000.0).max(1.0);
        let bucket = (ms.ln() / GROWTH.ln()) as usize;
        self.counts[bucket.min(BUCKETS - 1)] += 1;
        self.total += 1;
    }

    /// The middle of the bucket that holds the median; none before any task finished.
    fn median(&self) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let mut seen = 0;
        let bucket = self.counts.iter().position(|&count| {
            seen += count;
            2 * seen >= self.total
        })?;
        let ms = GROWTH.powf(bucket as f64 + 0.5);
        Some(Duration::from_secs_f64(ms / 1000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_within_two_percent() {
        let mut durations = Durations::default();
        assert_eq!(durations.median(), None);
        for ms in [10, 20, 400, 410, 420, 430, 100_000] {
            durations.add(Duration::from_millis(ms));
        }
        let median = durations.median().unwrap().as_secs_f64() * 1000.0;
        assert!((median / 410.0 - 1.0).abs() < 0.02, "{median}");
        durations.add(Duration::from_secs(7 * 86_400));
        durations.add(Duration::ZERO);
        assert_eq!(durations.total, 9);
    }

    #[test]
    fn a_straggler_gets_one_backup() {
        let mut manifest = partition_core::ManifestBuilder::new(partition_core::Kind::Fastq);
        manifest.push("slow", vec![], 0, ());
        manifest.push("fast", vec![], 0, ());
        let chunks = manifest.finish();
        let flights = Flights::default();
        let slow = flights.add(chunks[0].clone());
        assert_eq!(slow.primary_attempt(), 1);
        assert!(flights.straggler(2.0).is_none(), "no task has finished yet");
        flights.finished(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(20));
        let fast = flights.add(chunks[1].clone());
        fast.primary_attempt();
        let (flight, number) = flights.straggler(2.0).expect("the slow chunk straggles");
        assert_eq!((flight.chunk.seq, number), (0, 2));
        assert!(slow.backup_running());
        assert!(flights.straggler(2.0).is_none(), "one backup per chunk");
        slow.backup_done();
        assert!(slow.settle() && !slow.settle());
        flights.remove(&slow);
        flights.remove(&fast);
        assert!(flights.is_empty());
    }
}
