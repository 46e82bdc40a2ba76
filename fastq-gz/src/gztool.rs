//! Our checkpoint index written as a gztool index (`gztool -x` format, "gzipindX"), so that
//! gztool can extract from a file fastq-split indexed, by byte or by line.
//!
//! The layout, as gztool 1.5 writes it (big-endian, checked against gztool's own files):
//!
//! ```text
//! 8 zero bytes  "gzipindX"  line_format u32 = 0 (lines end with \n)  have u64  size u64 (= have)
//! per point: out u64  in u64  bits u32  window_length u32  window (zlib stream)
//!            line u64 (1-based number of the line holding byte `out`)
//! uncompressed_size u64  lines u64
//! ```
//!
//! A point is a raw-deflate resume point: `in` is the first whole byte, the `bits` high bits
//! of byte `in - 1` come first. A gzip member's start is therefore written as the point just
//! past its header, with an empty window, as gztool writes the start of a file.
//!
//! Read the other way ([`import`]), a gztool index with line numbers saves the indexing pass:
//! the line number at each point places the records of 4-line FASTQ (a record starts every
//! fourth line), and a short decode from the point finds where the first one starts. It holds
//! no CRC32s, so chunks planned from it carry none.

use std::io::{Read, Write};

use flate2::Compression;
use partition_core::{ByteRange, Error, Result, Source};

use crate::gzip::{header_length, Decoder, NoObserver, Resume, WINDOW};
use crate::index::{decode_window, Checkpoint, Cursor, GzIndex, WindowDeflater};

/// The bytes of `index`, built over `source`, as a gztool index.
pub fn encode(index: &GzIndex, source: &Source) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(64 + index.checkpoints.len() * 3000);
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(b"gzipindX");
    bytes.extend_from_slice(&0u32.to_be_bytes());
    let points = index.checkpoints.len() as u64;
    bytes.extend_from_slice(&points.to_be_bytes());
    bytes.extend_from_slice(&points.to_be_bytes());
    for checkpoint in &index.checkpoints {
        let (in_byte, window) = if checkpoint.member_start {
            (
                checkpoint.in_byte + member_header_length(source, checkpoint.in_byte)?,
                Vec::new(),
            )
        } else {
            (
                checkpoint.in_byte,
                zlib(&decode_window(&checkpoint.window)?),
            )
        };
        bytes.extend_from_slice(&checkpoint.out.to_be_bytes());
        bytes.extend_from_slice(&in_byte.to_be_bytes());
        bytes.extend_from_slice(&u32::from(checkpoint.bits).to_be_bytes());
        bytes.extend_from_slice(&(window.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&window);
        bytes.extend_from_slice(&(checkpoint.lines + 1).to_be_bytes());
    }
    bytes.extend_from_slice(&index.uncompressed_size.to_be_bytes());
    bytes.extend_from_slice(&index.lines.to_be_bytes());
    Ok(bytes)
}

/// Whether `bytes` start like a gztool index.
pub fn is_gztool_index(bytes: &[u8]) -> bool {
    bytes.len() >= 16
        && bytes[..8] == [0; 8]
        && (&bytes[8..16] == b"gzipindx" || &bytes[8..16] == b"gzipindX")
}

