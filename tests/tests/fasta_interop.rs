//! fasta-split index against samtools faidx: byte-identical .fai on every input samtools
//! accepts, and a failure (exit 65, with a position) wherever samtools fails.

use std::fs;
use std::path::Path;
use std::process::Command;

use chunkwise_tests::{bin, manifest, require_tool, run_ok, shared_data};

/// samtools' .fai of a file, or None when samtools refuses it.
fn samtools_fai(fasta: &Path) -> Option<Vec<u8>> {
    let copy = fasta.with_extension("samtools.fa");
    fs::copy(fasta, &copy).unwrap();
    let status = Command::new("samtools")
        .arg("faidx")
        .arg(&copy)
        .output()
        .unwrap()
        .status;
    status
        .success()
        .then(|| fs::read(format!("{}.fai", copy.display())).unwrap())
}

fn ours(fasta: &Path) -> Result<Vec<u8>, (Option<i32>, String)> {
    let output = Command::new(bin("fasta-split"))
        .args(["index", "-o", "-"])
        .arg(fasta)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err((
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

fn compare(fasta: &Path) {
    match (samtools_fai(fasta), ours(fasta)) {
        (Some(expected), Ok(actual)) => assert!(
            expected == actual,
            "{}: .fai differs\nsamtools:\n{}\nours:\n{}",
            fasta.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&actual)
        ),
        (None, Err((code, message))) => {
            assert_eq!(code, Some(65), "{}: {message}", fasta.display());
            assert!(message.contains(&fasta.display().to_string()), "{message}");
        }
        (Some(_), Err((_, message))) => panic!(
            "{}: samtools accepts it, we refuse: {message}",
            fasta.display()
        ),
        (None, Ok(_)) => panic!("{}: samtools refuses it, we accept it", fasta.display()),
    }
}

#[test]
#[ignore = "needs samtools and ../shared/data"]
fn shared_references_match_samtools() {
    require_tool("samtools");
    let dir = tempfile::tempdir().unwrap();
    for name in ["htslib__faidx.fa", "htslib__ce.fa"] {
        let copy = dir.path().join(name);
        fs::copy(shared_data(&format!("fasta/{name}")), &copy).unwrap();
        compare(&copy);
    }
    assert_eq!(
        ours(&shared_data("fasta/htslib__faidx.fa")).unwrap(),
        fs::read(shared_data("fasta/htslib__faidx.fa.expected.fai")).unwrap()
    );
}

#[test]
#[ignore = "needs samtools"]
fn edge_cases_match_samtools() {
    require_tool("samtools");
    let cases: &[&str] = &[
        ">a\nACGT\nACGT\nAC\n>b\nAC\n",
        ">a\r\nACGT\r\nAC\r\n",
        ">a\nACGTA",
        ">  x y\nAC\n>\nGG\n",
        ">a\nacgN-\n\n\n>b\nA C*\n",
        ">empty\n>b\nAC\n",
        ">a\nAC\n>a\nGGG\n",
        ">a\nACGT\nAC\nACGT\n",
        ">a\nAC\nACGT\n",
        ">a\nAC\n\nAC\n",
        ">a\nAC\n>b\n",
        ">a\nAC\n>b",
        "",
        "ACGT\n",
        "\n\n>a\nAC\n",
        ">a\nACGT\r\n\r\n>b\nAA\n",
        ">a\nACGT\n\r\n>b\nAA\n",
        ">a\tdesc\nNNNN\nNN\n",
        ">a\nACGT\nACGT\n\n",
        ">a\nAC GT\nACGT\n",
        ">a\n\tACG\nACGT\n",
        ">a\n>b\n>c\nA\n",
        ">a\nAC\r",
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.fa"));
        fs::write(&path, case).unwrap();
        compare(&path);
    }
    // samtools faidx also indexes FASTQ; we say it is FASTQ instead of misreading it.
    let path = dir.path().join("reads.fq");
    fs::write(&path, "@r\nACGT\n+\nIIII\n").unwrap();
    let (code, message) = ours(&path).unwrap_err();
    assert_eq!(code, Some(65));
    assert!(
        message.contains("line 1 (byte 0): this is FASTQ, not FASTA"),
        "{message}"
    );
}

/// Sequences of a FASTA file by name, from `samtools faidx FILE REGION...` output.
fn samtools_sequences(fasta: &Path, regions: &[String]) -> Vec<(String, String)> {
    let output = run_ok(
        Command::new("samtools")
            .arg("faidx")
            .arg(fasta)
            .args(regions),
    );
    let mut sequences: Vec<(String, String)> = Vec::new();
    for line in String::from_utf8(output).unwrap().lines() {
        match line.strip_prefix('>') {
            Some(name) => sequences.push((name.to_string(), String::new())),
            None => sequences.last_mut().unwrap().1.push_str(line),
        }
    }
    sequences
}

fn check_plan(reference: &Path, chunks: u32, overlap: u32, line_width: Option<u32>) {
    let work = tempfile::tempdir().unwrap();
    let map = work.path().join("parts.tsv");
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(reference)
            .args([
                "--chunks",
                &chunks.to_string(),
                "--overlap",
                &overlap.to_string(),
                "--map",
            ])
            .arg(&map),
    );
    let manifest_path = work.path().join("chunks.jsonl");
    fs::write(&manifest_path, &plan).unwrap();
    let out = work.path().join("parts");
    let mut cat = Command::new(bin("fasta-split"));
    cat.arg("cat")
        .arg(&manifest_path)
        .arg("--out-dir")
        .arg(&out);
    if let Some(width) = line_width {
        cat.args(["--line-width", &width.to_string()]);
    }
    run_ok(&mut cat);

    let map = fasta::NameMap::read(
        fs::File::open(&map).map(std::io::BufReader::new).unwrap(),
        "parts.tsv",
    )
    .unwrap();
    let chunks = manifest(&plan);
    for chunk in &chunks {
        let file = out.join(format!("{}.fa", chunk.id));
        // Each chunk indexes cleanly, and every part equals samtools' region of the original.
        let ids: Vec<String> = chunk.detail["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        let ours = samtools_sequences(&file, &ids);
        let regions: Vec<String> = ids
            .iter()
            .map(|id| {
                let part = map.get(id).unwrap();
                format!("{}:{}-{}", part.orig_name, part.start, part.end)
            })
            .collect();
        let theirs = samtools_sequences(reference, &regions);
        assert_eq!(ours.len(), theirs.len());
        for ((id, ours), (region, theirs)) in ours.iter().zip(&theirs) {
            assert!(
                ours == theirs,
                "{}: part {id} differs from samtools faidx {region}",
                reference.display()
            );
        }
        if let Some(width) = line_width {
            let text = fs::read_to_string(&file).unwrap();
            assert!(text
                .lines()
                .all(|line| line.starts_with('>') || line.len() <= width as usize));
        }
        run_ok(Command::new("bwa").arg("index").arg(&file));
    }
}

#[test]
#[ignore = "needs samtools, bwa and ../shared/data"]
fn chunks_match_samtools_regions_and_index_with_bwa() {
    require_tool("samtools");
    require_tool("bwa");
    let dir = tempfile::tempdir().unwrap();
    let ce = dir.path().join("ce.fa");
    fs::copy(shared_data("fasta/htslib__ce.fa"), &ce).unwrap();
    check_plan(&ce, 1, 400, None);
    check_plan(&ce, 5, 400, None);
    check_plan(&ce, 16, 1000, Some(60));

    let edges = dir.path().join("faidx.fa");
    fs::copy(shared_data("fasta/htslib__faidx.fa"), &edges).unwrap();
    check_plan(&edges, 3, 10, None);

    // Many tiny records: seqkit's hairpin set, decompressed.
    let hairpin = dir.path().join("hairpin.fa");
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(
            fs::File::open(shared_data("fasta/seqkit__hairpin.fa.gz")).unwrap(),
        ),
        &mut text,
    )
    .unwrap();
    fs::write(&hairpin, text).unwrap();
    compare(&hairpin);
    check_plan(&hairpin, 7, 50, None);
}

#[test]
#[ignore = "needs samtools"]
fn compressed_references_are_refused_with_advice() {
    require_tool("bgzip");
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("ref.fa");
    fs::write(&plain, ">a\nACGT\n").unwrap();
    run_ok(Command::new("bgzip").arg("-k").arg(&plain));
    run_ok(
        Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -c {0} > {0}.plain.gz", plain.display())),
    );
    for (file, advice) in [
        (format!("{}.gz", plain.display()), "BGZF-compressed"),
        (format!("{}.plain.gz", plain.display()), "bgzip"),
    ] {
        for verb in [&["index", "-o", "-"][..], &["plan", "--chunks", "2"]] {
            let output = chunkwise_tests::run_failing(
                Command::new(bin("fasta-split")).args(verb).arg(&file),
            );
            assert_eq!(output.status.code(), Some(65));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&file) && stderr.contains(advice),
                "{stderr}"
            );
        }
    }
}
