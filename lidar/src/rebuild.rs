//! Tiles rebuilt from manifest lines.
//!
//! A worker reads each source's head, the runs of blocks the plan listed and the EVLRs,
//! and streams the records once: each batch of blocks is decoded while the one before is
//! routed, every record to the tile that owns it (core) and to the tiles whose buffered box
//! reaches it (buffer, flagged withheld). Core records go straight into their tile's file;
//! buffer records wait in memory and follow them, with a tile record saying how many of
//! each there are.

use std::io::{Cursor, Seek, Write};

use partition_core::output::{Allocate, AtomicFile, SeekableOutput};
use partition_core::{ByteRange, Chunk, Error, Kind, RangeBytes, Result, Source};
use rayon::prelude::*;

use crate::decode::{self, Fields};
use crate::detail::{LasDetail, Run};
use crate::layout::{las_blocks, Block, Head, Vlr};
use crate::plan::{batches, Tile};
use crate::write::{Format, TileRecord, TileWriter};

mod router;

use router::Router;

/// Stored bytes decoded at a time.
pub(crate) const BATCH_BYTES: u64 = 8 << 20;

/// Memory the tiles written together may hold (see [`TileSpec::held_bytes`]): tiles are
/// written in groups within it, each group reading the blocks its tiles share once.
const GROUP_BYTES: u64 = 256 << 20;

/// Tiles written together at most (each holds an open file).
const GROUP_TILES: usize = 256;

/// Points in a LAZ chunk of our tiles (LASzip's default).
const LAZ_CHUNK_POINTS: u64 = 50_000;

/// Writes a `las` chunk's tile into `out` (named `name` in errors), LAZ or LAS as asked,
/// else as the plan chose.
fn write_tile<W: Write + Seek + Allocate + Send>(
    chunk: &Chunk,
    out: W,
    name: &str,
    format: Option<Format>,
) -> Result<W> {
    let (tiles, sources) = read_specs(&[chunk])?;
    let tile = &tiles[0];
    let writer = tile.writer(out, name, format, &sources)?;
    let mut written = write_group(&[tile], vec![writer], &sources)?;
    Ok(written.pop().expect("one tile"))
}

/// A chunk's tile file in memory: LAZ or LAS as asked, else as the plan chose.
pub fn tile_bytes(chunk: &Chunk, format: Option<Format>) -> Result<Vec<u8>> {
    let name = format!("chunk {}", chunk.id);
    Ok(write_tile(chunk, Cursor::new(Vec::new()), &name, format)?.into_inner())
}

/// Writes a chunk's tile file in the format the plan chose (what `fanout` gives a command).
pub fn write_chunk(chunk: &Chunk, out: &mut dyn Write) -> Result<()> {
    let bytes = tile_bytes(chunk, None)?;
    out.write_all(&bytes)
        .map_err(partition_core::cli::output_error)
}

/// Writes every chunk's tile into `out_dir` (a path or `s3://` prefix) as `<id>.las|.laz`;
/// `done` is called after each tile.
pub fn write_tiles(
    chunks: &[Chunk],
    out_dir: &str,
    format: Option<Format>,
    done: impl Fn() + Sync,
) -> Result<()> {
    let chunks: Vec<&Chunk> = chunks.iter().collect();
    let (tiles, sources) = read_specs(&chunks)?;
    let mut start = 0;
    while start < tiles.len() {
        let mut end = start + 1;
        let mut bytes = tiles[start].held_bytes(format);
        while end < tiles.len()
            && end - start < GROUP_TILES
            && bytes + tiles[end].held_bytes(format) <= GROUP_BYTES
        {
            bytes += tiles[end].held_bytes(format);
            end += 1;
        }
        let group: Vec<&TileSpec> = tiles[start..end].iter().collect();
        let writers = group
            .iter()
            .map(|tile| {
                let format = format.unwrap_or(tile.format);
                let path = partition_core::output::join(
                    out_dir,
                    &format!("{}{}", tile.id, format.extension()),
                );
                let out = SeekableOutput::create(&path)?;
                tile.writer(out, &path, Some(format), &sources)
            })
            .collect::<Result<Vec<_>>>()?;
        write_group(&group, writers, &sources)?
            .into_par_iter()
            .try_for_each(|out| {
                out.finish()?;
                done();
                Ok(())
            })?;
        start = end;
    }
    Ok(())
}

