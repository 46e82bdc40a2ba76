//! FASTA references: a samtools-exact `.fai`, balanced chunks of parts with overlap, short
//! names and a name map back to the original coordinates.
//!
//! A `.fai` line describes one sequence so that any base can be found without scanning:
//!
//! ```text
//! NAME  LENGTH  OFFSET  LINEBASES  LINEWIDTH
//! chrI  1000000 6       50         51
//! byte of 0-based base i = OFFSET + (i / LINEBASES) * LINEWIDTH + i % LINEBASES
//! ```
//!
//! - [`fai`]: the [`fai::Record`] type, [`fai::build()`] (samtools' counting rules, edge cases
//!   included), reading and writing `.fai` text.
//! - [`reference`](mod@reference): opening a reference: its size, its `.fai` (loaded when present and
//!   consistent, built otherwise), and refusing compressed input clearly.
//! - [`plan`](mod@plan): N chunks of about equal bases; a sequence crossing a chunk edge is
//!   split into parts sharing `overlap` bases, each renamed `<ordinal>_<part>` (`<ordinal>`
//!   when whole); the `.fai` kept and the name map written.
//! - [`detail`]: what a `fasta` chunk carries: its parts and their line layout.
//! - [`name_map`]: the [`name_map::NameMap`] TSV (part id -> original name and coordinates,
//!   and which part owns each base), for tools such as `mpileup-reduce`.
//! - [`rebuild`]: rebuilding a chunk as FASTA from its byte ranges alone.

pub mod detail;
pub mod fai;
pub mod name_map;
pub mod plan;
pub mod rebuild;
pub mod reference;

pub use detail::{FastaDetail, PartLayout};
pub use name_map::{NameMap, Part};
pub use plan::{plan, FastaStats, Plan, PlanOptions, DEFAULT_OVERLAP};
pub use rebuild::{write_chunk, write_chunk_with, CatOptions};

use partition_core::{Format, Kind};

/// The FASTA format in the registry: reference parts, rebuilt as FASTA.
pub const FORMAT: Format = Format {
    name: "fasta",
    kinds: &[Kind::Fasta],
    binary: "fasta-split",
    suffix: ".fa",
    write_chunk,
};
