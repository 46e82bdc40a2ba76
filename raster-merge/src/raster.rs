//! One chunk's output read with the `tiff` crate: any GeoTIFF as GDAL and rasterio write it
//! (striped or tiled, uncompressed, Deflate, LZW, ZSTD or PackBits, predictors, bands
//! interleaved or planar, 8- to 64-bit integer and float samples), with its georeferencing and
//! nodata.

use std::io::Cursor;

use cog::crs::GeoKeys;
use cog::image::{DataType, GeoTags, Georeference};
use partition_core::{Error, Result};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

/// A decoded output: pixel-interleaved little-endian samples, row after row.
#[derive(Debug, Clone)]
pub struct Raster {
    pub width: u64,
    pub height: u64,
    pub bands: u64,
    pub dtype: DataType,
    /// `None` for a TIFF without georeferencing tags.
    pub georeference: Option<Georeference>,
    pub nodata: Option<f64>,
    pub samples: Vec<u8>,
}

impl Raster {
    pub fn pixel_bytes(&self) -> usize {
        self.bands as usize * self.dtype.bytes()
    }

    pub fn geokeys(&self) -> Option<&GeoKeys> {
        self.georeference.as_ref()?.geokeys.as_ref()
    }
}

/// Reads the first image of a TIFF (`name` for errors), refusing one whose samples would
/// take more than `max_bytes`.
pub fn read_raster(bytes: &[u8], name: &str, max_bytes: u64) -> Result<Raster> {
    let bad = |message: String| Error::BadFile {
        input: name.to_string(),
        message,
    };
    let tiff_error = |e: tiff::TiffError| bad(format!("not a TIFF this can read: {e}"));
    let mut limits = Limits::default();
    limits.decoding_buffer_size = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    limits.intermediate_buffer_size = limits.decoding_buffer_size;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    let bands: u64 = decoder
        .find_tag_unsigned(Tag::SamplesPerPixel)
        .map_err(tiff_error)?
        .unwrap_or(1);
    let planar = decoder
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .map_err(tiff_error)?
        == Some(2);
    let bits: u64 = decoder
        .find_tag_unsigned_vec::<u64>(Tag::BitsPerSample)
        .map_err(tiff_error)?
        .and_then(|bits| bits.first().copied())
        .unwrap_or(1);
    let (width, height) = (width as u64, height as u64);
    let total = width
        .checked_mul(height)
        .and_then(|p| p.checked_mul(bands))
        .and_then(|s| s.checked_mul(bits.div_ceil(8)));
    match total {
        Some(total) if total <= max_bytes => {}
        _ => {
            return Err(bad(format!(
                "{width}x{height} pixels of {bands} band(s) of {bits} bits: more than the {max_bytes} bytes an output may take"
            )))
        }
    }
    let georeference = Georeference::from_tags(geo_tags(&mut decoder).map_err(tiff_error)?);
    let nodata = match decoder.find_tag(Tag::GdalNodata).map_err(tiff_error)? {
        Some(value) => {
            let text = value.into_string().map_err(tiff_error)?;
            let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            Some(
                text.parse::<f64>()
                    .map_err(|_| bad(format!("nodata '{text}' is not a number")))?,
            )
        }
        None => None,
    };

    let format = decoder
        .find_tag_unsigned_vec::<u64>(Tag::SampleFormat)
        .map_err(tiff_error)?
        .and_then(|formats| formats.first().copied())
        .unwrap_or(1);
    let dtype = DataType::from_tiff(format, bits).ok_or_else(|| {
        bad(format!(
            "{bits}-bit samples of sample format {format} are not supported"
        ))
    })?;
    // Native order is little-endian on every target this builds for (see lib.rs).
    let expected = (width * height * bands) as usize * dtype.bytes();
    let samples = if planar && bands > 1 {
        // Band planes: the typed reader reports how many planes it read.
        let mut decoded = DecodingResult::U8(Vec::new());
        let layout = decoder
            .read_image_to_buffer(&mut decoded)
            .map_err(tiff_error)?;
        let buffer = decoded.as_buffer(0);
        let planes = buffer.as_bytes();
        if planes.len() < expected || layout.complete_len < expected {
            return Err(bad(format!(
                "decoded {} bytes of samples where {width}x{height}x{bands} need {expected}",
                planes.len()
            )));
        }
        interleave(&planes[..expected], bands as usize, dtype.bytes())
    } else {
        // One plane, decoded in place (the decoder refuses a buffer its layout does not fit).
        let mut samples = vec![0; expected];
        decoder.read_image_bytes(&mut samples).map_err(tiff_error)?;
        samples
    };
    Ok(Raster {
        width,
        height,
        bands,
        dtype,
        georeference,
        nodata,
        samples,
    })
}

/// Band planes one after another into pixel-interleaved samples.
fn interleave(planes: &[u8], bands: usize, size: usize) -> Vec<u8> {
    let plane = planes.len() / bands;
    let mut out = vec![0; planes.len()];
    for (band, samples) in planes.chunks_exact(plane).enumerate() {
        for (i, sample) in samples.chunks_exact(size).enumerate() {
            let at = (i * bands + band) * size;
            out[at..at + size].copy_from_slice(sample);
        }
    }
    out
}

fn geo_tags<R: std::io::Read + std::io::Seek>(
    decoder: &mut Decoder<R>,
) -> tiff::TiffResult<GeoTags> {
    let mut doubles = |tag: Tag| -> tiff::TiffResult<Option<Vec<f64>>> {
        decoder.find_tag(tag)?.map(|v| v.into_f64_vec()).transpose()
    };
    let transformation = doubles(Tag::ModelTransformationTag)?;
    let pixel_scale = doubles(Tag::ModelPixelScaleTag)?;
    let tiepoint = doubles(Tag::ModelTiepointTag)?;
    let key_doubles = doubles(Tag::GeoDoubleParamsTag)?.unwrap_or_default();
    let key_directory = decoder
        .find_tag_unsigned_vec::<u64>(Tag::GeoKeyDirectoryTag)?
        .unwrap_or_default();
    let key_ascii = match decoder.find_tag(Tag::GeoAsciiParamsTag)? {
        Some(value) => value.into_string()?,
        None => String::new(),
    };
    Ok(GeoTags {
        transformation,
        pixel_scale,
        tiepoint,
        key_directory,
        key_doubles,
        key_ascii,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_interleave() {
        let planes = [1u8, 2, 3, 10, 20, 30];
        assert_eq!(interleave(&planes, 2, 1), vec![1, 10, 2, 20, 3, 30]);
    }
}
