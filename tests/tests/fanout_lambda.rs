//! `fanout --backend lambda` against a real Lambda emulator: ministack runs the deployed
//! worker zip (`provided.al2023`) as a subprocess per invocation and serves S3 on the same
//! port (`.ci/run` starts it on 127.0.0.1 and sets `AWS_ENDPOINT_URL`).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chunkwise_tests::s3::{delete, get, run_prefix, upload};
use chunkwise_tests::{
    bin, joblog_rows, local_cross, manifest, planned_parts, run_failing, run_ok, BILLED, COST,
    RESULT,
};
use test_support::Reads;

const BUCKET: &str = "chunkwise-lambda";
const ROLE: &str = "arn:aws:iam::000000000000:role/chunkwise-tests";

/// Deploys the worker under a name of this run's own; `extra` sets the timeout and so on.
fn deploy(name: &str, extra: &[&str]) -> String {
    let function = format!("{name}-{}", std::process::id());
    run_ok(
        Command::new(bin("fanout"))
            .args(["lambda", "deploy", "--function", &function, "--role", ROLE])
            .args(extra),
    );
    function
}

/// Uploads plain FASTQ of `records` reads and plans it in `chunks`; returns the manifest file.
fn planned(dir: &Path, records: usize, chunks: usize) -> (PathBuf, String) {
    let key = format!("{}/reads.fq", run_prefix());
    upload(BUCKET, &key, Reads::new(records).length(150..=150).bytes());
    let url = format!("s3://{BUCKET}/{key}");
    let plan = run_ok(Command::new(bin("fastq-split")).args([
        "plan",
        &url,
        "--chunks",
        &chunks.to_string(),
    ]));
    let path = dir.join("chunks.jsonl");
    fs::write(&path, plan).unwrap();
    (path, key)
}

fn lambda_run(function: &str, manifest: &Path, out: &str) -> Command {
    let mut command = Command::new(bin("fanout"));
    command
        .args([
            "--backend",
            "lambda",
            "--function",
            function,
            "--out-dir",
            out,
            "-m",
        ])
        .arg(manifest);
    command
}

/// Caps the function's concurrency, so that more invocations at once are throttled.
fn reserve_concurrency(function: &str, limit: i32) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        aws_sdk_lambda::Client::new(&config)
            .put_function_concurrency()
            .function_name(function)
            .reserved_concurrent_executions(limit)
            .send()
            .await
            .unwrap();
    });
}

