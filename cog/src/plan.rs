//! Windows over a COG's tile grid, each with the exact byte ranges of the tiles it covers.

use std::fmt;

use partition_core::manifest::url_stem;
use partition_core::{ByteRange, Error, Kind, ManifestBuilder, Result, Source, SourceRanges};

use crate::detail::{CogDetail, Layer, TileRef, MAX_WINDOW_BYTES};
use crate::image::{images, Georeference, Image, Role};
use crate::tiff::Tiff;

/// How to cut the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSize {
    /// Windows of this many tiles across and down.
    Tiles(u64, u64),
    /// Windows of this many pixels across and down.
    Pixels(u64, u64),
    /// About this many windows, tile-aligned, as square as the tiles allow.
    Count(u64),
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub window: WindowSize,
    /// Pixels added around each window (cropped at the image's edge).
    pub halo: u64,
    /// 0 for full resolution, k for the k-th overview.
    pub overview: usize,
    /// Tile ranges closer than this are read as one.
    pub merge_gap: u64,
}

/// A COG plan: the windows, and what reading the headers cost.
pub type Plan = partition_core::Plan<CogStats>;

/// What a COG plan knows beyond its windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CogStats {
    pub windows: u64,
    /// Bytes of header and directories read to plan.
    pub bytes_read: u64,
}

impl fmt::Display for CogStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} windows planned from {} bytes of header",
            self.windows, self.bytes_read
        )
    }
}

/// One input, opened and read to the chosen image.
struct Input {
    url: String,
    size: u64,
    image: Image,
    /// The image's mask (GDAL's internal mask of the same level), if the file has one.
    mask: Option<Image>,
    main: Image,
    little_endian: bool,
    georeference: Option<Georeference>,
}

fn open(url: &str, overview: usize) -> Result<(Input, Tiff)> {
    let source = Source::open(url)?;
    let tiff = Tiff::read(&source)?;
    let mut all = images(&tiff, url)?;
    let main = all.remove(0);
    let masks: Vec<Image> = all
        .iter()
        .filter(|i| matches!(i.role, Role::Mask | Role::OverviewMask))
        .cloned()
        .collect();
    let mut overviews: Vec<Image> = all
        .into_iter()
        .filter(|image| image.role == Role::Overview)
        .collect();
    let image = match overview {
        0 => main.clone(),
        k if k <= overviews.len() => overviews.swap_remove(k - 1),
        k => {
            return Err(Error::Usage(format!(
                "{url}: overview {k} asked, the file has {}",
                overviews.len()
            )))
        }
    };
    let mask = masks
        .into_iter()
        .find(|m| (m.width, m.height) == (image.width, image.height));
    for image in std::iter::once(&image).chain(&mask) {
        check_tile_ranges(image, &source)?;
    }
    let input = Input {
        url: url.to_string(),
        size: source.size(),
        georeference: Georeference::from_ifd(&tiff.ifds[0]),
        little_endian: tiff.little_endian,
        image,
        mask,
        main,
    };
    Ok((input, tiff))
}

/// Every tile inside the file.
fn check_tile_ranges(image: &Image, source: &Source) -> Result<()> {
    match (0..image.tile_offsets.len())
        .find(|&i| image.tile_offsets[i].saturating_add(image.tile_byte_counts[i]) > source.size())
    {
        Some(index) => Err(Error::bad_input(
            source.url(),
            partition_core::Position::Byte(image.tile_offsets[index]),
            format!(
                "tile {index} ({} bytes) reaches past the end of the file ({} bytes)",
                image.tile_byte_counts[index],
                source.size()
            ),
        )),
        None => Ok(()),
    }
}

