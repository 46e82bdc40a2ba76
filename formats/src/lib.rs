//! The registry of chunkwise formats.
//!
//! A manifest line names its `kind`; this crate says which format rebuilds it. Each format
//! crate describes itself once, as a [`Format`] (`fastq_gz::FORMAT`, `fasta::FORMAT`, ...:
//! its kinds, its binary, the suffix of a rebuilt chunk, its `write_chunk`), and [`ALL`] lists
//! those this build has. `fanout` (locally, in its Lambda worker and in its Slurm tasks) and
//! the fuzz targets rebuild chunks through [`write_chunk`] and nothing else.
//!
//! Each format is a Cargo feature (`fastq`, `fasta`, `sra`, `las`, `cog`, `mpileup`; all on by
//! default), so that a worker can be built with only the formats it runs:
//!
//! ```text
//! cargo build --profile lambda -p fanout --no-default-features --features fastq --bin fanout-lambda-worker
//! ```
//!
//! Adding a format: see "Adding a format" in ARCHITECTURE.md; here, one feature in
//! `Cargo.toml` and one line in [`ALL`].

use std::io::Write;

pub use partition_core::Format;
use partition_core::{Chunk, Error, Kind, Result};

/// Every format this build has, in the order of [`Kind::ALL`].
pub const ALL: &[&Format] = &[
    #[cfg(feature = "fastq")]
    &fastq_gz::FORMAT,
    #[cfg(feature = "fasta")]
    &fasta::FORMAT,
    #[cfg(feature = "sra")]
    &sra::FORMAT,
    #[cfg(feature = "las")]
    &lidar::FORMAT,
    #[cfg(feature = "cog")]
    &cog::FORMAT,
    #[cfg(feature = "mpileup")]
    &mpileup_reduce::FORMAT,
];

/// The format that rebuilds `kind`, or `None` when this build was made without it.
pub fn of_kind(kind: Kind) -> Option<&'static Format> {
    ALL.iter()
        .copied()
        .find(|format| format.kinds.contains(&kind))
}

/// Rebuilds a chunk's bytes, as its tool's `cat` would; a kind this build was made without is
/// refused by name (exit 2), never misread.
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    match of_kind(chunk.kind) {
        Some(format) => format.write_chunk(chunk, output),
        None => {
            let built: Vec<&str> = ALL.iter().map(|format| format.name).collect();
            Err(Error::Usage(format!(
                "chunk {}: kind {} is not in this build (formats built in: {}); rebuild with \
                 its Cargo feature",
                chunk.id,
                chunk.kind,
                if built.is_empty() {
                    "none".to_string()
                } else {
                    built.join(", ")
                }
            )))
        }
    }
}

#[cfg(all(
    test,
    feature = "fastq",
    feature = "fasta",
    feature = "sra",
    feature = "las",
    feature = "cog",
    feature = "mpileup"
))]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_format() {
        for kind in Kind::ALL {
            let formats: Vec<&str> = ALL
                .iter()
                .filter(|format| format.kinds.contains(&kind))
                .map(|format| format.name)
                .collect();
            assert_eq!(formats.len(), 1, "{kind}: {formats:?}");
        }
    }

    #[test]
    fn names_binaries_and_suffixes_are_distinct_and_well_formed() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(a.suffix.starts_with('.') && !a.kinds.is_empty(), "{a:?}");
            for b in &ALL[i + 1..] {
                assert!(a.name != b.name && a.binary != b.binary, "{a:?} {b:?}");
            }
        }
    }
}

/// A worker built without a format refuses its chunks by name (CI builds one with `fastq`
/// alone: `cargo test -p formats --no-default-features --features fastq`).
#[cfg(all(test, feature = "fastq", not(feature = "las")))]
mod subset_tests {
    use super::*;

    #[test]
    fn a_kind_left_out_is_refused_by_name() {
        let mut manifest = partition_core::ManifestBuilder::new(Kind::Las);
        let source = partition_core::SourceRanges {
            url: "tile.las".into(),
            size: None,
            ranges: vec![],
        };
        manifest.push("tile", vec![source], 0, ());
        let chunk = &manifest.finish()[0];
        let error = write_chunk(chunk, &mut std::io::sink()).unwrap_err();
        assert_eq!(error.exit_code(), partition_core::error::exit::USAGE);
        let message = error.to_string();
        assert!(
            message.contains("kind las is not in this build") && message.contains("fastq"),
            "{message}"
        );
        assert!(of_kind(Kind::FastqGz).is_some());
    }
}
