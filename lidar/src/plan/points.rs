//! The cloud as the plan holds it: 12 bytes a point (integer x/y and its block), read
//! from every source's point blocks in parallel, and how integers become coordinates.

use std::ops::Range;

use partition_core::{ByteRange, Error, RangeBytes, Result, Source};
use rayon::prelude::*;

use super::{Box2, Density};
use crate::decode::{self, Fields};
use crate::layout::{Block, Head, Layout};
use crate::record::PointFormat;

/// Stored bytes decoded at a time per file while reading x/y.
pub(crate) const BATCH_BYTES: u64 = 8 << 20;

/// Scales and offsets of x, y and z.
pub(super) fn scaling(head: &Head) -> [f64; 6] {
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
pub(super) struct Scaling {
    pub(super) scale: [f64; 2],
    pub(super) offset: [f64; 2],
}

impl Scaling {
    pub(super) fn of(head: &Head) -> Scaling {
        let h = &head.header;
        Scaling {
            scale: [h.x_scale_factor, h.y_scale_factor],
            offset: [h.x_offset, h.y_offset],
        }
    }

    /// The coordinate of integer `v` on `axis`, computed as [`Head::scale_xy`] does.
    pub(super) fn at(&self, axis: usize, v: i64) -> f64 {
        v as f64 * self.scale[axis] + self.offset[axis]
    }

    pub(super) fn xy(&self, p: &Point) -> [f64; 2] {
        [
            self.at(0, i64::from(p.xy[0])),
            self.at(1, i64::from(p.xy[1])),
        ]
    }

    pub(super) fn box2(&self, b: IntBox) -> Box2 {
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
    pub(super) fn check_order(&self, url: &str, extent: IntBox) -> Result<()> {
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

/// A point's integer x/y and the block holding it (numbered over every source's blocks).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Point {
    pub(super) xy: [i32; 2],
    pub(super) block: u32,
}

/// A box of integer x/y as `[min x, min y, max x, max y]`; half-open like every core.
pub(super) type IntBox = [i64; 4];

/// The cloud's extent, from its points' bounds: the top edges are one step above the
/// highest points.
pub(super) fn extent(bounds: [i32; 4]) -> IntBox {
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
pub(super) const EMPTY: [i32; 4] = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

#[inline(always)]
pub(super) fn grow(bounds: &mut [i32; 4], [x, y]: [i32; 2]) {
    bounds[0] = bounds[0].min(x);
    bounds[1] = bounds[1].min(y);
    bounds[2] = bounds[2].max(x);
    bounds[3] = bounds[3].max(y);
}

pub(super) fn merge(a: [i32; 4], b: [i32; 4]) -> [i32; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// The points in file order, and their bounds.
pub(super) fn read_points(
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

/// Points per cell over a grid of at most 512 cells on the longer side.
pub(super) fn density(points: &[Point], extent: Box2, scaling: Scaling) -> Density {
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

    /// Hundredths, as most files store coordinates.
    const SCALING: Scaling = Scaling {
        scale: [0.01, 0.01],
        offset: [500.0, 20.0],
    };

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
