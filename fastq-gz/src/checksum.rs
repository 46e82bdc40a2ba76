//! CRC32s of chunks without reading them again: a reader that keeps the CRC32 of everything
//! consumed so far (a prefix CRC), and the CRC32 of a range from the prefix CRCs at its ends.

use std::io::{self, BufRead, Read};

use crc32fast::Hasher;

/// A `BufRead` that keeps the CRC32 of what has been consumed from it.
pub struct Checksummed<R> {
    inner: R,
    crc: Hasher,
}

impl<R: BufRead> Checksummed<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            crc: Hasher::new(),
        }
    }

    /// The CRC32 of every byte consumed so far.
    pub fn prefix_crc(&self) -> u32 {
        self.crc.clone().finalize()
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: BufRead> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Checksummed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buffer) = self.inner.fill_buf() {
            self.crc.update(&buffer[..amount.min(buffer.len())]);
        }
        self.inner.consume(amount);
    }
}

/// The CRC32 of the `length` bytes between two points of a stream, from the CRC32s of the
/// stream before each point. CRC32 is linear: crc(AB) = crc(A) shifted by |B| bytes, xor
/// crc(B), and zlib's combine computes that shift.
pub fn range_crc(prefix_at_start: u32, prefix_at_end: u32, length: u64) -> u32 {
    let mut shifted = Hasher::new_with_initial_len(prefix_at_start, 0);
    shifted.combine(&Hasher::new_with_initial_len(0, length));
    prefix_at_end ^ shifted.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_crc_equals_the_crc_of_its_bytes() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        for (start, end) in [(0, 0), (0, 5000), (17, 17), (17, 4093), (1000, 5000)] {
            let prefix = |at: usize| crc32fast::hash(&data[..at]);
            assert_eq!(
                range_crc(prefix(start), prefix(end), (end - start) as u64),
                crc32fast::hash(&data[start..end]),
                "{start}..{end}"
            );
        }
    }

    #[test]
    fn the_prefix_crc_covers_what_was_consumed() {
        let data = b"@r1\nACGT\n+\nIIII\n@r2\nAC\n+\nII\n";
        let mut reader = Checksummed::new(io::BufReader::with_capacity(8, &data[..]));
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(reader.prefix_crc(), crc32fast::hash(b"@r1\n"));
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(reader.prefix_crc(), crc32fast::hash(data));
    }
}
