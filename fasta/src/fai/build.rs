//! Building a `.fai` index from the FASTA.
//!
//! [`build`] follows the rules of htslib's indexer (samtools 1.16), so that the index is
//! byte-identical to `samtools faidx` on every input samtools accepts and fails where
//! samtools fails:
//! - NAME is the header text after `>` up to the first whitespace; whitespace right after `>`
//!   is skipped; `>` alone gives an empty name; a NUL ends the name, as in samtools' output.
//!   A name that is not UTF-8 is an error (samtools takes it; manifests, being JSON, cannot).
//! - Only printable, non-space bytes count as bases; LINEWIDTH counts every byte of the first
//!   sequence line including its line ending (CRLF: bases + 2; a last line without newline
//!   counts one for it).
//! - A line shorter (in bytes) than the first ends the sequence; a sequence line after it, or a
//!   longer line, is an error. A blank line ends the sequence; blank lines between records are
//!   fine.
//! - A duplicate name is a warning and the first one is kept; a header with no sequence
//!   before the next header is left out; a last record with no sequence is an error.

use std::collections::HashSet;
use std::io::Read;

use partition_core::{Error, Position, Result};

use super::Record;

/// An index and what samtools would have warned about while building it.
#[derive(Debug, Default)]
pub struct Built {
    pub records: Vec<Record>,
    pub warnings: Vec<String>,
}

enum State {
    /// At the start of a line outside a sequence.
    Between,
    /// Inside a sequence's lines.
    Sequence,
}

/// The record being read.
struct Current {
    name: String,
    header_line: u64,
    length: u64,
    offset: u64,
    line_bases: u64,
    line_width: u64,
    has_sequence: bool,
}

/// Indexes a FASTA stream; `input_name` names it in errors.
pub fn build(mut input: impl Read, input_name: &str) -> Result<Built> {
    let mut indexer = Indexer::new(input_name);
    // Lines are handed over in place; only a line cut by the end of a read is copied.
    let mut buffer = vec![0u8; 1 << 20];
    let mut carry = Vec::new();
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::io(input_name, error)),
        };
        let data = &buffer[..n];
        let mut line_start = 0;
        if !carry.is_empty() {
            let Some(newline) = memchr::memchr(b'\n', data) else {
                carry.extend_from_slice(data);
                continue;
            };
            carry.extend_from_slice(&data[..=newline]);
            indexer.line(&carry)?;
            carry.clear();
            line_start = newline + 1;
        }
        while line_start < data.len() {
            line_start += indexer.full_lines(&data[line_start..]);
            let Some(newline) = memchr::memchr(b'\n', &data[line_start..]) else {
                break;
            };
            let line_end = line_start + newline + 1;
            indexer.line(&data[line_start..line_end])?;
            line_start = line_end;
        }
        carry.extend_from_slice(&data[line_start..]);
    }
    if !carry.is_empty() {
        indexer.line(&carry)?;
    }
    indexer.finish()
}

/// samtools' indexing state machine, fed one line at a time.
struct Indexer<'a> {
    input_name: &'a str,
    built: Built,
    seen: HashSet<String>,
    state: State,
    current: Option<Current>,
    offset: u64,
    line_number: u64,
}

impl<'a> Indexer<'a> {
    fn new(input_name: &'a str) -> Self {
        Indexer {
            input_name,
            built: Built::default(),
            seen: HashSet::new(),
            state: State::Between,
            current: None,
            offset: 0,
            line_number: 0,
        }
    }

    fn error(&self, line_number: u64, offset: u64, message: String) -> Error {
        Error::bad_input(
            self.input_name,
            Position::LineAtByte(line_number, offset),
            message,
        )
    }

    /// The fast path through the body of a sequence: consumes the run of whole lines at the
    /// start of `data` that are exactly as wide as the sequence's first line (so they change
    /// no state), counting their bases in bulk. Returns the bytes consumed.
    fn full_lines(&mut self, data: &[u8]) -> usize {
        let (State::Sequence, Some(record)) = (&self.state, &mut self.current) else {
            return 0;
        };
        let width = record.line_width as usize;
        if width < 2 {
            return 0;
        }
        let mut lines = 0;
        while (lines + 1) * width <= data.len() {
            let line = &data[lines * width..(lines + 1) * width];
            if line[width - 1] != b'\n' || line[0] == b'>' {
                break;
            }
            lines += 1;
        }
        let run = &data[..lines * width];
        let (newlines, bases) = count_newlines_and_bases(run);
        // A line with a newline inside it is shorter than the first: leave it to `line`.
        if newlines != lines as u64 {
            return 0;
        }
        record.length += bases;
        self.offset += run.len() as u64;
        self.line_number += lines as u64;
        run.len()
    }

