//! The checkpoint index of a gzip FASTQ: where decoding can resume, and which record starts
//! next at each of those places.
//!
//! One streaming pass decodes the file, stops at deflate block boundaries, and every `span`
//! bytes of output records a checkpoint:
//! - the compressed bit offset, the output offset and the lines before it;
//! - the 32 KiB window of output before it, deflated and sparse: the bytes that the data
//!   after the checkpoint never copies are stored as zeros ([`crate::gzip::trace`]);
//! - from the FASTQ records parsed on the way, the first record that starts after it (its
//!   offset and number), how many compressed bytes suffice to decode up to that record, and
//!   the CRC32 of the output before it (a chunk's CRC32 follows from the checkpoints at its
//!   two ends).
//!
//! Chunks are cut at checkpoints, so a worker decodes only its own bytes and knows exactly
//! where its first record starts.
//!
//! Across workers ([`parts`]), each part of the file is decoded by a worker of its own, the
//! same builder seeded where the part begins; with `threads` above one, the same parts run
//! on that many threads of this process ([`parts::build_on_threads`]). Both see every block
//! boundary the one pass sees, so the checkpoints, their windows, lines, first records and
//! CRC32s are the same, byte for byte. Only `tail_in` may differ: each build takes it from
//! where its decoder reported progress, which depends on how its input was read, and any
//! value that suffices is right. Plans from either rebuild the input exactly
//! (tests/gzip.rs). On two cores the one pass is the faster: a part whose window is unknown
//! is decoded twice before it is built (see [`crate::gzip::range`]).
//!
//! - `build`: the pass, decoding on a thread of its own beside the record scan;
//! - `builder`: the observer that places checkpoints and gathers their windows;
//! - `window`: windows traced and deflated; `file`: the `.cwi` written and read.
//!
//! The sidecar file (`reads.fq.gz.cwi`) is little-endian binary:
//!
//! ```text
//! magic "CWGZIDX\x01"  version u32 = 2  span u64  compressed_size u64  uncompressed_size u64
//! records u64  lines u64  crc32 u32  checkpoints u64
//! per checkpoint: in_byte u64  bits u8  member_start u8  out u64  lines u64  first_out u64
//!                 record u64  tail_in u64  first_crc u32  window_length u32
//!                 window bytes (raw deflate)
//! crc32 of everything above u32
//! ```

mod build;
mod builder;
mod file;
pub mod parts;
mod window;

pub use build::build;
pub(crate) use file::Cursor;
pub use window::decode_window;
pub(crate) use window::WindowDeflater;

pub(crate) const MAGIC: &[u8; 8] = b"CWGZIDX\x01";
/// The format version this build writes and reads.
pub const VERSION: u32 = 2;
/// Threads that decode the file by default.
pub const DEFAULT_THREADS: usize = 1;
/// Default output between checkpoints.
pub const DEFAULT_SPAN: u64 = 1 << 20;
/// Output after a checkpoint within which its first record is looked for at fine grain: the
/// chunk before it then reads little compressed data past its end.
pub(crate) const FINE_PROGRESS_AFTER: u64 = 64 * 1024;

/// A place where decoding can resume.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Compressed bytes before the resume point (the byte before holds `bits` of it).
    pub in_byte: u64,
    /// Unused high bits of byte `in_byte - 1` that belong to the next block (0-7).
    pub bits: u8,
    /// The checkpoint is a gzip member's start: decoding begins with its header, no window.
    pub member_start: bool,
    /// Uncompressed bytes before the resume point.
    pub out: u64,
    /// Line feeds before the resume point.
    pub lines: u64,
    /// Offset of the first record starting at or after `out`.
    pub first_out: u64,
    /// Number (0-based) of that record.
    pub record: u64,
    /// Compressed bytes that suffice to decode output through `first_out`.
    pub tail_in: u64,
    /// CRC32 of the uncompressed stream before `first_out`.
    pub first_crc: u32,
    /// The 32 KiB of output before `out` (less at a member's start), raw-deflate compressed;
    /// bytes that decoding from here never copies are zeros.
    #[serde(with = "crate::json")]
    pub window: Vec<u8>,
}

/// The index of one gzip FASTQ file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzIndex {
    pub span: u64,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub records: u64,
    /// Line feeds in the whole uncompressed stream.
    pub lines: u64,
    /// CRC32 of the whole uncompressed stream.
    pub crc32: u32,
    /// Whether `crc32` and the checkpoints' `first_crc` are known: not for an index read from
    /// gztool's format ([`crate::gztool::import`]).
    pub crcs_known: bool,
    /// In file order; the first is the file's start.
    pub checkpoints: Vec<Checkpoint>,
}

impl GzIndex {
    /// Whether two indexes of one file agree in everything but `tail_in`, which each build
    /// takes from where its decoder happened to report progress (see above): then they give
    /// the same chunks.
    pub fn same_but_for_tail_in(&self, other: &GzIndex) -> bool {
        let tail_in_aside = |index: &GzIndex| {
            let mut index = index.clone();
            index
                .checkpoints
                .iter_mut()
                .for_each(|checkpoint| checkpoint.tail_in = 0);
            index
        };
        tail_in_aside(self) == tail_in_aside(other)
    }
}
