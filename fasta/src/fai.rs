//! `.fai` indexes: a [`Record`] per sequence, read and written as samtools does, and
//! [`build()`] from the FASTA itself (samtools' counting rules, in [`build`](mod@build)).

use std::io::{BufRead, Write};

use partition_core::{Error, Position, Result};

pub mod build;

pub use build::{build, Built};

/// One `.fai` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    /// Bases in the sequence.
    pub length: u64,
    /// Byte offset of the first base.
    pub offset: u64,
    /// Bases per full line.
    pub line_bases: u64,
    /// Bytes per full line, line ending included.
    pub line_width: u64,
}

impl Record {
    /// Byte offset of the 0-based base `position`.
    pub fn byte_of(&self, position: u64) -> u64 {
        if self.line_bases == 0 {
            return self.offset;
        }
        self.offset + (position / self.line_bases) * self.line_width + position % self.line_bases
    }
}

/// Writes `.fai` text.
pub fn write(records: &[Record], mut output: impl Write) -> std::io::Result<()> {
    for r in records {
        writeln!(
            output,
            "{}\t{}\t{}\t{}\t{}",
            r.name, r.length, r.offset, r.line_bases, r.line_width
        )?;
    }
    output.flush()
}

/// Reads `.fai` text; `input_name` names it in errors.
pub fn read(input: impl BufRead, input_name: &str) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line_number = index as u64 + 1;
        let line = line.map_err(|e| Error::io(input_name, e))?;
        let fields: Vec<&str> = line.split('\t').collect();
        let bad =
            |message: String| Error::bad_input(input_name, Position::Line(line_number), message);
        if fields.len() != 5 && fields.len() != 6 {
            return Err(bad(format!(
                "expected 5 tab-separated fields, found {}",
                fields.len()
            )));
        }
        let number = |column: usize| {
            fields[column].parse::<u64>().map_err(|_| {
                Error::bad_input(
                    input_name,
                    Position::LineColumn(line_number, column as u64 + 1),
                    format!("'{}' is not a number", fields[column]),
                )
            })
        };
        records.push(Record {
            name: fields[0].to_string(),
            length: number(1)?,
            offset: number(2)?,
            line_bases: number(3)?,
            line_width: number(4)?,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes() {
        let text = "chr1\t248956422\t6\t60\t61\n\t2\t12\t2\t3\n";
        let records = read(text.as_bytes(), "t.fai").unwrap();
        let mut out = Vec::new();
        write(&records, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
        assert_eq!(records[0].byte_of(0), 6);
        assert_eq!(records[0].byte_of(61), 6 + 61 + 1);
        let error = read("chr1\t12x\t6\t60\t61\n".as_bytes(), "t.fai")
            .unwrap_err()
            .to_string();
        assert_eq!(error, "t.fai: line 1, column 2: '12x' is not a number");
    }
}