/// How `other` differs from `first`'s grid, if it does.
fn grid_difference(first: &Input, other: &Input) -> Option<String> {
    let (a, b) = (&first.image, &other.image);
    if (a.width, a.height) != (b.width, b.height) {
        return Some(format!(
            "size {}x{} against {}x{}",
            b.width, b.height, a.width, a.height
        ));
    }
    if (a.tile_width, a.tile_height) != (b.tile_width, b.tile_height) {
        return Some(format!(
            "tiles {}x{} against {}x{}",
            b.tile_width, b.tile_height, a.tile_width, a.tile_height
        ));
    }
    match (&first.georeference, &other.georeference) {
        (Some(g), Some(h)) if g.crs != h.crs => {
            Some(format!("CRS {:?} against {:?}", h.crs, g.crs))
        }
        (Some(g), Some(h))
            if g.geotransform
                .iter()
                .zip(&h.geotransform)
                .any(|(x, y)| (x - y).abs() > 1e-9 * x.abs().max(1.0)) =>
        {
            Some(format!(
                "geotransform {:?} against {:?}",
                h.geotransform, g.geotransform
            ))
        }
        (Some(_), None) | (None, Some(_)) => {
            Some("one is georeferenced, the other not".to_string())
        }
        _ => None,
    }
}

/// Window sides in tiles giving about `count` windows over a grid of `columns x rows` tiles
/// (each `tile` pixels): the closest count, then the squarest window in pixels.
fn tiles_for_count([columns, rows]: [u64; 2], tile: [u64; 2], count: u64) -> (u64, u64) {
    let count = count.max(1);
    let mut best: Option<((u64, u64), (u64, f64))> = None;
    for across in 1..=columns.max(1) {
        let per_row = columns.div_ceil(across);
        // The row counts around the one that makes `count`.
        let wanted_rows = count.div_ceil(per_row).max(1);
        for down in [rows.div_ceil(wanted_rows), rows / wanted_rows] {
            let down = down.clamp(1, rows.max(1));
            let windows = per_row * rows.div_ceil(down);
            let aspect = ((across * tile[0]) as f64 / (down * tile[1]) as f64)
                .ln()
                .abs();
            let score = (windows.abs_diff(count), aspect);
            if best
                .is_none_or(|(_, kept)| score.0 < kept.0 || (score.0 == kept.0 && score.1 < kept.1))
            {
                best = Some(((across, down), score));
            }
        }
    }
    best.expect("at least one column").0
}

