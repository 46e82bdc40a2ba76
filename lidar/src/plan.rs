//! Tiles of equal point counts over one or many files, and the byte ranges each tile reads.
//!
//! Two passes over the points' x/y and numbers only (24 bytes a point):
//!
//! 1. **split**: the cloud is cut recursively on the wider of x/y at the point that leaves
//!    each side its share of tiles, until every tile holds at most `--max-points` (PDAL
//!    chipper style, with equal counts rather than halves). Cores are half-open boxes
//!    `[min, max)` that partition the plane, so every point has exactly one core tile; ties
//!    on a cut all go to the upper side.
//! 2. **assign**: each point is core in its tile and buffer in every other tile whose
//!    buffered box (the core grown by `--buffer` on each side, closed) holds it. A tile
//!    reads the blocks (LAZ chunks, COPC nodes, 64 KiB LAS record runs) where it has points.

use std::ops::Range;

use partition_core::manifest::{chunk_id, url_stem};
use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source, SourceRanges};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decode::{self, Fields};
use crate::layout::{Block, Head, Layout};
use crate::record::PointFormat;
use crate::write::Format;

/// Stored bytes decoded at a time per file while reading x/y.
const BATCH_BYTES: u64 = 8 << 20;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub max_points: u64,
    pub buffer: f64,
    pub quiet: bool,
}

/// A box as `[min x, min y, max x, max y]`.
pub type Box2 = [f64; 4];

/// One tile of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Half-open: `min <= p < max`.
    pub core: Box2,
    /// The core grown by the buffer distance; closed.
    pub buffered: Box2,
    pub core_points: u64,
    pub buffer_points: u64,
}

impl Tile {
    pub fn owns(&self, [x, y]: [f64; 2]) -> bool {
        let c = &self.core;
        c[0] <= x && x < c[2] && c[1] <= y && y < c[3]
    }

    pub fn reaches(&self, [x, y]: [f64; 2]) -> bool {
        let b = &self.buffered;
        b[0] <= x && x <= b[2] && b[1] <= y && y <= b[3]
    }
}

/// What a worker needs beyond the byte ranges (the `detail` of a `las` chunk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LasDetail {
    pub core: Box2,
    pub buffered: Box2,
    pub buffer: f64,
    pub core_points: u64,
    pub buffer_points: u64,
    /// The tile's file format unless the worker is asked for another: the first input's.
    pub format: Format,
    /// One per chunk source, in order.
    pub sources: Vec<SourceDetail>,
}

/// How to read one source: its ranges are the head (`[0, offset to point data)`), then one
/// range per run, then the EVLRs when `evlrs` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDetail {
    pub runs: Vec<Run>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub evlrs: bool,
}

/// Consecutive point blocks read as one range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub first_point: u64,
    /// LAZ: `[points, bytes]` of each chunk in the range (absent for LAS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<[u64; 2]>,
}

/// A coarse count of points per cell over the cloud's extent, for pictures.
#[derive(Debug, Clone)]
pub struct Density {
    pub extent: Box2,
    pub width: usize,
    pub height: usize,
    pub counts: Vec<u32>,
}

#[derive(Debug)]
pub struct Plan {
    pub chunks: Vec<Chunk>,
    pub tiles: Vec<Tile>,
    pub density: Density,
    pub points: u64,
    /// Stored bytes every tile reads together, over the sources' point data.
    pub read_amplification: f64,
}

