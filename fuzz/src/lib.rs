//! What the fuzz targets share: small valid inputs of every format (the fixtures that
//! manifest lines are rebuilt against, and the seeds' raw material, from the workspace's
//! `test-support` generators), and scratch files for parsers that read through
//! `partition_core::Source`.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to this process's scratch file `name` and returns its path.
pub fn scratch(name: &str, bytes: &[u8]) -> String {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("scratch file written");
    path.to_string_lossy().into_owned()
}

fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chunkwise-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory created");
        dir
    })
}

pub use test_support::{fasta, fastq, gzip, gzip_flushed, las, pileup, Rng};

/// A tiled, Deflate-compressed GeoTIFF made by GDAL (see `make-seeds`).
pub const TIFF: &[u8] = include_bytes!("../corpus/tiff_file/deflate-pred2.tif");

/// Files that manifest lines are rebuilt against, one per kind.
pub struct Fixtures {
    pub fastq: String,
    pub fastq_gz: String,
    pub fasta: String,
    pub pileup: String,
    pub las: String,
    pub tiff: String,
}

pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let reads = fastq(300, 1);
        Fixtures {
            fastq: scratch("reads.fq", &reads),
            fastq_gz: scratch("reads.fq.gz", &gzip(&reads, 2)),
            fasta: scratch("ref.fa", &fasta(1)),
            pileup: scratch("part.pileup", &pileup(&["1", "2"], 1, 200, 1)),
            las: scratch("points.las", &las(6, false, 500)),
            tiff: scratch("image.tif", TIFF),
        }
    })
}
