//! One compressed range of a gzip file decoded on its own, on zlib-rs: the unit of the index
//! built in parts, across workers or on threads ([`crate::index::parts`]).
//!
//! A range that starts at a deflate block inside a member needs the 32 KiB of output before
//! it, which the range before has not produced yet. pugz and rapidgzip decode such a range
//! with a decoder of their own whose output symbols can stand for "byte i of the unknown
//! window" (this crate's [`super::markers`] does too, for the block finder). Here zlib-rs
//! does it instead, twice, with two made-up windows: window A holds `i & 0xff` at position
//! `i`, window B holds `(i & 0xff) ^ (1 + (i >> 8))`. A byte decoded as a literal is the same
//! in both passes; a byte copied, however indirectly, from window position `i` differs, and
//! the pair of values names `i` (`a ^ b - 1` is `i >> 8`, `a` is `i & 0xff`). Once the true
//! window is known, [`super::resolve`] puts its bytes in. Two passes of zlib-rs cost less
//! than one of a hand-written decoder that emits 16-bit symbols, and they validate the data
//! exactly as the sequential decoder does. Why not switch to one pass once the output no
//! longer refers to the window: in FASTQ it always does, since every read name copies the
//! one before it, back to the first in the range.

use std::sync::Mutex;

use super::header_length;
use super::inflate::RawInflate;
use super::resolve::{window_position, MarkedTail};
use super::WINDOW;

/// Output per inflate call: how finely [`Event::Inflated`] reports progress.
const CALL_OUTPUT: usize = 64 * 1024;

/// Where a range starts (offsets in the data decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A gzip member's header at this byte: nothing before it is needed.
    Member(usize),
    /// A deflate block at this bit, inside a member.
    Block(usize),
}

impl Start {
    pub fn bit(self) -> usize {
        match self {
            Start::Member(byte) => byte * 8,
            Start::Block(bit) => bit,
        }
    }
}

/// What decoding a range met, in order. Offsets: bytes in the data, output within the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A member's header starts at `byte`; its deflate data at `body`.
    MemberStart {
        byte: usize,
        body: usize,
        out: usize,
    },
    /// One inflate call: the data up to `byte` gave the output up to `out`; it stopped at a
    /// block boundary with `bits` unused bits in the last byte, or not (`None`).
    Inflated {
        byte: usize,
        out: usize,
        boundary: Option<u8>,
    },
    /// A member's trailer, ending at `byte`: the CRC32 and size its output must have.
    MemberEnd { byte: usize, crc: u32, size: u32 },
}

/// Why a range did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The data given ends before the range does, and the file goes on.
    NeedMore,
    /// Not gzip: what is wrong, at which byte of the data.
    Invalid { byte: usize, message: String },
}

/// The window a range starts with.
#[derive(Debug, Clone, Copy)]
pub enum Window<'a> {
    /// The true 32 KiB before the range (less at a member's start, none for a member start).
    Known(&'a [u8]),
    /// Not yet known: decoded twice, resolved later.
    Unknown,
    /// Not yet known, but the range before was decoded twice with it unknown: its tail in
    /// marker form is this range's window, so that copies from the window still name it.
    Marked(&'a MarkedTail),
}

/// Output decoded into a buffer that is reused: `bytes` past `length` are left from before
/// (zeroing them again would cost as much as a pass of decoding).
#[derive(Debug, Default)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub length: usize,
}

impl Output {
    pub fn reuse(bytes: Vec<u8>) -> Output {
        Output { bytes, length: 0 }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.length]
    }
}

/// Output buffers lent to decoding and given back once their output is read: reused, they
/// stay mapped and warm, and their sizes settle near the largest range's output.
#[derive(Debug, Default)]
pub struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self) -> Vec<u8> {
        self.lock().pop().unwrap_or_default()
    }

    pub fn give(&self, buffers: impl IntoIterator<Item = Vec<u8>>) {
        self.lock().extend(buffers);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.0.lock().expect("no thread panics holding it")
    }
}

/// A decoded range.
#[derive(Debug)]
pub struct Range {
    pub start: Start,
    /// Where decoding stopped: the first block boundary or member header at or past the stop
    /// bit it was given; `None` at the end of the file.
    pub end: Option<Start>,
    /// The output; with the window unknown, bytes copied from it are still made up.
    pub output: Output,
    /// With the window unknown: the output of the second pass, up to the end of the first
    /// member (the window reaches no further).
    second: Option<Output>,
    pub events: Vec<Event>,
}

