//! fanout's manners with real commands: retries, timeouts that kill process groups, halt
//! policies, resume after `kill -9`, Ctrl-C, ordering, atomic outputs, every manifest kind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use chunkwise_tests::{bin, joblog_rows, manifest, run_failing, run_ok, RESULT};
use test_support::Reads;

/// A directory with reads.fq planned into `chunks` chunks (chunks.jsonl).
fn planned(chunks: u32) -> (tempfile::TempDir, PathBuf) {
    planned_reads(40, &["--chunks", &chunks.to_string()])
}

/// A directory with `records` reads in reads.fq planned with `chunking` (chunks.jsonl).
fn planned_reads(records: usize, chunking: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reads.fq");
    fs::write(&input, Reads::new(records).text()).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&input)
            .args(chunking),
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
            .map(|r| (r[2].as_str(), r[6].as_str(), r[RESULT].as_str()))
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
    assert_eq!(fed, Reads::new(40).text().len() as u64);

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
            .all(|r| r[7] == "15" && r[RESULT].starts_with("timed out")),
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
        .filter(|r| r[RESULT] == "ok")
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
    assert_eq!(rebuilt, Reads::new(40).text(), "no chunk lost");
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
    let text = Reads::new(3000).text();
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

/// Files in `dir` but the commands' stderr logs (`ID.err`), sorted by name; temporary
/// files included, to catch any left behind.
fn outputs_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".err"))
        .collect();
    names.sort();
    names
}

