//! Merging the window outputs of a COG gives the COG's pixels back: a source written by the
//! COG writer, windows with halos planned and rebuilt by the `cog` crate (as `cog-windows cat
//! --out-dir` writes them), merged and read back with the `tiff` crate.

use std::path::Path;

use cog::image::DataType;
use cog::{CogSpec, CogWriter, PlanOptions, Resampling, TileCompression, WindowSize};
use partition_core::{Chunk, Error};
use raster_merge::raster::read_raster;
use raster_merge::{merge, MergeOptions};

const WIDTH: u64 = 300;
const HEIGHT: u64 = 217;

fn source_pixels() -> Vec<u8> {
    let mut out = Vec::new();
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            for b in 0..2 {
                // Some nodata (0) in the first band.
                let v = if b == 0 && (x + y) % 17 == 0 {
                    0
                } else {
                    (x * 3 + y * 5 + b * 40) % 999 + 1
                };
                out.extend((v as u16).to_le_bytes());
            }
        }
    }
    out
}

fn spec(width: u64, height: u64) -> CogSpec {
    CogSpec {
        width,
        height,
        bands: 2,
        dtype: DataType::Uint16,
        geotransform: Some([300000.0, 30.0, 0.0, 6000000.0, 0.0, -30.0]),
        crs: Some("EPSG:32632".into()),
        geokeys: None,
        nodata: Some(0.0),
        tile_size: 64,
        compression: TileCompression::Deflate,
        overviews: Some(Resampling::Average),
    }
}

fn write_cog(path: &Path, spec: &CogSpec, pixels: &[u8]) {
    let mut writer = CogWriter::new(spec.clone(), None).unwrap();
    let row = spec.width as usize * spec.pixel_bytes();
    let mut at = 0;
    while at < pixels.len() {
        let rows = writer.next_band_rows() as usize;
        writer
            .push_band(pixels[at..at + rows * row].to_vec())
            .unwrap();
        at += rows * row;
    }
    let mut file = std::fs::File::create(path).unwrap();
    writer.finish(&mut file).unwrap();
}

/// The source, its plan (windows of 100x80 with a halo of 5) and each window's GeoTIFF.
fn windows(dir: &Path) -> Vec<Chunk> {
    let source = dir.join("src.tif");
    write_cog(&source, &spec(WIDTH, HEIGHT), &source_pixels());
    let options = PlanOptions {
        window: WindowSize::Pixels(100, 80),
        halo: 5,
        overview: 0,
        merge_gap: 0,
    };
    let plan = cog::plan(&[source.display().to_string()], &options).unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    for chunk in &plan.chunks {
        let mut bytes = Vec::new();
        cog::write_chunk(chunk, &mut bytes).unwrap();
        std::fs::write(dir.join("out").join(format!("{}.tif", chunk.id)), bytes).unwrap();
    }
    plan.chunks
}

fn options(dir: &Path) -> MergeOptions {
    MergeOptions {
        outputs: dir.join("out").display().to_string(),
        suffix: ".tif".into(),
        out: dir.join("merged.tif").display().to_string(),
        tile_size: 128,
        compression: TileCompression::Zstd,
        overviews: Some(Resampling::Nearest),
        allow_missing: false,
    }
}

#[test]
fn window_outputs_merge_back_into_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = windows(dir.path());
    assert_eq!(chunks.len(), 9);
    let stats = merge("windows.jsonl", &chunks, &options(dir.path())).unwrap();
    assert!(stats.missing.is_empty());
    let merged = std::fs::read(dir.path().join("merged.tif")).unwrap();
    let raster = read_raster(&merged, "merged.tif", 1 << 30).unwrap();
    assert_eq!(
        (raster.width, raster.height, raster.bands),
        (WIDTH, HEIGHT, 2)
    );
    assert_eq!(raster.samples, source_pixels());
    assert_eq!(raster.nodata, Some(0.0));
    let geo = raster.georeference.unwrap();
    assert_eq!(geo.geotransform, spec(WIDTH, HEIGHT).geotransform.unwrap());
    assert_eq!(geo.crs.as_deref(), Some("EPSG:32632"));
}

#[test]
fn missing_outputs_fail_or_become_nodata() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = windows(dir.path());
    let gone = &chunks[4];
    std::fs::remove_file(dir.path().join("out").join(format!("{}.tif", gone.id))).unwrap();
    let error = merge("windows.jsonl", &chunks, &options(dir.path())).unwrap_err();
    assert!(matches!(error, Error::BadFile { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("1 of 9 chunks have no output: {}", gone.id)),
        "{error}"
    );
    assert!(!dir.path().join("merged.tif").exists());

    let stats = merge(
        "windows.jsonl",
        &chunks,
        &MergeOptions {
            allow_missing: true,
            ..options(dir.path())
        },
    )
    .unwrap();
    assert_eq!(stats.missing, vec![gone.id.clone()]);
    let merged = std::fs::read(dir.path().join("merged.tif")).unwrap();
    let raster = read_raster(&merged, "merged.tif", 1 << 30).unwrap();
    let detail: cog::CogDetail = gone.detail().unwrap();
    let [col, row, w, h] = detail.window;
    let mut expected = source_pixels();
    for y in row..row + h {
        let at = ((y * WIDTH + col) * 4) as usize;
        expected[at..at + (w * 4) as usize].fill(0);
    }
    assert_eq!(raster.samples, expected);
}
