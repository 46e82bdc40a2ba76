//! A LAS or LAZ file from a source's head, raw records and EVLRs, written as the records
//! arrive (a tile's are never all in memory).
//!
//! The header is the source's, with what describes the points recomputed: counts (legacy
//! counts 0 for formats 6-10, as LAS 1.4 requires), counts by return, bounds, offsets.
//! VLRs and EVLRs are copied byte for byte, except the LASzip VLR (written only for LAZ,
//! for the new compression), COPC's records (they describe the source's octree) and a
//! previous tile record. Records are copied as they are.

use std::io::{Seek, SeekFrom, Write};

use las::raw::Header;

use partition_core::output::Allocate;
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

/// Writes a LAS or LAZ file as its records arrive: `head`'s header and VLRs first, the
/// records (LAZ: compressed a chunk at a time), then the EVLRs, and last the header again,
/// now with the counts and bounds of what was written.
pub struct TileWriter<W: Write + Seek> {
    out: W,
    name: String,
    header: Header,
    /// The head the file's is made from: its scaling, and where its EVLRs were (a waveform
    /// record inside them moves with them).
    source: Head,
    evlrs: Vec<Vlr>,
    format: PointFormat,
    laz: Option<Chunks>,
    written: Written,
}

/// LAZ output: the chunks written so far, and the records waiting to fill the next one.
struct Chunks {
    vlr: laz::LazVlr,
    table: laz::laszip::ChunkTable,
    pending: Vec<u8>,
    /// Where the chunk table's offset goes (the point data's first 8 bytes).
    table_offset_at: u64,
}

/// What describes the records written: their count, counts by return and bounds.
struct Written {
    points: u64,
    by_return: [u64; 15],
    min: [i32; 3],
    max: [i32; 3],
}

impl<W: Write + Seek + Allocate> TileWriter<W> {
    /// Starts a file named `name` (for errors) in `out` with `head`'s header and VLRs (and
    /// `tile` as a tile record) for about `points` records; `evlrs` follow the points.
    pub fn new(
        out: W,
        name: &str,
        head: &Head,
        evlrs: &[Vlr],
        tile: Option<&TileRecord>,
        format: Format,
        points: u64,
    ) -> Result<TileWriter<W>> {
        let point_format = head.format;
        let mut header = head.header.clone();
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

        let mut writer = TileWriter {
            out,
            name: name.to_string(),
            header,
            source: head.clone(),
            evlrs: evlrs.iter().filter(|vlr| !vlr.is_copc()).cloned().collect(),
            format: point_format,
            laz: laz_vlr.map(|vlr| Chunks {
                vlr,
                table: laz::laszip::ChunkTable::default(),
                pending: Vec::new(),
                table_offset_at: point_data,
            }),
            written: Written {
                points: 0,
                by_return: [0; 15],
                min: [i32::MAX; 3],
                max: [i32::MIN; 3],
            },
        };
        if writer.laz.is_none() {
            let records = points.saturating_mul(point_format.record_length.into());
            let evlrs: u64 = writer.evlrs.iter().map(|v| v.bytes.len() as u64).sum();
            writer.out.allocate(point_data + records + evlrs)?;
        }
        // The header is written again at the end; this one holds the place.
        let mut start = Vec::with_capacity(point_data as usize + 8);
        write_header(&writer.header, &mut start)?;
        for vlr in &vlrs {
            start.extend_from_slice(&vlr.bytes);
        }
        start.extend_from_slice(&head.gap);
        if writer.laz.is_some() {
            start.extend_from_slice(&[0; 8]);
        }
        writer.io(|out| out.write_all(&start))?;
        Ok(writer)
    }

    /// Appends raw records (the head's point format).
    pub fn write(&mut self, records: &[u8]) -> Result<()> {
        let size = self.format.record_bytes();
        debug_assert_eq!(records.len() % size, 0);
        // Counted in locals, which stay in registers (the fields would be stored every record).
        let w = &mut self.written;
        let (mut min, mut max) = (w.min, w.max);
        let mut by_return = [0u64; 16];
        for record in records.chunks_exact(size) {
            by_return[usize::from(self.format.return_number(record))] += 1;
            let xyz = PointFormat::xyz(record);
            for axis in 0..3 {
                min[axis] = min[axis].min(xyz[axis]);
                max[axis] = max[axis].max(xyz[axis]);
            }
        }
        (w.min, w.max) = (min, max);
        // Return number 0 is no return: not counted.
        for (count, more) in w.by_return.iter_mut().zip(&by_return[1..]) {
            *count += more;
        }
        w.points += (records.len() / size) as u64;
        let Some(laz) = &mut self.laz else {
            return self.io(|out| out.write_all(records));
        };
        // Whole chunks straight from `records`; the rest waits for more.
        let chunk = laz.vlr.chunk_size() as usize * size;
        let mut records = records;
        if !laz.pending.is_empty() {
            let take = (chunk - laz.pending.len()).min(records.len());
            laz.pending.extend_from_slice(&records[..take]);
            records = &records[take..];
            if laz.pending.len() == chunk {
                laz.compress_pending(&mut self.out, &self.name)?;
            }
        }
        let whole = records.len() / chunk * chunk;
        if whole > 0 {
            laz.compress(&mut self.out, &self.name, &records[..whole])?;
        }
        laz.pending.extend_from_slice(&records[whole..]);
        Ok(())
    }

