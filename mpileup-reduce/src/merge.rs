//! The streaming k-way merge of partial pileups.
//!
//! Rules (see `docs/mpileup.md` in the shared notes): lines meet on (chromosome order,
//! position); REF must agree; per sample group, depths add up and the bases, qualities and
//! per-read extra columns of the partials with reads there are concatenated; `0 * *` only
//! when the total is 0. Each input holds one line at a time.

use std::io::{BufRead, Write};

use partition_core::{Error, Position, Result};

use crate::line::{check_sample, column_of, parse_position, Fields};
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
    line_number: u64,
    /// The line's key, or None at the end.
    key: Option<Key>,
    last: Option<(Key, String)>,
    samples: usize,
}

impl Input {
    /// Reads up to the next line to merge (skipping lines the order drops).
    fn advance(&mut self, order: &mut Order, columns: Columns) -> Result<()> {
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
            let at = |column: u64, message: String| {
                Error::bad_input(
                    &self.name,
                    Position::LineColumn(self.line_number, column),
                    message,
                )
            };
            let fields = Fields::split(&self.line).fields;
            let extra = fields
                .len()
                .checked_sub(3)
                .filter(|n| *n > 0 && n % columns.per_sample() == 0);
            let Some(extra) = extra else {
                return Err(at(
                    1,
                    format!(
                        "{} fields: a pileup line has CHROM, POS, REF and {} per sample",
                        fields.len(),
                        columns.per_sample()
                    ),
                ));
            };
            let samples = extra / columns.per_sample();
            if self.samples == 0 {
                self.samples = samples;
            } else if samples != self.samples {
                return Err(at(
                    1,
                    format!("{samples} samples, earlier lines had {}", self.samples),
                ));
            }
            let position = parse_position(fields[1]).ok_or_else(|| {
                at(
                    column_of(&fields, 1),
                    format!("position '{}' is not a number", fields[1].escape_ascii()),
                )
            })?;
            for sample in 0..samples {
                check_sample(
                    &fields,
                    3 + sample * columns.per_sample(),
                    &self.name,
                    self.line_number,
                )?;
            }
            let key = order
                .locate(fields[0], position)
                .map_err(|message| at(1, message))?;
            let Some(key) = key else { continue };
            let described = format!("{}:{}", String::from_utf8_lossy(fields[0]), position);
            if let Some((last, last_described)) = &self.last {
                if key <= *last {
                    return Err(at(
                        1,
                        format!("unsorted input: {described} comes after {last_described} (inputs must be in reference order)"),
                    ));
                }
            }
            self.last = Some((key, described));
            self.key = Some(key);
            return Ok(());
        }
    }

    fn fields(&self) -> Vec<&[u8]> {
        Fields::split(&self.line).fields
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
            line_number: 0,
            key: None,
            last: None,
            samples: 0,
        })
        .collect();
    for input in &mut inputs {
        input.advance(order, columns)?;
    }
    let write_error = partition_core::cli::output_error;
    // Every partial must come from the same list of BAMs.
    let mut with_lines = inputs.iter().filter(|input| input.key.is_some());
    let count = match with_lines.next() {
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
    let mut written = 0u64;
    let mut out = Vec::with_capacity(1 << 16);
    let mut meeting: Vec<usize> = Vec::with_capacity(inputs.len());
    loop {
        let Some(key) = inputs.iter().filter_map(|input| input.key).min() else {
            break;
        };
        meeting.clear();
        meeting.extend((0..inputs.len()).filter(|&i| inputs[i].key == Some(key)));
        let groups: Vec<Vec<&[u8]>> = meeting.iter().map(|&i| inputs[i].fields()).collect();
        let first = &groups[0];
        for (n, &i) in meeting.iter().enumerate().skip(1) {
            let other = &groups[n];
            if other[2] != first[2] {
                return Err(Error::bad_file(
                    &inputs[i].name,
                    format!(
                        "line {}: REF '{}' at {}:{} differs from '{}' in {} line {}",
                        inputs[i].line_number,
                        other[2].escape_ascii(),
                        order.name(key.rank),
                        key.position,
                        first[2].escape_ascii(),
                        inputs[meeting[0]].name,
                        inputs[meeting[0]].line_number
                    ),
                ));
            }
        }
        out.extend_from_slice(order.name(key.rank).as_bytes());
        out.push(b'\t');
        out.extend_from_slice(key.position.to_string().as_bytes());
        out.push(b'\t');
        out.extend_from_slice(first[2]);
        let per_sample = columns.per_sample();
        for sample in 0..count {
            let base = 3 + sample * per_sample;
            let with_reads: Vec<&Vec<&[u8]>> = groups
                .iter()
                .filter(|fields| fields[base] != b"0")
                .collect();
            let depth: u64 = with_reads
                .iter()
                .map(|fields| {
                    std::str::from_utf8(fields[base])
                        .ok()
                        .and_then(|t| t.parse::<u64>().ok())
                        .unwrap_or(0)
                })
                .sum();
            out.push(b'\t');
            out.extend_from_slice(depth.to_string().as_bytes());
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
                for (n, fields) in with_reads.iter().enumerate() {
                    if n > 0 {
                        out.extend_from_slice(separator);
                    }
                    out.extend_from_slice(fields[base + column]);
                }
            }
        }
        out.push(b'\n');
        written += 1;
        if out.len() >= 1 << 16 {
            output.write_all(&out).map_err(write_error)?;
            out.clear();
        }
        drop(groups);
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
