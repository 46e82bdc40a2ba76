//! What a plan needs of one image (full resolution, an overview or a mask): its size, tile
//! grid, tile ranges, sample layout, compression and georeferencing.

use partition_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::crs::GeoKeys;
use crate::tiff::{Ifd, Tiff, Value};

/// Sample type, as numpy and rasterio name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Uint8,
    Int8,
    Uint16,
    Int16,
    Uint32,
    Int32,
    Uint64,
    Int64,
    Float32,
    Float64,
}

impl DataType {
    pub fn bytes(self) -> usize {
        match self {
            DataType::Uint8 | DataType::Int8 => 1,
            DataType::Uint16 | DataType::Int16 => 2,
            DataType::Uint32 | DataType::Int32 | DataType::Float32 => 4,
            DataType::Uint64 | DataType::Int64 | DataType::Float64 => 8,
        }
    }

    /// The type TIFF's SampleFormat (1 unsigned, 2 signed, 3 IEEE float) and BitsPerSample
    /// name, when it is one of these.
    pub fn from_tiff(format: u64, bits: u64) -> Option<DataType> {
        Some(match (format, bits) {
            (1, 8) => DataType::Uint8,
            (2, 8) => DataType::Int8,
            (1, 16) => DataType::Uint16,
            (2, 16) => DataType::Int16,
            (1, 32) => DataType::Uint32,
            (2, 32) => DataType::Int32,
            (1, 64) => DataType::Uint64,
            (2, 64) => DataType::Int64,
            (3, 32) => DataType::Float32,
            (3, 64) => DataType::Float64,
            _ => return None,
        })
    }

    /// TIFF's SampleFormat: 1 unsigned, 2 signed, 3 IEEE float.
    pub fn sample_format(self) -> u16 {
        match self {
            DataType::Uint8 | DataType::Uint16 | DataType::Uint32 | DataType::Uint64 => 1,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => 2,
            DataType::Float32 | DataType::Float64 => 3,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DataType::Float32 | DataType::Float64)
    }

    /// The value of one sample from its little-endian bytes (`self.bytes()` of them).
    pub fn decode(self, bytes: &[u8]) -> f64 {
        let array = |bytes: &[u8]| -> [u8; 8] {
            let mut array = [0; 8];
            array[..bytes.len()].copy_from_slice(bytes);
            array
        };
        let b = array(&bytes[..self.bytes()]);
        match self {
            DataType::Uint8 => b[0] as f64,
            DataType::Int8 => b[0] as i8 as f64,
            DataType::Uint16 => u16::from_le_bytes([b[0], b[1]]) as f64,
            DataType::Int16 => i16::from_le_bytes([b[0], b[1]]) as f64,
            DataType::Uint32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            DataType::Int32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            DataType::Uint64 => u64::from_le_bytes(b) as f64,
            DataType::Int64 => i64::from_le_bytes(b) as f64,
            DataType::Float32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            DataType::Float64 => f64::from_le_bytes(b),
        }
    }

    /// `value` in this type's little-endian bytes (nodata filling).
    pub fn encode(self, value: f64) -> Vec<u8> {
        match self {
            DataType::Uint8 => vec![value as u8],
            DataType::Int8 => (value as i8).to_le_bytes().to_vec(),
            DataType::Uint16 => (value as u16).to_le_bytes().to_vec(),
            DataType::Int16 => (value as i16).to_le_bytes().to_vec(),
            DataType::Uint32 => (value as u32).to_le_bytes().to_vec(),
            DataType::Int32 => (value as i32).to_le_bytes().to_vec(),
            DataType::Uint64 => (value as u64).to_le_bytes().to_vec(),
            DataType::Int64 => (value as i64).to_le_bytes().to_vec(),
            DataType::Float32 => (value as f32).to_le_bytes().to_vec(),
            DataType::Float64 => value.to_le_bytes().to_vec(),
        }
    }
}

/// Tile compressions this crate decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Lzw,
    Deflate,
    Zstd,
    /// Baseline JPEG (8-bit; YCbCr tiles come out RGB).
    Jpeg,
}

/// What an IFD is in a COG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Main,
    Overview,
    Mask,
    OverviewMask,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub role: Role,
    pub width: u64,
    pub height: u64,
    pub tile_width: u64,
    pub tile_height: u64,
    pub bands: u64,
    pub dtype: DataType,
    pub compression: Compression,
    pub predictor: u16,
    /// Planar configuration 2: each band's tiles are stored apart.
    pub separate_planes: bool,
    /// One bit per pixel (GDAL's masks), read as bytes 0 or 255.
    pub bilevel: bool,
    /// JPEG tables shared by every tile (tag 347), for JPEG compression.
    pub jpeg_tables: Vec<u8>,
    pub tile_offsets: Vec<u64>,
    pub tile_byte_counts: Vec<u64>,
    pub nodata: Option<f64>,
}

