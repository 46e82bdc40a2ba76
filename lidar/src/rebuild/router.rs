//! Routing a batch of records to its tiles: each record to the tile that owns it (core) and
//! to every tile whose buffered box reaches it (buffer).

use std::io::{Seek, Write};

use partition_core::output::Allocate;
use partition_core::Result;
use rayon::prelude::*;

use super::{Sink, TileSpec};
use crate::integers::integer_box;
use crate::layout::Head;
use crate::plan::{Box2, Tile};
use crate::record::PointFormat;

/// Finds the tiles of a group a point falls in: a grid over the group's buffered boxes,
/// each cell listing the tiles whose buffered box meets it.
pub(super) struct Router {
    tiles: Vec<Tile>,
    /// Per tile, an open box inside its core that no other tile's buffered box meets (its
    /// core less the buffer distance all round, or nothing): points there need no search.
    alone: Vec<Box2>,
    origin: [f64; 2],
    /// Cells per unit of x and y.
    density: [f64; 2],
    columns: usize,
    rows: usize,
    /// `members[starts[c]..starts[c + 1]]` are cell c's tiles.
    starts: Vec<u32>,
    members: Vec<u32>,
}

/// Records in one routing task.
const ROUTE_PART: usize = 1 << 15;

/// Consecutive records of a batch bound for one tile, as core or as buffer.
#[derive(Debug, Clone, Copy)]
struct Piece {
    tile: u32,
    buffer: bool,
    start: u32,
    end: u32,
}

