//! Outputs as GDAL writes them (fuzz/corpus/raster_output, made by `fuzz/make-seeds` with
//! gdal_translate: striped, tiled, PackBits, LZW, Deflate, ZSTD, predictors 2 and 3, planar
//! and interleaved bands, 8- to 64-bit samples) decode to the values the generator wrote:
//! band b of pixel (x, y) is (7x + 3y + 50b) mod 250, nodata 0, on EPSG:32633 at 10 m.

use std::path::PathBuf;

use cog::image::DataType;
use raster_merge::raster::read_raster;

fn seeds() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/raster_output");
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn gdal_outputs_decode_to_the_generated_values() {
    let seeds = seeds();
    assert!(seeds.len() >= 10, "{seeds:?}");
    for path in seeds {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raster = read_raster(&std::fs::read(&path).unwrap(), &name, 1 << 20)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_dtype = match &name[..name.find('-').unwrap()] {
            "u16" => DataType::Uint16,
            "f32" => DataType::Float32,
            "f64" => DataType::Float64,
            "rgb" => DataType::Uint8,
            "i16" => DataType::Int16,
            "i64" => DataType::Int64,
            other => panic!("{other}"),
        };
        assert_eq!(raster.dtype, expected_dtype, "{name}");
        assert_eq!((raster.width, raster.height), (50, 40), "{name}");
        assert_eq!(raster.nodata, Some(0.0), "{name}");
        let geo = raster.georeference.as_ref().expect("georeferenced");
        assert_eq!(
            geo.geotransform,
            [600000.0, 10.0, 0.0, 5300000.0, 0.0, -10.0],
            "{name}"
        );
        assert_eq!(geo.crs.as_deref(), Some("EPSG:32633"), "{name}");
        let size = raster.dtype.bytes();
        let bands = raster.bands as usize;
        for (i, value) in raster.samples.chunks_exact(size).enumerate() {
            let (pixel, band) = (i / bands, i % bands);
            let (x, y) = (pixel % 50, pixel / 50);
            let expected = ((x * 7 + y * 3 + band * 50) % 250) as f64;
            assert_eq!(
                raster.dtype.decode(value),
                expected,
                "{name}: x {x} y {y} band {band}"
            );
        }
    }
}

#[test]
fn outputs_larger_than_allowed_are_refused_before_decoding() {
    let path = seeds()
        .into_iter()
        .find(|p| p.ends_with("u16-striped.tif"))
        .unwrap();
    let error = read_raster(&std::fs::read(&path).unwrap(), "big.tif", 1000).unwrap_err();
    assert!(
        error.to_string().contains("more than the 1000 bytes"),
        "{error}"
    );
}