    /// One line, with its `\n` unless it is the last line of a file without a final newline.
    fn line(&mut self, line: &[u8]) -> Result<()> {
        self.line_number += 1;
        let line_start = self.offset;
        self.offset += line.len() as u64;
        let has_newline = line.last() == Some(&b'\n');

        if line[0] == b'>' {
            if let Some(done) = self.current.take() {
                finish(done, &mut self.built, &mut self.seen);
            }
            let name = header_name(&line[1..])
                .map_err(|message| self.error(self.line_number, line_start, message))?;
            if !has_newline {
                return Err(self.error(
                    self.line_number,
                    line_start,
                    format!("the last record '{name}' has no sequence"),
                ));
            }
            self.current = Some(Current {
                name,
                header_line: self.line_number,
                length: 0,
                offset: self.offset,
                line_bases: 0,
                line_width: 0,
                has_sequence: false,
            });
            self.state = State::Sequence;
            return Ok(());
        }

        match self.state {
            State::Between => match line {
                b"\n" | b"\r\n" => Ok(()),
                [b'@', ..] if self.current.is_none() => Err(self.error(
                    self.line_number,
                    line_start,
                    "this is FASTQ, not FASTA; fasta-split indexes FASTA only".to_string(),
                )),
                [b'\r', ..] => Err(self.error(
                    self.line_number,
                    line_start,
                    "carriage return not followed by a newline".to_string(),
                )),
                [first, ..] => {
                    let what = if first.is_ascii_graphic() || *first == b' ' {
                        format!("'{}'", *first as char)
                    } else {
                        format!("byte 0x{first:02x}")
                    };
                    let context = match &self.current {
                        Some(record) if record.has_sequence => format!(
                            " (sequence '{}' already ended with a shorter line or a blank line; \
                             all lines but the last must have the same length)",
                            record.name
                        ),
                        _ => String::new(),
                    };
                    Err(self.error(
                        self.line_number,
                        line_start,
                        format!("unexpected {what} at the start of a line{context}"),
                    ))
                }
                [] => unreachable!("lines are never empty"),
            },
            State::Sequence => {
                if line == b"\n" {
                    self.state = State::Between;
                    return Ok(());
                }
                let width = line.len() as u64 + u64::from(!has_newline);
                let bases = count_bases(line);
                let record = self
                    .current
                    .as_mut()
                    .expect("a sequence line follows a header");
                record.has_sequence = true;
                record.length += bases;
                if record.line_width == 0 {
                    record.line_width = width;
                    record.line_bases = bases;
                } else if width < record.line_width {
                    self.state = State::Between;
                } else if width > record.line_width {
                    let message = format!(
                        "different line length in sequence '{}': {width} bytes, the first line had {}",
                        record.name, record.line_width
                    );
                    return Err(self.error(self.line_number, line_start, message));
                }
                Ok(())
            }
        }
    }

    fn finish(mut self) -> Result<Built> {
        match self.current.take() {
            Some(record) if record.has_sequence => finish(record, &mut self.built, &mut self.seen),
            Some(record) => {
                return Err(self.error(
                    record.header_line,
                    record.offset,
                    format!("the last record '{}' has no sequence", record.name),
                ))
            }
            None => {
                return Err(Error::bad_file(
                    self.input_name,
                    "no FASTA records (an index needs at least one sequence)",
                ))
            }
        }
        Ok(self.built)
    }
}

/// Printable non-space bytes (C's `isgraph`).
fn count_bases(line: &[u8]) -> u64 {
    count_newlines_and_bases(line).1
}

/// Newlines and `isgraph` bytes in one pass, in 32 byte-wide lanes that the compiler turns
/// into SIMD (each lane counts at most 255 blocks before it is emptied into the totals).
fn count_newlines_and_bases(data: &[u8]) -> (u64, u64) {
    const LANES: usize = 32;
    let (mut newlines, mut bases) = (0u64, 0u64);
    let mut blocks = data.chunks_exact(LANES);
    loop {
        let (mut newline_lanes, mut base_lanes) = ([0u8; LANES], [0u8; LANES]);
        let mut taken = 0;
        for block in blocks.by_ref().take(255) {
            for lane in 0..LANES {
                newline_lanes[lane] += u8::from(block[lane] == b'\n');
                base_lanes[lane] += u8::from(block[lane].wrapping_sub(0x21) < 0x5e);
            }
            taken += 1;
        }
        newlines += newline_lanes.iter().map(|&n| u64::from(n)).sum::<u64>();
        bases += base_lanes.iter().map(|&n| u64::from(n)).sum::<u64>();
        if taken < 255 {
            break;
        }
    }
    for &byte in blocks.remainder() {
        newlines += u64::from(byte == b'\n');
        bases += u64::from(byte.wrapping_sub(0x21) < 0x5e);
    }
    (newlines, bases)
}