/// Plans windows over COGs on one grid (bands of several files, dates...); each window lists
/// the tiles of every input. Also returns the bytes read to do it.
pub fn plan(urls: &[String], options: &PlanOptions) -> Result<Plan> {
    let mut inputs = Vec::with_capacity(urls.len());
    let mut bytes_read = 0;
    let mut warnings = Vec::new();
    for url in urls {
        let (input, tiff) = open(url, options.overview)?;
        bytes_read += tiff.bytes_read;
        if tiff.reads > 1 {
            warnings.push(format!(
                "{url}: directories or tile arrays lie past the first {} KiB ({} more reads): not a cloud-optimized layout",
                crate::tiff::HEADER_READ / 1024,
                tiff.reads - 1
            ));
        }
        if let Some(Georeference {
            crs: None,
            geokeys: Some(keys),
            ..
        }) = &input.georeference
        {
            if keys.short(1024).is_some() {
                warnings.push(format!(
                "{url}: the GeoKeys describe a CRS that has no EPSG code and that cannot be written as WKT here (an unsupported method, datum or unit); windows carry the GeoKeys only"
            ));
            }
        }
        inputs.push(input);
    }
    let first = inputs
        .first()
        .ok_or_else(|| Error::Usage("give at least one COG".to_string()))?;
    for other in &inputs[1..] {
        if let Some(difference) = grid_difference(first, other) {
            return Err(Error::Usage(format!(
                "{} is not on the grid of {}: {difference}",
                other.url, first.url
            )));
        }
    }
    let image = &first.image;
    let (window_width, window_height) = match options.window {
        WindowSize::Tiles(across, down) => (across * image.tile_width, down * image.tile_height),
        WindowSize::Pixels(width, height) => (width, height),
        WindowSize::Count(count) => {
            let columns = image.width.div_ceil(image.tile_width.max(1));
            let rows = image.height.div_ceil(image.tile_height.max(1));
            let (across, down) = tiles_for_count(
                [columns, rows],
                [image.tile_width, image.tile_height],
                count,
            );
            (across * image.tile_width, down * image.tile_height)
        }
    };
    if window_width == 0 || window_height == 0 {
        return Err(Error::Usage("windows need a size above 0".to_string()));
    }
    let read_pixels =
        [(window_width, image.width), (window_height, image.height)].map(|(side, image_side)| {
            side.saturating_add(options.halo.saturating_mul(2))
                .min(image_side)
        });
    for input in &inputs {
        let bytes = read_pixels[0]
            .saturating_mul(read_pixels[1])
            .saturating_mul(input.image.bands)
            .saturating_mul(input.image.dtype.bytes() as u64);
        if bytes > MAX_WINDOW_BYTES {
            return Err(Error::Usage(format!(
                "windows of {} x {} pixels (halo included) of {} take {bytes} bytes, more than \
                 a worker holds ({} GiB); choose smaller windows",
                read_pixels[0],
                read_pixels[1],
                input.url,
                MAX_WINDOW_BYTES >> 30
            )));
        }
    }
    let mut windows = Vec::new();
    for row in (0..image.height).step_by(window_height as usize) {
        for col in (0..image.width).step_by(window_width as usize) {
            windows.push([
                col,
                row,
                window_width.min(image.width - col),
                window_height.min(image.height - row),
            ]);
        }
    }
    let stem = url_stem(&first.url, &[".tif", ".tiff"]);
    let mut manifest = ManifestBuilder::new(Kind::Cog);
    for window in windows {
        {
            let [col, row, width, height] = window;
            let read_col = col.saturating_sub(options.halo);
            let read_row = row.saturating_sub(options.halo);
            let read_window = [
                read_col,
                read_row,
                (col + width + options.halo).min(image.width) - read_col,
                (row + height + options.halo).min(image.height) - read_row,
            ];
            let mut sources = Vec::with_capacity(inputs.len());
            let mut layers = Vec::with_capacity(inputs.len());
            for input in &inputs {
                let mut layer = layer_of(&input.image, input.little_endian, read_window);
                layer.mask = input
                    .mask
                    .as_ref()
                    .map(|mask| Box::new(layer_of(mask, input.little_endian, read_window)));
                let all_tiles: Vec<TileRef> = layer
                    .tiles
                    .iter()
                    .chain(layer.mask.iter().flat_map(|mask| &mask.tiles))
                    .copied()
                    .collect();
                sources.push(SourceRanges {
                    url: input.url.clone(),
                    size: Some(input.size),
                    ranges: merged_ranges(&all_tiles, options.merge_gap),
                });
                layers.push(layer);
            }
            let est_bytes = layers
                .iter()
                .map(|l| read_window[2] * read_window[3] * l.bands * l.dtype.bytes() as u64)
                .sum();
            let detail = CogDetail {
                window,
                read_window,
                geotransform: first
                    .georeference
                    .as_ref()
                    .map(|g| window_transform(&g.geotransform, &first.main, image, read_window)),
                crs: first.georeference.as_ref().and_then(|g| g.crs.clone()),
                geokeys: first.georeference.as_ref().and_then(|g| g.geokeys.clone()),
                overview: options.overview,
                layers,
            };
            manifest.push(&stem, sources, est_bytes, detail);
        }
    }
    let chunks = manifest.finish();
    let stats = CogStats {
        windows: chunks.len() as u64,
        bytes_read,
    };
    Ok(Plan {
        chunks,
        warnings,
        stats,
    })
}

/// An input's layer of the window `read_window`: how its tiles decode, and which.
fn layer_of(image: &Image, little_endian: bool, read_window: [u64; 4]) -> Layer {
    Layer {
        dtype: image.dtype,
        bands: image.bands,
        compression: image.compression,
        predictor: image.predictor,
        little_endian,
        separate_planes: image.separate_planes,
        tile_size: [image.tile_width, image.tile_height],
        nodata: image.nodata,
        tiles: tiles_of(image, read_window),
        bilevel: image.bilevel,
        jpeg_tables: if image.jpeg_tables.is_empty() {
            String::new()
        } else {
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &image.jpeg_tables,
            )
        },
        mask: None,
    }
}

