//! Record-aligned chunks of FASTQ files.
//!
//! A FASTQ record is a header line, one or more sequence lines, a `+` line, and quality
//! lines holding as many characters as the sequence:
//!
//! ```text
//! @read1 1:N:0:ATCACG      <- header, starts with '@'
//! GATTTGGGGTTCAAAGCAGT     <- sequence (may wrap over several lines)
//! +                        <- separator
//! !''*((((***+))%%%++)     <- quality, same length; may itself start with '@'
//! ```
//!
//! Because a quality line may start with `@`, a chunk edge can never be found by looking for
//! `@`: [`record::RecordReader`] parses records from the start of the file and knows where
//! each one begins. The crate is organised by what happens to the data:
//!
//! - [`record`]: reading records with their byte positions, validating as it goes.
//! - [`plan`](mod@plan): one pass over the input(s) cuts them into chunks at record starts and
//!   writes [`partition_core::Chunk`]s of kind `fastq` (`fastq-gz` for gzip); paired files are
//!   cut in step, so chunk *i* of R1 and chunk *i* of R2 hold the same reads.
//! - [`detail`]: what those chunks carry beyond byte ranges ([`FastqDetail`], [`GzDetail`]).
//! - [`rebuild`]: rebuilds a chunk's bytes from its manifest line alone, checking the
//!   record count and the CRC32s it promised (paired chunks interleaved, or each mate apart).
//! - [`gzip`]: gzip decoding that stops at deflate block boundaries and resumes from them;
//!   a block finder and a decoder with the window unknown, for decoding on many cores.
//! - [`index`]: the checkpoint index of a gzip FASTQ (`.cwi`), built in one streaming pass,
//!   or across workers ([`index::parts`]: chunks of kind `gzip-range`).
//! - [`gztool`]: that index written in gztool's format, for users who extract with gztool.
//! - [`checksum`]: chunk CRC32s from the CRC32s of the stream before each of their ends.
//! - `json`: byte strings as base64 in the JSON that workers pass on.

pub mod checksum;
pub mod detail;
pub mod gzip;
pub mod gztool;
pub mod index;
mod json;
pub mod plan;
pub mod rebuild;
pub mod record;

pub use detail::{FastqDetail, GzDetail, GzResume};
pub use plan::{plan, Chunking, Layout, Plan, PlanOptions};
pub use rebuild::{write_chunk, write_mates};

use partition_core::{Format, Kind};

/// The FASTQ format in the registry: plain and gzip chunks, rebuilt as FASTQ (paired chunks
/// interleaved).
pub const FORMAT: Format = Format {
    name: "fastq",
    kinds: &[Kind::Fastq, Kind::FastqGz, Kind::GzipRange],
    binary: "fastq-split",
    suffix: ".fq",
    write_chunk,
};
