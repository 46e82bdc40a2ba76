//! The tools on `s3://` sources, against a local S3 server (`.ci/run` starts ministack and
//! sets `AWS_ENDPOINT_URL`): plans and chunks equal those of the same files on disk.

use std::fs;
use std::process::Command;

use chunkwise_tests::s3::{get, run_prefix, upload};
use chunkwise_tests::{bin, make_cogs, run_ok, shared_data};

/// Runs `tool plan ARGS` on a URL, then `tool cat` on the manifest; returns both outputs.
fn plan_and_cat(tool: &str, plan_args: &[&str]) -> (String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let plan = run_ok(Command::new(bin(tool)).arg("plan").args(plan_args));
    let manifest = dir.path().join("chunks.jsonl");
    fs::write(&manifest, &plan).unwrap();
    (
        String::from_utf8(plan).unwrap(),
        run_ok(Command::new(bin(tool)).arg("cat").arg(&manifest)),
    )
}

#[test]
#[ignore = "needs a local S3 server and ../shared/data; .ci/run provides both"]
fn fastq_chunks_from_s3_equal_local_ones() {
    let local = shared_data("fastq/htslib__fastqs.fq");
    upload(
        "chunkwise-interop",
        "reads/htslib__fastqs.fq",
        fs::read(&local).unwrap(),
    );
    let url = "s3://chunkwise-interop/reads/htslib__fastqs.fq";
    let (remote_plan, remote) = plan_and_cat("fastq-split", &[url, "--chunks", "4"]);
    let (local_plan, rebuilt) =
        plan_and_cat("fastq-split", &[local.to_str().unwrap(), "--chunks", "4"]);
    assert_eq!(
        remote_plan.replace(url, "X"),
        local_plan.replace(local.to_str().unwrap(), "X")
    );
    assert!(remote == rebuilt && remote == fs::read(&local).unwrap());
}

#[test]
#[ignore = "needs a local S3 server and ../shared/data; .ci/run provides both"]
fn fasta_chunks_from_s3_equal_local_ones() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("ce.fa");
    fs::copy(shared_data("fasta/htslib__ce.fa"), &local).unwrap();
    let key = format!("{}/ce.fa", run_prefix());
    upload("chunkwise-interop", &key, fs::read(&local).unwrap());
    let url = &format!("s3://chunkwise-interop/{key}");
    // No ce.fa.fai in the bucket: the plan indexes the object (ranged, streaming); the
    // local plan writes ce.fa.fai beside its input.
    let (remote_plan, remote) = plan_and_cat("fasta-split", &[url, "--chunks", "5"]);
    let (local_plan, rebuilt) =
        plan_and_cat("fasta-split", &[local.to_str().unwrap(), "--chunks", "5"]);
    assert_eq!(
        remote_plan.replace(url, "X"),
        local_plan.replace(local.to_str().unwrap(), "X")
    );
    assert!(remote == rebuilt);

    // With an index uploaded beside it, the plan uses it: a telltale name shows it was read.
    let fai = fs::read_to_string(format!("{}.fai", local.display())).unwrap();
    upload(
        "chunkwise-interop",
        &format!("{key}.fai"),
        fai.replacen("CHROMOSOME_I\t", "chrI_from_index\t", 1)
            .into_bytes(),
    );
    let (plan, _) = plan_and_cat("fasta-split", &[url, "--chunks", "5"]);
    assert!(plan.contains("chrI_from_index"), "{plan}");
    let index = run_ok(Command::new(bin("fasta-split")).args(["index", url, "-o", "-"]));
    assert_eq!(String::from_utf8(index).unwrap(), fai);
}

#[test]
#[ignore = "needs a local S3 server and ../shared/data; .ci/run provides both"]
fn gzip_fastq_chunks_from_s3_equal_zcat() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("reads_1.fq.gz");
    fs::copy(shared_data("fastq/seqkit__reads_1.fq.gz"), &local).unwrap();
    let expected = run_ok(Command::new("zcat").arg(&local));
    let key = format!("{}/reads_1.fq.gz", run_prefix());
    upload("chunkwise-interop", &key, fs::read(&local).unwrap());
    let url = &format!("s3://chunkwise-interop/{key}");

    // The index is built from the object and kept where --index says.
    let index = dir.path().join("reads_1.cwi");
    let index_arg = index.to_str().unwrap();
    let (plan, rebuilt) = plan_and_cat(
        "fastq-split",
        &[url, "--chunks", "3", "--span", "1k", "--index", index_arg],
    );
    assert!(rebuilt == expected);
    assert!(plan.lines().count() >= 2, "{plan}");

    // An index uploaded beside the object is found and used (no local copy needed).
    upload(
        "chunkwise-interop",
        &format!("{key}.cwi"),
        fs::read(&index).unwrap(),
    );
    fs::remove_file(&index).unwrap();
    let (again, rebuilt) = plan_and_cat("fastq-split", &[url, "--chunks", "3"]);
    assert_eq!(again, plan);
    assert!(rebuilt == expected);
}

