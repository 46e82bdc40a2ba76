//! The merge: find every chunk's output, agree on one grid and sample layout, then stream the
//! merged image a band of tile rows at a time into the COG writer, reading each output when
//! the band first reaches what its chunk owns and dropping it once the bands have passed it.

use cog::{CogSpec, CogWriter, Resampling, TileCompression, WrittenCog};
use partition_core::output::{join, Output};
use partition_core::{ByteRange, Chunk, Error, Result, Source};
use rayon::prelude::*;

use crate::grid::{Grid, Rect};
use crate::pieces::{self, Chunks, Piece};
use crate::raster::{read_raster, Raster};

/// The most bytes one chunk's output may decode to: a worker wrote it whole.
pub const MAX_OUTPUT_BYTES: u64 = 4 << 30;

/// How to merge.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The folder or `s3://` prefix holding the outputs, `{id}{suffix}`.
    pub outputs: String,
    pub suffix: String,
    /// The COG to write: a path, `s3://` or `-`.
    pub out: String,
    pub tile_size: u64,
    pub compression: TileCompression,
    /// `None`: no overviews.
    pub overviews: Option<Resampling>,
    /// Leave the pixels of chunks without an output as nodata instead of failing.
    pub allow_missing: bool,
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeStats {
    pub chunks: usize,
    /// Chunks without an output (only with `allow_missing`).
    pub missing: Vec<String>,
    pub spec: CogSpec,
    pub written: WrittenCog,
}

/// Merges the outputs of `chunks` (read from `manifest`) into one COG.
pub fn merge(manifest: &str, chunks: &[Chunk], options: &MergeOptions) -> Result<MergeStats> {
    let layout = pieces::chunks_of(manifest, chunks)?;
    let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
    let urls: Vec<String> = ids
        .iter()
        .map(|id| join(&options.outputs, &format!("{id}{}", options.suffix)))
        .collect();
    let present = find_outputs(&urls)?;
    let missing: Vec<String> = ids
        .iter()
        .zip(&present)
        .filter(|(_, found)| !**found)
        .map(|(id, _)| id.to_string())
        .collect();
    if !missing.is_empty() && !options.allow_missing {
        let shown: Vec<String> = missing
            .iter()
            .take(5)
            .map(|id| format!("{id} ({})", urls[ids.iter().position(|i| i == id).unwrap()]))
            .collect();
        return Err(Error::BadFile {
            input: options.outputs.clone(),
            message: format!(
                "{} of {} chunks have no output: {}{} (--allow-missing leaves their pixels nodata)",
                missing.len(),
                chunks.len(),
                shown.join(", "),
                if missing.len() > 5 { ", ..." } else { "" }
            ),
        });
    }
    let Some(first) = present.iter().position(|&found| found) else {
        return Err(Error::BadFile {
            input: options.outputs.clone(),
            message: format!("none of the {} chunks has an output", chunks.len()),
        });
    };
    let reference = load(&urls[first], ids[first])?;

    let (grid, georeferenced, pieces, crs, geokeys) = match layout {
        Chunks::Windows {
            grid,
            georeferenced,
            pieces,
            crs,
            geokeys,
        } => (grid, georeferenced, pieces, crs, geokeys),
        Chunks::Tiles { cores } => {
            let sample = placed_grid(&reference).ok_or_else(|| Error::BadFile {
                input: urls[first].clone(),
                message: format!(
                    "output of chunk {} has no north-up geotransform: a tile's raster is placed by its own",
                    ids[first]
                ),
            })?;
            let (grid, pieces) = pieces::tiles(&cores, &sample)?;
            (grid, true, pieces, None, None)
        }
    };
    pieces::check_disjoint(&pieces, &grid)?;

    // The merged image takes its layout from the outputs, its CRS from them or the source.
    let reference_geo = reference.georeference.clone();
    let nodata = reference.nodata.or_else(|| {
        (!missing.is_empty()).then_some(if reference.dtype.is_float() {
            f64::NAN
        } else {
            0.0
        })
    });
    let spec = CogSpec {
        width: grid.width,
        height: grid.height,
        bands: reference.bands,
        dtype: reference.dtype,
        geotransform: georeferenced.then_some(grid.geotransform),
        crs: reference_geo.as_ref().and_then(|g| g.crs.clone()).or(crs),
        geokeys: reference_geo
            .as_ref()
            .and_then(|g| g.geokeys.clone())
            .or(geokeys),
        nodata,
        tile_size: options.tile_size,
        compression: options.compression,
        overviews: options.overviews,
    };
    let context = Context {
        grid,
        georeferenced,
        reference: &reference,
        reference_id: ids[first],
    };

    let mut writer = CogWriter::new(spec.clone(), None)?;
    let mut order: Vec<usize> = (0..pieces.len())
        .filter(|&i| present[i] && !pieces[i].owned.is_empty())
        .collect();
    order.sort_by_key(|&i| pieces[i].owned.row);
    let mut next = 0;
    // The outputs whose owned rows begin before `end`, in the order of their first row.
    let mut starting_before = |end: u64| -> Vec<usize> {
        let count = order[next..]
            .iter()
            .take_while(|&&i| pieces[i].owned.row < end)
            .count();
        next += count;
        order[next - count..next].to_vec()
    };
    // Read on every core: outputs are decoded whole.
    let load = |starting: &[usize]| -> Result<Vec<(usize, Placed)>> {
        starting
            .par_iter()
            .map(|&i| Ok((i, context.place(&pieces[i], &urls[i], first == i)?)))
            .collect()
    };
    let band_end_from = |start: u64| (start + spec.tile_size).min(grid.height);
    let fill = spec.fill_pixel();
    let row_bytes = grid.width as usize * fill.len();
    // The band of rows [start, end): nodata, then what each open output owns in it.
    let assemble = |open: &[(usize, Placed)], start: u64, end: u64| {
        let mut band = fill.repeat((end - start) as usize * grid.width as usize);
        for (i, placed) in open {
            copy_owned(&pieces[*i].owned, placed, start, end, &mut band, row_bytes);
        }
        band
    };
    let mut open: Vec<(usize, Placed)> = load(&starting_before(band_end_from(0)))?;
    let mut band_start = 0;
    let mut band = assemble(&open, 0, band_end_from(0));
    while band_start < grid.height {
        let band_end = band_end_from(band_start);
        open.retain(|(i, _)| pieces[*i].owned.end_row() > band_end);
        // The next band is read and put together while this band's tiles compress.
        let next_end = band_end_from(band_end);
        let upcoming = starting_before(next_end);
        let (pushed, next) = rayon::join(
            || writer.push_band(band),
            || -> Result<Vec<u8>> {
                if band_end == grid.height {
                    return Ok(Vec::new());
                }
                open.extend(load(&upcoming)?);
                Ok(assemble(&open, band_end, next_end))
            },
        );
        pushed?;
        band = next?;
        band_start = band_end;
    }
    let mut out = Output::create(&options.out)?;
    let written = writer.finish(&mut out)?;
    out.finish()?;
    Ok(MergeStats {
        chunks: chunks.len(),
        missing,
        spec,
        written,
    })
}

