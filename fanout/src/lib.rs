//! Runs a command once per chunk of a manifest.
//!
//! For each [`partition_core::Chunk`], `fanout` rebuilds the chunk's bytes with the format
//! crate that owns its kind ([`materialize`]) and streams them into the command's stdin, with
//! no temporary file; the command's stdout is kept whole per chunk, so outputs of parallel
//! tasks never interleave. The pieces:
//!
//! - [`materialize`]: chunk kind -> the format crate's `write_chunk`.
//! - [`task`]: one run of the command on one chunk: argument placeholders, `CHUNK_*`
//!   environment, stdin feeding, stdout and stderr capture, the [`task::Outcome`].
//! - [`run`]: the scheduler: bounded parallelism, output order, the summary.

pub mod materialize;
pub mod run;
pub mod task;

pub use run::{run, RunOptions};
