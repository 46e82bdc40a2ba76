//! Any bytes as a chunk's raster output (a GeoTIFF read with the `tiff` crate, as raster-merge
//! reads them): errors, never a panic or an allocation past the limit given.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raster) = raster_merge::raster::read_raster(data, "output.tif", 64 << 20) {
        let expected = raster.width * raster.height * raster.bands * raster.dtype.bytes() as u64;
        assert_eq!(raster.samples.len() as u64, expected);
    }
});
