//! The seam between a run and where its tasks execute: a [`Driver`] takes the chunks to run
//! and what the run shares ([`RunContext`]), and tallies what became of them.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use partition_core::{Chunk, Result};

use crate::joblog::JobLog;
use crate::options::RunOptions;
use crate::processes::Processes;
use crate::summary::Summary;

/// How a run's tasks are carried out: attempt by attempt through a pool of workers, or
/// handed to a scheduler in rounds (Slurm).
pub trait Driver {
    /// Runs `todo` (retries, halting and the joblog included) and tallies what became of it.
    fn drive(&self, todo: &[&Chunk], run: &RunContext) -> Result<Summary>;

    /// What the engine used, for the summary (Lambda's GB-seconds and cost).
    fn usage(&self) -> Option<String> {
        None
    }
}

/// What every driver shares for one run.
pub struct RunContext<'a> {
    pub options: &'a RunOptions,
    /// Every chunk of the manifest, in order.
    pub chunks: &'a [Chunk],
    /// Chunks the joblog records as done (`--resume`).
    pub done: &'a HashSet<String>,
    pub joblog: Option<&'a JobLog>,
    pub interrupted: &'a AtomicBool,
    pub processes: &'a Processes,
    /// Serialises lines that concurrent tasks write to stderr.
    pub stderr_lock: &'a Mutex<()>,
}
