//! Any bytes as a LAS/LAZ file: header, VLRs, EVLRs, LAZ chunk table, the tile record, then
//! a plan of small tiles with a buffer and every tile written: errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lidar::layout::Layout;
use partition_core::Source;

fuzz_target!(|data: &[u8]| {
    let path = chunkwise_fuzz::scratch("input.las", data);
    let Ok(source) = Source::open(&path) else {
        return;
    };
    let Ok(layout) = Layout::read(&source) else {
        return;
    };
    let _ = lidar::TileRecord::find(&path, &layout.head.vlrs);
    // Bound the work per input: the plan decodes every point.
    if layout.points() > 100_000 {
        return;
    }
    let options = lidar::PlanOptions {
        tiling: lidar::Tiling::MaxPoints(50),
        buffer: 1.0,
        quiet: true,
        density: false,
    };
    let Ok(plan) = lidar::plan(&[path], &options) else {
        return;
    };
    for chunk in &plan.chunks {
        let _ = lidar::tile_bytes(chunk, None);
    }
});
