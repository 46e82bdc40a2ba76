//! simulate-reads REFERENCE.fa PAIRS SEED OUT.fa OUT.fq: plants repeats in the reference
//! (written to OUT.fa) and writes PAIRS interleaved read pairs drawn from it to OUT.fq, for the
//! example pipeline and the alignment tests.

use std::fs;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, reference, pairs, seed, out_fasta, out_fastq] = args.as_slice() else {
        eprintln!("usage: simulate-reads REFERENCE.fa PAIRS SEED OUT.fa OUT.fq");
        std::process::exit(2);
    };
    let text = fs::read_to_string(reference).expect("reading the reference");
    let mut genome = test_support::sequencing::parse_fasta(&text);
    let seed: u64 = seed.parse().expect("SEED is a number");
    test_support::sequencing::plant_repeats(&mut genome, 12, 400, seed);
    fs::write(out_fasta, test_support::sequencing::to_fasta(&genome)).expect("writing OUT.fa");
    let pairs = pairs.parse().expect("PAIRS is a number");
    let reads = test_support::sequencing::simulate_reads(&genome, pairs, true, seed);
    fs::write(out_fastq, reads).expect("writing OUT.fq");
}
