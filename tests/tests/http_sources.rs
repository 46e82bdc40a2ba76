//! Tools reading http:// sources from a range-serving server on 127.0.0.1.

use std::fs;
use std::process::Command;

use chunkwise_tests::fault_proxy::{Fault, FaultProxy, Request};
use chunkwise_tests::{bin, manifest, run_failing, run_ok, RangeServer};
use test_support::Reads;

#[test]
fn fastq_and_fasta_chunks_come_over_http() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("reads.fq"), Reads::new(500).text()).unwrap();
    fs::write(
        dir.path().join("ref.fa"),
        ">a desc\nACGTACGTAC\nACGTAC\n>b\nGGGGCCCC\nTT\n",
    )
    .unwrap();
    let server = RangeServer::start(dir.path(), true);

    let url = server.url("reads.fq");
    let plan = run_ok(Command::new(bin("fastq-split")).args(["plan", &url, "--chunks", "4"]));
    assert_eq!(manifest(&plan).len(), 4);
    let path = dir.path().join("chunks.jsonl");
    fs::write(&path, plan).unwrap();
    assert_eq!(
        String::from_utf8(run_ok(
            Command::new(bin("fastq-split")).arg("cat").arg(&path)
        ))
        .unwrap(),
        Reads::new(500).text()
    );

    let url = server.url("ref.fa");
    let index = run_ok(Command::new(bin("fasta-split")).args(["index", &url, "-o", "-"]));
    assert_eq!(
        String::from_utf8(index).unwrap(),
        "a\t16\t8\t10\t11\nb\t10\t29\t8\t9\n"
    );
}

#[test]
fn https_sources_trust_the_certificates_ssl_cert_file_names() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("reads.fq"), Reads::new(300).text()).unwrap();
    let server = RangeServer::start_https(dir.path());
    let url = server.url("reads.fq");
    assert!(url.starts_with("https://127.0.0.1:"));
    let split = |trust: Option<&std::path::Path>| {
        let mut command = Command::new(bin("fastq-split"));
        command.args(["plan", &url, "--chunks", "3"]);
        command.env_remove("SSL_CERT_FILE");
        if let Some(trust) = trust {
            command.env("SSL_CERT_FILE", trust);
        }
        command
    };

    let plan = run_ok(&mut split(Some(server.authority())));
    assert_eq!(manifest(&plan).len(), 3);
    let path = dir.path().join("chunks.jsonl");
    fs::write(&path, plan).unwrap();
    let cat = run_ok(
        Command::new(bin("fastq-split"))
            .arg("cat")
            .arg(&path)
            .env("SSL_CERT_FILE", server.authority()),
    );
    assert_eq!(String::from_utf8(cat).unwrap(), Reads::new(300).text());

    // Mozilla's roots do not know the test authority.
    let output = run_failing(&mut split(None));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(74), "{stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("certificate"),
        "{stderr}"
    );

    let not_pem = dir.path().join("reads.fq");
    let output = run_failing(&mut split(Some(&not_pem)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no PEM certificate"), "{stderr}");
}

#[test]
fn missing_objects_and_servers_without_ranges_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("reads.fq"), Reads::new(50).text()).unwrap();
    let server = RangeServer::start(dir.path(), true);
    let output = run_failing(Command::new(bin("fastq-split")).args([
        "plan",
        &server.url("nothing.fq"),
        "--chunks",
        "2",
    ]));
    assert_eq!(output.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing.fq: not found"));

    let ignoring = RangeServer::start(dir.path(), false);
    let output = run_failing(Command::new(bin("fastq-split")).args([
        "plan",
        &ignoring.url("reads.fq"),
        "--chunks",
        "2",
    ]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not serve byte ranges"), "{stderr}");
}

/// A proxy in front of `server` giving `fault` to the first `times` ranged GETs.
fn faulty(server: &RangeServer, fault: Fault, times: usize) -> FaultProxy {
    let upstream = format!("127.0.0.1:{}", server.port);
    FaultProxy::first(&upstream, fault, times, Request::is_ranged_get)
}

#[test]
fn http_reads_retry_passing_faults_and_fail_lasting_ones_with_exit_74() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("reads.fq"), Reads::new(3000).text()).unwrap();
    let server = RangeServer::start(dir.path(), true);
    let manifest_path = dir.path().join("chunks.jsonl");
    for fault in [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Reset,
        Fault::ShortBody,
    ] {
        let proxy = faulty(&server, fault, 2);
        let url = format!("{}/reads.fq", proxy.endpoint());
        let plan = run_ok(Command::new(bin("fastq-split")).args(["plan", &url, "--chunks", "3"]));
        fs::write(&manifest_path, plan).unwrap();
        let chunks = run_ok(
            Command::new(bin("fastq-split"))
                .arg("cat")
                .arg(&manifest_path),
        );
        assert!(
            chunks == Reads::new(3000).text().into_bytes(),
            "{fault:?}: chunks differ"
        );
        assert_eq!(proxy.count(fault), 2, "{fault:?} was injected twice");

        // The same fault on every request: an error naming the URL, and no output.
        let lasting = faulty(&server, fault, usize::MAX);
        let text = fs::read_to_string(&manifest_path).unwrap();
        fs::write(
            &manifest_path,
            text.replace(&proxy.endpoint(), &lasting.endpoint()),
        )
        .unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        let output = run_failing(
            Command::new(bin("fastq-split"))
                .arg("cat")
                .arg(&manifest_path)
                .arg("--out-dir")
                .arg(&out),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(74), "{fault:?}: {stderr}");
        assert!(stderr.contains(&lasting.endpoint()), "{fault:?}: {stderr}");
        assert!(
            lasting.count(fault) >= 3,
            "{fault:?}: retried before giving up"
        );
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            0,
            "{fault:?}: no output"
        );
    }
}
