//! A LAS or LAZ file from a source's head, raw records and EVLRs.
//!
//! The header is the source's, with what describes the points recomputed: counts (legacy
//! counts 0 for formats 6-10, as LAS 1.4 requires), counts by return, bounds, offsets.
//! VLRs and EVLRs are copied byte for byte, except the LASzip VLR (written only for LAZ,
//! for the new compression), COPC's records (they describe the source's octree) and a
//! previous tile record. Records are copied as they are.

use std::io::{Cursor, Write};

use partition_core::{Error, Result};

use crate::layout::{Head, Vlr};
use crate::record::PointFormat;

/// The file format of a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Las,
    Laz,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Las => ".las",
            Format::Laz => ".laz",
        }
    }

    /// From a file name's extension, if it has a known one.
    pub fn of_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".laz") {
            Some(Format::Laz)
        } else if lower.ends_with(".las") {
            Some(Format::Las)
        } else {
            None
        }
    }

    pub fn of_head(head: &Head) -> Format {
        if head.laz.is_some() {
            Format::Laz
        } else {
            Format::Las
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        match text.to_ascii_lowercase().as_str() {
            "las" => Ok(Format::Las),
            "laz" => Ok(Format::Laz),
            _ => Err(format!("unknown format '{text}' (las or laz)")),
        }
    }
}

/// The tile record: which points of a tile are buffer. Points are stored core first, so
/// the record needs only the counts; it also keeps the core box and buffer distance.
///
/// A VLR with user id `chunkwise`, record id 1, and a 64-byte little-endian payload:
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u16 | version, 1 |
/// | 2 | u16 + u32 | reserved, 0 |
/// | 8 | u64 | core points (the file's first records) |
/// | 16 | u64 | buffer points (the records after them, flagged withheld) |
/// | 24 | f64 | buffer distance |
/// | 32 | 4 x f64 | core box: min x, min y, max x, max y (max excluded) |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileRecord {
    pub core_points: u64,
    pub buffer_points: u64,
    pub buffer: f64,
    pub core: [f64; 4],
}

impl TileRecord {
    pub const USER_ID: &'static str = "chunkwise";
    pub const RECORD_ID: u16 = 1;

    pub fn to_vlr(&self) -> Vlr {
        let mut payload = Vec::with_capacity(64);
        payload.extend_from_slice(&1u16.to_le_bytes());
        payload.extend_from_slice(&[0; 6]);
        payload.extend_from_slice(&self.core_points.to_le_bytes());
        payload.extend_from_slice(&self.buffer_points.to_le_bytes());
        payload.extend_from_slice(&self.buffer.to_le_bytes());
        for v in self.core {
            payload.extend_from_slice(&v.to_le_bytes());
        }
        Vlr::new(
            Self::USER_ID,
            Self::RECORD_ID,
            "tile: core points, then buffer",
            &payload,
        )
    }

    /// The tile record among a file's VLRs, if it has one.
    pub fn find(name: &str, vlrs: &[Vlr]) -> Result<Option<TileRecord>> {
        let Some(vlr) = vlrs
            .iter()
            .find(|vlr| vlr.is(Self::USER_ID, Self::RECORD_ID))
        else {
            return Ok(None);
        };
        let p = vlr.payload();
        if p.len() < 64 || u16::from_le_bytes([p[0], p[1]]) != 1 {
            return Err(Error::bad_file(
                name,
                "its chunkwise tile record is not version 1 or is cut short",
            ));
        }
        let u64_at = |at: usize| u64::from_le_bytes(p[at..at + 8].try_into().unwrap());
        let f64_at = |at: usize| f64::from_le_bytes(p[at..at + 8].try_into().unwrap());
        Ok(Some(TileRecord {
            core_points: u64_at(8),
            buffer_points: u64_at(16),
            buffer: f64_at(24),
            core: [f64_at(32), f64_at(40), f64_at(48), f64_at(56)],
        }))
    }
}

