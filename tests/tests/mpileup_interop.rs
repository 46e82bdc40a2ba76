//! mpileup-reduce against samtools: reads split into chunks (mates together), piled up per
//! chunk with `samtools mpileup -d 0`, merged, equal the pileup of the whole BAM as multisets
//! of (read token, quality) per position; reducers planned over the partials rebuild the
//! same merge.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, manifest, require_tool, run_ok, shared_data};

/// Splits a BAM's reads into `k` BAMs by read name, so mates stay together.
fn split_bam(bam: &Path, k: usize, dir: &Path, tag: &str) -> Vec<PathBuf> {
    let sam = String::from_utf8(run_ok(
        Command::new("samtools").args(["view", "-h"]).arg(bam),
    ))
    .unwrap();
    let (header, reads): (Vec<&str>, Vec<&str>) =
        sam.lines().partition(|line| line.starts_with('@'));
    let mut parts = vec![header.join("\n") + "\n"; k];
    for read in reads {
        let name = read.split('\t').next().unwrap();
        // FNV-1a: a fixed, well-spread choice of chunk per read name.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        parts[(hash % k as u64) as usize].push_str(&format!("{read}\n"));
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let sam = dir.join(format!("{tag}.{i}.sam"));
            let bam = dir.join(format!("{tag}.{i}.bam"));
            fs::write(&sam, text).unwrap();
            run_ok(
                Command::new("samtools")
                    .args(["view", "-b", "-o"])
                    .arg(&bam)
                    .arg(&sam),
            );
            bam
        })
        .collect()
}

fn pileup(bams: &[&Path], extra: &[&str]) -> Vec<u8> {
    run_ok(
        Command::new("samtools")
            .args(["mpileup", "-d", "0"])
            .args(extra)
            .args(bams),
    )
}

/// The read tokens of a BASES column, marks and indels included.
fn tokens(bases: &str) -> Vec<String> {
    let bytes = bases.as_bytes();
    let mut tokens: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'^' => {
                tokens.push(String::from_utf8_lossy(&bytes[i..i + 3]).into_owned());
                i += 3;
            }
            b'$' => {
                tokens.last_mut().unwrap().push('$');
                i += 1;
            }
            b'+' | b'-' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let length: usize = bases[i + 1..i + 1 + digits].parse().unwrap();
                let end = i + 1 + digits + length;
                tokens.last_mut().unwrap().push_str(&bases[i..end]);
                i = end;
            }
            _ => {
                tokens.push((bytes[i] as char).to_string());
                i += 1;
            }
        }
    }
    tokens
}

type Multisets = BTreeMap<(String, u64), (String, Vec<Vec<(String, char)>>)>;

/// Per position: REF and, per sample, the sorted (token, quality) pairs.
fn multisets(text: &[u8]) -> Multisets {
    let mut positions = BTreeMap::new();
    for line in String::from_utf8_lossy(text).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let samples = (fields.len() - 3) / 3;
        let groups = (0..samples)
            .map(|s| {
                let (depth, bases, quals) =
                    (fields[3 + 3 * s], fields[4 + 3 * s], fields[5 + 3 * s]);
                if depth == "0" {
                    return Vec::new();
                }
                let mut pairs: Vec<(String, char)> =
                    tokens(bases).into_iter().zip(quals.chars()).collect();
                assert_eq!(pairs.len(), depth.parse::<usize>().unwrap(), "{line}");
                pairs.sort();
                pairs
            })
            .collect();
        positions.insert(
            (fields[0].to_string(), fields[1].parse().unwrap()),
            (fields[2].to_string(), groups),
        );
    }
    positions
}

fn merge(partials: &[PathBuf], extra: &[&str]) -> Vec<u8> {
    run_ok(
        Command::new(bin("mpileup-reduce"))
            .arg("merge")
            .args(extra)
            .args(partials),
    )
}

