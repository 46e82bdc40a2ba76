//! Property: for random reference layouts, the owned ranges of all parts, mapped back
//! through the name map, rebuild every original sequence exactly.

use std::collections::HashMap;
use std::fs;

use fasta::{plan, write_chunk, FastaDetail, PlanOptions};
use test_support::Rng;

/// Sequences by name, and their FASTA text with per-record line widths and line endings.
fn random_reference(random: &mut Rng) -> (Vec<(String, Vec<u8>)>, String) {
    let many = random.below(3) == 0;
    let records = 1 + random.below(if many { 60 } else { 5 });
    let crlf = random.below(5) == 0;
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut sequences = Vec::new();
    let mut text = String::new();
    for index in 0..records {
        let length = match random.below(4) {
            0 => 1 + random.below(5),
            1 => 1 + random.below(300),
            _ => 1 + random.below(20_000),
        };
        let sequence: Vec<u8> = (0..length)
            .map(|_| b"ACGTNacgtn"[random.below(10) as usize])
            .collect();
        let width = [7, 50, 60, 70, 80][random.below(5) as usize];
        text.push_str(&format!(">seq{index} description {index}{newline}"));
        for line in sequence.chunks(width) {
            text.push_str(std::str::from_utf8(line).unwrap());
            text.push_str(newline);
        }
        sequences.push((format!("seq{index}"), sequence));
    }
    (sequences, text)
}

/// Parses our FASTA output into (id, sequence) pairs.
fn parse_fasta(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix('>') {
            parts.push((id.to_string(), Vec::new()));
        } else {
            parts
                .last_mut()
                .expect("a header comes first")
                .1
                .extend_from_slice(line.as_bytes());
        }
    }
    parts
}

#[test]
fn owned_ranges_rebuild_every_sequence() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=60u64 {
        let mut random = Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let (sequences, text) = random_reference(&mut random);
        let path = dir.path().join(format!("ref{seed}.fa"));
        fs::write(&path, &text).unwrap();
        let url = path.to_str().unwrap();
        let chunk_count = 1 + random.below(12);
        let options = PlanOptions {
            overlap: random.below(600),
            ..PlanOptions::new(chunk_count)
        };
        let plan = plan(&[url.to_string()], &options).unwrap();
        let map = &plan.stats.map;

        let mut output = Vec::new();
        for chunk in &plan.chunks {
            write_chunk(chunk, &mut output).unwrap();
        }
        let mut rebuilt: HashMap<String, Vec<u8>> = HashMap::new();
        for (id, bases) in parse_fasta(std::str::from_utf8(&output).unwrap()) {
            let part = map
                .get(&id)
                .unwrap_or_else(|| panic!("seed {seed}: unknown part {id}"));
            assert_eq!(bases.len() as u64, part.len(), "seed {seed}: part {id}");
            for (offset, &base) in bases.iter().enumerate() {
                let original = map.to_original(&id, offset as u64 + 1).unwrap();
                if original.owned {
                    let sequence = rebuilt.entry(original.name.to_string()).or_default();
                    assert_eq!(
                        sequence.len() as u64 + 1,
                        original.position,
                        "seed {seed}: owned bases in order"
                    );
                    sequence.push(base);
                }
            }
        }
        for (name, sequence) in &sequences {
            assert!(
                rebuilt.get(name) == Some(sequence),
                "seed {seed}: {name} not rebuilt exactly"
            );
        }
        let chunk_bases: Vec<u64> = plan
            .chunks
            .iter()
            .map(|chunk| {
                let detail: FastaDetail = chunk.detail().unwrap();
                detail
                    .parts
                    .iter()
                    .map(|layout| layout.part.own_end + 1 - layout.part.own_start)
                    .sum()
            })
            .collect();
        let genome: u64 = sequences.iter().map(|(_, s)| s.len() as u64).sum();
        let per_chunk = genome.div_ceil(chunk_count);
        assert!(
            chunk_bases.iter().all(|&bases| bases <= per_chunk),
            "seed {seed}: {chunk_bases:?}"
        );
    }
}

#[test]
fn one_chromosome_larger_than_a_chunk_is_split_with_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let sequence: String = (0..10_000)
        .map(|i| ['A', 'C', 'G', 'T'][(i * 7 + i / 13) % 4])
        .collect();
    let mut text = String::from(">chr1\n");
    for line in sequence.as_bytes().chunks(60) {
        text.push_str(std::str::from_utf8(line).unwrap());
        text.push('\n');
    }
    let path = dir.path().join("one.fa");
    fs::write(&path, text).unwrap();
    let plan = plan(&[path.to_str().unwrap().to_string()], &PlanOptions::new(4)).unwrap();
    let parts = plan.stats.map.parts();
    assert_eq!(
        parts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["1_1", "1_2", "1_3", "1_4"]
    );
    for pair in parts.windows(2) {
        assert_eq!(pair[0].end + 1 - pair[1].start, 400);
        assert_eq!(pair[0].own_end + 1, pair[1].own_start);
        assert_eq!(
            pair[1].own_start - pair[1].start,
            200,
            "ownership cut at the overlap's midpoint"
        );
    }
}
