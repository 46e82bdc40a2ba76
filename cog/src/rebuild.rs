//! Reading one window: its tile ranges fetched, tiles decoded, the window cut out.

use std::cell::RefCell;
use std::io::Write;

use partition_core::{Chunk, Error, Kind, Position, Result, Source};

use crate::decode::{decode_tile_with_tables, TileLayout};
use crate::detail::{CogDetail, Layer, MAX_WINDOW_BYTES};

/// The window's samples, band by band, row by row, little-endian (numpy's `(bands, rows,
/// cols)` layout, as rasterio reads it), the bands of each input after those of the one
/// before. Sparse tiles read as nodata, or 0.
pub fn read_window(chunk: &Chunk) -> Result<Vec<u8>> {
    let mut window = Vec::new();
    read_window_into(chunk, false, &mut window, &mut Vec::new())?;
    Ok(window)
}

/// Writes the window as a GeoTIFF with its geotransform, CRS and nodata (see [`geotiff`]).
/// Several inputs become one file's bands, so they must share a sample type.
///
/// [`geotiff`]: crate::geotiff
pub fn write_chunk(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    let detail: CogDetail = chunk.detail()?;
    let first = detail
        .layers
        .first()
        .ok_or_else(|| Error::bad_file(format!("chunk {}", chunk.id), "no layers"))?;
    if let Some(other) = detail
        .layers
        .iter()
        .find(|layer| layer.dtype != first.dtype)
    {
        return Err(Error::Usage(format!(
            "chunk {}: inputs of types {:?} and {:?} cannot share one GeoTIFF; write the window as raw samples instead",
            chunk.id, first.dtype, other.dtype
        )));
    }
    with_window(chunk, false, |window| {
        let bands = detail.layers.iter().map(|layer| layer.bands).sum();
        let [_, _, width, height] = detail.read_window;
        let tiff = crate::geotiff::encode(&crate::geotiff::GeoTiff {
            samples: window,
            width,
            height,
            bands,
            dtype: first.dtype,
            geotransform: detail.geotransform,
            crs: detail.crs.as_deref(),
            geokeys: detail.geokeys.as_ref(),
            nodata: first.nodata,
        })?;
        output
            .write_all(&tiff)
            .map_err(partition_core::cli::output_error)
    })
}

/// Writes the window's raw samples (see [`read_window`]).
pub fn write_chunk_raw(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    with_window(chunk, false, |window| {
        output
            .write_all(window)
            .map_err(partition_core::cli::output_error)
    })
}

/// The JSON sidecar of a raw window (`cat --raw --out-dir` writes it as `ID.json`): its
/// shape, sample types and georeferencing, for readers such as `numpy.fromfile`.
pub fn raw_sidecar(chunk: &Chunk) -> Result<String> {
    let detail: CogDetail = chunk.detail()?;
    let [_, _, width, height] = detail.read_window;
    let bands: u64 = detail.layers.iter().map(|layer| layer.bands).sum();
    let layers: Vec<serde_json::Value> = chunk
        .sources
        .iter()
        .zip(&detail.layers)
        .map(|(source, layer)| {
            serde_json::json!({
                "url": source.url,
                "dtype": layer.dtype,
                "bands": layer.bands,
                "nodata": layer.nodata,
            })
        })
        .collect();
    let first = detail.layers.first().map(|layer| layer.dtype);
    let one_dtype = detail.layers.iter().all(|layer| Some(layer.dtype) == first);
    let sidecar = serde_json::json!({
        "shape": [bands, height, width],
        "order": "bands, rows, cols; little-endian",
        "dtype": if one_dtype { serde_json::json!(first) } else { serde_json::Value::Null },
        "layers": layers,
        "geotransform": detail.geotransform,
        "crs": detail.crs,
    });
    Ok(format!("{sidecar:#}\n"))
}

/// Writes the window's masks (one uint8 band per input: 0 nodata, 255 valid).
pub fn write_mask_raw(chunk: &Chunk, output: &mut dyn Write) -> Result<()> {
    with_window(chunk, true, |window| {
        output
            .write_all(window)
            .map_err(partition_core::cli::output_error)
    })
}

