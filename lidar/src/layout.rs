//! Where things are in a LAS or LAZ file: header, VLRs, point blocks, EVLRs.
//!
//! Everything but the header fields is kept as raw bytes, so that a tile copies VLRs and
//! EVLRs byte for byte. Points are addressed in blocks: a LAZ chunk (from the chunk table;
//! COPC octree nodes are such chunks) or, for LAS, a run of records of about 64 KiB.

use std::io::Cursor;

use las::raw::Header;
use partition_core::{ByteRange, Error, Position, Result, Source};

use crate::record::PointFormat;

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

/// One VLR or EVLR, header and payload exactly as stored.
#[derive(Debug, Clone)]
pub struct Vlr {
    pub user_id: String,
    pub record_id: u16,
    /// An EVLR (60-byte header with a 64-bit length) rather than a VLR (54 bytes).
    pub extended: bool,
    pub bytes: Vec<u8>,
}

impl Vlr {
    pub const HEADER: usize = 54;
    pub const EXTENDED_HEADER: usize = 60;

    /// A VLR (not extended) with the given payload.
    pub fn new(user_id: &str, record_id: u16, description: &str, payload: &[u8]) -> Vlr {
        let mut bytes = Vec::with_capacity(Self::HEADER + payload.len());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&padded::<16>(user_id));
        bytes.extend_from_slice(&record_id.to_le_bytes());
        let length = u16::try_from(payload.len()).expect("VLR payloads fit in 64 KiB");
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(&padded::<32>(description));
        bytes.extend_from_slice(payload);
        Vlr {
            user_id: user_id.to_string(),
            record_id,
            extended: false,
            bytes,
        }
    }

    pub fn payload(&self) -> &[u8] {
        let header = if self.extended {
            Self::EXTENDED_HEADER
        } else {
            Self::HEADER
        };
        &self.bytes[header..]
    }

    pub fn is(&self, user_id: &str, record_id: u16) -> bool {
        self.user_id == user_id && self.record_id == record_id
    }

    /// The LASzip VLR: describes the compression, so it belongs only to LAZ output.
    pub fn is_laszip(&self) -> bool {
        self.is("laszip encoded", 22204)
    }

    /// COPC's info VLR and hierarchy EVLR describe the source's octree, not a tile's.
    pub fn is_copc(&self) -> bool {
        self.is("copc", 1) || self.is("copc", 1000)
    }
}

fn padded<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let bytes = text.as_bytes();
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// A run of consecutive point records stored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub range: ByteRange,
    pub first_point: u64,
    pub points: u64,
}

/// The part of a file before the points: header, VLRs, and any bytes between them and the
/// points (LAS 1.0's start signature, user data). Enough to decode points and write tiles.
#[derive(Debug, Clone)]
pub struct Head {
    pub header: Header,
    pub vlrs: Vec<Vlr>,
    pub gap: Vec<u8>,
    pub format: PointFormat,
    /// The compression of a LAZ file.
    pub laz: Option<laz::LazVlr>,
    /// LAZ compressed as one stream, without chunks (LASzip's old point-wise compressor).
    pub pointwise: bool,
}

