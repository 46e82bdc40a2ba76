//! Decoding one tile into little-endian samples: decompression, predictors, byte order.

use crate::image::{Compression, DataType};

/// The layout of one tile's samples.
#[derive(Debug, Clone, Copy)]
pub struct TileLayout {
    pub width: usize,
    pub height: usize,
    /// Samples per pixel in one tile (the bands, or 1 with separate planes).
    pub samples: usize,
    pub dtype: DataType,
    pub compression: Compression,
    pub predictor: u16,
    pub little_endian: bool,
    /// One bit per pixel, rows padded to whole bytes; decoded to bytes 0 or 255.
    pub bilevel: bool,
}

/// Decodes a JPEG tile, completing its abbreviated stream with the shared tables.
fn decode_jpeg(
    layout: &TileLayout,
    tables: &[u8],
    stored: &[u8],
    data: &mut Vec<u8>,
) -> Result<(), String> {
    let mut stream = Vec::with_capacity(tables.len() + stored.len());
    if tables.len() >= 4 && stored.len() >= 2 {
        // Tables: SOI ... EOI; tile: SOI ... EOI. Joined: SOI, tables, tile body, EOI.
        stream.extend_from_slice(&tables[..tables.len() - 2]);
        stream.extend_from_slice(&stored[2..]);
    } else {
        stream.extend_from_slice(stored);
    }
    let mut decoder = jpeg_decoder::Decoder::new(&stream[..]);
    // TIFF's JPEG tiles carry no JFIF or Adobe marker to say so: 3 components are YCbCr.
    decoder.set_color_transform(jpeg_decoder::ColorTransform::YCbCr);
    // A damaged frame header can claim a huge image: check its size before decoding it.
    decoder
        .read_info()
        .map_err(|e| format!("JPEG data is corrupt: {e}"))?;
    let info = decoder.info().ok_or("JPEG data has no frame header")?;
    if (usize::from(info.width), usize::from(info.height)) != (layout.width, layout.height) {
        return Err(format!(
            "JPEG frame of {} x {} pixels in a tile of {} x {}",
            info.width, info.height, layout.width, layout.height
        ));
    }
    let pixels = decoder
        .decode()
        .map_err(|e| format!("JPEG data is corrupt: {e}"))?;
    data.extend_from_slice(&pixels);
    Ok(())
}

impl TileLayout {
    fn row_bytes(&self) -> usize {
        self.width * self.samples * self.dtype.bytes()
    }

    pub fn tile_bytes(&self) -> usize {
        self.row_bytes() * self.height
    }
}

/// Decodes a stored tile to `width * height * samples` little-endian samples in `data`
/// (a buffer reused between tiles: no allocation once it is large enough).
pub fn decode_tile(layout: &TileLayout, stored: &[u8], data: &mut Vec<u8>) -> Result<(), String> {
    decode_tile_with_tables(layout, &[], stored, data)
}

/// [`decode_tile`], with the JPEG tables a JPEG image's tiles share.
pub fn decode_tile_with_tables(
    layout: &TileLayout,
    jpeg_tables: &[u8],
    stored: &[u8],
    data: &mut Vec<u8>,
) -> Result<(), String> {
    let expected = if layout.bilevel {
        layout.width.div_ceil(8) * layout.height
    } else {
        layout.tile_bytes()
    };
    data.clear();
    match layout.compression {
        Compression::None => data.extend_from_slice(stored),
        Compression::Deflate => {
            // libdeflate: whole-buffer decompression, as GDAL does it.
            data.resize(expected, 0);
            let written = libdeflater::Decompressor::new()
                .zlib_decompress(stored, data)
                .map_err(|e| format!("Deflate data is corrupt: {e}"))?;
            data.truncate(written);
        }
        Compression::Lzw => {
            let result = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .into_vec(data)
                .decode(stored);
            result
                .status
                .map_err(|e| format!("LZW data is corrupt: {e}"))?;
        }
        Compression::Jpeg => decode_jpeg(layout, jpeg_tables, stored, data)?,
        Compression::Zstd => {
            data.resize(expected, 0);
            let written = zstd::bulk::decompress_to_buffer(stored, data)
                .map_err(|e| format!("ZSTD data is corrupt: {e}"))?;
            data.truncate(written);
        }
    }
    if data.len() < expected {
        return Err(format!(
            "tile decodes to {} bytes, {expected} expected",
            data.len()
        ));
    }
    data.truncate(expected);
    if layout.bilevel {
        let packed = std::mem::take(data);
        let row_bytes = layout.width.div_ceil(8);
        data.reserve(layout.width * layout.height);
        for row in packed.chunks_exact(row_bytes) {
            data.extend((0..layout.width).map(|x| {
                if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                    255
                } else {
                    0
                }
            }));
        }
        return Ok(());
    }
    let size = layout.dtype.bytes();
    if layout.predictor == 3 {
        undo_float_predictor(data, layout);
        return Ok(());
    }
    if !layout.little_endian && size > 1 {
        for sample in data.chunks_exact_mut(size) {
            sample.reverse();
        }
    }
    if layout.predictor == 2 {
        undo_horizontal_differencing(data, layout);
    }
    Ok(())
}

