//! The COG writer read back by two independent readers: the `tiff` crate (image-rs) and this
//! crate's own ranged reader (plan and `read_window`, at full resolution and each overview).
//! Layout as COG readers require it: IFDs before tile data, the smallest overview's tiles first.

use std::io::Cursor;

use cog::image::DataType;
use cog::{CogSpec, CogWriter, PlanOptions, Resampling, TileCompression, WindowSize};
use tiff::decoder::{Decoder, DecodingResult};

/// Samples of `dtype` from a formula, little-endian, pixel-interleaved.
fn samples(width: u64, height: u64, bands: u64, dtype: DataType) -> Vec<u8> {
    let mut out = Vec::new();
    for y in 0..height {
        for x in 0..width {
            for b in 0..bands {
                let v = ((x * 7 + y * 13 + b * 50) % 251) as f64
                    - if dtype.is_float() { 0.25 } else { 0.0 };
                out.extend(dtype.encode(v));
            }
        }
    }
    out
}

fn write(spec: &CogSpec, pixels: &[u8]) -> Vec<u8> {
    let mut writer = CogWriter::new(spec.clone(), None).unwrap();
    let row = (spec.width as usize) * spec.pixel_bytes();
    let mut at = 0;
    while writer.next_band_rows() > 0 {
        let rows = writer.next_band_rows() as usize;
        writer
            .push_band(pixels[at..at + rows * row].to_vec())
            .unwrap();
        at += rows * row;
        if at == pixels.len() {
            break;
        }
    }
    let mut out = Vec::new();
    writer.finish(&mut out).unwrap();
    out
}

fn spec(
    width: u64,
    height: u64,
    bands: u64,
    dtype: DataType,
    compression: TileCompression,
) -> CogSpec {
    CogSpec {
        width,
        height,
        bands,
        dtype,
        geotransform: Some([500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0]),
        crs: Some("EPSG:32631".into()),
        geokeys: None,
        nodata: Some(7.0),
        tile_size: 64,
        compression,
        overviews: Some(Resampling::Average),
    }
}

/// Every image of the file as the `tiff` crate decodes it: (width, height, bytes).
fn images_by_tiff_crate(bytes: &[u8]) -> Vec<(u32, u32, Vec<u8>)> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).unwrap();
    let mut images = Vec::new();
    loop {
        let (w, h) = decoder.dimensions().unwrap();
        let mut result = DecodingResult::U8(Vec::new());
        decoder.read_image_to_buffer(&mut result).unwrap();
        images.push((w, h, result.as_buffer(0).as_bytes().to_vec()));
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().unwrap();
    }
    images
}

/// The 2x2 mean of one band of u16 samples, nodata skipped, rounded: what an overview holds.
fn halved_u16(pixels: &[u8], width: usize, height: usize, nodata: u16) -> Vec<u8> {
    let at = |x: usize, y: usize| {
        u16::from_le_bytes([pixels[(y * width + x) * 2], pixels[(y * width + x) * 2 + 1]])
    };
    let mut out = Vec::new();
    for y in (0..height).step_by(2) {
        for x in (0..width).step_by(2) {
            let values: Vec<f64> = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
                .into_iter()
                .filter(|&(x, y)| x < width && y < height)
                .map(|(x, y)| at(x, y))
                .filter(|&v| v != nodata)
                .map(f64::from)
                .collect();
            let v = if values.is_empty() {
                nodata
            } else {
                (values.iter().sum::<f64>() / values.len() as f64).round() as u16
            };
            out.extend(v.to_le_bytes());
        }
    }
    out
}