/// Plans tiles over `inputs` (paths, `s3://` or `https://` URLs) taken as one cloud.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    if options.max_points == 0 {
        return Err(Error::Usage("--max-points must be above 0".to_string()));
    }
    if !(options.buffer >= 0.0 && options.buffer.is_finite()) {
        return Err(Error::Usage(format!(
            "--buffer {} must be a distance of 0 or more",
            options.buffer
        )));
    }
    let sources: Vec<Source> = inputs
        .iter()
        .map(|url| Source::open(url))
        .collect::<Result<_>>()?;
    let layouts: Vec<Layout> = sources.iter().map(Layout::read).collect::<Result<_>>()?;
    check_compatible(&layouts)?;

    let mut cloud = read_points(&sources, &layouts, options.quiet)?;
    let points = cloud.len() as u64;
    let extent = extent(&cloud);
    let density = density(&cloud, extent);
    let (tree, mut tiles, cores) = split(&mut cloud, extent, options);
    if points == 0 {
        tiles.clear();
    }
    let blocks = BlockIndex::new(&layouts);
    let assigned = assign(&cloud, &tree, &tiles, &cores, &blocks, options.buffer);
    drop(cloud);
    let mut reads: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); layouts.len()]; tiles.len()];
    for (t, tile) in tiles.iter_mut().enumerate() {
        tile.core_points = cores[t].len() as u64;
        tile.buffer_points = assigned.buffer_points[t];
        for b in assigned.blocks_of(t) {
            let (s, block) = blocks.at[b];
            reads[t][s].push(block);
        }
    }

    let stem = url_stem(&inputs[0], &[".las", ".laz", ".copc"]);
    let total = tiles.len() as u64;
    let mut read_bytes = 0u64;
    let chunks: Vec<Chunk> = tiles
        .iter()
        .zip(&reads)
        .enumerate()
        .map(|(seq, (tile, reads))| {
            let mut sources = Vec::new();
            let mut details = Vec::new();
            for (layout, blocks) in layouts.iter().zip(reads) {
                if blocks.is_empty() {
                    continue;
                }
                let (ranges, detail) = source_reads(layout, blocks);
                read_bytes += ranges[1..1 + detail.runs.len()]
                    .iter()
                    .map(ByteRange::len)
                    .sum::<u64>();
                sources.push(SourceRanges {
                    url: layout.url.clone(),
                    size: Some(layout.size),
                    ranges,
                });
                details.push(detail);
            }
            let record = u64::from(layouts[0].head.format.record_length);
            let est_bytes = layouts[0].head.point_data_start()
                + (tile.core_points + tile.buffer_points) * record;
            let detail = LasDetail {
                core: tile.core,
                buffered: tile.buffered,
                buffer: options.buffer,
                core_points: tile.core_points,
                buffer_points: tile.buffer_points,
                format: Format::of_head(&layouts[0].head),
                sources: details,
            };
            Chunk::new(
                Kind::Las,
                chunk_id(&stem, seq as u64, total),
                seq as u64,
                total,
                sources,
                est_bytes,
                detail,
            )
        })
        .collect();
    let point_bytes: u64 = layouts
        .iter()
        .flat_map(|layout| &layout.blocks)
        .map(|block| block.range.len())
        .sum();
    Ok(Plan {
        chunks,
        tiles,
        density,
        points,
        read_amplification: read_bytes as f64 / point_bytes.max(1) as f64,
    })
}

/// Scales and offsets of x, y and z.
fn scaling(head: &Head) -> [f64; 6] {
    let h = &head.header;
    [
        h.x_scale_factor,
        h.y_scale_factor,
        h.z_scale_factor,
        h.x_offset,
        h.y_offset,
        h.z_offset,
    ]
}

/// Files tiled together must have records that can be copied into one file unchanged.
fn check_compatible(layouts: &[Layout]) -> Result<()> {
    let first = &layouts[0];
    for other in &layouts[1..] {
        let (a, b) = (&first.head, &other.head);
        let differs = if a.format != b.format {
            Some(format!(
                "point format {} ({} bytes)",
                b.format.id, b.format.record_length
            ))
        } else if scaling(b) != scaling(a) {
            Some("scale or offset".to_string())
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(Error::bad_file(
                &other.url,
                format!(
                    "its {what} differs from {}'s, so their records cannot share a tile \
                     unchanged; tile such files separately",
                    first.url
                ),
            ));
        }
    }
    Ok(())
}

/// A point's x/y and its number in the cloud (the files' points one after the other).
#[derive(Debug, Clone, Copy)]
struct Point {
    xy: [f64; 2],
    number: u64,
}

