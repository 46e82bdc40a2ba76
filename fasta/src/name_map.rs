//! The name map: from short part ids back to original names and coordinates.
//!
//! One TSV row per part, 1-based inclusive coordinates, after a `#` header line:
//!
//! ```text
//! #id  orig_name  start  end      own_start  own_end
//! 1_1  chr1       1      1000200  1          1000000
//! 1_2  chr1       999801 2000000  1000001    2000000
//! 2    chr2       1      500000   1          500000
//! ```
//!
//! Consecutive parts of a chromosome overlap; each base is *owned* by exactly one part (the
//! overlap is cut at its midpoint), so results gathered per part count every base once.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use partition_core::{Error, Position, Result};
use serde::{Deserialize, Serialize};

/// One part of the reference: a whole sequence, or a piece of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Short id: `<ordinal>` for a whole sequence, `<ordinal>_<part>` for a piece (1-based).
    pub id: String,
    pub orig_name: String,
    /// First base of the part in the original sequence (1-based).
    pub start: u64,
    /// Last base (inclusive).
    pub end: u64,
    /// First base the part owns.
    pub own_start: u64,
    /// Last base the part owns.
    pub own_end: u64,
}

impl Part {
    pub fn len(&self) -> u64 {
        self.end + 1 - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }
}

/// A position of a part, in original coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Original<'a> {
    pub name: &'a str,
    /// 1-based position in the original sequence.
    pub position: u64,
    /// Whether this part owns the position (count it) or only overlaps it (drop it).
    pub owned: bool,
}

pub const HEADER: &str = "#id\torig_name\tstart\tend\town_start\town_end";

/// Parts by id, in map order.
#[derive(Debug, Clone, Default)]
pub struct NameMap {
    parts: Vec<Part>,
    by_id: HashMap<String, usize>,
}

impl NameMap {
    pub fn new(parts: Vec<Part>) -> NameMap {
        let by_id = parts
            .iter()
            .enumerate()
            .map(|(index, part)| (part.id.clone(), index))
            .collect();
        NameMap { parts, by_id }
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn get(&self, id: &str) -> Option<&Part> {
        self.by_id.get(id).map(|&index| &self.parts[index])
    }

    /// Maps 1-based `position` of part `id` to the original sequence; None for an unknown id
    /// or a position outside the part.
    pub fn to_original(&self, id: &str, position: u64) -> Option<Original<'_>> {
        let part = self.get(id)?;
        if position == 0 || position > part.len() {
            return None;
        }
        let original = part.start + position - 1;
        Some(Original {
            name: &part.orig_name,
            position: original,
            owned: (part.own_start..=part.own_end).contains(&original),
        })
    }

    pub fn write(&self, mut output: impl Write) -> std::io::Result<()> {
        writeln!(output, "{HEADER}")?;
        for p in &self.parts {
            writeln!(
                output,
                "{}\t{}\t{}\t{}\t{}\t{}",
                p.id, p.orig_name, p.start, p.end, p.own_start, p.own_end
            )?;
        }
        output.flush()
    }

    /// Reads a map written by [`NameMap::write`]; `input_name` names it in errors.
    pub fn read(input: impl BufRead, input_name: &str) -> Result<NameMap> {
        let mut parts = Vec::new();
        for (index, line) in input.lines().enumerate() {
            let line_number = index as u64 + 1;
            let line = line.map_err(|e| Error::io(input_name, e))?;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() != 6 {
                return Err(Error::bad_input(
                    input_name,
                    Position::Line(line_number),
                    format!("expected 6 tab-separated fields (id, orig_name, start, end, own_start, own_end), found {}", fields.len()),
                ));
            }
            let number = |column: usize| {
                fields[column].parse::<u64>().map_err(|_| {
                    Error::bad_input(
                        input_name,
                        Position::LineColumn(line_number, column as u64 + 1),
                        format!("'{}' is not a position", fields[column]),
                    )
                })
            };
            let part = Part {
                id: fields[0].to_string(),
                orig_name: fields[1].to_string(),
                start: number(2)?,
                end: number(3)?,
                own_start: number(4)?,
                own_end: number(5)?,
            };
            if part.start == 0
                || part.start > part.own_start
                || part.own_start > part.own_end
                || part.own_end > part.end
            {
                return Err(Error::bad_input(
                    input_name,
                    Position::Line(line_number),
                    "needs 1 <= start <= own_start <= own_end <= end",
                ));
            }
            parts.push(part);
        }
        let map = NameMap::new(parts);
        if map.by_id.len() != map.parts.len() {
            return Err(Error::bad_file(input_name, "a part id appears twice"));
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> NameMap {
        let text = format!("{HEADER}\n1_1\tchr1\t1\t120\t1\t100\n1_2\tchr1\t81\t300\t101\t300\n2\tchrM\t1\t16\t1\t16\n");
        NameMap::read(text.as_bytes(), "m.tsv").unwrap()
    }

    #[test]
    fn maps_part_positions_back_with_ownership() {
        let map = map();
        let at = |id, position| map.to_original(id, position);
        assert_eq!(
            at("1_1", 1),
            Some(Original {
                name: "chr1",
                position: 1,
                owned: true
            })
        );
        assert_eq!(
            at("1_1", 101),
            Some(Original {
                name: "chr1",
                position: 101,
                owned: false
            })
        );
        assert_eq!(
            at("1_2", 1),
            Some(Original {
                name: "chr1",
                position: 81,
                owned: false
            })
        );
        assert_eq!(
            at("1_2", 21),
            Some(Original {
                name: "chr1",
                position: 101,
                owned: true
            })
        );
        assert_eq!(at("1_2", 221), None);
        assert_eq!(at("3", 1), None);
    }

    #[test]
    fn round_trips_and_rejects_bad_rows() {
        let mut text = Vec::new();
        map().write(&mut text).unwrap();
        assert_eq!(
            NameMap::read(&text[..], "m.tsv").unwrap().parts(),
            map().parts()
        );
        let error = NameMap::read("1\tchr1\t1\tten\t1\t10\n".as_bytes(), "m.tsv")
            .unwrap_err()
            .to_string();
        assert_eq!(error, "m.tsv: line 1, column 4: 'ten' is not a position");
        let error = NameMap::read("1\tchr1\t5\t10\t1\t10\n".as_bytes(), "m.tsv")
            .unwrap_err()
            .to_string();
        assert!(error.contains("start <= own_start"), "{error}");
    }
}
