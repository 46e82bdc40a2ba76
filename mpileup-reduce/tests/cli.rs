//! The mpileup-reduce binary on generated partials: merge, plan, cat, merge --chunk, errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tool() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mpileup-reduce"))
}

fn ok(command: &mut Command) -> Vec<u8> {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn failing(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(!output.status.success(), "{command:?} succeeded");
    output
}

/// `chunks` partials over two chromosomes; chunk c has reads at positions where (p + c) % 3 != 0.
fn partials(dir: &Path, chunks: usize) -> Vec<PathBuf> {
    fs::write(
        dir.join("ref.fa.fai"),
        "chrB\t5000\t6\t60\t61\nchrA\t5000\t5090\t60\t61\n",
    )
    .unwrap();
    (0..chunks)
        .map(|c| {
            let mut text = String::new();
            for chrom in ["chrB", "chrA"] {
                for p in 1..=2000u64 {
                    if (p + c as u64).is_multiple_of(3) {
                        continue;
                    }
                    let depth = 1 + (p as usize + c) % 4;
                    text.push_str(&format!(
                        "{chrom}\t{p}\tA\t{depth}\t{}\t{}\n",
                        ",".repeat(depth),
                        "I".repeat(depth)
                    ));
                }
            }
            let path = dir.join(format!("c{c}.pileup"));
            fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn reducers_concatenate_to_one_merge() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = partials(dir.path(), 5);
    let fai = dir.path().join("ref.fa.fai");
    let merged = ok(tool().arg("merge").arg("--fai").arg(&fai).args(&inputs));
    assert_eq!(String::from_utf8_lossy(&merged).lines().count(), 4000);
    assert!(
        String::from_utf8_lossy(&merged).starts_with("chrB\t1\tA\t"),
        "the .fai order, not name order"
    );

    let plan = ok(tool()
        .arg("plan")
        .arg("--fai")
        .arg(&fai)
        .args(["--reducers", "6"])
        .args(&inputs));
    let manifest = dir.path().join("reducers.jsonl");
    fs::write(&manifest, &plan).unwrap();
    assert!(String::from_utf8_lossy(&plan).lines().count() >= 4);
    assert_eq!(ok(tool().arg("cat").arg(&manifest)), merged);

    // One reducer's line, given to merge --chunk, equals cat --seq of it.
    let second = String::from_utf8(plan)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    fs::write(dir.path().join("one.jsonl"), format!("{second}\n")).unwrap();
    assert_eq!(
        ok(tool()
            .args(["merge", "--chunk"])
            .arg(dir.path().join("one.jsonl"))),
        ok(tool().arg("cat").arg(&manifest).args(["--seq", "1"]))
    );
}

#[test]
fn bad_inputs_exit_65_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unsorted.pileup",
            "c\t5\tA\t1\tA\tI\nc\t4\tA\t1\tA\tI\n",
            "unsorted.pileup: line 2, column 1: unsorted input: c:4 comes after c:5",
        ),
        (
            "token.pileup",
            "c\t5\tA\t2\tA-9A\tII\n",
            "token.pileup: line 1, column 10: indel of 9 bases runs past the column",
        ),
        (
            "depth.pileup",
            "c\t5\tA\t3\tAA\tII\n",
            "depth.pileup: line 1, column 7: depth 3 but 2 read bases and 2 qualities",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let output = failing(tool().arg("merge").arg(&path));
        assert_eq!(output.status.code(), Some(65), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    let (one, two) = (dir.path().join("one.pileup"), dir.path().join("two.pileup"));
    fs::write(&one, "c\t5\tA\t1\tA\tI\n").unwrap();
    fs::write(&two, "c\t6\tA\t1\tA\tI\t0\t*\t*\n").unwrap();
    let output = failing(tool().arg("merge").arg(&one).arg(&two));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("2 samples per line, but"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = failing(tool().args(["plan", "--reducers", "2"]).arg(&one));
    assert_eq!(output.status.code(), Some(2));
}
