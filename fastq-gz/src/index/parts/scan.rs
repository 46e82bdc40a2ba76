//! Round one: a part decoded on its own, the window before it unknown.

use std::io::Read;

use partition_core::{ByteRange, Error, Position, Result, Source};
use serde::{Deserialize, Serialize};

use super::{Part, Place};
use crate::gzip::finder::next_start;
use crate::gzip::range::{self, Buffers, Event, Failure, Start, Window};
use crate::gzip::resolve::{self, MarkedTail};
use crate::gzip::WINDOW;

/// Compressed data read past a stretch's end at first, where its last block ends.
const LOOKAHEAD: u64 = 256 << 10;
/// A part is decoded in stretches of about this much compressed data, each stretch's window
/// the last one's tail, so that memory stays bounded however large the part. Small enough
/// that a stretch's output stays in the cache: 16 MB of memory and 0.13 s for a 16 MB part
/// where stretches of 8 MiB took 180 MB and 0.27 s, page faults and all.
pub(super) const STRETCH: u64 = 512 << 10;

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
    scan_in_stretches(part, STRETCH)
}

/// [`scan`] in stretches of `stretch` compressed bytes; exported only to the fuzz target,
/// whose small inputs reach many stretches only with small ones.
pub fn scan_in_stretches(part: &Part, stretch: u64) -> Result<PartScan> {
    let source = Source::open(&part.url)?;
    source.expect_size(Some(part.size))?;
    scan_from(&source, part, None, stretch)
}

/// Decodes `part` from `from` with its window known (the chain redoing a part), or from where
/// a block or member is found to start in its range.
pub(crate) fn scan_from(
    source: &Source,
    part: &Part,
    from: Option<(Place, &[u8])>,
    stretch: u64,
) -> Result<PartScan> {
    let mut compressed = Compressed::new(source, part.size);
    let start = match from {
        Some((place, _)) => Some(place),
        None if part.range.start == 0 => Some(Place::Member { byte: 0 }),
        None => find_start(&mut compressed, part, stretch)?,
    };
    let Some(mut place) = start else {
        return Ok(PartScan::without_start(part.seq));
    };
    let mut scan = PartScan::without_start(part.seq);
    scan.start = Some(place);
    let mut counts = vec![0u64; WINDOW];
    let mut known = from.map(|(_, window)| window.to_vec());
    let mut marked: Option<MarkedTail> = None;
    // Once a member starts in the part, the window from there on is known whatever came
    // before the part: the stretches after it decode once, not twice, and the part's tail
    // needs nothing from before the part.
    let mut since_member_start = false;
    let buffers = Buffers::default();
    loop {
        // The last stretch takes the rest of the part, so that it is never a short one.
        let remaining = (part.range.end * 8).saturating_sub(place.bit()) / 8;
        let stop = match remaining > 2 * stretch {
            true => place.bit() / 8 + stretch,
            false => part.range.end,
        };
        let window = match (&known, &marked) {
            (Some(window), _) => Window::Known(window),
            (None, Some(tail)) => Window::Marked(tail),
            (None, None) => Window::Unknown,
        };
        let (base, decoded) = decode_stretch(&mut compressed, &buffers, place, stop, window)?;
        let first_stretch = scan.start == Some(place);
        scan.add_stretch(base, &decoded, &mut counts, first_stretch);
        if let Some(window) = &known {
            let after = decoded.window_after(window).map_err(|at| {
                Error::bad_input(
                    &part.url,
                    Position::Byte(base),
                    format!(
                        "output byte {at} after here copies from before its member's start \
                         (corrupt data)"
                    ),
                )
            })?;
            known = Some(after);
        } else {
            let tail = decoded.marked_tail();
            if tail.from_member_start && tail.second.is_empty() {
                since_member_start = true;
                known = Some(tail.first);
            } else {
                // The next stretch's window, in marker form: made up where it still reaches
                // into the unknown window before the part.
                let before = marked.take().unwrap_or_else(range::unknown_window);
                marked = Some(tail.after(&before));
            }
        }
        let end = decoded.end.map(|end| Place::from_start(end, base));
        buffers.give(decoded.into_buffers());
        match end {
            Some(end) if end.bit() < part.range.end * 8 => place = end,
            _ => break,
        }
    }
    scan.tail.from_member_start |= since_member_start;
    scan.copies = counts
        .iter()
        .enumerate()
        .filter(|(_, &count)| count > 0)
        .map(|(position, &count)| (position as u16, count))
        .collect();
    Ok(scan)
}

