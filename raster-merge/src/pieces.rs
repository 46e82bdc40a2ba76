//! What each chunk owns of the merged raster: a COG window without its halo, or the pixels
//! whose centres lie in a LiDAR tile's core. Owned rectangles never overlap, so every merged
//! pixel comes from exactly one chunk.

use cog::CogDetail;
use lidar::LasDetail;
use partition_core::{Chunk, Error, Kind, Result};

use crate::grid::{Grid, Rect};

/// One chunk's share of the merged raster.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub id: String,
    pub owned: Rect,
    /// Where the chunk's output lies on the merged grid when it has no geotransform of its
    /// own: a COG window's read window (window plus halo).
    pub default_place: Option<Rect>,
}

/// The chunks of a manifest, before the merged grid is known.
#[derive(Debug, Clone)]
pub enum Chunks {
    /// COG windows: the grid is the source image's (at the planned overview).
    Windows {
        grid: Grid,
        /// Whether the source had a geotransform (else `grid` counts pixels).
        georeferenced: bool,
        pieces: Vec<Piece>,
        crs: Option<String>,
        geokeys: Option<cog::crs::GeoKeys>,
    },
    /// LiDAR tiles: the grid comes from the outputs (their pixel size and lattice) over the
    /// union of the cores.
    Tiles { cores: Vec<(String, [f64; 4])> },
}

/// Reads the chunks' details: all `cog` or all `las`.
pub fn chunks_of(manifest: &str, chunks: &[Chunk]) -> Result<Chunks> {
    let Some(first) = chunks.first() else {
        return Err(Error::BadFile {
            input: manifest.to_string(),
            message: "the manifest has no chunks".into(),
        });
    };
    if let Some(other) = chunks.iter().find(|c| c.kind != first.kind) {
        return Err(Error::BadFile {
            input: manifest.to_string(),
            message: format!(
                "chunk {} is of kind {}, chunk {} of kind {}: one merge takes one kind",
                first.id,
                first.kind.name(),
                other.id,
                other.kind.name()
            ),
        });
    }
    match first.kind {
        Kind::Cog => windows(chunks),
        Kind::Las => Ok(Chunks::Tiles {
            cores: chunks
                .iter()
                .map(|chunk| Ok((chunk.id.clone(), chunk.detail::<LasDetail>()?.core)))
                .collect::<Result<_>>()?,
        }),
        kind => Err(Error::BadFile {
            input: manifest.to_string(),
            message: format!(
                "chunks of kind {} are not rasters: raster-merge takes cog windows or las tiles",
                kind.name()
            ),
        }),
    }
}

fn windows(chunks: &[Chunk]) -> Result<Chunks> {
    let details: Vec<CogDetail> = chunks.iter().map(Chunk::detail).collect::<Result<_>>()?;
    let rect = |w: [u64; 4]| Rect {
        col: w[0],
        row: w[1],
        width: w[2],
        height: w[3],
    };
    let first = &details[0];
    let (width, height) = cog::detail::image_size(&details);
    let pixels = Grid {
        geotransform: [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],
        width,
        height,
    };
    let (grid, georeferenced) = match first.geotransform {
        Some(g) if Grid::is_north_up(&g) => {
            let read = Grid {
                geotransform: g,
                ..pixels
            };
            let [col, row, ..] = first.read_window;
            (
                Grid {
                    geotransform: read.shifted(-(col as i64), -(row as i64)),
                    ..pixels
                },
                true,
            )
        }
        Some(_) => {
            return Err(Error::Usage(
                "the windows' source is rotated or flipped: raster-merge writes north-up grids"
                    .into(),
            ))
        }
        None => (pixels, false),
    };
    let pieces = chunks
        .iter()
        .zip(&details)
        .map(|(chunk, detail)| Piece {
            id: chunk.id.clone(),
            owned: rect(detail.window),
            default_place: Some(rect(detail.read_window)),
        })
        .collect();
    Ok(Chunks::Windows {
        grid,
        georeferenced,
        pieces,
        crs: first.crs.clone(),
        geokeys: first.geokeys.clone(),
    })
}