/// The cloud's extent, half-open like every core: the top edges move up one representable
/// step so that the highest points lie inside.
fn extent(points: &[Point]) -> Box2 {
    if points.is_empty() {
        return [0.0, 0.0, 0.0f64.next_up(), 0.0f64.next_up()];
    }
    let e = bounds(points);
    [e[0], e[1], e[2].next_up(), e[3].next_up()]
}

/// The smallest closed box holding every point (infinite, inside out, when there is none).
fn bounds(points: &[Point]) -> Box2 {
    const EMPTY: Box2 = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    points
        .par_iter()
        .fold(|| EMPTY, |e, p| grow(e, p.xy))
        .reduce(
            || EMPTY,
            |a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            },
        )
}

fn grow(e: Box2, [x, y]: [f64; 2]) -> Box2 {
    [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)]
}

fn read_points(sources: &[Source], layouts: &[Layout], quiet: bool) -> Result<Vec<Point>> {
    let total_points: u64 = layouts.iter().map(Layout::points).sum();
    let stored: u64 = layouts
        .iter()
        .flat_map(|l| &l.blocks)
        .map(|b| b.range.len())
        .sum();
    let bar = partition_core::progress::bytes(stored, quiet, "reading x/y");
    let mut points = Vec::with_capacity(total_points as usize);
    let mut first_number = 0u64;
    for (source, layout) in sources.iter().zip(layouts) {
        for batch in batches(&layout.blocks, BATCH_BYTES) {
            let range = ByteRange::new(batch[0].range.start, batch[batch.len() - 1].range.end);
            let bytes = source.read_range(range)?;
            let records = decode::records(&layout.url, &layout.head, batch, &bytes, Fields::Xy)?;
            let head = &layout.head;
            let first = first_number + batch[0].first_point;
            let start = points.len();
            let n = records.len() / head.format.record_bytes();
            points.resize(
                start + n,
                Point {
                    xy: [0.0; 2],
                    number: 0,
                },
            );
            points[start..]
                .par_chunks_mut(1 << 14)
                .zip(records.par_chunks(head.format.record_bytes() << 14))
                .enumerate()
                .for_each(|(c, (out, records))| {
                    let number = first + (c << 14) as u64;
                    for (i, (point, record)) in out
                        .iter_mut()
                        .zip(records.chunks_exact(head.format.record_bytes()))
                        .enumerate()
                    {
                        let [x, y, _] = PointFormat::xyz(record);
                        *point = Point {
                            xy: head.scale_xy(x, y),
                            number: number + i as u64,
                        };
                    }
                });
            bar.inc(range.len());
        }
        first_number += layout.points();
    }
    bar.finish_and_clear();
    Ok(points)
}

/// Every block of every source, in cloud order, found by point number.
struct BlockIndex {
    /// The cloud number of each block's first point.
    first: Vec<u64>,
    /// Source and block index of each.
    at: Vec<(usize, usize)>,
}

impl BlockIndex {
    fn new(layouts: &[Layout]) -> BlockIndex {
        let mut first = Vec::new();
        let mut at = Vec::new();
        let mut base = 0;
        for (s, layout) in layouts.iter().enumerate() {
            for (b, block) in layout.blocks.iter().enumerate() {
                if block.points > 0 {
                    first.push(base + block.first_point);
                    at.push((s, b));
                }
            }
            base += layout.points();
        }
        BlockIndex { first, at }
    }

    fn of(&self, number: u64) -> usize {
        self.first.partition_point(|&f| f <= number) - 1
    }
}

/// Buffer counts per tile, and which blocks each tile reads (a bit set per tile).
struct Assigned {
    buffer_points: Vec<u64>,
    words: usize,
    bits: Vec<u64>,
}

impl Assigned {
    fn new(tiles: usize, blocks: usize) -> Assigned {
        let words = blocks.div_ceil(64);
        Assigned {
            buffer_points: vec![0; tiles],
            words,
            bits: vec![0; tiles * words],
        }
    }

    fn mark(&mut self, tile: usize, block: usize) {
        self.bits[tile * self.words + block / 64] |= 1 << (block % 64);
    }

