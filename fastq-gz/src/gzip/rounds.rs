//! A gzip file decoded on many threads, round after round, in bounded memory: each round
//! reads the next few MiB of compressed data, cuts them into one range per thread, finds
//! where each range can start ([`finder`], or a member header), decodes them all at once
//! ([`range`]), then chains them: a range counts only when the chain of verified ranges
//! before it ended exactly at its start. One that does not (a false block start, or a range
//! where nothing was found) is decoded again from where the chain ended, its window known.
//! Correctness never rests on the finder: every byte that comes out was decoded from a
//! verified place with its true window, and the member trailers are checked downstream.

use std::io::{self, Read};
use std::sync::mpsc::{channel, Receiver, Sender};

use partition_core::{Error, Position};

use super::finder;
use super::range::{self, Buffers, Failure, Output, Range, Start, Window};

/// Compressed data read past a round's end, where its last range finishes its last block.
const LOOKAHEAD: usize = 1 << 20;

/// Decoded output with the compressed data it came from, in file order.
pub struct Segment {
    /// File offsets of `data[0]` and of `output[0]`.
    pub in_base: u64,
    pub out_base: u64,
    pub data: Vec<u8>,
    pub output: Output,
    /// Offsets in `data` and `output`.
    pub events: Vec<range::Event>,
}

/// The decoding state between rounds.
pub struct Rounds<R> {
    input: R,
    name: String,
    threads: usize,
    range_bytes: usize,
    /// Compressed data from file offset `base` on, not yet decoded (but for the byte that
    /// holds the next block's first bits).
    buffer: Vec<u8>,
    base: u64,
    at_end: bool,
    /// Where the next round starts (in `buffer`), with the 32 KiB of output before it.
    next: Start,
    window: Vec<u8>,
    out: u64,
    done: bool,
    /// Output buffers to decode into: given back by whoever reads the segments.
    buffers: Buffers,
    returned: Receiver<Vec<u8>>,
    recycler: Sender<Vec<u8>>,
}

impl<R: Read> Rounds<R> {
    /// Rounds of `threads` ranges of about `range_bytes` compressed bytes each.
    pub fn new(input: R, name: &str, threads: usize, range_bytes: usize) -> Rounds<R> {
        let (recycler, returned) = channel();
        Rounds {
            input,
            name: name.to_string(),
            threads: threads.max(1),
            range_bytes: range_bytes.max(1),
            buffer: Vec::new(),
            base: 0,
            at_end: false,
            next: Start::Member(0),
            window: Vec::new(),
            out: 0,
            done: false,
            buffers: Buffers::default(),
            returned,
            recycler,
        }
    }

    /// Where a segment's output buffer goes once read, to be decoded into again.
    pub fn recycler(&self) -> Sender<Vec<u8>> {
        self.recycler.clone()
    }

