//! The tools together, on generated data: `fastq-split plan | fanout -- CMD`.

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use chunkwise_tests::{bin, manifest, run_failing, run_ok};
use test_support::Reads;

fn plan(dir: &std::path::Path, count: usize, chunks: u32) -> std::path::PathBuf {
    let input = dir.join("reads.fq");
    fs::write(&input, Reads::new(count).text()).unwrap();
    let stdout = run_ok(Command::new(bin("fastq-split")).args([
        "plan",
        input.to_str().unwrap(),
        "--chunks",
        &chunks.to_string(),
    ]));
    let path = dir.join("chunks.jsonl");
    fs::write(&path, stdout).unwrap();
    path
}

#[test]
fn fanout_feeds_every_chunk_to_the_command_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 97, 5);
    let stdout = run_ok(
        Command::new(bin("fanout"))
            .args(["-j", "3", "--keep-order", "--quiet", "-m"])
            .arg(&chunks)
            .args([
                "--",
                "sh",
                "-c",
                "echo \"$CHUNK_ID {seq}/{total} {kind} $(grep -c '^+$')\"",
            ]),
    );
    let lines: Vec<String> = String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let expected: Vec<String> = manifest(&fs::read(&chunks).unwrap())
        .iter()
        .map(|chunk| {
            format!(
                "{} {}/5 fastq {}",
                chunk.id, chunk.seq, chunk.detail["records"]
            )
        })
        .collect();
    assert_eq!(lines, expected);
    let total: u64 = lines
        .iter()
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 97);
}

#[test]
fn fanout_reads_the_manifest_from_stdin_and_writes_outputs_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 20, 4);
    let out = dir.path().join("out");
    let mut child = Command::new(bin("fanout"))
        .args(["--quiet", "--suffix", ".fq", "--out-dir"])
        .arg(&out)
        .args(["--", "cat"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(&chunks).unwrap())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut rebuilt = String::new();
    for chunk in manifest(&fs::read(&chunks).unwrap()) {
        rebuilt.push_str(&fs::read_to_string(out.join(format!("{}.fq", chunk.id))).unwrap());
        assert_eq!(
            fs::read(out.join(format!("{}.err", chunk.id))).unwrap(),
            b""
        );
    }
    assert_eq!(rebuilt, Reads::new(20).text());
}

#[test]
fn a_failing_chunk_fails_the_run_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 12, 3);
    let out = dir.path().join("out");
    let output = run_failing(
        Command::new(bin("fanout"))
            .args(["--out-dir"])
            .arg(&out)
            .arg("-m")
            .arg(&chunks)
            .args(["--", "sh", "-c", "cat; echo oops >&2; [ {seq} != 1 ]"]),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("fanout: 1 of 3 chunks failed: reads-1"),
        "{stderr}"
    );
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "reads-0.err",
            "reads-0.out",
            "reads-1.err",
            "reads-2.err",
            "reads-2.out"
        ]
    );
    assert_eq!(
        fs::read_to_string(out.join("reads-1.err")).unwrap(),
        "oops\n"
    );
}

#[test]
fn a_source_changed_after_planning_fails_the_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 12, 2);
    fs::write(dir.path().join("reads.fq"), Reads::new(13).text()).unwrap();
    let output = run_failing(
        Command::new(bin("fanout"))
            .arg("-m")
            .arg(&chunks)
            .args(["--", "wc", "-l"]),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the source changed, plan again"),
        "{stderr}"
    );
}

#[test]
fn bad_manifest_lines_name_the_line_and_exit_65() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 4, 2);
    let mut text = fs::read_to_string(&chunks).unwrap();
    text.push_str("{\"v\":1,\"kind\":\"vcf\"}\n");
    fs::write(&chunks, text).unwrap();
    for command in [
        Command::new(bin("fanout"))
            .arg("-m")
            .arg(&chunks)
            .args(["--", "true"]),
        Command::new(bin("fastq-split")).arg("cat").arg(&chunks),
    ] {
        let output = run_failing(command);
        assert_eq!(output.status.code(), Some(65));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("{}: line 3: unknown kind 'vcf'", chunks.display())),
            "{stderr}"
        );
    }
}

#[test]
fn missing_input_exits_66_and_bad_fastq_exits_65_with_position() {
    let output = run_failing(Command::new(bin("fastq-split")).args([
        "plan",
        "/no/such.fq",
        "--chunks",
        "2",
    ]));
    assert_eq!(output.status.code(), Some(66));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "fastq-split: /no/such.fq: not found\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.fq");
    fs::write(&input, "@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\nIII\n").unwrap();
    let output = run_failing(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&input)
            .args(["--chunks", "2"]),
    );
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.fq: byte 31: file ends inside the record starting at line 5"),
        "{stderr}"
    );
}

#[test]
fn cat_writes_chunk_files_atomically_and_picks_by_id_or_seq() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = plan(dir.path(), 9, 3);
    let by_seq = run_ok(
        Command::new(bin("fastq-split"))
            .args(["cat", "--seq", "2"])
            .arg(&chunks),
    );
    let by_id = run_ok(
        Command::new(bin("fastq-split"))
            .args(["cat", "--id", "reads-2"])
            .arg(&chunks),
    );
    assert_eq!(by_seq, by_id);
    assert_eq!(
        String::from_utf8(by_seq).unwrap(),
        Reads::new(9).text()[Reads::new(6).text().len()..]
    );
    let output = run_failing(
        Command::new(bin("fastq-split"))
            .args(["cat", "--id", "nope"])
            .arg(&chunks),
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("no chunk with id nope"));

    let out = dir.path().join("chunks");
    run_ok(
        Command::new(bin("fastq-split"))
            .arg("cat")
            .arg(&chunks)
            .arg("--out-dir")
            .arg(&out),
    );
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["reads-0.fq", "reads-1.fq", "reads-2.fq"]);
}