#[test]
#[ignore = "needs samtools and ../shared/data"]
fn merged_chunk_pileups_equal_the_whole_pileup() {
    require_tool("samtools");
    let dir = tempfile::tempdir().unwrap();
    let bams: Vec<PathBuf> = (1..=3)
        .map(|i| shared_data(&format!("mpileup/samtools__mpileup.{i}.bam")))
        .collect();
    let reference = dir.path().join("ref.fa");
    fs::copy(shared_data("mpileup/samtools__mpileup.ref.fa"), &reference).unwrap();
    let with_reference = ["-f", reference.to_str().unwrap()];
    for k in [2, 3, 7] {
        // One sample, with the reference (REF column and BAQ), then three samples without.
        let chunks = split_bam(&bams[0], k, dir.path(), &format!("one{k}"));
        let partials: Vec<PathBuf> = chunks
            .iter()
            .enumerate()
            .map(|(i, bam)| {
                let path = dir.path().join(format!("one{k}.{i}.pileup"));
                fs::write(&path, pileup(&[bam], &with_reference)).unwrap();
                path
            })
            .collect();
        let whole = pileup(&[&bams[0]], &with_reference);
        assert_eq!(
            multisets(&merge(&partials, &[])),
            multisets(&whole),
            "1 sample, {k} chunks"
        );

        let split: Vec<Vec<PathBuf>> = bams
            .iter()
            .enumerate()
            .map(|(s, bam)| split_bam(bam, k, dir.path(), &format!("s{s}k{k}")))
            .collect();
        let partials: Vec<PathBuf> = (0..k)
            .map(|i| {
                let path = dir.path().join(format!("three{k}.{i}.pileup"));
                let chunk_bams: Vec<&Path> =
                    split.iter().map(|sample| sample[i].as_path()).collect();
                fs::write(&path, pileup(&chunk_bams, &[])).unwrap();
                path
            })
            .collect();
        let whole = pileup(&bams.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[]);
        let merged = merge(&partials, &[]);
        assert_eq!(
            multisets(&merged),
            multisets(&whole),
            "3 samples, {k} chunks"
        );

        // Reducers over the same partials rebuild the merge byte for byte.
        run_ok(Command::new("samtools").arg("faidx").arg(&reference));
        let fai = format!("{}.fai", reference.display());
        let plan = run_ok(
            Command::new(bin("mpileup-reduce"))
                .arg("plan")
                .args(&partials)
                .args(["--reducers", "4", "--fai", &fai]),
        );
        assert!(
            manifest(&plan).len() >= 2,
            "{}",
            String::from_utf8_lossy(&plan)
        );
        let manifest_path = dir.path().join(format!("reducers{k}.jsonl"));
        fs::write(&manifest_path, &plan).unwrap();
        let reduced = run_ok(
            Command::new(bin("fanout"))
                .args(["-q", "--keep-order", "-m"])
                .arg(&manifest_path)
                .args(["--", "cat"]),
        );
        assert!(
            reduced == merged,
            "{k} chunks: reducers' outputs differ from one merge"
        );
    }
}

#[test]
#[ignore = "needs samtools and ../shared/data"]
fn the_expected_output_of_samtools_tests_survives_a_split_of_its_lines() {
    // samtools' own expected 3-sample output, split by position parity into two partials
    // (each a valid pileup of some positions), merges back to itself.
    let expected = fs::read_to_string(shared_data("mpileup/samtools__expected_14.out")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (even, odd): (Vec<&str>, Vec<&str>) = expected
        .lines()
        .partition(|line| line.split('\t').nth(1).unwrap().parse::<u64>().unwrap() % 2 == 0);
    let paths: Vec<PathBuf> = [even, odd]
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let path = dir.path().join(format!("half{i}.pileup"));
            fs::write(&path, lines.join("\n") + "\n").unwrap();
            path
        })
        .collect();
    assert_eq!(String::from_utf8(merge(&paths, &[])).unwrap(), expected);
}