/// Where a block or member first starts in the part's range, looked for a stretch at a time.
fn find_start(compressed: &mut Compressed<'_>, part: &Part, stretch: u64) -> Result<Option<Place>> {
    let mut from = part.range.start;
    while from < part.range.end {
        let to = (from + stretch).min(part.range.end);
        let data = compressed.get(from, to + LOOKAHEAD)?;
        if let Some(start) = next_start(data, 0, ((to - from) * 8) as usize) {
            return Ok(Some(Place::from_start(start, from)));
        }
        from = to;
    }
    Ok(None)
}

/// Decodes from `place` to the first block boundary or member header at or past byte `stop`
/// (or the file's end), reading more where a block runs on. Returns the file offset the
/// decoded range's offsets count from.
fn decode_stretch(
    compressed: &mut Compressed<'_>,
    buffers: &Buffers,
    place: Place,
    stop: u64,
    window: Window<'_>,
) -> Result<(u64, range::Range)> {
    let base = place.bit() / 8;
    let stop_bit = ((stop - base) * 8) as usize;
    let mut read_to = stop + LOOKAHEAD;
    let (size, url) = (compressed.size, compressed.source.url());
    loop {
        let data = compressed.get(base, read_to)?;
        let at_end = base + data.len() as u64 == size;
        match range::decode(
            data,
            at_end,
            place.to_start(base),
            stop_bit,
            window,
            buffers,
        ) {
            Ok(decoded) => return Ok((base, decoded)),
            Err(Failure::NeedMore) => read_to += read_to - base,
            Err(Failure::Invalid { byte, message }) => {
                return Err(Error::bad_input(
                    url,
                    Position::Byte(base + byte as u64),
                    message,
                ))
            }
        }
    }
}

/// The part's compressed data, streamed from where decoding begins and each byte read once:
/// what the finder and a stretch read past the stretch's end (the block running on) is kept
/// for the next one. From S3 the stream fetches ahead while the stretches decode.
struct Compressed<'a> {
    source: &'a Source,
    size: u64,
    /// Opened at the first offset asked for, to the file's end (read only as far as needed).
    reader: Option<Box<dyn Read + Send>>,
    /// `data` holds the file from this offset on.
    base: u64,
    data: Vec<u8>,
}

impl<'a> Compressed<'a> {
    fn new(source: &'a Source, size: u64) -> Compressed<'a> {
        Compressed {
            source,
            size,
            reader: None,
            base: 0,
            data: Vec::new(),
        }
    }

    /// The file's bytes from `from` to `to` (or its end); `from` never goes back.
    fn get(&mut self, from: u64, to: u64) -> Result<&[u8]> {
        let to = to.min(self.size);
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                self.base = from;
                let rest = ByteRange::new(from, self.size);
                self.reader.insert(self.source.range_reader(rest)?)
            }
        };
        let held_to = self.base + self.data.len() as u64;
        if to > held_to {
            let failed = |error| Error::io(self.source.url(), error);
            // Bytes before `from` not read yet (none so far: each read reaches past the
            // next offset asked for) are skipped.
            let skipped = from.saturating_sub(held_to);
            std::io::copy(&mut reader.take(skipped), &mut std::io::sink()).map_err(failed)?;
            let kept = (from - self.base).min(self.data.len() as u64) as usize;
            self.data.drain(..kept);
            self.base = from;
            let held = self.data.len();
            self.data.resize((to - from) as usize, 0);
            reader.read_exact(&mut self.data[held..]).map_err(failed)?;
        }
        let at = (from - self.base) as usize;
        Ok(&self.data[at..at + (to - from) as usize])
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

