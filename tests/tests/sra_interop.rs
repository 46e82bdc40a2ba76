//! sra-split against fastq-dump on the shared runs: the chunks, dumped and concatenated,
//! equal one fastq-dump of the whole run.

use std::fs;
use std::path::Path;
use std::process::Command;

use chunkwise_tests::{bin, manifest, require_tool, run_failing, run_ok, shared_data};

fn whole_run(folder: &Path, file: &str, extra: &[&str]) -> Vec<u8> {
    run_ok(
        Command::new("fastq-dump")
            .args(extra)
            .args(["--stdout", file])
            .current_dir(folder),
    )
}

fn split_and_dump(run: &Path, options: &[&str]) -> (usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let plan = run_ok(
        Command::new(bin("sra-split"))
            .arg("plan")
            .arg(run)
            .args(options),
    );
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, &plan).unwrap();
    let dumped = run_ok(
        Command::new(bin("sra-split"))
            .arg("cat")
            .arg(&manifest_path),
    );
    (manifest(&plan).len(), dumped)
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn chunks_concatenate_to_one_fastq_dump() {
    require_tool("fastq-dump");
    for (name, spots) in [
        ("SRR139146", 3896),
        ("SRR053990", 2690),
        ("SRR2042184", 1302),
    ] {
        let run = shared_data(&format!("sra/{name}.sra"));
        let expected = whole_run(run.parent().unwrap(), &format!("{name}.sra"), &[]);
        for chunks in [1, 3, 7, 64] {
            let (count, dumped) = split_and_dump(&run, &["--chunks", &chunks.to_string()]);
            // B = ceil(N / chunks) spots each, so ceil(N / B) chunks: at most the number asked.
            let per_chunk = (spots as u64).div_ceil(chunks);
            assert_eq!(count as u64, (spots as u64).div_ceil(per_chunk), "{name}");
            assert!(
                dumped == expected,
                "{name} in {chunks} chunks differs from fastq-dump"
            );
        }
        let (count, dumped) = split_and_dump(&run, &["--spots-per-chunk", "1000"]);
        assert_eq!(count as u64, (spots as u64).div_ceil(1000));
        assert!(dumped == expected);
    }
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn paired_run_matches_split_spot_and_has_no_empty_chunks() {
    require_tool("fastq-dump");
    let run = shared_data("sra/2spots.sra");
    let expected = whole_run(
        run.parent().unwrap(),
        "2spots.sra",
        &["--split-spot", "--skip-technical"],
    );
    let (count, dumped) = split_and_dump(&run, &["--chunks", "5", "--paired"]);
    assert_eq!(count, 2, "more chunks than spots: one per spot, none empty");
    assert!(dumped == expected);
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn aligned_run_works_beside_its_reference_and_names_it_when_missing() {
    require_tool("fastq-dump");
    let folder = shared_data("sra/cSRA-SRR6650398");
    let expected = whole_run(&folder, "SRR6650398.sra", &[]);
    let (_, dumped) = split_and_dump(&folder, &["--chunks", "3"]);
    assert!(dumped == expected);

    let lonely = tempfile::tempdir().unwrap();
    fs::copy(
        folder.join("SRR6650398.sra"),
        lonely.path().join("SRR6650398.sra"),
    )
    .unwrap();
    let plan = run_ok(
        Command::new(bin("sra-split"))
            .arg("plan")
            .arg(lonely.path())
            .args(["--chunks", "2"]),
    );
    let manifest_path = lonely.path().join("chunks.jsonl");
    fs::write(&manifest_path, plan).unwrap();
    let output = run_failing(
        Command::new(bin("sra-split"))
            .arg("cat")
            .arg(&manifest_path),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("needs its reference object NC_000962.3"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn a_run_shorter_than_planned_is_an_error() {
    require_tool("fastq-dump");
    let dir = tempfile::tempdir().unwrap();
    let run = shared_data("sra/SRR2042184.sra");
    // Plan as if the run had more spots than it has (a wrong file, a truncated download).
    let plan = run_ok(Command::new(bin("sra-split")).args([
        "plan",
        "SRR2042184",
        "--spots",
        "1400",
        "--spots-per-chunk",
        "1000",
    ]));
    let text = String::from_utf8(plan).unwrap().replace(
        "\"url\":\"SRR2042184\"",
        &format!("\"url\":{:?}", run.display().to_string()),
    );
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, text).unwrap();
    let output = run_failing(
        Command::new(bin("sra-split"))
            .args(["cat", "--seq", "1"])
            .arg(&manifest_path),
    );
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "fastq-dump wrote 302 spots for chunk SRR2042184-1 (spots 1001-1400), expected 400"
        ),
        "{stderr}"
    );
}
