//! What a format crate tells the rest of the toolkit about itself.
//!
//! Each format crate exports one [`Format`] (`fastq_gz::FORMAT`, `fasta::FORMAT`, ...): the
//! manifest kinds it plans, its binary, the file suffix of a rebuilt chunk, and the function
//! that rebuilds a chunk. The `formats` crate lists them all, once; `fanout`, the Lambda and
//! Slurm workers and the fuzz targets find a chunk's format there, and each binary's `cat`
//! takes its kinds and suffix from its own crate's `FORMAT`.

use std::fmt;
use std::io::Write;

use crate::{Chunk, Kind, Result};

/// One format: its kinds, its tool, and how to rebuild one of its chunks.
pub struct Format {
    /// The format's short name, as its Cargo feature in the `formats` crate is named.
    pub name: &'static str,
    /// The manifest kinds this format plans and rebuilds.
    pub kinds: &'static [Kind],
    /// The binary that plans and rebuilds it.
    pub binary: &'static str,
    /// The suffix of a rebuilt chunk's file (`cat --out-dir`, `fanout --out-dir`).
    pub suffix: &'static str,
    /// Rebuilds a chunk's bytes from its manifest line alone, as `<binary> cat` does.
    pub write_chunk: fn(&Chunk, &mut dyn Write) -> Result<()>,
}

impl Format {
    /// Rebuilds `chunk` into `output` (see [`Format::write_chunk`]).
    pub fn write_chunk(&self, chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
        (self.write_chunk)(chunk, output)
    }
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Format")
            .field("name", &self.name)
            .field("kinds", &self.kinds)
            .field("binary", &self.binary)
            .field("suffix", &self.suffix)
            .finish_non_exhaustive()
    }
}