impl Image {
    pub fn tiles_across(&self) -> u64 {
        self.width.div_ceil(self.tile_width)
    }

    pub fn tiles_down(&self) -> u64 {
        self.height.div_ceil(self.tile_height)
    }

    /// Index of tile (col, row) of `band` in the offset arrays.
    pub fn tile_index(&self, col: u64, row: u64, band: u64) -> usize {
        let per_plane = self.tiles_across() * self.tiles_down();
        let plane = if self.separate_planes { band } else { 0 };
        (plane * per_plane + row * self.tiles_across() + col) as usize
    }

    pub fn from_ifd(ifd: &Ifd, url: &str) -> Result<Image> {
        let bad = |message: String| {
            Error::bad_file(url, format!("IFD at byte {}: {message}", ifd.offset))
        };
        let number = |tag: u16| {
            ifd.tags
                .get(&tag)
                .and_then(Value::unsigned)
                .and_then(|v| v.first().copied())
        };
        let required =
            |tag: u16, name: &str| number(tag).ok_or_else(|| bad(format!("no {name} tag")));
        let width = required(256, "ImageWidth")?;
        let height = required(257, "ImageLength")?;
        if !ifd.tags.contains_key(&322) {
            return Err(bad(
                "a striped TIFF, not tiled: windows need tiles (rewrite it with gdal_translate -of COG)".to_string(),
            ));
        }
        let tile_width = required(322, "TileWidth")?;
        let tile_height = required(323, "TileLength")?;
        let bands = number(277).unwrap_or(1);
        let bits = number(258).unwrap_or(1);
        let format = number(339).unwrap_or(1);
        let bilevel = bits == 1 && bands == 1;
        // 1-bit masks are read as bytes of 0 or 255.
        let dtype = match (format, bits) {
            (1, 1) if bilevel => Some(DataType::Uint8),
            _ => DataType::from_tiff(format, bits),
        }
        .ok_or_else(|| {
            bad(format!(
                "unsupported samples: {bits} bits, sample format {format}"
            ))
        })?;
        let compression = match number(259).unwrap_or(1) {
            1 => Compression::None,
            5 => Compression::Lzw,
            8 | 32946 => Compression::Deflate,
            50000 => Compression::Zstd,
            7 => Compression::Jpeg,
            other => {
                return Err(bad(format!(
                    "compression {other} is not supported (none, LZW, Deflate, ZSTD and JPEG are)"
                )))
            }
        };
        let predictor = number(317).unwrap_or(1) as u16;
        if !matches!(predictor, 1..=3) {
            return Err(bad(format!("unknown predictor {predictor}")));
        }
        let separate_planes = number(284) == Some(2);
        if compression == Compression::Jpeg {
            let photometric = number(262).unwrap_or(1);
            if dtype != DataType::Uint8
                || !(photometric == 6 || (bands == 1 && photometric <= 1))
                || separate_planes
            {
                return Err(bad(format!("JPEG is read for 8-bit grey or YCbCr images, not photometric {photometric} with {bands} bands")));
            }
        }
        let offsets = ifd
            .tags
            .get(&324)
            .and_then(Value::unsigned)
            .ok_or_else(|| bad("no TileOffsets".to_string()))?
            .to_vec();
        let counts = ifd
            .tags
            .get(&325)
            .and_then(Value::unsigned)
            .ok_or_else(|| bad("no TileByteCounts".to_string()))?
            .to_vec();
        if tile_width == 0 || tile_height == 0 || width == 0 || height == 0 {
            return Err(bad("empty image or tiles".to_string()));
        }
        let subfile = number(254).unwrap_or(0);
        let role = match (subfile & 1 != 0, subfile & 4 != 0) {
            (false, false) => Role::Main,
            (true, false) => Role::Overview,
            (false, true) => Role::Mask,
            (true, true) => Role::OverviewMask,
        };
        let image = Image {
            role,
            width,
            height,
            tile_width,
            tile_height,
            bands,
            dtype,
            compression,
            predictor,
            separate_planes,
            bilevel,
            jpeg_tables: ifd
                .tags
                .get(&347)
                .and_then(Value::unsigned)
                .map(|bytes| bytes.iter().map(|&b| b as u8).collect())
                .unwrap_or_default(),
            tile_offsets: offsets,
            tile_byte_counts: counts,
            nodata: match ifd.tags.get(&42113) {
                Some(Value::Ascii(text)) => text.trim().parse().ok(),
                _ => None,
            },
        };
        let expected =
            image.tiles_across() * image.tiles_down() * if separate_planes { bands } else { 1 };
        if image.tile_offsets.len() as u64 != expected
            || image.tile_byte_counts.len() as u64 != expected
        {
            return Err(bad(format!(
                "{} tile offsets and {} byte counts for {expected} tiles",
                image.tile_offsets.len(),
                image.tile_byte_counts.len()
            )));
        }
        Ok(image)
    }
}

