//! Runs a command once per chunk of a manifest.
//!
//! For each [`partition_core::Chunk`], `fanout` rebuilds the chunk's bytes with the format
//! its kind names in the registry ([`formats::write_chunk`]) and streams them into the command's stdin, with
//! no temporary file; the command's stdout is kept whole per chunk, so outputs of parallel
//! tasks never interleave. The pieces:
//!
//! - [`options`]: what a run is asked to do ([`RunOptions`], [`Engine`], [`Halt`]);
//!   [`task`]: what every attempt executes ([`TaskSpec`]: command, outputs, stdin, timeout).
//! - [`feed`]: the manifest's chunks, read as workers ask for them (memory flat in the
//!   manifest's size).
//! - [`run`](mod@run): a run: `--dry-run`, `--resume`, Ctrl-C, then a driver: the pool
//!   ([`pool`]: bounded parallelism, retries with backoff, timeouts, halting, output order) or
//!   Slurm's rounds of job arrays, behind one seam ([`driver`]); [`summary`]: the tally and
//!   the closing line.
//! - [`speculate`]: backups of stragglers (`--speculate`): chunks in flight, the median
//!   task, and the [`backend::Race`] that lets only the first attempt to succeed publish.
//! - [`cross`]: the cross product of two manifests (`--cross`): one task per pair, itself a
//!   manifest line, so that everything below works per pair.
//! - [`backend`]: the [`backend::Backend`] trait an engine implements (one attempt of the
//!   command on one chunk) and its [`backend::Outcome`].
//! - [`lambda`]: the AWS Lambda backend, its worker, `deploy` and
//!   `doctor`.
//! - [`local`]: the local backend: a child process in its own process group, `{id}`-style
//!   placeholders, `CHUNK_*` environment, stdin feeding, stdout and stderr capture.
//! - [`slurm`]: the Slurm backend: one job array per attempt round, `fanout worker` per task.
//! - [`processes`]: the running process groups, killed on timeout, halt or interrupt.
//! - [`joblog`]: one TSV row per attempt, and reading it back to resume;
//!   [`report`](mod@report): a picture of a run drawn from its joblog (`fanout report`).
//! - [`spool`]: captured stdout, spilled to a temporary file beyond 8 MiB.

pub mod backend;
pub mod cross;
pub mod driver;
pub mod feed;
pub mod joblog;
pub mod lambda;
pub mod local;
pub mod options;
pub mod pool;
pub mod processes;
pub mod report;
pub mod run;
pub mod slurm;
pub mod speculate;
pub mod spool;
pub mod summary;
pub mod task;

pub use options::{Engine, Halt, RunOptions};
pub use run::run;
pub use summary::Summary;
pub use task::TaskSpec;
