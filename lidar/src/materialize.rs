//! Tiles from manifest lines, and buffers taken off again.
//!
//! A worker reads each source's head, the runs of blocks the plan listed and the EVLRs,
//! keeps the points whose x/y fall in the tile's buffered box, and writes them core first,
//! then buffer (flagged withheld), with a tile record saying how many of each.

use std::io::Write;

use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source};
use rayon::prelude::*;

use crate::decode::{self, Fields};
use crate::layout::{Block, Head, Layout, Vlr};
use crate::plan::{batches, LasDetail, Tile};
use crate::write::{file_bytes, Format, TileRecord};

/// Stored bytes decoded at a time by one worker thread.
const BATCH_BYTES: u64 = 8 << 20;

/// A tile's points, sorted out of its sources.
pub struct TilePoints {
    /// Header and VLRs of the tile's first source: the tile's template.
    pub head: Head,
    pub evlrs: Vec<Vlr>,
    /// Core records, then buffer records (withheld set).
    pub records: Vec<u8>,
    pub record: TileRecord,
}

/// Reads a `las` chunk's points from its sources.
pub fn tile_points(chunk: &Chunk) -> Result<TilePoints> {
    chunk.expect_kind(&[Kind::Las])?;
    let detail: LasDetail = chunk.detail()?;
    if detail.sources.len() != chunk.sources.len() {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            "detail.sources does not match sources",
        ));
    }
    let tile = Tile {
        core: detail.core,
        buffered: detail.buffered,
        core_points: detail.core_points,
        buffer_points: detail.buffer_points,
    };
    let mut template: Option<(Head, Vec<Vlr>)> = None;
    let mut core = Vec::new();
    let mut buffer = Vec::new();
    for (source_ranges, source_detail) in chunk.sources.iter().zip(&detail.sources) {
        let url = &source_ranges.url;
        let source = Source::open(url)?;
        source.expect_size(source_ranges.size)?;
        let runs = &source_detail.runs;
        let ranges = &source_ranges.ranges;
        let expected = 1 + runs.len() + usize::from(source_detail.evlrs);
        if ranges.len() != expected {
            return Err(Error::bad_file(
                format!("chunk {}", chunk.id),
                format!("{url}: {} ranges for {expected} reads", ranges.len()),
            ));
        }
        let head = Head::parse(url, &source.read_range(ranges[0])?)?;
        if let Some((first, _)) = &template {
            if first.format != head.format {
                return Err(Error::bad_file(
                    url,
                    "its point format differs from the tile's first source",
                ));
            }
        }
        let blocks = run_blocks(&head, runs, &ranges[1..=runs.len()], url)?;
        let sorted: Vec<(Vec<u8>, Vec<u8>)> = batches(&blocks, BATCH_BYTES)
            .par_iter()
            .map(|batch| {
                let range = ByteRange::new(batch[0].range.start, batch[batch.len() - 1].range.end);
                let bytes = source.read_range(range)?;
                let records = decode::records(url, &head, batch, &bytes, Fields::All)?;
                Ok(sort_points(&head, &tile, &records))
            })
            .collect::<Result<_>>()?;
        for (c, b) in sorted {
            core.extend_from_slice(&c);
            buffer.extend_from_slice(&b);
        }
        if template.is_none() {
            let evlrs = if source_detail.evlrs {
                let range = ranges[ranges.len() - 1];
                let count = head.header.evlr.map_or(0, |e| e.number_of_evlrs);
                crate::layout::parse_evlrs(url, &source.read_range(range)?, range.start, count)?
            } else {
                Vec::new()
            };
            template = Some((head, evlrs));
        }
    }
    let (head, evlrs) = template.expect("a chunk has sources");
    let record_len = head.format.record_bytes() as u64;
    let (core_points, buffer_points) = (
        core.len() as u64 / record_len,
        buffer.len() as u64 / record_len,
    );
    if (core_points, buffer_points) != (detail.core_points, detail.buffer_points) {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            format!(
                "found {core_points} core and {buffer_points} buffer points where the plan counted \
                 {} and {}; a source changed since planning",
                detail.core_points, detail.buffer_points
            ),
        ));
    }
    core.extend_from_slice(&buffer);
    Ok(TilePoints {
        head,
        evlrs,
        records: core,
        record: TileRecord {
            core_points,
            buffer_points,
            buffer: detail.buffer,
            core: detail.core,
        },
    })
}