/// A gztool index of `source` (`name` names it in errors), as checkpoints to plan from.
pub fn import(bytes: &[u8], name: &str, source: &Source) -> Result<GzIndex> {
    let bad = |message: String| Error::bad_file(name, message);
    if !is_gztool_index(bytes) {
        return Err(bad("not a gztool index (bad magic)".to_string()));
    }
    let mut cursor = Cursor::new(bytes, 16, name);
    if &bytes[8..16] == b"gzipindx" {
        return Err(bad(
            "a gztool index without line numbers (made without -x) cannot place \
             records: make it with gztool -x, or let fastq-split index the file"
                .to_string(),
        ));
    }
    if cursor.u32_be()? != 0 {
        return Err(bad(
            "the index counts lines by another end-of-line than \\n".to_string(),
        ));
    }
    let (have, size) = (cursor.u64_be()?, cursor.u64_be()?);
    // A point takes at least 32 bytes.
    if have != size || have == 0 || have > (bytes.len() / 32) as u64 {
        return Err(bad(format!(
            "an incomplete or damaged gztool index ({have} of {size} points)"
        )));
    }
    let mut points = Vec::with_capacity(have as usize);
    for _ in 0..have {
        let (out, in_byte, bits, length) = (
            cursor.u64_be()?,
            cursor.u64_be()?,
            cursor.u32_be()?,
            cursor.u32_be()?,
        );
        let window = if length == u32::MAX {
            cursor.bytes(WINDOW)?.to_vec()
        } else {
            let stored = cursor.bytes(length as usize)?;
            let mut window = Vec::new();
            if length > 0 {
                flate2::read::ZlibDecoder::new(stored)
                    .take(WINDOW as u64 + 1)
                    .read_to_end(&mut window)
                    .map_err(|e| {
                        bad(format!(
                            "point {}: window does not decode: {e}",
                            points.len()
                        ))
                    })?;
            }
            window
        };
        let line = cursor.u64_be()?;
        let ordered = points
            .last()
            .is_none_or(|previous: &(u64, u64, u8, Vec<u8>, u64)| {
                previous.0 < out && previous.1 < in_byte
            });
        if bits > 7
            || (bits > 0 && in_byte == 0)
            || window.len() > WINDOW
            || line == 0
            || in_byte > source.size()
            || !ordered
        {
            return Err(bad(format!("point {} is inconsistent", points.len())));
        }
        points.push((out, in_byte, bits as u8, window, line - 1));
    }
    let (uncompressed_size, lines) = (cursor.u64_be()?, cursor.u64_be()?);
    if let Some(at) = points
        .iter()
        .position(|point| point.0 > uncompressed_size || point.4 > lines)
    {
        return Err(bad(format!(
            "point {at} lies past the end of the data ({uncompressed_size} bytes, {lines} lines)"
        )));
    }
    if lines % 4 != 0 {
        return Err(bad(format!(
            "the file has {lines} lines, not a whole number of 4-line FASTQ records"
        )));
    }
    let mut checkpoints = Vec::with_capacity(points.len());
    let mut deflater = WindowDeflater::new();
    for (out, in_byte, bits, window, lines_before) in points {
        // Points after the last record start start no chunk.
        let Some((first_out, record, tail_in)) =
            first_record(source, in_byte, bits, out, &window, lines_before)?
        else {
            break;
        };
        checkpoints.push(Checkpoint {
            in_byte,
            bits,
            member_start: false,
            out,
            lines: lines_before,
            first_out,
            record,
            tail_in,
            first_crc: 0,
            window: deflater.compress(&window),
        });
    }
    Ok(GzIndex {
        span: 0,
        compressed_size: source.size(),
        uncompressed_size,
        records: lines / 4,
        lines,
        crc32: 0,
        crcs_known: false,
        checkpoints,
    })
}

/// Where the first record after a point starts (its offset and number), and how many
/// compressed bytes decode through it: the first line start after `out` whose line number is
/// a multiple of 4, which must start with '@'. `None` when no record starts after the point.
fn first_record(
    source: &Source,
    in_byte: u64,
    bits: u8,
    out: u64,
    window: &[u8],
    lines_before: u64,
) -> Result<Option<(u64, u64, u64)>> {
    let start = if bits > 0 { in_byte - 1 } else { in_byte };
    let at = Resume::Block {
        in_byte,
        bits,
        out,
        window,
    };
    let input = source.range_reader(ByteRange::new(start, source.size()))?;
    let mut decoder = Decoder::resume(input, source.url(), at, NoObserver)
        .map_err(|e| Error::io(source.url(), e))?;
    // The line at `out` counts as a new one only at the file's start: elsewhere it may be a
    // line's middle, so the next line start is looked for.
    let mut line = if out == 0 {
        lines_before
    } else {
        lines_before + 1
    };
    let mut offset = out;
    let mut pending_newline = out != 0;
    let mut byte = [0u8];
    loop {
        if !pending_newline && line % 4 == 0 {
            let read = decoder
                .read(&mut byte)
                .map_err(|e| Error::io(source.url(), e))?;
            if read == 0 {
                return Ok(None);
            }
            if byte[0] == b'@' {
                return Ok(Some((offset, line / 4, decoder.in_offset())));
            }
            return Err(Error::bad_file(
                source.url(),
                format!(
                    "uncompressed byte {offset}: line {} does not start a FASTQ record: the gztool index needs 4-line records",
                    line + 1
                ),
            ));
        }
        let read = decoder
            .read(&mut byte)
            .map_err(|e| Error::io(source.url(), e))?;
        if read == 0 {
            return Ok(None);
        }
        offset = offset.checked_add(1).ok_or_else(|| {
            Error::bad_file(source.url(), "the index's offsets overflow".to_string())
        })?;
        if byte[0] == b'\n' {
            if pending_newline {
                pending_newline = false;
            } else {
                line += 1;
            }
        }
    }
}

/// The length of the gzip member header at `at` in `source`.
fn member_header_length(source: &Source, at: u64) -> Result<u64> {
    // Headers are short, but a file name or comment has no length limit.
    let mut want = 1 << 12;
    loop {
        let end = (at + want).min(source.size());
        let head = source.read_range(ByteRange::new(at, end))?;
        match header_length(&head) {
            Ok(Some(length)) => return Ok(length as u64),
            Ok(None) if end < source.size() => want *= 16,
            Ok(None) => {
                return Err(Error::bad_file(
                    source.url(),
                    format!("the gzip header at byte {at} runs to the end of the file"),
                ))
            }
            Err(message) => {
                return Err(Error::bad_file(
                    source.url(),
                    format!("byte {at}: {message} (the index does not match the file)"),
                ))
            }
        }
    }
}

