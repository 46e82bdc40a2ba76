//! FASTQ records with their byte positions.

use std::io::BufRead;

use partition_core::{Error, Position, Result};

/// Where one record lies in its file: `[start, end)`, blank lines after it included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpan {
    pub start: u64,
    pub end: u64,
}

/// Reads FASTQ records one by one, tracking byte offsets and line numbers for errors.
pub struct RecordReader<R> {
    input: R,
    name: String,
    offset: u64,
    line_number: u64,
    /// False when reading starts mid-file, where line numbers would mislead.
    lines_known: bool,
    line: Vec<u8>,
}

impl<R: BufRead> RecordReader<R> {
    /// `name` names the input in errors; `offset` is where `input` starts in the file.
    /// Errors give line numbers only when reading starts at the start of the file.
    pub fn new(input: R, name: &str, offset: u64) -> Self {
        RecordReader {
            input,
            name: name.to_string(),
            offset,
            line_number: 0,
            lines_known: offset == 0,
            line: Vec::with_capacity(512),
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Lines read so far (blank lines included).
    pub fn lines(&self) -> u64 {
        self.line_number
    }

    pub fn input_mut(&mut self) -> &mut R {
        &mut self.input
    }

    pub fn into_input(self) -> R {
        self.input
    }

    /// Reads the next record; with `copy`, appends its raw bytes there. Blank lines between
    /// records belong to the record before them, so consecutive spans tile the file.
    pub fn next_record(&mut self, mut copy: Option<&mut Vec<u8>>) -> Result<Option<RecordSpan>> {
        // Fast path: a whole four-line record already in the buffer.
        let buffer = self
            .input
            .fill_buf()
            .map_err(|e| Error::io(&self.name, e))?;
        if let Some(length) = four_line_record(buffer) {
            if let Some(copy) = copy.as_deref_mut() {
                copy.extend_from_slice(&buffer[..length]);
            }
            self.input.consume(length);
            let start = self.offset;
            self.offset += length as u64;
            self.line_number += 4;
            self.line.clear();
            self.skip_blank_lines(copy)?;
            return Ok(Some(RecordSpan {
                start,
                end: self.offset,
            }));
        }
        // Blank lines before the first record are not FASTQ.
        if !self.read_line(copy.as_deref_mut())? {
            return Ok(None);
        }
        let start = self.offset - self.line.len() as u64;
        let header_line = self.line_number;
        if self.line.first() != Some(&b'@') {
            return Err(self.error(format!(
                "expected a record header starting with '@', found {}",
                describe(&self.line)
            )));
        }
        let mut sequence_length = 0u64;
        loop {
            if !self.read_line(copy.as_deref_mut())? {
                return Err(self.truncated(header_line, start, "no '+' line"));
            }
            if self.line.first() == Some(&b'+') {
                break;
            }
            sequence_length += content(&self.line).len() as u64;
        }
        let mut quality_length = 0u64;
        loop {
            if !self.read_line(copy.as_deref_mut())? {
                return Err(self.truncated(
                    header_line,
                    start,
                    "quality shorter than the sequence",
                ));
            }
            quality_length += content(&self.line).len() as u64;
            if quality_length >= sequence_length {
                break;
            }
        }
        if quality_length != sequence_length {
            return Err(self.error(format!(
                "quality length {quality_length} differs from sequence length {sequence_length} \
                 (record starting at {})",
                self.place(header_line, start)
            )));
        }
        self.skip_blank_lines(copy)?;
        Ok(Some(RecordSpan {
            start,
            end: self.offset,
        }))
    }

    /// Reads one line into `self.line`; false at the end of input.
    fn read_line(&mut self, copy: Option<&mut Vec<u8>>) -> Result<bool> {
        self.line.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.line)
            .map_err(|e| Error::io(&self.name, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.offset += n as u64;
        self.line_number += 1;
        if let Some(copy) = copy {
            copy.extend_from_slice(&self.line);
        }
        Ok(true)
    }

    fn skip_blank_lines(&mut self, mut copy: Option<&mut Vec<u8>>) -> Result<()> {
        loop {
            let buffer = self
                .input
                .fill_buf()
                .map_err(|e| Error::io(&self.name, e))?;
            match buffer.first() {
                Some(b'\n') | Some(b'\r') => {
                    self.read_line(copy.as_deref_mut())?;
                    if !content(&self.line).is_empty() {
                        return Err(self.error(format!(
                            "expected a record header starting with '@', found {}",
                            describe(&self.line)
                        )));
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn error(&self, message: String) -> Error {
        let line_start = self.offset - self.line.len() as u64;
        let position = if self.lines_known {
            Position::LineAtByte(self.line_number, line_start)
        } else {
            Position::Byte(line_start)
        };
        Error::bad_input(&self.name, position, message)
    }

    fn truncated(&self, header_line: u64, start: u64, what: &str) -> Error {
        Error::bad_input(
            &self.name,
            Position::Byte(self.offset),
            format!(
                "file ends inside the record starting at {}: {what}",
                self.place(header_line, start)
            ),
        )
    }

    /// Where a record starts: its line, when reading began at the file's start, else its byte.
    fn place(&self, header_line: u64, start: u64) -> String {
        match self.lines_known {
            true => format!("line {header_line}"),
            false => format!("byte {start}"),
        }
    }
}

/// The length of the plain four-line record at the start of `buffer` (header, one sequence
/// line, `+` line, one quality line of the same length), or None: the record wraps, is cut by
/// the end of the buffer, or is malformed, and the line-by-line path decides.
fn four_line_record(buffer: &[u8]) -> Option<usize> {
    let mut ends = memchr::memchr_iter(b'\n', buffer);
    let (header, sequence, separator, quality) =
        (ends.next()?, ends.next()?, ends.next()?, ends.next()?);
    let sequence_line = content(&buffer[header + 1..=sequence]);
    let quality_line = content(&buffer[separator + 1..=quality]);
    let well_formed = buffer[0] == b'@'
        && buffer[header + 1] != b'+'
        && buffer[sequence + 1] == b'+'
        && sequence_line.len() == quality_line.len();
    well_formed.then_some(quality + 1)
}

/// A line without its line ending.
fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn describe(line: &[u8]) -> String {
    let text = content(line);
    if text.is_empty() {
        return "a blank line".to_string();
    }
    let shown: String = String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned();
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Result<Vec<RecordSpan>> {
        let mut reader = RecordReader::new(text.as_bytes(), "t.fq", 0);
        let mut spans = Vec::new();
        while let Some(span) = reader.next_record(None)? {
            spans.push(span);
        }
        Ok(spans)
    }

    #[test]
    fn finds_records_even_when_quality_starts_with_at() {
        let text = "@r1\nACGT\n+\n@III\n@r2\nAC\n+r2\n@@\n";
        let spans = spans(text).unwrap();
        assert_eq!(
            spans,
            vec![
                RecordSpan { start: 0, end: 16 },
                RecordSpan { start: 16, end: 30 }
            ]
        );
    }

    #[test]
    fn reads_multi_line_records_crlf_and_no_final_newline() {
        let text = "@r1\r\nACGT\r\nAC\r\n+\r\nIIII\r\nII\r\n@r2\nA\n+\nI";
        let spans = spans(text).unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].end, text.len() as u64);
    }

    #[test]
    fn blank_lines_belong_to_the_record_before() {
        let text = "@r1\nA\n+\nI\n\n\n@r2\nA\n+\nI\n\n";
        let spans = spans(text).unwrap();
        assert_eq!(spans[0], RecordSpan { start: 0, end: 12 });
        assert_eq!(
            spans[1],
            RecordSpan {
                start: 12,
                end: text.len() as u64
            }
        );
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let error = spans("@r1\nACGT\n+\nIII\n@r2\nA\n+\nI\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "t.fq: line 5 (byte 15): quality length 6 differs from sequence length 4 (record starting at line 1)"
        );
        let error = spans("@r1\nACGT\n+\nIIII\nr2\nA\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "t.fq: line 5 (byte 16): expected a record header starting with '@', found \"r2\""
        );
        let error = spans("@r1\nACGT\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "t.fq: byte 9: file ends inside the record starting at line 1: no '+' line"
        );
        let error = spans("@r1\nACGT\n+\nII").unwrap_err().to_string();
        assert!(
            error.contains("quality shorter than the sequence"),
            "{error}"
        );
        assert!(spans("").unwrap().is_empty());
    }
}
