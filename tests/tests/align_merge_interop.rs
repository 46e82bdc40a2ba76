//! The split-reference alignment pipeline against the whole-reference one, with real aligners:
//! reads simulated from `htslib__ce.fa` (repeats planted), single-end and paired, aligned with
//! `bwa mem` and `minimap2 -a -x sr` against the reference cut in 3 and in 7 parts (every read
//! chunk against every part, `fanout --cross`), merged per read chunk by `align-merge`, piled up
//! with `samtools mpileup`: equal to the whole reference aligned per read chunk, position by
//! position (the reads at each position, their bases and qualities), outside positions that
//! reads tied in the whole reference cover. No AS threshold anywhere.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chunkwise_tests::{bin, manifest, pileup_tokens as tokens, require_tool, run_ok, shared_data};

#[derive(Clone, Copy, PartialEq)]
enum Aligner {
    Bwa,
    Minimap2,
}

impl Aligner {
    fn name(self) -> &'static str {
        match self {
            Aligner::Bwa => "bwa",
            Aligner::Minimap2 => "minimap2",
        }
    }

    fn index(self, fasta: &Path) {
        if self == Aligner::Bwa {
            run_ok(Command::new("bwa").arg("index").arg(fasta));
        }
    }

    /// The command aligning reads on stdin against `reference` (a path with `{cross.id}`).
    fn command(self, reference: &str, paired: bool) -> Vec<String> {
        let words: Vec<&str> = match (self, paired) {
            (Aligner::Bwa, true) => vec!["bwa", "mem", "-v", "1", "-p", reference, "-"],
            (Aligner::Bwa, false) => vec!["bwa", "mem", "-v", "1", reference, "-"],
            (Aligner::Minimap2, _) => vec!["minimap2", "-a", "-x", "sr", reference, "-"],
        };
        words.into_iter().map(String::from).collect()
    }
}

/// Positions of a pileup: per (sequence, position), the sorted (read token, quality, read name)
/// of every read there.
type Pileup = BTreeMap<(String, u64), Vec<(String, char, String)>>;

fn parse_pileup(text: &[u8]) -> Pileup {
    let mut positions = Pileup::new();
    for line in String::from_utf8_lossy(text).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let mut reads = Vec::new();
        for sample in fields[3..].chunks(4) {
            if sample[0] == "0" {
                continue;
            }
            reads.extend(
                tokens(sample[1])
                    .into_iter()
                    .zip(sample[2].chars())
                    .zip(sample[3].split(','))
                    .map(|((token, quality), name)| (token, quality, name.to_string())),
            );
        }
        reads.sort();
        positions.insert((fields[0].to_string(), fields[1].parse().unwrap()), reads);
    }
    positions
}

/// Sorted BAMs piled up together against the reference.
fn pileup(reference: &Path, bams: &[PathBuf]) -> Pileup {
    parse_pileup(&run_ok(
        Command::new("samtools")
            .args(["mpileup", "-d", "0", "--output-QNAME", "-f"])
            .arg(reference)
            .args(bams),
    ))
}

fn sorted(input: &Path) -> PathBuf {
    let output = input.with_extension("sorted.bam");
    run_ok(
        Command::new("samtools")
            .args(["sort", "-o"])
            .arg(&output)
            .arg(input),
    );
    output
}

/// A primary alignment, as samtools prints it: (sequence, position, MAPQ, tags).
#[derive(Debug, Clone)]
struct Primary {
    place: (String, u64),
    mapq: u8,
    tied: bool,
    alternatives: Vec<(String, u64)>,
}

