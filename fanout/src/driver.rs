//! The seam between a run and where its tasks execute: a [`Driver`] takes what the run
//! shares ([`RunContext`]: the options, the chunks as the manifest gives them...) and tallies
//! what became of the chunks.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use partition_core::output::{exists, join};
use partition_core::{Chunk, Result};

use crate::feed::{Admit, Feed};
use crate::joblog::JobLog;
use crate::options::RunOptions;
use crate::processes::Processes;
use crate::summary::Summary;

/// How a run's tasks are carried out: attempt by attempt through a pool of workers, or
/// handed to a scheduler in rounds (Slurm).
pub trait Driver {
    /// Runs the chunks [`RunContext::next_chunk`] gives (retries, halting and the joblog
    /// included) and tallies what became of them.
    fn drive(&self, run: &RunContext) -> Result<Summary>;

    /// What the engine used, for the summary (Lambda's GB-seconds and cost).
    fn usage(&self) -> Option<String> {
        None
    }
}

/// What every driver shares for one run.
pub struct RunContext<'a> {
    pub options: &'a RunOptions,
    /// The manifest's chunks, read as they are asked for.
    pub feed: &'a Feed,
    /// Ids of chunks the joblog records as succeeded (`--resume`).
    pub succeeded: &'a HashSet<String>,
    pub joblog: Option<&'a JobLog>,
    pub interrupted: &'a AtomicBool,
    pub processes: &'a Processes,
    /// Serialises lines that concurrent tasks write to stderr.
    pub stderr_lock: &'a Mutex<()>,
}

impl RunContext<'_> {
    /// The next chunk to run, in manifest order, once `admit` accepts it (the engine can run
    /// it; an error stops the run). Chunks `--resume` finds done (succeeded in the joblog,
    /// output in place) are passed over, each reported to `skipped`.
    pub fn next_chunk(
        &self,
        admit: impl Fn(&Chunk) -> Result<()>,
        skipped: impl Fn(),
    ) -> Option<Chunk> {
        self.feed.next(|chunk| {
            if self.done(chunk)? {
                skipped();
                return Ok(Admit::Skip);
            }
            admit(chunk)?;
            Ok(Admit::Run)
        })
    }

    fn done(&self, chunk: &Chunk) -> Result<bool> {
        if !self.succeeded.contains(&chunk.id) {
            return Ok(false);
        }
        match &self.options.task.out_dir {
            Some(dir) => exists(&join(dir, &self.options.task.output_name(chunk))),
            None => Ok(true),
        }
    }
}
