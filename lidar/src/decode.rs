//! Point blocks to raw records: LAS blocks are records already, LAZ chunks are decompressed
//! in parallel (each chunk is independent), only the x/y layer when that is all a pass needs.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use laz::laszip::ChunkTableEntry;
use laz::DecompressionSelection;
use partition_core::{Error, Position, Result};

use crate::layout::{Block, Head};

/// What a pass reads of each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Only X and Y are valid afterwards (LAZ 1.4 layered chunks skip the other layers).
    Xy,
    All,
}

/// The records of consecutive `blocks`, whose stored bytes are `bytes`.
pub fn records<'a>(
    name: &str,
    head: &Head,
    blocks: &[Block],
    bytes: &'a [u8],
    fields: Fields,
) -> Result<Cow<'a, [u8]>> {
    let Some(vlr) = &head.laz else {
        return Ok(Cow::Borrowed(bytes));
    };
    let points: u64 = blocks.iter().map(|block| block.points).sum();
    let mut out = vec![0u8; (points * vlr.items_size()) as usize];
    let entries: Vec<ChunkTableEntry> = blocks
        .iter()
        .map(|block| ChunkTableEntry {
            point_count: block.points,
            byte_count: block.range.len(),
        })
        .collect();
    let selection = match fields {
        Fields::Xy => DecompressionSelection::xy_returns_channel(),
        Fields::All => DecompressionSelection::all(),
    };
    // The decoders may panic on corrupt data: that is a bad chunk, not a crash.
    let decode = |bytes: &[u8], out: &mut [u8], entries: &[ChunkTableEntry]| {
        let decoded = catch_unwind(AssertUnwindSafe(|| {
            if head.pointwise {
                let mut decompressor = laz::LasZipDecompressor::selective(
                    std::io::Cursor::new(bytes),
                    vlr.clone(),
                    selection,
                )?;
                decompressor
                    .decompress_many(out)
                    .map_err(laz::LasZipError::from)
            } else {
                laz::par_decompress_selective(bytes, out, vlr, entries, selection)
            }
        }));
        match decoded {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the decoder failed on its data".to_string()),
        }
    };
    let Err(problem) = decode(bytes, &mut out, &entries) else {
        return Ok(Cow::Owned(out));
    };
    // Name the chunk that fails: the first one that fails alone (a point-wise stream is one).
    let mut failing = (&blocks[0], problem);
    if blocks.len() > 1 {
        let mut at = 0usize;
        for (block, entry) in blocks.iter().zip(&entries) {
            let stored = &bytes[at..at + entry.byte_count as usize];
            let mut scratch = vec![0u8; (entry.point_count * vlr.items_size()) as usize];
            if let Err(problem) = decode(stored, &mut scratch, std::slice::from_ref(entry)) {
                failing = (block, problem);
                break;
            }
            at += entry.byte_count as usize;
        }
    }
    let (block, problem) = failing;
    Err(Error::bad_input(
        name,
        Position::Byte(block.range.start),
        format!(
            "corrupt LAZ chunk of points {}..{} (bytes {}..{}): {problem}",
            block.first_point,
            block.first_point + block.points,
            block.range.start,
            block.range.end
        ),
    ))
}