/// Primary records by (read name, first mate?), from SAM text or BAMs.
fn primaries(bams: &[PathBuf]) -> HashMap<(String, bool), Primary> {
    let mut found = HashMap::new();
    for bam in bams {
        let text = String::from_utf8(run_ok(
            Command::new("samtools")
                .args(["view", "-F", "0x904"])
                .arg(bam),
        ))
        .unwrap();
        for line in text.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let tag = |name: &str| {
                fields[11..]
                    .iter()
                    .find_map(|field| field.strip_prefix(&format!("{name}:")))
                    .map(|value| value[2..].to_string())
            };
            let score: Option<i64> = tag("AS").map(|v| v.parse().unwrap());
            let suboptimal: Option<i64> = tag("XS").map(|v| v.parse().unwrap());
            let alternatives: Vec<(String, u64)> = tag("XA")
                .map(|xa| {
                    xa.split_terminator(';')
                        .map(|entry| {
                            let parts: Vec<&str> = entry.split(',').collect();
                            (parts[0].to_string(), parts[1][1..].parse().unwrap())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mapq: u8 = fields[4].parse().unwrap();
            let near_tie = matches!((score, suboptimal), (Some(a), Some(s)) if s * 5 >= a * 4);
            let flag: u16 = fields[1].parse().unwrap();
            found.insert(
                (fields[0].to_string(), flag & 0x80 == 0),
                Primary {
                    place: (fields[2].to_string(), fields[3].parse().unwrap()),
                    mapq,
                    tied: mapq == 0 || !alternatives.is_empty() || near_tie,
                    alternatives,
                },
            );
        }
    }
    found
}

struct Comparison {
    compared: usize,
    equal: usize,
    set_aside: usize,
    differing: Vec<(String, u64)>,
}

impl Comparison {
    fn percent(&self) -> f64 {
        100.0 * self.equal as f64 / self.compared.max(1) as f64
    }
}

fn compare(whole: &Pileup, merged: &Pileup, tied_reads: &HashSet<String>) -> Comparison {
    let mut comparison = Comparison {
        compared: 0,
        equal: 0,
        set_aside: 0,
        differing: Vec::new(),
    };
    let empty = Vec::new();
    let keys: std::collections::BTreeSet<&(String, u64)> =
        whole.keys().chain(merged.keys()).collect();
    for key in keys {
        let (a, b) = (
            whole.get(key).unwrap_or(&empty),
            merged.get(key).unwrap_or(&empty),
        );
        if a.iter()
            .chain(b)
            .any(|(_, _, name)| tied_reads.contains(name))
        {
            comparison.set_aside += 1;
            continue;
        }
        comparison.compared += 1;
        if a == b {
            comparison.equal += 1;
        } else {
            comparison.differing.push(key.clone());
        }
    }
    comparison
}

struct Setup {
    dir: PathBuf,
    reference: PathBuf,
    fai: String,
    reads: PathBuf,
}

/// The reference with planted repeats and reads in 4 chunks (`reads.jsonl`).
fn setup(dir: &Path, paired: bool) -> Setup {
    let text = fs::read_to_string(shared_data("fasta/htslib__ce.fa")).unwrap();
    let mut genome = test_support::sequencing::parse_fasta(&text);
    test_support::sequencing::plant_repeats(&mut genome, 12, 400, 11);
    let reference = dir.join("ref.fa");
    fs::write(&reference, test_support::sequencing::to_fasta(&genome)).unwrap();
    run_ok(Command::new("samtools").arg("faidx").arg(&reference));
    let fastq = dir.join("reads.fq");
    fs::write(
        &fastq,
        test_support::sequencing::simulate_reads(&genome, 8000, paired, 11),
    )
    .unwrap();
    // Paired reads are interleaved: chunks never separate mates.
    let layout: &[&str] = if paired { &["--interleaved"] } else { &[] };
    let plan = run_ok(
        Command::new(bin("fastq-split"))
            .arg("plan")
            .arg(&fastq)
            .args(layout)
            .args(["--chunks", "4"]),
    );
    assert_eq!(manifest(&plan).len(), 4);
    let reads = dir.join("reads.jsonl");
    fs::write(&reads, plan).unwrap();
    Setup {
        dir: dir.to_path_buf(),
        fai: format!("{}.fai", reference.display()),
        reference,
        reads,
    }
}

/// Aligns every read chunk against the whole reference: sorted BAMs.
fn align_whole(setup: &Setup, aligner: Aligner, paired: bool) -> Vec<PathBuf> {
    aligner.index(&setup.reference);
    let out = setup.dir.join(format!("whole-{}", aligner.name()));
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "-j", "2", "-m"])
            .arg(&setup.reads)
            .arg("--out-dir")
            .arg(&out)
            .args(["--suffix", ".sam", "--"])
            .args(aligner.command(setup.reference.to_str().unwrap(), paired)),
    );
    manifest(&fs::read(&setup.reads).unwrap())
        .iter()
        .map(|chunk| sorted(&out.join(format!("{}.sam", chunk.id))))
        .collect()
}

