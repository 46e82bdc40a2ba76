//! Where things are in a LAS or LAZ file: header, VLRs, point blocks, EVLRs.
//!
//! Everything but the header fields is kept as raw bytes, so that a tile copies VLRs and
//! EVLRs byte for byte. Points are addressed in blocks: a LAZ chunk (from the chunk table;
//! COPC octree nodes are such chunks) or, for LAS, a run of records of about 64 KiB.

use partition_core::{ByteRange, Error, Position, Result, Source};

mod chunk_table;
mod head;
mod vlr;

pub use head::Head;
pub(crate) use vlr::parse_evlrs;
pub use vlr::Vlr;

/// Bytes of records per LAS block: small, so that a tile's byte ranges stay tight when the
/// file's order is not the tiles' (a tile reads every block holding one of its points).
const LAS_BLOCK_BYTES: u64 = 64 << 10;

/// The blocks of `points` LAS records of `record` bytes from byte `start`, the first being
/// point number `first_point`.
pub(crate) fn las_blocks(start: u64, first_point: u64, points: u64, record: u64) -> Vec<Block> {
    let per_block = (LAS_BLOCK_BYTES / record).max(1);
    (0..points.div_ceil(per_block))
        .map(|b| {
            let done = b * per_block;
            let n = per_block.min(points - done);
            Block {
                range: ByteRange::new(start + done * record, start + (done + n) * record),
                first_point: first_point + done,
                points: n,
            }
        })
        .collect()
}

/// A run of consecutive point records stored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub range: ByteRange,
    pub first_point: u64,
    pub points: u64,
}

pub(crate) fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// A whole file's layout: its head, where its point blocks lie, and its EVLRs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub url: String,
    pub size: u64,
    pub head: Head,
    pub blocks: Vec<Block>,
    pub evlrs: Vec<Vlr>,
    /// Where the EVLRs lie, read whole by every tile.
    pub evlr_range: Option<ByteRange>,
}

impl Layout {
    /// Reads the header, VLRs, chunk table (LAZ) and EVLRs with a few ranged reads.
    pub fn read(source: &Source) -> Result<Layout> {
        let name = source.url();
        let size = source.size();
        let mut prefix = source.read_range(ByteRange::new(0, size.min(64 << 10)))?;
        if prefix.len() >= 100 && &prefix[..4] == b"LASF" {
            let point_data = u64::from(u32::from_le_bytes(prefix[96..100].try_into().unwrap()));
            if point_data > prefix.len() as u64 && point_data <= size {
                prefix = source.read_range(ByteRange::new(0, point_data))?;
            }
        }
        let head = Head::parse(name, &prefix)?;
        let bad = |position: u64, message: String| {
            Error::bad_input(name, Position::Byte(position), message)
        };
        let points = head.points();
        let start = head.point_data_start();
        let evlr_start = match head.header.evlr {
            Some(evlr) if evlr.number_of_evlrs > 0 => Some(evlr.start_of_first_evlr),
            _ => None,
        };
        let data_end = evlr_start.unwrap_or(size);
        if data_end > size || data_end < start {
            return Err(bad(235, format!("first EVLR at byte {data_end} lies outside the point data's end (file size {size})")));
        }
        let blocks = match &head.laz {
            None => {
                let record = u64::from(head.format.record_length);
                let needed = start + points * record;
                if needed > data_end {
                    let present = (data_end - start) / record;
                    return Err(bad(data_end, format!(
                        "truncated: the header counts {points} points but the file holds {present} ({} bytes of point data, {} needed)",
                        data_end - start, points * record
                    )));
                }
                las_blocks(start, 0, points, record)
            }
            Some(vlr) => chunk_table::laz_blocks(source, &head, vlr, data_end)?,
        };
        let (evlrs, evlr_range) = match (evlr_start, head.header.evlr) {
            (Some(at), Some(evlr)) => {
                let bytes = source.read_range(ByteRange::new(at, size))?;
                let evlrs = parse_evlrs(name, &bytes, at, evlr.number_of_evlrs)?;
                let end = at + evlrs.iter().map(|v| v.bytes.len() as u64).sum::<u64>();
                (evlrs, Some(ByteRange::new(at, end)))
            }
            _ => (Vec::new(), None),
        };
        Ok(Layout {
            url: name.to_string(),
            size,
            head,
            blocks,
            evlrs,
            evlr_range,
        })
    }

    pub fn points(&self) -> u64 {
        self.head.points()
    }

    pub fn head_range(&self) -> ByteRange {
        ByteRange::new(0, self.head.point_data_start())
    }
}