#[test]
fn a_closed_pipe_downstream_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reads.fq");
    fs::write(&input, Reads::new(20_000).text()).unwrap();
    let stdout = run_ok(Command::new(bin("fastq-split")).args([
        "plan",
        input.to_str().unwrap(),
        "--records",
        "1000",
    ]));
    let chunks = dir.path().join("chunks.jsonl");
    fs::write(&chunks, stdout).unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {} cat {} | head -c 10",
            bin("fastq-split").display(),
            chunks.display()
        ))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stderr, b"");
}

#[test]
fn every_binary_has_help() {
    for name in [
        "fastq-split",
        "fasta-split",
        "sra-split",
        "mpileup-reduce",
        "lidar-tile",
        "fanout",
    ] {
        let stdout = String::from_utf8(run_ok(Command::new(bin(name)).arg("--help"))).unwrap();
        assert!(stdout.contains("Usage:"), "{name}: {stdout}");
        assert!(
            stdout.contains("Examples:"),
            "{name} --help has no examples"
        );
    }
}

#[test]
fn fanout_feeds_reference_parts_with_their_short_headers() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.fa");
    let mut text = String::new();
    for (name, length) in [("chr1", 900), ("chr2", 250), ("chrM", 40)] {
        text.push_str(&format!(">{name} test\n"));
        let bases: String = (0..length).map(|i| ['A', 'C', 'G', 'T'][i % 4]).collect();
        for line in bases.as_bytes().chunks(60) {
            text.push_str(std::str::from_utf8(line).unwrap());
            text.push('\n');
        }
    }
    fs::write(&reference, text).unwrap();
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(&reference)
            .args(["--chunks", "3", "--overlap", "20"]),
    );
    let chunks = dir.path().join("chunks.jsonl");
    fs::write(&chunks, &plan).unwrap();
    let stdout = run_ok(
        Command::new(bin("fanout"))
            .args(["--keep-order", "--quiet", "-m"])
            .arg(&chunks)
            .args([
                "--",
                "sh",
                "-c",
                "grep '^>' | tr -d '>' | tr '\\n' ' '; echo",
            ]),
    );
    assert_eq!(String::from_utf8(stdout).unwrap(), "1_1 \n1_2 \n1_3 2 3 \n");
}

#[test]
fn missing_sra_tools_exit_69_with_install_advice() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("SRR1.sra");
    fs::write(&run, b"not really a run").unwrap();
    let output = run_failing(
        Command::new(bin("sra-split"))
            .arg("plan")
            .arg(&run)
            .args(["--chunks", "2"])
            .env("PATH", dir.path()),
    );
    assert_eq!(output.status.code(), Some(69));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("vdb-dump not found") && stderr.contains("apt-get install sra-toolkit"),
        "{stderr}"
    );

    let plan = run_ok(
        Command::new(bin("sra-split")).args(["plan", "SRR1", "--spots", "10", "--chunks", "2"]),
    );
    let chunks = dir.path().join("chunks.jsonl");
    fs::write(&chunks, plan).unwrap();
    let output = run_failing(
        Command::new(bin("sra-split"))
            .arg("cat")
            .arg(&chunks)
            .env("PATH", dir.path()),
    );
    assert_eq!(output.status.code(), Some(69));
    assert!(String::from_utf8_lossy(&output.stderr).contains("fastq-dump not found"));

    let output =
        run_failing(Command::new(bin("sra-split")).args(["plan", "SRR1", "--chunks", "2"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("an accession needs its spot count"));
}

/// `fastq-split index-parts` with both rounds under local fanout: the joined index equals the
/// one-pass index, and plans from it rebuild the input.
#[test]
fn an_index_built_by_fanout_workers_equals_the_one_pass_index() {
    let dir = tempfile::tempdir().unwrap();
    let text = Reads::new(30_000).bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&text).unwrap();
    let input = dir.path().join("reads.fq.gz");
    fs::write(&input, gz.finish().unwrap()).unwrap();
    let input = input.to_str().unwrap();
    let work = dir.path().join("work");
    let fanout = || Command::new(bin("fanout"));
    let joined =
        chunkwise_tests::index_in_parts(input, 8, "64KiB", work.to_str().unwrap(), &fanout);
    run_ok(Command::new(bin("fastq-split")).args(["-q", "index", input, "--span", "64KiB"]));
    let one_pass = fs::read(format!("{input}.cwi")).unwrap();
    let one_pass = fastq_gz::index::GzIndex::read(&one_pass, "one pass").unwrap();
    assert!(one_pass.checkpoints.len() > 20 && joined.same_but_for_tail_in(&one_pass));

    let mut bytes = Vec::new();
    joined.write(&mut bytes).unwrap();
    let joined_path = dir.path().join("joined.cwi");
    fs::write(&joined_path, bytes).unwrap();
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .args(["plan", input, "--chunks", "7", "--index"])
            .arg(&joined_path),
    );
    let chunks = dir.path().join("chunks.jsonl");
    fs::write(&chunks, plan).unwrap();
    let rebuilt = run_ok(Command::new(bin("fastq-split")).arg("cat").arg(&chunks));
    assert!(rebuilt == text);
}
