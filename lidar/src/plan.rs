//! Tiles of equal point counts over one or many files, and the byte ranges each tile reads.
//!
//! Two passes over the points' x/y only (16 bytes a point, plus 8 while splitting):
//!
//! 1. **split**: the cloud is cut recursively on the wider of x/y at the point that leaves
//!    each side its share of tiles, until every tile holds at most `--max-points` (PDAL
//!    chipper style, with equal counts rather than halves). Cores are half-open boxes
//!    `[min, max)` that partition the plane, so every point has exactly one core tile; ties
//!    on a cut all go to the upper side.
//! 2. **assign**: each point is core in its tile and buffer in every other tile whose
//!    buffered box (the core grown by `--buffer` on each side, closed) holds it. A tile
//!    reads the blocks (LAZ chunks, COPC nodes, ~1 MiB LAS record runs) where it has points.

use std::collections::BTreeMap;

use partition_core::manifest::{chunk_id, url_stem};
use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source, SourceRanges};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decode::{self, Fields};
use crate::layout::{Block, Layout};
use crate::record::PointFormat;

/// Stored bytes decoded at a time per file while reading x/y.
const BATCH_BYTES: u64 = 32 << 20;

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

    let cloud = read_xy(&sources, &layouts, options.quiet)?;
    let points = cloud.xy.len() as u64;
    let extent = cloud.extent();
    let (tree, mut tiles) = split(&cloud.xy, extent, options);
    if points == 0 {
        tiles.clear();
    }
    let density = density(&cloud.xy, extent);

    // Assign: per block, which tiles hold its points as core or buffer.
    let blocks: Vec<(usize, usize)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(s, layout)| (0..layout.blocks.len()).map(move |b| (s, b)))
        .collect();
    let hits: Vec<BTreeMap<usize, (u64, u64)>> = blocks
        .par_iter()
        .map(|&(s, b)| {
            let block = &layouts[s].blocks[b];
            let start = cloud.starts[s] + block.first_point as usize;
            let mut hits = BTreeMap::new();
            for &p in &cloud.xy[start..start + block.points as usize] {
                tree.visit(p, options.buffer, &mut |t| {
                    let tile = &tiles[t];
                    if tile.owns(p) {
                        hits.entry(t).or_insert((0, 0)).0 += 1;
                    } else if tile.reaches(p) {
                        hits.entry(t).or_insert((0, 0)).1 += 1;
                    }
                });
            }
            hits
        })
        .collect();
    drop(cloud);
    let mut reads: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); layouts.len()]; tiles.len()];
    for (&(s, b), hits) in blocks.iter().zip(&hits) {
        for (&t, &(core, buffer)) in hits {
            tiles[t].core_points += core;
            tiles[t].buffer_points += buffer;
            reads[t][s].push(b);
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
        } else if [
            b.header.x_scale_factor,
            b.header.y_scale_factor,
            b.header.z_scale_factor,
            b.header.x_offset,
            b.header.y_offset,
            b.header.z_offset,
        ] != [
            a.header.x_scale_factor,
            a.header.y_scale_factor,
            a.header.z_scale_factor,
            a.header.x_offset,
            a.header.y_offset,
            a.header.z_offset,
        ] {
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

/// Every point's x/y, file after file, in file order.
struct Cloud {
    xy: Vec<[f64; 2]>,
    /// Index of each file's first point in `xy`.
    starts: Vec<usize>,
}

impl Cloud {
    fn extent(&self) -> Box2 {
        let mut e = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for &[x, y] in &self.xy {
            e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
        }
        if self.xy.is_empty() {
            e = [0.0; 4];
        }
        // Half-open like every core: the top edge moves up by one representable step.
        [e[0], e[1], e[2].next_up(), e[3].next_up()]
    }
}

fn read_xy(sources: &[Source], layouts: &[Layout], quiet: bool) -> Result<Cloud> {
    let total_points: u64 = layouts.iter().map(Layout::points).sum();
    let stored: u64 = layouts
        .iter()
        .flat_map(|l| &l.blocks)
        .map(|b| b.range.len())
        .sum();
    let bar = partition_core::progress::bytes(stored, quiet, "reading x/y");
    let mut xy = Vec::with_capacity(total_points as usize);
    let mut starts = Vec::with_capacity(layouts.len());
    for (source, layout) in sources.iter().zip(layouts) {
        starts.push(xy.len());
        for batch in batches(&layout.blocks, BATCH_BYTES) {
            let range = ByteRange::new(batch[0].range.start, batch[batch.len() - 1].range.end);
            let bytes = source.read_range(range)?;
            let records = decode::records(&layout.url, &layout.head, batch, &bytes, Fields::Xy)?;
            let head = &layout.head;
            let points: Vec<[f64; 2]> = records
                .par_chunks(head.format.record_bytes())
                .map(|record| {
                    let [x, y, _] = PointFormat::xyz(record);
                    head.scale_xy(x, y)
                })
                .collect();
            xy.extend_from_slice(&points);
            bar.inc(range.len());
        }
    }
    bar.finish_and_clear();
    Ok(Cloud { xy, starts })
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

fn split(xy: &[[f64; 2]], extent: Box2, options: &PlanOptions) -> (Node, Vec<Tile>) {
    let mut order: Vec<u64> = (0..xy.len() as u64).collect();
    let mut tiles = Vec::new();
    let tree = split_cell(xy, &mut order, extent, options, &mut tiles);
    (tree, tiles)
}

fn split_cell(
    xy: &[[f64; 2]],
    order: &mut [u64],
    cell: Box2,
    options: &PlanOptions,
    tiles: &mut Vec<Tile>,
) -> Node {
    let n = order.len() as u64;
    if n > options.max_points {
        if let Some((axis, at, low_len)) = cut(xy, order, options.max_points) {
            let (low_order, high_order) = order.split_at_mut(low_len);
            let mut low_cell = cell;
            let mut high_cell = cell;
            low_cell[axis + 2] = at;
            high_cell[axis] = at;
            let low = split_cell(xy, low_order, low_cell, options, tiles);
            let high = split_cell(xy, high_order, high_cell, options, tiles);
            return Node::Cut {
                axis,
                at,
                low: Box::new(low),
                high: Box::new(high),
            };
        }
    }
    let b = options.buffer;
    tiles.push(Tile {
        core: cell,
        buffered: [cell[0] - b, cell[1] - b, cell[2] + b, cell[3] + b],
        core_points: 0,
        buffer_points: 0,
    });
    Node::Leaf(tiles.len() - 1)
}

/// Cuts the points of `order` on the wider axis so that the low side gets its share of
/// tiles; returns the axis, the cut and how many points lie below it (moved to the front).
/// `None` when every point has the same x and y (no cut can separate them).
fn cut(xy: &[[f64; 2]], order: &mut [u64], max_points: u64) -> Option<(usize, f64, usize)> {
    let n = order.len();
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for &i in order.iter() {
        let [x, y] = xy[i as usize];
        bounds = [
            bounds[0].min(x),
            bounds[1].min(y),
            bounds[2].max(x),
            bounds[3].max(y),
        ];
    }
    let wider = usize::from(bounds[3] - bounds[1] > bounds[2] - bounds[0]);
    let tiles = (n as u64).div_ceil(max_points);
    let target = (n as u64 * (tiles / 2) / tiles) as usize;
    for axis in [wider, 1 - wider] {
        if bounds[axis] == bounds[axis + 2] {
            continue;
        }
        let key = |i: &u64| xy[*i as usize][axis];
        order.select_nth_unstable_by(target, |a, b| key(a).total_cmp(&key(b)));
        let median = key(&order[target]);
        // Ties go up; if the median is the minimum, cut above its ties instead.
        let at = if median > bounds[axis] {
            median
        } else {
            order[target..]
                .iter()
                .map(key)
                .filter(|&v| v > median)
                .fold(f64::INFINITY, f64::min)
        };
        let low_len = partition(order, |i| key(i) < at);
        return Some((axis, at, low_len));
    }
    None
}

/// Moves the items for which `low` holds to the front; returns how many there are.
fn partition(items: &mut [u64], low: impl Fn(&u64) -> bool) -> usize {
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
fn density(xy: &[[f64; 2]], extent: Box2) -> Density {
    let (w, h) = (extent[2] - extent[0], extent[3] - extent[1]);
    let cell = (w.max(h) / 512.0).max(f64::MIN_POSITIVE);
    let width = ((w / cell).ceil() as usize).clamp(1, 512);
    let height = ((h / cell).ceil() as usize).clamp(1, 512);
    let mut counts = vec![0u32; width * height];
    for &[x, y] in xy {
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

    fn cloud(n: usize) -> Vec<[f64; 2]> {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    [next() * 100.0, next() * 40.0]
                } else {
                    // A dense cluster, on a coarse grid so that ties are common.
                    [(20.0 + next() * 5.0).round(), (10.0 + next() * 5.0).round()]
                }
            })
            .collect()
    }

    fn extent_of(xy: &[[f64; 2]]) -> Box2 {
        Cloud {
            xy: xy.to_vec(),
            starts: vec![0],
        }
        .extent()
    }

    #[test]
    fn every_point_has_exactly_one_core_tile_and_tiles_respect_the_limit() {
        let xy = cloud(5000);
        let (tree, tiles) = split(&xy, extent_of(&xy), &options(400, 1.5));
        let mut counts = vec![0u64; tiles.len()];
        for &p in &xy {
            let owners: Vec<usize> = (0..tiles.len()).filter(|&t| tiles[t].owns(p)).collect();
            assert_eq!(owners.len(), 1, "{p:?} owned by {owners:?}");
            let mut visited = Vec::new();
            tree.visit(p, 1.5, &mut |t| visited.push(t));
            for t in 0..tiles.len() {
                if tiles[t].reaches(p) {
                    assert!(visited.contains(&t), "the tree misses tile {t} for {p:?}");
                }
            }
            counts[owners[0]] += 1;
        }
        // The cluster's grid has only 36 distinct points: ties can overfill a tile only
        // where every point is identical.
        for (t, &count) in counts.iter().enumerate() {
            let core: Vec<[f64; 2]> = xy.iter().copied().filter(|&p| tiles[t].owns(p)).collect();
            assert!(
                count <= 400 || core.iter().all(|&p| p == core[0]),
                "tile {t}: {count}"
            );
        }
    }

    #[test]
    fn equal_counts_without_ties() {
        let xy: Vec<[f64; 2]> = (0..1000).map(|i| [i as f64, (i * 7 % 13) as f64]).collect();
        let (_, tiles) = split(&xy, extent_of(&xy), &options(300, 0.0));
        assert_eq!(tiles.len(), 4);
        for tile in &tiles {
            let n = xy.iter().filter(|&&p| tile.owns(p)).count();
            assert_eq!(n, 250);
        }
    }

    #[test]
    fn identical_points_stay_in_one_tile() {
        let xy = vec![[1.0, 2.0]; 50];
        let (_, tiles) = split(&xy, extent_of(&xy), &options(10, 0.0));
        assert_eq!(tiles.len(), 1);
        assert!(tiles[0].owns([1.0, 2.0]));
    }
}
