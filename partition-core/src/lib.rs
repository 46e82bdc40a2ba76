//! Shared ground of the chunkwise tools.
//!
//! Every chunkwise partitioner turns one big file into a **manifest**: JSON Lines, one
//! [`Chunk`] per line, each line self-contained: with the line alone and read access to its
//! sources, a worker rebuilds the chunk's exact bytes. This crate owns that contract and
//! what every tool needs around it:
//!
//! - [`manifest`]: the [`Chunk`] type, its [`Kind`]s, a [`ManifestBuilder`] that numbers a
//!   plan's chunks, and a [`ManifestReader`] / [`ManifestWriter`] that report line numbers on
//!   bad input.
//! - [`plan`](mod@plan): the [`Plan`] every format crate's `plan` returns (chunks, warnings,
//!   the format's own figures).
//! - [`format`](mod@format): the [`Format`] each format crate exports (its kinds, binary, chunk suffix
//!   and `write_chunk`), which the `formats` crate lists.
//! - [`source`]: a [`Source`] gives ranged reads of a local file, an `s3://bucket/key` object
//!   (the `s3` feature) or an `http(s)://` URL (the `http` feature), splitting large ranges
//!   into parallel requests.
//! - [`output`]: [`AtomicFile`] writes under a temporary name and renames on success, and
//!   [`output::Output`] also uploads to `s3://` (completed only on success, aborted otherwise),
//!   so a failed run never leaves a complete-looking output.
//! - [`backoff`]: [`Backoff`], the one retry policy (doubling waits, a cap, jitter).
//! - [`size`]: [`ByteSize`] parses `64MiB`, `1.5G`, `512k`; [`duration`]: [`HumanDuration`]
//!   parses `30s`, `5m`.
//! - [`error`]: one [`Error`] type whose messages name the input and the position, and
//!   whose variants map to the documented exit codes.
//! - [`picture`]: what the tools' SVG pictures embed (a grayscale PNG as a `data:` URL).
//! - [`progress`]: progress bars on stderr that hide themselves off a terminal or with `--quiet`.
//! - [`aws`] (the `s3` feature): the AWS configuration and async runtime every AWS client shares.
//! - [`cli`]: what every binary shares: the `main` wrapper (exit codes, broken pipes),
//!   printing a plan, and the `cat` verb.

#[cfg(feature = "s3")]
pub mod aws;
pub mod backoff;
pub mod cli;
pub mod duration;
pub mod error;
pub mod format;
pub mod manifest;
pub mod output;
pub mod picture;
pub mod plan;
pub mod progress;
pub mod size;
pub mod source;

pub use backoff::Backoff;
pub use duration::HumanDuration;
pub use error::{Error, Position, Result};
pub use format::Format;
pub use manifest::{
    ByteRange, Chunk, Kind, ManifestBuilder, ManifestReader, ManifestWriter, SourceRanges,
};
pub use output::AtomicFile;
pub use plan::{NoStats, Plan};
pub use size::ByteSize;
pub use source::{RangeBytes, Source};
