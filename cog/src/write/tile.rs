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
    /// Buffers reused from tile to tile: one cut row, and the predicted tile.
    row: Vec<u8>,
    tile: Vec<u8>,
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
            row: Vec::new(),
            tile: Vec::new(),
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
        // Each row is cut (and padded) into `row`, then predicted into its place in the tile.
        self.row.clear();
        self.row.resize(tile_row, 0);
        self.tile.resize(tile_row * self.tile_size, 0);
        for (r, out) in self.tile.chunks_exact_mut(tile_row).enumerate() {
            if r < height {
                let at = r * row_bytes + col * pixel;
                self.row[..used].copy_from_slice(&rows[at..at + used]);
                for padding in self.row[used..].chunks_exact_mut(pixel) {
                    padding.copy_from_slice(fill);
                }
            } else if r == height {
                for padding in self.row.chunks_exact_mut(pixel) {
                    padding.copy_from_slice(fill);
                }
            }
            predict(&self.row, out, self.dtype, self.bands);
        }
        match self.compression {
            TileCompression::Deflate => {
                let mut out = vec![0; self.deflater.zlib_compress_bound(self.tile.len())];
                let n = self
                    .deflater
                    .zlib_compress(&self.tile, &mut out)
                    .expect("the output buffer holds the compression bound");
                out.truncate(n);
                out
            }
            TileCompression::Zstd => zstd::bulk::compress(&self.tile, 9)
                .expect("zstd compresses any input into a growable buffer"),
        }
    }
}

/// Writes one row of little-endian samples, predicted, into `out`.
fn predict(row: &[u8], out: &mut [u8], dtype: DataType, bands: usize) {
    match (dtype.is_float(), dtype.bytes()) {
        (true, 4) => floating_point::<4>(row, out, bands),
        (true, _) => floating_point::<8>(row, out, bands),
        (false, 1) => horizontal::<1>(row, out, bands, |b| b[0] as u64, |v| [v as u8]),
        (false, 2) => horizontal::<2>(
            row,
            out,
            bands,
            |b| u16::from_le_bytes(b) as u64,
            |v| (v as u16).to_le_bytes(),
        ),
        (false, 4) => horizontal::<4>(
            row,
            out,
            bands,
            |b| u32::from_le_bytes(b) as u64,
            |v| (v as u32).to_le_bytes(),
        ),
        (false, _) => horizontal::<8>(row, out, bands, u64::from_le_bytes, u64::to_le_bytes),
    }
}

/// Predictor 2: each sample minus the same band's sample one pixel to its left, wrapping in
/// the sample's width (signed and unsigned alike).
fn horizontal<const N: usize>(
    row: &[u8],
    out: &mut [u8],
    bands: usize,
    get: impl Fn([u8; N]) -> u64,
    put: impl Fn(u64) -> [u8; N],
) {
    let pixel = bands * N;
    out[..pixel].copy_from_slice(&row[..pixel]);
    let samples = row.chunks_exact(N);
    let lefts = row.chunks_exact(N);
    for ((here, left), out) in samples
        .skip(bands)
        .zip(lefts)
        .zip(out[pixel..].chunks_exact_mut(N))
    {
        let delta = get(here.try_into().unwrap()).wrapping_sub(get(left.try_into().unwrap()));
        out.copy_from_slice(&put(delta));
    }
}

/// Predictor 3 (Adobe's floating-point predictor, TIFF Technical Note 3): the row's bytes
/// regrouped by significance (all most significant bytes first), then each byte minus the
/// byte one pixel to its left (libtiff's fpDiff).
fn floating_point<const N: usize>(row: &[u8], out: &mut [u8], bands: usize) {
    let samples = row.len() / N;
    // Regroup into `out`: plane p holds byte N-1-p of every sample (little-endian input).
    for (plane, regrouped) in out.chunks_exact_mut(samples).enumerate() {
        let byte = N - 1 - plane;
        for (value, sample) in regrouped.iter_mut().zip(row.chunks_exact(N)) {
            *value = sample[byte];
        }
    }
    // Differences from the right end back, so that each byte's left neighbour is still
    // unchanged when it is read.
    for i in (bands..out.len()).rev() {
        out[i] = out[i].wrapping_sub(out[i - bands]);
    }
}
