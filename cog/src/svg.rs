//! A picture of a plan: each window (solid) and its halo (dashed) over the image's footprint,
//! with a grayscale thumbnail of the first input read from its smallest fitting overview.

use std::fmt::Write as _;

use partition_core::picture::{gray_png, png_data_url};
use partition_core::{Chunk, Result};

use crate::detail::{image_size, CogDetail};
use crate::plan::{plan, PlanOptions, WindowSize};

/// The longest side of the thumbnail and of the picture, in pixels.
const PICTURE: u64 = 1024;

/// The SVG text for the windows of `chunks` (a plan at one level), with a thumbnail of `url`.
pub fn picture(chunks: &[Chunk], url: &str) -> Result<String> {
    let details: Vec<CogDetail> = chunks.iter().map(Chunk::detail).collect::<Result<_>>()?;
    let (width, height) = image_size(&details);
    let scale = PICTURE as f64 / width.max(height).max(1) as f64;
    let (w, h) = (width as f64 * scale, height as f64 * scale);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{w:.1}" height="{h:.1}" fill="#f4f4f4" stroke="#333"><title>{url}: {width} x {height} pixels</title></rect>"##
    );
    if let Some((tw, th, pixels)) = thumbnail(url)? {
        let _ = writeln!(
            svg,
            r#"<image x="0" y="0" width="{w:.1}" height="{h:.1}" preserveAspectRatio="none" href="{}"/>"#,
            png_data_url(&gray_png(tw, th, &pixels))
        );
    }
    let rect = |r: [u64; 4]| {
        let [c, row, rw, rh] = r.map(|v| v as f64 * scale);
        format!(r#"x="{c:.2}" y="{row:.2}" width="{rw:.2}" height="{rh:.2}""#)
    };
    for (chunk, detail) in chunks.iter().zip(&details) {
        if detail.read_window != detail.window {
            let _ = writeln!(
                svg,
                r##"<rect {} fill="none" stroke="#1f77b4" stroke-opacity="0.6" stroke-dasharray="4 3"/>"##,
                rect(detail.read_window)
            );
        }
        let [c, r, ww, wh] = detail.window;
        let _ = writeln!(
            svg,
            r##"<rect {} fill="none" stroke="#d62728" stroke-width="1.5"><title>{}: columns {c}..{}, rows {r}..{}; read {:?} with the halo</title></rect>"##,
            rect(detail.window),
            chunk.id,
            c + ww,
            r + wh,
            detail.read_window
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.2}" y="{:.2}" font-family="sans-serif" font-size="11" text-anchor="middle" fill="#d62728" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"##,
            (c as f64 + ww as f64 / 2.0) * scale,
            (r as f64 + wh as f64 / 2.0) * scale + 4.0,
            chunk.seq
        );
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The first band of the smallest level of `url` no larger than the picture, stretched to
/// 8 bits between its 2nd and 98th percentiles (nodata and NaN light gray); `None` when every
/// level is larger (a COG without overviews).
fn thumbnail(url: &str) -> Result<Option<(usize, usize, Vec<u8>)>> {
    let mut level = 0;
    let chunk = loop {
        let options = PlanOptions {
            window: WindowSize::Pixels(PICTURE, PICTURE),
            halo: 0,
            overview: level,
            merge_gap: 0,
        };
        match plan(&[url.to_string()], &options) {
            Ok(plan) if plan.chunks.len() == 1 => break plan.chunks.into_iter().next().unwrap(),
            Ok(_) => level += 1,
            Err(_) => return Ok(None),
        }
    };
    let detail: CogDetail = chunk.detail()?;
    let [_, _, width, height] = detail.window;
    let samples = crate::read_window(&chunk)?;
    let layer = &detail.layers[0];
    let size = layer.dtype.bytes();
    let nodata = layer.nodata;
    let values: Vec<f64> = samples[..(width * height) as usize * size]
        .chunks_exact(size)
        .map(|bytes| layer.dtype.decode(bytes))
        .collect();
    let mut valid: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| !v.is_nan() && Some(*v) != nodata)
        .collect();
    valid.sort_by(f64::total_cmp);
    let at = |q: f64| {
        valid
            .get(((valid.len() as f64 - 1.0) * q) as usize)
            .copied()
    };
    let (low, high) = (at(0.02).unwrap_or(0.0), at(0.98).unwrap_or(1.0));
    let span = (high - low).max(f64::MIN_POSITIVE);
    let pixels = values
        .iter()
        .map(|&v| {
            if v.is_nan() || Some(v) == nodata {
                235
            } else {
                (((v - low) / span).clamp(0.0, 1.0) * 200.0 + 20.0) as u8
            }
        })
        .collect();
    Ok(Some((width as usize, height as usize, pixels)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_halos_are_drawn_where_the_plan_puts_them() {
        let url = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fuzz/corpus/tiff_file/deflate-pred2.tif"
        );
        let options = PlanOptions {
            window: WindowSize::Pixels(20, 15),
            halo: 2,
            overview: 0,
            merge_gap: 0,
        };
        let chunks = plan(&[url.to_string()], &options).unwrap().chunks;
        let svg = picture(&chunks, url).unwrap();
        // 50 x 40 pixels drawn 1024 wide.
        let scale = 1024.0 / 50.0;
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="819""#)
        );
        assert!(svg.contains("data:image/png;base64,"), "a thumbnail");
        let windows: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(r##"stroke="#d62728" stroke-width"##))
            .collect();
        let halos = svg
            .lines()
            .filter(|l| l.contains("stroke-dasharray"))
            .count();
        assert_eq!((windows.len(), halos), (chunks.len(), chunks.len()));
        for (line, chunk) in windows.iter().zip(&chunks) {
            let detail: CogDetail = chunk.detail().unwrap();
            let [c, r, w, h] = detail.window.map(|v| v as f64 * scale);
            let expected = format!(r#"x="{c:.2}" y="{r:.2}" width="{w:.2}" height="{h:.2}""#);
            assert!(line.contains(&expected), "{line} lacks {expected}");
        }
    }
}
