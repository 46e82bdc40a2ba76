//! The head of a file: header, VLRs and the bytes between them and the points.

use std::io::Cursor;

use las::raw::Header;
use partition_core::{Error, Position, Result};

use super::{text, Vlr};
use crate::record::PointFormat;

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
