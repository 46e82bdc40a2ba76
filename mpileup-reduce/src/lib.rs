//! Exact merges of partial `samtools mpileup` outputs.
//!
//! A pileup line is a position and, per sample, what the reads show there:
//!
//! ```text
//! CHROM  POS  REF  DEPTH BASES QUALS  [DEPTH BASES QUALS ...]
//! 17     2    N    5     AAAAA JBJGJ  3     AAA   JLJ
//! ```
//!
//! When the reads are split into chunks and each chunk is piled up on its own (per reference
//! part too), the pileup of the whole is recovered position by position: depths add up, and
//! the bases and qualities of the partials with reads there are concatenated. The crate:
//!
//! - [`line`](mod@line): a pileup line's fields, checked token by token (`^`/`$` marks, indels).
//! - [`order`]: the order of positions (a `.fai`, a name map, or order of appearance) and,
//!   with a [`fasta::NameMap`], part coordinates rewritten to the original ones, positions a
//!   part does not own dropped.
//! - [`merge`](mod@merge): the streaming k-way merge; memory bounded by the number of inputs.
//! - [`plan`](mod@plan): position ranges of about equal work for N reducers, from sampled
//!   line offsets.
//! - [`detail`]: what an `mpileup` chunk carries: its range and how its inputs are read.
//! - [`rebuild`]: a reducer's chunk (its byte ranges of every input) merged.

pub mod detail;
pub mod line;
pub mod merge;
pub mod order;
pub mod plan;
pub mod rebuild;

pub use detail::MpileupDetail;
pub use merge::{merge, Columns, MergeOptions};
pub use plan::{plan, MpileupStats, Plan, PlanOptions, Setup};
pub use rebuild::write_chunk;

use partition_core::{Format, Kind};

/// Partial pileups in the registry: a reducer's position range, rebuilt merged.
pub const FORMAT: Format = Format {
    name: "mpileup",
    kinds: &[Kind::Mpileup],
    binary: "mpileup-reduce",
    suffix: ".pileup",
    write_chunk,
};
