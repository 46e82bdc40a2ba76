//! The streaming k-way merge of partial pileups.
//!
//! Rules (see `docs/mpileup.md` in the shared notes): lines meet on (chromosome order,
//! position); REF must agree; per sample group, depths add up and the bases, qualities and
//! per-read extra columns of the partials with reads there are concatenated; `0 * *` only
//! when the total is 0. Each input holds one line at a time.

use std::io::{BufRead, Write};

use partition_core::{Error, Position, Result};

use crate::line::{check_sample, column_of, field, parse_count, parse_position, split_fields};
use crate::order::{Key, Order};

/// Per-read columns samtools adds after QUALS, in its order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Columns {
    /// `--output-MQ`: one mapping-quality character per read.
    #[serde(default)]
    pub mq: bool,
    /// `--output-BP`: comma-separated positions in the reads.
    #[serde(default)]
    pub bp: bool,
    /// `--output-QNAME`: comma-separated read names.
    #[serde(default)]
    pub qname: bool,
}

impl Columns {
    pub fn per_sample(self) -> usize {
        3 + usize::from(self.mq) + usize::from(self.bp) + usize::from(self.qname)
    }

    /// How the extra column at `index` (0-based after QUALS) joins: by `,` or by nothing.
    fn separator(self, index: usize) -> &'static [u8] {
        let characters = if self.mq { 1 } else { 0 };
        if index < characters {
            b""
        } else {
            b","
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct MergeOptions {
    pub columns: Columns,
}

/// One input, positioned on its next line to merge.
struct Input {
    name: String,
    reader: Box<dyn BufRead + Send>,
    line: Vec<u8>,
    /// Field byte ranges of `line`.
    ranges: Vec<(usize, usize)>,
    line_number: u64,
    /// The line's key, or None at the end.
    key: Option<Key>,
    /// The previous line's key, chromosome and position, to report unsorted input.
    last: Option<Key>,
    last_chrom: Vec<u8>,
    last_position: u64,
    samples: usize,
}

impl Input {
    fn field(&self, index: usize) -> &[u8] {
        field(&self.line, &self.ranges, index)
    }

    /// Reads up to the next line to merge (skipping lines the order drops).
    fn advance(&mut self, order: &mut Order, columns: Columns) -> Result<()> {
        let per_sample = columns.per_sample();
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.line)
                .map_err(|e| Error::io(&self.name, e))?;
            if n == 0 {
                self.key = None;
                return Ok(());
            }
            self.line_number += 1;
            while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                self.line.pop();
            }
            split_fields(&self.line, &mut self.ranges);
            let at = |column: u64, message: String| {
                Error::bad_input(
                    &self.name,
                    Position::LineColumn(self.line_number, column),
                    message,
                )
            };
            let extra = self
                .ranges
                .len()
                .checked_sub(3)
                .filter(|n| *n > 0 && n % per_sample == 0);
            let Some(extra) = extra else {
                return Err(at(
                    1,
                    format!(
                        "{} fields: a pileup line has CHROM, POS, REF and {per_sample} per sample",
                        self.ranges.len()
                    ),
                ));
            };
            let samples = extra / per_sample;
            if self.samples == 0 {
                self.samples = samples;
            } else if samples != self.samples {
                return Err(at(
                    1,
                    format!("{samples} samples, earlier lines had {}", self.samples),
                ));
            }
            let position_text = self.field(1);
            let position = parse_position(position_text).ok_or_else(|| {
                at(
                    column_of(&self.ranges, 1),
                    format!(
                        "position '{}' is not a number",
                        position_text.escape_ascii()
                    ),
                )
            })?;
            for sample in 0..samples {
                check_sample(
                    &self.line,
                    &self.ranges,
                    3 + sample * per_sample,
                    &self.name,
                    self.line_number,
                )?;
            }
            let chrom = field(&self.line, &self.ranges, 0);
            let key = order
                .locate(chrom, position)
                .map_err(|message| at(1, message))?;
            let Some(key) = key else { continue };
            if self.last.is_some_and(|last| key <= last) {
                return Err(at(
                    1,
                    format!(
                        "unsorted input: {}:{position} comes after {}:{} (inputs must be in reference order)",
                        String::from_utf8_lossy(chrom),
                        String::from_utf8_lossy(&self.last_chrom),
                        self.last_position
                    ),
                ));
            }
            self.last = Some(key);
            self.last_chrom.clear();
            self.last_chrom.extend_from_slice(chrom);
            self.last_position = position;
            self.key = Some(key);
            return Ok(());
        }
    }
}

