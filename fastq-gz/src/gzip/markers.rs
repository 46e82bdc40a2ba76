//! Deflate decoded from a block start with the 32 KiB before it unknown (the first step of
//! decoding one gzip stream on many cores, as pugz and rapidgzip do).
//!
//! Output is 16-bit symbols: 0-255 are bytes; [`MARKER`]` + i` stands for byte `i` of the
//! unknown window (0 is the oldest of its 32 KiB, 32767 the byte just before the start).
//! Matches copy symbols, markers included. Once the range before has been decoded, its last
//! 32 KiB is this range's window and [`resolve`] turns the symbols into bytes.

use super::deflate::{dynamic_codes, fixed_codes, Bits, DISTANCES, LENGTHS};
use super::WINDOW;

/// The first symbol that stands for a window byte.
pub const MARKER: u16 = 256;

/// What decoding a range of blocks gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub symbols: Vec<u16>,
    /// Where each decoded block started: its bit offset and the symbols before it.
    pub blocks: Vec<(usize, usize)>,
    /// The bit where decoding stopped: the start of the first block at or past the stop bit,
    /// or the end of the stream's last block.
    pub end_bit: usize,
    /// Decoding stopped after the stream's last block (the member's trailer follows).
    pub last: bool,
}

/// Decodes blocks from `start_bit` (a block start) until a block would start at or past
/// `stop_bit`, or the last block ends. More than `limit` symbols, data that runs out, or
/// anything that is not deflate is an error saying what and at which bit.
pub fn decode(
    compressed: &[u8],
    start_bit: usize,
    stop_bit: usize,
    limit: usize,
) -> Result<Decoded, String> {
    let mut bits = Bits::new(compressed, start_bit);
    let mut symbols: Vec<u16> = Vec::new();
    let mut blocks = Vec::new();
    let ran_out = |at: usize| format!("bit {at}: the data ends inside a block");
    loop {
        if bits.at >= stop_bit && !blocks.is_empty() {
            return Ok(Decoded {
                symbols,
                blocks,
                end_bit: bits.at,
                last: false,
            });
        }
        let block_start = bits.at;
        blocks.push((block_start, symbols.len()));
        let last = bits.take(1).ok_or_else(|| ran_out(bits.at))? == 1;
        match bits.take(2).ok_or_else(|| ran_out(bits.at))? {
            0 => {
                bits.at = bits.at.div_ceil(8) * 8;
                let length = bits.take(16).ok_or_else(|| ran_out(bits.at))?;
                let complement = bits.take(16).ok_or_else(|| ran_out(bits.at))?;
                if length ^ 0xffff != complement {
                    return Err(format!(
                        "bit {block_start}: a stored block's length and its complement disagree"
                    ));
                }
                let first = bits.at / 8;
                for index in first..first + length as usize {
                    symbols.push(u16::from(
                        bits.byte(index).ok_or_else(|| ran_out(index * 8))?,
                    ));
                }
                bits.at += 8 * length as usize;
            }
            kind @ (1 | 2) => {
                let (literals, distances) = if kind == 1 {
                    fixed_codes()
                } else {
                    dynamic_codes(&mut bits).ok_or_else(|| {
                        format!("bit {block_start}: not a valid dynamic block header")
                    })?
                };
                loop {
                    let at = bits.at;
                    let symbol = literals
                        .decode(&mut bits)
                        .ok_or_else(|| format!("bit {at}: not a literal/length code"))?;
                    match symbol {
                        0..=255 => symbols.push(symbol),
                        256 => break,
                        257..=285 => {
                            let (base, extra) = LENGTHS[usize::from(symbol - 257)];
                            let length = usize::from(base)
                                + bits.take(extra).ok_or_else(|| ran_out(at))? as usize;
                            let code = distances
                                .decode(&mut bits)
                                .ok_or_else(|| format!("bit {at}: not a distance code"))?;
                            let &(base, extra) =
                                DISTANCES.get(usize::from(code)).ok_or_else(|| {
                                    format!("bit {at}: distance code {code} is reserved")
                                })?;
                            let distance = usize::from(base)
                                + bits.take(extra).ok_or_else(|| ran_out(at))? as usize;
                            copy(&mut symbols, distance, length).map_err(|()| {
                                format!("bit {at}: a match reaches past the window")
                            })?;
                        }
                        _ => {
                            return Err(format!(
                                "bit {at}: literal/length code {symbol} is reserved"
                            ))
                        }
                    }
                    if symbols.len() > limit {
                        return Err(format!("bit {at}: more than {limit} bytes decoded"));
                    }
                }
            }
            _ => return Err(format!("bit {block_start}: block type 3 is reserved")),
        }
        if symbols.len() > limit {
            return Err(format!(
                "bit {block_start}: more than {limit} bytes decoded"
            ));
        }
        if last {
            return Ok(Decoded {
                symbols,
                blocks,
                end_bit: bits.at,
                last: true,
            });
        }
    }
}