    /// How many records were written.
    pub fn points(&self) -> u64 {
        self.written.points
    }

    /// Writes the last LAZ chunk and its table, the EVLRs and the final header.
    pub fn finish(mut self) -> Result<W> {
        if let Some(laz) = &mut self.laz {
            laz.compress_pending(&mut self.out, &self.name)?;
            let mut table = Vec::new();
            laz.table
                .write_to(&mut table, &laz.vlr)
                .expect("writing to memory cannot fail");
            let at = laz.table_offset_at;
            self.io(|out| {
                let table_at = out.stream_position()?;
                out.write_all(&table)?;
                out.seek(SeekFrom::Start(at))?;
                out.write_all(&table_at.to_le_bytes())?;
                out.seek(SeekFrom::End(0)).map(drop)
            })?;
        }

        // EVLRs follow the points.
        let evlrs_at = self.io(|out| out.stream_position())?;
        let n = self.written.points;
        let header = &mut self.header;
        let version = (header.version.major, header.version.minor);
        let legacy_fits = n <= u64::from(u32::MAX);
        if !legacy_fits && version < (1, 4) {
            return Err(Error::Usage(format!(
                "a LAS {}.{} file holds at most {} points; this tile has {n}",
                version.0,
                version.1,
                u32::MAX
            )));
        }
        let by_return = self.written.by_return;
        if self.format.is_extended() || !legacy_fits {
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
        let (min, max) = (self.written.min, self.written.max);
        let source = &self.source;
        if n > 0 {
            [header.min_x, header.min_y] = source.scale_xy(min[0], min[1]);
            [header.max_x, header.max_y] = source.scale_xy(max[0], max[1]);
            header.min_z = source.scale_z(min[2]);
            header.max_z = source.scale_z(max[2]);
        } else {
            [header.min_x, header.max_x, header.min_y, header.max_y] = [0.0; 4];
            [header.min_z, header.max_z] = [0.0; 2];
        }

        // A waveform record inside the EVLRs moves with them.
        let count = self.evlrs.len() as u32;
        if let Some(evlr) = header.evlr.as_mut() {
            evlr.start_of_first_evlr = if count == 0 { 0 } else { evlrs_at };
            evlr.number_of_evlrs = count;
        } else if count > 0 {
            header.evlr = Some(las::raw::header::Evlr {
                start_of_first_evlr: evlrs_at,
                number_of_evlrs: count,
            });
        }
        let source_evlrs_at = source.header.evlr.map(|e| e.start_of_first_evlr);
        if let (Some(waveform), Some(old)) =
            (header.start_of_waveform_data_packet_record, source_evlrs_at)
        {
            if waveform >= old {
                header.start_of_waveform_data_packet_record = Some(evlrs_at + (waveform - old));
            }
        }
        let mut end = Vec::new();
        for vlr in &self.evlrs {
            end.extend_from_slice(&vlr.bytes);
        }
        let mut header_bytes = Vec::new();
        write_header(&self.header, &mut header_bytes)?;
        self.io(|out| {
            out.write_all(&end)?;
            out.seek(SeekFrom::Start(0))?;
            out.write_all(&header_bytes)?;
            out.seek(SeekFrom::End(0)).map(drop)
        })?;
        Ok(self.out)
    }

    fn io<T>(&mut self, f: impl FnOnce(&mut W) -> std::io::Result<T>) -> Result<T> {
        f(&mut self.out).map_err(|e| Error::io(&self.name, e))
    }
}

impl Chunks {
    /// Compresses whole chunks of `records` (a last one may be short) into `out`.
    fn compress(&mut self, out: &mut impl Write, name: &str, records: &[u8]) -> Result<()> {
        let chunks = laz::laszip::parallel::par_compress(out, records, &self.vlr)
            .map_err(|e| Error::Failed(format!("{name}: LAZ compression: {e}")))?;
        self.table.extend(&chunks);
        Ok(())
    }

    /// Compresses the records waiting, if any, as one chunk.
    fn compress_pending(&mut self, out: &mut impl Write, name: &str) -> Result<()> {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.compress(out, name, &pending)?;
            self.pending = pending;
            self.pending.clear();
        }
        Ok(())
    }
}

fn write_header(header: &Header, out: &mut Vec<u8>) -> Result<()> {
    header
        .write_to(out)
        .map_err(|e| Error::Failed(format!("writing a LAS header: {e}")))
}
