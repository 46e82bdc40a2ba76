//! `fanout --backend slurm` on a real one-node Slurm cluster (`.ci/slurm` starts munge,
//! slurmctld and slurmd in a private network namespace and `.ci/run` names it in
//! `CHUNKWISE_SLURM_NETNS`; on a real submit host, leave it unset).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chunkwise_tests::{bin, joblog_rows, local_cross, manifest, planned_parts, run_ok, RESULT};

/// A command that reaches the cluster.
fn on_cluster(program: impl AsRef<OsStr>) -> Command {
    match std::env::var("CHUNKWISE_SLURM_NETNS") {
        Ok(name) => {
            let mut command = Command::new("nsenter");
            command.arg(format!("--net=/run/netns/{name}")).arg(program);
            command
        }
        Err(_) => Command::new(program),
    }
}

fn slurm_run(manifest: &Path, out: &Path) -> Command {
    let mut command = on_cluster(bin("fanout"));
    command
        .args(["--backend", "slurm", "--out-dir"])
        .arg(out)
        .arg("-m")
        .arg(manifest);
    command
}

/// The local backend's outputs of `sha256sum` per chunk, in DIR/local: what Slurm must give.
fn local_sha256sums(dir: &Path, manifest: &Path) -> std::path::PathBuf {
    let local = dir.join("local");
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "--out-dir"])
            .arg(&local)
            .arg("-m")
            .arg(manifest)
            .args(["--", "sha256sum"]),
    );
    local
}

/// A FASTQ.gz of 80,000 reads indexed at a 256 KiB span and planned in at least 50 chunks.
fn planned_fastq_gz(dir: &Path) -> (std::path::PathBuf, Vec<partition_core::Chunk>) {
    let text = test_support::Reads::new(80_000).length(150..=150).bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&text).unwrap();
    let reads = dir.join("reads.fq.gz");
    fs::write(&reads, gz.finish().unwrap()).unwrap();
    run_ok(
        Command::new(bin("fastq-split"))
            .arg("index")
            .arg(&reads)
            .args(["--span", "256KiB"]),
    );
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&reads)
            .args(["--chunks", "60"]),
    );
    let path = dir.join("chunks.jsonl");
    fs::write(&path, &plan).unwrap();
    (path, manifest(&plan))
}

/// `records` short reads in DIR/reads.fq planned in `chunks`: the manifest file and its text.
fn planned_fastq(dir: &Path, records: usize, chunks: usize) -> (std::path::PathBuf, Vec<u8>) {
    let reads: String = (0..records)
        .map(|i| format!("@r{i}\nACGT\n+\nFFFF\n"))
        .collect();
    let fastq = dir.join("reads.fq");
    fs::write(&fastq, reads).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&fastq)
            .args(["--chunks", &chunks.to_string()]),
    );
    let path = dir.join("chunks.jsonl");
    fs::write(&path, &plan).unwrap();
    (path, plan)
}

#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one"]
fn a_job_array_gives_the_local_backends_outputs_and_retries_a_failed_task() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, planned) = planned_fastq_gz(dir.path());
    let chunks = planned.len();
    assert!(chunks >= 50, "{chunks} chunks");
    let local = local_sha256sums(dir.path(), &manifest_path);

    // Chunk 7 fails on its first attempt only.
    let marker = dir.path().join("failed-once");
    let command = format!(
        "if [ \"$CHUNK_SEQ\" = 7 ] && [ ! -e {0} ]; then touch {0}; exit 3; fi; sha256sum",
        marker.display()
    );
    let out = dir.path().join("slurm");
    let joblog_path = dir.path().join("run.tsv");
    run_ok(
        slurm_run(&manifest_path, &out)
            .args([
                "-j",
                "8",
                "--retries",
                "1",
                "--retry-delay",
                "10ms",
                "--joblog",
            ])
            .arg(&joblog_path)
            .args(["--", "sh", "-c", &command]),
    );
    for id in planned.iter().map(|chunk| &chunk.id) {
        let ours = fs::read(out.join(format!("{id}.out"))).unwrap();
        assert_eq!(
            ours,
            fs::read(local.join(format!("{id}.out"))).unwrap(),
            "{id}"
        );
    }
    let rows = joblog_rows(&joblog_path);
    assert_eq!(rows.len(), chunks + 1, "one row per attempt");
    let seven: Vec<&Vec<String>> = rows.iter().filter(|row| row[1] == "7").collect();
    assert_eq!(seven.len(), 2);
    assert_eq!((seven[0][2].as_str(), seven[0][6].as_str()), ("1", "3"));
    assert_eq!(
        (seven[1][2].as_str(), seven[1][RESULT].as_str()),
        ("2", "ok")
    );
    assert!(
        seven[0][3].starts_with("slurm:")
            && seven[1][3].starts_with("slurm:")
            && seven[0][3] != seven[1][3],
        "the retry is an array of its own: {seven:?}"
    );

    // --resume with everything done submits nothing.
    let resumed = slurm_run(&manifest_path, &out)
        .args(["--resume", "--joblog"])
        .arg(&joblog_path)
        .args(["--", "false"])
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stderr)
        .contains(&format!("0 ok, 0 failed, {chunks} skipped")));
}