/// The number that follows `after` in fanout's usage line (`estimated $`, ` requests (`).
fn usage_figure(stderr: &str, after: &str) -> f64 {
    stderr
        .split(after)
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {after:?} in the usage line: {stderr}"))
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn fastq_gz_chunks_on_lambda_equal_the_local_backend() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = run_prefix();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&Reads::new(60_000).length(150..=150).bytes())
        .unwrap();
    let key = format!("{prefix}/reads.fq.gz");
    upload(BUCKET, &key, gz.finish().unwrap());
    let url = format!("s3://{BUCKET}/{key}");
    run_ok(Command::new(bin("fastq-split")).args(["index", &url, "--span", "256KiB"]));
    let plan = run_ok(Command::new(bin("fastq-split")).args(["plan", &url, "--chunks", "60"]));
    let chunks = manifest(&plan);
    assert!(chunks.len() >= 50, "{} chunks", chunks.len());
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, &plan).unwrap();

    let function = deploy("chunkwise-sha", &["--timeout", "60s", "--memory", "512"]);
    let doctor = run_ok(Command::new(bin("fanout")).args([
        "lambda",
        "doctor",
        "--function",
        &function,
        "--out-dir",
        &format!("s3://{BUCKET}/{prefix}/"),
    ]));
    let doctor = String::from_utf8(doctor).unwrap();
    assert!(
        doctor.contains("ok    worker answers: fanout worker"),
        "{doctor}"
    );

    let out = format!("s3://{BUCKET}/{prefix}/lambda/");
    let joblog_path = dir.path().join("lambda.tsv");
    let ran = lambda_run(&function, &manifest_path, &out)
        .args(["-j", "8", "--joblog"])
        .arg(&joblog_path)
        .args(["--", "sha256sum"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "lambda:{function} in us-east-1: {} requests (0 throttled)",
            chunks.len()
        )) && stderr.contains("MB = ")
            && stderr.contains("estimated $"),
        "the usage and cost line: {stderr}"
    );
    let rows = joblog_rows(&joblog_path);
    assert_eq!(rows.len(), chunks.len());
    assert!(rows
        .iter()
        .all(|row| row[3] == format!("lambda:{function}") && row[RESULT] == "ok"));
    // Each attempt's billed time and cost; together, the run's estimate.
    let cost: f64 = rows
        .iter()
        .map(|row| {
            let billed: f64 = row[BILLED].parse().unwrap();
            let cost: f64 = row[COST].parse().unwrap();
            let expected = billed * 0.5 * 0.0000166667 + 0.2e-6;
            assert!((cost - expected).abs() < 1e-9, "{row:?}");
            assert!(
                billed > 0.0 && billed <= row[5].parse::<f64>().unwrap(),
                "{row:?}"
            );
            cost
        })
        .sum();
    let estimate = usage_figure(&stderr, "estimated $");
    assert!((cost - estimate).abs() < 2e-6, "{cost} vs {estimate}");

    let local_out = dir.path().join("local");
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "-j", "2", "--out-dir"])
            .arg(&local_out)
            .arg("-m")
            .arg(&manifest_path)
            .args(["--", "sha256sum"]),
    );
    for chunk in &chunks {
        let local = fs::read(local_out.join(format!("{}.out", chunk.id))).unwrap();
        let remote = get(BUCKET, &format!("{prefix}/lambda/{}.out", chunk.id))
            .unwrap_or_else(|| panic!("no output of {} in S3", chunk.id));
        assert_eq!(remote, local, "chunk {}", chunk.id);
        assert!(
            local.len() == 68,
            "a sha256sum line: {:?}",
            String::from_utf8_lossy(&local)
        );
    }
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn function_errors_and_timeouts_are_failed_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, key) = planned(dir.path(), 300, 3);
    let out = format!("s3://{BUCKET}/{}/", run_prefix());

    // A bootstrap that dies at start: Lambda answers 200 with X-Amz-Function-Error.
    let broken = deploy(
        "chunkwise-broken",
        &["--timeout", "10s", "--worker", "/bin/false"],
    );
    let joblog_path = dir.path().join("broken.tsv");
    let failed = run_failing(
        lambda_run(&broken, &manifest_path, &out)
            .args(["--retries", "1", "--retry-delay", "10ms", "--joblog"])
            .arg(&joblog_path)
            .args(["--", "cat"]),
    );
    assert_eq!(failed.status.code(), Some(1));
    let rows = joblog_rows(&joblog_path);
    assert_eq!(rows.len(), 6, "two attempts per chunk: {rows:?}");
    assert!(
        rows.iter()
            .all(|row| row[RESULT].starts_with("function error (Unhandled)")),
        "{rows:?}"
    );

    // A manifest line over Lambda's 6 MB payload limit fails its chunk, naming it, uninvoked.
    let mut line: serde_json::Value = serde_json::from_str(
        fs::read_to_string(&manifest_path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    line["detail"] = serde_json::json!({ "padding": "x".repeat(7 << 20) });
    let huge = dir.path().join("huge.jsonl");
    fs::write(&huge, format!("{line}\n")).unwrap();
    let failed = run_failing(lambda_run(&broken, &huge, &out).args(["--", "cat"]));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains(&format!(
            "the invocation payload of chunk {} is",
            line["id"].as_str().unwrap()
        )) && stderr.contains("over Lambda's limit of 6291456")
            && stderr.contains("0 requests"),
        "{stderr}"
    );

    // The task outlives the function's timeout: the worker kills it and reports it.
    let short = deploy("chunkwise-short", &["--timeout", "4s"]);
    let started = Instant::now();
    let joblog_path = dir.path().join("short.tsv");
    run_failing(
        lambda_run(&short, &manifest_path, &out)
            .arg("--joblog")
            .arg(&joblog_path)
            .args(["--", "sleep", "30"]),
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let rows = joblog_rows(&joblog_path);
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|row| row[RESULT].starts_with("timed out")),
        "{rows:?}"
    );

    // The client's own deadline, shorter than the function's.
    let started = Instant::now();
    let joblog_path = dir.path().join("deadline.tsv");
    run_failing(
        lambda_run(&short, &manifest_path, &out)
            .args(["--timeout", "1s", "--joblog"])
            .arg(&joblog_path)
            .args(["--", "sleep", "30"]),
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let rows = joblog_rows(&joblog_path);
    assert!(
        rows.iter()
            .all(|row| row[RESULT] == "no reply within 1s (the client-side deadline)"),
        "{rows:?}"
    );

    // A source object deleted after planning: each chunk fails, naming it.
    let function = deploy("chunkwise-gone", &["--timeout", "30s"]);
    delete(BUCKET, &key);
    let joblog_path = dir.path().join("gone.tsv");
    let failed = run_failing(
        lambda_run(&function, &manifest_path, &out)
            .arg("--joblog")
            .arg(&joblog_path)
            .args(["--", "cat"]),
    );
    let rows = joblog_rows(&joblog_path);
    assert_eq!(rows.len(), 3);
    let url = format!("s3://{BUCKET}/{key}");
    assert!(
        rows.iter()
            .all(|row| row[RESULT] == format!("{url}: not found")),
        "{rows:?} {}",
        String::from_utf8_lossy(&failed.stderr)
    );
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn throttling_under_reserved_concurrency_is_retried_until_it_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = planned(dir.path(), 400, 8);
    let function = deploy("chunkwise-throttled", &["--timeout", "30s"]);
    reserve_concurrency(&function, 1);
    let out = format!("s3://{BUCKET}/{}/", run_prefix());
    let ran = lambda_run(&function, &manifest_path, &out)
        .args(["-j", "4", "--", "sh", "-c", "sleep 0.3; wc -l"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{stderr}");
    let throttled = usage_figure(&stderr, " requests (");
    assert!(
        throttled > 0.0,
        "4 at once against a concurrency of 1: {stderr}"
    );
    assert!(stderr.contains("8 ok, 0 failed"), "{stderr}");
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn resume_after_the_client_is_killed_reruns_no_success() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = planned(dir.path(), 1200, 12);
    let function = deploy("chunkwise-resume", &["--timeout", "30s"]);
    let out = format!("s3://{BUCKET}/{}/", run_prefix());
    let joblog_path = dir.path().join("run.tsv");
    let command = ["--", "sh", "-c", "sleep 0.4; sha256sum"];
    let mut first = lambda_run(&function, &manifest_path, &out)
        .args(["-q", "-j", "2", "--joblog"])
        .arg(&joblog_path)
        .args(command)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while fs::read_to_string(&joblog_path).map_or(0, |log| log.lines().count()) < 5 {
        assert!(waited.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let done_before: HashSet<String> = joblog_rows(&joblog_path)
        .into_iter()
        .filter(|row| row.len() == 13 && row[RESULT] == "ok")
        .map(|row| row[0].clone())
        .collect();
    assert!(!done_before.is_empty() && done_before.len() < 12);

    run_ok(
        lambda_run(&function, &manifest_path, &out)
            .args(["-q", "-j", "2", "--resume", "--joblog"])
            .arg(&joblog_path)
            .args(command),
    );
    let mut successes: HashMap<String, usize> = HashMap::new();
    for row in joblog_rows(&joblog_path)
        .into_iter()
        .filter(|row| row.len() == 13 && row[RESULT] == "ok")
    {
        *successes.entry(row[0].clone()).or_default() += 1;
    }
    assert_eq!(successes.len(), 12);
    assert!(successes.values().all(|&n| n == 1), "{successes:?}");
    let prefix = out
        .trim_start_matches(&format!("s3://{BUCKET}/"))
        .to_string();
    for id in successes.keys() {
        assert!(get(BUCKET, &format!("{prefix}{id}.out")).is_some(), "{id}");
    }
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn a_cross_product_runs_every_pair_on_lambda() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = run_prefix();
    let (reads, _) = planned(dir.path(), 400, 3);
    let parts = planned_parts(dir.path(), &test_support::fasta(5), 2);
    let command = ["sh", "-c", "echo \"$CROSS_ID {cross.seq}\"; sha256sum"];
    let local = dir.path().join("local");
    local_cross(&reads, &parts, &local, &command);
    let function = deploy("chunkwise-cross", &["--timeout", "60s", "--memory", "512"]);
    let joblog = dir.path().join("cross.tsv");
    run_ok(
        lambda_run(&function, &reads, &format!("s3://{BUCKET}/{prefix}/cross/"))
            .arg("--cross")
            .arg(&parts)
            .args(["-q", "-j", "6", "--joblog"])
            .arg(&joblog)
            .arg("--")
            .args(command),
    );
    assert_eq!(joblog_rows(&joblog).len(), 6);
    for entry in fs::read_dir(&local).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let remote = get(BUCKET, &format!("{prefix}/cross/{name}"))
            .unwrap_or_else(|| panic!("no {name} in S3"));
        assert_eq!(remote, fs::read(local.join(&name)).unwrap(), "{name}");
    }
    let outputs = fs::read_dir(&local)
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension().unwrap() == "out")
        .count();
    assert_eq!(outputs, 6, "3 read chunks x 2 parts");
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn speculative_backups_on_lambda_publish_each_output_once() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = planned(dir.path(), 800, 16);
    let function = deploy("chunkwise-speculate", &["--timeout", "60s"]);
    let out = format!("s3://{BUCKET}/{}/", run_prefix());
    // ministack runs the function on this machine: a folder here tells first attempts apart.
    // Chunks 3, 9 and 15 hang on their first attempt only.
    let started = dir.path().join("started");
    fs::create_dir(&started).unwrap();
    let script = format!(
        r#"if mkdir {0}/$CHUNK_SEQ 2>/dev/null && [ $((CHUNK_SEQ % 6)) = 3 ]; then
            echo $$ > {0}/$CHUNK_SEQ/pid; exec sleep 120
        fi
        sleep 0.3; sha256sum"#,
        started.display()
    );
    let joblog_path = dir.path().join("run.tsv");
    let clock = Instant::now();
    let ran = lambda_run(&function, &manifest_path, &out)
        .args(["-j", "4", "--speculate", "3", "--joblog"])
        .arg(&joblog_path)
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let wall = clock.elapsed();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{stderr}");
    assert!(stderr.contains("16 ok, 0 failed"), "{stderr}");
    assert!(
        wall < Duration::from_secs(30),
        "the hanging attempts (120 s) did not hold the run: {wall:?}"
    );

    let local = dir.path().join("local");
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "--out-dir"])
            .arg(&local)
            .arg("-m")
            .arg(&manifest_path)
            .args(["--", "sha256sum"]),
    );
    let prefix = out.trim_start_matches(&format!("s3://{BUCKET}/"));
    let rows = joblog_rows(&joblog_path);
    for chunk in manifest(&fs::read(&manifest_path).unwrap()) {
        let remote = get(BUCKET, &format!("{prefix}{}.out", chunk.id)).unwrap();
        assert_eq!(
            remote,
            fs::read(local.join(format!("{}.out", chunk.id))).unwrap(),
            "{}",
            chunk.id
        );
        let mut attempts: Vec<(&str, &str)> = rows
            .iter()
            .filter(|row| row[0] == chunk.id)
            .map(|row| (row[2].as_str(), row[RESULT].as_str()))
            .collect();
        attempts.sort_unstable();
        if chunk.seq % 6 == 3 {
            assert_eq!(
                attempts,
                [("1", "lost: another attempt succeeded first"), ("2", "ok")],
                "{}: the backup won and the straggler stopped itself",
                chunk.id
            );
            let pid = fs::read_to_string(started.join(format!("{}/pid", chunk.seq))).unwrap();
            assert!(!Path::new(&format!("/proc/{}", pid.trim())).exists());
        } else {
            assert_eq!(attempts, [("1", "ok")], "{}", chunk.id);
        }
    }

    // Outputs are only created: a second run into the same prefix says what is in the way.
    let again = lambda_run(&function, &manifest_path, &out)
        .args(["-j", "4", "--speculate", "3", "--", "sha256sum"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(".out exists already, and with --speculate outputs are only created"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn ten_thousand_chunks_with_failures_and_throttling_each_output_once() {
    const CHUNKS: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let prefix = run_prefix();
    let reads = Reads::new(CHUNKS).length(100..=100).bytes();
    let key = format!("{prefix}/reads.fq");
    upload(BUCKET, &key, reads.clone());
    let plan = run_ok(Command::new(bin("fastq-split")).args([
        "plan",
        &format!("s3://{BUCKET}/{key}"),
        "--records",
        "1",
    ]));
    let manifest_path = dir.path().join("chunks.jsonl");
    fs::write(&manifest_path, &plan).unwrap();
    assert_eq!(manifest(&plan).len(), CHUNKS);

    // 200 at once against a reserved concurrency of 24: throttled, retried.
    let function = deploy("chunkwise-10k", &["--timeout", "60s", "--memory", "256"]);
    reserve_concurrency(&function, 24);
    // 2 % of the chunks fail their first attempt (ministack runs the function on this
    // machine, so a folder here tells first attempts apart).
    let marks = dir.path().join("marks");
    fs::create_dir(&marks).unwrap();
    let script = format!(
        r#"if [ $((CHUNK_SEQ % 50)) = 7 ] && mkdir {}/$CHUNK_SEQ 2>/dev/null; then exit 3; fi; cat"#,
        marks.display()
    );
    let joblog_path = dir.path().join("run.tsv");
    let out = format!("s3://{BUCKET}/{prefix}/out/");
    let ran = lambda_run(&function, &manifest_path, &out)
        .args([
            "-j",
            "200",
            "--retries",
            "2",
            "--retry-delay",
            "10ms",
            "--suffix",
            ".fq",
        ])
        .arg("--joblog")
        .arg(&joblog_path)
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.contains(" exit 3 "))
        .collect();
    assert!(ran.status.success(), "{}", summary.join("\n"));
    eprintln!("{}", summary.join("\n"));
    assert!(
        stderr.contains("10000 ok, 0 failed, 0 skipped, 0 not run"),
        "{stderr}"
    );
    let usage = stderr
        .lines()
        .find(|line| line.starts_with(&format!("fanout: lambda:{function} in us-east-1: ")))
        .unwrap_or_else(|| panic!("no usage line: {stderr}"));
    let throttled = usage_figure(usage, " requests (");
    assert!(
        usage.contains(": 10200 requests (") && throttled > 0.0,
        "10,000 successes and 200 failures billed, some throttled: {usage}"
    );

    // The joblog: every chunk once ok, the 200 failing first attempts, their costs adding up
    // to the estimate.
    let rows = joblog_rows(&joblog_path);
    let mut results: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *results.entry(row[RESULT].as_str()).or_default() += 1;
    }
    assert_eq!(rows.len(), CHUNKS + CHUNKS / 50, "{results:?}");
    let mut ok = HashSet::new();
    for row in &rows {
        let seq: usize = row[1].parse().unwrap();
        if row[RESULT] == "ok" {
            assert!(ok.insert(seq), "chunk {seq} succeeded twice");
        } else {
            assert_eq!(
                (seq % 50, row[2].as_str(), row[RESULT].as_str()),
                (7, "1", "exit 3")
            );
        }
    }
    assert_eq!(ok.len(), CHUNKS);
    let cost: f64 = rows
        .iter()
        .map(|row| row[COST].parse::<f64>().unwrap())
        .sum();
    let estimate = usage_figure(usage, "estimated $");
    assert!((cost - estimate).abs() < 1e-5, "{cost} vs {estimate}");

    // Every output exactly once: together, the reads in order.
    let outputs = chunkwise_tests::s3::objects(BUCKET, &format!("{prefix}/out/"), ".fq");
    assert_eq!(outputs.len(), CHUNKS, "one output per chunk, nothing else");
    let joined: Vec<u8> = outputs.into_values().flatten().collect();
    assert!(
        joined == reads,
        "the outputs hold every read once, in order"
    );
}

/// `fastq-split index-parts` with both rounds on Lambda functions, the file and the work
/// prefix in S3: the joined index equals the one-pass index.
#[test]
#[ignore = "needs ministack (Lambda and S3); .ci/run starts it"]
fn an_index_built_by_lambda_workers_equals_the_one_pass_index() {
    let prefix = run_prefix();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&Reads::new(30_000).bytes()).unwrap();
    let key = format!("{prefix}/reads.fq.gz");
    upload(BUCKET, &key, gz.finish().unwrap());
    let url = format!("s3://{BUCKET}/{key}");
    let function = deploy("chunkwise-index", &["--timeout", "60s", "--memory", "512"]);
    let work = format!("s3://{BUCKET}/{prefix}/work/");
    let fanout = || {
        let mut command = Command::new(bin("fanout"));
        command.args(["--backend", "lambda", "--function", &function]);
        command
    };
    let joined = chunkwise_tests::index_in_parts(&url, 6, "64KiB", &work, &fanout);

    run_ok(Command::new(bin("fastq-split")).args(["-q", "index", &url, "--span", "64KiB"]));
    let one_pass = get(BUCKET, &format!("{key}.cwi")).unwrap();
    let one_pass = fastq_gz::index::GzIndex::read(&one_pass, "one pass").unwrap();
    assert!(
        one_pass.checkpoints.len() > 20,
        "{}",
        one_pass.checkpoints.len()
    );
    assert!(joined.same_but_for_tail_in(&one_pass));
    for step in [".scan.json", ".part.json"] {
        assert!(get(BUCKET, &format!("{prefix}/work/reads-part-5{step}")).is_some());
    }
}