    /// The next round's output, in order; `None` after the end of the file.
    pub fn next_round(&mut self) -> io::Result<Option<Vec<Segment>>> {
        if self.done {
            return Ok(None);
        }
        // The first range gets a double share: it decodes once where the others decode
        // twice, their windows being unknown.
        let mut wanted = self.range_bytes * (self.threads + 1) + LOOKAHEAD;
        loop {
            self.fill(wanted)?;
            // At the end of the last member, or of an empty file (no members, no output, as
            // gzip -d).
            if self.at_end && self.next == Start::Member(self.buffer.len()) {
                self.done = true;
                return Ok(None);
            }
            match self.round() {
                Ok(segments) => return Ok(Some(segments)),
                Err(Failure::NeedMore) => wanted = self.buffer.len() + self.range_bytes,
                Err(Failure::Invalid { byte, message }) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        Error::bad_input(
                            &self.name,
                            Position::Byte(self.base + byte as u64),
                            message,
                        ),
                    ))
                }
            }
        }
    }

    /// Reads until the buffer holds `wanted` bytes or the file ends.
    fn fill(&mut self, wanted: usize) -> io::Result<()> {
        while !self.at_end && self.buffer.len() < wanted {
            let length = self.buffer.len();
            self.buffer.resize(wanted, 0);
            let read = loop {
                match self.input.read(&mut self.buffer[length..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let read = read.inspect_err(|_| self.buffer.truncate(length))?;
            self.buffer.truncate(length + read);
            self.at_end = read == 0;
        }
        Ok(())
    }

    fn round(&mut self) -> Result<Vec<Segment>, Failure> {
        self.buffers.give(self.returned.try_iter());
        let buffers = &self.buffers;
        let data = &self.buffer[..];
        let at_end = self.at_end;
        let usable = if at_end {
            data.len()
        } else {
            data.len().saturating_sub(LOOKAHEAD)
        };
        let end_bit = if at_end { usize::MAX } else { usable * 8 };
        let starts = range_starts(data, self.next, usable * 8, self.threads);
        let stops: Vec<usize> = starts
            .iter()
            .skip(1)
            .map(|start| start.bit())
            .chain([end_bit])
            .collect();
        let window = &self.window;
        // Each thread's ranges, by where they start.
        let mut decoded: Vec<(Start, Option<Result<Range, Failure>>)> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = starts
                    .iter()
                    .zip(&stops)
                    .enumerate()
                    .map(|(i, (&start, &stop))| {
                        scope.spawn(move || match i {
                            0 => decode_share(data, at_end, start, stop, window, buffers),
                            _ => {
                                let range = range::decode(
                                    data,
                                    at_end,
                                    start,
                                    stop,
                                    Window::Unknown,
                                    buffers,
                                    false,
                                );
                                vec![(start, Some(range))]
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|handle| handle.join().expect("decoding does not panic"))
                    .collect()
            });
        // The chain, from the round's start: each range with the window before it, passed on
        // by resolving only each range's last 32 KiB.
        let mut chain = Vec::new();
        let mut window = self.window.clone();
        let mut next = self.next;
        loop {
            let range = match decoded.iter().position(|&(start, _)| start == next) {
                Some(index) => decoded[index].1.take().expect("each range joins once")?,
                None => {
                    let stop = stops
                        .iter()
                        .copied()
                        .find(|&stop| stop > next.bit())
                        .unwrap_or(end_bit);
                    range::decode(
                        data,
                        at_end,
                        next,
                        stop,
                        Window::Known(&window),
                        buffers,
                        false,
                    )?
                }
            };
            let after = range
                .window_after(&window)
                .map_err(|at| reaches_before(range.start, at))?;
            let end = range.end;
            chain.push((range, std::mem::replace(&mut window, after)));
            match end {
                None => {
                    self.done = true;
                    break;
                }
                Some(end) => {
                    next = end;
                    if end.bit() >= end_bit {
                        break;
                    }
                }
            }
        }
        // Every range resolved at once.
        let resolved: Vec<Result<Range, Failure>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chain
                .into_iter()
                .map(|(mut range, before)| {
                    scope.spawn(move || {
                        let second = range
                            .resolve(&before)
                            .map_err(|at| reaches_before(range.start, at))?;
                        buffers.give(second);
                        Ok(range)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("resolving does not panic"))
                .collect()
        });
        let mut segments = Vec::with_capacity(resolved.len());
        for range in resolved {
            let range = range?;
            let length = range.output.length as u64;
            segments.push(segment(data, self.base, self.out, range));
            self.out += length;
        }
        if self.done {
            return Ok(segments);
        }
        // The next round starts where this one's chain ended; keep the byte holding its
        // first bits.
        let keep_from = next.bit() / 8;
        self.buffer.drain(..keep_from);
        self.base += keep_from as u64;
        self.next = match next {
            Start::Member(byte) => Start::Member(byte - keep_from),
            Start::Block(bit) => Start::Block(bit - keep_from * 8),
        };
        self.window = window;
        Ok(segments)
    }
}

/// The first thread's double share, from `start` (its window known) to `stop`, as two ranges
/// of the others' size, one after the other: output buffers then all settle near one
/// range's output, where one range of a double share's would grow every reused buffer to
/// twice that.
fn decode_share(
    data: &[u8],
    at_end: bool,
    start: Start,
    stop: usize,
    window: &[u8],
    buffers: &Buffers,
) -> Vec<(Start, Option<Result<Range, Failure>>)> {
    let half = start.bit() + stop.saturating_sub(start.bit()) / 2;
    let first = range::decode(
        data,
        at_end,
        start,
        half,
        Window::Known(window),
        buffers,
        false,
    );
    let next = first.as_ref().ok().and_then(|range| {
        let end = range.end.filter(|end| end.bit() < stop)?;
        Some((end, range.window_after(window)))
    });
    let mut ranges = vec![(start, Some(first))];
    if let Some((end, after)) = next {
        let second = after
            .map_err(|at| reaches_before(start, at))
            .and_then(|after| {
                let window = Window::Known(&after);
                range::decode(data, at_end, end, stop, window, buffers, false)
            });
        ranges.push((end, Some(second)));
    }
    ranges
}

fn reaches_before(start: Start, at: usize) -> Failure {
    Failure::Invalid {
        byte: start.bit() / 8,
        message: format!("a match {at} bytes after this block reaches before the data's start"),
    }
}

/// A decoded range as a segment: its data and offsets made absolute.
fn segment(data: &[u8], base: u64, out_base: u64, range: Range) -> Segment {
    let from = range.start.bit() / 8;
    let to = range
        .events
        .iter()
        .map(|event| event.last_byte())
        .max()
        .unwrap_or(from);
    let events = range
        .events
        .into_iter()
        .map(|event| event.moved_back(from))
        .collect();
    Segment {
        in_base: base + from as u64,
        out_base,
        data: data[from..to].to_vec(),
        output: range.output,
        events,
    }
}

/// The first range starts at `first`; each other at the first block or member header found
/// in its share of the data up to `end_bit` (ranges without one are dropped), found on as
/// many threads. The first range's share is double.
fn range_starts(data: &[u8], first: Start, end_bit: usize, ranges: usize) -> Vec<Start> {
    let from = first.bit();
    let share = end_bit.saturating_sub(from) / (ranges + 1);
    let found: Vec<Option<Start>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..ranges)
            .map(|i| {
                let from = from + (i + 1) * share;
                let to = if i + 1 == ranges {
                    end_bit
                } else {
                    from + share
                };
                scope.spawn(move || finder::next_start(data, from, to))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("the finder does not panic"))
            .collect()
    });
    let mut starts = vec![first];
    starts.extend(found.into_iter().flatten());
    starts.dedup();
    starts
}
