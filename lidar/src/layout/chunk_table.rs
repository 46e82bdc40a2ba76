//! The point blocks of a LAZ file: its chunks, from the chunk table.

use std::io::Cursor;

use partition_core::{ByteRange, Error, Position, Result, Source};

use super::{Block, Head};

/// The chunks of a LAZ file from its chunk table, checked against the header's point count.
pub(super) fn laz_blocks(
    source: &Source,
    head: &Head,
    vlr: &laz::LazVlr,
    data_end: u64,
) -> Result<Vec<Block>> {
    let name = source.url();
    let bad =
        |position: u64, message: String| Error::bad_input(name, Position::Byte(position), message);
    let start = head.point_data_start();
    if head.pointwise {
        return Ok(vec![Block {
            range: ByteRange::new(start, data_end),
            first_point: 0,
            points: head.points(),
        }]);
    }
    if start + 8 > data_end {
        return Err(bad(
            start,
            "truncated: LAZ point data ends before its chunk table offset".into(),
        ));
    }
    let offset_bytes = source.read_range(ByteRange::new(start, start + 8))?;
    let mut table_at = i64::from_le_bytes(offset_bytes[..8].try_into().unwrap());
    if table_at <= start as i64 {
        // A writer that could not seek back stores the offset in the file's last 8 bytes.
        let tail = source.read_range(ByteRange::new(data_end - 8, data_end))?;
        table_at = i64::from_le_bytes(tail[..8].try_into().unwrap());
    }
    if table_at <= start as i64 + 8 || table_at as u64 + 8 > data_end {
        return Err(bad(start, format!("LAZ chunk table offset {table_at} lies outside the point data (bytes {start}..{data_end}); the file is truncated or was not finished")));
    }
    let table_at = table_at as u64;
    let table_bytes = source.read_range(ByteRange::new(table_at, data_end))?;
    let chunks = u32::from_le_bytes(table_bytes[4..8].try_into().unwrap());
    // Each entry takes at least a few bits; a count beyond what the bytes can hold is corrupt.
    if u64::from(chunks) > (data_end - table_at) * 8 {
        return Err(bad(
            table_at,
            format!(
                "LAZ chunk table claims {chunks} chunks in {} bytes",
                data_end - table_at
            ),
        ));
    }
    let variable = vlr.uses_variable_size_chunks();
    let table = crate::laz_guard::contain_panics(|| {
        laz::laszip::ChunkTable::read(&mut Cursor::new(&table_bytes[..]), variable)
            .map_err(|e| e.to_string())
    })
    .and_then(|read| read)
    .map_err(|e| bad(table_at, format!("unreadable LAZ chunk table: {e}")))?;
    let points = head.points();
    let mut blocks = Vec::with_capacity(table.len());
    let mut at = start + 8;
    let mut first_point = 0u64;
    for (n, entry) in table.as_ref().iter().enumerate() {
        let count = if variable {
            entry.point_count
        } else {
            u64::from(vlr.chunk_size()).min(points.saturating_sub(first_point))
        };
        let Some(end) = at
            .checked_add(entry.byte_count)
            .filter(|&end| end <= table_at)
        else {
            return Err(bad(
                at,
                format!(
                    "LAZ chunk {n} ({} bytes) runs past the chunk table at byte {table_at}",
                    entry.byte_count
                ),
            ));
        };
        blocks.push(Block {
            range: ByteRange::new(at, end),
            first_point,
            points: count,
        });
        at = end;
        first_point = first_point.saturating_add(count);
    }
    // Fixed-size chunks store no counts: the header's count must fit the chunks.
    let fits = variable
        || (points == 0 && blocks.is_empty())
        || (points <= blocks.len() as u64 * u64::from(vlr.chunk_size())
            && points > (blocks.len() as u64).saturating_sub(1) * u64::from(vlr.chunk_size()));
    if first_point != points || !fits {
        return Err(bad(
            107,
            format!(
                "the header counts {points} points but the LAZ chunk table holds {first_point}"
            ),
        ));
    }
    Ok(blocks)
}