/// A window as gztool stores it: a zlib stream.
fn zlib(window: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), Compression::new(6));
    encoder.write_all(window).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;

    /// A point as read back: out, in, bits, window (inflated), line.
    type Point = (u64, u64, u32, Vec<u8>, u64);

    /// Illumina-like reads of random bases and qualities (some quality lines start with
    /// '@'), gzipped into a file in `dir`, and that file's index at `span`.
    fn indexed_reads(
        dir: &std::path::Path,
        records: usize,
        span: u64,
    ) -> (Vec<u8>, Source, GzIndex) {
        let text = test_support::Reads::new(records)
            .name("r")
            .length(30..=70)
            .bytes();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
        encoder.write_all(&text).unwrap();
        let path = dir.join("r.fq.gz");
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        let index = crate::index::build(&source, span, 1, true).unwrap();
        (text, source, index)
    }

    /// Reads back what [`encode`] wrote, the way gztool's layout says: the points, the size
    /// and the line count.
    fn points(bytes: &[u8]) -> (Vec<Point>, u64, u64) {
        assert_eq!(&bytes[..16], b"\0\0\0\0\0\0\0\0gzipindX");
        let u64_at = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap());
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(u32_at(16), 0);
        let have = u64_at(20);
        assert_eq!(u64_at(28), have);
        let mut at = 36;
        let mut points = Vec::new();
        for _ in 0..have {
            let (out, in_byte, bits, length) = (
                u64_at(at),
                u64_at(at + 8),
                u32_at(at + 16),
                u32_at(at + 20) as usize,
            );
            at += 24;
            let mut window = Vec::new();
            if length > 0 {
                flate2::read::ZlibDecoder::new(&bytes[at..at + length])
                    .read_to_end(&mut window)
                    .unwrap();
            }
            at += length;
            points.push((out, in_byte, bits, window, u64_at(at)));
            at += 8;
        }
        assert_eq!(at + 16, bytes.len());
        (points, u64_at(at), u64_at(at + 8))
    }

    #[test]
    fn an_imported_index_places_records_and_plans_chunks_that_rebuild_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (text, source, built) = indexed_reads(dir.path(), 6000, 1 << 13);
        let url = source.url().to_string();
        let gzi = encode(&built, &source).unwrap();
        assert!(is_gztool_index(&gzi));

        let imported = import(&gzi, "r.gzi", &source).unwrap();
        assert_eq!((imported.records, imported.lines), (6000, 24000));
        assert!(!imported.crcs_known);
        assert!(
            imported.checkpoints.len() > 5,
            "{} of {}",
            imported.checkpoints.len(),
            built.checkpoints.len()
        );
        for checkpoint in &imported.checkpoints {
            let at = checkpoint.first_out as usize;
            let lines = text[..at].iter().filter(|&&b| b == b'\n').count() as u64;
            assert!(at >= checkpoint.out as usize && text[at] == b'@');
            assert!(at == 0 || text[at - 1] == b'\n');
            assert_eq!((lines % 4, lines / 4), (0, checkpoint.record));
        }

        let index_path = dir.path().join("r.gzi");
        std::fs::write(&index_path, &gzi).unwrap();
        let options = crate::PlanOptions {
            index: Some(index_path.to_str().unwrap().to_string()),
            ..crate::PlanOptions::new(crate::Chunking::Count(5))
        };
        let chunks = crate::plan(&[url], &options).unwrap().chunks;
        assert_eq!(chunks.len(), 5);
        let mut rebuilt = Vec::new();
        for chunk in &chunks {
            crate::write_chunk(chunk, &mut rebuilt).unwrap();
        }
        assert!(rebuilt == text);

        let mut damaged = gzi.clone();
        damaged.truncate(gzi.len() - 20);
        let error = import(&damaged, "r.gzi", &source).unwrap_err().to_string();
        assert!(
            error.starts_with("r.gzi: ") && error.contains("ends early"),
            "{error}"
        );
    }

    #[test]
    fn points_carry_offsets_windows_and_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let (text, source, index) = indexed_reads(dir.path(), 4000, 1 << 14);
        let bytes = encode(&index, &source).unwrap();

        let (points, size, lines) = points(&bytes);
        assert_eq!((size, lines), (text.len() as u64, 16000));
        assert_eq!(points.len(), index.checkpoints.len());
        // The file's start: past the 10-byte header, no window, line 1.
        assert_eq!(points[0], (0, 10, 0, Vec::new(), 1));
        for (out, _, _, window, line) in &points[1..] {
            let out = *out as usize;
            let newlines = text[..out].iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(*line, newlines + 1);
            // Sparse windows: every byte is the text's or a zero that nothing copies.
            let before = &text[out - window.len()..out];
            assert!(window.iter().zip(before).all(|(&w, &t)| w == t || w == 0));
        }
    }
}
