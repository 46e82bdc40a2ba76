//! One raw deflate stream decoded on many threads, as pugz and rapidgzip do: cut the
//! compressed bytes into ranges, find a block start in each ([`finder`]), decode every range
//! at once with its window unknown ([`markers`]), then chain them: a range counts only when
//! the range before it, itself verified, ended exactly at its start; one that does not (a
//! false block start) is decoded again from where the verified one ended. Windows pass from
//! range to range (cheap: only each range's last 32 KiB is resolved in order), then every
//! range is resolved at once.
//!
//! The index build does not use it yet (#26): it holds the whole output, where the index
//! needs lines, records and checkpoints counted per range in bounded memory.

use super::{finder, header_length, markers, WINDOW};

/// The first gzip member of `data` decoded on `threads` threads, its CRC32 and size checked
/// against its trailer; with the offset where the member ends.
pub fn inflate_member(data: &[u8], threads: usize) -> Result<(Vec<u8>, usize), String> {
    let header = header_length(data)?.ok_or("the data ends inside the gzip header")?;
    let (output, end_bit) = inflate(data, header * 8, threads)?;
    let trailer = end_bit.div_ceil(8);
    let Some(fields) = data.get(trailer..trailer + 8) else {
        return Err(format!(
            "byte {trailer}: the data ends inside the gzip trailer"
        ));
    };
    let crc = u32::from_le_bytes(fields[..4].try_into().expect("4 bytes"));
    let size = u32::from_le_bytes(fields[4..].try_into().expect("4 bytes"));
    if crc32fast::hash(&output) != crc || output.len() as u32 != size {
        return Err(format!(
            "byte {trailer}: the member's CRC32 or size differs from its trailer's"
        ));
    }
    Ok((output, trailer + 8))
}

/// The bytes of the deflate stream starting at `start_bit` of `compressed` (a block start
/// with nothing before it: a gzip member's body), decoded as `ranges` ranges on as many
/// threads, and the bit where its last block ends.
pub fn inflate(
    compressed: &[u8],
    start_bit: usize,
    ranges: usize,
) -> Result<(Vec<u8>, usize), String> {
    let starts = range_starts(compressed, start_bit, ranges.max(1));
    // Each range decodes up to the next found start (the last, to the stream's end).
    let stops: Vec<usize> = starts.iter().skip(1).copied().chain([usize::MAX]).collect();
    let decoded: Vec<Result<markers::Decoded, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .iter()
            .zip(&stops)
            .map(|(&start, &stop)| {
                scope.spawn(move || markers::decode(compressed, start, stop, usize::MAX))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("decoding does not panic"))
            .collect()
    });
    let segments = chain(compressed, &starts, decoded)?;
    let end_bit = segments.last().map_or(start_bit, |segment| segment.end_bit);
    // The windows, in order: each from the end of the segments before it.
    let mut windows = Vec::with_capacity(segments.len());
    let mut window: Vec<u8> = Vec::new();
    for segment in &segments {
        windows.push(window.clone());
        let tail = &segment.symbols[segment.symbols.len().saturating_sub(WINDOW)..];
        let resolved = markers::resolve(tail, &window).map_err(|_| before_start(segment))?;
        window.extend_from_slice(&resolved);
        window.drain(..window.len().saturating_sub(WINDOW));
    }
    let resolved: Vec<Result<Vec<u8>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = segments
            .iter()
            .zip(&windows)
            .map(|(segment, window)| {
                scope.spawn(move || {
                    markers::resolve(&segment.symbols, window).map_err(|_| before_start(segment))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("resolving does not panic"))
            .collect()
    });
    let mut output = Vec::new();
    for bytes in resolved {
        output.extend_from_slice(&bytes?);
    }
    Ok((output, end_bit))
}

fn before_start(segment: &markers::Decoded) -> String {
    let bit = segment.blocks.first().map_or(0, |&(bit, _)| bit);
    format!("bit {bit}: a match reaches before the stream's start")
}

