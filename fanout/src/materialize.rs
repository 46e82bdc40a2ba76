//! From a chunk's kind to the format crate that rebuilds it.

use std::io::Write;

use partition_core::{Chunk, Kind, Result};

/// Writes the chunk's bytes, as its tool's `cat` would.
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    match chunk.kind {
        Kind::Fastq | Kind::FastqGz => fastq_gz::write_chunk(chunk, output),
        Kind::Sra => sra::write_chunk(chunk, output),
        Kind::Fasta => fasta::write_chunk(chunk, output, None),
        Kind::Mpileup => mpileup_reduce::write_chunk(chunk, output),
        Kind::Cog => cog::write_chunk(chunk, output),
        Kind::Las => lidar::write_chunk(chunk, output),
    }
}