#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one"]
fn sigint_cancels_the_array_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, plan) = planned_fastq(dir.path(), 40, 4);
    let fastq = dir.path().join("reads.fq");
    let out = dir.path().join("out");
    let joblog_path = dir.path().join("run.tsv");
    let mut running = slurm_run(&manifest_path, &out)
        .args(["-q", "-j", "1", "--joblog"])
        .arg(&joblog_path)
        .args(["--", "sh", "-c", "sleep 60; cat"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    // nsenter passes the signal on to fanout.
    unsafe { libc::kill(running.id() as i32, libc::SIGINT) };
    let cancelled = Instant::now();
    let status = running.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(cancelled.elapsed() < Duration::from_secs(15));
    let waited = Instant::now();
    loop {
        // This run's array, by its batch script (other tests' arrays may be queued too).
        let queue = run_ok(on_cluster("squeue").args(["-h", "-o", "%i %T %o"]));
        let still: Vec<String> = String::from_utf8_lossy(&queue)
            .lines()
            .filter(|line| line.contains(out.to_str().unwrap()) && !line.contains("COMPLETING"))
            .map(String::from)
            .collect();
        if still.is_empty() {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "not cancelled: {still:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    run_ok(
        slurm_run(&manifest_path, &out)
            .args(["-q", "-j", "4", "--resume", "--joblog"])
            .arg(&joblog_path)
            .args(["--", "cat"]),
    );
    let ok: HashSet<String> = joblog_rows(&joblog_path)
        .into_iter()
        .filter(|row| row[RESULT] == "ok")
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(ok.len(), 4);
    let mut whole = Vec::new();
    for chunk in manifest(&plan) {
        whole.extend(fs::read(out.join(format!("{}.out", chunk.id))).unwrap());
    }
    assert_eq!(whole, fs::read(&fastq).unwrap());
}

#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one"]
fn halt_now_cancels_the_array_at_the_first_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = planned_fastq(dir.path(), 80, 8);
    let started = Instant::now();
    let halted = slurm_run(&manifest_path, &dir.path().join("out"))
        .args(["-j", "2", "--halt", "now", "--"])
        .args(["sh", "-c", "[ \"$CHUNK_SEQ\" != 0 ] || exit 1; sleep 60"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&halted.stderr);
    assert_eq!(halted.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(40), "{stderr}");
    assert!(
        stderr.contains("0 ok, 1 failed, 0 skipped, 7 not run"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one"]
fn a_cross_product_runs_every_pair_as_an_array_task() {
    let dir = tempfile::tempdir().unwrap();
    let (reads, _) = planned_fastq(dir.path(), 40, 4);
    let parts = planned_parts(dir.path(), &test_support::fasta(5), 3);
    let command = ["sh", "-c", "echo \"$CROSS_ID {cross.seq}\"; sha256sum"];
    let local = dir.path().join("local");
    local_cross(&reads, &parts, &local, &command);
    let out = dir.path().join("slurm");
    run_ok(
        slurm_run(&reads, &out)
            .arg("--cross")
            .arg(&parts)
            .args(["-j", "6", "--"])
            .args(command),
    );
    let mut names: Vec<String> = fs::read_dir(&local)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".out"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "4 read chunks x 3 parts: {names:?}");
    for name in names {
        assert_eq!(
            fs::read(out.join(&name)).unwrap(),
            fs::read(local.join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one (MaxArraySize=50)"]
fn more_chunks_than_max_array_size_run_as_several_arrays() {
    let config =
        String::from_utf8(run_ok(on_cluster("scontrol").args(["show", "config"]))).unwrap();
    let max_array: usize = config
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "MaxArraySize").then(|| value.trim().parse().ok())?
        })
        .expect("MaxArraySize");
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, plan) = planned_fastq(dir.path(), 800, 200);
    let planned = manifest(&plan);
    assert!(
        planned.len() > 3 * max_array,
        "{} chunks for MaxArraySize {max_array} (.ci/slurm sets 50)",
        planned.len()
    );
    let local = local_sha256sums(dir.path(), &manifest_path);
    let out = dir.path().join("slurm");
    let joblog_path = dir.path().join("run.tsv");
    run_ok(
        slurm_run(&manifest_path, &out)
            .args(["-q", "-j", "16", "--joblog"])
            .arg(&joblog_path)
            .args(["--", "sha256sum"]),
    );
    for chunk in &planned {
        let name = format!("{}.out", chunk.id);
        assert_eq!(
            fs::read(out.join(&name)).unwrap(),
            fs::read(local.join(&name)).unwrap(),
            "{name}"
        );
    }
    let rows = joblog_rows(&joblog_path);
    let seqs: HashSet<&String> = rows.iter().map(|row| &row[1]).collect();
    assert_eq!(
        (rows.len(), seqs.len()),
        (planned.len(), planned.len()),
        "each chunk once"
    );
    let arrays: HashSet<&String> = rows.iter().map(|row| &row[3]).collect();
    assert_eq!(
        arrays.len(),
        planned.len().div_ceil(max_array),
        "{arrays:?}"
    );
}

/// `fastq-split index-parts` with both rounds as Slurm job arrays: the joined index equals the
/// one-pass index.
#[test]
#[ignore = "needs a Slurm cluster; .ci/run starts one"]
fn an_index_built_by_slurm_tasks_equals_the_one_pass_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&test_support::Reads::new(30_000).bytes())
        .unwrap();
    let input = dir.path().join("reads.fq.gz");
    fs::write(&input, gz.finish().unwrap()).unwrap();
    let input = input.to_str().unwrap();
    let fanout = || {
        let mut command = on_cluster(bin("fanout"));
        command.args(["--backend", "slurm"]);
        command
    };
    let work = dir.path().join("work");
    let joined =
        chunkwise_tests::index_in_parts(input, 6, "64KiB", work.to_str().unwrap(), &fanout);
    run_ok(Command::new(bin("fastq-split")).args(["-q", "index", input, "--span", "64KiB"]));
    let one_pass = fs::read(format!("{input}.cwi")).unwrap();
    let one_pass = fastq_gz::index::GzIndex::read(&one_pass, "one pass").unwrap();
    assert!(one_pass.checkpoints.len() > 20 && joined.same_but_for_tail_in(&one_pass));
}
