//! Tiles from manifest lines, and buffers taken off again.
//!
//! A worker reads each source's head, the runs of blocks the plan listed and the EVLRs,
//! keeps the points whose x/y fall in the tile's buffered box, and writes them core first,
//! then buffer (flagged withheld), with a tile record saying how many of each.

use std::collections::BTreeMap;
use std::io::Write;

use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source};
use rayon::prelude::*;

use crate::decode::{self, Fields};
use crate::layout::{las_blocks, Block, Head, Layout, Vlr};
use crate::plan::{batches, LasDetail, Tile};
use crate::write::{file_bytes, Format, TileRecord};

/// Stored bytes decoded at a time by one worker thread.
const BATCH_BYTES: u64 = 4 << 20;

/// A tile's points, sorted out of its sources.
pub struct TilePoints {
    /// Header and VLRs of the tile's first source: the tile's template.
    pub head: Head,
    pub evlrs: Vec<Vlr>,
    /// Core records, then buffer records (withheld set).
    pub records: Vec<u8>,
    pub record: TileRecord,
    /// The format the plan chose for the tile (its first input's).
    pub format: Format,
}

impl TilePoints {
    /// The tile as a file: LAZ or LAS as asked, else the format the plan chose.
    pub fn file(&self, format: Option<Format>) -> Result<(Format, Vec<u8>)> {
        let format = format.unwrap_or(self.format);
        let bytes = file_bytes(
            &self.head,
            &self.evlrs,
            &self.records,
            Some(&self.record),
            format,
        )?;
        Ok((format, bytes))
    }
}

/// Reads a `las` chunk's points from its sources.
pub fn tile_points(chunk: &Chunk) -> Result<TilePoints> {
    let mut tiles = group_points(&[chunk])?;
    Ok(tiles.pop().expect("one tile per chunk"))
}

