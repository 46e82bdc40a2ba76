//! Windows of Cloud-Optimized GeoTIFFs, with the exact byte ranges of their tiles.
//!
//! A COG keeps its header, image directories and tile offset arrays at the front, so one ranged
//! read describes the whole file; every tile's offset and byte count then come from the
//! TileOffsets and TileByteCounts arrays (never from gaps between tiles). A window lists the
//! tiles it covers; a worker fetches only those ranges and decodes them.
//!
//! - [`tiff`]: TIFF/BigTIFF header and IFD chain, read with ranged reads.
//! - [`image`]: one image (full resolution or overview): tile grid, samples, compression,
//!   georeferencing (geotransform, GeoKeys).
//! - [`crs`]: GeoTIFF's GeoKeys and the CRS they describe, as an EPSG code or WKT.
//! - [`plan`](mod@plan): windows in tiles or pixels, halos, overviews; manifest chunks of kind `cog`.
//! - [`detail`]: what a `cog` chunk carries: the window, its georeferencing, each input's tiles.
//! - [`decode`]: one tile to little-endian samples: Deflate, LZW, ZSTD, JPEG, predictors 2
//!   and 3, 1-bit masks.
//! - [`rebuild`]: a window's samples from its tile ranges, sparse tiles as nodata.
//! - [`svg`]: a picture of a plan: windows and halos over a thumbnail of the image.
//! - [`geotiff`]: a window written as a small GeoTIFF (geotransform, EPSG, nodata).
//! - [`write`](mod@write): a whole COG written from rows (tiled, compressed, overviews, COG order),
//!   memory bounded by a band of tile rows; [`tags`]: the TIFF entries both writers share.

pub mod crs;
pub mod decode;
pub mod detail;
pub mod geotiff;
pub mod image;
pub mod plan;
pub mod rebuild;
pub mod svg;
pub mod tags;
pub mod tiff;
pub mod write;

pub use detail::{CogDetail, Layer, TileRef};
pub use plan::{plan, CogStats, Plan, PlanOptions, WindowSize};
pub use rebuild::{raw_sidecar, read_window, write_chunk, write_chunk_raw, write_mask_raw};
pub use write::{CogSpec, CogWriter, Resampling, TileCompression, WrittenCog};

use partition_core::{Format, Kind};

/// COG windows in the registry, rebuilt as small GeoTIFFs.
pub const FORMAT: Format = Format {
    name: "cog",
    kinds: &[Kind::Cog],
    binary: "cog-windows",
    suffix: ".tif",
    write_chunk,
};
