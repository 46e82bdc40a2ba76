//! Finding where a deflate block starts, from an arbitrary place in a stream: the first
//! step of decoding a compressed range without the ranges before it.
//!
//! A candidate bit must hold a non-final dynamic block (the only kind gzip -1 to -9 writes
//! for data like FASTQ) whose header zlib would accept: at most 286 literal/length and 30
//! distance codes, complete codes (or what zlib allows), an end-of-block code; and the whole
//! block must then decode, ending where another block can start. False positives remain
//! possible in principle: whoever decodes from a found block checks that its range ends
//! where the next range's verified start is, and the member's CRC32 and size at its end.
//! A gzip member's header is a start too, and needs no window: [`next_member`].

use super::deflate::{dynamic_codes, Bits};
use super::range::Start;
use super::{header_length, markers};

/// A block decoded on trial may produce at most this much (deflate blocks of gzip -9 on
/// text hold a few hundred KiB at most).
const TRIAL_LIMIT: usize = 16 << 20;

/// The first bit in `from_bit..to_bit` where a non-final dynamic block starts, as far as
/// its header and its whole decoding can tell.
pub fn next_block(compressed: &[u8], from_bit: usize, to_bit: usize) -> Option<usize> {
    let to_bit = to_bit.min(compressed.len() * 8);
    (from_bit..to_bit).find(|&bit| is_block_start(compressed, bit))
}

/// The first byte in `from..to` where a gzip member header parses and the member's first
/// block decodes with nothing before it (a member start needs no window).
pub fn next_member(data: &[u8], from: usize, to: usize) -> Option<usize> {
    let region = data.get(from..to.max(from))?;
    memchr::memmem::find_iter(region, b"\x1f\x8b\x08")
        .map(|offset| from + offset)
        .find(|&byte| {
            let Ok(Some(length)) = header_length(&data[byte..]) else {
                return false;
            };
            let body = (byte + length) * 8;
            markers::decode(data, body, body + 1, TRIAL_LIMIT).is_ok_and(|decoded| {
                decoded
                    .symbols
                    .iter()
                    .all(|&symbol| symbol < markers::MARKER)
            })
        })
}

/// Where a range can start in `from_bit..to_bit`: the first gzip member header (which needs
/// no window) or, before it, the first deflate block.
pub fn next_start(data: &[u8], from_bit: usize, to_bit: usize) -> Option<Start> {
    let to_bit = to_bit.min(data.len() * 8);
    let member = next_member(data, from_bit.div_ceil(8), to_bit / 8);
    let blocks_to = member.map_or(to_bit, |byte| byte * 8);
    match next_block(data, from_bit, blocks_to) {
        Some(bit) => Some(Start::Block(bit)),
        None => member.map(Start::Member),
    }
}

fn is_block_start(compressed: &[u8], bit: usize) -> bool {
    let mut bits = Bits::new(compressed, bit);
    // Non-final (0), dynamic (2): the three bits 0, 0, 1.
    if bits.take(3) != Some(0b100) {
        return false;
    }
    if dynamic_codes(&mut bits).is_none() {
        return false;
    }
    match markers::decode(compressed, bit, bit + 1, TRIAL_LIMIT) {
        Ok(decoded) => {
            // The next block's type must not be the reserved one.
            decoded.last
                || Bits::new(compressed, decoded.end_bit + 1)
                    .take(2)
                    .is_some_and(|kind| kind != 3)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    #[test]
    fn finds_the_next_true_block_from_anywhere() {
        let data = test_support::fastq(15_000, 11);
        for level in [2, 6, 9] {
            let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
            encoder.write_all(&data).unwrap();
            let compressed = encoder.finish().unwrap();
            let whole = markers::decode(&compressed, 0, usize::MAX, usize::MAX).unwrap();
            let starts: Vec<usize> = whole.blocks.iter().map(|&(bit, _)| bit).collect();
            assert!(starts.len() > 3, "level {level}: {} blocks", starts.len());
            let last_start = *starts.last().unwrap();
            for from_byte in (0..compressed.len()).step_by(compressed.len() / 23) {
                let from = from_byte * 8;
                // The last block is final: the finder looks for non-final ones.
                let expected = starts
                    .iter()
                    .copied()
                    .find(|&start| start >= from && start < last_start);
                assert_eq!(
                    next_block(&compressed, from, compressed.len() * 8),
                    expected,
                    "level {level}, from bit {from}"
                );
            }
        }
    }

    #[test]
    fn nothing_in_data_that_is_not_deflate() {
        let text = test_support::fastq(500, 2);
        assert_eq!(next_block(&text, 0, text.len() * 8), None);
        assert_eq!(next_block(&[], 0, 100), None);
        assert_eq!(next_block(&[0b100], 0, 8), None);
    }
}
