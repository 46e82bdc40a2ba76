//! The cuts: the cloud split recursively into tiles of equal counts, and the tree of cuts
//! that finds a point's tile and a tile's neighbours.

use std::ops::Range;

use rayon::prelude::*;

use super::points::{IntBox, Point, Scaling};
use super::{Box2, PlanOptions, Tile, Tiling};

/// The cuts of a plan: a point's core tile is the leaf it descends to.
pub(super) enum Node {
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
pub(super) fn neighbours(tree: &Node, tiles: &[Tile], buffer: f64) -> Vec<Vec<usize>> {
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
pub(super) fn split(
    points: &mut [Point],
    bounds: [i32; 4],
    extent: IntBox,
    scaling: Scaling,
    options: &PlanOptions,
) -> (Node, Vec<Tile>, Vec<Range<usize>>) {
    let tiles = match options.tiling {
        Tiling::MaxPoints(max) => (points.len() as u64).div_ceil(max),
        Tiling::Tiles(count) => count,
    };
    let (tree, leaves) = split_cell(points, bounds, tiles, 0, extent, scaling, options);
    let (tiles, cores) = leaves.into_iter().unzip();
    (tree, tiles, cores)
}

/// The cell's subtree of `tiles` tiles (fewer where points share x and y), with its leaves
/// numbered from 0 in order; `bounds` are the points'.
fn split_cell(
    points: &mut [Point],
    bounds: [i32; 4],
    tiles: u64,
    offset: usize,
    cell: IntBox,
    scaling: Scaling,
    options: &PlanOptions,
) -> (Node, Vec<(Tile, Range<usize>)>) {
    if tiles > 1 && points.len() > 1 {
        let low_tiles = tiles / 2;
        if let Some(Cut {
            axis,
            at,
            low_len,
            low_bounds,
            high_bounds,
        }) = cut(points, bounds, low_tiles, tiles, scaling)
        {
            // With a most points per tile, each side needs as many tiles as its points do;
            // with a count, the sides share it as the cut shared the points.
            let (low_tiles, high_tiles) = match options.tiling {
                Tiling::MaxPoints(max) => (
                    (low_len as u64).div_ceil(max),
                    ((points.len() - low_len) as u64).div_ceil(max),
                ),
                Tiling::Tiles(_) => (low_tiles, tiles - low_tiles),
            };
            let (low_points, high_points) = points.split_at_mut(low_len);
            let mut low_cell = cell;
            let mut high_cell = cell;
            low_cell[axis + 2] = at.into();
            high_cell[axis] = at.into();
            let ((low, mut leaves), (mut high, high_leaves)) = rayon::join(
                || {
                    split_cell(
                        low_points, low_bounds, low_tiles, offset, low_cell, scaling, options,
                    )
                },
                || {
                    let offset = offset + low_len;
                    split_cell(
                        high_points,
                        high_bounds,
                        high_tiles,
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
/// points, `low_tiles` of `tiles`. `None` when every point has the same x and y (no cut can
/// separate them).
fn cut(
    points: &mut [Point],
    b: [i32; 4],
    low_tiles: u64,
    tiles: u64,
    scaling: Scaling,
) -> Option<Cut> {
    let n = points.len();
    let width =
        |axis: usize| (i64::from(b[axis + 2]) - i64::from(b[axis])) as f64 * scaling.scale[axis];
    let wider = usize::from(width(1) > width(0));
    let target = (n as u128 * low_tiles as u128 / tiles as u128) as usize;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::points::{extent, grow, EMPTY};

    fn options(max_points: u64, buffer: f64) -> PlanOptions {
        PlanOptions {
            tiling: Tiling::MaxPoints(max_points),
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
        let mut rng = test_support::Rng::new(12345);
        let mut next = move || rng.next_u64() as f64 / (1u64 << 31) as f64;
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
}
