//! Tiles of equal point counts over one or many files, and the byte ranges each tile reads.
//!
//! Two passes over the points' integer x/y and block numbers only (12 bytes a point):
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
use partition_core::{ByteRange, Chunk, Error, Kind, RangeBytes, Result, Source, SourceRanges};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decode::{self, Fields};
use crate::layout::{integer_box, Block, Head, Layout};
use crate::record::PointFormat;
use crate::write::Format;

/// Stored bytes decoded at a time per file while reading x/y.
const BATCH_BYTES: u64 = 8 << 20;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub max_points: u64,
    pub buffer: f64,
    pub quiet: bool,
    /// Count points per cell for a picture ([`Plan::density`]).
    pub density: bool,
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
    #[inline]
    pub fn owns(&self, [x, y]: [f64; 2]) -> bool {
        let c = &self.core;
        c[0] <= x && x < c[2] && c[1] <= y && y < c[3]
    }

    #[inline]
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
    /// When asked for ([`PlanOptions::density`]).
    pub density: Option<Density>,
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

    let (mut cloud, bounds) = read_points(&sources, &layouts, options.quiet)?;
    let points = cloud.len() as u64;
    let scaling = Scaling::of(&layouts[0].head);
    let extent = extent(bounds);
    scaling.check_order(&layouts[0].url, extent)?;
    let density = options
        .density
        .then(|| density(&cloud, scaling.box2(extent), scaling));
    let (tree, mut tiles, cores) = split(&mut cloud, bounds, extent, scaling, options);
    if points == 0 {
        tiles.clear();
    }
    let blocks: Vec<(usize, usize)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(s, layout)| (0..layout.blocks.len()).map(move |b| (s, b)))
        .collect();
    let assigned = assign(
        &cloud,
        scaling,
        &tree,
        &tiles,
        &cores,
        blocks.len(),
        options.buffer,
    );
    drop(cloud);
    let mut reads: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); layouts.len()]; tiles.len()];
    for (t, tile) in tiles.iter_mut().enumerate() {
        tile.core_points = cores[t].len() as u64;
        tile.buffer_points = assigned.buffer_points[t];
        for b in assigned.blocks_of(t) {
            let (s, block) = blocks[b];
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

/// How the sources' integer x and y become coordinates (every source has the same).
#[derive(Debug, Clone, Copy)]
struct Scaling {
    scale: [f64; 2],
    offset: [f64; 2],
}

impl Scaling {
    fn of(head: &Head) -> Scaling {
        let h = &head.header;
        Scaling {
            scale: [h.x_scale_factor, h.y_scale_factor],
            offset: [h.x_offset, h.y_offset],
        }
    }

    /// The coordinate of integer `v` on `axis`, computed as [`Head::scale_xy`] does.
    fn at(&self, axis: usize, v: i64) -> f64 {
        v as f64 * self.scale[axis] + self.offset[axis]
    }

    fn xy(&self, p: &Point) -> [f64; 2] {
        [
            self.at(0, i64::from(p.xy[0])),
            self.at(1, i64::from(p.xy[1])),
        ]
    }

    fn box2(&self, b: IntBox) -> Box2 {
        [
            self.at(0, b[0]),
            self.at(1, b[1]),
            self.at(0, b[2]),
            self.at(1, b[3]),
        ]
    }

    /// Points are cut as integers and tested against boxes as coordinates: both orders must
    /// agree, so each coordinate must be above the one before (a positive scale, and large
    /// enough not to vanish in rounding next to the offset).
    fn check_order(&self, url: &str, extent: IntBox) -> Result<()> {
        for axis in 0..2 {
            let (scale, offset) = (self.scale[axis], self.offset[axis]);
            let largest = (extent[axis].abs().max(extent[axis + 2].abs()) as f64 * scale).abs();
            // Each coordinate is rounded twice (product, sum), by at most 2^-53 of each.
            let rounding = (2.0 * largest + offset.abs()) * 2f64.powi(-51);
            let in_order = scale > rounding;
            if !in_order {
                return Err(Error::bad_file(
                    url,
                    format!(
                        "its {} scale factor {scale} is not a positive step large enough \
                         for offset {offset}: neighbouring coordinates would not stay in order",
                        ["x", "y"][axis]
                    ),
                ));
            }
        }
        Ok(())
    }
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

/// A point's integer x/y and the block holding it (numbered over every source's blocks).
#[derive(Debug, Clone, Copy, Default)]
struct Point {
    xy: [i32; 2],
    block: u32,
}

/// A box of integer x/y as `[min x, min y, max x, max y]`; half-open like every core.
type IntBox = [i64; 4];

/// The cloud's extent, from its points' bounds: the top edges are one step above the
/// highest points.
fn extent(bounds: [i32; 4]) -> IntBox {
    if bounds[0] > bounds[2] {
        return [0, 0, 1, 1];
    }
    let b = bounds;
    [
        b[0].into(),
        b[1].into(),
        i64::from(b[2]) + 1,
        i64::from(b[3]) + 1,
    ]
}

/// Bounds of no point: every point grows them.
const EMPTY: [i32; 4] = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

#[inline(always)]
fn grow(bounds: &mut [i32; 4], [x, y]: [i32; 2]) {
    bounds[0] = bounds[0].min(x);
    bounds[1] = bounds[1].min(y);
    bounds[2] = bounds[2].max(x);
    bounds[3] = bounds[3].max(y);
}

fn merge(a: [i32; 4], b: [i32; 4]) -> [i32; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// The points in file order, and their bounds.
fn read_points(
    sources: &[Source],
    layouts: &[Layout],
    quiet: bool,
) -> Result<(Vec<Point>, [i32; 4])> {
    let total_points: u64 = layouts.iter().map(Layout::points).sum();
    let stored: u64 = layouts
        .iter()
        .flat_map(|l| &l.blocks)
        .map(|b| b.range.len())
        .sum();
    if u32::try_from(layouts.iter().map(|l| l.blocks.len()).sum::<usize>()).is_err() {
        return Err(Error::Usage(
            "more than 2^32 point blocks in one cloud".to_string(),
        ));
    }
    let bar = partition_core::progress::bytes(stored, quiet, "reading x/y");
    let mut points = Vec::with_capacity(total_points as usize);
    let mut bounds = EMPTY;
    let (mut stored, mut decoded) = (RangeBytes::default(), Vec::new());
    let mut first_block = 0;
    for (source, layout) in sources.iter().zip(layouts) {
        let head = &layout.head;
        let size = head.format.record_bytes();
        for batch in batches(&layout.blocks, BATCH_BYTES) {
            let blocks = &layout.blocks[batch.clone()];
            let range = ByteRange::new(blocks[0].range.start, blocks[blocks.len() - 1].range.end);
            source.load_range(range, &mut stored)?;
            let records = decode::records(
                &layout.url,
                head,
                blocks,
                stored.bytes(),
                Fields::Xy,
                &mut decoded,
            )?;
            // Each block's points, in parallel, written straight into the spare capacity:
            // filling it first would cost a pass over the whole cloud.
            let count: usize = blocks.iter().map(|block| block.points as usize).sum();
            points.reserve(count);
            let mut jobs = Vec::with_capacity(blocks.len());
            let (mut out, mut records) = (&mut points.spare_capacity_mut()[..count], records);
            for (b, block) in blocks.iter().enumerate() {
                let (mine, rest) = out.split_at_mut(block.points as usize);
                let (stored, more) = records.split_at(block.points as usize * size);
                jobs.push(((first_block + batch.start + b) as u32, mine, stored));
                (out, records) = (rest, more);
            }
            let batch_bounds = jobs
                .into_par_iter()
                .map(|(block, out, records)| {
                    let mut bounds = EMPTY;
                    for (point, record) in out.iter_mut().zip(records.chunks_exact(size)) {
                        let [x, y, _] = PointFormat::xyz(record);
                        point.write(Point { xy: [x, y], block });
                        grow(&mut bounds, [x, y]);
                    }
                    bounds
                })
                .reduce(|| EMPTY, merge);
            // SAFETY: every job wrote all of its slice (as many points as its block has
            // records, `split_at` made sure), and the slices cover the `count` points.
            unsafe { points.set_len(points.len() + count) };
            bounds = merge(bounds, batch_bounds);
            bar.inc(range.len());
        }
        first_block += layout.blocks.len();
    }
    bar.finish_and_clear();
    Ok((points, bounds))
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
    scaling: Scaling,
    tree: &Node,
    tiles: &[Tile],
    cores: &[Range<usize>],
    blocks: usize,
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
    let neighbours = neighbours(tree, tiles, buffer);
    let deep: Vec<[i32; 4]> = tiles
        .iter()
        .map(|tile| deep_integers(&tile.core, scaling, buffer))
        .collect();
    let new = || Assigned::new(tiles.len(), blocks);
    pieces
        .par_iter()
        .fold(new, |mut acc, (t, piece)| {
            let d = deep[*t];
            let mut marked = u32::MAX;
            for point in &points[piece.clone()] {
                if point.block != marked {
                    acc.mark(*t, point.block as usize);
                    marked = point.block;
                }
                let [ix, iy] = point.xy;
                if d[0] <= ix && ix <= d[2] && d[1] <= iy && iy <= d[3] {
                    continue;
                }
                let xy = scaling.xy(point);
                for &u in &neighbours[*t] {
                    if tiles[u].reaches(xy) {
                        acc.buffer_points[u] += 1;
                        acc.mark(u, point.block as usize);
                    }
                }
            }
            acc
        })
        .reduce(new, Assigned::merge)
}

/// The integer X, Y inside `core` farther than the buffer from each of its edges, as
/// `[min x, min y, max x, max y]` (a box that holds none where they are not found): their
/// points cannot be in another tile's buffer.
fn deep_integers(core: &Box2, scaling: Scaling, buffer: f64) -> [i32; 4] {
    // Rounding of the buffered boxes' edges is far below this margin.
    let largest = core.iter().fold(0f64, |m, v| m.max(v.abs()));
    let margin = buffer + 1e-9 * (2.0 * largest + 1.0);
    let [x0, y0, x1, y1] = *core;
    let edges = [x0 + margin, y0 + margin, x1 - margin, y1 - margin];
    integer_box(scaling.scale, scaling.offset, edges, |axis, v| {
        v - core[axis] > margin && core[axis + 2] - v > margin
    })
}

/// Blocks grouped into reads of about `bytes` each, each read one contiguous range: the
/// ranges of `blocks` each read covers.
pub(crate) fn batches(blocks: &[Block], bytes: u64) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, block) in blocks.iter().enumerate() {
        let apart = i > start && blocks[i - 1].range.end != block.range.start;
        if i > start && (apart || size + block.range.len() > bytes) {
            out.push(start..i);
            start = i;
            size = 0;
        }
        size += block.range.len();
    }
    if start < blocks.len() {
        out.push(start..blocks.len());
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

    /// Calls `f` with every tile whose core may meet `area` (closed): a superset.
    fn visit(&self, area: Box2, f: &mut impl FnMut(usize)) {
        match self {
            Node::Leaf(tile) => f(*tile),
            Node::Cut {
                axis,
                at,
                low,
                high,
            } => {
                if area[*axis] <= *at {
                    low.visit(area, f);
                }
                if area[*axis + 2] >= *at {
                    high.visit(area, f);
                }
            }
        }
    }
}

/// For each tile, the other tiles whose buffered box meets its core: those whose buffer
/// its core points may be in.
fn neighbours(tree: &Node, tiles: &[Tile], buffer: f64) -> Vec<Vec<usize>> {
    tiles
        .iter()
        .enumerate()
        .map(|(t, tile)| {
            let c = tile.core;
            // Grown by the buffer and a margin far above the rounding of the boxes' edges.
            let largest = c.iter().fold(0f64, |m, v| m.max(v.abs()));
            let reach = buffer + 1e-9 * (largest + 1.0);
            let area = [c[0] - reach, c[1] - reach, c[2] + reach, c[3] + reach];
            let mut near = Vec::new();
            tree.visit(area, &mut |u| {
                let b = tiles[u].buffered;
                if u != t && b[0] <= c[2] && c[0] <= b[2] && b[1] <= c[3] && c[1] <= b[3] {
                    near.push(u);
                }
            });
            near
        })
        .collect()
}

/// Cuts the cloud (within `bounds`) into tiles; reorders `points` so that each tile's core
/// points are the range of it the third result gives.
fn split(
    points: &mut [Point],
    bounds: [i32; 4],
    extent: IntBox,
    scaling: Scaling,
    options: &PlanOptions,
) -> (Node, Vec<Tile>, Vec<Range<usize>>) {
    let (tree, leaves) = split_cell(points, bounds, 0, extent, scaling, options);
    let (tiles, cores) = leaves.into_iter().unzip();
    (tree, tiles, cores)
}

/// The cell's subtree, with its leaves numbered from 0 in order; `bounds` are the points'.
fn split_cell(
    points: &mut [Point],
    bounds: [i32; 4],
    offset: usize,
    cell: IntBox,
    scaling: Scaling,
    options: &PlanOptions,
) -> (Node, Vec<(Tile, Range<usize>)>) {
    if points.len() as u64 > options.max_points {
        if let Some(Cut {
            axis,
            at,
            low_len,
            low_bounds,
            high_bounds,
        }) = cut(points, bounds, options.max_points, scaling)
        {
            let (low_points, high_points) = points.split_at_mut(low_len);
            let mut low_cell = cell;
            let mut high_cell = cell;
            low_cell[axis + 2] = at.into();
            high_cell[axis] = at.into();
            let ((low, mut leaves), (mut high, high_leaves)) = rayon::join(
                || split_cell(low_points, low_bounds, offset, low_cell, scaling, options),
                || {
                    let offset = offset + low_len;
                    split_cell(
                        high_points,
                        high_bounds,
                        offset,
                        high_cell,
                        scaling,
                        options,
                    )
                },
            );
            high.renumber(leaves.len());
            leaves.extend(high_leaves);
            let node = Node::Cut {
                axis,
                at: scaling.at(axis, at.into()),
                low: Box::new(low),
                high: Box::new(high),
            };
            return (node, leaves);
        }
    }
    let b = options.buffer;
    let core = scaling.box2(cell);
    let tile = Tile {
        core,
        buffered: [core[0] - b, core[1] - b, core[2] + b, core[3] + b],
        core_points: 0,
        buffer_points: 0,
    };
    (Node::Leaf(0), vec![(tile, offset..offset + points.len())])
}

/// A cell cut in two: the points below `at` on `axis` come first.
struct Cut {
    axis: usize,
    at: i32,
    low_len: usize,
    low_bounds: [i32; 4],
    high_bounds: [i32; 4],
}

/// Cuts `points` (within `bounds`) on the wider axis so that the low side gets its share of
/// tiles. `None` when every point has the same x and y (no cut can separate them).
fn cut(points: &mut [Point], b: [i32; 4], max_points: u64, scaling: Scaling) -> Option<Cut> {
    let n = points.len();
    let width =
        |axis: usize| (i64::from(b[axis + 2]) - i64::from(b[axis])) as f64 * scaling.scale[axis];
    let wider = usize::from(width(1) > width(0));
    let tiles = (n as u64).div_ceil(max_points);
    let target = (n as u64 * (tiles / 2) / tiles) as usize;
    let axis = [wider, 1 - wider]
        .into_iter()
        .find(|&axis| b[axis] < b[axis + 2])?;
    let median = match axis {
        0 => select::<0>(points, target),
        _ => select::<1>(points, target),
    };
    // Ties go up; if the median is the minimum, cut above its ties instead.
    let at = if median > b[axis] {
        median
    } else {
        points
            .par_iter()
            .map(|p| p.xy[axis])
            .filter(|&v| v > median)
            .min()
            .expect("the axis has a point above its minimum")
    };
    let (low_len, low_bounds, high_bounds) = match axis {
        0 => partition::<0>(points, at, b),
        _ => partition::<1>(points, at, b),
    };
    Some(Cut {
        axis,
        at,
        low_len,
        low_bounds,
        high_bounds,
    })
}

/// The `k`-th smallest (from 0) of the points' values on `AXIS`. A sample brackets it, so
/// that one pass finds the few values to choose among.
fn select<const AXIS: usize>(points: &[Point], k: usize) -> i32 {
    const SAMPLE: usize = 4096;
    const MARGIN: usize = 128;
    let n = points.len();
    let pick = |mut values: Vec<i32>, k: usize| *values.select_nth_unstable(k).1;
    if n < SAMPLE * 16 {
        return pick(points.iter().map(|p| p.xy[AXIS]).collect(), k);
    }
    let step = n / SAMPLE;
    let mut sample: Vec<i32> = (0..SAMPLE)
        .map(|i| points[i * step + step / 2].xy[AXIS])
        .collect();
    sample.sort_unstable();
    let at = k * SAMPLE / n;
    let (lo, hi) = (
        sample[at.saturating_sub(MARGIN)],
        sample[(at + MARGIN).min(SAMPLE - 1)],
    );
    // `lo <= v <= hi` in one comparison.
    let span = hi.abs_diff(lo);
    let (below, window) = points
        .par_chunks(1 << 16)
        // `move`: the bounds copied into the closure stay in registers (by reference, they
        // were loaded again for every point).
        .map(move |part| {
            let mut below = 0;
            let mut window = Vec::new();
            for p in part {
                let v = p.xy[AXIS];
                below += usize::from(v < lo);
                if v.wrapping_sub(lo) as u32 <= span {
                    window.push(v);
                }
            }
            (below, window)
        })
        .reduce(
            || (0, Vec::new()),
            |(a, mut x), (b, y)| {
                x.extend(y);
                (a + b, x)
            },
        );
    if below <= k && k < below + window.len() {
        pick(window, k - below)
    } else {
        // The sample missed (rare): choose among all values.
        pick(points.iter().map(|p| p.xy[AXIS]).collect(), k)
    }
}

/// Moves the points below `at` on `AXIS` to the front; returns how many there are and the
/// bounds of both sides, given the bounds `b` of all and `at` a point's value above the
/// lowest.
fn partition<const AXIS: usize>(
    points: &mut [Point],
    at: i32,
    b: [i32; 4],
) -> (usize, [i32; 4], [i32; 4]) {
    // On `AXIS` the sides' bounds are known but for the low side's top: only the other axis
    // and that top are tracked.
    let other = 1 - AXIS;
    let (mut low, mut high) = ([i32::MAX, i32::MIN, i32::MIN], [i32::MAX, i32::MIN]);
    let grow_low = |low: &mut [i32; 3], xy: [i32; 2]| {
        low[0] = low[0].min(xy[other]);
        low[1] = low[1].max(xy[other]);
        low[2] = low[2].max(xy[AXIS]);
    };
    let grow_high = |high: &mut [i32; 2], xy: [i32; 2]| {
        high[0] = high[0].min(xy[other]);
        high[1] = high[1].max(xy[other]);
    };
    // From both ends, swapping the points on the wrong side: files keep neighbouring points
    // together, so the branches are mostly foreseen. Each point is seen once, on its way
    // to its side.
    let (mut front, mut back) = (0, points.len());
    loop {
        while front < back && points[front].xy[AXIS] < at {
            grow_low(&mut low, points[front].xy);
            front += 1;
        }
        while front < back && points[back - 1].xy[AXIS] >= at {
            grow_high(&mut high, points[back - 1].xy);
            back -= 1;
        }
        if front == back {
            break;
        }
        grow_high(&mut high, points[front].xy);
        grow_low(&mut low, points[back - 1].xy);
        points.swap(front, back - 1);
        front += 1;
        back -= 1;
    }
    // The lowest point is low and the highest high; `at` is the high side's lowest.
    let mut low_bounds = [0; 4];
    let mut high_bounds = [0; 4];
    (low_bounds[other], low_bounds[other + 2]) = (low[0], low[1]);
    (low_bounds[AXIS], low_bounds[AXIS + 2]) = (b[AXIS], low[2]);
    (high_bounds[other], high_bounds[other + 2]) = (high[0], high[1]);
    (high_bounds[AXIS], high_bounds[AXIS + 2]) = (at, b[AXIS + 2]);
    (front, low_bounds, high_bounds)
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
fn density(points: &[Point], extent: Box2, scaling: Scaling) -> Density {
    let (w, h) = (extent[2] - extent[0], extent[3] - extent[1]);
    let cell = (w.max(h) / 512.0).max(f64::MIN_POSITIVE);
    let width = ((w / cell).ceil() as usize).clamp(1, 512);
    let height = ((h / cell).ceil() as usize).clamp(1, 512);
    let mut counts = vec![0u32; width * height];
    for point in points {
        let [x, y] = scaling.xy(point);
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
            density: false,
        }
    }

    /// Hundredths, as most files store coordinates.
    const SCALING: Scaling = Scaling {
        scale: [0.01, 0.01],
        offset: [500.0, 20.0],
    };

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
                    [next() * 10000.0, next() * 4000.0]
                } else {
                    // A dense cluster, on a coarse grid so that ties are common.
                    [
                        (20.0 + next() * 5.0).round() * 100.0,
                        (10.0 + next() * 5.0).round() * 100.0,
                    ]
                };
                Point {
                    xy: xy.map(|v| v as i32),
                    block: (i / 100) as u32,
                }
            })
            .collect()
    }

    fn bounds(points: &[Point]) -> [i32; 4] {
        points.iter().fold(EMPTY, |mut b, p| {
            grow(&mut b, p.xy);
            b
        })
    }

    /// The whole cloud split, as `plan` splits it.
    fn split_cloud(
        cloud: &mut [Point],
        options: &PlanOptions,
    ) -> (Node, Vec<Tile>, Vec<Range<usize>>) {
        let bounds = bounds(cloud);
        split(cloud, bounds, extent(bounds), SCALING, options)
    }

    fn points(xy: impl IntoIterator<Item = [i32; 2]>) -> Vec<Point> {
        xy.into_iter().map(|xy| Point { xy, block: 0 }).collect()
    }

    #[test]
    fn every_point_has_exactly_one_core_tile_and_tiles_respect_the_limit() {
        let mut cloud = cloud(5000);
        let (tree, tiles, cores) = split_cloud(&mut cloud, &options(400, 1.5));
        let neighbours = neighbours(&tree, &tiles, 1.5);
        for (t, core) in cores.iter().enumerate() {
            let mine = &cloud[core.clone()];
            assert!(mine.iter().all(|p| tiles[t].owns(SCALING.xy(p))));
            // Ties can overfill a tile only where every point is identical.
            assert!(
                mine.len() <= 400 || mine.iter().all(|p| p.xy == mine[0].xy),
                "tile {t}"
            );
        }
        for p in &cloud {
            let xy = SCALING.xy(p);
            let owners: Vec<usize> = (0..tiles.len()).filter(|&t| tiles[t].owns(xy)).collect();
            assert_eq!(owners.len(), 1, "{p:?} owned by {owners:?}");
            for (t, tile) in tiles.iter().enumerate() {
                if tile.reaches(xy) && t != owners[0] {
                    assert!(
                        neighbours[owners[0]].contains(&t),
                        "tile {t} is missing from tile {}'s neighbours for {p:?}",
                        owners[0]
                    );
                }
            }
        }
    }

    #[test]
    fn partition_bounds_each_side() {
        let cloud = cloud(3000);
        for axis in 0..2 {
            let b = bounds(&cloud);
            let mut values: Vec<i32> = cloud.iter().map(|p| p.xy[axis]).collect();
            values.sort_unstable();
            for at in [
                values[1500],
                values[values.partition_point(|&v| v == values[0])],
            ] {
                let mut points = cloud.clone();
                let (low, low_bounds, high_bounds) = match axis {
                    0 => partition::<0>(&mut points, at, b),
                    _ => partition::<1>(&mut points, at, b),
                };
                assert!(points[..low].iter().all(|p| p.xy[axis] < at));
                assert!(points[low..].iter().all(|p| p.xy[axis] >= at));
                assert_eq!(low_bounds, bounds(&points[..low]));
                assert_eq!(high_bounds, bounds(&points[low..]));
            }
        }
    }

    #[test]
    fn equal_counts_without_ties() {
        let mut cloud = points((0..1000).map(|i| [i, i * 7 % 13]));
        let (_, tiles, cores) = split_cloud(&mut cloud, &options(300, 0.0));
        assert_eq!(tiles.len(), 4);
        assert!(cores.iter().all(|core| core.len() == 250));
    }

    #[test]
    fn identical_points_stay_in_one_tile() {
        let mut cloud = points(vec![[100, 200]; 50]);
        let (_, tiles, _) = split_cloud(&mut cloud, &options(10, 0.0));
        assert_eq!(tiles.len(), 1);
        assert!(tiles[0].owns(SCALING.xy(&cloud[0])));
    }

    #[test]
    fn coordinates_must_keep_the_order_of_their_integers() {
        let extent = [-5, 0, 1 << 30, 10];
        assert!(SCALING.check_order("a.las", extent).is_ok());
        for (scale, offset) in [(0.0, 0.0), (-0.01, 0.0), (1e-12, 1e6)] {
            let scaling = Scaling {
                scale: [scale, 0.01],
                offset: [offset, 0.0],
            };
            let error = scaling
                .check_order("a.las", extent)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("a.las") && error.contains("x scale factor"),
                "{error}"
            );
        }
    }
}