#[test]
#[ignore = "needs a local S3 server and ../shared/data; .ci/run provides both"]
fn outputs_go_to_s3_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("s3://chunkwise-interop/{}", run_prefix());

    // fastq-split index -o s3://..., then a plan that finds it there.
    let local = dir.path().join("reads_2.fq.gz");
    fs::copy(shared_data("fastq/seqkit__reads_2.fq.gz"), &local).unwrap();
    let key = format!("{prefix}/reads_2.fq.gz");
    upload(
        "chunkwise-interop",
        key.strip_prefix("s3://chunkwise-interop/").unwrap(),
        fs::read(&local).unwrap(),
    );
    run_ok(Command::new(bin("fastq-split")).args(["index", &key, "--span", "1k"]));
    let (plan, rebuilt) = plan_and_cat("fastq-split", &[&key, "--chunks", "3"]);
    assert!(
        plan.lines().count() >= 2,
        "the 1k-span index uploaded beside the object was used: {plan}"
    );
    assert!(rebuilt == run_ok(Command::new("zcat").arg(&local)));

    // fanout --out-dir s3://prefix/: outputs of successful chunks appear, a failed one does not.
    let manifest = dir.path().join("chunks.jsonl");
    fs::write(&manifest, plan).unwrap();
    let out = format!("{prefix}/out/");
    let output = Command::new(bin("fanout"))
        .args(["-q", "--suffix", ".fq", "--out-dir", &out, "-m"])
        .arg(&manifest)
        .args(["--", "sh", "-c", "cat; [ {seq} != 1 ]"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let exists = |name: &str| partition_core::output::exists(&format!("{out}{name}")).unwrap();
    assert!(exists("reads_2-0.fq") && exists("reads_2-0.err"));
    assert!(
        !exists("reads_2-1.fq"),
        "a failed chunk leaves no output object"
    );
    let first = partition_core::Source::open(&format!("{out}reads_2-0.fq")).unwrap();
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut first.reader().unwrap(), &mut text).unwrap();
    assert!(
        text.starts_with(b"@"),
        "{}",
        String::from_utf8_lossy(&text[..text.len().min(80)])
    );
}

#[test]
#[ignore = "needs a local S3 server, gdal_translate and rasterio; .ci/run provides them"]
fn cog_windows_from_s3_equal_local_ones() {
    let dir = make_cogs();
    let local = dir.path().join("deflate_pred2.tif");
    let key = format!("{}/deflate_pred2.tif", run_prefix());
    upload("chunkwise-interop", &key, fs::read(&local).unwrap());
    let url = format!("s3://chunkwise-interop/{key}");
    let remote = run_ok(Command::new(bin("cog-windows")).args(["plan", &url, "--window", "2x2"]));
    let here = run_ok(
        Command::new(bin("cog-windows"))
            .arg("plan")
            .arg(&local)
            .args(["--window", "2x2"]),
    );
    assert_eq!(
        String::from_utf8(remote.clone())
            .unwrap()
            .replace(&url, "X"),
        String::from_utf8(here.clone())
            .unwrap()
            .replace(local.to_str().unwrap(), "X")
    );
    let (m1, m2) = (
        dir.path().join("remote.jsonl"),
        dir.path().join("local.jsonl"),
    );
    fs::write(&m1, remote).unwrap();
    fs::write(&m2, here).unwrap();
    let cat = |manifest: &std::path::Path| {
        run_ok(
            Command::new(bin("cog-windows"))
                .args(["cat", "--raw"])
                .arg(manifest),
        )
    };
    assert!(cat(&m1) == cat(&m2));
}

