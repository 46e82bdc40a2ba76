//! Building the index: one streaming pass that decodes, places checkpoints, stores their
//! windows and finds the first record after each.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread;

use partition_core::{progress, Error, Result, Source};

use super::builder::Builder;
use super::GzIndex;
use crate::checksum::{Checksummed, Refill};
use crate::gzip::Decoder;
use crate::record::RecordReader;

/// Builds the index of `source`: in one streaming pass that validates every record, or with
/// `threads` above one in parts on that many threads ([`super::parts::build_on_threads`]),
/// which gives the same checkpoints; see [`super`] for what differs.
///
/// In the pass, decoding runs on a thread of its own and hands its output, in pieces, to the
/// record scan on this one: the scan then costs no time on the decoding path.
pub fn build(source: &Source, span: u64, threads: usize, quiet: bool) -> Result<GzIndex> {
    if threads > 1 {
        return super::parts::build_on_threads(source, span, threads, quiet)
            // The one-pass build says where and how the data is bad, in its own words.
            .or_else(|_| build(source, span, 1, quiet));
    }
    let input = progress::reader(source.reader()?, source.size(), quiet, source.url());
    let decoder = Decoder::observed(input, source.url(), Builder::new(span.max(1)));
    // Record errors give positions in the uncompressed stream; the decoder's, in the file.
    let name = format!("{} (uncompressed)", source.url());
    let (piece_sender, pieces) = sync_channel(PIECES_IN_FLIGHT);
    let (spare_sender, spares) = channel();
    let (first_sender, firsts) = channel();
    let (decoded, scanned) = thread::scope(|scope| {
        let decoding = scope.spawn(move || {
            let (decoder, ended) = decode(decoder, 0, piece_sender, spares, &firsts)?;
            Ok(ended.then(|| (decoder.into_observer(), firsts)))
        });
        let pieces = Pieces::new(pieces, spare_sender);
        let scanned = scan(pieces, &name, first_sender, &ScanBounds::WHOLE);
        let decoded = decoding.join().expect("the decoding thread does not panic");
        (decoded, scanned)
    });
    // A decoding error ends the output early, so it explains a record error too.
    let decoded = decoded.map_err(|e: std::io::Error| Error::io(source.url(), e))?;
    let scanned = scanned?;
    let (mut builder, firsts) = decoded.expect("the scan ran to the end of the output");
    // The scan has ended: these are the last first records.
    for first in firsts.try_iter() {
        builder.resolve(first);
    }
    let (crc32, lines) = (builder.crc32(), scanned.lines);
    Ok(GzIndex {
        span,
        compressed_size: source.size(),
        uncompressed_size: scanned.stop,
        records: scanned.records,
        lines,
        crc32,
        crcs_known: true,
        checkpoints: builder.finish(),
    })
}

/// Output bytes per piece handed from decoding to the record scan, and pieces under way.
pub(super) const PIECE: usize = 1 << 20;
pub(super) const PIECES_IN_FLIGHT: usize = 4;

/// Decoded output from offset `start`, with the output offsets of the checkpoints placed up to
/// its end.
pub(super) struct Piece {
    start: u64,
    bytes: Vec<u8>,
    length: usize,
    checkpoints: Vec<u64>,
}

/// Decodes the input into pieces (the first at output offset `start`), resolving checkpoints
/// with the first records the scan finds. Returns the decoder, and whether the output ended
/// (else the scan stopped taking pieces: it failed, and says why, or a part's scan is done).
pub(super) fn decode<R: Read>(
    mut decoder: Decoder<R, Builder>,
    mut start: u64,
    pieces: SyncSender<Piece>,
    spares: Receiver<Vec<u8>>,
    firsts: &Receiver<FirstRecord>,
) -> std::io::Result<(Decoder<R, Builder>, bool)> {
    loop {
        let mut bytes = spares.try_recv().unwrap_or_else(|_| vec![0; PIECE]);
        let mut length = 0;
        while length < PIECE {
            match decoder.read(&mut bytes[length..])? {
                0 => break,
                n => length += n,
            }
        }
        let builder = decoder.observer_mut();
        for first in firsts.try_iter() {
            builder.resolve(first);
        }
        let checkpoints = builder.take_unannounced();
        if length == 0 {
            return Ok((decoder, true));
        }
        let piece = Piece {
            start,
            bytes,
            length,
            checkpoints,
        };
        start += length as u64;
        if pieces.send(piece).is_err() {
            return Ok((decoder, false));
        }
    }
}

/// The decoded output, piece by piece, knowing the checkpoints placed up to where it has read
/// and counting lines (off the decoding thread).
pub(super) struct Pieces {
    receiver: Receiver<Piece>,
    spares: Sender<Vec<u8>>,
    /// Output offsets of checkpoints whose first record is not yet known, with the lines
    /// before each.
    checkpoints: VecDeque<(u64, u64)>,
    /// Lines in the pieces so far.
    lines: u64,
}

