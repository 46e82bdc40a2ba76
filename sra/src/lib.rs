//! Spot-range chunks of SRA runs.
//!
//! An SRA run is a table of *spots* (a spot holds one read, or both mates of a pair),
//! numbered from 1. sra-tools reads the run; chunkwise only decides which spots each worker
//! dumps, so a chunk is a spot range `[first, last]` and needs no byte ranges:
//! chunk *i* of *B* spots over *N* is `[i*B + 1, min((i+1)*B, N)]`, disjoint and covering
//! every spot once.
//!
//! - [`run`]: finding the run (a `.sra` file, a folder holding one, or an accession) and its
//!   spot count (`vdb-dump --info`, a runinfo CSV, or given).
//! - [`plan`](mod@plan): spot ranges of one or many runs as [`partition_core::Chunk`]s of
//!   kind `sra`.
//! - [`detail`]: what an `sra` chunk carries: its run and spot range.
//! - [`rebuild`]: `fastq-dump -N FIRST -X LAST`, checking that every spot came out.

pub mod detail;
pub mod plan;
pub mod rebuild;
pub mod run;

pub use detail::SraDetail;
pub use plan::{plan, Plan, PlanOptions, SpotChunking, SraStats};
pub use rebuild::write_chunk;

use partition_core::{Format, Kind};

/// The SRA format in the registry: spot ranges, dumped as FASTQ by `fastq-dump`.
pub const FORMAT: Format = Format {
    name: "sra",
    kinds: &[Kind::Sra],
    binary: "sra-split",
    suffix: ".fq",
    write_chunk,
};