    fn merge(mut self, other: Assigned) -> Assigned {
        for (a, b) in self.buffer_points.iter_mut().zip(&other.buffer_points) {
            *a += b;
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
        self
    }

    fn blocks_of(&self, tile: usize) -> impl Iterator<Item = usize> + '_ {
        let words = &self.bits[tile * self.words..(tile + 1) * self.words];
        words.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |bit| word & (1 << bit) != 0)
                .map(move |bit| w * 64 + bit)
        })
    }
}

/// Marks each tile's blocks and counts its buffer points. Points farther than the buffer
/// from every edge of their core cannot be in another tile's buffer and skip the search.
fn assign(
    points: &[Point],
    tree: &Node,
    tiles: &[Tile],
    cores: &[Range<usize>],
    blocks: &BlockIndex,
    buffer: f64,
) -> Assigned {
    let pieces: Vec<(usize, Range<usize>)> = cores
        .iter()
        .enumerate()
        .flat_map(|(t, core)| {
            core.clone()
                .step_by(1 << 16)
                .map(move |start| (t, start..(start + (1 << 16)).min(core.end)))
        })
        .collect();
    let new = || Assigned::new(tiles.len(), blocks.first.len());
    pieces
        .par_iter()
        .fold(new, |mut acc, (t, piece)| {
            let core = &tiles[*t].core;
            for point in &points[piece.clone()] {
                let block = blocks.of(point.number);
                acc.mark(*t, block);
                let [x, y] = point.xy;
                // Rounding of the buffered boxes' edges is far below this margin.
                let margin = buffer + 1e-9 * (x.abs() + y.abs() + 1.0);
                let deep = x - core[0] > margin
                    && core[2] - x > margin
                    && y - core[1] > margin
                    && core[3] - y > margin;
                if !deep {
                    tree.visit(point.xy, buffer, &mut |u| {
                        if u != *t && tiles[u].reaches(point.xy) {
                            acc.buffer_points[u] += 1;
                            acc.mark(u, block);
                        }
                    });
                }
            }
            acc
        })
        .reduce(new, Assigned::merge)
}

/// Blocks grouped into reads of about `bytes` each, each read one contiguous range.
pub(crate) fn batches(blocks: &[Block], bytes: u64) -> Vec<&[Block]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, block) in blocks.iter().enumerate() {
        let apart = i > start && blocks[i - 1].range.end != block.range.start;
        if i > start && (apart || size + block.range.len() > bytes) {
            out.push(&blocks[start..i]);
            start = i;
            size = 0;
        }
        size += block.range.len();
    }
    if start < blocks.len() {
        out.push(&blocks[start..]);
    }
    out
}

/// The cuts of a plan: a point's core tile is the leaf it descends to.
enum Node {
    Leaf(usize),
    Cut {
        axis: usize,
        at: f64,
        low: Box<Node>,
        high: Box<Node>,
    },
}

impl Node {
    fn renumber(&mut self, by: usize) {
        match self {
            Node::Leaf(tile) => *tile += by,
            Node::Cut { low, high, .. } => {
                low.renumber(by);
                high.renumber(by);
            }
        }
    }

    /// Calls `f` with every tile whose core lies within `reach` of `p` (a superset of the
    /// tiles whose buffered box holds `p`; the callers test the boxes).
    fn visit(&self, p: [f64; 2], reach: f64, f: &mut impl FnMut(usize)) {
        match self {
            Node::Leaf(tile) => f(*tile),
            Node::Cut {
                axis,
                at,
                low,
                high,
            } => {
                if p[*axis] - reach <= *at {
                    low.visit(p, reach, f);
                }
                if p[*axis] + reach >= *at {
                    high.visit(p, reach, f);
                }
            }
        }
    }
}

/// Cuts the cloud into tiles; reorders `points` so that each tile's core points are the
/// range of it the third result gives.
fn split(
    points: &mut [Point],
    extent: Box2,
    options: &PlanOptions,
) -> (Node, Vec<Tile>, Vec<Range<usize>>) {
    let (tree, leaves) = split_cell(points, 0, extent, options);
    let (tiles, cores) = leaves.into_iter().unzip();
    (tree, tiles, cores)
}

