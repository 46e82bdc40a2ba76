//! Join two: the parts' shares of the index put together, every seam and member checked.

use std::collections::HashMap;

use partition_core::{Error, Result, Source};

use super::{Part, PartIndex, PartStart};
use crate::checksum::{append_crc, range_crc};
use crate::index::{build, GzIndex};

/// The index of the file `parts` cut, from the chain's starts and each part's share (in
/// order). Where a part met a record that is not four lines long, the records cannot be
/// placed by line counts: the index is built in one pass instead (`quiet`: no progress).
pub fn join(
    parts: &[Part],
    starts: &[PartStart],
    built: Vec<PartIndex>,
    quiet: bool,
) -> Result<GzIndex> {
    let first = parts
        .first()
        .ok_or_else(|| Error::Usage("no parts to join".to_string()))?;
    let source = Source::open(&first.url)?;
    source.expect_size(Some(first.size))?;
    let seam_error = |message: String| Error::bad_file(&first.url, message);
    if starts.len() != parts.len() || built.len() != parts.len() {
        return Err(seam_error(format!(
            "{} parts, {} starts, {} built",
            parts.len(),
            starts.len(),
            built.len()
        )));
    }
    if built.iter().any(|part| !part.four_line) {
        if !quiet {
            eprintln!(
                "{}: records of other than four lines: building the index in one pass",
                first.url
            );
        }
        return build(&source, first.span, 1, quiet);
    }

    // CRC32s of the output before each member start and end, to check the trailers.
    let mut prefixes = HashMap::from([(0u64, 0u32)]);
    let (mut prefix, mut records, mut next_record) = (0u32, 0u64, 0u64);
    let mut checkpoints = Vec::new();
    for (start, part) in starts.iter().zip(built) {
        if part.seq != start.seq {
            return Err(seam_error(format!(
                "part {} built where part {}'s belongs",
                part.seq, start.seq
            )));
        }
        if start.start.is_none() {
            // The part before decoded this one's range whole.
            continue;
        }
        if part.first_record != next_record {
            return Err(seam_error(format!(
                "part {}'s first record starts at output byte {}, but the part before it \
                 ends its last at {next_record}",
                part.seq, part.first_record
            )));
        }
        for mut checkpoint in part.checkpoints {
            checkpoint.record += records;
            checkpoint.first_crc = append_crc(
                prefix,
                checkpoint.first_crc,
                checkpoint.first_out - start.out,
            );
            checkpoints.push(checkpoint);
        }
        let before = prefix;
        for &(out, crc) in &part.crcs {
            prefix = append_crc(before, crc, out - start.out);
            prefixes.insert(out, prefix);
        }
        records += part.records;
        next_record = part.next_record;
    }
    let size = starts.last().map_or(0, |last| last.out_end);
    if next_record != size {
        return Err(seam_error(format!(
            "the last record ends at output byte {next_record} of {size}"
        )));
    }
    check_members(starts, &prefixes, &first.url)?;
    Ok(GzIndex {
        span: first.span,
        compressed_size: source.size(),
        uncompressed_size: size,
        records,
        lines: starts.last().map_or(0, |last| last.lines_end),
        crc32: prefix,
        crcs_known: true,
        checkpoints,
    })
}

/// Every member's output against its trailer: CRC32 and size.
fn check_members(starts: &[PartStart], prefixes: &HashMap<u64, u32>, url: &str) -> Result<()> {
    // The first part starts with the first member, so every member's start is listed (an
    // empty member's equal to the next one's).
    let member_starts: Vec<u64> = starts
        .iter()
        .flat_map(|start| start.members.iter().copied())
        .collect();
    let trailers = starts.iter().flat_map(|start| start.trailers.iter());
    for (index, trailer) in trailers.enumerate() {
        let begin = *member_starts.get(index).ok_or_else(|| {
            Error::bad_file(
                url,
                format!("member {} has a trailer but no start", index + 1),
            )
        })?;
        let (Some(&at_begin), Some(&at_end)) = (prefixes.get(&begin), prefixes.get(&trailer.out))
        else {
            return Err(Error::bad_file(
                url,
                format!(
                    "member {} does not end where the next one starts",
                    index + 1
                ),
            ));
        };
        let length = trailer.out - begin;
        if range_crc(at_begin, at_end, length) != trailer.crc || length as u32 != trailer.size {
            return Err(Error::bad_file(
                url,
                format!(
                    "member {} (output bytes {begin}..{}): CRC32 or size differs from its \
                     trailer (corrupt data)",
                    index + 1,
                    trailer.out
                ),
            ));
        }
    }
    Ok(())
}