/// The blocks of each run: LAZ chunks as listed, LAS records in blocks of about 1 MiB.
fn run_blocks(
    head: &Head,
    runs: &[crate::plan::Run],
    ranges: &[ByteRange],
    url: &str,
) -> Result<Vec<Block>> {
    let record = u64::from(head.format.record_length);
    let mut blocks = Vec::new();
    for (run, range) in runs.iter().zip(ranges) {
        if head.laz.is_some() {
            let mut at = range.start;
            let mut first_point = run.first_point;
            for &[points, bytes] in &run.chunks {
                blocks.push(Block {
                    range: ByteRange::new(at, at + bytes),
                    first_point,
                    points,
                });
                at += bytes;
                first_point += points;
            }
            if at != range.end {
                return Err(Error::bad_file(
                    url,
                    format!("LAZ chunks of the run at {range} do not add up to it"),
                ));
            }
        } else {
            if range.len() % record != 0 {
                return Err(Error::bad_file(
                    url,
                    format!("{range} is not a whole number of {record}-byte records"),
                ));
            }
            let per_block = ((1u64 << 20) / record).max(1);
            let points = range.len() / record;
            let mut done = 0;
            while done < points {
                let n = per_block.min(points - done);
                let start = range.start + done * record;
                blocks.push(Block {
                    range: ByteRange::new(start, start + n * record),
                    first_point: run.first_point + done,
                    points: n,
                });
                done += n;
            }
        }
    }
    Ok(blocks)
}

/// Core and buffer records of `tile` among `records`; buffer records get the withheld flag.
fn sort_points(head: &Head, tile: &Tile, records: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut core = Vec::new();
    let mut buffer = Vec::new();
    for record in records.chunks_exact(head.format.record_bytes()) {
        let [x, y, _] = crate::record::PointFormat::xyz(record);
        let p = head.scale_xy(x, y);
        if tile.owns(p) {
            core.extend_from_slice(record);
        } else if tile.reaches(p) {
            let at = buffer.len();
            buffer.extend_from_slice(record);
            head.format.set_withheld(&mut buffer[at..]);
        }
    }
    (core, buffer)
}

/// A chunk as a tile file: LAZ or LAS as asked, else the format of its sources.
pub fn tile_bytes(chunk: &Chunk, format: Option<Format>) -> Result<Vec<u8>> {
    let tile = tile_points(chunk)?;
    let format = format.unwrap_or_else(|| Format::of_head(&tile.head));
    file_bytes(
        &tile.head,
        &tile.evlrs,
        &tile.records,
        Some(&tile.record),
        format,
    )
}

/// Writes a chunk's tile file in the format of its sources (what `fanout` gives a command).
pub fn write_chunk(chunk: &Chunk, out: &mut dyn Write) -> Result<()> {
    let bytes = tile_bytes(chunk, None)?;
    out.write_all(&bytes)
        .map_err(partition_core::cli::output_error)
}

/// What `unbuffer` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unbuffered {
    pub core_points: u64,
    pub removed: u64,
}

/// Takes a tile's buffer points off: its first `core_points` records, without the tile
/// record, written in `format` (else the tile's own).
pub fn unbuffer(input: &str, output: &str, format: Option<Format>) -> Result<Unbuffered> {
    let source = Source::open(input)?;
    let layout = Layout::read(&source)?;
    let Some(record) = TileRecord::find(input, &layout.head.vlrs)? else {
        return Err(Error::bad_file(
            input,
            "not a lidar-tile tile: it has no chunkwise tile record (VLR chunkwise/1)",
        ));
    };
    if record.core_points + record.buffer_points != layout.points() {
        return Err(Error::bad_file(
            input,
            format!(
                "its tile record counts {} core and {} buffer points but the file holds {}",
                record.core_points,
                record.buffer_points,
                layout.points()
            ),
        ));
    }
    let record_len = layout.head.format.record_bytes();
    let mut records = Vec::with_capacity(record.core_points as usize * record_len);
    for batch in batches(&layout.blocks, BATCH_BYTES) {
        if records.len() as u64 >= record.core_points * record_len as u64 {
            break;
        }
        let range = ByteRange::new(batch[0].range.start, batch[batch.len() - 1].range.end);
        let bytes = source.read_range(range)?;
        records.extend_from_slice(&decode::records(
            input,
            &layout.head,
            batch,
            &bytes,
            Fields::All,
        )?);
    }
    records.truncate(record.core_points as usize * record_len);
    let format = format
        .or_else(|| Format::of_path(output))
        .unwrap_or_else(|| Format::of_head(&layout.head));
    let bytes = file_bytes(&layout.head, &layout.evlrs, &records, None, format)?;
    partition_core::output::write_file(output, |out| out.write_all(&bytes))?;
    Ok(Unbuffered {
        core_points: record.core_points,
        removed: record.buffer_points,
    })
}