/// Cuts the reference in `parts` (overlap 200: pairs straddling a cut land on two parts),
/// aligns every chunk against every part and merges per read chunk: (merged sorted BAMs, the
/// per-pair SAMs).
fn align_split(
    setup: &Setup,
    aligner: Aligner,
    paired: bool,
    parts: u32,
) -> (Vec<PathBuf>, PathBuf) {
    let tag = format!("{}-{parts}", aligner.name());
    let map = setup.dir.join(format!("{tag}.tsv"));
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(&setup.reference)
            .args(["--chunks", &parts.to_string(), "--overlap", "200", "--map"])
            .arg(&map),
    );
    let parts_manifest = setup.dir.join(format!("{tag}.jsonl"));
    fs::write(&parts_manifest, &plan).unwrap();
    let index = setup.dir.join(format!("{tag}-idx"));
    run_ok(
        Command::new(bin("fasta-split"))
            .arg("cat")
            .arg(&parts_manifest)
            .arg("--out-dir")
            .arg(&index),
    );
    for part in manifest(&plan) {
        aligner.index(&index.join(format!("{}.fa", part.id)));
    }
    let aligned = setup.dir.join(format!("{tag}-aln"));
    let reference = format!("{}/{{cross.id}}.fa", index.display());
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "-j", "2", "-m"])
            .arg(&setup.reads)
            .arg("--cross")
            .arg(&parts_manifest)
            .arg("--out-dir")
            .arg(&aligned)
            .args(["--suffix", ".sam", "--"])
            .args(aligner.command(&reference, paired)),
    );
    let merged = manifest(&fs::read(&setup.reads).unwrap())
        .iter()
        .map(|chunk| {
            let inputs: Vec<PathBuf> = manifest(&plan)
                .iter()
                .map(|part| aligned.join(format!("{}.{}.sam", chunk.id, part.id)))
                .collect();
            let output = setup.dir.join(format!("{tag}-{}.bam", chunk.id));
            run_ok(
                Command::new(bin("align-merge"))
                    .args(["-q", "--map"])
                    .arg(&map)
                    .args(["--fai", &setup.fai, "-o"])
                    .arg(&output)
                    .args(&inputs),
            );
            sorted(&output)
        })
        .collect();
    (merged, map)
}

/// The pileup a plain concatenation of every part's alignments gives: each part piled up on
/// its own, merged by position in original coordinates (`mpileup-reduce merge --map`).
fn concatenated(setup: &Setup, aligner: Aligner, parts: u32, map: &Path) -> Pileup {
    let tag = format!("{}-{parts}", aligner.name());
    let aligned = setup.dir.join(format!("{tag}-aln"));
    let index = setup.dir.join(format!("{tag}-idx"));
    let part_manifest = manifest(&fs::read(setup.dir.join(format!("{tag}.jsonl"))).unwrap());
    let mut partials = Vec::new();
    for part in &part_manifest {
        let bams: Vec<PathBuf> = fs::read_dir(&aligned)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.to_string_lossy()
                    .ends_with(&format!(".{}.sam", part.id))
            })
            .map(|path| sorted(&path))
            .collect();
        let partial = setup.dir.join(format!("{tag}-{}.pileup", part.id));
        let text = run_ok(
            Command::new("samtools")
                .args(["mpileup", "-d", "0", "--output-QNAME", "-f"])
                .arg(index.join(format!("{}.fa", part.id)))
                .args(&bams),
        );
        fs::write(&partial, text).unwrap();
        partials.push(partial);
    }
    parse_pileup(&run_ok(
        Command::new(bin("mpileup-reduce"))
            .args(["merge", "--output-QNAME", "--map"])
            .arg(map)
            .args(["--fai", &setup.fai])
            .args(&partials),
    ))
}

