//! Plain streaming decompression of a gzip file to stdout with the same inflate library
//! (zlib-rs) the index uses: the baseline of `bench/fastq-gz`.

use std::io::{self, BufReader};

fn main() -> io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: inflate FILE.gz");
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut decoder = flate2::read::MultiGzDecoder::new(input);
    io::copy(&mut decoder, &mut io::stdout().lock())?;
    Ok(())
}
