//! The index built across workers (Lambda functions, Slurm tasks): each decodes one part of
//! the compressed file, and quick sequential joins put the parts together into the `.cwi` a
//! single pass gives, checkpoint for checkpoint.
//!
//! A part is a compressed byte range, a chunk of kind `gzip-range` ([`plan`]), so `fanout`
//! runs the workers. It takes two rounds, because a checkpoint stores the true 32 KiB window
//! before it, which a part learns only once every part before it has been decoded:
//!
//! 1. **scan** ([`scan()`]): a worker finds where a deflate block (or member) starts in its
//!    range, decodes from there with the window before it unknown ([`crate::gzip::range`]),
//!    and stops at the first block boundary at or past its range's end. It returns where it
//!    started and stopped, its output's length, the output offsets of the block boundaries it
//!    crossed, its member trailers, its last 32 KiB in marker form, and its line feeds (those
//!    decoded, and how often it copied each window position). It decodes in stretches of
//!    512 KiB, each with the last one's tail as its window, so its memory is bounded.
//! 2. **chain** ([`chain()`]): one pass over the scans, in order. A part counts only where
//!    the part before it stopped exactly at its start (a false block start, or a range with
//!    none, is decoded again here from where the chain stopped, its window known). Each
//!    part's window passes to the next by resolving only its tail; its line feeds resolve
//!    from its counts. The checkpoints fall where the one-pass rule puts them ("the first
//!    boundary a span past the last"), from the boundaries' output offsets alone.
//! 3. **build** ([`build_part`]): a worker decodes its part again from its true
//!    window, with the one-pass builder seeded where the part begins (the last checkpoint
//!    before it, its lines, its window): the same checkpoints, windows, lines and first
//!    records. Its first record is the first line that starts a record by the line count,
//!    four lines each: a part that meets another record shape says so, and the join falls
//!    back to one pass.
//! 4. **join** ([`join()`]): adds the parts' record counts and chains their CRC32s, checks
//!    that each part's first record is where the part before it saw its next one, and that
//!    every member's CRC32 and size match its trailer.
//!
//! The joined index equals the one-pass index but for `tail_in` (see [`crate::index`]: each
//! build takes it from where its decoder reported progress, and any value that suffices is
//! right). [`work`] keeps the rounds' files in one directory or `s3://` prefix, for
//! `fastq-split index-parts`; [`build_on_threads`] runs the same rounds on the threads of one
//! process, for `fastq-split index -j N`.

mod build;
mod chain;
mod join;
mod scan;
mod threads;
pub mod work;

pub use build::{build_part, PartIndex};
pub use chain::{chain, Chain, PartStart};
pub use join::join;
#[cfg(fuzzing)]
pub use scan::scan_in_stretches;
pub use scan::{scan, PartScan};
#[cfg(fuzzing)]
pub use threads::build_in_parts_of;
pub use threads::build_on_threads;

use partition_core::{
    ByteRange, Chunk, Error, Kind, ManifestBuilder, Result, Source, SourceRanges,
};
use serde::{Deserialize, Serialize};

use crate::gzip::range::Start;

/// A place in the compressed file where decoding can begin: a member's header, or a deflate
/// block inside a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    Member { byte: u64 },
    Block { bit: u64 },
}

impl Place {
    pub fn bit(self) -> u64 {
        match self {
            Place::Member { byte } => byte * 8,
            Place::Block { bit } => bit,
        }
    }

    /// The place `start` names in data that begins at file offset `base`.
    pub(crate) fn from_start(start: Start, base: u64) -> Place {
        match start {
            Start::Member(byte) => Place::Member {
                byte: base + byte as u64,
            },
            Start::Block(bit) => Place::Block {
                bit: base * 8 + bit as u64,
            },
        }
    }

    /// The same place in data that begins at file offset `base` (at or before it).
    pub(crate) fn to_start(self, base: u64) -> Start {
        match self {
            Place::Member { byte } => Start::Member((byte - base) as usize),
            Place::Block { bit } => Start::Block((bit - base * 8) as usize),
        }
    }
}

/// What a `gzip-range` chunk says beyond its byte range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartDetail {
    /// Output between checkpoints, as `fastq-split index --span`.
    pub span: u64,
}

/// One part of a planned build: its compressed range and the file's size.
#[derive(Debug, Clone)]
pub struct Part {
    pub seq: u64,
    pub url: String,
    pub range: ByteRange,
    pub size: u64,
    pub span: u64,
}

impl Part {
    /// The part a `gzip-range` chunk names.
    pub fn of_chunk(chunk: &Chunk) -> Result<Part> {
        chunk.expect_kind(&[Kind::GzipRange])?;
        let bad = |message: &str| Error::bad_file(format!("chunk {}", chunk.id), message);
        let [source] = &chunk.sources[..] else {
            return Err(bad("a gzip-range chunk reads one file"));
        };
        let [range] = source.ranges[..] else {
            return Err(bad("a gzip-range chunk reads one byte range"));
        };
        let size = source
            .size
            .ok_or_else(|| bad("a gzip-range chunk gives its file's size"))?;
        let detail: PartDetail = chunk.detail()?;
        Ok(Part {
            seq: chunk.seq,
            url: source.url.clone(),
            range,
            size,
            span: detail.span.max(1),
        })
    }
}

/// Cuts `source` into `parts` compressed ranges of about equal size, one `gzip-range` chunk
/// each (fewer for a file smaller than that many bytes).
pub fn plan(source: &Source, parts: u64, span: u64) -> Vec<Chunk> {
    let size = source.size();
    let parts = parts.clamp(1, size.max(1));
    let stem = format!("{}-part", crate::plan::stem(source.url()));
    let mut manifest = ManifestBuilder::new(Kind::GzipRange);
    for k in 0..parts {
        let range = ByteRange::new(size * k / parts, size * (k + 1) / parts);
        let sources = vec![SourceRanges {
            url: source.url().to_string(),
            size: Some(size),
            ranges: vec![range],
        }];
        manifest.push(&stem, sources, range.len(), PartDetail { span });
    }
    manifest.finish()
}

/// A `gzip-range` chunk's bytes: its compressed range, as it is.
pub fn write_range(chunk: &Chunk, output: &mut dyn std::io::Write) -> Result<()> {
    let part = Part::of_chunk(chunk)?;
    let source = Source::open(&part.url)?;
    source.expect_size(Some(part.size))?;
    let mut reader = source.range_reader(part.range)?;
    std::io::copy(&mut reader, output)
        .map(|_| ())
        .map_err(|e| Error::io(&part.url, e))
}
