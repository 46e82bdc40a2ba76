//! What a backend is: something that runs one attempt of the command on one chunk.
//!
//! The scheduler ([`crate::run`](mod@crate::run)) owns retries, ordering, the joblog and
//! halting; a backend only runs attempts ([`crate::local`], [`crate::lambda`]). Slurm, which
//! runs a whole array per round, has a driver of its own ([`crate::slurm`]). Workers that run
//! away from the runner send their [`Outcome`] back as a [`Report`].

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use partition_core::Chunk;
use serde::{Deserialize, Serialize};

use crate::spool::Spool;

pub trait Backend: Sync {
    /// How the joblog names where attempts ran (`local:HOST`).
    fn name(&self) -> String;
    /// Whether this engine can run `chunk` at all (a Lambda function cannot read local
    /// files); an error stops the run before the chunk starts.
    fn check(&self, _chunk: &Chunk) -> partition_core::Result<()> {
        Ok(())
    }
    /// Runs one attempt of the command on `chunk`; its output is published only if the
    /// attempt wins its [`Race`].
    fn run(&self, chunk: &Chunk, attempt: &Attempt) -> Outcome;
    /// What the run cost, for the closing summary (Lambda: requests, GB-seconds, price).
    fn usage(&self) -> Option<String> {
        None
    }
}

/// One attempt of a chunk.
pub struct Attempt<'a> {
    /// 1-based, in the order attempts of the chunk started.
    pub number: u32,
    /// Shared by every attempt of the chunk: with `--speculate` a backup may run beside it.
    pub race: &'a Race,
}

/// The attempts of one chunk that run at once (a straggler and its speculative backup): the
/// first to succeed claims the chunk's output, and the others are stopped and publish nothing.
#[derive(Debug, Default)]
pub struct Race {
    state: Mutex<RaceState>,
}

#[derive(Debug, Default)]
struct RaceState {
    winner: Option<u32>,
    /// Process groups of running attempts, to stop when another attempt wins.
    groups: Vec<(u32, u32)>,
}

impl Race {
    fn state(&self) -> std::sync::MutexGuard<'_, RaceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The attempt that succeeded first, if one has.
    pub fn winner(&self) -> Option<u32> {
        self.state().winner
    }

    /// Claims the output for `attempt`: the first claim wins and gets the process groups of
    /// the other attempts to stop; a later one gets `None`.
    pub fn claim(&self, attempt: u32) -> Option<Vec<u32>> {
        let mut state = self.state();
        if state.winner.is_some_and(|winner| winner != attempt) {
            return None;
        }
        state.winner = Some(attempt);
        Some(
            state
                .groups
                .iter()
                .filter(|(other, _)| *other != attempt)
                .map(|&(_, group)| group)
                .collect(),
        )
    }

    /// Tracks the process group running `attempt`; false when another attempt has already won
    /// (stop it).
    pub fn enter(&self, attempt: u32, group: u32) -> bool {
        let mut state = self.state();
        state.groups.push((attempt, group));
        state.winner.is_none_or(|winner| winner == attempt)
    }

    pub fn leave(&self, attempt: u32) {
        self.state().groups.retain(|(other, _)| *other != attempt);
    }
}

/// What became of one attempt.
#[derive(Debug)]
pub struct Outcome {
    pub seq: u64,
    pub id: String,
    pub attempt: u32,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Another attempt of the chunk succeeded first: this one was stopped, its output dropped.
    pub lost: bool,
    /// Why the attempt failed besides its exit status (the chunk could not be rebuilt...).
    pub error: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub start: SystemTime,
    pub runtime: Duration,
    /// What the engine bills for the attempt (Lambda), and its price in USD.
    pub billed: Option<Duration>,
    pub cost: Option<f64>,
    /// The command's stdout, when it is not written to a file.
    pub stdout: Spool,
    /// The last lines of the command's stderr (at most [`STDERR_TAIL`] bytes), for reports.
    pub stderr_tail: String,
}

/// How the joblog shows an attempt that another attempt of its chunk beat.
pub const LOST: &str = "lost: another attempt succeeded first";

/// How much of a task's stderr an [`Outcome`] keeps.
pub const STDERR_TAIL: usize = 2048;

impl Outcome {
    pub fn new(chunk: &Chunk, attempt: u32) -> Outcome {
        Outcome {
            seq: chunk.seq,
            id: chunk.id.clone(),
            attempt,
            exit_code: None,
            signal: None,
            timed_out: false,
            lost: false,
            error: None,
            bytes_in: 0,
            bytes_out: 0,
            start: SystemTime::now(),
            runtime: Duration::ZERO,
            billed: None,
            cost: None,
            stdout: Spool::new(),
            stderr_tail: String::new(),
        }
    }

    pub fn succeeded(&self) -> bool {
        self.error.is_none() && !self.timed_out && !self.lost && self.exit_code == Some(0)
    }

    /// `exit 0`, `exit 3`, `signal 9`, `timed out`, `lost`, or the error.
    pub fn describe(&self) -> String {
        if self.lost {
            return LOST.to_string();
        }
        if let Some(error) = &self.error {
            return error.clone();
        }
        if self.timed_out {
            return format!(
                "timed out after {:.1}s (process group killed)",
                self.runtime.as_secs_f64()
            );
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => "not started".to_string(),
        }
    }
}

/// An [`Outcome`] as a worker elsewhere (a Lambda function, a Slurm task) sends it back: JSON.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Another attempt wrote the chunk's output first.
    #[serde(default)]
    pub lost: bool,
    /// Why the attempt failed besides its exit status (a source object is gone...).
    pub error: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Time the worker spent on the attempt (what Lambda bills).
    pub runtime_ms: u64,
    pub stderr_tail: String,
}

impl Report {
    pub fn from_outcome(outcome: &Outcome) -> Report {
        Report {
            exit_code: outcome.exit_code,
            signal: outcome.signal,
            timed_out: outcome.timed_out,
            lost: outcome.lost,
            error: outcome.error.clone(),
            bytes_in: outcome.bytes_in,
            bytes_out: outcome.bytes_out,
            runtime_ms: outcome.runtime.as_millis() as u64,
            stderr_tail: outcome.stderr_tail.clone(),
        }
    }

    /// Fills the runner's outcome of the attempt.
    pub fn fill(self, outcome: &mut Outcome) {
        outcome.exit_code = self.exit_code;
        outcome.signal = self.signal;
        outcome.timed_out = self.timed_out;
        outcome.lost = self.lost;
        outcome.error = self.error;
        outcome.bytes_in = self.bytes_in;
        outcome.bytes_out = self.bytes_out;
        outcome.stderr_tail = self.stderr_tail;
    }
}
