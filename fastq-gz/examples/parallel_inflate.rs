//! Decodes a gzip file with `gzip::ParallelDecoder` on N threads, every member's CRC32 and
//! size checked, and prints the time and speed (the output is dropped): where the parallel
//! decoder stands against `examples/inflate` (zlib-rs, one thread).
//! Usage: parallel_inflate FILE.gz [THREADS]

use std::io::Read;
use std::time::Instant;

use fastq_gz::gzip::{NoObserver, ParallelDecoder};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: parallel_inflate FILE.gz [THREADS]");
    let threads: usize = args
        .next()
        .map_or(2, |n| n.parse().expect("THREADS is a number"));
    let file = std::fs::File::open(&path).expect("readable");
    let size = file.metadata().expect("a file").len();
    let started = Instant::now();
    let mut decoder = ParallelDecoder::new(file, &path, size, threads, NoObserver);
    let mut buffer = vec![0; 1 << 20];
    let mut total = 0u64;
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(65);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{path}: {total} bytes on {threads} threads in {seconds:.3} s ({:.0} MB/s)",
        total as f64 / seconds / 1e6
    );
}
