//! Shared ground of the chunkwise tools.
//!
//! Every chunkwise partitioner turns one big file into a **manifest**: JSON Lines, one
//! [`Chunk`] per line, each line self-contained: with the line alone and read access to its
//! sources, a worker rebuilds the chunk's exact bytes. This crate owns that contract and
//! what every tool needs around it:
//!
//! - [`manifest`]: the [`Chunk`] type, its [`Kind`]s, and a [`ManifestReader`] /
//!   [`ManifestWriter`] that report line numbers on bad input.
//! - [`source`]: a [`Source`] gives ranged reads of a local file or an `s3://bucket/key`
//!   object (the `s3` feature), splitting large ranges into parallel requests.
//! - [`output`]: [`AtomicFile`] writes under a temporary name and renames on success, and
//!   [`output::Output`] also uploads to `s3://` (completed only on success, aborted otherwise),
//!   so a failed run never leaves a complete-looking output.
//! - [`size`]: [`ByteSize`] parses `64MiB`, `1.5G`, `512k`; [`duration`]: [`HumanDuration`]
//!   parses `30s`, `5m`.
//! - [`error`]: one [`Error`] type whose messages name the input and the position, and
//!   whose variants map to the documented exit codes.
//! - [`progress`]: progress bars on stderr that hide themselves off a terminal or with `--quiet`.
//! - [`aws`] (the `s3` feature): the AWS configuration and async runtime every AWS client shares.
//! - [`cli`]: what every binary shares: `main` wrapper (exit codes, broken pipes), the
//!   chunking options, and the `cat` verb.

#[cfg(feature = "s3")]
pub mod aws;
pub mod cli;
pub mod duration;
pub mod error;
pub mod manifest;
pub mod output;
pub mod progress;
pub mod size;
pub mod source;

pub use duration::HumanDuration;
pub use error::{Error, Position, Result};
pub use manifest::{ByteRange, Chunk, Kind, ManifestReader, ManifestWriter, SourceRanges};
pub use output::AtomicFile;
pub use size::ByteSize;
pub use source::{RangeBytes, Source};
