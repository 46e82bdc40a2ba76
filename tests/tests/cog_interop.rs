//! cog-windows against GDAL and rasterio: COGs made by `gdal_translate -of COG` in several
//! layouts; every tile's range equals GDAL's BLOCK_OFFSET/BLOCK_SIZE, every window's transform
//! and CRS equal rasterio's, every window read equals rasterio's read (tests/peers/*.py).

use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, make_cogs, python, run_failing, run_ok, workspace_root};

fn peer(script: &str) -> PathBuf {
    workspace_root().join("tests/peers").join(script)
}

fn check(cog: &Path, plan_args: &[&str], dir: &Path) {
    check_inputs(&[cog], plan_args, dir);
}

fn check_inputs(cogs: &[&Path], plan_args: &[&str], dir: &Path) {
    let plan = run_ok(
        Command::new(bin("cog-windows"))
            .arg("plan")
            .args(cogs)
            .args(plan_args),
    );
    let manifest = dir.join(format!(
        "{}.jsonl",
        cogs[0].file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(&manifest, plan).unwrap();
    let report = run_ok(
        Command::new(python())
            .arg(peer("check_cog.py"))
            .arg(&manifest)
            .arg(bin("cog-windows")),
    );
    assert!(
        String::from_utf8_lossy(&report).starts_with("ok "),
        "{}",
        String::from_utf8_lossy(&report)
    );
}

#[test]
#[ignore = "needs gdal_translate and rasterio (.ci/run installs them)"]
fn windows_equal_gdal_and_rasterio() {
    let dir = make_cogs();
    for name in [
        "deflate_pred2",
        "lzw_rgb",
        "zstd_float",
        "zstd_float_bands",
        "bigtiff_int16",
        "sparse",
        "plain_float64",
        "masked",
        "jpeg_rgb",
        "custom_crs",
    ] {
        let cog = dir.path().join(format!("{name}.tif"));
        check(&cog, &["--window", "2x2"], dir.path());
        check(
            &cog,
            &["--window-px", "300x200", "--halo", "7", "--merge-gap", "16"],
            dir.path(),
        );
    }
    // Every CRS without an EPSG code that make_cogs.py writes: the manifest's WKT is the same
    // CRS for rasterio.
    let mut custom_crs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("crs_") && !name.ends_with(".src.tif")
        })
        .collect();
    custom_crs.sort();
    assert_eq!(custom_crs.len(), 20, "{custom_crs:?}");
    for cog in &custom_crs {
        check(cog, &["--window", "1x1"], dir.path());
    }
    let cog = dir.path().join("deflate_pred2.tif");
    // Several inputs on one grid: every window lists each one's tiles; another grid is refused.
    let same_grid = dir.path().join("same_grid_lzw.tif");
    check_inputs(
        &[&cog, &same_grid],
        &["--window-px", "300x300", "--halo", "2"],
        dir.path(),
    );
    let other = run_failing(
        Command::new(bin("cog-windows"))
            .arg("plan")
            .arg(&cog)
            .arg(dir.path().join("lzw_rgb.tif")),
    );
    assert_eq!(other.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("is not on the grid of")
            && stderr.contains("size 700x500 against 1100x900"),
        "{stderr}"
    );
    check(&cog, &["--overview", "1", "--window", "1x1"], dir.path());

    // A tiled GeoTIFF that is not a COG (offset arrays far past the header) works, with a warning.
    let plain = dir.path().join("not_cog.tif");
    run_ok(
        Command::new("gdal_translate")
            .args([
                "-q",
                "-of",
                "GTiff",
                "-outsize",
                "2000",
                "2000",
                "-co",
                "TILED=YES",
                "-co",
                "BLOCKXSIZE=16",
                "-co",
                "BLOCKYSIZE=16",
            ])
            .arg(&cog)
            .arg(&plain),
    );
    let output = Command::new(bin("cog-windows"))
        .arg("plan")
        .arg(&plain)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a cloud-optimized layout"));
    check(&plain, &["--window", "40x40"], dir.path());
    check(
        &cog,
        &["--overview", "2", "--window-px", "100x100", "--halo", "3"],
        dir.path(),
    );
}

#[test]
#[ignore = "needs gdal_translate and rasterio (.ci/run installs them)"]
fn fanout_feeds_windows_to_the_command() {
    let dir = make_cogs();
    let cog = dir.path().join("zstd_float.tif");
    let plan = run_ok(
        Command::new(bin("cog-windows"))
            .arg("plan")
            .arg(&cog)
            .args(["--window", "1x1"]),
    );
    let manifest = dir.path().join("windows.jsonl");
    std::fs::write(&manifest, &plan).unwrap();
    let sizes = run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "--keep-order", "-m"])
            .arg(&manifest)
            .args(["--", "wc", "-c"]),
    );
    // Each command got the window's GeoTIFF, as `cog-windows cat` writes it.
    let expected: Vec<u64> = (0..chunkwise_tests::manifest(&plan).len())
        .map(|seq| {
            run_ok(
                Command::new(bin("cog-windows"))
                    .arg("cat")
                    .arg(&manifest)
                    .args(["--seq", &seq.to_string()]),
            )
            .len() as u64
        })
        .collect();
    let sizes: Vec<u64> = String::from_utf8(sizes)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(sizes, expected);
}

#[test]
#[ignore = "needs gdal_translate and rasterio (.ci/run installs them)"]
fn windows_read_over_http_and_https_equal_local_ones() {
    let dir = make_cogs();
    let servers = [
        chunkwise_tests::RangeServer::start(dir.path(), true),
        chunkwise_tests::RangeServer::start_https(dir.path()),
    ];
    for (server, name) in servers
        .iter()
        .flat_map(|server| ["deflate_pred2.tif", "sparse.tif"].map(|name| (server, name)))
    {
        let tool = || {
            let mut command = Command::new(bin("cog-windows"));
            if server.url("").starts_with("https") {
                command.env("SSL_CERT_FILE", server.authority());
            }
            command
        };
        let local = dir.path().join(name);
        let plan_local = run_ok(tool().arg("plan").arg(&local).args(["--window", "2x2"]));
        let url = server.url(name);
        let plan_remote = run_ok(tool().args(["plan", &url, "--window", "2x2"]));
        let (a, b) = (
            chunkwise_tests::manifest(&plan_local),
            chunkwise_tests::manifest(&plan_remote),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                x.sources[0].ranges, y.sources[0].ranges,
                "{url}: the same tile ranges"
            );
        }
        let (m_local, m_remote) = (
            dir.path().join("local.jsonl"),
            dir.path().join("remote.jsonl"),
        );
        std::fs::write(&m_local, plan_local).unwrap();
        std::fs::write(&m_remote, plan_remote).unwrap();
        let cat = |manifest: &Path| run_ok(tool().args(["cat", "--raw"]).arg(manifest));
        assert!(
            cat(&m_local) == cat(&m_remote),
            "{url}: windows differ from local ones"
        );
    }
}
