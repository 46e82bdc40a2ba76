//! The `detail` of a `cog` chunk: the window, its georeferencing, and per input how its
//! tiles decode and where they are.

use serde::{Deserialize, Serialize};

use crate::crs::GeoKeys;
use crate::image::{Compression, DataType};

/// The most bytes one input's part of a window may take: a worker holds a window whole.
pub const MAX_WINDOW_BYTES: u64 = 4 << 30;

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
    /// The source's GeoKeys, for outputs whose CRS has no EPSG code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geokeys: Option<GeoKeys>,
    pub overview: usize,
    /// One per input (per entry of `sources`), in order.
    pub layers: Vec<Layer>,
}

/// The size in pixels, `(width, height)`, of the image a plan's windows cover: the
/// furthest window edges (windows tile the image, cropped at its edges).
pub fn image_size(details: &[CogDetail]) -> (u64, u64) {
    let furthest = |edge: fn(&CogDetail) -> u64| details.iter().map(edge).max().unwrap_or(0);
    (
        furthest(|d| d.window[0] + d.window[2]),
        furthest(|d| d.window[1] + d.window[3]),
    )
}

/// One input's part of a window: how its tiles decode, and which tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
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
    /// JPEG tables shared by the tiles, base64 (JPEG compression only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jpeg_tables: String,
    /// One bit per pixel (masks), read as 0 or 255.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bilevel: bool,
    /// The input's mask over the same window (0 nodata, 255 valid), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<Box<Layer>>,
}

impl Layer {
    /// Samples of each pixel that one tile holds.
    pub fn samples_per_tile(&self) -> u64 {
        if self.separate_planes {
            1
        } else {
            self.bands
        }
    }
}