/// Reads the points of several tiles, decoding each block they share only once.
pub fn group_points(chunks: &[&Chunk]) -> Result<Vec<TilePoints>> {
    let mut tiles = Vec::with_capacity(chunks.len());
    let mut sources: Vec<SourceReads> = Vec::new();
    for (t, chunk) in chunks.iter().enumerate() {
        chunk.expect_kind(&[Kind::Las])?;
        let detail: LasDetail = chunk.detail()?;
        let name = || format!("chunk {}", chunk.id);
        if detail.sources.len() != chunk.sources.len() {
            return Err(Error::bad_file(
                name(),
                "detail.sources does not match sources",
            ));
        }
        let mut template = None;
        for (source_ranges, source_detail) in chunk.sources.iter().zip(&detail.sources) {
            let url = &source_ranges.url;
            let runs = &source_detail.runs;
            let ranges = &source_ranges.ranges;
            let expected = 1 + runs.len() + usize::from(source_detail.evlrs);
            if ranges.len() != expected {
                return Err(Error::bad_file(
                    name(),
                    format!("{url}: {} ranges for {expected} reads", ranges.len()),
                ));
            }
            let s = match sources.iter().position(|s| &s.url == url) {
                Some(s) => s,
                None => {
                    sources.push(SourceReads::open(url, source_ranges.size, ranges[0])?);
                    sources.len() - 1
                }
            };
            if sources[s].head.format != sources[0].head.format {
                return Err(Error::bad_file(
                    url,
                    "its point format differs from the other sources'",
                ));
            }
            let reads = &mut sources[s];
            for block in run_blocks(&reads.head, runs, &ranges[1..=runs.len()], url)? {
                reads
                    .blocks
                    .entry(block.range.start)
                    .or_insert((block, Vec::new()))
                    .1
                    .push(t);
            }
            if template.is_none() {
                let evlrs = if source_detail.evlrs {
                    reads.evlrs(ranges[ranges.len() - 1])?
                } else {
                    Vec::new()
                };
                template = Some((reads.head.clone(), evlrs));
            }
        }
        let (head, evlrs) = template.ok_or_else(|| Error::bad_file(name(), "no sources"))?;
        let tile = Tile {
            core: detail.core,
            buffered: detail.buffered,
            core_points: detail.core_points,
            buffer_points: detail.buffer_points,
        };
        tiles.push((tile, detail.buffer, detail.format, head, evlrs));
    }

    // Room for each tile's records up front: the core vector also takes the buffer records
    // at the end, so no tile's records are ever copied to grow.
    let record_len = sources[0].head.format.record_bytes() as u64;
    let mut core = Vec::with_capacity(chunks.len());
    let mut buffer = Vec::with_capacity(chunks.len());
    for (chunk, (tile, ..)) in chunks.iter().zip(&tiles) {
        let reserve = |points: u64| {
            let mut records = Vec::new();
            points
                .checked_mul(record_len)
                .and_then(|bytes| records.try_reserve_exact(bytes as usize).ok())
                .ok_or_else(|| {
                    Error::bad_file(
                        format!("chunk {}", chunk.id),
                        format!("{points} points do not fit in memory"),
                    )
                })?;
            Ok::<_, Error>(records)
        };
        core.push(reserve(tile.core_points + tile.buffer_points)?);
        buffer.push(reserve(tile.buffer_points)?);
    }
    for reads in &sources {
        let blocks: Vec<Block> = reads.blocks.values().map(|(block, _)| *block).collect();
        // Two batches per thread at a time, so that sorted records are appended to their
        // tiles before more are decoded (memory stays the tiles' own records).
        let window = rayon::current_num_threads() * 2;
        for window in batches(&blocks, BATCH_BYTES).chunks(window) {
            let sorted: Vec<Vec<Sorted>> = window
                .par_iter()
                .map(|batch| {
                    let range =
                        ByteRange::new(batch[0].range.start, batch[batch.len() - 1].range.end);
                    let bytes = reads.source.read_range(range)?;
                    let records =
                        decode::records(&reads.url, &reads.head, batch, &bytes, Fields::All)?;
                    let mut wanted: Vec<usize> = batch
                        .iter()
                        .flat_map(|block| &reads.blocks[&block.range.start].1)
                        .copied()
                        .collect();
                    wanted.sort_unstable();
                    wanted.dedup();
                    Ok(wanted
                        .into_iter()
                        .map(|t| {
                            let (c, b) = sort_points(&reads.head, &tiles[t].0, &records);
                            (t, c, b)
                        })
                        .collect())
                })
                .collect::<Result<_>>()?;
            for (t, c, b) in sorted.into_iter().flatten() {
                core[t].extend_from_slice(&c);
                buffer[t].extend_from_slice(&b);
            }
        }
    }

    let mut out = Vec::with_capacity(chunks.len());
    for (t, ((tile, distance, format, head, evlrs), (mut records, buffer))) in tiles
        .into_iter()
        .zip(core.into_iter().zip(buffer))
        .enumerate()
    {
        let record_len = head.format.record_bytes() as u64;
        let (core_points, buffer_points) = (
            records.len() as u64 / record_len,
            buffer.len() as u64 / record_len,
        );
        if (core_points, buffer_points) != (tile.core_points, tile.buffer_points) {
            return Err(Error::bad_file(
                format!("chunk {}", chunks[t].id),
                format!(
                    "found {core_points} core and {buffer_points} buffer points where the plan \
                     counted {} and {}; a source changed since planning",
                    tile.core_points, tile.buffer_points
                ),
            ));
        }
        records.extend_from_slice(&buffer);
        out.push(TilePoints {
            head,
            evlrs,
            records,
            record: TileRecord {
                core_points,
                buffer_points,
                buffer: distance,
                core: tile.core,
            },
            format,
        });
    }
    Ok(out)
}

/// A tile's core and buffer records found in one batch of blocks.
type Sorted = (usize, Vec<u8>, Vec<u8>);

/// One source of a group of tiles: its head and the blocks the tiles read, with which
/// tiles read each.
struct SourceReads {
    url: String,
    source: Source,
    head: Head,
    blocks: BTreeMap<u64, (Block, Vec<usize>)>,
}