/// Appends a match: `length` symbols from `distance` back, reaching into the window as
/// markers. A match farther back than the window is not deflate.
fn copy(symbols: &mut Vec<u16>, distance: usize, length: usize) -> Result<(), ()> {
    let produced = symbols.len();
    if distance > produced + WINDOW {
        return Err(());
    }
    for _ in 0..length {
        let at = symbols.len();
        let symbol = if distance <= at {
            symbols[at - distance]
        } else {
            MARKER + (WINDOW - (distance - at)) as u16
        };
        symbols.push(symbol);
    }
    Ok(())
}

/// The bytes of `symbols`, the window being the bytes before them (up to 32 KiB; shorter at
/// a stream's start). Err(i): symbol `i` refers to a byte before the stream's start.
pub fn resolve(symbols: &[u16], window: &[u8]) -> Result<Vec<u8>, usize> {
    let window = &window[window.len().saturating_sub(WINDOW)..];
    let missing = WINDOW - window.len();
    symbols
        .iter()
        .enumerate()
        .map(|(i, &symbol)| match symbol.checked_sub(MARKER) {
            None => Ok(symbol as u8),
            Some(index) => (usize::from(index))
                .checked_sub(missing)
                .map(|index| window[index])
                .ok_or(i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn deflate(data: &[u8], level: u32) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn from_every_block_with_the_window_unknown_then_resolved() {
        let data = test_support::fastq(12_000, 3);
        let compressed = deflate(&data, 6);
        let whole = decode(&compressed, 0, usize::MAX, usize::MAX).unwrap();
        assert!(
            whole.last && whole.blocks.len() > 5,
            "{} blocks",
            whole.blocks.len()
        );
        assert_eq!(resolve(&whole.symbols, &[]).unwrap(), data);
        let mut markers_seen = 0;
        for (k, &(bit, out)) in whole.blocks.iter().enumerate().skip(1) {
            // To the end, and to the next block only: the stop lands on the next block start.
            let rest = decode(&compressed, bit, usize::MAX, usize::MAX).unwrap();
            markers_seen += rest.symbols.iter().filter(|&&s| s >= MARKER).count();
            assert_eq!(
                resolve(&rest.symbols, &data[..out]).unwrap(),
                &data[out..],
                "block {k}"
            );
            let one = decode(&compressed, bit, bit + 1, usize::MAX).unwrap();
            match whole.blocks.get(k + 1) {
                Some(&(next_bit, next_out)) => {
                    assert!(!one.last && one.end_bit == next_bit);
                    assert_eq!(one.symbols.len(), next_out - out);
                }
                None => assert!(one.last && one.end_bit == whole.end_bit),
            }
        }
        assert!(
            markers_seen > 1000,
            "matches into the unknown window: {markers_seen}"
        );
        // Without its window, a block that copies from it cannot be resolved.
        let &(bit, _) = &whole.blocks[1];
        let rest = decode(&compressed, bit, usize::MAX, usize::MAX).unwrap();
        assert!(resolve(&rest.symbols, &[]).is_err());
    }

    #[test]
    fn stored_and_fixed_blocks() {
        let data = test_support::fastq(300, 5);
        for level in [0, 1] {
            let compressed = deflate(&data, level);
            let decoded = decode(&compressed, 0, usize::MAX, usize::MAX).unwrap();
            assert_eq!(
                resolve(&decoded.symbols, &[]).unwrap(),
                data,
                "level {level}"
            );
        }
        let short = deflate(b"ACGTACGTACGTACGTNNNN", 1);
        assert_eq!(
            resolve(&decode(&short, 0, usize::MAX, 100).unwrap().symbols, &[]).unwrap(),
            b"ACGTACGTACGTACGTNNNN"
        );
    }

    #[test]
    fn damage_and_limits_are_errors() {
        let data = test_support::fastq(2_000, 7);
        let compressed = deflate(&data, 6);
        for cut in [1, 10, compressed.len() / 2, compressed.len() - 1] {
            let error = decode(&compressed[..cut], 0, usize::MAX, usize::MAX).unwrap_err();
            assert!(error.contains("bit "), "{error}");
        }
        let error = decode(&compressed, 0, usize::MAX, 1000).unwrap_err();
        assert!(error.contains("more than 1000 bytes"), "{error}");
        let mut damaged = compressed.clone();
        for byte in &mut damaged[100..140] {
            *byte ^= 0x5a;
        }
        // Damage is an error or, at worst, other bytes; never a panic.
        if let Ok(decoded) = decode(&damaged, 0, usize::MAX, 1 << 24) {
            assert_ne!(resolve(&decoded.symbols, &[]).ok(), Some(data));
        }
        assert!(decode(&[0xff; 8], 0, usize::MAX, 100)
            .unwrap_err()
            .contains("reserved"));
    }
}
