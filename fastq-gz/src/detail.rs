//! The `detail` of `fastq` and `fastq-gz` chunks: what a worker needs beyond byte ranges.

use base64::Engine;
use partition_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::index::Checkpoint;

/// The `detail` of a `fastq` chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastqDetail {
    /// 0-based index of the chunk's first record in its file.
    pub first_record: u64,
    /// Records in the chunk (per file, for paired inputs).
    pub records: u64,
    /// CRC32 of each source's range, in `sources` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crc32: Vec<Option<u32>>,
    /// The file holds pairs interleaved: the worker checks that mates' names agree.
    #[serde(default, skip_serializing_if = "is_false")]
    pub interleaved: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// The `detail` of a `fastq-gz` chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzDetail {
    /// 0-based number of the chunk's first record in its file.
    pub first_record: u64,
    /// Records in the chunk (per file, for paired inputs).
    pub records: u64,
    /// Where to resume decoding each source, in `sources` order.
    pub resume: Vec<GzResume>,
    /// CRC32 of each source's records in the chunk, in `sources` order; `None` where the
    /// index cannot tell (R2 of a pair, whose chunk edges fall between its checkpoints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crc32: Vec<Option<u32>>,
    /// The file holds pairs interleaved: the worker checks that mates' names agree.
    #[serde(default, skip_serializing_if = "is_false")]
    pub interleaved: bool,
}

/// One source's resume point: a checkpoint, then what to skip to reach the chunk's first record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzResume {
    pub in_byte: u64,
    pub bits: u8,
    pub member_start: bool,
    /// Uncompressed offset of the checkpoint.
    pub out: u64,
    /// The 32 KiB window before it, raw deflate, base64.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub window: String,
    /// Decoded bytes up to here are skipped: a record starts here.
    pub first_out: u64,
    /// Then this many records are skipped (paired files, whose checkpoints differ).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skip_records: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl GzResume {
    pub(crate) fn new(checkpoint: &Checkpoint, skip_records: u64) -> GzResume {
        GzResume {
            in_byte: checkpoint.in_byte,
            bits: checkpoint.bits,
            member_start: checkpoint.member_start,
            out: checkpoint.out,
            window: base64::engine::general_purpose::STANDARD.encode(&checkpoint.window),
            first_out: checkpoint.first_out,
            skip_records,
        }
    }

    /// The compressed window, decoded from base64.
    pub fn compressed_window(&self) -> Result<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.window)
            .map_err(|e| Error::bad_file("chunk detail", format!("window is not base64: {e}")))
    }

    /// Where the source's range starts (the byte holding the first bits, if any).
    pub fn range_start(&self) -> u64 {
        if self.bits > 0 {
            self.in_byte - 1
        } else {
            self.in_byte
        }
    }
}