#[test]
#[ignore = "needs a local S3 server and ../shared/data; .ci/run provides both"]
fn lidar_tiles_from_s3_equal_local_ones() {
    let prefix = run_prefix();
    for (n, inputs) in [
        &["lidar/laspy__simple_with_page.copc.laz"][..],
        &["lidar/laspy__1_4_w_evlr.laz"][..],
        &[
            "lidar/cloudbutton-buffered-tile__lasfile-0000.las",
            "lidar/cloudbutton-buffered-tile__lasfile-0001.las",
        ][..],
    ]
    .into_iter()
    .enumerate()
    {
        let mut urls = Vec::new();
        let mut paths = Vec::new();
        for input in inputs {
            let local = shared_data(input);
            let key = format!("{prefix}/{}", local.file_name().unwrap().to_string_lossy());
            upload("chunkwise-interop", &key, fs::read(&local).unwrap());
            urls.push(format!("s3://chunkwise-interop/{key}"));
            paths.push(local.to_str().unwrap().to_string());
        }
        let plan_args = |sources: &[String]| {
            let mut args: Vec<String> = sources.to_vec();
            args.extend(["--max-points", "400", "--buffer", "3"].map(String::from));
            args
        };
        let remote_args = plan_args(&urls);
        let local_args = plan_args(&paths);
        let remote_plan = run_ok(
            Command::new(bin("lidar-tile"))
                .arg("plan")
                .args(&remote_args),
        );
        let here = run_ok(
            Command::new(bin("lidar-tile"))
                .arg("plan")
                .args(&local_args),
        );
        let mut remote = String::from_utf8(remote_plan.clone()).unwrap();
        for (url, path) in urls.iter().zip(&paths) {
            remote = remote.replace(url.as_str(), path);
        }
        assert_eq!(
            remote,
            String::from_utf8(here.clone()).unwrap(),
            "{inputs:?}"
        );
        assert!(
            here.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
                > 1
        );

        // The tiles written from S3 equal those written from disk, byte for byte.
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("tiles.jsonl");
        for (plan, out) in [(&remote_plan, "remote"), (&here, "local")] {
            fs::write(&manifest, plan).unwrap();
            run_ok(
                Command::new(bin("lidar-tile"))
                    .args(["-q", "cat"])
                    .arg(&manifest)
                    .arg("--out-dir")
                    .arg(dir.path().join(out)),
            );
        }
        let mut names: Vec<_> = fs::read_dir(dir.path().join("local"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert!(!names.is_empty());
        for name in &names {
            assert!(
                fs::read(dir.path().join("remote").join(name)).unwrap()
                    == fs::read(dir.path().join("local").join(name)).unwrap(),
                "{inputs:?} {name:?}"
            );
        }

        // `split` into an S3 prefix (each tile written aside, then uploaded) gives the same
        // objects.
        let out = format!("{prefix}/split-{n}");
        run_ok(
            Command::new(bin("lidar-tile"))
                .args(["-q", "split"])
                .args(&local_args)
                .arg("--out-dir")
                .arg(format!("s3://chunkwise-interop/{out}/")),
        );
        for name in &names {
            let key = format!("{out}/{}", name.to_string_lossy());
            assert!(
                get("chunkwise-interop", &key)
                    == Some(fs::read(dir.path().join("local").join(name)).unwrap()),
                "{inputs:?} {key}"
            );
        }
    }
}

#[test]
#[ignore = "needs a local S3 server, gdal_translate and rasterio; .ci/run provides them"]
fn raster_merge_reads_and_writes_s3_as_local_paths() {
    let dir = make_cogs();
    let manifest = dir.path().join("windows.jsonl");
    let plan = run_ok(
        Command::new(bin("cog-windows"))
            .args(["plan", "--window-px", "100x90", "--halo", "4"])
            .arg(dir.path().join("zstd_float.tif")),
    );
    fs::write(&manifest, plan).unwrap();
    let outputs = dir.path().join("windows");
    run_ok(
        Command::new(bin("cog-windows"))
            .arg("cat")
            .arg(&manifest)
            .arg("--out-dir")
            .arg(&outputs),
    );
    let prefix = format!("{}/windows", run_prefix());
    for entry in fs::read_dir(&outputs).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        upload(
            "chunkwise-interop",
            &format!("{prefix}/{name}"),
            fs::read(&path).unwrap(),
        );
    }
    let local = dir.path().join("merged.tif");
    run_ok(
        Command::new(bin("raster-merge"))
            .arg("-m")
            .arg(&manifest)
            .arg("--outputs")
            .arg(&outputs)
            .arg("-o")
            .arg(&local),
    );
    let merged_key = format!("{}/merged.tif", run_prefix());
    run_ok(
        Command::new(bin("raster-merge"))
            .arg("-m")
            .arg(&manifest)
            .args(["--outputs", &format!("s3://chunkwise-interop/{prefix}/")])
            .args(["-o", &format!("s3://chunkwise-interop/{merged_key}")]),
    );
    let remote = get("chunkwise-interop", &merged_key).expect("the merged COG was uploaded");
    assert!(remote == fs::read(&local).unwrap(), "the same bytes");
}