/// Decodes `data` from `start` until a block boundary or a member header at or past
/// `stop_bit`, or the end of the file. `at_end`: `data` ends where the file does. `buffers`
/// lends the memory the output goes to. With the window unknown, the two passes run on two
/// threads.
pub fn decode(
    data: &[u8],
    at_end: bool,
    start: Start,
    stop_bit: usize,
    window: Window<'_>,
    buffers: &Buffers,
) -> Result<Range, Failure> {
    let mut output = Output::reuse(buffers.take());
    let mut events = Vec::new();
    let (first, second) = match (start, window) {
        (Start::Member(_), _) => (Vec::new(), None),
        (Start::Block(_), Window::Known(window)) => (window.to_vec(), None),
        (Start::Block(_), Window::Unknown) => (made_up_window(false), Some(made_up_window(true))),
        (Start::Block(_), Window::Marked(tail)) => {
            let mut second = tail.second.clone();
            second.extend_from_slice(&tail.first[tail.second.len()..]);
            (tail.first.clone(), Some(second))
        }
    };
    let pass = Pass {
        data,
        at_end,
        start,
        stop_bit,
    };
    let (end, second) = match second {
        Some(window) => std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                let mut second = Output::reuse(buffers.take());
                pass.run(&window, true, &mut second, None).map(|_| second)
            });
            let end = pass.run(&first, false, &mut output, Some(&mut events));
            let second = second.join().expect("decoding does not panic");
            (end, Some(second))
        }),
        None => (
            pass.run(&first, false, &mut output, Some(&mut events)),
            None,
        ),
    };
    // The second pass fails where the first does: only the first's error counts.
    let end = end?;
    let second = second.transpose()?;
    Ok(Range {
        start,
        end,
        output,
        second,
        events,
    })
}

/// The window a range decoded with it unknown starts with, in marker form.
pub fn unknown_window() -> MarkedTail {
    MarkedTail {
        first: made_up_window(false),
        second: made_up_window(true),
        from_member_start: false,
        offset: 0,
    }
}

/// Window A (`i & 0xff`) or B (`(i & 0xff) ^ (1 + (i >> 8))`): never equal at any position.
fn made_up_window(b: bool) -> Vec<u8> {
    (0..WINDOW)
        .map(|i| {
            let low = (i & 0xff) as u8;
            if b {
                low ^ (1 + (i >> 8)) as u8
            } else {
                low
            }
        })
        .collect()
}

impl Range {
    /// The window after this range, given the one before it: its last 32 KiB of output
    /// (resolved, when the range is not yet), or the output since the last member's start
    /// (none when it stopped at a member's start).
    pub fn window_after(&self, before: &[u8]) -> Result<Vec<u8>, usize> {
        self.marked_tail().resolve(before)
    }

    /// [`Range::window_after`] before the window is known. A range that stopped at a member
    /// start (or the file's end) leaves no window.
    pub fn marked_tail(&self) -> MarkedTail {
        if matches!(self.end, Some(Start::Member(_)) | None) {
            return MarkedTail {
                first: Vec::new(),
                second: Vec::new(),
                from_member_start: true,
                offset: self.output.length,
            };
        }
        let member_start = self.member_start_out();
        let output = self.output.as_slice();
        let from = member_start
            .unwrap_or(0)
            .max(output.len().saturating_sub(WINDOW));
        let second = self.second.as_ref().map_or(&[][..], |second| {
            &second.as_slice()[from.min(second.length)..]
        });
        MarkedTail {
            first: output[from..].to_vec(),
            second: second.to_vec(),
            from_member_start: member_start.is_some(),
            offset: from,
        }
    }

    /// Calls `each` with the window position that every byte copied from the unknown window
    /// came from, and says how many of them pass A decoded as a line feed.
    pub fn for_each_marker(&self, mut each: impl FnMut(usize)) -> u64 {
        let Some(second) = &self.second else {
            return 0;
        };
        let (first, second) = (&self.output.bytes[..second.length], second.as_slice());
        let mut line_feeds = 0;
        let mut each_different = |a: &[u8], b: &[u8]| {
            for (&a, &b) in a.iter().zip(b) {
                if a != b {
                    each(window_position(a, b));
                    line_feeds += u64::from(a == b'\n');
                }
            }
        };
        // Eight bytes compared at once: most are literals, the same in both passes.
        let (words_a, words_b) = (first.chunks_exact(8), second.chunks_exact(8));
        let rest = (words_a.remainder(), words_b.remainder());
        for (a, b) in words_a.zip(words_b) {
            let word = |bytes: &[u8]| u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
            if word(a) != word(b) {
                each_different(a, b);
            }
        }
        each_different(rest.0, rest.1);
        line_feeds
    }

    /// The range's output buffers, to decode the next range into.
    pub fn into_buffers(self) -> impl Iterator<Item = Vec<u8>> {
        std::iter::once(self.output.bytes).chain(self.second.map(|second| second.bytes))
    }

