//! Which tiles each point belongs to beyond its core: buffer counts and the blocks every
//! tile reads.

use std::ops::Range;

use rayon::prelude::*;

use super::points::{Point, Scaling};
use super::split::{neighbours, Node};
use super::{Box2, Tile};
use crate::integers::integer_box;

/// Buffer counts per tile, and which blocks each tile reads (a bit set per tile).
pub(super) struct Assigned {
    pub(super) buffer_points: Vec<u64>,
    words: usize,
    bits: Vec<u64>,
}

impl Assigned {
    pub(super) fn new(tiles: usize, blocks: usize) -> Assigned {
        let words = blocks.div_ceil(64);
        Assigned {
            buffer_points: vec![0; tiles],
            words,
            bits: vec![0; tiles * words],
        }
    }

    pub(super) fn mark(&mut self, tile: usize, block: usize) {
        self.bits[tile * self.words + block / 64] |= 1 << (block % 64);
    }

    pub(super) fn merge(mut self, other: Assigned) -> Assigned {
        for (a, b) in self.buffer_points.iter_mut().zip(&other.buffer_points) {
            *a += b;
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
        self
    }

    pub(super) fn blocks_of(&self, tile: usize) -> impl Iterator<Item = usize> + '_ {
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
pub(super) fn assign(
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