#[test]
fn crashed_tasks_and_their_partial_output_leave_no_output_file() {
    let (dir, chunks) = planned(4);
    let out = dir.path().join("out");
    // Chunk 1 writes half its output, then dies by SIGSEGV; chunk 2 writes and exits 5.
    let script = r#"case $CHUNK_SEQ in
        1) head -c 100; kill -SEGV $$ ;;
        2) cat; exit 5 ;;
        *) cat ;;
    esac"#;
    let output = run_failing(
        fanout(dir.path(), &chunks)
            .args(["--joblog", "run.tsv", "--suffix", ".fq", "--out-dir"])
            .arg(&out)
            .args(["--", "sh", "-c", script]),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 of 4 chunks failed"), "{stderr}");
    assert_eq!(
        outputs_in(&out),
        ["reads-0.fq", "reads-3.fq"],
        "complete outputs of the chunks that succeeded, none of those that failed"
    );
    let outcomes: Vec<(String, String)> = joblog_rows(&dir.path().join("run.tsv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[RESULT].clone()))
        .collect();
    assert!(
        outcomes.contains(&("reads-1".into(), "signal 11".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&("reads-2".into(), "exit 5".into())),
        "{outcomes:?}"
    );
}

/// A tmpfs of `size` mounted on `dir` for the guard's life (needs root, as in CI).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> SmallDisk {
        fs::create_dir_all(dir).unwrap();
        run_ok(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir),
        );
        SmallDisk(dir.to_path_buf())
    }

    fn resize(&self, size: &str) {
        run_ok(
            Command::new("mount")
                .args(["-o", &format!("remount,size={size}")])
                .arg(&self.0),
        );
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
#[ignore = "mounts a small tmpfs (root); .ci/run runs it"]
fn a_full_disk_fails_cleanly_and_resume_completes_the_run() {
    let (dir, chunks) = planned(4);
    let out = dir.path().join("out");
    let disk = SmallDisk::mount(&out, "256k");
    // Each chunk's output is 100 kB: the third one does not fit.
    let script = "cat >/dev/null; head -c 100000 /dev/zero";
    let run = |resume: bool| {
        let mut command = fanout(dir.path(), &chunks);
        command
            .args(["-j", "1", "--joblog", "run.tsv", "--out-dir"])
            .arg(&out);
        if resume {
            command.arg("--resume");
        }
        command.args(["--", "sh", "-c", script]).output().unwrap()
    };
    let first = run(false);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    let outcomes: Vec<String> = joblog_rows(&dir.path().join("run.tsv"))
        .into_iter()
        .map(|r| r[RESULT].clone())
        .collect();
    assert!(
        outcomes
            .iter()
            .any(|o| o.contains("No space left on device")),
        "{outcomes:?}"
    );
    let written = outputs_in(&out);
    assert_eq!(
        written,
        ["reads-0.out", "reads-1.out"],
        "only whole outputs, no partial file"
    );
    for name in &written {
        assert_eq!(fs::metadata(out.join(name)).unwrap().len(), 100_000);
    }

    disk.resize("2m");
    let second = run(true);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let written = outputs_in(&out);
    assert_eq!(
        written,
        ["reads-0.out", "reads-1.out", "reads-2.out", "reads-3.out"]
    );
    for name in &written {
        assert_eq!(fs::metadata(out.join(name)).unwrap().len(), 100_000);
    }
    let ok_runs = joblog_rows(&dir.path().join("run.tsv"))
        .into_iter()
        .filter(|r| r[RESULT] == "ok")
        .count();
    assert_eq!(
        ok_runs, 4,
        "the resumed run reran no chunk that had succeeded"
    );
}

#[test]
#[ignore = "a soak test (10,000 chunks, about a minute); .ci/run runs it"]
fn soak_10000_chunks_with_5_percent_failing_attempts() {
    const CHUNKS: usize = 10_000;
    let (dir, chunks) = planned_reads(CHUNKS, &["--records", "1"]);
    let out = dir.path().join("out");
    // About 5 % of the chunks, picked at random, fail their first attempt (some by a signal).
    let mut rng = test_support::Rng::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    let mut failing = Vec::new();
    for seq in 0..CHUNKS {
        if rng.below(20) == 0 {
            failing.push(seq.to_string());
        }
    }
    fs::write(dir.path().join("failing"), failing.join("\n") + "\n").unwrap();
    fs::create_dir(dir.path().join("marks")).unwrap();
    let script = r#"if grep -qx "$CHUNK_SEQ" failing && [ ! -e marks/$CHUNK_SEQ ]; then
        touch marks/$CHUNK_SEQ; head -c 10; [ $((CHUNK_SEQ % 2)) = 0 ] && kill -KILL $$; exit 3
    fi
    cat"#;
    run_ok(
        fanout(dir.path(), &chunks)
            .args([
                "-j",
                "4",
                "--retries",
                "2",
                "--retry-delay",
                "1ms",
                "--joblog",
                "run.tsv",
            ])
            .args(["--suffix", ".fq", "--out-dir"])
            .arg(&out)
            .args(["--", "sh", "-c", script]),
    );
    let names = outputs_in(&out);
    assert_eq!(
        names.len(),
        CHUNKS,
        "one output per chunk, and nothing else"
    );
    let mut outputs = Vec::new();
    for seq in 0..CHUNKS {
        let name = format!("reads-{seq:04}.fq");
        let bytes = fs::read(out.join(&name)).unwrap_or_else(|_| panic!("{name} is missing"));
        outputs.extend_from_slice(&bytes);
    }
    assert!(
        outputs == Reads::new(CHUNKS).text().into_bytes(),
        "the outputs hold every read exactly once"
    );
    let rows = joblog_rows(&dir.path().join("run.tsv"));
    let ok = rows.iter().filter(|r| r[RESULT] == "ok").count();
    let failed = rows.iter().filter(|r| r[RESULT] != "ok").count();
    assert_eq!(ok, CHUNKS, "every chunk succeeded once");
    assert_eq!(failed, failing.len(), "every failed attempt is logged");
}

#[test]
fn speculative_backups_finish_a_run_held_by_hanging_first_attempts() {
    let (dir, chunks) = planned_reads(400, &["--chunks", "24"]);
    let out = dir.path().join("out");
    fs::create_dir(dir.path().join("started")).unwrap();
    // Chunks 5, 13 and 21 hang on their first attempt only (its pid kept, to check that it is
    // stopped); every attempt takes about 0.2 s.
    let script = r#"if mkdir started/$CHUNK_SEQ 2>/dev/null && [ $((CHUNK_SEQ % 8)) = 5 ]; then
        echo $$ > started/$CHUNK_SEQ/pid; exec sleep 120
    fi
    sleep 0.2; sha256sum"#;
    let started = Instant::now();
    run_ok(
        fanout(dir.path(), &chunks)
            .args(["-j", "4", "--speculate", "3", "--joblog", "run.tsv"])
            .arg("--out-dir")
            .arg(&out)
            .args(["--", "sh", "-c", script]),
    );
    let wall = started.elapsed();
    eprintln!("speculative run: {wall:?}");
    // 24 tasks of 0.2 s on 4 slots take 1.2 s; a backup starts past 3 x the median.
    assert!(
        wall < Duration::from_secs(8),
        "finished near the median time: {wall:?}"
    );
    assert_eq!(
        outputs_in(&out).len(),
        24,
        "one output per chunk, nothing else"
    );
    let reference = dir.path().join("reference");
    run_ok(
        fanout(dir.path(), &chunks)
            .args(["-j", "4", "--out-dir"])
            .arg(&reference)
            .args(["--", "sha256sum"]),
    );
    for name in outputs_in(&reference) {
        assert_eq!(
            fs::read(out.join(&name)).unwrap(),
            fs::read(reference.join(&name)).unwrap(),
            "{name}"
        );
    }
    let rows = joblog_rows(&dir.path().join("run.tsv"));
    for seq in 0..24 {
        let mut attempts: Vec<(&str, &str)> = rows
            .iter()
            .filter(|r| r[1] == seq.to_string())
            .map(|r| (r[2].as_str(), r[RESULT].as_str()))
            .collect();
        attempts.sort_unstable();
        if seq % 8 == 5 {
            assert_eq!(
                attempts,
                [("1", "lost: another attempt succeeded first"), ("2", "ok")],
                "chunk {seq}: the backup won, the straggler was stopped"
            );
            let pid = fs::read_to_string(dir.path().join(format!("started/{seq}/pid"))).unwrap();
            assert!(
                !Path::new(&format!("/proc/{}", pid.trim())).exists(),
                "the straggler's process is gone"
            );
        } else {
            assert_eq!(attempts, [("1", "ok")], "chunk {seq}: no backup");
        }
    }

    // On stdout, in manifest order, each chunk's output once.
    fs::remove_dir_all(dir.path().join("started")).unwrap();
    fs::create_dir(dir.path().join("started")).unwrap();
    let printed = run_ok(
        fanout(dir.path(), &chunks)
            .args(["-j", "4", "--speculate", "3", "--keep-order"])
            .args(["--", "sh", "-c", script]),
    );
    let expected: Vec<u8> = outputs_in(&reference)
        .iter()
        .flat_map(|name| fs::read(reference.join(name)).unwrap())
        .collect();
    assert_eq!(
        String::from_utf8(printed).unwrap(),
        String::from_utf8(expected).unwrap()
    );

    // A factor below 1 is refused; so is Slurm.
    let refused =
        run_failing(fanout(dir.path(), &chunks).args(["--speculate", "0.5", "--", "true"]));
    assert_eq!(refused.status.code(), Some(2));
    let refused = run_failing(fanout(dir.path(), &chunks).args([
        "--backend",
        "slurm",
        "--speculate",
        "2",
        "--out-dir",
        "o",
        "--",
        "true",
    ]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--timeout with --retries"));
}

#[test]
#[ignore = "22,000 tasks (about a minute); .ci/run runs it"]
fn memory_stays_flat_in_the_manifest_size() {
    // The summary line's peak memory of fanout itself, for a manifest of `chunks` lines.
    let peak = |chunks: usize| {
        let (dir, manifest) = planned_reads(chunks, &["--records", "1"]);
        let ran = Command::new(bin("fanout"))
            .current_dir(dir.path())
            .args(["-j", "2", "--no-stdin", "-m"])
            .arg(&manifest)
            .args(["--", "true"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&ran.stderr);
        assert!(ran.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!("{chunks} ok, 0 failed")),
            "{stderr}"
        );
        let size = stderr
            .split("peak memory ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no peak memory: {stderr}"));
        let (number, unit) = size.split_at(size.find(|c: char| c.is_alphabetic()).unwrap());
        let scale = match unit {
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => 1,
        };
        (
            number.parse::<f64>().unwrap() * scale as f64,
            fs::metadata(manifest).unwrap().len(),
        )
    };
    let (small, _) = peak(2_000);
    let (large, manifest_bytes) = peak(20_000);
    eprintln!("peak memory: {small:.0} B for 2,000 chunks, {large:.0} B for 20,000 ({manifest_bytes} B of manifest)");
    assert!(
        large < small + 4.0 * 1048576.0,
        "10x the chunks, the same memory: {small} B vs {large} B"
    );
}

#[test]
fn remote_backends_refuse_what_they_cannot_run_before_submitting_anything() {
    let (dir, manifest_path) = planned(2);
    let refused = |args: &[&str]| {
        let output = run_failing(fanout(dir.path(), &manifest_path).args(args));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = refused(&["--backend", "lambda", "--out-dir", "s3://b/p/", "--", "wc"]);
    assert!(stderr.contains("--function"), "{stderr}");
    let stderr = refused(&[
        "--backend",
        "lambda",
        "--function",
        "f",
        "--out-dir",
        "out",
        "--",
        "wc",
    ]);
    assert!(stderr.contains("needs --out-dir s3://"), "{stderr}");
    let stderr = refused(&[
        "--backend",
        "lambda",
        "--function",
        "f",
        "--out-dir",
        "s3://b/p/",
        "--",
        "wc",
    ]);
    assert!(
        stderr.contains("chunk reads-0: source") && stderr.contains("reads.fq is a local path"),
        "a Lambda function cannot read the planning machine's files: {stderr}"
    );
    let stderr = refused(&["--backend", "slurm", "--out-dir", "s3://b/p/", "--", "wc"]);
    assert!(
        stderr.contains("a filesystem every node shares"),
        "{stderr}"
    );
}

#[test]
fn the_slurm_worker_runs_one_chunk_and_reports_it() {
    let (dir, manifest_path) = planned(3);
    let out = dir.path().join("out");
    let chunks = manifest(&fs::read(&manifest_path).unwrap());
    let worker = |seq: u64| {
        let mut command = Command::new(bin("fanout"));
        command
            .arg("worker")
            .arg("--manifest")
            .arg(&manifest_path)
            .args(["--seq", &seq.to_string(), "--attempt", "2", "--out-dir"])
            .arg(&out);
        command
    };
    for chunk in &chunks {
        run_ok(worker(chunk.seq).args(["--", "sh", "-c", "cat; echo oops >&2; exit 4"]));
        let report: serde_json::Value = serde_json::from_slice(
            &fs::read(out.join(format!(".fanout-slurm/results/{}.2.json", chunk.seq))).unwrap(),
        )
        .unwrap();
        assert_eq!(report["exit_code"], 4);
        assert_eq!(report["stderr_tail"], "oops\n");
        assert_eq!(report["bytes_in"], chunk.est_bytes);
        assert!(
            !out.join(format!("{}.out", chunk.id)).exists(),
            "a failed task leaves no output"
        );
    }
    let missing = run_failing(worker(9).args(["--", "cat"]));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no chunk with seq 9"));
}

#[test]
fn report_draws_one_bar_per_joblog_attempt() {
    let (dir, chunks) = planned(6);
    let log = dir.path().join("run.tsv");
    // Chunk 2 fails its first attempt.
    let script = "if [ $CHUNK_SEQ = 2 ] && [ ! -e failed ]; then touch failed; exit 3; fi; sleep 0.05; wc -l";
    run_ok(
        fanout(dir.path(), &chunks)
            .args([
                "-j",
                "2",
                "--retries",
                "1",
                "--retry-delay",
                "10ms",
                "--joblog",
            ])
            .arg(&log)
            .args(["--", "sh", "-c", script]),
    );
    let svg_path = dir.path().join("run.svg");
    run_ok(
        Command::new(bin("fanout"))
            .arg("report")
            .arg(&log)
            .arg("-o")
            .arg(&svg_path),
    );
    let svg = fs::read_to_string(&svg_path).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("the SVG is XML");
    let bars: Vec<roxmltree::Node> = document
        .descendants()
        .filter(|node| node.attribute("class") == Some("attempt"))
        .collect();
    let rows = joblog_rows(&log);
    assert_eq!(bars.len(), rows.len(), "one bar per attempt");
    assert_eq!(rows.len(), 7);
    // Bars in order of start; widths in proportion to the runtimes.
    let start = |row: &Vec<String>| row[4].parse::<f64>().unwrap();
    let runtime = |row: &Vec<String>| row[5].parse::<f64>().unwrap();
    let first = rows.iter().map(start).fold(f64::INFINITY, f64::min);
    let end = rows
        .iter()
        .map(|r| start(r) + runtime(r))
        .fold(0.0, f64::max);
    for row in &rows {
        let bar = bars
            .iter()
            .find(|b| {
                b.attribute("data-seq") == Some(&row[1])
                    && b.attribute("data-attempt") == Some(&row[2])
            })
            .unwrap_or_else(|| panic!("no bar for {row:?}"));
        let number = |name: &str| bar.attribute(name).unwrap().parse::<f64>().unwrap();
        let expected_x = 70.0 + (start(row) - first) / (end - first) * 900.0;
        assert!((number("x") - expected_x).abs() < 0.01, "{row:?}");
        let expected_width = (runtime(row) / (end - first) * 900.0).max(0.5);
        assert!((number("width") - expected_width).abs() < 0.01, "{row:?}");
        let failed = row[RESULT] != "ok";
        assert_eq!(bar.attribute("fill") == Some("#d62728"), failed, "{row:?}");
    }
    assert!(
        svg.contains("6 chunks, 7 attempts (1 retries, 0 lost to a backup), 0 failed"),
        "{svg}"
    );

    let empty = dir.path().join("empty.tsv");
    fs::write(&empty, "").unwrap();
    let refused = run_failing(Command::new(bin("fanout")).arg("report").arg(&empty));
    assert_eq!(refused.status.code(), Some(65));
}
