//! fanout's manners with real commands: retries, timeouts that kill process groups, halt
//! policies, resume after `kill -9`, Ctrl-C, ordering, atomic outputs, every manifest kind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use chunkwise_tests::{bin, manifest, run_failing, run_ok};

fn reads(count: usize) -> String {
    (0..count)
        .map(|i| format!("@read{i}\nACGTACGTAC\n+\nIIIIIIIIII\n"))
        .collect()
}

/// A directory with reads.fq planned into `chunks` chunks (chunks.jsonl).
fn planned(chunks: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reads.fq");
    fs::write(&input, reads(40)).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&input)
            .args(["--chunks", &chunks.to_string()]),
    );
    let path = dir.path().join("chunks.jsonl");
    fs::write(&path, plan).unwrap();
    (dir, path)
}

fn fanout(dir: &Path, manifest: &Path) -> Command {
    let mut command = Command::new(bin("fanout"));
    command.current_dir(dir).arg("-q").arg("-m").arg(manifest);
    command
}

/// Rows of a joblog, without the header.
fn joblog_rows(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split('\t').map(String::from).collect())
        .collect()
}

#[test]
fn failed_attempts_are_retried_and_logged() {
    let (dir, chunks) = planned(3);
    let log = dir.path().join("run.tsv");
    // Each chunk fails its first attempt and succeeds on the second.
    let script = "n=$(cat $CHUNK_ID.tries 2>/dev/null || echo 0); echo $((n+1)) > $CHUNK_ID.tries; wc -l; [ $n -ge 1 ]";
    let stdout = run_ok(
        fanout(dir.path(), &chunks)
            .args(["--retries", "2", "--retry-delay", "10ms", "--joblog"])
            .arg(&log)
            .args(["--", "sh", "-c", script]),
    );
    assert_eq!(
        String::from_utf8(stdout).unwrap().lines().count(),
        3,
        "one output per chunk, from the successful attempt"
    );
    let rows = joblog_rows(&log);
    assert_eq!(rows.len(), 6);
    for id in ["reads-0", "reads-1", "reads-2"] {
        let attempts: Vec<(&str, &str, &str)> = rows
            .iter()
            .filter(|r| r[0] == id)
            .map(|r| (r[2].as_str(), r[6].as_str(), r[10].as_str()))
            .collect();
        assert_eq!(attempts, [("1", "1", "exit 1"), ("2", "0", "ok")], "{id}");
    }
    // The successful attempts were fed the whole input between them.
    assert!(rows.iter().all(|r| r[3].starts_with("local:")), "{rows:?}");
    let fed: u64 = rows
        .iter()
        .filter(|r| r[2] == "2")
        .map(|r| r[8].parse::<u64>().unwrap())
        .sum();
    assert_eq!(fed, reads(40).len() as u64);

    // Retries spent: the chunk fails with the last attempt's exit code.
    let (dir, chunks) = planned(1);
    let output = run_failing(fanout(dir.path(), &chunks).args([
        "--retries",
        "1",
        "--retry-delay",
        "10ms",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; exit 3",
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 of 1 chunks failed: reads-0"));
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let (dir, chunks) = planned(2);
    let started = Instant::now();
    let output = run_failing(
        fanout(dir.path(), &chunks)
            .args(["--timeout", "300ms", "--joblog", "run.tsv", "--"])
            .args([
                "sh",
                "-c",
                "sleep 30 & echo $! > {id}.pid; cat > /dev/null; wait",
            ]),
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    for id in ["reads-0", "reads-1"] {
        let pid = fs::read_to_string(dir.path().join(format!("{id}.pid"))).unwrap();
        let status = fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
        assert!(
            status.is_empty() || status.contains("State:\tZ"),
            "background sleep of {id} survived: {status}"
        );
    }
    let rows = joblog_rows(&dir.path().join("run.tsv"));
    assert!(
        rows.iter()
            .all(|r| r[7] == "15" && r[10].starts_with("timed out")),
        "{rows:?}"
    );
}

#[test]
fn halt_soon_starts_nothing_new_and_halt_now_kills_what_runs() {
    let (dir, chunks) = planned(4);
    let output = run_failing(fanout(dir.path(), &chunks).args([
        "-j",
        "1",
        "--halt",
        "soon",
        "--joblog",
        "soon.tsv",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; [ {seq} != 1 ]",
    ]));
    assert_eq!(output.status.code(), Some(1));
    let ran: Vec<String> = joblog_rows(&dir.path().join("soon.tsv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ran, ["reads-0", "reads-1"]);

    let started = Instant::now();
    let output = run_failing(fanout(dir.path(), &chunks).args([
        "-j",
        "2",
        "--halt",
        "now",
        "--joblog",
        "now.tsv",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; if [ {seq} = 0 ]; then sleep 30; else exit 4; fi",
    ]));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the sleeping task was not killed: {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let rows = joblog_rows(&dir.path().join("now.tsv"));
    assert!(
        rows.iter().any(|r| r[0] == "reads-0" && r[7] == "15"),
        "{rows:?}"
    );
    assert!(rows.len() <= 3, "no new chunks after the halt: {rows:?}");
}

#[test]
fn resume_after_kill_9_loses_nothing_and_reruns_no_success() {
    let (dir, chunks) = planned(8);
    let out = dir.path().join("out");
    let script = "echo run >> runs.{id}; sleep 0.4; cat";
    let mut runner = fanout(dir.path(), &chunks)
        .args([
            "-j",
            "2",
            "--joblog",
            "run.tsv",
            "--suffix",
            ".fq",
            "--out-dir",
        ])
        .arg(&out)
        .args(["--", "sh", "-c", script])
        .spawn()
        .unwrap();
    let log = dir.path().join("run.tsv");
    let deadline = Instant::now() + Duration::from_secs(20);
    while joblog_rows_if_any(&log) < 3 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    runner.kill().unwrap(); // SIGKILL
    runner.wait().unwrap();
    let done_before: Vec<String> = joblog_rows(&log)
        .into_iter()
        .filter(|r| r[10] == "ok")
        .map(|r| r[0].clone())
        .collect();
    assert!(
        done_before.len() >= 3 && done_before.len() < 8,
        "{done_before:?}"
    );

    run_ok(
        fanout(dir.path(), &chunks)
            .args([
                "-j",
                "2",
                "--joblog",
                "run.tsv",
                "--resume",
                "--suffix",
                ".fq",
                "--out-dir",
            ])
            .arg(&out)
            .args(["--", "sh", "-c", script]),
    );
    let mut rebuilt = String::new();
    for chunk in manifest(&fs::read(&chunks).unwrap()) {
        rebuilt.push_str(&fs::read_to_string(out.join(format!("{}.fq", chunk.id))).unwrap());
        let runs = fs::read_to_string(dir.path().join(format!("runs.{}", chunk.id)))
            .unwrap()
            .lines()
            .count();
        if done_before.contains(&chunk.id) {
            assert_eq!(
                runs, 1,
                "{} succeeded before the crash and ran again",
                chunk.id
            );
        }
    }
    assert_eq!(rebuilt, reads(40), "no chunk lost");
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn joblog_rows_if_any(path: &Path) -> usize {
    fs::read_to_string(path)
        .map(|text| text.lines().filter(|l| l.ends_with("\tok")).count())
        .unwrap_or(0)
}

#[test]
fn sigint_kills_running_tasks_and_exits_130() {
    let (dir, chunks) = planned(4);
    let runner = fanout(dir.path(), &chunks)
        .args([
            "-j",
            "2",
            "--joblog",
            "run.tsv",
            "--",
            "sh",
            "-c",
            "cat > /dev/null; sleep 30",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    // SAFETY: signalling our own child process.
    unsafe { libc_kill(runner.id() as i32, 2) };
    let output = runner.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&output.stderr).contains("rerun with --resume"));
    let rows = joblog_rows(&dir.path().join("run.tsv"));
    assert_eq!(
        rows.len(),
        2,
        "the two running tasks are logged, none started after: {rows:?}"
    );
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

#[test]
fn keep_order_holds_against_finishing_order() {
    let (dir, chunks) = planned(5);
    let stdout = run_ok(fanout(dir.path(), &chunks).args([
        "-j",
        "5",
        "--keep-order",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; sleep 0.$((5 - {seq})); echo {seq}",
    ]));
    assert_eq!(String::from_utf8(stdout).unwrap(), "0\n1\n2\n3\n4\n");
}

#[test]
fn dry_run_prints_commands_without_running_them() {
    let (dir, chunks) = planned(2);
    let stdout = run_ok(fanout(dir.path(), &chunks).args([
        "--dry-run",
        "--",
        "sh",
        "-c",
        "touch ran; echo {id} of {total}",
    ]));
    assert_eq!(String::from_utf8(stdout).unwrap(), "reads-0\tsh -c 'touch ran; echo reads-0 of 2'\nreads-1\tsh -c 'touch ran; echo reads-1 of 2'\n");
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn every_manifest_kind_reaches_the_command() {
    let dir = tempfile::tempdir().unwrap();
    // fastq-gz: the checksum of the chunks' bytes equals that of the decompressed whole.
    let text = reads(3000);
    let gz = dir.path().join("reads.fq.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(text.as_bytes()).unwrap();
    fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&gz)
            .args(["--chunks", "4", "--span", "1k"]),
    );
    fs::write(dir.path().join("gz.jsonl"), &plan).unwrap();
    let out = dir.path().join("gz");
    run_ok(
        fanout(dir.path(), Path::new("gz.jsonl"))
            .arg("--out-dir")
            .arg(&out)
            .args(["--", "cat"]),
    );
    let rebuilt: String = manifest(&plan)
        .iter()
        .map(|c| fs::read_to_string(out.join(format!("{}.out", c.id))).unwrap())
        .collect();
    assert_eq!(rebuilt, text);

    // fasta: sha256sum per chunk equals that of fasta-split cat's output for the chunk.
    let reference = dir.path().join("ref.fa");
    fs::write(&reference, ">a\nACGTACGTAC\nACG\n>b\nTTTT\n").unwrap();
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(&reference)
            .args(["--chunks", "2", "--overlap", "2"]),
    );
    fs::write(dir.path().join("fa.jsonl"), &plan).unwrap();
    let sums =
        run_ok(fanout(dir.path(), Path::new("fa.jsonl")).args(["--keep-order", "--", "sha256sum"]));
    let expected: String = (0..2)
        .map(|seq| {
            let chunk = run_ok(
                Command::new(bin("fasta-split"))
                    .current_dir(dir.path())
                    .args(["cat", "fa.jsonl", "--seq", &seq.to_string()]),
            );
            let mut sha = Command::new("sha256sum")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            sha.stdin.take().unwrap().write_all(&chunk).unwrap();
            String::from_utf8(sha.wait_with_output().unwrap().stdout).unwrap()
        })
        .collect();
    assert_eq!(String::from_utf8(sums).unwrap(), expected);

    // With --no-stdin the command reads the chunk itself, whatever its sources hold.
    let line = r#"{"v":1,"kind":"las","id":"w-0","seq":0,"total":1,"sources":[{"url":"x.las","ranges":[[0,10]]}],"est_bytes":10}"#;
    fs::write(dir.path().join("las.jsonl"), format!("{line}\n")).unwrap();
    let stdout = run_ok(Command::new(bin("fanout")).current_dir(dir.path()).args([
        "-q",
        "-m",
        "las.jsonl",
        "--no-stdin",
        "--",
        "sh",
        "-c",
        "echo $CHUNK_JSON",
    ]));
    assert_eq!(String::from_utf8(stdout).unwrap().trim(), line);
}
