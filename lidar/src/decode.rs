//! Point blocks to raw records: LAS blocks are records already, LAZ chunks are decompressed
//! in parallel (each chunk is independent), only the x/y layer when that is all a pass needs.

use laz::laszip::{ChunkTableEntry, LazItemType};
use laz::DecompressionSelection;
use partition_core::{Error, Position, Result};

use crate::layout::{Block, Head};
use crate::laz_guard::{contain_panics, StackGuard};

/// What a pass reads of each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Only X and Y are valid afterwards (LAZ 1.4 layered chunks skip the other layers).
    Xy,
    All,
}

/// The records of consecutive `blocks`, whose stored bytes are `bytes`: LAS records are
/// those bytes, LAZ chunks are decoded into `decoded` (whose memory a reader reuses).
pub fn records<'a>(
    name: &str,
    head: &Head,
    blocks: &[Block],
    bytes: &'a [u8],
    fields: Fields,
    decoded: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    let Some(vlr) = &head.laz else {
        return Ok(bytes);
    };
    let points: u64 = blocks.iter().map(|block| block.points).sum();
    decoded.resize((points * vlr.items_size()) as usize, 0);
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
    let decode = |bytes: &[u8], out: &mut [u8], entries: &[ChunkTableEntry]| {
        // Layered items are read as layers even in a point-wise stream.
        check_layer_sizes(vlr, bytes, entries)?;
        let decoded = contain_panics(|| {
            if head.pointwise {
                let mut decompressor = laz::LasZipDecompressor::selective(
                    StackGuard::new(std::io::Cursor::new(bytes)),
                    vlr.clone(),
                    selection,
                )?;
                decompressor
                    .decompress_many(out)
                    .map_err(laz::LasZipError::from)
            } else {
                laz::par_decompress_selective(bytes, out, vlr, entries, selection)
            }
        });
        match decoded {
            Ok(Ok(())) => Ok(()),
            // Said plainly: the library's own words are "IoError: failed to fill whole buffer".
            Ok(Err(laz::LasZipError::IoError(e)))
                if e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                Err("its compressed data ends before its points do".to_string())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(panic) => Err(panic),
        }
    };
    let Err(problem) = decode(bytes, decoded, &entries) else {
        return Ok(decoded);
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

/// LAZ 1.4 chunks start with the first point, a point count and the byte size of each
/// layer; the decoder allocates those sizes before reading. A damaged size must be an
/// error, not gigabytes: the sizes must fit in the chunk.
fn check_layer_sizes(
    vlr: &laz::LazVlr,
    bytes: &[u8],
    entries: &[ChunkTableEntry],
) -> Result<(), String> {
    let layers: u64 = vlr
        .items()
        .iter()
        .map(|item| match item.item_type() {
            LazItemType::Point14 => 9,
            LazItemType::RGB14 | LazItemType::WavePacket14 => 1,
            LazItemType::RGBNIR14 => 2,
            LazItemType::Byte14(count) => u64::from(count),
            _ => 0,
        })
        .sum();
    if layers == 0 {
        return Ok(());
    }
    let head = vlr.items_size() + 4 + 4 * layers;
    let mut at = 0u64;
    for entry in entries {
        let chunk = bytes
            .get(at as usize..at.saturating_add(entry.byte_count) as usize)
            .ok_or("the chunk table runs past the data")?;
        at += entry.byte_count;
        if entry.point_count == 0 {
            continue;
        }
        let Some(sizes) = chunk.get(head as usize - 4 * layers as usize..head as usize) else {
            return Err(format!(
                "chunk of {} bytes is shorter than its layer table",
                chunk.len()
            ));
        };
        let total: u64 = sizes
            .chunks_exact(4)
            .map(|size| u64::from(u32::from_le_bytes(size.try_into().expect("4 bytes"))))
            .sum();
        if total > chunk.len() as u64 - head {
            return Err(format!(
                "layers of {total} bytes do not fit in a chunk of {} bytes",
                chunk.len()
            ));
        }
    }
    Ok(())
}
