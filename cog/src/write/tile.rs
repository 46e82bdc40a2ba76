//! One tile as it is stored: cut from a band of rows (edge tiles padded with the fill value),
//! a predictor applied row by row, then compressed.
//!
//! Predictors are written here because the TIFF encoders of the ecosystem apply them only
//! inside their own whole-image writers, not to tiles that a COG writer lays out itself.

use serde::{Deserialize, Serialize};

use crate::image::DataType;

/// How tiles are compressed; each uses a predictor suited to its samples (horizontal
/// differencing for integers, TIFF's floating-point predictor for floats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TileCompression {
    /// zlib (TIFF compression 8) at level 6, GDAL's default level.
    Deflate,
    /// Zstandard (TIFF compression 50000) at level 9, GDAL's default level.
    Zstd,
}

impl TileCompression {
    pub fn tag_value(self) -> u16 {
        match self {
            TileCompression::Deflate => 8,
            TileCompression::Zstd => 50000,
        }
    }
}

/// The Predictor tag value for samples of `dtype`: 2 for integers, 3 for floats.
pub fn predictor(dtype: DataType) -> u16 {
    if dtype.is_float() {
        3
    } else {
        2
    }
}

/// Compresses tiles of one shape; holds a compressor (one per thread).
pub struct TileEncoder {
    compression: TileCompression,
    deflater: libdeflater::Compressor,
    dtype: DataType,
    bands: usize,
    tile_size: usize,
}

impl TileEncoder {
    pub fn new(
        compression: TileCompression,
        dtype: DataType,
        bands: usize,
        tile_size: usize,
    ) -> TileEncoder {
        TileEncoder {
            compression,
            deflater: libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).unwrap()),
            dtype,
            bands,
            tile_size,
        }
    }

    /// The stored bytes of the tile starting at column `col` of `rows` (pixel-interleaved
    /// little-endian rows `width` pixels wide), padded to a full tile with `fill` (one pixel).
    pub fn encode(&mut self, rows: &[u8], width: usize, col: usize, fill: &[u8]) -> Vec<u8> {
        let pixel = self.bands * self.dtype.bytes();
        let row_bytes = width * pixel;
        let height = rows.len() / row_bytes;
        let tile_row = self.tile_size * pixel;
        let used = self.tile_size.min(width - col) * pixel;
        let mut tile = Vec::with_capacity(tile_row * self.tile_size);
        for r in 0..self.tile_size {
            let start = tile.len();
            if r < height {
                let at = r * row_bytes + col * pixel;
                tile.extend_from_slice(&rows[at..at + used]);
            }
            while tile.len() < start + tile_row {
                tile.extend_from_slice(fill);
            }
        }
        let mut scratch = vec![0u8; tile_row];
        for row in tile.chunks_exact_mut(tile_row) {
            predict(row, self.dtype, self.bands, &mut scratch);
        }
        match self.compression {
            TileCompression::Deflate => {
                let mut out = vec![0; self.deflater.zlib_compress_bound(tile.len())];
                let n = self
                    .deflater
                    .zlib_compress(&tile, &mut out)
                    .expect("the output buffer holds the compression bound");
                out.truncate(n);
                out
            }
            TileCompression::Zstd => zstd::bulk::compress(&tile, 9)
                .expect("zstd compresses any input into a growable buffer"),
        }
    }
}

/// Applies the predictor to one row of little-endian samples in place.
fn predict(row: &mut [u8], dtype: DataType, bands: usize, scratch: &mut [u8]) {
    if dtype.is_float() {
        return floating_point(row, dtype.bytes(), bands, scratch);
    }
    match dtype.bytes() {
        1 => horizontal::<1>(row, bands, |b| b[0] as u64, |v| [v as u8]),
        2 => horizontal::<2>(
            row,
            bands,
            |b| u16::from_le_bytes(b) as u64,
            |v| (v as u16).to_le_bytes(),
        ),
        4 => horizontal::<4>(
            row,
            bands,
            |b| u32::from_le_bytes(b) as u64,
            |v| (v as u32).to_le_bytes(),
        ),
        _ => horizontal::<8>(row, bands, u64::from_le_bytes, u64::to_le_bytes),
    }
}

/// Predictor 2: each sample minus the same band's sample one pixel to its left, wrapping in
/// the sample's width (signed and unsigned alike), from the right end back.
fn horizontal<const N: usize>(
    row: &mut [u8],
    bands: usize,
    get: impl Fn([u8; N]) -> u64,
    put: impl Fn(u64) -> [u8; N],
) {
    let sample = |row: &[u8], i: usize| get(row[i * N..i * N + N].try_into().unwrap());
    for i in (bands..row.len() / N).rev() {
        let delta = sample(row, i).wrapping_sub(sample(row, i - bands));
        row[i * N..i * N + N].copy_from_slice(&put(delta));
    }
}

/// Predictor 3 (Adobe's floating-point predictor, TIFF Technical Note 3): the row's bytes
/// regrouped by significance (all most significant bytes first), then each byte minus the
/// byte one pixel to its left.
fn floating_point(row: &mut [u8], size: usize, bands: usize, scratch: &mut [u8]) {
    let samples = row.len() / size;
    let scratch = &mut scratch[..row.len()];
    for (s, sample) in row.chunks_exact(size).enumerate() {
        for (byte, &value) in sample.iter().enumerate() {
            // Little-endian: byte `size - 1` is the most significant and goes first.
            scratch[(size - 1 - byte) * samples + s] = value;
        }
    }
    for i in (bands..row.len()).rev() {
        scratch[i] = scratch[i].wrapping_sub(scratch[i - bands]);
    }
    row.copy_from_slice(scratch);
}
