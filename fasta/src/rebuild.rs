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
    let mut wrapped = Rewrap::new(1 << 20);
    for (layout, &range) in detail.parts.iter().zip(&planned.ranges) {
        let part = &layout.part;
        let width = line_width.unwrap_or(layout.line_bases).max(1) as usize;
        writeln!(output, ">{}", part.id).map_err(write_error)?;
        let mut reader = source.range_reader(range)?;
        wrapped.start(width);
        loop {
            let n = reader
                .read(&mut buffer)
                .map_err(|e| Error::io(&planned.url, e))?;
            if n == 0 {
                break;
            }
            wrapped.push(&buffer[..n], output).map_err(write_error)?;
        }
        let bases = wrapped.finish(output).map_err(write_error)?;
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

/// Re-wraps a sequence's bytes into lines of `width` bases. Source lines are found with memchr
/// and copied as slices (a line ending, `\r\n` included, is dropped), so a sequence costs a
/// few copies per line instead of work per byte; a line holding anything but printable
/// non-space bytes (the bases, as samtools counts them) is filtered byte by byte instead.
struct Rewrap {
    out: Vec<u8>,
    capacity: usize,
    width: usize,
    /// Bases in the current output line.
    column: usize,
    bases: u64,
}

impl Rewrap {
    fn new(capacity: usize) -> Rewrap {
        Rewrap {
            out: Vec::with_capacity(capacity + 4096),
            capacity,
            width: 1,
            column: 0,
            bases: 0,
        }
    }

    fn start(&mut self, width: usize) {
        self.width = width;
        self.column = 0;
        self.bases = 0;
    }

    fn push(&mut self, bytes: &[u8], output: &mut dyn Write) -> std::io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = &rest[..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if all_bases(line) {
                self.bases_in(line);
            } else {
                for &byte in line.iter().filter(|byte| byte.is_ascii_graphic()) {
                    self.bases_in(&[byte]);
                }
            }
            rest = &rest[(end + 1).min(rest.len())..];
            if self.out.len() >= self.capacity {
                output.write_all(&self.out)?;
                self.out.clear();
            }
        }
        Ok(())
    }

    fn bases_in(&mut self, mut bases: &[u8]) {
        self.bases += bases.len() as u64;
        while !bases.is_empty() {
            let take = (self.width - self.column).min(bases.len());
            self.out.extend_from_slice(&bases[..take]);
            self.column += take;
            if self.column == self.width {
                self.out.push(b'\n');
                self.column = 0;
            }
            bases = &bases[take..];
        }
    }

    /// Ends the sequence's last line and writes what is held; returns its bases.
    fn finish(&mut self, output: &mut dyn Write) -> std::io::Result<u64> {
        if self.column > 0 {
            self.out.push(b'\n');
            self.column = 0;
        }
        output.write_all(&self.out)?;
        self.out.clear();
        Ok(self.bases)
    }
}

/// Whether every byte is printable and not a space (`is_ascii_graphic`), in a form the compiler
/// vectorizes: no early exit inside each 64-byte block.
fn all_bases(line: &[u8]) -> bool {
    line.chunks(64).all(|block| {
        block.iter().fold(0u8, |bad, &byte| {
            bad | u8::from(byte.wrapping_sub(0x21) > 0x5d)
        }) == 0
    })
}

#[cfg(test)]
mod tests {
    use super::{all_bases, Rewrap};

    #[test]
    fn bases_are_the_graphic_bytes() {
        for byte in 0..=255u8 {
            assert_eq!(
                all_bases(&[b'A', byte, b'C']),
                byte.is_ascii_graphic(),
                "{byte}"
            );
        }
        assert!(all_bases(&[b'N'; 200]));
    }

    fn rewrap(pieces: &[&[u8]], width: usize) -> (String, u64) {
        let mut wrapped = Rewrap::new(8);
        let mut out = Vec::new();
        wrapped.start(width);
        for piece in pieces {
            wrapped.push(piece, &mut out).unwrap();
        }
        let bases = wrapped.finish(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), bases)
    }

    #[test]
    fn lines_are_rewrapped_across_reads_and_line_endings() {
        assert_eq!(
            rewrap(&[b"ACGTA\nCGTAC\nGT\n"], 5),
            ("ACGTA\nCGTAC\nGT\n".into(), 12)
        );
        // Mid-line start, CRLF split between reads, another width.
        assert_eq!(
            rewrap(&[b"GTA\r", b"\nCGTAC\r\nG"], 4),
            ("GTAC\nGTAC\nG\n".into(), 9)
        );
        // Spaces and tabs are not bases (as samtools); an exact multiple ends its line once.
        assert_eq!(rewrap(&[b"AC GT\tAC\n"], 3), ("ACG\nTAC\n".into(), 6));
        assert_eq!(rewrap(&[b""], 3), (String::new(), 0));
    }
}
