//! Generated test data, one generator per kind, shared by the workspace's tests and the fuzz
//! targets (whose committed seeds were made from these very bytes: change a generator and
//! regenerate them with `fuzz/make-seeds`).
//!
//! - [`Rng`]: the one pseudo-random stream (a 64-bit LCG): same bytes on every machine.
//! - [`fastq()`]: Illumina-like reads ([`Reads`]), some quality lines starting with `@`.
//! - [`gzip()`]: data in one or several gzip members.
//! - [`fasta()`]: a reference of several sequence lengths and line widths.
//! - [`pileup()`]: a sorted two-sample `samtools mpileup` text.
//! - [`las()`]: a LAS/LAZ point cloud of any point format, with VLRs, an EVLR and withheld
//!   points.
//! - [`sequencing`]: a genome with planted repeats, and single or paired reads sequenced
//!   from it (substitutions, small indels).

mod las_cloud;
pub mod sequencing;

use std::io::Write;
use std::ops::RangeInclusive;

pub use las_cloud::{las, write_las};

/// A deterministic pseudo-random stream (no dependency, the same numbers everywhere).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// 31 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.step() >> 33
    }

    /// Below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// In `[0, 1)`, with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.step() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `choices`.
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.below(choices.len() as u64) as usize]
    }
}

/// Illumina-like reads: `@NAME<i> 1:N:0:ACGT`, bases of `ACGTN`, qualities of `@#:FI` (so
/// about one quality line in five starts with `@`, the trap for chunkers that look for `@`).
#[derive(Debug, Clone)]
pub struct Reads {
    pub records: usize,
    pub seed: u64,
    /// Read names are this and the record's number.
    pub name: String,
    pub length: RangeInclusive<usize>,
}

impl Reads {
    /// `records` reads of 20 to 59 bases named `read0`, `read1`, ..., from seed 1.
    pub fn new(records: usize) -> Reads {
        Reads {
            records,
            seed: 1,
            name: "read".to_string(),
            length: 20..=59,
        }
    }

    pub fn seed(self, seed: u64) -> Reads {
        Reads { seed, ..self }
    }

    pub fn name(self, name: &str) -> Reads {
        Reads {
            name: name.to_string(),
            ..self
        }
    }

    pub fn length(self, length: RangeInclusive<usize>) -> Reads {
        Reads { length, ..self }
    }

    /// The FASTQ text.
    pub fn bytes(&self) -> Vec<u8> {
        let mut rng = Rng::new(self.seed);
        let (shortest, longest) = (*self.length.start(), *self.length.end());
        let mut out = Vec::new();
        for i in 0..self.records {
            let length = shortest + rng.below((longest - shortest + 1) as u64) as usize;
            writeln!(out, "@{}{i} 1:N:0:ACGT", self.name).unwrap();
            out.extend((0..length).map(|_| rng.pick(b"ACGTN")));
            out.extend_from_slice(b"\n+\n");
            out.extend((0..length).map(|_| rng.pick(b"@#:FI")));
            out.push(b'\n');
        }
        out
    }

    /// The FASTQ text as a string.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("reads are ASCII")
    }
}

/// [`Reads::new`]`(records).seed(seed)`, as bytes.
pub fn fastq(records: usize, seed: u64) -> Vec<u8> {
    Reads::new(records).seed(seed).bytes()
}

/// `data` cut in `members` gzip members, level 6.
pub fn gzip(data: &[u8], members: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let step = data.len().div_ceil(members.max(1)).max(1);
    for part in data.chunks(step) {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(part).unwrap();
        out.extend(encoder.finish().unwrap());
    }
    out
}

/// One gzip member of `pieces` at `level`, with a `flush` after each piece but the last:
/// `Sync` ends the block there and adds an empty stored block (as pigz does), `Full` also
/// forgets the window, `Partial` adds an empty fixed-code block.
pub fn gzip_flushed(pieces: &[&[u8]], level: u32, flush: flate2::FlushCompress) -> Vec<u8> {
    let mut deflate = flate2::Compress::new(flate2::Compression::new(level), false);
    let mut data = Vec::new();
    let mut crc = flate2::Crc::new();
    for (i, piece) in pieces.iter().enumerate() {
        let flush = match i + 1 == pieces.len() {
            true => flate2::FlushCompress::Finish,
            false => flush,
        };
        crc.update(piece);
        let mut input = *piece;
        loop {
            data.reserve(input.len() + 1024);
            let before = deflate.total_in();
            let status = deflate.compress_vec(input, &mut data, flush).unwrap();
            input = &input[(deflate.total_in() - before) as usize..];
            // A flush is complete once deflate leaves room in its output.
            let done = match flush {
                flate2::FlushCompress::Finish => status == flate2::Status::StreamEnd,
                _ => input.is_empty() && data.len() < data.capacity(),
            };
            if done {
                break;
            }
        }
    }
    let mut member = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    member.extend(data);
    member.extend(crc.sum().to_le_bytes());
    member.extend(crc.amount().to_le_bytes());
    member
}

/// Offsets in `gz` of `00 00 ff ff`: the length fields of the empty stored blocks that sync
/// flushes write (and, rarely, compressed bytes that happen to read so).
pub fn empty_stored_blocks(gz: &[u8]) -> Vec<u64> {
    gz.windows(4)
        .enumerate()
        .filter(|(_, bytes)| bytes == &[0, 0, 0xff, 0xff])
        .map(|(at, _)| at as u64)
        .collect()
}

/// A FASTA reference: sequences of several lengths, line widths and a short last line.
pub fn fasta(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (i, (length, width)) in [(500, 60), (37, 10), (1, 70), (240, 80)]
        .into_iter()
        .enumerate()
    {
        writeln!(out, ">seq{i} description {i}").unwrap();
        let bases: Vec<u8> = (0..length)
            .map(|_| b"ACGTN"[rng.below(5) as usize])
            .collect();
        for line in bases.chunks(width) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// A sorted two-sample pileup over `chroms`, positions `first..first + count`, with read
/// starts, ends, indels and `*`.
pub fn pileup(chroms: &[&str], first: u64, count: u64, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let tokens: [&str; 8] = [".", ",", "A", "^I.", "$", "+2AC", "-1g", "*"];
    let mut out = Vec::new();
    for chrom in chroms {
        for position in first..first + count {
            write!(out, "{chrom}\t{position}\tN").unwrap();
            for _ in 0..2 {
                let depth = rng.below(4);
                let mut bases = String::new();
                let mut quals = String::new();
                for _ in 0..depth {
                    let token = tokens[rng.below(tokens.len() as u64) as usize];
                    let token = if token == "$" { ".$" } else { token };
                    bases.push_str(token);
                    quals.push('I');
                }
                if depth == 0 {
                    bases.push('*');
                    quals.push('*');
                }
                write!(out, "\t{depth}\t{bases}\t{quals}").unwrap();
            }
            out.push(b'\n');
        }
    }
    out
}