/// A tile as its manifest line describes it.
struct TileSpec {
    id: String,
    tile: Tile,
    buffer: f64,
    /// The format the plan chose (its first input's).
    format: Format,
    record_length: u16,
    /// The blocks to read from each of its sources (indexes into the open sources).
    reads: Vec<(usize, Vec<Block>)>,
    /// Whether it copies the EVLRs of its first source, which gives the tile its header
    /// and VLRs.
    evlrs: bool,
}

impl TileSpec {
    fn writer<W: Write + Seek + Allocate>(
        &self,
        out: W,
        name: &str,
        format: Option<Format>,
        sources: &[OpenSource],
    ) -> Result<TileWriter<W>> {
        let record = TileRecord {
            core_points: self.tile.core_points,
            buffer_points: self.tile.buffer_points,
            buffer: self.buffer,
            core: self.tile.core,
        };
        let format = format.unwrap_or(self.format);
        let first = &sources[self.reads[0].0];
        let evlrs = match (&first.evlrs, self.evlrs) {
            (Some(evlrs), true) => &evlrs[..],
            _ => &[],
        };
        let points = self.tile.core_points + self.tile.buffer_points;
        TileWriter::new(out, name, &first.head, evlrs, Some(&record), format, points)
    }

    /// What the tile holds in memory while its group is written: its buffer records, the
    /// records its file's write buffer holds, and for LAZ those of a chunk being filled.
    fn held_bytes(&self, format: Option<Format>) -> u64 {
        let record = u64::from(self.record_length);
        let points = self.tile.core_points + self.tile.buffer_points;
        let filling = match format.unwrap_or(self.format) {
            Format::Las => 0,
            Format::Laz => points.min(LAZ_CHUNK_POINTS) * record,
        };
        self.tile.buffer_points * record
            + (points * record).min(AtomicFile::BUFFER as u64)
            + filling
    }
}

/// A source with its head (and EVLRs, once a tile copies them), shared by the tiles that
/// read it.
pub(crate) struct OpenSource {
    pub(crate) url: String,
    pub(crate) source: Source,
    pub(crate) head: Head,
    pub(crate) evlrs: Option<Vec<Vlr>>,
}

/// Reads the chunks' details and opens their sources (each once).
fn read_specs(chunks: &[&Chunk]) -> Result<(Vec<TileSpec>, Vec<OpenSource>)> {
    let mut tiles = Vec::with_capacity(chunks.len());
    let mut sources: Vec<OpenSource> = Vec::new();
    for chunk in chunks {
        chunk.expect_kind(&[Kind::Las])?;
        let detail: LasDetail = chunk.detail()?;
        let name = || format!("chunk {}", chunk.id);
        if detail.sources.is_empty() || detail.sources.len() != chunk.sources.len() {
            return Err(Error::bad_file(
                name(),
                "detail.sources does not match sources",
            ));
        }
        let mut reads = Vec::new();
        let mut evlrs = false;
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
                    let source = Source::open(url)?;
                    source.expect_size(source_ranges.size)?;
                    let head = Head::parse(url, &source.read_range(ranges[0])?)?;
                    sources.push(OpenSource {
                        url: url.clone(),
                        source,
                        head,
                        evlrs: None,
                    });
                    sources.len() - 1
                }
            };
            if sources[s].head.format != sources[0].head.format {
                return Err(Error::bad_file(
                    url,
                    "its point format differs from the other sources'",
                ));
            }
            if reads.is_empty() && source_detail.evlrs {
                evlrs = true;
                // Read once for all the tiles that copy them.
                let open = &mut sources[s];
                if open.evlrs.is_none() {
                    let count = open.head.header.evlr.map_or(0, |e| e.number_of_evlrs);
                    let range = ranges[ranges.len() - 1];
                    let bytes = open.source.read_range(range)?;
                    open.evlrs = Some(crate::layout::parse_evlrs(url, &bytes, range.start, count)?);
                }
            }
            let blocks = run_blocks(&sources[s].head, runs, &ranges[1..=runs.len()], url)?;
            reads.push((s, blocks));
        }
        tiles.push(TileSpec {
            id: chunk.id.clone(),
            tile: Tile {
                core: detail.core,
                buffered: detail.buffered,
                core_points: detail.core_points,
                buffer_points: detail.buffer_points,
            },
            record_length: sources[reads[0].0].head.format.record_length,
            buffer: detail.buffer,
            format: detail.format,
            reads,
            evlrs,
        });
    }
    Ok((tiles, sources))
}

