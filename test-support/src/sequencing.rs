//! Reads sequenced from a reference: a genome with planted repeats, and single or paired reads
//! drawn from it with substitutions and small indels, their true origin in their names.

use std::fmt::Write as _;

use crate::Rng;

/// A reference: (name, bases) in order.
pub type Genome = Vec<(String, Vec<u8>)>;

/// Reads a FASTA text into sequences (upper-cased bases).
pub fn parse_fasta(text: &str) -> Genome {
    let mut genome: Genome = Vec::new();
    for line in text.lines() {
        match line.strip_prefix('>') {
            Some(header) => genome.push((
                header.split_whitespace().next().unwrap_or("").to_string(),
                Vec::new(),
            )),
            None => {
                if let Some((_, bases)) = genome.last_mut() {
                    bases.extend(line.trim().bytes().map(|b| b.to_ascii_uppercase()));
                }
            }
        }
    }
    genome
}

/// The genome as FASTA, 60 bases a line.
pub fn to_fasta(genome: &Genome) -> String {
    let mut text = String::new();
    for (name, bases) in genome {
        writeln!(text, ">{name}").unwrap();
        for line in bases.chunks(60) {
            text.push_str(std::str::from_utf8(line).unwrap());
            text.push('\n');
        }
    }
    text
}

/// Copies `count` stretches of `length` bases over other places of the genome (often on
/// other sequences), so that reads from them align equally well at two loci.
pub fn plant_repeats(genome: &mut Genome, count: usize, length: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let from = rng.below(genome.len() as u64) as usize;
        let to = rng.below(genome.len() as u64) as usize;
        if genome[from].1.len() <= length || genome[to].1.len() <= length {
            continue;
        }
        let at = rng.below((genome[from].1.len() - length) as u64) as usize;
        let copy = genome[from].1[at..at + length].to_vec();
        let place = rng.below((genome[to].1.len() - length) as u64) as usize;
        genome[to].1[place..place + length].copy_from_slice(&copy);
    }
}

fn reverse_complement(bases: &[u8]) -> Vec<u8> {
    bases
        .iter()
        .rev()
        .map(|b| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' => b'A',
            other => *other,
        })
        .collect()
}

/// A read of `length` bases from `template` starting at `at`, with about one substitution in
/// 100 bases and, now and then, a 1-3 base insertion or deletion.
fn sequence(template: &[u8], at: usize, length: usize, rng: &mut Rng) -> Vec<u8> {
    let mut read = Vec::with_capacity(length);
    let mut i = at;
    while read.len() < length && i < template.len() {
        let roll = rng.below(1000);
        if roll < 10 {
            read.push(rng.pick(b"ACGT"));
            i += 1;
        } else if roll < 12 {
            for _ in 0..1 + rng.below(3) {
                read.push(rng.pick(b"ACGT"));
            }
        } else if roll < 14 {
            i += 1 + rng.below(3) as usize;
        } else {
            read.push(template[i]);
            i += 1;
        }
    }
    read.truncate(length);
    read
}

fn record(out: &mut String, name: &str, bases: &[u8]) {
    let quality = "I".repeat(bases.len());
    writeln!(
        out,
        "@{name}\n{}\n+\n{quality}",
        String::from_utf8_lossy(bases)
    )
    .unwrap();
}

/// `pairs` read pairs (100 bases each, inserts of 250-450 bases) as interleaved FASTQ: mate 1
/// forward from the fragment's start, mate 2 reverse-complemented from its end; about one
/// fragment in ten from the reverse strand. With `paired` false, only mate 1 of each.
pub fn simulate_reads(genome: &Genome, pairs: usize, paired: bool, seed: u64) -> String {
    const READ: usize = 100;
    let mut rng = Rng::new(seed);
    let total: u64 = genome.iter().map(|(_, s)| s.len() as u64).sum();
    let mut out = String::new();
    let mut made = 0;
    while made < pairs {
        let insert = 250 + rng.below(201) as usize;
        let mut at = rng.below(total) as usize;
        let Some((name, bases)) = genome.iter().find(|(_, s)| {
            if at < s.len() {
                true
            } else {
                at -= s.len();
                false
            }
        }) else {
            continue;
        };
        if at + insert + 8 > bases.len() {
            continue;
        }
        let fragment = if rng.below(10) == 0 {
            reverse_complement(&bases[at..at + insert + 8])
        } else {
            bases[at..at + insert + 8].to_vec()
        };
        if fragment.iter().any(|b| !b"ACGT".contains(b)) {
            continue;
        }
        let read_name = format!("p{made}_{name}_{}", at + 1);
        record(
            &mut out,
            &read_name,
            &sequence(&fragment, 0, READ, &mut rng),
        );
        if paired {
            let back = reverse_complement(&fragment[insert - READ..insert + 8]);
            record(&mut out, &read_name, &sequence(&back, 8, READ, &mut rng));
        }
        made += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_from_both_ends_of_a_fragment() {
        let genome: Genome = vec![("g".into(), b"ACGT".repeat(500))];
        let reads = simulate_reads(&genome, 10, true, 1);
        let lines: Vec<&str> = reads.lines().collect();
        assert_eq!(lines.len(), 80);
        assert_eq!(lines[0], lines[4]);
        assert_eq!(lines[1].len(), 100);
        assert_eq!(simulate_reads(&genome, 10, true, 1), reads);
    }

    #[test]
    fn fasta_round_trips() {
        let mut genome = parse_fasta(">a x\nACGT\nac\n>b\nTTTT\n");
        assert_eq!(genome[0], ("a".to_string(), b"ACGTAC".to_vec()));
        plant_repeats(&mut genome, 0, 2, 1);
        assert_eq!(parse_fasta(&to_fasta(&genome)), genome);
    }
}
