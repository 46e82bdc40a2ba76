//! What a run is asked to do: where its tasks run, what each executes, and how failures,
//! retries and outputs are handled.

use std::path::PathBuf;
use std::time::Duration;

use partition_core::Backoff;

use crate::task::TaskSpec;

/// What to do when a chunk fails for good (after its retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// Run every chunk regardless.
    Never,
    /// Start no new chunk; let running ones finish.
    Soon,
    /// Kill running chunks and stop.
    Now,
}

/// Where the tasks run.
#[derive(Debug, Clone, PartialEq)]
pub enum Engine {
    /// Child processes of the runner.
    Local,
    /// One invocation of an AWS Lambda function per attempt, outputs in S3.
    Lambda {
        function: String,
        /// Overrides the price table of the cost estimate.
        price: Option<crate::lambda::price::Price>,
    },
    /// One Slurm job array over the manifest; outputs on a filesystem every node shares.
    Slurm { partition: Option<String> },
}

pub struct RunOptions {
    pub engine: Engine,
    /// What every attempt executes.
    pub task: TaskSpec,
    /// Tasks at once.
    pub jobs: usize,
    /// Emit outputs in manifest order rather than as tasks finish.
    pub keep_order: bool,
    pub quiet: bool,
    /// Further attempts after a failure.
    pub retries: u32,
    /// Wait before the first retry; doubled for each later one (at most a minute).
    pub retry_delay: Duration,
    pub halt: Halt,
    /// Back up a task running longer than this many times the median successful task, once
    /// nothing is left to start (`--speculate`).
    pub speculate: Option<f64>,
    pub joblog: Option<PathBuf>,
    /// Skip chunks the joblog records as succeeded (and whose outputs exist).
    pub resume: bool,
    /// Print the commands instead of running them.
    pub dry_run: bool,
}

impl RunOptions {
    /// The waits between attempts of a task: `retry_delay`, doubled for each later attempt,
    /// at most a minute.
    pub fn retry_backoff(&self) -> Backoff {
        Backoff::new(self.retry_delay, Duration::from_secs(60))
    }
}