/// The cell's subtree, with its leaves numbered from 0 in order.
fn split_cell(
    points: &mut [Point],
    offset: usize,
    cell: Box2,
    options: &PlanOptions,
) -> (Node, Vec<(Tile, Range<usize>)>) {
    if points.len() as u64 > options.max_points {
        if let Some((axis, at, low_len)) = cut(points, options.max_points) {
            let (low_points, high_points) = points.split_at_mut(low_len);
            let mut low_cell = cell;
            let mut high_cell = cell;
            low_cell[axis + 2] = at;
            high_cell[axis] = at;
            let ((low, mut leaves), (mut high, high_leaves)) = rayon::join(
                || split_cell(low_points, offset, low_cell, options),
                || split_cell(high_points, offset + low_len, high_cell, options),
            );
            high.renumber(leaves.len());
            leaves.extend(high_leaves);
            let node = Node::Cut {
                axis,
                at,
                low: Box::new(low),
                high: Box::new(high),
            };
            return (node, leaves);
        }
    }
    let b = options.buffer;
    let tile = Tile {
        core: cell,
        buffered: [cell[0] - b, cell[1] - b, cell[2] + b, cell[3] + b],
        core_points: 0,
        buffer_points: 0,
    };
    (Node::Leaf(0), vec![(tile, offset..offset + points.len())])
}

/// Cuts `points` on the wider axis so that the low side gets its share of tiles; returns
/// the axis, the cut and how many points lie below it (moved to the front). `None` when
/// every point has the same x and y (no cut can separate them).
fn cut(points: &mut [Point], max_points: u64) -> Option<(usize, f64, usize)> {
    let n = points.len();
    let bounds = bounds(points);
    let wider = usize::from(bounds[3] - bounds[1] > bounds[2] - bounds[0]);
    let tiles = (n as u64).div_ceil(max_points);
    let target = (n as u64 * (tiles / 2) / tiles) as usize;
    for axis in [wider, 1 - wider] {
        if bounds[axis] == bounds[axis + 2] {
            continue;
        }
        let key = |p: &Point| p.xy[axis];
        points.select_nth_unstable_by(target, |a, b| key(a).total_cmp(&key(b)));
        let median = key(&points[target]);
        // Ties go up; if the median is the minimum, cut above its ties instead.
        let (at, low_len) = if median > bounds[axis] {
            // Below `target` every point is <= median: move the ties to the end of that part.
            (
                median,
                partition(&mut points[..target], |p| key(p) < median),
            )
        } else {
            let at = points[target..]
                .iter()
                .map(key)
                .filter(|&v| v > median)
                .fold(f64::INFINITY, f64::min);
            (at, partition(points, |p| key(p) < at))
        };
        return Some((axis, at, low_len));
    }
    None
}

/// Moves the items for which `low` holds to the front; returns how many there are.
fn partition(items: &mut [Point], low: impl Fn(&Point) -> bool) -> usize {
    let mut front = 0;
    for i in 0..items.len() {
        if low(&items[i]) {
            items.swap(front, i);
            front += 1;
        }
    }
    front
}

/// A source's ranges for the given blocks (adjacent blocks merged) and how to read them.
fn source_reads(layout: &Layout, blocks: &[usize]) -> (Vec<ByteRange>, SourceDetail) {
    let mut ranges = vec![layout.head_range()];
    let mut runs: Vec<Run> = Vec::new();
    let laz = layout.head.laz.is_some();
    for &b in blocks {
        let block = &layout.blocks[b];
        let last = ranges.len() - 1;
        if !runs.is_empty() && ranges[last].end == block.range.start {
            ranges[last].end = block.range.end;
        } else {
            ranges.push(block.range);
            runs.push(Run {
                first_point: block.first_point,
                chunks: Vec::new(),
            });
        }
        if laz {
            let run = runs.last_mut().expect("a run was just pushed");
            run.chunks.push([block.points, block.range.len()]);
        }
    }
    if let Some(evlrs) = layout.evlr_range {
        ranges.push(evlrs);
    }
    let detail = SourceDetail {
        runs,
        evlrs: layout.evlr_range.is_some(),
    };
    (ranges, detail)
}

