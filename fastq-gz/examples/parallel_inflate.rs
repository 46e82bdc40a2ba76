//! Decodes the first gzip member of a file with `gzip::parallel` on N threads, its CRC32 and
//! size checked, and prints the time and speed (the output is dropped): where the parallel
//! decoder stands against `examples/inflate` (zlib-rs, one thread).
//! Usage: parallel_inflate FILE.gz [THREADS]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: parallel_inflate FILE.gz [THREADS]");
    let threads: usize = args
        .next()
        .map_or(2, |n| n.parse().expect("THREADS is a number"));
    let data = std::fs::read(&path).expect("readable");
    let started = Instant::now();
    match fastq_gz::gzip::parallel::inflate_member(&data, threads) {
        Ok((output, _)) => {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "{path}: {} bytes on {threads} threads in {seconds:.3} s ({:.0} MB/s)",
                output.len(),
                output.len() as f64 / seconds / 1e6
            );
        }
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(65);
        }
    }
}
