//! cog-windows on TIFFs built byte by byte: a valid one read back exactly, and each kind of
//! damage reported with the file and the position.

use std::fs;
use std::process::{Command, Output};

/// A little-endian classic TIFF: `width` x `height` uint8, one band, `tile` x `tile` tiles,
/// uncompressed unless `compression` says otherwise, tiles stored after the IFD.
fn tiff(width: u32, height: u32, tile: u32, compression: u16) -> (Vec<u8>, Vec<u8>) {
    let across = width.div_ceil(tile);
    let down = height.div_ceil(tile);
    let tiles = (across * down) as usize;
    let pixels: Vec<u8> = (0..width * height).map(|i| (i * 7 % 251) as u8).collect();
    let entries: Vec<(u16, u16, u32, Vec<u32>)> = vec![
        (256, 4, 1, vec![width]),
        (257, 4, 1, vec![height]),
        (258, 3, 1, vec![8]),
        (259, 3, 1, vec![compression as u32]),
        (277, 3, 1, vec![1]),
        (322, 4, 1, vec![tile]),
        (323, 4, 1, vec![tile]),
        (324, 4, tiles as u32, vec![0; tiles]),
        (325, 4, tiles as u32, vec![tile * tile; tiles]),
    ];
    let ifd_at = 8u32;
    let ifd_len = 2 + entries.len() as u32 * 12 + 4;
    let arrays_at = ifd_at + ifd_len;
    let data_at = arrays_at + 2 * 4 * tiles as u32;
    let mut out = b"II".to_vec();
    out.extend_from_slice(&42u16.to_le_bytes());
    out.extend_from_slice(&ifd_at.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    let mut arrays = Vec::new();
    for (tag, kind, count, values) in &entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if *count == 1 {
            out.extend_from_slice(&values[0].to_le_bytes());
        } else {
            out.extend_from_slice(&(arrays_at + arrays.len() as u32).to_le_bytes());
            let values: Vec<u32> = if *tag == 324 {
                (0..tiles as u32)
                    .map(|t| data_at + t * tile * tile)
                    .collect()
            } else {
                values.clone()
            };
            for value in values {
                arrays.extend_from_slice(&value.to_le_bytes());
            }
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&arrays);
    for t in 0..tiles as u32 {
        let (tx, ty) = (t % across * tile, t / across * tile);
        for y in ty..ty + tile {
            for x in tx..tx + tile {
                out.push(if x < width && y < height {
                    pixels[(y * width + x) as usize]
                } else {
                    0
                });
            }
        }
    }
    (out, pixels)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cog-windows"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_handmade_tiff_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, pixels) = tiff(50, 37, 16, 1);
    let path = dir.path().join("grid.tif");
    fs::write(&path, bytes).unwrap();
    let plan = run(&["plan", path.to_str().unwrap(), "--window-px", "50x37"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let manifest = dir.path().join("w.jsonl");
    fs::write(&manifest, &plan.stdout).unwrap();
    let cat = run(&["cat", "--raw", manifest.to_str().unwrap()]);
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert_eq!(cat.stdout, pixels);

    // About N windows, tile-aligned: 4 x 3 tiles of 16 pixels in 4 windows of 2 x 2 tiles.
    let plan = run(&["plan", path.to_str().unwrap(), "--chunks", "4"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let lines: Vec<&str> = std::str::from_utf8(&plan.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].contains("\"window\":[0,0,32,32]"), "{}", lines[0]);

    // With --out-dir, each raw window gets a sidecar of its shape and type.
    let out = dir.path().join("out");
    let cat = run(&[
        "cat",
        "--raw",
        manifest.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert_eq!(fs::read(out.join("grid-0.raw")).unwrap(), pixels);
    let sidecar: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("grid-0.json")).unwrap()).unwrap();
    assert_eq!(sidecar["shape"], serde_json::json!([1, 37, 50]));
    assert_eq!(sidecar["dtype"], "uint8");
}

#[test]
fn damage_is_reported_with_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let (good, _) = tiff(50, 37, 16, 1);
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.tif",
            b"hello, not a tiff".to_vec(),
            "byte 0: not a TIFF",
        ),
        ("short.tif", good[..6].to_vec(), "too short to be a TIFF"),
        (
            "jp2.tif",
            tiff(50, 37, 16, 34712).0,
            "compression 34712 is not supported",
        ),
        (
            "lerc.tif",
            tiff(50, 37, 16, 34887).0,
            "compression 34887 is not supported",
        ),
    ];
    let mut far_ifd = good.clone();
    far_ifd[4..8].copy_from_slice(&1_000_000u32.to_le_bytes());
    cases.push(("far-ifd.tif", far_ifd, "past the end of the file"));
    let mut cut = good.clone();
    cut.truncate(good.len() - 100);
    cases.push(("cut.tif", cut, "reaches past the end of the file"));
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let output = run(&["plan", path.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(65),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }

    // A tile that does not decode fails the window, naming the tile and its offset.
    let (mut broken, _) = tiff(50, 37, 16, 7);
    let path = dir.path().join("broken-jpeg.tif");
    let len = broken.len();
    broken[len - 10..].fill(0xAB);
    fs::write(&path, broken).unwrap();
    let plan = run(&["plan", path.to_str().unwrap(), "--window-px", "50x37"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let manifest = dir.path().join("broken.jsonl");
    fs::write(&manifest, &plan.stdout).unwrap();
    let output = run(&["cat", "--raw", manifest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken-jpeg.tif: byte")
            && stderr.contains("tile 0,0: JPEG data is corrupt"),
        "{stderr}"
    );
}
