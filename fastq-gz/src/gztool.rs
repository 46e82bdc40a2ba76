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

use std::io::Write;

use flate2::Compression;
use partition_core::{ByteRange, Error, Result, Source};

use crate::gzip::header_length;
use crate::index::{decode_window, GzIndex};

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
    use std::io::Read;

    /// A point as read back: out, in, bits, window (inflated), line.
    type Point = (u64, u64, u32, Vec<u8>, u64);

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
    fn points_carry_offsets_windows_and_line_numbers() {
        let text: Vec<u8> = (0..4000)
            .flat_map(|i| {
                let length = 8 + i % 13;
                format!(
                    "@r{i}\n{}\n+\n{}\n",
                    &"ACGT".repeat(6)[..length],
                    "I".repeat(length)
                )
                .into_bytes()
            })
            .collect();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
        encoder.write_all(&text).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.fq.gz");
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        let index = crate::index::build(&source, 1 << 14, true).unwrap();
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