    /// Adds a decoded stretch (its offsets counting from file offset `base`), its copies from
    /// the unknown window to `counts`; `first`: the part's first stretch.
    fn add_stretch(&mut self, base: u64, decoded: &range::Range, counts: &mut [u64], first: bool) {
        let out_base = self.output;
        let output = decoded.output.length as u64;
        if let Start::Block(_) = decoded.start {
            self.boundaries.push(out_base);
        }
        let mut out = 0;
        for event in &decoded.events {
            match *event {
                Event::MemberStart { out: at, .. } => {
                    self.boundaries.push(out_base + at as u64);
                    self.members.push(out_base + at as u64);
                }
                Event::Inflated {
                    byte,
                    out: at,
                    boundary,
                } => {
                    out = at as u64;
                    // The end is the next stretch's start; a boundary before it at the same
                    // output offset (an empty stored block follows) is this one's.
                    let before_end = |bits: u8| {
                        let bit = byte * 8 - usize::from(bits);
                        decoded.end.is_some_and(|end| bit < end.bit())
                    };
                    if boundary.is_some_and(|bits| out < output || before_end(bits)) {
                        self.boundaries.push(out_base + out);
                    }
                }
                Event::MemberEnd { crc, size, .. } => self.trailers.push(Trailer {
                    out: out_base + out,
                    crc,
                    size,
                }),
            }
        }
        let marked_line_feeds = decoded.for_each_marker(|position| counts[position] += 1);
        let line_feeds = memchr::memchr_iter(b'\n', decoded.output.as_slice()).count() as u64;
        self.line_feeds += line_feeds - marked_line_feeds;
        self.output += output;
        self.end = decoded.end.map(|end| Place::from_start(end, base));
        let mut tail = decoded.marked_tail();
        tail.offset += out_base as usize;
        self.tail = match first {
            true => tail,
            false => tail.after(&self.tail),
        };
        self.last_byte = decoded.last_byte().or(self.last_byte);
    }

    /// Whether the part's output ends with a line feed, given the window before it; `None` if
    /// it copies from before the window's start.
    pub(crate) fn ends_line(&self, window: &[u8]) -> Option<bool> {
        let Some([a, b]) = self.last_byte else {
            return Some(false);
        };
        let mut byte = [a];
        resolve::resolve(&mut byte, &[b], window, 0).ok()?;
        Some(byte[0] == b'\n')
    }

    /// Line feeds in the part's output, given the window before it; `None` if it copies from
    /// before the window's start.
    pub(crate) fn lines(&self, window: &[u8]) -> Option<u64> {
        let mut lines = self.line_feeds;
        for &(position, count) in &self.copies {
            let byte = resolve::window_byte(window, usize::from(position))?;
            lines += count * u64::from(byte == b'\n');
        }
        Some(lines)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// The compressed data as the scan reads it: forward, overlapping, or past bytes never
    /// asked for, always the file's bytes; the end clamped at the file's.
    #[test]
    fn compressed_data_is_read_forward_once() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let path = dir.path().join("data");
        std::fs::write(&path, &bytes).unwrap();
        let source = Source::open(path.to_str().unwrap()).unwrap();
        let mut compressed = Compressed::new(&source, bytes.len() as u64);
        for (from, to) in [
            (10, 20),
            (15, 5_000),
            (5_000, 5_000),
            (40_000, 41_000),
            (40_500, 200_000),
        ] {
            let expected = &bytes[from..to.min(bytes.len())];
            assert!(
                compressed.get(from as u64, to as u64).unwrap() == expected,
                "{from}..{to}"
            );
        }
    }