/// Points per cell over a grid of at most 512 cells on the longer side.
fn density(points: &[Point], extent: Box2) -> Density {
    let (w, h) = (extent[2] - extent[0], extent[3] - extent[1]);
    let cell = (w.max(h) / 512.0).max(f64::MIN_POSITIVE);
    let width = ((w / cell).ceil() as usize).clamp(1, 512);
    let height = ((h / cell).ceil() as usize).clamp(1, 512);
    let mut counts = vec![0u32; width * height];
    for &Point { xy: [x, y], .. } in points {
        let col = (((x - extent[0]) / cell) as usize).min(width - 1);
        let row = (((extent[3] - y) / cell) as usize).min(height - 1);
        counts[row * width + col] = counts[row * width + col].saturating_add(1);
    }
    Density {
        extent,
        width,
        height,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(max_points: u64, buffer: f64) -> PlanOptions {
        PlanOptions {
            max_points,
            buffer,
            quiet: true,
        }
    }

    fn cloud(n: usize) -> Vec<Point> {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        (0..n)
            .map(|i| {
                let xy = if i % 3 == 0 {
                    [next() * 100.0, next() * 40.0]
                } else {
                    // A dense cluster, on a coarse grid so that ties are common.
                    [(20.0 + next() * 5.0).round(), (10.0 + next() * 5.0).round()]
                };
                Point {
                    xy,
                    number: i as u64,
                }
            })
            .collect()
    }

    fn points(xy: impl IntoIterator<Item = [f64; 2]>) -> Vec<Point> {
        xy.into_iter()
            .enumerate()
            .map(|(i, xy)| Point {
                xy,
                number: i as u64,
            })
            .collect()
    }

    #[test]
    fn every_point_has_exactly_one_core_tile_and_tiles_respect_the_limit() {
        let mut cloud = cloud(5000);
        let extent = extent(&cloud);
        let (tree, tiles, cores) = split(&mut cloud, extent, &options(400, 1.5));
        for (t, core) in cores.iter().enumerate() {
            let mine = &cloud[core.clone()];
            assert!(mine.iter().all(|p| tiles[t].owns(p.xy)));
            // Ties can overfill a tile only where every point is identical.
            assert!(
                mine.len() <= 400 || mine.iter().all(|p| p.xy == mine[0].xy),
                "tile {t}"
            );
        }
        for p in &cloud {
            let owners: Vec<usize> = (0..tiles.len()).filter(|&t| tiles[t].owns(p.xy)).collect();
            assert_eq!(owners.len(), 1, "{p:?} owned by {owners:?}");
            let mut visited = Vec::new();
            tree.visit(p.xy, 1.5, &mut |t| visited.push(t));
            for (t, tile) in tiles.iter().enumerate() {
                if tile.reaches(p.xy) {
                    assert!(visited.contains(&t), "the tree misses tile {t} for {p:?}");
                }
            }
        }
    }

    #[test]
    fn equal_counts_without_ties() {
        let mut cloud = points((0..1000).map(|i| [i as f64, (i * 7 % 13) as f64]));
        let extent = extent(&cloud);
        let (_, tiles, cores) = split(&mut cloud, extent, &options(300, 0.0));
        assert_eq!(tiles.len(), 4);
        assert!(cores.iter().all(|core| core.len() == 250));
    }

    #[test]
    fn identical_points_stay_in_one_tile() {
        let mut cloud = points(vec![[1.0, 2.0]; 50]);
        let extent = extent(&cloud);
        let (_, tiles, _) = split(&mut cloud, extent, &options(10, 0.0));
        assert_eq!(tiles.len(), 1);
        assert!(tiles[0].owns([1.0, 2.0]));
    }
}