impl Pieces {
    pub(super) fn new(receiver: Receiver<Piece>, spares: Sender<Vec<u8>>) -> Pieces {
        Pieces {
            receiver,
            spares,
            checkpoints: VecDeque::new(),
            lines: 0,
        }
    }
}

impl Refill for Pieces {
    /// Swaps the next piece in: no copy.
    fn refill(&mut self, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
        let Ok(mut piece) = self.receiver.recv() else {
            return Ok(0);
        };
        let bytes = &piece.bytes[..piece.length];
        // Checkpoints announced with a piece lie inside it or at its end.
        let start = piece.start;
        let mut counted = 0;
        for &out in &piece.checkpoints {
            let upto = (out - start) as usize;
            self.lines += memchr::memchr_iter(b'\n', &bytes[counted..upto]).count() as u64;
            counted = upto;
            self.checkpoints.push_back((out, self.lines));
        }
        self.lines += memchr::memchr_iter(b'\n', &bytes[counted..]).count() as u64;
        std::mem::swap(buffer, &mut piece.bytes);
        // The decoding thread may have ended; then the buffer is not needed.
        let _ = self.spares.send(piece.bytes);
        Ok(piece.length)
    }
}

/// What the record scan learns besides the first records: the record count and the line count,
/// where the first record scanned starts, and where the scan stopped (the output's size, or for
/// a part, the start of the first record past its end).
pub(super) struct Scanned {
    pub records: u64,
    pub lines: u64,
    pub first_record: u64,
    pub stop: u64,
    /// Every record scanned had four lines (a part's scan stops at one that does not, or that
    /// does not parse).
    pub four_line: bool,
}

/// A checkpoint's lines before it, and its first record: where it starts, its number, and the
/// CRC32 of the output before it. One per checkpoint, in order.
pub(super) struct FirstRecord {
    pub lines: u64,
    pub out: u64,
    pub record: u64,
    pub crc_before: u32,
}

/// What the record scan covers: the whole output, or a part's records, from the first that
/// starts in it to the first after it. Offsets and lines count from the pieces' start.
pub(super) struct ScanBounds {
    /// Output offset of the pieces' start.
    pub start: u64,
    /// Lines to pass over before the first record (the first may be the rest of a line that
    /// began before the pieces).
    pub skip_lines: u64,
    /// Stop at the first record that starts here or later (all records: `None`).
    pub stop: Option<u64>,
}

impl ScanBounds {
    pub const WHOLE: ScanBounds = ScanBounds {
        start: 0,
        skip_lines: 0,
        stop: None,
    };
}

pub(super) fn scan(
    pieces: Pieces,
    name: &str,
    firsts: Sender<FirstRecord>,
    bounds: &ScanBounds,
) -> Result<Scanned> {
    let mut input = Checksummed::with_capacity(PIECE, pieces);
    let mut skipped = 0u64;
    let mut line = Vec::new();
    for _ in 0..bounds.skip_lines {
        line.clear();
        skipped += input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(name, e))? as u64;
    }
    let first_record = bounds.start + skipped;
    let mut records = RecordReader::new(input, name, first_record);
    let mut count = 0u64;
    let mut four_line = true;
    loop {
        // Checkpoints up to the next record's start are known once its bytes are decoded; the
        // CRC32 before the record is taken only where one of them resolves (about once a span).
        let start = records.offset();
        let input = records.input_mut();
        if input.fill_buf().map_err(|e| Error::io(name, e))?.is_empty() {
            // Checkpoints after the last record have no first record: dropped.
            break;
        }
        let resolves = input
            .get_mut()
            .checkpoints
            .front()
            .is_some_and(|&(out, _)| out <= start);
        let crc_before = resolves.then(|| input.prefix_crc());
        let stops = bounds.stop.is_some_and(|stop| start >= stop);
        let record_start = if stops {
            // A part's checkpoints close to its end have their first record in the next part.
            start
        } else {
            match records.next_record(None) {
                Ok(Some(span)) => span.start,
                Ok(None) => break,
                // A part's records were placed by line counts, four lines each: where that
                // fails the one-pass build says what is wrong, if anything is.
                Err(_) if bounds.stop.is_some() => {
                    four_line = false;
                    break;
                }
                Err(error) => return Err(error),
            }
        };
        if let Some(crc_before) = crc_before {
            let checkpoints = &mut records.input_mut().get_mut().checkpoints;
            while let Some(&(_, lines)) = checkpoints.front().filter(|&&(at, _)| at <= start) {
                checkpoints.pop_front();
                // The decoding thread may have failed; its error is the one reported.
                let _ = firsts.send(FirstRecord {
                    lines,
                    out: record_start,
                    record: count,
                    crc_before,
                });
            }
        }
        if stops {
            break;
        }
        count += 1;
        if bounds.stop.is_some() && records.lines() != 4 * count {
            four_line = false;
            break;
        }
    }
    let stop = records.offset();
    let lines = records.into_input().into_inner().lines;
    Ok(Scanned {
        records: count,
        lines,
        first_record,
        stop,
        four_line,
    })
}