/// The blocks of each run: LAZ chunks as listed, LAS records in blocks as the plan made them.
fn run_blocks(head: &Head, runs: &[Run], ranges: &[ByteRange], url: &str) -> Result<Vec<Block>> {
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

/// A tile being written: core records go to its writer as they come, buffer records wait.
struct Sink<W: Write + Seek + Allocate> {
    writer: TileWriter<W>,
    buffer: Vec<u8>,
}

/// Streams the blocks `tiles` read, source by source, into their writers; returns the
/// finished outputs, in order.
fn write_group<W: Write + Seek + Allocate + Send>(
    tiles: &[&TileSpec],
    writers: Vec<TileWriter<W>>,
    sources: &[OpenSource],
) -> Result<Vec<W>> {
    let router = Router::new(tiles);
    let mut sinks = Vec::with_capacity(tiles.len());
    for (spec, writer) in tiles.iter().zip(writers) {
        let mut buffer = Vec::new();
        spec.tile
            .buffer_points
            .checked_mul(u64::from(spec.record_length))
            .and_then(|bytes| buffer.try_reserve_exact(bytes as usize).ok())
            .ok_or_else(|| {
                Error::bad_file(
                    format!("chunk {}", spec.id),
                    format!(
                        "{} buffer points do not fit in memory",
                        spec.tile.buffer_points
                    ),
                )
            })?;
        sinks.push(Sink { writer, buffer });
    }

    for (s, open) in sources.iter().enumerate() {
        let mut blocks: Vec<Block> = tiles
            .iter()
            .flat_map(|tile| &tile.reads)
            .filter(|(source, _)| *source == s)
            .flat_map(|(_, blocks)| blocks.iter().copied())
            .collect();
        blocks.sort_unstable_by_key(|block| block.range.start);
        blocks.dedup_by_key(|block| block.range.start);
        let batches = batches(&blocks, BATCH_BYTES);
        // Each batch is decoded while the one before it is routed and written.
        let mut current = Batch::default();
        let mut next = Batch::default();
        if let Some(first) = batches.first() {
            current.read(open, &blocks[first.clone()])?;
        }
        for b in 0..batches.len() {
            let (routed, read) = rayon::join(
                || router.route(&open.head, current.records(), &mut sinks),
                || match batches.get(b + 1) {
                    Some(following) => next.read(open, &blocks[following.clone()]),
                    None => Ok(()),
                },
            );
            routed?;
            read?;
            std::mem::swap(&mut current, &mut next);
        }
    }

    tiles
        .par_iter()
        .zip(sinks)
        .map(|(spec, mut sink)| {
            let tile = &spec.tile;
            let record = usize::from(spec.record_length);
            let core_points = sink.writer.points();
            let buffer_points = (sink.buffer.len() / record) as u64;
            if (core_points, buffer_points) != (tile.core_points, tile.buffer_points) {
                return Err(Error::bad_file(
                    format!("chunk {}", spec.id),
                    format!(
                        "found {core_points} core and {buffer_points} buffer points where the plan \
                         counted {} and {}; a source changed since planning",
                        tile.core_points, tile.buffer_points
                    ),
                ));
            }
            sink.writer.write(&sink.buffer)?;
            sink.writer.finish()
        })
        .collect()
}

/// One batch of blocks: its stored bytes, and for LAZ the records decoded from them.
#[derive(Default)]
pub(crate) struct Batch {
    stored: RangeBytes,
    decoded: Vec<u8>,
    laz: bool,
}

impl Batch {
    pub(crate) fn read(&mut self, open: &OpenSource, blocks: &[Block]) -> Result<()> {
        let range = ByteRange::new(blocks[0].range.start, blocks[blocks.len() - 1].range.end);
        open.source.load_range(range, &mut self.stored)?;
        self.laz = open.head.laz.is_some();
        decode::records(
            &open.url,
            &open.head,
            blocks,
            self.stored.bytes(),
            Fields::All,
            &mut self.decoded,
        )?;
        Ok(())
    }

    pub(crate) fn records(&self) -> &[u8] {
        if self.laz {
            &self.decoded
        } else {
            self.stored.bytes()
        }
    }
}