/// Reads the window into buffers reused from window to window (large fresh allocations cost
/// page faults) and hands it to `write`.
fn with_window(chunk: &Chunk, mask: bool, write: impl FnOnce(&[u8]) -> Result<()>) -> Result<()> {
    thread_local! {
        static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    }
    BUFFERS.with(|buffers| {
        let (window, tile) = &mut *buffers.borrow_mut();
        read_window_into(chunk, mask, window, tile)?;
        write(window)
    })
}

fn read_window_into(
    chunk: &Chunk,
    mask: bool,
    window: &mut Vec<u8>,
    decoded: &mut Vec<u8>,
) -> Result<()> {
    chunk.expect_kind(&[Kind::Cog])?;
    let detail: CogDetail = chunk.detail()?;
    if detail.layers.len() != chunk.sources.len() {
        return Err(Error::bad_file(
            format!("chunk {}", chunk.id),
            "needs one layer per source",
        ));
    }
    window.clear();
    for (planned, layer) in chunk.sources.iter().zip(&detail.layers) {
        let source = Source::open(&planned.url)?;
        source.expect_size(planned.size)?;
        let fetched: Vec<(u64, Vec<u8>)> = planned
            .ranges
            .iter()
            .map(|&range| Ok((range.start, source.read_range(range)?)))
            .collect::<Result<_>>()?;
        let part = if mask {
            layer
                .mask
                .as_deref()
                .ok_or_else(|| Error::Usage(format!("{}: the file has no mask", planned.url)))?
        } else {
            layer
        };
        append_layer(
            chunk,
            &planned.url,
            part,
            detail.read_window,
            &fetched,
            window,
            decoded,
        )?;
    }
    Ok(())
}

/// The most bytes one decoded tile may take (GDAL writes tiles of at most 4096 x 4096).
const MAX_TILE_BYTES: u64 = 1 << 30;

/// A manifest line is input like any other: before anything is allocated, the layer must
/// describe tiles that lie in the window, in sizes a worker can hold.
fn check_layer(layer: &Layer, [col, row, width, height]: [u64; 4]) -> Result<(), String> {
    let [tile_width, tile_height] = layer.tile_size;
    let size = layer.dtype.bytes() as u64;
    if tile_width == 0 || tile_height == 0 || layer.bands == 0 {
        return Err("a layer needs tiles and bands of size above 0".to_string());
    }
    let bytes = |values: &[u64]| {
        values
            .iter()
            .try_fold(size, |product, &value| product.checked_mul(value))
    };
    if bytes(&[tile_width, tile_height, layer.samples_per_tile()])
        .is_none_or(|b| b > MAX_TILE_BYTES)
    {
        return Err(format!(
            "tiles of {tile_width} x {tile_height} pixels are too large"
        ));
    }
    if bytes(&[width, height, layer.bands]).is_none_or(|b| b > MAX_WINDOW_BYTES)
        || col.checked_add(width).is_none()
        || row.checked_add(height).is_none()
    {
        return Err(format!(
            "a window of {width} x {height} pixels is larger than a worker holds ({} GiB); \
             plan smaller windows",
            MAX_WINDOW_BYTES >> 30
        ));
    }
    // Every pixel comes from a listed tile: the tiles bound the window's size.
    let planes = if layer.separate_planes {
        layer.bands
    } else {
        1
    };
    let spanned =
        |start: u64, length: u64, tile: u64| (start + length - 1) / tile - start / tile + 1;
    if width == 0 || height == 0 {
        return Err("the window is empty".to_string());
    }
    let needed = spanned(col, width, tile_width)
        .saturating_mul(spanned(row, height, tile_height))
        .saturating_mul(planes);
    if needed != layer.tiles.len() as u64 {
        return Err(format!(
            "a window of {width} x {height} pixels at {col},{row} needs {needed} tiles, the \
             layer lists {}",
            layer.tiles.len()
        ));
    }
    for tile in &layer.tiles {
        let (Some(x), Some(y)) = (
            tile.col.checked_mul(tile_width),
            tile.row.checked_mul(tile_height),
        ) else {
            return Err(format!("tile {},{} is out of range", tile.col, tile.row));
        };
        let overlaps = x < col + width
            && x.saturating_add(tile_width) > col
            && y < row + height
            && y.saturating_add(tile_height) > row;
        if !overlaps {
            return Err(format!(
                "tile {},{} lies outside the window",
                tile.col, tile.row
            ));
        }
        if tile.band >= planes {
            return Err(format!(
                "tile {},{} is of band {}, the layer stores {planes} plane(s)",
                tile.col, tile.row, tile.band
            ));
        }
    }
    Ok(())
}

