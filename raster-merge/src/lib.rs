//! Per-window and per-tile raster outputs merged into one Cloud-Optimized GeoTIFF.
//!
//! A plan cuts an image into COG windows (`cog-windows plan`, with halos) or a point cloud into
//! LiDAR tiles (`lidar-tile plan`, with buffers); a program runs per chunk and writes a raster.
//! [`merge()`] puts them back together as one raster of the whole area, each output cropped to
//! what its chunk owns, so no halo or buffer pixel is counted twice and no seam appears:
//!
//! - [`pieces`]: what each chunk owns: a window without its halo, or the pixels whose centres
//!   lie in a tile's core (half-open, as the manifest defines it).
//! - [`grid`]: pixel grids, and placing an output on the merged grid by its geotransform.
//! - [`raster`]: reading one output GeoTIFF with the `tiff` crate.
//! - [`merge`](mod@merge): finding the outputs, checking they agree (CRS, pixel size, bands,
//!   sample type, nodata, coverage), and streaming the merged rows into `cog`'s COG writer.

// Samples are read and written in native order, which the formats define as little-endian.
#[cfg(target_endian = "big")]
compile_error!("raster-merge reads samples in native byte order, little-endian only");

pub mod grid;
pub mod merge;
pub mod pieces;
pub mod raster;

pub use merge::{merge, MergeOptions, MergeStats, MAX_OUTPUT_BYTES};