#[test]
fn every_sample_type_reads_back_through_the_tiff_crate() {
    for (dtype, bands, compression) in [
        (DataType::Uint8, 3, TileCompression::Deflate),
        (DataType::Int8, 1, TileCompression::Zstd),
        (DataType::Uint16, 1, TileCompression::Deflate),
        (DataType::Int16, 2, TileCompression::Zstd),
        (DataType::Uint32, 1, TileCompression::Deflate),
        (DataType::Int32, 1, TileCompression::Deflate),
        (DataType::Uint64, 1, TileCompression::Zstd),
        (DataType::Int64, 1, TileCompression::Deflate),
        (DataType::Float32, 2, TileCompression::Deflate),
        (DataType::Float64, 1, TileCompression::Zstd),
    ] {
        // Not a multiple of the tile size, odd sizes at every level.
        let spec = spec(203, 131, bands, dtype, compression);
        let pixels = samples(203, 131, bands, dtype);
        let file = write(&spec, &pixels);
        let images = images_by_tiff_crate(&file);
        let sizes: Vec<(u32, u32)> = images.iter().map(|(w, h, _)| (*w, *h)).collect();
        assert_eq!(sizes, [(203, 131), (102, 66), (51, 33)], "{dtype:?}");
        assert_eq!(images[0].2, pixels, "{dtype:?} {compression:?}");
    }
}

#[test]
fn overviews_hold_the_mean_of_each_2x2_skipping_nodata() {
    let spec = spec(150, 97, 1, DataType::Uint16, TileCompression::Deflate);
    let mut pixels = samples(150, 97, 1, DataType::Uint16);
    // Some nodata (7) to skip.
    for i in (0..pixels.len()).step_by(10) {
        pixels[i..i + 2].copy_from_slice(&7u16.to_le_bytes());
    }
    let images = images_by_tiff_crate(&write(&spec, &pixels));
    let first = halved_u16(&pixels, 150, 97, 7);
    assert_eq!(images[1].2, first);
    assert_eq!(images[2].2, halved_u16(&first, 75, 49, 7));
}

#[test]
fn the_ranged_reader_plans_and_reads_what_was_written() {
    let spec = spec(203, 131, 2, DataType::Float32, TileCompression::Zstd);
    let pixels = samples(203, 131, 2, DataType::Float32);
    let file = write(&spec, &pixels);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.tif");
    std::fs::write(&path, &file).unwrap();
    let options = PlanOptions {
        window: WindowSize::Pixels(1000, 1000),
        halo: 0,
        overview: 0,
        merge_gap: 0,
    };
    let plan = cog::plan(&[path.display().to_string()], &options).unwrap();
    assert_eq!(plan.chunks.len(), 1);
    let chunk = &plan.chunks[0];
    let detail: cog::CogDetail = chunk.detail().unwrap();
    assert_eq!(detail.geotransform, spec.geotransform);
    assert_eq!(detail.crs.as_deref(), Some("EPSG:32631"));
    assert_eq!(detail.layers[0].nodata, Some(7.0));
    // read_window gives band after band; the writer took pixel-interleaved samples.
    let window = cog::read_window(chunk).unwrap();
    let mut interleaved = vec![0u8; window.len()];
    let plane = 203 * 131 * 4;
    for b in 0..2 {
        for i in 0..203 * 131 {
            interleaved[(i * 2 + b) * 4..(i * 2 + b) * 4 + 4]
                .copy_from_slice(&window[b * plane + i * 4..b * plane + i * 4 + 4]);
        }
    }
    assert_eq!(interleaved, pixels);

    // The COG layout: every IFD, then tile data from the smallest overview to full resolution.
    let tiff =
        cog::tiff::Tiff::read(&partition_core::Source::open(&path.display().to_string()).unwrap())
            .unwrap();
    let images = cog::image::images(&tiff, "w.tif").unwrap();
    let first_tile = |image: &cog::image::Image| *image.tile_offsets.iter().min().unwrap();
    let last_tile = |image: &cog::image::Image| *image.tile_offsets.iter().max().unwrap();
    let last_ifd = tiff.ifds.iter().map(|ifd| ifd.offset).max().unwrap();
    assert!(images.iter().all(|image| first_tile(image) > last_ifd));
    for pair in images.windows(2) {
        assert!(
            last_tile(&pair[1]) < first_tile(&pair[0]),
            "overviews come first"
        );
    }
    for image in &images {
        assert!(
            image.tile_offsets.windows(2).all(|w| w[0] < w[1]),
            "row-major tiles"
        );
    }
    assert!(file
        .windows(33)
        .any(|w| w == b"GDAL_STRUCTURAL_METADATA_SIZE=000"));
}
