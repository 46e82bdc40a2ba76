//! Windows over a COG's tile grid, each with the exact byte ranges of the tiles it covers.

use partition_core::manifest::{chunk_id, url_stem};
use partition_core::{ByteRange, Chunk, Error, Kind, Result, Source, SourceRanges};
use serde::{Deserialize, Serialize};

use crate::image::{images, Compression, DataType, Georeference, Image, Role};
use crate::tiff::Tiff;

/// How to cut the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSize {
    /// Windows of this many tiles across and down.
    Tiles(u64, u64),
    /// Windows of this many pixels across and down.
    Pixels(u64, u64),
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

/// One tile a window reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileRef {
    pub col: u64,
    pub row: u64,
    /// The band, for images storing bands apart; 0 otherwise.
    #[serde(default)]
    pub band: u64,
    /// 0 with `bytes` 0: a sparse tile, filled with nodata (or 0).
    pub offset: u64,
    pub bytes: u64,
}

/// The `detail` of a `cog` chunk: enough to decode the window from its tile ranges alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CogDetail {
    /// Column, row, width, height in pixels of the image (cropped at its edges).
    pub window: [u64; 4],
    /// The window with its halo: what the worker reads and writes.
    pub read_window: [u64; 4],
    /// The read window's own geotransform (GDAL order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geotransform: Option<[f64; 6]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    pub overview: usize,
    pub dtype: DataType,
    pub bands: u64,
    pub compression: Compression,
    pub predictor: u16,
    pub little_endian: bool,
    pub separate_planes: bool,
    pub tile_size: [u64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodata: Option<f64>,
    pub tiles: Vec<TileRef>,
}

/// Plans windows over one COG; also returns the bytes read to do it.
pub fn plan(url: &str, options: &PlanOptions) -> Result<(Vec<Chunk>, u64)> {
    let source = Source::open(url)?;
    let tiff = Tiff::read(&source)?;
    let all = images(&tiff, url)?;
    let main = &all[0];
    let levels: Vec<&Image> = std::iter::once(main)
        .chain(all.iter().filter(|image| image.role == Role::Overview))
        .collect();
    let image = *levels.get(options.overview).ok_or_else(|| {
        Error::Usage(format!(
            "{url}: overview {} asked, the file has {}",
            options.overview,
            levels.len() - 1
        ))
    })?;
    if let Some(index) = (0..image.tile_offsets.len())
        .find(|&i| image.tile_offsets[i].saturating_add(image.tile_byte_counts[i]) > source.size())
    {
        return Err(Error::bad_input(
            url,
            partition_core::Position::Byte(image.tile_offsets[index]),
            format!(
                "tile {index} ({} bytes) reaches past the end of the file ({} bytes)",
                image.tile_byte_counts[index],
                source.size()
            ),
        ));
    }
    let georeference = Georeference::from_ifd(&tiff.ifds[0]);
    let (window_width, window_height) = match options.window {
        WindowSize::Tiles(across, down) => (across * image.tile_width, down * image.tile_height),
        WindowSize::Pixels(width, height) => (width, height),
    };
    if window_width == 0 || window_height == 0 {
        return Err(Error::Usage("windows need a size above 0".to_string()));
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
    let total = windows.len() as u64;
    let stem = url_stem(url, &[".tif", ".tiff"]);
    let chunks = windows
        .into_iter()
        .enumerate()
        .map(|(seq, window)| {
            let [col, row, width, height] = window;
            let read_col = col.saturating_sub(options.halo);
            let read_row = row.saturating_sub(options.halo);
            let read_window = [
                read_col,
                read_row,
                (col + width + options.halo).min(image.width) - read_col,
                (row + height + options.halo).min(image.height) - read_row,
            ];
            let tiles = tiles_of(image, read_window);
            let ranges = merged_ranges(&tiles, options.merge_gap);
            let geotransform = georeference
                .as_ref()
                .map(|g| window_transform(&g.geotransform, main, image, read_window));
            let est_bytes =
                read_window[2] * read_window[3] * image.bands * image.dtype.bytes() as u64;
            Chunk::new(
                Kind::Cog,
                chunk_id(&stem, seq as u64, total),
                seq as u64,
                total,
                vec![SourceRanges {
                    url: url.to_string(),
                    size: Some(source.size()),
                    ranges,
                }],
                est_bytes,
                CogDetail {
                    window,
                    read_window,
                    geotransform,
                    crs: georeference.as_ref().and_then(|g| g.crs.clone()),
                    overview: options.overview,
                    dtype: image.dtype,
                    bands: image.bands,
                    compression: image.compression,
                    predictor: image.predictor,
                    little_endian: tiff.little_endian,
                    separate_planes: image.separate_planes,
                    tile_size: [image.tile_width, image.tile_height],
                    nodata: image.nodata,
                    tiles,
                },
            )
        })
        .collect();
    Ok((chunks, tiff.bytes_read))
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
}