impl Head {
    /// Parses the header and VLRs from the file's first `offset_to_point_data` bytes (or more).
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Head> {
        let bad = |position: u64, message: String| {
            Error::bad_input(name, Position::Byte(position), message)
        };
        if bytes.len() < 4 || &bytes[..4] != b"LASF" {
            return Err(Error::bad_file(
                name,
                "not a LAS/LAZ file (no LASF signature)",
            ));
        }
        if bytes.len() < 227 {
            return Err(bad(
                bytes.len() as u64,
                "file ends inside the LAS header".into(),
            ));
        }
        let (major, minor) = (bytes[24], bytes[25]);
        if major != 1 || minor > 4 {
            return Err(bad(
                24,
                format!("unsupported LAS version {major}.{minor} (1.0 to 1.4 are read)"),
            ));
        }
        let header = Header::read_from(Cursor::new(bytes)).map_err(|e| match e {
            las::Error::Io(_) => bad(bytes.len() as u64, "file ends inside the LAS header".into()),
            other => bad(0, format!("bad LAS header: {other}")),
        })?;
        if let Some(large) = &header.large_file {
            let legacy = u64::from(header.number_of_point_records);
            if legacy != 0 && legacy != large.number_of_point_records {
                return Err(bad(
                    247,
                    format!(
                        "the header counts {} points, its legacy field {legacy}",
                        large.number_of_point_records
                    ),
                ));
            }
        }
        for (at, what, value, is_scale) in [
            (131, "x scale factor", header.x_scale_factor, true),
            (139, "y scale factor", header.y_scale_factor, true),
            (147, "z scale factor", header.z_scale_factor, true),
            (155, "x offset", header.x_offset, false),
            (163, "y offset", header.y_offset, false),
            (171, "z offset", header.z_offset, false),
        ] {
            if !value.is_finite() || (is_scale && value == 0.0) {
                return Err(bad(at, format!("the {what} is {value}")));
            }
        }
        let standard = las::Version::new(major, minor).header_size();
        if header.header_size < standard {
            return Err(bad(
                94,
                format!(
                    "header size {} is below {standard}, the size of a LAS {major}.{minor} header",
                    header.header_size
                ),
            ));
        }
        let format = PointFormat::new(
            header.point_data_record_format,
            header.point_data_record_length,
        )
        .map_err(|message| bad(104, message))?;
        let point_data = u64::from(header.offset_to_point_data);
        if point_data < u64::from(header.header_size) {
            return Err(bad(
                96,
                format!("offset to point data {point_data} lies inside the header"),
            ));
        }
        if (bytes.len() as u64) < point_data {
            return Err(bad(
                bytes.len() as u64,
                format!("file ends before the point data at byte {point_data}"),
            ));
        }
        let mut vlrs = Vec::new();
        let mut at = u64::from(header.header_size);
        for n in 0..header.number_of_variable_length_records {
            if at + Vlr::HEADER as u64 > point_data {
                return Err(bad(
                    at,
                    format!(
                        "VLR {n} of {} runs into the point data at byte {point_data}",
                        header.number_of_variable_length_records
                    ),
                ));
            }
            let head = &bytes[at as usize..at as usize + Vlr::HEADER];
            let length = u64::from(u16::from_le_bytes([head[20], head[21]]));
            let end = at + Vlr::HEADER as u64 + length;
            if end > point_data {
                return Err(bad(
                    at,
                    format!(
                        "VLR {n} ({length} bytes) runs into the point data at byte {point_data}"
                    ),
                ));
            }
            vlrs.push(Vlr {
                user_id: text(&head[2..18]),
                record_id: u16::from_le_bytes([head[18], head[19]]),
                extended: false,
                bytes: bytes[at as usize..end as usize].to_vec(),
            });
            at = end;
        }
        let gap = bytes[at as usize..point_data as usize].to_vec();
        let compressed = header.point_data_record_format & 0xC0 != 0;
        let laszip = vlrs.iter().find(|vlr| vlr.is_laszip());
        let laz = match laszip {
            Some(vlr) if compressed => Some(
                laz::LazVlr::from_buffer(vlr.payload())
                    .map_err(|e| bad(0, format!("bad LASzip VLR: {e}")))?,
            ),
            None if compressed => {
                return Err(bad(104, "compressed point format but no LASzip VLR".into()))
            }
            _ => None,
        };
        if let Some(vlr) = &laz {
            if vlr.items_size() != u64::from(format.record_length) {
                return Err(bad(
                    105,
                    format!(
                        "the LASzip VLR describes {}-byte records but the header says {}",
                        vlr.items_size(),
                        format.record_length
                    ),
                ));
            }
        }
        let pointwise =
            laz.is_some() && laszip.is_some_and(|vlr| vlr.payload().starts_with(&[1, 0]));
        Ok(Head {
            header,
            vlrs,
            gap,
            format,
            laz,
            pointwise,
        })
    }

    pub fn point_data_start(&self) -> u64 {
        u64::from(self.header.offset_to_point_data)
    }

    pub fn points(&self) -> u64 {
        let legacy = u64::from(self.header.number_of_point_records);
        match self.header.large_file {
            Some(large) if legacy == 0 => large.number_of_point_records,
            _ => legacy,
        }
    }

    /// Coordinates of integer X, Y as the header's scale and offset make them.
    #[inline]
    pub fn scale_xy(&self, x: i32, y: i32) -> [f64; 2] {
        let h = &self.header;
        [
            f64::from(x) * h.x_scale_factor + h.x_offset,
            f64::from(y) * h.y_scale_factor + h.y_offset,
        ]
    }

    #[inline]
    pub fn scale_z(&self, z: i32) -> f64 {
        f64::from(z) * self.header.z_scale_factor + self.header.z_offset
    }
}

