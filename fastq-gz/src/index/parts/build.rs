//! Round two: a part decoded again from its true window by the one-pass builder, seeded as
//! that builder is where the part begins.

use std::io::Read;
use std::sync::mpsc::{channel, sync_channel};
use std::thread;

use partition_core::{ByteRange, Error, Result, Source};
use serde::{Deserialize, Serialize};

use super::super::build::{decode, scan, Pieces, ScanBounds, PIECE, PIECES_IN_FLIGHT};
use super::super::builder::Builder;
use super::super::Checkpoint;
use super::{Part, PartStart, Place};
use crate::gzip::{Decoder, Observer, Resume};

/// A part's share of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartIndex {
    pub seq: u64,
    /// The checkpoints placed in the part, as in the index but for `record` (counted from
    /// the part's first record) and `first_crc` (of the output from the part's start).
    pub checkpoints: Vec<Checkpoint>,
    /// Records that start in the part, where the first starts, and where the next (the next
    /// part's first) does.
    pub records: u64,
    pub first_record: u64,
    pub next_record: u64,
    /// Every record in the part has four lines and parses: else its records may not be
    /// where the line count put them, and the join builds the index in one pass instead.
    pub four_line: bool,
    /// CRC32s of the part's output from its start to each member start in it, then to its
    /// end (output offset, CRC32).
    pub crcs: Vec<(u64, u32)>,
}

/// Round two for `part`, from where the chain says it starts.
pub fn build_part(part: &Part, start: &PartStart) -> Result<PartIndex> {
    let Some(place) = start.start else {
        // The part before decoded this one's range whole: nothing is left to it.
        return Ok(PartIndex {
            seq: part.seq,
            checkpoints: Vec::new(),
            records: 0,
            first_record: start.out,
            next_record: start.out,
            four_line: true,
            crcs: Vec::new(),
        });
    };
    let source = Source::open(&part.url)?;
    source.expect_size(Some(part.size))?;
    let (in_byte, bits) = match place {
        Place::Member { byte } => (byte, 0),
        Place::Block { bit } => (bit.div_ceil(8), (bit.div_ceil(8) * 8 - bit) as u8),
    };
    // The byte that holds the start's first bits is the resumed decoder's to read, and the
    // builder's to keep: read once, handed to both.
    let read_from = in_byte - u64::from(bits > 0);
    let mut input = source.range_reader(ByteRange::new(read_from, part.size))?;
    let mut first_byte = vec![0; usize::from(bits > 0)];
    input
        .read_exact(&mut first_byte)
        .map_err(|e| Error::io(&part.url, e))?;
    let last_input = first_byte.first().copied().unwrap_or(0);
    let input = std::io::Cursor::new(first_byte).chain(input);
    let bounds = (start.out, start.out_end, start.end.map(Place::bit));
    let mut builder = Builder::for_part(
        part.span,
        start.last_checkpoint,
        &start.window,
        last_input,
        bounds,
    );
    let resume = match place {
        Place::Member { byte } => Resume::MemberStart {
            in_byte: byte,
            out: start.out,
        },
        Place::Block { .. } => {
            // The one-pass decoder reports this boundary; the resumed one starts past it.
            builder.block_boundary(in_byte, bits, start.out);
            Resume::Block {
                in_byte,
                bits,
                out: start.out,
                window: &start.window,
            }
        }
    };
    let decoder =
        Decoder::resume(input, &part.url, resume, builder).map_err(|e| Error::io(&part.url, e))?;
    // The part's first record starts the first line, at or after its start, whose number is
    // a multiple of four.
    let skip_lines = match start.line_start {
        true => (4 - start.lines % 4) % 4,
        false => 1 + (4 - (start.lines + 1) % 4) % 4,
    };
    let scan_bounds = ScanBounds {
        start: start.out,
        skip_lines,
        stop: Some(start.out_end),
    };
    let name = format!("{} (uncompressed)", part.url);
    let (piece_sender, pieces) = sync_channel(PIECES_IN_FLIGHT);
    let (spare_sender, spares) = channel();
    let (first_sender, firsts) = channel();
    let (decoded, scanned) = thread::scope(|scope| {
        let decoding = scope.spawn(move || -> std::io::Result<_> {
            let (mut decoder, _) = decode(decoder, start.out, piece_sender, spares, &firsts)?;
            // The windows of the part's last checkpoints still want the data after them.
            let mut scratch = vec![0; PIECE];
            while !decoder.observer_mut().windows_complete() {
                if decoder.read(&mut scratch)? == 0 {
                    break;
                }
            }
            Ok((decoder.into_observer(), firsts))
        });
        let scanned = scan(
            Pieces::new(pieces, spare_sender),
            &name,
            first_sender,
            &scan_bounds,
        );
        let decoded = decoding.join().expect("the decoding thread does not panic");
        (decoded, scanned)
    });
    // A decoding error ends the output early, so it explains a record error too.
    let (mut builder, firsts) = decoded.map_err(|e| Error::io(&part.url, e))?;
    let scanned = scanned?;
    for first in firsts.try_iter() {
        builder.resolve(first);
    }
    let crcs = builder.part_crcs();
    let mut checkpoints = builder.finish();
    for checkpoint in &mut checkpoints {
        checkpoint.lines += start.lines;
    }
    Ok(PartIndex {
        seq: part.seq,
        checkpoints,
        records: scanned.records,
        first_record: scanned.first_record,
        next_record: scanned.stop,
        four_line: scanned.four_line,
        crcs,
    })
}
