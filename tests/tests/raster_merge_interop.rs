//! raster-merge end to end against rasterio, GDAL and rio-cogeo (tests/peers/raster_steps.py):
//! per-window NDVI and a 3x3 mean (which needs the halo) run under fanout, per-tile LiDAR
//! gridding from `lidar-tile split --buffer`; each merged COG equals the same computation over
//! the whole area, pixel for pixel, and passes `rio cogeo validate --strict` and `gdalinfo`.

use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{
    bin, python, require_tool, run_failing, run_ok, shared_data, workspace_root,
};

fn steps() -> PathBuf {
    workspace_root().join("tests/peers/raster_steps.py")
}

/// `python raster_steps.py STEP` as a shell word list, for fanout.
fn step_command(step: &str) -> Vec<String> {
    vec![
        python().display().to_string(),
        steps().display().to_string(),
        step.to_string(),
    ]
}

/// Runs `command` per chunk, its stdout kept as `out/{id}.tif`; `args` go before the command.
fn fanout(dir: &Path, manifest: &str, out: &str, args: &[&str], command: &[String]) {
    run_ok(
        Command::new(bin("fanout"))
            .current_dir(dir)
            .args(["-q", "-m", manifest, "--out-dir", out, "--suffix", ".tif"])
            .args(args)
            .arg("--")
            .args(command),
    );
}

fn merge(dir: &Path, manifest: &str, outputs: &str, merged: &str, extra: &[&str]) {
    run_ok(
        Command::new(bin("raster-merge"))
            .current_dir(dir)
            .args(["-m", manifest, "--outputs", outputs, "-o", merged])
            .args(extra),
    );
}

fn check(dir: &Path, args: &[&str]) -> String {
    let report = run_ok(
        Command::new(python())
            .current_dir(dir)
            .arg(steps())
            .args(args),
    );
    let report = String::from_utf8_lossy(&report).to_string();
    assert!(report.starts_with("ok "), "{report}");
    eprintln!("{}", report.trim());
    report
}

fn images() -> tempfile::TempDir {
    require_tool("gdalinfo");
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        Command::new(python())
            .arg(steps())
            .arg("make")
            .arg(dir.path()),
    );
    dir
}

fn plan(dir: &Path, args: &[&str], manifest: &str) {
    let plan = run_ok(
        Command::new(bin("cog-windows"))
            .current_dir(dir)
            .args(["-q", "plan"])
            .args(args),
    );
    std::fs::write(dir.join(manifest), plan).unwrap();
}

#[test]
#[ignore = "needs rasterio, rio-cogeo and gdalinfo (.ci/run installs them)"]
fn ndvi_of_windows_equals_whole_image_ndvi() {
    let dir = images();
    let dir = dir.path();
    plan(
        dir,
        &[
            "red.tif",
            "nir.tif",
            "--window-px",
            "512x512",
            "--halo",
            "8",
        ],
        "windows.jsonl",
    );
    fanout(dir, "windows.jsonl", "ndvi", &[], &step_command("ndvi"));
    merge(dir, "windows.jsonl", "ndvi", "ndvi.tif", &[]);
    check(dir, &["check-ndvi", "red.tif", "nir.tif", "ndvi.tif"]);
    // ZSTD, nearest overviews and another tile size hold the same pixels.
    merge(
        dir,
        "windows.jsonl",
        "ndvi",
        "ndvi-zstd.tif",
        &[
            "--compress",
            "zstd",
            "--overviews",
            "nearest",
            "--tile-size",
            "256",
        ],
    );
    check(dir, &["check-ndvi", "red.tif", "nir.tif", "ndvi-zstd.tif"]);
}

#[test]
#[ignore = "needs rasterio, rio-cogeo and gdalinfo (.ci/run installs them)"]
fn focal_mean_of_windows_equals_whole_image_filter() {
    let dir = images();
    let dir = dir.path();
    // Windows not aligned to the source's 256-pixel tiles, a halo of 2 for a 3x3 kernel.
    plan(
        dir,
        &["dem.tif", "--window-px", "300x200", "--halo", "2"],
        "windows.jsonl",
    );
    fanout(dir, "windows.jsonl", "focal", &[], &step_command("focal"));
    merge(dir, "windows.jsonl", "focal", "focal.tif", &[]);
    check(dir, &["check-focal", "dem.tif", "focal.tif"]);

    // Without a halo, every window edge is a seam: the check must see it.
    plan(dir, &["dem.tif", "--window-px", "300x200"], "bare.jsonl");
    fanout(dir, "bare.jsonl", "bare", &[], &step_command("focal"));
    merge(dir, "bare.jsonl", "bare", "bare.tif", &[]);
    let seams = run_failing(Command::new(python()).current_dir(dir).arg(steps()).args([
        "check-focal",
        "dem.tif",
        "bare.tif",
    ]));
    assert!(
        String::from_utf8_lossy(&seams.stderr).contains("pixels differ"),
        "{}",
        String::from_utf8_lossy(&seams.stderr)
    );
}

#[test]
#[ignore = "needs laspy, rasterio, rio-cogeo and gdalinfo (.ci/run installs them)"]
fn gridded_lidar_tiles_equal_the_whole_cloud_grid() {
    let cloud = shared_data("lidar/pdal__las__autzen_trim.las");
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let grid = |buffer: &str, name: &str| {
        let manifest = run_ok(
            Command::new(bin("lidar-tile"))
                .current_dir(dir)
                .args(["-q", "split", "--chunks", "7", "--buffer", buffer])
                .arg(&cloud)
                .args(["--out-dir", &format!("{name}-tiles")]),
        );
        std::fs::write(dir.join(format!("{name}.jsonl")), manifest).unwrap();
        let command = format!(
            "{} < {name}-tiles/{{id}}.las",
            step_command("grid").join(" ")
        );
        fanout(
            dir,
            &format!("{name}.jsonl"),
            &format!("{name}-grids"),
            &["--no-stdin"],
            &["sh".into(), "-c".into(), command],
        );
        merge(
            dir,
            &format!("{name}.jsonl"),
            &format!("{name}-grids"),
            &format!("{name}.tif"),
            &["--tile-size", "256"],
        );
    };
    grid("2", "buffered");
    let report = run_ok(
        Command::new(python())
            .current_dir(dir)
            .arg(steps())
            .arg("check-grid")
            .arg(&cloud)
            .arg("buffered.tif"),
    );
    assert!(String::from_utf8_lossy(&report).starts_with("ok "));
    eprintln!("{}", String::from_utf8_lossy(&report).trim());

    // Without a buffer, cells cut by a tile edge miss their neighbours' points.
    grid("0", "bare");
    let seams = run_failing(
        Command::new(python())
            .current_dir(dir)
            .arg(steps())
            .arg("check-grid")
            .arg(&cloud)
            .arg("bare.tif"),
    );
    assert!(
        String::from_utf8_lossy(&seams.stderr).contains("cells differ"),
        "{}",
        String::from_utf8_lossy(&seams.stderr)
    );
}