/// Appends one input's bands of the window to `window`.
fn append_layer(
    chunk: &Chunk,
    url: &str,
    layer: &Layer,
    read_window: [u64; 4],
    fetched: &[(u64, Vec<u8>)],
    window: &mut Vec<u8>,
    decoded: &mut Vec<u8>,
) -> Result<()> {
    check_layer(layer, read_window)
        .map_err(|message| Error::bad_file(format!("chunk {}", chunk.id), message))?;
    let size = layer.dtype.bytes();
    let [col, row, width, height] = read_window;
    let [tile_width, tile_height] = layer.tile_size;
    let samples_per_tile = layer.samples_per_tile() as usize;
    let layout = TileLayout {
        width: tile_width as usize,
        height: tile_height as usize,
        samples: samples_per_tile,
        dtype: layer.dtype,
        compression: layer.compression,
        predictor: layer.predictor,
        little_endian: layer.little_endian,
        bilevel: layer.bilevel,
    };
    let jpeg_tables = if layer.jpeg_tables.is_empty() {
        Vec::new()
    } else {
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            &layer.jpeg_tables,
        )
        .map_err(|e| {
            Error::bad_file(
                format!("chunk {}", chunk.id),
                format!("JPEG tables are not base64: {e}"),
            )
        })?
    };
    let fill = layer.dtype.encode(layer.nodata.unwrap_or(0.0));
    let (width, height) = (width as usize, height as usize);
    let band_bytes = width * height * size;
    let samples = width * height * layer.bands as usize;
    let base = window.len();
    if fill.iter().all(|&b| b == fill[0]) {
        window.resize(base + samples * size, fill[0]);
    } else {
        for _ in 0..samples {
            window.extend_from_slice(&fill);
        }
    }
    let window = &mut window[base..];
    for tile in &layer.tiles {
        if tile.bytes == 0 {
            continue;
        }
        let stored = fetched
            .iter()
            .find(|(start, bytes)| {
                tile.offset >= *start && tile.offset + tile.bytes <= start + bytes.len() as u64
            })
            .map(|(start, bytes)| {
                &bytes[(tile.offset - start) as usize..(tile.offset - start + tile.bytes) as usize]
            })
            .ok_or_else(|| {
                Error::bad_file(
                    format!("chunk {}", chunk.id),
                    format!(
                        "tile {},{} is outside the chunk's ranges",
                        tile.col, tile.row
                    ),
                )
            })?;
        decode_tile_with_tables(&layout, &jpeg_tables, stored, decoded).map_err(|message| {
            Error::bad_input(
                url,
                Position::Byte(tile.offset),
                format!("tile {},{}: {message}", tile.col, tile.row),
            )
        })?;
        // The part of the tile inside the window.
        let (tile_x, tile_y) = (tile.col * tile_width, tile.row * tile_height);
        let x0 = tile_x.max(col);
        let x1 = (tile_x + tile_width).min(col + width as u64);
        let y0 = tile_y.max(row);
        let y1 = (tile_y + tile_height).min(row + height as u64);
        if samples_per_tile == 1 {
            // One band per tile: rows are contiguous in both.
            let band = tile.band as usize;
            let length = (x1 - x0) as usize * size;
            for y in y0..y1 {
                let from = ((y - tile_y) * tile_width + (x0 - tile_x)) as usize * size;
                let to =
                    band * band_bytes + ((y - row) as usize * width + (x0 - col) as usize) * size;
                window[to..to + length].copy_from_slice(&decoded[from..from + length]);
            }
            continue;
        }
        for y in y0..y1 {
            for x in x0..x1 {
                let in_tile =
                    ((y - tile_y) * tile_width + (x - tile_x)) as usize * samples_per_tile;
                let in_window = (y - row) as usize * width + (x - col) as usize;
                for band in 0..samples_per_tile {
                    let from = (in_tile + band) * size;
                    let to = band * band_bytes + in_window * size;
                    window[to..to + size].copy_from_slice(&decoded[from..from + size]);
                }
            }
        }
    }
    Ok(())
}
