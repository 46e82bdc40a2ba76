//! Any bytes as a (Big)TIFF: header, IFD chain, tags, tile offsets, then a plan of windows
//! and every window decoded: errors, never a panic or a huge allocation.
#![no_main]

use cog::{PlanOptions, WindowSize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = chunkwise_fuzz::scratch("input.tif", data);
    let options = PlanOptions {
        window: WindowSize::Tiles(2, 2),
        halo: 3,
        overview: 0,
        merge_gap: 0,
    };
    let Ok(plan) = cog::plan(&[path], &options) else {
        return;
    };
    for chunk in plan.chunks.iter().take(16) {
        let _ = cog::read_window(chunk);
    }
});