/// Writes a whole file: `head`'s header and VLRs around `records` (raw, `head`'s point
/// format), then `evlrs`. Returns the file's bytes.
pub fn file_bytes(
    head: &Head,
    evlrs: &[Vlr],
    records: &[u8],
    tile: Option<&TileRecord>,
    format: Format,
) -> Result<Vec<u8>> {
    let point_format = head.format;
    let record_len = point_format.record_bytes();
    debug_assert_eq!(records.len() % record_len, 0);
    let n = (records.len() / record_len) as u64;
    let mut header = head.header.clone();
    let version = (header.version.major, header.version.minor);

    let mut vlrs: Vec<Vlr> = head
        .vlrs
        .iter()
        .filter(|vlr| {
            !vlr.is_laszip()
                && !vlr.is_copc()
                && !vlr.is(TileRecord::USER_ID, TileRecord::RECORD_ID)
        })
        .cloned()
        .collect();
    let laz_vlr = match format {
        Format::Las => None,
        Format::Laz => {
            let items = laz::LazItemRecordBuilder::default_for_point_format_id(
                point_format.id,
                point_format.extra_bytes(),
            )
            .map_err(|e| Error::Usage(format!("cannot write LAZ: {e}")))?;
            let vlr = laz::LazVlr::from_laz_items(items);
            let mut payload = Vec::new();
            vlr.write_to(&mut payload)
                .expect("writing to memory cannot fail");
            vlrs.push(Vlr::new("laszip encoded", 22204, "by chunkwise", &payload));
            Some(vlr)
        }
    };
    if let Some(tile) = tile {
        vlrs.push(tile.to_vlr());
    }
    let evlrs: Vec<&Vlr> = evlrs.iter().filter(|vlr| !vlr.is_copc()).collect();

    // What describes the points.
    let mut by_return = [0u64; 15];
    let mut min = [i32::MAX; 3];
    let mut max = [i32::MIN; 3];
    for record in records.chunks_exact(record_len) {
        let r = point_format.return_number(record);
        if (1..=15).contains(&r) {
            by_return[usize::from(r) - 1] += 1;
        }
        let xyz = PointFormat::xyz(record);
        for axis in 0..3 {
            min[axis] = min[axis].min(xyz[axis]);
            max[axis] = max[axis].max(xyz[axis]);
        }
    }
    let legacy_fits = n <= u64::from(u32::MAX);
    if !legacy_fits && version < (1, 4) {
        return Err(Error::Usage(format!(
            "a LAS {}.{} file holds at most {} points; this tile has {n}",
            version.0,
            version.1,
            u32::MAX
        )));
    }
    if point_format.is_extended() || !legacy_fits {
        header.number_of_point_records = 0;
        header.number_of_points_by_return = [0; 5];
    } else {
        header.number_of_point_records = n as u32;
        for (legacy, &count) in header.number_of_points_by_return.iter_mut().zip(&by_return) {
            *legacy = count as u32;
        }
    }
    if let Some(large) = header.large_file.as_mut() {
        large.number_of_point_records = n;
        large.number_of_points_by_return = by_return;
    }
    if n > 0 {
        [header.min_x, header.min_y] = head.scale_xy(min[0], min[1]);
        [header.max_x, header.max_y] = head.scale_xy(max[0], max[1]);
        header.min_z = head.scale_z(min[2]);
        header.max_z = head.scale_z(max[2]);
    } else {
        [header.min_x, header.max_x, header.min_y, header.max_y] = [0.0; 4];
        [header.min_z, header.max_z] = [0.0; 2];
    }
    header.point_data_record_format = match format {
        Format::Las => point_format.id,
        Format::Laz => point_format.id | 0x80,
    };
    header.number_of_variable_length_records = vlrs.len() as u32;
    let point_data = u64::from(header.header_size)
        + vlrs.iter().map(|v| v.bytes.len() as u64).sum::<u64>()
        + head.gap.len() as u64;
    header.offset_to_point_data = u32::try_from(point_data)
        .map_err(|_| Error::Usage("the VLRs do not fit below 4 GiB".to_string()))?;

    let mut out = Cursor::new(Vec::with_capacity(point_data as usize + records.len() / 4));
    write_header(&header, &mut out)?;
    for vlr in &vlrs {
        out.write_all(&vlr.bytes).expect("in memory");
    }
    out.write_all(&head.gap).expect("in memory");
    match laz_vlr {
        None => out.write_all(records).expect("in memory"),
        Some(vlr) => {
            let mut compressor = laz::ParLasZipCompressor::new(&mut out, vlr)
                .map_err(|e| Error::Failed(format!("LAZ compression: {e}")))?;
            compressor
                .compress_many(records)
                .map_err(|e| Error::Failed(format!("LAZ compression: {e}")))?;
            compressor
                .done()
                .map_err(|e| Error::Failed(format!("LAZ compression: {e}")))?;
        }
    }

    // EVLRs follow the points; a waveform record inside them moves with them.
    let old_start = head.header.evlr.map(|e| e.start_of_first_evlr);
    let new_start = out.get_ref().len() as u64;
    if let Some(evlr) = header.evlr.as_mut() {
        evlr.start_of_first_evlr = if evlrs.is_empty() { 0 } else { new_start };
        evlr.number_of_evlrs = evlrs.len() as u32;
    } else if !evlrs.is_empty() {
        header.evlr = Some(las::raw::header::Evlr {
            start_of_first_evlr: new_start,
            number_of_evlrs: evlrs.len() as u32,
        });
    }
    if let (Some(waveform), Some(old_start)) =
        (header.start_of_waveform_data_packet_record, old_start)
    {
        if waveform >= old_start {
            header.start_of_waveform_data_packet_record = Some(new_start + (waveform - old_start));
        }
    }
    let mut bytes = out.into_inner();
    for vlr in &evlrs {
        bytes.extend_from_slice(&vlr.bytes);
    }
    let mut header_bytes = Cursor::new(Vec::new());
    write_header(&header, &mut header_bytes)?;
    let header_bytes = header_bytes.into_inner();
    bytes[..header_bytes.len()].copy_from_slice(&header_bytes);
    Ok(bytes)
}

fn write_header(header: &las::raw::Header, out: &mut Cursor<Vec<u8>>) -> Result<()> {
    header
        .write_to(out)
        .map_err(|e| Error::Failed(format!("writing a LAS header: {e}")))
}