impl SourceReads {
    fn open(url: &str, planned_size: Option<u64>, head_range: ByteRange) -> Result<SourceReads> {
        let source = Source::open(url)?;
        source.expect_size(planned_size)?;
        let head = Head::parse(url, &source.read_range(head_range)?)?;
        Ok(SourceReads {
            url: url.to_string(),
            source,
            head,
            blocks: BTreeMap::new(),
        })
    }

    fn evlrs(&self, range: ByteRange) -> Result<Vec<Vlr>> {
        let count = self.head.header.evlr.map_or(0, |e| e.number_of_evlrs);
        crate::layout::parse_evlrs(
            &self.url,
            &self.source.read_range(range)?,
            range.start,
            count,
        )
    }
}

/// The blocks of each run: LAZ chunks as listed, LAS records in blocks as the plan made them.
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
            blocks.extend(las_blocks(
                range.start,
                run.first_point,
                range.len() / record,
                record,
            ));
        }
    }
    Ok(blocks)
}

/// Core and buffer records of `tile` among `records`; buffer records get the withheld flag.
/// Neighbouring records usually share a fate, so runs of them are copied at once.
fn sort_points(head: &Head, tile: &Tile, records: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let size = head.format.record_bytes();
    let mut core = Vec::new();
    let mut buffer = Vec::new();
    let mut run_start = 0;
    let mut run_kind = Fate::Outside;
    let n = records.len() / size;
    for i in 0..=n {
        let kind = if i == n {
            Fate::Outside
        } else {
            let record = &records[i * size..(i + 1) * size];
            let [x, y, _] = crate::record::PointFormat::xyz(record);
            let p = head.scale_xy(x, y);
            if tile.owns(p) {
                Fate::Core
            } else if tile.reaches(p) {
                Fate::Buffer
            } else {
                Fate::Outside
            }
        };
        if kind != run_kind || i == n {
            let run = &records[run_start * size..i * size];
            match run_kind {
                Fate::Core => core.extend_from_slice(run),
                Fate::Buffer => {
                    let at = buffer.len();
                    buffer.extend_from_slice(run);
                    for record in buffer[at..].chunks_exact_mut(size) {
                        head.format.set_withheld(record);
                    }
                }
                Fate::Outside => {}
            }
            run_start = i;
            run_kind = kind;
        }
    }
    (core, buffer)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Core,
    Buffer,
    Outside,
}

/// A chunk as a tile file: LAZ or LAS as asked, else the format the plan chose.
pub fn tile_bytes(chunk: &Chunk, format: Option<Format>) -> Result<Vec<u8>> {
    Ok(tile_points(chunk)?.file(format)?.1)
}

/// Raw tile bytes held at once by [`write_tiles`]: tiles are read in groups of about this
/// size, each group decoding the blocks its tiles share once.
const GROUP_BYTES: u64 = 256 << 20;

/// Writes every chunk's tile into `out_dir` (a path or `s3://` prefix) as `<id>.las|.laz`;
/// `done` is called after each tile.
pub fn write_tiles(
    chunks: &[Chunk],
    out_dir: &str,
    format: Option<Format>,
    done: impl Fn() + Sync,
) -> Result<()> {
    let mut start = 0;
    while start < chunks.len() {
        let mut end = start + 1;
        let mut bytes = chunks[start].est_bytes;
        while end < chunks.len() && bytes + chunks[end].est_bytes <= GROUP_BYTES {
            bytes += chunks[end].est_bytes;
            end += 1;
        }
        let group: Vec<&Chunk> = chunks[start..end].iter().collect();
        let tiles = group_points(&group)?;
        group.par_iter().zip(tiles).try_for_each(|(chunk, tile)| {
            let (format, bytes) = tile.file(format)?;
            let path = partition_core::output::join(
                out_dir,
                &format!("{}{}", chunk.id, format.extension()),
            );
            partition_core::output::write_file(&path, |out| out.write_all(&bytes))?;
            done();
            Ok(())
        })?;
        start = end;
    }
    Ok(())
}

/// Writes a chunk's tile file in the format the plan chose (what `fanout` gives a command).
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