/// Which outputs exist, asked on every core (S3 answers one at a time).
fn find_outputs(urls: &[String]) -> Result<Vec<bool>> {
    urls.par_iter()
        .map(|url| match Source::open(url) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        })
        .collect()
}

/// Reads the output of chunk `id`; errors name the chunk.
fn load(url: &str, id: &str) -> Result<Raster> {
    let source = Source::open(url)?;
    let bytes = source.read_range(ByteRange::new(0, source.size()))?;
    read_raster(&bytes, url, MAX_OUTPUT_BYTES).map_err(|error| match error {
        Error::BadFile { input, message } => Error::BadFile {
            input,
            message: format!("output of chunk {id}: {message}"),
        },
        other => other,
    })
}

/// Where an output lies on the merged grid, by its own north-up geotransform.
fn placed_grid(raster: &Raster) -> Option<Grid> {
    let geo = raster.georeference.as_ref()?;
    Grid::is_north_up(&geo.geotransform).then_some(Grid {
        geotransform: geo.geotransform,
        width: raster.width,
        height: raster.height,
    })
}

/// What every output is checked against.
struct Context<'a> {
    grid: Grid,
    georeferenced: bool,
    reference: &'a Raster,
    reference_id: &'a str,
}

/// An output and where its first pixel lies on the merged grid.
struct Placed {
    raster: Raster,
    col: i64,
    row: i64,
}