/// The first range starts at `start_bit`; each other at the first block found in its share
/// of the bytes (ranges without one are dropped), found on as many threads.
fn range_starts(compressed: &[u8], start_bit: usize, ranges: usize) -> Vec<usize> {
    let bits = compressed.len() * 8;
    let share = (bits.saturating_sub(start_bit)) / ranges;
    let found: Vec<Option<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..ranges)
            .map(|i| {
                let from = start_bit + i * share;
                let to = if i + 1 == ranges { bits } else { from + share };
                scope.spawn(move || finder::next_block(compressed, from, to))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("the finder does not panic"))
            .collect()
    });
    let mut starts = vec![start_bit];
    starts.extend(found.into_iter().flatten());
    starts
}

/// The verified chain of decoded ranges, from the first: a range joins when the chain ended
/// exactly at its start; where none starts there (a false start found), the chain decodes on
/// from its end to the next found start.
fn chain(
    compressed: &[u8],
    starts: &[usize],
    decoded: Vec<Result<markers::Decoded, String>>,
) -> Result<Vec<markers::Decoded>, String> {
    let mut decoded: Vec<Option<Result<markers::Decoded, String>>> =
        decoded.into_iter().map(Some).collect();
    let first = decoded[0].take().expect("the first range")?;
    let mut segments = vec![first];
    loop {
        let current = segments.last().expect("one segment at least");
        if current.last {
            return Ok(segments);
        }
        let end = current.end_bit;
        let next = match starts.iter().position(|&start| start == end) {
            Some(index) => decoded[index].take().expect("each range joins once")?,
            None => {
                let stop = starts
                    .iter()
                    .copied()
                    .find(|&start| start > end)
                    .unwrap_or(usize::MAX);
                markers::decode(compressed, end, stop, usize::MAX)?
            }
        };
        segments.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    #[test]
    fn any_number_of_ranges_gives_flate2s_bytes() {
        let data = test_support::fastq(12_000, 13);
        for level in [2, 9] {
            let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
            encoder.write_all(&data).unwrap();
            let mut compressed = encoder.finish().unwrap();
            let body_end = compressed.len() * 8;
            compressed.extend_from_slice(b"trailer");
            for ranges in [1, 3, 16, 200] {
                let (output, end_bit) = inflate(&compressed, 0, ranges).unwrap();
                assert!(output == data, "level {level}, {ranges} ranges");
                assert!(
                    end_bit <= body_end && body_end - end_bit < 8,
                    "level {level}, {ranges} ranges"
                );
            }
        }
    }

    #[test]
    fn a_member_is_checked_against_its_trailer() {
        let data = test_support::fastq(3_000, 19);
        let mut member = test_support::gzip(&data, 1);
        let (output, end) = inflate_member(&member, 4).unwrap();
        assert!(output == data && end == member.len());
        let crc_at = member.len() - 8;
        member[crc_at] ^= 1;
        assert!(inflate_member(&member, 4).unwrap_err().contains("CRC32"));
        assert!(inflate_member(&member[..member.len() - 3], 4)
            .unwrap_err()
            .contains("trailer"));
        assert!(inflate_member(b"not gzip at all", 2)
            .unwrap_err()
            .contains("magic"));
    }

    #[test]
    fn a_false_start_is_decoded_again_from_the_verified_end() {
        let data = test_support::fastq(8_000, 17);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(6));
        encoder.write_all(&data).unwrap();
        let compressed = encoder.finish().unwrap();
        let whole = markers::decode(&compressed, 0, usize::MAX, usize::MAX).unwrap();
        // A "found" start a bit past a true one: decoding from it fails or ends elsewhere,
        // and the chain must not take it.
        // Range 0 then ends at block 3, where no range starts: the chain decodes block 3 on
        // its own, up to the range found at block 4.
        let starts = vec![0, whole.blocks[2].0 + 1, whole.blocks[4].0];
        let stops = [starts[1], starts[2], usize::MAX];
        let decoded = starts
            .iter()
            .zip(stops)
            .map(|(&start, stop)| markers::decode(&compressed, start, stop, usize::MAX))
            .collect();
        let segments = chain(&compressed, &starts, decoded).unwrap();
        assert_eq!(
            segments.len(),
            3,
            "range 0, block 3 decoded again, the range at block 4"
        );
        assert_eq!(segments[1].blocks[0].0, whole.blocks[3].0);
        let mut output = Vec::new();
        for segment in &segments {
            let bytes = markers::resolve(&segment.symbols, &output).unwrap();
            output.extend(bytes);
        }
        assert_eq!(output, data);
    }
}
