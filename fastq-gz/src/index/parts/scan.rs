//! Round one: a part decoded on its own, the window before it unknown.

use partition_core::{ByteRange, Error, Position, Result, Source};
use serde::{Deserialize, Serialize};

use super::{Part, Place};
use crate::gzip::range::{self, Event, Failure, MarkedTail, Start, Window};
use crate::gzip::rounds::next_start;
use crate::gzip::WINDOW;

/// Compressed data read past a part's end at first, where its last block ends.
const LOOKAHEAD: u64 = 1 << 20;

/// What decoding one part found, the window before it unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartScan {
    pub seq: u64,
    /// Where decoding began; none when no block or member starts in the part's range.
    pub start: Option<Place>,
    /// Where it stopped: the first block boundary or member header at or past the range's
    /// end; none at the file's end.
    pub end: Option<Place>,
    /// Output bytes from `start` to `end`.
    pub output: u64,
    /// Output offsets (from `start`) of the block boundaries and member starts decoding met,
    /// `start` included, `end` not: where the one-pass builder may place checkpoints.
    pub boundaries: Vec<u64>,
    /// Output offsets of the member starts among them.
    pub members: Vec<u64>,
    /// Member trailers met: the output offset where the member ended, its CRC32 and size.
    pub trailers: Vec<Trailer>,
    /// Line feeds decoded (not copied from the unknown window).
    pub line_feeds: u64,
    /// How many output bytes were copied from each position of the unknown window, by
    /// position (ascending): those that are line feeds count too.
    pub copies: Vec<(u16, u64)>,
    /// The last 32 KiB of output in marker form: the window after the part.
    pub tail: MarkedTail,
    /// The output's last byte in marker form (the tail is empty where the part ends at a
    /// member's start): whether the next part starts a line.
    pub last_byte: Option<[u8; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    pub out: u64,
    pub crc: u32,
    pub size: u32,
}

/// Round one for `part`: where it starts, and what decoding it with the window unknown finds.
pub fn scan(part: &Part) -> Result<PartScan> {
    let source = Source::open(&part.url)?;
    source.expect_size(Some(part.size))?;
    scan_from(&source, part, None)
}

/// Decodes `part` from `from` with its window known (the chain redoing a part), or from where
/// a block or member is found to start in its range.
pub(crate) fn scan_from(
    source: &Source,
    part: &Part,
    from: Option<(Place, &[u8])>,
) -> Result<PartScan> {
    let base = from.map_or(part.range.start, |(place, _)| place.bit() / 8);
    let stop_bit = ((part.range.end - base) * 8) as usize;
    let mut read_to = (part.range.end + LOOKAHEAD).min(part.size);
    loop {
        let data = source.read_range(ByteRange::new(base, read_to))?;
        let at_end = read_to == part.size;
        let start = match from {
            Some((place, _)) => Some(place.to_start(base)),
            None if part.range.start == 0 => Some(Start::Member(0)),
            None => next_start(&data, 0, stop_bit),
        };
        let Some(start) = start else {
            return Ok(PartScan::without_start(part.seq));
        };
        let window = match from {
            Some((_, window)) => Window::Known(window),
            None => Window::Unknown,
        };
        match range::decode(&data, at_end, start, stop_bit, window, &Vec::new) {
            Ok(decoded) => return Ok(PartScan::of_range(part.seq, base, &decoded)),
            Err(Failure::NeedMore) => read_to = (read_to + (read_to - base)).min(part.size),
            Err(Failure::Invalid { byte, message }) => {
                return Err(Error::bad_input(
                    &part.url,
                    Position::Byte(base + byte as u64),
                    message,
                ))
            }
        }
    }
}

impl PartScan {
    fn without_start(seq: u64) -> PartScan {
        PartScan {
            seq,
            start: None,
            end: None,
            output: 0,
            boundaries: Vec::new(),
            members: Vec::new(),
            trailers: Vec::new(),
            line_feeds: 0,
            copies: Vec::new(),
            tail: MarkedTail {
                first: Vec::new(),
                second: Vec::new(),
                from_member_start: true,
                offset: 0,
            },
            last_byte: None,
        }
    }

    fn of_range(seq: u64, base: u64, decoded: &range::Range) -> PartScan {
        let output = decoded.output.length as u64;
        let mut boundaries = Vec::new();
        let mut members = Vec::new();
        let mut trailers = Vec::new();
        if let Start::Block(_) = decoded.start {
            boundaries.push(0);
        }
        let mut out = 0;
        for event in &decoded.events {
            match *event {
                Event::MemberStart { out: at, .. } => {
                    boundaries.push(at as u64);
                    members.push(at as u64);
                }
                Event::Inflated {
                    out: at, boundary, ..
                } => {
                    out = at as u64;
                    if boundary.is_some() && out < output {
                        boundaries.push(out);
                    }
                }
                Event::MemberEnd { crc, size, .. } => trailers.push(Trailer { out, crc, size }),
            }
        }
        let mut counts = vec![0u64; WINDOW];
        let marked_line_feeds = decoded.for_each_marker(|position| counts[position] += 1);
        let line_feeds = memchr::memchr_iter(b'\n', decoded.output.as_slice()).count() as u64
            - marked_line_feeds;
        let copies = counts
            .iter()
            .enumerate()
            .filter(|(_, &count)| count > 0)
            .map(|(position, &count)| (position as u16, count))
            .collect();
        PartScan {
            seq,
            start: Some(Place::from_start(decoded.start, base)),
            end: decoded.end.map(|end| Place::from_start(end, base)),
            output,
            boundaries,
            members,
            trailers,
            line_feeds,
            copies,
            tail: decoded.marked_tail(),
            last_byte: decoded.last_byte(),
        }
    }

    /// Whether the part's output ends with a line feed, given the window before it; `None` if
    /// it copies from before the window's start.
    pub(crate) fn ends_line(&self, window: &[u8]) -> Option<bool> {
        let Some([a, b]) = self.last_byte else {
            return Some(false);
        };
        let mut byte = [a];
        range::resolve(&mut byte, &[b], window, 0).ok()?;
        Some(byte[0] == b'\n')
    }

    /// Line feeds in the part's output, given the window before it; `None` if it copies from
    /// before the window's start.
    pub(crate) fn lines(&self, window: &[u8]) -> Option<u64> {
        let missing = WINDOW - window.len().min(WINDOW);
        let mut lines = self.line_feeds;
        for &(position, count) in &self.copies {
            let byte = window[usize::from(position).checked_sub(missing)?];
            lines += count * u64::from(byte == b'\n');
        }
        Some(lines)
    }
}
