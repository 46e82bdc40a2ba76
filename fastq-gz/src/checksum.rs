//! CRC32s of chunks without reading them again: a reader that keeps the CRC32 of everything
//! consumed so far (a prefix CRC), and the CRC32 of a range from the prefix CRCs at its ends.

use std::io::{self, BufRead, Read};

use crc32fast::Hasher;

/// A buffered reader that knows the CRC32 of what has been consumed from it. It hashes
/// lazily, in large spans: a buffer's bytes when it is refilled, or up to the read position
/// when a prefix CRC is asked for, so asking rarely costs no more than hashing once.
pub struct Checksummed<R> {
    inner: R,
    buffer: Vec<u8>,
    /// The unconsumed bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
    /// `crc` covers everything before `buffer[hashed]`; `hashed <= start`.
    hashed: usize,
    crc: Hasher,
}

/// Where a [`Checksummed`] gets its bytes: any reader, or a source that hands over whole
/// buffers instead of copying into one.
pub trait Refill {
    /// Fills `buffer` (or swaps in a filled one); returns how many bytes it holds, 0 at the end.
    fn refill(&mut self, buffer: &mut Vec<u8>) -> io::Result<usize>;
}

impl<R: Read> Refill for R {
    fn refill(&mut self, buffer: &mut Vec<u8>) -> io::Result<usize> {
        self.read(buffer)
    }
}

impl<R: Refill> Checksummed<R> {
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        Self {
            inner,
            buffer: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            hashed: 0,
            crc: Hasher::new(),
        }
    }

    /// The CRC32 of every byte consumed so far.
    pub fn prefix_crc(&mut self) -> u32 {
        self.crc.update(&self.buffer[self.hashed..self.start]);
        self.hashed = self.start;
        self.crc.clone().finalize()
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Refill> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Refill> BufRead for Checksummed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.crc.update(&self.buffer[self.hashed..self.end]);
            self.start = 0;
            self.hashed = 0;
            self.end = 0;
            self.end = self.inner.refill(&mut self.buffer)?;
        }
        Ok(&self.buffer[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
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

/// The CRC32 of a stream whose first part has CRC32 `prefix` and whose `length` bytes after
/// it have CRC32 `crc`.
pub fn append_crc(prefix: u32, crc: u32, length: u64) -> u32 {
    let mut joined = Hasher::new_with_initial_len(prefix, 0);
    joined.combine(&Hasher::new_with_initial_len(crc, length));
    joined.finalize()
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
        let mut reader = Checksummed::with_capacity(8, &data[..]);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(reader.prefix_crc(), crc32fast::hash(b"@r1\n"));
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(reader.prefix_crc(), crc32fast::hash(data));
    }

    #[test]
    fn prefix_crcs_asked_at_any_points_across_refills() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 253) as u8).collect();
        for capacity in [1, 7, 64, 4096, 20_000] {
            let mut reader = Checksummed::with_capacity(capacity, &data[..]);
            let mut consumed = 0;
            for step in [0, 1, 5, 100, 3, 1000, 2, 0, 4000, 17] {
                let mut left = step;
                while left > 0 {
                    let available = reader.fill_buf().unwrap().len().min(left);
                    reader.consume(available);
                    left -= available;
                }
                consumed += step;
                // Asked at some points only: the hash must still cover exactly what was consumed.
                if step % 2 == 0 {
                    assert_eq!(
                        reader.prefix_crc(),
                        crc32fast::hash(&data[..consumed]),
                        "capacity {capacity}, after {consumed}"
                    );
                }
            }
        }
    }
}
