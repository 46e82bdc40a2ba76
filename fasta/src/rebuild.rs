//! Rebuilding a `fasta` chunk: each part's byte range, its line breaks dropped, written under
//! the part's short id and re-wrapped.

use std::io::{Read, Write};

use partition_core::{Chunk, Error, Kind, Result, Source};

use crate::detail::FastaDetail;

/// What `cat` may change in how a chunk is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatOptions {
    /// Bases per output line (default: each part's source line width).
    pub line_width: Option<u64>,
}

/// Writes the chunk as FASTA, lines as wide as the source's.
/// Fails, naming the part, unless its range holds exactly the bases the plan promised.
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    write_chunk_with(chunk, &CatOptions::default(), output)
}

/// [`write_chunk`] with `cat`'s options.
pub fn write_chunk_with(chunk: &Chunk, options: &CatOptions, output: &mut dyn Write) -> Result<()> {
    let line_width = options.line_width;
    chunk.expect_kind(&[Kind::Fasta])?;
    let detail: FastaDetail = chunk.detail()?;
    let [planned] = &chunk.sources[..] else {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            "a fasta chunk reads one source",
        ));
    };
    if planned.ranges.len() != detail.parts.len() {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            format!(
                "{} ranges for {} parts",
                planned.ranges.len(),
                detail.parts.len()
            ),
        ));
    }
    let source = Source::open(&planned.url)?;
    source.expect_size(planned.size)?;
    let write_error = partition_core::cli::output_error;
    let mut buffer = vec![0u8; 1 << 20];
    let mut line = Vec::with_capacity(256);
    for (layout, &range) in detail.parts.iter().zip(&planned.ranges) {
        let part = &layout.part;
        let width = line_width.unwrap_or(layout.line_bases).max(1) as usize;
        writeln!(output, ">{}", part.id).map_err(write_error)?;
        let mut reader = source.range_reader(range)?;
        let mut bases = 0u64;
        loop {
            let n = reader
                .read(&mut buffer)
                .map_err(|e| Error::io(&planned.url, e))?;
            if n == 0 {
                break;
            }
            for &byte in &buffer[..n] {
                // As samtools: every printable non-space byte is a base.
                if byte.is_ascii_graphic() {
                    line.push(byte);
                    if line.len() == width {
                        line.push(b'\n');
                        output.write_all(&line).map_err(write_error)?;
                        bases += width as u64;
                        line.clear();
                    }
                }
            }
        }
        if !line.is_empty() {
            bases += line.len() as u64;
            line.push(b'\n');
            output.write_all(&line).map_err(write_error)?;
            line.clear();
        }
        if bases != part.len() {
            return Err(Error::bad_file(
                &planned.url,
                format!(
                    "{range} holds {bases} bases, part {} ({}:{}-{}) needs {}: the file does not match its index",
                    part.id,
                    part.orig_name,
                    part.start,
                    part.end,
                    part.len()
                ),
            ));
        }
    }
    Ok(())
}