/// The tiles a pixel window touches, every band plane included.
fn tiles_of(image: &Image, window: [u64; 4]) -> Vec<TileRef> {
    let [col, row, width, height] = window;
    let planes = if image.separate_planes {
        image.bands
    } else {
        1
    };
    let mut tiles = Vec::new();
    for band in 0..planes {
        for tile_row in row / image.tile_height..=(row + height - 1) / image.tile_height {
            for tile_col in col / image.tile_width..=(col + width - 1) / image.tile_width {
                let index = image.tile_index(tile_col, tile_row, band);
                tiles.push(TileRef {
                    col: tile_col,
                    row: tile_row,
                    band,
                    offset: image.tile_offsets[index],
                    bytes: image.tile_byte_counts[index],
                });
            }
        }
    }
    tiles
}

/// The byte ranges of the non-sparse tiles, in file order, merged across gaps up to `gap`.
fn merged_ranges(tiles: &[TileRef], gap: u64) -> Vec<ByteRange> {
    let mut spans: Vec<(u64, u64)> = tiles
        .iter()
        .filter(|t| t.bytes > 0)
        .map(|t| (t.offset, t.offset + t.bytes))
        .collect();
    spans.sort_unstable();
    let mut ranges: Vec<ByteRange> = Vec::new();
    for (start, end) in spans {
        match ranges.last_mut() {
            Some(last) if start <= last.end + gap => last.end = last.end.max(end),
            _ => ranges.push(ByteRange::new(start, end)),
        }
    }
    ranges
}

/// A window's geotransform, at an overview's resolution when it is one.
fn window_transform(full: &[f64; 6], main: &Image, image: &Image, window: [u64; 4]) -> [f64; 6] {
    let (sx, sy) = (
        main.width as f64 / image.width as f64,
        main.height as f64 / image.height as f64,
    );
    let g = [
        full[0],
        full[1] * sx,
        full[2] * sy,
        full[3],
        full[4] * sx,
        full[5] * sy,
    ];
    let (col, row) = (window[0] as f64, window[1] as f64);
    [
        g[0] + col * g[1] + row * g[2],
        g[1],
        g[2],
        g[3] + col * g[4] + row * g[5],
        g[4],
        g[5],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_only_across_small_gaps() {
        let tile = |offset, bytes| TileRef {
            col: 0,
            row: 0,
            band: 0,
            offset,
            bytes,
        };
        let tiles = [tile(300, 50), tile(100, 100), tile(208, 90), tile(0, 0)];
        assert_eq!(
            merged_ranges(&tiles, 0),
            [
                ByteRange::new(100, 200),
                ByteRange::new(208, 298),
                ByteRange::new(300, 350)
            ]
        );
        assert_eq!(merged_ranges(&tiles, 8), [ByteRange::new(100, 350)]);
    }

    #[test]
    fn about_n_windows_as_square_as_the_tiles_allow() {
        use super::tiles_for_count;
        // A Sentinel-2 band in 512-pixel tiles: 22 x 22 tiles.
        let grid = [22, 22];
        assert_eq!(tiles_for_count(grid, [512, 512], 484), (1, 1));
        assert_eq!(tiles_for_count(grid, [512, 512], 121), (2, 2));
        assert_eq!(tiles_for_count(grid, [512, 512], 1), (22, 22));
        let (across, down) = tiles_for_count(grid, [512, 512], 64);
        let windows = 22u64.div_ceil(across) * 22u64.div_ceil(down);
        assert!((49..=81).contains(&windows), "{across}x{down}: {windows}");
        // More windows than tiles: one tile each.
        assert_eq!(tiles_for_count([3, 2], [256, 256], 100), (1, 1));
        // A strip: windows follow the long side.
        assert_eq!(tiles_for_count([40, 1], [256, 256], 10), (4, 1));
    }
}
