//! What a backend is: something that runs one attempt of the command on one chunk.
//!
//! The scheduler ([`crate::run`](mod@crate::run)) owns retries, ordering, the joblog and
//! halting; a backend only runs attempts ([`crate::local`], [`crate::lambda`]). Slurm, which
//! runs a whole array per round, has a driver of its own ([`crate::slurm`]). Workers that run
//! away from the runner send their [`Outcome`] back as a [`Report`].

use std::time::{Duration, SystemTime};

use partition_core::Chunk;
use serde::{Deserialize, Serialize};

use crate::spool::Spool;

pub trait Backend: Sync {
    /// How the joblog names where attempts ran (`local:HOST`).
    fn name(&self) -> String;
    /// Runs attempt `attempt` (1-based) of the command on `chunk`.
    fn run(&self, chunk: &Chunk, attempt: u32) -> Outcome;
    /// What the run cost, for the closing summary (Lambda: requests, GB-seconds, price).
    fn usage(&self) -> Option<String> {
        None
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
    /// Why the attempt failed besides its exit status (the chunk could not be rebuilt...).
    pub error: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub start: SystemTime,
    pub runtime: Duration,
    /// The command's stdout, when it is not written to a file.
    pub stdout: Spool,
    /// The last lines of the command's stderr (at most [`STDERR_TAIL`] bytes), for reports.
    pub stderr_tail: String,
}

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
            error: None,
            bytes_in: 0,
            bytes_out: 0,
            start: SystemTime::now(),
            runtime: Duration::ZERO,
            stdout: Spool::new(),
            stderr_tail: String::new(),
        }
    }

    pub fn succeeded(&self) -> bool {
        self.error.is_none() && !self.timed_out && self.exit_code == Some(0)
    }

    /// `exit 0`, `exit 3`, `signal 9`, `timed out`, or the error.
    pub fn describe(&self) -> String {
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
        outcome.error = self.error;
        outcome.bytes_in = self.bytes_in;
        outcome.bytes_out = self.bytes_out;
        outcome.stderr_tail = self.stderr_tail;
    }
}
