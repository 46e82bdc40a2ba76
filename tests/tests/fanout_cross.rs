//! `fanout --cross`: one task per (read chunk, reference part) pair, locally; the Lambda and
//! Slurm runs of pairs are in `fanout_lambda.rs` and `fanout_slurm.rs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, joblog_rows, manifest, planned_parts, run_failing, run_ok};
use test_support::Reads;

/// reads.fq in 3 chunks and a reference in 2 parts: (reads manifest, parts manifest).
fn planned(dir: &Path) -> (PathBuf, PathBuf) {
    let reads = dir.join("reads.fq");
    fs::write(&reads, Reads::new(30).text()).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&reads)
            .args(["--chunks", "3"]),
    );
    let reads_manifest = dir.join("reads.jsonl");
    fs::write(&reads_manifest, plan).unwrap();
    let parts_manifest = planned_parts(dir, &test_support::fasta(3), 2);
    (reads_manifest, parts_manifest)
}

#[test]
fn every_read_chunk_meets_every_part_with_retries_joblog_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (reads, parts) = planned(dir.path());
    let read_chunks = manifest(&fs::read(&reads).unwrap());
    let part_chunks = manifest(&fs::read(&parts).unwrap());
    assert_eq!((read_chunks.len(), part_chunks.len()), (3, 2));

    // The pair (reads-1, part 1) fails on its first attempt only.
    let marker = dir.path().join("failed-once");
    let script = format!(
        "if [ \"$CHUNK_ID\" = {}.{} ] && [ ! -e {m} ]; then touch {m}; exit 4; fi; \
         echo \"$CROSS_ID {{cross.id}} {{cross.seq}}/{{cross.total}} {{id}} {{seq}}/{{total}}\"; \
         echo \"$CROSS_JSON\" | grep -c '\"kind\":\"fasta\"'; wc -l",
        read_chunks[1].id,
        part_chunks[1].id,
        m = marker.display()
    );
    let out = dir.path().join("out");
    let joblog = dir.path().join("run.tsv");
    let run = || {
        let mut command = Command::new(bin("fanout"));
        command
            .args(["-q", "-j", "3", "--retries", "1", "--retry-delay", "10ms"])
            .arg("-m")
            .arg(&reads)
            .arg("--cross")
            .arg(&parts)
            .arg("--out-dir")
            .arg(&out)
            .args(["--suffix", ".txt", "--joblog"])
            .arg(&joblog);
        command
    };
    run_ok(run().args(["--", "sh", "-c", &script]));
    for (r, read) in read_chunks.iter().enumerate() {
        for (p, part) in part_chunks.iter().enumerate() {
            let pair = format!("{}.{}", read.id, part.id);
            let text = fs::read_to_string(out.join(format!("{pair}.txt"))).unwrap();
            let seq = r * 2 + p;
            let chunk = run_ok(
                Command::new(bin("fastq-split"))
                    .arg("cat")
                    .arg(&reads)
                    .args(["--id", &read.id]),
            );
            let expected_lines = chunk.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(
                text,
                format!(
                    "{0} {0} {p}/2 {pair} {seq}/6\n1\n{expected_lines}\n",
                    part.id
                ),
                "pair {pair}"
            );
        }
    }
    let rows = joblog_rows(&joblog);
    assert_eq!(rows.len(), 7, "six pairs, one retried: {rows:?}");
    let failed = format!("{}.{}", read_chunks[1].id, part_chunks[1].id);
    let attempts: Vec<&Vec<String>> = rows.iter().filter(|row| row[0] == failed).collect();
    assert_eq!(attempts.len(), 2, "{rows:?}");

    // Resume: every pair done, nothing runs.
    let resumed = run().args(["--resume", "--", "false"]).output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(joblog_rows(&joblog).len(), 7);

    // Keep-order on stdout: pairs in chunk-major order.
    let ordered = run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "-j", "4", "--keep-order", "-m"])
            .arg(&reads)
            .arg("--cross")
            .arg(&parts)
            .args(["--", "sh", "-c", "echo {id}"]),
    );
    let expected: String = read_chunks
        .iter()
        .flat_map(|read| {
            part_chunks
                .iter()
                .map(move |part| format!("{}.{}\n", read.id, part.id))
        })
        .collect();
    assert_eq!(String::from_utf8(ordered).unwrap(), expected);

    // Dry run lists pairs; a manifest of pairs cannot be crossed again.
    let dry = run_ok(
        Command::new(bin("fanout"))
            .args(["--dry-run", "-m"])
            .arg(&reads)
            .arg("--cross")
            .arg(&parts)
            .args(["--", "bwa", "mem", "idx/{cross.id}.fa", "-"]),
    );
    let dry = String::from_utf8(dry).unwrap();
    assert_eq!(dry.lines().count(), 6);
    assert!(
        dry.lines()
            .next()
            .unwrap()
            .ends_with(&format!("bwa mem idx/{}.fa -", part_chunks[0].id)),
        "{dry}"
    );
    let both_stdin =
        run_failing(Command::new(bin("fanout")).args(["-m", "-", "--cross", "-", "--", "true"]));
    assert_eq!(both_stdin.status.code(), Some(2));
}
