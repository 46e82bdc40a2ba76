//! A picture of a plan: the tiles' cores and buffers drawn over a point-density map.
//!
//! The density map is a grayscale PNG (darker is denser, on a log scale) embedded in the
//! SVG, so the file stays one self-contained image whatever the number of points.

use std::fmt::Write as _;

use partition_core::picture::{gray_png, png_data_url};

use crate::plan::{Density, Tile};

/// The SVG text for `tiles` over `density`.
pub fn picture(density: &Density, tiles: &[Tile]) -> String {
    let [x0, y0, x1, y1] = density.extent;
    let scale = 1024.0 / density.width.max(density.height) as f64;
    let (width, height) = (density.width as f64 * scale, density.height as f64 * scale);
    let sx = width / (x1 - x0).max(f64::MIN_POSITIVE);
    let sy = height / (y1 - y0).max(f64::MIN_POSITIVE);
    let px = |x: f64| (x - x0) * sx;
    let py = |y: f64| (y1 - y) * sy;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.1} {height:.1}">"#
    );
    let _ = writeln!(
        svg,
        r#"<image x="0" y="0" width="{width:.1}" height="{height:.1}" preserveAspectRatio="none" style="image-rendering:pixelated" href="{}"/>"#,
        png_data_url(&density_png(density))
    );
    for (i, tile) in tiles.iter().enumerate() {
        let [a, b, c, d] = tile.buffered;
        let _ = writeln!(
            svg,
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="#1f77b4" stroke-opacity="0.5" stroke-dasharray="4 3"/>"##,
            px(a),
            py(d),
            (c - a) * sx,
            (d - b) * sy
        );
        let [a, b, c, d] = tile.core;
        let _ = writeln!(
            svg,
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="#d62728" stroke-width="1.5"><title>tile {i}: {} core + {} buffer points</title></rect>"##,
            px(a),
            py(d),
            (c - a) * sx,
            (d - b) * sy,
            tile.core_points,
            tile.buffer_points
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.2}" y="{:.2}" font-family="sans-serif" font-size="11" text-anchor="middle" fill="#d62728">{i}</text>"##,
            px((a + c) / 2.0),
            py((b + d) / 2.0)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Density as an 8-bit grayscale PNG: white for empty cells, darker with log(count).
fn density_png(density: &Density) -> Vec<u8> {
    let top = density.counts.iter().copied().max().unwrap_or(0).max(1);
    let log_top = (f64::from(top) + 1.0).ln();
    let pixels: Vec<u8> = density
        .counts
        .iter()
        .map(|&n| {
            if n == 0 {
                255
            } else {
                (230.0 - 200.0 * (f64::from(n) + 1.0).ln() / log_top) as u8
            }
        })
        .collect();
    gray_png(density.width, density.height, &pixels)
}