/// Predictor 2: each sample was stored as the difference from the same channel of the pixel
/// before it in the row.
fn undo_horizontal_differencing(data: &mut [u8], layout: &TileLayout) {
    macro_rules! accumulate {
        ($type:ty) => {{
            const SIZE: usize = std::mem::size_of::<$type>();
            let stride = layout.samples * SIZE;
            let read =
                |bytes: &[u8]| <$type>::from_le_bytes(bytes.try_into().expect("sample bytes"));
            for row in data.chunks_exact_mut(layout.row_bytes()) {
                for at in (stride..row.len()).step_by(SIZE) {
                    let value = read(&row[at..at + SIZE])
                        .wrapping_add(read(&row[at - stride..at - stride + SIZE]));
                    row[at..at + SIZE].copy_from_slice(&value.to_le_bytes());
                }
            }
        }};
    }
    match layout.dtype.bytes() {
        1 => accumulate!(u8),
        2 => accumulate!(u16),
        4 => accumulate!(u32),
        _ => accumulate!(u64),
    }
}

/// Predictor 3: each row's bytes were split into planes (most significant bytes first) and
/// byte-differenced.
fn undo_float_predictor(data: &mut [u8], layout: &TileLayout) {
    let size = layout.dtype.bytes();
    let count = layout.width * layout.samples;
    let mut shuffled = vec![0u8; layout.row_bytes()];
    for row in data.chunks_exact_mut(layout.row_bytes()) {
        // Byte differences run between the same band of neighbouring pixels, as libtiff's
        // fpAcc strides by the samples per pixel.
        for i in layout.samples..row.len() {
            row[i] = row[i].wrapping_add(row[i - layout.samples]);
        }
        shuffled.copy_from_slice(row);
        for sample in 0..count {
            for byte in 0..size {
                // Plane `byte` holds the byte of significance size-1-byte: write little-endian.
                row[sample * size + (size - 1 - byte)] = shuffled[byte * count + sample];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dtype: DataType, predictor: u16, little_endian: bool) -> TileLayout {
        TileLayout {
            width: 3,
            height: 1,
            samples: 1,
            dtype,
            compression: Compression::None,
            predictor,
            little_endian,
            bilevel: false,
        }
    }

    #[test]
    fn bilevel_masks_expand_to_bytes() {
        let layout = TileLayout {
            width: 10,
            height: 2,
            bilevel: true,
            ..layout(DataType::Uint8, 1, true)
        };
        let mut decoded = Vec::new();
        decode_tile(
            &layout,
            &[0b1010_0000, 0b1100_0000, 0xff, 0x00],
            &mut decoded,
        )
        .unwrap();
        assert_eq!(&decoded[..10], &[255, 0, 255, 0, 0, 0, 0, 0, 255, 255]);
        assert_eq!(
            &decoded[10..],
            &[255; 8].iter().copied().chain([0, 0]).collect::<Vec<u8>>()[..]
        );
    }

    #[test]
    fn horizontal_differencing_wraps_per_sample() {
        let stored = [10u16, 5, 65535]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>();
        let mut decoded = Vec::new();
        decode_tile(&layout(DataType::Uint16, 2, true), &stored, &mut decoded).unwrap();
        let values: Vec<u16> = decoded
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(values, [10, 15, 14]);
    }

    #[test]
    fn big_endian_samples_come_out_little_endian() {
        let stored = [1u16, 2, 3]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<u8>>();
        let mut decoded = Vec::new();
        decode_tile(&layout(DataType::Uint16, 1, false), &stored, &mut decoded).unwrap();
        assert_eq!(decoded, [1, 0, 2, 0, 3, 0]);
    }

    #[test]
    fn float_predictor_unshuffles_and_accumulates() {
        let values = [1.5f32, -2.25, 1e-3];
        // Encode as libtiff does: big-endian byte planes, then byte differencing.
        let mut planes = vec![0u8; 12];
        for (i, v) in values.iter().enumerate() {
            for (byte, b) in v.to_be_bytes().iter().enumerate() {
                planes[byte * 3 + i] = *b;
            }
        }
        for i in (1..planes.len()).rev() {
            planes[i] = planes[i].wrapping_sub(planes[i - 1]);
        }
        let mut decoded = Vec::new();
        decode_tile(&layout(DataType::Float32, 3, true), &planes, &mut decoded).unwrap();
        let back: Vec<f32> = decoded
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(back, values);
    }
}
