//! Storage faults: the tools read and write S3 through a proxy (`fault_proxy`) that answers
//! 500 or 503, resets connections, stalls, or cuts bodies short. Passing faults are retried
//! with backoff and the bytes come out exact; lasting ones fail with exit 74, naming the
//! object, and leave no output, on disk or in S3 (failed multipart uploads are aborted).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chunkwise_tests::bin;
use chunkwise_tests::fault_proxy::{Fault, FaultProxy, Request};
use chunkwise_tests::s3::{exists, pending_uploads, run_prefix, upload};

const BUCKET: &str = "chunkwise-faults";
const STORAGE_FAILED: i32 = 74;

/// The local S3 server's `host:port`.
fn upstream() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .expect("set AWS_ENDPOINT_URL to a local S3 server (see .ci/run)");
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// A proxy in front of the S3 server giving `fault` to the first `times` requests `matches` picks.
fn proxy(fault: Fault, times: usize, matches: fn(&Request) -> bool) -> FaultProxy {
    FaultProxy::first(&upstream(), fault, times, matches)
}

fn through(proxy: &FaultProxy, tool: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(bin(tool))
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .output()
        .unwrap()
}

/// A FASTQ of about 1 MiB, uploaded under a key of this run's own.
fn uploaded_reads() -> (String, Vec<u8>) {
    let reads = test_support::Reads::new(8000).length(60..=60).bytes();
    let key = format!("{}/reads.fq", run_prefix());
    upload(BUCKET, &key, reads.clone());
    (format!("s3://{BUCKET}/{key}"), reads)
}

fn plan_and_cat(proxy: &FaultProxy, url: &str, dir: &Path) -> (Output, Output) {
    let plan = through(proxy, "fastq-split", &["plan", "--chunks", "4", url], dir);
    fs::write(dir.join("chunks.jsonl"), &plan.stdout).unwrap();
    let cat = through(proxy, "fastq-split", &["cat", "chunks.jsonl"], dir);
    (plan, cat)
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn passing_faults_on_ranged_reads_are_retried_and_the_bytes_are_exact() {
    let (url, reads) = uploaded_reads();
    for fault in [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Reset,
        Fault::Stall(Duration::from_secs(2)),
        Fault::ShortBody,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let proxy = proxy(fault, 2, Request::is_ranged_get);
        let (plan, cat) = plan_and_cat(&proxy, &url, dir.path());
        assert!(
            plan.status.success() && cat.status.success(),
            "{fault:?}: {}{}",
            String::from_utf8_lossy(&plan.stderr),
            String::from_utf8_lossy(&cat.stderr)
        );
        assert!(
            cat.stdout == reads,
            "{fault:?}: the chunks differ from the object"
        );
        assert_eq!(proxy.count(fault), 2, "{fault:?} was injected twice");
    }
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn lasting_faults_fail_with_exit_74_and_leave_no_output() {
    let (url, _) = uploaded_reads();
    // Plan without faults, then read through a proxy that never lets a ranged GET through.
    let dir = tempfile::tempdir().unwrap();
    let clean = proxy(Fault::None, 0, Request::is_ranged_get);
    let (plan, _) = plan_and_cat(&clean, &url, dir.path());
    assert!(plan.status.success());
    for fault in [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Reset,
        Fault::ShortBody,
    ] {
        let proxy = proxy(fault, usize::MAX, Request::is_ranged_get);
        let out = dir.path().join(format!("out-{}", proxy.endpoint().len()));
        fs::create_dir_all(&out).unwrap();
        let cat = through(
            &proxy,
            "fastq-split",
            &["cat", "chunks.jsonl", "--out-dir", out.to_str().unwrap()],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&cat.stderr);
        assert_eq!(
            cat.status.code(),
            Some(STORAGE_FAILED),
            "{fault:?}: {stderr}"
        );
        assert!(
            stderr.contains(&url),
            "{fault:?}: the error names the object: {stderr}"
        );
        assert!(
            proxy.count(fault) >= 3,
            "{fault:?}: retried before giving up"
        );
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            0,
            "{fault:?}: nothing is left in the output directory"
        );
    }
}

#[test]
#[ignore = "needs a local S3 server; .ci/run starts one"]
fn a_failed_multipart_upload_is_aborted_and_leaves_no_object() {
    let (url, _) = uploaded_reads();
    let prefix = format!("{}/out/", run_prefix());
    let dir = tempfile::tempdir().unwrap();
    let clean = proxy(Fault::None, 0, Request::is_ranged_get);
    let plan = through(
        &clean,
        "fastq-split",
        &["plan", "--chunks", "2", &url],
        dir.path(),
    );
    assert!(plan.status.success());
    fs::write(dir.path().join("chunks.jsonl"), &plan.stdout).unwrap();
    // Every part of every upload fails; each chunk's output is 20 MB (a multipart upload).
    let proxy = proxy(Fault::Status(500), usize::MAX, Request::is_upload_part);
    let run = Command::new(bin("fanout"))
        .args([
            "--out-dir",
            &format!("s3://{BUCKET}/{prefix}"),
            "-m",
            "chunks.jsonl",
            "--",
        ])
        .args(["sh", "-c", "cat >/dev/null; head -c 20000000 /dev/zero"])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("uploading part 1"), "{stderr}");
    assert!(proxy.count(Fault::Status(500)) >= 2);
    let chunks: Vec<String> = String::from_utf8(plan.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for id in &chunks {
        assert!(
            !exists(BUCKET, &format!("{prefix}{id}")),
            "{id}: no object appears"
        );
    }
    assert_eq!(
        pending_uploads(BUCKET, &prefix),
        0,
        "every multipart upload was aborted"
    );
}