    /// The output's last byte from both passes (equal unless copied from the unknown window):
    /// resolve it as the output is, with [`super::resolve::resolve`].
    pub fn last_byte(&self) -> Option<[u8; 2]> {
        let at = self.output.length.checked_sub(1)?;
        let a = self.output.bytes[at];
        let b = self
            .second
            .as_ref()
            .filter(|second| at < second.length)
            .map_or(a, |second| second.bytes[at]);
        Some([a, b])
    }

    fn member_start_out(&self) -> Option<usize> {
        self.events.iter().rev().find_map(|event| match event {
            Event::MemberStart { out, .. } => Some(*out),
            _ => None,
        })
    }
}

/// One decoding pass over a range.
struct Pass<'a> {
    data: &'a [u8],
    at_end: bool,
    start: Start,
    stop_bit: usize,
}

impl Pass<'_> {
    /// Decodes with `window` before the start, appending to `output` and `events`; with
    /// `first_member_only`, stops at the first member's end.
    fn run(
        &self,
        window: &[u8],
        first_member_only: bool,
        output: &mut Output,
        mut events: Option<&mut Vec<Event>>,
    ) -> Result<Option<Start>, Failure> {
        let data = self.data;
        let mut inflate = RawInflate::new();
        let produced = &mut output.length;
        let output = &mut output.bytes;
        let (mut at, mut in_body) = match self.start {
            Start::Member(byte) => (byte, false),
            Start::Block(bit) => {
                let at = bit.div_ceil(8);
                let bits = (at * 8 - bit) as u8;
                if bits > 0 {
                    let byte = *data.get(at - 1).ok_or(Failure::NeedMore)?;
                    inflate.prime(bits, byte).map_err(|m| invalid(at, m))?;
                }
                inflate.set_dictionary(window).map_err(|m| invalid(at, m))?;
                (at, true)
            }
        };
        let mut record = |event: Event| {
            if let Some(events) = events.as_deref_mut() {
                events.push(event);
            }
        };
        loop {
            if !in_body {
                if at == data.len() && self.at_end && at * 8 > self.start.bit() {
                    return Ok(None);
                }
                if at * 8 >= self.stop_bit && at * 8 > self.start.bit() {
                    return Ok(Some(Start::Member(at)));
                }
                let length = match header_length(&data[at..]) {
                    Ok(Some(length)) => length,
                    Ok(None) if self.at_end => {
                        return Err(invalid(at, "file ends inside a gzip header (truncated?)"))
                    }
                    Ok(None) => return Err(Failure::NeedMore),
                    Err(message) => return Err(invalid(at, message)),
                };
                record(Event::MemberStart {
                    byte: at,
                    body: at + length,
                    out: *produced,
                });
                at += length;
                inflate.reset();
                in_body = true;
                continue;
            }
            if at == data.len() {
                return Err(self.ran_out(at, "file ends inside compressed data (truncated?)"));
            }
            if output.len() < *produced + CALL_OUTPUT {
                // By a quarter: buffers are reused, so their size settles near the largest
                // range's output instead of up to twice it.
                let grown = (output.len() + output.len() / 4)
                    .max(*produced + CALL_OUTPUT)
                    .max(1 << 20);
                output.resize(grown, 0);
            }
            let step = inflate
                .inflate(
                    &data[at..],
                    &mut output[*produced..*produced + CALL_OUTPUT],
                    true,
                )
                .map_err(|m| invalid(at, m))?;
            at += step.consumed;
            *produced += step.produced;
            let boundary = (step.at_block_boundary && !step.stream_end).then_some(step.bits);
            record(Event::Inflated {
                byte: at,
                out: *produced,
                boundary,
            });
            if step.stream_end {
                let Some(trailer) = data.get(at..at + 8) else {
                    return Err(self.ran_out(at, "file ends inside a gzip trailer (truncated?)"));
                };
                let crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
                let size = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes"));
                at += 8;
                record(Event::MemberEnd {
                    byte: at,
                    crc,
                    size,
                });
                in_body = false;
                if first_member_only {
                    return Ok(Some(Start::Member(at)));
                }
            } else if let Some(bits) = boundary {
                let bit = at * 8 - usize::from(bits);
                if bit >= self.stop_bit {
                    return Ok(Some(Start::Block(bit)));
                }
            } else if step.consumed == 0 && step.produced == 0 && at < data.len() {
                return Err(invalid(at, "inflate made no progress"));
            }
        }
    }

    fn ran_out(&self, at: usize, message: &str) -> Failure {
        if self.at_end {
            invalid(at, message)
        } else {
            Failure::NeedMore
        }
    }
}

fn invalid(byte: usize, message: impl Into<String>) -> Failure {
    Failure::Invalid {
        byte,
        message: message.into(),
    }
}
