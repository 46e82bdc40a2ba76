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

use std::fmt;

use partition_core::manifest::url_stem;
use partition_core::{ByteRange, Error, Kind, ManifestBuilder, Result, Source, SourceRanges};

pub use crate::detail::Box2;
use crate::detail::{LasDetail, Run, SourceDetail};
use crate::layout::Layout;
use crate::write::Format;

mod assign;
mod points;
mod split;

pub(crate) use points::batches;
use points::{density, extent, read_points, scaling, Scaling};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub tiling: Tiling,
    pub buffer: f64,
    pub quiet: bool,
    /// Count points per cell for a picture ([`LidarStats::density`]).
    pub density: bool,
}

/// How many tiles: as few as keep each core at most N points, or exactly N. Either way every
/// cut splits the points in proportion to the tiles on each side, so tiles hold equal counts
/// (up to points that share x and y, which no cut separates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tiling {
    MaxPoints(u64),
    Tiles(u64),
}

/// One tile of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Half-open: `min <= p < max`.
    pub core: Box2,
    /// The core grown by the buffer distance; half-open like the core, so that with no buffer
    /// it is the core and holds no buffer point.
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

    /// Whether the point lies in the buffered box, `min - b <= p < max + b` on each axis
    /// (half-open, as the core): a buffer point of this tile when the core does not own it.
    /// With no buffer the box is the core, and no point is a buffer point.
    #[inline]
    pub fn reaches(&self, [x, y]: [f64; 2]) -> bool {
        let b = &self.buffered;
        b[0] <= x && x < b[2] && b[1] <= y && y < b[3]
    }
}

/// A coarse count of points per cell over the cloud's extent, for pictures.
#[derive(Debug, Clone)]
pub struct Density {
    pub extent: Box2,
    pub width: usize,
    pub height: usize,
    pub counts: Vec<u32>,
}

/// A LiDAR plan: the tiles' chunks, and the tiles themselves for pictures and reports.
pub type Plan = partition_core::Plan<LidarStats>;

/// What a LiDAR plan knows beyond its chunks.
#[derive(Debug)]
pub struct LidarStats {
    /// One per chunk, in manifest order.
    pub tiles: Vec<Tile>,
    /// When asked for ([`PlanOptions::density`]).
    pub density: Option<Density>,
    pub points: u64,
    /// Stored bytes every tile reads together, over the sources' point data.
    pub read_amplification: f64,
}

impl fmt::Display for LidarStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buffer: u64 = self.tiles.iter().map(|t| t.buffer_points).sum();
        write!(
            f,
            "{} tiles over {} points (+{} buffer copies, {:.1} %); tiles read {:.2}x the point data",
            self.tiles.len(),
            self.points,
            buffer,
            100.0 * buffer as f64 / self.points.max(1) as f64,
            self.read_amplification
        )
    }
}

/// Plans tiles over `inputs` (paths, `s3://` or `https://` URLs) taken as one cloud.
pub fn plan(inputs: &[String], options: &PlanOptions) -> Result<Plan> {
    if let Tiling::MaxPoints(0) | Tiling::Tiles(0) = options.tiling {
        return Err(Error::Usage(
            "the most points in a tile, or the number of tiles, must be above 0".to_string(),
        ));
    }
    if !(options.buffer >= 0.0 && options.buffer.is_finite()) {
        return Err(Error::Usage(format!(
            "the buffer {} must be a distance of 0 or more",
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
    let (tree, mut tiles, cores) = split::split(&mut cloud, bounds, extent, scaling, options);
    if points == 0 {
        tiles.clear();
    }
    let blocks: Vec<(usize, usize)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(s, layout)| (0..layout.blocks.len()).map(move |b| (s, b)))
        .collect();
    let assigned = assign::assign(
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
    let mut read_bytes = 0u64;
    let mut manifest = ManifestBuilder::new(Kind::Las);
    for (tile, reads) in tiles.iter().zip(&reads) {
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
        let est_bytes =
            layouts[0].head.point_data_start() + (tile.core_points + tile.buffer_points) * record;
        let detail = LasDetail {
            core: tile.core,
            buffered: tile.buffered,
            buffer: options.buffer,
            core_points: tile.core_points,
            buffer_points: tile.buffer_points,
            format: Format::of_head(&layouts[0].head),
            sources: details,
        };
        manifest.push(&stem, sources, est_bytes, detail);
    }
    let point_bytes: u64 = layouts
        .iter()
        .flat_map(|layout| &layout.blocks)
        .map(|block| block.range.len())
        .sum();
    Ok(Plan {
        chunks: manifest.finish(),
        warnings: Vec::new(),
        stats: LidarStats {
            tiles,
            density,
            points,
            read_amplification: read_bytes as f64 / point_bytes.max(1) as f64,
        },
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