/// The integer X, Y whose coordinates pass `inside(axis, coordinate)` on both axes, a test
/// that holds on one interval of each axis with ends near `edges` (`[min x, min y, max x,
/// max y]`): a closed box of integers, `[min x, min y, max x, max y]`, that holds none where
/// `integer_run` finds no run. Tested on integers, points need no scaling.
pub fn integer_box(
    scale: [f64; 2],
    offset: [f64; 2],
    edges: [f64; 4],
    inside: impl Fn(usize, f64) -> bool,
) -> [i32; 4] {
    let run = |axis: usize| {
        integer_run(
            scale[axis],
            offset[axis],
            [edges[axis], edges[axis + 2]],
            |v| inside(axis, v),
        )
    };
    match (run(0), run(1)) {
        (Some(x), Some(y)) => [x[0], y[0], x[1], y[1]],
        _ => [0, 0, -1, -1],
    }
}

/// The integers whose coordinate (`i * scale + offset`, as [`Head::scale_xy`] computes it)
/// passes `inside`, a test that holds on one interval of coordinates with ends near
/// `edges`: `[first, last]`. `None` when there are none, or when they are not found within a
/// few steps of the edges (a scale that is not positive, say), so that callers fall back to
/// testing coordinates. Exact, so a test of integers against the run is the test itself.
fn integer_run(
    scale: f64,
    offset: f64,
    edges: [f64; 2],
    inside: impl Fn(f64) -> bool,
) -> Option<[i32; 2]> {
    const STEPS: usize = 8;
    if scale.is_nan() || scale <= 0.0 {
        return None;
    }
    let holds = |i: i64| i32::try_from(i).is_ok_and(|i| inside(f64::from(i) * scale + offset));
    // Where `holds` changes, from a guess, towards `outwards` (-1 for the first, 1 for the
    // last integer of the run).
    let end = |edge: f64, outwards: i64| {
        let mut i = ((edge - offset) / scale).round().clamp(-2e9, 2e9) as i64;
        for _ in 0..STEPS {
            match (holds(i), holds(i + outwards)) {
                (true, false) => return Some(i),
                (true, true) => i += outwards,
                (false, _) => i -= outwards,
            }
        }
        None
    };
    let run = [end(edges[0], -1)?, end(edges[1], 1)?];
    (run[0] <= run[1]).then(|| run.map(|i| i as i32))
}

fn text(bytes: &[u8]) -> String {
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
            Some(vlr) => laz_blocks(source, &head, vlr, data_end)?,
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

/// The chunks of a LAZ file from its chunk table, checked against the header's point count.
fn laz_blocks(
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
    let table = crate::decode::contain_panics(|| {
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

pub(crate) fn parse_evlrs(name: &str, bytes: &[u8], base: u64, count: u32) -> Result<Vec<Vlr>> {
    let mut evlrs = Vec::new();
    let mut at = 0usize;
    for n in 0..count {
        let bad =
            |message: String| Error::bad_input(name, Position::Byte(base + at as u64), message);
        if at + Vlr::EXTENDED_HEADER > bytes.len() {
            return Err(bad(format!(
                "truncated: EVLR {n} of {count} is cut off at the end of the file"
            )));
        }
        let head = &bytes[at..at + Vlr::EXTENDED_HEADER];
        let length = u64::from_le_bytes(head[20..28].try_into().unwrap());
        let end = (at as u64).checked_add(Vlr::EXTENDED_HEADER as u64 + length);
        let Some(end) = end.filter(|&end| end <= bytes.len() as u64) else {
            return Err(bad(format!(
                "EVLR {n} of {count} claims {length} bytes, past the end of the file"
            )));
        };
        evlrs.push(Vlr {
            user_id: text(&head[2..18]),
            record_id: u16::from_le_bytes([head[18], head[19]]),
            extended: true,
            bytes: bytes[at..end as usize].to_vec(),
        });
        at = end as usize;
    }
    Ok(evlrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_runs_are_exactly_the_integers_inside() {
        let (scale, offset) = (0.01, 500_000.0);
        let coordinate = |i: i32| f64::from(i) * scale + offset;
        for (lo, hi) in [
            (500_001.005, 500_002.0),
            (499_990.0, 499_990.02),
            (500_000.0, 500_000.0),
        ] {
            let inside = |v: f64| lo < v && v < hi;
            let expected: Vec<i32> = (-2000..2000).filter(|&i| inside(coordinate(i))).collect();
            let run = integer_run(scale, offset, [lo, hi], inside);
            match expected[..] {
                [] => assert_eq!(run, None, "{lo} {hi}"),
                [.., last] => assert_eq!(run, Some([expected[0], last]), "{lo} {hi}"),
            }
        }
        // Not found: the callers test coordinates instead.
        assert_eq!(
            integer_run(-0.01, 0.0, [0.0, 1.0], |v| v > 0.0 && v < 1.0),
            None
        );
        assert_eq!(integer_run(0.01, 0.0, [f64::NAN, 1.0], |v| v < 1.0), None);
    }
}