/// The merged grid of LiDAR tiles and what each owns: the lattice of `sample` (an output's
/// grid) over the cells that meet the union of the cores. A pixel belongs to the tile whose
/// core holds its centre; cells on the outer edge whose centre falls outside every core belong
/// to the tile on that edge, so the whole grid is owned.
pub fn tiles(cores: &[(String, [f64; 4])], sample: &Grid) -> Result<(Grid, Vec<Piece>)> {
    let union = cores.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |u, (_, c)| {
            [
                u[0].min(c[0]),
                u[1].min(c[1]),
                u[2].max(c[2]),
                u[3].max(c[3]),
            ]
        },
    );
    if !union.iter().all(|v| v.is_finite()) || union[0] >= union[2] || union[1] >= union[3] {
        return Err(Error::Usage("the tiles' cores cover no area".into()));
    }
    let (rx, ry) = sample.resolution();
    let [ox, _, _, oy, _, _] = sample.geotransform;
    let col0 = ((union[0] - ox) / rx).floor();
    let col1 = ((union[2] - ox) / rx).ceil();
    let row0 = ((oy - union[3]) / ry).floor();
    let row1 = ((oy - union[1]) / ry).ceil();
    let grid = Grid {
        geotransform: [ox + col0 * rx, rx, 0.0, oy - row0 * ry, 0.0, -ry],
        width: (col1 - col0) as u64,
        height: (row1 - row0) as u64,
    };
    let pieces = cores
        .iter()
        .map(|(id, core)| {
            let edge = |v: f64, outer: f64, beyond: f64| if v == outer { beyond } else { v };
            let (c0, c1) = grid.columns_between(
                edge(core[0], union[0], f64::NEG_INFINITY),
                edge(core[2], union[2], f64::INFINITY),
            );
            let (r0, r1) = grid.rows_between(
                edge(core[1], union[1], f64::NEG_INFINITY),
                edge(core[3], union[3], f64::INFINITY),
            );
            Piece {
                id: id.clone(),
                owned: Rect {
                    col: c0,
                    row: r0,
                    width: c1 - c0,
                    height: r1 - r0,
                },
                default_place: None,
            }
        })
        .collect();
    Ok((grid, pieces))
}

/// Refuses pieces that own a pixel twice or lie outside the grid (a manifest edited by hand).
pub fn check_disjoint(pieces: &[Piece], grid: &Grid) -> Result<()> {
    let whole = Rect {
        col: 0,
        row: 0,
        width: grid.width,
        height: grid.height,
    };
    let mut sorted: Vec<&Piece> = pieces.iter().filter(|p| !p.owned.is_empty()).collect();
    sorted.sort_by_key(|p| (p.owned.row, p.owned.col));
    for (i, a) in sorted.iter().enumerate() {
        if !whole.contains(&a.owned) {
            return Err(Error::Usage(format!(
                "chunk {} owns pixels outside the image",
                a.id
            )));
        }
        for b in &sorted[i + 1..] {
            if b.owned.row >= a.owned.end_row() {
                break;
            }
            let overlap = a.owned.col < b.owned.end_col() && b.owned.col < a.owned.end_col();
            if overlap {
                return Err(Error::Usage(format!(
                    "chunks {} and {} own the same pixels: the manifest is not one plan",
                    a.id, b.id
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_cores_partition_the_grid() {
        // Two tiles split at x = 5.3 over [0.2, 10.4) x [0.7, 4.1); 1 m cells on a whole-metre
        // lattice: columns 0..11, rows from y = 5 down to y = 0.
        let cores = vec![
            ("a".to_string(), [0.2, 0.7, 5.3, 4.1]),
            ("b".to_string(), [5.3, 0.7, 10.4, 4.1]),
        ];
        let sample = Grid {
            geotransform: [-3.0, 1.0, 0.0, 9.0, 0.0, -1.0],
            width: 1,
            height: 1,
        };
        let (grid, pieces) = tiles(&cores, &sample).unwrap();
        assert_eq!(grid.geotransform, [0.0, 1.0, 0.0, 5.0, 0.0, -1.0]);
        assert_eq!((grid.width, grid.height), (11, 5));
        // Centres 0.5 .. 4.5 lie below 5.3: columns 0-4 are a's, 5-10 are b's.
        assert_eq!(
            pieces[0].owned,
            Rect {
                col: 0,
                row: 0,
                width: 5,
                height: 5
            }
        );
        assert_eq!(
            pieces[1].owned,
            Rect {
                col: 5,
                row: 0,
                width: 6,
                height: 5
            }
        );
        check_disjoint(&pieces, &grid).unwrap();
        let mut twice = pieces.clone();
        twice[1].owned.col = 4;
        assert!(check_disjoint(&twice, &grid).is_err());
    }
}