fn finish(record: Current, built: &mut Built, seen: &mut HashSet<String>) {
    if !record.has_sequence {
        return;
    }
    if !seen.insert(record.name.clone()) {
        built.warnings.push(format!(
            "ignoring duplicate sequence \"{}\" at byte offset {}",
            record.name, record.offset
        ));
        return;
    }
    built.records.push(Record {
        name: record.name,
        length: record.length,
        offset: record.offset,
        line_bases: record.line_bases,
        line_width: record.line_width,
    });
}

/// The text after `>` up to the first whitespace, leading whitespace skipped.
fn header_name(rest: &[u8]) -> Result<String, String> {
    let start = rest
        .iter()
        .position(|b| !is_c_space(*b) || *b == b'\n')
        .unwrap_or(rest.len());
    let rest = &rest[start..];
    // samtools prints the name as a C string: a NUL ends it.
    let end = rest
        .iter()
        .position(|b| is_c_space(*b) || *b == 0)
        .unwrap_or(rest.len());
    String::from_utf8(rest[..end].to_vec()).map_err(|_| {
        format!(
            "sequence name '{}' is not UTF-8 (manifests and name maps cannot carry it)",
            String::from_utf8_lossy(&rest[..end])
        )
    })
}

/// C's `isspace` in the C locale.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fai::write;

    fn fai(text: &str) -> Result<String> {
        let built = build(text.as_bytes(), "t.fa")?;
        let mut out = Vec::new();
        write(&built.records, &mut out).unwrap();
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn indexes_regular_and_wrapped_sequences() {
        assert_eq!(
            fai(">a desc\nACGT\nACGT\nAC\n>b\nAC\n").unwrap(),
            "a\t10\t8\t4\t5\nb\t2\t24\t2\t3\n"
        );
    }

    #[test]
    fn follows_samtools_on_edges() {
        // CRLF: width counts both bytes; no final newline counts one.
        assert_eq!(fai(">a\r\nACGT\r\nAC\r\n").unwrap(), "a\t6\t4\t4\t6\n");
        assert_eq!(fai(">a\nACGTA").unwrap(), "a\t5\t3\t5\t6\n");
        // Whitespace after '>' is skipped; '>' alone is an empty name.
        assert_eq!(
            fai(">  x y\nAC\n>\nGG\n").unwrap(),
            "x\t2\t7\t2\t3\n\t2\t12\t2\t3\n"
        );
        // Blank lines between records; lowercase and IUPAC count, spaces do not.
        assert_eq!(
            fai(">a\nacgN-\n\n\n>b\nA C*\n").unwrap(),
            "a\t5\t3\t5\t6\nb\t3\t14\t3\t5\n"
        );
        // A header with no sequence before the next one is left out.
        assert_eq!(fai(">empty\n>b\nAC\n").unwrap(), "b\t2\t10\t2\t3\n");
    }

    #[test]
    fn keeps_the_first_duplicate_with_a_warning() {
        let built = build(">a\nAC\n>a\nGGG\n".as_bytes(), "t.fa").unwrap();
        assert_eq!(built.records.len(), 1);
        assert_eq!(built.records[0].length, 2);
        assert_eq!(
            built.warnings,
            ["ignoring duplicate sequence \"a\" at byte offset 9"]
        );
    }

    #[test]
    fn fails_where_samtools_fails_and_says_where() {
        let error = fai(">a\nACGT\nAC\nACGT\n").unwrap_err().to_string();
        assert!(
            error.starts_with("t.fa: line 4 (byte 11): unexpected 'A' at the start of a line"),
            "{error}"
        );
        let error = fai(">a\nAC\nACGT\n").unwrap_err().to_string();
        assert!(
            error.starts_with("t.fa: line 3 (byte 6): different line length in sequence 'a'"),
            "{error}"
        );
        let error = fai(">a\nAC\n\nAC\n").unwrap_err().to_string();
        assert!(error.contains("line 4"), "{error}");
        let error = fai(">a\nAC\n>b\n").unwrap_err().to_string();
        assert!(
            error.contains("the last record 'b' has no sequence"),
            "{error}"
        );
        let error = fai(">a\nAC\n>b").unwrap_err().to_string();
        assert!(
            error.contains("the last record 'b' has no sequence"),
            "{error}"
        );
        assert!(fai("").is_err());
        assert!(fai("ACGT\n").is_err());
    }

    /// A reader that hands out a few bytes at a time, so lines straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_split_across_reads_index_the_same() {
        let text = ">a desc\nACGTACGT\nACGTACGT\nAC\n\n>b\r\nAAA\r\nA\r\n>c\nG";
        let whole = build(text.as_bytes(), "t.fa").unwrap().records;
        for step in [1, 2, 3, 7, 64] {
            assert_eq!(
                build(Trickle(text.as_bytes(), step), "t.fa")
                    .unwrap()
                    .records,
                whole,
                "step {step}"
            );
        }
    }
}