/// Merges `inputs` (name, reader) into `output`; returns the lines written.
pub fn merge(
    inputs: Vec<(String, Box<dyn BufRead + Send>)>,
    order: &mut Order,
    options: MergeOptions,
    output: &mut dyn Write,
) -> Result<u64> {
    let columns = options.columns;
    let mut inputs: Vec<Input> = inputs
        .into_iter()
        .map(|(name, reader)| Input {
            name,
            reader,
            line: Vec::new(),
            ranges: Vec::new(),
            line_number: 0,
            key: None,
            last: None,
            last_chrom: Vec::new(),
            last_position: 0,
            samples: 0,
        })
        .collect();
    for input in &mut inputs {
        input.advance(order, columns)?;
    }
    // Every partial must come from the same list of BAMs.
    let mut with_lines = inputs.iter().filter(|input| input.key.is_some());
    let samples = match with_lines.next() {
        Some(first) => {
            if let Some(other) = with_lines.find(|input| input.samples != first.samples) {
                return Err(Error::bad_file(
                    &other.name,
                    format!(
                        "{} samples per line, but {} has {}: the partials do not come from the same BAM list",
                        other.samples, first.name, first.samples
                    ),
                ));
            }
            first.samples
        }
        None => 0,
    };
    let write_error = partition_core::cli::output_error;
    let per_sample = columns.per_sample();
    let mut numbers = itoa::Buffer::new();
    let mut written = 0u64;
    let mut out = Vec::with_capacity(1 << 17);
    let mut meeting: Vec<usize> = Vec::with_capacity(inputs.len());
    while let Some(key) = inputs.iter().filter_map(|input| input.key).min() {
        meeting.clear();
        meeting.extend((0..inputs.len()).filter(|&i| inputs[i].key == Some(key)));
        let first = &inputs[meeting[0]];
        out.extend_from_slice(order.name(key.rank).as_bytes());
        out.push(b'\t');
        out.extend_from_slice(numbers.format(key.position).as_bytes());
        out.push(b'\t');
        if let [_] = meeting[..] {
            // One partial has this position: its line, from REF on, is the merge.
            out.extend_from_slice(&first.line[first.ranges[2].0..]);
        } else {
            let reference = first.field(2);
            for &i in &meeting[1..] {
                if inputs[i].field(2) != reference {
                    return Err(Error::bad_file(
                        &inputs[i].name,
                        format!(
                            "line {}: REF '{}' at {}:{} differs from '{}' in {} line {}",
                            inputs[i].line_number,
                            inputs[i].field(2).escape_ascii(),
                            order.name(key.rank),
                            key.position,
                            reference.escape_ascii(),
                            first.name,
                            first.line_number
                        ),
                    ));
                }
            }
            out.extend_from_slice(reference);
            for sample in 0..samples {
                let base = 3 + sample * per_sample;
                let with_reads = || {
                    meeting
                        .iter()
                        .map(|&i| &inputs[i])
                        .filter(|input| input.field(base) != b"0")
                };
                let depth: u64 = with_reads()
                    .map(|input| parse_count(input.field(base)).unwrap_or(0))
                    .sum();
                out.push(b'\t');
                out.extend_from_slice(numbers.format(depth).as_bytes());
                for column in 1..per_sample {
                    out.push(b'\t');
                    if depth == 0 {
                        out.push(b'*');
                        continue;
                    }
                    let separator = if column < 3 {
                        &b""[..]
                    } else {
                        columns.separator(column - 3)
                    };
                    for (n, input) in with_reads().enumerate() {
                        if n > 0 {
                            out.extend_from_slice(separator);
                        }
                        out.extend_from_slice(input.field(base + column));
                    }
                }
            }
        }
        out.push(b'\n');
        written += 1;
        if out.len() >= 1 << 16 {
            output.write_all(&out).map_err(write_error)?;
            out.clear();
        }
        for &i in &meeting {
            inputs[i].advance(order, columns)?;
        }
    }
    output.write_all(&out).map_err(write_error)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inputs: &[&str], order: &mut Order, columns: Columns) -> Result<String> {
        let inputs = inputs
            .iter()
            .enumerate()
            .map(|(i, text)| {
                (
                    format!("p{i}"),
                    Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))
                        as Box<dyn BufRead + Send>,
                )
            })
            .collect();
        let mut out = Vec::new();
        merge(inputs, order, MergeOptions { columns }, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn sums_depths_and_concatenates_reads() {
        let a = "17\t1\tN\t2\t^>A^>A\tJI\t0\t*\t*\n17\t3\tN\t1\tG\tE\t1\tg\tE\n";
        let b =
            "17\t1\tN\t1\t.\tK\t0\t*\t*\n17\t2\tN\t1\tA\tJ\t0\t*\t*\n17\t3\tN\t0\t*\t*\t0\t*\t*\n";
        let merged = run(&[a, b], &mut Order::appearance(), Columns::default()).unwrap();
        assert_eq!(merged, "17\t1\tN\t3\t^>A^>A.\tJIK\t0\t*\t*\n17\t2\tN\t1\tA\tJ\t0\t*\t*\n17\t3\tN\t1\tG\tE\t1\tg\tE\n");
    }

    #[test]
    fn extra_columns_join_as_samtools_writes_them() {
        let columns = Columns {
            mq: true,
            bp: true,
            qname: true,
        };
        let a = "c\t5\tA\t2\tAA\tII\t<<\t3,4\tr1,r2\n";
        let b = "c\t5\tA\t1\tT\tI\t]\t9\tr7\n";
        let merged = run(&[a, b], &mut Order::appearance(), columns).unwrap();
        assert_eq!(merged, "c\t5\tA\t3\tAAT\tIII\t<<]\t3,4,9\tr1,r2,r7\n");
    }

    #[test]
    fn clear_errors_for_bad_inputs() {
        let error = run(
            &["c\t5\tA\t1\tA\tI\n", "c\t5\tG\t1\tA\tI\n"],
            &mut Order::appearance(),
            Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("REF 'G' at c:5 differs from 'A' in p0 line 1"),
            "{error}"
        );
        let error = run(
            &["c\t5\tA\t1\tA\tI\nc\t4\tA\t1\tA\tI\n"],
            &mut Order::appearance(),
            Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("p0: line 2, column 1: unsorted input: c:4 comes after c:5"),
            "{error}"
        );
        let error = run(
            &["c\t5\tA\t1\tA\tI\n", "c\t9\tA\t1\tA\tI\t1\tA\tI\n"],
            &mut Order::appearance(),
            Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("p1: 2 samples per line, but p0 has 1"),
            "{error}"
        );
        let error = run(
            &["c\t5\tA\t2\tA$+\tII\n"],
            &mut Order::appearance(),
            Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("p0: line 1, column 11: '+' without an indel length"),
            "{error}"
        );
        let error = run(
            &["c\tfive\tA\t1\tA\tI\n"],
            &mut Order::appearance(),
            Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("p0: line 1, column 3: position 'five' is not a number"),
            "{error}"
        );
    }
}
