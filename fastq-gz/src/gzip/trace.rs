//! Which bytes of a checkpoint's window the data after it copies from.
//!
//! A resumed deflate stream needs the 32 KiB before the resume point only where its matches
//! reach back into it, and matches reach at most 32 KiB: once 32 KiB have been produced after
//! the checkpoint, the window is out of reach. Tracing the matches of that first stretch
//! (parsing the blocks and their Huffman codes, RFC 1951, without producing any bytes) tells
//! which window bytes are used; the others can be stored as zeros, which compress to nearly
//! nothing. This keeps checkpoints small, as rapidgzip's sparse windows do.

use super::WINDOW;

/// For each byte of a `window_length`-byte window, whether the deflate data in `compressed`,
/// starting `start_bit` bits into it, copies from it before producing 32 KiB or ending its
/// stream. `None` when the data runs out or is not valid deflate: then the whole window has
/// to be kept.
pub fn used_window(window_length: usize, compressed: &[u8], start_bit: usize) -> Option<Vec<bool>> {
    let mut bits = Bits {
        data: compressed,
        at: start_bit,
    };
    let mut used = vec![false; window_length];
    // Output produced since the checkpoint.
    let mut produced = 0usize;
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.at = bits.at.div_ceil(8) * 8;
                let length = bits.take(16)?;
                if length ^ 0xffff != bits.take(16)? {
                    return None;
                }
                bits.at += 8 * length as usize;
                produced += length as usize;
            }
            kind @ (1 | 2) => {
                let (literals, distances) = if kind == 1 {
                    fixed_codes()
                } else {
                    dynamic_codes(&mut bits)?
                };
                loop {
                    if produced >= WINDOW {
                        return Some(used);
                    }
                    let symbol = literals.decode(&mut bits)?;
                    match symbol {
                        0..=255 => produced += 1,
                        256 => break,
                        257..=285 => {
                            let (base, extra) = LENGTHS[symbol as usize - 257];
                            let length = base as usize + bits.take(extra)? as usize;
                            let code = distances.decode(&mut bits)? as usize;
                            let &(base, extra) = DISTANCES.get(code)?;
                            let distance = base as usize + bits.take(extra)? as usize;
                            // Bytes before the checkpoint are window bytes.
                            if distance > produced {
                                let back = distance - produced;
                                let first = window_length.checked_sub(back)?;
                                let end = (first + length).min(window_length);
                                used[first..end].iter_mut().for_each(|byte| *byte = true);
                            }
                            produced += length;
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
        if last || produced >= WINDOW {
            return Some(used);
        }
    }
}

/// Deflate's bit order: values are packed from the least significant bit of each byte.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, count: u32) -> Option<u32> {
        let mut value = 0;
        for i in 0..count {
            let byte = *self.data.get(self.at / 8)?;
            value |= u32::from((byte >> (self.at % 8)) & 1) << i;
            self.at += 1;
        }
        Some(value)
    }
}

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
struct Code {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Code {
    fn new(lengths: &[u8]) -> Option<Code> {
        let mut counts = [0u16; 16];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        counts[0] = 0;
        let mut symbols: Vec<u16> = (0..lengths.len() as u16)
            .filter(|&s| lengths[usize::from(s)] > 0)
            .collect();
        symbols.sort_by_key(|&s| lengths[usize::from(s)]);
        // More codes of a length than the lengths before leave room for is not a code.
        let mut room = 1i32;
        for &count in &counts[1..] {
            room = room * 2 - i32::from(count);
            if room < 0 {
                return None;
            }
        }
        Some(Code { counts, symbols })
    }