fn check(aligner: Aligner, paired: bool) {
    require_tool("samtools");
    require_tool(aligner.name());
    let dir = tempfile::tempdir().unwrap();
    let setup = setup(dir.path(), paired);
    let whole_bams = align_whole(&setup, aligner, paired);
    let whole = pileup(&setup.reference, &whole_bams);
    let whole_primaries = primaries(&whole_bams);
    let tied: HashSet<String> = whole_primaries
        .iter()
        .filter(|(_, primary)| primary.tied)
        .map(|((name, _), _)| name.clone())
        .collect();
    let mode = if paired { "paired" } else { "single-end" };
    for parts in [3, 7] {
        let (merged_bams, map) = align_split(&setup, aligner, paired, parts);
        let merged = pileup(&setup.reference, &merged_bams);
        let merged_primaries = primaries(&merged_bams);
        assert_eq!(
            merged_primaries.len(),
            whole_primaries.len(),
            "every read once"
        );

        // A read tied in the whole reference lands on one of its loci (bwa lists them).
        let mut tied_checked = 0;
        for (key, whole_read) in whole_primaries
            .iter()
            .filter(|(_, p)| p.tied && !p.alternatives.is_empty())
        {
            let ours = &merged_primaries[key];
            let theirs: Vec<&(String, u64)> = std::iter::once(&whole_read.place)
                .chain(&whole_read.alternatives)
                .collect();
            let ours_all: Vec<&(String, u64)> = std::iter::once(&ours.place)
                .chain(&ours.alternatives)
                .collect();
            assert!(
                theirs.contains(&&ours.place) || ours_all.contains(&&whole_read.place),
                "{key:?}: merged at {:?}, whole reference at {:?}",
                ours.place,
                theirs
            );
            tied_checked += 1;
        }

        let comparison = compare(&whole, &merged, &tied);
        // Differences explained: the reads behind them, as the whole reference and the merge
        // placed them.
        let mut behind: BTreeMap<String, usize> = BTreeMap::new();
        for key in &comparison.differing {
            let empty = Vec::new();
            let a: HashSet<&(String, char, String)> =
                whole.get(key).unwrap_or(&empty).iter().collect();
            let b: HashSet<&(String, char, String)> =
                merged.get(key).unwrap_or(&empty).iter().collect();
            for (_, _, name) in a.symmetric_difference(&b) {
                *behind.entry(name.clone()).or_default() += 1;
            }
        }
        // The figure a plain concatenation of the parts' alignments gives (bwa, pairs).
        let concatenation = (paired && aligner == Aligner::Bwa)
            .then(|| compare(&whole, &concatenated(&setup, aligner, parts, &map), &tied))
            .map_or(String::new(), |c| {
                format!("; a plain concatenation of the parts: {:.2} %", c.percent())
            });
        eprintln!(
            "{} {mode}, {parts} parts: best hits merged: {:.3} % of {} positions equal ({} differ; {} set aside for {} reads tied in the whole reference, {tied_checked} checked on their loci){concatenation}",
            aligner.name(),
            comparison.percent(),
            comparison.compared,
            comparison.differing.len(),
            comparison.set_aside,
            tied.len(),
        );
        // Explained: a read at the same place with another MAPQ (the `^` mark of a read's
        // first base carries it; the aligner computed it against one part), or placed
        // elsewhere (a tie inside one part, a mate rescued only with the whole reference).
        let (mut same_place, mut elsewhere) = (0, Vec::new());
        for name in behind.keys() {
            let pair = |first: bool| {
                let key = (name.clone(), first);
                (whole_primaries.get(&key), merged_primaries.get(&key))
            };
            let moved = [pair(true), pair(false)]
                .into_iter()
                .any(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => a.place != b.place,
                    (a, b) => a.is_some() != b.is_some(),
                });
            if moved {
                elsewhere.push(name.clone());
            } else {
                same_place += 1;
            }
        }
        if !behind.is_empty() {
            eprintln!(
                "  differences: {same_place} reads at the same place with another MAPQ (the aligner computed it against the part it saw, which lacked the read's second-best locus); {} reads placed elsewhere (near-ties inside one part){}",
                elsewhere.len(),
                elsewhere.iter().take(5).map(|name| {
                    let (a, b) = (&whole_primaries[&(name.clone(), true)], &merged_primaries[&(name.clone(), true)]);
                    format!("\n    {name}: whole reference {:?} MAPQ {}, merged {:?} MAPQ {}", a.place, a.mapq, b.place, b.mapq)
                }).collect::<String>()
            );
        }
        assert!(
            comparison.percent() >= 99.9,
            "{} {mode}, {parts} parts: {:.3} % equal",
            aligner.name(),
            comparison.percent()
        );
    }
}

#[test]
#[ignore = "needs bwa, samtools and ../shared/data"]
fn bwa_paired_reads_merged_across_parts_pile_up_as_the_whole_reference() {
    check(Aligner::Bwa, true);
}

#[test]
#[ignore = "needs bwa, samtools and ../shared/data"]
fn bwa_single_reads_merged_across_parts_pile_up_as_the_whole_reference() {
    check(Aligner::Bwa, false);
}

#[test]
#[ignore = "needs minimap2, samtools and ../shared/data"]
fn minimap2_paired_reads_merged_across_parts_pile_up_as_the_whole_reference() {
    check(Aligner::Minimap2, true);
}

#[test]
#[ignore = "needs minimap2, samtools and ../shared/data"]
fn minimap2_single_reads_merged_across_parts_pile_up_as_the_whole_reference() {
    check(Aligner::Minimap2, false);
}
