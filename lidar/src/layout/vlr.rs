//! VLRs and EVLRs, header and payload kept exactly as stored.

use partition_core::{Error, Position, Result};

use super::text;

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