/// The georeferencing of the full-resolution image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Georeference {
    /// GDAL order: x origin, pixel width, row rotation, y origin, column rotation, pixel height.
    pub geotransform: [f64; 6],
    /// `EPSG:code` when the GeoKeys name one, else WKT built from them ([`crate::crs`]).
    pub crs: Option<String>,
    /// The GeoKeys themselves, so that a CRS without an EPSG code survives into outputs.
    pub geokeys: Option<GeoKeys>,
}

/// The GeoTIFF tags a [`Georeference`] is read from, whichever TIFF reader found them.
#[derive(Debug, Clone, Default)]
pub struct GeoTags {
    /// ModelTransformation (34264), 16 values.
    pub transformation: Option<Vec<f64>>,
    /// ModelPixelScale (33550).
    pub pixel_scale: Option<Vec<f64>>,
    /// ModelTiepoint (33922).
    pub tiepoint: Option<Vec<f64>>,
    /// GeoKeyDirectory (34735), empty when absent.
    pub key_directory: Vec<u64>,
    /// GeoDoubleParams (34736).
    pub key_doubles: Vec<f64>,
    /// GeoAsciiParams (34737).
    pub key_ascii: String,
}

impl Georeference {
    pub fn from_ifd(ifd: &Ifd) -> Option<Georeference> {
        let floats = |tag: u16| ifd.tags.get(&tag).and_then(Value::floats);
        Georeference::from_tags(GeoTags {
            transformation: floats(34264),
            pixel_scale: floats(33550),
            tiepoint: floats(33922),
            key_directory: ifd
                .tags
                .get(&34735)
                .and_then(Value::unsigned)
                .map(<[u64]>::to_vec)
                .unwrap_or_default(),
            key_doubles: floats(34736).unwrap_or_default(),
            key_ascii: match ifd.tags.get(&34737) {
                Some(Value::Ascii(text)) => text.clone(),
                _ => String::new(),
            },
        })
    }

    /// The georeference the tags describe, `None` without a geotransform.
    pub fn from_tags(tags: GeoTags) -> Option<Georeference> {
        let mut geotransform = if let Some(m) = tags.transformation.filter(|m| m.len() >= 8) {
            [m[3], m[0], m[1], m[7], m[4], m[5]]
        } else {
            let (scale, tie) = (tags.pixel_scale?, tags.tiepoint?);
            if scale.len() < 2 || tie.len() < 6 {
                return None;
            }
            [
                tie[3] - tie[0] * scale[0],
                scale[0],
                0.0,
                tie[4] + tie[1] * scale[1],
                0.0,
                -scale[1],
            ]
        };
        let keys = tags.key_directory;
        // The raster type as stored (the first entry, should the directory hold two).
        let mut pixel_is_point = None;
        let geokeys = (keys.len() >= 4).then(|| {
            let mut directory: Vec<u16> = keys.iter().map(|&k| k as u16).collect();
            for entry in directory[4..].chunks_exact_mut(4) {
                if entry[0] == 1025 && entry[1] == 0 {
                    pixel_is_point.get_or_insert(entry[3] == 2);
                    entry[3] = 1;
                }
            }
            GeoKeys {
                directory,
                doubles: tags.key_doubles,
                ascii: tags.key_ascii,
            }
        });
        // PixelIsPoint: GDAL moves the origin to the corner of the first pixel.
        if pixel_is_point == Some(true) {
            geotransform[0] -= geotransform[1] / 2.0;
            geotransform[3] -= geotransform[5] / 2.0;
        }
        Some(Georeference {
            geotransform,
            crs: geokeys.as_ref().and_then(crate::crs::describe),
            geokeys,
        })
    }
}

/// The images of a COG: the full resolution one first, then overviews, with masks beside.
pub fn images(tiff: &Tiff, url: &str) -> Result<Vec<Image>> {
    tiff.ifds
        .iter()
        .map(|ifd| Image::from_ifd(ifd, url))
        .collect()
}