impl Context<'_> {
    /// Reads the output of `piece`, checks it agrees with the others, and places it.
    fn place(&self, piece: &Piece, url: &str, is_reference: bool) -> Result<Placed> {
        let raster = if is_reference {
            self.reference.clone()
        } else {
            load(url, &piece.id)?
        };
        let bad = |message: String| Error::BadFile {
            input: url.to_string(),
            message: format!("output of chunk {}: {message}", piece.id),
        };
        let reference = self.reference;
        let layout = |r: &Raster| format!("{} band(s) of {:?}", r.bands, r.dtype).to_lowercase();
        if raster.bands != reference.bands || raster.dtype != reference.dtype {
            return Err(bad(format!(
                "{}, where the output of chunk {} has {}",
                layout(&raster),
                self.reference_id,
                layout(reference)
            )));
        }
        let same_nodata = match (raster.nodata, reference.nodata) {
            (Some(a), Some(b)) => a == b || (a.is_nan() && b.is_nan()),
            (a, b) => a.is_none() && b.is_none(),
        };
        if !same_nodata {
            return Err(bad(format!(
                "nodata {:?}, where the output of chunk {} has {:?}",
                raster.nodata, self.reference_id, reference.nodata
            )));
        }
        if let (Some(a), Some(b)) = (raster.geokeys(), reference.geokeys()) {
            let name = |r: &Raster| {
                r.georeference
                    .as_ref()
                    .and_then(|g| g.crs.clone())
                    .unwrap_or_else(|| "an unnamed CRS".into())
            };
            if a != b && name(&raster) != name(reference) {
                return Err(bad(format!(
                    "CRS {}, where the output of chunk {} is in {}",
                    name(&raster),
                    self.reference_id,
                    name(reference)
                )));
            }
        }
        let (col, row) = match (placed_grid(&raster), piece.default_place) {
            (Some(own), _) if self.georeferenced => {
                if !self.grid.same_resolution(&own) {
                    let (x, y) = own.resolution();
                    let (gx, gy) = self.grid.resolution();
                    return Err(bad(format!(
                        "pixels of {x} x {y}, where the merged grid's are {gx} x {gy}"
                    )));
                }
                self.grid.offset_of(&own).ok_or_else(|| {
                    bad("its pixels fall between the merged grid's (origin off the lattice)".into())
                })?
            }
            (_, Some(place)) => {
                if (raster.width, raster.height) != (place.width, place.height) {
                    return Err(bad(format!(
                        "{}x{} pixels without a geotransform, where its read window is {}x{}",
                        raster.width, raster.height, place.width, place.height
                    )));
                }
                (place.col as i64, place.row as i64)
            }
            (_, None) => {
                return Err(bad(
                    "no north-up geotransform: a tile's raster is placed by its own".into(),
                ))
            }
        };
        let covers = |start: i64, size: u64, owned_start: u64, owned_size: u64| {
            start <= owned_start as i64 && start + size as i64 >= (owned_start + owned_size) as i64
        };
        if !covers(col, raster.width, piece.owned.col, piece.owned.width)
            || !covers(row, raster.height, piece.owned.row, piece.owned.height)
        {
            let o = piece.owned;
            return Err(bad(format!(
                "covers columns {}..{} and rows {}..{} of the merged grid, not all the chunk owns (columns {}..{}, rows {}..{})",
                col,
                col + raster.width as i64,
                row,
                row + raster.height as i64,
                o.col,
                o.end_col(),
                o.row,
                o.end_row()
            )));
        }
        Ok(Placed { raster, col, row })
    }
}

/// Copies the rows of `owned` inside the band `[start, end)` from the output into the band.
fn copy_owned(
    owned: &Rect,
    placed: &Placed,
    start: u64,
    end: u64,
    band: &mut [u8],
    row_bytes: usize,
) {
    let pixel = placed.raster.pixel_bytes();
    let width = owned.width as usize * pixel;
    let src_row_bytes = placed.raster.width as usize * pixel;
    let src_col = (owned.col as i64 - placed.col) as usize;
    for row in owned.row.max(start)..owned.end_row().min(end) {
        let src_row = (row as i64 - placed.row) as usize;
        let from = src_row * src_row_bytes + src_col * pixel;
        let to = (row - start) as usize * row_bytes + owned.col as usize * pixel;
        band[to..to + width].copy_from_slice(&placed.raster.samples[from..from + width]);
    }
}

impl std::fmt::Display for MergeStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let spec = &self.spec;
        write!(
            f,
            "{} outputs -> {}x{} pixels, {} band(s) of {}, {} tiles of {}px, {} overview(s), {:.1} MiB{}",
            self.chunks - self.missing.len(),
            spec.width,
            spec.height,
            spec.bands,
            format!("{:?}", spec.dtype).to_lowercase(),
            self.written.tiles,
            spec.tile_size,
            self.written.overviews,
            self.written.bytes as f64 / (1u64 << 20) as f64,
            if self.written.bigtiff { " (BigTIFF)" } else { "" }
        )
    }
}