impl Router {
    pub(super) fn new(specs: &[&TileSpec]) -> Router {
        let tiles: Vec<Tile> = specs.iter().map(|spec| spec.tile.clone()).collect();
        let reach = tiles.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |e, t| {
                let b = t.buffered;
                [
                    e[0].min(b[0]),
                    e[1].min(b[1]),
                    e[2].max(b[2]),
                    e[3].max(b[3]),
                ]
            },
        );
        // About 256 cells a tile, in cells as square as the extent allows.
        let (w, h) = (
            (reach[2] - reach[0]).max(0.0),
            (reach[3] - reach[1]).max(0.0),
        );
        let cells = (tiles.len() * 256).min(1 << 20) as f64;
        let side = (w * h / cells).sqrt();
        let count = |length: f64| {
            if side > 0.0 && length.is_finite() {
                ((length / side).ceil() as usize).clamp(1, 4096)
            } else {
                1
            }
        };
        let (columns, rows) = (count(w), count(h));
        let density = [
            columns as f64 / w.max(f64::MIN_POSITIVE),
            rows as f64 / h.max(f64::MIN_POSITIVE),
        ];
        const NOTHING: Box2 = [0.0, 0.0, 0.0, 0.0];
        let alone = tiles
            .iter()
            .enumerate()
            .map(|(t, tile)| {
                let (c, b) = (tile.core, tile.buffered);
                // The buffer distance on x and y, as the tile's boxes have it.
                let d = [b[2] - c[2], b[3] - c[3]];
                let inner = [c[0] + d[0], c[1] + d[1], c[2] - d[0], c[3] - d[1]];
                let met = tiles.iter().enumerate().any(|(u, other)| {
                    let o = other.buffered;
                    u != t
                        && o[0] < inner[2]
                        && o[2] > inner[0]
                        && o[1] < inner[3]
                        && o[3] > inner[1]
                });
                // Inside the core only if the distances are not negative (nor NaN).
                if met || !(d[0] >= 0.0 && d[1] >= 0.0) {
                    NOTHING
                } else {
                    inner
                }
            })
            .collect();
        let mut router = Router {
            tiles,
            alone,
            origin: [reach[0], reach[1]],
            density,
            columns,
            rows,
            starts: Vec::new(),
            members: Vec::new(),
        };
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); columns * rows];
        for (t, tile) in router.tiles.iter().enumerate() {
            let b = tile.buffered;
            let [c0, r0] = router.cell([b[0], b[1]]);
            let [c1, r1] = router.cell([b[2], b[3]]);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    lists[r * columns + c].push(t as u32);
                }
            }
        }
        router.starts.push(0);
        for list in lists {
            router.members.extend(list);
            router.starts.push(router.members.len() as u32);
        }
        router
    }

    /// The cell of a point; the same rounding for points and box corners keeps every point
    /// of a box within the box's cells.
    fn cell(&self, p: [f64; 2]) -> [usize; 2] {
        let column = ((p[0] - self.origin[0]) * self.density[0]).max(0.0) as usize;
        let row = ((p[1] - self.origin[1]) * self.density[1]).max(0.0) as usize;
        [column.min(self.columns - 1), row.min(self.rows - 1)]
    }

    /// Each tile's `alone` box as the integer X, Y of `head` it holds (closed; a box that
    /// holds none where the integers are not found): tested without scaling.
    fn alone_integers(&self, head: &Head) -> Vec<[i32; 4]> {
        let h = &head.header;
        let (scale, offset) = (
            [h.x_scale_factor, h.y_scale_factor],
            [h.x_offset, h.y_offset],
        );
        self.alone
            .iter()
            .map(|a| integer_box(scale, offset, *a, |axis, v| a[axis] < v && v < a[axis + 2]))
            .collect()
    }

    /// Sends `records` to the sinks: core runs to the writers, buffer runs (withheld) to the
    /// waiting buffers.
    pub(super) fn route<W: Write + Seek + Allocate + Send>(
        &self,
        head: &Head,
        records: &[u8],
        sinks: &mut [Sink<W>],
    ) -> Result<()> {
        let size = head.format.record_bytes();
        let alone = self.alone_integers(head);
        let parts: Vec<Vec<Piece>> = records
            .par_chunks(size * ROUTE_PART)
            .enumerate()
            .map(|(p, part)| self.pieces(head, &alone, part, (p * ROUTE_PART) as u32))
            .collect();
        let mut by_tile: Vec<Vec<Piece>> = vec![Vec::new(); sinks.len()];
        for piece in parts.into_iter().flatten() {
            by_tile[piece.tile as usize].push(piece);
        }
        sinks
            .par_iter_mut()
            .zip(by_tile)
            .try_for_each(|(sink, pieces)| {
                for piece in pieces {
                    let run = &records[piece.start as usize * size..piece.end as usize * size];
                    if piece.buffer {
                        let at = sink.buffer.len();
                        sink.buffer.extend_from_slice(run);
                        for record in sink.buffer[at..].chunks_exact_mut(size) {
                            head.format.set_withheld(record);
                        }
                    } else {
                        sink.writer.write(run)?;
                    }
                }
                Ok(())
            })
    }

    /// The pieces of `records`, numbered from `first`, in order for each tile; `alone` are
    /// the tiles' [`Router::alone_integers`].
    fn pieces(&self, head: &Head, alone: &[[i32; 4]], records: &[u8], first: u32) -> Vec<Piece> {
        let size = head.format.record_bytes();
        let mut pieces: Vec<Piece> = Vec::new();
        // The last piece of each tile, core and buffer.
        let mut last = vec![u32::MAX; self.tiles.len() * 2];
        let holds = |a: &[i32; 4], x: i32, y: i32| a[0] <= x && x <= a[2] && a[1] <= y && y <= a[3];
        // The tile whose `alone` box held the last point, and that point's piece.
        let mut alone_run: Option<(usize, usize)> = None;
        for (i, record) in records.chunks_exact(size).enumerate() {
            let [x, y, _] = PointFormat::xyz(record);
            if let Some((t, piece)) = alone_run {
                if holds(&alone[t], x, y) {
                    pieces[piece].end += 1;
                    continue;
                }
                alone_run = None;
            }
            let p = head.scale_xy(x, y);
            let [column, row] = self.cell(p);
            let cell = row * self.columns + column;
            let i = first + i as u32;
            for &t in &self.members[self.starts[cell] as usize..self.starts[cell + 1] as usize] {
                let tile = &self.tiles[t as usize];
                let buffer = if tile.owns(p) {
                    false
                } else if tile.reaches(p) {
                    true
                } else {
                    continue;
                };
                let slot = &mut last[t as usize * 2 + usize::from(buffer)];
                match pieces.get_mut(*slot as usize) {
                    Some(piece) if piece.end == i => piece.end += 1,
                    _ => {
                        *slot = pieces.len() as u32;
                        pieces.push(Piece {
                            tile: t,
                            buffer,
                            start: i,
                            end: i + 1,
                        });
                    }
                }
                if holds(&alone[t as usize], x, y) {
                    alone_run = Some((t as usize, *slot as usize));
                }
            }
        }
        pieces
    }
}
