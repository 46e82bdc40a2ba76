//! mpileup-reduce against samtools: reads split into chunks (mates together), piled up per
//! chunk with `samtools mpileup -d 0`, merged, equal the pileup of the whole BAM as multisets
//! of (read token, quality) per position; reducers planned over the partials rebuild the
//! same merge.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, manifest, pileup_tokens as tokens, require_tool, run_ok, shared_data};

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

/// Sequences of a FASTA file, by name.
fn read_fasta(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut sequences: Vec<(String, Vec<u8>)> = Vec::new();
    for line in fs::read_to_string(path).unwrap().lines() {
        match line.strip_prefix('>') {
            Some(header) => sequences.push((
                header.split_whitespace().next().unwrap().to_string(),
                Vec::new(),
            )),
            None => sequences
                .last_mut()
                .unwrap()
                .1
                .extend_from_slice(line.trim().as_bytes()),
        }
    }
    sequences
}

/// `reads` 100 bp single-end reads from uniform positions, two substitutions each.
fn simulate_reads(reference: &[(String, Vec<u8>)], reads: usize) -> String {
    let mut rng = test_support::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move |n: u64| rng.below(n);
    let total: u64 = reference.iter().map(|(_, s)| s.len() as u64 - 100).sum();
    let mut fastq = String::new();
    for i in 0..reads {
        let mut at = next(total);
        let (name, sequence) = reference
            .iter()
            .find(|(_, s)| {
                if at < s.len() as u64 - 100 {
                    true
                } else {
                    at -= s.len() as u64 - 100;
                    false
                }
            })
            .unwrap();
        let mut read = sequence[at as usize..at as usize + 100].to_vec();
        for _ in 0..2 {
            let j = next(100) as usize;
            read[j] = b"ACGT"[next(4) as usize];
        }
        fastq.push_str(&format!(
            "@sim{i}_{name}_{}\n{}\n+\n{}\n",
            at + 1,
            String::from_utf8(read).unwrap(),
            "I".repeat(100)
        ));
    }
    fastq
}

/// Aligns reads with bwa mem, keeps near-perfect alignments (AS >= 90, as a pipeline would
/// drop the spurious hits a read gets on a part that does not hold it), and piles them up.
fn align_and_pileup(reference: &Path, reads: &Path, out: &Path) -> (PathBuf, Vec<u8>) {
    let sam = run_ok(
        Command::new("bwa")
            .args(["mem", "-v", "1"])
            .arg(reference)
            .arg(reads),
    );
    let raw = out.with_extension("sam");
    fs::write(&raw, sam).unwrap();
    let bam = out.with_extension("bam");
    let sorted = out.with_extension("sorted.bam");
    run_ok(
        Command::new("samtools")
            .args(["sort", "-o"])
            .arg(&sorted)
            .arg(&raw),
    );
    run_ok(
        Command::new("samtools")
            .args(["view", "-b", "-e", "[AS] >= 90", "-o"])
            .arg(&bam)
            .arg(&sorted),
    );
    let pileup = run_ok(
        Command::new("samtools")
            .args(["mpileup", "-d", "0", "--output-QNAME", "-f"])
            .arg(reference)
            .arg(&bam),
    );
    (sorted, pileup)
}

#[test]
#[ignore = "needs bwa, samtools and ../shared/data"]
fn split_reference_pileups_merge_back_in_original_coordinates() {
    require_tool("bwa");
    require_tool("samtools");
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ce.fa");
    fs::copy(shared_data("fasta/htslib__ce.fa"), &reference).unwrap();
    let reads = dir.path().join("reads.fq");
    fs::write(&reads, simulate_reads(&read_fasta(&reference), 6000)).unwrap();

    // The reference cut in 3 with the name map; the reads in 2 chunks.
    let map = dir.path().join("parts.tsv");
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(&reference)
            .args(["--chunks", "3", "--overlap", "400", "--map"])
            .arg(&map),
    );
    fs::write(dir.path().join("refs.jsonl"), &plan).unwrap();
    run_ok(
        Command::new(bin("fasta-split"))
            .current_dir(dir.path())
            .args(["cat", "refs.jsonl", "--out-dir", "parts"]),
    );
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&reads)
            .args(["--chunks", "2"]),
    );
    fs::write(dir.path().join("reads.jsonl"), &plan).unwrap();
    run_ok(
        Command::new(bin("fastq-split"))
            .current_dir(dir.path())
            .args(["cat", "reads.jsonl", "--out-dir", "read-chunks"]),
    );

    run_ok(Command::new("bwa").arg("index").arg(&reference));
    let (whole_bam, whole) = align_and_pileup(&reference, &reads, &dir.path().join("whole"));
    let mut partials = Vec::new();
    for part in 0..3 {
        let part_fasta = dir.path().join(format!("parts/ce-{part}.fa"));
        run_ok(Command::new("bwa").arg("index").arg(&part_fasta));
        for chunk in 0..2 {
            let chunk_reads = dir.path().join(format!("read-chunks/reads-{chunk}.fq"));
            let (_, pileup) = align_and_pileup(
                &part_fasta,
                &chunk_reads,
                &dir.path().join(format!("p{chunk}{part}")),
            );
            let path = dir.path().join(format!("p{chunk}{part}.pileup"));
            fs::write(&path, pileup).unwrap();
            partials.push(path);
        }
    }
    run_ok(Command::new("samtools").arg("faidx").arg(&reference));
    let fai = format!("{}.fai", reference.display());
    let merged = merge(
        &partials,
        &[
            "--output-QNAME",
            "--map",
            map.to_str().unwrap(),
            "--fai",
            &fai,
        ],
    );

    // Reads that map to several places in the whole reference (MAPQ 0 or an XA tag) can land
    // on one copy there and on another in a part: those differences are inherent to aligning
    // against parts. Everywhere else the merge must equal the whole.
    let whole_sam =
        String::from_utf8(run_ok(Command::new("samtools").arg("view").arg(&whole_bam))).unwrap();
    let multi: std::collections::HashSet<&str> = whole_sam
        .lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            fields[4] == "0" || line.contains("\tXA:Z:")
        })
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    let table = |text: &[u8]| -> BTreeMap<(String, u64), (u64, Vec<String>)> {
        String::from_utf8_lossy(text)
            .lines()
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                let mut names: Vec<String> = if f[3] == "0" {
                    Vec::new()
                } else {
                    f[6].split(',').map(String::from).collect()
                };
                names.sort();
                (
                    (f[0].to_string(), f[1].parse().unwrap()),
                    (f[3].parse().unwrap(), names),
                )
            })
            .collect()
    };
    let (whole, merged) = (table(&whole), table(&merged));
    let empty = (0, Vec::new());
    let mut inherent = 0;
    let mut compared = 0;
    for key in whole
        .keys()
        .chain(merged.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (
            whole.get(key).unwrap_or(&empty),
            merged.get(key).unwrap_or(&empty),
        );
        if a.1
            .iter()
            .chain(&b.1)
            .any(|name| multi.contains(name.as_str()))
        {
            inherent += usize::from(a != b);
            continue;
        }
        compared += 1;
        assert_eq!(a, b, "{key:?}: merged pileup differs from the whole one");
    }
    eprintln!(
        "{compared} positions equal; {inherent} differ only through {} multi-mapping reads",
        multi.len()
    );
    assert!(compared > 400_000, "{compared}");
}
