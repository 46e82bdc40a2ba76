//! Writes the generated fixtures into a directory, for `make-seeds`.

use std::fs;
use std::path::Path;

use chunkwise_fuzz::{fasta, fastq, gzip, las, pileup};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: write_fixtures DIR");
    let dir = Path::new(&dir);
    let reads = fastq(300, 1);
    let write = |name: &str, bytes: &[u8]| fs::write(dir.join(name), bytes).unwrap();
    write("reads.fq", &reads);
    write("small.fq", &fastq(3, 2));
    write("reads.fq.gz", &gzip(&reads, 2));
    write("small.fq.gz", &gzip(&fastq(3, 2), 1));
    write("ref.fa", &fasta(1));
    write("part1.pileup", &pileup(&["1", "2"], 1, 200, 1));
    write("part2.pileup", &pileup(&["1", "2"], 50, 20, 2));
    for (format, compressed) in [(0, false), (1, true), (3, false), (6, false), (7, true), (8, false), (10, true)] {
        let extension = if compressed { "laz" } else { "las" };
        write(&format!("pf{format}.{extension}"), &las(format, compressed, 60));
    }
    write("points.las", &las(6, false, 500));
}