    /// A part scanned in stretches of a few KiB gives what one stretch gives: boundaries,
    /// trailers, line feeds, copies, tail; with its window unknown or known.
    #[test]
    fn stretches_add_up_to_the_whole_part() {
        let dir = tempfile::tempdir().unwrap();
        let text = test_support::Reads::new(20_000).length(100..=160).bytes();
        let mut file = Vec::new();
        for (piece, level) in text.chunks(text.len() / 3 + 1).zip([6, 9, 1]) {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            encoder.write_all(piece).unwrap();
            file.extend(encoder.finish().unwrap());
        }
        let path = dir.path().join("r.fq.gz");
        std::fs::write(&path, &file).unwrap();
        let url = path.to_str().unwrap().to_string();
        let source = Source::open(&url).unwrap();
        let size = file.len() as u64;
        for range in [ByteRange::new(0, size), ByteRange::new(size / 5, size)] {
            let part = Part {
                seq: 0,
                url: url.clone(),
                range,
                size,
                span: 1 << 14,
            };
            let whole = scan_from(&source, &part, None, u64::MAX / 4).unwrap();
            assert!(whole.boundaries.len() > 10, "{}", whole.boundaries.len());
            // Inside a member, the window is unknown: bytes are copied from it.
            assert_eq!(range.start > 0, !whole.copies.is_empty());
            for stretch in [4096, 20_000] {
                let stretched = scan_from(&source, &part, None, stretch).unwrap();
                assert!(stretched == whole, "{range:?} in stretches of {stretch}");
            }
        }
        // From a checkpoint inside a member with its window known: the chain's redo.
        let index = crate::index::build(&source, 1 << 14, 1, true).unwrap();
        let checkpoint = index
            .checkpoints
            .iter()
            .find(|checkpoint| checkpoint.out > 100_000 && !checkpoint.member_start)
            .unwrap();
        let window = crate::index::decode_window(&checkpoint.window).unwrap();
        let place = Place::Block {
            bit: checkpoint.in_byte * 8 - u64::from(checkpoint.bits),
        };
        let part = Part {
            seq: 0,
            url,
            range: ByteRange::new(checkpoint.in_byte, size),
            size,
            span: 1 << 14,
        };
        let whole = scan_from(&source, &part, Some((place, &window)), u64::MAX / 4).unwrap();
        assert!(
            whole.copies.is_empty() && whole.output == index.uncompressed_size - checkpoint.out
        );
        let stretched = scan_from(&source, &part, Some((place, &window)), 4096).unwrap();
        assert!(stretched == whole, "known window, in stretches");
    }

    /// Stretches of less than 32 KiB of output (blocks of 2 KB), then copies from further
    /// back than the last stretch (reads repeated 29 KB later): each stretch's window and the
    /// part's tail reach back into the stretches before, with the window before the part
    /// unknown or known.
    #[test]
    fn stretches_of_little_output_add_up_too() {
        let dir = tempfile::tempdir().unwrap();
        let reads = test_support::Reads::new(50).length(100..=160).bytes();
        let other = test_support::Reads::new(50)
            .seed(2)
            .length(100..=160)
            .bytes();
        let text = [&reads[..], &other, &reads, &other, &reads].concat();
        // Sync flushes end the blocks and keep the window.
        let pieces: Vec<&[u8]> = text.chunks(2_000).collect();
        let file = test_support::gzip_flushed(&pieces, 6, flate2::FlushCompress::Sync);
        let path = dir.path().join("far.fq.gz");
        std::fs::write(&path, &file).unwrap();
        let url = path.to_str().unwrap().to_string();
        let source = Source::open(&url).unwrap();
        let size = file.len() as u64;
        let part = |range| Part {
            seq: 0,
            url: url.clone(),
            range,
            size,
            span: 1 << 12,
        };
        let index = crate::index::build(&source, 1 << 12, 1, true).unwrap();
        let checkpoint = index
            .checkpoints
            .iter()
            .find(|checkpoint| checkpoint.out > 20_000 && !checkpoint.member_start)
            .unwrap();
        let window = crate::index::decode_window(&checkpoint.window).unwrap();
        let place = Place::Block {
            bit: checkpoint.in_byte * 8 - u64::from(checkpoint.bits),
        };
        let known = Some((place, &window[..]));
        for (range, from) in [
            (ByteRange::new(0, size / 2), None),
            (ByteRange::new(size / 9, size / 2), None),
            (ByteRange::new(size / 9, size), None),
            (ByteRange::new(checkpoint.in_byte, size * 3 / 4), known),
        ] {
            let whole = scan_from(&source, &part(range), from, u64::MAX / 4).unwrap();
            for stretch in [512, 2048] {
                let stretched = scan_from(&source, &part(range), from, stretch).unwrap();
                assert!(stretched == whole, "{range:?} in stretches of {stretch}");
            }
        }
    }
}
