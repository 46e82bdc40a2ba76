//! Join one: the parts' scans chained in order, each part's true window, output offset and
//! lines found, and where the last checkpoint before it falls.

use partition_core::{Error, Result, Source};
use serde::{Deserialize, Serialize};

use super::scan::{scan_from, PartScan, Trailer, STRETCH};
use super::{Part, Place};

/// Where a part's round two begins, and what it needs to build its share of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartStart {
    pub seq: u64,
    /// Where the part's decoding begins and ends (none at the file's end); `None` for a part
    /// the one before it decoded whole (its range holds no block boundary).
    pub start: Option<Place>,
    pub end: Option<Place>,
    /// The 32 KiB of output before `start` (less after a member's start).
    #[serde(with = "crate::json")]
    pub window: Vec<u8>,
    /// Output offsets of `start` and `end`, and line feeds before each.
    pub out: u64,
    pub out_end: u64,
    pub lines: u64,
    pub lines_end: u64,
    /// `start` begins a line: the file's start, or the output before it ends with a line feed.
    pub line_start: bool,
    /// Output offset of the last checkpoint before `start`, if any.
    pub last_checkpoint: Option<u64>,
    /// Output offsets of the members that start in the part, and the trailers it decodes.
    pub members: Vec<u64>,
    pub trailers: Vec<Trailer>,
}

/// Chains the scans of `parts` (one each, in order): a part whose start is not where the part
/// before it stopped (a false block start, or no start found in its range) is decoded again
/// here, from where the chain stopped, with its window known.
pub fn chain(parts: &[Part], scans: Vec<PartScan>) -> Result<Vec<PartStart>> {
    let Some(first) = parts.first() else {
        return Ok(Vec::new());
    };
    if scans.len() != parts.len() {
        return Err(Error::bad_file(
            &first.url,
            format!("{} parts, {} scans", parts.len(), scans.len()),
        ));
    }
    let mut chain = Chain::new(first)?;
    parts
        .iter()
        .zip(scans)
        .map(|(part, scan)| chain.next(part, scan))
        .collect()
}

/// The chain under way: what it has found up to the end of the last part it took.
pub struct Chain {
    source: Source,
    /// Where the next part must start: where the last one stopped (none at the file's end).
    expected: Option<Place>,
    window: Vec<u8>,
    out: u64,
    lines: u64,
    last_checkpoint: Option<u64>,
    line_start: bool,
}

impl Chain {
    /// A chain at the start of the file the first of the parts reads.
    pub fn new(first: &Part) -> Result<Chain> {
        let source = Source::open(&first.url)?;
        source.expect_size(Some(first.size))?;
        Ok(Chain {
            source,
            expected: Some(Place::Member { byte: 0 }),
            window: Vec::new(),
            out: 0,
            lines: 0,
            last_checkpoint: None,
            line_start: true,
        })
    }

    /// The start of `part`, the next in order, from its scan.
    pub fn next(&mut self, part: &Part, scan: PartScan) -> Result<PartStart> {
        if scan.seq != part.seq {
            return Err(Error::bad_file(
                format!("scan of part {}", scan.seq),
                format!("found where part {}'s belongs", part.seq),
            ));
        }
        let (out, lines, line_start) = (self.out, self.lines, self.line_start);
        let start = self
            .expected
            .filter(|place| place.bit() < part.range.end * 8);
        let Some(start) = start else {
            // The part before ran past this one's range (or to the file's end).
            return Ok(PartStart {
                seq: part.seq,
                start: None,
                end: self.expected,
                window: Vec::new(),
                out,
                out_end: out,
                lines,
                lines_end: lines,
                line_start,
                last_checkpoint: self.last_checkpoint,
                members: Vec::new(),
                trailers: Vec::new(),
            });
        };
        let scan = if scan.start == Some(start) {
            scan
        } else {
            scan_from(&self.source, part, Some((start, &self.window)), STRETCH)?
        };
        let reaches_before = || {
            Error::bad_input(
                &part.url,
                partition_core::Position::Byte(start.bit() / 8),
                "compressed data copies from before the start of its member (corrupt?)",
            )
        };
        let part_lines = scan.lines(&self.window).ok_or_else(reaches_before)?;
        // A part that decodes no output (an empty block) leaves the line where it was.
        let ends_line = match scan.output {
            0 => line_start,
            _ => scan.ends_line(&self.window).ok_or_else(reaches_before)?,
        };
        let before = self.last_checkpoint;
        for &boundary in &scan.boundaries {
            let at = out + boundary;
            if self
                .last_checkpoint
                .is_none_or(|last| at - last >= part.span)
            {
                self.last_checkpoint = Some(at);
            }
        }
        let after = scan
            .tail
            .resolve(&self.window)
            .map_err(|_| reaches_before())?;
        self.out += scan.output;
        self.lines += part_lines;
        self.line_start = ends_line;
        self.expected = scan.end;
        Ok(PartStart {
            seq: part.seq,
            start: Some(start),
            end: scan.end,
            window: std::mem::replace(&mut self.window, after),
            out,
            out_end: out + scan.output,
            lines,
            lines_end: lines + part_lines,
            line_start,
            last_checkpoint: before,
            members: scan.members.iter().map(|member| out + member).collect(),
            trailers: scan
                .trailers
                .iter()
                .map(|trailer| Trailer {
                    out: out + trailer.out,
                    ..*trailer
                })
                .collect(),
        })
    }
}
