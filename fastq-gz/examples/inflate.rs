//! Plain streaming decompression of a gzip file to stdout, CRC32s checked, with the inflate
//! library the index uses (zlib-rs): the baseline of `bench/fastq-gz`.

use std::io::{self, BufReader, Read, Write};

use fastq_gz::gzip::Decoder;

fn main() -> io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: inflate FILE.gz");
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut decoder = Decoder::new(input, &path);
    // Large reads: io::copy's 8 KiB buffer would cost an inflate call per 8 KiB of output.
    let mut buffer = vec![0; 1 << 20];
    let mut output = io::stdout().lock();
    loop {
        let n = decoder.read(&mut buffer)?;
        if n == 0 {
            return output.flush();
        }
        output.write_all(&buffer[..n])?;
    }
}