    /// Reads one symbol, a bit at a time: codes of each length follow those of the length
    /// before, so a code of length n is valid when it falls among that length's codes.
    fn decode(&self, bits: &mut Bits) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &self.counts[1..] {
            code |= bits.take(1)? as i32;
            let count = i32::from(count);
            if code - first < count {
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

fn fixed_codes() -> (Code, Code) {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    let literals = Code::new(&lengths).expect("the fixed code is a code");
    let distances = Code::new(&[5; 30]).expect("the fixed code is a code");
    (literals, distances)
}

/// The code-length order of a dynamic block's header.
const ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

fn dynamic_codes(bits: &mut Bits) -> Option<(Code, Code)> {
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let header = bits.take(4)? as usize + 4;
    let mut header_lengths = [0u8; 19];
    for &symbol in &ORDER[..header] {
        header_lengths[symbol] = bits.take(3)? as u8;
    }
    let header_code = Code::new(&header_lengths)?;
    let mut lengths = Vec::with_capacity(literals + distances);
    while lengths.len() < literals + distances {
        let (value, repeat) = match header_code.decode(bits)? {
            length @ 0..=15 => (length as u8, 1),
            16 => (*lengths.last()?, 3 + bits.take(2)?),
            17 => (0, 3 + bits.take(3)?),
            18 => (0, 11 + bits.take(7)?),
            _ => return None,
        };
        lengths.extend(std::iter::repeat_n(value, repeat as usize));
    }
    if lengths.len() != literals + distances {
        return None;
    }
    Some((
        Code::new(&lengths[..literals])?,
        Code::new(&lengths[literals..])?,
    ))
}

/// Length symbols 257-285: base length and extra bits.
const LENGTHS: [(u16, u32); 29] = [
    (3, 0),
    (4, 0),
    (5, 0),
    (6, 0),
    (7, 0),
    (8, 0),
    (9, 0),
    (10, 0),
    (11, 1),
    (13, 1),
    (15, 1),
    (17, 1),
    (19, 2),
    (23, 2),
    (27, 2),
    (31, 2),
    (35, 3),
    (43, 3),
    (51, 3),
    (59, 3),
    (67, 4),
    (83, 4),
    (99, 4),
    (115, 4),
    (131, 5),
    (163, 5),
    (195, 5),
    (227, 5),
    (258, 0),
];

/// Distance codes 0-29: base distance and extra bits.
const DISTANCES: [(u16, u32); 30] = [
    (1, 0),
    (2, 0),
    (3, 0),
    (4, 0),
    (5, 1),
    (7, 1),
    (9, 2),
    (13, 2),
    (17, 3),
    (25, 3),
    (33, 4),
    (49, 4),
    (65, 5),
    (97, 5),
    (129, 6),
    (193, 6),
    (257, 7),
    (385, 7),
    (513, 8),
    (769, 8),
    (1025, 9),
    (1537, 9),
    (2049, 10),
    (3073, 10),
    (4097, 11),
    (6145, 11),
    (8193, 12),
    (12289, 12),
    (16385, 13),
    (24577, 13),
];

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    /// Deflates `window + data` and traces `data`'s part: the stream is split where
    /// `data` starts by a full flush (a byte-aligned block boundary).
    fn trace(window: &[u8], data: &[u8], level: u32) -> Option<Vec<bool>> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(window).unwrap();
        encoder.flush().unwrap();
        let start = encoder.get_ref().len();
        encoder.write_all(data).unwrap();
        let compressed = encoder.finish().unwrap();
        used_window(window.len(), &compressed[start..], 0)
    }

    #[test]
    fn marks_exactly_the_bytes_copied_from_the_window() {
        let window: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        // The data repeats window bytes 1000..1300 and 3000..3100, between new bytes.
        let mut data = b"new bytes that the window does not hold: qwxzjv".to_vec();
        data.extend_from_slice(&window[1000..1300]);
        data.extend_from_slice(b"and then more unmatched text, kpqyvxz");
        data.extend_from_slice(&window[3000..3100]);
        let used = trace(&window, &data, 9).unwrap();
        let marked: Vec<usize> = (0..window.len()).filter(|&i| used[i]).collect();
        assert!((1000..1300).all(|i| used[i]) && (3000..3100).all(|i| used[i]));
        assert!(marked.len() < 450, "{} bytes marked", marked.len());
    }

    #[test]
    fn stored_and_fixed_blocks_are_followed() {
        let window = vec![b'a'; 100];
        // Level 0: stored blocks, no matches at all.
        assert_eq!(trace(&window, b"zzzz", 0), Some(vec![false; 100]));
        // Level 1 on a short input: a fixed-code block that matches the window.
        let used = trace(&window, &[b'a'; 50], 1).unwrap();
        assert!(used.iter().any(|&u| u));
    }

    #[test]
    fn data_that_is_not_deflate_keeps_the_whole_window() {
        assert_eq!(used_window(100, &[0xff; 4], 0), None);
        assert_eq!(used_window(100, &[], 0), None);
    }
}
