//! lidar-tile on the shared LAS/LAZ/COPC samples, checked by laspy (tests/peers/check_lidar.py):
//! tiles with and without buffer, LAS and LAZ output, buffers removed again; every input point
//! exactly once, headers, VLRs/EVLRs and withheld flags as they must be. Also: tiles through
//! fanout and over HTTP equal `lidar-tile cat`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, manifest, python, run_ok, shared_data, workspace_root, RangeServer};

/// The header's point count (LAS 1.4's 64-bit count when the legacy one is 0).
fn point_count(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    let legacy = u32::from_le_bytes(bytes[107..111].try_into().unwrap());
    if legacy == 0 && bytes[25] == 4 {
        u64::from_le_bytes(bytes[247..255].try_into().unwrap())
    } else {
        u64::from(legacy)
    }
}

/// Plans, writes and unbuffers the tiles of `inputs`, then lets laspy check them.
fn check(inputs: &[PathBuf], max_points: u64, buffer: &str, format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let plan = run_ok(
        Command::new(bin("lidar-tile"))
            .args(["-q", "plan"])
            .args(inputs)
            .args(["--max-points", &max_points.to_string(), "--buffer", buffer]),
    );
    let manifest_path = dir.path().join("tiles.jsonl");
    fs::write(&manifest_path, &plan).unwrap();
    let tiles = dir.path().join("tiles");
    let unbuffered = dir.path().join("unbuffered");
    fs::create_dir(&unbuffered).unwrap();
    run_ok(
        Command::new(bin("lidar-tile"))
            .arg("cat")
            .arg(&manifest_path)
            .arg("--out-dir")
            .arg(&tiles)
            .args(["--format", format]),
    );
    for (i, chunk) in manifest(&plan).into_iter().enumerate() {
        let name = format!("{}.{format}", chunk.id);
        run_ok(
            Command::new(bin("lidar-tile"))
                .args(["-q", "unbuffer"])
                .arg(tiles.join(&name))
                .arg("-o")
                .arg(unbuffered.join(&name)),
        );
        if i == 0 {
            // On stdout (written aside, then sent): the same file.
            let stdout = run_ok(
                Command::new(bin("lidar-tile"))
                    .args(["-q", "unbuffer"])
                    .arg(tiles.join(&name)),
            );
            assert!(
                stdout == fs::read(unbuffered.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
    let report = run_ok(
        Command::new(python())
            .arg(workspace_root().join("tests/peers/check_lidar.py"))
            .arg(&manifest_path)
            .arg(&tiles)
            .arg(&unbuffered)
            .args(inputs),
    );
    let report = String::from_utf8(report).unwrap().trim().to_string();
    assert!(report.starts_with("ok "), "{report}");
    report
}

#[test]
#[ignore = "needs laspy and lazrs (.ci/run installs them)"]
fn every_shared_file_tiles_exactly_by_laspy() {
    let dir = shared_data("lidar");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 40);
    for file in &files {
        let points = point_count(file);
        for (buffer, format) in [("0", "las"), ("2", "las"), ("2", "laz")] {
            let report = check(
                std::slice::from_ref(file),
                (points / 5).max(1),
                buffer,
                format,
            );
            eprintln!("{} buffer {buffer} {format}: {report}", file.display());
        }
    }
}

#[test]
#[ignore = "needs laspy and lazrs (.ci/run installs them)"]
fn two_files_as_one_cloud_keep_their_withheld_points() {
    let inputs = [
        shared_data("lidar/cloudbutton-buffered-tile__lasfile-0000.las"),
        shared_data("lidar/cloudbutton-buffered-tile__lasfile-0001.las"),
    ];
    let report = check(&inputs, 8000, "5", "laz");
    // These CloudButton tiles carry withheld points of their own; they must survive.
    let withheld: u64 = report
        .split(", ")
        .find_map(|part| part.strip_suffix(" withheld in input"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(withheld > 0, "{report}");
}

#[test]
fn tiles_through_fanout_and_http_equal_cat() {
    let dir = tempfile::tempdir().unwrap();
    let source = shared_data("lidar/pdal__laz__autzen_trim.laz");
    fs::copy(&source, dir.path().join("autzen.laz")).unwrap();
    let server = RangeServer::start(dir.path(), true);

    let local = run_ok(
        Command::new(bin("lidar-tile"))
            .current_dir(dir.path())
            .args([
                "-q",
                "plan",
                "autzen.laz",
                "--max-points",
                "30000",
                "--buffer",
                "5",
            ]),
    );
    let remote = run_ok(Command::new(bin("lidar-tile")).args([
        "-q",
        "plan",
        &server.url("autzen.laz"),
        "--max-points",
        "30000",
        "--buffer",
        "5",
    ]));
    fs::write(dir.path().join("local.jsonl"), &local).unwrap();
    fs::write(dir.path().join("remote.jsonl"), &remote).unwrap();
    let chunks = manifest(&local);
    assert_eq!(chunks.len(), 4);
    assert_eq!(manifest(&remote).len(), 4);

    // Without --format, tiles take the plan's format (the input's): LAZ here.
    run_ok(
        Command::new(bin("lidar-tile"))
            .current_dir(dir.path())
            .args(["cat", "local.jsonl", "--out-dir", "tiles"]),
    );
    for chunk in &chunks {
        let tile = fs::read(dir.path().join("tiles").join(format!("{}.laz", chunk.id))).unwrap();
        assert_eq!(tile[104] & 0x80, 0x80, "{} is LAZ", chunk.id);
    }
    run_ok(Command::new(bin("fanout")).current_dir(dir.path()).args([
        "-q",
        "-m",
        "local.jsonl",
        "--out-dir",
        "sums",
        "--",
        "sha256sum",
    ]));
    for (i, chunk) in chunks.iter().enumerate() {
        let cat = |manifest: &str| {
            run_ok(
                Command::new(bin("lidar-tile"))
                    .current_dir(dir.path())
                    .args(["cat", manifest, "--seq", &i.to_string()]),
            )
        };
        let tile = cat("local.jsonl");
        assert_eq!(tile, cat("remote.jsonl"), "tile {i} over HTTP");
        assert_eq!(&tile[..4], b"LASF");
        let path = dir.path().join("tile.laz");
        fs::write(&path, &tile).unwrap();
        let sum = run_ok(Command::new("sha256sum").arg(&path));
        let expected = String::from_utf8(sum).unwrap();
        let got =
            fs::read_to_string(dir.path().join("sums").join(format!("{}.out", chunk.id))).unwrap();
        assert_eq!(
            got.split_whitespace().next(),
            expected.split_whitespace().next(),
            "{}",
            chunk.id
        );
    }
}
