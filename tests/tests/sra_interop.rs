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

/// FASTQ records (4 lines each) of a text.
fn records(text: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    lines.chunks(4).map(|record| record.join("\n")).collect()
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn paired_run_interleaves_what_split_files_writes() {
    require_tool("fastq-dump");
    let run = shared_data("sra/2spots.sra");
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("fastq-dump")
            .args(["--split-files", "-O"])
            .arg(dir.path())
            .arg(&run),
    );
    let mates: Vec<Vec<String>> = ["2spots_1.fastq", "2spots_2.fastq"]
        .iter()
        .filter_map(|name| fs::read(dir.path().join(name)).ok())
        .map(|text| records(&text))
        .collect();
    assert!(!mates.is_empty());
    let mut interleaved = Vec::new();
    for spot in 0..mates[0].len() {
        for mate in &mates {
            interleaved.push(mate[spot].clone());
        }
    }
    let (count, dumped) = split_and_dump(&run, &["--chunks", "5", "--paired"]);
    assert_eq!(count, 2, "more chunks than spots: one per spot, none empty");
    assert_eq!(records(&dumped), interleaved);
}

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn several_runs_make_one_manifest() {
    require_tool("vdb-dump");
    let (a, b) = (
        shared_data("sra/SRR139146.sra"),
        shared_data("sra/SRR2042184.sra"),
    );
    let plan = run_ok(
        Command::new(bin("sra-split"))
            .arg("plan")
            .arg(&a)
            .arg(&b)
            .args(["--spots-per-chunk", "1000"]),
    );
    let chunks = manifest(&plan);
    assert_eq!(chunks.len(), 4 + 2);
    for (seq, chunk) in chunks.iter().enumerate() {
        assert_eq!((chunk.seq, chunk.total), (seq as u64, 6));
    }
    assert_eq!(chunks[4].id, "SRR2042184-0");
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

#[test]
#[ignore = "needs sra-tools and ../shared/data"]
fn fanout_dumps_sra_chunks_into_the_command() {
    require_tool("fastq-dump");
    let run = shared_data("sra/SRR139146.sra");
    let dir = tempfile::tempdir().unwrap();
    let plan = run_ok(
        Command::new(bin("sra-split"))
            .arg("plan")
            .arg(&run)
            .args(["--chunks", "3"]),
    );
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, plan).unwrap();
    let counts = run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "--keep-order", "-m"])
            .arg(&manifest_path)
            .args(["--", "wc", "-l"]),
    );
    let lines: u64 = String::from_utf8(counts)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(lines, 3896 * 4);
}
