//! fasta-split index against samtools faidx: byte-identical .fai on every input samtools
//! accepts, and a failure (exit 65, with a position) wherever samtools fails.

use std::fs;
use std::path::Path;
use std::process::Command;

use chunkwise_tests::{bin, require_tool, shared_data};

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
