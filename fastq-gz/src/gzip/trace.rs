//! Which bytes of a checkpoint's window the data after it copies from.
//!
//! A resumed deflate stream needs the 32 KiB before the resume point only where its matches
//! reach back into it, and matches reach at most 32 KiB: once 32 KiB have been produced after
//! the checkpoint, the window is out of reach. Tracing the matches of that first stretch
//! (parsing the blocks and their Huffman codes, RFC 1951, without producing any bytes) tells
//! which window bytes are used; the others can be stored as zeros, which compress to nearly
//! nothing. This keeps checkpoints small, as rapidgzip's sparse windows do.

use super::deflate::{dynamic_codes, fixed_codes, Bits, DISTANCES, LENGTHS};
use super::WINDOW;

/// For each byte of a `window_length`-byte window, whether the deflate data in `compressed`,
/// starting `start_bit` bits into it, copies from it before producing 32 KiB or ending its
/// stream. `None` when the data runs out or is not valid deflate: then the whole window has
/// to be kept.
pub fn used_window(window_length: usize, compressed: &[u8], start_bit: usize) -> Option<Vec<bool>> {
    let mut bits = Bits::new(compressed, start_bit);
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
